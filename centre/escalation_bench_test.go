package centre_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"truce/hotline"
	"truce/incident"
	"truce/queue"
	"truce/store/sqlite"
	st "truce/store/storetest"
)

// BenchmarkEscalationDelay measures how late a missed hotline deadline is
// escalated, by the wall clock: from the deadline to the hotline.escalate
// statement reaching the event stream, through the real job queue
// (River over its SQLite file) and the real store. Each iteration opens
// threads whose deadlines fall 6 to 8 s later and waits for
// their escalations; it reports the median and the 95th percentile, and
// one ed25519 verification on the same run, so that runs on a busy
// machine compare.
//
//	go test ./centre -run '^$' -bench EscalationDelay -benchtime 1x -count 3
func BenchmarkEscalationDelay(b *testing.B) {
	dir := b.TempDir()
	s, err := sqlite.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	f := st.NewFixture(b, s)
	c := f.Centre
	ctx := context.Background()
	q, err := queue.Open(ctx, c, queue.Options{Path: filepath.Join(dir, queue.FileName)})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	const threads = 20
	var delays []time.Duration
	for b.Loop() {
		events, _, cancel := c.Subscribe()
		due := map[string]time.Time{}
		start := time.Now().Add(6 * time.Second)
		for i := range threads {
			// Opened in the past, so that the 60 s minimum deadline falls
			// between 6 and 8 s from now: a real deadline is a minute or
			// more away when it is armed, and River's scheduler makes a job
			// ready up to 5 s ahead of its time.
			at := start.Add(time.Duration(i) * 100 * time.Millisecond).Add(-hotline.MinAck)
			stmt, err := c.SayAt(ctx, f.S[st.UARep], hotline.TypeOpen, hotline.OpenThread{Kind: hotline.Violation, To: hotline.CentreSide,
				Subject: "Shelling near the crew", AckWithin: int64(hotline.MinAck / time.Second),
				Body: hotline.Body{Text: incident.Text{Lang: "en", Text: "Shelling near the crew."}}}, at)
			if err != nil {
				b.Fatal(err)
			}
			due[hotline.IDFor(stmt.Seq)] = stmt.Statement.Time.Add(hotline.MinAck)
		}
		timeout := time.After(30 * time.Second)
		for len(due) > 0 {
			select {
			case s := <-events:
				if s.Statement.Type != hotline.TypeEscalate {
					continue
				}
				seen := time.Now()
				var p hotline.Escalate
				if err := json.Unmarshal(s.Statement.Payload, &p); err != nil {
					b.Fatal(err)
				}
				if d, ok := due[p.Thread]; ok {
					delays = append(delays, seen.Sub(d))
					delete(due, p.Thread)
				}
			case <-timeout:
				b.Fatalf("%d escalations did not come within 30 s", len(due))
			}
		}
		cancel()
	}
	slices.Sort(delays)
	b.ReportMetric(float64(delays[len(delays)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(delays[(len(delays)*95+99)/100-1].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(delays[len(delays)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(verifyMicros(), "ed25519-verify-µs")
}

// verifyMicros times one ed25519 verification of a 600-byte message.
func verifyMicros() float64 {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := make([]byte, 600)
	sig := ed25519.Sign(priv, msg)
	const n = 2000
	t0 := time.Now()
	for range n {
		ed25519.Verify(pub, msg, sig)
	}
	return float64(time.Since(t0).Microseconds()) / n
}
