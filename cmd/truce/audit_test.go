package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"truce/store/sqlite"
	"truce/witness"
)

// copyDir copies a stopped data directory, so that each tampering starts
// from the same good state.
// copyDir copies a data directory, and its keys beside it: a server can
// start on the copy.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	if _, err := os.Stat(keysDir(src)); err == nil {
		if out, err := exec.Command("cp", "-a", keysDir(src), keysDir(dst)).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, out)
		}
	}
	return dst
}

func sqlExec(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "truce.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// witnessed is a witness run by the test, as a party would run one, and
// the files the parties exchange.
type witnessed struct {
	url    string
	config string // for truce serve --witnesses
	trust  string // for truce audit --trust
}

// witnessFor starts a witness of the centre in data (a party's, on its own
// machine: here, in the test process) and writes its configuration and the
// auditors' trust file outside the data directory.
func witnessFor(t *testing.T, data string) witnessed {
	t.Helper()
	st, err := sqlite.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := st.LogSetting(context.Background(), "checkpoint_verifier_key")
	st.Close()
	if err != nil || vkey == "" {
		t.Fatalf("log key: %q %v", vkey, err)
	}
	origin, _, _ := strings.Cut(vkey, "+")
	skey, wkey, err := witness.NewKeys("ua-witness")
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(t.TempDir(), skey, map[string]string{origin: vkey})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	cfg := witness.Config{Witnesses: []witness.Member{{Name: "ua", Key: wkey, URL: srv.URL}},
		Policy: []witness.Group{{Group: "ukraine", Threshold: 1, Witnesses: []string{"ua"}}}}
	dir := t.TempDir()
	out := witnessed{url: srv.URL, config: filepath.Join(dir, "witnesses.json"), trust: filepath.Join(dir, "trust.json")}
	raw, _ := json.Marshal(cfg)
	os.WriteFile(out.config, raw, 0o644)
	raw, _ = json.Marshal(witness.Trust{LogKey: vkey, Config: cfg})
	os.WriteFile(out.trust, raw, 0o644)
	return out
}

// runAudit runs `truce audit` and returns its output and exit code.
func runAudit(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"audit"}, args...)...)
	cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

func healthz(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h map[string]any
	json.NewDecoder(resp.Body).Decode(&h)
	return h
}

// waitCheckpoint waits until the latest checkpoint covers the whole ledger.
func waitCheckpoint(t *testing.T, url string) {
	t.Helper()
	var h map[string]any
	eventually(t, "a checkpoint over the whole ledger", func() bool {
		h = healthz(t, url)
		return h["checkpoint_size"] != nil && h["checkpoint_size"] == h["ledger_size"]
	})
}

// Tampering with the SQLite file — an edited or deleted ledger row, a
// changed evidence file — is named by `truce audit` at its exact index, and
// a server on the corrupted file refuses to sign new checkpoints.
func TestTamperIsDetected(t *testing.T) {
	data := t.TempDir()
	for _, p := range [][]string{{"ua", "Ukraine", "belligerent"}, {"ru", "Russia", "belligerent"}} {
		truce(t, nil, "party", "add", "--data", data, "--id", p[0], "--name", p[1], "--kind", p[2])
	}
	ua := addMember(t, data, "--party", "ua", "--name", "Rep", "--roles", "representative")
	wit := witnessFor(t, data)
	srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--checkpoint-interval", "100ms", "--witnesses", wit.config)
	env := []string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + ua}
	var ids []string
	for _, place := range []string{"Huliaipole", "Orikhiv", "Kherson", "Nikopol"} {
		out := truce(t, env, "report", "--type", "shelling", "--lon", "35.5", "--lat", "47.5", "--at", "2026-01-24T03:00:00Z",
			"--actor", "ru", "--place", place, "--text", "shelling near "+place)
		ids = append(ids, regexp.MustCompile(`inc-\d+`).FindString(out))
	}
	file := filepath.Join(t.TempDir(), "photo.txt")
	os.WriteFile(file, []byte("original evidence bytes"), 0o600)
	truce(t, env, "evidence", ids[3], file)
	planSeq := regexp.MustCompile(`ledger index (\d+)`).FindStringSubmatch(truce(t, env, "plan", "submit", "../../docs/examples/plan-ua.json"))[1]
	waitCheckpoint(t, srv.url)
	// The server-side audit, through the API and the public log.
	if out, code := runAudit(t, "--server", srv.url, "--token", ua, "--trust", wit.trust); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("audit of the server: %d\n%s", code, out)
	}
	srv.kill(syscall.SIGTERM)
	if out, code := runAudit(t, "--data", data, "--trust", wit.trust); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("audit of the untouched data: %d\n%s", code, out)
	}
	seq := strings.TrimPrefix(ids[1], "inc-")

	edited := copyDir(t, data)
	sqlExec(t, edited, `DROP TRIGGER ledger_no_update`,
		`UPDATE ledger SET body = CAST(replace(CAST(body AS TEXT), 'Orikhiv', 'Orekhov') AS BLOB) WHERE seq = `+seq)
	out, code := runAudit(t, "--data", edited, "--trust", wit.trust)
	if code != 3 || !strings.Contains(out, "FIRST DISCREPANCY: ledger index "+seq+":") {
		t.Fatalf("edited row %s: exit %d\n%s", seq, code, out)
	}

	deleted := copyDir(t, data)
	sqlExec(t, deleted, `DROP TRIGGER ledger_no_delete`, `DELETE FROM ledger WHERE seq = `+seq)
	out, code = runAudit(t, "--data", deleted, "--trust", wit.trust)
	if code != 3 || !strings.Contains(out, "FIRST DISCREPANCY: ledger index "+seq+": entry is missing") {
		t.Fatalf("deleted row %s: exit %d\n%s", seq, code, out)
	}

	swapped := copyDir(t, data)
	blobs, _ := filepath.Glob(filepath.Join(swapped, "evidence", "sha256", "*", "*"))
	if len(blobs) != 1 {
		t.Fatalf("%d evidence files", len(blobs))
	}
	os.WriteFile(blobs[0], []byte("altered evidence bytes!"), 0o600)
	out, code = runAudit(t, "--data", swapped, "--trust", wit.trust)
	attached, _ := strconv.Atoi(strings.TrimPrefix(ids[3], "inc-")) // the incident.evidence that attached it came next
	if code != 3 || !strings.Contains(out, "FIRST DISCREPANCY: ledger index "+strconv.Itoa(attached+1)+": evidence file") {
		t.Fatalf("altered evidence: exit %d\n%s", code, out)
	}

	// A plan is kept beside the ledger, under the digest the ledger records.
	replaced := copyDir(t, data)
	docs, _ := filepath.Glob(filepath.Join(replaced, "documents", "sha256", "*", "*"))
	if len(docs) != 1 {
		t.Fatalf("%d plan documents", len(docs))
	}
	os.WriteFile(docs[0], []byte(`{"format":"truce/agreement/v1"}`), 0o600)
	out, code = runAudit(t, "--data", replaced, "--trust", wit.trust)
	if code != 3 || !strings.Contains(out, "FIRST DISCREPANCY: ledger index "+planSeq+": plan ua-march version 1 no longer has its SHA-256") {
		t.Fatalf("altered plan: exit %d\n%s", code, out)
	}

	// A server restarted on the edited file refuses to keep a record it
	// cannot vouch for: /healthz answers 503 naming the corrupted entry,
	// and writes are refused with a problem that says why.
	bad := start(t, "serve", "--data", edited, "--addr", "127.0.0.1:0", "--checkpoint-interval", "100ms", "--witnesses", wit.config)
	var h map[string]any
	eventually(t, "the corrupted server to name ledger index "+seq, func() bool {
		h = healthz(t, bad.url)
		status, _ := h["status"].(string)
		return strings.Contains(status, "index "+seq) || strings.Contains(status, "entry "+seq)
	})
	if code := healthzCode(t, bad.url); code != http.StatusServiceUnavailable {
		t.Fatalf("corrupted server: /healthz %d %v", code, h)
	}
	cmd := exec.Command(binary, "report", "--type", "drone", "--lon", "35", "--lat", "47", "--at", "2026-01-24T03:00:00Z", "--text", "after the tampering")
	cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL=", "TRUCE_SERVER="+bad.url, "TRUCE_TOKEN="+ua)
	if o, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(o), "takes no writes") {
		t.Fatalf("a write to the corrupted server: %v %s", err, o)
	}
	bad.kill(syscall.SIGTERM)

	// A server on the data with the altered evidence file never serves it
	// under its digest, and raises the alarm.
	served := start(t, "serve", "--data", swapped, "--addr", "127.0.0.1:0", "--witnesses", wit.config)
	sum := filepath.Base(blobs[0])
	req, _ := http.NewRequest("GET", served.url+"/v1/evidence/"+sum, nil)
	req.Header.Set("Authorization", "Bearer "+ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || strings.Contains(string(got), "altered evidence bytes") {
		t.Fatalf("altered evidence served: %d %q", resp.StatusCode, got)
	}
	if al, _ := json.Marshal(healthz(t, served.url)["alarms"]); !strings.Contains(string(al), sum) {
		t.Fatalf("no alarm for the altered evidence: %s", al)
	}
	if out, code := runAudit(t, "--server", served.url, "--token", ua, "--trust", wit.trust); code != 3 {
		t.Fatalf("audit --server of the altered evidence: %d\n%s", code, out)
	}
}

func healthzCode(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The demo with three witnesses: checkpoints get cosigned by all three and
// are published as final; `truce log` says so; the audit passes.
func TestDemoWithWitnesses(t *testing.T) {
	data := t.TempDir()
	srv := start(t, "demo", "--data", data, "--addr", "127.0.0.1:0")
	var h map[string]any
	eventually(t, "a final checkpoint over the whole ledger", func() bool {
		h = healthz(t, srv.url)
		latest, _ := h["latest_checkpoint"].(string)
		return h["checkpoint_size"] != nil && h["checkpoint_size"] == h["ledger_size"] && strings.HasPrefix(latest, "final")
	})
	if h["checkpoint_size"] != h["ledger_size"] || !strings.HasPrefix(h["latest_checkpoint"].(string), "final") {
		t.Fatalf("checkpoints not cosigned: %v", h)
	}
	resp, err := http.Get(srv.url + "/log/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if n := strings.Count(body.String(), "\n— "); n != 4 {
		t.Fatalf("published checkpoint has %d signatures, want the log's and three witnesses':\n%s", n, body.String())
	}
	out := truce(t, []string{"TRUCE_SERVER=" + srv.url}, "log")
	if !strings.Contains(out, "final (cosigned by ") {
		t.Fatalf("truce log: %s", out)
	}
	srv.kill(syscall.SIGTERM)
	trust := filepath.Join(t.TempDir(), "trust.json") // the auditor's own copy
	if raw, err := os.ReadFile(filepath.Join(data, "trust.json")); err != nil || os.WriteFile(trust, raw, 0o644) != nil {
		t.Fatal("the demo wrote no trust file", err)
	}
	out, code := runAudit(t, "--data", data, "--trust", trust)
	if code != 0 || !regexp.MustCompile(`cosignatures meet the witness policy: [1-9]\d* of \d+`).MatchString(out) {
		t.Fatalf("audit with witnesses: %d\n%s", code, out)
	}
}

// SIGKILL at random points during appends, 100 times: after every restart
// the server's own check of the whole Merkle tree passes, every acknowledged
// statement is there, and at the end the audit passes.
func TestCrashKeepsTreeSound(t *testing.T) {
	if testing.Short() {
		t.Skip("100 crashes take about a minute; run without -short")
	}
	data := t.TempDir()
	truce(t, nil, "party", "add", "--data", data, "--id", "ua", "--name", "Ukraine", "--kind", "belligerent")
	tok := addMember(t, data, "--party", "ua", "--name", "Rep", "--roles", "representative")
	wit := witnessFor(t, data)
	body, _ := json.Marshal(map[string]any{"type": "drone", "observed_at": "2026-01-24T03:00:00Z", "time_precision": "minute",
		"location":    map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{36.2, 47.6}}, "precision_m": 100},
		"description": map[string]string{"lang": "en", "text": "crash test"}})
	client := &http.Client{Timeout: 5 * time.Second}
	var acked []string
	for round := 0; round < 100; round++ {
		srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--checkpoint-interval", "20ms")
		if h := healthz(t, srv.url); h["log"] != "ok" {
			t.Fatalf("round %d: after restart the log is %v", round, h["log"])
		}
		done := make(chan []string)
		for w := 0; w < 4; w++ {
			go func() {
				var mine []string
				for {
					req, _ := http.NewRequest("POST", srv.url+"/v1/incidents", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+tok)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						done <- mine
						return
					}
					var out struct {
						Record struct{ ID string } `json:"record"`
					}
					json.NewDecoder(resp.Body).Decode(&out)
					resp.Body.Close()
					if resp.StatusCode == http.StatusCreated {
						mine = append(mine, out.Record.ID)
					}
				}
			}()
		}
		time.Sleep(time.Duration(20+round%7*23) * time.Millisecond)
		srv.kill(syscall.SIGKILL)
		for w := 0; w < 4; w++ {
			acked = append(acked, <-done...)
		}
	}
	srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--witnesses", wit.config)
	if h := healthz(t, srv.url); h["log"] != "ok" {
		t.Fatalf("after 100 crashes the log is %v", h["log"])
	}
	waitCheckpoint(t, srv.url)
	for _, id := range acked {
		req, _ := http.NewRequest("GET", srv.url+"/v1/incidents/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("acknowledged %s lost", id)
		}
	}
	srv.kill(syscall.SIGTERM)
	if out, code := runAudit(t, "--data", data, "--trust", wit.trust); code != 0 {
		t.Fatalf("audit after 100 crashes: %d\n%s", code, out)
	}
	t.Logf("%d acknowledged reports across 100 SIGKILLs", len(acked))
}
