package agreement

import (
	"cmp"
	"slices"
	"time"
)

// Flagged is an incident flagged against a precondition's zone, as far as
// the count of quiet days needs it.
type Flagged struct {
	Incident    string
	From, Until time.Time
	// Outcome is the monitors' finding, empty while it is under
	// verification.
	Outcome string
}

// Precondition states.
const (
	PreconditionMet      = "met"
	PreconditionCounting = "counting"
	PreconditionAtRisk   = "at_risk"
)

// PreconditionStatus is how a quiet-days precondition stands.
type PreconditionStatus struct {
	Term   string `json:"term"`
	Zone   string `json:"zone"`
	Days   int    `json:"days"`
	Before string `json:"before,omitempty"`
	// QuietSince is the end of the last verified violation in the zone, or
	// entry into force (or the last resumption) if none came after.
	QuietSince time.Time `json:"quiet_since"`
	// LastViolation is the incident whose finding last broke the count.
	LastViolation string `json:"last_violation,omitempty"`
	// AtRisk lists the flagged incidents since QuietSince still under
	// verification: a finding of violation on any of them breaks the count.
	AtRisk []string `json:"at_risk"`
	Met    bool     `json:"met"`
	State  string   `json:"state"` // met, counting, at_risk
}

// violation tells whether a finding confirms a violation; an allegation
// alone, or a finding of no incident, no violation or inconclusive, does not
// reset the count. Otherwise either side could stall disengagement by
// filing reports.
func violation(outcome string) bool {
	return outcome == "minor_violation" || outcome == "serious_violation"
}

// QuietDays counts a quiet_days precondition from since (entry into force)
// to now over the incidents flagged against its zone.
func QuietDays(t *Term, since, now time.Time, flagged []Flagged) PreconditionStatus {
	st := PreconditionStatus{Term: t.ID, Zone: t.Zone, Days: t.Days, Before: t.Before, QuietSince: since, AtRisk: []string{}}
	fl := slices.Clone(flagged)
	slices.SortStableFunc(fl, func(a, b Flagged) int { return cmp.Compare(a.Until.UnixNano(), b.Until.UnixNano()) })
	for _, f := range fl {
		if violation(f.Outcome) && f.Until.After(st.QuietSince) {
			st.QuietSince, st.LastViolation = f.Until, f.Incident
		}
	}
	for _, f := range fl {
		if f.Outcome == "" && f.Until.After(st.QuietSince) {
			st.AtRisk = append(st.AtRisk, f.Incident)
		}
	}
	st.Met = !now.Before(st.QuietSince.Add(time.Duration(t.Days) * 24 * time.Hour))
	switch {
	case len(st.AtRisk) > 0:
		st.State = PreconditionAtRisk
	case st.Met:
		st.State = PreconditionMet
	default:
		st.State = PreconditionCounting
	}
	return st
}

// LastResumed returns when the instrument was last resumed, if ever: the
// count of quiet days starts again then.
func (in *Instrument) LastResumed() (time.Time, bool) {
	if in == nil {
		return time.Time{}, false
	}
	for i := len(in.Events) - 1; i >= 0; i-- {
		if in.Events[i].Kind == Resumed {
			return in.Events[i].From, true
		}
	}
	return time.Time{}, false
}
