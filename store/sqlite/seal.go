package sqlite

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"truce/ledger"
	"truce/party"
	"truce/projection"
)

// Projection rows are sealed: each carries an HMAC-SHA-256, under a key
// kept outside the database, over its table and every column it is read
// by. Whoever edits a row on disk without that key breaks its seal, and
// every read checks the seal before the row is used or served. The ledger
// is what backs the projections; the seal only lets a reader tell, row by
// row and at once, that the fold wrote what it reads. A row dropped or put
// back to an older sealed state keeps a valid seal: those the audit's
// re-fold names (truce audit --data), and a re-fold repairs.

// table is a sealed projection table and the columns its seal covers, in
// order: the key first, the document (if any) last.
type table struct {
	name string
	cols []string
}

var (
	partiesTable      = table{"parties", []string{"id", "doc"}}
	membersTable      = table{"members", []string{"id", "party", "doc"}}
	keysTable         = table{"member_keys", []string{"public_key", "member"}}
	roundsTable       = table{"rounds", []string{"id", "start", "doc"}}
	evidenceTable     = table{"evidence", []string{"sha256", "incident"}}
	plansTable        = table{"plans", []string{"id", "party", "doc"}}
	agreementsTable   = table{"agreements", []string{"id", "version", "doc"}}
	instrumentsTable  = table{"instruments", []string{"id", "doc"}}
	violationsTable   = table{"violations", []string{"agreement", "term", "incident"}}
	arrangementsTable = table{"arrangements", []string{"id", "doc"}}
	// An incident's seal covers the columns queries filter on and the
	// SHA-256 of its document, so that maps check a row without reading
	// its (large) document; reading the document checks it against doc_sha.
	incidentsTable = table{"incidents", []string{"seq", "type", "status", "party", "actor", "event", "t_from", "t_until",
		"west", "south", "east", "north", "doc_sha"}}

	sealedTables = []table{partiesTable, membersTable, keysTable, incidentsTable, roundsTable, evidenceTable,
		plansTable, agreementsTable, instrumentsTable, violationsTable, arrangementsTable, threadsTable, restrictionsTable,
		accreditationsTable, consentsTable, restrictedTable, custodyTable, issuedTable, subscriptionsTable, alertsTable, warningsTable}
)

// columns is the table's sealed columns and its seal, for a SELECT.
func (t table) columns() string { return strings.Join(t.cols, ", ") + ", seal" }

// sealCheck names the log setting that holds a digest of the seal key: a
// store sealed under another key (or never sealed) must be re-folded
// before it is served.
const sealCheck = "projection_seal"

// sealer holds the key. With none set (a scratch store an audit replays
// into) rows are written unsealed and reads check nothing.
type sealer struct {
	key      atomic.Pointer[[]byte]
	onTamper atomic.Pointer[func(error)]
}

// SetSealKey sets the key that seals projection rows. The centre sets it
// before anything is read or written.
func (s *Store) SetSealKey(key []byte) {
	k := append([]byte(nil), key...)
	s.seals.key.Store(&k)
}

// OnTamper sets what is told when a read finds a broken seal (an alarm).
func (s *Store) OnTamper(f func(error)) { s.seals.onTamper.Store(&f) }

func (z *sealer) keyBytes() []byte {
	if k := z.key.Load(); k != nil {
		return *k
	}
	return nil
}

// seal computes the seal of a row of t; nil without a key.
func (z *sealer) seal(t table, vals ...any) []byte {
	key := z.keyBytes()
	if key == nil {
		return nil
	}
	m := hmac.New(sha256.New, key)
	field(m, 's', []byte(t.name))
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			field(m, 's', []byte(v))
		case []byte:
			field(m, 's', v)
		case int64:
			field(m, 'i', binary.BigEndian.AppendUint64(nil, uint64(v)))
		case int:
			field(m, 'i', binary.BigEndian.AppendUint64(nil, uint64(int64(v))))
		case float64:
			field(m, 'f', binary.BigEndian.AppendUint64(nil, math.Float64bits(v)))
		case nil:
			field(m, 'n', nil)
		default:
			panic(fmt.Sprintf("seal: a %T column", v))
		}
	}
	return m.Sum(nil)
}

// field writes one value, tagged with its kind and length, so that no two
// rows encode alike.
func field(m hash.Hash, kind byte, b []byte) {
	m.Write([]byte{kind})
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
	m.Write(b)
}

// check verifies a row read back: vals are its sealed columns as scanned,
// got the stored seal. A broken seal is reported (an alarm) and returned
// as projection.ErrTampered.
func (z *sealer) check(t table, got []byte, vals ...any) error {
	if z.keyBytes() == nil {
		return nil
	}
	if want := z.seal(t, vals...); got != nil && hmac.Equal(got, want) {
		return nil
	}
	err := fmt.Errorf("%w: %s row %v", projection.ErrTampered, t.name, describe(vals[0]))
	if f := z.onTamper.Load(); f != nil {
		(*f)(err)
	}
	return err
}

// describe spells a scanned column as text.
func describe(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// sealedDoc reads one sealed row of t whose last sealed column is its
// document, and returns the document; nil and no error when no row matches.
func (s *Store) sealedDoc(ctx context.Context, q rowQuerier, t table, where string, args ...any) ([]byte, error) {
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols)+1)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var seal []byte
	ptrs[len(vals)] = &seal
	err := q.QueryRowContext(ctx, "SELECT "+t.columns()+" FROM "+t.name+" "+where, args...).Scan(ptrs...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %v: %w", t.name, args, err)
	}
	if err := s.seals.check(t, seal, vals...); err != nil {
		return nil, err
	}
	return []byte(describe(vals[len(vals)-1])), nil
}

type rowQuerier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// sealedRows runs a SELECT of t's sealed columns (and extra trailing
// columns, unsealed, such as an incident's document) and calls each with
// the checked values.
//
// A row whose seal is broken fails the read, unless broken is set: it is
// then told of the row, and the read goes on if it returns nil.
func (s *Store) sealedRows(ctx context.Context, q queryer, t table, extra int, rest string, args []any, broken func(error) error, each func(vals []any) error) error {
	query := "SELECT " + t.columns()
	if extra > 0 {
		query += ", doc" // only incidents keep their document outside the seal
	}
	rows, err := q.QueryContext(ctx, query+" FROM "+t.name+" "+rest, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", t.name, err)
	}
	defer rows.Close()
	n := len(t.cols)
	vals := make([]any, n+1+extra)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		seal, _ := vals[n].([]byte)
		if err := s.seals.check(t, seal, vals[:n]...); err != nil {
			if broken == nil {
				return err
			}
			if err := broken(err); err != nil {
				return err
			}
			continue
		}
		if err := each(append(vals[:n:n], vals[n+1:]...)); err != nil {
			return err
		}
	}
	return rows.Err()
}

// incidentDoc checks an incident's document against the digest its seal
// covers.
func (s *Store) incidentDoc(seq int64, docSHA, doc []byte) error {
	if s.seals.keyBytes() == nil {
		return nil
	}
	if h := sha256.Sum256(doc); hmac.Equal(h[:], docSHA) {
		return nil
	}
	err := fmt.Errorf("%w: incidents row %d: its document does not match its sealed digest", projection.ErrTampered, seq)
	if f := s.seals.onTamper.Load(); f != nil {
		(*f)(err)
	}
	return err
}

// SealState says whether the projections were sealed under the key now
// set: false for a store sealed under another key, or never sealed, which
// must be re-folded (Refold) before it is served.
func (s *Store) SealState(ctx context.Context) (bool, error) {
	got, err := s.LogSetting(ctx, sealCheck)
	if err != nil {
		return false, err
	}
	return got != "" && got == s.sealDigest(), nil
}

// sealDigest identifies the seal key without revealing it.
func (s *Store) sealDigest() string {
	m := hmac.New(sha256.New, s.seals.keyBytes())
	m.Write([]byte("truce projection seal check"))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifySeals reads every sealed row and checks its seal, and each
// incident's document against its digest; the first broken one is
// returned (and told to OnTamper). progress, if set, is called after each
// table with the rows checked so far.
//
// The sweep goes on past a broken row, so that every changed row is named
// (each told to OnTamper), up to maxNamed; the error joins them.
func (s *Store) VerifySeals(ctx context.Context, progress func(rows int)) error {
	n := 0
	var broken []error
	tampered := func(err error) error {
		if !errors.Is(err, projection.ErrTampered) {
			return err
		}
		if broken = append(broken, err); len(broken) >= maxNamed {
			return errors.Join(append(broken, fmt.Errorf("the sweep stopped after naming %d rows", maxNamed))...)
		}
		return nil
	}
	for _, t := range sealedTables {
		extra := 0
		if t.name == incidentsTable.name {
			extra = 1
		}
		err := s.sealedRows(ctx, s.r, t, extra, "", nil, tampered, func(vals []any) error {
			n++
			if extra > 0 {
				sha, _ := vals[len(t.cols)-1].([]byte)
				doc, _ := vals[len(t.cols)].([]byte)
				if err := tampered(s.incidentDoc(seqOf(vals[0]), sha, doc)); err != nil {
					return err
				}
			}
			return ctx.Err()
		})
		if err != nil {
			return err
		}
		if progress != nil {
			progress(n)
		}
	}
	// A dropped row keeps no seal to break. Incidents, the rows the public
	// reads, are one per report in the ledger: a report without its row is
	// named.
	rows, err := s.r.QueryContext(ctx, `SELECT seq FROM ledger WHERE type = 'incident.report' AND seq NOT IN (SELECT seq FROM incidents) LIMIT ?`, maxNamed)
	if err != nil {
		return fmt.Errorf("look for dropped incidents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var missing int64
		if err := rows.Scan(&missing); err != nil {
			return err
		}
		err := fmt.Errorf("%w: incidents row %d, reported at that ledger index, is missing", projection.ErrTampered, missing)
		if f := s.seals.onTamper.Load(); f != nil {
			(*f)(err)
		}
		if err := tampered(err); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("look for dropped incidents: %w", err)
	}
	return errors.Join(broken...)
}

// maxNamed bounds how many changed rows one sweep names.
const maxNamed = 100

// seqOf reads an integer column as scanned.
func seqOf(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

// Refold rebuilds every projection from the ledger, in one transaction:
// the projections are emptied, and each statement's signature is checked
// against its author's key as the re-folded members have it, and the
// statement folded again, and sealed under the key now set. A statement the
// fold refuses, or whose subject differs from the one its row records,
// fails the re-fold and leaves the store as it was. progress, if set, is
// called after each page.
func (s *Store) Refold(ctx context.Context, progress func(done, total uint64)) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin re-fold: %w", err)
	}
	defer tx.Rollback()
	var total uint64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq)+1, 0) FROM ledger`).Scan(&total); err != nil {
		return fmt.Errorf("read ledger size: %w", err)
	}
	for _, t := range sealedTables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.name); err != nil {
			return fmt.Errorf("empty %s: %w", t.name, err)
		}
	}
	if err := s.foldLedger(ctx, tx, tx, total, progress); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO log_settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value`,
		sealCheck, s.sealDigest()); err != nil {
		return fmt.Errorf("record the seal: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit re-fold: %w", err)
	}
	return nil
}

// foldLedger folds the first total statements that src's ledger holds
// into the projections of tx, a write transaction on s, checking each
// signature and each recorded subject.
func (s *Store) foldLedger(ctx context.Context, src queryer, tx *sql.Tx, total uint64, progress func(done, total uint64)) error {
	t := s.newTxn(ctx, tx, 0)
	defer t.close()
	member := func(id string) (*party.Member, error) { return t.Member(id) }
	type row struct {
		seq       int64
		body, sig []byte
		subject   string
		typ       string
	}
	for from := uint64(0); from < total; {
		rows, err := src.QueryContext(ctx, `SELECT seq, body, sig, subject, type FROM ledger WHERE seq >= ? ORDER BY seq LIMIT ?`, int64(from), min(1000, total-from))
		if err != nil {
			return fmt.Errorf("read ledger: %w", err)
		}
		var page []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.seq, &r.body, &r.sig, &r.subject, &r.typ); err != nil {
				rows.Close()
				return err
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page) == 0 {
			return fmt.Errorf("the ledger ends at %d, before its size %d", from, total)
		}
		for _, r := range page {
			if uint64(r.seq) != from {
				return fmt.Errorf("ledger index %d is missing", from)
			}
			st := &ledger.Signed{Body: r.body, Sig: r.sig, Seq: from}
			if st.Statement, err = ledger.ParseStored(r.body); err != nil {
				return fmt.Errorf("ledger row %d: %w", from, err)
			}
			// Reads select by the type column (the daily report's
			// findings): it must say what the signed statement says.
			if r.typ != st.Statement.Type {
				return fmt.Errorf("%w: ledger row %d records the type %q; its signed statement is a %s", projection.ErrTampered, from, r.typ, st.Statement.Type)
			}
			key, err := projection.AuthorKey(member, st)
			if err == nil {
				err = st.Verify(key)
			}
			if err != nil {
				return fmt.Errorf("ledger row %d: %w", from, err)
			}
			t.size = from
			subject, err := projection.Apply(t, st)
			if err != nil {
				return fmt.Errorf("ledger row %d is refused when folded again: %w", from, err)
			}
			if subject != r.subject {
				return fmt.Errorf("ledger row %d records the subject %q; folded again, its statement is about %q", from, r.subject, subject)
			}
			from++
		}
		if progress != nil {
			progress(from, total)
		}
	}
	return nil
}

// VerifyFold folds the ledger again, as one read snapshot of s holds it,
// into a scratch store in a new directory under tmp, and compares every
// projection row of that snapshot with the fold's: a row dropped, added or
// put back to an earlier sealed state on disk, which keeps a valid seal,
// is named (and told to OnTamper). The snapshot holds back the write-ahead
// log's checkpoint while it lasts; the scratch directory is removed.
func (s *Store) VerifyFold(ctx context.Context, tmp string, progress func(done, total uint64)) error {
	dir, err := os.MkdirTemp(tmp, "truce-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	scratch, err := openScratch(dir)
	if err != nil {
		return err
	}
	defer scratch.Close()
	snap, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer snap.Rollback()
	var total uint64
	if err := snap.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq)+1, 0) FROM ledger`).Scan(&total); err != nil {
		return fmt.Errorf("read ledger size: %w", err)
	}
	tx, err := scratch.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := scratch.foldLedger(ctx, snap, tx, total, progress); err != nil {
		return fmt.Errorf("fold the ledger again: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, q := range dumpQueries() {
		if err := sameLines(ctx, q, snap, scratch.r); err != nil {
			// Only a difference is an alarm: a check cut short (the
			// server stopping) or a failed read is not tampering.
			if f := s.seals.onTamper.Load(); f != nil && errors.Is(err, projection.ErrTampered) {
				(*f)(err)
			}
			return err
		}
	}
	return nil
}

// sameLines runs q on both sides and compares the lines in step.
func sameLines(ctx context.Context, q string, have, want queryer) error {
	h, err := have.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer h.Close()
	w, err := want.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer w.Close()
	for {
		hn, wn := h.Next(), w.Next()
		var hl, wl string
		if hn {
			if err := h.Scan(&hl); err != nil {
				return err
			}
		}
		if wn {
			if err := w.Scan(&wl); err != nil {
				return err
			}
		}
		if !hn && !wn {
			return errors.Join(h.Err(), w.Err())
		}
		if hl != wl {
			stored, folded := recordOf(hl), recordOf(wl)
			switch {
			case !hn:
				return fmt.Errorf("%w: the row %s, which the ledger folds to, is missing", projection.ErrTampered, folded)
			case !wn:
				return fmt.Errorf("%w: the row %s is not one the ledger folds to", projection.ErrTampered, stored)
			case stored == folded:
				return fmt.Errorf("%w: the row %s differs from what the ledger folds to (an earlier state put back?)", projection.ErrTampered, stored)
			default:
				return fmt.Errorf("%w: the stored row %s stands where the ledger folds to %s (a row dropped or added)", projection.ErrTampered, stored, folded)
			}
		}
	}
}

// recordOf is the kind and key of a dump line ("incident 42").
func recordOf(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return line
	}
	return f[0] + " " + f[1]
}

// addSealColumns adds the seal columns to a database made before rows
// were sealed. Its rows stay unsealed until a re-fold (SealState says so).
func (s *Store) addSealColumns() error {
	for _, t := range sealedTables {
		for _, col := range []string{"seal", "doc_sha"} {
			if col == "doc_sha" && t.name != incidentsTable.name {
				continue
			}
			var have bool
			if err := s.w.QueryRow(`SELECT EXISTS (SELECT 1 FROM pragma_table_info(?) WHERE name = ?)`, t.name, col).Scan(&have); err != nil {
				return fmt.Errorf("read the columns of %s: %w", t.name, err)
			}
			if !have {
				if _, err := s.w.Exec(`ALTER TABLE ` + t.name + ` ADD COLUMN ` + col + ` BLOB`); err != nil {
					return fmt.Errorf("add %s to %s: %w", col, t.name, err)
				}
			}
		}
	}
	return nil
}
