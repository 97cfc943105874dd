package report

import (
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"truce/ledger"
)

// TypeIssue is the statement that issues a report: it carries the digest
// of the exact bytes published, so that anyone holding a copy can check it
// is the one issued (truce sitrep verify), against the ledger.
const TypeIssue = "report.issue"

// Kinds of report.
const KindDaily = "daily"

// MediaTypes are the formats' media types, as served.
var MediaTypes = map[string]string{"json": "application/json", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8",
	"pdf": "application/pdf"}

// Issue is the payload of report.issue.
type Issue struct {
	Kind     string `json:"kind"`
	Incident string `json:"incident,omitempty"` // a spot report's incident
	Date     string `json:"date"`
	Audience string `json:"audience"`
	Lang     string `json:"lang"`
	Format   string `json:"format"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	CutOff   string `json:"cut_off"`
	Zone     string `json:"zone"`
}

// Validate checks the payload's fields.
func (p *Issue) Validate() error {
	switch {
	case p.Kind != KindDaily && p.Kind != KindSpot:
		return ledger.Invalid("kind", "unknown report kind %q; one of daily, spot", p.Kind)
	case p.Kind == KindSpot && !strings.HasPrefix(p.Incident, "inc-"):
		return ledger.Invalid("incident", "a spot report names its incident (inc-N)")
	case p.Kind == KindDaily && p.Incident != "":
		return ledger.Invalid("incident", "a daily report names no incident")
	case !slices.Contains(Audiences, p.Audience):
		return ledger.Invalid("audience", "unknown audience %q; one of internal, public", p.Audience)
	case MediaTypes[p.Format] == "":
		return ledger.Invalid("format", "unknown format %q; one of json, csv, html, pdf", p.Format)
	case len(p.Lang) < 2 || len(p.Lang) > 8:
		return ledger.Invalid("lang", "must be a language tag such as uk")
	case p.Size <= 0:
		return ledger.Invalid("size", "must be positive")
	}
	if _, err := ParseDate("date", p.Date); err != nil {
		return err
	}
	if b, err := hex.DecodeString(p.SHA256); err != nil || len(b) != 32 || strings.ToLower(p.SHA256) != p.SHA256 {
		return ledger.Invalid("sha256", "must be 64 lower-case hex digits")
	}
	if _, err := NewConfig(p.CutOff, p.Zone); err != nil {
		return err
	}
	return nil
}

// Issued is a report as the ledger records its issue.
type Issued struct {
	ID string `json:"id"` // rep-<ledger index>
	Issue
	By    string    `json:"by"`
	Party string    `json:"party"`
	At    time.Time `json:"at"`
	Seq   uint64    `json:"seq"`
}

// IDFor is the ID of the report issued at ledger index seq.
func IDFor(seq uint64) string { return "rep-" + strconv.FormatUint(seq, 10) }
