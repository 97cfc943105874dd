package sqlite_test

import (
	"context"
	"os"
	"testing"
	"time"

	"truce/agreement"
	"truce/centre"
	"truce/incident"
	"truce/party"
	"truce/seat"
	"truce/store/sqlite"
	"truce/store/storetest"
)

// underDemoTerm is a fixture with the demo's agreement (its monitoring term
// among 10 terms and 65 sites) in force, ch consented to by both parties
// and its monitor accredited.
func underDemoTerm(b *testing.B) *storetest.Fixture {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	f := storetest.NewFixture(b, st)
	raw, err := os.ReadFile("../../demo/agreement.json")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := agreement.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	sources := map[string]string{}
	for _, t := range doc.Terms {
		sources[t.ID] = "mediator"
	}
	f.Say(b, storetest.USMed, agreement.TypeDraft, agreement.DraftAgreement{Agreement: *doc, Sources: sources})
	for _, p := range []string{storetest.UARep, storetest.RURep} {
		if _, err := f.Centre.SignAgreement(ctx, f.S[p], doc.ID, 1, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
	if _, _, err := f.Centre.AddMember(ctx, centre.NewMember{ID: "ch-head", Party: "ch", Name: "Head", Roles: []party.Role{party.Representative}}); err != nil {
		b.Fatal(err)
	}
	s, _ := f.Centre.SessionOf(ctx, "ch-head")
	f.S["ch-head"] = s
	f.Say(b, "ch-head", seat.TypeAccredit, seat.Accredit{Member: storetest.Mon1, Until: time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339)})
	for _, p := range []string{storetest.UARep, storetest.RURep} {
		f.Say(b, p, seat.TypeConsent, seat.Word{Country: "ch", Decision: seat.Consent})
	}
	if f.S[storetest.Mon1], err = f.Centre.SessionOf(ctx, storetest.Mon1); err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkAccessUnderTerm is what every read by a monitoring country's
// member costs to decide its access: the terms in force, by the centre's
// clock, against its accreditations.
func BenchmarkAccessUnderTerm(b *testing.B) {
	f := underDemoTerm(b)
	ctx := context.Background()
	if acc, err := f.Centre.Access(ctx, f.S[storetest.Mon1]); err != nil || !acc.Incidents || acc.Hotline {
		b.Fatalf("access: %+v %v", acc, err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Centre.Access(ctx, f.S[storetest.Mon1])
	}
}

// BenchmarkAssignUnderTerm is an assignment folded under the demo's term:
// the fold reads the instruments in force, the consents and the
// accreditations before it appends.
func BenchmarkAssignUnderTerm(b *testing.B) {
	f := underDemoTerm(b)
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = incident.IDFor(f.Say(b, storetest.UARep, incident.TypeReport, storetest.Report()))
		f.Say(b, storetest.Coord, incident.TypeTriage, incident.Triage{Incident: ids[i], Priority: "high"})
	}
	b.ResetTimer()
	for _, id := range ids {
		f.Say(b, storetest.Coord, incident.TypeAssign, incident.Assign{Incident: id, Monitors: []string{storetest.Mon1}})
	}
}

// BenchmarkAssignFounding is the same assignment with no term in force, for
// comparison.
func BenchmarkAssignFounding(b *testing.B) {
	st, err := sqlite.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	f := storetest.NewFixture(b, st)
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = incident.IDFor(f.Say(b, storetest.UARep, incident.TypeReport, storetest.Report()))
		f.Say(b, storetest.Coord, incident.TypeTriage, incident.Triage{Incident: ids[i], Priority: "high"})
	}
	b.ResetTimer()
	for _, id := range ids {
		f.Say(b, storetest.Coord, incident.TypeAssign, incident.Assign{Incident: id, Monitors: []string{storetest.Mon1}})
	}
}
