package centre

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"truce/blobs"
	"truce/incident"
	"truce/ledger"
	"truce/party"
	"truce/report"
)

// reportsStore is what the centre reads of issued reports.
type reportsStore interface {
	// IssuedReports lists the reports issued, newest first.
	IssuedReports(ctx context.Context) ([]*report.Issued, error)
	// IssuedReport lists the issues of the bytes with that SHA-256.
	IssuedReport(ctx context.Context, sha256 string) ([]*report.Issued, error)
	// Warnings lists the warnings raised for a day (every day if "").
	Warnings(ctx context.Context, date string) ([]*report.Raised, error)
	// ObservedRows lists what the map index holds of the incidents
	// observed in [from, to); ObservedIncidents reads them whole.
	ObservedRows(ctx context.Context, from, to time.Time, publishedOnly bool) ([]incident.MapRow, error)
	ObservedIncidents(ctx context.Context, from, to time.Time, publishedOnly bool, each func(*incident.Incident) error) error
	// IncidentSteps lists the findings, publications and responses at
	// ledger indexes [from, to).
	IncidentSteps(ctx context.Context, from, to uint64) ([]*ledger.Signed, error)
}

// DailyReport builds the daily report of date for an audience, from the
// projections as they stand. Its cost follows the day's incidents, not
// the ledger's: the counts come from the map index (or, when that lags,
// the incidents' sealed columns), the documents read are those observed
// in the period and those the period's findings and responses touched.
func (c *Centre) DailyReport(ctx context.Context, date time.Time, audience string) (*report.Daily, error) {
	cfg := c.reports
	from, to := cfg.Period(date)
	first, _ := cfg.Period(date.AddDate(0, 0, -(report.SeriesDays - 1)))
	public := audience == report.Public
	var observed []incident.MapRow
	if c.MapCaughtUp(ctx) {
		observed = c.Map.Observed(first, to, public)
	} else {
		var err error
		if observed, err = c.Store.ObservedRows(ctx, first, to, public); err != nil {
			return nil, err
		}
	}
	// The day's documents, read in as many slices of the period as there
	// are cores: decoding them is most of a busy day's cost.
	parts := runtime.GOMAXPROCS(0)
	got, errs := make([][]*incident.Incident, parts), make([]error, parts)
	var wg sync.WaitGroup
	step := to.Sub(from) / time.Duration(parts)
	for i := range parts {
		a, b := from.Add(time.Duration(i)*step), from.Add(time.Duration(i+1)*step)
		if i == parts-1 {
			b = to
		}
		wg.Go(func() {
			errs[i] = c.Store.ObservedIncidents(ctx, a, b, public, func(inc *incident.Incident) error {
				got[i] = append(got[i], inc)
				return nil
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	incs := slices.Concat(got...)
	touched, err := c.touchedBetween(ctx, from, to)
	if err != nil {
		return nil, err
	}
	read := make(map[string]bool, len(incs))
	for _, inc := range incs {
		read[inc.ID] = true
	}
	for _, id := range touched {
		if read[id] {
			continue // observed in the period: already read
		}
		inc, err := c.Store.Incident(ctx, id)
		if err != nil {
			return nil, err
		}
		if inc != nil {
			incs = append(incs, inc)
		}
	}
	restrictions, err := c.Store.Restrictions(ctx)
	if err != nil {
		return nil, err
	}
	arrs, err := c.Arrangements(ctx, to)
	if err != nil {
		return nil, err
	}
	in := report.Input{Config: cfg, Date: date, Audience: audience, Observed: observed, Incidents: incs, Restrictions: restrictions,
		Regions: c.regions, Borders: c.borders}
	if in.Observed == nil {
		in.Observed = []incident.MapRow{}
	}
	for _, a := range arrs {
		purpose := ""
		if a.Request != nil {
			purpose = a.Request.Purpose
		}
		in.Arrangements = append(in.Arrangements, report.Arrangement{Record: a.Record, Status: a.Status, Purpose: purpose})
	}
	return report.Build(in), nil
}

// touchedBetween names the incidents given a finding, published or
// answered by statements made in [from, to), found by their ledger
// indexes.
func (c *Centre) touchedBetween(ctx context.Context, from, to time.Time) ([]string, error) {
	lo, err := c.seqAt(ctx, from.Add(-digestSkew))
	if err != nil {
		return nil, err
	}
	hi, err := c.seqAt(ctx, to.Add(digestSkew))
	if err != nil {
		return nil, err
	}
	steps, err := c.Store.IncidentSteps(ctx, lo, hi)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range steps {
		var p struct {
			Incident string `json:"incident"`
		}
		if json.Unmarshal(s.Statement.Payload, &p) == nil && p.Incident != "" && !seen[p.Incident] {
			seen[p.Incident] = true
			out = append(out, p.Incident)
		}
	}
	return out, nil
}

// seqAt is the first ledger index whose statement was made at or after t
// (the ledger's size if none was): statements are appended in time order,
// give or take the clock skew allowed, so a bisection finds it.
func (c *Centre) seqAt(ctx context.Context, t time.Time) (uint64, error) {
	size, err := c.Store.Size(ctx)
	if err != nil {
		return 0, err
	}
	lo, hi := uint64(0), size
	for lo < hi {
		mid := lo + (hi-lo)/2
		sts, err := c.Store.Statements(ctx, mid, 1)
		if err != nil {
			return 0, err
		}
		if len(sts) == 0 || !sts[0].Statement.Time.Before(t) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

// ReportConfig is the daily report's cut-off and zone.
func (c *Centre) ReportConfig() report.Config { return c.reports }

// RenderDaily builds the daily report of date and writes it in a format
// and language.
func (c *Centre) RenderDaily(ctx context.Context, date time.Time, audience, format, lang string) (*report.Daily, []byte, error) {
	r, err := c.DailyReport(ctx, date, audience)
	if err != nil {
		return nil, nil, err
	}
	var b []byte
	switch format {
	case "json":
		b, err = json.MarshalIndent(r, "", "  ")
		b = append(b, '\n')
	case "csv":
		b, err = r.CSV(lang)
	case "html":
		b, err = r.HTML(lang)
	case "pdf":
		if b, err = r.HTML(lang); err == nil {
			b, err = report.PDF(ctx, b, lang)
		}
	default:
		err = ledger.Invalid("format", "unknown format %q; one of json, csv, html, pdf", format)
	}
	return r, b, err
}

// ErrNoReportStore: the centre was opened without a store for issued
// reports' files.
var ErrNoReportStore = errors.New("this centre keeps no issued reports (no report file store)")

// IssueDaily issues the daily report of date: the bytes are built, stored
// by their SHA-256, and a report.issue statement carrying that digest is
// appended, signed by the coordinator who issues it.
func (c *Centre) IssueDaily(ctx context.Context, s *Session, date time.Time, audience, format, lang string) (*ledger.Signed, *report.Issued, error) {
	if s.Kind == party.Belligerent || s.Member.Revoked || !s.Member.Has(party.Coordinator) {
		return nil, nil, ledger.Forbidden("reports are issued by coordinators of a party that is not a belligerent")
	}
	if c.reportFiles == nil {
		return nil, nil, ErrNoReportStore
	}
	r, b, err := c.RenderDaily(ctx, date, audience, format, lang)
	if err != nil {
		return nil, nil, err
	}
	sha, size, err := c.reportFiles.Put(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("store the report: %w", err)
	}
	p := report.Issue{Kind: report.KindDaily, Date: r.Date, Audience: audience, Lang: lang, Format: format, SHA256: sha, Size: size,
		CutOff: r.CutOff, Zone: r.Zone}
	st, err := c.Say(ctx, s, report.TypeIssue, p)
	if err != nil {
		return nil, nil, err
	}
	return st, &report.Issued{ID: report.IDFor(st.Seq), Issue: p, By: s.Member.ID, Party: s.Member.Party, At: st.Statement.Time, Seq: st.Seq}, nil
}

// ReportFiles is the store of issued reports' bytes, nil if none.
func (c *Centre) ReportFiles() *blobs.Store { return c.reportFiles }

// IssueSpot issues the spot report of an incident: its bytes kept, their
// digest recorded by a report.issue of kind spot.
func (c *Centre) IssueSpot(ctx context.Context, s *Session, id, audience, format, lang string) (*ledger.Signed, *report.Issued, error) {
	if s.Kind == party.Belligerent || s.Member.Revoked || !s.Member.Has(party.Coordinator) {
		return nil, nil, ledger.Forbidden("reports are issued by coordinators of a party that is not a belligerent")
	}
	if c.reportFiles == nil {
		return nil, nil, ErrNoReportStore
	}
	inc, err := c.Store.Incident(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if inc == nil {
		return nil, nil, ledger.NotFound("no incident %q", id)
	}
	spot, err := report.BuildSpot(inc, audience, c.regions)
	if err != nil {
		return nil, nil, ledger.Conflict("%v", err)
	}
	var b []byte
	switch format {
	case "json":
		if b, err = json.MarshalIndent(spot, "", "  "); err == nil {
			b = append(b, '\n')
		}
	case "html", "pdf":
		if b, err = spot.HTML(lang, c.reports.Zone); err == nil && format == "pdf" {
			b, err = report.PDF(ctx, b, lang)
		}
	default:
		err = ledger.Invalid("format", "a spot report is json, html or pdf, not %q", format)
	}
	if err != nil {
		return nil, nil, err
	}
	sha, size, err := c.reportFiles.Put(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("store the report: %w", err)
	}
	p := report.Issue{Kind: report.KindSpot, Incident: inc.ID, Date: c.reports.DayOf(inc.From).Format(time.DateOnly), Audience: audience,
		Lang: lang, Format: format, SHA256: sha, Size: size, CutOff: c.reports.CutOffText(), Zone: c.reports.Zone.String()}
	st, err := c.Say(ctx, s, report.TypeIssue, p)
	if err != nil {
		return nil, nil, err
	}
	return st, &report.Issued{ID: report.IDFor(st.Seq), Issue: p, By: s.Member.ID, Party: s.Member.Party, At: st.Statement.Time, Seq: st.Seq}, nil
}

// onPublished issues the public spot report of an incident whose finding
// of serious_violation was just published, once.
func (c *Centre) onPublished(ctx context.Context, op *Session, s *ledger.Signed) {
	var p incident.Publish
	if !c.spotReports || ledger.DecodePayload(s.Statement, &p) != nil || c.reportFiles == nil {
		return
	}
	inc, err := c.Store.Incident(ctx, p.Incident)
	if err != nil || inc == nil || inc.Finding == nil || inc.Finding.Outcome != "serious_violation" {
		return
	}
	issued, err := c.Store.IssuedReports(ctx)
	if err != nil {
		return
	}
	for _, r := range issued {
		if r.Kind == report.KindSpot && r.Incident == inc.ID && r.Audience == report.Public {
			return
		}
	}
	if _, rec, err := c.IssueSpot(ctx, op, inc.ID, report.Public, "html", "en"); err != nil {
		if ctx.Err() == nil {
			slog.Error("issue the spot report", "incident", inc.ID, "err", err)
		}
	} else {
		slog.Info("spot report issued on a published serious violation", "incident", inc.ID, "report", rec.ID)
	}
}

// digestSkew is how far out of time order the ledger's statements may be
// (client-signed statements carry their signer's clock, within the skew
// the centre accepts): an hour's statements are looked for that far
// beyond it on each side.
const digestSkew = 15 * time.Minute

// HourlyDigest digests the ledger's statements of the hour before to. The
// statements are found by bisecting the ledger on time, so a digest reads
// about one hour's statements whatever the ledger's size.
func (c *Centre) HourlyDigest(ctx context.Context, to time.Time, audience string) (*report.Hourly, error) {
	size, err := c.Store.Size(ctx)
	if err != nil {
		return nil, err
	}
	lo, err := c.seqAt(ctx, to.Add(-time.Hour-digestSkew))
	if err != nil {
		return nil, err
	}
	var sts []*ledger.Signed
	for from := lo; from < size; {
		page, err := c.Store.Statements(ctx, from, 1000)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		sts = append(sts, page...)
		from = page[len(page)-1].Seq + 1
		if page[len(page)-1].Statement.Time.After(to.Add(digestSkew)) {
			break
		}
	}
	published := func(id string) bool {
		inc, err := c.Store.Incident(ctx, id)
		return err == nil && inc != nil && inc.Status == incident.Published
	}
	return report.BuildHourly(to, audience, sts, published), nil
}

// RaiseWarnings records the early warnings of a closed day, each once, as
// warning.raise statements by the centre (from everything members may
// see). It returns the statements appended.
func (c *Centre) RaiseWarnings(ctx context.Context, op *Session, date time.Time) ([]*ledger.Signed, error) {
	r, err := c.DailyReport(ctx, date, report.Internal)
	if err != nil {
		return nil, err
	}
	raised, err := c.Store.Warnings(ctx, r.Date)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, w := range raised {
		seen[w.Key()] = true
	}
	var out []*ledger.Signed
	for _, w := range r.Warnings {
		if seen[w.Key()] {
			continue
		}
		st, err := c.Say(ctx, op, report.TypeWarning, report.RaiseWarning{Date: r.Date, Warning: w})
		if errors.Is(err, ledger.ErrConflict) {
			continue // raised meanwhile
		}
		if err != nil {
			return out, err
		}
		out = append(out, st)
	}
	if len(out) > 0 {
		slog.Info("warnings raised", "day", r.Date, "count", len(out))
	}
	return out, nil
}
