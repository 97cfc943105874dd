package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"expvar"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"truce/api"
	"truce/blobs"
	"truce/store/sqlite"
	"truce/store/storetest"
)

// newLimitedEnv is newEnv with the API's limits set.
func newLimitedEnv(t *testing.T, l api.Limits) (*env, *api.Server) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := storetest.NewFixture(t, st)
	b, err := blobs.Open(dir+"/evidence", api.MaxEvidence)
	if err != nil {
		t.Fatal(err)
	}
	a := api.New(f.Centre, b)
	a.SetLimits(l)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, f: f, blobs: b}, a
}

// stat reads one of the limits' counters.
func stat(name string) int64 {
	m := expvar.Get("truce_limits").(*expvar.Map)
	if v, ok := m.Get(name).(*expvar.Int); ok {
		return v.Value()
	}
	return 0
}

// waitFor waits until cond holds, for as long as a loaded machine needs.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting, after two minutes, for %s", what)
		}
	}
}

func checkTooMany(t *testing.T, r response) {
	t.Helper()
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", r.status, r.body)
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if p := problemOf(t, r); p.Status != 429 || !strings.HasSuffix(p.Type, "/rate-limited") || p.Detail == "" {
		t.Fatalf("problem %+v", p)
	}
}

// A flood from one token gets 429s with Retry-After while another token
// is served. The bucket refills once in 1,000 s: exactly Burst requests
// pass, whatever the machine's speed.
func TestRateLimitPerToken(t *testing.T) {
	const burst = 20
	e, _ := newLimitedEnv(t, api.Limits{Rate: 0.001, Burst: burst, AnonRate: 0.001, AnonBurst: 3})
	before := stat("rate_limited_token")
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[int]int{}
		last   response
	)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				req, _ := http.NewRequest("GET", e.srv.URL+"/v1/me", nil)
				req.Header.Set("Authorization", "Bearer "+e.f.Tokens[storetest.UARep])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				counts[resp.StatusCode]++
				if resp.StatusCode == 429 {
					last = response{status: resp.StatusCode, header: resp.Header, body: body}
				}
				mu.Unlock()
			}
		}()
	}
	// Another token is served during the flood and after it.
	for i := 0; i < 10; i++ {
		e.must(e.get("/v1/me", storetest.RURep), 200)
	}
	wg.Wait()
	e.must(e.get("/v1/me", storetest.RURep), 200)
	if counts[200] != burst || counts[429] != 8*25-burst {
		t.Fatalf("flood of 200 from one token: %v, want %d×200 and the rest 429", counts, burst)
	}
	checkTooMany(t, last)
	if got := stat("rate_limited_token") - before; got != 8*25-burst {
		t.Fatalf("counted %d refusals", got)
	}
	checkTooMany(t, e.get("/v1/me", storetest.UARep))

	// Without a token, the caller's address has its own bucket; a wrong
	// token counts against it too, and a valid token is still served.
	for i := 0; i < 3; i++ {
		e.must(e.get("/healthz", ""), 200)
	}
	checkTooMany(t, e.get("/healthz", ""))
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer truce_wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 {
		t.Fatalf("wrong token from an address over its limit: %d, want 429", resp.StatusCode)
	}
	e.must(e.get("/v1/me", storetest.RURep), 200)
}

// upload posts n random bytes as member; chunked sends them without a
// Content-Length.
func (e *env) upload(member string, n int, chunked bool) (response, string) {
	e.t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	sum := sha256.Sum256(data)
	var body io.Reader = bytes.NewReader(data)
	if chunked {
		body = io.MultiReader(body) // hides the length
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/evidence", body)
	req.Header.Set("Authorization", "Bearer "+e.f.Tokens[member])
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}, hex.EncodeToString(sum[:])
}

// stored reports whether the evidence directory holds sha (by its file,
// without opening it).
func (e *env) stored(sha string) bool {
	_, err := os.Stat(e.blobs.Path(sha))
	return err == nil
}

// A member's unattached uploads count against its quota: past it an upload
// is refused with 413 and nothing is stored; attached files count no more;
// another member has its own quota.
func TestEvidenceQuota(t *testing.T) {
	const quota = 300 << 10
	e, _ := newLimitedEnv(t, api.Limits{EvidenceQuota: quota})
	id := e.report(storetest.UARep)
	var up struct {
		SHA256 string
		Size   int64
	}
	e.must(first(e.upload(storetest.UARep, 100<<10, false)), 201).json(t, &up)
	e.must(first(e.upload(storetest.UARep, 100<<10, true)), 201)
	before := stat("evidence_quota_refused")
	for _, chunked := range []bool{false, true} { // by its Content-Length, or once the quota is read
		r, sha := e.upload(storetest.UARep, 150<<10, chunked)
		if p := problemOf(t, r); r.status != 413 || !strings.HasSuffix(p.Type, "/evidence-quota") || !strings.Contains(p.Detail, "204800 bytes") {
			t.Fatalf("over the quota (chunked %v): %d %+v", chunked, r.status, p)
		}
		if e.stored(sha) {
			t.Fatalf("a refused upload was stored (chunked %v)", chunked)
		}
	}
	if got := stat("evidence_quota_refused") - before; got != 2 {
		t.Fatalf("counted %d refusals, want 2", got)
	}
	// Small files count 64 KiB each: the quota bounds their number too.
	e.must(first(e.upload(storetest.UARep, 10, false)), 201)
	e.must(first(e.upload(storetest.UARep, 10, false)), 413)
	e.must(first(e.upload(storetest.RURep, 150<<10, false)), 201)

	e.must(e.post("/v1/incidents/"+id+"/evidence", storetest.UARep, map[string]any{"evidence": map[string]any{
		"sha256": up.SHA256, "size": up.Size, "name": "crater.jpg", "media_type": "image/jpeg"}}), 201)
	e.must(first(e.upload(storetest.UARep, 100<<10, false)), 201)
}

func first(r response, _ string) response { return r }

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// An upload nobody attaches is removed once it is older than the expiry,
// and the removal is logged and counted; an attached one is kept.
func TestUnattachedEvidenceExpires(t *testing.T) {
	logs := &lockedBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	e, a := newLimitedEnv(t, api.Limits{EvidenceExpiry: 200 * time.Millisecond})
	id := e.report(storetest.UARep)
	var kept, lost struct {
		SHA256 string
		Size   int64
	}
	e.must(first(e.upload(storetest.UARep, 1000, false)), 201).json(t, &kept)
	e.must(first(e.upload(storetest.UARep, 2000, false)), 201).json(t, &lost)
	e.must(e.post("/v1/incidents/"+id+"/evidence", storetest.UARep, map[string]any{"evidence": map[string]any{
		"sha256": kept.SHA256, "size": kept.Size, "name": "crater.jpg", "media_type": "image/jpeg"}}), 201)
	files, bytes := stat("evidence_expired_files"), stat("evidence_expired_bytes")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.SweepEvidence(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	// The sweeper has judged the attached file once it forgets its record.
	waitFor(t, "the sweeper to remove the unattached upload and judge the attached one", func() bool {
		ups, err := e.blobs.Pending(storetest.UARep)
		return err == nil && len(ups) == 0 && !e.stored(lost.SHA256)
	})
	if !e.stored(kept.SHA256) {
		t.Fatal("attached evidence was removed")
	}
	e.must(e.get("/v1/evidence/"+kept.SHA256, storetest.UARep), 200)
	e.must(e.get("/v1/evidence/"+lost.SHA256, storetest.UARep), 404)
	if got := stat("evidence_expired_files") - files; got != 1 {
		t.Fatalf("counted %d expired files, want 1", got)
	}
	if got := stat("evidence_expired_bytes") - bytes; got != 2000 {
		t.Fatalf("counted %d expired bytes, want 2000", got)
	}
	log := logs.String()
	if !strings.Contains(log, "evidence expired") || !strings.Contains(log, "sha256="+lost.SHA256) ||
		!strings.Contains(log, "uploaded_by=["+storetest.UARep+"]") || strings.Contains(log, kept.SHA256) {
		t.Fatalf("log:\n%s", log)
	}
}

// rawPost opens a connection and sends a POST's headers announcing n body
// bytes.
func rawPost(t *testing.T, url, path, token string, n int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", path, token, n)
	return c
}

// answer reads what the server says before it closes the connection: a
// status line, or nothing.
func answer(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(2 * time.Minute)) // a guard against a hang, not a measurement
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && !strings.Contains(line, "HTTP") {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("the server kept a stalled body open for two minutes")
		}
	}
	return strings.TrimSpace(line)
}

// A body that stalls, or that trickles in below the minimum rate however
// often it makes progress, is cut with 408; one that keeps coming is read
// to its end, however long it takes; the event stream, with no body, is
// never cut.
func TestBodyDeadline(t *testing.T) {
	// A pause long enough that a loaded machine does not cut a steady upload.
	e, _ := newLimitedEnv(t, api.Limits{BodyTimeout: 2 * time.Second, BodyMinRate: 200})
	tok := e.f.Tokens[storetest.UARep]
	before := stat("body_timeouts")

	stalled := rawPost(t, e.srv.URL, "/v1/evidence", tok, 1000)
	stalled.Write(make([]byte, 10))
	if got := answer(t, stalled); !strings.Contains(got, "408") {
		t.Fatalf("stalled body: %q, want 408", got)
	}

	// 10 bytes a second, in steps well inside the pause: cut by the rate.
	trickle := rawPost(t, e.srv.URL, "/v1/evidence", tok, 1000)
	cut := make(chan string)
	go func() { cut <- answer(t, trickle) }()
	var got string
trickling:
	for {
		select {
		case got = <-cut:
			break trickling
		case <-time.After(100 * time.Millisecond):
			trickle.Write([]byte{'x'})
		}
	}
	if !strings.Contains(got, "408") {
		t.Fatalf("trickled body: %q, want 408", got)
	}
	if n := stat("body_timeouts") - before; n != 2 {
		t.Fatalf("counted %d body timeouts, want 2", n)
	}

	// Open the event stream before the slow upload: it outlives it.
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewReader(resp.Body)

	// 4,000 bytes in 40 steps of 100 ms: four seconds, two pauses' worth,
	// at about 1,000 bytes a second.
	steady := rawPost(t, e.srv.URL, "/v1/evidence", tok, 4000)
	for i := 0; i < 40; i++ {
		if _, err := steady.Write(make([]byte, 100)); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := answer(t, steady); !strings.Contains(got, "201") {
		t.Fatalf("steady slow upload: %q, want 201", got)
	}

	e.report(storetest.UARep)
	for {
		line, err := events.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream cut: %v", err)
		}
		if strings.HasPrefix(line, "event: statement") {
			break
		}
	}
}
