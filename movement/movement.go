// Package movement holds the freedom-of-movement register: restrictions on
// monitors' movement (denials of access, conditional access, delays, UAV
// jamming), who imposed them, where and for how long, and the hotline
// thread that resolved them. Each restriction is recorded and ended by
// signed statements of the centre's monitors or coordinators.
package movement

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"truce/hotline"
	"truce/incident"
	"truce/ledger"
	"truce/party"
)

// Statement types of this package.
const (
	TypeRecord = "restriction.record"
	TypeEnd    = "restriction.end"
)

// Subtype is the kind of restriction, after the OSCE SMM's categories.
type Subtype string

const (
	DenialOfAccess    Subtype = "denial_of_access"
	ConditionalAccess Subtype = "conditional_access"
	Delay             Subtype = "delay"
	UAVJamming        Subtype = "uav_jamming"
	OtherSubtype      Subtype = "other"
)

// Subtypes lists them in display order.
var Subtypes = []Subtype{DenialOfAccess, ConditionalAccess, Delay, UAVJamming, OtherSubtype}

// Status is whether a restriction still holds.
type Status string

const (
	Open  Status = "open"
	Ended Status = "ended"
)

// Statuses lists them.
var Statuses = []Status{Open, Ended}

// UnknownActor names an actor nobody could identify (a jammer, often).
const UnknownActor = "unknown"

// Record is the payload of restriction.record.
type Record struct {
	Subtype    Subtype       `json:"subtype"`
	Actor      string        `json:"actor"` // party ID, or "unknown"
	Checkpoint string        `json:"checkpoint,omitempty"`
	Place      hotline.Place `json:"place"`
	StartedAt  string        `json:"started_at"` // RFC 3339
	EndedAt    string        `json:"ended_at,omitempty"`
	Thread     string        `json:"thread,omitempty"`   // the hotline thread that resolved it
	Incident   string        `json:"incident,omitempty"` // the incident report of it, if any
	Note       incident.Text `json:"note,omitzero"`
}

// End is the payload of restriction.end.
type End struct {
	Restriction string        `json:"restriction"`
	EndedAt     string        `json:"ended_at"`
	Thread      string        `json:"thread,omitempty"`
	Note        incident.Text `json:"note,omitzero"`
}

// Restriction is the projection of a recorded restriction.
type Restriction struct {
	ID         string        `json:"id"`
	Seq        uint64        `json:"seq"`
	Subtype    Subtype       `json:"subtype"`
	Actor      string        `json:"actor"`
	Checkpoint string        `json:"checkpoint,omitempty"`
	Place      hotline.Place `json:"place"`
	Started    time.Time     `json:"started"`
	Ended      *time.Time    `json:"ended,omitempty"`
	Status     Status        `json:"status"`
	Thread     string        `json:"thread,omitempty"`
	Incident   string        `json:"incident,omitempty"`
	Note       incident.Text `json:"note,omitzero"`
	EndNote    incident.Text `json:"end_note,omitzero"`
	RecordedBy string        `json:"recorded_by"`
	Party      string        `json:"party"` // the recording member's party
	Recorded   time.Time     `json:"recorded"`
	EndedBy    string        `json:"ended_by,omitempty"`
	// ResolutionS is the time to resolution, start to end, in seconds.
	ResolutionS *int64    `json:"resolution_s,omitempty"`
	Steps       []Step    `json:"steps"`
	Updated     time.Time `json:"updated"`
	// OpenForS is how long an open restriction has held, computed when read.
	OpenForS *int64 `json:"open_for_s,omitempty"`
}

// Step is a recorded statement about a restriction.
type Step struct {
	Seq    uint64    `json:"seq"`
	Type   string    `json:"type"`
	Author string    `json:"author"`
	Party  string    `json:"party"`
	At     time.Time `json:"at"`
}

// IDFor is the identifier of the restriction recorded at ledger index seq.
func IDFor(seq uint64) string { return "rst-" + strconv.FormatUint(seq, 10) }

// SeqOf parses a restriction ID back to its ledger index.
func SeqOf(id string) (uint64, bool) {
	s, ok := strings.CutPrefix(id, "rst-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && IDFor(n) == id
}

// Actor is a statement's author as the register sees it.
type Actor = hotline.Actor

// CanRecord says whether a may record or end restrictions: the centre's
// monitors and coordinators (hotline.CentreStaff).
func CanRecord(a Actor) error {
	if hotline.CentreStaff(a) {
		return nil
	}
	return ledger.Forbidden("%s may not record movement restrictions: it needs the monitor or coordinator role in a party that is not a belligerent", a.ID)
}

// Validate checks r on its own and returns its start and end (zero when open).
func (r Record) Validate() (start, end time.Time, err error) {
	if !slices.Contains(Subtypes, r.Subtype) {
		return start, end, ledger.Invalid("subtype", "unknown subtype %q; one of %s", r.Subtype, list(Subtypes))
	}
	if r.Actor != UnknownActor && !ledger.IDPattern.MatchString(r.Actor) {
		return start, end, ledger.Invalid("actor", "must be a party ID or %q", UnknownActor)
	}
	if len(r.Checkpoint) > 200 {
		return start, end, ledger.Invalid("checkpoint", "at most 200 bytes")
	}
	if err = ledger.CheckLabel("checkpoint", r.Checkpoint); err != nil {
		return
	}
	if err = r.Place.Validate(); err != nil {
		return start, end, ledger.Within("place", err)
	}
	if start, err = parseTime("started_at", r.StartedAt); err != nil {
		return
	}
	if r.EndedAt != "" {
		if end, err = parseTime("ended_at", r.EndedAt); err != nil {
			return
		}
		if end.Before(start) {
			return start, end, ledger.Invalid("ended_at", "is before started_at")
		}
	}
	if r.Thread != "" {
		if _, ok := hotline.SeqOf(r.Thread); !ok {
			return start, end, ledger.Invalid("thread", "%q is not a hotline thread ID", r.Thread)
		}
	}
	if r.Incident != "" {
		if _, ok := incident.SeqOf(r.Incident); !ok {
			return start, end, ledger.Invalid("incident", "%q is not an incident ID", r.Incident)
		}
	}
	if err = r.Note.Validate(false); err != nil {
		return start, end, ledger.Within("note", err)
	}
	return start, end, nil
}

// New folds restriction.record; actor is the restricting party (nil when
// unknown), and the thread and incident, if named, have been found.
func New(seq uint64, at time.Time, by Actor, r Record, actor *party.Party) (*Restriction, error) {
	if err := CanRecord(by); err != nil {
		return nil, err
	}
	start, end, err := r.Validate()
	if err != nil {
		return nil, err
	}
	if r.Actor != UnknownActor && actor == nil {
		return nil, ledger.Invalid("actor", "no party %q", r.Actor)
	}
	if start.After(at.Add(time.Hour)) {
		return nil, ledger.Invalid("started_at", "is in the future of the record (%s)", at.Format(time.RFC3339))
	}
	if !end.IsZero() && end.After(at.Add(time.Hour)) {
		return nil, ledger.Invalid("ended_at", "is in the future of the record (%s)", at.Format(time.RFC3339))
	}
	rs := &Restriction{ID: IDFor(seq), Seq: seq, Subtype: r.Subtype, Actor: r.Actor, Checkpoint: r.Checkpoint, Place: r.Place,
		Started: start, Status: Open, Thread: r.Thread, Incident: r.Incident, Note: r.Note, RecordedBy: by.ID, Party: by.Party,
		Recorded: at, Updated: at}
	if !end.IsZero() {
		rs.end(end)
	}
	rs.Steps = []Step{{Seq: seq, Type: TypeRecord, Author: by.ID, Party: by.Party, At: at}}
	return rs, nil
}

func (rs *Restriction) end(t time.Time) {
	rs.Ended, rs.Status = &t, Ended
	d := int64(t.Sub(rs.Started) / time.Second)
	rs.ResolutionS = &d
}

// Finish folds restriction.end; the thread, if named, has been found.
func (rs *Restriction) Finish(seq uint64, at time.Time, by Actor, p End) error {
	if err := CanRecord(by); err != nil {
		return err
	}
	end, err := parseTime("ended_at", p.EndedAt)
	if err != nil {
		return err
	}
	if p.Thread != "" {
		if _, ok := hotline.SeqOf(p.Thread); !ok {
			return ledger.Invalid("thread", "%q is not a hotline thread ID", p.Thread)
		}
	}
	if err := p.Note.Validate(false); err != nil {
		return ledger.Within("note", err)
	}
	if rs.Status == Ended {
		return ledger.Conflict("restriction %s already ended at %s", rs.ID, rs.Ended.Format(time.RFC3339))
	}
	if end.Before(rs.Started) {
		return ledger.Invalid("ended_at", "is before the restriction started (%s)", rs.Started.Format(time.RFC3339))
	}
	if end.After(at.Add(time.Hour)) {
		return ledger.Invalid("ended_at", "is in the future of the statement (%s)", at.Format(time.RFC3339))
	}
	rs.end(end)
	if p.Thread != "" {
		rs.Thread = p.Thread
	}
	rs.EndNote, rs.EndedBy = p.Note, by.ID
	rs.Steps = append(rs.Steps, Step{Seq: seq, Type: TypeEnd, Author: by.ID, Party: by.Party, At: at})
	rs.Updated = at
	return nil
}

// Annotate returns a copy of rs with OpenForS set as of now.
func (rs *Restriction) Annotate(now time.Time) *Restriction {
	c := *rs
	c.OpenForS = nil
	if rs.Status == Open {
		d := max(0, int64(now.Sub(rs.Started)/time.Second))
		c.OpenForS = &d
	}
	return &c
}

// Counts are the register's tallies.
type Counts struct {
	Total     int                        `json:"total"`
	Open      int                        `json:"open"`
	BySubtype map[Subtype]int            `json:"by_subtype"`
	ByParty   map[string]map[Subtype]int `json:"by_party"` // actor → subtype → count
	// ResolutionMedianS is the median time to resolution of ended
	// restrictions, by actor.
	ResolutionMedianS map[string]int64 `json:"resolution_median_s,omitempty"`
}

// Count tallies rs.
func Count(rs []*Restriction) Counts {
	c := Counts{BySubtype: map[Subtype]int{}, ByParty: map[string]map[Subtype]int{}}
	res := map[string][]int64{}
	for _, r := range rs {
		c.Total++
		if r.Status == Open {
			c.Open++
		}
		c.BySubtype[r.Subtype]++
		if c.ByParty[r.Actor] == nil {
			c.ByParty[r.Actor] = map[Subtype]int{}
		}
		c.ByParty[r.Actor][r.Subtype]++
		if r.ResolutionS != nil {
			res[r.Actor] = append(res[r.Actor], *r.ResolutionS)
		}
	}
	for actor, xs := range res {
		if c.ResolutionMedianS == nil {
			c.ResolutionMedianS = map[string]int64{}
		}
		sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
		m := xs[len(xs)/2]
		if len(xs)%2 == 0 {
			m = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
		}
		c.ResolutionMedianS[actor] = m
	}
	return c
}

// Filter selects restrictions from the register.
type Filter struct {
	Actor    string
	Subtypes []Subtype
	Status   Status
}

// Match says whether r passes f.
func (f Filter) Match(r *Restriction) bool {
	return (f.Actor == "" || r.Actor == f.Actor) && (len(f.Subtypes) == 0 || slices.Contains(f.Subtypes, r.Subtype)) &&
		(f.Status == "" || r.Status == f.Status)
}

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, ledger.Invalid(field, "must be an RFC 3339 time such as 2026-01-24T01:30:00Z")
	}
	if t.Year() < 1900 || t.Year() > 2200 {
		return t, ledger.Invalid(field, "year %d is out of range", t.Year())
	}
	return t.UTC(), nil
}

func list[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
