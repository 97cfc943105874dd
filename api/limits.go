package api

import (
	"context"
	"errors"
	"expvar"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"truce/blobs"
	"truce/centre"
	"truce/ledger"
)

// Limits bound what one caller can take of the centre. The zero value
// limits nothing: New serves without limits, and `truce serve` sets
// DefaultLimits, or what its flags say.
type Limits struct {
	// Rate is the sustained number of requests per second that one token
	// (one member: a member has one token) may make, and Burst how many it
	// may make at once above that. Zero Rate: no limit.
	Rate  float64
	Burst int
	// AnonRate and AnonBurst are the same for callers without a valid
	// token, per client IP address (the connection's, never a forwarded
	// header's). A request with a wrong token counts against its address.
	AnonRate  float64
	AnonBurst int

	// BodyTimeout is the longest a request body may pause: each read that
	// brings bytes extends the connection's read deadline to BodyTimeout
	// from then. BodyMinRate (bytes per second) is the slowest average a
	// body may arrive at, counted from the first BodyTimeout after the
	// headers: a body that trickles in more slowly than that is cut, however
	// often it makes progress. Zero BodyTimeout: no deadline (net/http's
	// own: none once the headers are in).
	BodyTimeout time.Duration
	BodyMinRate int64

	// EvidenceQuota bounds the evidence bytes that one member has uploaded
	// and nobody has attached yet; each file counts at least
	// MinEvidenceCharge. Zero: no quota.
	EvidenceQuota int64
	// EvidenceExpiry is how long an uploaded file may stay unattached
	// before SweepEvidence removes it. Zero: never.
	EvidenceExpiry time.Duration
}

// MinEvidenceCharge is the least that one uploaded file counts against a
// member's quota, so that a quota also bounds the number of files.
const MinEvidenceCharge = 64 << 10

// DefaultLimits are `truce serve`'s defaults. One token may take about a
// quarter of what a two-core server answers (some 4,500 requests a
// second), so a flood from one token leaves the rest to the others, while a
// client reading a thousand incidents one by one, or the console's bursts
// (a pan of the map fetches ahead), are never throttled. The ingest load
// test posts as fast as the server answers from one token, and turns the
// limit off (scripts/bench-ingest.sh: --rate-limit 0). A 256 MiB file on a
// link of 4 KiB/s takes 18 hours and still arrives.
var DefaultLimits = Limits{
	Rate: 1000, Burst: 2000,
	AnonRate: 100, AnonBurst: 400,
	BodyTimeout: 30 * time.Second, BodyMinRate: 4 << 10,
	EvidenceQuota: 1 << 30, EvidenceExpiry: 24 * time.Hour,
}

// Counters served by expvar (/debug/vars, on `truce serve --debug-addr`).
var limitStats = expvar.NewMap("truce_limits")

// limiter holds the live state of Limits.
type limiter struct {
	Limits
	mu        sync.Mutex
	buckets   map[string]*bucket
	lastClean time.Time

	quotaMu  sync.Mutex
	inflight map[string]int64 // bytes reserved by uploads in progress, by member
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// SetLimits applies l to every request from now on. Call it before
// serving.
func (s *Server) SetLimits(l Limits) {
	s.limits = &limiter{Limits: l, buckets: map[string]*bucket{}, inflight: map[string]int64{}}
}

// allow takes one request from key's bucket (token or address), or
// answers 429 with Retry-After and returns false.
func (l *limiter) allow(w http.ResponseWriter, r *http.Request, sess *centre.Session) bool {
	if l == nil {
		return true
	}
	key, lim, burst, what := "", l.Rate, l.Burst, "this token"
	if sess != nil {
		key = "m:" + sess.Member.ID
	} else {
		key, lim, burst, what = "a:"+clientIP(r), l.AnonRate, l.AnonBurst, "this address, without a token,"
	}
	if lim <= 0 {
		return true
	}
	now := time.Now()
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(lim), max(burst, 1))}
		l.buckets[key] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	delay := res.DelayFrom(now)
	if delay > 0 {
		res.CancelAt(now)
	}
	l.clean(now)
	l.mu.Unlock()
	if delay == 0 {
		return true
	}
	if sess != nil {
		limitStats.Add("rate_limited_token", 1)
	} else {
		limitStats.Add("rate_limited_address", 1)
	}
	secs := int(math.Ceil(delay.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	writeProblem(w, r, Problem{Type: problemBase + "rate-limited", Title: "Too many requests", Status: http.StatusTooManyRequests,
		Detail: fmt.Sprintf("%s made more than %g requests a second (%d at once); retry in %d s", what, lim, max(burst, 1), max(secs, 1))})
	return false
}

// clean drops buckets that have been idle long enough to be full again:
// forgetting them changes nothing. Callers hold l.mu.
func (l *limiter) clean(now time.Time) {
	if now.Sub(l.lastClean) < time.Minute {
		return
	}
	l.lastClean = now
	for k, b := range l.buckets {
		refill := time.Duration(float64(b.lim.Burst()) / float64(b.lim.Limit()) * float64(time.Second))
		if now.Sub(b.seen) > max(refill, time.Minute) {
			delete(l.buckets, k)
		}
	}
}

// clientIP is the connection's address, without its port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// errBodyTimeout is a request body that paused too long or came too
// slowly. It wraps context.DeadlineExceeded, so that the handlers that
// read bodies answer it as a request the client gave up on, and log
// nothing.
var errBodyTimeout = fmt.Errorf("request body too slow: %w", context.DeadlineExceeded)

// body puts a read deadline on r's body that progress extends (see
// Limits.BodyTimeout). Requests without a body get none: net/http is
// already reading their connection in the background to see the client
// go, and a deadline there would cancel the request (the event stream
// would end).
func (l *limiter) body(w http.ResponseWriter, r *http.Request) *http.Request {
	if l == nil || l.BodyTimeout <= 0 || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return r
	}
	b := &deadlineBody{ReadCloser: r.Body, rc: http.NewResponseController(w), start: time.Now(), gap: l.BodyTimeout, minRate: l.BodyMinRate}
	b.set = b.deadline(b.start)
	if b.rc.SetReadDeadline(b.set) != nil {
		return r // not a connection net/http serves (a test's recorder)
	}
	r2 := *r
	r2.Body = b
	return &r2
}

// deadlineBody extends its connection's read deadline as bytes arrive,
// and lifts it at the body's end: a handler may then run long (net/http's
// background read for a gone client must not time out).
type deadlineBody struct {
	io.ReadCloser
	rc         *http.ResponseController
	start, set time.Time
	gap        time.Duration
	minRate    int64
	n          int64
	done       bool
}

// deadline is the body's read deadline at now: a pause of at most gap,
// and on average at least minRate bytes a second after the first gap.
func (b *deadlineBody) deadline(now time.Time) time.Time {
	d := now.Add(b.gap)
	if b.minRate > 0 {
		credit := time.Duration(float64(b.n) / float64(b.minRate) * float64(time.Second))
		if r := b.start.Add(b.gap + credit); r.Before(d) {
			d = r
		}
	}
	return d
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err != nil {
		// At the end, the deadline goes. After a timeout it stays, and
		// net/http, which would read what is left of the body before it
		// answers, gives up at once.
		if err == io.EOF && !b.done {
			b.done = true
			b.rc.SetReadDeadline(time.Time{})
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			limitStats.Add("body_timeouts", 1)
			return n, errBodyTimeout
		}
		return n, err
	}
	// The deadline only moves later; moving it costs a timer update, so it
	// moves by a second (or a quarter of the pause) at least.
	if d := b.deadline(time.Now()); n > 0 && d.Sub(b.set) >= min(time.Second, b.gap/4) {
		b.set = d
		b.rc.SetReadDeadline(d)
	}
	return n, nil
}

// putEvidence stores an upload for sess within the member's quota. The
// bytes a member has uploaded and nobody has attached count against it,
// as do uploads in progress (by their Content-Length, or the whole
// remaining quota when the length is not given). Over the quota it answers
// 413 (the quota problem) and stores nothing.
func (s *Server) putEvidence(w http.ResponseWriter, r *http.Request, sess *centre.Session) (blobs.Upload, bool) {
	id := sess.Member.ID
	limit := int64(MaxEvidence)
	l := s.limits
	if l != nil && l.EvidenceQuota > 0 {
		used, err := s.unattached(r.Context(), id)
		if err != nil {
			fail(w, r, err)
			return blobs.Upload{}, false
		}
		l.quotaMu.Lock()
		remaining := l.EvidenceQuota - used - l.inflight[id]
		reserve := remaining
		if r.ContentLength >= 0 {
			reserve = max(r.ContentLength, MinEvidenceCharge)
		}
		if remaining < MinEvidenceCharge || reserve > remaining {
			l.quotaMu.Unlock()
			s.quotaProblem(w, r, id, used, r.ContentLength)
			return blobs.Upload{}, false
		}
		l.inflight[id] += reserve
		l.quotaMu.Unlock()
		defer func() {
			l.quotaMu.Lock()
			if l.inflight[id] -= reserve; l.inflight[id] == 0 {
				delete(l.inflight, id)
			}
			l.quotaMu.Unlock()
		}()
		limit = min(limit, reserve)
	}
	u, err := s.blobs.PutFor(http.MaxBytesReader(w, r.Body, MaxEvidence), id, limit, time.Now())
	switch {
	case errors.Is(err, blobs.ErrTooLarge) && limit < MaxEvidence:
		used, _ := s.unattached(r.Context(), id)
		s.quotaProblem(w, r, id, used, -1)
		return blobs.Upload{}, false
	case errors.Is(err, errBodyTimeout):
		writeProblem(w, r, Problem{Type: problemBase + "body-timeout", Title: "Request timeout", Status: http.StatusRequestTimeout, Detail: err.Error()})
		return blobs.Upload{}, false
	case err != nil:
		fail(w, r, err)
		return blobs.Upload{}, false
	}
	// Bytes that are attached already count against nobody.
	if incs, err := s.centre.Store.EvidenceIncidents(r.Context(), u.SHA256); err == nil && len(incs) > 0 {
		s.blobs.Settle(u.SHA256)
	}
	return u, true
}

func (s *Server) quotaProblem(w http.ResponseWriter, r *http.Request, member string, used, length int64) {
	limitStats.Add("evidence_quota_refused", 1)
	d := fmt.Sprintf("member %s has %d bytes of evidence that nobody has attached yet, of a quota of %d", member, used, s.limits.EvidenceQuota)
	if length >= 0 {
		d += fmt.Sprintf("; this file has %d", length)
	}
	if s.limits.EvidenceExpiry > 0 {
		d += fmt.Sprintf("; attach them to incidents, or they expire %s after their upload", s.limits.EvidenceExpiry)
	}
	writeProblem(w, r, Problem{Type: problemBase + "evidence-quota", Title: "Upload quota exceeded", Status: http.StatusRequestEntityTooLarge, Detail: d})
}

// unattached is what member's unattached uploads count against its
// quota. Uploads found attached are settled on the way.
func (s *Server) unattached(ctx context.Context, member string) (int64, error) {
	ups, err := s.blobs.Pending(member)
	if err != nil {
		return 0, err
	}
	var used int64
	for _, u := range ups {
		incs, err := s.centre.Store.EvidenceIncidents(ctx, u.SHA256)
		if err != nil {
			return 0, err
		}
		if len(incs) > 0 {
			if err := s.blobs.Settle(u.SHA256); err != nil {
				return 0, err
			}
			continue
		}
		used += max(u.Size, MinEvidenceCharge)
	}
	return used, nil
}

// SweepEvidence removes uploaded evidence that nobody attached within
// Limits.EvidenceExpiry, now and then every quarter of that (at most
// hourly), until ctx ends. Each removal is logged and counted. Without an
// expiry it returns at once.
func (s *Server) SweepEvidence(ctx context.Context) {
	if s.limits == nil || s.limits.EvidenceExpiry <= 0 {
		return
	}
	every := min(max(s.limits.EvidenceExpiry/4, 10*time.Millisecond), time.Hour)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.sweepEvidence(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) sweepEvidence(ctx context.Context) {
	attached := func(ctx context.Context, sha string) (bool, error) {
		incs, err := s.centre.Store.EvidenceIncidents(ctx, sha)
		return len(incs) > 0, err
	}
	gone, err := s.blobs.Sweep(ctx, s.limits.EvidenceExpiry, time.Now(), attached)
	for _, x := range gone {
		limitStats.Add("evidence_expired_files", 1)
		limitStats.Add("evidence_expired_bytes", x.Size)
		members := make([]string, 0, len(x.Uploads))
		last := x.Modified // no record: the file's time
		if len(x.Uploads) > 0 {
			last = time.Time{}
		}
		for _, u := range x.Uploads {
			members = append(members, u.Member)
			if u.At.After(last) {
				last = u.At
			}
		}
		slices.Sort(members)
		slog.Info("evidence expired: uploaded and never attached", "sha256", x.SHA256, "size", x.Size,
			"uploaded_by", members, "last_uploaded", last.UTC().Format(time.RFC3339), "expiry", s.limits.EvidenceExpiry.String())
	}
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, ledger.ErrClosed) {
		slog.Warn("evidence sweep stopped early", "err", err)
	}
}
