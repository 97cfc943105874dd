// Package blobs stores evidence files unmodified, addressed by their SHA-256,
// in a directory tree (sha256/ab/abcdef…). A file is written to a temporary
// name, synced, and renamed into place, so a stored blob is always whole.
package blobs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrTooLarge is returned when a blob exceeds the store's limit.
var ErrTooLarge = errors.New("file too large")

// Store is a directory of blobs.
type Store struct {
	dir   string
	limit int64

	mu      sync.Mutex
	uploads map[string]map[string]Upload // sha256 → member → upload; nil until first needed
	track   bool                         // uploads are recorded: remember what was opened, for the sweeper
	opened  map[string]time.Time
}

// Open opens (creating) a blob directory; limit bounds one file's size.
func Open(dir string, limit int64) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "sha256"), 0o750); err != nil {
		return nil, fmt.Errorf("create blob directory: %w", err)
	}
	return &Store{dir: dir, limit: limit}, nil
}

// Path is where the blob with the given hex SHA-256 lives.
func (s *Store) Path(sha string) string {
	if len(sha) < 2 {
		return filepath.Join(s.dir, "sha256", "invalid")
	}
	return filepath.Join(s.dir, "sha256", sha[:2], sha)
}

// Put stores r and returns its SHA-256 (lower-case hex) and size.
func (s *Store) Put(r io.Reader) (string, int64, error) {
	return s.put(r, s.limit, nil)
}

// put stores at most limit bytes of r; before, if set, runs once the
// digest is known and before the blob is visible, under s.mu.
func (s *Store) put(r io.Reader, limit int64, before func(sha string, n int64) error) (string, int64, error) {
	tmp, err := os.CreateTemp(s.dir, "upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("create upload file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err != nil {
		return "", 0, fmt.Errorf("receive upload: %w", err)
	}
	if n > limit {
		return "", 0, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("sync upload: %w", err)
	}
	sha := hex.EncodeToString(h.Sum(nil))
	dst := s.Path(sha)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", 0, err
	}
	if stored, err := s.place(tmp.Name(), dst, sha, n, before); err != nil || stored {
		return sha, n, err
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		d.Sync()
		d.Close()
	}
	return sha, n, nil
}

// place runs before and renames tmp to dst, unless dst exists (stored).
// Under s.mu, so that the sweeper sees both or neither.
func (s *Store) place(tmp, dst, sha string, n int64, before func(string, int64) error) (stored bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if before != nil {
		if err := before(sha, n); err != nil {
			return false, err
		}
	}
	if _, err := os.Stat(dst); err == nil {
		return true, nil // already stored: content addressing makes this idempotent
	}
	if err := os.Rename(tmp, dst); err != nil {
		return false, fmt.Errorf("store blob %s: %w", sha, err)
	}
	return false, nil
}

// Open opens the blob sha for reading.
func (s *Store) Open(sha string) (*os.File, error) {
	if b, err := hex.DecodeString(sha); err != nil || len(b) != sha256.Size {
		return nil, os.ErrNotExist
	}
	s.mu.Lock()
	if s.track {
		if s.opened == nil {
			s.opened = map[string]time.Time{}
		}
		s.opened[sha] = time.Now()
	}
	s.mu.Unlock()
	return os.Open(s.Path(sha))
}

// Has reports whether the blob is stored.
func (s *Store) Has(sha string) bool {
	f, err := s.Open(sha)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
