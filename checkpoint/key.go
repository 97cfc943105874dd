package checkpoint

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"truce/internal/keyfile"
)

// Key is what signs a log's checkpoints: a note signer whose name is the
// log's origin, and which can say its verifier key (the public half, in
// note format, served at /log/key and written into the parties' trust
// file). The default is a key kept in a file (LoadKeyFile, CreateKeyFile).
// A deployment that keeps the key in an HSM or a KMS implements Key over
// it: Sign hands the message to the device for an ed25519 signature,
// KeyHash and VerifierKey are computed once from its public key
// (note.NewEd25519VerifierKey), and the centre is given it as
// centre.Options.CheckpointKey.
type Key interface {
	note.Signer
	VerifierKey() string
}

// fileKey is a Key held in memory, read from a file or from a note signer
// key string.
type fileKey struct {
	note.Signer
	vkey string
}

func (k fileKey) VerifierKey() string { return k.vkey }

// ParseKey reads a checkpoint signing key in the note format
// ("PRIVATE+KEY+<origin>+<hash>+<base64>", as NewKey makes it).
func ParseKey(skey string) (Key, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	// The verifier key is derived from the private key's seed: note keeps
	// the public half to itself.
	// ("PRIVATE+KEY+name+hash+" and the key, whose base64 may hold "+").
	fields := strings.SplitN(skey, "+", 5)
	raw, err := base64.StdEncoding.DecodeString(fields[len(fields)-1])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("checkpoint key: not an ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	if v, err := note.NewVerifier(vkey); err != nil || v.KeyHash() != s.KeyHash() {
		return nil, errors.New("checkpoint key: its verifier key does not match it")
	}
	return fileKey{Signer: s, vkey: vkey}, nil
}

// LoadKeyFile reads the checkpoint key from a key file. A missing file is
// an error wrapping fs.ErrNotExist; a file its group or others may read
// is refused.
func LoadKeyFile(path string) (Key, error) {
	raw, err := keyfile.Read(path)
	if err != nil {
		return nil, err
	}
	k, err := ParseKey(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// WriteKeyFile writes the checkpoint signing key skey to a new key file,
// mode 0600. It never replaces a file (the error then wraps fs.ErrExist).
func WriteKeyFile(path, skey string) error {
	if _, err := ParseKey(skey); err != nil {
		return err
	}
	return keyfile.Create(path, []byte(skey+"\n"))
}

// CreateKeyFile makes a new checkpoint key for origin in a new key file,
// mode 0600. Should the file exist already (another process made it
// first), the key in it is returned instead, if it is one for origin.
func CreateKeyFile(path, origin string) (Key, error) {
	skey, _, err := NewKey(origin)
	if err != nil {
		return nil, err
	}
	if err := WriteKeyFile(path, skey); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	k, err := LoadKeyFile(path)
	if err != nil {
		return nil, err
	}
	if k.Name() != origin {
		return nil, fmt.Errorf("%s holds the key of %q, not of %q", path, k.Name(), origin)
	}
	return k, nil
}

// NewSignerFor makes a checkpoint Signer over any note signer, such as a
// Key.
func NewSignerFor(s note.Signer) *Signer { return &Signer{s: s} }
