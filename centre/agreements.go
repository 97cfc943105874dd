package centre

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	mu        sync.Mutex
	compiled  map[string]compiled // "id/version"
	versions  []*agreement.Version
	gen, read uint64 // versions are current while read == gen
}

type compiled struct {
	e   *agreement.Evaluator
	err error
}

// agreements returns every agreement version, read once and kept until an
// agreement statement is appended: evaluating each report must not decode
// lines of contact from the store again.
func (c *Centre) agreements(ctx context.Context) ([]*agreement.Version, error) {
	c.evals.mu.Lock()
	if c.evals.versions != nil && c.evals.gen == c.evals.read {
		defer c.evals.mu.Unlock()
		return c.evals.versions, nil
	}
	gen := c.evals.gen
	c.evals.mu.Unlock()
	all, err := c.Store.Agreements(ctx)
	if err != nil {
		return nil, err
	}
	c.evals.mu.Lock()
	defer c.evals.mu.Unlock()
	if c.evals.gen == gen { // nothing appended meanwhile
		c.evals.versions, c.evals.read = all, gen
	}
	return all, nil
}

// forgetAgreements drops the kept versions after an agreement statement.
func (c *Centre) forgetAgreements() {
	c.evals.mu.Lock()
	c.evals.gen++
	c.evals.mu.Unlock()
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
	all, err := c.agreements(ctx)
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

// judge evaluates an incident against the agreement in force at its
// observed time. It returns nil when there is none, or when the incident
// already carries this very evaluation.
func (c *Centre) judge(ctx context.Context, inc *incident.Incident) (*incident.Evaluate, error) {
	v, e, err := c.InForce(ctx, inc.From)
	if err != nil || v == nil {
		return nil, err
	}
	ev, err := agreement.EventOf(&inc.Report)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", inc.ID, err)
	}
	found := e.Evaluate(ev)
	if found == nil {
		found = []incident.PossibleViolation{}
	}
	if old := inc.Evaluation; old != nil && old.Agreement == v.ID && old.Version == v.Version && sameViolations(old.Violations, found) {
		return nil, nil
	}
	return &incident.Evaluate{Incident: inc.ID, Agreement: v.ID, Version: v.Version, Violations: found}, nil
}

// Evaluate judges one incident and records the result, unless it is
// already recorded.
func (c *Centre) Evaluate(ctx context.Context, op *Session, inc *incident.Incident) (bool, error) {
	n, err := c.evaluateMany(ctx, op, []*incident.Incident{inc})
	return n == 1, err
}

// evaluateMany judges incidents and appends their evaluations in one group
// commit: one at a time, each would wait for its own fsync, and the
// evaluator would fall ever further behind a busy feed. It returns how many
// evaluations were recorded and the first error, having gone on past it.
func (c *Centre) evaluateMany(ctx context.Context, op *Session, incs []*incident.Incident) (int, error) {
	var sts []*ledger.Signed
	var first error
	keep := func(err error, id string) {
		if err != nil && first == nil {
			first = fmt.Errorf("%s: %w", id, err)
		}
	}
	now := c.now()
	for _, inc := range incs {
		p, err := c.judge(ctx, inc)
		if err != nil || p == nil {
			keep(err, inc.ID)
			continue
		}
		raw, err := json.Marshal(p)
		if err != nil {
			keep(err, inc.ID)
			continue
		}
		signed, err := ledger.Sign(ledger.Statement{Type: incident.TypeEvaluate, Party: op.Member.Party, Author: op.Member.ID,
			Time: now, Payload: raw, Nonce: ledger.NewNonce()}, op.key)
		if err != nil {
			keep(err, inc.ID)
			continue
		}
		sts = append(sts, signed)
	}
	n := 0
	for i, err := range c.commit.AppendMany(ctx, sts) {
		if err != nil {
			var id struct {
				Incident string `json:"incident"`
			}
			json.Unmarshal(sts[i].Statement.Payload, &id)
			keep(err, id.Incident)
			continue
		}
		n++
	}
	return n, first
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
		n, err := c.evaluateMany(ctx, op, page.Items)
		changed += n
		if err != nil {
			if ctx.Err() != nil {
				return changed, err
			}
			// One incident's failure does not hold up the others.
			slog.Error("evaluate incidents", "err", err)
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
			var batch []*ledger.Signed
			select {
			case <-ctx.Done():
				cancel()
				return
			case s, ok := <-ch:
				if open = ok; !ok {
					continue
				}
				batch = append(batch, s)
			}
		drain: // what has arrived meanwhile shares the next group commit
			for len(batch) < 1000 {
				select {
				case s, ok := <-ch:
					if open = ok; !ok {
						break drain
					}
					batch = append(batch, s)
				default:
					break drain
				}
			}
			c.onStatements(ctx, op, batch)
		}
		cancel() // fell behind the hub: catch up from the store and go on
	}
}

// catchUp evaluates what the ledger holds but the follower has not seen:
// incidents reported before a crash or while it lagged. Incidents already
// evaluated with the same result cost a read, not a statement.
func (c *Centre) catchUp(ctx context.Context, op *Session) {
	all, err := c.agreements(ctx)
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

func (c *Centre) onStatements(ctx context.Context, op *Session, batch []*ledger.Signed) {
	// The operator's key may have been rotated since the follower started.
	if fresh, err := c.Operator(ctx); err == nil {
		op = fresh
	}
	var reported []*incident.Incident
	for _, s := range batch {
		if s.Statement.Type != incident.TypeReport {
			continue
		}
		if inc, err := c.Store.Incident(ctx, incident.IDFor(s.Seq)); err == nil && inc != nil {
			reported = append(reported, inc)
		}
	}
	if _, err := c.evaluateMany(ctx, op, reported); err != nil && ctx.Err() == nil {
		slog.Error("evaluate incidents", "err", err)
	}
	for _, s := range batch {
		if s.Statement.Type == agreement.TypeSign {
			c.onSigned(ctx, op, s)
		}
	}
}

// onSigned re-evaluates under a version that a signature just completed.
func (c *Centre) onSigned(ctx context.Context, op *Session, s *ledger.Signed) {
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
