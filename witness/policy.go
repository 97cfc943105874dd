package witness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Config names a log's witnesses and the policy their cosignatures must
// meet before a checkpoint is final. It is read from a JSON file:
//
//	{"witnesses": [{"name": "ua", "key": "<verifier key>", "url": "http://…"}, …],
//	 "policy": [{"group": "belligerents", "threshold": 2, "witnesses": ["ua", "ru"]},
//	            {"group": "monitors", "threshold": 2, "witnesses": ["ch", "tr", "in"]}]}
type Config struct {
	Witnesses []Member `json:"witnesses"`
	Policy    []Group  `json:"policy"`
}

// Member is one witness a log knows.
type Member struct {
	Name string `json:"name"`
	Key  string `json:"key"` // cosignature verifier key
	URL  string `json:"url,omitempty"`
}

// Group is a rule of the policy: at least Threshold distinct witness keys
// among Witnesses must have cosigned. Every group must hold.
type Group struct {
	Group     string   `json:"group"`
	Threshold int      `json:"threshold"`
	Witnesses []string `json:"witnesses"`
}

// LoadConfig reads and checks a witness configuration file.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := c.Verifiers(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(c.Policy) == 0 {
		// Without a rule every checkpoint would be final with no cosignature.
		return nil, fmt.Errorf("%s: a witness configuration needs at least one policy group", path)
	}
	return &c, nil
}

// Verifiers parses the witnesses' keys, by witness name.
func (c *Config) Verifiers() (map[string]*CosignatureVerifier, error) {
	out := map[string]*CosignatureVerifier{}
	for _, m := range c.Witnesses {
		v, err := NewVerifier(m.Key)
		if err != nil {
			return nil, fmt.Errorf("witness %s: %w", m.Name, err)
		}
		out[m.Name] = v
	}
	for _, g := range c.Policy {
		if g.Threshold < 1 || g.Threshold > len(g.Witnesses) {
			return nil, fmt.Errorf("policy group %s: threshold %d of %d witnesses", g.Group, g.Threshold, len(g.Witnesses))
		}
		for _, w := range g.Witnesses {
			if _, ok := out[w]; !ok {
				return nil, fmt.Errorf("policy group %s names unknown witness %q", g.Group, w)
			}
		}
	}
	return out, nil
}

// Verdict is how a cosigned checkpoint stands against the policy.
type Verdict struct {
	Final  bool     `json:"final"`
	Cosign []string `json:"cosigned_by"` // witness names whose cosignature verified
	Short  []string `json:"short,omitempty"`
}

// Judge opens a cosigned checkpoint note with the witnesses' keys and
// counts, per policy group, the distinct keys that cosigned: one key counts
// once however many times it signs and under whatever name.
func (c *Config) Judge(cosigned []byte, log note.Verifier) (Verdict, error) {
	vs, err := c.Verifiers()
	if err != nil {
		return Verdict{}, err
	}
	var verifiers []note.Verifier
	verifiers = append(verifiers, log)
	for _, v := range vs {
		verifiers = append(verifiers, v)
	}
	n, err := note.Open(cosigned, dedupe(verifiers))
	if err != nil {
		var unknown *note.UnverifiedNoteError
		if !errors.As(err, &unknown) {
			return Verdict{}, err
		}
		n = unknown.Note
	}
	signedKeys := map[string]bool{} // public keys (as strings) that produced a valid cosignature
	var out Verdict
	for _, s := range n.Sigs {
		for name, v := range vs {
			if v.Name() == s.Name && v.KeyHash() == s.Hash {
				signedKeys[string(v.Key())] = true
				out.Cosign = append(out.Cosign, name)
			}
		}
	}
	out.Final = len(c.Policy) > 0
	for _, g := range c.Policy {
		keys := map[string]bool{}
		for _, w := range g.Witnesses {
			if k := string(vs[w].Key()); signedKeys[k] {
				keys[k] = true
			}
		}
		if len(keys) < g.Threshold {
			out.Final = false
			out.Short = append(out.Short, fmt.Sprintf("%s: %d of %d", g.Group, len(keys), g.Threshold))
		}
	}
	return out, nil
}

// dedupe drops verifiers with the same name and key hash: note.Open refuses
// ambiguous verifier lists, and a key listed under two names is one key.
func dedupe(vs []note.Verifier) note.Verifiers {
	seen := map[string]bool{}
	var out []note.Verifier
	for _, v := range vs {
		k := fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return note.VerifierList(out...)
}

// String describes a verdict for people.
func (v Verdict) String() string {
	if v.Final {
		return "final (cosigned by " + strings.Join(v.Cosign, ", ") + ")"
	}
	return "not final: " + strings.Join(v.Short, "; ")
}

// Trust is what the parties exchange before they audit a log or witness
// it: the log's checkpoint verifier key, its witnesses and the policy. It is
// read from a file the auditor holds, never from the centre being audited:
//
//	{"log_key": "truce.invalid/centre-…+…+…", "witnesses": […], "policy": […]}
type Trust struct {
	LogKey string `json:"log_key"`
	Config
}

// LoadTrust reads and checks a trust file.
func LoadTrust(path string) (*Trust, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Trust
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := note.NewVerifier(t.LogKey); err != nil {
		return nil, fmt.Errorf("%s: log_key: %w", path, err)
	}
	if _, err := t.Verifiers(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(t.Policy) == 0 {
		return nil, fmt.Errorf("%s: a trust file needs at least one policy group", path)
	}
	return &t, nil
}
