package sqlite_test

import (
	"context"

	"encoding/json"
	"golang.org/x/mod/sumdb/tlog"
	"testing"
	"time"

	"truce/incident"
	"truce/ledger"
	"truce/store/sqlite"
	"truce/store/storetest"
)

// signedReports signs n reports by the fixture's Ukrainian representative.
func signedReports(b *testing.B, f *storetest.Fixture, n int) []*ledger.Signed {
	key := f.Key(b, storetest.UARep)
	raw, _ := json.Marshal(storetest.Report())
	out := make([]*ledger.Signed, n)
	for i := range out {
		out[i], _ = ledger.Sign(ledger.Statement{Type: incident.TypeReport, Party: "ua", Author: storetest.UARep,
			Time: time.Now().UTC(), Payload: raw, Nonce: ledger.NewNonce()}, key)
	}
	return out
}

// BenchmarkAppend measures durable appends of signed incident reports in
// groups of 256, as the group committer forms them under load: the cost per
// statement of the fold, the ledger insert and the share of one fsync.
func BenchmarkAppend(b *testing.B) {
	st, err := sqlite.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	f := storetest.NewFixture(b, st)
	const group = 256
	ctx := context.Background()
	b.ResetTimer()
	for done := 0; done < b.N; done += group {
		b.StopTimer()
		batch := signedReports(b, f, group)
		b.StartTimer()
		errs, err := st.AppendBatch(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range errs {
			if e != nil {
				b.Fatal(e)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "statements/s")
}

// BenchmarkInclusionProof: an RFC 6962 inclusion proof for a random entry
// of a 100,000-entry ledger, read from the stored tree hashes.
func BenchmarkInclusionProof(b *testing.B) {
	st, err := sqlite.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	f := storetest.NewFixture(b, st)
	ctx := context.Background()
	for done := 0; done < 100000; done += 1000 {
		if _, err := st.AppendBatch(ctx, signedReports(b, f, 1000)); err != nil {
			b.Fatal(err)
		}
	}
	size, _ := st.Size(ctx)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := tlog.ProveRecord(int64(size), int64(i*7919)%int64(size), st); err != nil {
			b.Fatal(err)
		}
	}
}
