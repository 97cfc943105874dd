package checkpoint

import (
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"truce/internal/wycheproof"
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
	vs := wycheproof.Load(t)
	for _, tc := range vs {
		vkey, err := note.NewEd25519VerifierKey("wycheproof", tc.Key)
		if err != nil {
			t.Fatal(err)
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Verify(tc.Msg, tc.Sig); got != tc.WantsValid {
			t.Errorf("tcId %d: verdict %v, want valid=%v", tc.ID, got, tc.WantsValid)
		}
	}
	if len(vs) != 151 {
		t.Fatalf("%d vectors, want 151", len(vs))
	}
}
