package checkpoint

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The verifier key a Key gives is the one NewKey made with it.
func TestParseKey(t *testing.T) {
	skey, vkey, err := NewKey("truce.invalid/test")
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	if k.VerifierKey() != vkey || k.Name() != "truce.invalid/test" {
		t.Fatalf("verifier key %q, want %q", k.VerifierKey(), vkey)
	}
	v, _ := note.NewVerifier(vkey)
	signed, err := NewSignerFor(k).Sign(Checkpoint{Origin: k.Name(), Size: 1, Root: tlog.RecordHash([]byte("x"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(signed, v); err != nil {
		t.Fatal(err)
	}
	// Keys whose base64 holds "+" too (about one in two).
	for range 64 {
		skey, vkey, _ := NewKey("truce.invalid/test")
		if k, err := ParseKey(skey); err != nil || k.VerifierKey() != vkey {
			t.Fatalf("%s: %v", skey, err)
		}
	}
	for _, bad := range []string{"", vkey, strings.Replace(skey, "PRIVATE+KEY", "PRIVATE+KEX", 1)} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) took it", bad)
		}
	}
}

// A key file is made 0600, never replaced, and refused once its group or
// others may read it.
func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "log.key")
	if _, err := LoadKeyFile(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing key file: %v", err)
	}
	k, err := CreateKeyFile(path, "truce.invalid/a")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v, want 0600", fi.Mode(), err)
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Fatalf("key directory mode %v, want 0700", di.Mode())
	}
	again, err := CreateKeyFile(path, "truce.invalid/a")
	if err != nil || again.VerifierKey() != k.VerifierKey() {
		t.Fatalf("a second create replaced the key: %v", err)
	}
	if _, err := CreateKeyFile(path, "truce.invalid/b"); err == nil {
		t.Fatal("a key file of another origin was taken")
	}
	skey, _, _ := NewKey("truce.invalid/a")
	if err := WriteKeyFile(path, skey); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("overwrote the key file: %v", err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		os.Chmod(path, mode)
		if _, err := LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: %v, want a refusal", mode, err)
		}
	}
	os.Chmod(path, 0o400)
	if got, err := LoadKeyFile(path); err != nil || got.VerifierKey() != k.VerifierKey() {
		t.Fatalf("read-only key file: %v", err)
	}
}
