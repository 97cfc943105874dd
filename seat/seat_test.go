package seat_test

import (
	"os"
	"slices"
	"testing"
	"time"

	"truce/agreement"
	"truce/party"
	"truce/seat"
)

// demoRegime is the regime under the demo's agreement, in force.
func demoRegime(t *testing.T) *seat.Regime {
	t.Helper()
	raw, err := os.ReadFile("../demo/agreement.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := agreement.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return seat.RegimeOf([]*agreement.Version{{ID: d.ID, Version: d.Version, Document: *d, Signed: true}}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
}

// The seats and access of the demo's monitoring term (abu-dhabi-ceasefire,
// term 8), written out by hand from the document.
func TestDemoTermSeats(t *testing.T) {
	reg := demoRegime(t)
	if reg.Founding() || !slices.Equal(reg.Terms, []string{"abu-dhabi-ceasefire/8"}) {
		t.Fatalf("terms in force: %v", reg.Terms)
	}
	for _, c := range []struct {
		country string
		seats   int
		access  []string
		cases   bool
	}{
		{"ch", 20, []string{"incidents", "evidence", "sites", "zone"}, true},
		{"tr", 20, []string{"incidents", "evidence", "zone"}, true},
		{"in", 15, []string{"incidents", "evidence", "hotline"}, true},
		{"us", 0, nil, false},
		{"ua", 0, nil, false},
	} {
		g := reg.Grant(c.country)
		seats := 0
		if g != nil {
			seats = g.Representatives
			if g.Ref() != "abu-dhabi-ceasefire/8" || !slices.Equal(g.Parties, []string{"ua", "ru"}) {
				t.Errorf("%s: grant %+v", c.country, g)
			}
		}
		if seats != c.seats || !slices.Equal(reg.AccessOf(c.country), c.access) || reg.CaseConsent(c.country) != c.cases {
			t.Errorf("%s: %d seats, access %v, case consent %v; want %d, %v, %v", c.country, seats, reg.AccessOf(c.country), reg.CaseConsent(c.country), c.seats, c.access, c.cases)
		}
	}
}

// Access by role and country under the demo's term: the expected table.
func TestDemoTermAccess(t *testing.T) {
	reg := demoRegime(t)
	now := reg.At
	founding := seat.RegimeOf(nil, now)
	member := func(id, p string, roles ...party.Role) *party.Member {
		return &party.Member{ID: id, Party: p, Roles: roles}
	}
	acc := func(m string, from, until time.Time) *seat.Accreditation {
		return &seat.Accreditation{ID: "acc-" + m, Member: m, From: from, Until: until}
	}
	year := now.AddDate(1, 0, 0)
	current := []*seat.Accreditation{acc("ch-monitor", now.AddDate(0, -1, 0), year), acc("tr-monitor", now.AddDate(0, -1, 0), year),
		acc("in-monitor", now.AddDate(0, -1, 0), year), acc("ch-old", now.AddDate(0, -3, 0), now.AddDate(0, 0, -1))}
	// incidents, evidence, sites, zone, hotline
	const I, E, S, Z, H = 1, 2, 4, 8, 16
	mask := func(a seat.Access) int {
		n := 0
		for bit, ok := range map[int]bool{I: a.Incidents, E: a.Evidence, S: a.Sites, Z: a.Zone, H: a.Hotline} {
			if ok {
				n |= bit
			}
		}
		return n
	}
	for _, c := range []struct {
		name  string
		m     *party.Member
		kind  party.Kind
		reg   *seat.Regime
		want  int
		basis string
	}{
		{"anonymous", nil, "", reg, 0, "public"},
		{"press viewer", member("press-viewer", "press", party.Viewer), party.Observer, reg, S | Z, "viewer"},
		{"belligerent representative", member("ua-rep", "ua", party.Representative), party.Belligerent, reg, I | E | S | Z | H, "member"},
		{"mediator", member("us-mediator", "us", party.Representative, party.Coordinator), party.Mediator, reg, I | E | S | Z | H, "member"},
		{"ch monitor", member("ch-monitor", "ch", party.MonitorRole), party.Monitor, reg, I | E | S | Z, "abu-dhabi-ceasefire/8"},
		{"tr monitor", member("tr-monitor", "tr", party.MonitorRole), party.Monitor, reg, I | E | Z, "abu-dhabi-ceasefire/8"},
		{"in monitor", member("in-monitor", "in", party.MonitorRole), party.Monitor, reg, I | E | H, "abu-dhabi-ceasefire/8"},
		{"ch monitor, accreditation ended", member("ch-old", "ch", party.MonitorRole), party.Monitor, reg, 0, "expired"},
		{"ch monitor, never accredited", member("ch-new", "ch", party.MonitorRole), party.Monitor, reg, 0, "not_accredited"},
		{"country the term does not name", member("no-monitor", "no", party.MonitorRole), party.Monitor, reg, 0, "not_named"},
		{"founding parties: never accredited", member("ch-new", "ch", party.MonitorRole), party.Monitor, founding, I | E | S | Z | H, "founding"},
		{"founding parties: accreditation ended", member("ch-old", "ch", party.MonitorRole), party.Monitor, founding, 0, "expired"},
	} {
		got := seat.AccessOf(c.m, c.kind, c.reg, current, now)
		if mask(got) != c.want || got.Basis != c.basis {
			t.Errorf("%s: access %05b (%s), want %05b (%s)", c.name, mask(got), got.Basis, c.want, c.basis)
		}
	}
}

// An accreditation that ends loses its access at that instant.
func TestExpiryAtTheInstant(t *testing.T) {
	reg := demoRegime(t)
	end := reg.At.Add(90 * 24 * time.Hour)
	a := []*seat.Accreditation{{ID: "acc-1", Member: "tr-monitor", From: reg.At, Until: end}}
	m := &party.Member{ID: "tr-monitor", Party: "tr", Roles: []party.Role{party.MonitorRole}}
	if got := seat.AccessOf(m, party.Monitor, reg, a, end.Add(-time.Millisecond)); !got.Incidents || got.Until == nil || !got.Until.Equal(end) {
		t.Fatalf("a millisecond before the end: %+v", got)
	}
	if got := seat.AccessOf(m, party.Monitor, reg, a, end); got.Incidents || got.Evidence || got.Basis != "expired" {
		t.Fatalf("at the end: %+v", got)
	}
}
