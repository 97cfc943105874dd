package report

import (
	"encoding/csv"
	"io"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"truce/geo"
	"truce/incident"
	"truce/internal/shareddata"
)

// The OSCE mission's cycle, as a synthetic series: a busy month, a
// recommitment and a sharp drop, a slow rise, then escalation. The trend
// warns on the escalation's first day, and at no point of the drop or the
// slow rise.
func TestTrendCycle(t *testing.T) {
	var series []int
	for range 30 {
		series = append(series, 20) // fighting
	}
	for range 20 {
		series = append(series, 2) // recommitment: a sharp drop
	}
	for i := range 20 {
		series = append(series, 2+i*6/19) // a slow rise, 2 to 8
	}
	escalation := len(series)
	for range 5 {
		series = append(series, 25)
	}
	var warned []int
	for d := 28; d < len(series); d++ {
		if ok, _, _ := Rises(series[d-28 : d+1]); ok {
			warned = append(warned, d)
		}
	}
	if len(warned) == 0 || warned[0] != escalation {
		t.Fatalf("warned on days %v; the escalation began on day %d", warned, escalation)
	}
	for _, d := range warned {
		if d < escalation {
			t.Fatalf("warned on day %d, before the escalation", d)
		}
	}
}

// The real UCDP events of the full-scale war's first year: a few events a
// month until late August 2022, when the record fills (tens a day). The
// trend warns at that change point, within its first three days, and on
// no day before it.
func TestTrendUCDP(t *testing.T) {
	f := shareddata.Open(t, "ucdp-ged-ukraine/ucdp_ukraine_20220224_20230228.utf8.csv")
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	perDay := map[string]int{}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		perDay[row[col["date_start"]][:10]]++
	}
	start := time.Date(2022, 2, 24, 0, 0, 0, 0, time.UTC)
	var series []int
	var dates []string
	for d := start; d.Before(time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d.Format(time.DateOnly))
		series = append(series, perDay[d.Format(time.DateOnly)])
	}
	first := ""
	for d := 28; d < len(series); d++ {
		if ok, _, _ := Rises(series[d-28 : d+1]); ok {
			first = dates[d]
			break
		}
	}
	if first < "2022-08-29" || first > "2022-09-02" {
		t.Fatalf("the first warning is on %q; the record fills from 2022-08-31", first)
	}
}

// Spillover: an incident 7 km from the Belarusian border warns, one in
// central Ukraine does not; a nuclear site's flag is always urgent.
func TestSpilloverAndNuclear(t *testing.T) {
	_, b := loadBorders(t)
	if c, km, ok := b.Near(geo.Position{30.9, 51.9}); !ok || c != "Belarus" || km > SpilloverKM {
		t.Fatalf("near Chernihiv's border: %q %.1f km %v", c, km, ok)
	}
	if c, km, ok := b.Near(geo.Position{32.0, 49.0}); ok {
		t.Fatalf("central Ukraine is %.1f km from %s", km, c)
	}
	border := inc(1, at("2026-02-03 10:00:00"), incident.Drone, "ru", incident.Reported)
	border.BBox = geo.BBox{30.9, 51.9, 30.9, 51.9}
	plant := inc(2, at("2026-02-03 11:00:00"), incident.Shelling, "ru", incident.Reported)
	km := 3.2
	plant.Evaluation = &incident.Evaluation{Instruments: []incident.Judgement{{Agreement: "znpp", Version: 1,
		Violations: []incident.PossibleViolation{{Term: "2", Rule: "site", Site: "znpp", SiteName: "Zaporizhzhia NPP", SiteKind: "nuclear", MeasuredKM: &km}}}}}
	r := Build(Input{Config: Default(), Date: day("2026-02-03"), Audience: Internal, Incidents: []*incident.Incident{border, plant}, Borders: b})
	kinds := map[string]Warning{}
	for _, w := range r.Warnings {
		kinds[w.Kind] = w
	}
	if w := kinds[WarnSpillover]; w.Incident != "inc-1" || w.Country != "Belarus" {
		t.Errorf("spillover: %+v", r.Warnings)
	}
	if w := kinds[WarnNuclear]; w.Incident != "inc-2" || w.Severity != "urgent" || r.Warnings[0].Kind != WarnNuclear {
		t.Errorf("nuclear site: %+v", r.Warnings)
	}
}

// Spillover over the real UCDP events (the GED file, 1989–2021 with the
// Donbas war, and the 2022–23 cut): every event is measured to the six
// third countries' borders, and the warning agrees with a brute-force
// distance to every border segment, computed here independently; the
// events it names lie in the oblasts that touch those countries, and none
// in the east. All of one cut's events put on one day make the report warn
// of each of them, and of no other.
func TestSpilloverUCDP(t *testing.T) {
	countries, b := loadBorders(t)
	// brute is the distance in km from p to the nearest border segment of
	// any third country, on a local equirectangular plane: good to well
	// under a kilometre at 20 km.
	brute := func(p geo.Position) (string, float64) {
		best, name := math.Inf(1), ""
		kx, ky := 111.32*math.Cos(p[1]*math.Pi/180), 110.57
		for _, c := range countries {
			for _, poly := range c.Polygons {
				for _, ring := range poly {
					for i := 1; i < len(ring); i++ {
						ax, ay := (ring[i-1][0]-p[0])*kx, (ring[i-1][1]-p[1])*ky
						bx, by := (ring[i][0]-p[0])*kx, (ring[i][1]-p[1])*ky
						dx, dy := bx-ax, by-ay
						u := 0.0
						if l := dx*dx + dy*dy; l > 0 {
							u = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l))
						}
						if d := math.Hypot(ax+u*dx, ay+u*dy); d < best {
							best, name = d, c.Name
						}
					}
				}
			}
		}
		return name, best
	}
	// The oblasts along Belarus, Poland, Slovakia, Hungary, Romania and
	// Moldova, as UCDP spells them.
	western := []string{"chernihiv", "kyiv", "zhytomyr", "rivne", "volyn", "lviv", "zakarpat", "transcarpath", "ivano", "chernivtsi",
		"vinnyts", "odes", "khmelnyts"}
	type event struct {
		p    geo.Position
		adm1 string
	}
	read := func(name string) []event {
		f := shareddata.Open(t, "ucdp-ged-ukraine/"+name)
		defer f.Close()
		r := csv.NewReader(f)
		r.LazyQuotes = true
		header, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, h := range header {
			col[strings.Trim(h, "\ufeff\" ")] = i
		}
		var out []event
		for {
			row, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			lat, e1 := strconv.ParseFloat(row[col["latitude"]], 64)
			lon, e2 := strconv.ParseFloat(row[col["longitude"]], 64)
			if e1 != nil || e2 != nil {
				t.Fatalf("%s: a row without coordinates: %v %v", name, e1, e2)
			}
			out = append(out, event{geo.Position{lon, lat}, strings.ToLower(row[col["adm_1"]])})
		}
		return out
	}
	near := 0
	for _, file := range []string{"UCDP-Ukraine.csv", "ucdp_ukraine_20220224_20230228.utf8.csv"} {
		events := read(file)
		if len(events) < 800 {
			t.Fatalf("%s: %d events", file, len(events))
		}
		var oneDay []*incident.Incident
		want := map[string]string{}
		for i, e := range events {
			country, km, ok := b.Near(e.p)
			name, bkm := brute(e.p)
			if math.Abs(bkm-SpilloverKM) > 0.5 && ok != (bkm <= SpilloverKM) || ok && (country != name || math.Abs(km-bkm) > 0.5) {
				t.Errorf("%s event %d at %v: warned %v (%s, %.2f km); brute force: %s, %.2f km", file, i, e.p, ok, country, km, name, bkm)
			}
			if !ok {
				continue
			}
			near++
			t.Logf("%s event %d in %s: %.1f km from %s", file, i, e.adm1, km, country)
			if !slices.ContainsFunc(western, func(o string) bool { return strings.Contains(e.adm1, o) }) {
				t.Errorf("%s event %d at %v in %q warned of %s, %.1f km", file, i, e.p, e.adm1, country, km)
			}
			if file != "UCDP-Ukraine.csv" {
				inc := inc(uint64(i+1), at("2026-02-03 10:00:00"), incident.Shelling, "ru", incident.Reported)
				inc.BBox = geo.BBox{e.p[0], e.p[1], e.p[0], e.p[1]}
				want[inc.ID] = country
			}
		}
		if file == "UCDP-Ukraine.csv" {
			continue
		}
		for i, e := range events {
			inc := inc(uint64(i+1), at("2026-02-03 10:00:00"), incident.Shelling, "ru", incident.Reported)
			inc.BBox = geo.BBox{e.p[0], e.p[1], e.p[0], e.p[1]}
			oneDay = append(oneDay, inc)
		}
		r := Build(Input{Config: Default(), Date: day("2026-02-03"), Audience: Internal, Incidents: oneDay, Borders: b})
		got := map[string]string{}
		for _, w := range r.Warnings {
			if w.Kind == WarnSpillover {
				got[w.Incident] = w.Country
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("the report warned of %v; the events near a border are %v", got, want)
		}
	}
	if near == 0 {
		t.Fatal("no UCDP event lies near a third country's border")
	}
	t.Logf("%d UCDP events within %.0f km of a third country's border", near, SpilloverKM)
}

// loadBorders imports Natural Earth's third countries, as truce import
// borders does.
func loadBorders(t *testing.T) ([]Area, *Borders) {
	t.Helper()
	f := shareddata.Open(t, "natural-earth-world-atlas/region_countries_50m.geojson")
	countries, err := ReadCountries(f, ThirdCountries)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(countries) != len(ThirdCountries) {
		t.Fatalf("%d of %d countries found", len(countries), len(ThirdCountries))
	}
	path := filepath.Join(t.TempDir(), BordersFile)
	if err := WriteAreaSet(path, "Natural Earth 50m", countries); err != nil {
		t.Fatal(err)
	}
	b, err := LoadBorders(path)
	if err != nil {
		t.Fatal(err)
	}
	return countries, b
}
