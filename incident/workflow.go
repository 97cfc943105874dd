package incident

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"truce/geo"
	"truce/ledger"
	"truce/party"
)

// Status is where an incident stands in verification.
type Status string

const (
	Reported      Status = "reported"
	Triaged       Status = "triaged"
	Assigned      Status = "assigned"
	Investigating Status = "investigating"
	Found         Status = "finding" // a finding is recorded, not yet published
	Published     Status = "published"
)

// Statuses lists the workflow in order.
var Statuses = []Status{Reported, Triaged, Assigned, Investigating, Found, Published}

// Outcome is the verdict of a finding.
type Outcome string

// Outcomes lists the verdicts a finding can reach.
var Outcomes = []Outcome{"not_incident", "no_violation", "minor_violation", "serious_violation", "inconclusive"}

// Priority orders the verification queue.
type Priority string

// Priorities lists them from least to most urgent.
var Priorities = []Priority{"low", "normal", "high", "urgent"}

// Statement types of this package.
const (
	TypeReport      = "incident.report"
	TypeEvidence    = "incident.evidence"
	TypeLink        = "incident.link"
	TypeTriage      = "incident.triage"
	TypeAssign      = "incident.assign"
	TypeInvestigate = "incident.investigate"
	TypeFinding     = "incident.finding"
	TypePublish     = "incident.publish"
	TypeRespond     = "incident.respond"
)

// Payloads of the workflow statements. Each names its incident.
type (
	Triage struct {
		Incident string   `json:"incident"`
		Priority Priority `json:"priority"`
		Note     string   `json:"note,omitempty"`
	}
	Assign struct {
		Incident string   `json:"incident"`
		Monitors []string `json:"monitors"`
		Note     string   `json:"note,omitempty"`
	}
	Investigate struct {
		Incident string `json:"incident"`
		Note     string `json:"note,omitempty"`
	}
	Finding struct {
		Incident    string   `json:"incident"`
		Outcome     Outcome  `json:"outcome"`
		Attribution string   `json:"attribution"` // party ID, "unknown" or "none"
		Summary     Text     `json:"summary"`
		Evidence    []string `json:"evidence,omitempty"` // SHA-256 of evidence on the incident
	}
	Publish struct {
		Incident string `json:"incident"`
		Note     string `json:"note,omitempty"`
	}
	Respond struct {
		Incident string   `json:"incident"`
		Text     Text     `json:"text"`
		Evidence []string `json:"evidence,omitempty"`
	}
	AddEvidence struct {
		Incident string   `json:"incident"`
		Evidence Evidence `json:"evidence"`
		// Restricted keeps the file, until publication, to the parties
		// named on the incident, its assigned monitors and the centre's
		// coordinators; every read of it is recorded (package seat).
		Restricted bool `json:"restricted,omitempty"`
	}
	Link struct {
		Incident string `json:"incident"`
		With     string `json:"with"`
		Note     string `json:"note,omitempty"`
	}
)

// Subject is implemented by every workflow payload.
type Subject interface{ Target() string }

func (p Triage) Target() string      { return p.Incident }
func (p Assign) Target() string      { return p.Incident }
func (p Investigate) Target() string { return p.Incident }
func (p Finding) Target() string     { return p.Incident }
func (p Publish) Target() string     { return p.Incident }
func (p Respond) Target() string     { return p.Incident }
func (p AddEvidence) Target() string { return p.Incident }
func (p Link) Target() string        { return p.Incident }

// Step is a recorded workflow step in an incident's projection.
type Step struct {
	Seq    uint64    `json:"seq"`
	Type   string    `json:"type"`
	Author string    `json:"author"`
	Party  string    `json:"party"`
	At     time.Time `json:"at"`
}

// RecordedFinding is a finding as it stands on the incident.
type RecordedFinding struct {
	Finding
	By  string    `json:"by"`
	At  time.Time `json:"at"`
	Seq uint64    `json:"seq"`
}

// Response is an accused party's answer.
type Response struct {
	Respond
	By    string    `json:"by"`
	Party string    `json:"party"`
	At    time.Time `json:"at"`
	Seq   uint64    `json:"seq"`
}

// Incident is the projection of an incident: its report and everything said
// about it since.
type Incident struct {
	ID         string           `json:"id"`
	Seq        uint64           `json:"seq"` // ledger index of the report
	Event      string           `json:"event"`
	Party      string           `json:"party"`    // reporting party
	Reporter   string           `json:"reporter"` // reporting member
	ReportedAt time.Time        `json:"reported_at"`
	Report     Report           `json:"report"`
	From       time.Time        `json:"observed_from"`
	Until      time.Time        `json:"observed_until"`
	BBox       geo.BBox         `json:"bbox"`
	Status     Status           `json:"status"`
	Priority   Priority         `json:"priority,omitempty"`
	Monitors   []string         `json:"monitors,omitempty"`
	Evidence   []Evidence       `json:"evidence,omitempty"`
	Finding    *RecordedFinding `json:"finding,omitempty"`
	Responses  []Response       `json:"responses,omitempty"`
	Linked     []string         `json:"linked,omitempty"` // other reports of the same event
	Evaluation *Evaluation      `json:"evaluation,omitempty"`
	// Mechanism lists the parties' records that they used the hotline
	// before responding.
	Mechanism []MechanismUse `json:"mechanism,omitempty"`
	Steps     []Step         `json:"steps"`
	Updated   time.Time      `json:"updated"`
}

// IDFor is the identifier of the incident reported at ledger index seq.
func IDFor(seq uint64) string { return "inc-" + strconv.FormatUint(seq, 10) }

// SeqOf parses an incident ID back to its report's ledger index.
func SeqOf(id string) (uint64, bool) {
	s, ok := strings.CutPrefix(id, "inc-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && IDFor(n) == id
}

// Actor is the author of a statement as the workflow sees it: the member and
// the kind of party they belong to.
type Actor struct {
	*party.Member
	Kind party.Kind
}

func (a Actor) can(r party.Role) bool { return !a.Revoked && a.Has(r) }

// New folds an incident.report statement. alleged is the alleged actor's
// party, nil when unknown.
func New(seq uint64, at time.Time, by Actor, r Report, alleged *party.Party) (*Incident, error) {
	if !by.can(party.Representative) && !by.can(party.MonitorRole) && !by.can(party.Coordinator) {
		return nil, ledger.Forbidden("%s may not report incidents: it needs the representative, monitor or coordinator role", by.ID)
	}
	from, until, box, err := r.Validate()
	if err != nil {
		return nil, err
	}
	if from.After(at.Add(time.Hour)) {
		return nil, ledger.Invalid("observed_at", "is in the future of the report (%s)", at.Format(time.RFC3339))
	}
	if r.AllegedActor != "" && alleged == nil {
		return nil, ledger.Invalid("alleged_actor", "no party %q", r.AllegedActor)
	}
	id := IDFor(seq)
	inc := &Incident{ID: id, Seq: seq, Event: id, Party: by.Party, Reporter: by.ID, ReportedAt: at,
		Report: r, From: from, Until: until, BBox: box, Status: Reported, Evidence: slices.Clone(r.Evidence), Updated: at}
	inc.Report.Evidence = nil
	inc.Steps = []Step{{Seq: seq, Type: TypeReport, Author: by.ID, Party: by.Party, At: at}}
	return inc, nil
}

func (inc *Incident) step(seq uint64, typ string, by Actor, at time.Time) {
	inc.Steps = append(inc.Steps, Step{Seq: seq, Type: typ, Author: by.ID, Party: by.Party, At: at})
	inc.Updated = at
}

func (inc *Incident) transition(to Status, from ...Status) error {
	if !slices.Contains(from, inc.Status) {
		return ledger.Conflict("incident %s is %s; %s needs it to be %s", inc.ID, inc.Status, to, list(from))
	}
	inc.Status = to
	return nil
}

func note(s string) error {
	if len(s) > maxText {
		return ledger.Invalid("note", "at most %d bytes", maxText)
	}
	return ledger.CheckText("note", s)
}

// Triage moves a reported incident into the queue with a priority.
func (inc *Incident) Triage(seq uint64, at time.Time, by Actor, p Triage) error {
	if !by.can(party.Coordinator) && !by.can(party.MonitorRole) {
		return ledger.Forbidden("%s may not triage: it needs the coordinator or monitor role", by.ID)
	}
	if by.Kind == party.Belligerent {
		return ledger.Forbidden("members of a belligerent party do not triage")
	}
	if !slices.Contains(Priorities, p.Priority) {
		return ledger.Invalid("priority", "unknown priority %q; one of %s", p.Priority, list(Priorities))
	}
	if err := note(p.Note); err != nil {
		return err
	}
	if err := inc.transition(Triaged, Reported); err != nil {
		return err
	}
	inc.Priority = p.Priority
	inc.step(seq, TypeTriage, by, at)
	return nil
}

// Eligible says whether m may be assigned to investigate: a monitor of a
// monitor country or of the centre, never of a belligerent or mediator.
func Eligible(m *party.Member, kind party.Kind) error {
	if m.Revoked || !m.Has(party.MonitorRole) {
		return fmt.Errorf("%s does not hold the monitor role", m.ID)
	}
	if kind != party.Monitor && kind != party.Centre {
		return fmt.Errorf("%s belongs to a %s party; monitors come from monitor countries", m.ID, kind)
	}
	return nil
}

// Assign gives the incident to monitors, who must already have been checked
// with Eligible. Assigning more monitors later adds to the team.
func (inc *Incident) Assign(seq uint64, at time.Time, by Actor, p Assign) error {
	if !by.can(party.Coordinator) || by.Kind == party.Belligerent {
		return ledger.Forbidden("%s may not assign monitors: it needs the coordinator role in a non-belligerent party", by.ID)
	}
	if len(p.Monitors) == 0 || len(p.Monitors) > 20 {
		return ledger.Invalid("monitors", "name between 1 and 20 monitors")
	}
	if err := note(p.Note); err != nil {
		return err
	}
	to := Assigned
	if inc.Status == Investigating {
		to = Investigating
	}
	if err := inc.transition(to, Triaged, Assigned, Investigating); err != nil {
		return err
	}
	for _, m := range p.Monitors {
		if !slices.Contains(inc.Monitors, m) {
			inc.Monitors = append(inc.Monitors, m)
		}
	}
	inc.step(seq, TypeAssign, by, at)
	return nil
}

func (inc *Incident) assigned(by Actor, what string) error {
	if !by.can(party.MonitorRole) || !slices.Contains(inc.Monitors, by.ID) {
		return ledger.Forbidden("only a monitor assigned to %s may %s", inc.ID, what)
	}
	return nil
}

// Investigate records that an assigned monitor has started work.
func (inc *Incident) Investigate(seq uint64, at time.Time, by Actor, p Investigate) error {
	if err := inc.assigned(by, "start the investigation"); err != nil {
		return err
	}
	if err := note(p.Note); err != nil {
		return err
	}
	if err := inc.transition(Investigating, Assigned); err != nil {
		return err
	}
	inc.step(seq, TypeInvestigate, by, at)
	return nil
}

// RecordFinding records an assigned monitor's verdict. attributed is the
// party named by the attribution, nil for "unknown" and "none".
func (inc *Incident) RecordFinding(seq uint64, at time.Time, by Actor, p Finding, attributed *party.Party) error {
	if err := inc.assigned(by, "record a finding"); err != nil {
		return err
	}
	if !slices.Contains(Outcomes, p.Outcome) {
		return ledger.Invalid("outcome", "unknown outcome %q; one of %s", p.Outcome, list(Outcomes))
	}
	if p.Attribution != "unknown" && p.Attribution != "none" && attributed == nil {
		return ledger.Invalid("attribution", "must be a party ID, \"unknown\" or \"none\"; no party %q", p.Attribution)
	}
	if err := p.Summary.Validate(true); err != nil {
		return ledger.Within("summary", err)
	}
	if err := inc.hasEvidence(p.Evidence); err != nil {
		return err
	}
	if err := inc.transition(Found, Investigating); err != nil {
		return err
	}
	inc.Finding = &RecordedFinding{Finding: p, By: by.ID, At: at, Seq: seq}
	inc.Finding.Incident = inc.ID // the record names its incident, as the statement did
	inc.step(seq, TypeFinding, by, at)
	return nil
}

func (inc *Incident) hasEvidence(refs []string) error {
	for i, h := range refs {
		if !slices.ContainsFunc(inc.Evidence, func(e Evidence) bool { return e.SHA256 == h }) {
			return ledger.Invalid(fmt.Sprintf("evidence[%d]", i), "%q is not evidence on %s; attach it first", h, inc.ID)
		}
	}
	return nil
}

// Publish makes the finding public.
func (inc *Incident) Publish(seq uint64, at time.Time, by Actor, p Publish) error {
	if !by.can(party.Coordinator) || by.Kind == party.Belligerent {
		return ledger.Forbidden("%s may not publish: it needs the coordinator role in a non-belligerent party", by.ID)
	}
	if err := note(p.Note); err != nil {
		return err
	}
	if err := inc.transition(Published, Found); err != nil {
		return err
	}
	inc.step(seq, TypePublish, by, at)
	return nil
}

// AddResponse attaches the accused party's answer, at any stage.
func (inc *Incident) AddResponse(seq uint64, at time.Time, by Actor, p Respond) error {
	accused := inc.Report.AllegedActor
	if inc.Finding != nil && inc.Finding.Attribution != "unknown" && inc.Finding.Attribution != "none" {
		if by.Party == inc.Finding.Attribution {
			accused = by.Party
		}
	}
	if !by.can(party.Representative) || accused == "" || by.Party != accused {
		return ledger.Forbidden("only a representative of the accused party may respond to %s", inc.ID)
	}
	if err := p.Text.Validate(true); err != nil {
		return ledger.Within("text", err)
	}
	if err := inc.hasEvidence(p.Evidence); err != nil {
		return err
	}
	r := Response{Respond: p, By: by.ID, Party: by.Party, At: at, Seq: seq}
	r.Incident = inc.ID
	inc.Responses = append(inc.Responses, r)
	inc.step(seq, TypeRespond, by, at)
	return nil
}

// Attach adds an evidence file's metadata. The reporting party, the accused
// party, assigned monitors and coordinators may attach evidence.
func (inc *Incident) Attach(seq uint64, at time.Time, by Actor, p AddEvidence) error {
	ok := (by.Party == inc.Party && (by.can(party.Representative) || by.can(party.MonitorRole))) ||
		(by.Party == inc.Report.AllegedActor && by.can(party.Representative)) ||
		(by.can(party.MonitorRole) && slices.Contains(inc.Monitors, by.ID)) ||
		(by.can(party.Coordinator) && by.Kind != party.Belligerent)
	if !ok {
		return ledger.Forbidden("%s may not attach evidence to %s", by.ID, inc.ID)
	}
	if inc.Status == Published {
		return ledger.Conflict("incident %s is published; its evidence is closed", inc.ID)
	}
	if err := p.Evidence.Validate(); err != nil {
		return ledger.Within("evidence", err)
	}
	if slices.ContainsFunc(inc.Evidence, func(e Evidence) bool { return e.SHA256 == p.Evidence.SHA256 }) {
		return ledger.Conflict("evidence %s is already attached to %s", p.Evidence.SHA256, inc.ID)
	}
	inc.Evidence = append(inc.Evidence, p.Evidence)
	inc.step(seq, TypeEvidence, by, at)
	return nil
}

// CanLink says whether by may declare two reports one event.
func CanLink(by Actor) error {
	if (by.can(party.Coordinator) || by.can(party.MonitorRole)) && by.Kind != party.Belligerent {
		return nil
	}
	return ledger.Forbidden("%s may not link reports: it needs the coordinator or monitor role in a non-belligerent party", by.ID)
}

// Linked records on inc that it is one event with other, now in event.
func (inc *Incident) LinkTo(seq uint64, at time.Time, by Actor, other, event string) {
	if !slices.Contains(inc.Linked, other) {
		inc.Linked = append(inc.Linked, other)
	}
	inc.Event = event
	inc.step(seq, TypeLink, by, at)
}

// MechanismUse is a party's record, on an incident, that it used the
// coordination mechanism (a hotline thread) before responding.
type MechanismUse struct {
	Thread string    `json:"thread"`
	Party  string    `json:"party"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Seq    uint64    `json:"seq"`
	Note   string    `json:"note,omitempty"`
}

// UsedMechanism records u (already checked against its thread) as the
// statement typ.
func (inc *Incident) UsedMechanism(seq uint64, at time.Time, by Actor, typ string, u MechanismUse) error {
	if slices.ContainsFunc(inc.Mechanism, func(o MechanismUse) bool { return o.Thread == u.Thread && o.Party == by.Party }) {
		return ledger.Conflict("%s already recorded on %s that it used thread %s", by.Party, inc.ID, u.Thread)
	}
	u.Party, u.By, u.At, u.Seq = by.Party, by.ID, at, seq
	inc.Mechanism = append(inc.Mechanism, u)
	inc.step(seq, typ, by, at)
	return nil
}
