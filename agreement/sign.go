package agreement

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"slices"

	"truce/ledger"
)

// SigningPrefix separates agreement signatures from every other use of a
// member's key: a signed statement can never pass for a signed agreement.
const SigningPrefix = "truce/agreement/v1\n"

// Signature is one party's signature over a document's canonical encoding.
type Signature struct {
	Party  string `json:"party"`
	Member string `json:"member"`
	Key    string `json:"key"`       // base64 ed25519 public key
	Sig    string `json:"signature"` // base64, over SigningPrefix + canonical document
	At     string `json:"at,omitempty"`
	Seq    uint64 `json:"seq,omitempty"` // the ledger statement that recorded it
}

// Message is what a signature covers.
func Message(canonical []byte) []byte {
	return append([]byte(SigningPrefix), canonical...)
}

// SignDocument signs d with key.
func SignDocument(d *Document, key ed25519.PrivateKey) (string, error) {
	c, err := d.Canonical()
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(ed25519.Sign(key, Message(c))), nil
}

// VerifySignature checks sig over the canonical encoding c under key.
func VerifySignature(c []byte, key ed25519.PublicKey, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return ledger.Invalid("signature", "must be a base64 ed25519 signature")
	}
	if !verifyMessage(key, Message(c), raw) {
		return ledger.Invalid("signature", "does not verify over this document: it was made over different bytes or with another key")
	}
	return nil
}

// verifyMessage is the ed25519 check behind every agreement signature, over
// the whole signed message (SigningPrefix and the canonical document):
// RFC 8032 verification as crypto/ed25519 implements it, which refuses
// non-canonical S. The lengths are checked first, as ed25519.Verify panics
// on a key of the wrong length. The Wycheproof vectors pin its verdicts.
func verifyMessage(key ed25519.PublicKey, msg, sig []byte) bool {
	return len(key) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize && ed25519.Verify(key, msg, sig)
}

// DecodeKey reads a base64 ed25519 public key.
func DecodeKey(field, s string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, ledger.Invalid(field, "must be a base64 ed25519 public key")
	}
	return raw, nil
}

// File is a signed agreement as exported for offline checking: the
// document and every signature recorded for it.
type File struct {
	Agreement  Document    `json:"agreement"`
	Digest     string      `json:"digest"`
	Signatures []Signature `json:"signatures"`
}

// Verdict is the result of checking a file offline.
type Verdict struct {
	Digest   string   `json:"digest"`
	Signed   []string `json:"signed"`   // signing parties with a valid signature
	Missing  []string `json:"missing"`  // signing parties without one
	Complete bool     `json:"complete"` // the signing rule is met
}

// VerifyFile checks every signature of f over the canonical encoding of its
// document. One key counts once: a second signature by the same key, under
// whatever member or party, is an error, as is any signature that does not
// verify or a party that is not required.
func VerifyFile(f *File) (*Verdict, error) {
	if err := f.Agreement.Validate(); err != nil {
		return nil, ledger.Within("agreement", err)
	}
	c, err := f.Agreement.Canonical()
	if err != nil {
		return nil, err
	}
	digest, _ := f.Agreement.Digest()
	if f.Digest != "" && f.Digest != digest {
		return nil, ledger.Invalid("digest", "is %s, but the document's canonical encoding hashes to %s", f.Digest, digest)
	}
	v := &Verdict{Digest: digest}
	var seen [][]byte
	signed := map[string]bool{}
	for i, s := range f.Signatures {
		field := fmt.Sprintf("signatures[%d]", i)
		key, err := DecodeKey(field+".key", s.Key)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(seen, func(k []byte) bool { return bytes.Equal(k, key) }) {
			return nil, ledger.Invalid(field+".key", "a second signature by the same key: one key counts once")
		}
		seen = append(seen, key)
		if !slices.Contains(f.Agreement.Signers(), s.Party) {
			return nil, ledger.Invalid(field+".party", "%q is not a party required to sign", s.Party)
		}
		if err := VerifySignature(c, key, s.Sig); err != nil {
			return nil, ledger.Within(field, err)
		}
		signed[s.Party] = true
	}
	for _, p := range f.Agreement.Signers() {
		if signed[p] {
			v.Signed = append(v.Signed, p)
		} else {
			v.Missing = append(v.Missing, p)
		}
	}
	// Under a k-of-n rule, a party may be missing and the file complete.
	v.Complete = f.Agreement.Complete(v.Signed)
	return v, nil
}
