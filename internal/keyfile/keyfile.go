// Package keyfile reads and creates the centre's secret files: the log's
// checkpoint key and the key that seals member keys. Such a file is its
// owner's alone (mode 0600), is created once and never overwritten, and is
// refused when its group or others may read or write it.
package keyfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Read returns the contents of the key file at path. A missing file is an
// error that wraps fs.ErrNotExist; one that its group or others may read
// or write is refused.
func Read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("key file %s is open to its group or others (mode %04o): it must be its owner's alone (chmod 600 %s)", path, perm, path)
	}
	// A key file is small: a few hundred bytes at most.
	return io.ReadAll(io.LimitReader(f, 1<<16))
}

// Create writes a new key file at path, mode 0600, making its directory
// (mode 0700) if needed. It never replaces a file: should one exist, the
// error wraps fs.ErrExist. The file and its directory are synced, so a key
// that signed something is not lost to a crash.
func Create(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("key directory: %w", err)
	}
	// Written under a temporary name and linked into place: a crash
	// never leaves a half-written key file at path.
	tmp, err := os.CreateTemp(dir, ".tmp-key-*")
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("key file %s: %w", path, fs.ErrExist)
		}
		// A file system without hard links: create the file in place.
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("key file: %w", err)
		}
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return fmt.Errorf("key file: %w", err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
