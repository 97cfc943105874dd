package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

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
