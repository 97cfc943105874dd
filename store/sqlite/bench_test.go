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
	key := f.Key(b, storetest.UARep)
	raw, _ := json.Marshal(storetest.Report())
	const group = 256
	ctx := context.Background()
	b.ResetTimer()
	for done := 0; done < b.N; done += group {
		b.StopTimer()
		batch := make([]*ledger.Signed, 0, group)
		for i := 0; i < group; i++ {
			s, _ := ledger.Sign(ledger.Statement{Type: incident.TypeReport, Party: "ua", Author: storetest.UARep, Time: time.Now().UTC(), Payload: raw, Nonce: ledger.NewNonce()}, key)
			batch = append(batch, s)
		}
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
	key := f.Key(b, storetest.UARep)
	raw, _ := json.Marshal(storetest.Report())
	ctx := context.Background()
	for done := 0; done < 100000; done += 1000 {
		batch := make([]*ledger.Signed, 1000)
		for i := range batch {
			batch[i], _ = ledger.Sign(ledger.Statement{Type: incident.TypeReport, Party: "ua", Author: storetest.UARep, Time: time.Now().UTC(), Payload: raw, Nonce: ledger.NewNonce()}, key)
		}
		if _, err := st.AppendBatch(ctx, batch); err != nil {
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
