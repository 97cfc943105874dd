package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"truce/incident"
	"truce/projection"
	"truce/store/sqlite"
	"truce/store/storetest"
)

// Each sealed table, one row edited on disk: the read that serves it and
// the full sweep both refuse it as tampered, and a re-fold from the ledger
// gives back exactly the projections the fold wrote.
func TestEditedRowsBreakTheirSeal(t *testing.T) {
	ctx := context.Background()
	edits := []struct {
		table, edit string
		read        func(st *sqlite.Store, id string) error
	}{
		{"parties", `UPDATE parties SET doc = CAST(json_set(CAST(doc AS TEXT), '$.kind', 'mediator') AS BLOB) WHERE id = 'ru'`,
			func(st *sqlite.Store, _ string) error { _, err := st.Party(ctx, "ru"); return err }},
		{"members", `UPDATE members SET party = 'centre' WHERE id = 'ua-rep'`,
			func(st *sqlite.Store, _ string) error { _, err := st.Members(ctx, "centre"); return err }},
		{"member_keys", `UPDATE member_keys SET member = 'ae-coord' WHERE member = 'ua-rep'`, nil},
		{"incidents status", `UPDATE incidents SET status = 'published' WHERE status <> 'published'`,
			func(st *sqlite.Store, _ string) error {
				_, err := st.Incidents(ctx, incident.Filter{PublishedOnly: true})
				return err
			}},
		{"incidents doc", `UPDATE incidents SET doc = CAST(json_set(CAST(doc AS TEXT), '$.priority', 'low') AS BLOB)`,
			func(st *sqlite.Store, id string) error { _, err := st.Incident(ctx, id); return err }},
		{"incidents dropped", `DELETE FROM incidents WHERE seq = (SELECT MIN(seq) FROM incidents)`, nil},
		// The daily report counts from the sealed columns alone.
		{"incidents actor", `UPDATE incidents SET actor = 'ua'`,
			func(st *sqlite.Store, _ string) error {
				_, err := st.ObservedRows(ctx, time.Unix(0, 0), time.Now().Add(time.Hour), false)
				return err
			}},
		{"incidents observed", `UPDATE incidents SET t_from = t_from - 60000`,
			func(st *sqlite.Store, _ string) error {
				return st.ObservedIncidents(ctx, time.Unix(0, 0), time.Now().Add(time.Hour), false, func(*incident.Incident) error { return nil })
			}},
		{"evidence", `UPDATE evidence SET incident = 'inc-1'`,
			func(st *sqlite.Store, id string) error {
				_, err := st.EvidenceIncidents(ctx, evidenceOf(t, st, id))
				return err
			}},
	}
	for _, e := range edits {
		t.Run(e.table, func(t *testing.T) {
			st := open(t).(*sqlite.Store)
			f := storetest.NewFixture(t, st)
			id := f.Walk(t)
			before, _ := st.Dump(ctx)
			if err := st.VerifySeals(ctx, nil); err != nil {
				t.Fatalf("seals of an untouched store: %v", err)
			}
			res, err := st.ExecForTest(ctx, e.edit)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatalf("%s changed no row", e.edit)
			}
			if e.read != nil {
				if err := e.read(st, id); !errors.Is(err, projection.ErrTampered) {
					t.Fatalf("read after %s: %v, want ErrTampered", e.edit, err)
				}
			}
			if err := st.VerifySeals(ctx, nil); !errors.Is(err, projection.ErrTampered) {
				t.Fatalf("sweep after %s: %v, want ErrTampered", e.edit, err)
			}
			if err := st.VerifyFold(ctx, t.TempDir(), nil); !errors.Is(err, projection.ErrTampered) {
				t.Fatalf("fold check after %s: %v, want ErrTampered", e.edit, err)
			}
			f.Centre.Close()
			if err := st.Refold(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if err := st.VerifySeals(ctx, nil); err != nil {
				t.Fatalf("seals after the re-fold: %v", err)
			}
			after, _ := st.Dump(ctx)
			if strings.Join(before, "\n") != strings.Join(after, "\n") {
				t.Fatalf("the re-fold did not give back the fold's projections:\n%s\n---\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
			}
		})
	}
}

// A seal from one row does not fit another: rows swapped between keys, or
// a seal copied from a published incident to an unpublished one, break.
func TestSealsDoNotMove(t *testing.T) {
	ctx := context.Background()
	st := open(t).(*sqlite.Store)
	f := storetest.NewFixture(t, st)
	f.Walk(t)
	if _, err := st.ExecForTest(ctx, `UPDATE members SET seal = (SELECT seal FROM members WHERE id = 'ae-coord') WHERE id = 'ua-rep'`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Member(ctx, "ua-rep"); !errors.Is(err, projection.ErrTampered) {
		t.Fatalf("a member row under another row's seal: %v", err)
	}
	if m, err := st.Member(ctx, storetest.Coord); err != nil || m == nil {
		t.Fatalf("the untouched row: %v %v", m, err)
	}
}

// evidenceOf is the digest of the evidence row the fixture's walk wrote.
func evidenceOf(t *testing.T, st *sqlite.Store, id string) string {
	t.Helper()
	for _, line := range dumpLines(t, st) {
		if sha, ok := strings.CutPrefix(line, "evidence "); ok {
			return strings.Fields(sha)[0]
		}
	}
	t.Fatalf("no evidence row for %s", id)
	return ""
}

func dumpLines(t *testing.T, st *sqlite.Store) []string {
	t.Helper()
	lines, err := st.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// A row put back to an earlier sealed state keeps a valid seal: the sweep
// of seals passes it, and the ledger folded again names it.
func TestEarlierStatePutBack(t *testing.T) {
	ctx := context.Background()
	st := open(t).(*sqlite.Store)
	f := storetest.NewFixture(t, st)
	seq := f.Say(t, storetest.UARep, incident.TypeReport, storetest.Report())
	id := incident.IDFor(seq)
	if err := st.VerifyFold(ctx, t.TempDir(), nil); err != nil {
		t.Fatalf("an untouched store: %v", err)
	}
	row := fmt.Sprint(seq)
	if _, err := st.ExecForTest(ctx, `CREATE TABLE saved AS SELECT * FROM incidents WHERE seq = `+row); err != nil {
		t.Fatal(err)
	}
	f.Say(t, storetest.Coord, incident.TypeTriage, incident.Triage{Incident: id, Priority: "urgent"})
	for _, q := range []string{`DELETE FROM incidents WHERE seq = ` + row, `INSERT INTO incidents SELECT * FROM saved`, `DROP TABLE saved`} {
		if _, err := st.ExecForTest(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if inc, err := st.Incident(ctx, id); err != nil || inc.Priority != "" {
		t.Fatalf("the earlier state is not what this test put back: %v %+v", err, inc)
	}
	if err := st.VerifySeals(ctx, nil); err != nil {
		t.Fatalf("the seals cannot tell an earlier state: %v", err)
	}
	err := st.VerifyFold(ctx, t.TempDir(), nil)
	if !errors.Is(err, projection.ErrTampered) || !strings.Contains(err.Error(), "incident "+row) {
		t.Fatalf("fold check: %v, want the incident named", err)
	}
}

// The sweep names every changed row, not only the first: rows edited in
// two tables and a dropped incident are each named, and each told to the
// alarm.
func TestSweepNamesEveryRow(t *testing.T) {
	ctx := context.Background()
	st := open(t).(*sqlite.Store)
	f := storetest.NewFixture(t, st)
	f.Walk(t)
	var told []string
	st.OnTamper(func(err error) { told = append(told, err.Error()) })
	for _, q := range []string{
		`UPDATE parties SET doc = CAST(json_set(CAST(doc AS TEXT), '$.kind', 'mediator') AS BLOB) WHERE id = 'ru'`,
		`UPDATE members SET party = 'centre' WHERE id = 'ua-rep'`,
		`DELETE FROM incidents WHERE seq = (SELECT MIN(seq) FROM incidents)`,
	} {
		if _, err := st.ExecForTest(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	err := st.VerifySeals(ctx, nil)
	if !errors.Is(err, projection.ErrTampered) {
		t.Fatalf("sweep: %v", err)
	}
	for _, want := range []string{"parties row ru", "members row ua-rep", "is missing"} {
		if !strings.Contains(err.Error(), want) || !strings.Contains(strings.Join(told, "\n"), want) {
			t.Errorf("the sweep does not name %q: %v; told: %q", want, err, told)
		}
	}
}

// The daily report finds a day's findings and responses by the ledger's
// type column. A row whose column no longer says what its signed statement
// is (the append-only trigger dropped first) is named by the fold check;
// the rows it does find are read as signed.
func TestLedgerTypeColumn(t *testing.T) {
	ctx := context.Background()
	st := open(t).(*sqlite.Store)
	f := storetest.NewFixture(t, st)
	f.Walk(t)
	size, err := st.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := st.IncidentSteps(ctx, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, s := range steps {
		types[s.Statement.Type]++
	}
	if types[incident.TypeFinding] != 1 || types[incident.TypePublish] != 1 || types[incident.TypeRespond] == 0 || len(types) != 3 {
		t.Fatalf("the steps found: %v", types)
	}
	if _, err := st.ExecForTest(ctx, `DROP TRIGGER ledger_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ExecForTest(ctx, `UPDATE ledger SET type = 'incident.triage' WHERE type = 'incident.finding'`); err != nil {
		t.Fatal(err)
	}
	if err := st.VerifyFold(ctx, t.TempDir(), nil); !errors.Is(err, projection.ErrTampered) || !strings.Contains(err.Error(), "incident.finding") {
		t.Fatalf("fold check after the type column was edited: %v", err)
	}
}
