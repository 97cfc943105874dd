package centre

import (
	"context"
	"fmt"
	"slices"
	"time"

	"truce/incident"
	"truce/ledger"
	"truce/party"
	"truce/seat"
)

// seatStore is what the centre needs from a store for seats, consents and
// the custody of restricted evidence.
type seatStore interface {
	Accreditations(ctx context.Context, partyID, member string) ([]*seat.Accreditation, error)
	Words(ctx context.Context, country string) ([]*seat.Recorded, error)
	EvidenceRestrictions(ctx context.Context, sha, incident string) ([]*seat.Restriction, error)
	Custody(ctx context.Context, sha, incident string) ([]*seat.Custody, error)
}

// Regime is who may sit in the centre at t: the monitoring terms in force.
func (c *Centre) Regime(ctx context.Context, t time.Time) (*seat.Regime, error) {
	reg, err := c.Registry(ctx)
	if err != nil {
		return nil, err
	}
	return seat.RegimeOf(reg.InForce(t), t), nil
}

// Access is what the session's member may read now, by the centre's clock:
// an accreditation that ended gives nothing from that instant. A nil
// session reads what the public reads.
func (c *Centre) Access(ctx context.Context, s *Session) (seat.Access, error) {
	if s == nil {
		return seat.Public, nil
	}
	if s.Kind != party.Monitor {
		return seat.AccessOf(s.Member, s.Kind, nil, nil, time.Time{}), nil
	}
	now := c.now()
	reg, err := c.Regime(ctx, now)
	if err != nil {
		return seat.Access{}, err
	}
	return seat.AccessOf(s.Member, s.Kind, reg, s.accreditations, now), nil
}

// RecordRead records, before a restricted evidence file is served, that
// the session's member reads it: a statement the centre signs, so that the
// custody trail is on the ledger. It refuses a reader who may not read it.
func (c *Centre) RecordRead(ctx context.Context, s *Session, sha string, inc *incident.Incident) (*ledger.Signed, error) {
	op, err := c.Operator(ctx)
	if err != nil {
		return nil, err
	}
	return c.SayAt(ctx, op, seat.TypeRead, seat.Read{SHA256: sha, Incident: inc.ID, Reader: s.Member.ID, Party: s.Member.Party}, c.now())
}

// Seat is one member of a monitoring country as the seats view shows it.
type Seat struct {
	Member         *party.Member         `json:"member"`
	Accreditations []*seat.Accreditation `json:"accreditations"`
	State          string                `json:"state"` // current, pending, expired, replaced, none
	Access         seat.Access           `json:"access"`
}

// Country is a monitoring country's seats.
type Country struct {
	Party   *party.Party  `json:"party"`
	Named   bool          `json:"named"` // by a term in force (always under the founding parties)
	Grant   *seat.Grant   `json:"grant,omitempty"`
	Seats   int           `json:"seats"`   // 0: no limit (founding parties)
	Held    int           `json:"held"`    // members with a current accreditation
	Members int           `json:"members"` // members not revoked
	Access  []string      `json:"access"`  // what the terms in force let it access
	Seated  []Seat        `json:"seated"`  // its members
	Consent seat.Standing `json:"consent"` // each belligerent's latest word
}

// SeatsView is who sits in the centre at a time.
type SeatsView struct {
	At        time.Time `json:"at"`
	Basis     string    `json:"basis"` // the monitoring terms in force, or "founding"
	Terms     []string  `json:"terms"`
	Countries []Country `json:"countries"`
}

// Seats lists the seats of every monitoring country at t: the countries
// the terms in force name and every party registered as a monitor country,
// their members, accreditations and the belligerents' consents.
func (c *Centre) Seats(ctx context.Context, t time.Time) (*SeatsView, error) {
	reg, err := c.Regime(ctx, t)
	if err != nil {
		return nil, err
	}
	parties, err := c.Store.Parties(ctx)
	if err != nil {
		return nil, err
	}
	words, err := c.Store.Words(ctx, "")
	if err != nil {
		return nil, err
	}
	accs, err := c.Store.Accreditations(ctx, "", "")
	if err != nil {
		return nil, err
	}
	out := &SeatsView{At: t.UTC(), Basis: reg.Basis(), Terms: reg.Terms, Countries: []Country{}}
	for _, p := range parties {
		if p.Kind != party.Monitor && reg.Grants[p.ID] == nil {
			continue
		}
		co := Country{Party: p, Named: reg.Founding() || reg.Grant(p.ID) != nil, Grant: reg.Grant(p.ID), Access: reg.AccessOf(p.ID),
			Consent: seat.StandingOf(p.ID, words), Seated: []Seat{}}
		if co.Access == nil {
			co.Access = []string{}
		}
		if co.Grant != nil {
			co.Seats = co.Grant.Representatives
		}
		members, err := c.Store.Members(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		var held []*seat.Accreditation
		for _, a := range accs {
			if a.Party == p.ID {
				held = append(held, a)
			}
		}
		for _, m := range members {
			if m.Revoked {
				continue
			}
			co.Members++
			st := Seat{Member: m, Accreditations: []*seat.Accreditation{}, State: "none"}
			for _, a := range held {
				if a.Member == m.ID {
					st.Accreditations = append(st.Accreditations, a)
				}
			}
			st.State = seatState(st.Accreditations, t)
			if st.State == "current" {
				co.Held++
			}
			st.Access = seat.AccessOf(m, p.Kind, reg, held, t)
			co.Seated = append(co.Seated, st)
		}
		out.Countries = append(out.Countries, co)
	}
	return out, nil
}

// seatState sums up a member's accreditations at t.
func seatState(accs []*seat.Accreditation, t time.Time) string {
	if len(accs) == 0 {
		return "none"
	}
	states := make([]string, len(accs))
	for i, a := range accs {
		states[i] = a.State(t)
	}
	for _, s := range []string{"current", "pending"} {
		if slices.Contains(states, s) {
			return s
		}
	}
	return states[len(states)-1]
}

// loadAccreditations keeps a monitoring country's member's accreditations
// on its session: whether one is current is decided at each request.
func (c *Centre) loadAccreditations(ctx context.Context, s *Session) error {
	if s.Kind != party.Monitor {
		return nil
	}
	accs, err := c.Store.Accreditations(ctx, s.Member.Party, s.Member.ID)
	if err != nil {
		return fmt.Errorf("accreditations of %s: %w", s.Member.ID, err)
	}
	s.accreditations = accs
	return nil
}
