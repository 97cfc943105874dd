package centre

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// sealedStore is a store whose projection rows are sealed under a key the
// centre keeps outside it: a row edited on disk is refused when read.
type sealedStore interface {
	SetSealKey(key []byte)
	OnTamper(func(error))
	// SealState is false for a store sealed under another key, or never.
	SealState(ctx context.Context) (bool, error)
	// Refold rebuilds the projections from the ledger and seals them.
	Refold(ctx context.Context, progress func(done, total uint64)) error
	// VerifySeals checks every row's seal.
	VerifySeals(ctx context.Context, progress func(rows int)) error
	// VerifyFold folds the ledger again into a scratch store under tmp and
	// compares every projection row.
	VerifyFold(ctx context.Context, tmp string, progress func(done, total uint64)) error
}

// sealProjections gives the store the projection key and, when its rows
// were sealed under another key or never sealed, folds the ledger again
// before anything is served: the projections are then exactly what the
// ledger says, whatever was on disk. Without the secrets key the centre
// seals under a key of this process alone, and re-folds at every start.
func (c *Centre) sealProjections(ctx context.Context, force bool, progress func(done, total uint64)) error {
	st, ok := c.Store.(sealedStore)
	if !ok {
		return nil
	}
	if c.projectionKey == nil {
		c.projectionKey = make([]byte, 32)
		rand.Read(c.projectionKey)
		slog.Warn("no secrets key: projections are sealed under a key of this process alone, and folded again from the ledger at each start")
	}
	st.SetSealKey(c.projectionKey)
	st.OnTamper(c.tamperedWith)
	sealed, err := st.SealState(ctx)
	if err != nil {
		return fmt.Errorf("read the projections' seal: %w", err)
	}
	if sealed && !force {
		return nil
	}
	size, _ := c.Store.Size(ctx)
	start := time.Now()
	if !sealed && size > 0 {
		slog.Warn("the projections are not sealed under this centre's key (an older store, another secrets key, or seals removed on disk): folding them again from the ledger", "statements", size)
	}
	if err := st.Refold(ctx, progress); err != nil {
		return fmt.Errorf("fold the projections again from the ledger: %w", err)
	}
	if size > 0 {
		slog.Info("projections folded again from the ledger and sealed", "statements", size, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// tamperedWith records a broken seal: a fatal alarm. The centre serves no
// tampered row and takes no more writes (they would fold onto it) until it
// is restarted on repaired data (truce refold).
func (c *Centre) tamperedWith(err error) {
	c.tampered.CompareAndSwap(nil, &err)
	c.Alarm("projection", err.Error()+"; repair with: truce refold", true)
}

// sweepSeals checks every sealed row once, in the background after start,
// so that a row edited on disk raises the alarm before anyone reads it;
// then every row against the ledger folded again.
func (c *Centre) sweepSeals(ctx context.Context) {
	st, ok := c.Store.(sealedStore)
	if !ok {
		return
	}
	start := time.Now()
	var rows int
	err := st.VerifySeals(ctx, func(n int) { rows = n })
	switch {
	case err == nil:
		slog.Info("every projection row's seal checked", "rows", rows, "took", time.Since(start).Round(time.Millisecond))
	case errors.Is(err, context.Canceled):
		return
	default:
		slog.Error("projection seals", "err", err)
		return
	}
	// A row dropped, or put back to an earlier sealed state, keeps a valid
	// seal: only the ledger folded again tells. That takes about as long as
	// the ledger took to write, so it runs last, in the background.
	start = time.Now()
	switch err := st.VerifyFold(ctx, os.TempDir(), nil); {
	case err == nil:
		slog.Info("every projection row checked against the ledger folded again", "took", time.Since(start).Round(time.Millisecond))
	case errors.Is(err, context.Canceled):
	default:
		slog.Error("projections against the ledger", "err", err)
	}
}

// Tampered returns the first broken seal found since start, nil if none.
func (c *Centre) Tampered() error {
	if p := c.tampered.Load(); p != nil {
		return *p
	}
	return nil
}
