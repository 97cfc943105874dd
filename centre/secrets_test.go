package centre_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	stdjson "encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"truce/centre"
	"truce/checkpoint"
	"truce/incident"
	"truce/ledger"
	"truce/party"
	"truce/store/sqlite"
	"truce/store/storetest"
)

// A sealed key opens only under its own key-encryption key, and only in
// its own member's row.
func TestSecretsSealOpen(t *testing.T) {
	dir := t.TempDir()
	a, err := centre.CreateSecrets(filepath.Join(dir, "a.key"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := centre.CreateSecrets(filepath.Join(dir, "b.key"))
	_, priv, _ := ed25519.GenerateKey(nil)
	sealed := a.Seal("ua-rep", priv)
	if !centre.IsSealed(sealed) || bytes.Contains(sealed, priv.Seed()) {
		t.Fatal("not sealed")
	}
	if got, err := a.Open("ua-rep", sealed); err != nil || !got.Equal(priv) {
		t.Fatalf("open: %v", err)
	}
	if _, err := a.Open("ru-rep", sealed); err == nil {
		t.Fatal("a key opened in another member's row")
	}
	if _, err := b.Open("ua-rep", sealed); err == nil {
		t.Fatal("a key opened under another secrets key")
	}
	again, err := centre.LoadSecrets(filepath.Join(dir, "a.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Open("ua-rep", sealed); err != nil {
		t.Fatalf("the secrets file gives another key: %v", err)
	}
}

// keyed is a centre whose keys are in files, in a directory apart from its
// data directory.
type keyed struct {
	data, keys string
	st         *sqlite.Store
}

func newKeyed(t *testing.T) *keyed {
	k := &keyed{data: t.TempDir(), keys: filepath.Join(t.TempDir(), "keys")}
	st, err := sqlite.Open(k.data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	k.st = st
	return k
}

func (k *keyed) options() centre.Options {
	return centre.Options{NoCheckpoints: true, CheckpointKeyFile: filepath.Join(k.keys, "log.key"), CheckpointKeyFlag: "--log-key-file",
		SecretsFile: filepath.Join(k.keys, "secrets.key"), SecretsFlag: "--secrets"}
}

func (k *keyed) open(t *testing.T, opt centre.Options) *centre.Centre {
	t.Helper()
	c, _, err := centre.Open(context.Background(), k.st, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// populate registers a party and two members: one the centre signs for,
// one holding its own key (returned).
func populate(t *testing.T, c *centre.Centre) ed25519.PrivateKey {
	t.Helper()
	ctx := context.Background()
	for _, p := range []party.Register{{ID: "ua", Name: "Ukraine", Kind: party.Belligerent}, {ID: "ru", Name: "Russia", Kind: party.Belligerent}} {
		if _, err := c.RegisterParty(ctx, p, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.AddMember(ctx, centre.NewMember{ID: storetest.UARep, Party: "ua", Name: "Rep", Roles: []party.Role{party.Representative}}); err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	if _, _, err := c.AddMember(ctx, centre.NewMember{ID: "ua-field", Party: "ua", Name: "Field", Roles: []party.Role{party.Representative}, PublicKey: pub}); err != nil {
		t.Fatal(err)
	}
	return priv
}

// secretsIn lists what must never be found in the database's files: the
// checkpoint signing key and every member key the centre holds, raw and in
// base64.
func secretsIn(t *testing.T, c *centre.Centre, k *keyed) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	raw, err := os.ReadFile(filepath.Join(k.keys, "log.key"))
	if err != nil {
		t.Fatal(err)
	}
	skey := strings.TrimSpace(string(raw))
	out["checkpoint key"] = []byte(skey)
	out["checkpoint key (base64)"] = []byte(strings.SplitN(skey, "+", 5)[4])
	out["checkpoint key marker"] = []byte("PRIVATE+KEY")
	for _, m := range []string{centre.OperatorID, storetest.UARep} {
		priv, err := c.HeldKey(ctx, m)
		if err != nil || priv == nil {
			t.Fatalf("key of %s: %v", m, err)
		}
		out[m+" key"] = priv
		out[m+" seed"] = priv.Seed()
		out[m+" key (base64)"] = []byte(base64.StdEncoding.EncodeToString(priv))
		out[m+" seed (base64)"] = []byte(base64.StdEncoding.EncodeToString(priv.Seed()))
	}
	return out
}

// noSecretsOnDisk reads the database's files byte for byte.
func noSecretsOnDisk(t *testing.T, dir string, secrets map[string][]byte) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "truce.db*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for what, b := range secrets {
			if bytes.Contains(raw, b) {
				t.Errorf("%s holds the %s", filepath.Base(f), what)
			}
		}
	}
}

// The checkpoint key lives in its key file, made 0600; the member keys the
// centre holds are sealed; the database's files hold neither.
func TestKeysLeaveTheStore(t *testing.T) {
	k := newKeyed(t)
	c := k.open(t, k.options())
	populate(t, c)
	ctx := context.Background()
	for _, f := range []string{"log.key", "secrets.key"} {
		fi, err := os.Stat(filepath.Join(k.keys, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v, want mode 0600", f, fi, err)
		}
	}
	if v, _ := k.st.LogSetting(ctx, "checkpoint_signer_key"); v != "" {
		t.Fatal("the store holds the checkpoint key")
	}
	if v, _ := k.st.LogSetting(ctx, "checkpoint_verifier_key"); v != c.Log.VKey || v == "" {
		t.Fatalf("verifier key %q, log %q", v, c.Log.VKey)
	}
	held, _ := k.st.HeldKeys(ctx)
	if len(held) != 2 {
		t.Fatalf("%d held keys, want the operator's and ua-rep's", len(held))
	}
	for _, h := range held {
		if !centre.IsSealed(h.PrivateKey) {
			t.Fatalf("the key of %s is stored in the clear", h.Member)
		}
	}
	if _, err := c.Log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	noSecretsOnDisk(t, k.data, secretsIn(t, c, k))
}

// A key file open to others, another log's key, or a missing key file for
// a log that has one: the centre does not open.
func TestLogKeyRefusals(t *testing.T) {
	k := newKeyed(t)
	c := k.open(t, k.options())
	c.Close()
	path := filepath.Join(k.keys, "log.key")
	os.Chmod(path, 0o644)
	if _, _, err := centre.Open(context.Background(), k.st, k.options()); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key file: %v", err)
	}
	os.Chmod(path, 0o600)
	os.Rename(path, path+".away")
	if _, _, err := centre.Open(context.Background(), k.st, k.options()); err == nil || !strings.Contains(err.Error(), "--log-key-file") || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("a missing key file: %v", err)
	}
	skey, _, _ := checkpoint.NewKey(c.Log.Origin)
	if err := checkpoint.WriteKeyFile(path, skey); err != nil {
		t.Fatal(err)
	}
	if _, _, err := centre.Open(context.Background(), k.st, k.options()); err == nil || !strings.Contains(err.Error(), "not this log's") {
		t.Fatalf("another key for the log: %v", err)
	}
	os.Remove(path)
	os.Rename(path+".away", path)
	k.open(t, k.options())
}

// A centre restarted with the wrong secrets key, or without its secrets
// file, still starts and serves reads and the statements members sign
// themselves, but refuses to sign for members, naming the flag.
func TestWrongSecrets(t *testing.T) {
	k := newKeyed(t)
	c := k.open(t, k.options())
	field := populate(t, c)
	c.Close()
	ctx := context.Background()
	wrong := filepath.Join(t.TempDir(), "other-secrets.key")
	if _, err := centre.CreateSecrets(wrong); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, file, want string
	}{{"wrong", wrong, "sealed under another key than the one in " + wrong + " (--secrets)"},
		{"missing", filepath.Join(t.TempDir(), "none.key"), "is missing"}} {
		t.Run(c.name, func(t *testing.T) {
			opt := k.options()
			opt.SecretsFile = c.file
			cn := k.open(t, opt)
			rep, err := cn.SessionOf(ctx, storetest.UARep)
			if err != nil {
				t.Fatal(err)
			}
			_, err = cn.Say(ctx, rep, incident.TypeReport, storetest.Report())
			if !errors.Is(err, centre.ErrSecrets) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "--secrets") {
				t.Fatalf("signing for a member: %v, want %q", err, c.want)
			}
			if _, _, err := cn.AddMember(ctx, centre.NewMember{Party: "ua", Name: "New", Roles: []party.Role{party.Representative}}); !errors.Is(err, centre.ErrSecrets) {
				t.Fatalf("adding a member the centre would sign for: %v", err)
			}
			// Reads, and a statement its member signed.
			if m, err := cn.Store.Member(ctx, storetest.UARep); err != nil || m == nil {
				t.Fatal(err)
			}
			fs, err := cn.SessionOf(ctx, "ua-field")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := stdjson.Marshal(storetest.Report())
			signed, err := ledger.Sign(ledger.Statement{Type: incident.TypeReport, Party: "ua", Author: "ua-field", Time: time.Now().UTC().Truncate(time.Millisecond),
				Payload: raw, Nonce: ledger.NewNonce()}, field)
			if err != nil {
				t.Fatal(err)
			}
			if err := cn.Submit(ctx, fs, signed); err != nil {
				t.Fatalf("a client-signed statement: %v", err)
			}
			if _, err := os.Stat(c.file); c.name == "missing" && err == nil {
				t.Fatal("a new secrets file was made for a store with sealed keys")
			}
		})
	}
	// A secrets file open to others is refused outright.
	os.Chmod(filepath.Join(k.keys, "secrets.key"), 0o640)
	if _, _, err := centre.Open(ctx, k.st, k.options()); err == nil || !strings.Contains(err.Error(), "--secrets") {
		t.Fatalf("a group-readable secrets file: %v", err)
	}
}

// A store from before keys left it (the checkpoint key in log_settings,
// member keys in the clear) has its checkpoint key moved into the key file
// and its member keys sealed on first start; its log keeps its key.
func TestOldStoreMigrates(t *testing.T) {
	k := newKeyed(t)
	c := k.open(t, k.options())
	populate(t, c)
	secrets := secretsIn(t, c, k)
	if _, err := c.Log.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	vkey := c.Log.VKey
	c.Close()
	// Back to the old layout.
	ctx := context.Background()
	raw, _ := os.ReadFile(filepath.Join(k.keys, "log.key"))
	if _, err := k.st.InitLogSetting(ctx, "checkpoint_signer_key", strings.TrimSpace(string(raw))); err != nil {
		t.Fatal(err)
	}
	s, err := centre.LoadSecrets(filepath.Join(k.keys, "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	held, _ := k.st.HeldKeys(ctx)
	for _, h := range held {
		priv, err := s.Open(h.Member, h.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.st.ReplaceHeldKey(ctx, h.Member, h.PrivateKey, priv); err != nil {
			t.Fatal(err)
		}
	}
	os.RemoveAll(k.keys)
	if err := k.st.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	db, _ := os.ReadFile(filepath.Join(k.data, "truce.db"))
	if !bytes.Contains(db, secrets["checkpoint key"]) || !bytes.Contains(db, secrets[storetest.UARep+" key"]) {
		t.Fatal("the old layout was not made")
	}

	c = k.open(t, k.options())
	if c.Log.VKey != vkey {
		t.Fatalf("the log's key changed: %s → %s", vkey, c.Log.VKey)
	}
	if v, _ := k.st.LogSetting(ctx, "checkpoint_signer_key"); v != "" {
		t.Fatal("the checkpoint key is still in the store")
	}
	if raw2, _ := os.ReadFile(filepath.Join(k.keys, "log.key")); !bytes.Equal(raw, raw2) {
		t.Fatal("the key file does not hold the log's key")
	}
	held, _ = k.st.HeldKeys(ctx)
	for _, h := range held {
		if !centre.IsSealed(h.PrivateKey) {
			t.Fatalf("the key of %s is still in the clear", h.Member)
		}
	}
	noSecretsOnDisk(t, k.data, secrets)
	// The centre signs for members with the keys it had, and the log goes on.
	rep, err := c.SessionOf(ctx, storetest.UARep)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Say(ctx, rep, incident.TypeReport, storetest.Report())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Verify(ed25519.PrivateKey(secrets[storetest.UARep+" key"]).Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	signed, err := c.Log.Checkpoint(ctx)
	if err != nil || signed == nil {
		t.Fatal(err)
	}
	v, _ := note.NewVerifier(vkey)
	if _, _, err := checkpoint.Open(signed, v); err != nil {
		t.Fatal(err)
	}
}
