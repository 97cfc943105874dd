package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"truce/agreement"
	"truce/geo"
	"truce/incident"
	"truce/internal/postgis"
	"truce/internal/shareddata"
)

// sharedData is the real data sets beside the repository: the test skips
// without them (fails under TRUCE_REQUIRE_SHARED=1).
func sharedData(t *testing.T) string {
	t.Helper()
	return shareddata.Dir(t)
}

// evalJSON runs truce eval and returns each event's possible violations.
func evalJSON(t *testing.T, agreementFile, events string, extra ...string) map[string][]incident.PossibleViolation {
	t.Helper()
	out := truce(t, nil, append([]string{"eval", "--agreement", agreementFile, "--json", "--all"}, append(extra, events)...)...)
	res := map[string][]incident.PossibleViolation{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r evalResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("eval output %q: %v", sc.Text(), err)
		}
		res[r.ID] = r.Violations
	}
	return res
}

func writeAgreement(t *testing.T, terms ...agreement.Term) string {
	t.Helper()
	d := agreement.Document{Format: agreement.Format, ID: "oracle", Version: 1, Title: agreement.Texts{"en": "oracle"},
		Parties: []string{"ua", "ru"}, Terms: append([]agreement.Term{{ID: "1", Type: agreement.Effective, From: "2020-01-01T00:00:00Z"}}, terms...)}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agreement.Parse(raw); err != nil {
		t.Fatalf("oracle agreement: %v", err)
	}
	path := filepath.Join(t.TempDir(), "agreement.json")
	os.WriteFile(path, raw, 0o644)
	return path
}

func readTerm(t *testing.T, path string) agreement.Term {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var term agreement.Term
	if err := json.Unmarshal(raw, &term); err != nil {
		t.Fatal(err)
	}
	return term
}

func km(v float64) *float64 { return &v }

// The real files, judged by truce eval, against PostGIS: which UCDP events
// lie within 15, 50, 70 and 140 km of the line of contact derived by
// truce import line, and within 30 km of a power plant or reactor imported
// by truce import sites. Answers must agree, except where PostGIS's own
// distance lies within the documented tolerance of the threshold; measured
// distances must agree within it too.
func TestEvalMatchesPostGIS(t *testing.T) {
	data := sharedData(t)
	conn := postgis.Connect(t)
	ctx := context.Background()
	dir := t.TempDir()
	lineFile, sitesFile := filepath.Join(dir, "line.json"), filepath.Join(dir, "sites.json")
	truce(t, nil, "import", "line", "--deepstate", data+"/deepstate-occupied-daily/deepstatemap_data_20240708.geojson",
		"--outline", data+"/ukraine-adm1-geoboundaries/geoBoundaries-UKR-ADM1.geojson",
		"--land", data+"/natural-earth-world-atlas/region_countries_50m.geojson", "--out", lineFile)
	truce(t, nil, "import", "sites", "--gppd", data+"/power-plants-ukr-rus/gppd_v1.3.0_ukraine.csv",
		"--geonuclear", data+"/nuclear-plants-geonucleardata/nuclear_power_plants.csv", "--country", "UKR,RUS",
		"--radius-km", "30", "--nuclear-radius-km", "30", "--out", sitesFile)
	line, sites := readTerm(t, lineFile), readTerm(t, sitesFile)
	widths := []float64{15, 50, 70, 140}
	terms := []agreement.Term{line, sites}
	for _, w := range widths {
		terms = append(terms, agreement.Term{ID: fmt.Sprintf("z%g", w), Type: agreement.DisengagementZone, Lines: []string{line.ID}, WidthKM: km(w)})
	}
	file := writeAgreement(t, terms...)
	events := data + "/ucdp-ged-ukraine/ucdp_ukraine_20220224_20230228.utf8.csv"
	got := evalJSON(t, file, events, "--at", "2023-01-01T00:00:00Z", "--type", "shelling")

	// PostGIS: the same line, sites and points as geography.
	run := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	run(`CREATE TABLE line (g geography)`)
	run(`INSERT INTO line SELECT ST_GeomFromGeoJSON($1)::geography`, string(mustJSON(t, line.Geometry)))
	run(`CREATE TABLE sites (id text, g geography)`)
	for _, s := range sites.Sites {
		run(`INSERT INTO sites VALUES ($1, ST_MakePoint($2, $3)::geography)`, s.ID, *s.Lon, *s.Lat)
	}
	run(`CREATE TABLE pts (id text, g geography)`)
	rows := readCSVPoints(t, events)
	for _, p := range rows {
		run(`INSERT INTO pts VALUES ($1, ST_MakePoint($2, $3)::geography)`, p.id, p.lon, p.lat)
	}
	if len(rows) != 894 {
		t.Fatalf("%d UCDP events, want 894", len(rows))
	}
	// The tolerance: 0.1% of the distance, plus the 0.05 km to which
	// measured distances are rounded.
	tol := func(d float64) float64 { return d*0.001 + 50 }
	dist := map[string]float64{}
	r, err := conn.Query(ctx, `SELECT p.id, ST_Distance(p.g, l.g) FROM pts p, line l`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id string
		var d float64
		if err := r.Scan(&id, &d); err != nil {
			t.Fatal(err)
		}
		dist[id] = d
	}
	r.Close()
	agree, edge := 0, 0
	within := map[float64]int{}
	for _, p := range rows {
		d := dist[p.id]
		for _, w := range widths {
			term := fmt.Sprintf("z%g", w)
			var v *incident.PossibleViolation
			for i := range got[p.id] {
				if got[p.id][i].Term == term {
					v = &got[p.id][i]
				}
			}
			want := d <= w*1000
			if want {
				within[w]++
			}
			switch {
			case (v != nil) == want:
				agree++
				if v != nil && math.Abs(*v.MeasuredKM*1000-d) > tol(d) {
					t.Errorf("event %s: truce measures %.1f km from the line, PostGIS %.3f km", p.id, *v.MeasuredKM, d/1000)
				}
			case math.Abs(d-w*1000) <= tol(w*1000):
				edge++ // within the tolerance of the threshold: either answer is right
			default:
				t.Errorf("event %s within %g km: truce %v, PostGIS %v (PostGIS distance %.3f km)", p.id, w, v != nil, want, d/1000)
			}
		}
	}
	t.Logf("line: %d answers (events × %d widths) agree, %d lie within the tolerance of a threshold; PostGIS counts within 15/50/70/140 km: %d/%d/%d/%d",
		agree, len(widths), edge, within[15], within[50], within[70], within[140])
	if within[15] == 0 || within[140] <= within[15] || within[140] == len(rows) {
		t.Fatalf("the comparison is vacuous: %v", within)
	}

	// Sites within 30 km: every (event, site) pair.
	pairs := map[string]float64{}
	r, err = conn.Query(ctx, `SELECT p.id, s.id, ST_Distance(p.g, s.g) FROM pts p JOIN sites s ON ST_DWithin(p.g, s.g, 30000 + 100)`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var pid, sid string
		var d float64
		if err := r.Scan(&pid, &sid, &d); err != nil {
			t.Fatal(err)
		}
		pairs[pid+"/"+sid] = d
	}
	r.Close()
	flagged := 0
	for _, p := range rows {
		mine := map[string]*float64{}
		for _, v := range got[p.id] {
			if v.Term == sites.ID {
				mine[v.Site] = v.MeasuredKM
			}
		}
		for key, d := range pairs {
			pid, sid, _ := strings.Cut(key, "/")
			if pid != p.id {
				continue
			}
			m, ok := mine[sid]
			switch {
			case ok:
				flagged++
				if math.Abs(*m*1000-d) > tol(d) {
					t.Errorf("event %s to site %s: truce %.1f km, PostGIS %.3f km", p.id, sid, *m, d/1000)
				}
			case d > 30000-tol(30000):
			default:
				t.Errorf("event %s is %.3f km from site %s (PostGIS) but truce does not flag it", p.id, d/1000, sid)
			}
			delete(mine, sid)
		}
		for sid := range mine {
			if d, ok := pairs[p.id+"/"+sid]; !ok || d > 30000+tol(30000) {
				t.Errorf("truce flags event %s near site %s, PostGIS does not", p.id, sid)
			}
		}
	}
	t.Logf("sites: %d (event, site) pairs within 30 km agree", flagged)
	if flagged == 0 {
		t.Fatal("no event near a site: the comparison is vacuous")
	}
}

// Which Ukrainian power plants lie inside the occupied area, on each of the
// 28 dates: truce eval with the area as a zone, against PostGIS ST_Contains.
func TestPlantsInOccupiedAreaMatchPostGIS(t *testing.T) {
	data := sharedData(t)
	conn := postgis.Connect(t)
	ctx := context.Background()
	plants := data + "/power-plants-ukr-rus/gppd_v1.3.0_ukraine.csv"
	rows := readCSVPoints(t, plants)
	if _, err := conn.Exec(ctx, `CREATE TABLE pts (id text, g geometry)`); err != nil {
		t.Fatal(err)
	}
	for _, p := range rows {
		if _, err := conn.Exec(ctx, `INSERT INTO pts VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326))`, p.id, p.lon, p.lat); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(data + "/deepstate-occupied-daily/deepstatemap_data_*.geojson")
	if len(files) != 28 {
		t.Fatalf("%d daily files, want 28", len(files))
	}
	counts := map[string]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fc struct {
			Features []struct {
				Geometry json.RawMessage `json:"geometry"`
			} `json:"features"`
		}
		if err := json.Unmarshal(raw, &fc); err != nil || len(fc.Features) != 1 {
			t.Fatalf("%s: %v", f, err)
		}
		var g struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		}
		json.Unmarshal(fc.Features[0].Geometry, &g)
		zone := agreement.Term{ID: "occupied", Type: agreement.DisengagementZone, WidthKM: km(0.001),
			Areas: []agreement.Area{{Name: "occupied", Geometry: geoOf(g.Type, g.Coordinates)}}}
		got := evalJSON(t, writeAgreement(t, zone), plants, "--at", "2023-01-01T00:00:00Z")
		inside := map[string]bool{}
		r, err := conn.Query(ctx, `SELECT p.id, ST_Contains(a.g, p.g), ST_Distance(ST_Boundary(a.g)::geography, p.g::geography)
			FROM pts p, (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g) a`, string(fc.Features[0].Geometry))
		if err != nil {
			t.Fatal(err)
		}
		date := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "deepstatemap_data_"), ".geojson")
		for r.Next() {
			var id string
			var in bool
			var edge float64
			if err := r.Scan(&id, &in, &edge); err != nil {
				t.Fatal(err)
			}
			inside[id] = in
			mine := len(got[id]) > 0
			if in {
				counts[date]++
			}
			if mine != in && edge > 1 {
				t.Errorf("%s: plant on line %s is %.0f m from the boundary; truce says inside=%v, PostGIS %v", date, id, edge, mine, in)
			}
		}
		r.Close()
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("plants inside the occupied area (PostGIS): %v", counts)
	// The data's README cross-checks two dates by hand.
	if counts["20240708"] != 20 || counts["20260822"] != 21 {
		t.Fatalf("plants inside on 2024-07-08: %d (want 20), on 2026-08-22: %d (want 21)", counts["20240708"], counts["20260822"])
	}
}

type csvPoint struct {
	id       string
	lon, lat float64
}

// readCSVPoints reads ids and coordinates the way truce eval does: ids from
// an id column, or else the line number.
func readCSVPoints(t *testing.T, path string) []csvPoint {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := agreement.ReadEvents(f, agreement.Defaults{At: mustTime("2023-01-01T00:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]csvPoint, len(recs))
	for i, r := range recs {
		p := r.Shape.Points()[0]
		out[i] = csvPoint{r.ID, p[0], p[1]}
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func mustTime(s string) time.Time {
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return at
}

func geoOf(typ string, coords json.RawMessage) geo.Geometry {
	return geo.Geometry{Type: typ, Coordinates: coords}
}
