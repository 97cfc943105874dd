package projection

import (
	"truce/ledger"
	"truce/party"
	sitrep "truce/report"
)

// ReportsTx is what the fold needs for issued reports.
type ReportsTx interface {
	PutIssued(r *sitrep.Issued) error
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
