package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"truce/agreement"
	"truce/party"
	"truce/seat"
)

// seatsSchema holds accreditations, the belligerents' consents and
// objections, the restricted evidence files and the custody trail of their
// reads. Each row is keyed by the ledger index of the statement that made
// it, except a restriction, keyed by file and incident.
const seatsSchema = `
CREATE TABLE IF NOT EXISTS accreditations (
	seq    INTEGER PRIMARY KEY,
	party  TEXT NOT NULL,
	member TEXT NOT NULL,
	doc    BLOB NOT NULL,
	seal   BLOB
);
CREATE INDEX IF NOT EXISTS accreditations_party ON accreditations(party, seq);
CREATE INDEX IF NOT EXISTS accreditations_member ON accreditations(member, seq);
CREATE TABLE IF NOT EXISTS consents (
	seq     INTEGER PRIMARY KEY,
	party   TEXT NOT NULL,
	country TEXT NOT NULL,
	doc     BLOB NOT NULL,
	seal    BLOB
);
CREATE INDEX IF NOT EXISTS consents_country ON consents(country, seq);
CREATE TABLE IF NOT EXISTS evidence_restrictions (
	sha256   TEXT NOT NULL,
	incident TEXT NOT NULL,
	doc      BLOB NOT NULL,
	seal     BLOB,
	PRIMARY KEY (sha256, incident)
);
CREATE INDEX IF NOT EXISTS evidence_restrictions_incident ON evidence_restrictions(incident);
CREATE TABLE IF NOT EXISTS custody (
	seq      INTEGER PRIMARY KEY,
	sha256   TEXT NOT NULL,
	incident TEXT NOT NULL,
	reader   TEXT NOT NULL,
	doc      BLOB NOT NULL,
	seal     BLOB
);
CREATE INDEX IF NOT EXISTS custody_sha ON custody(sha256, seq);
CREATE INDEX IF NOT EXISTS custody_incident ON custody(incident, seq);
`

// The tables' sealed columns (see seal.go).
var (
	accreditationsTable = table{"accreditations", []string{"seq", "party", "member", "doc"}}
	consentsTable       = table{"consents", []string{"seq", "party", "country", "doc"}}
	restrictedTable     = table{"evidence_restrictions", []string{"sha256", "incident", "doc"}}
	custodyTable        = table{"custody", []string{"seq", "sha256", "incident", "reader", "doc"}}
)

// seatsDump is Dump's part for these tables.
var seatsDump = []string{
	`SELECT 'accreditation ' || seq || ' ' || party || ' ' || member || ' ' || CAST(doc AS TEXT) FROM accreditations ORDER BY seq`,
	`SELECT 'consent ' || seq || ' ' || party || ' ' || country || ' ' || CAST(doc AS TEXT) FROM consents ORDER BY seq`,
	`SELECT 'restricted ' || sha256 || ' ' || incident || ' ' || CAST(doc AS TEXT) FROM evidence_restrictions ORDER BY sha256, incident`,
	`SELECT 'custody ' || seq || ' ' || sha256 || ' ' || incident || ' ' || reader || ' ' || CAST(doc AS TEXT) FROM custody ORDER BY seq`,
}

func (t *txn) PartyMembers(p string) ([]*party.Member, error) {
	return listDocsIn[party.Member](t.ctx, t.s, t.tx, membersTable, `WHERE party = ? ORDER BY id`, p)
}

func (t *txn) AllAgreements() ([]*agreement.Version, error) {
	return listDocsIn[agreement.Version](t.ctx, t.s, t.tx, agreementsTable, `ORDER BY id, version`)
}

func (t *txn) AllInstruments() ([]*agreement.Instrument, error) {
	return listDocsIn[agreement.Instrument](t.ctx, t.s, t.tx, instrumentsTable, `ORDER BY id`)
}

func (t *txn) Accreditation(id string) (*seat.Accreditation, error) {
	seq, ok := seat.SeqOf(id)
	if !ok {
		return nil, nil
	}
	return getDoc[seat.Accreditation](t.ctx, t.s, t, accreditationsTable, `WHERE seq = ?`, int64(seq))
}

func (t *txn) PartyAccreditations(p string) ([]*seat.Accreditation, error) {
	return listDocsIn[seat.Accreditation](t.ctx, t.s, t.tx, accreditationsTable, `WHERE party = ? ORDER BY seq`, p)
}

func (t *txn) PutAccreditation(a *seat.Accreditation) error {
	doc, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode %s: %w", a.ID, err)
	}
	cols := []any{int64(a.Seq), a.Party, a.Member, doc}
	_, err = t.exec(`INSERT INTO accreditations (seq, party, member, doc, seal) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(seq) DO UPDATE SET doc = excluded.doc, seal = excluded.seal`,
		append(cols, t.s.seals.seal(accreditationsTable, cols...))...)
	if err != nil {
		return fmt.Errorf("write %s: %w", a.ID, err)
	}
	return nil
}

func (t *txn) Words(country string) ([]*seat.Recorded, error) {
	return listDocsIn[seat.Recorded](t.ctx, t.s, t.tx, consentsTable, `WHERE country = ? ORDER BY seq`, country)
}

func (t *txn) PutWord(w *seat.Recorded) error {
	doc, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode consent %d: %w", w.Seq, err)
	}
	cols := []any{int64(w.Seq), w.Party, w.Country, doc}
	_, err = t.exec(`INSERT INTO consents (seq, party, country, doc, seal) VALUES (?, ?, ?, ?, ?)`,
		append(cols, t.s.seals.seal(consentsTable, cols...))...)
	if err != nil {
		return fmt.Errorf("write consent %d: %w", w.Seq, err)
	}
	return nil
}

func (t *txn) EvidenceRestriction(sha, incident string) (*seat.Restriction, error) {
	return getDoc[seat.Restriction](t.ctx, t.s, t, restrictedTable, `WHERE sha256 = ? AND incident = ?`, sha, incident)
}

func (t *txn) PutEvidenceRestriction(r *seat.Restriction) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode restriction of %s: %w", r.SHA256, err)
	}
	cols := []any{r.SHA256, r.Incident, doc}
	_, err = t.exec(`INSERT INTO evidence_restrictions (sha256, incident, doc, seal) VALUES (?, ?, ?, ?)`,
		append(cols, t.s.seals.seal(restrictedTable, cols...))...)
	if err != nil {
		return fmt.Errorf("restrict %s on %s: %w", r.SHA256, r.Incident, err)
	}
	return nil
}

func (t *txn) PutCustody(c *seat.Custody) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode read %d: %w", c.Seq, err)
	}
	cols := []any{int64(c.Seq), c.SHA256, c.Incident, c.Reader, doc}
	_, err = t.exec(`INSERT INTO custody (seq, sha256, incident, reader, doc, seal) VALUES (?, ?, ?, ?, ?, ?)`,
		append(cols, t.s.seals.seal(custodyTable, cols...))...)
	if err != nil {
		return fmt.Errorf("record read %d: %w", c.Seq, err)
	}
	return nil
}

// Accreditations lists accreditations, oldest first: of a party, of a
// member, or all (empty filters).
func (s *Store) Accreditations(ctx context.Context, partyID, member string) ([]*seat.Accreditation, error) {
	return listDocs[seat.Accreditation](ctx, s, accreditationsTable, `WHERE (? = '' OR party = ?) AND (? = '' OR member = ?) ORDER BY seq`,
		partyID, partyID, member, member)
}

// Words lists the belligerents' consents and objections, oldest first: about
// a country, or all.
func (s *Store) Words(ctx context.Context, country string) ([]*seat.Recorded, error) {
	return listDocs[seat.Recorded](ctx, s, consentsTable, `WHERE ? = '' OR country = ? ORDER BY seq`, country, country)
}

// EvidenceRestrictions lists the restrictions on a file (sha non-empty) or
// on an incident's files.
func (s *Store) EvidenceRestrictions(ctx context.Context, sha, incident string) ([]*seat.Restriction, error) {
	return listDocs[seat.Restriction](ctx, s, restrictedTable, `WHERE (? = '' OR sha256 = ?) AND (? = '' OR incident = ?) ORDER BY sha256, incident`,
		sha, sha, incident, incident)
}

// Custody lists the recorded reads of restricted evidence, oldest first: of
// a file, of an incident's files, or all.
func (s *Store) Custody(ctx context.Context, sha, incident string) ([]*seat.Custody, error) {
	return listDocs[seat.Custody](ctx, s, custodyTable, `WHERE (? = '' OR sha256 = ?) AND (? = '' OR incident = ?) ORDER BY seq`,
		sha, sha, incident, incident)
}
