package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"truce/incident"
	"truce/ledger"
	"truce/report"
)

// reportsSchema holds the reports issued, keyed by the ledger index of
// their report.issue statement, and found by the digest of their bytes.
const reportsSchema = `
CREATE TABLE IF NOT EXISTS issued_reports (
	seq    INTEGER PRIMARY KEY,
	sha256 TEXT NOT NULL,
	doc    BLOB NOT NULL,
	seal   BLOB
);
CREATE INDEX IF NOT EXISTS issued_reports_sha256 ON issued_reports(sha256);
CREATE TABLE IF NOT EXISTS warnings (
	seq  INTEGER PRIMARY KEY,
	date TEXT NOT NULL,
	key  TEXT NOT NULL,
	doc  BLOB NOT NULL,
	seal BLOB
);
CREATE UNIQUE INDEX IF NOT EXISTS warnings_key ON warnings(date, key);
-- The statements that give an incident a finding, publish it or answer it,
-- by ledger index: the daily report finds a day's findings and responses
-- here, however many reports the day holds. Partial, so that the reports
-- themselves cost it nothing.
CREATE INDEX IF NOT EXISTS ledger_incident_steps ON ledger(seq)
	WHERE type IN ('incident.finding', 'incident.publish', 'incident.respond');
`

var (
	issuedTable   = table{"issued_reports", []string{"seq", "sha256", "doc"}}
	warningsTable = table{"warnings", []string{"seq", "date", "key", "doc"}}
)

// reportsDump is Dump's part for this table.
var reportsDump = []string{
	`SELECT 'report ' || seq || ' ' || sha256 || ' ' || CAST(doc AS TEXT) FROM issued_reports ORDER BY seq`,
	`SELECT 'warning ' || seq || ' ' || date || ' ' || key || ' ' || CAST(doc AS TEXT) FROM warnings ORDER BY seq`,
}

func (t *txn) PutIssued(r *report.Issued) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode %s: %w", r.ID, err)
	}
	cols := []any{int64(r.Seq), r.SHA256, doc}
	if _, err := t.exec(`INSERT INTO issued_reports (seq, sha256, doc, seal) VALUES (?, ?, ?, ?)`,
		append(cols, t.s.seals.seal(issuedTable, cols...))...); err != nil {
		return fmt.Errorf("write %s: %w", r.ID, err)
	}
	return nil
}

// IssuedReports lists the reports issued, newest first.
func (s *Store) IssuedReports(ctx context.Context) ([]*report.Issued, error) {
	return listDocs[report.Issued](ctx, s, issuedTable, `ORDER BY seq DESC`)
}

// IssuedReport returns the issues of the report whose bytes have digest
// sha256, oldest first.
func (s *Store) IssuedReport(ctx context.Context, sha256 string) ([]*report.Issued, error) {
	return listDocs[report.Issued](ctx, s, issuedTable, `WHERE sha256 = ? ORDER BY seq`, sha256)
}

func (t *txn) WarningRaised(date, key string) (bool, error) {
	w, err := getDoc[report.Raised](t.ctx, t.s, t, warningsTable, `WHERE date = ? AND key = ?`, date, key)
	return w != nil, err
}

func (t *txn) PutWarning(w *report.Raised) error {
	doc, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode %s: %w", w.ID, err)
	}
	cols := []any{int64(w.Seq), w.Date, w.Key(), doc}
	if _, err := t.exec(`INSERT INTO warnings (seq, date, key, doc, seal) VALUES (?, ?, ?, ?, ?)`,
		append(cols, t.s.seals.seal(warningsTable, cols...))...); err != nil {
		return fmt.Errorf("write %s: %w", w.ID, err)
	}
	return nil
}

// Warnings lists the warnings raised for a day (every day if date is
// empty), oldest first.
func (s *Store) Warnings(ctx context.Context, date string) ([]*report.Raised, error) {
	return listDocs[report.Raised](ctx, s, warningsTable, `WHERE ? = '' OR date = ? ORDER BY seq`, date, date)
}

// observedSQL selects the incidents observed in [from, to) by the time
// index.
func observedSQL(from, to time.Time, publishedOnly bool) (string, []any) {
	q, args := `WHERE t_from >= ? AND t_from < ?`, []any{from.UnixMilli(), to.UnixMilli()}
	if publishedOnly {
		q += ` AND status = ?`
		args = append(args, string(incident.Published))
	}
	return q, args
}

// ObservedRows lists what the map index holds of the incidents observed
// in [from, to), from their sealed columns without their documents: the
// daily report's counts when the index lags.
func (s *Store) ObservedRows(ctx context.Context, from, to time.Time, publishedOnly bool) ([]incident.MapRow, error) {
	q, args := observedSQL(from, to, publishedOnly)
	var out []incident.MapRow
	err := s.sealedRows(ctx, s.r, incidentsTable, 0, q+` ORDER BY seq`, args, nil, func(v []any) error {
		out = append(out, mapRow(v))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("incidents observed from %s: %w", from.Format(time.RFC3339), err)
	}
	return out, nil
}

// ObservedIncidents calls each with every incident observed in [from,
// to), checked as every read is, in ledger order.
func (s *Store) ObservedIncidents(ctx context.Context, from, to time.Time, publishedOnly bool, each func(*incident.Incident) error) error {
	q, args := observedSQL(from, to, publishedOnly)
	if err := s.incidents(ctx, s.r, q+` ORDER BY seq`, args, each); err != nil {
		return fmt.Errorf("incidents observed from %s: %w", from.Format(time.RFC3339), err)
	}
	return nil
}

// IncidentSteps lists the statements at ledger indexes [from, to) that
// gave an incident a finding, published it or answered it, each checked
// against its leaf in the tree.
func (s *Store) IncidentSteps(ctx context.Context, from, to uint64) ([]*ledger.Signed, error) {
	out, err := s.rawRows(ctx, `WHERE type IN ('incident.finding', 'incident.publish', 'incident.respond') AND seq >= ? AND seq < ? ORDER BY seq`,
		int64(from), int64(to))
	if err != nil {
		return nil, fmt.Errorf("read incident steps: %w", err)
	}
	return s.checked(out)
}
