// Package shareddata finds the real data sets the tests read: DeepState's
// occupied areas, the power-plant and reactor registries, boundaries, the
// Wycheproof vectors and the rest. They are not in the repository; they
// live beside it, at ../shared/data from the repository's root (the
// directory holding go.mod), or wherever TRUCE_SHARED_DATA points.
//
// A clean clone has none of it. A test that needs the data then skips and
// says what is missing, unless TRUCE_REQUIRE_SHARED=1 (CI sets it, see
// .ci/run): then it fails, so that CI cannot pass by skipping.
package shareddata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// DirEnv overrides where the data sets are; RequireEnv=1 turns a skip into
// a failure.
const (
	DirEnv     = "TRUCE_SHARED_DATA"
	RequireEnv = "TRUCE_REQUIRE_SHARED"
)

// Find returns the shared data directory, or an error saying why there is
// none.
func Find() (string, error) {
	if dir := os.Getenv(DirEnv); dir != "" {
		return check(dir, "named by "+DirEnv)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return check(filepath.Join(dir, "..", "shared", "data"),
				"this clone, "+dir+", has no ../shared/data beside it; the data sets are not in the repository, and "+DirEnv+" can point at them")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod in %s or above it, so no repository root to find ../shared/data from", wd)
		}
		dir = parent
	}
}

func check(dir, why string) (string, error) {
	dir = filepath.Clean(dir)
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = errors.New("not a directory")
	}
	if err != nil {
		return "", fmt.Errorf("no data sets at %s (%s): %w", dir, why, err)
	}
	return dir, nil
}

// Dir returns the shared data directory, or skips tb saying why (fails it
// under TRUCE_REQUIRE_SHARED=1).
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := Find()
	if err != nil {
		unavailable(tb, "%v", err)
	}
	return dir
}

// Path returns the path of the file rel (slash-separated, relative to the
// data directory), or skips tb when it is absent (fails it under
// TRUCE_REQUIRE_SHARED=1).
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	path := filepath.Join(Dir(tb), filepath.FromSlash(rel))
	if _, err := os.Stat(path); err != nil {
		unavailable(tb, "%s is absent from the data sets: %v", rel, err)
	}
	return path
}

// Open opens the file rel as Path finds it, closed when the test ends.
func Open(tb testing.TB, rel string) *os.File {
	tb.Helper()
	f, err := os.Open(Path(tb, rel))
	if err != nil {
		tb.Fatalf("shared data: %v", err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// unavailable skips the test, or fails it when the data are required.
func unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := "shared data skipped: " + fmt.Sprintf(format, args...)
	if os.Getenv(RequireEnv) == "1" {
		tb.Fatalf("%s (%s=1)", msg, RequireEnv)
	}
	tb.Skip(msg)
}
