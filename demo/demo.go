// Package demo loads the demonstration scenario — the January–February 2026
// Abu Dhabi talks and incidents around them — into a new centre. The
// scenario is data (scenario.json); every step goes through the same ledger
// path as a live statement, signed by the member it is attributed to.
package demo

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"truce/agreement"
	"truce/blobs"
	"truce/centre"
	"truce/hotline"
	"truce/incident"
	"truce/ledger"
	"truce/movement"
	"truce/party"
	"truce/seat"
)

//go:embed scenario.json
var scenarioJSON []byte

// Documents the scenario refers to as "file:NAME". The ceasefire agreement
// is also the complete example of the format (docs/agreements.md); the
// plant's safety zone is a draft that Russia has signed and Ukraine not yet.
//
//go:embed agreement.json znpp-safety.json
var files embed.FS

// Scenario is the demo's data.
type Scenario struct {
	Centre      string            `json:"centre"`
	CentreNames map[string]string `json:"centre_names"` // the centre's name in other languages
	Parties     []party.Register  `json:"parties"`
	Members     []Member          `json:"members"`
	Steps       []Step            `json:"steps"`
}

// Member is a demo member. One that holds its own key signs its
// statements itself, as a client would, and the centre never has the key.
type Member struct {
	ID       string       `json:"id"`
	Party    string       `json:"party"`
	Name     string       `json:"name"`
	Roles    []party.Role `json:"roles"`
	HoldsKey bool         `json:"holds_key,omitempty"`
}

// Step is one statement of the scenario. In its payload "@ref" stands for
// the incident reported by the step with that ref, "#name" for the SHA-256
// of the evidence file of that name, and an evidence object's "content" is
// the file itself.
type Step struct {
	At      time.Time       `json:"at"`
	By      string          `json:"by"`
	Type    string          `json:"type"`
	Ref     string          `json:"ref,omitempty"`
	Payload json.RawMessage `json:"payload"`
}

// Token is a demo member's credentials, to print. Key is the private key of
// a member who holds its own, for the caller to hand over (KeyFile: where
// it did); it is never stored by the centre.
type Token struct {
	Member  string             `json:"member"`
	Party   string             `json:"party"`
	Name    string             `json:"name"`
	Roles   []party.Role       `json:"roles"`
	Token   string             `json:"token"`
	KeyFile string             `json:"key_file,omitempty"`
	Key     ed25519.PrivateKey `json:"-"`
}

// Load parses the embedded scenario.
func Load() (*Scenario, error) {
	var s Scenario
	if err := json.Unmarshal(scenarioJSON, &s); err != nil {
		return nil, fmt.Errorf("demo scenario: %w", err)
	}
	if len(s.Steps) == 0 {
		return nil, fmt.Errorf("demo scenario has no steps")
	}
	s.Steps = withBackground(s.Steps, background())
	return &s, nil
}

// Start is when the centre of the scenario opens: a day before its first step.
func (s *Scenario) Start() time.Time { return s.Steps[0].At.Add(-24 * time.Hour) }

// Run loads the scenario into c, a centre opened at s.Start(). progress, if
// set, is called after each statement.
func (s *Scenario) Run(ctx context.Context, c *centre.Centre, b *blobs.Store, progress func(done, total int)) ([]Token, error) {
	total := len(s.Parties) + len(s.Members) + len(s.Steps)
	done := 0
	tick := func() {
		done++
		if progress != nil {
			progress(done, total)
		}
	}
	at := s.Start().Add(time.Hour)
	for _, p := range s.Parties {
		if _, err := c.RegisterParty(ctx, p, at); err != nil {
			return nil, fmt.Errorf("register party %s: %w", p.ID, err)
		}
		tick()
	}
	var tokens []Token
	keys := map[string]ed25519.PrivateKey{}
	for _, m := range s.Members {
		var pub ed25519.PublicKey
		if m.HoldsKey {
			pub, keys[m.ID], _ = ed25519.GenerateKey(rand.Reader)
		}
		tok, _, err := c.AddMember(ctx, centre.NewMember{ID: m.ID, Party: m.Party, Name: m.Name, Roles: m.Roles, PublicKey: pub, At: at.Add(time.Minute)})
		if err != nil {
			return nil, fmt.Errorf("add member %s: %w", m.ID, err)
		}
		tokens = append(tokens, Token{Member: m.ID, Party: m.Party, Name: m.Name, Roles: m.Roles, Token: tok, Key: keys[m.ID]})
		tick()
	}
	r := &resolver{refs: map[string]string{}, files: map[string]string{}, blobs: b, keys: keys}
	for i, st := range s.Steps {
		if err := r.step(ctx, c, st); err != nil {
			return nil, fmt.Errorf("scenario step %d (%s by %s): %w", i, st.Type, st.By, err)
		}
		// The centre's own statements (evaluations, spot reports) land
		// before the next step: every demo has the same ledger indexes,
		// which the README quotes.
		if err := c.Settled(ctx); err != nil {
			return nil, err
		}
		tick()
	}
	return tokens, nil
}

type resolver struct {
	refs  map[string]string             // ref → incident, thread, restriction or accreditation ID
	files map[string]string             // evidence name → SHA-256
	keys  map[string]ed25519.PrivateKey // members who sign for themselves
	blobs *blobs.Store
}

func (r *resolver) step(ctx context.Context, c *centre.Centre, st Step) error {
	var payload any
	d := json.NewDecoder(bytes.NewReader(st.Payload))
	d.UseNumber()
	if err := d.Decode(&payload); err != nil {
		return err
	}
	payload, err := r.resolve(payload)
	if err != nil {
		return err
	}
	sess, err := c.SessionOf(ctx, st.By)
	if err != nil {
		return err
	}
	if r.keys[st.By] != nil && (st.Type == agreement.TypePlanSubmit || st.Type == agreement.TypeSign) {
		return fmt.Errorf("%s holds its own key: the demo signs only simple statements for such members", st.By)
	}
	switch st.Type {
	case agreement.TypePlanSubmit:
		// The plan itself goes to the document store; the ledger gets its digest.
		var p struct {
			Plan  agreement.Document `json:"plan"`
			Round string             `json:"round"`
		}
		if err := ledger.Decode(st.Payload, &p); err != nil {
			return err
		}
		_, err := c.SubmitPlan(ctx, sess, &p.Plan, p.Round, st.At)
		return err
	case agreement.TypeSign:
		var p struct {
			Agreement string `json:"agreement"`
			Version   int    `json:"version"`
		}
		if err := ledger.Decode(st.Payload, &p); err != nil {
			return err
		}
		_, err := c.SignAgreement(ctx, sess, p.Agreement, p.Version, st.At)
		return err
	}
	var signed *ledger.Signed
	if key := r.keys[st.By]; key != nil {
		// The member signs, as its client would, and submits.
		raw, err := json.Marshal(payload)
		if err != nil {
			return err
		}
		signed, err = ledger.Sign(ledger.Statement{Type: st.Type, Party: sess.Member.Party, Author: sess.Member.ID,
			Time: st.At.UTC().Truncate(time.Millisecond), Payload: raw, Nonce: ledger.NewNonce()}, key)
		if err != nil {
			return err
		}
		if err := c.SubmitLoaded(ctx, sess, signed); err != nil {
			return err
		}
	} else {
		signed, err = c.SayAt(ctx, sess, st.Type, payload, st.At)
	}
	if err != nil {
		return err
	}
	if st.Ref != "" {
		switch st.Type {
		case incident.TypeReport:
			r.refs[st.Ref] = incident.IDFor(signed.Seq)
		case hotline.TypeOpen:
			r.refs[st.Ref] = hotline.IDFor(signed.Seq)
		case movement.TypeRecord:
			r.refs[st.Ref] = movement.IDFor(signed.Seq)
		case seat.TypeAccredit:
			r.refs[st.Ref] = seat.IDFor(signed.Seq)
		}
	}
	return nil
}

func (r *resolver) resolve(v any) (any, error) {
	switch t := v.(type) {
	case string:
		if name, ok := strings.CutPrefix(t, "file:"); ok {
			raw, err := files.ReadFile(name)
			if err != nil {
				return nil, err
			}
			var doc any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			return doc, d.Decode(&doc)
		}
		if ref, ok := strings.CutPrefix(t, "@"); ok {
			id, found := r.refs[ref]
			if !found {
				return nil, fmt.Errorf("unknown ref %q", ref)
			}
			return id, nil
		}
		if name, ok := strings.CutPrefix(t, "#"); ok {
			sha, found := r.files[name]
			if !found {
				return nil, fmt.Errorf("unknown evidence file %q", name)
			}
			return sha, nil
		}
		return t, nil
	case []any:
		for i := range t {
			x, err := r.resolve(t[i])
			if err != nil {
				return nil, err
			}
			t[i] = x
		}
		return t, nil
	case map[string]any:
		if content, ok := t["content"].(string); ok {
			sha, n, err := r.blobs.Put(strings.NewReader(content))
			if err != nil {
				return nil, err
			}
			delete(t, "content")
			t["sha256"], t["size"] = sha, n
			if name, ok := t["name"].(string); ok {
				r.files[name] = sha
			}
		}
		for k := range t {
			x, err := r.resolve(t[k])
			if err != nil {
				return nil, err
			}
			t[k] = x
		}
		return t, nil
	}
	return v, nil
}
