package queue_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"truce/alert"
	"truce/incident"
	"truce/queue"
	"truce/store/sqlite"
	st "truce/store/storetest"
)

// receiver is a webhook receiver on 127.0.0.1 that answers fail for its
// first failures requests, then 200, and checks every signature.
type receiver struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	secret   []byte
	failures int
	fail     int
	got      []string // alert IDs, one per request
	attempts []string
}

func newReceiver(t *testing.T, failures, fail int) *receiver {
	r := &receiver{t: t, failures: failures, fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := alert.Verify(r.secret, req.Header.Get(alert.HeaderTimestamp), req.Header.Get(alert.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("request %d: %v", len(r.got)+1, err)
		}
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s", req.Method, req.Header.Get("Content-Type"))
		}
		r.got = append(r.got, req.Header.Get(alert.HeaderAlert))
		r.attempts = append(r.attempts, req.Header.Get(alert.HeaderAttempt))
		if len(r.got) <= r.failures {
			w.WriteHeader(r.fail)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// realEnv is a centre and a queue on the system clock: retries wait for
// real time to pass.
func realEnv(t *testing.T, attempts int) *env {
	t.Helper()
	dir := t.TempDir()
	s, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := &env{t: t, dir: dir, f: st.NewFixture(t, s)}
	q, err := queue.Open(context.Background(), e.f.Centre, queue.Options{Path: filepath.Join(dir, queue.FileName), Poll: 20 * time.Millisecond,
		Delivery: queue.Delivery{Attempts: attempts, Backoff: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return e
}

// subscribeHook subscribes member to new incidents with a webhook at url.
func (e *env) subscribeHook(member, url string) (string, []byte) {
	e.t.Helper()
	s, secret, err := e.f.Centre.NewSubscription(context.Background(), e.f.S[member], alert.Subscribe{Name: "hook",
		Filter: alert.Filter{Events: []alert.Kind{alert.Incident}}}, url)
	if err != nil || secret == "" {
		e.t.Fatalf("subscribe: %v", err)
	}
	return alert.SubscriptionID(s.Seq), []byte(secret)
}

func (e *env) delivered(id string) *alert.Alert {
	a, err := e.f.Store.Alert(context.Background(), id)
	if err != nil || a == nil {
		e.t.Fatalf("alert %s: %v", id, err)
	}
	return a
}

// A webhook that fails at first, then accepts: the alert is delivered on
// the third attempt, each request signed, and the delivery recorded once
// as a statement with the HTTP status.
func TestWebhookRetriedUntilDelivered(t *testing.T) {
	e := realEnv(t, 5)
	ctx := context.Background()
	rcv := newReceiver(t, 2, http.StatusServiceUnavailable)
	_, secret := e.subscribeHook(st.Coord, rcv.srv.URL+"/hooks/truce")
	rcv.mu.Lock()
	rcv.secret = secret
	rcv.mu.Unlock()
	inc := e.say(st.UARep, incident.TypeReport, st.Report())
	var id string
	waitFor(t, "the alert", func() bool {
		as, _ := e.f.Store.Alerts(ctx, alert.Query{Member: st.Coord})
		if len(as) == 1 {
			id = as[0].ID
		}
		return id != ""
	})
	if a := e.delivered(id); a.Event.Record != incident.IDFor(inc.Seq) || a.Webhook != rcv.srv.URL+"/hooks/truce" {
		t.Fatalf("alert %+v", a)
	}
	waitFor(t, "the delivery", func() bool { return e.delivered(id).Delivery != nil })
	d := e.delivered(id).Delivery
	if d.Outcome != alert.OutcomeDelivered || d.Status != http.StatusNoContent || d.Attempts != 3 {
		t.Fatalf("delivery %+v", d)
	}
	if got := rcv.requests(); len(got) != 3 || got[0] != id || got[2] != id {
		t.Fatalf("requests %v", got)
	}
	if rcv.attempts[0] != "1" || rcv.attempts[2] != "3" {
		t.Fatalf("attempt headers %v", rcv.attempts)
	}
	if n := e.count(alert.TypeDelivered); n != 1 {
		t.Fatalf("%d alert.delivered, want 1", n)
	}
	// Recording it again (a job run twice) appends nothing.
	if s, err := e.f.Centre.RecordDelivery(ctx, id, true, 200, 4, ""); err != nil || s != nil {
		t.Fatalf("second record: %v %v", s, err)
	}
}

// A webhook that never accepts: after the last attempt the failure is
// recorded, with the last status.
func TestWebhookFailsAfterLastAttempt(t *testing.T) {
	e := realEnv(t, 2)
	ctx := context.Background()
	rcv := newReceiver(t, 100, http.StatusInternalServerError)
	_, secret := e.subscribeHook(st.Mon1, rcv.srv.URL)
	rcv.mu.Lock()
	rcv.secret = secret
	rcv.mu.Unlock()
	e.say(st.UARep, incident.TypeReport, st.Report())
	var id string
	waitFor(t, "the failure", func() bool {
		as, _ := e.f.Store.Alerts(ctx, alert.Query{Member: st.Mon1, Delivery: alert.OutcomeFailed})
		if len(as) == 1 {
			id = as[0].ID
		}
		return id != ""
	})
	d := e.delivered(id).Delivery
	if d.Status != http.StatusInternalServerError || d.Attempts != 2 || d.Error == "" {
		t.Fatalf("failure %+v", d)
	}
	if len(rcv.requests()) != 2 || e.count(alert.TypeFailed) != 1 {
		t.Fatalf("%d requests, %d alert.failed", len(rcv.requests()), e.count(alert.TypeFailed))
	}
}
