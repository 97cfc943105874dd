package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"truce/alert"
)

// alertSchema holds subscriptions and alerts (projections, sealed), and
// the webhook keys: secrets sealed by the centre, off the ledger, like
// credentials. An alert's key (subscription, event, record) is unique: a
// subscriber is told of an event once.
const alertSchema = `
CREATE TABLE IF NOT EXISTS alert_subscriptions (
	seq    INTEGER PRIMARY KEY,
	member TEXT NOT NULL,
	status TEXT NOT NULL,
	doc    BLOB NOT NULL,
	seal   BLOB
);
CREATE INDEX IF NOT EXISTS alert_subscriptions_member ON alert_subscriptions(member, status);
CREATE TABLE IF NOT EXISTS alerts (
	seq          INTEGER PRIMARY KEY,
	member       TEXT NOT NULL,
	subscription TEXT NOT NULL,
	key          TEXT NOT NULL UNIQUE,
	doc          BLOB NOT NULL,
	seal         BLOB
);
CREATE INDEX IF NOT EXISTS alerts_member ON alerts(member, seq);
CREATE TABLE IF NOT EXISTS webhook_keys (
	id     TEXT PRIMARY KEY,
	member TEXT NOT NULL,
	secret BLOB NOT NULL
);
`

// The tables' sealed columns (see seal.go).
var (
	subscriptionsTable = table{"alert_subscriptions", []string{"seq", "member", "status", "doc"}}
	alertsTable        = table{"alerts", []string{"seq", "member", "subscription", "key", "doc"}}
)

// alertDump is Dump's part for these tables.
var alertDump = []string{
	`SELECT 'subscription ' || seq || ' ' || member || ' ' || status || ' ' || CAST(doc AS TEXT) FROM alert_subscriptions ORDER BY seq`,
	`SELECT 'alert ' || seq || ' ' || member || ' ' || subscription || ' ' || key || ' ' || CAST(doc AS TEXT) FROM alerts ORDER BY seq`,
}

func (t *txn) Subscription(id string) (*alert.Subscription, error) {
	seq, ok := alert.SeqOf(id, "sub-")
	if !ok {
		return nil, nil
	}
	return getDoc[alert.Subscription](t.ctx, t.s, t, subscriptionsTable, `WHERE seq = ?`, int64(seq))
}

func (t *txn) PutSubscription(s *alert.Subscription) error {
	doc, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode %s: %w", s.ID, err)
	}
	cols := []any{int64(s.Seq), s.Member, s.Status, doc}
	_, err = t.exec(`INSERT INTO alert_subscriptions (seq, member, status, doc, seal) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(seq) DO UPDATE SET status = excluded.status, doc = excluded.doc, seal = excluded.seal`,
		append(cols, t.s.seals.seal(subscriptionsTable, cols...))...)
	if err != nil {
		return fmt.Errorf("write %s: %w", s.ID, err)
	}
	return nil
}

func (t *txn) ActiveSubscriptions(member string) (int, error) {
	var n int
	if err := t.QueryRowContext(t.ctx, `SELECT count(*) FROM alert_subscriptions WHERE member = ? AND status = ?`, member, alert.Active).Scan(&n); err != nil {
		return 0, fmt.Errorf("count subscriptions of %s: %w", member, err)
	}
	return n, nil
}

func (t *txn) Alert(id string) (*alert.Alert, error) {
	seq, ok := alert.SeqOf(id, "al-")
	if !ok {
		return nil, nil
	}
	return getDoc[alert.Alert](t.ctx, t.s, t, alertsTable, `WHERE seq = ?`, int64(seq))
}

func (t *txn) AlertByKey(key string) (string, error) {
	var seq int64
	err := t.QueryRowContext(t.ctx, `SELECT seq FROM alerts WHERE key = ?`, key).Scan(&seq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("look up alert %s: %w", key, err)
	}
	return alert.ID(uint64(seq)), nil
}

func (t *txn) PutAlert(a *alert.Alert) error {
	doc, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode %s: %w", a.ID, err)
	}
	cols := []any{int64(a.Seq), a.Member, a.Subscription, a.Key, doc}
	_, err = t.exec(`INSERT INTO alerts (seq, member, subscription, key, doc, seal) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(seq) DO UPDATE SET doc = excluded.doc, seal = excluded.seal`,
		append(cols, t.s.seals.seal(alertsTable, cols...))...)
	if err != nil {
		return fmt.Errorf("write %s: %w", a.ID, err)
	}
	return nil
}

// Subscription returns a subscription, or nil.
func (s *Store) Subscription(ctx context.Context, id string) (*alert.Subscription, error) {
	seq, ok := alert.SeqOf(id, "sub-")
	if !ok {
		return nil, nil
	}
	return getDoc[alert.Subscription](ctx, s, s.r, subscriptionsTable, `WHERE seq = ?`, int64(seq))
}

// Subscriptions lists the subscriptions of member ("" all), newest first.
func (s *Store) Subscriptions(ctx context.Context, member string) ([]*alert.Subscription, error) {
	return listDocs[alert.Subscription](ctx, s, subscriptionsTable, `WHERE ? = '' OR member = ? ORDER BY seq DESC`, member, member)
}

// Alert returns an alert, or nil.
func (s *Store) Alert(ctx context.Context, id string) (*alert.Alert, error) {
	seq, ok := alert.SeqOf(id, "al-")
	if !ok {
		return nil, nil
	}
	return getDoc[alert.Alert](ctx, s, s.r, alertsTable, `WHERE seq = ?`, int64(seq))
}

// Alerts lists the alerts q selects, newest first.
func (s *Store) Alerts(ctx context.Context, q alert.Query) ([]*alert.Alert, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 1 << 30
	}
	var out []*alert.Alert
	// Member and subscription narrow in SQL; the rest is read from the
	// documents, which are checked against their seals anyway.
	all, err := listDocs[alert.Alert](ctx, s, alertsTable, `WHERE (? = '' OR member = ?) AND (? = '' OR subscription = ?) ORDER BY seq DESC`,
		q.Member, q.Member, q.Subscription, q.Subscription)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if len(out) >= limit {
			break
		}
		if q.Match(a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// PutWebhookKey stores a webhook key's sealed secret for member.
func (s *Store) PutWebhookKey(ctx context.Context, id, member string, sealed []byte) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO webhook_keys (id, member, secret) VALUES (?, ?, ?)`, id, member, sealed); err != nil {
		return fmt.Errorf("store webhook key: %w", err)
	}
	return nil
}

// WebhookKey returns a webhook key's member and sealed secret; "" when none.
func (s *Store) WebhookKey(ctx context.Context, id string) (string, []byte, error) {
	var member string
	var sealed []byte
	err := s.r.QueryRowContext(ctx, `SELECT member, secret FROM webhook_keys WHERE id = ?`, id).Scan(&member, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("read webhook key: %w", err)
	}
	return member, sealed, nil
}
