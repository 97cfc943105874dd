package ledger

import (
	"testing"

	"truce/internal/wycheproof"
)

// Every Wycheproof Ed25519 vector gets its expected verdict from the
// verifier behind statement signatures.
func TestWycheproofEd25519(t *testing.T) {
	wycheproof.Check(t, VerifySignature)
}
