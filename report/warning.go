package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"truce/geo"
	"truce/incident"
	"truce/ledger"
)

// Kinds of early warning.
const (
	// WarnTrend: a region's (or the whole area's) count of a type rose
	// sharply against its trailing baselines.
	WarnTrend = "trend"
	// WarnHotspot: a grid cell's count rose sharply.
	WarnHotspot = "hotspot"
	// WarnSpillover: an incident near a third country's border.
	WarnSpillover = "spillover"
	// WarnNuclear: an incident within the radius of a nuclear site, always
	// urgent.
	WarnNuclear = "nuclear_site"
)

// The thresholds, documented in the README. A day's count c rises
// sharply against its trailing baselines, the mean b7 of the 7 days
// before and b28 of the 28 days before, when all of these hold:
//   - c ≥ TrendMin (a few incidents are no trend);
//   - c ≥ TrendFactor × b7 (the week before was calmer by that much);
//   - c > b28 + 2·√max(b28, 1) (beyond a Poisson count's two sigmas
//     around the month's mean: a busy month's normal days do not warn).
//
// That fires at escalation after a quiet spell and after a slow rise, the
// cycle the OSCE mission described (recommitment, a sharp drop, a slow
// rise, then escalation), and stays quiet during the drop and the slow
// rise.
const (
	TrendMin    = 3
	TrendFactor = 2.0
	// HotspotCell is the grid's cell size, in degrees.
	HotspotCell = 0.5
	// SpilloverKM is how near a third country's border an incident warns.
	SpilloverKM = 20.0
)

// Warning is one early warning of a day.
type Warning struct {
	Kind     string `json:"kind"`
	Severity string `json:"severity"` // urgent, high, watch
	// Trend and hotspot: what rose, by how much.
	Region     string   `json:"region,omitempty"`
	Type       string   `json:"type,omitempty"`
	Cell       string   `json:"cell,omitempty"` // "lon,lat" of the cell's south-west corner
	Count      int      `json:"count,omitempty"`
	Baseline7  *float64 `json:"baseline_7,omitempty"`
	Baseline28 *float64 `json:"baseline_28,omitempty"`
	// Spillover and nuclear sites: the incident, and what it came near.
	Incident   string   `json:"incident,omitempty"`
	Country    string   `json:"country,omitempty"`
	Site       string   `json:"site,omitempty"`
	DistanceKM *float64 `json:"distance_km,omitempty"`
}

// Rises applies the trend rule to a day's count and the 28 days before it
// (counts oldest first, today last; fewer than 29 values are padded with
// zeros before). It returns the two baselines too.
func Rises(counts []int) (rises bool, b7, b28 float64) {
	if len(counts) == 0 {
		return false, 0, 0
	}
	today := counts[len(counts)-1]
	before := counts[:len(counts)-1]
	mean := func(n int) float64 {
		sum := 0
		for i := len(before) - n; i < len(before); i++ {
			if i >= 0 {
				sum += before[i]
			}
		}
		return float64(sum) / float64(n)
	}
	b7, b28 = mean(7), mean(28)
	c := float64(today)
	return today >= TrendMin && c >= TrendFactor*b7 && c > b28+2*math.Sqrt(math.Max(b28, 1)), b7, b28
}

// Borders are third countries' outlines, measured to for spillover.
type Borders struct {
	countries []border
	Label     string
}

type border struct {
	name  string
	lines *geo.Lines
	box   geo.BBox
}

// Near names the third country whose border is within SpilloverKM of p,
// and how far, nearest first; ok is false when none is.
func (b *Borders) Near(p geo.Position) (country string, km float64, ok bool) {
	if b == nil {
		return "", 0, false
	}
	best := math.Inf(1)
	// A degree of latitude is 111 km: a box grown by a margin in degrees
	// rules most countries out before measuring.
	margin := SpilloverKM/111 + 0.5
	for _, c := range b.countries {
		if p[0] < c.box[0]-margin*2 || p[0] > c.box[2]+margin*2 || p[1] < c.box[1]-margin || p[1] > c.box[3]+margin {
			continue
		}
		if m, found := c.lines.Distance(p, SpilloverKM*1000); found && m/1000 < best {
			best, country = m/1000, c.name
		}
	}
	return country, best, country != ""
}

// warnings works out a day's early warnings from the incidents the
// report reads (the audience's), by region if regions are loaded: trends
// and hotspots from the observed incidents, spillover and nuclear sites
// from the period's documents.
func warnings(in Input, obs []located, from, to time.Time, public bool) []Warning {
	var out []Warning
	// obs counts days from the series' first; the trend reads the last 29.
	const off = SeriesDays - 29
	// Series by oblast (-1: the whole area) and type (-1: every type).
	type key struct{ ob, typ int32 }
	series := map[key]*[29]int{}
	type cellKey struct{ x, y int64 }
	cells := map[cellKey]*[29]int{}
	var last struct {
		k [4]key
		s [4]*[29]int
	}
	for i := range obs {
		o := &obs[i]
		d := o.day - off
		if d < 0 || d > 28 {
			continue
		}
		typ := int32(slices.Index(incident.Types, o.Type))
		keys := [4]key{{-1, -1}, {-1, typ}, {o.ob, -1}, {o.ob, typ}}
		for j, k := range keys {
			if j >= 2 && o.ob < 0 || j%2 == 1 && typ < 0 {
				continue
			}
			// Neighbouring rows often share a series: look it up once.
			if last.s[j] == nil || last.k[j] != k {
				if series[k] == nil {
					series[k] = &[29]int{}
				}
				last.k[j], last.s[j] = k, series[k]
			}
			last.s[j][d]++
		}
		c := cellKey{int64(math.Floor(o.Lon / HotspotCell)), int64(math.Floor(o.Lat / HotspotCell))}
		if cells[c] == nil {
			cells[c] = &[29]int{}
		}
		cells[c][d]++
	}
	for _, inc := range in.Incidents {
		if public && inc.Status != incident.Published || inc.From.Before(from) || !inc.From.Before(to) {
			continue
		}
		// The day's own incidents: near a border, or a nuclear site.
		p := geo.Position{(inc.BBox[0] + inc.BBox[2]) / 2, (inc.BBox[1] + inc.BBox[3]) / 2}
		typ := string(inc.Report.Type)
		if country, km, ok := in.Borders.Near(p); ok {
			km = math.Round(km*10) / 10
			out = append(out, Warning{Kind: WarnSpillover, Severity: "high", Incident: inc.ID, Country: country, DistanceKM: &km, Type: typ})
		}
		for _, f := range inc.Evaluation.Flags() {
			if f.Rule == "site" && f.SiteKind == "nuclear" {
				out = append(out, Warning{Kind: WarnNuclear, Severity: "urgent", Incident: inc.ID, Site: cmp.Or(f.SiteName, f.Site),
					DistanceKM: f.MeasuredKM, Type: typ})
				break
			}
		}
	}
	for k, counts := range series {
		if ok, b7, b28 := Rises(counts[:]); ok {
			b7, b28 = math.Round(b7*10)/10, math.Round(b28*10)/10
			sev := "high"
			region, typ := in.Regions.oblastName(k.ob), ""
			if k.typ >= 0 {
				typ = string(incident.Types[k.typ])
			}
			if region != "" || typ != "" {
				sev = "watch"
			}
			out = append(out, Warning{Kind: WarnTrend, Severity: sev, Region: region, Type: typ, Count: counts[28], Baseline7: &b7, Baseline28: &b28})
		}
	}
	for c, counts := range cells {
		if ok, b7, b28 := Rises(counts[:]); ok {
			cell := fmt.Sprintf("%.1f,%.1f", float64(c.x)*HotspotCell, float64(c.y)*HotspotCell)
			b7, b28 = math.Round(b7*10)/10, math.Round(b28*10)/10
			out = append(out, Warning{Kind: WarnHotspot, Severity: "watch", Cell: cell, Count: counts[28], Baseline7: &b7, Baseline28: &b28})
		}
	}
	rank := map[string]int{"urgent": 0, "high": 1, "watch": 2}
	slices.SortFunc(out, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(rank[a.Severity], rank[b.Severity]), cmp.Compare(a.Kind, b.Kind), cmp.Compare(b.Count, a.Count),
			cmp.Compare(a.Region, b.Region), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Cell, b.Cell), cmp.Compare(a.Incident, b.Incident))
	})
	return out
}

// TypeWarning is the statement that records a day's early warning, once
// the day has closed at its cut-off: the centre raises it, subscribers to
// warnings are alerted, and the audit covers it like any statement.
const TypeWarning = "warning.raise"

// Severities of a warning.
var Severities = []string{"urgent", "high", "watch"}

// RaiseWarning is the payload of warning.raise.
type RaiseWarning struct {
	Date string `json:"date"`
	Warning
}

// Key tells one warning of a day from another: what rose, or the
// incident.
func (w Warning) Key() string {
	return w.Kind + "|" + w.Region + "|" + w.Type + "|" + w.Cell + "|" + w.Incident
}

// Validate checks the payload.
func (p *RaiseWarning) Validate() error {
	if _, err := ParseDate("date", p.Date); err != nil {
		return err
	}
	if !slices.Contains([]string{WarnTrend, WarnHotspot, WarnSpillover, WarnNuclear}, p.Kind) {
		return ledger.Invalid("kind", "unknown warning %q; one of trend, hotspot, spillover, nuclear_site", p.Kind)
	}
	if !slices.Contains(Severities, p.Severity) {
		return ledger.Invalid("severity", "unknown severity %q; one of urgent, high, watch", p.Severity)
	}
	if (p.Kind == WarnSpillover || p.Kind == WarnNuclear) && !strings.HasPrefix(p.Incident, "inc-") {
		return ledger.Invalid("incident", "a %s warning names its incident", p.Kind)
	}
	return nil
}

// Raised is a warning as the ledger records it.
type Raised struct {
	ID   string `json:"id"` // wrn-<ledger index>
	Date string `json:"date"`
	Warning
	At  time.Time `json:"at"`
	Seq uint64    `json:"seq"`
}

// WarningID is the ID of the warning raised at ledger index seq.
func WarningID(seq uint64) string { return fmt.Sprintf("wrn-%d", seq) }
