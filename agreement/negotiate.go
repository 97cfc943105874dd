package agreement

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"truce/ledger"
	"truce/party"
)

// Statement types of the negotiation.
const (
	// TypePlanSubmit records that a party submitted a version of its plan.
	// The plan itself is kept off the ledger, addressed by its digest, so
	// that it stays private to its party until shared (docs/agreements.md).
	TypePlanSubmit = "plan.submit"
	TypePlanShare  = "plan.share"
	// TypeStance is a party's stance on one term of a plan or draft.
	TypeStance = "plan.stance"
	// TypeDraft records a consolidated draft (a new agreement version).
	TypeDraft = "agreement.draft"
	TypeSign  = "agreement.sign"
)

// Stances a party can take on a term.
var Stances = []string{"accept", "reject", "counter"}

var digestPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Payloads.
type (
	SubmitPlan struct {
		Plan    string `json:"plan"`
		Version int    `json:"version"`
		Digest  string `json:"digest"` // SHA-256 of the canonical document
		Round   string `json:"round,omitempty"`
	}
	SharePlan struct {
		Plan string `json:"plan"`
	}
	TakeStance struct {
		// On names a plan or an agreement (draft); Version its version.
		On      string `json:"on"`
		Version int    `json:"version"`
		Term    string `json:"term"`
		Stance  string `json:"stance"`
		Counter *Term  `json:"counter,omitempty"`
		Note    string `json:"note,omitempty"`
	}
	DraftAgreement struct {
		Agreement Document `json:"agreement"`
		// Sources maps a term ID of the draft to where it came from:
		// "plan-id/term-id", or "mediator" for the mediators' own wording.
		Sources map[string]string `json:"sources"`
	}
	SignAgreement struct {
		Agreement string `json:"agreement"`
		Version   int    `json:"version"`
		Digest    string `json:"digest"`
		Signature string `json:"signature"` // base64 ed25519 over SigningPrefix + canonical document
	}
)

// Plan is the projection of a party's plan.
type Plan struct {
	ID       string        `json:"id"`
	Party    string        `json:"party"`
	Round    string        `json:"round,omitempty"`
	Version  int           `json:"version"`
	Digest   string        `json:"digest"`
	Shared   bool          `json:"shared"`
	Versions []PlanVersion `json:"versions"`
	Stances  []Stance      `json:"stances,omitempty"`
	Updated  time.Time     `json:"updated"`
	Seq      uint64        `json:"seq"`
}

// PlanVersion is one submitted version.
type PlanVersion struct {
	Version int       `json:"version"`
	Digest  string    `json:"digest"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Seq     uint64    `json:"seq"`
}

// Stance is one party's recorded stance on a term.
type Stance struct {
	Party   string    `json:"party"`
	Member  string    `json:"member"`
	Version int       `json:"version"`
	Term    string    `json:"term"`
	Stance  string    `json:"stance"`
	Counter *Term     `json:"counter,omitempty"`
	Note    string    `json:"note,omitempty"`
	At      time.Time `json:"at"`
	Seq     uint64    `json:"seq"`
}

// Version is one version of an agreement: a consolidated draft and the
// signatures it has gathered.
type Version struct {
	ID         string            `json:"id"`
	Version    int               `json:"version"`
	Document   Document          `json:"document"`
	Digest     string            `json:"digest"`
	Sources    map[string]string `json:"sources"`
	DraftedBy  string            `json:"drafted_by"`
	DraftedAt  time.Time         `json:"drafted_at"`
	Signatures []Signature       `json:"signatures"`
	Stances    []Stance          `json:"stances,omitempty"`
	Signed     bool              `json:"signed"` // every required party has signed
	SignedAt   *time.Time        `json:"signed_at,omitempty"`
	Superseded bool              `json:"superseded,omitempty"`
	Seq        uint64            `json:"seq"`
}

// Actor is who makes a negotiation statement.
type Actor struct {
	*party.Member
	Kind party.Kind
}

func (a Actor) representative() bool { return !a.Revoked && a.Has(party.Representative) }

// CanPropose: belligerents and mediators put plans forward.
func (a Actor) canPropose() bool {
	return a.representative() && (a.Kind == party.Belligerent || a.Kind == party.Mediator)
}

// canDraft: mediators and the centre consolidate drafts.
func (a Actor) canDraft() bool {
	return !a.Revoked && (a.Has(party.Representative) || a.Has(party.Coordinator)) &&
		(a.Kind == party.Mediator || a.Kind == party.Centre)
}

// Validate checks a plan submission.
func (p *SubmitPlan) Validate() error {
	if !ledger.IDPattern.MatchString(p.Plan) {
		return ledger.Invalid("plan", "must match %s", ledger.IDPattern)
	}
	if p.Version < 1 {
		return ledger.Invalid("version", "must be 1 or more")
	}
	if !digestPattern.MatchString(p.Digest) {
		return ledger.Invalid("digest", "must be a lower-case hex SHA-256")
	}
	if p.Round != "" && !ledger.IDPattern.MatchString(p.Round) {
		return ledger.Invalid("round", "must be a round ID")
	}
	return nil
}

// Submit folds a plan.submit into plan (nil for a new plan).
func Submit(plan *Plan, by Actor, p SubmitPlan, seq uint64, at time.Time) (*Plan, error) {
	if !by.canPropose() {
		return nil, ledger.Forbidden("plans are submitted by the representatives of belligerent and mediating parties")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if plan == nil {
		if p.Version != 1 {
			return nil, ledger.Invalid("version", "a new plan starts at version 1")
		}
		plan = &Plan{ID: p.Plan, Party: by.Party, Round: p.Round}
	} else {
		if plan.Party != by.Party {
			return nil, ledger.Conflict("plan %s belongs to party %s", plan.ID, plan.Party)
		}
		if p.Version != plan.Version+1 {
			return nil, ledger.Conflict("plan %s is at version %d; the next is %d", plan.ID, plan.Version, plan.Version+1)
		}
		if p.Round != "" {
			plan.Round = p.Round
		}
	}
	plan.Version, plan.Digest, plan.Updated, plan.Seq = p.Version, p.Digest, at, seq
	plan.Versions = append(plan.Versions, PlanVersion{Version: p.Version, Digest: p.Digest, By: by.ID, At: at, Seq: seq})
	return plan, nil
}

// Share makes a plan visible to every member of the centre.
func Share(plan *Plan, by Actor, seq uint64, at time.Time) error {
	if !by.representative() || by.Party != plan.Party {
		return ledger.Forbidden("only %s's representatives share its plan", plan.Party)
	}
	if plan.Shared {
		return ledger.Conflict("plan %s is already shared", plan.ID)
	}
	plan.Shared, plan.Updated = true, at
	return nil
}

// VisibleTo reports whether a member of partyID may read the plan.
func (p *Plan) VisibleTo(partyID string) bool { return p.Shared || p.Party == partyID }

// Validate checks a stance; terms tells which term IDs the target has.
func (p *TakeStance) Validate() error {
	if !ledger.IDPattern.MatchString(p.On) {
		return ledger.Invalid("on", "must name a plan or agreement")
	}
	if p.Version < 1 {
		return ledger.Invalid("version", "must be 1 or more")
	}
	if !termID.MatchString(p.Term) {
		return ledger.Invalid("term", "%q is not a term ID", p.Term)
	}
	if !slices.Contains(Stances, p.Stance) {
		return ledger.Invalid("stance", "unknown stance %q; one of %s", p.Stance, strings.Join(Stances, ", "))
	}
	if (p.Stance == "counter") != (p.Counter != nil) {
		return ledger.Invalid("counter", "a counter stance, and only a counter stance, carries the alternative term")
	}
	if p.Counter != nil {
		if _, err := p.Counter.validate(); err != nil {
			return ledger.Within("counter", err)
		}
	}
	if len(p.Note) > maxText {
		return ledger.Invalid("note", "at most %d bytes", maxText)
	}
	return nil
}

// record puts a stance into a list, replacing that party's earlier stance
// on the same term and version.
func record(list []Stance, s Stance) []Stance {
	list = slices.DeleteFunc(list, func(o Stance) bool {
		return o.Party == s.Party && o.Term == s.Term && o.Version == s.Version
	})
	return append(list, s)
}

// StanceOnPlan folds a stance on a plan's term. The plan's terms are not on
// the ledger, so the caller (which holds the document) checks the term.
func StanceOnPlan(plan *Plan, by Actor, p TakeStance, seq uint64, at time.Time) error {
	if !by.representative() || (by.Kind != party.Belligerent && by.Kind != party.Mediator) {
		return ledger.Forbidden("stances are taken by the representatives of belligerent and mediating parties")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if !plan.VisibleTo(by.Party) {
		return ledger.NotFound("no plan %q", plan.ID)
	}
	if plan.Party == by.Party {
		return ledger.Forbidden("a party takes stances on the other parties' plans, not on its own (%s)", plan.ID)
	}
	if p.Version < 1 || p.Version > plan.Version {
		return ledger.Invalid("version", "plan %s has versions 1 to %d", plan.ID, plan.Version)
	}
	plan.Stances = record(plan.Stances, Stance{Party: by.Party, Member: by.ID, Version: p.Version, Term: p.Term,
		Stance: p.Stance, Counter: p.Counter, Note: p.Note, At: at, Seq: seq})
	plan.Updated = at
	return nil
}

// StanceOnDraft folds a stance on a term of an agreement version.
func StanceOnDraft(v *Version, by Actor, p TakeStance, seq uint64, at time.Time) error {
	if !by.representative() || (by.Kind != party.Belligerent && by.Kind != party.Mediator) {
		return ledger.Forbidden("stances are taken by the representatives of belligerent and mediating parties")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if v.Document.Term(p.Term) == nil {
		return ledger.Invalid("term", "agreement %s version %d has no term %q", v.ID, v.Version, p.Term)
	}
	v.Stances = record(v.Stances, Stance{Party: by.Party, Member: by.ID, Version: p.Version, Term: p.Term,
		Stance: p.Stance, Counter: p.Counter, Note: p.Note, At: at, Seq: seq})
	return nil
}

// Draft folds agreement.draft. latest is the agreement's latest version, nil
// for a new agreement; known tells whether a party exists.
func Draft(latest *Version, by Actor, p DraftAgreement, seq uint64, at time.Time, known func(string) bool) (*Version, error) {
	if !by.canDraft() {
		return nil, ledger.Forbidden("drafts are consolidated by the mediators' or the centre's representatives and coordinators")
	}
	if p.Agreement.Arrangement != nil {
		return nil, ledger.Invalid("agreement.arrangement", "an arrangement is requested with %s, not drafted", TypeArrangementRequest)
	}
	return draft(latest, by, p, seq, at, known)
}

// draft makes a new version of an agreement or an arrangement, whoever may
// draft it having been checked.
func draft(latest *Version, by Actor, p DraftAgreement, seq uint64, at time.Time, known func(string) bool) (*Version, error) {
	d := p.Agreement
	if err := d.Validate(); err != nil {
		return nil, ledger.Within("agreement", err)
	}
	for i, id := range d.Parties {
		if !known(id) {
			return nil, ledger.Invalid(fmt.Sprintf("agreement.parties[%d]", i), "no party %q", id)
		}
	}
	next := 1
	if latest != nil {
		next = latest.Version + 1
	}
	if d.Version != next {
		return nil, ledger.Conflict("agreement %s: the next version is %d, not %d", d.ID, next, d.Version)
	}
	// A signed version stays in force until an amendment replaces it; an
	// unsigned draft is simply redrafted.
	want := 0
	switch {
	case latest == nil:
	case latest.Signed:
		want = latest.Version
	default:
		want = latest.Document.Amends
	}
	if d.Amends != want {
		if want == 0 {
			return nil, ledger.Invalid("agreement.amends", "only a signed version can be amended; no version of %s is signed", d.ID)
		}
		return nil, ledger.Invalid("agreement.amends", "must be %d: version %d amends the signed version %d", want, d.Version, want)
	}
	for term, src := range p.Sources {
		if d.Term(term) == nil {
			return nil, ledger.Invalid("sources."+term, "the draft has no term %q", term)
		}
		if len(src) == 0 || len(src) > 200 {
			return nil, ledger.Invalid("sources."+term, "name the plan and term, such as ua-plan/4.2, or \"mediator\"")
		}
	}
	digest, err := d.Digest()
	if err != nil {
		return nil, err
	}
	if p.Sources == nil {
		p.Sources = map[string]string{}
	}
	return &Version{ID: d.ID, Version: d.Version, Document: d, Digest: digest, Sources: p.Sources,
		DraftedBy: by.ID, DraftedAt: at, Signatures: []Signature{}, Seq: seq}, nil
}

// Sign folds agreement.sign into v, the latest version. key is the
// signing member's current public key.
func Sign(v *Version, by Actor, key []byte, p SignAgreement, seq uint64, at time.Time) error {
	if !by.representative() {
		return ledger.Forbidden("agreements are signed by the parties' representatives")
	}
	if !slices.Contains(v.Document.Signers(), by.Party) {
		return ledger.Forbidden("party %s is not required to sign agreement %s", by.Party, v.ID)
	}
	if v.Superseded {
		return ledger.Conflict("agreement %s version %d is superseded by a later version", v.ID, v.Version)
	}
	if p.Digest != v.Digest {
		return ledger.Invalid("digest", "is %q; agreement %s version %d hashes to %s — the signature is over a different text", p.Digest, v.ID, v.Version, v.Digest)
	}
	c, err := v.Document.Canonical()
	if err != nil {
		return err
	}
	if err := VerifySignature(c, key, p.Signature); err != nil {
		return err
	}
	k := base64.StdEncoding.EncodeToString(key)
	for _, s := range v.Signatures {
		if s.Key == k || bytes.Equal([]byte(s.Sig), []byte(p.Signature)) {
			return ledger.Conflict("a second signature by the same key (first by %s of %s): one key counts once", s.Member, s.Party)
		}
	}
	v.Signatures = append(v.Signatures, Signature{Party: by.Party, Member: by.ID, Key: k, Sig: p.Signature,
		At: at.Format(time.RFC3339), Seq: seq})
	if !v.Signed && v.complete() {
		v.Signed, v.SignedAt = true, &at
	}
	return nil
}

// SignedBy lists the parties that have signed, each once.
func (v *Version) SignedBy() []string {
	var out []string
	for _, s := range v.Signatures {
		if !slices.Contains(out, s.Party) {
			out = append(out, s.Party)
		}
	}
	return out
}

// complete tells whether the signatures meet the document's signing rule.
func (v *Version) complete() bool { return v.Document.Complete(v.SignedBy()) }

// WouldComplete tells whether a signature by partyID would bring the
// version into force, for a dry run before signing.
func (v *Version) WouldComplete(partyID string) bool {
	return !v.Signed && v.Document.Complete(append(v.SignedBy(), partyID))
}

// File exports the version for offline verification.
func (v *Version) File() *File {
	return &File{Agreement: v.Document, Digest: v.Digest, Signatures: v.Signatures}
}
