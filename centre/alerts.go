package centre

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"

	"truce/agreement"
	"truce/alert"
	"truce/hotline"
	"truce/incident"
	"truce/ledger"
	"truce/party"
	"truce/report"
)

// alertStore is what alerts need from a store.
type alertStore interface {
	Subscription(ctx context.Context, id string) (*alert.Subscription, error)
	// Subscriptions lists a member's subscriptions ("" every member's).
	Subscriptions(ctx context.Context, member string) ([]*alert.Subscription, error)
	Alert(ctx context.Context, id string) (*alert.Alert, error)
	Alerts(ctx context.Context, q alert.Query) ([]*alert.Alert, error)
	// Webhook keys are secrets, sealed by the centre and kept off the
	// ledger, like member keys.
	PutWebhookKey(ctx context.Context, id, member string, sealed []byte) error
	WebhookKey(ctx context.Context, id string) (member string, sealed []byte, err error)
}

// Deliverer arms webhook deliveries; the job queue implements it beside
// Scheduler.
type Deliverer interface {
	ArmDelivery(ctx context.Context, alert string) error
}

func webhookAD(id string) []byte { return []byte("truce webhook key\x00" + id) }

const sealedSecretPrefix = "truce-sealed-secret-1:"

func (s *Secrets) sealSecret(id string, secret []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(append([]byte(sealedSecretPrefix), nonce...), nonce, secret, webhookAD(id))
}

func (s *Secrets) openSecret(id string, sealed []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(sealed, []byte(sealedSecretPrefix))
	if !ok || len(rest) < s.aead.NonceSize() {
		return nil, errors.New("not a sealed secret")
	}
	out, err := s.aead.Open(nil, rest[:s.aead.NonceSize()], rest[s.aead.NonceSize():], webhookAD(id))
	if err != nil {
		return nil, fmt.Errorf("the webhook key %s does not open under this secrets key", id)
	}
	return out, nil
}

// NewWebhookKey makes a webhook signing secret for sess's member and keeps
// it sealed: the key's ID goes into the member's alert.subscribe, the
// secret is returned this once, for the receiver to check signatures with.
func (c *Centre) NewWebhookKey(ctx context.Context, sess *Session) (id, secret string, err error) {
	m := sess.Member
	if m.Revoked || !m.Has(party.Representative) && !m.Has(party.MonitorRole) && !m.Has(party.Coordinator) {
		return "", "", ledger.Forbidden("%s may not subscribe: viewers never write", m.ID)
	}
	if c.secrets == nil {
		return "", "", c.sealErr
	}
	raw := make([]byte, 16)
	rand.Read(raw)
	id = "whk-" + base64.RawURLEncoding.EncodeToString(raw)
	sec := make([]byte, 32)
	rand.Read(sec)
	secret = "whsec_" + base64.RawURLEncoding.EncodeToString(sec)
	if err := c.Store.PutWebhookKey(ctx, id, m.ID, c.secrets.sealSecret(id, []byte(secret))); err != nil {
		return "", "", err
	}
	return id, secret, nil
}

// WebhookSecret opens a webhook key's secret.
func (c *Centre) WebhookSecret(ctx context.Context, id string) ([]byte, error) {
	_, sealed, err := c.Store.WebhookKey(ctx, id)
	if err != nil {
		return nil, err
	}
	if sealed == nil {
		return nil, ledger.NotFound("no webhook key %q", id)
	}
	if c.secrets == nil {
		return nil, c.sealErr
	}
	return c.secrets.openSecret(id, sealed)
}

// NewSubscription subscribes sess's member; with a webhook URL, the centre
// makes the webhook's key and returns its secret, this once.
func (c *Centre) NewSubscription(ctx context.Context, sess *Session, p alert.Subscribe, webhookURL string) (*ledger.Signed, string, error) {
	p.Webhook = nil
	var secret string
	if webhookURL != "" {
		if err := alert.CheckURL("webhook.url", webhookURL); err != nil {
			return nil, "", err
		}
		id, sec, err := c.NewWebhookKey(ctx, sess)
		if err != nil {
			return nil, "", err
		}
		p.Webhook, secret = &alert.Webhook{URL: webhookURL, Key: id}, sec
	}
	if err := p.Validate(); err != nil {
		return nil, "", err
	}
	st, err := c.Say(ctx, sess, alert.TypeSubscribe, p)
	return st, secret, err
}

// checkWebhookKey refuses a client-signed subscription whose webhook key
// is not one made for its author.
func (c *Centre) checkWebhookKey(ctx context.Context, signed *ledger.Signed) error {
	var p alert.Subscribe
	if err := ledger.DecodePayload(signed.Statement, &p); err != nil {
		return ledger.Within("payload", err)
	}
	if p.Webhook == nil {
		return nil
	}
	member, _, err := c.Store.WebhookKey(ctx, p.Webhook.Key)
	if err != nil {
		return err
	}
	if member != signed.Statement.Author {
		return ledger.Invalid("payload.webhook.key", "no webhook key %q of %s: make one first (POST /v1/alerts/keys)", p.Webhook.Key, signed.Statement.Author)
	}
	return nil
}

// PendingDeliveries lists the alerts whose webhook delivery has no outcome
// yet; the queue re-arms them on start.
func (c *Centre) PendingDeliveries(ctx context.Context) ([]string, error) {
	as, err := c.Store.Alerts(ctx, alert.Query{Delivery: "pending"})
	if err != nil {
		return nil, err
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out, nil
}

// RecordDelivery records a webhook's outcome for an alert: delivered
// (a 2xx status) or, after the last attempt, failed. Recorded already, by
// another run of the same job, it returns nil and records nothing.
func (c *Centre) RecordDelivery(ctx context.Context, id string, delivered bool, status, attempts int, errText string) (*ledger.Signed, error) {
	op, err := c.Operator(ctx)
	if err != nil {
		return nil, err
	}
	var st *ledger.Signed
	if delivered {
		st, err = c.Say(ctx, op, alert.TypeDelivered, alert.Delivered{Alert: id, Status: status, Attempts: attempts})
	} else {
		if len(errText) > alert.MaxError {
			errText = errText[:alert.MaxError]
		}
		st, err = c.Say(ctx, op, alert.TypeFailed, alert.Failed{Alert: id, Status: status, Attempts: attempts, Error: printable(errText)})
	}
	if errors.Is(err, ledger.ErrConflict) {
		return nil, nil
	}
	return st, err
}

// eventsOf lists the events a statement raises.
func (c *Centre) eventsOf(ctx context.Context, s *ledger.Signed) []alert.Event {
	incidentEvent := func(kind alert.Kind, inc *incident.Incident) alert.Event {
		e := alert.Event{Kind: kind, Cause: s.Seq, Record: inc.ID, Type: inc.Report.Type, Severity: alert.SeverityOf(inc)}
		box := inc.BBox
		e.BBox = &box
		if a := inc.Report.AllegedActor; a != "" {
			e.Parties = append(e.Parties, a)
		}
		if !slices.Contains(e.Parties, inc.Party) {
			e.Parties = append(e.Parties, inc.Party)
		}
		return e
	}
	switch s.Statement.Type {
	case incident.TypeReport:
		inc, err := c.Store.Incident(ctx, incident.IDFor(s.Seq))
		if err != nil || inc == nil {
			return nil
		}
		return []alert.Event{incidentEvent(alert.Incident, inc)}
	case incident.TypeEvaluate:
		var p incident.Evaluate
		if json.Unmarshal(s.Statement.Payload, &p) != nil {
			return nil
		}
		inc, err := c.Store.Incident(ctx, p.Incident)
		if err != nil || inc == nil {
			return nil
		}
		var out []alert.Event
		var site, window *incident.Flag
		flags := (&incident.Evaluation{Instruments: p.Instruments}).Flags()
		for i, f := range flags {
			if f.Rule == "site" && (site == nil || km(f.MeasuredKM) < km(site.MeasuredKM)) {
				site = &flags[i]
			}
			if f.Arrangement != nil && window == nil {
				window = &flags[i]
			}
		}
		if len(flags) > 0 {
			e := incidentEvent(alert.Violation, inc)
			e.Agreement, e.Term = flags[0].Agreement, flags[0].Term
			out = append(out, e)
		}
		if site != nil {
			e := incidentEvent(alert.NearSite, inc)
			e.Agreement, e.Term, e.Site, e.SiteName, e.MeasuredKM = site.Agreement, site.Term, site.Site, site.SiteName, site.MeasuredKM
			out = append(out, e)
		}
		if window != nil {
			e := incidentEvent(alert.WindowViolation, inc)
			e.Agreement, e.Term = window.Agreement, window.Term
			out = append(out, e)
		}
		return out
	case hotline.TypeEscalate:
		var p hotline.Escalate
		if json.Unmarshal(s.Statement.Payload, &p) != nil {
			return nil
		}
		th, err := c.Store.Thread(ctx, p.Thread)
		if err != nil || th == nil {
			return nil
		}
		due := p.Due
		return []alert.Event{{Kind: alert.HotlineMissed, Cause: s.Seq, Record: p.Thread, Message: p.Message, Parties: []string{th.Party}, Due: &due}}
	case agreement.TypeArrangementDeadlineMissed:
		var p agreement.DeadlineMissed
		if json.Unmarshal(s.Statement.Payload, &p) != nil {
			return nil
		}
		return []alert.Event{{Kind: alert.GuaranteeMissed, Cause: s.Seq, Record: p.Arrangement, Version: p.Version, Parties: p.Missing}}
	case agreement.TypeArrangementWithdraw:
		var p agreement.ChangeArrangement
		if json.Unmarshal(s.Statement.Payload, &p) != nil {
			return nil
		}
		return []alert.Event{{Kind: alert.GuaranteeWithdrawn, Cause: s.Seq, Record: p.Arrangement, Parties: []string{s.Statement.Party}}}
	case report.TypeWarning:
		var p report.RaiseWarning
		if json.Unmarshal(s.Statement.Payload, &p) != nil {
			return nil
		}
		// The warning about an incident is about it; one about a count,
		// about the warning itself.
		e := alert.Event{Kind: alert.Warning, Cause: s.Seq, Record: report.WarningID(s.Seq), Type: incident.Type(p.Type)}
		if p.Incident != "" {
			if inc, err := c.Store.Incident(ctx, p.Incident); err == nil && inc != nil {
				e = incidentEvent(alert.Warning, inc)
			}
		}
		return []alert.Event{e}
	}
	return nil
}

func km(p *float64) float64 {
	if p == nil {
		return 1e9
	}
	return *p
}

// mayHear says whether member may be told of e: a thread's missed
// deadline only to those who may read the thread.
func (c *Centre) mayHear(ctx context.Context, m *party.Member, kind party.Kind, e alert.Event) bool {
	if m == nil || m.Revoked {
		return false
	}
	if e.Kind == alert.HotlineMissed {
		th, err := c.Store.Thread(ctx, e.Record)
		return err == nil && th != nil && th.CanRead(m, kind)
	}
	return true
}

// raiseAlerts matches the statements of batch against every active
// subscription and appends an alert.notify for each match, as the
// operator. An alert raised before (by an earlier run over the same
// statements) is refused by the fold and skipped.
func (c *Centre) raiseAlerts(ctx context.Context, batch []*ledger.Signed) {
	subs, err := c.activeSubscriptions(ctx, batch)
	if err != nil {
		slog.Warn("alerts: read subscriptions", "err", err)
		return
	}
	if len(subs) == 0 {
		return // nothing to match: no incident is read
	}
	var events []alert.Event
	for _, s := range batch {
		events = append(events, c.eventsOf(ctx, s)...)
	}
	c.tell(ctx, subs, events)
}

// tell appends an alert.notify for each subscription that events match.
func (c *Centre) tell(ctx context.Context, subs []*alert.Subscription, events []alert.Event) {
	if len(events) == 0 {
		return
	}
	op, err := c.Operator(ctx)
	if err != nil {
		return
	}
	type who struct {
		m    *party.Member
		kind party.Kind
	}
	members := map[string]who{}
	lookup := func(id string) who {
		if w, ok := members[id]; ok {
			return w
		}
		var w who
		if m, err := c.Store.Member(ctx, id); err == nil && m != nil {
			w.m = m
			if p, err := c.Store.Party(ctx, m.Party); err == nil && p != nil {
				w.kind = p.Kind
			}
		}
		members[id] = w
		return w
	}
	for _, e := range events {
		for _, sub := range slices.Backward(subs) { // oldest first
			if e.Cause <= sub.Seq || !sub.Filter.Matches(e) {
				continue
			}
			if w := lookup(sub.Member); !c.mayHear(ctx, w.m, w.kind, e) {
				continue
			}
			st, err := c.Say(ctx, op, alert.TypeNotify, alert.Notify{Subscription: sub.ID, Member: sub.Member, Event: e})
			if errors.Is(err, ledger.ErrConflict) {
				continue // told already
			}
			if err != nil {
				if ctx.Err() == nil {
					slog.Warn("alerts: raise", "subscription", sub.ID, "event", e.String(), "err", err)
				}
				continue
			}
			if sub.Webhook != nil {
				if d, ok := c.scheduler().(Deliverer); ok {
					if err := d.ArmDelivery(ctx, alert.ID(st.Seq)); err != nil {
						slog.Warn("alerts: arm delivery", "alert", alert.ID(st.Seq), "err", err)
					}
				}
			}
		}
	}
}

// activeSubscriptions returns the active subscriptions, newest first,
// read again from the store when batch changes them (or a member: a
// revoked subscriber is skipped when matched) and kept otherwise, so that
// a centre with none pays nothing per statement.
func (c *Centre) activeSubscriptions(ctx context.Context, batch []*ledger.Signed) ([]*alert.Subscription, error) {
	stale := batch == nil
	for _, s := range batch {
		t := s.Statement.Type
		stale = stale || t == alert.TypeSubscribe || t == alert.TypeUnsubscribe
	}
	c.mu.Lock()
	cached, ok := c.subs, c.subsRead
	c.mu.Unlock()
	if ok && !stale {
		return cached, nil
	}
	all, err := c.Store.Subscriptions(ctx, "")
	if err != nil {
		return nil, err
	}
	active := slices.DeleteFunc(all, func(s *alert.Subscription) bool { return s.Status != alert.Active })
	c.mu.Lock()
	c.subs, c.subsRead = active, true
	c.mu.Unlock()
	return active, nil
}

// alertsResume is where matching resumes after a start or after the
// follower fell behind: at the cause of the latest alert, and after the
// oldest active subscription (nothing older can match). It returns false
// when no subscription is active.
func (c *Centre) alertsResume(ctx context.Context) (uint64, bool) {
	subs, err := c.activeSubscriptions(ctx, nil)
	if err != nil {
		return 0, false
	}
	var from uint64
	active := false
	for _, s := range subs {
		if s.Status == alert.Active && (!active || s.Seq+1 < from) {
			from, active = s.Seq+1, true
		}
	}
	if !active {
		return 0, false
	}
	// The latest alert's cause may have raised more alerts than were
	// appended before a crash: it is matched again (what was raised is
	// refused, and skipped).
	if last, err := c.Store.Alerts(ctx, alert.Query{Limit: 1}); err == nil && len(last) == 1 && last[0].Event.Cause > from {
		from = last[0].Event.Cause
	}
	return from, true
}

// catchUpAlerts matches the statements from the resume point to next (the
// first one the follower hears live).
func (c *Centre) catchUpAlerts(ctx context.Context, next uint64) {
	from, ok := c.alertsResume(ctx)
	for ok && from < next && ctx.Err() == nil {
		batch, err := c.Store.Statements(ctx, from, min(1000, int(next-from)))
		if err != nil || len(batch) == 0 {
			return
		}
		c.raiseAlerts(ctx, batch)
		from = batch[len(batch)-1].Seq + 1
	}
}

// printable makes an error text fit for a statement: invalid UTF-8,
// controls and format characters become spaces.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 || r == 0xFFFD {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
}

// digestDue tells the subscribers to the hourly digest that the hour
// ending at end has its digest (GET /v1/reports/hourly?at=end), each once.
func (c *Centre) digestDue(ctx context.Context, end time.Time) error {
	subs, err := c.activeSubscriptions(ctx, nil)
	if err != nil || len(subs) == 0 {
		return err
	}
	size, err := c.Store.Size(ctx)
	if err != nil || size == 0 {
		return err
	}
	// Its cause is the ledger's last statement at the hour's end.
	c.tell(ctx, subs, []alert.Event{{Kind: alert.Digest, Cause: size - 1, Record: alert.DigestRecord(end)}})
	return nil
}
