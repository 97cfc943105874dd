package demo_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"truce/blobs"
	"truce/centre"
	"truce/demo"
	"truce/report"
	"truce/store/sqlite"
)

// The daily report's counts over the demo's ledger agree, day by day,
// with an independent count: SQL over the ledger's own report statements,
// each day closing at 17:30 UTC (19:30 in Kyiv in winter, which the
// scenario's days all are).
func TestDailyReportCounts(t *testing.T) {
	ctx := context.Background()
	sc, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, _ := blobs.Open(filepath.Join(dir, "evidence"), 1<<20)
	docs, _ := blobs.Open(filepath.Join(dir, "documents"), 16<<20)
	c, _, err := centre.Open(ctx, st, centre.Options{Name: sc.Centre, Names: sc.CentreNames, OpenedAt: sc.Start(), Documents: docs, Evaluate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := sc.Run(ctx, c, b, nil); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "truce.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT date(datetime(json_extract(body, '$.payload.observed_at'), '+6 hours', '+30 minutes')) AS day,
		json_extract(body, '$.payload.type'), count(*) FROM ledger WHERE type = 'incident.report' GROUP BY 1, 2 ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int{}
	for rows.Next() {
		var day, typ string
		var n int
		if err := rows.Scan(&day, &typ, &n); err != nil {
			t.Fatal(err)
		}
		if want[day] == nil {
			want[day] = map[string]int{}
		}
		want[day][typ] = n
	}
	rows.Close()
	if len(want) < 5 {
		t.Fatalf("the demo has reports on %d days", len(want))
	}
	days := 0
	for d, types := range want {
		date, _ := report.ParseDate("date", d)
		r, err := c.DailyReport(ctx, date, report.Internal)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for typ, n := range types {
			total += n
			found := false
			for _, c := range r.ByType {
				if c.Key == typ {
					found = c.Count == n
				}
			}
			if !found {
				t.Errorf("%s, %s: the report counts %+v, the ledger %d", d, typ, r.ByType, n)
			}
		}
		if r.Total.Count != total {
			t.Errorf("%s: the report counts %d incidents, the ledger %d", d, r.Total.Count, total)
		}
		days++
	}
	t.Logf("%d days checked", days)
}
