package centre

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"truce/checkpoint"
	"truce/witness"
)

// ErrHalted: the centre takes no writes, because it could not keep the
// record's promise for them: its tree disagrees with its ledger, the
// witnesses prove that it forked or rolled back its history, or a
// projection row was changed on disk.
var ErrHalted = errors.New("the centre takes no writes")

// Alarm is an integrity alarm: something the centre or a witness found
// that a party should look at.
type Alarm struct {
	At     time.Time `json:"at"`
	Source string    `json:"source"` // "log", "witness ua", "evidence"
	What   string    `json:"what"`
	// Fatal alarms halt writes; one witness's claim alone does not, or one
	// party's witness could stop all reporting.
	Fatal bool `json:"fatal"`
}

// alarms keeps the alarms raised since the centre started.
type alarms struct {
	mu   sync.Mutex
	list []Alarm
}

func (a *alarms) raise(al Alarm) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, x := range a.list {
		if x.Source == al.Source && x.What == al.What {
			return // raised once
		}
	}
	if len(a.list) < 1000 {
		a.list = append(a.list, al)
	}
	slog.Error("integrity alarm", "source", al.Source, "what", al.What, "fatal", al.Fatal)
}

func (a *alarms) all() []Alarm {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.list)
}

// Alarm records an integrity alarm.
func (c *Centre) Alarm(source, what string, fatal bool) {
	c.Log.alarms.raise(Alarm{At: time.Now().UTC(), Source: source, What: what, Fatal: fatal})
}

// Alarms lists the alarms raised since the centre started.
func (c *Centre) Alarms() []Alarm { return c.Log.alarms.all() }

// Halted says why the centre takes no writes, nil when it does.
func (c *Centre) Halted() error {
	if err := c.Log.Broken(); err != nil {
		return fmt.Errorf("%w: %v", ErrHalted, err)
	}
	if err := c.Log.Proven(); err != nil {
		return fmt.Errorf("%w: %v", ErrHalted, err)
	}
	if err := c.Tampered(); err != nil {
		return fmt.Errorf("%w: %v", ErrHalted, err)
	}
	return nil
}

// claim records what one witness holds against the log: a checkpoint it
// cosigned that the log's ledger does not extend (a rollback or a fork).
// An empty what withdraws the witness's claim.
func (l *Log) claim(name, what string) {
	l.wmu.Lock()
	if what == "" {
		delete(l.claims, name)
	} else {
		l.claims[name] = what
	}
	l.wmu.Unlock()
	if what != "" {
		l.alarms.raise(Alarm{At: time.Now().UTC(), Source: "witness " + name, What: what, Fatal: l.Proven() != nil})
	}
}

// Proven says whether the witnesses' claims prove a fork or a rollback: the
// claimants would, as cosigners, meet the policy.
func (l *Log) Proven() error {
	cfg := l.Witnesses()
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if cfg == nil || len(l.claims) == 0 || len(cfg.Policy) == 0 {
		return nil
	}
	for _, g := range cfg.Policy {
		n := 0
		for _, w := range g.Witnesses {
			if _, ok := l.claims[w]; ok {
				n++
			}
		}
		if n < g.Threshold {
			return nil
		}
	}
	var names []string
	for w := range l.claims {
		names = append(names, w)
	}
	slices.Sort(names)
	return fmt.Errorf("the witnesses' policy is met by witnesses that the log's history contradicts (%v): %s", names, l.claims[names[0]])
}

// checkWitnesses asks each witness for the latest checkpoint it cosigned
// and checks that the ledger extends it. After a restart on a disk someone
// edited, this is what the centre cannot forge: a history cut short or
// rewritten under the witnesses' cosignatures is named, and if the
// witnesses that say so meet the policy, the centre halts.
func (l *Log) checkWitnesses(ctx context.Context) {
	cfg := l.Witnesses()
	if cfg == nil {
		return
	}
	vs, err := cfg.Verifiers()
	if err != nil {
		return
	}
	size, err := l.store.Size(ctx)
	if err != nil {
		return
	}
	for _, m := range cfg.Witnesses {
		if m.URL == "" {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		signed, err := (&witness.Client{URL: m.URL}).Latest(cctx, l.Origin)
		cancel()
		if err != nil || signed == nil {
			continue // unreachable, or nothing cosigned yet
		}
		if _, err := note.Open(signed, note.VerifierList(l.Verifier, vs[m.Name])); err != nil {
			continue // not cosigned by that witness under this log's key: proves nothing
		}
		c, _, err := checkpoint.Open(signed, l.Verifier)
		if err != nil {
			continue
		}
		if c.Size > int64(size) {
			l.claim(m.Name, fmt.Sprintf("witness %s cosigned a checkpoint of %d entries; the ledger has %d: a rollback or a truncation", m.Name, c.Size, size))
			continue
		}
		if root, err := tlog.TreeHash(c.Size, l.store); err != nil || root != c.Root {
			l.claim(m.Name, fmt.Sprintf("witness %s cosigned another history at size %d: a fork", m.Name, c.Size))
			continue
		}
		l.claim(m.Name, "")
	}
}
