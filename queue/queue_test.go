package queue_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"truce/agreement"
	"truce/alert"
	"truce/centre"
	"truce/hotline"
	"truce/incident"
	"truce/ledger"
	"truce/queue"
	"truce/store/sqlite"
	st "truce/store/storetest"
)

// clock is a clock the test moves by hand; the centre and the queue share it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 24, 3, 0, 0, 0, time.UTC)} }

type env struct {
	t   *testing.T
	dir string
	f   *st.Fixture
	clk *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	s, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	clk := newClock()
	return &env{t: t, dir: dir, f: st.NewFixtureAt(t, s, clk.Now), clk: clk}
}

func (e *env) queue() *queue.Queue {
	e.t.Helper()
	q, err := queue.Open(context.Background(), e.f.Centre, queue.Options{Path: filepath.Join(e.dir, queue.FileName), Now: e.clk.Now, Poll: 20 * time.Millisecond})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(q.Close)
	return q
}

func (e *env) say(member, typ string, payload any) *ledger.Signed {
	e.t.Helper()
	s, err := e.f.Centre.Say(context.Background(), e.f.S[member], typ, payload)
	if err != nil {
		e.t.Fatalf("%s by %s: %v", typ, member, err)
	}
	return s
}

// count counts the statements of type typ in the ledger.
func (e *env) count(typ string) int {
	e.t.Helper()
	all, err := e.f.Store.Statements(context.Background(), 0, 100000)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, s := range all {
		if s.Statement.Type == typ {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds, failing after a generous bound (the
// queue's scheduler promotes jobs every few seconds).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A hotline message left unacknowledged past its deadline, by the centre's
// clock, is escalated once by a signed statement; acknowledged in time,
// it is not.
func TestHotlineEscalation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	open := func(subject string) string {
		s := e.say(st.UARep, hotline.TypeOpen, hotline.OpenThread{Kind: hotline.Violation, To: hotline.CentreSide, Subject: subject, AckWithin: 60,
			Body: hotline.Body{Text: incident.Text{Lang: "en", Text: "Shelling near the crew."}}})
		return hotline.IDFor(s.Seq)
	}
	late := open("Shelling near the crew")
	// The centre's hotline coordinator is told of missed deadlines; ru's
	// representative, who may not read ua's thread, is not.
	for _, who := range []string{st.Coord, st.RURep} {
		if _, _, err := e.f.Centre.NewSubscription(ctx, e.f.S[who], alert.Subscribe{Name: "missed",
			Filter: alert.Filter{Events: []alert.Kind{alert.HotlineMissed}}}, ""); err != nil {
			t.Fatal(err)
		}
	}
	e.queue()
	acked := open("Shelling near the depot") // armed by the follower, not on start
	e.say(st.Coord, hotline.TypeAck, hotline.Ack{Thread: acked, Message: 1})
	thread := func(id string) *hotline.Thread {
		th, err := e.f.Store.Thread(ctx, id)
		if err != nil || th == nil {
			t.Fatalf("thread %s: %v", id, err)
		}
		return th
	}
	if thread(late).Messages[0].Escalated != nil {
		t.Fatal("escalated before its deadline")
	}
	e.clk.advance(61 * time.Second)
	waitFor(t, "the escalation", func() bool { return thread(late).Messages[0].Escalated != nil })
	esc := thread(late).Messages[0].Escalated
	if esc.By != centre.OperatorID || esc.At.Before(thread(late).Messages[0].Due) {
		t.Fatalf("escalation %+v", esc)
	}
	waitFor(t, "the coordinator's alert", func() bool {
		as, err := e.f.Store.Alerts(ctx, alert.Query{Member: st.Coord})
		return err == nil && len(as) == 1 && as[0].Event.Kind == alert.HotlineMissed && as[0].Event.Record == late && as[0].Event.Message == 1
	})
	// A second run of the same job appends nothing.
	d := centre.Deadline{Kind: centre.DeadlineHotline, Thread: late, Message: 1, Due: thread(late).Messages[0].Due}
	if s, err := e.f.Centre.FireDeadline(ctx, d); err != nil || s != nil {
		t.Fatalf("second run: %v, %v", s, err)
	}
	if n := e.count(hotline.TypeEscalate); n != 1 {
		t.Fatalf("%d escalations, want 1", n)
	}
	if thread(acked).Messages[0].Escalated != nil {
		t.Fatal("an acknowledged message was escalated")
	}
	if as, _ := e.f.Store.Alerts(ctx, alert.Query{Member: st.RURep}); len(as) != 0 {
		t.Fatalf("ru was told of ua's thread: %+v", as)
	}
	// The per-party figures count it.
	for _, f := range hotline.Measure([]*hotline.Thread{thread(late)}, e.clk.Now()) {
		if f.Party == hotline.CentreSide && f.Escalated != 1 {
			t.Fatalf("centre's figures %+v", f)
		}
	}
	// Before its deadline, a job is told to wait.
	e.say(st.UARep, hotline.TypeMessage, hotline.Say{Thread: late, Body: hotline.Body{Text: incident.Text{Lang: "en", Text: "Still shelling."}}})
	due := thread(late).Messages[1].Due
	if _, err := e.f.Centre.FireDeadline(ctx, centre.Deadline{Kind: centre.DeadlineHotline, Thread: late, Message: 2, Due: due}); err == nil {
		t.Fatal("fired before the deadline")
	}
}

// An arrangement whose guarantees are not all in by the deadline gets one
// arrangement.deadline_missed naming the parties outstanding, also when
// the queue starts after the deadline passed (armed from the projections).
func TestArrangementDeadlineMissed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clk.Now()
	e.say(st.UARep, agreement.TypeArrangementRequest, map[string]any{
		"id": "w-1", "title": map[string]string{"en": "Repair window w-1"}, "parties": []string{"ua", "ru"},
		"from": now.Format(time.RFC3339), "until": now.Add(3 * time.Hour).Format(time.RFC3339),
		"deadline": now.Add(10 * time.Minute).Format(time.RFC3339),
		"purpose":  "repair", "shape": "line", "buffer_m": 2000,
		"geometry": map[string]any{"type": "LineString", "coordinates": [][]float64{{36.0, 47.66}, {36.5, 47.66}}},
	})
	e.clk.advance(11 * time.Minute)
	e.queue()
	missed := func() []agreement.ArrangementEvent {
		rec, err := e.f.Store.Arrangement(ctx, "w-1")
		if err != nil || rec == nil {
			t.Fatalf("arrangement: %v", err)
		}
		var out []agreement.ArrangementEvent
		for _, ev := range rec.Events {
			if ev.Kind == "deadline_missed" {
				out = append(out, ev)
			}
		}
		return out
	}
	waitFor(t, "the missed deadline", func() bool { return len(missed()) > 0 })
	if ev := missed()[0]; ev.Version != 1 || ev.Text != "ua, ru" || ev.Member != centre.OperatorID {
		t.Fatalf("event %+v", ev)
	}
	if s, err := e.f.Centre.FireDeadline(ctx, centre.Deadline{Kind: centre.DeadlineArrangement, Arrangement: "w-1", Version: 1,
		Due: now.Add(10 * time.Minute)}); err != nil || s != nil {
		t.Fatalf("second run: %v, %v", s, err)
	}
	if n := e.count(agreement.TypeArrangementDeadlineMissed); n != 1 {
		t.Fatalf("%d statements, want 1", n)
	}
	// The fold refuses one made by anyone but the centre's coordinators,
	// and a second one.
	if _, err := e.f.Centre.Say(ctx, e.f.S[st.Coord], agreement.TypeArrangementDeadlineMissed,
		agreement.DeadlineMissed{Arrangement: "w-1", Version: 1, Missing: []string{"ua", "ru"}}); err == nil {
		t.Fatal("a mediator's coordinator recorded a missed deadline")
	}
	op, _ := e.f.Centre.Operator(ctx)
	if _, err := e.f.Centre.Say(ctx, op, agreement.TypeArrangementDeadlineMissed,
		agreement.DeadlineMissed{Arrangement: "w-1", Version: 1, Missing: []string{"ua", "ru"}}); err == nil {
		t.Fatal("a second missed deadline was recorded")
	}
}
