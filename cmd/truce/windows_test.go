package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"truce/incident"
)

// windowFails runs the CLI expecting it to fail, and returns its stderr.
func windowFails(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL="), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err == nil {
		t.Fatalf("truce %s succeeded:\n%s", strings.Join(args, " "), out.String())
	}
	return errb.String()
}

// A full window cycle through the CLI: request, both guarantees, active,
// a report inside flagged with who guaranteed it, check-ins, a
// withdrawal that ends the window and judges again, and the outcome.
func TestWindowCycleCLI(t *testing.T) {
	data := t.TempDir()
	srv := start(t, "demo", "--data", data, "--addr", "127.0.0.1:0")
	out := srv.output()
	as := func(member string) []string {
		return []string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + demoToken(t, out, member)}
	}
	ua, ru, mon, ch := as("ua-rep"), as("ru-rep"), as("tr-monitor"), as("ch-monitor")
	line := `{"type":"LineString","coordinates":[[36.0,47.66],[36.5,47.66]]}`
	req := []string{"window", "request", "--id", "huliaipole-water", "--purpose", "repair", "--shape", "line", "--geometry", line,
		"--buffer", "2000", "--parties", "ua,ru", "--until", "+3h", "--deadline", "+1h", "--crew", "Vodokanal crew", "--crew-size", "8",
		"--title", "Repair window: Huliaipole water main"}
	if got := truce(t, ua, req...); !strings.Contains(got, "Requested huliaipole-water") || !strings.Contains(got, "guarantees outstanding") {
		t.Fatalf("request:\n%s", got)
	}
	// The same ground and time again, and a window in the past, are refused.
	if e := windowFails(t, ru, append(req[:3:3], append([]string{"again"}, req[4:]...)...)...); !strings.Contains(e, "geometry") {
		t.Fatalf("overlap: %s", e)
	}
	if e := windowFails(t, ua, "window", "request", "--id", "past", "--shape", "line", "--geometry", line, "--buffer", "100",
		"--parties", "ua,ru", "--from", "2026-01-01T00:00:00Z", "--until", "+1h", "--deadline", "+30m"); !strings.Contains(e, "from") {
		t.Fatalf("past: %s", e)
	}
	truce(t, ua, "window", "guarantee", "huliaipole-water")
	truce(t, ru, "window", "conditions", "huliaipole-water", "--text", "At most eight people.")
	if got := truce(t, ru, "window", "guarantee", "huliaipole-water"); !strings.Contains(got, "Now: active.") {
		t.Fatalf("second guarantee:\n%s", got)
	}
	// A party not asked cannot guarantee.
	if e := windowFails(t, as("us-mediator"), "window", "guarantee", "huliaipole-water"); !strings.Contains(e, "not asked") {
		t.Fatalf("guarantee by us: %s", e)
	}

	report := func(at time.Time) string {
		rep := truce(t, mon, "report", "--type", "shelling", "--lon", "36.26", "--lat", "47.66", "--actor", "ru",
			"--at", at.UTC().Format(time.RFC3339), "--lang", "en", "--text", "Mortar fire near the water main repair site")
		return regexp.MustCompile(`inc-\d+`).FindString(rep)
	}
	now, later := report(time.Now()), report(time.Now().Add(30*time.Minute))
	inside := func(inc incident.Incident) bool {
		j := inc.Evaluation.Judgement("huliaipole-water")
		return j != nil && j.Arrangement != nil && len(j.Violations) > 0
	}
	waitFor(t, mon, now, inside)
	waitFor(t, mon, later, inside)
	flagged := regexp.MustCompile(`inside repair window huliaipole-water, guaranteed by ua at \d\d:\d\d, ru at \d\d:\d\d: `)
	if show := truce(t, mon, "show", now); !flagged.MatchString(show) {
		t.Fatalf("show %s:\n%s", now, show)
	}
	truce(t, mon, "window", "checkin", "huliaipole-water", "--side", "ru", "--lon", "36.3", "--lat", "47.7", "--note", "left bank")
	truce(t, ch, "window", "checkin", "huliaipole-water", "--side", "ua")
	// A monitor who holds its own key signs its check-in itself.
	truce(t, append(as("in-monitor"), "TRUCE_KEY="+filepath.Join(data, "in-monitor.key")), "window", "checkin", "huliaipole-water", "--side", "ua", "--note", "signed here")

	if got := truce(t, ru, "window", "withdraw", "huliaipole-water", "--reason", "Fire near our positions"); !strings.Contains(got, "Now: guarantee withdrawn.") {
		t.Fatalf("withdraw:\n%s", got)
	}
	inc := waitFor(t, mon, later, func(inc incident.Incident) bool { return inc.Evaluation.Judgement("huliaipole-water") == nil })
	if c := inc.Evaluation.Cause; c == nil || c.Type != "arrangement.withdraw" {
		t.Fatalf("%s re-judged without the withdrawal as cause: %+v", later, inc.Evaluation)
	}
	if show := truce(t, mon, "show", later); !strings.Contains(show, "huliaipole-water: its guarantee was withdrawn by ru") {
		t.Fatalf("show %s:\n%s", later, show)
	}
	if show := truce(t, mon, "show", now); !flagged.MatchString(show) {
		t.Fatalf("%s, observed before the withdrawal, lost its flag:\n%s", now, show)
	}
	if got := truce(t, ua, "window", "close", "huliaipole-water", "--outcome", "partly_done", "--reason", "Half the main restored"); !strings.Contains(got, "Now: closed.") {
		t.Fatalf("close:\n%s", got)
	}
	list := truce(t, mon, "window", "list")
	for _, want := range []string{"huliaipole-water", "znpp-750-repair", "vasylivka-corridor"} {
		if !regexp.MustCompile(`(?m)^` + want + `\s+\S.*closed`).MatchString(list) {
			t.Errorf("window list has no closed %s:\n%s", want, list)
		}
	}
	show := truce(t, mon, "window", "show", "huliaipole-water")
	for _, want := range []string{"conditions", "monitor checked in (tr)", "monitor checked in (in) → ua: signed here", "guarantee withdrawn (ru)", "closed (ua) partly done: Half the main restored", "Vodokanal crew (8)"} {
		if !strings.Contains(show, want) {
			t.Errorf("window show lacks %q:\n%s", want, show)
		}
	}
}
