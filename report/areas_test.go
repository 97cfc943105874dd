package report

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"truce/geo"
	"truce/incident"
	"truce/internal/shareddata"
)

// The real geoBoundaries files: every oblast and raion indexes, raions
// join to their oblast, and known places land where they are.
func TestGeoBoundaries(t *testing.T) {
	f1 := shareddata.Open(t, "ukraine-adm1-geoboundaries/geoBoundaries-UKR-ADM1_simplified.geojson")
	oblasts, err := ReadGeoBoundaries(f1, 1)
	f1.Close()
	if err != nil {
		t.Fatal(err)
	}
	f2 := shareddata.Open(t, "ukraine-adm2-geoboundaries/geoBoundaries-UKR-ADM2.geojson")
	raions, err := ReadGeoBoundaries(f2, 2)
	f2.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(oblasts) != 27 || len(raions) != 495 {
		t.Fatalf("%d oblasts, %d raions", len(oblasts), len(raions))
	}
	if err := JoinParents(raions, oblasts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), AreasFile)
	if err := WriteAreaSet(path, "geoBoundaries UKR ADM1 + ADM2 (pre-2020 raions)", append(oblasts, raions...)); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRegions(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range raions {
		if a.Parent == "" {
			t.Errorf("raion %s joined no oblast", a.Name)
		}
	}
	for _, c := range []struct {
		lon, lat      float64
		oblast, raion string
	}{
		{34.6, 47.5, "Zaporizhia Oblast", "Kamianka Dniprovska"}, // beside the nuclear plant
		{35.12, 47.51, "Zaporizhia Oblast", "Vasylivka"},
		{36.23, 49.99, "Kharkiv Oblast", "Kharkiv"},
		{30.52, 50.45, "Kyiv", "Kyiv"},
		{37.8, 48.0, "Donetsk Oblast", "Starobesheve"},
	} {
		ob, ra := r.Locate(geo.Position{c.lon, c.lat})
		if ob != c.oblast || ra != c.raion {
			t.Errorf("%v,%v: %q / %q, want %q / %q", c.lon, c.lat, ob, ra, c.oblast, c.raion)
		}
	}
	// The report counts by them: two incidents in Zaporizhzhia, one in
	// Kharkiv, one abroad.
	incs := []*incident.Incident{inc(1, at("2026-02-03 10:00:00"), incident.Shelling, "ru", incident.Reported),
		inc(2, at("2026-02-03 11:00:00"), incident.Shelling, "ru", incident.Reported),
		inc(3, at("2026-02-03 12:00:00"), incident.Drone, "ru", incident.Reported),
		inc(4, at("2026-02-03 13:00:00"), incident.Drone, "ru", incident.Reported)}
	incs[2].BBox = geo.BBox{36.23, 49.99, 36.23, 49.99}
	incs[3].BBox = geo.BBox{2.35, 48.85, 2.35, 48.85}
	rep := Build(Input{Config: Default(), Date: day("2026-02-03"), Audience: Internal, Incidents: incs, Regions: r})
	byRegion := map[string]int{}
	for _, c := range rep.ByRegion {
		byRegion[c.Key] = c.Count
	}
	if byRegion["Zaporizhia Oblast"] != 2 || byRegion["Kharkiv Oblast"] != 1 || byRegion["—"] != 1 || rep.Regions == "" || len(rep.ByRaion) == 0 {
		t.Fatalf("by region: %+v; by raion %+v", rep.ByRegion, rep.ByRaion)
	}
	// The page draws the oblasts, the two with incidents shaded.
	page, err := rep.HTML("uk")
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	if strings.Count(html, "<path ") != 27 || !strings.Contains(html, "<title>Zaporizhia Oblast: 2</title>") ||
		!strings.Contains(html, "<title>Kharkiv Oblast: 1</title>") || !strings.Contains(html, "<title>Lviv Oblast: 0</title>") {
		t.Fatalf("the map of counts by region: %d paths", strings.Count(html, "<path "))
	}
	if len(html) > 400_000 {
		t.Fatalf("the page with its map is %d bytes", len(html))
	}
	if ob, ra := r.Locate(geo.Position{2.35, 48.85}); ob != "" || ra != "" {
		t.Errorf("Paris is in %q / %q", ob, ra)
	}
	if st, _ := os.Stat(path); st.Size() == 0 {
		t.Fatal("empty area set")
	}
}

// One incident placed in its oblast and raion: the daily report does this
// for every incident of its 30 days (BENCHMARKS.md, "Reports").
func BenchmarkLocate(b *testing.B) {
	r := benchRegions(b)
	pts := make([]geo.Position, 4096)
	for i := range pts {
		pts[i] = geo.Position{30 + float64(i%64)*8/64, 46.5 + float64(i/64)*4/64}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r.Locate(pts[i%len(pts)])
	}
}

// benchRegions loads the real oblasts and raions.
func benchRegions(b testing.TB) *Regions {
	f1 := shareddata.Open(b, "ukraine-adm1-geoboundaries/geoBoundaries-UKR-ADM1_simplified.geojson")
	oblasts, err := ReadGeoBoundaries(f1, 1)
	f1.Close()
	if err != nil {
		b.Fatal(err)
	}
	f2 := shareddata.Open(b, "ukraine-adm2-geoboundaries/geoBoundaries-UKR-ADM2.geojson")
	raions, err := ReadGeoBoundaries(f2, 2)
	f2.Close()
	if err != nil {
		b.Fatal(err)
	}
	if err := JoinParents(raions, oblasts); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), AreasFile)
	if err := WriteAreaSet(path, "bench", append(oblasts, raions...)); err != nil {
		b.Fatal(err)
	}
	r, err := LoadRegions(path)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// The coarse grid changes no answer: over points in and around Ukraine,
// Locate agrees with testing every oblast and raion in turn.
func TestLocateGrid(t *testing.T) {
	r := benchRegions(t)
	linear := func(p geo.Position) (oblast, raion string) {
		for _, c := range r.oblasts {
			if c.area.Contains(p) {
				oblast = c.def.Name
				break
			}
		}
		for _, c := range r.raions {
			if c.area.Contains(p) {
				raion = c.def.Name
				if oblast == "" {
					oblast = c.def.Parent
				}
				break
			}
		}
		return oblast, raion
	}
	rng := rand.New(rand.NewPCG(3, 4))
	inside := 0
	for range 20000 {
		p := geo.Position{21 + rng.Float64()*20, 43.5 + rng.Float64()*9}
		ob, ra := r.Locate(p)
		wo, wr := linear(p)
		if ob != wo || ra != wr {
			t.Fatalf("%v: %q / %q, testing each area: %q / %q", p, ob, ra, wo, wr)
		}
		if ob != "" {
			inside++
		}
	}
	if inside < 5000 {
		t.Fatalf("only %d of 20000 points fell in an oblast", inside)
	}
}
