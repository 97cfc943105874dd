// Package checkpoint holds the signed commitments to the ledger's Merkle
// tree: checkpoints in the C2SP tlog-checkpoint format, signed as C2SP
// signed notes by a key that signs nothing else.
package checkpoint

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a log's size and root hash under its origin.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Body is the checkpoint text that is signed:
// "<origin>\n<size>\n<base64 root>\n".
func (c Checkpoint) Body() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// Parse reads a checkpoint body (the text of a note, without signatures).
func Parse(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return Checkpoint{}, errors.New("checkpoint: want origin, size and root hash lines, each ending in a newline")
	}
	origin := lines[0]
	if origin == "" {
		return Checkpoint{}, errors.New("checkpoint: empty origin")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad tree size %q", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize || base64.StdEncoding.EncodeToString(raw) != lines[2] {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad root hash %q", lines[2])
	}
	var c Checkpoint
	c.Origin, c.Size = origin, size
	copy(c.Root[:], raw)
	return c, nil
}

// NewKey makes a checkpoint signing key for origin: the key's name is the
// origin, as C2SP tlog-checkpoint recommends. It returns the note signer and
// verifier key strings.
func NewKey(origin string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, origin)
}

// Signer signs checkpoints, and only checkpoints: it takes a Checkpoint,
// never arbitrary text.
type Signer struct{ s note.Signer }

// NewSigner wraps a note signer key.
func NewSigner(skey string) (*Signer, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint signer: %w", err)
	}
	return &Signer{s: s}, nil
}

// Sign returns the signed note of c.
func (s *Signer) Sign(c Checkpoint) ([]byte, error) {
	if c.Origin != s.s.Name() {
		return nil, fmt.Errorf("checkpoint for %q cannot be signed by the key of %q", c.Origin, s.s.Name())
	}
	return note.Sign(&note.Note{Text: c.Body()}, s.s)
}

// Open verifies a signed checkpoint against the log's verifier key (and any
// further known keys, such as witnesses') and parses it.
func Open(signed []byte, verifiers ...note.Verifier) (Checkpoint, *note.Note, error) {
	n, err := note.Open(signed, note.VerifierList(verifiers...))
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("checkpoint signature: %w", err)
	}
	c, err := Parse(n.Text)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if len(verifiers) > 0 && c.Origin != verifiers[0].Name() {
		return Checkpoint{}, nil, fmt.Errorf("checkpoint origin %q is not the log's (%q)", c.Origin, verifiers[0].Name())
	}
	return c, n, nil
}

// SplitViewError is proof that a log showed two histories: two checkpoints
// signed by its key that cannot both describe one append-only log. Anyone
// holding it can show the operator equivocated.
type SplitViewError struct {
	First, Second []byte      // the two signed checkpoints
	Proof         []tlog.Hash // the consistency proof that failed, if any
	Reason        string
}

func (e *SplitViewError) Error() string {
	return "split view: " + e.Reason + "\n--- first checkpoint ---\n" + string(e.First) + "--- second checkpoint ---\n" + string(e.Second)
}

// Follower is a client's memory of a log: the latest checkpoint it has
// accepted. Each new checkpoint must extend it.
type Follower struct {
	v          note.Verifier
	last       *Checkpoint
	lastSigned []byte
}

// NewFollower follows the log whose checkpoints v verifies.
func NewFollower(v note.Verifier) *Follower { return &Follower{v: v} }

// Observe checks a newly seen checkpoint against the last one, with a
// consistency proof from the last size to the new. A fork or a rollback is
// a *SplitViewError carrying both checkpoints.
func (f *Follower) Observe(signed []byte, proof []tlog.Hash) error {
	c, _, err := Open(signed, f.v)
	if err != nil {
		return err
	}
	if f.last != nil {
		split := func(reason string) error {
			return &SplitViewError{First: f.lastSigned, Second: signed, Proof: proof, Reason: reason}
		}
		switch {
		case c.Size == f.last.Size && c.Root != f.last.Root:
			return split(fmt.Sprintf("two different trees of size %d", c.Size))
		case c.Size < f.last.Size:
			return split(fmt.Sprintf("a checkpoint of size %d after one of size %d", c.Size, f.last.Size))
		case c.Size > f.last.Size:
			if err := tlog.CheckTree(proof, c.Size, c.Root, f.last.Size, f.last.Root); err != nil {
				return split(fmt.Sprintf("the tree of size %d does not extend the tree of size %d: %v", c.Size, f.last.Size, err))
			}
		}
	}
	f.last, f.lastSigned = &c, signed
	return nil
}
