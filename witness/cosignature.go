// Package witness is a C2SP tlog-witness: it follows logs' checkpoints,
// checks that each is consistent with the last one it saw, remembers that
// durably, and cosigns (C2SP tlog-cosignature). One witness per party lets
// every party know it is shown the same history as everyone else. The
// package also holds the witness policy a log applies to cosignatures.
package witness

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// algCosignatureV1 is the signature type of C2SP tlog-cosignature.
const algCosignatureV1 = 0x04

func keyHash(name string, alg byte, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write([]byte{alg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// cosignedMessage is what a cosignature signs.
func cosignedMessage(t uint64, checkpoint []byte) []byte {
	return append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), checkpoint...)
}

// Cosigner signs checkpoints as a witness, with a timestamp.
type Cosigner struct {
	name string
	key  ed25519.PrivateKey
	hash uint32
	now  func() time.Time
}

// Name implements note.Signer.
func (c *Cosigner) Name() string { return c.name }

// KeyHash implements note.Signer.
func (c *Cosigner) KeyHash() uint32 { return c.hash }

// Sign implements note.Signer: an 8-byte big-endian timestamp followed by
// the Ed25519 signature of the cosigned message.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	t := uint64(c.now().Unix())
	sig := ed25519.Sign(c.key, cosignedMessage(t, msg))
	out := make([]byte, 8, 8+len(sig))
	binary.BigEndian.PutUint64(out, t)
	return append(out, sig...), nil
}

// Public is the cosigner's verifier.
func (c *Cosigner) Public() *CosignatureVerifier {
	return &CosignatureVerifier{name: c.name, pub: c.key.Public().(ed25519.PublicKey), hash: c.hash}
}

// CosignatureVerifier checks a witness's cosignatures.
type CosignatureVerifier struct {
	name string
	pub  ed25519.PublicKey
	hash uint32
}

// Name implements note.Verifier.
func (v *CosignatureVerifier) Name() string { return v.name }

// KeyHash implements note.Verifier.
func (v *CosignatureVerifier) KeyHash() uint32 { return v.hash }

// Key is the witness's public key: the identity policies count.
func (v *CosignatureVerifier) Key() ed25519.PublicKey { return v.pub }

// Verify implements note.Verifier.
func (v *CosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	return verifyEd25519(v.pub, cosignedMessage(t, msg), sig[8:])
}

// verifyEd25519 is the ed25519 check behind every cosignature, over the
// cosigned message: RFC 8032 verification as crypto/ed25519 implements it,
// which refuses non-canonical S. The lengths are checked first, as
// ed25519.Verify panics on a key of the wrong length (a zero
// CosignatureVerifier has none). The Wycheproof vectors pin its verdicts.
func verifyEd25519(pub ed25519.PublicKey, msg, sig []byte) bool {
	return len(pub) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize && ed25519.Verify(pub, msg, sig)
}

// NewKeys makes a witness key pair, as note-style key strings:
// "PRIVATE+KEY+<name>+<hash>+<base64(0x04||seed)>" and
// "<name>+<hash>+<base64(0x04||public key)>".
func NewKeys(name string) (skey, vkey string, err error) {
	if name == "" || strings.ContainsAny(name, "+ \t\n") {
		return "", "", fmt.Errorf("witness name %q: no spaces or '+'", name)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	h := keyHash(name, algCosignatureV1, pub)
	enc := func(b []byte) string {
		return base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, b...))
	}
	return fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, h, enc(priv.Seed())), fmt.Sprintf("%s+%08x+%s", name, h, enc(pub)), nil
}

// NewCosigner reads a key made by NewKeys.
func NewCosigner(skey string) (*Cosigner, error) {
	rest, ok := strings.CutPrefix(skey, "PRIVATE+KEY+")
	if !ok {
		return nil, errors.New("witness key: not a private key")
	}
	name, raw, h, err := splitKey(rest)
	if err != nil || len(raw) != ed25519.SeedSize {
		return nil, fmt.Errorf("witness key: malformed (%v)", err)
	}
	key := ed25519.NewKeyFromSeed(raw)
	if keyHash(name, algCosignatureV1, key.Public().(ed25519.PublicKey)) != h {
		return nil, errors.New("witness key: the key hash does not match the key")
	}
	return &Cosigner{name: name, key: key, hash: h, now: time.Now}, nil
}

// NewVerifier reads a witness verifier key made by NewKeys.
func NewVerifier(vkey string) (*CosignatureVerifier, error) {
	name, raw, h, err := splitKey(vkey)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("witness verifier key %q: malformed (%v)", vkey, err)
	}
	if keyHash(name, algCosignatureV1, raw) != h {
		return nil, fmt.Errorf("witness verifier key %q: the key hash does not match the key", vkey)
	}
	return &CosignatureVerifier{name: name, pub: raw, hash: h}, nil
}

func splitKey(s string) (name string, key []byte, hash uint32, err error) {
	parts := strings.SplitN(s, "+", 3) // base64 may itself contain '+'
	if len(parts) != 3 {
		return "", nil, 0, errors.New("want name+hash+key")
	}
	h, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil || len(parts[1]) != 8 {
		return "", nil, 0, errors.New("bad key hash")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < 1 || raw[0] != algCosignatureV1 {
		return "", nil, 0, errors.New("not a cosignature/v1 key")
	}
	return parts[0], raw[1:], uint32(h), nil
}

// signatureLines extracts the signature lines of a signed note.
func signatureLines(signed []byte) []string {
	_, sigs, ok := strings.Cut(string(signed), "\n\n")
	if !ok {
		return nil
	}
	var out []string
	for _, l := range strings.Split(sigs, "\n") {
		if strings.HasPrefix(l, "— ") {
			out = append(out, l)
		}
	}
	return out
}

var _ note.Signer = (*Cosigner)(nil)
var _ note.Verifier = (*CosignatureVerifier)(nil)
