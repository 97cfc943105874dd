package centre

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"truce/internal/keyfile"
	"truce/party"
)

// Secrets seal the member keys the centre holds (party.Credentials
// PrivateKey) under a key-encryption key that is kept outside the store:
// AES-256-GCM, with the member's ID as associated data, so a sealed key
// opens only in its own member's row.
type Secrets struct {
	aead cipher.AEAD
	// projection is the key that seals projection rows, derived from the
	// same key-encryption key (so one secret, kept off the disk, covers both).
	projection []byte
}

// ErrSecrets is wrapped by every refusal to sign for want of the right
// key-encryption key.
var ErrSecrets = errors.New("the centre cannot open the member keys it holds")

// sealedPrefix starts every sealed key; an unsealed ed25519 private key is
// 64 bytes with no such prefix (stores made before keys were sealed).
const sealedPrefix = "truce-sealed-1:"

// NewSecrets takes a 32-byte key-encryption key.
func NewSecrets(kek []byte) (*Secrets, error) {
	if len(kek) != 32 {
		return nil, fmt.Errorf("a secrets key is 32 bytes, not %d", len(kek))
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, kek)
	m.Write([]byte("truce projection seal v1"))
	return &Secrets{aead: aead, projection: m.Sum(nil)}, nil
}

// ParseSecrets reads a key-encryption key as written in a secrets file or
// in TRUCE_SECRETS_KEY: 32 bytes in standard base64.
func ParseSecrets(text string) (*Secrets, error) {
	kek, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, errors.New("a secrets key is 32 bytes in standard base64")
	}
	return NewSecrets(kek)
}

// LoadSecrets reads a secrets file. A missing file is an error wrapping
// fs.ErrNotExist; one its group or others may read is refused.
func LoadSecrets(path string) (*Secrets, error) {
	raw, err := keyfile.Read(path)
	if err != nil {
		return nil, err
	}
	s, err := ParseSecrets(string(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// CreateSecrets makes a new key-encryption key in a new secrets file
// (mode 0600). Should the file exist already, the key in it is returned.
func CreateSecrets(path string) (*Secrets, error) {
	kek := make([]byte, 32)
	rand.Read(kek)
	if err := keyfile.Create(path, []byte(base64.StdEncoding.EncodeToString(kek)+"\n")); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return LoadSecrets(path)
}

func sealingAD(member string) []byte { return []byte("truce member key\x00" + member) }

// Seal encrypts member's private key.
func (s *Secrets) Seal(member string, key ed25519.PrivateKey) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	out := append([]byte(sealedPrefix), nonce...)
	return s.aead.Seal(out, nonce, key, sealingAD(member))
}

// Open decrypts member's sealed private key. It fails on a key sealed
// under another key-encryption key, or for another member.
func (s *Secrets) Open(member string, sealed []byte) (ed25519.PrivateKey, error) {
	rest, ok := bytes.CutPrefix(sealed, []byte(sealedPrefix))
	if !ok || len(rest) < s.aead.NonceSize() {
		return nil, errors.New("not a sealed key")
	}
	nonce, ct := rest[:s.aead.NonceSize()], rest[s.aead.NonceSize():]
	key, err := s.aead.Open(nil, nonce, ct, sealingAD(member))
	if err != nil {
		return nil, fmt.Errorf("the key of %s does not open under this secrets key (another key sealed it, or it belongs to another member)", member)
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("the key of %s is not an ed25519 private key", member)
	}
	return ed25519.PrivateKey(key), nil
}

// IsSealed reports whether a stored private key is sealed.
func IsSealed(stored []byte) bool { return bytes.HasPrefix(stored, []byte(sealedPrefix)) }

// openSecrets sets up the key-encryption key and seals whatever member
// keys the store still holds in the clear. It fails only when the key may
// not be used at all (a secrets file open to others); a missing or wrong
// key leaves the centre running, refusing to sign for members (c.sealErr).
func (c *Centre) openSecrets(ctx context.Context, opt Options, moved *bool) error {
	held, err := c.Store.HeldKeys(ctx)
	if err != nil {
		return err
	}
	var sealed, clear []party.Credentials
	for _, cr := range held {
		if IsSealed(cr.PrivateKey) {
			sealed = append(sealed, cr)
		} else {
			clear = append(clear, cr)
		}
	}
	// Errors name where the key comes from: the file, and the flag or
	// environment variable that chose it.
	flag := opt.SecretsFlag
	if flag == "" {
		flag = "Options.SecretsFile"
	}
	from := flag
	switch {
	case opt.Secrets != nil:
		c.secrets = opt.Secrets
	case opt.SecretsFile != "":
		from = opt.SecretsFile + " (" + flag + ")"
		s, err := LoadSecrets(opt.SecretsFile)
		switch {
		case errors.Is(err, fs.ErrNotExist) && len(sealed) > 0:
			c.sealErr = fmt.Errorf("%w: the secrets file %s is missing, and the store holds %d member keys sealed under the key it held: restore it, or give its place with %s",
				ErrSecrets, opt.SecretsFile, len(sealed), flag)
		case errors.Is(err, fs.ErrNotExist):
			if s, err = CreateSecrets(opt.SecretsFile); err != nil {
				return fmt.Errorf("%s: %w", flag, err)
			}
			slog.Info("made a new key to seal the member keys the centre holds", "file", opt.SecretsFile)
		case err != nil:
			return fmt.Errorf("%s: %w", flag, err)
		}
		c.secrets = s
	default:
		if len(sealed) > 0 {
			c.sealErr = fmt.Errorf("%w: no secrets key is configured, and the store holds %d sealed member keys", ErrSecrets, len(sealed))
		} else {
			// No key configured (tests): one for this process alone.
			kek := make([]byte, 32)
			rand.Read(kek)
			c.secrets, _ = NewSecrets(kek)
		}
	}
	if c.sealErr == nil && len(sealed) > 0 {
		if _, err := c.secrets.Open(sealed[0].Member, sealed[0].PrivateKey); err != nil {
			c.sealErr = fmt.Errorf("%w: the member keys in the store were sealed under another key than the one in %s", ErrSecrets, from)
		}
	}
	if c.secrets != nil {
		c.projectionKey = c.secrets.projection
	}
	if c.sealErr != nil {
		c.secrets = nil
		slog.Error("the centre will not sign for members whose keys it holds; it serves reads and statements members sign themselves", "err", c.sealErr)
		if len(clear) > 0 {
			slog.Error("member keys stay unsealed in the store until the right secrets key is given", "members", len(clear))
		}
		return nil
	}
	if len(clear) == 0 {
		return nil
	}
	for _, cr := range clear {
		if len(cr.PrivateKey) != ed25519.PrivateKeySize {
			return fmt.Errorf("the stored key of %s is neither sealed nor an ed25519 private key", cr.Member)
		}
		if err := c.Store.ReplaceHeldKey(ctx, cr.Member, cr.PrivateKey, c.secrets.Seal(cr.Member, cr.PrivateKey)); err != nil {
			return fmt.Errorf("seal the key of %s: %w", cr.Member, err)
		}
	}
	slog.Warn("sealed the member keys that the store held in the clear", "members", len(clear), "key", from)
	*moved = true
	return nil
}

// scrub has the store forget the bytes of rows it no longer holds (old
// keys), if it can.
func (c *Centre) scrub(ctx context.Context) {
	sc, ok := c.Store.(interface{ Scrub(context.Context) error })
	if !ok {
		return
	}
	if err := sc.Scrub(ctx); err != nil {
		slog.Error("the store could not overwrite the space that the keys it no longer holds took; its free pages may still hold them", "err", err)
	}
}

// seal seals a member's private key for the store; nil stays nil.
func (c *Centre) seal(member string, key ed25519.PrivateKey) ([]byte, error) {
	if key == nil {
		return nil, nil
	}
	if c.secrets == nil {
		return nil, c.sealErr
	}
	return c.secrets.Seal(member, key), nil
}

// HeldKey returns the private key the centre holds for member, opened; nil
// when the member holds its own. Tests sign with it as the member would.
func (c *Centre) HeldKey(ctx context.Context, member string) (ed25519.PrivateKey, error) {
	cred, err := c.Store.CredentialsOf(ctx, member)
	if err != nil || cred == nil || len(cred.PrivateKey) == 0 {
		return nil, err
	}
	return c.unseal(member, cred.PrivateKey)
}

// unseal opens a stored private key: sealed, or (in a store that could not
// yet be sealed) in the clear.
func (c *Centre) unseal(member string, stored []byte) (ed25519.PrivateKey, error) {
	if !IsSealed(stored) {
		if len(stored) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("the stored key of %s is neither sealed nor an ed25519 private key", member)
		}
		return ed25519.PrivateKey(stored), nil
	}
	if c.secrets == nil {
		return nil, c.sealErr
	}
	k, err := c.secrets.Open(member, stored)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecrets, err)
	}
	return k, nil
}
