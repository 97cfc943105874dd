package agreement

import (
	"encoding/base64"
	"testing"

	"truce/internal/wycheproof"
)

// Every Wycheproof Ed25519 vector gets its expected verdict from the check
// behind agreement signatures. VerifySignature verifies over SigningPrefix
// and the canonical document, so the vectors, made over their own messages,
// are run through the check it calls on that message.
func TestWycheproofEd25519(t *testing.T) {
	wycheproof.Check(t, verifyMessage)
}

// Through VerifySignature itself no vector verifies, valid ones included:
// each was made over its message alone, and an agreement signature covers
// SigningPrefix first. None makes it panic, whatever its lengths.
func TestWycheproofEd25519NotAgreements(t *testing.T) {
	for _, v := range wycheproof.Load(t) {
		if err := VerifySignature(v.Msg, v.Key, base64.StdEncoding.EncodeToString(v.Sig)); err == nil {
			t.Errorf("tcId %d: a signature over the bare message verified as an agreement signature", v.ID)
		}
	}
}
