// Package audit checks a ledger from the outside, trusting nothing it is
// given: every entry's canonical form and leaf hash, every signature against
// the author's key as it stood at the time, every checkpoint against the
// tree recomputed from the entries, the projections against a replay, and
// the evidence files against their hashes. It reports the first
// discrepancy by ledger index.
package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"truce/checkpoint"
	"truce/ledger"
	"truce/party"
	"truce/witness"
)

// Source is a ledger to audit: a data directory or a server.
type Source interface {
	Size(ctx context.Context) (uint64, error)
	Statements(ctx context.Context, from uint64, limit int) ([]*ledger.Signed, error)
	Checkpoints(ctx context.Context) ([][]byte, error)
}

// RawSource is a source that can hand out entries without parsing them;
// the audit parses every entry itself anyway.
type RawSource interface {
	RawStatements(ctx context.Context, from uint64, limit int) ([]*ledger.Signed, error)
}

// CosignedSource is a source that keeps witnesses' cosignatures: Cosigned
// returns the checkpoint of a size with them appended.
type CosignedSource interface {
	Cosigned(ctx context.Context, size int64) ([]byte, error)
}

// TreeSource is a source that also holds its own stored tree hashes (a data
// directory); they are compared with the recomputed ones. A source that
// serves only the leaves (a server's tiles) is compared at level 0.
type TreeSource interface {
	ReadHashes(indexes []int64) ([]tlog.Hash, error)
}

// FullTreeSource stores every level of the tree (a data directory): each
// stored hash is compared, not only the leaves.
type FullTreeSource interface {
	TreeSource
	StoresEveryLevel() bool
}

// Finding is one discrepancy.
type Finding struct {
	Index int64  `json:"index"` // ledger index; -1 when it concerns no single entry
	What  string `json:"what"`
}

func (f Finding) String() string {
	if f.Index < 0 {
		return f.What
	}
	return fmt.Sprintf("ledger index %d: %s", f.Index, f.What)
}

// Report is the outcome of an audit.
type Report struct {
	Entries     int64  `json:"entries"`
	Checkpoints int    `json:"checkpoints"`
	Cosigned    int    `json:"cosigned,omitempty"`
	Root        string `json:"root"`
	// Witnessed is the size of the newest checkpoint that meets the
	// witness policy and that the ledger extends; Unwitnessed counts the
	// entries after it, the oldest of them stated at UnwitnessedSince.
	Witnessed        int64      `json:"witnessed"`
	WitnessedRoot    string     `json:"witnessed_root,omitempty"`
	Unwitnessed      int64      `json:"unwitnessed"`
	UnwitnessedSince *time.Time `json:"unwitnessed_since,omitempty"`
	// Newest is the newest checkpoint that met the policy, as signed and
	// cosigned: an auditor keeps it for the next audit (--checkpoint).
	Newest []byte `json:"-"`
	// The custody trail: recorded reads of restricted evidence, and the
	// restricted files; every read is checked (see custody).
	CustodyReads    int       `json:"custody_reads"`
	RestrictedFiles int       `json:"restricted_files"`
	Findings        []Finding `json:"findings,omitempty"`
}

// First is the discrepancy with the lowest index, or nil when all is well.
func (r *Report) First() *Finding {
	if len(r.Findings) == 0 {
		return nil
	}
	// A finding at an entry names where; one about the whole ledger
	// (index -1) comes first only when there is no other.
	f := slices.MinFunc(r.Findings, func(a, b Finding) int {
		if (a.Index < 0) != (b.Index < 0) {
			if a.Index < 0 {
				return 1
			}
			return -1
		}
		return int(a.Index - b.Index)
	})
	return &f
}

func (r *Report) add(i int64, format string, args ...any) {
	if len(r.Findings) < 1000 {
		r.Findings = append(r.Findings, Finding{Index: i, What: fmt.Sprintf(format, args...)})
	}
}

// Options tune an audit. The trust roots — the log's key, the witness
// policy, checkpoints saved earlier — come from the auditor, never from the
// source being audited.
type Options struct {
	// LogKey verifies checkpoints. It is required.
	LogKey note.Verifier
	// Progress is called as entries are checked.
	Progress func(done, total int64)
	// Witnesses are the witnesses and the policy a checkpoint's
	// cosignatures must meet. Without them no checkpoint is final, and the
	// audit says so: the log's key alone is the operator's word.
	Witnesses *witness.Config
	// Trusted are checkpoints the auditor holds: saved by an earlier audit
	// or fetched from witnesses. The ledger must extend each, so a
	// truncation, a rollback or a rewritten history is named.
	Trusted []Trusted
	// MaxUnwitnessed bounds how long an entry may wait for a checkpoint
	// that meets the policy (default DefaultMaxUnwitnessed).
	MaxUnwitnessed time.Duration
	// Now is the audit's time (default: the clock).
	Now time.Time
}

// Trusted is a checkpoint the auditor holds, and where it came from.
type Trusted struct {
	From   string // "a checkpoint you saved", "witness ua", …
	Signed []byte
}

// DefaultMaxUnwitnessed is how long an entry may go without a final
// checkpoint: the centre signs every 2 s and witnesses answer within
// seconds, so a minute covers a slow witness but not a withheld entry.
const DefaultMaxUnwitnessed = time.Minute

// ErrNoLogKey: an audit needs the log's key from outside the source.
var ErrNoLogKey = fmt.Errorf("the audit needs the log's checkpoint verifier key from outside what it checks (--log-key or --trust)")

// Run audits src. The error is for failures to read; discrepancies go in
// the report.
func Run(ctx context.Context, src Source, opt Options) (*Report, error) {
	if opt.LogKey == nil {
		return nil, ErrNoLogKey
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.MaxUnwitnessed <= 0 {
		opt.MaxUnwitnessed = DefaultMaxUnwitnessed
	}
	size, err := src.Size(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{Entries: int64(size)}
	keys := map[string]ed25519.PublicKey{} // member → current key, as the ledger has it so far
	admins := map[string]bool{}            // who may change keys: the centre's coordinators
	trail := newCustody()
	leaves := make([]tlog.Hash, 0, size)
	times := make([]time.Time, 0, size) // when each entry was stated
	tree := &memTree{}
	type job struct {
		s   *ledger.Signed
		key ed25519.PublicKey
	}
	// Signatures are checked on every core; the rest is sequential.
	jobs := make(chan job, 1024)
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		bad []Finding
	)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if j.key == nil || j.s.Verify(j.key) != nil {
					mu.Lock()
					bad = append(bad, Finding{Index: int64(j.s.Seq), What: fmt.Sprintf("signature by %s/%s does not verify against the key the ledger gives that member", j.s.Statement.Party, j.s.Statement.Author)})
					mu.Unlock()
				}
			}
		}()
	}
	read := src.Statements
	if raw, ok := src.(RawSource); ok {
		read = raw.RawStatements
	}
	for from := uint64(0); from < size; {
		page, err := read(ctx, from, 1000)
		if err != nil {
			close(jobs)
			return nil, err
		}
		if len(page) == 0 {
			rep.add(int64(from), "the ledger ends here, but its size is %d", size)
			break
		}
		for _, s := range page {
			for from < s.Seq { // a hole: the entry was removed
				rep.add(int64(from), "entry is missing")
				leaves = append(leaves, tlog.Hash{})
				times = append(times, time.Time{})
				from++
			}
			i := int64(s.Seq)
			st, canon, err := ledger.ParseStatement(s.Body)
			if err != nil {
				rep.add(i, "statement does not parse: %v", err)
			} else if !bytes.Equal(canon, s.Body) {
				rep.add(i, "statement is not in canonical form")
			} else {
				s.Statement = st
				jobs <- job{s: s, key: keyFor(keys, s)}
				if err := learnKeys(keys, admins, s); err != nil {
					rep.add(i, "%v", err)
				}
				if err := trail.see(s, admins); err != nil {
					rep.add(i, "%v", err)
				}
			}
			leaves = append(leaves, tlog.Hash(s.LeafHash()))
			times = append(times, s.Statement.Time)
			from = s.Seq + 1
		}
		if opt.Progress != nil {
			opt.Progress(int64(from), int64(size))
		}
	}
	close(jobs)
	wg.Wait()
	rep.Findings = append(rep.Findings, bad...)
	rep.CustodyReads, rep.RestrictedFiles = trail.reads, len(trail.files)

	// The tree, recomputed from the entries, against the stored tree and the checkpoints.
	for i, h := range leaves {
		if err := tree.add(int64(i), h); err != nil {
			return nil, err
		}
	}
	if ts, ok := src.(TreeSource); ok {
		checkStoredTree(ts, tree, int64(len(leaves)), rep)
	}
	if len(leaves) > 0 {
		root, _ := tlog.TreeHash(int64(len(leaves)), tree)
		rep.Root = base64.StdEncoding.EncodeToString(root[:])
	}
	cps, err := src.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	rep.Checkpoints = len(cps)
	var newest *checkpoint.Checkpoint
	for _, signed := range cps {
		c, _, err := checkpoint.Open(signed, opt.LogKey)
		if err != nil {
			rep.add(-1, "a checkpoint does not verify against the log's key: %v", err)
			continue
		}
		if !extends(rep, tree, int64(len(leaves)), c, "the log's own checkpoint") {
			continue
		}
		if opt.Witnesses == nil {
			continue
		}
		cosigned := signed
		if cs, ok := src.(CosignedSource); ok {
			if cosigned, err = cs.Cosigned(ctx, c.Size); err != nil {
				return nil, err
			}
		}
		v, err := opt.Witnesses.Judge(cosigned, opt.LogKey)
		switch {
		case err != nil:
			rep.add(c.Size-1, "a cosignature on the checkpoint of size %d does not verify: %v", c.Size, err)
		case v.Final:
			rep.Cosigned++
			if newest == nil || c.Size > newest.Size {
				cp := c
				newest, rep.Newest = &cp, cosigned
			}
		}
	}
	for _, t := range opt.Trusted {
		c, _, err := checkpoint.Open(t.Signed, opt.LogKey)
		if err != nil {
			rep.add(-1, "%s does not verify against the log's key: %v", t.From, err)
			continue
		}
		extends(rep, tree, int64(len(leaves)), c, t.From)
	}
	switch {
	case opt.Witnesses == nil:
		rep.add(-1, "no witness policy was given: a checkpoint signed by the log's key alone is the operator's word, and proves nothing against the operator (--trust or --witnesses)")
	case newest == nil:
		rep.add(-1, "no checkpoint meets the witness policy: nothing in this ledger is witnessed")
	default:
		rep.Witnessed = newest.Size
		rep.WitnessedRoot = base64.StdEncoding.EncodeToString(newest.Root[:])
	}
	if opt.Witnesses != nil && rep.Witnessed < int64(len(leaves)) {
		rep.Unwitnessed = int64(len(leaves)) - rep.Witnessed
		since := times[rep.Witnessed]
		rep.UnwitnessedSince = &since
		if age := opt.Now.Sub(since); !since.IsZero() && age > opt.MaxUnwitnessed {
			rep.add(rep.Witnessed, "%d entries from here on are not witnessed; the oldest was stated %s ago, beyond the bound of %s", rep.Unwitnessed, age.Round(time.Second), opt.MaxUnwitnessed)
		}
	}
	return rep, nil
}

// extends checks that the recomputed tree of n leaves extends checkpoint
// c, and names what it finds: a tree cut short, or a different history.
func extends(rep *Report, tree *memTree, n int64, c checkpoint.Checkpoint, what string) bool {
	if c.Size > n {
		rep.add(n, "%s commits to %d entries, but the ledger has %d: entries %d to %d were removed (a truncation or a rollback)", what, c.Size, n, n, c.Size-1)
		return false
	}
	root, err := tlog.TreeHash(c.Size, tree)
	if err != nil || root != c.Root {
		rep.add(c.Size-1, "%s of size %d commits to a different tree: an entry at or before this index was altered, reordered or removed (a fork of the history)", what, c.Size)
		return false
	}
	return true
}

// checkStoredTree compares every hash the source stores, at every level,
// with the tree recomputed from the entries.
func checkStoredTree(ts TreeSource, tree *memTree, n int64, rep *Report) {
	if n == 0 {
		return
	}
	every := false
	if f, ok := ts.(FullTreeSource); ok {
		every = f.StoresEveryLevel()
	}
	total := tlog.StoredHashCount(n)
	if !every {
		total = n // leaves only, by leaf number
	}
	for start := int64(0); start < total; start += 4096 {
		end := min(start+4096, total)
		idx := make([]int64, 0, end-start)
		for i := start; i < end; i++ {
			if every {
				idx = append(idx, i)
			} else {
				idx = append(idx, tlog.StoredHashIndex(0, i))
			}
		}
		stored, err := ts.ReadHashes(idx)
		if err != nil {
			rep.add(-1, "stored tree hashes unreadable: %v", err)
			return
		}
		for k, h := range stored {
			i := idx[k]
			if h == tree.hashes[i] {
				continue
			}
			level, at := tlog.SplitStoredHashIndex(i)
			first := at << level
			if level == 0 {
				rep.add(first, "entry does not match its leaf in the stored Merkle tree")
			} else {
				rep.add(first, "the stored Merkle tree hash at level %d over entries %d to %d is wrong", level, first, min(first+1<<level, n)-1)
			}
			return
		}
	}
}

// keyFor is the key s must verify against, by the ledger so far.
func keyFor(keys map[string]ed25519.PublicKey, s *ledger.Signed) ed25519.PublicKey {
	if s.Statement.Type == party.TypeOpen {
		var o party.Open
		if ledger.DecodePayload(s.Statement, &o) == nil {
			k, _ := base64.StdEncoding.DecodeString(o.Key)
			return k
		}
		return nil
	}
	return keys[s.Statement.Author]
}

// learnKeys follows key changes: the operator at genesis, members added,
// rotated and revoked. Only the centre's coordinators may change keys, and
// only index 0 opens the centre: the audit holds the ledger to the fold's
// rules here, since a key change it wrongly accepted would make later
// forgeries verify.
func learnKeys(keys map[string]ed25519.PublicKey, admins map[string]bool, s *ledger.Signed) error {
	st := s.Statement
	if st.Type == party.TypeOpen {
		if s.Seq != 0 {
			return fmt.Errorf("a second %s", party.TypeOpen)
		}
		var o party.Open
		if ledger.DecodePayload(st, &o) == nil {
			keys[o.Operator], _ = base64.StdEncoding.DecodeString(o.Key)
			admins[o.Operator] = true
		}
		return nil
	}
	isKeyChange := st.Type == party.TypeAdd || st.Type == party.TypeRotate || st.Type == party.TypeRevoke
	if !isKeyChange {
		return nil
	}
	if !admins[st.Author] || st.Party != party.CentreID {
		return fmt.Errorf("%s by %s/%s, who is not a coordinator of the centre", st.Type, st.Party, st.Author)
	}
	switch st.Type {
	case party.TypeAdd:
		var a party.Add
		if ledger.DecodePayload(st, &a) == nil {
			keys[a.ID], _ = base64.StdEncoding.DecodeString(a.PublicKey)
			if a.Party == party.CentreID && slices.Contains(a.Roles, party.Coordinator) {
				admins[a.ID] = true
			}
		}
	case party.TypeRotate:
		var r party.Rotate
		if ledger.DecodePayload(st, &r) == nil {
			keys[r.Member], _ = base64.StdEncoding.DecodeString(r.PublicKey)
		}
	case party.TypeRevoke:
		var r party.Revoke
		if ledger.DecodePayload(st, &r) == nil {
			delete(keys, r.Member)
			delete(admins, r.Member)
		}
	}
	return nil
}

// memTree is an in-memory tlog hash store built from recomputed leaves.
type memTree struct{ hashes []tlog.Hash }

func (m *memTree) add(n int64, leaf tlog.Hash) error {
	hs, err := tlog.StoredHashesForRecordHash(n, leaf, m)
	if err != nil {
		return err
	}
	m.hashes = append(m.hashes, hs...)
	return nil
}

// ReadHashes implements tlog.HashReader.
func (m *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if idx < 0 || idx >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("tree hash %d not computed", idx)
		}
		out[i] = m.hashes[idx]
	}
	return out, nil
}
