package blobs

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Upload records that a member uploaded a blob. Uploads are kept off the
// ledger, beside the blobs, in uploads/<sha256>-<hex member>.json: an
// upload is not a statement, only raw bytes waiting for one (the
// incident.evidence statement that attaches them). The record serves the
// upload quota and the expiry of files nobody attached.
type Upload struct {
	SHA256 string    `json:"sha256"`
	Member string    `json:"member"`
	Size   int64     `json:"size"`
	At     time.Time `json:"uploaded_at"`
}

// Expired is a blob that Sweep removed.
type Expired struct {
	SHA256 string
	Size   int64
	// Uploads are who uploaded it and when; empty for a file without a
	// record (stored before uploads were recorded, or by hand), whose age
	// is then its modification time, Modified.
	Uploads  []Upload
	Modified time.Time
}

// holdOpened is how long a blob that was just opened is kept from the
// sweeper: an attachment opens the file, then appends its statement, and
// the file must still be there when the statement is committed.
const holdOpened = 10 * time.Minute

// index loads the upload records once. Callers hold s.mu.
func (s *Store) index() (map[string]map[string]Upload, error) {
	if s.uploads != nil {
		return s.uploads, nil
	}
	s.track = true
	idx := map[string]map[string]Upload{}
	ents, err := os.ReadDir(filepath.Join(s.dir, "uploads"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read upload records: %w", err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(s.dir, "uploads", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read upload record: %w", err)
		}
		var u Upload
		if err := json.Unmarshal(raw, &u); err != nil || e.Name() != recordName(u.SHA256, u.Member) {
			continue // a torn or foreign file: the blob then ages by its file time
		}
		if idx[u.SHA256] == nil {
			idx[u.SHA256] = map[string]Upload{}
		}
		idx[u.SHA256][u.Member] = u
	}
	s.uploads = idx
	return idx, nil
}

func recordName(sha, member string) string {
	return sha + "-" + hex.EncodeToString([]byte(member)) + ".json"
}

// record writes u's record and indexes it. Callers hold s.mu.
func (s *Store) record(u Upload) error {
	idx, err := s.index()
	if err != nil {
		return err
	}
	dir := filepath.Join(s.dir, "uploads")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create upload records: %w", err)
	}
	raw, _ := json.Marshal(u)
	tmp, err := os.CreateTemp(dir, "record-*")
	if err != nil {
		return fmt.Errorf("record upload: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(raw)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, recordName(u.SHA256, u.Member)))
	}
	if err != nil {
		return fmt.Errorf("record upload: %w", err)
	}
	if idx[u.SHA256] == nil {
		idx[u.SHA256] = map[string]Upload{}
	}
	idx[u.SHA256][u.Member] = u
	return nil
}

// forget removes every record of sha. Callers hold s.mu.
func (s *Store) forget(sha string) error {
	idx, err := s.index()
	if err != nil {
		return err
	}
	for m := range idx[sha] {
		if err := os.Remove(filepath.Join(s.dir, "uploads", recordName(sha, m))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("forget upload: %w", err)
		}
	}
	delete(idx, sha)
	return nil
}

// PutFor stores r for member, like Put, but reads at most limit bytes
// (ErrTooLarge beyond; then nothing is stored), and records the upload
// before the blob is visible. at is the upload's time.
func (s *Store) PutFor(r io.Reader, member string, limit int64, at time.Time) (Upload, error) {
	u := Upload{Member: member, At: at.UTC()}
	sha, n, err := s.put(r, min(limit, s.limit), func(sha string, n int64) error {
		u.SHA256, u.Size = sha, n
		return s.record(u)
	})
	if err != nil {
		return Upload{}, err
	}
	u.SHA256, u.Size = sha, n
	return u, nil
}

// Pending lists member's recorded uploads, oldest first. An upload stays
// pending until Settle or Sweep forgets it.
func (s *Store) Pending(member string) ([]Upload, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx, err := s.index()
	if err != nil {
		return nil, err
	}
	var out []Upload
	for _, ups := range idx {
		if u, ok := ups[member]; ok {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b Upload) int { return a.At.Compare(b.At) })
	return out, nil
}

// Settle forgets the upload records of sha, once it is attached: an
// attached file counts against no quota and never expires.
func (s *Store) Settle(sha string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.forget(sha)
}

// Sweep removes every blob that is not attached and was last uploaded (by
// its records, or without one by its file's modification time) longer than
// maxAge before now, with its records. Attached blobs' records are
// forgotten. A blob opened in the last ten minutes (or maxAge, if shorter)
// is left for the next sweep: an attachment may be committing it. So are
// upload files left by a crash once they are maxAge old.
func (s *Store) Sweep(ctx context.Context, maxAge time.Duration, now time.Time, attached func(ctx context.Context, sha string) (bool, error)) ([]Expired, error) {
	s.mu.Lock()
	_, err := s.index()
	hold := min(holdOpened, maxAge)
	for sha, t := range s.opened {
		if now.Sub(t) >= hold {
			delete(s.opened, sha)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	s.sweepTemp(now.Add(-maxAge))
	var out []Expired
	root := filepath.Join(s.dir, "sha256")
	shards, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	for _, shard := range shards {
		if !shard.IsDir() {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(root, shard.Name()))
		if err != nil {
			return out, fmt.Errorf("sweep: %w", err)
		}
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			sha := e.Name()
			if b, err := hex.DecodeString(sha); err != nil || len(b) != 32 || strings.ToLower(sha) != sha {
				continue
			}
			x, err := s.sweepOne(ctx, sha, maxAge, hold, now, attached)
			if err != nil {
				return out, err
			}
			if x != nil {
				out = append(out, *x)
			}
		}
	}
	// Records of files that are gone (removed by hand, or a failed
	// upload) count against nobody.
	s.mu.Lock()
	defer s.mu.Unlock()
	for sha := range s.uploads {
		if _, err := os.Stat(s.Path(sha)); errors.Is(err, fs.ErrNotExist) {
			if err := s.forget(sha); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// sweepOne removes sha if it is due. Under s.mu, so that an upload of the
// same bytes, or an attachment opening it, is not lost between the
// decision and the removal.
func (s *Store) sweepOne(ctx context.Context, sha string, maxAge, hold time.Duration, now time.Time, attached func(context.Context, string) (bool, error)) (*Expired, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.Path(sha))
	if err != nil {
		return nil, nil // gone meanwhile
	}
	ups := s.uploads[sha]
	last := fi.ModTime()
	if len(ups) > 0 {
		last = time.Time{}
		for _, u := range ups {
			if u.At.After(last) {
				last = u.At
			}
		}
	}
	if now.Sub(last) < maxAge {
		return nil, nil
	}
	if t, ok := s.opened[sha]; ok && now.Sub(t) < hold {
		return nil, nil
	}
	att, err := attached(ctx, sha)
	if err != nil {
		return nil, err
	}
	if att {
		return nil, s.forget(sha)
	}
	x := &Expired{SHA256: sha, Size: fi.Size(), Modified: fi.ModTime()}
	for _, u := range ups {
		x.Uploads = append(x.Uploads, u)
	}
	slices.SortFunc(x.Uploads, func(a, b Upload) int { return strings.Compare(a.Member, b.Member) })
	if err := os.Remove(s.Path(sha)); err != nil {
		return nil, fmt.Errorf("expire %s: %w", sha, err)
	}
	return x, s.forget(sha)
}

// sweepTemp removes upload and record files a crash left, older than
// before.
func (s *Store) sweepTemp(before time.Time) {
	for _, dir := range []string{s.dir, filepath.Join(s.dir, "uploads")} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), "upload-") && !strings.HasPrefix(e.Name(), "record-") {
				continue
			}
			if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && fi.ModTime().Before(before) {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
}
