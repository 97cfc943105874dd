package projection

import (
	"truce/ledger"
	"truce/party"
	sitrep "truce/report"
)

// ReportsTx is what the fold needs for issued reports.
type ReportsTx interface {
	PutIssued(r *sitrep.Issued) error
	// WarningRaised tells whether the day's warning with that key was
	// raised; PutWarning records one.
	WarningRaised(date, key string) (bool, error)
	PutWarning(w *sitrep.Raised) error
}

// issueReport folds report.issue: reports are issued, like findings
// published, by coordinators of a party that is not a belligerent.
func issueReport(tx Tx, s *ledger.Signed, by *party.Member, kind party.Kind) (string, error) {
	if kind == party.Belligerent || !by.Has(party.Coordinator) {
		return "", ledger.Forbidden("reports are issued by coordinators of a party that is not a belligerent")
	}
	p, err := decode[sitrep.Issue](s)
	if err != nil {
		return "", err
	}
	if err := p.Validate(); err != nil {
		return "", ledger.Within("payload", err)
	}
	r := &sitrep.Issued{ID: sitrep.IDFor(s.Seq), Issue: p, By: by.ID, Party: by.Party, At: s.Statement.Time, Seq: s.Seq}
	return r.ID, tx.PutIssued(r)
}

// raiseWarning folds warning.raise: the centre (its coordinators) records
// a closed day's early warning, once.
func raiseWarning(tx Tx, s *ledger.Signed, by *party.Member, kind party.Kind) (string, error) {
	if kind != party.Centre || !by.Has(party.Coordinator) {
		return "", ledger.Forbidden("warnings are raised by the centre")
	}
	p, err := decode[sitrep.RaiseWarning](s)
	if err != nil {
		return "", err
	}
	if err := p.Validate(); err != nil {
		return "", ledger.Within("payload", err)
	}
	raised, err := tx.WarningRaised(p.Date, p.Key())
	if err != nil {
		return "", err
	}
	if raised {
		return "", ledger.Conflict("the warning %s of %s was raised already", p.Key(), p.Date)
	}
	w := &sitrep.Raised{ID: sitrep.WarningID(s.Seq), Date: p.Date, Warning: p.Warning, At: s.Statement.Time, Seq: s.Seq}
	return w.ID, tx.PutWarning(w)
}
