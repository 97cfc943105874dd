// Package ledger holds the statement: the one unit of change in truce. Every
// change to the centre's record is a statement — who (member, party), what
// (typed payload), when — signed with ed25519 over a canonical encoding and
// appended to a single append-only log. Everything else is folded from it.
package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// SignaturePrefix separates statement signatures from every other use of a
// member's key: the signed message is SignaturePrefix followed by the
// canonical statement bytes.
const SignaturePrefix = "truce/statement/v1\n"

// TimeLayout is the only accepted spelling of a statement time: UTC with
// milliseconds, so that a time has exactly one canonical encoding.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Statement is what an author says. It is signed as its canonical JSON.
type Statement struct {
	Type    string          `json:"type"`
	Party   string          `json:"party"`
	Author  string          `json:"author"`
	Time    time.Time       `json:"-"`
	Payload json.RawMessage `json:"payload"`
	// Nonce makes two statements with the same content and millisecond
	// distinct. The centre sets one on every statement it signs; a client
	// that retries the identical signed statement gets a conflict, not a
	// second copy. Empty means none: the statement then has no "nonce"
	// member at all (see NoncePattern).
	Nonce string `json:"nonce,omitempty"`
}

// wire is the JSON shape of a Statement.
type wire struct {
	V       int             `json:"v"`
	Type    string          `json:"type"`
	Party   string          `json:"party"`
	Author  string          `json:"author"`
	Time    string          `json:"time"`
	Payload json.RawMessage `json:"payload"`
	Nonce   string          `json:"nonce,omitempty"`
}

var (
	typePattern = regexp.MustCompile(`^[a-z]+(\.[a-z_]+)+$`)
	// IDPattern is the form of party and member identifiers.
	IDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	// NoncePattern is the form of a nonce: 16 to 64 characters of the
	// URL-safe base64 alphabet, so unpadded base64url (or hex) of random
	// bytes; 16 characters of base64url carry 96 bits. A nonce is either
	// absent or matches: "nonce": "" would be a second spelling, and a
	// second leaf hash, of a statement without one.
	NoncePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)
)

// Encode returns the canonical bytes of st.
func (st Statement) Encode() ([]byte, error) {
	if err := st.validate(); err != nil {
		return nil, err
	}
	payload := st.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("{}")
	}
	body, err := CanonicalValue(wire{V: 1, Type: st.Type, Party: st.Party, Author: st.Author,
		Time: st.Time.UTC().Format(TimeLayout), Payload: payload, Nonce: st.Nonce})
	if err != nil {
		return nil, err
	}
	if err := bodyText(body); err != nil {
		return nil, err
	}
	return body, nil
}

func (st Statement) validate() error {
	if !typePattern.MatchString(st.Type) {
		return Invalid("statement.type", "must look like \"incident.report\"")
	}
	if !IDPattern.MatchString(st.Party) {
		return Invalid("statement.party", "must match %s", IDPattern)
	}
	if !IDPattern.MatchString(st.Author) {
		return Invalid("statement.author", "must match %s", IDPattern)
	}
	if st.Time.IsZero() {
		return Invalid("statement.time", "is required")
	}
	if st.Nonce != "" && !NoncePattern.MatchString(st.Nonce) {
		return Invalid("statement.nonce", "must be 16 to 64 characters of A-Z, a-z, 0-9, '-' and '_' (base64url of random bytes), or be left out")
	}
	return nil
}

// ParseStatement reads a statement from its JSON form (canonical or not)
// and returns it with its canonical bytes.
func ParseStatement(doc []byte) (Statement, []byte, error) {
	canon, err := Canonical(doc)
	if err != nil {
		return Statement{}, nil, Within("statement", err)
	}
	st, err := statementFrom(canon)
	if err != nil {
		return Statement{}, nil, err
	}
	return st, canon, nil
}

// ParseStored reads a statement from bytes the ledger already holds, which
// were canonical when appended; it skips re-canonicalisation. Audits, which
// trust nothing, use ParseStatement.
func ParseStored(body []byte) (Statement, error) {
	var w wire
	if err := json.Unmarshal(body, &w); err != nil {
		return Statement{}, fmt.Errorf("stored statement: %w", err)
	}
	t, err := time.Parse(TimeLayout, w.Time)
	if err != nil {
		return Statement{}, fmt.Errorf("stored statement time: %w", err)
	}
	return Statement{Type: w.Type, Party: w.Party, Author: w.Author, Time: t, Payload: w.Payload, Nonce: w.Nonce}, nil
}

// Signed is a statement with its signature, as it stands in the ledger.
type Signed struct {
	Statement Statement
	Body      []byte // canonical bytes of Statement
	Sig       []byte // ed25519 over SignaturePrefix+Body
	Seq       uint64 // position in the ledger, set when appended (0-based)
	// Key is the public key the signature was verified against; nil until
	// Verify succeeds. The fold refuses statements whose Key is not the
	// author's current key, so nothing unverified reaches the ledger.
	Key ed25519.PublicKey
}

// NewNonce returns a fresh random nonce: 16 random bytes in unpadded
// base64url (22 characters).
func NewNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Sign signs st with key.
func Sign(st Statement, key ed25519.PrivateKey) (*Signed, error) {
	body, err := st.Encode()
	if err != nil {
		return nil, err
	}
	msg := append([]byte(SignaturePrefix), body...)
	// The statement kept is the one signed: its time as the canonical form
	// writes it (milliseconds, UTC), so that folding it in this process and
	// folding its bytes again agree.
	st.Time = st.Time.UTC().Truncate(time.Millisecond)
	return &Signed{Statement: st, Body: body, Sig: ed25519.Sign(key, msg), Key: key.Public().(ed25519.PublicKey)}, nil
}

// Verify checks the signature against pub and, if it holds, records pub as Key.
func (s *Signed) Verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize || len(s.Sig) != ed25519.SignatureSize {
		return Invalid("signature", "malformed key or signature")
	}
	msg := make([]byte, 0, len(SignaturePrefix)+len(s.Body))
	msg = append(append(msg, SignaturePrefix...), s.Body...)
	if !VerifySignature(pub, msg, s.Sig) {
		return Invalid("signature", "does not verify against the author's key")
	}
	s.Key = pub
	return nil
}

// VerifySignature is the one ed25519 check behind every statement
// signature: RFC 8032 verification as crypto/ed25519 implements it (it
// refuses non-canonical S and wrong lengths; the Wycheproof vectors pin
// its verdicts).
func VerifySignature(pub ed25519.PublicKey, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, msg, sig)
}

// Leaf is the entry as committed to the log: the canonical JSON object
// {"sig":"<base64>","statement":<body>}. Its RFC 6962 leaf hash binds both.
func (s *Signed) Leaf() []byte {
	sig := base64.StdEncoding.EncodeToString(s.Sig)
	out := make([]byte, 0, len(s.Body)+len(sig)+24)
	out = append(out, `{"sig":"`...)
	out = append(out, sig...)
	out = append(out, `","statement":`...)
	out = append(out, s.Body...)
	return append(out, '}')
}

// LeafHash is the RFC 6962 leaf hash SHA-256(0x00 || Leaf()).
func (s *Signed) LeafHash() [32]byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(s.Leaf())
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Envelope is the JSON form in which a client submits a signed statement.
type Envelope struct {
	Statement json.RawMessage `json:"statement"`
	Signature string          `json:"signature"` // base64 (standard) ed25519
}

// Seal is the envelope a client sends for s (OpenEnvelope reads it).
func (s *Signed) Seal() Envelope {
	return Envelope{Statement: s.Body, Signature: base64.StdEncoding.EncodeToString(s.Sig)}
}
