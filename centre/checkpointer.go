package centre

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"truce/checkpoint"
)

// LogStore is what the checkpointer needs from a store: the tree hashes
// and somewhere to keep checkpoints and the log's settings.
type LogStore interface {
	tlog.HashReader
	PutCheckpoint(ctx context.Context, size int64, signed []byte, at time.Time) error
	LatestCheckpoint(ctx context.Context) ([]byte, error)
	Checkpoints(ctx context.Context) ([][]byte, error)
	LogSetting(ctx context.Context, name string) (string, error)
	InitLogSetting(ctx context.Context, name, value string) (string, error)
}

// Log is the centre's transparency log: the Merkle tree the store keeps
// over the ledger, and the checkpoints that commit to it.
type Log struct {
	store    Store
	Origin   string
	Verifier note.Verifier
	VKey     string // the verifier key in note format, to hand to auditors and witnesses
	signer   *checkpoint.Signer

	mu       sync.Mutex
	verified int64 // leaves checked against the ledger so far
	broken   error // set once the tree disagrees with the ledger: no more checkpoints
	kick     chan struct{}
}

// openLog sets up (on first start) or loads the log's origin and key.
func openLog(ctx context.Context, st Store) (*Log, error) {
	suffix := make([]byte, 6)
	rand.Read(suffix)
	origin, err := st.InitLogSetting(ctx, "origin", "truce.invalid/centre-"+hex.EncodeToString(suffix))
	if err != nil {
		return nil, err
	}
	skey, vkey, err := checkpoint.NewKey(origin)
	if err != nil {
		return nil, err
	}
	if skey, err = st.InitLogSetting(ctx, "checkpoint_signer_key", skey); err != nil {
		return nil, err
	}
	if vkey, err = st.InitLogSetting(ctx, "checkpoint_verifier_key", vkey); err != nil {
		return nil, err
	}
	signer, err := checkpoint.NewSigner(skey)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Log{store: st, Origin: origin, Verifier: v, VKey: vkey, signer: signer, kick: make(chan struct{}, 1)}, nil
}

// Latest returns the latest signed checkpoint and its parsed form, or nil.
func (l *Log) Latest(ctx context.Context) ([]byte, *checkpoint.Checkpoint, error) {
	signed, err := l.store.LatestCheckpoint(ctx)
	if err != nil || signed == nil {
		return nil, nil, err
	}
	c, _, err := checkpoint.Open(signed, l.Verifier)
	if err != nil {
		return nil, nil, fmt.Errorf("stored checkpoint: %w", err)
	}
	return signed, &c, nil
}

// Broken reports why the log refuses to sign, nil when it is sound.
func (l *Log) Broken() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.broken
}

// verify checks leaves [from, to) of the stored tree against the ledger rows
// they commit to.
func (l *Log) verify(ctx context.Context, from, to int64) error {
	for from < to {
		page, err := l.store.Statements(ctx, uint64(from), int(min(1000, to-from)))
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return fmt.Errorf("ledger index %d is missing", from)
		}
		idx := make([]int64, len(page))
		for i, s := range page {
			if int64(s.Seq) != from+int64(i) {
				return fmt.Errorf("ledger index %d is missing", from+int64(i))
			}
			idx[i] = tlog.StoredHashIndex(0, int64(s.Seq))
		}
		stored, err := l.store.ReadHashes(idx)
		if err != nil {
			return err
		}
		for i, s := range page {
			if h := s.LeafHash(); tlog.Hash(h) != stored[i] {
				return fmt.Errorf("ledger entry %d does not match its leaf in the tree", s.Seq)
			}
		}
		from += int64(len(page))
	}
	return nil
}

// Checkpoint signs a checkpoint of the whole ledger if it grew since the
// last one. It refuses — and keeps refusing — once the tree disagrees with
// the ledger or with an earlier checkpoint.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil {
		return nil, l.broken
	}
	size, err := l.store.Size(ctx)
	if err != nil {
		return nil, err
	}
	_, last, err := l.Latest(ctx)
	if err != nil {
		return nil, err
	}
	if last != nil && int64(size) <= last.Size {
		return nil, nil
	}
	fail := func(err error) ([]byte, error) {
		l.broken = fmt.Errorf("the log will not sign a checkpoint: %w", err)
		slog.Error("transparency log", "err", l.broken)
		return nil, l.broken
	}
	if err := l.verify(ctx, l.verified, int64(size)); err != nil {
		return fail(err)
	}
	l.verified = int64(size)
	if last != nil {
		old, err := tlog.TreeHash(last.Size, l.store)
		if err != nil || old != last.Root {
			return fail(fmt.Errorf("the tree at size %d no longer has the root its checkpoint signed (%v)", last.Size, err))
		}
	}
	root, err := tlog.TreeHash(int64(size), l.store)
	if err != nil {
		return fail(err)
	}
	signed, err := l.signer.Sign(checkpoint.Checkpoint{Origin: l.Origin, Size: int64(size), Root: root})
	if err != nil {
		return nil, err
	}
	if err := l.store.PutCheckpoint(ctx, int64(size), signed, time.Now()); err != nil {
		return nil, err
	}
	return signed, nil
}

// run signs checkpoints every interval, or sooner when kicked after enough
// appends, until ctx ends. It first checks the whole stored tree against
// the ledger, so that a corrupted database is never checkpointed.
func (l *Log) run(ctx context.Context, interval time.Duration) {
	size, err := l.store.Size(ctx)
	if err == nil {
		start := time.Now()
		if err := l.verify(ctx, 0, int64(size)); err != nil {
			l.mu.Lock()
			l.broken = fmt.Errorf("the log will not sign a checkpoint: %w", err)
			l.mu.Unlock()
			slog.Error("transparency log", "err", err)
		} else {
			l.mu.Lock()
			l.verified = int64(size)
			l.mu.Unlock()
			slog.Info("transparency log verified", "entries", size, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if _, err := l.Checkpoint(ctx); err != nil && !errors.Is(err, context.Canceled) && l.Broken() == nil {
			slog.Warn("checkpoint", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-l.kick:
		}
	}
}
