package agreement

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"truce/geo"
	"truce/ledger"
	"truce/party"
)

// A localized arrangement is an instrument like any other: a short-lived
// agreement whose terms are one zone (an area, or a route or line with a
// buffer), its time window and what is prohibited there. The guarantees
// are the required parties' signatures on it (agreement.sign), so the
// evaluation, the stacking, the map and the audit treat it as they treat
// a ceasefire. What arrangements add is the request, the deadline for the
// guarantees, declines and conditions, withdrawal, extension, cutting
// short, cancellation, the monitors' check-ins and the outcome.

// Statement types of arrangements.
const (
	TypeArrangementRequest  = "arrangement.request"
	TypeArrangementRespond  = "arrangement.respond"  // decline, or set conditions
	TypeArrangementWithdraw = "arrangement.withdraw" // a party withdraws its guarantee
	TypeArrangementExtend   = "arrangement.extend"
	TypeArrangementCut      = "arrangement.cut"    // cut short
	TypeArrangementCancel   = "arrangement.cancel" // by the centre's coordinators
	TypeArrangementCheckIn  = "arrangement.checkin"
	TypeArrangementClose    = "arrangement.close"
	// TypeArrangementDeadlineMissed records that the deadline for the
	// guarantees of a version passed with some outstanding: made by the
	// centre when the deadline job fires.
	TypeArrangementDeadlineMissed = "arrangement.deadline_missed"
)

// ArrangementTypes lists the statement types that change an arrangement.
var ArrangementTypes = []string{TypeArrangementRequest, TypeArrangementRespond, TypeArrangementWithdraw,
	TypeArrangementExtend, TypeArrangementCut, TypeArrangementCancel, TypeArrangementCheckIn, TypeArrangementClose,
	TypeArrangementDeadlineMissed}

// Purposes, shapes, responses and outcomes.
var (
	Purposes  = []string{"repair", "corridor", "evacuation", "exchange"}
	Shapes    = []string{"area", "route", "line"}
	Responses = []string{"decline", "conditions"}
	Outcomes  = []string{"done", "partly_done", "aborted"}
)

// Limits of an arrangement.
const (
	MaxBufferM = 50_000
	// MaxWindow bounds a window: an arrangement is short-lived; a longer
	// regime is an agreement.
	MaxWindow = 31 * 24 * time.Hour
	// Lead is how far before its statement a window may start: the time
	// it takes to type a request, not a way to cover the past.
	Lead = 5 * time.Minute
)

// Arrangement is what marks a document as an arrangement, and what its
// terms were built from.
type Arrangement struct {
	Purpose  string       `json:"purpose"`
	Shape    string       `json:"shape"` // area, route, line
	Geometry geo.Geometry `json:"geometry"`
	// BufferM is the width either side of a route or line, in metres.
	BufferM float64 `json:"buffer_m,omitempty"`
	// What it serves: a protected site's ID, an incident, free text.
	Site     string `json:"site,omitempty"`
	Incident string `json:"incident,omitempty"`
	Note     string `json:"note,omitempty"`
	// The crew or convoy.
	Crew     string `json:"crew,omitempty"`
	CrewSize int    `json:"crew_size,omitempty"`
	// Deadline is when the guarantees are due (RFC 3339).
	Deadline string `json:"deadline"`
}

// RequestArrangement is the payload of arrangement.request.
type RequestArrangement struct {
	ID    string `json:"id"`
	Title Texts  `json:"title"`
	// Parties are those whose guarantees the arrangement needs; they are
	// bound by it.
	Parties []string `json:"parties"`
	From    string   `json:"from"`  // RFC 3339
	Until   string   `json:"until"` // RFC 3339
	// Actions are prohibited actions in the zone beyond the zone's own
	// rule (no armed incident inside it).
	Actions []string `json:"actions,omitempty"`
	Arrangement
}

// Payloads of the other arrangement statements.
type (
	RespondArrangement struct {
		Arrangement string `json:"arrangement"`
		Response    string `json:"response"` // decline, conditions
		Text        string `json:"text"`
	}
	ChangeArrangement struct {
		Arrangement string `json:"arrangement"`
		// Until: the new end of the window (extend, cut).
		Until string `json:"until,omitempty"`
		// Deadline: when the guarantees of an extension are due (default:
		// the current end of the window).
		Deadline string `json:"deadline,omitempty"`
		Reason   string `json:"reason,omitempty"`
	}
	CheckIn struct {
		Arrangement string `json:"arrangement"`
		// Side is the party on whose side of the line the monitor stands.
		Side  string        `json:"side"`
		Place *geo.Geometry `json:"place,omitempty"` // a Point
		Note  string        `json:"note,omitempty"`
	}
	CloseArrangement struct {
		Arrangement string `json:"arrangement"`
		Outcome     string `json:"outcome"`
		Reason      string `json:"reason"`
	}
)

// ArrangementRecord is the projection of what happened to an arrangement
// beyond its versions and signatures.
type ArrangementRecord struct {
	ID          string             `json:"id"`
	Party       string             `json:"party"`        // the requesting party
	RequestedBy string             `json:"requested_by"` // member
	RequestedAt time.Time          `json:"requested_at"`
	Events      []ArrangementEvent `json:"events"`
	Outcome     *ArrangementEvent  `json:"outcome,omitempty"`
	Seq         uint64             `json:"seq"`
}

// ArrangementEvent is one decline, condition, withdrawal, extension,
// cut, cancellation, check-in or closing.
type ArrangementEvent struct {
	Kind    string        `json:"kind"` // decline, conditions, withdraw, extend, cut, cancel, checkin, close
	Party   string        `json:"party"`
	Member  string        `json:"member"`
	Text    string        `json:"text,omitempty"`
	Version int           `json:"version,omitempty"`
	Until   *time.Time    `json:"until,omitempty"`
	Side    string        `json:"side,omitempty"`
	Place   *geo.Geometry `json:"place,omitempty"`
	Outcome string        `json:"outcome,omitempty"`
	At      time.Time     `json:"at"`
	Seq     uint64        `json:"seq"`
}

func checkText(field, s string, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return ledger.Invalid(field, "is required")
	}
	if len(s) > maxText || !utf8.ValidString(s) {
		return ledger.Invalid(field, "must be valid UTF-8 text of at most %d bytes", maxText)
	}
	if s == "" {
		return nil
	}
	return ledger.CheckText(field, s)
}

func rfc3339(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, ledger.Invalid(field, "must be an RFC 3339 time such as 2026-03-01T06:00:00Z")
	}
	return t.UTC(), nil
}

func oneOf(field, v string, allowed []string, what string) error {
	if !slices.Contains(allowed, v) {
		return ledger.Invalid(field, "unknown %s %q; one of %s", what, v, strings.Join(allowed, ", "))
	}
	return nil
}

// validate checks the arrangement's own fields.
func (a *Arrangement) validate() error {
	if err := oneOf("purpose", a.Purpose, Purposes, "purpose"); err != nil {
		return err
	}
	if err := oneOf("shape", a.Shape, Shapes, "shape"); err != nil {
		return err
	}
	if _, err := a.zone(); err != nil {
		return err
	}
	if a.Site != "" && !ledger.IDPattern.MatchString(a.Site) {
		return ledger.Invalid("site", "%q is not a site ID", a.Site)
	}
	if a.Incident != "" && !ledger.IDPattern.MatchString(a.Incident) {
		return ledger.Invalid("incident", "%q is not an incident ID", a.Incident)
	}
	if err := checkText("note", a.Note, false); err != nil {
		return err
	}
	if len(a.Crew) > 2000 {
		return ledger.Invalid("crew", "at most 2000 bytes")
	}
	if err := checkText("crew", a.Crew, false); err != nil {
		return err
	}
	if a.CrewSize < 0 || a.CrewSize > 100_000 {
		return ledger.Invalid("crew_size", "must be between 0 and 100000")
	}
	_, err := rfc3339("deadline", a.Deadline)
	return err
}

// Zone is an arrangement's geometry, decoded once: an area, or lines with
// a buffer.
type Zone struct {
	shape  geo.Shape
	area   *geo.Area  // area
	lines  *geo.Lines // route, line
	buffer float64    // metres
}

// zone decodes and checks the geometry against the shape.
func (a *Arrangement) zone() (*Zone, error) {
	if math.IsNaN(a.BufferM) || math.IsInf(a.BufferM, 0) {
		return nil, ledger.Invalid("buffer_m", "is not a finite number")
	}
	z := &Zone{}
	var err error
	switch a.Shape {
	case "area":
		if a.BufferM != 0 {
			return nil, ledger.Invalid("buffer_m", "an area has no buffer; draw the area itself")
		}
		if a.Geometry.Type != "Polygon" && a.Geometry.Type != "MultiPolygon" {
			return nil, ledger.Invalid("geometry.type", "an area is a Polygon or MultiPolygon, not %q", a.Geometry.Type)
		}
		polys, err := PolygonsOf(a.Geometry)
		if err != nil {
			return nil, ledger.Within("geometry", err)
		}
		if z.area, err = geo.NewArea(polys); err != nil {
			return nil, ledger.Within("geometry", err)
		}
	default: // route, line
		if a.Geometry.Type != "LineString" {
			return nil, ledger.Invalid("geometry.type", "a %s is a LineString, not %q", a.Shape, a.Geometry.Type)
		}
		if a.BufferM <= 0 || a.BufferM > MaxBufferM {
			return nil, ledger.Invalid("buffer_m", "a %s needs a buffer of more than 0 and at most %d metres either side", a.Shape, MaxBufferM)
		}
		lines, err := LinesOf(a.Geometry)
		if err != nil {
			return nil, ledger.Within("geometry", err)
		}
		if z.lines, err = geo.NewLines(lines); err != nil {
			return nil, ledger.Within("geometry", err)
		}
		z.buffer = a.BufferM
	}
	if z.shape, err = geo.ParseShape(a.Geometry); err != nil {
		return nil, ledger.Within("geometry", err)
	}
	return z, nil
}

// Overlaps tells whether two zones share ground: areas that intersect, or
// lines within the sum of the buffers of the other zone.
func (z *Zone) Overlaps(o *Zone) bool {
	if !z.box().Intersects(o.box()) {
		return false
	}
	switch {
	case z.area != nil && o.area != nil:
		return z.area.Intersects(o.shape) || o.area.Intersects(z.shape)
	case z.lines != nil:
		max := z.buffer + o.buffer
		d, ok := z.lines.ShapeDistance(o.shape, max)
		return ok && d <= max
	default:
		return o.Overlaps(z)
	}
}

// box is the zone's bounding box grown by its buffer (generously: a degree
// of latitude is at least 110 km, of longitude at the zone's latitude).
func (z *Zone) box() geo.BBox {
	b := z.shape.BBox()
	if z.buffer == 0 {
		return b
	}
	dLat := z.buffer / 110_000
	lat := math.Max(math.Abs(b[1]), math.Abs(b[3])) + dLat // west, south, east, north
	dLon := 360.0
	if lat < 89 {
		dLon = z.buffer / (110_000 * math.Cos(lat*math.Pi/180))
	}
	return geo.BBox{b[0] - dLon, b[1] - dLat, b[2] + dLon, b[3] + dLat}
}

// Validate checks a request against the time of its statement.
func (p *RequestArrangement) Validate(at time.Time) error {
	if !ledger.IDPattern.MatchString(p.ID) {
		return ledger.Invalid("id", "must match %s", ledger.IDPattern)
	}
	if _, err := p.window(at); err != nil {
		return err
	}
	for i, act := range p.Actions {
		if err := oneOf(fmt.Sprintf("actions[%d]", i), act, Actions, "action"); err != nil {
			return err
		}
		if slices.Index(p.Actions, act) != i {
			return ledger.Invalid(fmt.Sprintf("actions[%d]", i), "%s named twice", act)
		}
	}
	d, err := p.Document()
	if err != nil {
		return err
	}
	return relabelDoc(d.Validate())
}

// relabelDoc names a document's field as the request spells it.
func relabelDoc(err error) error {
	var fe *ledger.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	f, _ := strings.CutPrefix(fe.Field, "arrangement.")
	return &ledger.FieldError{Field: f, Reason: fe.Reason}
}

type span struct{ from, until time.Time }

func (w span) overlaps(o span) bool { return w.from.Before(o.until) && o.from.Before(w.until) }

// window checks the window and the deadline against the statement's time.
func (p *RequestArrangement) window(at time.Time) (span, error) {
	from, err := rfc3339("from", p.From)
	if err != nil {
		return span{}, err
	}
	until, err := rfc3339("until", p.Until)
	if err != nil {
		return span{}, err
	}
	if from.Before(at.Add(-Lead)) {
		return span{}, ledger.Invalid("from", "%s is in the past; a window starts now or later", p.From)
	}
	if from.After(at.AddDate(1, 0, 0)) {
		return span{}, ledger.Invalid("from", "is more than a year ahead")
	}
	if !until.After(from) {
		return span{}, ledger.Invalid("until", "must be after from")
	}
	if until.Sub(from) > MaxWindow {
		return span{}, ledger.Invalid("until", "a window lasts at most %d days; a longer regime is an agreement", int(MaxWindow.Hours()/24))
	}
	deadline, err := rfc3339("deadline", p.Deadline)
	if err != nil {
		return span{}, err
	}
	if deadline.Before(at) {
		return span{}, ledger.Invalid("deadline", "%s is in the past", p.Deadline)
	}
	if !deadline.Before(until) {
		return span{}, ledger.Invalid("deadline", "guarantees are due before the window ends (%s)", p.Until)
	}
	return span{from, until}, nil
}

// Document builds the arrangement's instrument: its window, its zone, and
// what is prohibited there.
func (p *RequestArrangement) Document() (*Document, error) {
	a := p.Arrangement
	if err := a.validate(); err != nil {
		return nil, err
	}
	g := a.Geometry
	d := &Document{Format: Format, ID: p.ID, Version: 1, Title: p.Title, Parties: p.Parties, Arrangement: &a,
		Terms: []Term{{ID: "window", Type: Effective, From: p.From, Until: p.Until}}}
	if a.Shape == "area" {
		d.Terms = append(d.Terms, Term{ID: "zone", Type: DisengagementZone, Areas: []Area{{Name: p.ID, Geometry: g}}})
	} else {
		w := a.BufferM / 1000
		d.Terms = append(d.Terms, Term{ID: a.Shape, Type: ReferenceLine, Geometry: &g},
			Term{ID: "zone", Type: DisengagementZone, Lines: []string{a.Shape}, WidthKM: &w})
	}
	for _, act := range p.Actions {
		d.Terms = append(d.Terms, Term{ID: "no-" + strings.ReplaceAll(act, "_", "-"), Type: ProhibitedAction, Action: act, Zone: "zone"})
	}
	return d, nil
}

// Request returns what a request said, read back from a version.
func (v *Version) Request() *RequestArrangement {
	d := &v.Document
	if d.Arrangement == nil {
		return nil
	}
	r := &RequestArrangement{ID: d.ID, Title: d.Title, Parties: d.Parties, Arrangement: *d.Arrangement}
	for _, t := range d.Terms {
		switch t.Type {
		case Effective:
			r.From, r.Until = t.From, t.Until
		case ProhibitedAction:
			r.Actions = append(r.Actions, t.Action)
		}
	}
	return r
}

// Window is when the version's window holds.
func (v *Version) window() span {
	from, until, _ := v.Document.EffectiveWindow()
	return span{from, until}
}

// Deadline is when the guarantees of the version are due.
func (v *Version) Deadline() time.Time {
	if v.Document.Arrangement == nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339, v.Document.Arrangement.Deadline)
	return t.UTC()
}

// canRequest: the representatives of belligerents and mediators, and the
// mediators' and the centre's coordinators.
func (a Actor) canRequest() bool {
	return a.canDraft() || (a.representative() && a.Kind == party.Belligerent)
}

// centreCoordinator: the centre's own coordinators.
func (a Actor) centreCoordinator() bool {
	return a.Kind == party.Centre && !a.Revoked && a.Has(party.Coordinator)
}

// Open is an arrangement still to be reckoned with: requested or in force,
// neither ended nor closed. Others is what the overlap check needs of it.
type Open struct {
	Version *Version
	Inst    *Instrument
	Record  *ArrangementRecord
}

// end is when an open arrangement stops holding ground.
func (o Open) end() time.Time {
	w := o.Version.window()
	if t, ok := o.Inst.Terminated(); ok && t.Before(w.until) {
		return t
	}
	return w.until
}

// RequestFold folds arrangement.request: it checks the request, refuses a
// window that overlaps an open arrangement in place and time, and drafts
// version 1. known tells whether a party exists.
func RequestFold(by Actor, p RequestArrangement, others []Open, seq uint64, at time.Time, known func(string) bool) (*Version, *ArrangementRecord, error) {
	if !by.canRequest() {
		return nil, nil, ledger.Forbidden("arrangements are requested by the parties' representatives and the mediators' or the centre's coordinators")
	}
	if err := p.Validate(at); err != nil {
		return nil, nil, err
	}
	d, _ := p.Document()
	if err := overlapping(d, "", others, at); err != nil {
		return nil, nil, err
	}
	v, err := draft(nil, by, DraftAgreement{Agreement: *d}, seq, at, known)
	if err != nil {
		return nil, nil, relabelDoc(unwrapAgreement(err))
	}
	return v, &ArrangementRecord{ID: d.ID, Party: by.Party, RequestedBy: by.ID, RequestedAt: at.UTC(), Events: []ArrangementEvent{}, Seq: seq}, nil
}

// unwrapAgreement drops the "agreement." that draft puts before a field.
func unwrapAgreement(err error) error {
	var fe *ledger.FieldError
	if errors.As(err, &fe) {
		if f, ok := strings.CutPrefix(fe.Field, "agreement."); ok {
			return &ledger.FieldError{Field: f, Reason: fe.Reason}
		}
	}
	return err
}

// overlapping refuses a window that shares ground and time with an open
// arrangement other than self.
func overlapping(d *Document, self string, others []Open, at time.Time) error {
	z, err := d.Arrangement.zone()
	if err != nil {
		return err
	}
	from, until, _ := d.EffectiveWindow()
	w := span{from, until}
	for _, o := range others {
		if o.Version.ID == self || o.Record.Outcome != nil {
			continue
		}
		// A request whose deadline passed without every guarantee has
		// lapsed: it holds no ground.
		if !o.Version.Signed && o.Version.Document.Amends == 0 && at.After(o.Version.Deadline()) {
			continue
		}
		ow := span{o.Version.window().from, o.end()}
		if !ow.until.After(at) || !w.overlaps(ow) {
			continue
		}
		oz, err := o.Version.Document.Arrangement.zone()
		if err != nil || !z.Overlaps(oz) {
			continue
		}
		return ledger.Invalid("geometry", "overlaps arrangement %s (%s to %s) in place and time", o.Version.ID,
			ow.from.Format(time.RFC3339), ow.until.Format(time.RFC3339))
	}
	return nil
}

// Respond folds a decline or conditions by a required party.
func Respond(rec *ArrangementRecord, v *Version, by Actor, p RespondArrangement, seq uint64, at time.Time) error {
	if err := oneOf("response", p.Response, Responses, "response"); err != nil {
		return err
	}
	if err := checkText("text", p.Text, true); err != nil {
		return err
	}
	if err := mayGuarantee(rec, v, by, at); err != nil {
		return err
	}
	rec.add(ArrangementEvent{Kind: p.Response, Party: by.Party, Member: by.ID, Text: p.Text, Version: v.Version, At: at.UTC(), Seq: seq})
	return nil
}

// mayGuarantee: a representative of a required party, before the deadline,
// while the arrangement is open.
func mayGuarantee(rec *ArrangementRecord, v *Version, by Actor, at time.Time) error {
	if !by.representative() {
		return ledger.Forbidden("guarantees are given by the parties' representatives")
	}
	if !slices.Contains(v.Document.Signers(), by.Party) {
		return ledger.Invalid("party", "party %s was not asked to guarantee arrangement %s (asked: %s)", by.Party, v.ID, strings.Join(v.Document.Signers(), ", "))
	}
	if rec != nil && rec.Outcome != nil {
		return ledger.Conflict("arrangement %s is closed", v.ID)
	}
	if at.After(v.Deadline()) {
		return ledger.Conflict("the guarantees of arrangement %s were due by %s", v.ID, v.Deadline().Format(time.RFC3339))
	}
	return nil
}

// CheckGuarantee is the arrangement's own check before a signature on it.
func CheckGuarantee(rec *ArrangementRecord, v *Version, by Actor, at time.Time) error {
	if v.Document.Arrangement == nil {
		return nil
	}
	return mayGuarantee(rec, v, by, at)
}

func (rec *ArrangementRecord) add(e ArrangementEvent) {
	rec.Events = append(rec.Events, e)
	rec.Seq = e.Seq
}

// end ends the window at t as an instrument termination does, unless it
// ends earlier already.
func end(inst *Instrument, id string, by Actor, kind, reason string, t time.Time, seq uint64, at time.Time) *Instrument {
	if inst == nil {
		inst = &Instrument{ID: id, Events: []StatusEvent{}}
	}
	if e, ok := inst.Terminated(); ok && !e.After(t) {
		return inst
	}
	inst.Events = append(inst.Events, StatusEvent{Kind: Terminated, Party: by.Party, Member: by.ID,
		Reason: kind + ": " + reason, From: t.UTC(), At: at.UTC(), Seq: seq})
	inst.Seq = seq
	return inst
}

// Withdraw folds a party's withdrawal of its guarantee: the window ends at
// once, as a termination.
func Withdraw(rec *ArrangementRecord, versions []*Version, inst *Instrument, by Actor, p ChangeArrangement, seq uint64, at time.Time) (*Instrument, error) {
	if err := checkText("reason", p.Reason, true); err != nil {
		return nil, err
	}
	if p.Until != "" || p.Deadline != "" {
		return nil, ledger.Invalid("until", "a withdrawal ends the window at once")
	}
	if !by.representative() {
		return nil, ledger.Forbidden("guarantees are withdrawn by the parties' representatives")
	}
	signed := false
	for _, v := range versions {
		signed = signed || slices.Contains(v.SignedBy(), by.Party)
	}
	if !signed {
		return nil, ledger.Invalid("party", "party %s has given no guarantee of arrangement %s to withdraw", by.Party, rec.ID)
	}
	if err := stillOpen(rec, inst, at); err != nil {
		return nil, err
	}
	rec.add(ArrangementEvent{Kind: "withdraw", Party: by.Party, Member: by.ID, Text: p.Reason, At: at.UTC(), Seq: seq})
	return end(inst, rec.ID, by, "withdraw", p.Reason, at, seq, at), nil
}

// DeadlineMissed is the payload of arrangement.deadline_missed: the
// guarantees of Version were due by its deadline, and Missing (the parties
// asked that had not guaranteed it, in the document's order) had not.
type DeadlineMissed struct {
	Arrangement string   `json:"arrangement"`
	Version     int      `json:"version"`
	Missing     []string `json:"missing"`
}

// Outstanding lists the parties asked to guarantee v that have not signed
// it, in the document's order.
func Outstanding(v *Version) []string {
	out := []string{}
	for _, p := range v.Document.Signers() {
		if !slices.ContainsFunc(v.Signatures, func(s Signature) bool { return s.Party == p }) {
			out = append(out, p)
		}
	}
	return out
}

// MissDeadline folds arrangement.deadline_missed on the latest version v:
// only the centre's coordinators record it, once per version, after its
// deadline, while guarantees are outstanding and the arrangement open. A
// deadline job that runs twice is refused the second time (409).
func MissDeadline(rec *ArrangementRecord, v *Version, inst *Instrument, by Actor, p DeadlineMissed, seq uint64, at time.Time) error {
	if !by.centreCoordinator() {
		return ledger.Forbidden("only the centre's coordinators record a missed deadline")
	}
	if p.Version != v.Version {
		return ledger.Conflict("arrangement %s is at version %d, not %d", rec.ID, v.Version, p.Version)
	}
	if slices.ContainsFunc(rec.Events, func(e ArrangementEvent) bool { return e.Kind == "deadline_missed" && e.Version == v.Version }) {
		return ledger.Conflict("the missed deadline of arrangement %s version %d is recorded already", rec.ID, v.Version)
	}
	if err := stillOpen(rec, inst, at); err != nil {
		return err
	}
	missing := Outstanding(v)
	switch {
	case v.Signed || len(missing) == 0:
		return ledger.Conflict("every guarantee of arrangement %s version %d is in", rec.ID, v.Version)
	case !at.After(v.Deadline()):
		return ledger.Conflict("the guarantees of arrangement %s are due by %s, not yet", rec.ID, v.Deadline().Format(time.RFC3339))
	case !slices.Equal(missing, p.Missing):
		return ledger.Invalid("missing", "the guarantees outstanding are %s", strings.Join(missing, ", "))
	}
	rec.add(ArrangementEvent{Kind: "deadline_missed", Party: by.Party, Member: by.ID, Text: strings.Join(missing, ", "),
		Version: v.Version, At: at.UTC(), Seq: seq})
	return nil
}

func stillOpen(rec *ArrangementRecord, inst *Instrument, at time.Time) error {
	if rec.Outcome != nil {
		return ledger.Conflict("arrangement %s is closed", rec.ID)
	}
	if t, ok := inst.Terminated(); ok && !t.After(at) {
		return ledger.Conflict("arrangement %s ended at %s", rec.ID, t.Format(time.RFC3339))
	}
	return nil
}

// mayChange: the requesting party's representatives and the centre's
// coordinators extend and cut short.
func mayChange(rec *ArrangementRecord, by Actor) error {
	if by.centreCoordinator() || (by.representative() && by.Party == rec.Party) || (by.canDraft() && by.Party == rec.Party) {
		return nil
	}
	return ledger.Forbidden("arrangement %s is extended or cut short by the party that requested it (%s) or the centre's coordinators", rec.ID, rec.Party)
}

// Cut folds cutting a window short: it ends at until, as a termination
// from then.
func Cut(rec *ArrangementRecord, latest *Version, inst *Instrument, by Actor, p ChangeArrangement, seq uint64, at time.Time) (*Instrument, error) {
	if err := mayChange(rec, by); err != nil {
		return nil, err
	}
	if err := checkText("reason", p.Reason, true); err != nil {
		return nil, err
	}
	until, err := rfc3339("until", p.Until)
	if err != nil {
		return nil, err
	}
	if p.Deadline != "" {
		return nil, ledger.Invalid("deadline", "cutting short needs no guarantee")
	}
	if err := stillOpen(rec, inst, at); err != nil {
		return nil, err
	}
	cur := Open{Version: latest, Inst: inst, Record: rec}.end()
	if until.Before(at) {
		return nil, ledger.Invalid("until", "is in the past; withdraw or cancel to end the window now")
	}
	if !until.Before(cur) {
		return nil, ledger.Invalid("until", "must be before the window's end (%s); extend to lengthen it", cur.Format(time.RFC3339))
	}
	rec.add(ArrangementEvent{Kind: "cut", Party: by.Party, Member: by.ID, Text: p.Reason, Until: &until, At: at.UTC(), Seq: seq})
	return end(inst, rec.ID, by, "cut", p.Reason, until, seq, at), nil
}

// Extend folds an extension: a new version of the arrangement with a
// later end, which the required parties guarantee again. Until it is
// guaranteed, the version in force keeps its window.
func Extend(rec *ArrangementRecord, latest *Version, inst *Instrument, by Actor, p ChangeArrangement, others []Open, seq uint64, at time.Time, known func(string) bool) (*Version, error) {
	if err := mayChange(rec, by); err != nil {
		return nil, err
	}
	until, err := rfc3339("until", p.Until)
	if err != nil {
		return nil, err
	}
	if err := checkText("reason", p.Reason, false); err != nil {
		return nil, err
	}
	if err := stillOpen(rec, inst, at); err != nil {
		return nil, err
	}
	if _, ok := inst.Terminated(); ok {
		return nil, ledger.Conflict("arrangement %s was cut short; request a new one", rec.ID)
	}
	w := latest.window()
	if !until.After(w.until) {
		return nil, ledger.Invalid("until", "must be after the window's end (%s); cut short to shorten it", w.until.Format(time.RFC3339))
	}
	if until.Sub(w.from) > MaxWindow {
		return nil, ledger.Invalid("until", "a window lasts at most %d days", int(MaxWindow.Hours()/24))
	}
	deadline := w.until
	if p.Deadline != "" {
		if deadline, err = rfc3339("deadline", p.Deadline); err != nil {
			return nil, err
		}
	}
	if deadline.Before(at) || !deadline.Before(until) {
		return nil, ledger.Invalid("deadline", "must lie between now and the new end of the window")
	}
	req := latest.Request()
	req.Until, req.Deadline = until.Format(time.RFC3339), deadline.Format(time.RFC3339)
	d, err := req.Document()
	if err != nil {
		return nil, err
	}
	d.Version = latest.Version + 1
	if latest.Signed {
		d.Amends = latest.Version
	} else {
		d.Amends = latest.Document.Amends
	}
	if err := overlapping(d, rec.ID, others, at); err != nil {
		return nil, err
	}
	v, err := draft(latest, by, DraftAgreement{Agreement: *d}, seq, at, known)
	if err != nil {
		return nil, unwrapAgreement(err)
	}
	rec.add(ArrangementEvent{Kind: "extend", Party: by.Party, Member: by.ID, Text: p.Reason, Version: v.Version, Until: &until, At: at.UTC(), Seq: seq})
	return v, nil
}

// Cancel folds a cancellation by the centre's coordinators: the window
// ends at once.
func Cancel(rec *ArrangementRecord, inst *Instrument, by Actor, p ChangeArrangement, seq uint64, at time.Time) (*Instrument, error) {
	if !by.centreCoordinator() {
		return nil, ledger.Forbidden("only the centre's coordinators cancel an arrangement")
	}
	if err := checkText("reason", p.Reason, true); err != nil {
		return nil, err
	}
	if p.Until != "" || p.Deadline != "" {
		return nil, ledger.Invalid("until", "a cancellation ends the window at once")
	}
	if err := stillOpen(rec, inst, at); err != nil {
		return nil, err
	}
	rec.add(ArrangementEvent{Kind: "cancel", Party: by.Party, Member: by.ID, Text: p.Reason, At: at.UTC(), Seq: seq})
	return end(inst, rec.ID, by, "cancel", p.Reason, at, seq, at), nil
}

// RecordCheckIn folds a monitor's check-in on one side of the line.
func RecordCheckIn(rec *ArrangementRecord, latest *Version, by Actor, p CheckIn, seq uint64, at time.Time) error {
	if by.Revoked || !by.Has(party.MonitorRole) || by.Kind != party.Monitor {
		return ledger.Forbidden("check-ins are recorded by the monitors of monitoring countries")
	}
	if !slices.Contains(latest.Document.Parties, p.Side) {
		return ledger.Invalid("side", "%q is not a party to arrangement %s (%s)", p.Side, rec.ID, strings.Join(latest.Document.Parties, ", "))
	}
	if p.Place != nil {
		if p.Place.Type != "Point" {
			return ledger.Invalid("place.type", "a check-in's place is a Point, not %q", p.Place.Type)
		}
		if _, err := p.Place.Validate(); err != nil {
			return ledger.Within("place", err)
		}
	}
	if err := checkText("note", p.Note, false); err != nil {
		return err
	}
	if rec.Outcome != nil {
		return ledger.Conflict("arrangement %s is closed", rec.ID)
	}
	rec.add(ArrangementEvent{Kind: "checkin", Party: by.Party, Member: by.ID, Side: p.Side, Place: p.Place, Text: p.Note, At: at.UTC(), Seq: seq})
	return nil
}

// Close folds the outcome. A window still running ends with it.
func Close(rec *ArrangementRecord, inst *Instrument, by Actor, p CloseArrangement, seq uint64, at time.Time) (*Instrument, error) {
	if err := mayChange(rec, by); err != nil {
		return nil, ledger.Forbidden("arrangement %s is closed by the party that requested it (%s) or the centre's coordinators", rec.ID, rec.Party)
	}
	if err := oneOf("outcome", p.Outcome, Outcomes, "outcome"); err != nil {
		return nil, err
	}
	if err := checkText("reason", p.Reason, true); err != nil {
		return nil, err
	}
	if rec.Outcome != nil {
		return nil, ledger.Conflict("arrangement %s is already closed (%s)", rec.ID, rec.Outcome.Outcome)
	}
	e := ArrangementEvent{Kind: "close", Party: by.Party, Member: by.ID, Text: p.Reason, Outcome: p.Outcome, At: at.UTC(), Seq: seq}
	rec.add(e)
	rec.Outcome = &e
	return end(inst, rec.ID, by, "close", p.Reason, at, seq, at), nil
}

// Arrangement states, computed at read time.
const (
	ArrRequested  = "requested"  // guarantees outstanding
	ArrDeclined   = "declined"   // a required party declined
	ArrGuaranteed = "guaranteed" // every guarantee in, the window not begun
	ArrActive     = "active"     // in force
	ArrSuspended  = "suspended"
	ArrEnded      = "ended"     // its window passed, or it was cut short
	ArrWithdrawn  = "withdrawn" // a guarantee was withdrawn
	ArrCancelled  = "cancelled"
	ArrClosed     = "closed"
	ArrLapsed     = "lapsed" // the deadline passed without every guarantee
)

// GuaranteeState is one required party's answer.
type GuaranteeState struct {
	Party  string     `json:"party"`
	State  string     `json:"state"` // pending, guaranteed, declined, conditions, withdrawn
	Member string     `json:"member,omitempty"`
	At     *time.Time `json:"at,omitempty"`
	Text   string     `json:"text,omitempty"`
}

// ArrangementStatus is where an arrangement stands at a time.
type ArrangementStatus struct {
	State string `json:"state"`
	// Version is the version whose guarantees are sought or in force.
	Version    int              `json:"version"`
	Guarantees []GuaranteeState `json:"guarantees"`
	Deadline   time.Time        `json:"deadline"`
	// Overdue: the deadline passed with guarantees outstanding.
	Overdue bool      `json:"overdue"`
	From    time.Time `json:"from"`
	Until   time.Time `json:"until"` // the end of the window, cut short or not
	// ExtensionPending: a later version awaits its guarantees, which
	// ExtensionGuarantees lists, to hold until ExtensionUntil. Guarantees
	// are those of Version, the one that holds meanwhile.
	ExtensionPending    int              `json:"extension_pending,omitempty"`
	ExtensionGuarantees []GuaranteeState `json:"extension_guarantees,omitempty"`
	ExtensionUntil      *time.Time       `json:"extension_until,omitempty"`
}

// StatusOf computes an arrangement's state at now from its record, its
// versions and the registry.
func StatusOf(rec *ArrangementRecord, reg *Registry, now time.Time) ArrangementStatus {
	vs := reg.Versions(rec.ID)
	if len(vs) == 0 {
		return ArrangementStatus{State: ArrRequested}
	}
	latest := vs[len(vs)-1]
	cur := latest // the version that holds: the latest signed, else the latest
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].Signed {
			cur = vs[i]
			break
		}
	}
	inst := reg.Instrument(rec.ID)
	st := ArrangementStatus{Version: cur.Version, Deadline: latest.Deadline()}
	w := cur.window()
	st.From, st.Until = w.from, Open{Version: cur, Inst: inst, Record: rec}.end()
	// Cancelled or withdrawn before it began: the window never opened.
	if st.Until.Before(st.From) {
		st.Until = st.From
	}
	st.Guarantees = guarantees(rec, cur)
	sought := st.Guarantees
	if latest != cur {
		st.ExtensionPending = latest.Version
		st.ExtensionGuarantees = guarantees(rec, latest)
		until := latest.window().until
		st.ExtensionUntil = &until
		sought = st.ExtensionGuarantees
	}
	outstanding := slices.ContainsFunc(sought, func(g GuaranteeState) bool { return g.State != "guaranteed" })
	st.Overdue = !latest.Signed && outstanding && now.After(st.Deadline) && rec.Outcome == nil
	last := func(kind string) bool {
		return slices.ContainsFunc(rec.Events, func(e ArrangementEvent) bool { return e.Kind == kind && !e.At.After(now) })
	}
	switch {
	case rec.Outcome != nil && !rec.Outcome.At.After(now):
		st.State = ArrClosed
	case last("cancel"):
		st.State = ArrCancelled
	case last("withdraw"):
		st.State = ArrWithdrawn
	default:
		switch s := reg.Status(rec.ID, now); s.State {
		case StateDraft:
			st.State = ArrRequested
			if slices.ContainsFunc(sought, func(g GuaranteeState) bool { return g.State == "declined" }) {
				st.State = ArrDeclined
			}
			if st.Overdue {
				st.State = ArrLapsed
			}
		case StatePending:
			st.State = ArrGuaranteed
		case StateInForce:
			st.State = ArrActive
		case StateSuspended:
			st.State = ArrSuspended
		default:
			st.State = ArrEnded
		}
	}
	return st
}

// Known returns the record as it stood at t: events stated after t, and
// an outcome recorded after it, are left out. It is nil if the
// arrangement had not been requested by t.
func (rec *ArrangementRecord) Known(t time.Time) *ArrangementRecord {
	if rec.RequestedAt.After(t) {
		return nil
	}
	c := *rec
	c.Events = slices.DeleteFunc(slices.Clone(rec.Events), func(e ArrangementEvent) bool { return e.At.After(t) })
	if c.Outcome != nil && c.Outcome.At.After(t) {
		c.Outcome = nil
	}
	return &c
}

// guarantees lists each required party's answer on a version: its
// signature, else its latest decline or conditions on that version; a
// withdrawal overrides a signature.
func guarantees(rec *ArrangementRecord, v *Version) []GuaranteeState {
	var out []GuaranteeState
	for _, p := range v.Document.Signers() {
		g := GuaranteeState{Party: p, State: "pending"}
		for _, s := range v.Signatures {
			if s.Party == p {
				at, _ := time.Parse(time.RFC3339, s.At)
				g = GuaranteeState{Party: p, State: "guaranteed", Member: s.Member, At: &at}
				break
			}
		}
		for _, e := range rec.Events {
			if e.Party != p {
				continue
			}
			at := e.At
			switch {
			case e.Kind == "withdraw":
				g = GuaranteeState{Party: p, State: "withdrawn", Member: e.Member, At: &at, Text: e.Text}
			case (e.Kind == "decline" || e.Kind == "conditions") && e.Version == v.Version && g.State != "guaranteed":
				g = GuaranteeState{Party: p, State: e.Kind, Member: e.Member, At: &at, Text: e.Text}
			}
		}
		out = append(out, g)
	}
	return out
}
