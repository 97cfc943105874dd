package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// Alerts through the CLI: a coordinator subscribes with a webhook (the
// centre signs and makes its key), a representative holding its own key
// subscribes with one too (it asks for a key, then signs), a report
// reaches both, the webhook deliveries and a receipt are listed.
func TestCLIAlerts(t *testing.T) {
	data := t.TempDir()
	for _, p := range [][]string{{"ua", "Ukraine", "belligerent"}, {"ru", "Russia", "belligerent"}, {"ae", "UAE", "mediator"}} {
		truce(t, nil, "party", "add", "--data", data, "--id", p[0], "--name", p[1], "--kind", p[2])
	}
	keyFile := filepath.Join(t.TempDir(), "ua.key")
	ua := addMember(t, data, "--party", "ua", "--name", "Olena", "--roles", "representative", "--key-out", keyFile)
	coord := addMember(t, data, "--party", "ae", "--name", "Hotline", "--roles", "coordinator")
	var hits atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Truce-Signature") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer rcv.Close()
	srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
	as := func(tok string, extra ...string) []string {
		return append([]string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + tok}, extra...)
	}
	uaSigned := as(ua, "TRUCE_KEY="+keyFile)

	out := truce(t, as(coord), "alert", "subscribe", "--name", "Shelling by ru", "--filter", "events=incident parties=ru types=shelling", "--webhook", rcv.URL+"/hook")
	sub := regexp.MustCompile(`sub-\d+`).FindString(out)
	if sub == "" || !strings.Contains(out, "whsec_") {
		t.Fatalf("subscribe: %q", out)
	}
	out = truce(t, uaSigned, "alert", "subscribe", "--filter", "events=incident", "--webhook", rcv.URL+"/ua")
	if !regexp.MustCompile(`sub-\d+`).MatchString(out) || !strings.Contains(out, "whsec_") {
		t.Fatalf("subscribe with own key: %q", out)
	}
	if bad := truceErr(t, as(coord), "alert", "subscribe", "--filter", "events=storm"); !strings.Contains(bad, "filter.events[0]") {
		t.Fatalf("bad filter: %q", bad)
	}
	rep := truce(t, uaSigned, "report", "--type", "shelling", "--lon", "34.95", "--lat", "47.48", "--at", "2026-01-24T01:30:00Z",
		"--actor", "ru", "--text", "Shelling near the crew.")
	inc := regexp.MustCompile(`inc-\d+`).FindString(rep)
	var list string
	eventually(t, "both webhook deliveries", func() bool {
		list = truce(t, as(coord), "alert", "deliveries", "--member", "all")
		return strings.Count(list, "webhook: delivered (200)") == 2
	})
	if !strings.Contains(list, "2 alerts") || strings.Count(list, "webhook: delivered (200)") != 2 || hits.Load() != 2 {
		t.Fatalf("deliveries (%d requests):\n%s", hits.Load(), list)
	}
	list = truce(t, as(coord), "alert", "list")
	al := regexp.MustCompile(`al-\d+`).FindString(list)
	if al == "" || !strings.Contains(list, inc) || !strings.Contains(list, "new incident") || !strings.Contains(list, "1 alert") {
		t.Fatalf("list:\n%s", list)
	}
	truce(t, as(coord), "alert", "ack", al)
	if list = truce(t, as(coord), "alert", "list"); !regexp.MustCompile(al + `.*\d\dZ\s*$`).MatchString(strings.Split(list, "\n")[1]) {
		t.Fatalf("no receipt after ack:\n%s", list)
	}
	subs := truce(t, as(ua), "alert", "subscriptions", "--member", "all")
	if !strings.Contains(subs, "2 subscriptions") || !strings.Contains(subs, "events=incident parties=ru types=shelling") {
		t.Fatalf("subscriptions:\n%s", subs)
	}
	truce(t, as(coord), "alert", "unsubscribe", sub)
	if subs = truce(t, as(coord), "alert", "subscriptions", "--status", "ended"); !strings.Contains(subs, sub) {
		t.Fatalf("ended:\n%s", subs)
	}
}

// truceErr runs the binary expecting it to fail, and returns its stderr.
func truceErr(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL="), env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err == nil {
		t.Fatalf("truce %s succeeded", strings.Join(args, " "))
	}
	return errb.String()
}
