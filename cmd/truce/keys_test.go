package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"truce/centre"
	"truce/store/sqlite"
)

// keysOnDisk reads a data directory's keys as a disk attacker would: the
// log's key file, and each member key the centre holds, opened with the
// secrets file. It returns what must never appear in the database's files.
func keysOnDisk(t *testing.T, data string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	raw, err := os.ReadFile(filepath.Join(keysDir(data), "log.key"))
	if err != nil {
		t.Fatal(err)
	}
	skey := strings.TrimSpace(string(raw))
	out["checkpoint key"] = []byte(skey)
	out["checkpoint key's base64"] = []byte(strings.SplitN(skey, "+", 5)[4])
	secrets, err := centre.LoadSecrets(filepath.Join(keysDir(data), "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	held, err := st.HeldKeys(context.Background())
	if err != nil || len(held) < 2 {
		t.Fatalf("held keys: %d %v", len(held), err)
	}
	for _, h := range held {
		priv, err := secrets.Open(h.Member, h.PrivateKey)
		if err != nil {
			t.Fatalf("%s: %v", h.Member, err)
		}
		out[h.Member+"'s key"] = priv
		out[h.Member+"'s seed"] = priv.Seed()
		out[h.Member+"'s key in base64"] = []byte(base64.StdEncoding.EncodeToString(priv))
	}
	return out
}

// dbHolds names the secrets found in the database's files, byte for byte.
func dbHolds(t *testing.T, data string, secrets map[string][]byte) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, "truce.db*"))
	var found []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for what, b := range secrets {
			if bytes.Contains(raw, b) {
				found = append(found, filepath.Base(f)+": "+what)
			}
		}
	}
	return found
}

// runFail runs the binary and returns its output, failing the test unless
// it fails.
func runFail(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL="), env...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("truce %s succeeded:\n%s", strings.Join(args, " "), out)
	}
	return string(out)
}

// Keys out of the database: the log's key is a key file beside the data
// directory, made 0600 and refused once others may read it; the member keys
// the centre holds are sealed, and truce.db holds neither. A centre given
// the wrong secrets key serves reads and members' own signatures, and
// refuses to sign for members, naming --secrets. An old-style database has
// its keys moved out on first start.
func TestKeysOutOfTheDatabase(t *testing.T) {
	data := t.TempDir()
	for _, p := range [][]string{{"ua", "Ukraine", "belligerent"}, {"ru", "Russia", "belligerent"}} {
		truce(t, nil, "party", "add", "--data", data, "--id", p[0], "--name", p[1], "--kind", p[2])
	}
	rep := addMember(t, data, "--party", "ua", "--name", "Rep", "--roles", "representative")
	keyFile := filepath.Join(t.TempDir(), "field.key")
	field := addMember(t, data, "--party", "ua", "--name", "Field", "--roles", "representative", "--key-out", keyFile)
	srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--checkpoint-interval", "100ms")
	report := []string{"report", "--type", "shelling", "--lon", "35.5", "--lat", "47.5", "--at", "2026-01-24T03:00:00Z", "--actor", "ru", "--text", "shelling"}
	truce(t, []string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + rep}, report...)
	waitCheckpoint(t, srv.url)

	for _, f := range []string{"log.key", "secrets.key"} {
		fi, err := os.Stat(filepath.Join(keysDir(data), f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, want a file of mode 0600 beside the data directory", f, err)
		}
	}
	secrets := keysOnDisk(t, data)
	if found := dbHolds(t, data, secrets); len(found) > 0 {
		t.Fatalf("the database holds keys: %v", found)
	}
	srv.kill(syscall.SIGTERM)

	// A key file others may read is refused.
	logKey := filepath.Join(keysDir(data), "log.key")
	os.Chmod(logKey, 0o644)
	if out := runFail(t, nil, "serve", "--data", data, "--addr", "127.0.0.1:0"); !strings.Contains(out, "chmod 600") {
		t.Fatalf("a world-readable key file: %s", out)
	}
	os.Chmod(logKey, 0o600)

	// The wrong secrets key.
	wrong := filepath.Join(t.TempDir(), "wrong-secrets.key")
	if _, err := centre.CreateSecrets(wrong); err != nil {
		t.Fatal(err)
	}
	bad := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--secrets", wrong)
	truce(t, []string{"TRUCE_SERVER=" + bad.url, "TRUCE_TOKEN=" + rep}, "list")
	runFail(t, []string{"TRUCE_SERVER=" + bad.url, "TRUCE_TOKEN=" + rep}, report...)
	truce(t, []string{"TRUCE_SERVER=" + bad.url, "TRUCE_TOKEN=" + field, "TRUCE_KEY=" + keyFile}, report...)
	if out := runFail(t, nil, "member", "add", "--data", data, "--secrets", wrong, "--party", "ua", "--name", "Another", "--roles", "representative"); !strings.Contains(out, "sealed under another key than the one in "+wrong+" (--secrets)") {
		t.Fatalf("admin with the wrong secrets key: %s", out)
	}
	bad.kill(syscall.SIGTERM)

	// Back to the old layout: the log's key in log_settings, member keys in
	// the clear, no key files. The first start moves them out again.
	db := openDB(t, data)
	skey := strings.TrimSpace(string(secrets["checkpoint key"]))
	mustExec(t, db, `INSERT INTO log_settings (name, value) VALUES ('checkpoint_signer_key', '`+skey+`')`)
	for what, priv := range secrets {
		if member, ok := strings.CutSuffix(what, "'s key"); ok {
			if _, err := db.Exec(`UPDATE credentials SET private_key = ? WHERE member = ?`, priv, member); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustExec(t, db, `PRAGMA wal_checkpoint(TRUNCATE)`)
	db.Close()
	if found := dbHolds(t, data, secrets); len(found) < 3 {
		t.Fatalf("the old layout was not made: %v", found)
	}
	if err := os.RemoveAll(keysDir(data)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "party", "add", "--data", data, "--id", "ch", "--name", "Switzerland", "--kind", "monitor")
	cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL=")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "moved the log's checkpoint signing key out of the store") || !strings.Contains(string(out), "sealed the member keys") {
		t.Fatalf("first start on an old-style database: %v\n%s", err, out)
	}
	if raw, _ := os.ReadFile(logKey); strings.TrimSpace(string(raw)) != skey {
		t.Fatal("the key file does not hold the log's key")
	}
	if found := dbHolds(t, data, secrets); len(found) > 0 {
		t.Fatalf("after the move, the database still holds keys: %v", found)
	}
	srv = start(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--checkpoint-interval", "100ms")
	truce(t, []string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + rep}, report...)
	waitCheckpoint(t, srv.url)
	// Every entry, signature and checkpoint checks out under the log's key;
	// the one finding is that no witness stands behind it.
	if out, code := runAudit(t, "--data", data, "--log-key", logVerifierKey(t, data)); code != 3 || !strings.Contains(out, "FIRST DISCREPANCY: no witness policy") {
		t.Fatalf("audit after the move: %d\n%s", code, out)
	}
}

// logVerifierKey reads the log's public key from the database.
func logVerifierKey(t *testing.T, data string) string {
	t.Helper()
	var v string
	if err := openDB(t, data).QueryRow(`SELECT value FROM log_settings WHERE name = 'checkpoint_verifier_key'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The demo has a member who holds its own key: its table says so, the key
// is a file in the data directory, and the member signs with it; the centre
// will not sign for it.
func TestDemoMemberHoldsItsKey(t *testing.T) {
	data := t.TempDir()
	srv := start(t, "demo", "--data", data, "--addr", "127.0.0.1:0", "--witnesses=false")
	var row string
	for _, line := range strings.Split(srv.output(), "\n") {
		if strings.HasPrefix(line, "in-monitor ") {
			row = line
		}
	}
	if !strings.Contains(row, " own ") || !strings.Contains(srv.output(), "in-monitor holds its own key ("+filepath.Join(data, "in-monitor.key")+")") {
		t.Fatalf("the demo does not show in-monitor holding its key:\n%s", srv.output())
	}
	keyFile := filepath.Join(data, "in-monitor.key")
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("in-monitor's key file: %v", err)
	}
	env := []string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + demoToken(t, srv.output(), "in-monitor")}
	report := []string{"report", "--type", "shelling", "--lon", "35.5", "--lat", "47.5", "--at", "2026-01-24T03:00:00Z", "--actor", "ru", "--text", "shelling"}
	if out := runFail(t, env, report...); !strings.Contains(out, "holds its own key") {
		t.Fatalf("the centre signed for in-monitor: %s", out)
	}
	truce(t, append(env, "TRUCE_KEY="+keyFile), report...)
}
