package incident

import (
	"fmt"
	"slices"
	"time"

	"truce/ledger"
	"truce/party"
)

// TypeEvaluate records the centre's evaluation of an incident against
// every instrument in force at its observed time.
const TypeEvaluate = "incident.evaluate"

// PossibleViolation names a term an incident may breach and what was
// measured. It is a flag for monitors to verify, not a finding.
type PossibleViolation struct {
	Term     string `json:"term"`
	TermType string `json:"term_type"`
	Rule     string `json:"rule"` // zone, withdrawal, site, action
	// Line is the reference line measured from; Area a named area hit.
	Line string `json:"line,omitempty"`
	Area string `json:"area,omitempty"`
	Zone string `json:"zone,omitempty"`
	// Withdrawal: the weapon class; sites: the site; actions: the action.
	Class      string   `json:"class,omitempty"`
	ClassLabel string   `json:"class_label,omitempty"`
	Site       string   `json:"site,omitempty"`
	SiteName   string   `json:"site_name,omitempty"`
	SiteKind   string   `json:"site_kind,omitempty"`
	Action     string   `json:"action,omitempty"`
	MeasuredKM *float64 `json:"measured_km,omitempty"`
	LimitKM    *float64 `json:"limit_km,omitempty"`
}

// Judgement is the evaluation against one instrument: its version in force
// at the incident's time and what the incident may breach of it (none:
// checked, and nothing machine-checkable breached).
type Judgement struct {
	Agreement  string              `json:"agreement"`
	Version    int                 `json:"version"`
	Violations []PossibleViolation `json:"violations"`
	// Arrangement is set when the instrument is a localized arrangement: a
	// violation is then "inside repair window W, guaranteed by ru at 06:10".
	Arrangement *ArrangementRef `json:"arrangement,omitempty"`
}

// ArrangementRef names what kind of arrangement judged an incident, and
// who guaranteed it when.
type ArrangementRef struct {
	Purpose    string      `json:"purpose"`
	Guarantees []Guarantee `json:"guarantees"`
}

// Guarantee is one party's signature on an arrangement.
type Guarantee struct {
	Party string    `json:"party"`
	At    time.Time `json:"at"`
}

// Cause is the statement that made the centre judge an incident again: a
// signature that completed a version, a suspension, a resumption or a
// termination.
type Cause struct {
	Seq       uint64 `json:"seq"`
	Type      string `json:"type"`
	Agreement string `json:"agreement"`
	Version   int    `json:"version,omitempty"`
	Party     string `json:"party,omitempty"`
}

// Evaluate is the payload of incident.evaluate: the whole judgement of an
// incident against the instruments in force at its observed time. An
// empty list means none is in force then (any more).
type Evaluate struct {
	Incident    string      `json:"incident"`
	Instruments []Judgement `json:"instruments"`
	// Cause is set when the evaluation is made again because an
	// instrument changed; the first evaluation of a report has none.
	Cause *Cause `json:"cause,omitempty"`
}

// Target names the incident.
func (p Evaluate) Target() string { return p.Incident }

// Evaluation is an incident's latest evaluation, and how it came to differ
// from the ones before.
type Evaluation struct {
	Instruments []Judgement `json:"instruments"`
	At          time.Time   `json:"at"`
	Seq         uint64      `json:"seq"`
	Cause       *Cause      `json:"cause,omitempty"`
	Changes     []Change    `json:"changes,omitempty"`
}

// Flag is a possible violation with the instrument it belongs to.
type Flag struct {
	Agreement   string          `json:"agreement"`
	Version     int             `json:"version"`
	Arrangement *ArrangementRef `json:"arrangement,omitempty"`
	PossibleViolation
}

// Change is what one re-evaluation changed, and why.
type Change struct {
	Seq   uint64    `json:"seq,omitzero"` // zero in a dry run: nothing recorded
	At    time.Time `json:"at,omitzero"`
	Cause *Cause    `json:"cause,omitempty"`
	// Entered and Left name the instruments (id/version) that now judge the
	// incident, or no longer do.
	Entered []string `json:"entered,omitempty"`
	Left    []string `json:"left,omitempty"`
	Added   []Flag   `json:"added,omitempty"`
	Removed []Flag   `json:"removed,omitempty"`
}

// Flags lists every possible violation across instruments.
func (e *Evaluation) Flags() []Flag {
	if e == nil {
		return nil
	}
	return flagsOf(e.Instruments)
}

func flagsOf(js []Judgement) []Flag {
	var out []Flag
	for _, j := range js {
		for _, v := range j.Violations {
			out = append(out, Flag{Agreement: j.Agreement, Version: j.Version, Arrangement: j.Arrangement, PossibleViolation: v})
		}
	}
	return out
}

// Names says whether the evaluation names term of agreement as possibly
// violated (false for no evaluation).
func (e *Evaluation) Names(agreementID, term string) bool {
	if e == nil {
		return false
	}
	for _, j := range e.Instruments {
		if j.Agreement != agreementID {
			continue
		}
		for _, v := range j.Violations {
			if v.Term == term {
				return true
			}
		}
	}
	return false
}

// Judgement returns the judgement against one instrument, or nil.
func (e *Evaluation) Judgement(agreementID string) *Judgement {
	if e == nil {
		return nil
	}
	for i := range e.Instruments {
		if e.Instruments[i].Agreement == agreementID {
			return &e.Instruments[i]
		}
	}
	return nil
}

// SameFlag tells whether two possible violations say the same thing; the
// version is not compared, so an amendment that keeps a term keeps its flag.
func SameFlag(a, b Flag) bool {
	return a.Agreement == b.Agreement && SameViolation(a.PossibleViolation, b.PossibleViolation)
}

// SameViolation compares what two possible violations name and measure.
func SameViolation(x, y PossibleViolation) bool {
	return x.Term == y.Term && x.Rule == y.Rule && x.Site == y.Site && x.Class == y.Class && x.Area == y.Area &&
		x.Action == y.Action && x.Line == y.Line && x.Zone == y.Zone && eqKM(x.MeasuredKM, y.MeasuredKM) && eqKM(x.LimitKM, y.LimitKM)
}

func eqKM(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// SameJudgements tells whether two evaluations agree instrument by
// instrument, versions included.
func SameJudgements(a, b []Judgement) bool {
	return slices.EqualFunc(a, b, func(x, y Judgement) bool {
		return x.Agreement == y.Agreement && x.Version == y.Version && slices.EqualFunc(x.Violations, y.Violations, SameViolation)
	})
}

// Diff says what changes from old to new.
func Diff(old, new []Judgement) Change {
	var c Change
	name := func(j Judgement) string { return fmt.Sprintf("%s/%d", j.Agreement, j.Version) }
	for _, j := range new {
		if !slices.ContainsFunc(old, func(o Judgement) bool { return o.Agreement == j.Agreement && o.Version == j.Version }) {
			c.Entered = append(c.Entered, name(j))
		}
	}
	for _, j := range old {
		if !slices.ContainsFunc(new, func(n Judgement) bool { return n.Agreement == j.Agreement && n.Version == j.Version }) {
			c.Left = append(c.Left, name(j))
		}
	}
	of, nf := flagsOf(old), flagsOf(new)
	for _, f := range nf {
		if !slices.ContainsFunc(of, func(o Flag) bool { return SameFlag(o, f) }) {
			c.Added = append(c.Added, f)
		}
	}
	for _, f := range of {
		if !slices.ContainsFunc(nf, func(n Flag) bool { return SameFlag(n, f) }) {
			c.Removed = append(c.Removed, f)
		}
	}
	return c
}

// MaxChanges bounds the re-evaluations an incident keeps in its
// projection; the ledger keeps them all.
const MaxChanges = 50

// Evaluated folds an evaluation. Only the centre evaluates: its rules are
// the same for everyone and anyone can check them with truce eval.
func (inc *Incident) Evaluated(seq uint64, at time.Time, by Actor, p Evaluate) error {
	if by.Kind != party.Centre || !by.can(party.Coordinator) {
		return ledger.Forbidden("only the centre evaluates incidents against the agreements in force")
	}
	if len(p.Instruments) > 100 {
		return ledger.Invalid("instruments", "at most 100")
	}
	for i, j := range p.Instruments {
		field := fmt.Sprintf("instruments[%d]", i)
		if !ledger.IDPattern.MatchString(j.Agreement) {
			return ledger.Invalid(field+".agreement", "must be an agreement ID")
		}
		if slices.IndexFunc(p.Instruments, func(o Judgement) bool { return o.Agreement == j.Agreement }) != i {
			return ledger.Invalid(field+".agreement", "agreement %s judged twice", j.Agreement)
		}
		if j.Version < 1 {
			return ledger.Invalid(field+".version", "must be 1 or more")
		}
		if len(j.Violations) > 1000 {
			return ledger.Invalid(field+".violations", "at most 1000")
		}
		for k, v := range j.Violations {
			if v.Term == "" || v.Rule == "" {
				return ledger.Invalid(fmt.Sprintf("%s.violations[%d]", field, k), "each names its term and rule")
			}
		}
		if j.Violations == nil {
			p.Instruments[i].Violations = []PossibleViolation{}
		}
	}
	if p.Instruments == nil {
		p.Instruments = []Judgement{}
	}
	if p.Cause != nil && (p.Cause.Seq == 0 || p.Cause.Seq >= seq || !ledger.IDPattern.MatchString(p.Cause.Agreement)) {
		return ledger.Invalid("cause", "names an earlier statement about an agreement")
	}
	next := &Evaluation{Instruments: p.Instruments, At: at, Seq: seq, Cause: p.Cause}
	if old := inc.Evaluation; old != nil {
		next.Changes = old.Changes
		c := Diff(old.Instruments, p.Instruments)
		c.Seq, c.At, c.Cause = seq, at, p.Cause
		next.Changes = append(next.Changes, c)
		if len(next.Changes) > MaxChanges {
			next.Changes = next.Changes[len(next.Changes)-MaxChanges:]
		}
	}
	inc.Evaluation = next
	inc.step(seq, TypeEvaluate, by, at)
	return nil
}

// TermRef names a term of an agreement, for queries by term.
type TermRef struct {
	Agreement string
	Term      string
}
