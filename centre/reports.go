package centre

import (
	"context"
	"fmt"
	"time"

	"truce/incident"
	"truce/report"
)

// ReportWindow is how far before a report's cut-off the incidents whose
// findings and responses it lists were observed.
const ReportWindow = 90 * 24 * time.Hour

// DailyReport builds the daily report of date for an audience, from the
// projections as they stand.
func (c *Centre) DailyReport(ctx context.Context, date time.Time, audience string) (*report.Daily, error) {
	cfg := c.reports
	_, to := cfg.Period(date)
	f := incident.Filter{From: to.Add(-ReportWindow), To: to, PublishedOnly: audience == report.Public, Limit: 1000}
	var incs []*incident.Incident
	for {
		page, err := c.Store.Incidents(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("read the period's incidents: %w", err)
		}
		incs = append(incs, page.Items...)
		if page.Next == 0 {
			break
		}
		f.Before = page.Next
	}
	restrictions, err := c.Store.Restrictions(ctx)
	if err != nil {
		return nil, err
	}
	arrs, err := c.Arrangements(ctx, to)
	if err != nil {
		return nil, err
	}
	in := report.Input{Config: cfg, Date: date, Audience: audience, Incidents: incs, Restrictions: restrictions, Regions: c.regions}
	for _, a := range arrs {
		purpose := ""
		if a.Request != nil {
			purpose = a.Request.Purpose
		}
		in.Arrangements = append(in.Arrangements, report.Arrangement{Record: a.Record, Status: a.Status, Purpose: purpose})
	}
	return report.Build(in), nil
}

// ReportConfig is the daily report's cut-off and zone.
func (c *Centre) ReportConfig() report.Config { return c.reports }
