// Package report builds the centre's periodic products from its
// projections: the daily report, in the style of the monitoring missions'
// (a fixed cut-off, counts against the previous period, set sections), for
// two audiences. Building is a pure function of what the store holds, so
// that anyone with the ledger can build the same report again.
package report

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the cut-off's zone must resolve on hosts without a zone database

	"truce/agreement"
	"truce/geo"
	"truce/incident"
	"truce/ledger"
	"truce/movement"
)

// Audiences.
const (
	// Internal: everything members may see, each party's stated view
	// beside the finding.
	Internal = "internal"
	// Public: published findings only, places to the region and times to
	// the hour.
	Public = "public"
)

// Audiences lists the audiences.
var Audiences = []string{Internal, Public}

// Config is when a report's day ends.
type Config struct {
	// CutOff is the time of day, in Zone, at which a day's report closes.
	CutOff time.Duration
	Zone   *time.Location
}

// DefaultCutOff is the missions' "as of 19:30", Kyiv time.
const DefaultCutOff = "19:30"

// DefaultZone is the zone the cut-off is read in.
const DefaultZone = "Europe/Kyiv"

// NewConfig reads a cut-off such as "19:30" and a zone name.
func NewConfig(cutOff, zone string) (Config, error) {
	var c Config
	h, m, ok := strings.Cut(cutOff, ":")
	digits := func(s string) bool { return len(s) == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' }
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	if !ok || !digits(h) || !digits(m) || hh > 23 || mm > 59 {
		return c, ledger.Invalid("cut_off", "must be a time of day such as 19:30, not %q", cutOff)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" || zone == "Local" {
		return c, ledger.Invalid("zone", "unknown time zone %q; name one such as Europe/Kyiv", zone)
	}
	c.CutOff, c.Zone = time.Duration(hh)*time.Hour+time.Duration(mm)*time.Minute, loc
	return c, nil
}

// Default is 19:30 Europe/Kyiv.
func Default() Config {
	c, err := NewConfig(DefaultCutOff, DefaultZone)
	if err != nil {
		panic(err)
	}
	return c
}

// CutOffText is the cut-off as written ("19:30").
func (c Config) CutOffText() string {
	return fmt.Sprintf("%02d:%02d", int(c.CutOff/time.Hour), int(c.CutOff%time.Hour/time.Minute))
}

// Period is the day date's report covers: from the previous day's cut-off
// (included) to date's cut-off (excluded), in the zone's local time, so a
// day is 23 or 25 hours long when the clocks change.
func (c Config) Period(date time.Time) (from, to time.Time) {
	y, m, d := date.Date()
	h, mi := int(c.CutOff/time.Hour), int(c.CutOff%time.Hour/time.Minute)
	to = time.Date(y, m, d, h, mi, 0, 0, c.Zone)
	from = time.Date(y, m, d-1, h, mi, 0, 0, c.Zone)
	return from, to
}

// DayOf is the report day a time falls in: the day of the next cut-off.
func (c Config) DayOf(t time.Time) time.Time {
	local := t.In(c.Zone)
	y, m, d := local.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if _, to := c.Period(day); !t.Before(to) {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// ParseDate reads a report date, YYYY-MM-DD.
func ParseDate(field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, ledger.Invalid(field, "must be a date such as 2026-02-03, not %q", s)
	}
	return t, nil
}

// Count is one line of a count table: this period, the previous one, and
// the change.
type Count struct {
	Key      string `json:"key"`
	Count    int    `json:"count"`
	Previous int    `json:"previous"`
	Delta    int    `json:"delta"`
}

// Daily is one day's report.
type Daily struct {
	Date     string    `json:"date"`
	CutOff   string    `json:"cut_off"`
	Zone     string    `json:"zone"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Audience string    `json:"audience"`
	// Regions names the reference areas counted by, or is empty.
	Regions string `json:"regions,omitempty"`
	// areas, if loaded, draw the map of counts by region.
	areas *Regions

	Total    Count   `json:"total"`
	ByRegion []Count `json:"by_region,omitempty"` // oblasts
	ByRaion  []Count `json:"by_raion,omitempty"`  // raions, "raion (oblast)"
	ByType   []Count `json:"by_type"`
	ByActor  []Count `json:"by_actor"`
	ByStatus []Count `json:"by_status"`

	// Series is the count of each of the 30 report days ending on Date.
	Series []DayCount `json:"series"`
	// Warnings are the day's early warnings.
	Warnings []Warning `json:"warnings"`

	Violations   []ViolationLine   `json:"violations"`
	Casualties   Casualties        `json:"casualties"`
	Sites        []FlagLine        `json:"protected_sites"`
	Weapons      []FlagLine        `json:"weapons"`
	Restrictions RestrictionsPart  `json:"restrictions"`
	Arrangements []ArrangementLine `json:"arrangements"`
	Findings     []FindingLine     `json:"findings"`
	Responses    []ResponseLine    `json:"responses,omitempty"`
	Incidents    []IncidentLine    `json:"incidents"`
	// IncidentsMore counts the period's incidents beyond the MaxListed
	// listed; SitesMore and WeaponsMore, the flags beyond MaxIDs.
	IncidentsMore int `json:"incidents_more,omitempty"`
	SitesMore     int `json:"protected_sites_more,omitempty"`
	WeaponsMore   int `json:"weapons_more,omitempty"`
}

// DayCount is one report day's count of incidents.
type DayCount struct {
	Date  string `json:"date"`
	Count int    `json:"count"`
}

// SeriesDays is how many days the plot of daily counts shows.
const SeriesDays = 30

// ViolationLine counts the possible violations of one term of one
// instrument in the period.
type ViolationLine struct {
	Agreement string   `json:"agreement"`
	Term      string   `json:"term"`
	Rule      string   `json:"rule"`
	Count     int      `json:"count"`
	Incidents []string `json:"incidents"`
	More      int      `json:"more,omitempty"` // incidents counted but not named (MaxIDs)
	// MinKM is the shortest distance measured, where the rule measures one.
	MinKM *float64 `json:"min_km,omitempty"`
}

// FlagLine is one incident flagged near a protected site, or with a weapon
// inside its withdrawal distance.
type FlagLine struct {
	Incident   string   `json:"incident"`
	Agreement  string   `json:"agreement"`
	Term       string   `json:"term"`
	What       string   `json:"what"` // the site's name, or the weapon class's label
	MeasuredKM *float64 `json:"measured_km,omitempty"`
	LimitKM    *float64 `json:"limit_km,omitempty"`
}

// Casualties sums the reported casualties of the period's incidents.
type Casualties struct {
	CivilianKilled  int      `json:"civilian_killed"`
	CivilianInjured int      `json:"civilian_injured"`
	MilitaryKilled  int      `json:"military_killed"`
	MilitaryInjured int      `json:"military_injured"`
	Incidents       []string `json:"incidents"`
	More            int      `json:"more,omitempty"` // incidents with casualties not named (MaxIDs)
}

// RestrictionsPart is the freedom-of-movement section.
type RestrictionsPart struct {
	Recorded int                     `json:"recorded"` // began in the period
	Ended    int                     `json:"ended"`    // ended in the period
	Open     int                     `json:"open"`     // still open at the cut-off
	BySub    []Count                 `json:"by_subtype"`
	Items    []*movement.Restriction `json:"items,omitempty"`
}

// ArrangementLine is an arrangement that held ground, or closed, in the
// period.
type ArrangementLine struct {
	ID      string `json:"id"`
	Purpose string `json:"purpose"`
	State   string `json:"state"`
	Outcome string `json:"outcome,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// FindingLine is a finding recorded (internal) or published (public) in
// the period.
type FindingLine struct {
	Incident    string    `json:"incident"`
	Finding     string    `json:"finding"`
	Attribution string    `json:"attribution,omitempty"`
	At          time.Time `json:"at"`
	// Views: each party's stated view (internal report only).
	Views []ResponseLine `json:"views,omitempty"`
}

// ResponseLine is a party's response in the period (internal only).
type ResponseLine struct {
	Incident string    `json:"incident"`
	Party    string    `json:"party"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
}

// IncidentLine is one incident of the period, as the audience may see it.
type IncidentLine struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Observed time.Time `json:"observed"`
	Region   string    `json:"region,omitempty"`
	Actor    string    `json:"actor,omitempty"`
	Status   string    `json:"status"`
	Lon      *float64  `json:"lon,omitempty"` // internal only
	Lat      *float64  `json:"lat,omitempty"`
}

// Input is what a daily report is built from.
type Input struct {
	Config   Config
	Date     time.Time
	Audience string
	// Observed holds every incident observed in the SeriesDays report
	// days ending on Date, as the centre's map index holds it (position,
	// type, status, actor): the counts, the plot and the trends come from
	// these without reading a document. Nil: taken from Incidents.
	Observed []incident.MapRow
	// Incidents are the documents of every incident observed in the
	// period, and of every incident whose finding or responses were made
	// in it: the sections come from these.
	Incidents    []*incident.Incident
	Restrictions []*movement.Restriction
	Arrangements []Arrangement
	// Regions, if loaded, are the areas counted by; Borders, if loaded,
	// the third countries watched for spillover.
	Regions *Regions
	Borders *Borders
}

// Lists are bounded so that a day of a great many incidents still makes a
// report people can read and the centre can build quickly; every count
// stays exact, and each bounded list says how many it left out.
const (
	// MaxListed is how many of the period's incidents the report lists.
	MaxListed = 1000
	// MaxIDs is how many incidents a section line names, and how many
	// lines a section of flags holds.
	MaxIDs = 100
)

// Arrangement is an arrangement and its status at the cut-off.
type Arrangement struct {
	Record  *agreement.ArrangementRecord
	Status  agreement.ArrangementStatus
	Purpose string
}

// RowsOf is what the map index holds of incidents, for an Input built
// from documents alone.
func RowsOf(incs []*incident.Incident) []incident.MapRow {
	out := make([]incident.MapRow, 0, len(incs))
	for _, inc := range incs {
		out = append(out, incident.MapRow{Seq: inc.Seq, Lon: (inc.BBox[0] + inc.BBox[2]) / 2, Lat: (inc.BBox[1] + inc.BBox[3]) / 2,
			From: inc.From.UnixMilli(), Until: inc.Until.UnixMilli(), Type: inc.Report.Type, Status: inc.Status, Party: inc.Party,
			Actor: inc.Report.AllegedActor})
	}
	return out
}

// located is an observed incident with its region and report day.
type located struct {
	*incident.MapRow
	ob, ra int32 // into the regions' oblasts and raions; -1: none
	day    int   // report days after the series' first; -1 before it
}

// locate places each observed incident in its region and report day,
// on every core: at a million incidents the point-in-polygon tests are
// most of the report's work.
func locate(in Input, rows []incident.MapRow, first time.Time) []located {
	out := make([]located, len(rows))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(rows)/10000))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(rows); i += workers {
				r := &rows[i]
				l := located{MapRow: r, ob: -1, ra: -1, day: -1}
				if d := in.Config.DayOf(time.UnixMilli(r.From)); !d.Before(first) {
					l.day = int(d.Sub(first).Hours()/24 + 0.5)
				}
				if in.Regions != nil {
					l.ob, l.ra = in.Regions.locate(geo.Position{r.Lon, r.Lat})
				}
				out[i] = l
			}
		})
	}
	wg.Wait()
	return out
}

// Build builds the daily report.
func Build(in Input) *Daily {
	from, to := in.Config.Period(in.Date)
	prevFrom, _ := in.Config.Period(in.Date.AddDate(0, 0, -1))
	public := in.Audience == Public
	r := &Daily{Date: in.Date.Format(time.DateOnly), CutOff: in.Config.CutOffText(), Zone: in.Config.Zone.String(),
		From: from.UTC(), To: to.UTC(), Audience: in.Audience,
		Violations: []ViolationLine{}, Sites: []FlagLine{}, Weapons: []FlagLine{}, Arrangements: []ArrangementLine{},
		Findings: []FindingLine{}, Incidents: []IncidentLine{}, Casualties: Casualties{Incidents: []string{}}}
	within := func(t, a, b time.Time) bool { return !t.Before(a) && t.Before(b) }
	if in.Regions != nil {
		r.Regions, r.areas = in.Regions.Label, in.Regions
	}
	if in.Observed == nil {
		in.Observed = RowsOf(in.Incidents)
	}
	// Counted by index, a million times over at most; named at the end.
	// Each counter is [this period, the previous one].
	type tally = [2]int
	byOblast, byRaion := map[int32]*tally{}, map[[2]int32]*tally{}
	byType, byStatus := make([]tally, len(incident.Types)), make([]tally, len(incident.Statuses))
	otherType, otherStatus, byActor := map[string]*tally{}, map[string]*tally{}, map[string]*tally{}
	bump := func(t *tally, cur bool) {
		if cur {
			t[0]++
		} else {
			t[1]++
		}
	}
	at := func(m map[string]*tally, k string) *tally {
		t := m[k]
		if t == nil {
			t = &tally{}
			m[k] = t
		}
		return t
	}
	first := in.Date.AddDate(0, 0, -(SeriesDays - 1))
	series := make([]DayCount, SeriesDays)
	for i := range series {
		series[i].Date = first.AddDate(0, 0, i).Format(time.DateOnly)
	}
	a, b, p := from.UnixMilli(), to.UnixMilli(), prevFrom.UnixMilli()
	rows := in.Observed
	if public {
		rows = slices.DeleteFunc(slices.Clone(rows), func(x incident.MapRow) bool { return x.Status != incident.Published })
	}
	obs := locate(in, rows, first)
	for i := range obs {
		o := &obs[i]
		if o.day >= 0 && o.day < SeriesDays {
			series[o.day].Count++
		}
		cur, prev := o.From >= a && o.From < b, o.From >= p && o.From < a
		if !cur && !prev {
			continue
		}
		if cur {
			r.Total.Count++
		} else {
			r.Total.Previous++
		}
		if in.Regions != nil {
			t := byOblast[o.ob]
			if t == nil {
				t = &tally{}
				byOblast[o.ob] = t
			}
			bump(t, cur)
			if in.Regions.HasRaions() {
				k := [2]int32{o.ob, o.ra}
				if o.ra < 0 {
					k = [2]int32{-1, -1}
				}
				t := byRaion[k]
				if t == nil {
					t = &tally{}
					byRaion[k] = t
				}
				bump(t, cur)
			}
		}
		if i := slices.Index(incident.Types, o.Type); i >= 0 {
			bump(&byType[i], cur)
		} else {
			bump(at(otherType, string(o.Type)), cur)
		}
		if i := slices.Index(incident.Statuses, o.Status); i >= 0 {
			bump(&byStatus[i], cur)
		} else {
			bump(at(otherStatus, string(o.Status)), cur)
		}
		bump(at(byActor, cmp.Or(o.Actor, "unknown")), cur)
	}
	counts := map[string]map[string]*Count{"region": {}, "raion": {}, "type": {}, "actor": {}, "status": {}}
	name := func(table, key string, t tally) {
		if t != (tally{}) {
			counts[table][key] = &Count{Key: key, Count: t[0], Previous: t[1]}
		}
	}
	for ob, t := range byOblast {
		name("region", cmp.Or(in.Regions.oblastName(ob), "—"), *t)
	}
	for k, t := range byRaion {
		key := "—"
		if k[1] >= 0 {
			key = in.Regions.raionName(k[1]) + " (" + in.Regions.oblastName(k[0]) + ")"
		}
		name("raion", key, *t)
	}
	for i, t := range byType {
		name("type", string(incident.Types[i]), t)
	}
	for i, t := range byStatus {
		name("status", string(incident.Statuses[i]), t)
	}
	for _, m := range []struct {
		table string
		m     map[string]*tally
	}{{"type", otherType}, {"status", otherStatus}, {"actor", byActor}} {
		for k, t := range m.m {
			name(m.table, k, *t)
		}
	}
	// The sections, from the documents.
	viol := map[string]*ViolationLine{}
	seen := make(map[uint64]bool, len(in.Incidents))
	var listed []IncidentLine
	for _, inc := range in.Incidents {
		if seen[inc.Seq] {
			continue
		}
		seen[inc.Seq] = true
		if public && inc.Status != incident.Published {
			continue
		}
		if within(inc.From, from, to) {
			region := ""
			if in.Regions != nil {
				oblast, raion := in.Regions.Locate(geo.Position{(inc.BBox[0] + inc.BBox[2]) / 2, (inc.BBox[1] + inc.BBox[3]) / 2})
				region = oblast
				if raion != "" && in.Regions.HasRaions() {
					region = oblast + " / " + raion
				}
			}
			listed = append(listed, incidentLine(inc, region, public))
			r.flags(inc, viol)
			if c := inc.Report.Casualties; c != nil {
				r.Casualties.CivilianKilled += c.Civilian.Killed
				r.Casualties.CivilianInjured += c.Civilian.Injured
				r.Casualties.MilitaryKilled += c.Military.Killed
				r.Casualties.MilitaryInjured += c.Military.Injured
				if c.Civilian.Killed+c.Civilian.Injured+c.Military.Killed+c.Military.Injured > 0 {
					r.Casualties.Incidents = append(r.Casualties.Incidents, inc.ID)
				}
			}
		}
		r.findings(inc, from, to, public, within)
	}
	r.Series = series
	if r.Warnings = warnings(in, obs, from, to, public); r.Warnings == nil {
		r.Warnings = []Warning{}
	}
	r.Total.Delta = r.Total.Count - r.Total.Previous
	if in.Regions != nil {
		r.ByRegion = table(counts["region"])
		if in.Regions.HasRaions() {
			r.ByRaion = table(counts["raion"])
		}
	}
	r.ByType, r.ByActor, r.ByStatus = table(counts["type"]), table(counts["actor"]), table(counts["status"])
	for _, v := range viol {
		slices.SortFunc(v.Incidents, byID)
		if len(v.Incidents) > MaxIDs {
			v.More, v.Incidents = len(v.Incidents)-MaxIDs, v.Incidents[:MaxIDs]
		}
		r.Violations = append(r.Violations, *v)
	}
	slices.SortFunc(r.Violations, func(a, b ViolationLine) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Agreement, b.Agreement), cmp.Compare(a.Term, b.Term))
	})
	slices.SortFunc(listed, func(a, b IncidentLine) int { return cmp.Or(a.Observed.Compare(b.Observed), cmp.Compare(a.ID, b.ID)) })
	if len(listed) > MaxListed {
		r.IncidentsMore, listed = len(listed)-MaxListed, listed[:MaxListed]
	}
	if listed != nil {
		r.Incidents = listed
	}
	slices.SortFunc(r.Casualties.Incidents, byID)
	if n := len(r.Casualties.Incidents); n > MaxIDs {
		r.Casualties.More, r.Casualties.Incidents = n-MaxIDs, r.Casualties.Incidents[:MaxIDs]
	}
	for _, l := range []*[]FlagLine{&r.Sites, &r.Weapons} {
		slices.SortFunc(*l, func(a, b FlagLine) int {
			return cmp.Or(byID(a.Incident, b.Incident), cmp.Compare(a.Agreement, b.Agreement), cmp.Compare(a.Term, b.Term))
		})
	}
	if n := len(r.Sites); n > MaxIDs {
		r.SitesMore, r.Sites = n-MaxIDs, r.Sites[:MaxIDs]
	}
	if n := len(r.Weapons); n > MaxIDs {
		r.WeaponsMore, r.Weapons = n-MaxIDs, r.Weapons[:MaxIDs]
	}
	slices.SortFunc(r.Findings, func(a, b FindingLine) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Incident, b.Incident)) })
	slices.SortFunc(r.Responses, func(a, b ResponseLine) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Incident, b.Incident)) })
	r.restrictions(in.Restrictions, from, to, public, within)
	for _, a := range in.Arrangements {
		if line, ok := arrangementLine(a, from, to); ok {
			r.Arrangements = append(r.Arrangements, line)
		}
	}
	slices.SortFunc(r.Arrangements, func(a, b ArrangementLine) int { return cmp.Compare(a.ID, b.ID) })
	return r
}

// byID orders incident IDs by their ledger index.
func byID(a, b string) int {
	x, _ := incident.SeqOf(a)
	y, _ := incident.SeqOf(b)
	return cmp.Or(cmp.Compare(x, y), cmp.Compare(a, b))
}

func incidentLine(inc *incident.Incident, region string, public bool) IncidentLine {
	l := IncidentLine{ID: inc.ID, Type: string(inc.Report.Type), Observed: inc.From.UTC(), Region: region,
		Actor: inc.Report.AllegedActor, Status: string(inc.Status)}
	if public {
		// Times to the hour; places to the region only.
		l.Observed = l.Observed.Truncate(time.Hour)
		return l
	}
	lon, lat := (inc.BBox[0]+inc.BBox[2])/2, (inc.BBox[1]+inc.BBox[3])/2
	l.Lon, l.Lat = &lon, &lat
	return l
}

// flags adds an incident's possible violations to the sections.
func (r *Daily) flags(inc *incident.Incident, viol map[string]*ViolationLine) {
	for _, f := range inc.Evaluation.Flags() {
		key := f.Agreement + "\x00" + f.Term
		v := viol[key]
		if v == nil {
			v = &ViolationLine{Agreement: f.Agreement, Term: f.Term, Rule: f.Rule, Incidents: []string{}}
			viol[key] = v
		}
		if n := len(v.Incidents); n == 0 || v.Incidents[n-1] != inc.ID { // an incident's flags come together
			v.Count++
			v.Incidents = append(v.Incidents, inc.ID)
		}
		if f.MeasuredKM != nil && (v.MinKM == nil || *f.MeasuredKM < *v.MinKM) {
			km := *f.MeasuredKM
			v.MinKM = &km
		}
		switch f.Rule {
		case "site":
			r.Sites = append(r.Sites, FlagLine{Incident: inc.ID, Agreement: f.Agreement, Term: f.Term, What: cmp.Or(f.SiteName, f.Site),
				MeasuredKM: f.MeasuredKM, LimitKM: f.LimitKM})
		case "withdrawal":
			r.Weapons = append(r.Weapons, FlagLine{Incident: inc.ID, Agreement: f.Agreement, Term: f.Term, What: cmp.Or(f.ClassLabel, f.Class),
				MeasuredKM: f.MeasuredKM, LimitKM: f.LimitKM})
		}
	}
}

// findings adds the finding made (internal) or published (public) in the
// period, and the responses made in it.
func (r *Daily) findings(inc *incident.Incident, from, to time.Time, public bool, within func(t, a, b time.Time) bool) {
	if inc.Finding == nil {
		if !public {
			r.responses(inc, from, to, within)
		}
		return
	}
	at := inc.Finding.At
	if public {
		if inc.Status != incident.Published {
			return
		}
		at = publishedAt(inc)
	}
	if within(at, from, to) {
		l := FindingLine{Incident: inc.ID, Finding: string(inc.Finding.Outcome), Attribution: inc.Finding.Attribution, At: at.UTC()}
		if !public {
			for _, resp := range inc.Responses {
				l.Views = append(l.Views, ResponseLine{Incident: inc.ID, Party: resp.Party, Text: resp.Text.Text, At: resp.At.UTC()})
			}
		}
		r.Findings = append(r.Findings, l)
	}
	if !public {
		r.responses(inc, from, to, within)
	}
}

func (r *Daily) responses(inc *incident.Incident, from, to time.Time, within func(t, a, b time.Time) bool) {
	for _, resp := range inc.Responses {
		if within(resp.At, from, to) {
			r.Responses = append(r.Responses, ResponseLine{Incident: inc.ID, Party: resp.Party, Text: resp.Text.Text, At: resp.At.UTC()})
		}
	}
}

// publishedAt is when an incident was published.
func publishedAt(inc *incident.Incident) time.Time {
	for _, s := range slices.Backward(inc.Steps) {
		if s.Type == incident.TypePublish {
			return s.At
		}
	}
	return inc.Updated
}

func (r *Daily) restrictions(all []*movement.Restriction, from, to time.Time, public bool, within func(t, a, b time.Time) bool) {
	p := &r.Restrictions
	sub := map[string]*Count{}
	for _, x := range all {
		began, ended := within(x.Started, from, to), x.Ended != nil && within(*x.Ended, from, to)
		openAtCut := x.Started.Before(to) && (x.Ended == nil || !x.Ended.Before(to))
		if began {
			p.Recorded++
			c := sub[string(x.Subtype)]
			if c == nil {
				c = &Count{Key: string(x.Subtype)}
				sub[string(x.Subtype)] = c
			}
			c.Count++
		}
		if ended {
			p.Ended++
		}
		if openAtCut {
			p.Open++
		}
		if (began || ended) && !public {
			p.Items = append(p.Items, x)
		}
	}
	p.BySub = table(sub)
}

// arrangementLine says whether an arrangement held ground, or closed, in
// the period, and how it stood at the cut-off.
func arrangementLine(a Arrangement, from, to time.Time) (ArrangementLine, bool) {
	st := a.Status
	held := !st.From.IsZero() && st.From.Before(to) && st.Until.After(from) && st.State != agreement.ArrRequested &&
		st.State != agreement.ArrDeclined && st.State != agreement.ArrLapsed
	closed := a.Record.Outcome != nil && !a.Record.Outcome.At.Before(from) && a.Record.Outcome.At.Before(to)
	if !held && !closed {
		return ArrangementLine{}, false
	}
	l := ArrangementLine{ID: a.Record.ID, Purpose: a.Purpose, State: st.State}
	if o := a.Record.Outcome; o != nil && o.At.Before(to) {
		l.Outcome, l.Reason = o.Outcome, o.Text
	}
	return l, true
}

// table sorts counts by this period's count, then key, with deltas.
func table(m map[string]*Count) []Count {
	out := make([]Count, 0, len(m))
	for _, c := range m {
		c.Delta = c.Count - c.Previous
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Key, b.Key)) })
	return out
}
