// Package storetest is the conformance suite every store runs, and the
// fixture (a centre with parties and members of every kind) that other
// packages' tests build on.
package storetest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"truce/blobs"
	"truce/centre"
	"truce/geo"
	"truce/incident"
	"truce/party"
)

// Store is a store under test: what the centre needs plus a dump of its
// projections for comparisons.
type Store interface {
	centre.Store
	Dump(ctx context.Context) ([]string, error)
}

// Opener opens a new, empty store that lives until the test ends.
type Opener func(t testing.TB) Store

// Fixture is a centre with the cast of a ceasefire: two belligerents, a
// mediator, a monitor country and an observer, and members in every role.
type Fixture struct {
	Centre *centre.Centre
	Store  Store
	Tokens map[string]string          // member ID → bearer token
	S      map[string]*centre.Session // member ID → session
}

// Members of the fixture, by ID.
const (
	UARep     = "ua-rep"     // representative of Ukraine
	RURep     = "ru-rep"     // representative of Russia
	UAMonitor = "ua-monitor" // a monitor-role member of a belligerent: never eligible
	Coord     = "ae-coord"   // the centre's hotline coordinator, UAE (mediator)
	USMed     = "us-med"     // mediator representative and coordinator
	Mon1      = "ch-mon-1"   // monitor, Switzerland
	Mon2      = "ch-mon-2"   // monitor, Switzerland
	Viewer    = "un-viewer"  // viewer, observer party
)

// NewFixture opens a centre over st and registers the cast.
func NewFixture(t testing.TB, st Store) *Fixture {
	t.Helper()
	return NewFixtureAt(t, st, nil)
}

// NewFixtureAt is NewFixture with the centre's clock set to now (the
// system clock when nil).
func NewFixtureAt(t testing.TB, st Store, now func() time.Time) *Fixture {
	t.Helper()
	ctx := context.Background()
	docs, err := blobs.Open(filepath.Join(t.TempDir(), "documents"), 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	reports, err := blobs.Open(filepath.Join(t.TempDir(), "reports"), 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	c, opTok, err := centre.Open(ctx, st, centre.Options{Name: "Test centre", NoCheckpoints: true, Documents: docs, ReportFiles: reports, Evaluate: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	f := &Fixture{Centre: c, Store: st, Tokens: map[string]string{centre.OperatorID: opTok}, S: map[string]*centre.Session{}}
	for _, p := range []party.Register{
		{ID: "ua", Name: "Ukraine", Kind: party.Belligerent},
		{ID: "ru", Name: "Russian Federation", Kind: party.Belligerent},
		{ID: "us", Name: "United States", Kind: party.Mediator},
		{ID: "ae", Name: "United Arab Emirates", Kind: party.Mediator},
		{ID: "ch", Name: "Switzerland", Kind: party.Monitor},
		{ID: "un", Name: "United Nations", Kind: party.Observer},
	} {
		if _, err := c.RegisterParty(ctx, p, time.Time{}); err != nil {
			t.Fatalf("register %s: %v", p.ID, err)
		}
	}
	for _, m := range []centre.NewMember{
		{ID: UARep, Party: "ua", Name: "UA representative", Roles: []party.Role{party.Representative}},
		{ID: RURep, Party: "ru", Name: "RU representative", Roles: []party.Role{party.Representative}},
		{ID: UAMonitor, Party: "ua", Name: "UA liaison", Roles: []party.Role{party.MonitorRole}},
		{ID: Coord, Party: "ae", Name: "Hotline coordinator", Roles: []party.Role{party.Coordinator}},
		{ID: USMed, Party: "us", Name: "US mediator", Roles: []party.Role{party.Representative, party.Coordinator}},
		{ID: Mon1, Party: "ch", Name: "Monitor one", Roles: []party.Role{party.MonitorRole}},
		{ID: Mon2, Party: "ch", Name: "Monitor two", Roles: []party.Role{party.MonitorRole}},
		{ID: Viewer, Party: "un", Name: "Observer", Roles: []party.Role{party.Viewer}},
	} {
		tok, _, err := c.AddMember(ctx, m)
		if err != nil {
			t.Fatalf("add %s: %v", m.ID, err)
		}
		f.Tokens[m.ID] = tok
	}
	for id := range f.Tokens {
		s, err := c.SessionOf(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		f.S[id] = s
	}
	return f
}

// Report is a valid report of shelling near Huliaipole, alleged against ru.
func Report() incident.Report {
	return incident.Report{
		Type:          incident.Shelling,
		ObservedAt:    "2026-01-24T03:10:00Z",
		TimePrecision: "minute",
		Location: incident.Location{Geometry: geo.Geometry{Type: "Point", Coordinates: json.RawMessage(`[36.26,47.66]`)},
			PrecisionM: 300, Place: "Huliaipole"},
		Counts:       incident.Counts{Explosions: 14},
		AllegedActor: "ru",
		Description:  incident.Text{Lang: "uk", Text: "Обстріл житлового кварталу, 14 вибухів."},
	}
}

// Say makes member say typ/payload and fails the test on refusal.
func (f *Fixture) Say(t testing.TB, member, typ string, payload any) uint64 {
	t.Helper()
	s, err := f.Centre.Say(context.Background(), f.S[member], typ, payload)
	if err != nil {
		t.Fatalf("%s by %s: %v", typ, member, err)
	}
	return s.Seq
}

// Walk takes a fresh report through every step to publication and returns
// its ID; it exercises every statement type of the workflow.
func (f *Fixture) Walk(t testing.TB) string {
	t.Helper()
	id := incident.IDFor(f.Say(t, UARep, incident.TypeReport, Report()))
	other := incident.IDFor(f.Say(t, Mon1, incident.TypeReport, Report()))
	f.Say(t, Coord, incident.TypeLink, incident.Link{Incident: id, With: other})
	f.Say(t, Coord, incident.TypeTriage, incident.Triage{Incident: id, Priority: "high"})
	f.Say(t, Coord, incident.TypeAssign, incident.Assign{Incident: id, Monitors: []string{Mon1, Mon2}})
	f.Say(t, Mon1, incident.TypeInvestigate, incident.Investigate{Incident: id, Note: "on site at 10:00"})
	ev := incident.Evidence{SHA256: fmt.Sprintf("%064x", len(id)), Name: "crater.jpg", MediaType: "image/jpeg", Size: 1234}
	f.Say(t, Mon1, incident.TypeEvidence, incident.AddEvidence{Incident: id, Evidence: ev})
	f.Say(t, RURep, incident.TypeRespond, incident.Respond{Incident: id, Text: incident.Text{Lang: "ru", Text: "Обстрел не подтверждаем."}})
	f.Say(t, Mon2, incident.TypeFinding, incident.Finding{Incident: id, Outcome: "serious_violation", Attribution: "ru",
		Summary: incident.Text{Lang: "en", Text: "Crater analysis indicates 122 mm rounds from the south-east."}, Evidence: []string{ev.SHA256}})
	f.Say(t, Coord, incident.TypePublish, incident.Publish{Incident: id})
	return id
}

// key returns the private key the centre holds for member.
func (f *Fixture) key(t testing.TB, member string) ed25519.PrivateKey {
	t.Helper()
	k, err := f.Centre.HeldKey(context.Background(), member)
	if err != nil || len(k) != ed25519.PrivateKeySize {
		t.Fatalf("no key for %s: %v", member, err)
	}
	return k
}

// Key is key for other packages' tests.
func (f *Fixture) Key(t testing.TB, member string) ed25519.PrivateKey { return f.key(t, member) }
