package sqlite_test

import (
	"context"
	"strings"
	"testing"

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
