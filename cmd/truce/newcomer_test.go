package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"truce/incident"
)

// truceFails runs the binary expecting it to fail, in the language lang,
// and returns its stdout and stderr.
func truceFails(t *testing.T, lang string, env []string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "LANG="+lang, "LC_ALL="), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err == nil {
		t.Fatalf("truce %s succeeded:\n%s", strings.Join(args, " "), out.String())
	}
	return out.String(), errb.String()
}

// ledgerSize asks the server how many statements its ledger holds.
func ledgerSize(t *testing.T, url string) uint64 {
	t.Helper()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Size uint64 `json:"ledger_size"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || h.Size == 0 {
		t.Fatalf("healthz: %v (size %d)", err, h.Size)
	}
	return h.Size
}

// What a newcomer found wrong in the CLI: a report without a location went
// to 0°, 0°; --to DATE left out the day it names; show left out the target,
// priority and monitors, and the finding and responses named no incident;
// messages read "is now finding recorded" and "1 events".
func TestNewcomerDefects(t *testing.T) {
	data := t.TempDir()
	for _, p := range [][]string{{"ua", "Ukraine", "belligerent"}, {"ru", "Russia", "belligerent"}, {"ae", "UAE", "mediator"}, {"ch", "Switzerland", "monitor"}} {
		truce(t, nil, "party", "add", "--data", data, "--id", p[0], "--name", p[1], "--kind", p[2])
	}
	ua := addMember(t, data, "--party", "ua", "--name", "Olena", "--roles", "representative")
	ru := addMember(t, data, "--party", "ru", "--name", "Sergei", "--roles", "representative")
	coord := addMember(t, data, "--party", "ae", "--name", "Hotline", "--roles", "coordinator")
	mon := addMember(t, data, "--id", "ch-mon", "--party", "ch", "--name", "Monitor", "--roles", "monitor")
	srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
	as := func(tok string) []string { return []string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + tok} }

	t.Run("report without a location is refused", func(t *testing.T) {
		before := ledgerSize(t, srv.url)
		for _, c := range []struct {
			lang, want string
			args       []string
		}{
			{"en_US.UTF-8", "missing --lon, --lat: give the incident's location", nil},
			{"en_US.UTF-8", "missing --lat:", []string{"--lon", "30.52"}},
			{"en_US.UTF-8", "missing --lon:", []string{"--lat", "50.45"}},
			{"uk_UA.UTF-8", "бракує --lon, --lat: вкажіть місце інциденту", nil},
			{"ru_RU.UTF-8", "не хватает --lat:", []string{"--lon", "0"}},
		} {
			_, stderr := truceFails(t, c.lang, as(ua), append([]string{"report", "--type", "shelling", "--text", "no place given"}, c.args...)...)
			if !strings.Contains(stderr, c.want) {
				t.Errorf("%s report %v: %q, want %q", c.lang, c.args, stderr, c.want)
			}
		}
		if after := ledgerSize(t, srv.url); after != before {
			t.Fatalf("refused reports changed the ledger: %d statements, then %d", before, after)
		}
		// 0, 0 given on purpose is the user's choice, and --geometry
		// stands in for both.
		out := truce(t, as(ua), "report", "--type", "shelling", "--geometry", `{"type":"Point","coordinates":[36.26,47.66]}`, "--at", "2026-01-20T10:00:00Z", "--text", "Huliaipole")
		if !strings.Contains(out, "Reported inc-") {
			t.Fatalf("report --geometry: %q", out)
		}
	})

	// Three reports around the end of 24 January.
	report := func(at, place string) string {
		out := truce(t, as(ua), "report", "--type", "shelling", "--lon", "36.26", "--lat", "47.66", "--at", at, "--place", place,
			"--actor", "ru", "--target", "energy", "--text", "Shelling of a substation")
		id := regexp.MustCompile(`inc-\d+`).FindString(out)
		if id == "" {
			t.Fatalf("report: %q", out)
		}
		return id
	}
	early := report("2026-01-24T00:00:00Z", "Early")
	late := report("2026-01-24T23:59:59Z", "Late")
	next := report("2026-01-25T00:00:00Z", "Next")

	t.Run("list --to DATE includes that day", func(t *testing.T) {
		list := truce(t, as(coord), "list", "--from", "2026-01-24", "--to", "2026-01-24")
		if !strings.Contains(list, early) || !strings.Contains(list, late) || strings.Contains(list, next) || !strings.Contains(list, "2 incidents") {
			t.Fatalf("list --from 2026-01-24 --to 2026-01-24 should hold %s and %s, not %s:\n%s", early, late, next, list)
		}
		if list := truce(t, as(coord), "list", "--to", "2026-01-24T12:00:00Z"); !strings.Contains(list, early) || strings.Contains(list, late) {
			t.Fatalf("list --to with a time is exact:\n%s", list)
		}
		if list := truce(t, as(coord), "list", "--from", "2026-01-25", "--to", "2026-01-25"); !strings.Contains(list, next) || !strings.Contains(list, "1 incident\n") {
			t.Fatalf("list of 25 January:\n%s", list)
		}
		cmd := exec.Command(binary, "list", "--help")
		help, _ := cmd.CombinedOutput()
		if !strings.Contains(string(help), "that whole day, up to its end") {
			t.Fatalf("list --help does not say what --to DATE includes:\n%s", help)
		}
	})

	t.Run("show and the messages of each step", func(t *testing.T) {
		id := late
		steps := []struct {
			tok  string
			args []string
			want string
		}{
			{coord, []string{"triage", id, "--priority", "urgent"}, "Recorded incident.triage at ledger index "},
			{coord, []string{"assign", id, "--monitors", "ch-mon"}, id + " has monitors assigned, who have not yet started the investigation."},
			{mon, []string{"investigate", id}, id + " is under investigation."},
			{ru, []string{"respond", id, "--lang", "ru", "--text", "Это не мы."}, id + " is under investigation."},
			{mon, []string{"finding", id, "--outcome", "minor_violation", "--attribution", "ru", "--summary", "Confirmed."}, id + " has a finding, awaiting publication."},
			{coord, []string{"publish", id}, id + " is published."},
		}
		for _, s := range steps {
			if out := truce(t, as(s.tok), s.args...); !strings.Contains(out, s.want) {
				t.Errorf("%s: %q, want %q", s.args[0], out, s.want)
			}
		}
		file := t.TempDir() + "/one.txt"
		os.WriteFile(file, []byte("x"), 0o600)
		if out := truce(t, as(coord), "evidence", early, file); !strings.Contains(out, "(1 byte).") || !strings.Contains(out, early+" is reported, awaiting triage.") {
			t.Errorf("evidence: %q", out)
		}
		show := truce(t, as(coord), "show", id)
		for _, want := range []string{"TARGET", "energy infrastructure", "PRIORITY", "urgent", "MONITORS", "ch-mon"} {
			if !strings.Contains(show, want) {
				t.Errorf("show lacks %q:\n%s", want, show)
			}
		}
		for _, bad := range []string{"is now", "target.", "priority."} {
			if strings.Contains(show, bad) {
				t.Errorf("show has %q:\n%s", bad, show)
			}
		}
		cmd := exec.Command(binary, "show", id)
		cmd.Env = append(os.Environ(), append(as(coord), "LANG=uk_UA.UTF-8", "LC_ALL=")...)
		if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), "ЦІЛЬ") || !strings.Contains(string(out), "енергетична інфраструктура") || !strings.Contains(string(out), "терміновий") {
			t.Errorf("Ukrainian show: %v\n%s", err, out)
		}
		// The finding and the response name their incident, in the CLI's
		// JSON and in the API alike.
		var shown struct {
			Incident incident.Incident `json:"incident"`
		}
		if err := json.Unmarshal([]byte(truce(t, as(coord), "show", id, "--json")), &shown); err != nil {
			t.Fatal(err)
		}
		var api incident.Incident
		req, _ := http.NewRequest("GET", srv.url+"/v1/incidents/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+coord)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&api)
		resp.Body.Close()
		for name, inc := range map[string]incident.Incident{"show --json": shown.Incident, "GET /v1/incidents/" + id: api} {
			if inc.Finding == nil || inc.Finding.Incident != id || len(inc.Responses) != 1 || inc.Responses[0].Incident != id {
				t.Errorf("%s: finding %+v, responses %+v, want both to name %s", name, inc.Finding, inc.Responses, id)
			}
			if inc.Report.Target != "energy" || inc.Priority != "urgent" || len(inc.Monitors) != 1 {
				t.Errorf("%s: target %q, priority %q, monitors %v", name, inc.Report.Target, inc.Priority, inc.Monitors)
			}
		}
	})

	t.Run("plural forms", func(t *testing.T) {
		for lang, want := range map[string]string{"uk_UA.UTF-8": "1 інцидент\n", "ru_RU.UTF-8": "1 инцидент\n", "en_US.UTF-8": "1 incident\n"} {
			cmd := exec.Command(binary, "list", "--from", "2026-01-25", "--to", "2026-01-25")
			cmd.Env = append(os.Environ(), append(as(coord), "LANG="+lang, "LC_ALL=")...)
			if out, err := cmd.Output(); err != nil || !strings.HasSuffix(string(out), want) {
				t.Errorf("%s list of one: %v %q", lang, err, out)
			}
		}
	})
}
