package demo_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"truce/blobs"
	"truce/centre"
	"truce/demo"
	"truce/hotline"
	"truce/incident"
	"truce/movement"
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
	docs, _ := blobs.Open(filepath.Join(dir, "documents"), 16<<20)
	c, opTok, err := centre.Open(ctx, st, centre.Options{Name: sc.Centre, Names: sc.CentreNames, OpenedAt: sc.Start(), Documents: docs, Evaluate: true})
	if err != nil || opTok == "" {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()
	calls := 0
	tokens, err := sc.Run(ctx, c, b, func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != len(sc.Members) || calls != len(sc.Parties)+len(sc.Members)+len(sc.Steps) {
		t.Fatalf("%d tokens, %d progress calls", len(tokens), calls)
	}
	// Every party, the centre too, has its name in the console's languages.
	for _, id := range []string{"centre", "ua", "ru", "press"} {
		p, err := st.Party(ctx, id)
		if err != nil || p == nil || p.Names["uk"] == "" || p.Names["ru"] == "" || p.Names["zh"] == "" {
			t.Fatalf("party %s: %+v %v, want names in uk, ru and zh", id, p, err)
		}
	}
	checkOwnKey(t, ctx, c, st, tokens)
	checkAgreement(t, ctx, c, st)
	checkArrangements(t, ctx, c, st)
	checkSeats(t, ctx, c, st)
	c.Close() // no more evaluations: the ledger is final
	closed = true
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

// checkSeats: the monitoring term decides the seats; every monitoring
// country's members are accredited and consented to by both parties;
// Türkiye's head of mission was rotated; Russia objects to one monitor
// taking one case; Ukraine's restricted file was read twice, on the record.
func checkSeats(t *testing.T, ctx context.Context, c *centre.Centre, st *sqlite.Store) {
	t.Helper()
	v, err := c.Seats(ctx, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if v.Basis != "abu-dhabi-ceasefire/8" || len(v.Countries) != 3 {
		t.Fatalf("seats on 1 March: %s, %d countries", v.Basis, len(v.Countries))
	}
	states := map[string]string{}
	objections := 0
	for _, co := range v.Countries {
		if co.Consent.Parties["ua"] == nil || co.Consent.Parties["ru"] == nil || co.Consent.Parties["ru"].Decision != "consent" {
			t.Errorf("%s: consents %+v", co.Party.ID, co.Consent.Parties)
		}
		for _, s := range co.Seated {
			for _, a := range s.Accreditations {
				states[a.Member+" "+a.State(v.At)] = a.ID
			}
		}
		for _, w := range co.Consent.Cases {
			if w.Decision == "object" && w.Party == "ru" && w.Monitor == "tr-monitor" {
				objections++
			}
		}
	}
	for _, want := range []string{"tr-head replaced", "tr-head-2 current", "ch-monitor current", "tr-monitor current", "in-monitor current"} {
		if states[want] == "" {
			t.Errorf("no %s accreditation (have %v)", want, states)
		}
	}
	if objections != 1 {
		t.Errorf("%d objections by ru to tr-monitor's cases, want 1", objections)
	}
	reads, err := st.Custody(ctx, "", "")
	if err != nil || len(reads) != 2 {
		t.Fatalf("the custody trail: %d reads, %v", len(reads), err)
	}
}

// checkAgreement: both plans are submitted and shared, the agreement is
// signed by both parties, and the incidents after its entry into force are
// flagged against the right terms.
func checkAgreement(t *testing.T, ctx context.Context, c *centre.Centre, st *sqlite.Store) {
	t.Helper()
	plans, err := st.Plans(ctx)
	if err != nil || len(plans) != 2 || !plans[0].Shared || !plans[1].Shared || len(plans[0].Stances) == 0 {
		t.Fatalf("plans: %v %+v", err, plans)
	}
	v, err := st.Agreement(ctx, "abu-dhabi-ceasefire", 0)
	if err != nil || v == nil || !v.Signed || len(v.Signatures) != 2 {
		t.Fatalf("agreement: %v %+v", err, v)
	}
	// The evaluator works behind the ledger; wait for it to reach the
	// incidents it must flag.
	want := map[string]func(incident.PossibleViolation) bool{
		"BM-21 Grad MLRS (4 launchers)": func(p incident.PossibleViolation) bool {
			return p.Term == "4.2" && p.Class == "mlrs" && p.MeasuredKM != nil && *p.MeasuredKM > 20 && *p.MeasuredKM < 70 && *p.LimitKM == 70
		},
		"self-propelled howitzers (2)": func(p incident.PossibleViolation) bool {
			return p.Term == "4.2" && p.Class == "artillery-100mm" && *p.MeasuredKM < 50
		},
	}
	var missing []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		page, err := st.Incidents(ctx, incident.Filter{From: time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		missing = missing[:0]
		site := false
		for _, inc := range page.Items {
			if inc.Evaluation == nil {
				missing = append(missing, inc.ID+" unevaluated")
				continue
			}
			flags := inc.Evaluation.Flags()
			if check, ok := want[inc.Report.Weapon]; ok && !slices.ContainsFunc(flags, func(f incident.Flag) bool { return check(f.PossibleViolation) }) {
				missing = append(missing, fmt.Sprintf("%s %+v", inc.Report.Weapon, flags))
			}
			if slices.ContainsFunc(flags, func(f incident.Flag) bool { return f.Site == "znpp" }) {
				site = true
			}
		}
		if !site {
			missing = append(missing, "no incident flagged near the Zaporizhzhia NPP")
		}
		if len(missing) == 0 {
			break
		}
	}
	if len(missing) > 0 {
		t.Fatalf("evaluations: %v", missing)
	}
	// Incidents before entry into force are not judged against it.
	early, _ := st.Incidents(ctx, incident.Filter{To: time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC), Limit: 1000})
	for _, inc := range early.Items {
		if inc.Evaluation != nil {
			t.Errorf("%s (observed %s) was evaluated against an agreement not yet in force", inc.ID, inc.From)
		}
	}
	// Queryable by term.
	byTerm, err := st.Incidents(ctx, incident.Filter{Agreement: "abu-dhabi-ceasefire", Term: "4.2", Limit: 100})
	if err != nil || len(byTerm.Items) < 2 {
		t.Fatalf("incidents by term 4.2: %v %d", err, len(byTerm.Items))
	}
}

// A member of the scenario holds its own key: the centre has none for it,
// and every statement it made is signed by the key handed back.
func checkOwnKey(t *testing.T, ctx context.Context, c *centre.Centre, st *sqlite.Store, tokens []demo.Token) {
	t.Helper()
	var own []demo.Token
	for _, tok := range tokens {
		if tok.Key != nil {
			own = append(own, tok)
		}
	}
	if len(own) != 1 || own[0].Member != "in-monitor" {
		t.Fatalf("members holding their own keys: %+v, want in-monitor", own)
	}
	if k, err := c.HeldKey(ctx, "in-monitor"); k != nil || err != nil {
		t.Fatalf("the centre holds in-monitor's key: %v", err)
	}
	pub := own[0].Key.Public().(ed25519.PublicKey)
	all, err := st.Statements(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range all {
		if s.Statement.Author == "in-monitor" {
			if err := s.Verify(pub); err != nil {
				t.Fatalf("ledger index %d: %v", s.Seq, err)
			}
			n++
		}
	}
	if n < 10 {
		t.Fatalf("%d statements by in-monitor", n)
	}
}

// checkArrangements: the repair window of the Zaporizhzhia NPP's 750 kV
// line was guaranteed by both sides, the shelling inside it is flagged
// with its guarantees, and it closed partly done; the corridor closed done.
func checkArrangements(t *testing.T, ctx context.Context, c *centre.Centre, st *sqlite.Store) {
	t.Helper()
	w, err := c.Arrangement(ctx, "znpp-750-repair", time.Date(2026, 2, 19, 9, 0, 0, 0, time.UTC))
	if err != nil || w.Status.State != "active" || len(w.Status.Guarantees) != 2 || w.Status.Guarantees[1].State != "guaranteed" {
		t.Fatalf("repair window at 09:00: %v %+v", err, w)
	}
	w, _ = c.Arrangement(ctx, "znpp-750-repair", time.Time{})
	if w.Status.State != "closed" || w.Record.Outcome == nil || w.Record.Outcome.Outcome != "partly_done" {
		t.Fatalf("repair window now: %+v", w.Status)
	}
	cor, err := c.Arrangement(ctx, "vasylivka-corridor", time.Time{})
	if err != nil || cor.Status.State != "closed" || cor.Record.Outcome.Outcome != "done" {
		t.Fatalf("corridor: %v %+v", err, cor)
	}
	var flag *incident.Flag
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && flag == nil; time.Sleep(50 * time.Millisecond) {
		page, err := st.Incidents(ctx, incident.Filter{From: time.Date(2026, 2, 19, 9, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 19, 10, 0, 0, 0, time.UTC), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, inc := range page.Items {
			for _, f := range inc.Evaluation.Flags() {
				if f.Agreement == "znpp-750-repair" && f.Arrangement != nil {
					flag = &f
				}
			}
		}
	}
	if flag == nil {
		t.Fatal("the shelling inside the repair window is not flagged against it")
	}
	ru := flag.Arrangement.Guarantees[1]
	if flag.Arrangement.Purpose != "repair" || ru.Party != "ru" || ru.At.Format("15:04") != "06:10" {
		t.Fatalf("flag: %+v", flag.Arrangement)
	}
}

// The demo holds an open hotline thread with a message awaiting ua's
// acknowledgement, a thread that resolved a restriction, and the register
// with one restriction resolved through it and one still open.
func TestDemoHotlineAndRegister(t *testing.T) {
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
	c, _, err := centre.Open(ctx, st, centre.Options{Name: sc.Centre, OpenedAt: sc.Start(), Documents: docs, NoCheckpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := sc.Run(ctx, c, b, nil); err != nil {
		t.Fatal(err)
	}
	threads, err := c.Store.Threads(ctx, "")
	if err != nil || len(threads) != 2 {
		t.Fatalf("threads: %d %v", len(threads), err)
	}
	var open, resolved *hotline.Thread
	for _, th := range threads {
		if th.Status == hotline.Open {
			open = th
		} else {
			resolved = th
		}
	}
	if open == nil || open.Party != "ua" || len(open.Messages) != 2 || open.Messages[0].Ack == nil || open.Messages[1].Ack != nil || len(open.Incidents) != 1 {
		t.Fatalf("open thread: %+v", open)
	}
	if resolved == nil || resolved.Party != "ru" || resolved.Kind != hotline.Movement {
		t.Fatalf("resolved thread: %+v", resolved)
	}
	rs, err := c.Store.Restrictions(ctx)
	if err != nil || len(rs) != 2 {
		t.Fatalf("restrictions: %d %v", len(rs), err)
	}
	counts := movement.Count(rs)
	if counts.Open != 1 || counts.ByParty["ru"][movement.DenialOfAccess] != 1 || counts.ByParty["unknown"][movement.UAVJamming] != 1 {
		t.Fatalf("register: %+v", counts)
	}
	for _, r := range rs {
		if r.Status == movement.Ended && (r.Thread != resolved.ID || r.ResolutionS == nil || *r.ResolutionS != 3*3600+10*60) {
			t.Fatalf("resolved restriction: %+v", r)
		}
	}
}
