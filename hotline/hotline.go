// Package hotline holds the coordination mechanism: threads of signed
// messages between a party and the centre, each message with an
// acknowledgement deadline set by the thread's kind. Every step is a ledger
// statement; this package decides which steps are legal and folds them into
// the thread. Deadlines are recorded on each message; whether one is missed
// is computed when the thread is read (Annotate); when a deadline passes
// with the message unacknowledged, the centre's job queue appends a
// hotline.escalate statement, which the fold records on the message.
package hotline

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"truce/geo"
	"truce/incident"
	"truce/ledger"
	"truce/party"
)

// Statement types of this package.
const (
	TypeOpen    = "hotline.open"
	TypeMessage = "hotline.message"
	TypeAck     = "hotline.ack"
	TypeLink    = "hotline.link"
	TypeResolve = "hotline.resolve"
	// TypeUsed records on an incident that a party used the mechanism
	// before responding (the July 2020 measures' rule).
	TypeUsed = "hotline.used"
	// TypeEscalate records that a message's acknowledgement deadline passed
	// unacknowledged: the centre's coordinators are told (made by the
	// centre when the deadline job fires).
	TypeEscalate = "hotline.escalate"
)

// Kind is what a thread is about; it sets the acknowledgement deadline.
type Kind string

const (
	Violation Kind = "violation" // a possible violation: answer before anyone returns fire
	Repair    Kind = "repair"    // a repair crew or its window of silence
	Movement  Kind = "movement"  // a restriction of monitors' movement
	Other     Kind = "other"
)

// Kinds lists the thread kinds.
var Kinds = []Kind{Violation, Repair, Movement, Other}

// DefaultAck is each kind's acknowledgement deadline when the opening
// statement sets none.
var DefaultAck = map[Kind]time.Duration{
	Violation: 15 * time.Minute,
	Repair:    time.Hour,
	Movement:  30 * time.Minute,
	Other:     4 * time.Hour,
}

// Bounds of a deadline set in the opening statement.
const (
	MinAck = time.Minute
	MaxAck = 72 * time.Hour
)

// Status is where a thread stands.
type Status string

const (
	Open     Status = "open"
	Resolved Status = "resolved"
)

// Statuses lists them.
var Statuses = []Status{Open, Resolved}

// CentreSide is the addressee of a message to the centre.
const CentreSide = party.CentreID

// MaxText bounds a message, MaxSubject a thread's subject.
const (
	MaxText     = 8000
	MaxSubject  = 200
	MaxEvidence = 20
)

// Place is where a message or a restriction is about: a GeoJSON point and
// its name.
type Place struct {
	Geometry geo.Geometry `json:"geometry"`
	Name     string       `json:"name,omitempty"`
}

// Validate checks p: a valid point and a one-line name.
func (p Place) Validate() error {
	if p.Geometry.Type != "Point" {
		return ledger.Invalid("geometry.type", "must be \"Point\"")
	}
	if _, err := p.Geometry.Validate(); err != nil {
		return ledger.Within("geometry", err)
	}
	if len(p.Name) > 300 {
		return ledger.Invalid("name", "at most 300 bytes")
	}
	return ledger.CheckLabel("name", p.Name)
}

// Body is what a message says: text, evidence files (uploaded first and
// named by SHA-256, as on incidents) and an optional place.
type Body struct {
	Text     incident.Text       `json:"text"`
	Evidence []incident.Evidence `json:"evidence,omitempty"`
	Place    *Place              `json:"place,omitempty"`
}

// Validate checks b.
func (b Body) Validate() error {
	if err := b.Text.Validate(true); err != nil {
		return ledger.Within("text", err)
	}
	if len(b.Text.Text) > MaxText {
		return ledger.Invalid("text.text", "at most %d bytes", MaxText)
	}
	if len(b.Evidence) > MaxEvidence {
		return ledger.Invalid("evidence", "at most %d files", MaxEvidence)
	}
	for i, e := range b.Evidence {
		if err := e.Validate(); err != nil {
			return ledger.Within(fmt.Sprintf("evidence[%d]", i), err)
		}
		if slices.IndexFunc(b.Evidence, func(o incident.Evidence) bool { return o.SHA256 == e.SHA256 }) != i {
			return ledger.Invalid(fmt.Sprintf("evidence[%d].sha256", i), "the same file twice")
		}
	}
	if b.Place != nil {
		if err := b.Place.Validate(); err != nil {
			return ledger.Within("place", err)
		}
	}
	return nil
}

// Payloads of the statements.
type (
	// OpenThread is the payload of hotline.open: the thread and its first
	// message. To is "centre" when a party opens it, or the party the
	// centre addresses.
	OpenThread struct {
		Kind    Kind   `json:"kind"`
		To      string `json:"to"`
		Subject string `json:"subject"`
		// AckWithin, in seconds, overrides the kind's deadline within
		// [MinAck, MaxAck]; 0 keeps the default.
		AckWithin int64    `json:"ack_within_s,omitempty"`
		Incidents []string `json:"incidents,omitempty"`
		Body
	}
	// Say is the payload of hotline.message.
	Say struct {
		Thread string `json:"thread"`
		Body
	}
	// Ack is the payload of hotline.ack: the addressee has the message.
	Ack struct {
		Thread  string `json:"thread"`
		Message int    `json:"message"` // its number in the thread, from 1
	}
	// Link is the payload of hotline.link.
	Link struct {
		Thread   string `json:"thread"`
		Incident string `json:"incident"`
	}
	// Resolve is the payload of hotline.resolve: the thread closes.
	Resolve struct {
		Thread string        `json:"thread"`
		Note   incident.Text `json:"note,omitzero"`
	}
	// Escalate is the payload of hotline.escalate: message Message of
	// Thread was not acknowledged by its deadline Due.
	Escalate struct {
		Thread  string    `json:"thread"`
		Message int       `json:"message"`
		Due     time.Time `json:"due"`
	}
	// Used is the payload of hotline.used: on the incident, the party says
	// it used the mechanism (the thread) before responding.
	Used struct {
		Incident string `json:"incident"`
		Thread   string `json:"thread"`
		Note     string `json:"note,omitempty"`
	}
)

// Validate checks the opening payload on its own and returns the deadline.
func (o OpenThread) Validate() (time.Duration, error) {
	if !slices.Contains(Kinds, o.Kind) {
		return 0, ledger.Invalid("kind", "unknown thread kind %q; one of %s", o.Kind, list(Kinds))
	}
	if !ledger.IDPattern.MatchString(o.To) {
		return 0, ledger.Invalid("to", "must be %q or a party ID", CentreSide)
	}
	if strings.TrimSpace(o.Subject) == "" || len(o.Subject) > MaxSubject {
		return 0, ledger.Invalid("subject", "is required, at most %d bytes", MaxSubject)
	}
	if err := ledger.CheckLabel("subject", o.Subject); err != nil {
		return 0, err
	}
	ack := DefaultAck[o.Kind]
	if o.AckWithin != 0 {
		ack = time.Duration(o.AckWithin) * time.Second
		if o.AckWithin < 0 || ack < MinAck || ack > MaxAck {
			return 0, ledger.Invalid("ack_within_s", "must be between %d and %d seconds", int64(MinAck/time.Second), int64(MaxAck/time.Second))
		}
	}
	if len(o.Incidents) > 20 {
		return 0, ledger.Invalid("incidents", "at most 20")
	}
	for i, id := range o.Incidents {
		if _, ok := incident.SeqOf(id); !ok {
			return 0, ledger.Invalid(fmt.Sprintf("incidents[%d]", i), "%q is not an incident ID", id)
		}
		if slices.Index(o.Incidents, id) != i {
			return 0, ledger.Invalid(fmt.Sprintf("incidents[%d]", i), "%s named twice", id)
		}
	}
	return ack, o.Body.Validate()
}

// Message is one message as it stands in a thread.
type Message struct {
	N     int       `json:"n"`
	Seq   uint64    `json:"seq"`
	By    string    `json:"by"`
	Party string    `json:"party"`
	To    string    `json:"to"` // "centre" or the thread's party
	At    time.Time `json:"at"`
	Due   time.Time `json:"due"`
	Body
	Ack *Acknowledgement `json:"ack,omitempty"`
	// Escalated is set when the deadline passed unacknowledged and the
	// centre escalated the message to its coordinators (hotline.escalate).
	Escalated *Escalation `json:"escalated,omitempty"`
	// Overdue and Late are computed when read (Annotate), never stored:
	// Overdue, not acknowledged and past its deadline; Late, acknowledged
	// after it.
	Overdue bool `json:"overdue,omitempty"`
	Late    bool `json:"late,omitempty"`
}

// Acknowledgement is a signed receipt of a message.
type Acknowledgement struct {
	By    string    `json:"by"`
	Party string    `json:"party"`
	At    time.Time `json:"at"`
	Seq   uint64    `json:"seq"`
}

// Escalation is the record of a missed deadline escalated to the
// centre's coordinators.
type Escalation struct {
	By  string    `json:"by"`
	At  time.Time `json:"at"`
	Seq uint64    `json:"seq"`
}

// Resolution closes a thread.
type Resolution struct {
	By    string        `json:"by"`
	Party string        `json:"party"`
	At    time.Time     `json:"at"`
	Seq   uint64        `json:"seq"`
	Note  incident.Text `json:"note,omitzero"`
}

// Step is a recorded statement about a thread.
type Step struct {
	Seq    uint64    `json:"seq"`
	Type   string    `json:"type"`
	Author string    `json:"author"`
	Party  string    `json:"party"`
	At     time.Time `json:"at"`
}

// Thread is the projection of a hotline thread.
type Thread struct {
	ID      string `json:"id"`
	Seq     uint64 `json:"seq"`
	Kind    Kind   `json:"kind"`
	Subject string `json:"subject"`
	// Party is the party on the far side of the centre; OpenedBy is that
	// party or "centre".
	Party      string      `json:"party"`
	OpenedBy   string      `json:"opened_by"`
	AckWithin  int64       `json:"ack_within_s"`
	Opened     time.Time   `json:"opened"`
	Status     Status      `json:"status"`
	Messages   []Message   `json:"messages"`
	Incidents  []string    `json:"incidents,omitempty"`
	Resolution *Resolution `json:"resolution,omitempty"`
	Steps      []Step      `json:"steps"`
	Updated    time.Time   `json:"updated"`
	// Overdue counts the messages past their deadline, computed when read.
	Overdue int `json:"overdue,omitempty"`
	// NextDue is the earliest deadline of an unacknowledged message, computed when read.
	NextDue *time.Time `json:"next_due,omitempty"`
}

// IDFor is the identifier of the thread opened at ledger index seq.
func IDFor(seq uint64) string { return "hl-" + strconv.FormatUint(seq, 10) }

// SeqOf parses a thread ID back to its opening statement's ledger index.
func SeqOf(id string) (uint64, bool) {
	s, ok := strings.CutPrefix(id, "hl-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && IDFor(n) == id
}

// Actor is a statement's author as the hotline sees it.
type Actor struct {
	*party.Member
	Kind party.Kind
}

func (a Actor) can(r party.Role) bool { return !a.Revoked && a.Has(r) }

// CentreStaff says whether a speaks for the centre on the hotline: a
// coordinator or monitor of a party that is not a belligerent.
func CentreStaff(a Actor) bool {
	return (a.can(party.Coordinator) || a.can(party.MonitorRole)) && a.Kind != party.Belligerent
}

// side names the side a speaks for in th: th.Party, "centre", or "" when
// a may not speak in it. A member of th's party speaks for it, even if it
// could otherwise speak for the centre.
func (th *Thread) side(a Actor) string {
	switch {
	case a.Revoked:
		return ""
	case a.Party == th.Party:
		if a.can(party.Representative) || a.can(party.Coordinator) {
			return th.Party
		}
		return ""
	case CentreStaff(a):
		return CentreSide
	}
	return ""
}

// CanRead says whether a member of a party of kind kind may read th: the
// thread's party and the centre's staff.
func (th *Thread) CanRead(m *party.Member, kind party.Kind) bool {
	if m == nil || m.Revoked {
		return false
	}
	return m.Party == th.Party || CentreStaff(Actor{Member: m, Kind: kind})
}

// New folds hotline.open. to is the addressed party when the centre opens
// the thread (nil when a party opens it to the centre).
func New(seq uint64, at time.Time, by Actor, p OpenThread, to *party.Party) (*Thread, error) {
	ack, err := p.Validate()
	if err != nil {
		return nil, err
	}
	th := &Thread{ID: IDFor(seq), Seq: seq, Kind: p.Kind, Subject: p.Subject, AckWithin: int64(ack / time.Second),
		Opened: at, Status: Open, Incidents: slices.Clone(p.Incidents), Updated: at}
	if p.To == CentreSide {
		if !by.can(party.Representative) || by.Kind == party.Centre {
			return nil, ledger.Forbidden("%s may not open a thread to the centre: it needs the representative role in a party", by.ID)
		}
		th.Party, th.OpenedBy = by.Party, by.Party
	} else {
		if !CentreStaff(by) {
			return nil, ledger.Forbidden("%s may not open a thread for the centre: it needs the coordinator or monitor role in a party that is not a belligerent", by.ID)
		}
		if to == nil {
			return nil, ledger.Invalid("to", "no party %q", p.To)
		}
		if to.Kind == party.Centre || to.ID == by.Party {
			return nil, ledger.Invalid("to", "a thread is between the centre and another party; %q is the centre's own side", p.To)
		}
		th.Party, th.OpenedBy = to.ID, CentreSide
	}
	th.add(seq, at, by, th.OpenedBy, p.Body)
	th.step(seq, TypeOpen, by, at)
	return th, nil
}

func (th *Thread) add(seq uint64, at time.Time, by Actor, side string, b Body) {
	to := CentreSide
	if side == CentreSide {
		to = th.Party
	}
	th.Messages = append(th.Messages, Message{N: len(th.Messages) + 1, Seq: seq, By: by.ID, Party: by.Party, To: to, At: at,
		Due: at.Add(time.Duration(th.AckWithin) * time.Second), Body: b})
}

func (th *Thread) step(seq uint64, typ string, by Actor, at time.Time) {
	th.Steps = append(th.Steps, Step{Seq: seq, Type: typ, Author: by.ID, Party: by.Party, At: at})
	th.Updated = at
}

func (th *Thread) open() error {
	if th.Status != Open {
		return ledger.Conflict("thread %s is %s", th.ID, th.Status)
	}
	return nil
}

// Post adds a message.
func (th *Thread) Post(seq uint64, at time.Time, by Actor, p Say) error {
	side := th.side(by)
	if side == "" {
		return ledger.Forbidden("%s may not write in thread %s", by.ID, th.ID)
	}
	if err := p.Body.Validate(); err != nil {
		return err
	}
	if err := th.open(); err != nil {
		return err
	}
	th.add(seq, at, by, side, p.Body)
	th.step(seq, TypeMessage, by, at)
	return nil
}

// Acknowledge records that the addressee has message p.Message.
func (th *Thread) Acknowledge(seq uint64, at time.Time, by Actor, p Ack) error {
	if p.Message < 1 || p.Message > len(th.Messages) {
		return ledger.Invalid("message", "thread %s has messages 1 to %d", th.ID, len(th.Messages))
	}
	m := &th.Messages[p.Message-1]
	if side := th.side(by); side != m.To {
		return ledger.Forbidden("message %d of %s is addressed to %s; %s may not acknowledge it", m.N, th.ID, m.To, by.ID)
	}
	if err := th.open(); err != nil {
		return err
	}
	if m.Ack != nil {
		return ledger.Conflict("message %d of %s was acknowledged by %s at %s", m.N, th.ID, m.Ack.By, m.Ack.At.Format(time.RFC3339))
	}
	m.Ack = &Acknowledgement{By: by.ID, Party: by.Party, At: at, Seq: seq}
	th.step(seq, TypeAck, by, at)
	return nil
}

// LinkIncident links th to an incident that exists.
func (th *Thread) LinkIncident(seq uint64, at time.Time, by Actor, id string) error {
	if th.side(by) == "" {
		return ledger.Forbidden("%s may not link thread %s", by.ID, th.ID)
	}
	if slices.Contains(th.Incidents, id) {
		return ledger.Conflict("thread %s is already linked to %s", th.ID, id)
	}
	if len(th.Incidents) >= 100 {
		return ledger.Conflict("thread %s is linked to 100 incidents already", th.ID)
	}
	th.Incidents = append(th.Incidents, id)
	th.step(seq, TypeLink, by, at)
	return nil
}

// Close resolves th.
func (th *Thread) Close(seq uint64, at time.Time, by Actor, p Resolve) error {
	side := th.side(by)
	if side == "" {
		return ledger.Forbidden("%s may not resolve thread %s", by.ID, th.ID)
	}
	if err := p.Note.Validate(false); err != nil {
		return ledger.Within("note", err)
	}
	if len(p.Note.Text) > MaxText {
		return ledger.Invalid("note.text", "at most %d bytes", MaxText)
	}
	if err := th.open(); err != nil {
		return err
	}
	th.Status = Resolved
	th.Resolution = &Resolution{By: by.ID, Party: by.Party, At: at, Seq: seq, Note: p.Note}
	th.step(seq, TypeResolve, by, at)
	return nil
}

// CheckUse checks a hotline.used statement against its thread: only the
// thread's party records that it used it, with a note of bounded length.
func (th *Thread) CheckUse(by Actor, p Used) error {
	if th.side(by) != th.Party {
		return ledger.Forbidden("only a representative of %s, the party of thread %s, may record that it used it", th.Party, th.ID)
	}
	if len(p.Note) > MaxText {
		return ledger.Invalid("note", "at most %d bytes", MaxText)
	}
	return ledger.CheckText("note", p.Note)
}

// Escalate records that message p.Message passed its deadline
// unacknowledged. Only the centre's coordinators make it (the centre
// does, when the deadline job fires), once per message, after the
// deadline, while the message is unacknowledged and the thread open: a
// job that runs twice is refused the second time (409).
func (th *Thread) Escalate(seq uint64, at time.Time, by Actor, p Escalate) error {
	if !party.CanAdminister(by.Member) {
		return ledger.Forbidden("only the centre's coordinators escalate a missed deadline; %s may not", by.ID)
	}
	if p.Message < 1 || p.Message > len(th.Messages) {
		return ledger.Invalid("message", "thread %s has messages 1 to %d", th.ID, len(th.Messages))
	}
	m := &th.Messages[p.Message-1]
	if !p.Due.Equal(m.Due) {
		return ledger.Invalid("due", "message %d of %s is due at %s", m.N, th.ID, m.Due.Format(time.RFC3339))
	}
	if err := th.open(); err != nil {
		return err
	}
	switch {
	case m.Escalated != nil:
		return ledger.Conflict("message %d of %s was escalated at %s", m.N, th.ID, m.Escalated.At.Format(time.RFC3339))
	case m.Ack != nil:
		return ledger.Conflict("message %d of %s was acknowledged at %s", m.N, th.ID, m.Ack.At.Format(time.RFC3339))
	case at.Before(m.Due):
		return ledger.Conflict("message %d of %s is due at %s, not yet", m.N, th.ID, m.Due.Format(time.RFC3339))
	}
	m.Escalated = &Escalation{By: by.ID, At: at, Seq: seq}
	th.step(seq, TypeEscalate, by, at)
	return nil
}

// Deadline is an acknowledgement still awaited. The centre's job queue
// arms one job per Deadline of every open thread at Due (and re-arms them
// from the threads on start); when it fires on a message still
// unacknowledged, the centre appends hotline.escalate, and the fold
// records it on the message.
type Deadline struct {
	Thread  string    `json:"thread"`
	Message int       `json:"message"`
	To      string    `json:"to"`
	Due     time.Time `json:"due"`
}

// Deadlines lists the acknowledgements th still awaits, earliest first;
// none once th is resolved.
func (th *Thread) Deadlines() []Deadline {
	var out []Deadline
	if th.Status != Open {
		return nil
	}
	for _, m := range th.Messages {
		if m.Ack == nil && m.Escalated == nil {
			out = append(out, Deadline{Thread: th.ID, Message: m.N, To: m.To, Due: m.Due})
		}
	}
	slices.SortStableFunc(out, func(a, b Deadline) int { return a.Due.Compare(b.Due) })
	return out
}

// Annotate returns a copy of th with the read-time fields set as of now:
// which messages are overdue or were acknowledged late, and the next
// deadline. A resolved thread's unacknowledged messages count as missed if
// their deadline passed before the resolution.
func (th *Thread) Annotate(now time.Time) *Thread {
	c := *th
	c.Messages = slices.Clone(th.Messages)
	c.Overdue, c.NextDue = 0, nil
	end := now
	if th.Resolution != nil && th.Resolution.At.Before(end) {
		end = th.Resolution.At
	}
	for i := range c.Messages {
		m := &c.Messages[i]
		m.Overdue, m.Late = false, false
		switch {
		case m.Ack != nil:
			m.Late = m.Ack.At.After(m.Due)
		case end.After(m.Due):
			m.Overdue = true
			c.Overdue++
		case th.Status == Open && (c.NextDue == nil || m.Due.Before(*c.NextDue)):
			due := m.Due
			c.NextDue = &due
		}
	}
	return &c
}

// Figures are one side's times on the hotline.
type Figures struct {
	Party string `json:"party"` // a party ID, or "centre" for the centre's side
	// Messages addressed to this side, how many it acknowledged, how many
	// late, and how many are overdue now.
	Messages     int `json:"messages"`
	Acknowledged int `json:"acknowledged"`
	Late         int `json:"late"`
	Overdue      int `json:"overdue"`
	// Escalated counts the messages whose missed deadline the centre
	// escalated (hotline.escalate).
	Escalated int `json:"escalated"`
	// Seconds from message to acknowledgement.
	AckMedianS *float64 `json:"ack_median_s,omitempty"`
	AckMaxS    *float64 `json:"ack_max_s,omitempty"`
	// Threads this side took part in, how many are resolved, and the
	// seconds from opening to resolution.
	Threads        int      `json:"threads"`
	Resolved       int      `json:"resolved"`
	ResolveMedianS *float64 `json:"resolve_median_s,omitempty"`
	ResolveMaxS    *float64 `json:"resolve_max_s,omitempty"`
}

// Measure computes the figures of every side in threads as of now, parties
// in ID order with the centre last.
func Measure(threads []*Thread, now time.Time) []Figures {
	type acc struct {
		f        Figures
		ack, res []float64
	}
	by := map[string]*acc{}
	get := func(side string) *acc {
		if by[side] == nil {
			by[side] = &acc{f: Figures{Party: side}}
		}
		return by[side]
	}
	for _, raw := range threads {
		th := raw.Annotate(now)
		for _, side := range []string{th.Party, CentreSide} {
			a := get(side)
			a.f.Threads++
			if th.Resolution != nil {
				a.f.Resolved++
				a.res = append(a.res, th.Resolution.At.Sub(th.Opened).Seconds())
			}
		}
		for _, m := range th.Messages {
			a := get(m.To)
			a.f.Messages++
			if m.Ack != nil {
				a.f.Acknowledged++
				a.ack = append(a.ack, m.Ack.At.Sub(m.At).Seconds())
			}
			if m.Late {
				a.f.Late++
			}
			if m.Overdue {
				a.f.Overdue++
			}
			if m.Escalated != nil {
				a.f.Escalated++
			}
		}
	}
	out := make([]Figures, 0, len(by))
	for _, a := range by {
		a.f.AckMedianS, a.f.AckMaxS = median(a.ack), maxOf(a.ack)
		a.f.ResolveMedianS, a.f.ResolveMaxS = median(a.res), maxOf(a.res)
		out = append(out, a.f)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Party == CentreSide) != (out[j].Party == CentreSide) {
			return out[j].Party == CentreSide
		}
		return out[i].Party < out[j].Party
	})
	return out
}

func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &m
}

func maxOf(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	m := slices.Max(xs)
	return &m
}

func list[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
