package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A hotline exchange from the first message to resolution through the CLI,
// one side signing with its own key, and the movement register.
func TestCLIHotline(t *testing.T) {
	data := t.TempDir()
	for _, p := range [][]string{{"ua", "Ukraine", "belligerent"}, {"ru", "Russia", "belligerent"}, {"ae", "UAE", "mediator"}, {"ch", "Switzerland", "monitor"}} {
		truce(t, nil, "party", "add", "--data", data, "--id", p[0], "--name", p[1], "--kind", p[2])
	}
	keyFile := filepath.Join(t.TempDir(), "ua.key")
	ua := addMember(t, data, "--party", "ua", "--name", "Olena", "--roles", "representative", "--key-out", keyFile)
	ru := addMember(t, data, "--party", "ru", "--name", "Sergei", "--roles", "representative")
	coord := addMember(t, data, "--party", "ae", "--name", "Hotline", "--roles", "coordinator")
	mon := addMember(t, data, "--id", "ch-mon", "--party", "ch", "--name", "Monitor", "--roles", "monitor")
	srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
	as := func(tok string, extra ...string) []string {
		return append([]string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + tok}, extra...)
	}
	uaSigned := as(ua, "TRUCE_KEY="+keyFile)

	photo := filepath.Join(t.TempDir(), "crew-shelter.txt")
	os.WriteFile(photo, []byte("The crew's report, in shelter at 06:58."), 0o644)
	out := truce(t, uaSigned, "hotline", "open", "--kind", "violation", "--subject", "Shelling near the repair crew",
		"--text", "Shelling 300 m from the crew at the 750 kV line.", "--lon", "34.95", "--lat", "47.48", "--place", "Line 750 kV", "--file", photo)
	th := regexp.MustCompile(`hl-\d+`).FindString(out)
	if th == "" || !strings.Contains(out, "acknowledgement due by") {
		t.Fatalf("hotline open: %q", out)
	}
	if list := truce(t, as(coord), "hotline", "list", "--status", "open"); !strings.Contains(list, th) || !strings.Contains(list, "1 thread") {
		t.Fatalf("inbox:\n%s", list)
	}
	if list := truce(t, as(ru), "hotline", "list"); strings.Contains(list, th) {
		t.Fatalf("ru sees ua's thread:\n%s", list)
	}
	truce(t, as(coord), "hotline", "ack", th, "1")
	truce(t, as(coord), "hotline", "say", th, "--text", "Monitors dispatched; the other side is asked to hold fire.")
	truce(t, uaSigned, "hotline", "ack", th, "2")
	rep := truce(t, uaSigned, "report", "--type", "shelling", "--lon", "34.95", "--lat", "47.48", "--at", "2026-01-24T01:30:00Z",
		"--actor", "ru", "--text", "Shelling near the crew.")
	inc := regexp.MustCompile(`inc-\d+`).FindString(rep)
	truce(t, uaSigned, "hotline", "used", inc, th, "--note", "We called before answering.")
	out = truce(t, as(coord), "hotline", "resolve", th, "--note", "Fire stopped.")
	if !strings.Contains(out, "resolved") {
		t.Fatalf("resolve: %q", out)
	}
	show := truce(t, as(mon), "hotline", "show", th)
	for _, want := range []string{"acknowledged by", "Linked incidents: " + inc, "Resolved by", "Monitors dispatched", "evidence: crew-shelter.txt (text/plain"} {
		if !strings.Contains(show, want) {
			t.Fatalf("show lacks %q:\n%s", want, show)
		}
	}
	stats := truce(t, as(coord), "hotline", "stats")
	if !regexp.MustCompile(`(?m)^ua\s+1\s+1\s+0\s+0\s`).MatchString(stats) || !regexp.MustCompile(`(?m)^centre\s+1\s+1\s`).MatchString(stats) {
		t.Fatalf("stats:\n%s", stats)
	}

	out = truce(t, as(mon), "restriction", "record", "--subtype", "denial_of_access", "--actor", "ru", "--lon", "35.28", "--lat", "47.43",
		"--checkpoint", "Vasylivka checkpoint", "--started", "-2h")
	rst := regexp.MustCompile(`rst-\d+`).FindString(out)
	truce(t, as(mon), "restriction", "record", "--subtype", "uav_jamming", "--actor", "unknown", "--lon", "35.1", "--lat", "47.5",
		"--started", "2026-01-24T02:10:00Z")
	// Ended now, resolved through the thread opened meanwhile.
	if out = truce(t, as(coord), "restriction", "end", rst, "--thread", th); !strings.Contains(out, "time to resolution 2 h.") {
		t.Fatalf("end: %q", out)
	}
	reg := truce(t, as(ru), "restriction", "list")
	if !strings.Contains(reg, "2 restrictions") || !regexp.MustCompile(`(?m)^ru\s+1\s+0\s+0\s+0\s+0$`).MatchString(reg) ||
		!regexp.MustCompile(`(?m)^unknown\s+0\s+0\s+0\s+1\s+0$`).MatchString(reg) {
		t.Fatalf("register:\n%s", reg)
	}
}
