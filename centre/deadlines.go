package centre

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"truce/agreement"
	"truce/hotline"
	"truce/ledger"
)

// The centre watches two kinds of deadline: a hotline message's
// acknowledgement, and the guarantees of an arrangement. A job queue (see
// package queue) only schedules: when a deadline's job fires, FireDeadline
// looks at the projections and, if the deadline was missed, appends the
// statement that says so (hotline.escalate, arrangement.deadline_missed),
// signed by the operator. The fold refuses a second such statement, so a
// job that runs twice appends once.

// Deadline kinds.
const (
	DeadlineHotline     = "hotline"
	DeadlineArrangement = "arrangement"
	// DeadlineCutOff is a daily report's cut-off: the day's warnings are
	// then raised (warning.raise), and the next cut-off armed.
	DeadlineCutOff = "cutoff"
	// DeadlineHour is the end of an hour: the subscribers to the hourly
	// digest are told it is ready, and the next hour armed.
	DeadlineHour = "hour"
)

// Deadline is one deadline the centre watches.
type Deadline struct {
	Kind        string    `json:"kind"`
	Thread      string    `json:"thread,omitempty"`
	Message     int       `json:"message,omitempty"`
	Arrangement string    `json:"arrangement,omitempty"`
	Version     int       `json:"version,omitempty"`
	Due         time.Time `json:"due"`
}

// Scheduler arms jobs; the job queue implements it. Arming the same
// deadline twice arms one job.
type Scheduler interface {
	ArmDeadlines(ctx context.Context, ds []Deadline) error
}

type schedulerBox struct{ s Scheduler }

// SetScheduler hands the centre the job queue: from then on, each new
// deadline and each alert to deliver by webhook is armed in it. The queue
// re-arms what the projections hold on its own start.
func (c *Centre) SetScheduler(s Scheduler) { c.sched.Store(&schedulerBox{s}) }

func (c *Centre) scheduler() Scheduler {
	if b := c.sched.Load(); b != nil {
		return b.s
	}
	return nil
}

// NotDueError says a deadline job ran before its deadline by the centre's
// clock; the queue runs it again later.
type NotDueError struct{ Due, Now time.Time }

func (e *NotDueError) Error() string {
	return fmt.Sprintf("due at %s, now %s", e.Due.Format(time.RFC3339), e.Now.Format(time.RFC3339))
}

// OpenDeadlines lists every deadline still open in the projections: each
// unacknowledged, unescalated message of an open thread, and the
// guarantees of each arrangement's latest version still outstanding.
func (c *Centre) OpenDeadlines(ctx context.Context) ([]Deadline, error) {
	threads, err := c.Store.Threads(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []Deadline
	for _, th := range threads {
		out = append(out, threadDeadlines(th)...)
	}
	recs, err := c.Store.Arrangements(ctx)
	if err != nil {
		return nil, err
	}
	reg, err := c.Registry(ctx)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if d := arrangementDeadline(rec, reg); d != nil {
			out = append(out, *d)
		}
	}
	// The last cut-off (its warnings raised again if a restart missed
	// them: each is raised once) and the next.
	next := c.nextCutOff(c.now())
	_, last := c.reports.Period(c.reports.DayOf(next.Add(-time.Second)).AddDate(0, 0, -1))
	out = append(out, Deadline{Kind: DeadlineCutOff, Due: last}, Deadline{Kind: DeadlineCutOff, Due: next})
	return append(out, Deadline{Kind: DeadlineHour, Due: c.now().Truncate(time.Hour).Add(time.Hour)}), nil
}

// nextCutOff is the first cut-off after t.
func (c *Centre) nextCutOff(t time.Time) time.Time {
	_, to := c.reports.Period(c.reports.DayOf(t))
	return to
}

func threadDeadlines(th *hotline.Thread) []Deadline {
	var out []Deadline
	for _, d := range th.Deadlines() {
		out = append(out, Deadline{Kind: DeadlineHotline, Thread: d.Thread, Message: d.Message, Due: d.Due})
	}
	return out
}

// arrangementDeadline is the deadline of rec's latest version while its
// guarantees are outstanding, the arrangement open and no miss recorded.
func arrangementDeadline(rec *agreement.ArrangementRecord, reg *agreement.Registry) *Deadline {
	vs := reg.Versions(rec.ID)
	if len(vs) == 0 || rec.Outcome != nil {
		return nil
	}
	v := vs[len(vs)-1]
	if v.Signed || len(agreement.Outstanding(v)) == 0 {
		return nil
	}
	for _, e := range rec.Events {
		if (e.Kind == "deadline_missed" && e.Version == v.Version) || e.Kind == "cancel" || e.Kind == "withdraw" {
			return nil
		}
	}
	return &Deadline{Kind: DeadlineArrangement, Arrangement: rec.ID, Version: v.Version, Due: v.Deadline()}
}

// FireDeadline records that d was missed, if it was: the statement made,
// or nil when there is nothing to record (acknowledged, guaranteed,
// resolved, superseded, or recorded already). Before d.Due it returns a
// *NotDueError.
func (c *Centre) FireDeadline(ctx context.Context, d Deadline) (*ledger.Signed, error) {
	if now := c.now(); now.Before(d.Due) {
		return nil, &NotDueError{Due: d.Due, Now: now}
	}
	op, err := c.Operator(ctx)
	if err != nil {
		return nil, err
	}
	var typ string
	var payload any
	switch d.Kind {
	case DeadlineCutOff:
		// The day that closed at d.Due: its warnings, then the next day's
		// cut-off.
		day := c.reports.DayOf(d.Due.Add(-time.Second))
		if _, err := c.RaiseWarnings(ctx, op, day); err != nil {
			return nil, err
		}
		if s := c.scheduler(); s != nil {
			if err := s.ArmDeadlines(ctx, []Deadline{{Kind: DeadlineCutOff, Due: c.nextCutOff(d.Due)}}); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case DeadlineHour:
		if err := c.digestDue(ctx, d.Due); err != nil {
			return nil, err
		}
		if s := c.scheduler(); s != nil {
			if err := s.ArmDeadlines(ctx, []Deadline{{Kind: DeadlineHour, Due: d.Due.Add(time.Hour)}}); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case DeadlineHotline:
		th, err := c.Store.Thread(ctx, d.Thread)
		if err != nil || th == nil {
			return nil, err
		}
		missed := false
		for _, open := range th.Deadlines() {
			missed = missed || (open.Message == d.Message && open.Due.Equal(d.Due))
		}
		if !missed {
			return nil, nil
		}
		typ, payload = hotline.TypeEscalate, hotline.Escalate{Thread: d.Thread, Message: d.Message, Due: d.Due}
	case DeadlineArrangement:
		rec, err := c.Store.Arrangement(ctx, d.Arrangement)
		if err != nil || rec == nil {
			return nil, err
		}
		reg, err := c.Registry(ctx)
		if err != nil {
			return nil, err
		}
		open := arrangementDeadline(rec, reg)
		if open == nil || open.Version != d.Version {
			return nil, nil
		}
		if now := c.now(); !now.After(open.Due) {
			return nil, &NotDueError{Due: open.Due.Add(time.Millisecond), Now: now}
		}
		vs := reg.Versions(rec.ID)
		typ, payload = agreement.TypeArrangementDeadlineMissed, agreement.DeadlineMissed{Arrangement: rec.ID, Version: d.Version,
			Missing: agreement.Outstanding(vs[len(vs)-1])}
	default:
		return nil, fmt.Errorf("unknown deadline kind %q", d.Kind)
	}
	st, err := c.Say(ctx, op, typ, payload)
	if errors.Is(err, ledger.ErrConflict) {
		return nil, nil // recorded by another run, or no longer missed
	}
	if err != nil {
		return nil, err
	}
	slog.Info("deadline missed", "kind", d.Kind, "thread", d.Thread, "message", d.Message, "arrangement", d.Arrangement, "seq", st.Seq)
	return st, nil
}

// deadlinesOf lists the deadlines that a batch of statements opened: new
// messages of hotline threads, and arrangements requested or extended.
func (c *Centre) deadlinesOf(ctx context.Context, batch []*ledger.Signed) []Deadline {
	threads, arrangements := map[string]bool{}, map[string]bool{}
	for _, s := range batch {
		var p struct {
			ID          string `json:"id"`
			Thread      string `json:"thread"`
			Arrangement string `json:"arrangement"`
		}
		switch s.Statement.Type {
		case hotline.TypeOpen:
			threads[hotline.IDFor(s.Seq)] = true
		case hotline.TypeMessage:
			if json.Unmarshal(s.Statement.Payload, &p) == nil {
				threads[p.Thread] = true
			}
		case agreement.TypeArrangementRequest, agreement.TypeArrangementExtend:
			if json.Unmarshal(s.Statement.Payload, &p) == nil {
				arrangements[p.ID+p.Arrangement] = true
			}
		}
	}
	var out []Deadline
	for id := range threads {
		if th, err := c.Store.Thread(ctx, id); err == nil && th != nil {
			out = append(out, threadDeadlines(th)...)
		}
	}
	if len(arrangements) > 0 {
		reg, err := c.Registry(ctx)
		if err != nil {
			return out
		}
		for id := range arrangements {
			if rec, err := c.Store.Arrangement(ctx, id); err == nil && rec != nil {
				if d := arrangementDeadline(rec, reg); d != nil {
					out = append(out, *d)
				}
			}
		}
	}
	return out
}

// followCoordination follows appended statements: it arms the deadlines
// they open in the scheduler, once one is set, and raises the alerts they
// match. On start, and should it fall behind the hub, it arms every open
// deadline again (arming is idempotent) and matches again what it may
// have missed (an alert raised twice is refused).
func (c *Centre) followCoordination(ctx context.Context) {
	c.coordinating.Store(true)
	for ctx.Err() == nil {
		ch, next, cancel := c.Subscribe()
		c.catchUpAlerts(ctx, next)
		raise(&c.coordHandled, next)
		if s := c.scheduler(); s != nil {
			if ds, err := c.OpenDeadlines(ctx); err == nil {
				if err := s.ArmDeadlines(ctx, ds); err != nil && ctx.Err() == nil {
					slog.Warn("arm deadlines", "err", err)
				}
			}
		}
		for open := true; open; {
			var batch []*ledger.Signed
			select {
			case <-ctx.Done():
				cancel()
				return
			case s, ok := <-ch:
				if open = ok; !ok {
					continue
				}
				batch = append(batch, s)
			}
		drain:
			for len(batch) < 1000 {
				select {
				case s, ok := <-ch:
					if open = ok; !ok {
						break drain
					}
					batch = append(batch, s)
				default:
					break drain
				}
			}
			c.onCoordination(ctx, batch)
			raise(&c.coordHandled, batch[len(batch)-1].Seq+1)
		}
		cancel()
	}
}

func (c *Centre) onCoordination(ctx context.Context, batch []*ledger.Signed) {
	c.raiseAlerts(ctx, batch)
	s := c.scheduler()
	if s == nil {
		return
	}
	if ds := c.deadlinesOf(ctx, batch); len(ds) > 0 {
		if err := s.ArmDeadlines(ctx, ds); err != nil && ctx.Err() == nil {
			slog.Warn("arm deadlines", "err", err)
		}
	}
}
