// Package seat decides who sits in the centre and what each may see. The
// monitoring term of an instrument in force names the countries that send
// representatives, how many each, and what they may access (incidents,
// evidence, sites, the zone, the hotline). While no monitoring term is in
// force, the centre's founding parties decide: its coordinators add members,
// and the record says that no term governed.
//
// A representative of a monitoring country sits once the sending party
// accredits it, for a period, by a signed statement; a later accreditation
// renews it or rotates the seat to another member. Each belligerent records
// its consent or objection to a country and, where the term says so, to a
// monitor taking a given case. Whether an accreditation is current is
// decided when a record is read, by the centre's clock: one that ends loses
// its access at that instant, with no statement.
//
// Evidence may be restricted, until publication, to the parties named on
// the incident and its assigned monitors; the centre records every read of
// a restricted file as a statement of its own (evidence.read), the custody
// trail that each party can check and that an audit verifies.
package seat

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"truce/agreement"
	"truce/ledger"
	"truce/party"
)

// Statement types of this package.
const (
	TypeAccredit = "seat.accredit"
	TypeConsent  = "seat.consent"
	// TypeRead is the centre's record that a member read a restricted
	// evidence file: the custody trail.
	TypeRead = "evidence.read"
)

// Founding is the basis of a seat taken while no monitoring term is in
// force: the centre's founding parties decided.
const Founding = "founding"

// Access kinds, as a monitoring term lists them.
const (
	Incidents = "incidents"
	Evidence  = "evidence"
	Sites     = "sites"
	Zone      = "zone"
	Hotline   = "hotline"
)

// skew is how far before its statement an accreditation may begin.
const skew = 5 * time.Minute

// MaxPeriod bounds one accreditation (five years): a rotation or a
// renewal follows.
const MaxPeriod = 5 * 366 * 24 * time.Hour

// Grant is what one monitoring term in force gives one country.
type Grant struct {
	Agreement       string   `json:"agreement"`
	Version         int      `json:"version"`
	Term            string   `json:"term"`
	Representatives int      `json:"representatives"`
	Access          []string `json:"access"`
	CaseConsent     bool     `json:"case_consent,omitempty"`
	// Belligerents are the parties to the instrument whose consent the
	// country needs (the belligerents among its parties).
	Parties []string `json:"parties"`
}

// Ref is the grant's term as problems and the record name it.
func (g Grant) Ref() string { return g.Agreement + "/" + g.Term }

// Regime is who may sit at a time: the monitoring terms in force then.
type Regime struct {
	At time.Time `json:"at"`
	// Terms are the monitoring terms in force ("agreement/term"); none
	// means the founding parties decide.
	Terms  []string           `json:"terms"`
	Grants map[string][]Grant `json:"grants"` // by country
}

// RegimeOf reads the monitoring terms of the versions in force at t.
func RegimeOf(inForce []*agreement.Version, t time.Time) *Regime {
	r := &Regime{At: t.UTC(), Terms: []string{}, Grants: map[string][]Grant{}}
	for _, v := range inForce {
		for _, term := range v.Document.Terms {
			if term.Type != agreement.Monitoring {
				continue
			}
			r.Terms = append(r.Terms, v.ID+"/"+term.ID)
			for _, m := range term.Monitors {
				r.Grants[m.Party] = append(r.Grants[m.Party], Grant{Agreement: v.ID, Version: v.Version, Term: term.ID,
					Representatives: m.Representatives, Access: slices.Clone(m.Access), CaseConsent: term.CaseConsent,
					Parties: slices.Clone(v.Document.Parties)})
			}
		}
	}
	return r
}

// Founding reports whether no monitoring term is in force.
func (r *Regime) Founding() bool { return len(r.Terms) == 0 }

// Basis names what decides a seat now: the terms, or the founding parties.
func (r *Regime) Basis() string {
	if r.Founding() {
		return Founding
	}
	return strings.Join(r.Terms, ", ")
}

// Grant returns the largest grant to country (the most representatives;
// instruments stack, and none narrows another), or nil when no term in
// force names it.
func (r *Regime) Grant(country string) *Grant {
	var best *Grant
	for i, g := range r.Grants[country] {
		if best == nil || g.Representatives > best.Representatives {
			best = &r.Grants[country][i]
		}
	}
	return best
}

// AccessOf is the union of what the terms in force let country's
// representatives access.
func (r *Regime) AccessOf(country string) []string {
	var out []string
	for _, g := range r.Grants[country] {
		for _, a := range g.Access {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(agreement.Access, a) - slices.Index(agreement.Access, b) })
	return out
}

// CaseConsent reports whether a term in force lets the belligerents object
// to country's monitors taking given cases.
func (r *Regime) CaseConsent(country string) bool {
	return slices.ContainsFunc(r.Grants[country], func(g Grant) bool { return g.CaseConsent })
}

// Countries lists the countries the terms in force name, sorted.
func (r *Regime) Countries() []string {
	var out []string
	for c := range r.Grants {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// NotNamed is the refusal of a country that no term in force names.
func (r *Regime) NotNamed(field, country string) error {
	return &ledger.FieldError{Field: field, Term: r.Terms[0],
		Reason: fmt.Sprintf("%s is not a monitoring country under %s, which names %s", country, strings.Join(r.Terms, ", "), strings.Join(r.Countries(), ", "))}
}

// Accredit is the payload of seat.accredit: the sending party accredits
// one of its members, for a period. Replaces names an accreditation it
// renews (the same member) or rotates (another member of the party): that
// one ends when this one begins.
type Accredit struct {
	Member   string `json:"member"`
	From     string `json:"from,omitempty"` // RFC 3339; default: the statement's time
	Until    string `json:"until"`          // RFC 3339
	Replaces string `json:"replaces,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Period parses the accreditation's window; at is the statement's time.
func (p Accredit) Period(at time.Time) (from, until time.Time, err error) {
	if !ledger.IDPattern.MatchString(p.Member) {
		return from, until, ledger.Invalid("member", "must be a member ID")
	}
	from = at.UTC()
	if p.From != "" {
		if from, err = time.Parse(time.RFC3339, p.From); err != nil {
			return from, until, ledger.Invalid("from", "must be an RFC 3339 time such as 2026-03-01T00:00:00Z")
		}
		from = from.UTC()
	}
	if until, err = time.Parse(time.RFC3339, p.Until); err != nil {
		return from, until, ledger.Invalid("until", "must be an RFC 3339 time such as 2026-06-01T00:00:00Z")
	}
	until = until.UTC()
	switch {
	case from.Before(at.Add(-skew)):
		return from, until, ledger.Invalid("from", "is before the statement (%s): an accreditation is not backdated", at.UTC().Format(time.RFC3339))
	case !until.After(from):
		return from, until, ledger.Invalid("until", "must be after from (%s)", from.Format(time.RFC3339))
	case until.Sub(from) > MaxPeriod:
		return from, until, ledger.Invalid("until", "an accreditation lasts at most five years; renew it with another")
	}
	if p.Replaces != "" {
		if _, ok := SeqOf(p.Replaces); !ok {
			return from, until, ledger.Invalid("replaces", "must be an accreditation ID such as acc-42")
		}
	}
	if len(p.Note) > 2000 {
		return from, until, ledger.Invalid("note", "at most 2000 bytes")
	}
	return from, until, ledger.CheckText("note", p.Note)
}

// Accreditation is the projection of one accreditation.
type Accreditation struct {
	ID      string    `json:"id"`
	Seq     uint64    `json:"seq"`
	Member  string    `json:"member"`
	Party   string    `json:"party"`
	By      string    `json:"by"` // the member of the sending party who signed
	At      time.Time `json:"at"`
	From    time.Time `json:"from"`
	Until   time.Time `json:"until"`
	Note    string    `json:"note,omitempty"`
	Basis   string    `json:"basis"` // the terms in force at From, or "founding"
	Renews  string    `json:"renews,omitempty"`
	Rotates string    `json:"rotates,omitempty"`
	// ReplacedBy names the accreditation that renewed or rotated this
	// one; it then ends at that one's From (Ends).
	ReplacedBy string     `json:"replaced_by,omitempty"`
	Ended      *time.Time `json:"ended,omitempty"`
}

// IDFor is the ID of the accreditation made at ledger index seq.
func IDFor(seq uint64) string { return "acc-" + strconv.FormatUint(seq, 10) }

// SeqOf parses an accreditation ID.
func SeqOf(id string) (uint64, bool) {
	s, ok := strings.CutPrefix(id, "acc-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && IDFor(n) == id
}

// End is when the accreditation stops: its Until, or earlier when it was
// replaced.
func (a *Accreditation) End() time.Time {
	if a.Ended != nil && a.Ended.Before(a.Until) {
		return *a.Ended
	}
	return a.Until
}

// Current reports whether the accreditation holds at t.
func (a *Accreditation) Current(t time.Time) bool { return !t.Before(a.From) && t.Before(a.End()) }

// Overlaps reports whether the accreditation holds at any time in [from, until).
func (a *Accreditation) Overlaps(from, until time.Time) bool {
	return a.From.Before(until) && from.Before(a.End())
}

// State says where an accreditation stands at t.
func (a *Accreditation) State(t time.Time) string {
	switch {
	case t.Before(a.From):
		return "pending"
	case a.Current(t):
		return "current"
	case a.ReplacedBy != "":
		return "replaced"
	}
	return "expired"
}

// Actor is the author of a statement: the member and its party's kind.
type Actor struct {
	*party.Member
	Kind party.Kind
}

func (a Actor) can(r party.Role) bool { return !a.Revoked && a.Has(r) }

// Accreditor refuses an author who may not accredit: a representative or
// coordinator of a monitoring country accredits its own members.
func Accreditor(by Actor) error {
	if by.Kind != party.Monitor || !(by.can(party.Representative) || by.can(party.Coordinator)) {
		return ledger.Forbidden("%s may not accredit representatives: a monitoring country's representatives and coordinators accredit their own", by.ID)
	}
	return nil
}

// NewAccreditation checks an accreditation of member by by at at, under
// the regime in force at its start, against the party's accreditations so
// far (held) and the one it replaces (nil: none). It returns the
// accreditation and the replaced one updated.
func NewAccreditation(seq uint64, at time.Time, by Actor, p Accredit, member *party.Member, reg *Regime, held []*Accreditation, replaced *Accreditation) (*Accreditation, error) {
	if err := Accreditor(by); err != nil {
		return nil, err
	}
	from, until, err := p.Period(at)
	if err != nil {
		return nil, err
	}
	if member == nil {
		return nil, ledger.Invalid("member", "no member %q", p.Member)
	}
	if member.Party != by.Party {
		return nil, ledger.ForbiddenField("member", "%s sits for %s: %s accredits only its own representatives", member.ID, member.Party, by.Party)
	}
	if member.Revoked {
		return nil, ledger.Invalid("member", "%s is revoked", member.ID)
	}
	if member.Has(party.Viewer) && len(member.Roles) == 1 {
		return nil, ledger.Invalid("member", "%s is a viewer: viewers hold no seat", member.ID)
	}
	a := &Accreditation{ID: IDFor(seq), Seq: seq, Member: member.ID, Party: member.Party, By: by.ID, At: at.UTC(),
		From: from, Until: until, Note: p.Note, Basis: reg.Basis()}
	if p.Replaces != "" {
		if replaced == nil || replaced.Party != by.Party {
			return nil, ledger.Invalid("replaces", "%s has no accreditation %q", by.Party, p.Replaces)
		}
		if replaced.ReplacedBy != "" {
			return nil, ledger.Conflict("accreditation %s was already replaced by %s", replaced.ID, replaced.ReplacedBy)
		}
		if !from.Before(replaced.Until) && replaced.Member != member.ID {
			return nil, ledger.Invalid("from", "is after %s ended (%s): a rotation takes over a seat still held", replaced.ID, replaced.Until.Format(time.RFC3339))
		}
		if replaced.Member == member.ID {
			a.Renews = replaced.ID
		} else {
			a.Rotates = replaced.ID
		}
	}
	if !reg.Founding() {
		g := reg.Grant(by.Party)
		if g == nil {
			return nil, reg.NotNamed("member", by.Party)
		}
		// Seats are members: one holding two accreditations at once
		// takes one seat.
		var seated []string
		for _, h := range held {
			if (replaced == nil || h.ID != replaced.ID) && h.Overlaps(from, until) && !slices.Contains(seated, h.Member) {
				seated = append(seated, h.Member)
			}
		}
		taken := len(seated)
		if !slices.Contains(seated, member.ID) && taken >= g.Representatives {
			return nil, &ledger.FieldError{Field: "member", Term: g.Ref(), Reason: fmt.Sprintf("%s holds %d of its %d seats under %s from %s: rotate one (replaces) or wait until one ends",
				by.Party, taken, g.Representatives, g.Ref(), from.Format(time.RFC3339))}
		}
	}
	if replaced != nil {
		replaced.ReplacedBy = a.ID
		if from.Before(replaced.Until) {
			end := from
			replaced.Ended = &end
		}
	}
	return a, nil
}

// MemberSeat refuses to add a member to a monitoring country beyond what
// the terms in force at the time allow: the country must be named, and
// hold fewer members than its seats. members are the party's members
// (revoked ones are not counted).
func MemberSeat(reg *Regime, p *party.Party, members []*party.Member) error {
	if p.Kind != party.Monitor || reg.Founding() {
		return nil
	}
	g := reg.Grant(p.ID)
	if g == nil {
		return reg.NotNamed("payload.party", p.ID)
	}
	n := 0
	for _, m := range members {
		if !m.Revoked {
			n++
		}
	}
	if n >= g.Representatives {
		return &ledger.FieldError{Field: "payload.party", Term: g.Ref(),
			Reason: fmt.Sprintf("%s already has %d members for its %d seats under %s; revoke one before adding another", p.ID, n, g.Representatives, g.Ref())}
	}
	return nil
}
