package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"truce/incident"
)

// The demo cycle of issue 10: after the README's walkthrough, Ukraine signs
// the Zaporizhzhia safety zone. Instruments stack: the Abu Dhabi ceasefire
// and march-ceasefire stay in force, the README's Grad incident keeps its
// flag, and the incident near the plant after the safety zone's start gets
// the safety zone's flag beside the ceasefire's.
func TestDemoInstrumentsStack(t *testing.T) {
	srv := start(t, "demo", "--data", t.TempDir(), "--addr", "127.0.0.1:0")
	out := srv.output()
	as := func(member string) []string {
		return []string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + demoToken(t, out, member)}
	}
	ua, ru, us, mon := as("ua-rep"), as("ru-rep"), as("us-mediator"), as("tr-monitor")
	truce(t, us, "agreement", "draft", "../../docs/examples/agreement.json")
	truce(t, ua, "agreement", "sign", "march-ceasefire")
	truce(t, ru, "agreement", "sign", "march-ceasefire")
	rep := truce(t, mon, "report", "--type", "weapons_in_zone", "--lon", "35.62", "--lat", "47.14", "--weapon", "BM-21 Grad",
		"--lang", "en", "--text", "Four launchers in a tree line north of Tokmak")
	grad := regexp.MustCompile(`inc-\d+`).FindString(rep)
	flagged := regexp.MustCompile(`march-ceasefire: mlrs observed 4\d\.\d km from the line; term 3 requires at least 70 km`)
	waitFor(t, mon, grad, func(inc incident.Incident) bool { return inc.Evaluation.Judgement("march-ceasefire") != nil })
	if show := truce(t, mon, "show", grad); !flagged.MatchString(show) || !strings.Contains(show, "against abu-dhabi-ceasefire version 1;") {
		t.Fatalf("show %s before the safety zone:\n%s", grad, show)
	}
	// The incident near the plant, after the safety zone's start.
	var list struct{ Items []incident.Incident }
	if err := json.Unmarshal([]byte(truce(t, mon, "list", "--from", "2026-02-18", "--to", "2026-02-18", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list.Items, func(inc incident.Incident) bool { return strings.Contains(inc.Report.Location.Place, "Enerhodar") })
	if i < 0 {
		t.Fatalf("no incident at Enerhodar on 18 February: %+v", list.Items)
	}
	enerhodar := list.Items[i].ID
	waitFor(t, mon, enerhodar, func(inc incident.Incident) bool { return inc.Evaluation != nil })

	// Before signing, Ukraine is shown what its signature does.
	dry := truce(t, ua, "agreement", "sign", "znpp-safety-zone", "--dry-run", "--all")
	if !strings.Contains(dry, "would bring znpp-safety-zone into force from 2026-02-16T00:00:00Z") || !strings.Contains(dry, enerhodar+":") ||
		!strings.Contains(dry, "now judged against znpp-safety-zone/1; + znpp-safety-zone: 3.2 km from Zaporizhzhia NPP") ||
		!strings.Contains(dry, grad+": now judged against znpp-safety-zone/1\n") { // judged by one more instrument, no flag lost
		t.Fatalf("dry run:\n%s", dry)
	}
	truce(t, ua, "agreement", "sign", "znpp-safety-zone")
	inForce := truce(t, mon, "agreement", "in-force")
	for _, id := range []string{"abu-dhabi-ceasefire", "march-ceasefire", "znpp-safety-zone"} {
		if !regexp.MustCompile(`(?m)^` + id + `\s+1\s`).MatchString(inForce) {
			t.Errorf("%s is not in force:\n%s", id, inForce)
		}
	}
	inc := waitFor(t, mon, enerhodar, func(inc incident.Incident) bool { return inc.Evaluation.Judgement("znpp-safety-zone") != nil })
	zone, ceasefire := inc.Evaluation.Judgement("znpp-safety-zone"), inc.Evaluation.Judgement("abu-dhabi-ceasefire")
	if ceasefire == nil || len(ceasefire.Violations) == 0 || !slices.ContainsFunc(zone.Violations, func(v incident.PossibleViolation) bool {
		return v.Term == "2" && v.Site == "znpp" && *v.MeasuredKM < 5
	}) {
		t.Fatalf("%s: %+v", enerhodar, inc.Evaluation)
	}
	// The change is recorded with its cause, and shown.
	last := inc.Evaluation.Changes[len(inc.Evaluation.Changes)-1]
	if last.Cause == nil || last.Cause.Type != "agreement.sign" || last.Cause.Party != "ua" || !slices.Contains(last.Entered, "znpp-safety-zone/1") || len(last.Added) == 0 {
		t.Fatalf("change: %+v", last)
	}
	show := truce(t, mon, "show", enerhodar)
	if !strings.Contains(show, "znpp-safety-zone: ") || !strings.Contains(show, "signed by ua") {
		t.Fatalf("show %s:\n%s", enerhodar, show)
	}
	// The Grad incident keeps its flag.
	if show := truce(t, mon, "show", grad); !flagged.MatchString(show) {
		t.Fatalf("show %s after the safety zone:\n%s", grad, show)
	}

	// A suspension is Russia's to lift; the centre may lift any.
	truce(t, ru, "agreement", "suspend", "znpp-safety-zone", "--reason", "Shelling of Enerhodar")
	if st := truce(t, mon, "plans"); !regexp.MustCompile(`znpp-safety-zone\s.*suspended \(ru\)`).MatchString(st) {
		t.Fatalf("plans after the suspension:\n%s", st)
	}
	cmd := exec.Command(binary, "agreement", "resume", "znpp-safety-zone")
	cmd.Env = append(append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL="), ua...)
	if o, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(o), "suspended by ru") {
		t.Fatalf("Ukraine lifts Russia's suspension: %v %s", err, o)
	}
	truce(t, ru, "agreement", "resume", "znpp-safety-zone")
	if st := truce(t, mon, "agreement", "in-force"); !strings.Contains(st, "znpp-safety-zone") {
		t.Fatalf("after the resumption:\n%s", st)
	}
}

// waitFor polls an incident until ok holds: the evaluator works behind the
// ledger.
func waitFor(t *testing.T, env []string, id string, ok func(incident.Incident) bool) incident.Incident {
	t.Helper()
	var inc incident.Incident
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var shown struct{ Incident incident.Incident }
		if err := json.Unmarshal([]byte(truce(t, env, "show", id, "--json")), &shown); err != nil {
			t.Fatal(err)
		}
		inc = shown.Incident
		if inc.Evaluation != nil && ok(inc) {
			return inc
		}
	}
	t.Fatalf("%s: not evaluated as expected: %+v", id, inc.Evaluation)
	return inc
}
