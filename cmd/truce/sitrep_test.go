package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A day's report issued by a coordinator, downloaded, and verified against
// the server and, offline, against a ledger export; a copy changed by one
// byte is refused; the stored file changed on disk is not served.
func TestCLISitrepIssueVerify(t *testing.T) {
	data := t.TempDir()
	for _, p := range [][]string{{"ua", "Ukraine", "belligerent"}, {"ru", "Russia", "belligerent"}, {"ae", "UAE", "mediator"}} {
		truce(t, nil, "party", "add", "--data", data, "--id", p[0], "--name", p[1], "--kind", p[2])
	}
	ua := addMember(t, data, "--party", "ua", "--name", "Olena", "--roles", "representative")
	coord := addMember(t, data, "--party", "ae", "--name", "Duty", "--roles", "coordinator")
	srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
	as := func(tok string) []string { return []string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + tok} }
	truce(t, as(ua), "report", "--type", "shelling", "--lon", "35.12", "--lat", "47.51", "--at", "2026-02-03T10:00:00Z", "--actor", "ru", "--text", "Shelling.")

	truceFails(t, "en_US.UTF-8", as(ua), "sitrep", "issue", "--date", "2026-02-03") // a belligerent does not issue
	dir := t.TempDir()
	file := filepath.Join(dir, "sitrep.html")
	out := truce(t, as(coord), "sitrep", "issue", "--date", "2026-02-03", "--audience", "internal", "--lang", "zh", "--out", file)
	sha := regexp.MustCompile(`sha256 ([0-9a-f]{64})`).FindStringSubmatch(out)
	if sha == nil {
		t.Fatalf("issue: %q", out)
	}
	page, _ := os.ReadFile(file)
	if !strings.Contains(string(page), "每日报告") {
		t.Fatalf("the issued page is not in Chinese: %.300s", page)
	}
	if v := truce(t, as(coord), "sitrep", "verify", file); !strings.Contains(v, "its signature verifies") || !strings.Contains(v, "internal daily report of 2026-02-03") {
		t.Fatalf("verify against the server: %q", v)
	}
	export := filepath.Join(dir, "ledger.json")
	if err := os.WriteFile(export, []byte(truce(t, as(coord), "statements", "--all", "--json")), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := truce(t, nil, "sitrep", "verify", file, "--ledger", export); !strings.Contains(v, "its signature verifies") {
		t.Fatalf("verify offline: %q", v)
	}
	changed := filepath.Join(dir, "changed.html")
	os.WriteFile(changed, append(page[:len(page)-1:len(page)-1], ' '), 0o644)
	if _, stderr := truceFails(t, "en_US.UTF-8", nil, "sitrep", "verify", changed, "--ledger", export); !strings.Contains(stderr, "is not a report the centre issued") {
		t.Fatalf("a changed copy: %q", stderr)
	}
	// The centre's own copy, edited on disk, is not served as the issued bytes.
	stored := filepath.Join(data, "reports", "sha256", sha[1][:2], sha[1])
	if _, err := os.Stat(stored); err != nil {
		matches, _ := filepath.Glob(filepath.Join(data, "reports", "*", "*", "*"))
		t.Fatalf("stored report at %s: %v (found %v)", stored, err, matches)
	}
	if err := os.WriteFile(stored, append(page[:len(page)-1:len(page)-1], ' '), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr := truceFails(t, "en_US.UTF-8", as(coord), "sitrep", "issue", "--date", "2026-02-03", "--audience", "internal", "--lang", "zh", "--out", filepath.Join(dir, "again.html")); stderr == "" {
		t.Fatal("the edited file was served")
	}
}
