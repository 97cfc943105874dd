package seat

import (
	"slices"
	"time"

	"truce/incident"
	"truce/ledger"
	"truce/party"
)

// Access is what a caller may read beyond published material. Anonymous
// callers and viewers read published incidents and their evidence only.
type Access struct {
	Incidents bool `json:"incidents"`
	Evidence  bool `json:"evidence"`
	Sites     bool `json:"sites"`
	Zone      bool `json:"zone"`
	Hotline   bool `json:"hotline"`
	// Basis says what decides: "public", "viewer", "member" (not a
	// monitoring country), "founding", the monitoring terms in force, or
	// why a monitoring country's member reads no more than the public:
	// "not_named", "not_accredited", "expired".
	Basis string `json:"basis"`
	// Until is when the accreditation that gives this access ends.
	Until *time.Time `json:"until,omitempty"`
}

// Full is a member's access where no term limits it.
func full(basis string) Access {
	return Access{Incidents: true, Evidence: true, Sites: true, Zone: true, Hotline: true, Basis: basis}
}

// Public is what anonymous callers read.
var Public = Access{Basis: "public"}

// ViewerOnly reports whether m holds no role but viewer.
func ViewerOnly(m *party.Member) bool {
	return !slices.ContainsFunc(m.Roles, func(r party.Role) bool { return r != party.Viewer })
}

// AccessOf is what member m of a party of kind reads at now, under the
// regime in force then, given its accreditations (any order).
//   - Viewers read what the public reads, and the instruments.
//   - Members of other parties than monitoring countries read everything
//     but restricted evidence (see MayReadRestricted).
//   - A monitoring country's member with accreditations reads nothing more
//     than the public once none is current.
//   - While no monitoring term is in force, a monitoring country's members
//     read everything; under a term, only an accredited member of a named
//     country reads, and only what the term's access list names.
func AccessOf(m *party.Member, kind party.Kind, reg *Regime, accs []*Accreditation, now time.Time) Access {
	if m == nil || m.Revoked {
		return Public
	}
	if ViewerOnly(m) {
		// Signed instruments are public material: their sites and zone too.
		return Access{Sites: true, Zone: true, Basis: "viewer"}
	}
	if kind != party.Monitor {
		return full("member")
	}
	var current *Accreditation
	for _, a := range accs {
		if a.Member == m.ID && a.Current(now) && (current == nil || a.End().After(current.End())) {
			current = a
		}
	}
	if current == nil && slices.ContainsFunc(accs, func(a *Accreditation) bool { return a.Member == m.ID && !now.Before(a.From) }) {
		return Access{Basis: "expired"}
	}
	var out Access
	if reg.Founding() {
		out = full(Founding)
	} else {
		if reg.Grant(m.Party) == nil {
			return Access{Basis: "not_named"}
		}
		if current == nil {
			return Access{Basis: "not_accredited"}
		}
		out = Access{Basis: reg.Basis()}
		for _, a := range reg.AccessOf(m.Party) {
			switch a {
			case Incidents:
				out.Incidents = true
			case Evidence:
				out.Evidence = true
			case Sites:
				out.Sites = true
			case Zone:
				out.Zone = true
			case Hotline:
				out.Hotline = true
			}
		}
	}
	if current != nil {
		end := current.End()
		out.Until = &end
	}
	return out
}

// Restriction is the projection of a restricted evidence file: until its
// incident is published, only the parties named on the incident, its
// assigned monitors and the centre's coordinators read it, and each read is
// recorded.
type Restriction struct {
	SHA256   string    `json:"sha256"`
	Incident string    `json:"incident"`
	Party    string    `json:"party"`  // who restricted it
	Member   string    `json:"member"` // and which member
	At       time.Time `json:"at"`
	Seq      uint64    `json:"seq"`
}

// MayReadRestricted says whether m (of a party of kind, with access acc)
// may read a restricted file of inc: a member of the reporting or the
// accused party, a monitor assigned to the case whose country's access
// includes evidence, or the centre's coordinators. Viewers never do.
func MayReadRestricted(m *party.Member, kind party.Kind, acc Access, inc *incident.Incident) bool {
	if m == nil || m.Revoked || ViewerOnly(m) {
		return false
	}
	switch {
	case m.Party == inc.Party, inc.Report.AllegedActor != "" && m.Party == inc.Report.AllegedActor:
		return true
	case slices.Contains(inc.Monitors, m.ID):
		return acc.Evidence
	case kind == party.Centre && m.Has(party.Coordinator):
		return true
	}
	return false
}

// Read is the payload of evidence.read, the centre's record that a member
// read a restricted evidence file of an incident.
type Read struct {
	SHA256   string `json:"sha256"`
	Incident string `json:"incident"`
	Reader   string `json:"reader"`
	Party    string `json:"party"` // the reader's party
}

// Validate checks the payload's form.
func (p Read) Validate() error {
	if len(p.SHA256) != 64 || !isHex(p.SHA256) {
		return ledger.Invalid("sha256", "must be 64 lower-case hexadecimal digits")
	}
	if _, ok := incident.SeqOf(p.Incident); !ok {
		return ledger.Invalid("incident", "must be an incident ID")
	}
	if !ledger.IDPattern.MatchString(p.Reader) {
		return ledger.Invalid("reader", "must be a member ID")
	}
	if !ledger.IDPattern.MatchString(p.Party) {
		return ledger.Invalid("party", "must be a party ID")
	}
	return nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Custody is one recorded read, as the projection keeps it.
type Custody struct {
	Read
	Seq uint64    `json:"seq"`
	At  time.Time `json:"at"`
}
