package audit

import (
	"fmt"
	"slices"

	"truce/incident"
	"truce/ledger"
	"truce/party"
	"truce/seat"
)

// custody follows, as the audit reads the ledger, what the custody trail
// of restricted evidence rests on: who reported and who is accused on each
// incident, its assigned monitors, its restricted files, whether it is
// published, and every member's party and roles. Each evidence.read must
// be the centre's record of a read the rules allowed: by a coordinator of
// the centre, of a file restricted on that incident before it was
// published, by a member of the reporting or the accused party, a monitor
// assigned to the case, or a coordinator of the centre.
type custody struct {
	cases      map[string]*custodyCase
	restricted map[[2]string]bool // sha256, incident
	members    map[string]*party.Member
	files      map[string]bool
	reads      int
}

type custodyCase struct {
	party, accused string
	monitors       []string
	published      bool
}

func newCustody() *custody {
	return &custody{cases: map[string]*custodyCase{}, restricted: map[[2]string]bool{}, members: map[string]*party.Member{}, files: map[string]bool{}}
}

// see takes one statement in ledger order; admins are the centre's
// coordinators as the ledger has them so far. An error is a finding.
func (c *custody) see(s *ledger.Signed, admins map[string]bool) error {
	st := s.Statement
	switch st.Type {
	case party.TypeOpen:
		var o party.Open
		if ledger.DecodePayload(st, &o) == nil {
			c.members[o.Operator] = &party.Member{ID: o.Operator, Party: party.CentreID, Roles: []party.Role{party.Coordinator}}
		}
	case party.TypeAdd:
		var a party.Add
		if ledger.DecodePayload(st, &a) == nil {
			c.members[a.ID] = &party.Member{ID: a.ID, Party: a.Party, Roles: a.Roles}
		}
	case party.TypeRevoke:
		var r party.Revoke
		if ledger.DecodePayload(st, &r) == nil {
			delete(c.members, r.Member)
		}
	case incident.TypeReport:
		var r incident.Report
		if ledger.DecodePayload(st, &r) == nil {
			c.cases[incident.IDFor(s.Seq)] = &custodyCase{party: st.Party, accused: r.AllegedActor}
		}
	case incident.TypeAssign:
		var a incident.Assign
		if ledger.DecodePayload(st, &a) == nil && c.cases[a.Incident] != nil {
			c.cases[a.Incident].monitors = append(c.cases[a.Incident].monitors, a.Monitors...)
		}
	case incident.TypePublish:
		var p incident.Publish
		if ledger.DecodePayload(st, &p) == nil && c.cases[p.Incident] != nil {
			c.cases[p.Incident].published = true
		}
	case incident.TypeEvidence:
		var e incident.AddEvidence
		if ledger.DecodePayload(st, &e) == nil && e.Restricted {
			c.restricted[[2]string{e.Evidence.SHA256, e.Incident}] = true
			c.files[e.Evidence.SHA256] = true
		}
	case seat.TypeRead:
		c.reads++
		var p seat.Read
		if err := ledger.DecodePayload(st, &p); err != nil {
			return fmt.Errorf("custody trail: the read does not parse: %v", err)
		}
		if st.Party != party.CentreID || !admins[st.Author] {
			return fmt.Errorf("custody trail: a read recorded by %s/%s, who is not a coordinator of the centre", st.Party, st.Author)
		}
		k := c.cases[p.Incident]
		switch {
		case k == nil:
			return fmt.Errorf("custody trail: a read of %s of %s, which was never reported", p.SHA256, p.Incident)
		case !c.restricted[[2]string{p.SHA256, p.Incident}]:
			return fmt.Errorf("custody trail: a read of %s, which is not restricted evidence of %s", p.SHA256, p.Incident)
		case k.published:
			return fmt.Errorf("custody trail: a read of %s recorded after %s was published", p.SHA256, p.Incident)
		}
		m := c.members[p.Reader]
		if m == nil || m.Party != p.Party {
			return fmt.Errorf("custody trail: the reader %s/%s is no member", p.Party, p.Reader)
		}
		named := m.Party == k.party || (k.accused != "" && m.Party == k.accused)
		if !named && !slices.Contains(k.monitors, m.ID) && !(m.Party == party.CentreID && admins[m.ID]) {
			return fmt.Errorf("custody trail: %s read %s of %s, which only the parties named on it, its monitors and the centre's coordinators read", m.ID, p.SHA256, p.Incident)
		}
	}
	return nil
}
