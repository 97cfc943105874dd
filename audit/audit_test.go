package audit_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"truce/audit"
	"truce/incident"
	"truce/ledger"
	"truce/store/sqlite"
	"truce/store/storetest"
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
	if _, err := f.Centre.Log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	return st, f
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
	if _, err := f.Centre.Log.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Run(context.Background(), st, audit.Options{LogKey: f.Centre.Log.Verifier})
	if err != nil {
		t.Fatal(err)
	}
	if rep.First() != nil || rep.Checkpoints != 2 || rep.Entries < 300 {
		t.Fatalf("report %+v", rep)
	}
	// A checkpoint that does not verify against the given key is a finding.
	_, other, _ := note.GenerateKey(nil, f.Centre.Log.Origin)
	ov, _ := note.NewVerifier(other)
	rep, _ = audit.Run(context.Background(), st, audit.Options{LogKey: ov})
	if rep.First() == nil {
		t.Fatal("checkpoints signed by another key passed")
	}
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
		rep, err := audit.Run(context.Background(), st, audit.Options{LogKey: f.Centre.Log.Verifier})
		if err != nil || rep.First() != nil {
			b.Fatal(err, rep.First())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "statements/s")
}
