package centre

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"truce/ledger"
	"truce/party"
	"truce/projection"
)

// Reader is a source of ledger statements.
type Reader interface {
	Size(ctx context.Context) (uint64, error)
	Statements(ctx context.Context, from uint64, limit int) ([]*ledger.Signed, error)
}

// Replay re-appends every statement of src, in order, into dst, an empty
// store: each signature is verified against the author's key as the
// replayed ledger has it at that point, and each statement is folded again.
// Equal projections afterwards show that the state is exactly what the
// ledger says. progress, if set, is called after each page.
func Replay(ctx context.Context, src Reader, dst Store, progress func(done, total uint64)) error {
	total, err := src.Size(ctx)
	if err != nil {
		return err
	}
	if n, err := dst.Size(ctx); err != nil || n != 0 {
		return fmt.Errorf("replay needs an empty store (it has %d statements): %w", n, err)
	}
	var batch []*ledger.Signed
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		errs, err := dst.AppendBatch(ctx, batch)
		if err != nil {
			return err
		}
		for i, e := range errs {
			if e != nil {
				return fmt.Errorf("statement %d was refused on replay: %w", batch[i].Seq, e)
			}
		}
		batch = batch[:0]
		return nil
	}
	for from := uint64(0); from < total; {
		page, err := src.Statements(ctx, from, 1000)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return fmt.Errorf("ledger ends at %d, expected %d statements", from, total)
		}
		for _, s := range page {
			if s.Seq != from {
				return fmt.Errorf("ledger index %d is missing (found %d)", from, s.Seq)
			}
			want := s.Seq
			key, err := authorKey(ctx, dst, s)
			if err != nil {
				// The author may be added by a statement still in the batch.
				if err := flush(); err != nil {
					return err
				}
				if key, err = authorKey(ctx, dst, s); err != nil {
					return fmt.Errorf("statement %d: %w", s.Seq, err)
				}
			}
			if err := s.Verify(key); err != nil {
				return fmt.Errorf("statement %d: %w", s.Seq, err)
			}
			batch = append(batch, s)
			// Membership changes alter keys: fold them before what follows.
			if s.Statement.Type == party.TypeOpen || s.Statement.Type == party.TypeAdd || s.Statement.Type == party.TypeRevoke ||
				s.Statement.Type == party.TypeRotate || len(batch) == 512 {
				if err := flush(); err != nil {
					return err
				}
			}
			if s.Seq != want {
				return fmt.Errorf("statement %d was appended at %d", want, s.Seq)
			}
			from++
		}
		if progress != nil {
			progress(from, total)
		}
	}
	return flush()
}

func authorKey(ctx context.Context, st Store, s *ledger.Signed) (ed25519.PublicKey, error) {
	return projection.AuthorKey(func(id string) (*party.Member, error) { return st.Member(ctx, id) }, s)
}
