package sqlite_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"truce/centre"
	"truce/incident"
	"truce/ledger"
	"truce/party"
	"truce/store/sqlite"
	"truce/store/storetest"
)

func open(t testing.TB) storetest.Store {
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

// The ledger table refuses UPDATE and DELETE: no code path, not even a
// mistaken one, can rewrite it through SQL.
func TestLedgerIsAppendOnly(t *testing.T) {
	st := open(t).(*sqlite.Store)
	storetest.NewFixture(t, st)
	for _, q := range []string{`UPDATE ledger SET body = x'00' WHERE seq = 1`, `DELETE FROM ledger WHERE seq = 1`} {
		_, err := st.ExecForTest(context.Background(), q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", q, err)
		}
	}
}

// Acknowledged statements survive closing and reopening the database.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.NewFixture(t, st)
	id := f.Walk(t)
	f.Centre.Close()
	before, _ := st.Dump(context.Background())
	st.Close()
	st2, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	after, _ := st2.Dump(context.Background())
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Fatal("projections changed across reopen")
	}
	if inc, _ := st2.Incident(context.Background(), id); inc == nil {
		t.Fatalf("%s lost", id)
	}
}

// A statement refused after its fold wrote a member (here its nonce
// replays an earlier statement's) leaves no trace for the statements after
// it in the same batch: a report by the member it would have added is
// refused, as a fold of the ledger alone would refuse it.
func TestRefusedStatementLeavesNoMember(t *testing.T) {
	ctx := context.Background()
	st := open(t).(*sqlite.Store)
	f := storetest.NewFixture(t, st)
	op := f.Key(t, centre.OperatorID)
	at := time.Now().UTC().Truncate(time.Second)
	nonce := ledger.NewNonce()
	add := func(id string, key ed25519.PublicKey) *ledger.Signed {
		raw, _ := json.Marshal(party.Add{ID: id, Party: "ua", Name: id, Roles: []party.Role{party.Representative},
			PublicKey: base64.StdEncoding.EncodeToString(key)})
		s, err := ledger.Sign(ledger.Statement{Type: party.TypeAdd, Party: party.CentreID, Author: centre.OperatorID, Time: at,
			Payload: raw, Nonce: nonce}, op)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first, _, _ := ed25519.GenerateKey(rand.Reader)
	if errs, err := st.AppendBatch(ctx, []*ledger.Signed{add("ua-first", first)}); err != nil || errs[0] != nil {
		t.Fatalf("first member: %v %v", err, errs)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	raw, _ := json.Marshal(storetest.Report())
	report, err := ledger.Sign(ledger.Statement{Type: incident.TypeReport, Party: "ua", Author: "ua-ghost", Time: at,
		Payload: raw, Nonce: ledger.NewNonce()}, priv)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := st.AppendBatch(ctx, []*ledger.Signed{add("ua-ghost", pub), report})
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] == nil {
		t.Fatal("a replayed nonce was accepted")
	}
	if errs[1] == nil {
		t.Fatal("a report by a member that was never added was accepted")
	}
	if m, err := st.Member(ctx, "ua-ghost"); err != nil || m != nil {
		t.Fatalf("the refused member: %+v %v", m, err)
	}
}
