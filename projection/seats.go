package projection

import (
	"time"

	"truce/agreement"
	"truce/incident"
	"truce/ledger"
	"truce/party"
	"truce/seat"
)

// SeatTx is what the fold needs for seats, consents and the custody of
// restricted evidence. Getters return nil and no error when the record
// does not exist.
type SeatTx interface {
	// PartyMembers lists a party's members, revoked ones included.
	PartyMembers(party string) ([]*party.Member, error)
	// AllAgreements lists every agreement version; AllInstruments every
	// instrument record: the registry of what is in force when.
	AllAgreements() ([]*agreement.Version, error)
	AllInstruments() ([]*agreement.Instrument, error)
	Accreditation(id string) (*seat.Accreditation, error)
	// PartyAccreditations lists a party's accreditations, oldest first.
	PartyAccreditations(party string) ([]*seat.Accreditation, error)
	PutAccreditation(a *seat.Accreditation) error
	// Words lists the consents and objections about a country, oldest first.
	Words(country string) ([]*seat.Recorded, error)
	PutWord(w *seat.Recorded) error
	EvidenceRestriction(sha, incident string) (*seat.Restriction, error)
	PutEvidenceRestriction(r *seat.Restriction) error
	PutCustody(c *seat.Custody) error
}

// regimeAt reads which monitoring terms are in force at t, as the ledger
// folded so far says.
func regimeAt(tx Tx, t time.Time) (*seat.Regime, error) {
	versions, err := tx.AllAgreements()
	if err != nil {
		return nil, err
	}
	insts, err := tx.AllInstruments()
	if err != nil {
		return nil, err
	}
	return seat.RegimeOf(agreement.NewRegistry(versions, insts).InForce(t), t), nil
}

// seats folds the statements of package seat; ok is false for any other type.
func seats(tx Tx, s *ledger.Signed, author *party.Member, kind party.Kind) (subject string, ok bool, err error) {
	by := seat.Actor{Member: author, Kind: kind}
	seq, t := s.Seq, s.Statement.Time
	switch s.Statement.Type {
	case seat.TypeAccredit:
		p, err := decode[seat.Accredit](s)
		if err != nil {
			return "", true, err
		}
		if err := seat.Accreditor(by); err != nil {
			return "", true, err
		}
		from, _, err := p.Period(t)
		if err != nil {
			return "", true, ledger.Within("payload", err)
		}
		m, err := tx.Member(p.Member)
		if err != nil {
			return "", true, err
		}
		reg, err := regimeAt(tx, from)
		if err != nil {
			return "", true, err
		}
		held, err := tx.PartyAccreditations(author.Party)
		if err != nil {
			return "", true, err
		}
		var replaced *seat.Accreditation
		if p.Replaces != "" {
			if replaced, err = tx.Accreditation(p.Replaces); err != nil {
				return "", true, err
			}
		}
		a, err := seat.NewAccreditation(seq, t, by, p, m, reg, held, replaced)
		if err != nil {
			return "", true, ledger.Within("payload", err)
		}
		if replaced != nil {
			if err := tx.PutAccreditation(replaced); err != nil {
				return "", true, err
			}
		}
		return a.ID, true, tx.PutAccreditation(a)
	case seat.TypeConsent:
		p, err := decode[seat.Word](s)
		if err != nil {
			return "", true, err
		}
		var country *party.Party
		var monitor *party.Member
		known := false
		if ledger.IDPattern.MatchString(p.Country) {
			if country, err = tx.Party(p.Country); err != nil {
				return "", true, err
			}
		}
		if p.Monitor != "" && ledger.IDPattern.MatchString(p.Monitor) {
			if monitor, err = tx.Member(p.Monitor); err != nil {
				return "", true, err
			}
		}
		if p.Incident != "" {
			inc, err := tx.Incident(p.Incident)
			if err != nil {
				return "", true, err
			}
			known = inc != nil
		}
		reg, err := regimeAt(tx, t)
		if err != nil {
			return "", true, err
		}
		w, err := seat.NewWord(seq, t, by, p, reg, country, monitor, known)
		if err != nil {
			return "", true, ledger.Within("payload", err)
		}
		return w.Country, true, tx.PutWord(w)
	case seat.TypeRead:
		return custody(tx, s, by)
	}
	return "", false, nil
}

// custody folds the centre's record of a read of restricted evidence: the
// file must be restricted on that incident, not yet published, and the
// reader one who may read it then.
func custody(tx Tx, s *ledger.Signed, by seat.Actor) (string, bool, error) {
	if by.Kind != party.Centre || !by.Has(party.Coordinator) {
		return "", true, ledger.Forbidden("only the centre records reads of restricted evidence")
	}
	p, err := decode[seat.Read](s)
	if err != nil {
		return "", true, err
	}
	if err := p.Validate(); err != nil {
		return "", true, ledger.Within("payload", err)
	}
	inc, err := load(tx, p.Incident, "payload.incident")
	if err != nil {
		return "", true, err
	}
	r, err := tx.EvidenceRestriction(p.SHA256, p.Incident)
	if err != nil {
		return "", true, err
	}
	if r == nil {
		return "", true, ledger.Invalid("payload.sha256", "%s is not restricted evidence of %s", p.SHA256, p.Incident)
	}
	if inc.Status == incident.Published {
		return "", true, ledger.Conflict("%s is published: its evidence is no longer restricted", inc.ID)
	}
	m, err := tx.Member(p.Reader)
	if err != nil {
		return "", true, err
	}
	if m == nil || m.Party != p.Party {
		return "", true, ledger.Invalid("payload.reader", "no member %q in party %q", p.Reader, p.Party)
	}
	mp, err := tx.Party(m.Party)
	if err != nil {
		return "", true, err
	}
	acc := seat.Access{Evidence: true}
	if mp.Kind == party.Monitor {
		reg, err := regimeAt(tx, s.Statement.Time)
		if err != nil {
			return "", true, err
		}
		accs, err := tx.PartyAccreditations(m.Party)
		if err != nil {
			return "", true, err
		}
		acc = seat.AccessOf(m, mp.Kind, reg, accs, s.Statement.Time)
	}
	if !seat.MayReadRestricted(m, mp.Kind, acc, inc) {
		return "", true, ledger.Invalid("payload.reader", "%s may not read restricted evidence of %s", m.ID, inc.ID)
	}
	return inc.ID, true, tx.PutCustody(&seat.Custody{Read: p, Seq: s.Seq, At: s.Statement.Time})
}

// memberSeat refuses a member.add beyond the seats of the terms in force.
func memberSeat(tx Tx, p *party.Party, at time.Time) error {
	if p.Kind != party.Monitor {
		return nil
	}
	reg, err := regimeAt(tx, at)
	if err != nil {
		return err
	}
	members, err := tx.PartyMembers(p.ID)
	if err != nil {
		return err
	}
	return seat.MemberSeat(reg, p, members)
}

// mayTake refuses a monitor m (of a party of kind) taking inc at t when a
// belligerent objects, or when, under a monitoring term, its country is
// not named, not consented to, or m is not accredited.
func mayTake(tx Tx, m *party.Member, kind party.Kind, inc string, t time.Time, field string) error {
	if kind != party.Monitor {
		return nil
	}
	reg, err := regimeAt(tx, t)
	if err != nil {
		return err
	}
	words, err := tx.Words(m.Party)
	if err != nil {
		return err
	}
	accs, err := tx.PartyAccreditations(m.Party)
	if err != nil {
		return err
	}
	var belligerents []string
	for _, g := range reg.Grants[m.Party] {
		for _, id := range g.Parties {
			p, err := tx.Party(id)
			if err != nil {
				return err
			}
			if p != nil && p.Kind == party.Belligerent {
				belligerents = append(belligerents, id)
			}
		}
	}
	if err := seat.MayTake(reg, m, seat.StandingOf(m.Party, words), accs, inc, t, belligerents); err != nil {
		return ledger.Within(field, err)
	}
	return nil
}

// restrictEvidence records that an attached file is restricted.
func restrictEvidence(tx Tx, s *ledger.Signed, p incident.AddEvidence) error {
	if !p.Restricted {
		return nil
	}
	return tx.PutEvidenceRestriction(&seat.Restriction{SHA256: p.Evidence.SHA256, Incident: p.Incident,
		Party: s.Statement.Party, Member: s.Statement.Author, At: s.Statement.Time, Seq: s.Seq})
}
