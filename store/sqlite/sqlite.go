// Package sqlite is the embedded store: one SQLite database in WAL mode with
// synchronous=FULL, holding the ledger table and the projections folded from
// it. Appends go through one writer connection in immediate transactions, so
// several processes (a server and a CLI) can share one data directory.
package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"truce/agreement"
	"truce/incident"
	"truce/ledger"
	"truce/negotiation"
	"truce/party"
	"truce/projection"
)

const schema = `
CREATE TABLE IF NOT EXISTS ledger (
	seq       INTEGER PRIMARY KEY,
	type      TEXT NOT NULL,
	party     TEXT NOT NULL,
	author    TEXT NOT NULL,
	time      TEXT NOT NULL,
	subject   TEXT NOT NULL,
	body      BLOB NOT NULL,
	sig       BLOB NOT NULL,
	nonce     TEXT NOT NULL,
	leaf_hash BLOB NOT NULL
);
-- A replayed signed statement is refused. Keyed by author and time rather
-- than by leaf hash, this index grows at its end: a random 32-byte key
-- would scatter every append across the whole index once the ledger is big.
CREATE UNIQUE INDEX IF NOT EXISTS ledger_once ON ledger(author, time, nonce);
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;

-- The Merkle tree over the ledger (RFC 6962), as the stored hashes of
-- golang.org/x/mod/sumdb/tlog: written in the same transaction as each
-- statement.
CREATE TABLE IF NOT EXISTS tree_hashes (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS tree_no_update BEFORE UPDATE ON tree_hashes
BEGIN SELECT RAISE(ABORT, 'tree hashes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS tree_no_delete BEFORE DELETE ON tree_hashes
BEGIN SELECT RAISE(ABORT, 'tree hashes are append-only'); END;

-- Signed checkpoints, and the log's own settings (origin, keys).
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, note BLOB NOT NULL, signed_at TEXT NOT NULL,
	final INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS cosignatures (size INTEGER NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL,
	PRIMARY KEY (size, witness));
CREATE TABLE IF NOT EXISTS log_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Every projection row carries a seal: see seal.go.
CREATE TABLE IF NOT EXISTS parties (id TEXT PRIMARY KEY, doc BLOB NOT NULL, seal BLOB);
CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, party TEXT NOT NULL, doc BLOB NOT NULL, seal BLOB);
-- Every public key a member holds or has held (base64, as the ledger spells
-- it), so that the fold can refuse a key already registered. A key stays
-- after a rotation away from it.
CREATE TABLE IF NOT EXISTS member_keys (public_key TEXT PRIMARY KEY, member TEXT NOT NULL, seal BLOB);
-- An incident's ID is "inc-" and the ledger index of its report, so that
-- index is the primary key (SQLite's rowid) and no separate ID index exists.
CREATE TABLE IF NOT EXISTS incidents (
	seq       INTEGER PRIMARY KEY,
	type      TEXT NOT NULL,
	status    TEXT NOT NULL,
	party     TEXT NOT NULL,
	actor     TEXT NOT NULL,
	event     TEXT NOT NULL,
	t_from    INTEGER NOT NULL,
	t_until   INTEGER NOT NULL,
	west REAL NOT NULL, south REAL NOT NULL, east REAL NOT NULL, north REAL NOT NULL,
	doc       BLOB NOT NULL,
	doc_sha   BLOB,
	seal      BLOB
);
CREATE INDEX IF NOT EXISTS incidents_status ON incidents(status, seq);
CREATE INDEX IF NOT EXISTS incidents_party ON incidents(party, seq);
CREATE INDEX IF NOT EXISTS incidents_event ON incidents(event);
CREATE INDEX IF NOT EXISTS incidents_time ON incidents(t_from);
CREATE TABLE IF NOT EXISTS rounds (id TEXT PRIMARY KEY, start TEXT NOT NULL, doc BLOB NOT NULL, seal BLOB);
CREATE TABLE IF NOT EXISTS evidence (sha256 TEXT NOT NULL, incident TEXT NOT NULL, seal BLOB, PRIMARY KEY (sha256, incident));
CREATE TABLE IF NOT EXISTS plans (id TEXT PRIMARY KEY, party TEXT NOT NULL, doc BLOB NOT NULL, seal BLOB);
CREATE TABLE IF NOT EXISTS agreements (id TEXT NOT NULL, version INTEGER NOT NULL, doc BLOB NOT NULL, seal BLOB, PRIMARY KEY (id, version));
-- What happened to each agreement as a whole: suspensions, resumptions, a termination.
CREATE TABLE IF NOT EXISTS instruments (id TEXT PRIMARY KEY, doc BLOB NOT NULL, seal BLOB);
-- Localized arrangements: the record beyond their versions (declines,
-- conditions, withdrawals, check-ins, the outcome).
CREATE TABLE IF NOT EXISTS arrangements (id TEXT PRIMARY KEY, doc BLOB NOT NULL, seal BLOB);
-- The terms each incident's latest evaluation names, for queries by term.
CREATE TABLE IF NOT EXISTS violations (agreement TEXT NOT NULL, term TEXT NOT NULL, incident INTEGER NOT NULL, seal BLOB,
	PRIMARY KEY (agreement, term, incident));
CREATE INDEX IF NOT EXISTS violations_incident ON violations(incident);

-- Credentials are not part of the record: they never enter the ledger, and
-- a replayed ledger has none.
CREATE TABLE IF NOT EXISTS credentials (
	member      TEXT PRIMARY KEY,
	token_hash  BLOB UNIQUE,
	private_key BLOB
);
`

// Store is an open SQLite store.
type Store struct {
	w, r *sql.DB
	path string
	// readHashes is prepared once: proofs read a handful of hashes at a
	// time, and preparing the query would cost more than running it.
	readHashes *sql.Stmt
	seals      sealer
}

// Open opens (creating if needed) the database truce.db in dir.
func Open(dir string) (*Store, error) {
	// The writer keeps the indexes it updates in a larger page cache.
	return open(dir, 32<<10, "FULL")
}

// openScratch opens a store that is thrown away after one use (the fold
// check's): a small page cache, as it runs beside the serving store, and
// no fsync, as nothing in it must outlive a crash.
func openScratch(dir string) (*Store, error) { return open(dir, 2<<10, "OFF") }

func open(dir string, writerCacheKiB int, synchronous string) (*Store, error) {
	path := filepath.Join(dir, "truce.db")
	dsn := func(cacheKiB int, extra string) string {
		q := url.Values{}
		for _, p := range []string{"journal_mode(WAL)", "synchronous(" + synchronous + ")", "busy_timeout(15000)", "foreign_keys(1)",
			fmt.Sprintf("cache_size(-%d)", cacheKiB)} {
			q.Add("_pragma", p)
		}
		return "file:" + path + "?" + q.Encode() + extra
	}
	w, err := sql.Open("sqlite", dsn(writerCacheKiB, "&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn(2<<10, ""))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	s := &Store{w: w, r: r, path: path}
	if _, err := w.Exec(schema + coordinationSchema + seatsSchema + reportsSchema + alertSchema); err != nil {
		s.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, err)
	}
	if err := s.addSealColumns(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.indexKeys(); err != nil {
		s.Close()
		return nil, err
	}
	if s.readHashes, err = r.Prepare(`SELECT idx, hash FROM tree_hashes WHERE idx IN (SELECT value FROM json_each(?))`); err != nil {
		s.Close()
		return nil, fmt.Errorf("prepare tree reads: %w", err)
	}
	return s, nil
}

// indexKeys fills member_keys from the ledger in a database written before
// it existed: each key in the order the ledger registered it (opening,
// member.add, member.rotate), first holder first, as the fold would have.
// A database whose ledger has any statement has at least the operator's
// key, so this runs once.
func (s *Store) indexKeys() error {
	var have bool
	if err := s.w.QueryRow(`SELECT EXISTS (SELECT 1 FROM member_keys)`).Scan(&have); err != nil || have {
		return err
	}
	_, err := s.w.Exec(`INSERT OR IGNORE INTO member_keys (public_key, member)
		SELECT json_extract(doc, '$.payload.public_key'),
			json_extract(doc, CASE type WHEN 'centre.open' THEN '$.payload.operator' WHEN 'member.add' THEN '$.payload.id' ELSE '$.payload.member' END)
		FROM (SELECT seq, type, CAST(body AS TEXT) AS doc FROM ledger WHERE type IN ('centre.open', 'member.add', 'member.rotate'))
		ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("index member keys: %w", err)
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	if s.readHashes != nil {
		s.readHashes.Close()
	}
	return errors.Join(s.w.Close(), s.r.Close())
}

// AppendBatch implements ledger.Appender: each statement is folded and
// appended under its own savepoint, and the group commits once.
func (s *Store) AppendBatch(ctx context.Context, batch []*ledger.Signed) ([]error, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin append: %w", err)
	}
	defer tx.Rollback()
	var next uint64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq)+1, 0) FROM ledger`).Scan(&next); err != nil {
		return nil, fmt.Errorf("read ledger size: %w", err)
	}
	t := s.newTxn(ctx, tx, next)
	defer t.close()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO ledger (seq, type, party, author, time, subject, body, sig, nonce, leaf_hash) VALUES (?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return nil, fmt.Errorf("prepare append: %w", err)
	}
	defer ins.Close()
	errs := make([]error, len(batch))
	for i, st := range batch {
		if _, err := t.exec(`SAVEPOINT stmt`); err != nil {
			return nil, fmt.Errorf("savepoint: %w", err)
		}
		st.Seq = next
		subject, err := projection.Apply(t, st)
		if err == nil {
			h := st.LeafHash()
			_, err = ins.ExecContext(ctx, int64(next), st.Statement.Type, st.Statement.Party, st.Statement.Author,
				st.Statement.Time.UTC().Format(ledger.TimeLayout), subject, st.Body, st.Sig, st.Statement.Nonce, h[:])
			if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed: ledger.author") {
				err = ledger.Conflict("%s already made a statement at %s with nonce %q: a replay, or a second statement that needs its own nonce",
					st.Statement.Author, st.Statement.Time.Format(ledger.TimeLayout), st.Statement.Nonce)
			}
			if err == nil {
				err = t.growTree(int64(next), h)
			}
		}
		if err != nil {
			if _, rerr := t.exec(`ROLLBACK TO stmt`); rerr != nil {
				return nil, fmt.Errorf("roll back refused statement: %w", rerr)
			}
			t.pending = nil
			// A refused statement may have read back a member or party it
			// had changed before it failed: read them again from the
			// rolled-back rows, or the statements after it fold on what
			// never was.
			clear(t.members)
			clear(t.parties)
			errs[i] = err
		} else {
			for idx, h := range t.pending {
				t.hashes[idx] = h
			}
			t.pending = nil
			next++
			t.size = next
		}
		if _, err := t.exec(`RELEASE stmt`); err != nil {
			return nil, fmt.Errorf("release savepoint: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit append: %w", err)
	}
	return errs, nil
}

// txn adapts a SQL transaction to projection.Tx. It prepares each query
// once per transaction: parsing SQL per statement costs more than running it.
type txn struct {
	s     *Store
	ctx   context.Context
	tx    *sql.Tx
	size  uint64
	stmts map[string]*sql.Stmt
	// Members and parties read in this transaction: the writer holds the
	// database lock, so they cannot change except through Put*.
	members map[string]*party.Member
	parties map[string]*party.Party
	// Tree hashes written in this transaction, and those of the statement
	// in progress (kept apart until its savepoint is released).
	hashes  map[int64]tlog.Hash
	pending map[int64]tlog.Hash
}

func (s *Store) newTxn(ctx context.Context, tx *sql.Tx, size uint64) *txn {
	return &txn{s: s, ctx: ctx, tx: tx, size: size, stmts: map[string]*sql.Stmt{},
		members: map[string]*party.Member{}, parties: map[string]*party.Party{}, hashes: map[int64]tlog.Hash{}}
}

// growTree stores the tree hashes that leaf n completes.
func (t *txn) growTree(n int64, leaf [32]byte) error {
	hs, err := tlog.StoredHashesForRecordHash(n, tlog.Hash(leaf), t)
	if err != nil {
		return fmt.Errorf("tree hashes for %d: %w", n, err)
	}
	base := tlog.StoredHashIndex(0, n)
	t.pending = make(map[int64]tlog.Hash, len(hs))
	for i, h := range hs {
		if _, err := t.exec(`INSERT INTO tree_hashes (idx, hash) VALUES (?, ?)`, base+int64(i), h[:]); err != nil {
			return fmt.Errorf("store tree hash: %w", err)
		}
		t.pending[base+int64(i)] = h
	}
	return nil
}

// ReadHashes implements tlog.HashReader inside the transaction.
func (t *txn) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if h, ok := t.hashes[idx]; ok {
			out[i] = h
			continue
		}
		var b []byte
		if err := t.QueryRowContext(t.ctx, `SELECT hash FROM tree_hashes WHERE idx = ?`, idx).Scan(&b); err != nil {
			return nil, fmt.Errorf("tree hash %d: %w", idx, err)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

func (t *txn) prepared(q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(t.ctx, q)
	if err != nil {
		return nil, err
	}
	t.stmts[q] = st
	return st, nil
}

func (t *txn) exec(q string, args ...any) (sql.Result, error) {
	st, err := t.prepared(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

// QueryRowContext lets getDoc read through prepared statements.
func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := t.prepared(q)
	if err != nil {
		return t.tx.QueryRowContext(ctx, q, args...) // reports the same error
	}
	return st.QueryRowContext(ctx, args...)
}

func (t *txn) close() {
	for _, st := range t.stmts {
		st.Close()
	}
}

func (t *txn) Size() uint64 { return t.size }

// getDoc reads the document of one sealed row, checking its seal; nil
// and no error when no row matches.
func getDoc[T any](ctx context.Context, s *Store, q rowQuerier, t table, where string, args ...any) (*T, error) {
	doc, err := s.sealedDoc(ctx, q, t, where, args...)
	if doc == nil || err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(doc, v); err != nil {
		return nil, fmt.Errorf("decode %s %v: %w", t.name, args, err)
	}
	return v, nil
}

// Party and Member hand out copies, so that a caller's edits reach the
// cache only through PutParty and PutMember.
func (t *txn) Party(id string) (*party.Party, error) {
	if p, ok := t.parties[id]; ok {
		if p == nil {
			return nil, nil
		}
		c := *p
		return &c, nil
	}
	p, err := getDoc[party.Party](t.ctx, t.s, t, partiesTable, `WHERE id = ?`, id)
	if err == nil {
		t.parties[id] = p
	}
	if p == nil {
		return nil, err
	}
	c := *p
	return &c, err
}

func (t *txn) Member(id string) (*party.Member, error) {
	if m, ok := t.members[id]; ok {
		if m == nil {
			return nil, nil
		}
		c := *m
		c.Roles = slices.Clone(m.Roles)
		return &c, nil
	}
	m, err := getDoc[party.Member](t.ctx, t.s, t, membersTable, `WHERE id = ?`, id)
	if err == nil {
		t.members[id] = m
	}
	if m == nil {
		return nil, err
	}
	c := *m
	c.Roles = slices.Clone(m.Roles)
	return &c, err
}

func (t *txn) Incident(id string) (*incident.Incident, error) {
	seq, ok := incident.SeqOf(id)
	if !ok {
		return nil, nil
	}
	return t.s.incident(t.ctx, t.tx, int64(seq))
}

func (t *txn) PutParty(p *party.Party) error {
	delete(t.parties, p.ID)
	doc, _ := json.Marshal(p)
	_, err := t.exec(`INSERT INTO parties (id, doc, seal) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, seal = excluded.seal`,
		p.ID, doc, t.s.seals.seal(partiesTable, p.ID, doc))
	return err
}

func (t *txn) PutMember(m *party.Member) error {
	delete(t.members, m.ID)
	doc, _ := json.Marshal(m)
	if _, err := t.exec(`INSERT INTO members (id, party, doc, seal) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, seal = excluded.seal`,
		m.ID, m.Party, doc, t.s.seals.seal(membersTable, m.ID, m.Party, doc)); err != nil {
		return err
	}
	// The fold refuses a key another member holds (KeyHolder); this only
	// records the key, and fails loudly should the fold ever not have.
	if _, err := t.exec(`INSERT INTO member_keys (public_key, member, seal) VALUES (?, ?, ?) ON CONFLICT(public_key) DO NOTHING`,
		m.PublicKey, m.ID, t.s.seals.seal(keysTable, m.PublicKey, m.ID)); err != nil {
		return err
	}
	if holder, err := t.KeyHolder(m.PublicKey); err != nil || holder != m.ID {
		return errors.Join(err, fmt.Errorf("the key of member %s is already held by %s", m.ID, holder))
	}
	return nil
}

func (t *txn) KeyHolder(publicKey string) (string, error) {
	// The member is the last sealed column: read it as sealedDoc reads a document.
	member, err := t.s.sealedDoc(t.ctx, t, keysTable, `WHERE public_key = ?`, publicKey)
	if err != nil {
		return "", fmt.Errorf("read key holder: %w", err)
	}
	return string(member), nil
}

func (t *txn) PutIncident(inc *incident.Incident) error {
	doc, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("encode %s: %w", inc.ID, err)
	}
	sha := sha256.Sum256(doc)
	cols := []any{int64(inc.Seq), string(inc.Report.Type), string(inc.Status), inc.Party, inc.Report.AllegedActor, inc.Event,
		inc.From.UnixMilli(), inc.Until.UnixMilli(), inc.BBox[0], inc.BBox[1], inc.BBox[2], inc.BBox[3], sha[:]}
	_, err = t.exec(`INSERT INTO incidents (seq, type, status, party, actor, event, t_from, t_until, west, south, east, north, doc_sha, seal, doc)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(seq) DO UPDATE SET status = excluded.status, event = excluded.event, doc_sha = excluded.doc_sha,
			seal = excluded.seal, doc = excluded.doc`,
		append(cols, t.s.seals.seal(incidentsTable, cols...), doc)...)
	if err != nil {
		return fmt.Errorf("write %s: %w", inc.ID, err)
	}
	for _, e := range inc.Evidence {
		if _, err := t.exec(`INSERT OR IGNORE INTO evidence (sha256, incident, seal) VALUES (?, ?, ?)`,
			e.SHA256, inc.ID, t.s.seals.seal(evidenceTable, e.SHA256, inc.ID)); err != nil {
			return fmt.Errorf("index evidence of %s: %w", inc.ID, err)
		}
	}
	return nil
}

func (t *txn) Round(id string) (*negotiation.Round, error) {
	return getDoc[negotiation.Round](t.ctx, t.s, t, roundsTable, `WHERE id = ?`, id)
}

func (t *txn) PutRound(r *negotiation.Round) error {
	doc, _ := json.Marshal(r)
	_, err := t.exec(`INSERT INTO rounds (id, start, doc, seal) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, seal = excluded.seal`,
		r.ID, r.Start, doc, t.s.seals.seal(roundsTable, r.ID, r.Start, doc))
	return err
}

func (t *txn) Plan(id string) (*agreement.Plan, error) {
	return getDoc[agreement.Plan](t.ctx, t.s, t, plansTable, `WHERE id = ?`, id)
}

func (t *txn) PutPlan(p *agreement.Plan) error {
	doc, _ := json.Marshal(p)
	_, err := t.exec(`INSERT INTO plans (id, party, doc, seal) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, seal = excluded.seal`,
		p.ID, p.Party, doc, t.s.seals.seal(plansTable, p.ID, p.Party, doc))
	return err
}

func (t *txn) Agreement(id string, version int) (*agreement.Version, error) {
	return t.s.agreementVersion(t.ctx, t, id, version)
}

func (s *Store) agreementVersion(ctx context.Context, q rowQuerier, id string, version int) (*agreement.Version, error) {
	if version == 0 {
		return getDoc[agreement.Version](ctx, s, q, agreementsTable, `WHERE id = ? ORDER BY version DESC LIMIT 1`, id)
	}
	return getDoc[agreement.Version](ctx, s, q, agreementsTable, `WHERE id = ? AND version = ?`, id, version)
}

func (t *txn) PutAgreement(v *agreement.Version) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode agreement %s: %w", v.ID, err)
	}
	_, err = t.exec(`INSERT INTO agreements (id, version, doc, seal) VALUES (?, ?, ?, ?) ON CONFLICT(id, version) DO UPDATE SET doc = excluded.doc, seal = excluded.seal`,
		v.ID, int64(v.Version), doc, t.s.seals.seal(agreementsTable, v.ID, int64(v.Version), doc))
	return err
}

func (t *txn) PutViolations(id string, terms []incident.TermRef) error {
	seq, ok := incident.SeqOf(id)
	if !ok {
		return fmt.Errorf("no incident %q", id)
	}
	if _, err := t.exec(`DELETE FROM violations WHERE incident = ?`, int64(seq)); err != nil {
		return fmt.Errorf("clear violations of %s: %w", id, err)
	}
	for _, term := range terms {
		if _, err := t.exec(`INSERT INTO violations (agreement, term, incident, seal) VALUES (?, ?, ?, ?)`,
			term.Agreement, term.Term, int64(seq), t.s.seals.seal(violationsTable, term.Agreement, term.Term, int64(seq))); err != nil {
			return fmt.Errorf("index violations of %s: %w", id, err)
		}
	}
	return nil
}

func (t *txn) Instrument(id string) (*agreement.Instrument, error) {
	return getDoc[agreement.Instrument](t.ctx, t.s, t, instrumentsTable, `WHERE id = ?`, id)
}

func (t *txn) PutInstrument(in *agreement.Instrument) error {
	doc, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode instrument %s: %w", in.ID, err)
	}
	_, err = t.exec(`INSERT INTO instruments (id, doc, seal) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, seal = excluded.seal`,
		in.ID, doc, t.s.seals.seal(instrumentsTable, in.ID, doc))
	return err
}

func (t *txn) Arrangement(id string) (*agreement.ArrangementRecord, error) {
	return getDoc[agreement.ArrangementRecord](t.ctx, t.s, t, arrangementsTable, `WHERE id = ?`, id)
}

func (t *txn) Arrangements() ([]*agreement.ArrangementRecord, error) {
	return listDocsIn[agreement.ArrangementRecord](t.ctx, t.s, t.tx, arrangementsTable, `ORDER BY id`)
}

func (t *txn) PutArrangement(a *agreement.ArrangementRecord) error {
	doc, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode arrangement %s: %w", a.ID, err)
	}
	_, err = t.exec(`INSERT INTO arrangements (id, doc, seal) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, seal = excluded.seal`,
		a.ID, doc, t.s.seals.seal(arrangementsTable, a.ID, doc))
	return err
}

// Arrangements lists every arrangement's record in ID order.
func (s *Store) Arrangements(ctx context.Context) ([]*agreement.ArrangementRecord, error) {
	return listDocs[agreement.ArrangementRecord](ctx, s, arrangementsTable, `ORDER BY id`)
}

// Arrangement returns an arrangement's record, or nil.
func (s *Store) Arrangement(ctx context.Context, id string) (*agreement.ArrangementRecord, error) {
	return getDoc[agreement.ArrangementRecord](ctx, s, s.r, arrangementsTable, `WHERE id = ?`, id)
}

// Instruments lists the record of every agreement that has been suspended,
// resumed or terminated.
func (s *Store) Instruments(ctx context.Context) ([]*agreement.Instrument, error) {
	return listDocs[agreement.Instrument](ctx, s, instrumentsTable, `ORDER BY id`)
}

// Plans lists every plan; the caller decides who may see which.
func (s *Store) Plans(ctx context.Context) ([]*agreement.Plan, error) {
	return listDocs[agreement.Plan](ctx, s, plansTable, `ORDER BY id`)
}

// Plan reads one plan.
func (s *Store) Plan(ctx context.Context, id string) (*agreement.Plan, error) {
	return getDoc[agreement.Plan](ctx, s, s.r, plansTable, `WHERE id = ?`, id)
}

// Agreements lists every version of every agreement.
func (s *Store) Agreements(ctx context.Context) ([]*agreement.Version, error) {
	return listDocs[agreement.Version](ctx, s, agreementsTable, `ORDER BY id, version`)
}

// Agreement reads one version of an agreement; version 0 is the latest.
func (s *Store) Agreement(ctx context.Context, id string, version int) (*agreement.Version, error) {
	return s.agreementVersion(ctx, s.r, id, version)
}

func (t *txn) EventIncidents(event string) ([]string, error) {
	var ids []string
	err := t.s.sealedRows(t.ctx, t.tx, incidentsTable, 0, `WHERE event = ? ORDER BY seq`, []any{event}, nil, func(v []any) error {
		ids = append(ids, incident.IDFor(uint64(seqOf(v[0]))))
		return nil
	})
	return ids, err
}

// Size is the number of statements in the ledger.
func (s *Store) Size(ctx context.Context) (uint64, error) {
	var n uint64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq)+1, 0) FROM ledger`).Scan(&n)
	return n, err
}

// Statements returns up to limit statements from index from on, in order.
func (s *Store) Statements(ctx context.Context, from uint64, limit int) ([]*ledger.Signed, error) {
	out, err := s.RawStatements(ctx, from, limit)
	if err != nil {
		return nil, err
	}
	return s.checked(out)
}

// checked checks raw rows against their leaves and parses them.
func (s *Store) checked(out []*ledger.Signed) ([]*ledger.Signed, error) {
	var err error
	if err = s.checkLeaves(out); err != nil {
		return nil, err
	}
	for _, st := range out {
		if st.Statement, err = ledger.ParseStored(st.Body); err != nil {
			return nil, fmt.Errorf("ledger row %d: %w", st.Seq, err)
		}
	}
	return out, nil
}

// checkLeaves refuses ledger rows whose statement and signature no longer
// hash to their leaf in the stored tree: a row edited on disk is not
// served. (A tree rebuilt to match is a history no witness cosigned: the
// centre's start-up check against the witnesses names it.)
func (s *Store) checkLeaves(rows []*ledger.Signed) error {
	if len(rows) == 0 {
		return nil
	}
	idx := make([]int64, len(rows))
	for i, st := range rows {
		idx[i] = tlog.StoredHashIndex(0, int64(st.Seq))
	}
	leaves, err := s.ReadHashes(idx)
	if err != nil {
		return fmt.Errorf("read the ledger's leaves: %w", err)
	}
	for i, st := range rows {
		if st.LeafHash() != [32]byte(leaves[i]) {
			err := fmt.Errorf("%w: ledger index %d does not hash to its leaf in the tree", projection.ErrTampered, st.Seq)
			if f := s.seals.onTamper.Load(); f != nil {
				(*f)(err)
			}
			return err
		}
	}
	return nil
}

// RawStatements is Statements without parsing: Body, Sig and Seq only, for
// readers that check every entry themselves (audits).
func (s *Store) RawStatements(ctx context.Context, from uint64, limit int) ([]*ledger.Signed, error) {
	return s.rawRows(ctx, `WHERE seq >= ? ORDER BY seq LIMIT ?`, int64(from), limit)
}

// rawRows reads the ledger rows that rest selects: Body, Sig and Seq.
func (s *Store) rawRows(ctx context.Context, rest string, args ...any) ([]*ledger.Signed, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, body, sig FROM ledger `+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	defer rows.Close()
	var out []*ledger.Signed
	for rows.Next() {
		var (
			seq       int64
			body, sig []byte
		)
		if err := rows.Scan(&seq, &body, &sig); err != nil {
			return nil, err
		}
		out = append(out, &ledger.Signed{Body: body, Sig: sig, Seq: uint64(seq)})
	}
	return out, rows.Err()
}

// Statement returns the statement at index seq, or nil.
func (s *Store) Statement(ctx context.Context, seq uint64) (*ledger.Signed, error) {
	out, err := s.Statements(ctx, seq, 1)
	if err != nil || len(out) == 0 || out[0].Seq != seq {
		return nil, err
	}
	return out[0], nil
}

// Party returns a party, or nil.
func (s *Store) Party(ctx context.Context, id string) (*party.Party, error) {
	return getDoc[party.Party](ctx, s, s.r, partiesTable, `WHERE id = ?`, id)
}

// Member returns a member, or nil.
func (s *Store) Member(ctx context.Context, id string) (*party.Member, error) {
	return getDoc[party.Member](ctx, s, s.r, membersTable, `WHERE id = ?`, id)
}

// Incident returns an incident, or nil.
func (s *Store) Incident(ctx context.Context, id string) (*incident.Incident, error) {
	seq, ok := incident.SeqOf(id)
	if !ok {
		return nil, nil
	}
	return s.incident(ctx, s.r, int64(seq))
}

// listDocs reads the documents of the sealed rows of t that rest (a WHERE
// and ORDER BY) selects, checking each seal.
func listDocs[T any](ctx context.Context, s *Store, t table, rest string, args ...any) ([]*T, error) {
	return listDocsIn[T](ctx, s, s.r, t, rest, args...)
}

// listDocsIn is listDocs through q: the store's reader, or a transaction.
func listDocsIn[T any](ctx context.Context, s *Store, q queryer, t table, rest string, args ...any) ([]*T, error) {
	var out []*T
	err := s.sealedRows(ctx, q, t, 0, rest, args, nil, func(vals []any) error {
		doc, _ := vals[len(vals)-1].([]byte)
		v := new(T)
		if err := json.Unmarshal(doc, v); err != nil {
			return fmt.Errorf("decode %s %v: %w", t.name, describe(vals[0]), err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// Rounds lists the rounds of talks in date order.
func (s *Store) Rounds(ctx context.Context) ([]*negotiation.Round, error) {
	return listDocs[negotiation.Round](ctx, s, roundsTable, `ORDER BY start, id`)
}

// Parties lists all parties.
func (s *Store) Parties(ctx context.Context) ([]*party.Party, error) {
	return listDocs[party.Party](ctx, s, partiesTable, `ORDER BY id`)
}

// Members lists the members of a party, or of all parties if partyID is empty.
func (s *Store) Members(ctx context.Context, partyID string) ([]*party.Member, error) {
	return listDocs[party.Member](ctx, s, membersTable, `WHERE ? = '' OR party = ? ORDER BY party, id`, partyID, partyID)
}

// Incidents lists incidents matching f, newest report first.
func (s *Store) Incidents(ctx context.Context, f incident.Filter) (incident.Page, error) {
	where, args := filterSQL(f)
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q := ""
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT ?"
	var items []*incident.Incident
	err := s.incidents(ctx, s.r, q, append(args, limit+1), func(inc *incident.Incident) error {
		// The term index is sealed row by row; the document must agree.
		if f.Term != "" && !inc.Evaluation.Names(f.Agreement, f.Term) {
			return fmt.Errorf("%w: violations row %s %s %s: the incident's evaluation names no such term", projection.ErrTampered, f.Agreement, f.Term, inc.ID)
		}
		items = append(items, inc)
		return nil
	})
	if err != nil {
		return incident.Page{}, fmt.Errorf("list incidents: %w", err)
	}
	page := incident.Page{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.Next = items[limit-1].Seq
	}
	if page.Items == nil {
		page.Items = []*incident.Incident{}
	}
	return page, nil
}

// Clusters groups the incidents matching f on a grid of cell degrees, for
// maps: one row per occupied cell, at the mean position of its incidents.
// A cell with one incident names it.
func (s *Store) Clusters(ctx context.Context, f incident.Filter, cell float64) ([]incident.Cluster, error) {
	where, args := filterSQL(f)
	q := ""
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	// Each row's seal is checked, so the cells are summed here rather than
	// by SQL. Queries the in-memory map index cannot serve come here.
	type key struct{ x, y int64 }
	type acc struct {
		c            incident.Cluster
		lon, lat     float64
		types, stats bool // more than one seen
	}
	cells := map[key]*acc{}
	var order []key
	err := s.sealedRows(ctx, s.r, incidentsTable, 0, q+" ORDER BY seq", args, nil, func(v []any) error {
		lon := (v[8].(float64) + v[10].(float64)) / 2
		lat := (v[9].(float64) + v[11].(float64)) / 2
		k := key{int64((lon + 180) / cell), int64((lat + 90) / cell)}
		typ, stat := incident.Type(describe(v[1])), incident.Status(describe(v[2]))
		a := cells[k]
		if a == nil {
			if len(cells) == 20000 {
				return nil
			}
			a = &acc{c: incident.Cluster{ID: incident.IDFor(uint64(seqOf(v[0]))), Type: typ, Status: stat}}
			cells[k] = a
			order = append(order, k)
		}
		a.c.Count++
		a.lon += lon
		a.lat += lat
		if a.c.Type != typ {
			a.types = true
		}
		if a.c.Status != stat {
			a.stats = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cluster incidents: %w", err)
	}
	out := make([]incident.Cluster, 0, len(order))
	for _, k := range order {
		a := cells[k]
		c := a.c
		c.Lon, c.Lat = a.lon/float64(c.Count), a.lat/float64(c.Count)
		if c.Count > 1 {
			c.ID = ""
		}
		if a.types {
			c.Type = ""
		}
		if a.stats {
			c.Status = ""
		}
		out = append(out, c)
	}
	return out, nil
}

// filterSQL turns a filter into SQL conditions over the incidents table.
func filterSQL(f incident.Filter) (where []string, args []any) {
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if !f.From.IsZero() {
		add("t_until >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("t_from <= ?", f.To.UnixMilli())
	}
	if b := f.BBox; b != nil {
		add("east >= ? AND west <= ? AND north >= ? AND south <= ?", b[0], b[2], b[1], b[3])
	}
	if len(f.Types) > 0 {
		add("type IN ("+placeholders(len(f.Types))+")", anys(f.Types)...)
	}
	if len(f.Statuses) > 0 {
		add("status IN ("+placeholders(len(f.Statuses))+")", anys(f.Statuses)...)
	}
	if f.PublishedOnly {
		add("status = ?", string(incident.Published))
	}
	if f.Party != "" {
		add("party = ?", f.Party)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Event != "" {
		add("event = ?", f.Event)
	}
	if f.Term != "" {
		add("seq IN (SELECT incident FROM violations WHERE agreement = ? AND term = ?)", f.Agreement, f.Term)
	}
	if f.Before > 0 {
		add("seq < ?", int64(f.Before))
	}
	return where, args
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func anys[T ~string](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// EvidenceIncidents lists the incidents that carry the evidence file sha.
func (s *Store) EvidenceIncidents(ctx context.Context, sha string) ([]string, error) {
	var ids []string
	err := s.sealedRows(ctx, s.r, evidenceTable, 0, `WHERE sha256 = ? ORDER BY incident`, []any{sha}, nil, func(v []any) error {
		ids = append(ids, describe(v[1]))
		return nil
	})
	return ids, err
}

// PutCredentials stores or replaces a member's credentials.
func (s *Store) PutCredentials(ctx context.Context, c party.Credentials) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO credentials (member, token_hash, private_key) VALUES (?, ?, ?)
		ON CONFLICT(member) DO UPDATE SET token_hash = excluded.token_hash, private_key = excluded.private_key`,
		c.Member, c.TokenHash, c.PrivateKey)
	if err != nil {
		return fmt.Errorf("store credentials of %s: %w", c.Member, err)
	}
	return nil
}

// CreateCredentials stores a new member's credentials, refusing to replace
// any: two racing adds of one ID must not swap each other's token and key.
func (s *Store) CreateCredentials(ctx context.Context, c party.Credentials) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO credentials (member, token_hash, private_key) VALUES (?, ?, ?) ON CONFLICT(member) DO NOTHING`,
		c.Member, c.TokenHash, c.PrivateKey)
	if err != nil {
		return fmt.Errorf("store credentials of %s: %w", c.Member, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ledger.Conflict("member %q already has credentials", c.Member)
	}
	return nil
}

// DropCredentials removes credentials that never got their member: the
// member.add statement was refused.
func (s *Store) DropCredentials(ctx context.Context, member string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM credentials WHERE member = ? AND NOT EXISTS (SELECT 1 FROM members WHERE id = ?)`, member, member)
	return err
}

// CredentialsByToken finds credentials by token hash; nil if none.
func (s *Store) CredentialsByToken(ctx context.Context, hash []byte) (*party.Credentials, error) {
	return s.credentials(ctx, `SELECT member, token_hash, private_key FROM credentials WHERE token_hash = ?`, hash)
}

// CredentialsOf finds a member's credentials; nil if none.
func (s *Store) CredentialsOf(ctx context.Context, member string) (*party.Credentials, error) {
	return s.credentials(ctx, `SELECT member, token_hash, private_key FROM credentials WHERE member = ?`, member)
}

func (s *Store) credentials(ctx context.Context, q string, arg any) (*party.Credentials, error) {
	var c party.Credentials
	err := s.r.QueryRowContext(ctx, q, arg).Scan(&c.Member, &c.TokenHash, &c.PrivateKey)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	return &c, nil
}

// HeldKeys lists the credentials that hold a private key: the members the
// centre signs for.
func (s *Store) HeldKeys(ctx context.Context) ([]party.Credentials, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT member, token_hash, private_key FROM credentials WHERE length(private_key) > 0 ORDER BY member`)
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	defer rows.Close()
	var out []party.Credentials
	for rows.Next() {
		var c party.Credentials
		if err := rows.Scan(&c.Member, &c.TokenHash, &c.PrivateKey); err != nil {
			return nil, fmt.Errorf("read credentials: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ReplaceHeldKey replaces a member's stored private key, if it is still
// old: a key rotated meanwhile is left alone.
func (s *Store) ReplaceHeldKey(ctx context.Context, member string, old, key []byte) error {
	_, err := s.w.ExecContext(ctx, `UPDATE credentials SET private_key = ? WHERE member = ? AND private_key = ?`, key, member, old)
	if err != nil {
		return fmt.Errorf("store the key of %s: %w", member, err)
	}
	return nil
}

// StoresEveryLevel tells audits that every level of the tree is stored
// here, so each stored hash can be compared with the recomputed tree.
func (s *Store) StoresEveryLevel() bool { return true }

// LedgerRows returns ledger rows [from, from+limit) as text, every column
// of each: an audit compares them with the rows a replay writes, so a byte
// changed in any column is found.
func (s *Store) LedgerRows(ctx context.Context, from uint64, limit int) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, type, party, author, time, subject, nonce, hex(leaf_hash), hex(body), hex(sig)
		FROM ledger WHERE seq >= ? ORDER BY seq LIMIT ?`, int64(from), limit)
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var seq int64
		var cols [9]string
		if err := rows.Scan(&seq, &cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6], &cols[7], &cols[8]); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%d\ttype=%s\tparty=%s\tauthor=%s\ttime=%s\tsubject=%s\tnonce=%s\tleaf_hash=%s\tbody=%s\tsig=%s",
			seq, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8]))
	}
	return out, rows.Err()
}

// Dump returns every projection row as text, in key order: two stores hold
// the same projections exactly when their dumps are equal.
func (s *Store) Dump(ctx context.Context) ([]string, error) {
	var out []string
	for _, q := range dumpQueries() {
		rows, err := s.r.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, line)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dumpQueries select every projection row as a line of text, table by
// table, in key order.
func dumpQueries() []string {
	return append([]string{
		`SELECT 'party ' || id || ' ' || CAST(doc AS TEXT) FROM parties ORDER BY id`,
		`SELECT 'member ' || id || ' ' || party || ' ' || CAST(doc AS TEXT) FROM members ORDER BY id`,
		`SELECT 'key ' || public_key || ' ' || member FROM member_keys ORDER BY public_key`,
		`SELECT 'incident ' || seq || ' ' || type || ' ' || status || ' ' || party || ' ' || actor || ' ' || event || ' ' ||
			t_from || ' ' || t_until || ' ' || west || ' ' || south || ' ' || east || ' ' || north || ' ' || CAST(doc AS TEXT) FROM incidents ORDER BY seq`,
		`SELECT 'round ' || id || ' ' || start || ' ' || CAST(doc AS TEXT) FROM rounds ORDER BY id`,
		`SELECT 'evidence ' || sha256 || ' ' || incident FROM evidence ORDER BY sha256, incident`,
		`SELECT 'plan ' || id || ' ' || party || ' ' || CAST(doc AS TEXT) FROM plans ORDER BY id`,
		`SELECT 'agreement ' || id || ' ' || version || ' ' || CAST(doc AS TEXT) FROM agreements ORDER BY id, version`,
		`SELECT 'instrument ' || id || ' ' || CAST(doc AS TEXT) FROM instruments ORDER BY id`,
		`SELECT 'arrangement ' || id || ' ' || CAST(doc AS TEXT) FROM arrangements ORDER BY id`,
		`SELECT 'violation ' || agreement || ' ' || term || ' ' || incident FROM violations ORDER BY agreement, term, incident`,
	}, append(append(append(coordinationDump, seatsDump...), reportsDump...), alertDump...)...)
}

// Checkpoint folds the WAL into the main database file; used on shutdown.
func (s *Store) Checkpoint(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// ReadHashes implements tlog.HashReader over committed tree hashes.
func (s *Store) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	list, _ := json.Marshal(indexes)
	rows, err := s.readHashes.Query(string(list))
	if err != nil {
		return nil, fmt.Errorf("read tree hashes: %w", err)
	}
	defer rows.Close()
	found := make(map[int64][]byte, len(indexes))
	for rows.Next() {
		var (
			idx int64
			h   []byte
		)
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, err
		}
		found[idx] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, idx := range indexes {
		h, ok := found[idx]
		if !ok || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("tree hash %d is missing", idx)
		}
		copy(out[i][:], h)
	}
	return out, nil
}

// PutCheckpoint stores a signed checkpoint of the tree at size.
func (s *Store) PutCheckpoint(ctx context.Context, size int64, signed []byte, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO checkpoints (size, note, signed_at) VALUES (?, ?, ?) ON CONFLICT(size) DO NOTHING`,
		size, signed, at.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("store checkpoint %d: %w", size, err)
	}
	return nil
}

// LatestCheckpoint returns the largest signed checkpoint, or nil.
func (s *Store) LatestCheckpoint(ctx context.Context) ([]byte, error) {
	var n []byte
	err := s.r.QueryRowContext(ctx, `SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return n, err
}

// Checkpoints returns every signed checkpoint, smallest first.
func (s *Store) Checkpoints(ctx context.Context) ([][]byte, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT note FROM checkpoints ORDER BY size`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var n []byte
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// LogSetting reads a setting of the log (origin, keys); "" if unset.
func (s *Store) LogSetting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM log_settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// InitLogSetting sets a setting unless it is already set, and returns the
// value that holds: concurrent first starts agree on one.
func (s *Store) InitLogSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO log_settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING`, name, value); err != nil {
		return "", fmt.Errorf("log setting %s: %w", name, err)
	}
	return s.LogSetting(ctx, name)
}

// DeleteLogSetting removes a setting of the log (a key that moved out of
// the store).
func (s *Store) DeleteLogSetting(ctx context.Context, name string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM log_settings WHERE name = ?`, name); err != nil {
		return fmt.Errorf("log setting %s: %w", name, err)
	}
	return nil
}

// Scrub leaves no byte of deleted or replaced rows (keys that moved out of
// the store, or were sealed) in the database's files: VACUUM rebuilds the
// database, and the write-ahead log is emptied into it and truncated. It
// takes as long as copying the database, and runs once, after such a move.
func (s *Store) Scrub(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	var busy, frames, done int
	if err := s.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("checkpoint the write-ahead log: %w", err)
	}
	if busy != 0 {
		return errors.New("another connection kept the write-ahead log from being emptied")
	}
	return nil
}

// PutCosignature records a witness's cosignature line on the checkpoint of
// size, and whether the checkpoint now meets the witness policy.
func (s *Store) PutCosignature(ctx context.Context, size int64, witness, line string, final bool) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO cosignatures (size, witness, line) VALUES (?, ?, ?) ON CONFLICT(size, witness) DO UPDATE SET line = excluded.line`, size, witness, line); err != nil {
		return fmt.Errorf("store cosignature: %w", err)
	}
	if final {
		if _, err := tx.ExecContext(ctx, `UPDATE checkpoints SET final = 1 WHERE size = ?`, size); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Cosigned returns the checkpoint of size with its cosignature lines
// appended, or nil.
func (s *Store) Cosigned(ctx context.Context, size int64) ([]byte, error) {
	var n []byte
	err := s.r.QueryRowContext(ctx, `SELECT note FROM checkpoints WHERE size = ?`, size).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT line FROM cosignatures WHERE size = ? ORDER BY witness`, size)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		n = append(n, strings.TrimSuffix(line, "\n")+"\n"...)
	}
	return n, rows.Err()
}

// LatestFinal returns the size of the largest checkpoint that met the
// witness policy, 0 if none.
func (s *Store) LatestFinal(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(size), 0) FROM checkpoints WHERE final = 1`).Scan(&n)
	return n, err
}

// MapRows returns the map rows of the incidents reported at seqs; with
// seqs nil, of every incident, from seq after on, in order, at most limit.
func (s *Store) MapRows(ctx context.Context, seqs []uint64, after uint64, limit int) ([]incident.MapRow, error) {
	q := `WHERE seq > ? ORDER BY seq LIMIT ?`
	args := []any{int64(after) - 1, limit}
	if seqs != nil {
		if len(seqs) == 0 {
			return nil, nil
		}
		list, _ := json.Marshal(seqs)
		q = `WHERE seq IN (SELECT value FROM json_each(?))`
		args = []any{string(list)}
	}
	var out []incident.MapRow
	err := s.sealedRows(ctx, s.r, incidentsTable, 0, q, args, nil, func(v []any) error {
		out = append(out, mapRow(v))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("map rows: %w", err)
	}
	return out, nil
}

// mapRow is what the map index holds of an incident, from its sealed
// columns as read.
func mapRow(v []any) incident.MapRow {
	return incident.MapRow{Seq: uint64(seqOf(v[0])),
		Lon: (v[8].(float64) + v[10].(float64)) / 2, Lat: (v[9].(float64) + v[11].(float64)) / 2,
		From: seqOf(v[6]), Until: seqOf(v[7]),
		Type: incident.Type(describe(v[1])), Status: incident.Status(describe(v[2])), Party: describe(v[3]), Actor: describe(v[4])}
}

// incident reads one incident, checking its seal and its document.
func (s *Store) incident(ctx context.Context, q queryer, seq int64) (*incident.Incident, error) {
	var out *incident.Incident
	err := s.incidents(ctx, q, `WHERE seq = ?`, []any{seq}, func(inc *incident.Incident) error {
		out = inc
		return nil
	})
	return out, err
}

// incidents reads the incidents that rest selects, each checked against
// its seal and its document against the sealed digest.
func (s *Store) incidents(ctx context.Context, q queryer, rest string, args []any, each func(*incident.Incident) error) error {
	n := len(incidentsTable.cols)
	return s.sealedRows(ctx, q, incidentsTable, 1, rest, args, nil, func(v []any) error {
		seq := seqOf(v[0])
		sha, _ := v[n-1].([]byte)
		doc, _ := v[n].([]byte)
		if err := s.incidentDoc(seq, sha, doc); err != nil {
			return err
		}
		inc := new(incident.Incident)
		if err := json.Unmarshal(doc, inc); err != nil {
			return fmt.Errorf("decode incident %d: %w", seq, err)
		}
		return each(inc)
	})
}

type queryer interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}
