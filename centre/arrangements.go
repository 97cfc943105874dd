package centre

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"truce/agreement"
	"truce/incident"
	"truce/ledger"
)

// arrangementStore is what arrangements need from a store beyond the
// agreements they are.
type arrangementStore interface {
	Arrangements(ctx context.Context) ([]*agreement.ArrangementRecord, error)
	Arrangement(ctx context.Context, id string) (*agreement.ArrangementRecord, error)
}

// Arrangement is an arrangement as read: what was requested, its record,
// and where it stands now (computed at read time: "overdue" is not a
// statement until a later slice escalates it).
type Arrangement struct {
	ID      string                        `json:"id"`
	Request *agreement.RequestArrangement `json:"request"`
	Record  *agreement.ArrangementRecord  `json:"record"`
	Status  agreement.ArrangementStatus   `json:"status"`
	// Digest of the version whose guarantees are sought: what a party
	// signs to guarantee it.
	Digest string `json:"digest"`
	// Versions lists each version's window and whether it is guaranteed.
	Versions []ArrangementVersion `json:"versions"`
}

// ArrangementVersion is one version of an arrangement.
type ArrangementVersion struct {
	Version  int        `json:"version"`
	From     string     `json:"from"`
	Until    string     `json:"until"`
	Deadline string     `json:"deadline"`
	Signed   bool       `json:"signed"`
	SignedAt *time.Time `json:"signed_at,omitempty"`
}

// Arrangements lists every arrangement as it stands at now (zero: the
// centre's clock).
func (c *Centre) Arrangements(ctx context.Context, now time.Time) ([]*Arrangement, error) {
	recs, err := c.Store.Arrangements(ctx)
	if err != nil {
		return nil, err
	}
	reg, err := c.Registry(ctx)
	if err != nil {
		return nil, err
	}
	if now.IsZero() {
		now = c.now()
	}
	// As the record stood at now: what was requested, guaranteed and
	// changed by then.
	reg = reg.Known(now)
	out := make([]*Arrangement, 0, len(recs))
	for _, rec := range recs {
		if rec = rec.Known(now); rec != nil {
			out = append(out, viewArrangement(rec, reg, now))
		}
	}
	return out, nil
}

// Arrangement reads one arrangement as it stands at now (zero: the
// centre's clock).
func (c *Centre) Arrangement(ctx context.Context, id string, now time.Time) (*Arrangement, error) {
	rec, err := c.Store.Arrangement(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, ledger.NotFound("no arrangement %q", id)
	}
	reg, err := c.Registry(ctx)
	if err != nil {
		return nil, err
	}
	if now.IsZero() {
		now = c.now()
	}
	known := rec.Known(now)
	if known == nil {
		return nil, ledger.NotFound("arrangement %q was requested at %s, after %s", id, rec.RequestedAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return viewArrangement(known, reg.Known(now), now), nil
}

func viewArrangement(rec *agreement.ArrangementRecord, reg *agreement.Registry, now time.Time) *Arrangement {
	a := &Arrangement{ID: rec.ID, Record: rec, Status: agreement.StatusOf(rec, reg, now), Versions: []ArrangementVersion{}}
	vs := reg.Versions(rec.ID)
	for _, v := range vs {
		r := v.Request()
		if r == nil {
			continue
		}
		a.Versions = append(a.Versions, ArrangementVersion{Version: v.Version, From: r.From, Until: r.Until, Deadline: r.Deadline,
			Signed: v.Signed, SignedAt: v.SignedAt})
	}
	if n := len(vs); n > 0 {
		a.Request, a.Digest = vs[n-1].Request(), vs[n-1].Digest
	}
	return a
}

// arrangementRef names the arrangement behind a judgement, and its
// guarantees, so that a violation reads "inside repair window W,
// guaranteed by ru at 06:10".
func arrangementRef(v *agreement.Version) *incident.ArrangementRef {
	a := v.Document.Arrangement
	if a == nil {
		return nil
	}
	ref := &incident.ArrangementRef{Purpose: a.Purpose, Guarantees: []incident.Guarantee{}}
	for _, s := range v.Signatures {
		at, _ := time.Parse(time.RFC3339, s.At)
		ref.Guarantees = append(ref.Guarantees, incident.Guarantee{Party: s.Party, At: at.UTC()})
	}
	return ref
}

// onArrangementEnded judges again the incidents observed since a window
// was withdrawn, cancelled, cut short or closed, as a termination does.
func (c *Centre) onArrangementEnded(ctx context.Context, op *Session, s *ledger.Signed) {
	var p struct {
		Arrangement string `json:"arrangement"`
		Until       string `json:"until"`
	}
	// Several payload types: read the two fields they may share.
	if json.Unmarshal(s.Statement.Payload, &p) != nil {
		return
	}
	from := s.Statement.Time
	if t, err := time.Parse(time.RFC3339, p.Until); err == nil && s.Statement.Type == agreement.TypeArrangementCut {
		from = t
	}
	cause := &incident.Cause{Seq: s.Seq, Type: s.Statement.Type, Agreement: p.Arrangement, Party: s.Statement.Party}
	n, err := c.Reevaluate(ctx, op, from, cause)
	if err != nil && ctx.Err() == nil {
		slog.Error("re-evaluate incidents", "arrangement", p.Arrangement, "err", err)
	}
	slog.Info("arrangement ended; incidents evaluated", "arrangement", p.Arrangement, "change", s.Statement.Type, "changed", n)
}
