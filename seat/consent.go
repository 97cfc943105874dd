package seat

import (
	"fmt"
	"slices"
	"time"

	"truce/ledger"
	"truce/party"
)

// Decisions a belligerent records.
const (
	Consent = "consent"
	Object  = "object"
)

// Decisions lists them.
var Decisions = []string{Consent, Object}

// Word is the payload of seat.consent: a belligerent's consent or
// objection to a monitoring country, or, where the term says so
// (case_consent), to one of its monitors taking a given case.
type Word struct {
	Country  string `json:"country"`
	Decision string `json:"decision"`
	Monitor  string `json:"monitor,omitempty"`
	Incident string `json:"incident,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Validate checks the payload's form.
func (w Word) Validate() error {
	if !ledger.IDPattern.MatchString(w.Country) {
		return ledger.Invalid("country", "must be a party ID")
	}
	if !slices.Contains(Decisions, w.Decision) {
		return ledger.Invalid("decision", "must be consent or object")
	}
	if (w.Monitor == "") != (w.Incident == "") {
		if w.Monitor == "" {
			return ledger.Invalid("monitor", "name the monitor whose taking of the case is consented to or objected to")
		}
		return ledger.Invalid("incident", "name the case the monitor would take")
	}
	if w.Monitor != "" && !ledger.IDPattern.MatchString(w.Monitor) {
		return ledger.Invalid("monitor", "must be a member ID")
	}
	if len(w.Note) > 2000 {
		return ledger.Invalid("note", "at most 2000 bytes")
	}
	return ledger.CheckText("note", w.Note)
}

// Recorded is the projection of one consent or objection.
type Recorded struct {
	Word
	Seq    uint64    `json:"seq"`
	Party  string    `json:"party"`
	Member string    `json:"member"`
	At     time.Time `json:"at"`
	Basis  string    `json:"basis"`
}

// NewWord checks a consent or objection by by at at. country is the named
// country's party, monitor the member named (nil when none), incidentKnown
// whether the case exists.
func NewWord(seq uint64, at time.Time, by Actor, w Word, reg *Regime, country *party.Party, monitor *party.Member, incidentKnown bool) (*Recorded, error) {
	if by.Kind != party.Belligerent {
		return nil, ledger.ForbiddenField("party", "%s is a %s party: only the belligerents consent to or object to monitoring countries", by.Party, by.Kind)
	}
	if !by.can(party.Representative) {
		return nil, ledger.Forbidden("%s may not speak for %s: it needs the representative role", by.ID, by.Party)
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	if country == nil || country.Kind != party.Monitor {
		return nil, ledger.Invalid("country", "%q is not a monitoring country", w.Country)
	}
	if w.Monitor != "" {
		if monitor == nil || monitor.Party != country.ID {
			return nil, ledger.Invalid("monitor", "%s has no member %q", country.ID, w.Monitor)
		}
		if !incidentKnown {
			return nil, ledger.Invalid("incident", "no incident %q", w.Incident)
		}
		if !reg.CaseConsent(country.ID) {
			terms := "no monitoring term is in force"
			if !reg.Founding() {
				terms = "the terms in force (" + reg.Basis() + ") do not"
			}
			return nil, ledger.Invalid("incident", "objections to a monitor's case need a monitoring term with case_consent naming %s; %s", country.ID, terms)
		}
	}
	return &Recorded{Word: w, Seq: seq, Party: by.Party, Member: by.ID, At: at.UTC(), Basis: reg.Basis()}, nil
}

// Standing is each belligerent's latest word on a country, and on its
// monitors' cases.
type Standing struct {
	Country string               `json:"country"`
	Parties map[string]*Recorded `json:"parties"` // belligerent → its latest word on the country
	Cases   []*Recorded          `json:"cases"`   // the latest word per party, monitor and case
}

// StandingOf folds a country's recorded words, oldest first.
func StandingOf(country string, words []*Recorded) Standing {
	s := Standing{Country: country, Parties: map[string]*Recorded{}, Cases: []*Recorded{}}
	for _, w := range words {
		if w.Country != country {
			continue
		}
		if w.Monitor == "" {
			s.Parties[w.Party] = w
			continue
		}
		i := slices.IndexFunc(s.Cases, func(c *Recorded) bool {
			return c.Party == w.Party && c.Monitor == w.Monitor && c.Incident == w.Incident
		})
		if i >= 0 {
			s.Cases[i] = w
		} else {
			s.Cases = append(s.Cases, w)
		}
	}
	return s
}

// MayTake refuses a monitor m of country taking the case inc at t: an
// objection by a belligerent to the country, or to m taking this case,
// always refuses; under a monitoring term in force, the country must be
// named, every belligerent party to the term must have consented to it,
// and m must hold an accreditation current at t. belligerents are the
// registered belligerent parties.
func MayTake(reg *Regime, m *party.Member, st Standing, accs []*Accreditation, inc string, t time.Time, belligerents []string) error {
	for _, p := range sortedKeys(st.Parties) {
		if w := st.Parties[p]; w.Decision == Object {
			return ledger.Invalid("", "%s objects to %s as a monitoring country (ledger index %d)", p, st.Country, w.Seq)
		}
	}
	for _, c := range st.Cases {
		if c.Monitor == m.ID && c.Incident == inc && c.Decision == Object {
			return ledger.Invalid("", "%s objects to %s taking %s (ledger index %d)", c.Party, m.ID, inc, c.Seq)
		}
	}
	if reg.Founding() {
		return nil
	}
	g := reg.Grant(st.Country)
	if g == nil {
		return reg.NotNamed("", st.Country)
	}
	for _, p := range g.Parties {
		if !slices.Contains(belligerents, p) {
			continue
		}
		if w := st.Parties[p]; w == nil || w.Decision != Consent {
			return &ledger.FieldError{Term: g.Ref(), Reason: fmt.Sprintf("%s has not consented to %s as a monitoring country under %s", p, st.Country, g.Ref())}
		}
	}
	if !slices.ContainsFunc(accs, func(a *Accreditation) bool { return a.Member == m.ID && a.Current(t) }) {
		return &ledger.FieldError{Term: g.Ref(), Reason: fmt.Sprintf("%s holds no accreditation current at %s", m.ID, t.UTC().Format(time.RFC3339))}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
