package audit_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"truce/audit"
	"truce/incident"
	"truce/ledger"
	"truce/store/sqlite"
	"truce/store/storetest"
	"truce/witness"
)

// ledgerOf builds a store holding the fixture's cast and n reports,
// appended in groups as the committer would, and a signed checkpoint.
func ledgerOf(t testing.TB, n int) (*sqlite.Store, *storetest.Fixture) {
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := storetest.NewFixture(t, st)
	key := f.Key(t, storetest.UARep)
	raw, _ := json.Marshal(storetest.Report())
	ctx := context.Background()
	for done := 0; done < n; {
		batch := make([]*ledger.Signed, 0, 1000)
		for i := 0; i < 1000 && done < n; i, done = i+1, done+1 {
			s, _ := ledger.Sign(ledger.Statement{Type: incident.TypeReport, Party: "ua", Author: storetest.UARep,
				Time: time.Now().UTC(), Payload: raw, Nonce: ledger.NewNonce()}, key)
			batch = append(batch, s)
		}
		errs, err := st.AppendBatch(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			if e != nil {
				t.Fatal(e)
			}
		}
	}
	cosign(t, f)
	return st, f
}

// witnessed gives the fixture's log one witness, cosigning each checkpoint,
// and returns the auditor's trust: the policy that needs it.
func witnessed(t testing.TB, f *storetest.Fixture) *witness.Config {
	if cfg := f.Centre.Log.Witnesses(); cfg != nil {
		return cfg
	}
	skey, vkey, err := witness.NewKeys("ua-witness")
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(t.TempDir(), skey, map[string]string{f.Centre.Log.Origin: f.Centre.Log.VKey})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	cfg := &witness.Config{Witnesses: []witness.Member{{Name: "ua", Key: vkey, URL: srv.URL}},
		Policy: []witness.Group{{Group: "ukraine", Threshold: 1, Witnesses: []string{"ua"}}}}
	f.Centre.Log.SetWitnesses(cfg)
	return cfg
}

// cosign signs a checkpoint of the whole ledger and has it cosigned.
func cosign(t testing.TB, f *storetest.Fixture) {
	witnessed(t, f)
	ctx := context.Background()
	signed, err := f.Centre.Log.Checkpoint(ctx)
	if err != nil || signed == nil {
		t.Fatal("checkpoint", err)
	}
	f.Centre.Log.Collect(ctx, signed)
}

func trust(t testing.TB, f *storetest.Fixture) audit.Options {
	return audit.Options{LogKey: f.Centre.Log.Verifier, Witnesses: witnessed(t, f)}
}

func TestCleanLedger(t *testing.T) {
	st, f := ledgerOf(t, 300)
	f.Walk(t)
	// Statements on both sides of a key rotation verify, each with the key
	// of its time.
	if _, err := f.Centre.RotateKey(context.Background(), storetest.UARep, nil, "test"); err != nil {
		t.Fatal(err)
	}
	s, _ := f.Centre.SessionOf(context.Background(), storetest.UARep)
	if _, err := f.Centre.Say(context.Background(), s, incident.TypeReport, storetest.Report()); err != nil {
		t.Fatal(err)
	}
	cosign(t, f)
	rep, err := audit.Run(context.Background(), st, trust(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if rep.First() != nil || rep.Checkpoints != 2 || rep.Cosigned != 2 || rep.Entries < 300 || rep.Witnessed != rep.Entries || rep.Unwitnessed != 0 {
		t.Fatalf("report %+v", rep)
	}
	// A checkpoint that does not verify against the given key is a finding.
	_, other, _ := note.GenerateKey(nil, f.Centre.Log.Origin)
	ov, _ := note.NewVerifier(other)
	rep, _ = audit.Run(context.Background(), st, audit.Options{LogKey: ov, Witnesses: witnessed(t, f)})
	if rep.First() == nil {
		t.Fatal("checkpoints signed by another key passed")
	}
	// Without a key from outside, there is no audit.
	if _, err := audit.Run(context.Background(), st, audit.Options{}); err != audit.ErrNoLogKey {
		t.Fatalf("an audit without a log key: %v", err)
	}
}

// The trust roots come from the auditor: without a witness policy the
// audit fails; a checkpoint the auditor saved that the ledger no longer
// reaches names a truncation; entries left unwitnessed beyond the bound
// are a finding.
func TestTrustRoots(t *testing.T) {
	st, f := ledgerOf(t, 20)
	ctx := context.Background()
	rep, _ := audit.Run(ctx, st, audit.Options{LogKey: f.Centre.Log.Verifier})
	if first := rep.First(); first == nil || !strings.Contains(first.What, "no witness policy") {
		t.Fatalf("without a witness policy: %+v", rep.Findings)
	}
	ok, _ := audit.Run(ctx, st, trust(t, f))
	if ok.First() != nil {
		t.Fatalf("clean: %+v", ok.Findings)
	}
	// The same ledger's own saved checkpoint, then entries cut: a truncation.
	saved := ok.Newest
	s, _ := f.Centre.SessionOf(ctx, storetest.UARep)
	for range 3 {
		if _, err := f.Centre.Say(ctx, s, incident.TypeReport, storetest.Report()); err != nil {
			t.Fatal(err)
		}
	}
	opt := trust(t, f)
	opt.Trusted = []audit.Trusted{{From: "the checkpoint you saved", Signed: saved}}
	rep, _ = audit.Run(ctx, st, opt)
	if rep.First() != nil || rep.Unwitnessed != 3 || rep.UnwitnessedSince == nil {
		t.Fatalf("three entries after the last final checkpoint: %+v", rep)
	}
	opt.Now = time.Now().Add(2 * audit.DefaultMaxUnwitnessed)
	rep, _ = audit.Run(ctx, st, opt)
	if first := rep.First(); first == nil || first.Index != rep.Witnessed || !strings.Contains(first.What, "not witnessed") {
		t.Fatalf("entries unwitnessed beyond the bound: %+v", rep.Findings)
	}
	// Witnessed, saved by the auditor, then cut from the ledger with their
	// checkpoints: the audit names the truncation at the first lost entry.
	cosign(t, f)
	after, _ := audit.Run(ctx, st, trust(t, f))
	if after.First() != nil || after.Witnessed != after.Entries {
		t.Fatalf("after cosigning: %+v", after)
	}
	opt = trust(t, f)
	opt.Trusted = []audit.Trusted{{From: "the checkpoint you saved", Signed: after.Newest}}
	rep, _ = audit.Run(ctx, &cut{st, uint64(ok.Entries)}, opt)
	if first := rep.First(); first == nil || first.Index != ok.Entries || !strings.Contains(first.What, "truncation") {
		t.Fatalf("a cut tail: %+v", rep.Findings)
	}
	rep, _ = audit.Run(ctx, &cut{st, uint64(ok.Entries)}, trust(t, f))
	if rep.First() != nil {
		t.Fatalf("without the saved checkpoint the cut ledger looks whole (%+v): which is why auditors keep one", rep.Findings)
	}
}

// cut is a store whose last entries, with their checkpoints, were removed.
type cut struct {
	*sqlite.Store
	size uint64
}

func (c *cut) Size(context.Context) (uint64, error) { return c.size, nil }

func (c *cut) Statements(ctx context.Context, from uint64, limit int) ([]*ledger.Signed, error) {
	out, err := c.Store.Statements(ctx, from, limit)
	for len(out) > 0 && out[len(out)-1].Seq >= c.size {
		out = out[:len(out)-1]
	}
	return out, err
}

func (c *cut) RawStatements(ctx context.Context, from uint64, limit int) ([]*ledger.Signed, error) {
	return c.Statements(ctx, from, limit)
}

func (c *cut) Checkpoints(ctx context.Context) ([][]byte, error) {
	all, err := c.Store.Checkpoints(ctx)
	var out [][]byte
	for _, signed := range all {
		if sizeOf(signed) <= c.size {
			out = append(out, signed)
		}
	}
	return out, err
}

func sizeOf(signed []byte) uint64 {
	lines := strings.SplitN(string(signed), "\n", 3)
	n, _ := strconv.ParseUint(lines[1], 10, 64)
	return n
}

// BenchmarkAudit audits a ledger of TRUCE_AUDIT_N reports (default 20,000):
// canonical form, leaf hashes, signatures on every core, the recomputed
// tree against the stored tree and the checkpoint.
func BenchmarkAudit(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("TRUCE_AUDIT_N")); err == nil {
		n = v
	}
	st, f := ledgerOf(b, n)
	b.ResetTimer()
	for b.Loop() {
		rep, err := audit.Run(context.Background(), st, trust(b, f))
		if err != nil || rep.First() != nil {
			b.Fatal(err, rep.First())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "statements/s")
}
