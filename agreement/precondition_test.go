package agreement

import (
	"slices"
	"testing"
	"time"
)

// Seven quiet days in the zone: only findings of violation break the
// count; allegations under verification put it at risk; findings of no
// incident, no violation or inconclusive change nothing. Expected values
// are worked out by hand from entry into force on 1 March.
func TestQuietDays(t *testing.T) {
	term := &Term{ID: "7", Type: Precondition, Condition: "quiet_days", Days: 7, Zone: "3", Before: "4"}
	since := at("2026-03-01T00:00:00Z")
	fl := func(id, until, outcome string) Flagged {
		u := at(until)
		return Flagged{Incident: id, From: u.Add(-time.Hour), Until: u, Outcome: outcome}
	}
	for _, c := range []struct {
		name    string
		now     string
		flagged []Flagged
		quiet   string
		last    string
		atRisk  []string
		met     bool
		state   string
	}{
		{"nothing flagged, 6 days", "2026-03-07T00:00:00Z", nil, "2026-03-01T00:00:00Z", "", nil, false, PreconditionCounting},
		{"nothing flagged, 7 days", "2026-03-08T00:00:00Z", nil, "2026-03-01T00:00:00Z", "", nil, true, PreconditionMet},
		{"an allegation alone", "2026-03-09T00:00:00Z", []Flagged{fl("inc-5", "2026-03-04T00:00:00Z", "")},
			"2026-03-01T00:00:00Z", "", []string{"inc-5"}, true, PreconditionAtRisk},
		{"not an incident", "2026-03-09T00:00:00Z", []Flagged{fl("inc-5", "2026-03-04T00:00:00Z", "not_incident")},
			"2026-03-01T00:00:00Z", "", nil, true, PreconditionMet},
		{"no violation and inconclusive", "2026-03-09T00:00:00Z", []Flagged{fl("inc-5", "2026-03-04T00:00:00Z", "no_violation"), fl("inc-6", "2026-03-05T00:00:00Z", "inconclusive")},
			"2026-03-01T00:00:00Z", "", nil, true, PreconditionMet},
		{"a serious violation resets", "2026-03-09T00:00:00Z", []Flagged{fl("inc-5", "2026-03-04T00:00:00Z", "serious_violation")},
			"2026-03-04T00:00:00Z", "inc-5", nil, false, PreconditionCounting},
		{"a minor violation resets too", "2026-03-12T00:00:00Z", []Flagged{fl("inc-5", "2026-03-04T00:00:00Z", "minor_violation")},
			"2026-03-04T00:00:00Z", "inc-5", nil, true, PreconditionMet},
		{"the latest violation counts, pending before it does not", "2026-03-12T00:00:00Z",
			[]Flagged{fl("inc-9", "2026-03-06T00:00:00Z", "serious_violation"), fl("inc-5", "2026-03-03T00:00:00Z", "minor_violation"), fl("inc-4", "2026-03-02T00:00:00Z", ""), fl("inc-11", "2026-03-08T00:00:00Z", "")},
			"2026-03-06T00:00:00Z", "inc-9", []string{"inc-11"}, false, PreconditionAtRisk},
		{"before entry into force", "2026-03-09T00:00:00Z", []Flagged{fl("inc-2", "2026-02-27T00:00:00Z", "serious_violation")},
			"2026-03-01T00:00:00Z", "", nil, true, PreconditionMet},
	} {
		st := QuietDays(term, since, at(c.now), c.flagged)
		if c.atRisk == nil {
			c.atRisk = []string{}
		}
		if !st.QuietSince.Equal(at(c.quiet)) || st.LastViolation != c.last || !slices.Equal(st.AtRisk, c.atRisk) || st.Met != c.met || st.State != c.state {
			t.Errorf("%s: %+v", c.name, st)
		}
		if st.Term != "7" || st.Zone != "3" || st.Days != 7 || st.Before != "4" {
			t.Errorf("%s: term fields %+v", c.name, st)
		}
	}
}
