package centre

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"truce/ledger"
)

// hub tells subscribers about appended statements. It reads them back from
// the store rather than trusting in-process notifications alone, so that
// statements appended by another process sharing the store (the CLI adding
// a member) reach subscribers too, in ledger order.
type hub struct {
	store Store
	mu    sync.Mutex
	subs  map[chan *ledger.Signed]struct{}
	next  uint64
	kickc chan struct{}
	quit  chan struct{}
	done  chan struct{}
}

// subscriberBuffer is how far a subscriber may fall behind before it is
// dropped; a dropped SSE client reconnects with Last-Event-ID.
const subscriberBuffer = 4096

// newHub makes a hub whose subscribers hear of statements from index next on.
func newHub(store Store, next uint64) *hub {
	return &hub{store: store, next: next, subs: map[chan *ledger.Signed]struct{}{}, kickc: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
}

func (h *hub) start() { go h.run() }

func (h *hub) stop() {
	select {
	case <-h.quit:
		return
	default:
	}
	close(h.quit)
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
	}
}

func (h *hub) kick() {
	select {
	case h.kickc <- struct{}{}:
	default:
	}
}

// publish hands the hub a group this process just committed. It is sent
// straight on when it follows what subscribers have seen; after a gap (a
// statement appended by another process) the hub reads the ledger instead.
func (h *hub) publish(batch []*ledger.Signed) {
	h.mu.Lock()
	if len(batch) > 0 && batch[0].Seq == h.next {
		h.broadcast(batch)
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	h.kick()
}

// broadcast sends statements to every subscriber; h.mu is held.
func (h *hub) broadcast(batch []*ledger.Signed) {
	for _, s := range batch {
		for ch := range h.subs {
			select {
			case ch <- s:
			default: // too slow: drop it, it will reconnect
				close(ch)
				delete(h.subs, ch)
			}
		}
	}
	h.next = batch[len(batch)-1].Seq + 1
}

func (h *hub) run() {
	defer close(h.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-h.quit:
			h.mu.Lock()
			for ch := range h.subs {
				close(ch)
				delete(h.subs, ch)
			}
			h.mu.Unlock()
			return
		case <-h.kickc:
		case <-tick.C:
		}
		h.catchUp()
	}
}

func (h *hub) catchUp() {
	for {
		h.mu.Lock()
		from := h.next
		h.mu.Unlock()
		batch, err := h.store.Statements(context.Background(), from, 1000)
		if err != nil {
			slog.Warn("event hub: read ledger", "from", from, "err", err)
			return
		}
		if len(batch) == 0 {
			return
		}
		h.mu.Lock()
		if batch[0].Seq == h.next { // else publish got there first: read again
			h.broadcast(batch)
		}
		h.mu.Unlock()
	}
}

func (h *hub) subscribe() (<-chan *ledger.Signed, uint64, func()) {
	ch := make(chan *ledger.Signed, subscriberBuffer)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	next := h.next
	h.mu.Unlock()
	return ch, next, func() {
		h.mu.Lock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
		h.mu.Unlock()
	}
}
