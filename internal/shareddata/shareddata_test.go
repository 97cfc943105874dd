package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Where the data sets are: TRUCE_SHARED_DATA when set, else ../shared/data
// from the repository's root.
func TestFind(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(DirEnv, dir)
	if got, err := Find(); err != nil || got != dir {
		t.Fatalf("Find with %s=%s: %q, %v", DirEnv, dir, got, err)
	}
	t.Setenv(DirEnv, filepath.Join(dir, "nothing-here"))
	if _, err := Find(); err == nil || !strings.Contains(err.Error(), "nothing-here") {
		t.Fatalf("Find of a missing directory: %v", err)
	}
	// From a directory with no go.mod above it, there is no root to start
	// from.
	t.Setenv(DirEnv, "")
	t.Chdir(t.TempDir())
	if _, err := Find(); err == nil || !strings.Contains(err.Error(), "go.mod") {
		t.Fatalf("Find outside a repository: %v", err)
	}
	// A repository without data beside it names the directory it looked in.
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module truce\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "geo"), 0o755)
	t.Chdir(filepath.Join(root, "geo"))
	_, err := Find()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(filepath.Dir(root), "shared", "data")) {
		t.Fatalf("Find beside no data: %v", err)
	}
	os.MkdirAll(filepath.Join(filepath.Dir(root), "shared", "data"), 0o755)
	t.Cleanup(func() { os.RemoveAll(filepath.Join(filepath.Dir(root), "shared")) })
	if got, err := Find(); err != nil || got != filepath.Join(filepath.Dir(root), "shared", "data") {
		t.Fatalf("Find beside data: %q, %v", got, err)
	}
}

// Without the data a test skips and says why; with TRUCE_REQUIRE_SHARED=1
// it fails instead (checked through a recording TB, since a real failure
// would fail this test).
func TestUnavailable(t *testing.T) {
	t.Setenv(DirEnv, filepath.Join(t.TempDir(), "absent"))
	t.Setenv(RequireEnv, "")
	rec := &recorder{TB: t}
	run(func() { Dir(rec) })
	if !rec.skipped || rec.failed || !strings.HasPrefix(rec.msg, "shared data skipped: no data sets at ") {
		t.Errorf("without %s: skipped %v failed %v msg %q", RequireEnv, rec.skipped, rec.failed, rec.msg)
	}
	t.Setenv(RequireEnv, "1")
	rec = &recorder{TB: t}
	run(func() { Dir(rec) })
	if rec.skipped || !rec.failed || !strings.Contains(rec.msg, RequireEnv+"=1") {
		t.Errorf("with %s=1: skipped %v failed %v msg %q", RequireEnv, rec.skipped, rec.failed, rec.msg)
	}
	// A data directory without the file wanted.
	dir := t.TempDir()
	t.Setenv(DirEnv, dir)
	t.Setenv(RequireEnv, "")
	rec = &recorder{TB: t}
	run(func() { Path(rec, "deepstate-occupied-daily/none.geojson") })
	if !rec.skipped || !strings.Contains(rec.msg, "deepstate-occupied-daily/none.geojson is absent") {
		t.Errorf("missing file: skipped %v msg %q", rec.skipped, rec.msg)
	}
	os.WriteFile(filepath.Join(dir, "here.csv"), []byte("a,b\n"), 0o644)
	if got := Path(t, "here.csv"); got != filepath.Join(dir, "here.csv") {
		t.Errorf("Path: %q", got)
	}
}

type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

type stop struct{}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = true
	r.msg = args[0].(string)
	panic(stop{})
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = fmt.Sprintf(format, args...)
	panic(stop{})
}

// run stands in for the runtime.Goexit that Skip and Fatal do.
func run(f func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stop); !ok {
				panic(r)
			}
		}
	}()
	f()
}
