package witness

import (
	"encoding/binary"
	"testing"

	"truce/internal/wycheproof"
)

// Every Wycheproof Ed25519 vector gets its expected verdict from the check
// behind cosignatures. CosignatureVerifier.Verify verifies over the cosigned
// message (the "cosignature/v1" header, the timestamp and the checkpoint),
// so the vectors, made over their own messages, are run through the check
// it calls on that message.
func TestWycheproofEd25519(t *testing.T) {
	wycheproof.Check(t, verifyEd25519)
}

// Through Verify itself no vector verifies, valid ones included: each was
// made over its message alone, not over a cosigned message. None makes it
// panic, whatever its lengths.
func TestWycheproofEd25519NotCosignatures(t *testing.T) {
	for _, v := range wycheproof.Load(t) {
		cv := &CosignatureVerifier{name: "wycheproof", pub: v.Key}
		sig := binary.BigEndian.AppendUint64(nil, 1700000000)
		if cv.Verify(v.Msg, append(sig, v.Sig...)) {
			t.Errorf("tcId %d: a signature over the bare message verified as a cosignature", v.ID)
		}
	}
}
