package checkpoint

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func TestSignOpen(t *testing.T) {
	skey, vkey, err := NewKey("truce.invalid/test")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	c := Checkpoint{Origin: "truce.invalid/test", Size: 42, Root: tlog.RecordHash([]byte("x"))}
	signed, err := s.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(signed), "truce.invalid/test\n42\n") || !strings.Contains(string(signed), "\n\n— truce.invalid/test ") {
		t.Fatalf("not a C2SP checkpoint note:\n%s", signed)
	}
	got, _, err := Open(signed, v)
	if err != nil || got != c {
		t.Fatalf("open: %+v %v", got, err)
	}
	tampered := strings.Replace(string(signed), "\n42\n", "\n43\n", 1)
	if _, _, err := Open([]byte(tampered), v); err == nil {
		t.Fatal("tampered checkpoint opened")
	}
	if _, err := s.Sign(Checkpoint{Origin: "someone.else/log", Size: 1}); err == nil {
		t.Fatal("signed a checkpoint of another origin")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("truce.invalid/test\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
	f.Add("o\n0\n\n")
	f.Add("o\n-1\nAAAA\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err != nil {
			return
		}
		if c.Size < 0 || c.Origin == "" {
			t.Fatalf("parsed %+v", c)
		}
		if again, err := Parse(c.Body()); err != nil || again != c {
			t.Fatalf("body does not round-trip: %v", err)
		}
	})
}

func FuzzOpen(f *testing.F) {
	skey, vkey, _ := NewKey("truce.invalid/test")
	s, _ := NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	signed, _ := s.Sign(Checkpoint{Origin: "truce.invalid/test", Size: 7})
	f.Add(signed)
	f.Add([]byte("truce.invalid/test\n7\n\n— x y\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, _, err := Open(msg, v)
		if err == nil && c.Origin != "truce.invalid/test" {
			t.Fatalf("opened a checkpoint of %q", c.Origin)
		}
	})
}

// Every Wycheproof Ed25519 vector gets its expected verdict from the
// signed-note verifier that checks checkpoints.
func TestWycheproofEd25519(t *testing.T) {
	raw, err := os.ReadFile("../../shared/data/wycheproof-ed25519/ed25519_test.json")
	if err != nil {
		t.Fatalf("the Wycheproof vectors belong in ../shared/data: %v", err)
	}
	var file struct {
		Groups []struct {
			Key struct {
				PK string `json:"pk"`
			} `json:"publicKey"`
			Tests []struct {
				ID     int    `json:"tcId"`
				Msg    string `json:"msg"`
				Sig    string `json:"sig"`
				Result string `json:"result"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range file.Groups {
		pub, _ := hex.DecodeString(g.Key.PK)
		vkey, err := note.NewEd25519VerifierKey("wycheproof", pub)
		if err != nil {
			t.Fatal(err)
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range g.Tests {
			msg, _ := hex.DecodeString(tc.Msg)
			sig, _ := hex.DecodeString(tc.Sig)
			if got := v.Verify(msg, sig); got != (tc.Result == "valid") {
				t.Errorf("tcId %d: verdict %v, want %s", tc.ID, got, tc.Result)
			}
			n++
		}
	}
	if n != 151 {
		t.Fatalf("%d vectors, want 151", n)
	}
}
