package main

import (
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"truce/centre"
	"truce/checkpoint"
	"truce/ledger"
	"truce/store/sqlite"
	"truce/witness"
)

// tamperFixture is a stopped centre whose whole ledger a witness has
// cosigned: reports by a member whose key the centre holds, an evidence
// file, and the witness that parties run.
type tamperFixture struct {
	data    string
	wit     witnessed
	token   string
	ids     []string
	entries int
}

func newTamperFixture(t *testing.T) tamperFixture {
	t.Helper()
	f := tamperFixture{data: t.TempDir()}
	for _, p := range [][]string{{"ua", "Ukraine", "belligerent"}, {"ru", "Russia", "belligerent"}} {
		truce(t, nil, "party", "add", "--data", f.data, "--id", p[0], "--name", p[1], "--kind", p[2])
	}
	f.token = addMember(t, f.data, "--party", "ua", "--name", "Rep", "--roles", "representative")
	f.wit = witnessFor(t, f.data)
	srv := start(t, "serve", "--data", f.data, "--addr", "127.0.0.1:0", "--checkpoint-interval", "100ms", "--witnesses", f.wit.config)
	env := []string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + f.token}
	for _, place := range []string{"Huliaipole", "Orikhiv", "Kherson", "Nikopol"} {
		out := truce(t, env, "report", "--type", "shelling", "--lon", "35.5", "--lat", "47.5", "--at", "2026-01-24T03:00:00Z",
			"--actor", "ru", "--place", place, "--text", "shelling near "+place)
		f.ids = append(f.ids, regexp.MustCompile(`inc-\d+`).FindString(out))
	}
	waitCheckpoint(t, srv.url)
	f.entries = int(healthz(t, srv.url)["ledger_size"].(float64))
	srv.kill(syscall.SIGTERM)
	return f
}

// audit runs truce audit on a copy with the parties' trust, and checks
// that it fails naming what and where.
func (f tamperFixture) mustFail(t *testing.T, dir, index, what string, extra ...string) {
	t.Helper()
	out, code := runAudit(t, append([]string{"--data", dir, "--trust", f.wit.trust}, extra...)...)
	if code != 3 || !strings.Contains(out, "FIRST DISCREPANCY: ledger index "+index+": ") || !strings.Contains(out, what) {
		t.Fatalf("audit: exit %d, want the first discrepancy at index %s naming %q:\n%s", code, index, what, out)
	}
}

func openDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "truce.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rebuildTree rewrites every stored tree hash from the ledger's leaf_hash
// column, as an attacker who altered entries would.
func rebuildTree(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.Query(`SELECT leaf_hash FROM ledger ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var hashes []tlog.Hash
	for rows.Next() {
		var h []byte
		rows.Scan(&h)
		hashes = append(hashes, tlog.Hash(h))
	}
	rows.Close()
	tree := memHashes{}
	for i, h := range hashes {
		hs, err := tlog.StoredHashesForRecordHash(int64(i), h, tree)
		if err != nil {
			t.Fatal(err)
		}
		tree = append(tree, hs...)
	}
	mustExec(t, db, `DROP TRIGGER IF EXISTS tree_no_update`, `DROP TRIGGER IF EXISTS tree_no_delete`, `DELETE FROM tree_hashes`)
	for i, h := range tree {
		mustExec(t, db, `INSERT INTO tree_hashes (idx, hash) VALUES (`+strconv.Itoa(i)+`, x'`+hexOf(h[:])+`')`)
	}
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// The operator rewrites history with keys the centre holds: it re-signs a
// member's report with that member's centre-held key, rebuilds the tree and
// signs fresh checkpoints with the log's key. Everything on its disk is
// consistent again, and still the audit fails: no checkpoint of the new
// history meets the witness policy, and the witness's cosigned checkpoint
// names the rewrite.
func TestOperatorRewriteIsExposed(t *testing.T) {
	f := newTamperFixture(t)
	dir := copyDir(t, f.data)
	db := openDB(t, dir)
	seq := strings.TrimPrefix(f.ids[1], "inc-")
	var body []byte
	var author string
	if err := db.QueryRow(`SELECT body, author FROM ledger WHERE seq = `+seq).Scan(&body, &author); err != nil {
		t.Fatal(err)
	}
	// The member's key is sealed in the database; the key that seals it is
	// a file on the same disk.
	var sealed []byte
	if err := db.QueryRow(`SELECT private_key FROM credentials WHERE member = ?`, author).Scan(&sealed); err != nil {
		t.Fatalf("the centre holds no key for %s: %v", author, err)
	}
	secrets, err := centre.LoadSecrets(filepath.Join(keysDir(dir), "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := secrets.Open(author, sealed)
	if err != nil || len(priv) != ed25519.PrivateKeySize {
		t.Fatalf("the centre's key for %s does not open: %v", author, err)
	}
	forged := &ledger.Signed{Body: []byte(strings.Replace(string(body), "Orikhiv", "Orekhov", -1))}
	forged.Sig = ed25519.Sign(priv, append([]byte(ledger.SignaturePrefix), forged.Body...))
	leaf := forged.LeafHash()
	mustExec(t, db, `DROP TRIGGER ledger_no_update`,
		`UPDATE ledger SET body = x'`+hexOf(forged.Body)+`', sig = x'`+hexOf(forged.Sig)+`', leaf_hash = x'`+hexOf(leaf[:])+`' WHERE seq = `+seq)
	rebuildTree(t, db)
	// Fresh checkpoints over the new tree, signed with the log's own key,
	// read from its key file.
	var origin string
	db.QueryRow(`SELECT value FROM log_settings WHERE name = 'origin'`).Scan(&origin)
	skey, err := os.ReadFile(filepath.Join(keysDir(dir), "log.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := checkpoint.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatalf("the log's key is not where this attack expects it (%v): update the test with the key's new home", err)
	}
	st, _ := sqlite.Open(dir)
	root, err := tlog.TreeHash(int64(f.entries), st)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	signed, _ := signer.Sign(checkpoint.Checkpoint{Origin: origin, Size: int64(f.entries), Root: root})
	mustExec(t, db, `DELETE FROM cosignatures`, `DELETE FROM checkpoints`)
	if _, err := db.Exec(`INSERT INTO checkpoints (size, note, signed_at, final) VALUES (?, ?, ?, 1)`, f.entries, signed, time.Now().UTC().Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	// The forged ledger is consistent with itself...
	if out, code := runAudit(t, "--data", dir, "--log-key", f.wit.logKey(t)); code != 3 || !strings.Contains(out, "no witness policy") {
		t.Fatalf("without the witness policy only the missing policy is named: %d\n%s", code, out)
	}
	// ...but no checkpoint of it is witnessed, and the witness's own
	// checkpoint shows a different history.
	out, code := runAudit(t, "--data", dir, "--trust", f.wit.trust)
	if code != 3 || !strings.Contains(out, "no checkpoint meets the witness policy") {
		t.Fatalf("the forged history passed with the witness policy: %d\n%s", code, out)
	}
	f.mustFail(t, dir, strconv.Itoa(f.entries-1), "fork of the history", "--ask-witnesses")
	f.mustHalt(t, dir, "fork")
}

// A cut tail: the newest statements, their tree hashes, checkpoints and
// cosignatures deleted. The ledger looks whole on its own; the witness's
// latest checkpoint, or one the auditor saved, names the truncation.
func TestCutTailIsNamed(t *testing.T) {
	f := newTamperFixture(t)
	saved := filepath.Join(t.TempDir(), "saved.checkpoint")
	if out, code := runAudit(t, "--data", f.data, "--trust", f.wit.trust, "--save-checkpoint", saved); code != 0 {
		t.Fatalf("clean audit: %d\n%s", code, out)
	}
	dir := copyDir(t, f.data)
	db := openDB(t, dir)
	cut := strings.TrimPrefix(f.ids[3], "inc-") // the last report and all after it
	mustExec(t, db, `DROP TRIGGER ledger_no_delete`, `DELETE FROM ledger WHERE seq >= `+cut,
		`DELETE FROM checkpoints WHERE size > `+cut, `DELETE FROM cosignatures WHERE size > `+cut,
		`DELETE FROM incidents WHERE seq >= `+cut)
	rebuildTree(t, db)
	out, code := runAudit(t, "--data", dir, "--trust", f.wit.trust)
	if code != 0 && !strings.Contains(out, "meets the witness policy") {
		t.Logf("without a checkpoint from outside: %d\n%s", code, out)
	}
	f.mustFail(t, dir, cut, "truncation", "--ask-witnesses")
	f.mustFail(t, dir, cut, "truncation", "--checkpoint", saved)
	f.mustHalt(t, dir, "rollback")
}

// mustHalt restarts a server on a tampered copy and checks that the
// witnesses' checkpoint makes it halt: 503 on /healthz naming why, and
// writes refused.
func (f tamperFixture) mustHalt(t *testing.T, dir, why string) {
	t.Helper()
	srv := start(t, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--witnesses", f.wit.config)
	var h map[string]any
	eventually(t, "the server to halt ("+why+")", func() bool {
		h = healthz(t, srv.url)
		status, _ := h["status"].(string)
		return strings.Contains(status, why)
	})
	if code := healthzCode(t, srv.url); code != 503 {
		t.Fatalf("/healthz %d: %v", code, h)
	}
	cmd := exec.Command(binary, "report", "--type", "drone", "--lon", "35", "--lat", "47", "--at", "2026-01-24T03:00:00Z", "--text", "after the tampering")
	cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL=", "TRUCE_SERVER="+srv.url, "TRUCE_TOKEN="+f.token)
	if o, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(o), "takes no writes") {
		t.Fatalf("a write to the halted server: %v %s", err, o)
	}
}

// Bytes changed where the signature does not reach: a column of a ledger
// row, an interior hash of the stored tree, a projection row.
func TestEveryByteIsChecked(t *testing.T) {
	f := newTamperFixture(t)
	seq := strings.TrimPrefix(f.ids[1], "inc-")
	for _, c := range []struct {
		column, value string
	}{{"party", "'ru'"}, {"author", "'someone'"}, {"time", "'2026-01-01T00:00:00.000Z'"}, {"subject", "'inc-1'"},
		{"nonce", "'abc'"}, {"type", "'incident.link'"}, {"leaf_hash", "randomblob(32)"}} {
		dir := copyDir(t, f.data)
		db := openDB(t, dir)
		mustExec(t, db, `DROP TRIGGER ledger_no_update`, `UPDATE ledger SET `+c.column+` = `+c.value+` WHERE seq = `+seq)
		db.Close()
		what := c.column
		if c.column == "leaf_hash" {
			what = "leaf"
		}
		f.mustFail(t, dir, seq, what)
	}
	// An interior hash of the stored tree (level 1 over entries 2 and 3).
	dir := copyDir(t, f.data)
	db := openDB(t, dir)
	mustExec(t, db, `DROP TRIGGER tree_no_update`, `UPDATE tree_hashes SET hash = randomblob(32) WHERE idx = `+strconv.FormatInt(tlog.StoredHashIndex(1, 1), 10))
	db.Close()
	f.mustFail(t, dir, "2", "level 1 over entries 2 to 3")
	// A projection: an incident shown as published that never was.
	dir = copyDir(t, f.data)
	db = openDB(t, dir)
	mustExec(t, db, `UPDATE incidents SET status = 'published', doc = CAST(json_set(CAST(doc AS TEXT), '$.status', 'published') AS BLOB) WHERE seq = `+seq)
	db.Close()
	f.mustFail(t, dir, seq, "incident "+seq+" (status)")
}

// logKey reads the log key from the trust file.
func (w witnessed) logKey(t *testing.T) string {
	t.Helper()
	tr, err := witness.LoadTrust(w.trust)
	if err != nil {
		t.Fatal(err)
	}
	return tr.LogKey
}

// A projection row edited on disk — an incident shown as published that
// never was — breaks its seal. The restarted server refuses to serve it,
// anonymously or to a member, raises the alarm and takes no writes; `truce
// refold` repairs it from the ledger. With the seals stripped too, the
// server folds the ledger again by itself before it serves.
func TestServerRefusesEditedProjection(t *testing.T) {
	f := newTamperFixture(t)
	id := f.ids[1]
	publish := `UPDATE incidents SET status = 'published', doc = CAST(json_set(CAST(doc AS TEXT), '$.status', 'published') AS BLOB) WHERE seq = ` +
		strings.TrimPrefix(id, "inc-")

	dir := copyDir(t, f.data)
	sqlExec(t, dir, publish)
	srv := start(t, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--witnesses", f.wit.config)
	for _, token := range []string{"", f.token} {
		for _, path := range []string{"/v1/incidents", "/v1/incidents/" + id, "/v1/map?zoom=5"} {
			code, body := getWith(t, srv.url+path, token)
			if code == 200 && strings.Contains(body, id) || strings.Contains(body, `"status":"published"`) {
				t.Fatalf("GET %s (token %t) served the edited row: %d %s", path, token != "", code, body)
			}
		}
		if code, body := getWith(t, srv.url+"/v1/incidents/"+id, token); code != 503 || !strings.Contains(body, "changed on disk") {
			t.Fatalf("GET the edited incident (token %t): %d %s", token != "", code, body)
		}
	}
	srv.kill(syscall.SIGTERM)
	f.mustHalt(t, dir, "changed on disk")
	f.mustFail(t, dir, strings.TrimPrefix(id, "inc-"), "incident "+strings.TrimPrefix(id, "inc-")+" (status)")

	truce(t, nil, "refold", "--data", dir)
	mustServeTruth(t, dir, f, id)

	stripped := copyDir(t, f.data)
	sqlExec(t, stripped, publish, `UPDATE incidents SET seal = NULL`, `DELETE FROM log_settings WHERE name = 'projection_seal'`)
	mustServeTruth(t, stripped, f, id)
}

// mustServeTruth starts a server on dir and checks that it serves id with
// the status the ledger gives it, is healthy, and that the audit passes.
func mustServeTruth(t *testing.T, dir string, f tamperFixture, id string) {
	t.Helper()
	srv := start(t, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--witnesses", f.wit.config)
	defer srv.kill(syscall.SIGTERM)
	code, body := getWith(t, srv.url+"/v1/incidents/"+id, f.token)
	var inc struct{ Status string }
	json.Unmarshal([]byte(body), &inc)
	if code != 200 || inc.Status == "" || inc.Status == "published" {
		t.Fatalf("GET %s after the repair: %d %s", id, code, body)
	}
	if code, body := getWith(t, srv.url+"/v1/incidents/"+id, ""); code != 404 && code != 403 {
		t.Fatalf("anonymous GET of the unpublished %s after the repair: %d %s", id, code, body)
	}
	if code := healthzCode(t, srv.url); code != 200 {
		t.Fatalf("/healthz after the repair: %d %v", code, healthz(t, srv.url))
	}
	if out, code := runAudit(t, "--data", dir, "--trust", f.wit.trust); code != 0 {
		t.Fatalf("audit after the repair: %d\n%s", code, out)
	}
}

func getWith(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
