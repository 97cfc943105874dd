package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"truce/geo"
	"truce/incident"
	"truce/ledger"
	"truce/party"
)

// benchIngest is the load generator: it posts client-signed incident reports
// to a running server, each verified and durably appended there, and reports
// throughput and latency. With --rate it runs open-loop and measures latency
// from each request's scheduled time, so a stalled server cannot hide its
// queue (no coordinated omission).
func benchIngest(args []string) error {
	fs := flags("bench ingest")
	connect := clientFlags(fs)
	duration := fs.Duration("duration", 60*time.Second, "how long to run")
	rate := fs.Int("rate", 0, "requests per second (0: as fast as the server answers)")
	conc := fs.Int("concurrency", 64, "requests in flight")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	batch := fs.Int("batch", 1, "statements per request: 1 posts to /v1/statements, more to /v1/statements/batch as a feed would")
	presign := fs.Int("presign", 0, "sign this many reports before the run starts, so that signing does not compete with the server for CPU")
	spread := fs.Duration("spread", time.Hour, "observed times fall uniformly over this long before now: 8760h spreads a filled directory over a year, for the daily report at scale")
	count := fs.Int("count", 0, "stop after this many reports; with --count, --duration applies only when given. Fills a data directory for the benchmarks at scale")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	tuneGC()
	c, err := connect()
	if err != nil {
		return err
	}
	if c.key == nil {
		return fmt.Errorf("bench ingest needs --key: the member signs its own reports (truce member add --key-out FILE)")
	}
	var me struct {
		Member party.Member `json:"member"`
	}
	if err := c.get("/v1/me", &me); err != nil {
		return err
	}
	verifyUS := calibrate()
	pool := make(chan []byte, *presign)
	if *presign > 0 {
		bar := newProgress(os.Stderr, msg.T("bench.presigning"))
		rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
		for i := 0; i < *presign; i++ {
			body, err := benchReport(rng, me.Member, c.key, *spread)
			if err != nil {
				return err
			}
			pool <- body
			bar.set(i+1, *presign)
		}
		bar.done()
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc}, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	if *count > 0 && !given(fs, "duration") {
		ctx, cancel = context.WithCancel(context.Background()) // until the count is reached
	}
	defer cancel()

	// A ticket is one request: n reports, due at a time.
	type ticket struct {
		at time.Time
		n  int
	}
	tickets := make(chan ticket, *conc)
	left := *count
	size := func() int { // the next request's size, 0 once --count is reached
		if *count == 0 {
			return *batch
		}
		n := min(*batch, left)
		left -= n
		return n
	}
	go func() {
		defer close(tickets)
		if *rate <= 0 {
			for ctx.Err() == nil {
				n := size()
				if n == 0 {
					return
				}
				select {
				case tickets <- ticket{time.Now(), n}:
				case <-ctx.Done():
				}
			}
			return
		}
		interval := time.Second / time.Duration(*rate)
		next := time.Now()
		for ctx.Err() == nil {
			n := size()
			if n == 0 {
				return
			}
			select {
			case tickets <- ticket{next, n}:
			case <-ctx.Done():
				return
			}
			next = next.Add(interval)
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
		}
	}()

	var (
		ok, failed atomic.Int64
		mu         sync.Mutex
		lat        []time.Duration
		firstErr   atomic.Value
		wg         sync.WaitGroup
	)
	start := time.Now()
	bar := newProgress(os.Stderr, msg.T("bench.running"))
	stopBar := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopBar:
				return
			case <-t.C:
				if *count > 0 {
					bar.set64(ok.Load(), int64(*count))
				} else {
					bar.set64(int64(time.Since(start).Seconds()), int64(duration.Seconds()))
				}
			}
		}
	}()
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
			local := make([]time.Duration, 0, 1<<14)
			for t := range tickets {
				var (
					body []byte
					err  error
				)
				select {
				case body = <-pool:
				default:
					body, err = benchReport(rng, me.Member, c.key, *spread)
				}
				n := 1
				if err == nil && t.n > 1 {
					bodies := [][]byte{body}
					for len(bodies) < t.n && err == nil {
						select {
						case body = <-pool:
						default:
							body, err = benchReport(rng, me.Member, c.key, *spread)
						}
						bodies = append(bodies, body)
					}
					n = len(bodies)
					body = append(append([]byte(`{"statements":[`), bytes.Join(bodies, []byte(","))...), ']', '}')
				}
				if err == nil {
					err = benchPost(hc, c, body, n)
				}
				if ctx.Err() != nil && err != nil {
					break // the run ended mid-request: not a server failure
				}
				if err != nil {
					failed.Add(int64(n))
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(int64(n))
				local = append(local, time.Since(t.at))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}(uint64(w))
	}
	wg.Wait()
	close(stopBar)
	bar.done()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	res := map[string]any{
		"ok": ok.Load(), "failed": failed.Load(), "seconds": elapsed.Seconds(),
		"per_second": float64(ok.Load()) / elapsed.Seconds(),
		"p50_ms":     ms(pct(0.50)), "p90_ms": ms(pct(0.90)), "p99_ms": ms(pct(0.99)), "max_ms": ms(pct(1)),
		"rate": *rate, "concurrency": *conc, "batch": *batch, "presigned": *presign, "machine_verify_us": verifyUS,
	}
	if e := firstErr.Load(); e != nil {
		res["first_error"] = e.(error).Error()
	}
	if *asJSON {
		return printJSON(res)
	}
	fmt.Println(msg.T("bench.calibration", verifyUS))
	fmt.Println(msg.T("bench.result", ok.Load(), failed.Load(), elapsed.Seconds(), res["per_second"]))
	fmt.Println(msg.T("bench.latency", res["p50_ms"], res["p90_ms"], res["p99_ms"], res["max_ms"]))
	if e, ok := res["first_error"]; ok {
		fmt.Println(msg.T("bench.first_error", e))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// benchReport makes one signed, random but valid report inside Ukraine.
func benchReport(rng *rand.Rand, me party.Member, key []byte, spread time.Duration) ([]byte, error) {
	lon, lat := 30+rng.Float64()*8, 46.5+rng.Float64()*4
	now := time.Now().UTC()
	rep := incident.Report{
		Type:          incident.Types[rng.IntN(len(incident.Types))],
		ObservedAt:    now.Add(-time.Duration(rng.Int64N(max(int64(spread/time.Second), 1))) * time.Second).Format(time.RFC3339),
		TimePrecision: "minute",
		Location: incident.Location{Geometry: geo.Geometry{Type: "Point", Coordinates: json.RawMessage(fmt.Sprintf("[%.5f,%.5f]", lon, lat))},
			PrecisionM: 250},
		Counts: incident.Counts{Explosions: rng.IntN(20)},
		// One report in twenty counts casualties, as the daily report sums them.
		Casualties: func() *incident.CasualtyCount {
			if rng.IntN(20) > 0 {
				return nil
			}
			return &incident.CasualtyCount{Civilian: incident.Toll{Killed: rng.IntN(3), Injured: rng.IntN(5)}}
		}(),
		Description: incident.Text{Lang: "uk", Text: fmt.Sprintf("Навантажувальний тест: %d вибухів.", rng.IntN(20))},
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	s, err := ledger.Sign(ledger.Statement{Type: incident.TypeReport, Party: me.Party, Author: me.ID,
		Time: now.Truncate(time.Millisecond), Payload: raw, Nonce: ledger.NewNonce()}, key)
	if err != nil {
		return nil, err
	}
	return json.Marshal(s.Seal())
}

// benchPost posts one statement, or a batch of n; every statement of a
// batch must be accepted.
func benchPost(hc *http.Client, c *client, body []byte, n int) error {
	path, want := "/v1/statements", http.StatusCreated
	if n > 1 {
		path, want = "/v1/statements/batch", http.StatusOK
	}
	req, err := http.NewRequest("POST", c.server+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	if n == 1 {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	var out struct {
		Results []struct {
			Problem *struct{ Detail string } `json:"problem"`
		} `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err
	}
	for _, r := range out.Results {
		if r.Problem != nil {
			return fmt.Errorf("refused in batch: %s", r.Problem.Detail)
		}
	}
	return nil
}

// calibrate times ed25519 verification on this machine right now, so that
// figures from a shared or throttled machine can be read in proportion.
func calibrate() float64 {
	pub, priv, _ := ed25519.GenerateKey(nil)
	m := make([]byte, 700)
	sig := ed25519.Sign(priv, m)
	const n = 2000
	start := time.Now()
	for i := 0; i < n; i++ {
		ed25519.Verify(pub, m, sig)
	}
	return float64(time.Since(start).Microseconds()) / n
}
