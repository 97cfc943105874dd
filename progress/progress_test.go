package progress_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"truce/progress"
)

func TestReaderReportsSizeAndProgress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	os.WriteFile(path, []byte(strings.Repeat("x", 10000)), 0o600)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var last, total int64
	calls := 0
	n, err := io.Copy(io.Discard, progress.Reader(f, func(done, of int64) { last, total, calls = done, of, calls+1 }))
	if err != nil || n != 10000 || last != 10000 || total != 10000 || calls == 0 {
		t.Fatalf("copied %d (%v); last report %d of %d after %d calls", n, err, last, total, calls)
	}
	// A pipe cannot tell its size.
	pr, pw := io.Pipe()
	go func() { pw.Write([]byte("abc")); pw.Close() }()
	io.Copy(io.Discard, progress.Reader(pr, func(done, of int64) { last, total = done, of }))
	if last != 3 || total != -1 {
		t.Fatalf("pipe: %d of %d", last, total)
	}
}
