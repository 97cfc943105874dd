package ledger

import (
	"context"
	"errors"
	"sync"
)

// Appender is what a store offers the ledger: append a batch of signed
// statements in one durable transaction. errs[i] is the refusal of batch[i]
// (which then changed nothing); statements accepted in the same batch still
// land. A non-nil fatal error means nothing in the batch was committed.
type Appender interface {
	AppendBatch(ctx context.Context, batch []*Signed) (errs []error, fatal error)
}

// ErrClosed is returned for statements submitted after Close.
var ErrClosed = errors.New("ledger closed")

// Committer serialises appends through one writer and commits them in
// groups: while one transaction syncs to disk, new statements queue up and
// share the next sync. Acknowledged means durable, and durability costs one
// fsync per group rather than one per statement.
type Committer struct {
	store    Appender
	maxBatch int
	queue    chan *pending
	done     chan struct{}
	closing  sync.Once
	mu       sync.RWMutex
	closed   bool
	onCommit func([]*Signed)
}

type pending struct {
	s     *Signed
	err   chan error
	index int // position in an AppendMany call
}

// NewCommitter starts the writer. onCommit, if set, is called with every
// committed group in ledger order, after it is durable.
func NewCommitter(store Appender, maxBatch int, onCommit func([]*Signed)) *Committer {
	if maxBatch <= 0 {
		maxBatch = 512
	}
	c := &Committer{store: store, maxBatch: maxBatch, queue: make(chan *pending, 4*maxBatch),
		done: make(chan struct{}), onCommit: onCommit}
	go c.run()
	return c
}

// Append submits s and waits until it is durable (s.Seq is then set) or refused.
func (c *Committer) Append(ctx context.Context, s *Signed) error {
	p := &pending{s: s, err: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return ErrClosed
	}
	select {
	case c.queue <- p:
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	c.mu.RUnlock()
	// Once queued the statement will be decided; wait for the verdict even
	// if the caller gives up, so that "refused" is never reported for a
	// statement that then lands.
	return <-p.err
}

// AppendMany submits several statements at once, so that they can share a
// group commit, and waits for every verdict. errs[i] is the verdict on s[i].
func (c *Committer) AppendMany(ctx context.Context, s []*Signed) []error {
	errs := make([]error, len(s))
	ps := make([]*pending, 0, len(s))
	c.mu.RLock()
	for i, st := range s {
		if c.closed {
			errs[i] = ErrClosed
			continue
		}
		p := &pending{s: st, err: make(chan error, 1)}
		select {
		case c.queue <- p:
			ps = append(ps, p)
		case <-ctx.Done():
			errs[i] = ctx.Err()
			continue
		}
		p.index = i
	}
	c.mu.RUnlock()
	for _, p := range ps {
		errs[p.index] = <-p.err
	}
	return errs
}

// Close stops accepting statements, commits what is queued and returns.
func (c *Committer) Close() {
	c.closing.Do(func() {
		c.mu.Lock()
		c.closed = true
		close(c.queue)
		c.mu.Unlock()
		<-c.done
	})
}

func (c *Committer) run() {
	defer close(c.done)
	batch := make([]*pending, 0, c.maxBatch)
	for first := range c.queue {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < c.maxBatch {
			select {
			case p, ok := <-c.queue:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		c.commit(batch)
	}
}

func (c *Committer) commit(batch []*pending) {
	stmts := make([]*Signed, len(batch))
	for i, p := range batch {
		stmts[i] = p.s
	}
	errs, fatal := c.store.AppendBatch(context.Background(), stmts)
	var committed []*Signed
	for i, p := range batch {
		if fatal == nil && errs[i] == nil {
			committed = append(committed, p.s)
		}
	}
	// Before the appenders hear back: what onCommit invalidates (cached
	// sessions, agreements) must be stale for no reader that follows.
	if c.onCommit != nil && len(committed) > 0 {
		c.onCommit(committed)
	}
	for i, p := range batch {
		switch {
		case fatal != nil:
			p.err <- fatal
		case errs[i] != nil:
			p.err <- errs[i]
		default:
			p.err <- nil
		}
	}
}
