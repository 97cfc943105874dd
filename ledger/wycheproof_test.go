package ledger

import (
	"testing"

	"truce/internal/wycheproof"
)

// Every Wycheproof Ed25519 vector gets its expected verdict from the
// verifier behind statement signatures.
func TestWycheproofEd25519(t *testing.T) {
	vs := wycheproof.Load(t)
	for _, v := range vs {
		if got := VerifySignature(v.Key, v.Msg, v.Sig); got != v.WantsValid {
			t.Errorf("tcId %d: verdict %v, want valid=%v", v.ID, got, v.WantsValid)
		}
	}
	if len(vs) != 151 {
		t.Fatalf("%d vectors, want 151", len(vs))
	}
}
