package main

import (
	"context"
	"errors"
	"expvar"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"truce/api"
)

// serverLimits are what `truce serve` allows its callers: connections,
// timeouts, and the API's rate limits and evidence quota.
type serverLimits struct {
	// MaxConns caps open connections. Past the cap the server accepts no
	// more until one closes: new connections wait in the kernel's accept
	// queue (the listen backlog: net.core.somaxconn, 4096 on current
	// Linux), and past that the kernel drops them. 0: no cap.
	MaxConns int
	// HeaderTimeout is how long a request's headers may take to arrive;
	// IdleTimeout how long a kept-alive connection may wait for its next
	// request. There is no whole-request read timeout and no write timeout:
	// a 256 MiB upload on a slow link and the event stream (GET /v1/events)
	// last as long as they last. Bodies have their own deadline, extended
	// by progress (api.Limits.BodyTimeout, BodyMinRate).
	HeaderTimeout, IdleTimeout time.Duration
	API                        api.Limits
}

func defaultLimits() serverLimits {
	return serverLimits{MaxConns: 4096, HeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second, API: api.DefaultLimits}
}

// limitFlags adds the flags that set serve's limits, with their defaults.
func limitFlags(fs *flag.FlagSet) *serverLimits {
	l := defaultLimits()
	fs.IntVar(&l.MaxConns, "max-conns", l.MaxConns, "open connections at most; more wait in the kernel's accept queue (0: no cap)")
	fs.DurationVar(&l.HeaderTimeout, "header-timeout", l.HeaderTimeout, "longest a request's headers may take to arrive")
	fs.DurationVar(&l.IdleTimeout, "idle-timeout", l.IdleTimeout, "longest a kept-alive connection may wait for its next request")
	fs.DurationVar(&l.API.BodyTimeout, "body-timeout", l.API.BodyTimeout, "longest a request body may pause (each read that brings bytes extends it; 0: none)")
	fs.Func("body-min-rate", "slowest average a request body may arrive at, after its first --body-timeout, as bytes a second (4KiB)", func(v string) error {
		n, err := parseSize(v)
		l.API.BodyMinRate = n
		return err
	})
	fs.Float64Var(&l.API.Rate, "rate-limit", l.API.Rate, "requests a second per token, sustained (0: no limit)")
	fs.IntVar(&l.API.Burst, "rate-burst", l.API.Burst, "requests per token at once above --rate-limit")
	fs.Float64Var(&l.API.AnonRate, "anon-rate-limit", l.API.AnonRate, "requests a second per client address without a valid token (0: no limit)")
	fs.IntVar(&l.API.AnonBurst, "anon-rate-burst", l.API.AnonBurst, "requests per address at once above --anon-rate-limit")
	fs.Func("evidence-quota", "evidence bytes one member may have uploaded and not yet attached (1GiB; 0: no quota)", func(v string) error {
		n, err := parseSize(v)
		l.API.EvidenceQuota = n
		return err
	})
	fs.DurationVar(&l.API.EvidenceExpiry, "evidence-expiry", l.API.EvidenceExpiry, "uploaded evidence nobody attached is removed this long after its upload (0: never)")
	return &l
}

// parseSize reads a byte count: 1048576, 512KiB, 1MiB, 1GiB.
func parseSize(v string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("want a byte count such as 1048576, 512KiB, 1MiB or 1GiB")
	}
	return n * mult, nil
}

// Connection counts, served by expvar on --debug-addr (/debug/vars):
// open now, the most open at once, accepted in all, and closed by the
// state they were in: new (nothing sent), active (in a request: a slow
// client shed by the header or body timeout is one, and so is a
// connection closed after its response), idle (between requests: the idle
// timeout).
var (
	connStats = expvar.NewMap("truce_http")
	connOpen  = new(expvar.Int)
	connMost  = new(expvar.Int)
)

func init() {
	connStats.Set("connections_open", connOpen)
	connStats.Set("connections_open_max", connMost)
}

// connCounter keeps each connection's last state, to count closings by
// the state they ended.
type connCounter struct {
	mu    sync.Mutex
	state map[net.Conn]http.ConnState
}

func (c *connCounter) track(conn net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev, known := c.state[conn]
	switch st {
	case http.StateClosed, http.StateHijacked:
		if known {
			connStats.Add("connections_closed_"+strings.ToLower(prev.String()), 1)
		}
		delete(c.state, conn)
		return
	}
	c.state[conn] = st
}

// countingListener counts open connections. It wraps the limiting
// listener: a connection leaves the count before its slot is given to the
// next, so the count never passes the cap.
type countingListener struct{ net.Listener }

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	connStats.Add("connections_accepted", 1)
	countMu.Lock()
	connOpen.Add(1)
	if n := connOpen.Value(); n > connMost.Value() {
		connMost.Set(n)
	}
	countMu.Unlock()
	return &countedConn{Conn: c}, nil
}

var countMu sync.Mutex // orders the open count and its maximum

type countedConn struct {
	net.Conn
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { connOpen.Add(-1) })
	return c.Conn.Close()
}

// serveLimited serves h on ln within lim until ctx ends, then shuts down
// gracefully.
func serveLimited(ctx context.Context, ln net.Listener, h http.Handler, lim serverLimits) error {
	if lim.MaxConns > 0 {
		ln = netutil.LimitListener(ln, lim.MaxConns)
	}
	ln = countingListener{ln}
	cc := &connCounter{state: map[net.Conn]http.ConnState{}}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: lim.HeaderTimeout, IdleTimeout: lim.IdleTimeout, ConnState: cc.track}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
