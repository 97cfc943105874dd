package audit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"truce/audit"
	"truce/centre"
	"truce/incident"
	"truce/ledger"
	"truce/seat"
	"truce/store/sqlite"
	"truce/store/storetest"
)

// withExtra is a source whose ledger has extra statements after the store's.
type withExtra struct {
	*sqlite.Store
	extra []*ledger.Signed
}

func (w withExtra) Size(ctx context.Context) (uint64, error) {
	n, err := w.Store.Size(ctx)
	return n + uint64(len(w.extra)), err
}

func (w withExtra) RawStatements(ctx context.Context, from uint64, limit int) ([]*ledger.Signed, error) {
	return w.Statements(ctx, from, limit)
}

func (w withExtra) Statements(ctx context.Context, from uint64, limit int) ([]*ledger.Signed, error) {
	out, err := w.Store.Statements(ctx, from, limit)
	if err != nil {
		return nil, err
	}
	for _, s := range w.extra {
		if s.Seq >= from && len(out) < limit {
			out = append(out, s)
		}
	}
	return out, nil
}

// The audit checks the custody trail: every read the centre recorded is
// counted, and a read the rules did not allow, even signed by the centre,
// is named at its index.
func TestCustodyTrailAudited(t *testing.T) {
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := storetest.NewFixture(t, st)
	ctx := context.Background()
	rep, err := f.Centre.Say(ctx, f.S[storetest.UARep], incident.TypeReport, storetest.Report())
	if err != nil {
		t.Fatal(err)
	}
	inc := incident.IDFor(rep.Seq)
	sha := strings.Repeat("ab", 32)
	if _, err := f.Centre.Say(ctx, f.S[storetest.UARep], incident.TypeEvidence, incident.AddEvidence{Incident: inc, Restricted: true,
		Evidence: incident.Evidence{SHA256: sha, Name: "list.txt", MediaType: "text/plain", Size: 4}}); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Incident(ctx, inc)
	for _, who := range []string{storetest.RURep, storetest.UARep} {
		if _, err := f.Centre.RecordRead(ctx, f.S[who], sha, got); err != nil {
			t.Fatalf("read by %s: %v", who, err)
		}
	}
	if _, err := f.Centre.RecordRead(ctx, f.S[storetest.USMed], sha, got); err == nil {
		t.Fatal("the fold recorded a read by a mediator not named on the incident")
	}
	cosign(t, f)
	cfg := witnessed(t, f)
	r, err := audit.Run(ctx, st, audit.Options{LogKey: f.Centre.Log.Verifier, Witnesses: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if r.First() != nil || r.CustodyReads != 2 || r.RestrictedFiles != 1 {
		t.Fatalf("clean ledger: %d reads of %d files; %v", r.CustodyReads, r.RestrictedFiles, r.First())
	}
	// A read by the mediator, signed with the operator's key, that the
	// fold would have refused: the audit names it.
	size, _ := st.Size(ctx)
	raw, _ := json.Marshal(seat.Read{SHA256: sha, Incident: inc, Reader: storetest.USMed, Party: "us"})
	forged, err := ledger.Sign(ledger.Statement{Type: seat.TypeRead, Party: "centre", Author: centre.OperatorID, Time: time.Now().UTC(), Payload: raw, Nonce: ledger.NewNonce()}, f.Key(t, centre.OperatorID))
	if err != nil {
		t.Fatal(err)
	}
	forged.Seq = size
	r, err = audit.Run(ctx, withExtra{st, []*ledger.Signed{forged}}, audit.Options{LogKey: f.Centre.Log.Verifier, Witnesses: cfg})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range r.Findings {
		if x.Index == int64(size) && strings.Contains(x.What, "custody trail") && strings.Contains(x.What, storetest.USMed) {
			found = true
		}
	}
	if !found {
		t.Fatalf("the forged read is not named: %v", r.Findings)
	}
}
