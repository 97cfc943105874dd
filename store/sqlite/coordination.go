package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"truce/hotline"
	"truce/movement"
)

// coordinationSchema holds the hotline's threads and the movement register.
// A thread's or restriction's ID is a prefix and the ledger index of the
// statement that opened it, so that index is the primary key. Evidence
// files a thread carries are indexed in the evidence table under the
// thread's ID, beside incidents'.
const coordinationSchema = `
CREATE TABLE IF NOT EXISTS hotline_threads (
	seq    INTEGER PRIMARY KEY,
	party  TEXT NOT NULL,
	status TEXT NOT NULL,
	doc    BLOB NOT NULL,
	seal   BLOB
);
CREATE INDEX IF NOT EXISTS hotline_threads_party ON hotline_threads(party, seq);
CREATE TABLE IF NOT EXISTS restrictions (
	seq     INTEGER PRIMARY KEY,
	actor   TEXT NOT NULL,
	subtype TEXT NOT NULL,
	status  TEXT NOT NULL,
	doc     BLOB NOT NULL,
	seal    BLOB
);
`

// The tables' sealed columns (see seal.go).
var (
	threadsTable      = table{"hotline_threads", []string{"seq", "party", "status", "doc"}}
	restrictionsTable = table{"restrictions", []string{"seq", "actor", "subtype", "status", "doc"}}
)

// coordinationDump is Dump's part for these tables.
var coordinationDump = []string{
	`SELECT 'thread ' || seq || ' ' || party || ' ' || status || ' ' || CAST(doc AS TEXT) FROM hotline_threads ORDER BY seq`,
	`SELECT 'restriction ' || seq || ' ' || actor || ' ' || subtype || ' ' || status || ' ' || CAST(doc AS TEXT) FROM restrictions ORDER BY seq`,
}

func (t *txn) Thread(id string) (*hotline.Thread, error) {
	seq, ok := hotline.SeqOf(id)
	if !ok {
		return nil, nil
	}
	return getDoc[hotline.Thread](t.ctx, t.s, t, threadsTable, `WHERE seq = ?`, int64(seq))
}

func (t *txn) PutThread(th *hotline.Thread) error {
	doc, err := json.Marshal(th)
	if err != nil {
		return fmt.Errorf("encode %s: %w", th.ID, err)
	}
	cols := []any{int64(th.Seq), th.Party, string(th.Status), doc}
	_, err = t.exec(`INSERT INTO hotline_threads (seq, party, status, doc, seal) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(seq) DO UPDATE SET status = excluded.status, doc = excluded.doc, seal = excluded.seal`,
		append(cols, t.s.seals.seal(threadsTable, cols...))...)
	if err != nil {
		return fmt.Errorf("write %s: %w", th.ID, err)
	}
	return nil
}

func (t *txn) Restriction(id string) (*movement.Restriction, error) {
	seq, ok := movement.SeqOf(id)
	if !ok {
		return nil, nil
	}
	return getDoc[movement.Restriction](t.ctx, t.s, t, restrictionsTable, `WHERE seq = ?`, int64(seq))
}

func (t *txn) PutRestriction(r *movement.Restriction) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode %s: %w", r.ID, err)
	}
	cols := []any{int64(r.Seq), r.Actor, string(r.Subtype), string(r.Status), doc}
	_, err = t.exec(`INSERT INTO restrictions (seq, actor, subtype, status, doc, seal) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(seq) DO UPDATE SET status = excluded.status, doc = excluded.doc, seal = excluded.seal`,
		append(cols, t.s.seals.seal(restrictionsTable, cols...))...)
	if err != nil {
		return fmt.Errorf("write %s: %w", r.ID, err)
	}
	return nil
}

func (t *txn) PutRecordEvidence(sha, record string) error {
	if _, err := t.exec(`INSERT OR IGNORE INTO evidence (sha256, incident, seal) VALUES (?, ?, ?)`,
		sha, record, t.s.seals.seal(evidenceTable, sha, record)); err != nil {
		return fmt.Errorf("index evidence of %s: %w", record, err)
	}
	return nil
}

// Thread returns a hotline thread, or nil.
func (s *Store) Thread(ctx context.Context, id string) (*hotline.Thread, error) {
	seq, ok := hotline.SeqOf(id)
	if !ok {
		return nil, nil
	}
	return getDoc[hotline.Thread](ctx, s, s.r, threadsTable, `WHERE seq = ?`, int64(seq))
}

// Threads lists hotline threads, newest first: those with party, or all
// when party is empty.
func (s *Store) Threads(ctx context.Context, party string) ([]*hotline.Thread, error) {
	return listDocs[hotline.Thread](ctx, s, threadsTable, `WHERE ? = '' OR party = ? ORDER BY seq DESC`, party, party)
}

// Restriction returns a restriction, or nil.
func (s *Store) Restriction(ctx context.Context, id string) (*movement.Restriction, error) {
	seq, ok := movement.SeqOf(id)
	if !ok {
		return nil, nil
	}
	return getDoc[movement.Restriction](ctx, s, s.r, restrictionsTable, `WHERE seq = ?`, int64(seq))
}

// Restrictions lists the register, newest first.
func (s *Store) Restrictions(ctx context.Context) ([]*movement.Restriction, error) {
	return listDocs[movement.Restriction](ctx, s, restrictionsTable, `ORDER BY seq DESC`)
}
