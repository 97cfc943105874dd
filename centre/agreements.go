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
	"sync/atomic"
	"time"

	"truce/agreement"
	"truce/alert"
	"truce/incident"
	"truce/ledger"
)

// Plans and agreements as the centre needs them from a store.
type agreementStore interface {
	Plans(ctx context.Context) ([]*agreement.Plan, error)
	Plan(ctx context.Context, id string) (*agreement.Plan, error)
	Agreements(ctx context.Context) ([]*agreement.Version, error)
	Agreement(ctx context.Context, id string, version int) (*agreement.Version, error)
	Instruments(ctx context.Context) ([]*agreement.Instrument, error)
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
	case alert.TypeSubscribe:
		return c.checkWebhookKey(ctx, signed)
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
	registry  *agreement.Registry
	gen, read uint64 // the registry is current while read == gen
}

type compiled struct {
	e   *agreement.Evaluator
	err error
}

// Registry returns every agreement version and instrument record, read
// once and kept until an agreement statement is appended: evaluating each
// report must not decode lines of contact from the store again.
func (c *Centre) Registry(ctx context.Context) (*agreement.Registry, error) {
	c.evals.mu.Lock()
	if c.evals.registry != nil && c.evals.gen == c.evals.read {
		defer c.evals.mu.Unlock()
		return c.evals.registry, nil
	}
	gen := c.evals.gen
	c.evals.mu.Unlock()
	all, err := c.Store.Agreements(ctx)
	if err != nil {
		return nil, err
	}
	insts, err := c.Store.Instruments(ctx)
	if err != nil {
		return nil, err
	}
	reg := agreement.NewRegistry(all, insts)
	c.evals.mu.Lock()
	defer c.evals.mu.Unlock()
	if c.evals.gen == gen { // nothing appended meanwhile
		c.evals.registry, c.evals.read = reg, gen
	}
	return reg, nil
}

// forgetAgreements drops the kept registry after an agreement statement.
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

// InForce returns the version of every instrument in force at t: each
// agreement ID is an instrument, and instruments stack.
func (c *Centre) InForce(ctx context.Context, t time.Time) ([]*agreement.Version, error) {
	reg, err := c.Registry(ctx)
	if err != nil {
		return nil, err
	}
	return reg.InForce(t), nil
}

// judge evaluates an incident against every instrument that reg has in
// force at its observed time. It returns nil when the incident already
// carries this very evaluation, or has none and nothing is in force.
func (c *Centre) judge(reg *agreement.Registry, inc *incident.Incident, cause *incident.Cause) (*incident.Evaluate, error) {
	versions := reg.InForce(inc.From)
	if len(versions) == 0 && inc.Evaluation == nil {
		return nil, nil
	}
	ev, err := agreement.EventOf(&inc.Report)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", inc.ID, err)
	}
	js := []incident.Judgement{}
	for _, v := range versions {
		e, err := c.evaluator(v)
		if err != nil {
			// One bad version must not stop the evaluation of every
			// incident under the others.
			slog.Error("agreement version cannot be compiled", "agreement", v.ID, "version", v.Version, "err", err)
			continue
		}
		found := e.Evaluate(ev)
		if found == nil {
			found = []incident.PossibleViolation{}
		}
		js = append(js, incident.Judgement{Agreement: v.ID, Version: v.Version, Violations: found, Arrangement: arrangementRef(v)})
	}
	if old := inc.Evaluation; old != nil && incident.SameJudgements(old.Instruments, js) {
		return nil, nil
	}
	if inc.Evaluation == nil {
		cause = nil // a first evaluation is the report's own
	}
	return &incident.Evaluate{Incident: inc.ID, Instruments: js, Cause: cause}, nil
}

// Evaluate judges one incident and records the result, unless it is
// already recorded.
func (c *Centre) Evaluate(ctx context.Context, op *Session, inc *incident.Incident) (bool, error) {
	reg, err := c.Registry(ctx)
	if err != nil {
		return false, err
	}
	n, err := c.evaluateMany(ctx, op, reg, []*incident.Incident{inc}, nil)
	return n == 1, err
}

// evaluateMany judges incidents and appends their evaluations in one group
// commit: one at a time, each would wait for its own fsync, and the
// evaluator would fall ever further behind a busy feed. It returns how many
// evaluations were recorded and the first error, having gone on past it.
func (c *Centre) evaluateMany(ctx context.Context, op *Session, reg *agreement.Registry, incs []*incident.Incident, cause *incident.Cause) (int, error) {
	if err := c.Halted(); err != nil {
		return 0, err
	}
	var sts []*ledger.Signed
	var first error
	keep := func(err error, id string) {
		if err != nil && first == nil {
			first = fmt.Errorf("%s: %w", id, err)
		}
	}
	now := c.now()
	for _, inc := range incs {
		p, err := c.judge(reg, inc, cause)
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

// Reevaluate evaluates again every incident observed from from on, as a
// signature, suspension, resumption or termination that takes effect then
// requires; cause names that statement.
func (c *Centre) Reevaluate(ctx context.Context, op *Session, from time.Time, cause *incident.Cause) (int, error) {
	reg, err := c.Registry(ctx)
	if err != nil {
		return 0, err
	}
	changed := 0
	err = c.eachIncident(ctx, from, func(page []*incident.Incident) error {
		n, err := c.evaluateMany(ctx, op, reg, page, cause)
		changed += n
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			// One incident's failure does not hold up the others.
			slog.Error("evaluate incidents", "err", err)
		}
		return nil
	})
	return changed, err
}

// eachIncident calls fn with pages of the incidents observed from from on.
func (c *Centre) eachIncident(ctx context.Context, from time.Time, fn func([]*incident.Incident) error) error {
	f := incident.Filter{From: from, Limit: 1000}
	for {
		page, err := c.Store.Incidents(ctx, f)
		if err != nil {
			return err
		}
		var items []*incident.Incident
		for _, inc := range page.Items {
			if !inc.From.Before(from) {
				items = append(items, inc)
			}
		}
		if err := fn(items); err != nil {
			return err
		}
		if page.Next == 0 {
			return nil
		}
		f.Before = page.Next
	}
}

// Impact is what a change to the instruments would do to the evaluations
// on record: a dry run shown to a signer before signing.
type Impact struct {
	// Completes: the signature brings the version into force.
	Completes bool `json:"completes"`
	// From is when the change takes effect; incidents observed since are
	// judged again.
	From time.Time `json:"from,omitzero"`
	// LeavesForce lists the instruments this one replaces: By names the
	// instrument that leaves force, Version its version in force until From.
	LeavesForce []agreement.Replacement `json:"leaves_force,omitempty"`
	Replaces    []string                `json:"replaces,omitempty"`
	Changed     int                     `json:"changed"`
	// Incidents lists up to MaxImpactListed changed incidents and how.
	Incidents []ImpactItem `json:"incidents"`
}

// ImpactItem is one incident whose evaluation would change.
type ImpactItem struct {
	Incident string `json:"incident"`
	incident.Change
}

// MaxImpactListed bounds the incidents a dry run lists one by one.
const MaxImpactListed = 100

// ImpactOf judges, without recording anything, every incident observed
// from from on against reg, and says which evaluations would change.
func (c *Centre) ImpactOf(ctx context.Context, reg *agreement.Registry, from time.Time) (Impact, error) {
	out := Impact{From: from}
	flagged, others := []ImpactItem{}, []ImpactItem{}
	err := c.eachIncident(ctx, from, func(page []*incident.Incident) error {
		for _, inc := range page {
			p, err := c.judge(reg, inc, nil)
			if err != nil {
				return err
			}
			if p == nil {
				continue
			}
			out.Changed++
			var old []incident.Judgement
			if inc.Evaluation != nil {
				old = inc.Evaluation.Instruments
			}
			item := ImpactItem{Incident: inc.ID, Change: incident.Diff(old, p.Instruments)}
			// Every incident whose flags change is listed; of those only
			// judged by one more or one less instrument, what room is left.
			if flagsChange(item) {
				if len(flagged) < MaxImpactListed {
					flagged = append(flagged, item)
				}
			} else if len(others) < MaxImpactListed {
				others = append(others, item)
			}
		}
		return ctx.Err()
	})
	out.Incidents = append(flagged, others[:max(0, min(len(others), MaxImpactListed-len(flagged)))]...)
	return out, err
}

func flagsChange(it ImpactItem) bool { return len(it.Added)+len(it.Removed) > 0 }

// SignImpact is the dry run of a signature by partyID on a version (0: the
// latest): whether it completes the version, which instruments leave force,
// and which evaluations change.
func (c *Centre) SignImpact(ctx context.Context, partyID, id string, version int) (Impact, error) {
	v, err := c.Store.Agreement(ctx, id, version)
	if err != nil {
		return Impact{}, err
	}
	if v == nil {
		return Impact{}, ledger.NotFound("no agreement %q version %d", id, version)
	}
	reg, err := c.Registry(ctx)
	if err != nil {
		return Impact{}, err
	}
	out := Impact{Incidents: []ImpactItem{}, Replaces: v.Document.Replaces}
	if !v.WouldComplete(partyID) {
		return out, nil
	}
	next := v.Clone()
	at := c.now()
	next.Signed, next.SignedAt = true, &at
	after := reg.With(next, nil)
	for _, old := range v.Document.Replaces {
		if st := after.Status(old, next.Start()); st.State == agreement.StateReplaced && st.ReplacedBy.By == v.ID {
			leaving := agreement.Replacement{By: old, From: st.ReplacedBy.From}
			if was := reg.At(old, st.ReplacedBy.From.Add(-time.Nanosecond)); was != nil {
				leaving.Version = was.Version
			}
			out.LeavesForce = append(out.LeavesForce, leaving)
		}
	}
	impact, err := c.ImpactOf(ctx, after, next.Start())
	impact.Completes, impact.LeavesForce, impact.Replaces = true, out.LeavesForce, out.Replaces
	return impact, err
}

// ChangeImpact is the dry run of a suspension, resumption or termination.
func (c *Centre) ChangeImpact(ctx context.Context, by *Session, kind string, p agreement.ChangeStatus) (Impact, error) {
	reg, err := c.Registry(ctx)
	if err != nil {
		return Impact{}, err
	}
	inst := reg.Instrument(p.Agreement).Clone()
	at := c.now()
	next, err := agreement.ChangeInstrument(inst, reg.Versions(p.Agreement), agreement.Actor{Member: by.Member, Kind: by.Kind}, kind, p, 0, at)
	if err != nil {
		return Impact{}, err
	}
	return c.ImpactOf(ctx, reg.With(nil, next), p.Effect(at))
}

// followEvaluations evaluates each reported incident, and re-evaluates when
// an instrument changes: a version comes into force by its last signature,
// or the instrument is suspended, resumed or terminated. On start it
// catches up with whatever a crash left unevaluated.
func (c *Centre) followEvaluations(ctx context.Context) {
	op, err := c.Operator(ctx)
	if err != nil {
		slog.Warn("incidents are not evaluated: no operator key", "err", err)
		return
	}
	c.following.Store(true)
	for ctx.Err() == nil {
		ch, _, cancel := c.Subscribe()
		size, _ := c.Store.Size(ctx)
		c.catchUp(ctx, op)
		c.followed(size)
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
			c.followed(batch[len(batch)-1].Seq + 1)
		}
		cancel() // fell behind the hub: catch up from the store and go on
	}
}

// catchUp evaluates what the ledger holds but the follower has not seen:
// incidents reported before a crash or while it lagged. Incidents already
// evaluated with the same result cost a read, not a statement.
func (c *Centre) catchUp(ctx context.Context, op *Session) {
	reg, err := c.Registry(ctx)
	if err != nil {
		return
	}
	var from *time.Time
	for _, id := range reg.IDs() {
		for _, v := range reg.Versions(id) {
			if v.Signed && (from == nil || v.Start().Before(*from)) {
				start := v.Start()
				from = &start
			}
		}
	}
	if from == nil {
		return // nothing was ever in force
	}
	if _, err := c.Reevaluate(ctx, op, *from, nil); err != nil && ctx.Err() == nil {
		slog.Error("catch up evaluations", "err", err)
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
	if reg, err := c.Registry(ctx); err == nil {
		if _, err := c.evaluateMany(ctx, op, reg, reported, nil); err != nil && ctx.Err() == nil {
			slog.Error("evaluate incidents", "err", err)
		}
	}
	for _, s := range batch {
		switch s.Statement.Type {
		case agreement.TypeSign:
			c.onSigned(ctx, op, s)
		case agreement.TypeArrangementWithdraw, agreement.TypeArrangementCancel, agreement.TypeArrangementCut, agreement.TypeArrangementClose:
			c.onArrangementEnded(ctx, op, s)
		case incident.TypePublish:
			c.onPublished(ctx, op, s)
		case agreement.TypeSuspend, agreement.TypeResume, agreement.TypeTerminate:
			var p agreement.ChangeStatus
			if ledger.DecodePayload(s.Statement, &p) != nil {
				continue
			}
			cause := &incident.Cause{Seq: s.Seq, Type: s.Statement.Type, Agreement: p.Agreement, Party: s.Statement.Party}
			n, err := c.Reevaluate(ctx, op, p.Effect(s.Statement.Time), cause)
			if err != nil && ctx.Err() == nil {
				slog.Error("re-evaluate incidents", "agreement", p.Agreement, "err", err)
			}
			slog.Info("agreement changed; incidents evaluated", "agreement", p.Agreement, "change", s.Statement.Type, "changed", n)
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
	cause := &incident.Cause{Seq: s.Seq, Type: s.Statement.Type, Agreement: v.ID, Version: v.Version, Party: s.Statement.Party}
	n, err := c.Reevaluate(ctx, op, v.Start(), cause)
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

// followed records that the evaluation follower has handled the ledger up
// to size.
func (c *Centre) followed(size uint64) { raise(&c.handled, size) }

// raise moves a watermark up to size, never down.
func raise(mark *atomic.Uint64, size uint64) {
	for {
		cur := mark.Load()
		if size <= cur || mark.CompareAndSwap(cur, size) {
			return
		}
	}
}

// Settled waits until the centre's own work on the ledger as it stands
// is done: each statement handled by the followers (evaluations, spot
// reports; alerts and deadlines), and what that work appended handled in
// turn. A loader that
// waits after each step (the demo) gets the same ledger, in the same
// order, every time. Without a follower it returns at once.
func (c *Centre) Settled(ctx context.Context) error {
	evaluating, coordinating := c.following.Load(), c.coordinating.Load()
	if !evaluating && !coordinating {
		return nil
	}
	for {
		size, err := c.Store.Size(ctx)
		if err != nil {
			return err
		}
		if (!evaluating || c.handled.Load() >= size) && (!coordinating || c.coordHandled.Load() >= size) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}
