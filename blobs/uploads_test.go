package blobs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"truce/blobs"
)

func open(t *testing.T, dir string) *blobs.Store {
	t.Helper()
	s, err := blobs.Open(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// files lists every regular file under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// An upload is recorded with its member, survives a reopening of the
// store, and one over its limit leaves nothing behind.
func TestPutForRecordsTheUploader(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	at := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	u, err := s.PutFor(strings.NewReader("photo"), "ua-rep", 100, at)
	if err != nil {
		t.Fatal(err)
	}
	if u.Member != "ua-rep" || u.Size != 5 || !u.At.Equal(at) || !s.Has(u.SHA256) {
		t.Fatalf("upload %+v", u)
	}
	before := files(t, dir)
	if _, err := s.PutFor(strings.NewReader("a longer file"), "ua-rep", 5, at); !errors.Is(err, blobs.ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	if after := files(t, dir); len(after) != len(before) {
		t.Fatalf("a refused upload left files: %v, was %v", after, before)
	}
	again := open(t, dir) // the records are on disk
	for member, want := range map[string]int{"ua-rep": 1, "ru-rep": 0} {
		ups, err := again.Pending(member)
		if err != nil || len(ups) != want {
			t.Fatalf("%s pending: %v %v", member, ups, err)
		}
		if want == 1 && ups[0] != u {
			t.Fatalf("reopened: %+v, want %+v", ups[0], u)
		}
	}
	if err := again.Settle(u.SHA256); err != nil {
		t.Fatal(err)
	}
	if ups, _ := open(t, dir).Pending("ua-rep"); len(ups) != 0 {
		t.Fatalf("settled upload still pending: %v", ups)
	}
}

// The sweeper removes what nobody attached once it is older than the
// expiry, keeps attached and young files, ages a file without a record by
// its modification time, and spares a file opened just now.
func TestSweepExpiresUnattached(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	t0 := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	const expiry = 24 * time.Hour
	put := func(content, member string, at time.Time) string {
		u, err := s.PutFor(strings.NewReader(content), member, 1<<20, at)
		if err != nil {
			t.Fatal(err)
		}
		return u.SHA256
	}
	stale := put("never attached", "ua-rep", t0)
	kept := put("attached", "ua-rep", t0)
	young := put("uploaded later", "ru-rep", t0.Add(20*time.Hour))
	twice := put("uploaded twice", "ua-rep", t0)
	put("uploaded twice", "ru-rep", t0.Add(12*time.Hour)) // the newer upload counts
	orphan, _, err := s.Put(strings.NewReader("no record"))
	if err != nil {
		t.Fatal(err)
	}
	os.Chtimes(s.Path(orphan), t0, t0)
	attached := func(_ context.Context, sha string) (bool, error) { return sha == kept, nil }

	now := t0.Add(expiry + time.Minute)
	gone, err := s.Sweep(context.Background(), expiry, now, attached)
	if err != nil {
		t.Fatal(err)
	}
	removed := map[string]blobs.Expired{}
	for _, x := range gone {
		removed[x.SHA256] = x
	}
	if len(removed) != 2 || removed[stale].Size != int64(len("never attached")) || len(removed[stale].Uploads) != 1 ||
		removed[stale].Uploads[0].Member != "ua-rep" || len(removed[orphan].Uploads) != 0 {
		t.Fatalf("expired %+v, want %s (ua-rep's) and the orphan %s", gone, stale, orphan)
	}
	// Stat, not Has: Has opens the file, which holds it from the sweeper.
	stored := func(sha string) bool { _, err := os.Stat(s.Path(sha)); return err == nil }
	for sha, want := range map[string]bool{stale: false, orphan: false, kept: true, young: true, twice: true} {
		if stored(sha) != want {
			t.Errorf("%s stored: %v, want %v", sha, !want, want)
		}
	}
	if ups, _ := s.Pending("ua-rep"); len(ups) != 1 || ups[0].SHA256 != twice {
		t.Fatalf("ua-rep pending after the sweep: %+v (the attached file's record is forgotten)", ups)
	}

	// Now (the uploads were in February), twice is due too, but an
	// attachment has just opened it.
	f, err := s.Open(twice)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	later := time.Now()
	if gone, err := s.Sweep(context.Background(), expiry, later, attached); err != nil || len(gone) != 1 || gone[0].SHA256 != young {
		t.Fatalf("second sweep: %+v %v, want only %s (%s was just opened)", gone, err, young, twice)
	}
	if !stored(twice) || !stored(kept) {
		t.Fatal("an opened or attached file was swept")
	}
}
