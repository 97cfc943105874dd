package incident

import (
	"time"

	"truce/ledger"
	"truce/party"
)

// TypeEvaluate records the centre's evaluation of an incident against the
// agreement in force at its observed time.
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

// Evaluate is the payload of incident.evaluate. No violations means the
// incident was checked and breaches no machine-checkable term.
type Evaluate struct {
	Incident   string              `json:"incident"`
	Agreement  string              `json:"agreement"`
	Version    int                 `json:"version"`
	Violations []PossibleViolation `json:"violations"`
}

// Target names the incident.
func (p Evaluate) Target() string { return p.Incident }

// Evaluation is an incident's latest evaluation.
type Evaluation struct {
	Agreement  string              `json:"agreement"`
	Version    int                 `json:"version"`
	At         time.Time           `json:"at"`
	Seq        uint64              `json:"seq"`
	Violations []PossibleViolation `json:"violations"`
}

// Evaluated folds an evaluation. Only the centre evaluates: its rules are
// the same for everyone and anyone can check them with truce eval.
func (inc *Incident) Evaluated(seq uint64, at time.Time, by Actor, p Evaluate) error {
	if by.Kind != party.Centre || !by.can(party.Coordinator) {
		return ledger.Forbidden("only the centre evaluates incidents against the agreement")
	}
	if !ledger.IDPattern.MatchString(p.Agreement) {
		return ledger.Invalid("agreement", "must be an agreement ID")
	}
	if p.Version < 1 {
		return ledger.Invalid("version", "must be 1 or more")
	}
	if len(p.Violations) > 1000 {
		return ledger.Invalid("violations", "at most 1000")
	}
	for _, v := range p.Violations {
		if v.Term == "" || v.Rule == "" {
			return ledger.Invalid("violations", "each names its term and rule")
		}
	}
	if p.Violations == nil {
		p.Violations = []PossibleViolation{}
	}
	inc.Evaluation = &Evaluation{Agreement: p.Agreement, Version: p.Version, At: at, Seq: seq, Violations: p.Violations}
	inc.step(seq, TypeEvaluate, by, at)
	return nil
}
