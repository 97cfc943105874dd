package agreement_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"truce/agreement"
	"truce/frontline"
	"truce/geo"
	"truce/incident"
	"truce/internal/postgis"
	"truce/internal/shareddata"
	"truce/sites"
)

// realRules builds the benchmark's agreement from the real data: the line of
// contact of 2026-08-22 derived from DeepState (inside Ukraine's outline and
// on Natural Earth's land, as truce import line --land derives it), zones of 15, 50, 70 and
// 140 km either side of it, and every power plant and reactor of Ukraine
// and Russia in the registries (30 km around nuclear sites, 5 km around the
// others).
func realRules(b *testing.B) (*agreement.Document, [][]geo.Position) {
	b.Helper()
	open := func(path string) *os.File {
		f, err := os.Open(shareddata.Path(b, path))
		if err != nil {
			b.Fatal(err)
		}
		return f
	}
	f := open("deepstate-occupied-daily/deepstatemap_data_20260822.geojson")
	occupied, err := frontline.ReadOccupied(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	f = open("ukraine-adm1-geoboundaries/geoBoundaries-UKR-ADM1.geojson")
	admin, err := frontline.ReadAdmin(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	var polys [][][]geo.Position
	for _, a := range admin {
		polys = append(polys, a.Polygons...)
	}
	f = open("natural-earth-world-atlas/region_countries_50m.geojson")
	land, err := frontline.ReadLand(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	country, onLand := frontline.Within(polys), frontline.Within(land)
	lines := frontline.LineOfContact(occupied, func(p geo.Position) bool { return country(p) && onLand(p) }, frontline.DefaultMargin)
	coords, _ := json.Marshal(lines)
	terms := []agreement.Term{
		{ID: "1", Type: agreement.Effective, From: "2020-01-01T00:00:00Z"},
		{ID: "line", Type: agreement.ReferenceLine, Geometry: &geo.Geometry{Type: "MultiLineString", Coordinates: coords}},
	}
	for _, w := range []float64{15, 50, 70, 140} {
		terms = append(terms, agreement.Term{ID: fmt.Sprintf("z%g", w), Type: agreement.DisengagementZone, Lines: []string{"line"}, WidthKM: &w})
	}
	five := 5.0
	st := agreement.Term{ID: "sites", Type: agreement.ProtectedSites, RadiusKM: &five}
	seen := map[string]bool{}
	opt := sites.Options{SkipUnlocated: true, Countries: []string{"UKR", "RUS"}}
	for _, src := range []struct {
		path string
		read func(*os.File) ([]sites.Site, error)
	}{
		{"power-plants-ukr-rus/gppd_v1.3.0_ukraine.csv", func(f *os.File) ([]sites.Site, error) { s, _, err := sites.ReadGPPD(f, opt); return s, err }},
		{"power-plants-ukr-rus/gppd_source_GEODB_ukr_rus.csv", func(f *os.File) ([]sites.Site, error) { s, _, err := sites.ReadGPPD(f, opt); return s, err }},
		{"power-plants-ukr-rus/wri_raw_Russia.csv", func(f *os.File) ([]sites.Site, error) { s, _, err := sites.ReadWRIRaw(f, opt); return s, err }},
		{"nuclear-plants-geonucleardata/nuclear_power_plants.csv", func(f *os.File) ([]sites.Site, error) { s, _, err := sites.ReadGeoNuclear(f, opt); return s, err }},
	} {
		f := open(src.path)
		got, err := src.read(f)
		f.Close()
		if err != nil {
			b.Fatalf("%s: %v", src.path, err)
		}
		for _, s := range got {
			id := fmt.Sprintf("s%d", len(st.Sites))
			if seen[s.Source+s.ID] {
				continue
			}
			seen[s.Source+s.ID] = true
			lon, lat := s.Lon, s.Lat
			site := agreement.Site{ID: id, Name: s.Name, Kind: s.Kind, Lon: &lon, Lat: &lat}
			if s.Kind == sites.KindNuclear {
				r := 30.0
				site.RadiusKM = &r
			}
			st.Sites = append(st.Sites, site)
		}
	}
	terms = append(terms, st)
	d := &agreement.Document{Format: agreement.Format, ID: "bench", Version: 1, Title: agreement.Texts{"en": "bench"}, Parties: []string{"ua", "ru"}, Terms: terms}
	if err := d.Validate(); err != nil {
		b.Fatal(err)
	}
	return d, lines
}

// verdict is one point's answers: within 15/50/70/140 km of the line, and
// within a site's radius.
type verdict [5]bool

func verdictOf(vs []incident.PossibleViolation) verdict {
	var v verdict
	for _, x := range vs {
		switch x.Term {
		case "z15":
			v[0] = true
		case "z50":
			v[1] = true
		case "z70":
			v[2] = true
		case "z140":
			v[3] = true
		case "sites":
			v[4] = true
		}
	}
	return v
}

// BenchmarkEvaluateVsPostGIS judges TRUCE_BENCH_POINTS (default 1,000,000)
// synthetic incidents, uniform over Ukraine and its neighbourhood, against
// the real line of contact and every power plant and reactor; then PostGIS
// classifies the same points by the same rules in one SQL statement over
// GiST-indexed geography. It reports both throughputs, their ratio, and
// fails on any answer that differs outside the documented tolerance.
//
//	go test -run '^$' -bench EvaluateVsPostGIS -benchtime 1x ./agreement/
func BenchmarkEvaluateVsPostGIS(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("TRUCE_BENCH_POINTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	doc, lines := realRules(b)
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([]geo.Position, n)
	for i := range pts {
		pts[i] = geo.Position{22 + rng.Float64()*19, 44 + rng.Float64()*8.5}
	}
	shapes := make([]geo.Shape, n)
	for i, p := range pts {
		s, err := geo.ParseShape(geo.Geometry{Type: "Point", Coordinates: json.RawMessage(fmt.Sprintf("[%v,%v]", p[0], p[1]))})
		if err != nil {
			b.Fatal(err)
		}
		shapes[i] = s
	}
	at := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	mine := make([]verdict, n)
	var oneCore, allCores time.Duration
	for range b.N {
		// One core, then every core, each on a freshly compiled agreement so
		// that filling the indexes' cells is part of the cost.
		e, err := agreement.Compile(doc)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for i := range shapes {
			mine[i] = verdictOf(e.Evaluate(agreement.Event{Type: incident.Shelling, At: at, Shape: shapes[i]}))
		}
		oneCore = time.Since(start)
		e, _ = agreement.Compile(doc)
		workers := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		start = time.Now()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += workers {
					mine[i] = verdictOf(e.Evaluate(agreement.Event{Type: incident.Shelling, At: at, Shape: shapes[i]}))
				}
			}()
		}
		wg.Wait()
		allCores = time.Since(start)
	}
	perCore := float64(n) / oneCore.Seconds()
	b.ReportMetric(perCore, "points/s/core")
	b.ReportMetric(float64(n)/allCores.Seconds(), "points/s")

	conn := postgis.Connect(b)
	ctx := context.Background()
	run := func(q string, args ...any) {
		b.Helper()
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			b.Fatalf("%.80s: %v", q, err)
		}
	}
	run(`CREATE TABLE raw (id int, lon float8, lat float8)`)
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"raw"}, []string{"id", "lon", "lat"}, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		return []any{i, pts[i][0], pts[i][1]}, nil
	})); err != nil {
		b.Fatal(err)
	}
	run(`CREATE TABLE pts AS SELECT id, ST_MakePoint(lon, lat)::geography AS g FROM raw`)
	coords, _ := json.Marshal(lines)
	run(`CREATE TABLE segs AS SELECT (ST_DumpSegments(ST_GeomFromGeoJSON($1))).geom::geography AS g`,
		fmt.Sprintf(`{"type":"MultiLineString","coordinates":%s}`, coords))
	run(`CREATE TABLE sites (g geography, r float8)`)
	for _, t := range doc.Terms {
		for _, s := range t.Sites {
			r := 5000.0
			if s.RadiusKM != nil {
				r = *s.RadiusKM * 1000
			}
			run(`INSERT INTO sites VALUES (ST_MakePoint($1, $2)::geography, $3)`, *s.Lon, *s.Lat, r)
		}
	}
	for _, tbl := range []string{"pts", "segs", "sites"} {
		run(`CREATE INDEX ON ` + tbl + ` USING gist (g)`)
		run(`ANALYZE ` + tbl)
	}
	// PostGIS's fastest form that we found: the nearest segment by the
	// index's KNN order (sphere), measured on the spheroid, compared with
	// each width — twice as fast as four ST_DWithin probes. For sites, the
	// constant 30 km (the largest radius) lets the index find them; the
	// per-site radius then filters.
	const classify = `SELECT id, d <= 15000, d <= 50000, d <= 70000, d <= 140000, near FROM (
		SELECT p.id,
			(SELECT ST_Distance(s.g, p.g) FROM segs s ORDER BY s.g <-> p.g LIMIT 1) AS d,
			EXISTS (SELECT 1 FROM sites s WHERE ST_DWithin(s.g, p.g, 30000) AND ST_DWithin(s.g, p.g, s.r)) AS near
		FROM pts p) x`
	theirs := make([]verdict, n)
	start := time.Now()
	rows, err := conn.Query(ctx, classify)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int
		var v verdict
		if err := rows.Scan(&id, &v[0], &v[1], &v[2], &v[3], &v[4]); err != nil {
			b.Fatal(err)
		}
		theirs[id] = v
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	pgTime := time.Since(start)
	b.ReportMetric(float64(n)/pgTime.Seconds(), "postgis-points/s")
	b.ReportMetric(perCore/(float64(n)/pgTime.Seconds()), "ratio/core")

	// Identical answers, except where PostGIS's own distance lies within
	// the tolerance (0.1% + 1 m) of a threshold.
	var differ []int
	for i := range mine {
		if mine[i] != theirs[i] {
			differ = append(differ, i)
		}
	}
	edge := 0
	for _, i := range differ {
		var dLine, dSite float64
		var siteR float64
		err := conn.QueryRow(ctx, `SELECT (SELECT min(ST_Distance(s.g, p.g)) FROM segs s WHERE ST_DWithin(s.g, p.g, 200000)),
			COALESCE((SELECT min(ST_Distance(s.g, p.g) - s.r) FROM sites s WHERE ST_DWithin(s.g, p.g, 31000)), 1e9), 0
			FROM pts p WHERE p.id = $1`, i).Scan(&dLine, &dSite, &siteR)
		if err != nil {
			b.Fatal(err)
		}
		near := math.Abs(dSite) <= 31
		for _, w := range []float64{15000, 50000, 70000, 140000} {
			if math.Abs(dLine-w) <= w*0.001+1 {
				near = true
			}
		}
		if !near {
			b.Errorf("point %d %v: truce %v, PostGIS %v (line %.1f m, site margin %.1f m)", i, pts[i], mine[i], theirs[i], dLine, dSite)
		} else {
			edge++
		}
	}
	counts := [5]int{}
	for _, v := range theirs {
		for j, x := range v {
			if x {
				counts[j]++
			}
		}
	}
	b.Logf("%d points: truce %.0f/s on one core (%v), %.0f/s on %d cores (%v); PostGIS %.0f/s (%v), %.1f× per core; %d answers differ only within tolerance; PostGIS counts within 15/50/70/140 km and near a site: %v; %d sites, line %d parts",
		n, perCore, oneCore.Round(time.Millisecond), float64(n)/allCores.Seconds(), runtime.GOMAXPROCS(0), allCores.Round(time.Millisecond),
		float64(n)/pgTime.Seconds(), pgTime.Round(time.Millisecond), perCore/(float64(n)/pgTime.Seconds()), edge, counts, len(doc.Terms[len(doc.Terms)-1].Sites), len(lines))
}
