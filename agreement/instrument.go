package agreement

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"truce/ledger"
	"truce/party"
)

// An instrument is everything signed under one agreement ID: a general
// ceasefire, a safety zone, a moratorium, a repair window. Instruments are
// in force side by side; none displaces another unless it says that it
// replaces it (Document.Replaces). Of one instrument, the latest signed
// version whose window holds a time is in force then, unless the
// instrument is suspended, terminated or replaced at that time.

// Statement types that pause or end an instrument.
const (
	TypeSuspend   = "agreement.suspend"
	TypeResume    = "agreement.resume"
	TypeTerminate = "agreement.terminate"
)

// Kinds of instrument events, as the projection names them.
const (
	Suspended  = "suspend"
	Resumed    = "resume"
	Terminated = "terminate"
)

// ChangeStatus is the payload of agreement.suspend, agreement.resume and
// agreement.terminate.
type ChangeStatus struct {
	Agreement string `json:"agreement"`
	// From is when the change takes effect (RFC 3339); empty: the
	// statement's own time. It may lie in the past, as when the parties
	// agree that a moratorium lapsed on a given day, and then incidents
	// observed since are judged again.
	From   string `json:"from,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Validate checks the payload; suspensions and terminations need a reason.
func (p *ChangeStatus) Validate(kind string) error {
	if !ledger.IDPattern.MatchString(p.Agreement) {
		return ledger.Invalid("agreement", "must be an agreement ID")
	}
	if p.From != "" {
		if _, err := time.Parse(time.RFC3339, p.From); err != nil {
			return ledger.Invalid("from", "must be an RFC 3339 time such as 2026-03-01T00:00:00Z")
		}
	}
	if kind != Resumed && strings.TrimSpace(p.Reason) == "" {
		return ledger.Invalid("reason", "say why the agreement is %s", pastTense(kind))
	}
	if len(p.Reason) > maxText || !utf8.ValidString(p.Reason) {
		return ledger.Invalid("reason", "must be valid UTF-8 text of at most %d bytes", maxText)
	}
	return nil
}

func pastTense(kind string) string {
	switch kind {
	case Suspended:
		return "suspended"
	case Terminated:
		return "terminated"
	}
	return "resumed"
}

// Effect is when the change takes effect.
func (p *ChangeStatus) Effect(at time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339, p.From); err == nil {
		return t.UTC()
	}
	return at.UTC()
}

// Instrument is the projection of what happened to an agreement ID as a
// whole, beyond its versions: suspensions, resumptions, a termination.
type Instrument struct {
	ID     string        `json:"id"`
	Events []StatusEvent `json:"events"`
	Seq    uint64        `json:"seq"`
}

// StatusEvent is one suspension, resumption or termination.
type StatusEvent struct {
	Kind   string    `json:"kind"` // suspend, resume, terminate
	Party  string    `json:"party"`
	Member string    `json:"member"`
	Reason string    `json:"reason,omitempty"`
	From   time.Time `json:"from"` // when it takes effect
	At     time.Time `json:"at"`   // when it was stated
	Seq    uint64    `json:"seq"`
}

// Terminated returns when the instrument ends for good, if it does: the
// earliest termination, as an arrangement cut short to a later hour may
// then be withdrawn at once.
func (in *Instrument) Terminated() (time.Time, bool) {
	if in == nil {
		return time.Time{}, false
	}
	var end time.Time
	found := false
	for _, e := range in.Events {
		if e.Kind == Terminated && (!found || e.From.Before(end)) {
			end, found = e.From, true
		}
	}
	return end, found
}

// suspendedAt tells whether a suspension holds at t, and by which parties.
// Each party's suspension lasts until that party (or the centre) resumes.
func (in *Instrument) suspendedAt(t time.Time) []string {
	if in == nil || len(in.Events) == 0 {
		return nil
	}
	open := map[string]bool{}
	for _, e := range in.Events {
		if e.From.After(t) {
			continue
		}
		switch e.Kind {
		case Suspended:
			open[e.Party] = true
		case Resumed:
			if e.Party == party.CentreID {
				clear(open)
			} else {
				delete(open, e.Party)
			}
		}
	}
	var by []string
	for p := range open {
		by = append(by, p)
	}
	slices.Sort(by)
	return by
}

// ChangeInstrument folds a suspension, resumption or termination. latest is
// the instrument's latest version, inst its record so far (nil: none).
// Representatives of the parties that sign the instrument, and the
// centre's coordinators, may suspend and terminate it; a suspension is
// lifted by the party that made it, or by the centre.
func ChangeInstrument(inst *Instrument, versions []*Version, by Actor, kind string, p ChangeStatus, seq uint64, at time.Time) (*Instrument, error) {
	if err := p.Validate(kind); err != nil {
		return nil, err
	}
	if len(versions) == 0 {
		return nil, ledger.Invalid("agreement", "no agreement %q", p.Agreement)
	}
	var signed *Version // the latest signed version
	var start time.Time // when the instrument first came into force
	for _, v := range versions {
		if v.Signed {
			if signed == nil || v.Start().Before(start) {
				start = v.Start()
			}
			signed = v
		}
	}
	if signed == nil {
		return nil, ledger.Conflict("agreement %s has no signed version: a draft is not in force, so it cannot be %s", p.Agreement, pastTense(kind))
	}
	centre := by.Kind == party.Centre && !by.Revoked && by.Has(party.Coordinator)
	if !centre && (!by.representative() || !slices.Contains(signed.Document.Signers(), by.Party)) {
		return nil, ledger.Forbidden("agreement %s is %s by the representatives of the parties that sign it, or by the centre's coordinators", p.Agreement, pastTense(kind))
	}
	if inst == nil {
		inst = &Instrument{ID: p.Agreement, Events: []StatusEvent{}}
	}
	if end, ok := inst.Terminated(); ok {
		return nil, ledger.Conflict("agreement %s was terminated with effect from %s", p.Agreement, end.Format(time.RFC3339))
	}
	from := p.Effect(at)
	if from.Before(start) {
		return nil, ledger.Invalid("from", "is before agreement %s came into force (%s)", p.Agreement, start.Format(time.RFC3339))
	}
	// Events take effect in the order they are stated: a change may not be
	// dated before one already recorded, or the record would read two ways.
	if n := len(inst.Events); n > 0 && from.Before(inst.Events[n-1].From) {
		return nil, ledger.Invalid("from", "is before the last recorded change of agreement %s (%s)", p.Agreement, inst.Events[n-1].From.Format(time.RFC3339))
	}
	open := inst.suspendedAt(from)
	switch kind {
	case Suspended:
		if slices.Contains(open, by.Party) {
			return nil, ledger.Conflict("agreement %s is already suspended by %s", p.Agreement, by.Party)
		}
	case Resumed:
		if len(open) == 0 {
			return nil, ledger.Conflict("agreement %s is not suspended", p.Agreement)
		}
		if !centre && !slices.Contains(open, by.Party) {
			return nil, ledger.Forbidden("agreement %s was suspended by %s: that party, or the centre, resumes it", p.Agreement, strings.Join(open, ", "))
		}
	case Terminated:
	default:
		return nil, fmt.Errorf("unknown instrument change %q", kind)
	}
	inst.Events = append(inst.Events, StatusEvent{Kind: kind, Party: by.Party, Member: by.ID, Reason: p.Reason, From: from, At: at.UTC(), Seq: seq})
	inst.Seq = seq
	return inst, nil
}

// Start is when a signed version comes into force: its effective time, or
// its last required signature when it has no effective term. A document
// that names its effective time binds from then even if the last
// signature came later (the parties signed it as written), except an
// arrangement: a window is active only once every guarantee is in, so one
// whose last guarantee arrives after its announced start begins then.
func (v *Version) Start() time.Time {
	var signed time.Time
	if v.SignedAt != nil {
		// To the second, as signatures and observed times are written.
		signed = v.SignedAt.UTC().Truncate(time.Second)
	}
	if from, _, ok := v.Document.EffectiveWindow(); ok && (v.Document.Arrangement == nil || from.After(signed)) {
		return from
	}
	return signed
}

// Registry answers which instruments are in force when. It is built from
// every agreement version and instrument record, and is read-only.
type Registry struct {
	versions map[string][]*Version // by ID, in version order
	windows  map[*Version]window   // signed versions' windows, parsed once
	inst     map[string]*Instrument
	ids      []string
	// replaced: when an instrument leaves force because a signed version of
	// another names it in Replaces, and by which.
	replaced map[string]Replacement
}

// window is when a signed version holds (until zero: indefinitely).
type window struct{ start, until time.Time }

// Replacement says which instrument replaces another, from when.
type Replacement struct {
	By      string    `json:"by"`
	Version int       `json:"version"`
	From    time.Time `json:"from"`
}

// NewRegistry indexes versions and instrument records.
func NewRegistry(versions []*Version, insts []*Instrument) *Registry {
	r := &Registry{versions: map[string][]*Version{}, windows: map[*Version]window{}, inst: map[string]*Instrument{}, replaced: map[string]Replacement{}}
	for _, v := range versions {
		if v.Signed {
			_, until, _ := v.Document.EffectiveWindow()
			r.windows[v] = window{v.Start(), until}
		}
		if _, ok := r.versions[v.ID]; !ok {
			r.ids = append(r.ids, v.ID)
		}
		r.versions[v.ID] = append(r.versions[v.ID], v)
	}
	slices.Sort(r.ids)
	for _, vs := range r.versions {
		slices.SortFunc(vs, func(a, b *Version) int { return a.Version - b.Version })
	}
	for _, in := range insts {
		r.inst[in.ID] = in
	}
	for _, v := range versions {
		if !v.Signed {
			continue
		}
		for _, old := range v.Document.Replaces {
			rep := Replacement{By: v.ID, Version: v.Version, From: v.Start()}
			if cur, ok := r.replaced[old]; !ok || rep.From.Before(cur.From) {
				r.replaced[old] = rep
			}
		}
	}
	return r
}

// Known returns the registry as it stood at t: versions drafted after t
// are left out, signatures given after t are taken back (a version whose
// last signature came later is a draft at t), and suspensions,
// resumptions and terminations stated after t are dropped. Views "as at
// t" read it; judging an incident at t reads the registry itself, which
// knows what has been signed since.
func (r *Registry) Known(t time.Time) *Registry {
	var versions []*Version
	for _, id := range r.ids {
		for _, v := range r.versions[id] {
			if v.DraftedAt.After(t) {
				continue
			}
			later := func(s Signature) bool {
				at, err := time.Parse(time.RFC3339, s.At)
				return err == nil && at.After(t)
			}
			if slices.ContainsFunc(v.Signatures, later) || (v.SignedAt != nil && v.SignedAt.After(t)) {
				c := *v
				c.Signatures = slices.DeleteFunc(slices.Clone(v.Signatures), later)
				c.Signed, c.SignedAt = false, nil
				v = &c
			}
			versions = append(versions, v)
		}
	}
	insts := make([]*Instrument, 0, len(r.inst))
	for _, in := range r.inst {
		c := *in
		c.Events = slices.DeleteFunc(slices.Clone(in.Events), func(e StatusEvent) bool { return e.At.After(t) })
		insts = append(insts, &c)
	}
	return NewRegistry(versions, insts)
}

// Versions returns an instrument's versions, oldest first.
func (r *Registry) Versions(id string) []*Version { return r.versions[id] }

// Instrument returns an instrument's record, or nil.
func (r *Registry) Instrument(id string) *Instrument { return r.inst[id] }

// IDs lists the instruments in ID order.
func (r *Registry) IDs() []string { return r.ids }

// At returns the version of one instrument in force at t, or nil.
func (r *Registry) At(id string, t time.Time) *Version {
	if end, ok := r.inst[id].Terminated(); ok && !t.Before(end) {
		return nil
	}
	if rep, ok := r.replaced[id]; ok && !t.Before(rep.From) {
		return nil
	}
	if len(r.inst[id].suspendedAt(t)) > 0 {
		return nil
	}
	vs := r.versions[id]
	for i := len(vs) - 1; i >= 0; i-- {
		if w, ok := r.windows[vs[i]]; ok && !t.Before(w.start) && (w.until.IsZero() || t.Before(w.until)) {
			return vs[i]
		}
	}
	return nil
}

// InForce returns every instrument's version in force at t, by ID.
func (r *Registry) InForce(t time.Time) []*Version {
	var out []*Version
	for _, id := range r.ids {
		if v := r.At(id, t); v != nil {
			out = append(out, v)
		}
	}
	return out
}

// Instrument states at a time.
const (
	StateDraft      = "draft"      // no version signed yet
	StatePending    = "pending"    // signed, its window not begun
	StateInForce    = "in_force"   // in force
	StateExpired    = "expired"    // its window ended
	StateSuspended  = "suspended"  // suspended by a party or the centre
	StateTerminated = "terminated" // terminated
	StateReplaced   = "replaced"   // another instrument replaced it
)

// Status is where an instrument stands at a time.
type Status struct {
	State       string       `json:"state"`
	Version     int          `json:"version,omitempty"` // the version in force, if any
	SuspendedBy []string     `json:"suspended_by,omitempty"`
	ReplacedBy  *Replacement `json:"replaced_by,omitempty"`
	Since       *time.Time   `json:"since,omitempty"`
}

// Status says where the instrument id stands at t.
func (r *Registry) Status(id string, t time.Time) Status {
	if end, ok := r.inst[id].Terminated(); ok && !t.Before(end) {
		return Status{State: StateTerminated, Since: &end}
	}
	if rep, ok := r.replaced[id]; ok && !t.Before(rep.From) {
		return Status{State: StateReplaced, ReplacedBy: &rep, Since: &rep.From}
	}
	vs := r.versions[id]
	signed := slices.ContainsFunc(vs, func(v *Version) bool { return v.Signed })
	if !signed {
		return Status{State: StateDraft}
	}
	if by := r.inst[id].suspendedAt(t); len(by) > 0 {
		var since time.Time
		for _, e := range r.inst[id].Events {
			if e.Kind == Suspended && !e.From.After(t) {
				since = e.From
			}
		}
		return Status{State: StateSuspended, SuspendedBy: by, Since: &since}
	}
	if v := r.At(id, t); v != nil {
		start := v.Start()
		return Status{State: StateInForce, Version: v.Version, Since: &start}
	}
	for _, v := range vs {
		if v.Signed && t.Before(v.Start()) {
			return Status{State: StatePending}
		}
	}
	return Status{State: StateExpired}
}

// With returns a registry in which one change has been made, for a dry
// run: a version signed at at, or an instrument event. The receiver is
// unchanged.
func (r *Registry) With(signed *Version, inst *Instrument) *Registry {
	var versions []*Version
	for _, id := range r.ids {
		for _, v := range r.versions[id] {
			if signed != nil && v.ID == signed.ID && v.Version == signed.Version {
				v = signed
			}
			versions = append(versions, v)
		}
	}
	var insts []*Instrument
	for _, in := range r.inst {
		if inst == nil || in.ID != inst.ID {
			insts = append(insts, in)
		}
	}
	if inst != nil {
		insts = append(insts, inst)
	}
	return NewRegistry(versions, insts)
}

// Clone copies a version deeply enough for a dry run to sign it.
func (v *Version) Clone() *Version {
	c := *v
	c.Signatures = slices.Clone(v.Signatures)
	return &c
}

// Clone copies an instrument record for a dry run.
func (in *Instrument) Clone() *Instrument {
	if in == nil {
		return nil
	}
	c := *in
	c.Events = slices.Clone(in.Events)
	return &c
}
