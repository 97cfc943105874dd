package demo_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"truce/blobs"
	"truce/centre"
	"truce/demo"
	"truce/incident"
	"truce/store/sqlite"
)

// The scenario loads through the ledger, covers every verification state,
// carries the events the brief names, and replays to identical projections.
func TestScenario(t *testing.T) {
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
	c, opTok, err := centre.Open(ctx, st, centre.Options{Name: sc.Centre, OpenedAt: sc.Start()})
	if err != nil || opTok == "" {
		t.Fatal(err)
	}
	defer c.Close()
	calls := 0
	tokens, err := sc.Run(ctx, c, b, func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != len(sc.Members) || calls != len(sc.Parties)+len(sc.Members)+len(sc.Steps) {
		t.Fatalf("%d tokens, %d progress calls", len(tokens), calls)
	}
	page, err := st.Incidents(ctx, incident.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[incident.Status]int{}
	var kh22, energy bool
	for _, inc := range page.Items {
		statuses[inc.Status]++
		if inc.Report.Weapon == "Kh-22" && inc.Report.Counts.Launched == 12 && inc.Report.Counts.Intercepted == 9 && len(inc.Linked) > 0 {
			kh22 = true
		}
		if inc.Report.Target == "energy" && inc.Party == "ru" && inc.From.Format("2006-01-02") == "2026-01-24" {
			energy = true
		}
	}
	for _, s := range incident.Statuses {
		if statuses[s] == 0 {
			t.Errorf("no demo incident is %s", s)
		}
	}
	if !kh22 || !energy {
		t.Errorf("the Kh-22 strike (%v) or the Belgorod energy strike (%v) is missing", kh22, energy)
	}
	rounds, _ := st.Rounds(ctx)
	var dates []string
	for _, r := range rounds {
		dates = append(dates, r.Start)
	}
	for _, d := range []string{"2026-01-23", "2026-01-24", "2026-02-01"} {
		if !slices.Contains(dates, d) {
			t.Errorf("no round on %s (have %v)", d, dates)
		}
	}
	// Every demo statement verifies and folds again from scratch.
	dst, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := centre.Replay(ctx, st, dst, nil); err != nil {
		t.Fatal(err)
	}
	a, _ := st.Dump(ctx)
	bb, _ := dst.Dump(ctx)
	if !slices.Equal(a, bb) {
		t.Fatal("the replayed demo differs")
	}
}
