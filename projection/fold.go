// Package projection folds ledger statements into the centre's current
// state: parties, members and incidents. It is the only code that changes
// that state, it runs inside the store's append transaction, and it is the
// same for every store — so replaying a ledger gives identical projections.
package projection

import (
	"bytes"
	"fmt"
	"slices"

	"truce/agreement"
	"truce/alert"
	"truce/incident"
	"truce/ledger"
	"truce/negotiation"
	"truce/party"
	sitrep "truce/report"
)

// Tx is what the fold needs from a store's transaction. Getters return nil
// and no error when the record does not exist.
type Tx interface {
	Size() uint64 // statements in the ledger before this one
	Party(id string) (*party.Party, error)
	PutParty(p *party.Party) error
	Member(id string) (*party.Member, error)
	// PutMember writes m and records m.PublicKey as a key m holds. A key
	// stays recorded after its member rotates away from it or is revoked.
	PutMember(m *party.Member) error
	// KeyHolder returns the member that holds or once held publicKey (its
	// base64, as a member's PublicKey spells it), "" when none has.
	KeyHolder(publicKey string) (string, error)
	Incident(id string) (*incident.Incident, error)
	PutIncident(inc *incident.Incident) error
	// EventIncidents lists the incidents whose Event is event.
	EventIncidents(event string) ([]string, error)
	Round(id string) (*negotiation.Round, error)
	PutRound(r *negotiation.Round) error
	Plan(id string) (*agreement.Plan, error)
	PutPlan(p *agreement.Plan) error
	// Agreement returns a version of an agreement; version 0 is the latest.
	Agreement(id string, version int) (*agreement.Version, error)
	PutAgreement(v *agreement.Version) error
	// PutViolations replaces the terms an incident may breach, for queries
	// by term.
	PutViolations(incident string, terms []incident.TermRef) error
	// Instrument returns what happened to an agreement as a whole.
	Instrument(id string) (*agreement.Instrument, error)
	PutInstrument(in *agreement.Instrument) error
	// Arrangement returns an arrangement's record; Arrangements lists
	// every record in ID order.
	Arrangement(id string) (*agreement.ArrangementRecord, error)
	Arrangements() ([]*agreement.ArrangementRecord, error)
	PutArrangement(a *agreement.ArrangementRecord) error
	CoordinationTx
	ReportsTx
	SeatTx
	AlertTx
}

// Apply folds s, whose Seq is already set, into tx. It returns the subject of
// the statement (the record it is about) for the ledger's history index. An
// error means the statement is refused; the caller rolls tx back to before it.
func Apply(tx Tx, s *ledger.Signed) (subject string, err error) {
	st := s.Statement
	if st.Type == party.TypeOpen {
		return openCentre(tx, s)
	}
	if tx.Size() == 0 {
		return "", ledger.Conflict("the ledger must open with %s", party.TypeOpen)
	}
	author, err := tx.Member(st.Author)
	if err != nil {
		return "", err
	}
	if author == nil || author.Party != st.Party {
		return "", fmt.Errorf("%w: no member %q in party %q", ledger.ErrUnauthenticated, st.Author, st.Party)
	}
	if author.Revoked {
		return "", fmt.Errorf("%w: member %s is revoked", ledger.ErrUnauthenticated, author.ID)
	}
	if s.Key == nil {
		return "", fmt.Errorf("%w: the statement was not verified", ledger.ErrUnauthenticated)
	}
	if !bytes.Equal(s.Key, author.Key()) {
		// Verified, but against a key the member no longer has (a rotation
		// got in between): the token is fine, the statement must be signed again.
		return "", ledger.Conflict("the statement is signed with a key %s no longer holds; sign it again with the current key", author.ID)
	}
	ap, err := tx.Party(author.Party)
	if err != nil {
		return "", err
	}
	by := incident.Actor{Member: author, Kind: ap.Kind}
	switch st.Type {
	case party.TypeRegister:
		return registerParty(tx, s, author)
	case party.TypeAdd:
		return addMember(tx, s, author)
	case party.TypeRevoke:
		return revokeMember(tx, s, author)
	case party.TypeRotate:
		return rotateKey(tx, s, author)
	case incident.TypeReport:
		return report(tx, s, by)
	case incident.TypeLink:
		return link(tx, s, by)
	case negotiation.TypeRound:
		return recordRound(tx, s, by)
	case agreement.TypePlanSubmit, agreement.TypePlanShare, agreement.TypeStance, agreement.TypeDraft, agreement.TypeSign:
		return negotiate(tx, s, agreement.Actor{Member: author, Kind: ap.Kind})
	case agreement.TypeSuspend, agreement.TypeResume, agreement.TypeTerminate:
		return changeInstrument(tx, s, agreement.Actor{Member: author, Kind: ap.Kind})
	case incident.TypeEvaluate:
		return evaluate(tx, s, by)
	case sitrep.TypeIssue:
		return issueReport(tx, s, author, ap.Kind)
	case sitrep.TypeWarning:
		return raiseWarning(tx, s, author, ap.Kind)
	}
	if slices.Contains(agreement.ArrangementTypes, st.Type) {
		return arrange(tx, s, agreement.Actor{Member: author, Kind: ap.Kind})
	}
	if slices.Contains(alert.Types, st.Type) {
		return alerts(tx, s, author, ap.Kind)
	}
	if subject, ok, err := coordination(tx, s, author, ap.Kind); ok {
		return subject, err
	}
	if subject, ok, err := seats(tx, s, author, ap.Kind); ok {
		return subject, err
	}
	return workflow(tx, s, by)
}

func decode[T any](s *ledger.Signed) (T, error) {
	var p T
	err := ledger.DecodePayload(s.Statement, &p)
	return p, ledger.Within("payload", err)
}

func openCentre(tx Tx, s *ledger.Signed) (string, error) {
	if tx.Size() != 0 {
		return "", ledger.Conflict("the centre is already open")
	}
	o, err := decode[party.Open](s)
	if err != nil {
		return "", err
	}
	if err := o.Validate(); err != nil {
		return "", ledger.Within("payload", err)
	}
	st := s.Statement
	if st.Party != party.CentreID || st.Author != o.Operator {
		return "", ledger.Invalid("statement.author", "the opening statement is made by the operator of party %q", party.CentreID)
	}
	op := &party.Member{ID: o.Operator, Party: party.CentreID, Name: "Operator", Roles: []party.Role{party.Coordinator},
		PublicKey: o.Key, Added: st.Time, Seq: s.Seq}
	if s.Key == nil || !bytes.Equal(s.Key, op.Key()) {
		return "", fmt.Errorf("%w: the opening statement must be signed by the operator key it names", ledger.ErrUnauthenticated)
	}
	if err := tx.PutParty(&party.Party{ID: party.CentreID, Name: o.Name, Names: o.Names, Kind: party.Centre, Registered: st.Time, Seq: s.Seq}); err != nil {
		return "", err
	}
	return party.CentreID, tx.PutMember(op)
}

func registerParty(tx Tx, s *ledger.Signed, by *party.Member) (string, error) {
	if !party.CanAdminister(by) {
		return "", ledger.Forbidden("only the centre's coordinators register parties")
	}
	r, err := decode[party.Register](s)
	if err != nil {
		return "", err
	}
	if err := r.Validate(); err != nil {
		return "", ledger.Within("payload", err)
	}
	if p, err := tx.Party(r.ID); err != nil || p != nil {
		return "", firstErr(err, ledger.Conflict("party %q already exists", r.ID))
	}
	return r.ID, tx.PutParty(&party.Party{ID: r.ID, Name: r.Name, Names: r.Names, Kind: r.Kind, Registered: s.Statement.Time, Seq: s.Seq})
}

func addMember(tx Tx, s *ledger.Signed, by *party.Member) (string, error) {
	if !party.CanAdminister(by) {
		return "", ledger.Forbidden("only the centre's coordinators add members")
	}
	a, err := decode[party.Add](s)
	if err != nil {
		return "", err
	}
	if err := a.Validate(); err != nil {
		return "", ledger.Within("payload", err)
	}
	p, err := tx.Party(a.Party)
	if err != nil || p == nil {
		return "", firstErr(err, ledger.Invalid("payload.party", "no party %q", a.Party))
	}
	if m, err := tx.Member(a.ID); err != nil || m != nil {
		return "", firstErr(err, ledger.Conflict("member %q already exists", a.ID))
	}
	if err := keyUnused(tx, a.PublicKey, a.ID); err != nil {
		return "", err
	}
	if err := memberSeat(tx, p, s.Statement.Time); err != nil {
		return "", err
	}
	return a.ID, tx.PutMember(&party.Member{ID: a.ID, Party: a.Party, Name: a.Name, Roles: a.Roles,
		PublicKey: a.PublicKey, Added: s.Statement.Time, Seq: s.Seq})
}

func revokeMember(tx Tx, s *ledger.Signed, by *party.Member) (string, error) {
	if !party.CanAdminister(by) {
		return "", ledger.Forbidden("only the centre's coordinators revoke members")
	}
	r, err := decode[party.Revoke](s)
	if err != nil {
		return "", err
	}
	m, err := tx.Member(r.Member)
	if err != nil || m == nil {
		return "", firstErr(err, ledger.Invalid("payload.member", "no member %q", r.Member))
	}
	if m.Revoked {
		return "", ledger.Conflict("member %s is already revoked", m.ID)
	}
	m.Revoked = true
	return m.ID, tx.PutMember(m)
}

func report(tx Tx, s *ledger.Signed, by incident.Actor) (string, error) {
	r, err := decode[incident.Report](s)
	if err != nil {
		return "", err
	}
	var alleged *party.Party
	if r.AllegedActor != "" {
		if alleged, err = tx.Party(r.AllegedActor); err != nil {
			return "", err
		}
	}
	inc, err := incident.New(s.Seq, s.Statement.Time, by, r, alleged)
	if err != nil {
		return "", ledger.Within("payload", err)
	}
	return inc.ID, tx.PutIncident(inc)
}

func load(tx Tx, id, field string) (*incident.Incident, error) {
	inc, err := tx.Incident(id)
	if err != nil {
		return nil, err
	}
	if inc == nil {
		return nil, ledger.NotFound("no incident %q (field %s)", id, field)
	}
	return inc, nil
}

func link(tx Tx, s *ledger.Signed, by incident.Actor) (string, error) {
	if err := incident.CanLink(by); err != nil {
		return "", err
	}
	p, err := decode[incident.Link](s)
	if err != nil {
		return "", err
	}
	a, err := load(tx, p.Incident, "payload.incident")
	if err != nil {
		return "", err
	}
	b, err := load(tx, p.With, "payload.with")
	if err != nil {
		return "", err
	}
	if a.ID == b.ID {
		return "", ledger.Invalid("payload.with", "an incident cannot be linked to itself")
	}
	if a.Event == b.Event {
		return "", ledger.Conflict("%s and %s are already one event (%s)", a.ID, b.ID, a.Event)
	}
	// The merged event takes the identifier of its earliest report.
	event, other := a.Event, b.Event
	if es, _ := incident.SeqOf(event); func() bool { os, _ := incident.SeqOf(other); return os < es }() {
		event, other = other, event
	}
	moved, err := tx.EventIncidents(other)
	if err != nil {
		return "", err
	}
	t := s.Statement.Time
	a.LinkTo(s.Seq, t, by, b.ID, event)
	b.LinkTo(s.Seq, t, by, a.ID, event)
	for _, id := range moved {
		if id == a.ID || id == b.ID {
			continue
		}
		m, err := load(tx, id, "event")
		if err != nil {
			return "", err
		}
		m.Event = event
		if err := tx.PutIncident(m); err != nil {
			return "", err
		}
	}
	if err := tx.PutIncident(b); err != nil {
		return "", err
	}
	return a.ID, tx.PutIncident(a)
}

func workflow(tx Tx, s *ledger.Signed, by incident.Actor) (string, error) {
	var (
		target string
		apply  func(*incident.Incident) error
		seq, t = s.Seq, s.Statement.Time
	)
	switch s.Statement.Type {
	case incident.TypeTriage:
		p, err := decode[incident.Triage](s)
		if err != nil {
			return "", err
		}
		target, apply = p.Incident, func(inc *incident.Incident) error { return inc.Triage(seq, t, by, p) }
	case incident.TypeAssign:
		p, err := decode[incident.Assign](s)
		if err != nil {
			return "", err
		}
		for i, id := range p.Monitors {
			field := fmt.Sprintf("payload.monitors[%d]", i)
			m, err := tx.Member(id)
			if err != nil {
				return "", err
			}
			if m == nil {
				return "", ledger.Invalid(field, "no member %q", id)
			}
			mp, err := tx.Party(m.Party)
			if err != nil {
				return "", err
			}
			if err := incident.Eligible(m, mp.Kind); err != nil {
				return "", ledger.Invalid(field, "%v", err)
			}
			if slices.Index(p.Monitors, id) != i {
				return "", ledger.Invalid(field, "%s named twice", id)
			}
			if err := mayTake(tx, m, mp.Kind, p.Incident, t, field); err != nil {
				return "", err
			}
		}
		target, apply = p.Incident, func(inc *incident.Incident) error { return inc.Assign(seq, t, by, p) }
	case incident.TypeInvestigate:
		p, err := decode[incident.Investigate](s)
		if err != nil {
			return "", err
		}
		target, apply = p.Incident, func(inc *incident.Incident) error { return inc.Investigate(seq, t, by, p) }
	case incident.TypeFinding:
		p, err := decode[incident.Finding](s)
		if err != nil {
			return "", err
		}
		var attributed *party.Party
		if ledger.IDPattern.MatchString(p.Attribution) {
			if attributed, err = tx.Party(p.Attribution); err != nil {
				return "", err
			}
		}
		target, apply = p.Incident, func(inc *incident.Incident) error { return inc.RecordFinding(seq, t, by, p, attributed) }
	case incident.TypePublish:
		p, err := decode[incident.Publish](s)
		if err != nil {
			return "", err
		}
		target, apply = p.Incident, func(inc *incident.Incident) error { return inc.Publish(seq, t, by, p) }
	case incident.TypeRespond:
		p, err := decode[incident.Respond](s)
		if err != nil {
			return "", err
		}
		target, apply = p.Incident, func(inc *incident.Incident) error { return inc.AddResponse(seq, t, by, p) }
	case incident.TypeEvidence:
		p, err := decode[incident.AddEvidence](s)
		if err != nil {
			return "", err
		}
		target, apply = p.Incident, func(inc *incident.Incident) error {
			if err := inc.Attach(seq, t, by, p); err != nil {
				return err
			}
			return ledger.Within("", restrictEvidence(tx, s, p))
		}
	default:
		return "", ledger.Invalid("statement.type", "unknown statement type %q", s.Statement.Type)
	}
	inc, err := load(tx, target, "payload.incident")
	if err != nil {
		return "", err
	}
	if err := apply(inc); err != nil {
		return "", ledger.Within("payload", err)
	}
	return inc.ID, tx.PutIncident(inc)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func recordRound(tx Tx, s *ledger.Signed, by incident.Actor) (string, error) {
	if by.Revoked || !(by.Has(party.Coordinator) || by.Has(party.Representative)) || (by.Kind != party.Mediator && by.Kind != party.Centre) {
		return "", ledger.Forbidden("rounds are recorded by the mediators' or the centre's coordinators and representatives")
	}
	r, err := decode[negotiation.Round](s)
	if err != nil {
		return "", err
	}
	var lookupErr error
	known := func(id string) bool {
		p, err := tx.Party(id)
		lookupErr = firstErr(lookupErr, err)
		return p != nil
	}
	if err := r.Validate(known); err != nil {
		return "", firstErr(lookupErr, ledger.Within("payload", err))
	}
	if old, err := tx.Round(r.ID); err != nil || old != nil {
		return "", firstErr(err, ledger.Conflict("round %q is already recorded", r.ID))
	}
	r.Seq = s.Seq
	return r.ID, tx.PutRound(&r)
}

func rotateKey(tx Tx, s *ledger.Signed, by *party.Member) (string, error) {
	if !party.CanAdminister(by) {
		return "", ledger.Forbidden("only the centre's coordinators rotate keys")
	}
	r, err := decode[party.Rotate](s)
	if err != nil {
		return "", err
	}
	if err := r.Validate(); err != nil {
		return "", ledger.Within("payload", err)
	}
	m, err := tx.Member(r.Member)
	if err != nil || m == nil {
		return "", firstErr(err, ledger.Invalid("payload.member", "no member %q", r.Member))
	}
	if m.Revoked {
		return "", ledger.Conflict("member %s is revoked", m.ID)
	}
	if m.PublicKey == r.PublicKey {
		return "", ledger.Conflict("member %s already has this key", m.ID)
	}
	if err := keyUnused(tx, r.PublicKey, m.ID); err != nil {
		return "", err
	}
	m.PublicKey = r.PublicKey
	return m.ID, tx.PutMember(m)
}

// keyUnused refuses to register a key that a member holds or has held. A
// statement's signature names its author only if no other member has the
// key: one key under two members of two parties would let either disown,
// or speak for, the other. A key a member rotated away from may have been
// retired because it leaked, so it is never registered again, to anyone,
// the same member included.
func keyUnused(tx Tx, key, member string) error {
	holder, err := tx.KeyHolder(key)
	switch {
	case err != nil:
		return err
	case holder == "":
		return nil
	case holder == member:
		return ledger.Invalid("payload.public_key", "%s held this key before a rotation; a retired key is never registered again", member)
	}
	return ledger.Invalid("payload.public_key", "is the key, or a former key, of member %s; every member needs a key of its own", holder)
}

func negotiate(tx Tx, s *ledger.Signed, by agreement.Actor) (string, error) {
	seq, t := s.Seq, s.Statement.Time
	switch s.Statement.Type {
	case agreement.TypePlanSubmit:
		p, err := decode[agreement.SubmitPlan](s)
		if err != nil {
			return "", err
		}
		if v, err := tx.Agreement(p.Plan, 0); err != nil || v != nil {
			return "", firstErr(err, ledger.Conflict("%q is an agreement; a plan needs its own ID", p.Plan))
		}
		if p.Round != "" {
			if r, err := tx.Round(p.Round); err != nil || r == nil {
				return "", firstErr(err, ledger.Invalid("payload.round", "no round %q", p.Round))
			}
		}
		old, err := tx.Plan(p.Plan)
		if err != nil {
			return "", err
		}
		plan, err := agreement.Submit(old, by, p, seq, t)
		if err != nil {
			return "", ledger.Within("payload", err)
		}
		return plan.ID, tx.PutPlan(plan)
	case agreement.TypePlanShare:
		p, err := decode[agreement.SharePlan](s)
		if err != nil {
			return "", err
		}
		plan, err := tx.Plan(p.Plan)
		if err != nil || plan == nil || !plan.VisibleTo(by.Party) {
			return "", firstErr(err, ledger.NotFound("no plan %q", p.Plan))
		}
		if err := agreement.Share(plan, by, seq, t); err != nil {
			return "", err
		}
		return plan.ID, tx.PutPlan(plan)
	case agreement.TypeStance:
		p, err := decode[agreement.TakeStance](s)
		if err != nil {
			return "", err
		}
		plan, err := tx.Plan(p.On)
		if err != nil {
			return "", err
		}
		if plan != nil {
			if err := agreement.StanceOnPlan(plan, by, p, seq, t); err != nil {
				return "", ledger.Within("payload", err)
			}
			return plan.ID, tx.PutPlan(plan)
		}
		v, err := tx.Agreement(p.On, p.Version)
		if err != nil || v == nil {
			return "", firstErr(err, ledger.NotFound("no plan or agreement %q version %d", p.On, p.Version))
		}
		if err := agreement.StanceOnDraft(v, by, p, seq, t); err != nil {
			return "", ledger.Within("payload", err)
		}
		return v.ID, tx.PutAgreement(v)
	case agreement.TypeDraft:
		p, err := decode[agreement.DraftAgreement](s)
		if err != nil {
			return "", err
		}
		id := p.Agreement.ID
		if plan, err := tx.Plan(id); err != nil || plan != nil {
			return "", firstErr(err, ledger.Conflict("%q is a plan; an agreement needs its own ID", id))
		}
		latest, err := tx.Agreement(id, 0)
		if err != nil {
			return "", err
		}
		var lookupErr error
		known := func(id string) bool {
			p, err := tx.Party(id)
			lookupErr = firstErr(lookupErr, err)
			return p != nil
		}
		if err := notTerminated(tx, id); err != nil {
			return "", err
		}
		for i, old := range p.Agreement.Replaces {
			if v, err := tx.Agreement(old, 0); err != nil || v == nil {
				return "", firstErr(err, ledger.Invalid(fmt.Sprintf("payload.agreement.replaces[%d]", i), "no agreement %q", old))
			}
		}
		v, err := agreement.Draft(latest, by, p, seq, t, known)
		if err != nil {
			return "", firstErr(lookupErr, ledger.Within("payload", err))
		}
		if latest != nil && !latest.Signed {
			latest.Superseded = true
			if err := tx.PutAgreement(latest); err != nil {
				return "", err
			}
		}
		return v.ID, tx.PutAgreement(v)
	case agreement.TypeSign:
		p, err := decode[agreement.SignAgreement](s)
		if err != nil {
			return "", err
		}
		v, err := tx.Agreement(p.Agreement, p.Version)
		if err != nil || v == nil {
			return "", firstErr(err, ledger.Invalid("payload.agreement", "no agreement %q version %d", p.Agreement, p.Version))
		}
		if err := notTerminated(tx, v.ID); err != nil {
			return "", err
		}
		if v.Document.Arrangement != nil {
			rec, err := tx.Arrangement(v.ID)
			if err != nil {
				return "", err
			}
			if err := agreement.CheckGuarantee(rec, v, by, t); err != nil {
				return "", ledger.Within("payload", err)
			}
		}
		if err := agreement.Sign(v, by, by.Key(), p, seq, t); err != nil {
			return "", ledger.Within("payload", err)
		}
		return v.ID, tx.PutAgreement(v)
	}
	return "", ledger.Invalid("statement.type", "unknown statement type %q", s.Statement.Type)
}

// notTerminated refuses to draft or sign under a terminated agreement: a
// new instrument takes a new ID.
func notTerminated(tx Tx, id string) error {
	inst, err := tx.Instrument(id)
	if err != nil {
		return err
	}
	if end, ok := inst.Terminated(); ok {
		return ledger.Conflict("agreement %s was terminated with effect from %s; a new agreement needs a new ID", id, end.Format("2006-01-02T15:04:05Z07:00"))
	}
	return nil
}

func evaluate(tx Tx, s *ledger.Signed, by incident.Actor) (string, error) {
	p, err := decode[incident.Evaluate](s)
	if err != nil {
		return "", err
	}
	inc, err := load(tx, p.Incident, "payload.incident")
	if err != nil {
		return "", err
	}
	if err := inc.Evaluated(s.Seq, s.Statement.Time, by, p); err != nil {
		return "", ledger.Within("payload", err)
	}
	var terms []incident.TermRef
	for i, j := range p.Instruments {
		field := fmt.Sprintf("payload.instruments[%d]", i)
		v, err := tx.Agreement(j.Agreement, j.Version)
		if err != nil || v == nil || !v.Signed {
			return "", firstErr(err, ledger.Invalid(field+".agreement", "no signed agreement %q version %d", j.Agreement, j.Version))
		}
		for _, x := range j.Violations {
			if v.Document.Term(x.Term) == nil {
				return "", ledger.Invalid(field+".violations", "agreement %s version %d has no term %q", v.ID, v.Version, x.Term)
			}
			ref := incident.TermRef{Agreement: j.Agreement, Term: x.Term}
			if !slices.Contains(terms, ref) {
				terms = append(terms, ref)
			}
		}
	}
	if err := tx.PutViolations(inc.ID, terms); err != nil {
		return "", err
	}
	return inc.ID, tx.PutIncident(inc)
}

// changeInstrument folds a suspension, resumption or termination.
func changeInstrument(tx Tx, s *ledger.Signed, by agreement.Actor) (string, error) {
	p, err := decode[agreement.ChangeStatus](s)
	if err != nil {
		return "", err
	}
	versions, err := allVersions(tx, p.Agreement)
	if err != nil {
		return "", err
	}
	inst, err := tx.Instrument(p.Agreement)
	if err != nil {
		return "", err
	}
	kind := map[string]string{agreement.TypeSuspend: agreement.Suspended, agreement.TypeResume: agreement.Resumed,
		agreement.TypeTerminate: agreement.Terminated}[s.Statement.Type]
	inst, err = agreement.ChangeInstrument(inst, versions, by, kind, p, s.Seq, s.Statement.Time)
	if err != nil {
		return "", ledger.Within("payload", err)
	}
	return inst.ID, tx.PutInstrument(inst)
}

// allVersions reads every version of an agreement, oldest first.
func allVersions(tx Tx, id string) ([]*agreement.Version, error) {
	latest, err := tx.Agreement(id, 0)
	if err != nil || latest == nil {
		return nil, err
	}
	out := make([]*agreement.Version, latest.Version)
	out[latest.Version-1] = latest
	for n := latest.Version - 1; n >= 1; n-- {
		if out[n-1], err = tx.Agreement(id, n); err != nil {
			return nil, err
		}
		if out[n-1] == nil {
			return nil, fmt.Errorf("agreement %s has no version %d", id, n)
		}
	}
	return out, nil
}
