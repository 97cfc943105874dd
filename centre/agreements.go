package centre

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"truce/agreement"
	"truce/incident"
	"truce/ledger"
)

// Plans and agreements as the centre needs them from a store.
type agreementStore interface {
	Plans(ctx context.Context) ([]*agreement.Plan, error)
	Plan(ctx context.Context, id string) (*agreement.Plan, error)
	Agreements(ctx context.Context) ([]*agreement.Version, error)
	Agreement(ctx context.Context, id string, version int) (*agreement.Version, error)
}

// SubmitPlan stores a plan document and records its submission at (zero:
// now; only trusted loaders such as the demo choose the time).
func (c *Centre) SubmitPlan(ctx context.Context, s *Session, d *agreement.Document, round string, at time.Time) (*ledger.Signed, error) {
	if c.docs == nil {
		return nil, errors.New("this centre keeps no documents")
	}
	if s.key == nil {
		return nil, fmt.Errorf("%w: %s holds its own key; upload the plan and submit a signed %s", ledger.ErrForbidden, s.Member.ID, agreement.TypePlanSubmit)
	}
	sum, err := c.StorePlan(d)
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = c.now()
	}
	return c.SayAt(ctx, s, agreement.TypePlanSubmit, agreement.SubmitPlan{Plan: d.ID, Version: d.Version, Digest: sum, Round: round}, at)
}

// StorePlan validates a plan document and keeps it, returning its digest;
// a member who signs its own statements then submits plan.submit with it.
// An upload changes no record.
func (c *Centre) StorePlan(d *agreement.Document) (string, error) {
	if c.docs == nil {
		return "", errors.New("this centre keeps no documents")
	}
	if err := d.Validate(); err != nil {
		return "", ledger.Within("plan", err)
	}
	canon, err := d.Canonical()
	if err != nil {
		return "", err
	}
	sum, _, err := c.docs.Put(bytes.NewReader(canon))
	if err != nil {
		return "", fmt.Errorf("store plan %s: %w", d.ID, err)
	}
	return sum, nil
}

// PlanDocument reads a version of a plan (0: the latest) from the document
// store and checks it against the digest the ledger recorded.
func (c *Centre) PlanDocument(p *agreement.Plan, version int) (*agreement.Document, error) {
	if c.docs == nil {
		return nil, errors.New("this centre keeps no documents")
	}
	digest := p.Digest
	if version != 0 {
		i := slices.IndexFunc(p.Versions, func(v agreement.PlanVersion) bool { return v.Version == version })
		if i < 0 {
			return nil, ledger.NotFound("plan %s has no version %d", p.ID, version)
		}
		digest = p.Versions[i].Digest
	}
	f, err := c.docs.Open(digest)
	if err != nil {
		return nil, fmt.Errorf("plan %s: document %s: %w", p.ID, digest, err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", p.ID, err)
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != digest {
		return nil, fmt.Errorf("plan %s: the stored document does not match digest %s", p.ID, digest)
	}
	d, err := agreement.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", p.ID, err)
	}
	// The digest alone is no claim to a document: a party could name
	// another party's digest under a plan of its own.
	want := p.Version
	if version != 0 {
		want = version
	}
	if d.ID != p.ID || d.Version != want {
		return nil, ledger.NotFound("plan %s version %d: the document recorded for it is another plan", p.ID, want)
	}
	return d, nil
}

// checkOffLedger checks, before a client-signed statement is appended, what
// the fold cannot: plan documents live beside the ledger. A submission must
// name a stored document with its own ID and version; a stance on a plan
// must name a term the plan has.
func (c *Centre) checkOffLedger(ctx context.Context, signed *ledger.Signed) error {
	switch signed.Statement.Type {
	case agreement.TypePlanSubmit:
		var p agreement.SubmitPlan
		if err := ledger.DecodePayload(signed.Statement, &p); err != nil {
			return ledger.Within("payload", err)
		}
		if err := p.Validate(); err != nil {
			return ledger.Within("payload", err)
		}
		if c.docs == nil || !c.docs.Has(p.Digest) {
			return ledger.Invalid("payload.digest", "no plan document with this digest: upload it first (POST /v1/plans/documents)")
		}
		if _, err := c.PlanDocument(&agreement.Plan{ID: p.Plan, Version: p.Version, Digest: p.Digest}, 0); err != nil {
			return ledger.Invalid("payload.digest", "%v", err)
		}
	case agreement.TypeStance:
		var p agreement.TakeStance
		if err := ledger.DecodePayload(signed.Statement, &p); err != nil {
			return ledger.Within("payload", err)
		}
		plan, err := c.Store.Plan(ctx, p.On)
		if err != nil || plan == nil || !plan.VisibleTo(signed.Statement.Party) {
			return err // an agreement, or a plan the fold will refuse
		}
		d, err := c.PlanDocument(plan, p.Version)
		if err != nil {
			return err
		}
		if d.Term(p.Term) == nil {
			return ledger.Invalid("payload.term", "plan %s version %d has no term %q", plan.ID, p.Version, p.Term)
		}
	}
	return nil
}

// evaluators caches compiled agreement versions: compiling indexes a line
// of contact and a site registry, which a single evaluation must not pay.
type evaluators struct {
	mu       sync.Mutex
	compiled map[string]compiled // "id/version"
}

type compiled struct {
	e   *agreement.Evaluator
	err error
}

func (c *Centre) evaluator(v *agreement.Version) (*agreement.Evaluator, error) {
	key := fmt.Sprintf("%s/%d", v.ID, v.Version)
	c.evals.mu.Lock()
	defer c.evals.mu.Unlock()
	if e, ok := c.evals.compiled[key]; ok {
		return e.e, e.err
	}
	e, err := agreement.Compile(&v.Document)
	if c.evals.compiled == nil {
		c.evals.compiled = map[string]compiled{}
	}
	c.evals.compiled[key] = compiled{e, err} // failures too: compiling is slow
	return e, err
}

// InForce returns the agreement version in force at t, with its compiled
// rules: of the signed versions whose effective window holds t, the one
// signed last (an amendment signed later replaces what it amends).
func (c *Centre) InForce(ctx context.Context, t time.Time) (*agreement.Version, *agreement.Evaluator, error) {
	all, err := c.Store.Agreements(ctx)
	if err != nil {
		return nil, nil, err
	}
	var best *agreement.Version
	var bestEval *agreement.Evaluator
	for _, v := range all {
		if !v.Signed {
			continue
		}
		e, err := c.evaluator(v)
		if err != nil {
			// One bad version must not stop the evaluation of every
			// incident under the others.
			slog.Error("agreement version cannot be compiled", "agreement", v.ID, "version", v.Version, "err", err)
			continue
		}
		if !e.InForce(t) || (e.From.IsZero() && t.Before(*v.SignedAt)) {
			continue // without an effective term, in force from its signature
		}
		if best == nil || v.SignedAt.After(*best.SignedAt) || (v.SignedAt.Equal(*best.SignedAt) && v.Version > best.Version) {
			best, bestEval = v, e
		}
	}
	return best, bestEval, nil
}

// Evaluate judges an incident against the agreement in force at its
// observed time and records the result, unless it is already recorded.
func (c *Centre) Evaluate(ctx context.Context, op *Session, inc *incident.Incident) (bool, error) {
	v, e, err := c.InForce(ctx, inc.From)
	if err != nil || v == nil {
		return false, err
	}
	ev, err := agreement.EventOf(&inc.Report)
	if err != nil {
		return false, fmt.Errorf("evaluate %s: %w", inc.ID, err)
	}
	found := e.Evaluate(ev)
	if found == nil {
		found = []incident.PossibleViolation{}
	}
	if old := inc.Evaluation; old != nil && old.Agreement == v.ID && old.Version == v.Version && sameViolations(old.Violations, found) {
		return false, nil
	}
	_, err = c.Say(ctx, op, incident.TypeEvaluate, incident.Evaluate{Incident: inc.ID, Agreement: v.ID, Version: v.Version, Violations: found})
	return err == nil, err
}

func sameViolations(a, b []incident.PossibleViolation) bool {
	return slices.EqualFunc(a, b, func(x, y incident.PossibleViolation) bool {
		return x.Term == y.Term && x.Rule == y.Rule && x.Site == y.Site && x.Class == y.Class && x.Area == y.Area &&
			x.Action == y.Action && eqKM(x.MeasuredKM, y.MeasuredKM)
	})
}

func eqKM(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// Reevaluate evaluates again every incident observed while version v is in
// force, as an amendment or a new agreement requires.
func (c *Centre) Reevaluate(ctx context.Context, op *Session, v *agreement.Version) (int, error) {
	e, err := c.evaluator(v)
	if err != nil {
		return 0, err
	}
	f := incident.Filter{From: e.From, To: e.Until, Limit: 1000}
	changed := 0
	for {
		page, err := c.Store.Incidents(ctx, f)
		if err != nil {
			return changed, err
		}
		for _, inc := range page.Items {
			ok, err := c.Evaluate(ctx, op, inc)
			if err != nil {
				if ctx.Err() != nil {
					return changed, err
				}
				// One incident's failure does not hold up the others.
				slog.Error("evaluate incident", "incident", inc.ID, "err", err)
				continue
			}
			if ok {
				changed++
			}
		}
		if page.Next == 0 {
			return changed, nil
		}
		f.Before = page.Next
	}
}

// followEvaluations evaluates each reported incident, and re-evaluates when
// an agreement version comes into being signed. On start it catches up with
// whatever a crash left unevaluated.
func (c *Centre) followEvaluations(ctx context.Context) {
	op, err := c.Operator(ctx)
	if err != nil {
		slog.Warn("incidents are not evaluated: no operator key", "err", err)
		return
	}
	for ctx.Err() == nil {
		ch, _, cancel := c.Subscribe()
		c.catchUp(ctx, op)
		for open := true; open; {
			select {
			case <-ctx.Done():
				cancel()
				return
			case s, ok := <-ch:
				if open = ok; ok {
					c.onStatement(ctx, op, s)
				}
			}
		}
		cancel() // fell behind the hub: catch up from the store and go on
	}
}

// catchUp evaluates what the ledger holds but the follower has not seen:
// incidents reported before a crash or while it lagged. Incidents already
// evaluated with the same result cost a read, not a statement.
func (c *Centre) catchUp(ctx context.Context, op *Session) {
	all, err := c.Store.Agreements(ctx)
	if err != nil {
		return
	}
	for _, v := range all {
		if !v.Signed {
			continue
		}
		if _, err := c.Reevaluate(ctx, op, v); err != nil && ctx.Err() == nil {
			slog.Error("catch up evaluations", "agreement", v.ID, "version", v.Version, "err", err)
		}
	}
}

func (c *Centre) onStatement(ctx context.Context, op *Session, s *ledger.Signed) {
	// The operator's key may have been rotated since the follower started.
	if fresh, err := c.Operator(ctx); err == nil {
		op = fresh
	}
	switch s.Statement.Type {
	case incident.TypeReport:
		inc, err := c.Store.Incident(ctx, incident.IDFor(s.Seq))
		if err != nil || inc == nil {
			return
		}
		if _, err := c.Evaluate(ctx, op, inc); err != nil && ctx.Err() == nil {
			slog.Error("evaluate incident", "incident", inc.ID, "err", err)
		}
	case agreement.TypeSign:
		var p agreement.SignAgreement
		if ledger.DecodePayload(s.Statement, &p) != nil {
			return
		}
		v, err := c.Store.Agreement(ctx, p.Agreement, p.Version)
		if err != nil || v == nil || !v.Signed || v.SignedAt == nil || !v.SignedAt.Equal(s.Statement.Time) {
			return // not the signature that completed it
		}
		n, err := c.Reevaluate(ctx, op, v)
		if err != nil && ctx.Err() == nil {
			slog.Error("re-evaluate incidents", "agreement", v.ID, "version", v.Version, "err", err)
		}
		slog.Info("agreement signed; incidents evaluated", "agreement", v.ID, "version", v.Version, "changed", n)
	}
}

// SignAgreement signs a version of an agreement (0: the latest) with the
// member's key, which the centre holds, and records the signature at (zero: now).
func (c *Centre) SignAgreement(ctx context.Context, s *Session, id string, version int, at time.Time) (*ledger.Signed, error) {
	if s.key == nil {
		return nil, fmt.Errorf("%w: %s holds its own key; sign the agreement with truce agreement sign and submit the statement", ledger.ErrForbidden, s.Member.ID)
	}
	v, err := c.Store.Agreement(ctx, id, version)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, ledger.NotFound("no agreement %q version %d", id, version)
	}
	sig, err := agreement.SignDocument(&v.Document, s.key)
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = c.now()
	}
	return c.SayAt(ctx, s, agreement.TypeSign, agreement.SignAgreement{Agreement: v.ID, Version: v.Version, Digest: v.Digest, Signature: sig}, at)
}
