package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// freeAddr finds a free loopback port for --debug-addr.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// vars reads the server's counters from its --debug-addr, which may start
// listening after the API does.
func vars(t *testing.T, debug string) map[string]int64 {
	t.Helper()
	var resp *http.Response
	eventually(t, "the profiler's address to answer", func() bool {
		var err error
		resp, err = http.Get("http://" + debug + "/debug/vars")
		return err == nil
	})
	defer resp.Body.Close()
	var all map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, m := range []string{"truce_http", "truce_limits"} {
		var v map[string]int64
		json.Unmarshal(all[m], &v)
		for k, n := range v {
			out[k] = n
		}
	}
	return out
}

// vm reads a VmRSS-like line of /proc/PID/status, in MiB.
func vm(pid int, field string) string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int
			fmt.Sscan(rest, &kb)
			return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
		}
	}
	return "?"
}

// slowClients opens n connections that each stall: a third send part of
// their headers, a third whole headers and part of an upload's body, a
// third one whole request and then nothing (idle). It returns once every
// connection has sent what it will send, and a counter of the
// connections the server has since closed.
func slowClients(t *testing.T, url, token string, n int) *atomic.Int64 {
	t.Helper()
	addr := strings.TrimPrefix(url, "http://")
	var closed atomic.Int64
	var sent sync.WaitGroup
	for i := 0; i < n; i++ {
		sent.Add(1)
		go func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				sent.Done()
				t.Errorf("connection %d: %v", i, err)
				closed.Add(1)
				return
			}
			defer c.Close()
			r := bufio.NewReader(c)
			switch i % 3 {
			case 0:
				fmt.Fprintf(c, "GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n", token)
			case 1:
				fmt.Fprintf(c, "POST /v1/evidence HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 1000000\r\n\r\npart of a photo", token)
			case 2:
				fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					// On a loaded machine this goroutine may have written its
					// request after the header timeout: shed all the same.
					sent.Done()
					closed.Add(1)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			sent.Done()
			// Whatever the server says (408 for the body), it then closes.
			c.SetReadDeadline(time.Now().Add(5 * time.Minute)) // a guard against a hang, not a measurement
			io.Copy(io.Discard, r)
			closed.Add(1)
		}()
	}
	sent.Wait()
	return &closed
}

func loadSetup(t *testing.T) (data, ua, ru string) {
	t.Helper()
	data = t.TempDir()
	for _, p := range [][]string{{"ua", "Ukraine", "belligerent"}, {"ru", "Russia", "belligerent"}} {
		truce(t, nil, "party", "add", "--data", data, "--id", p[0], "--name", p[1], "--kind", p[2])
	}
	ua = addMember(t, data, "--party", "ua", "--name", "Rep", "--roles", "representative")
	ru = addMember(t, data, "--party", "ru", "--name", "Rep", "--roles", "representative")
	return data, ua, ru
}

var reportBody = `{"type":"shelling","observed_at":"2026-01-24T03:00:00Z","time_precision":"minute",
 "location":{"geometry":{"type":"Point","coordinates":[36.2,47.6]},"precision_m":100},
 "description":{"lang":"en","text":"load test"}}`

func call(t *testing.T, method, url, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// 2,000 slow connections (200 with -short) are shed by the header, body
// and idle timeouts, while a normal request is served and the event stream,
// open all along, is not cut.
func TestSlowConnectionsAreShed(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	data, ua, ru := loadSetup(t)
	debug := freeAddr(t)
	srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--debug-addr", debug,
		"--header-timeout", "1s", "--idle-timeout", "1s", "--body-timeout", "1s")
	pid := srv.cmd.Process.Pid

	req, _ := http.NewRequest("GET", srv.url+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+ru)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	events := bufio.NewReader(stream.Body)

	before := vars(t, debug)
	began := time.Now()
	closed := slowClients(t, srv.url, ua, n)
	opened := time.Since(began)
	// A normal request during the attack.
	t0 := time.Now()
	if code := call(t, "POST", srv.url+"/v1/incidents", ru, reportBody); code != 201 {
		t.Fatalf("a report during the attack: %d", code)
	}
	during := time.Since(t0)
	rssDuring := vm(pid, "VmRSS")
	eventually(t, fmt.Sprintf("the server to shed %d slow connections", n), func() bool { return closed.Load() == int64(n) })
	shed := time.Since(began)
	after := vars(t, debug)
	delta := func(k string) int64 { return after[k] - before[k] }
	if got := delta("connections_closed_new") + delta("connections_closed_active") + delta("connections_closed_idle"); got < int64(n) {
		t.Errorf("the server counted %d connections closed, want at least %d", got, n)
	}
	// Most partial bodies are cut by the body timeout (a client goroutine
	// that a loaded machine held back past the header timeout is cut by
	// that instead).
	if got := delta("body_timeouts"); got < 1 || got > int64((n+1)/3) {
		t.Errorf("body timeouts: %d, want 1 to %d", got, (n+1)/3)
	}
	if code := call(t, "GET", srv.url+"/v1/me", ua, ""); code != 200 {
		t.Fatalf("after the attack: %d", code)
	}
	// The stream saw the report made during the attack, and still follows.
	if code := call(t, "POST", srv.url+"/v1/incidents", ua, reportBody); code != 201 {
		t.Fatalf("a report after the attack: %d", code)
	}
	for seen := 0; seen < 2; {
		line, err := events.ReadString('\n')
		if err != nil {
			t.Fatalf("the event stream was cut: %v", err)
		}
		if strings.HasPrefix(line, "event: statement") {
			seen++
		}
	}
	t.Logf("%d slow connections: opened in %v, all shed %v after the first; a report during the attack took %v; "+
		"server RSS during %s, peak %s; %d connections at most at once; closed: %d new, %d in a request (%d by the body timeout), %d idle",
		n, opened.Round(time.Millisecond), shed.Round(time.Millisecond), during.Round(time.Millisecond), rssDuring, vm(pid, "VmHWM"),
		after["connections_open_max"], delta("connections_closed_new"), delta("connections_closed_active"), delta("body_timeouts"), delta("connections_closed_idle"))
}

// Past --max-conns the server accepts no more connections until one
// closes: the rest wait in the kernel's accept queue, and are served (or
// shed) in their turn. A normal request waits behind the slow ones and is
// then served.
func TestConnectionCap(t *testing.T) {
	const limit, n = 50, 150
	data, ua, ru := loadSetup(t)
	debug := freeAddr(t)
	srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--debug-addr", debug,
		"--header-timeout", "1s", "--idle-timeout", "1s", "--body-timeout", "1s", "--max-conns", fmt.Sprint(limit))
	before := vars(t, debug)
	closed := slowClients(t, srv.url, ua, n)
	if code := call(t, "GET", srv.url+"/v1/me", ru, ""); code != 200 {
		t.Fatalf("a request queued behind the slow connections: %d", code)
	}
	eventually(t, "every slow connection to be shed", func() bool { return closed.Load() == n })
	after := vars(t, debug)
	if most := after["connections_open_max"]; most > limit {
		t.Fatalf("%d connections open at once, over the cap of %d", most, limit)
	}
	if got := after["connections_accepted"] - before["connections_accepted"]; got < n+1 {
		t.Fatalf("accepted %d connections, want all %d in turn", got, n+1)
	}
}
