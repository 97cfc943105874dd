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
// directory); they are compared with the recomputed ones.
type TreeSource interface {
	ReadHashes(indexes []int64) ([]tlog.Hash, error)
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
	Entries     int64     `json:"entries"`
	Checkpoints int       `json:"checkpoints"`
	Cosigned    int       `json:"cosigned,omitempty"`
	Root        string    `json:"root"`
	Findings    []Finding `json:"findings,omitempty"`
}

// First is the discrepancy with the lowest index, or nil when all is well.
func (r *Report) First() *Finding {
	if len(r.Findings) == 0 {
		return nil
	}
	f := slices.MinFunc(r.Findings, func(a, b Finding) int { return int(a.Index - b.Index) })
	return &f
}

func (r *Report) add(i int64, format string, args ...any) {
	if len(r.Findings) < 1000 {
		r.Findings = append(r.Findings, Finding{Index: i, What: fmt.Sprintf(format, args...)})
	}
}

// Options tune an audit.
type Options struct {
	// LogKey verifies checkpoints; without it checkpoints are only checked
	// against the recomputed tree, not for their signature.
	LogKey note.Verifier
	// Progress is called as entries are checked.
	Progress func(done, total int64)
	// Witnesses, if set, are the witnesses and policy to check the
	// checkpoints' cosignatures against.
	Witnesses *witness.Config
}

// Run audits src. The error is for failures to read; discrepancies go in
// the report.
func Run(ctx context.Context, src Source, opt Options) (*Report, error) {
	size, err := src.Size(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{Entries: int64(size)}
	keys := map[string]ed25519.PublicKey{} // member → current key, as the ledger has it so far
	admins := map[string]bool{}            // who may change keys: the centre's coordinators
	leaves := make([]tlog.Hash, 0, size)
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
			}
			leaves = append(leaves, tlog.Hash(s.LeafHash()))
			from = s.Seq + 1
		}
		if opt.Progress != nil {
			opt.Progress(int64(from), int64(size))
		}
	}
	close(jobs)
	wg.Wait()
	rep.Findings = append(rep.Findings, bad...)

	// The tree, recomputed from the entries, against the stored tree and the checkpoints.
	for i, h := range leaves {
		if err := tree.add(int64(i), h); err != nil {
			return nil, err
		}
	}
	if ts, ok := src.(TreeSource); ok {
		for start := int64(0); start < int64(len(leaves)); start += 1000 {
			end := min(start+1000, int64(len(leaves)))
			idx := make([]int64, 0, end-start)
			for i := start; i < end; i++ {
				idx = append(idx, tlog.StoredHashIndex(0, i))
			}
			stored, err := ts.ReadHashes(idx)
			if err != nil {
				rep.add(start, "stored tree hashes unreadable: %v", err)
				break
			}
			for k, h := range stored {
				if h != leaves[start+int64(k)] {
					rep.add(start+int64(k), "entry does not match its leaf in the stored Merkle tree")
				}
			}
		}
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
	for _, signed := range cps {
		var c checkpoint.Checkpoint
		if opt.LogKey != nil {
			c, _, err = checkpoint.Open(signed, opt.LogKey)
		} else {
			c, err = parseUnverified(signed)
		}
		if err != nil {
			rep.add(-1, "checkpoint does not verify: %v", err)
			continue
		}
		if c.Size > int64(len(leaves)) {
			rep.add(int64(len(leaves)), "a checkpoint commits to %d entries; the ledger has %d", c.Size, len(leaves))
			continue
		}
		root, err := tlog.TreeHash(c.Size, tree)
		if err != nil || root != c.Root {
			rep.add(c.Size-1, "the checkpoint of size %d commits to a different tree: an entry at or before this index was altered or removed", c.Size)
		}
		if cs, ok := src.(CosignedSource); ok && opt.Witnesses != nil && opt.LogKey != nil {
			cosigned, err := cs.Cosigned(ctx, c.Size)
			if err != nil {
				return nil, err
			}
			v, err := opt.Witnesses.Judge(cosigned, opt.LogKey)
			switch {
			case err != nil:
				rep.add(c.Size-1, "a cosignature on the checkpoint of size %d does not verify: %v", c.Size, err)
			case v.Final:
				rep.Cosigned++
			}
		}
	}
	return rep, nil
}

func parseUnverified(signed []byte) (checkpoint.Checkpoint, error) {
	text, _, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		return checkpoint.Checkpoint{}, fmt.Errorf("no signature block")
	}
	return checkpoint.Parse(string(text) + "\n")
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
