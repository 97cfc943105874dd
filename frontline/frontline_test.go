package frontline

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"truce/geo"
	"truce/internal/shareddata"
	"truce/ledger"
	"truce/sites"
)

func daily(t testing.TB, date string) [][][]geo.Position {
	t.Helper()
	occ, err := ReadOccupied(shareddata.Open(t, "deepstate-occupied-daily/deepstatemap_data_"+date+".geojson"))
	if err != nil {
		t.Fatal(err)
	}
	return occ
}

// Ukraine's outline, read once: the oblasts of geoBoundaries' simplified
// ADM1 file, as the geo engine's Area.
var ukraine = struct {
	once   sync.Once
	admins []Admin
	area   *geo.Area
	err    error
}{}

func ukraineInside(t testing.TB) func(geo.Position) bool {
	t.Helper()
	f := shareddata.Open(t, "ukraine-adm1-geoboundaries/geoBoundaries-UKR-ADM1_simplified.geojson")
	ukraine.once.Do(func() {
		if ukraine.admins, ukraine.err = ReadAdmin(f); ukraine.err != nil {
			return
		}
		var all [][][]geo.Position
		for _, a := range ukraine.admins {
			all = append(all, a.Polygons...)
		}
		ukraine.area, ukraine.err = geo.NewArea(all)
	})
	if ukraine.err != nil {
		t.Fatal(ukraine.err)
	}
	return ukraine.area.Contains
}

// ukraineLand is Ukraine's outline cut by Natural Earth's land:
// geoBoundaries' outline reaches 12 nautical miles into the sea, so alone it
// would keep the coast in the line of contact. Natural Earth's rounded rings
// cross themselves here and there, which geo.NewArea refuses, hence Within.
func ukraineLand(t testing.TB) func(geo.Position) bool {
	t.Helper()
	country, land := ukraineInside(t), Within(mustLand(t))
	return func(p geo.Position) bool { return country(p) && land(p) }
}

func TestReadAdmin(t *testing.T) {
	ukraineInside(t)
	if len(ukraine.admins) != 27 {
		t.Fatalf("%d units, want 27", len(ukraine.admins))
	}
	isos := map[string]string{}
	for _, a := range ukraine.admins {
		isos[a.ISO] = a.Name
	}
	for iso, name := range map[string]string{"UA-43": "Autonomous Republic of Crimea", "UA-40": "Sevastopol", "UA-30": "Kyiv", "UA-23": "Zaporizhia Oblast"} {
		if isos[iso] != name {
			t.Errorf("%s is %q, want %q", iso, isos[iso], name)
		}
	}
	in := ukraineInside(t)
	for _, c := range []struct {
		name string
		p    geo.Position
		want bool
	}{
		{"Kyiv", geo.Position{30.52, 50.45}, true},
		{"Simferopol", geo.Position{34.10, 44.95}, true},
		{"Sevastopol", geo.Position{33.52, 44.60}, true},
		{"Rostov-on-Don", geo.Position{39.72, 47.23}, false},
		{"Belgorod", geo.Position{36.59, 50.60}, false},
		{"Chișinău", geo.Position{28.86, 47.01}, false},
		{"Sea of Azov", geo.Position{36.5, 46.2}, false},
	} {
		if got := in(c.p); got != c.want {
			t.Errorf("%s: inside Ukraine = %v", c.name, got)
		}
	}
}

// The README's cross-check: GPPD's Ukrainian plants inside the occupied
// area by even-odd, 20 on 2024-07-08 and the same plus Kurakhove on
// 2026-08-22; Kakhovka HPP, on the Dnipro boundary, outside on both.
func TestPlantsInsideOccupied(t *testing.T) {
	plants, _, err := sites.ReadGPPD(shareddata.Open(t, "power-plants-ukr-rus/gppd_v1.3.0_ukraine.csv"), sites.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := []string{
		"Zaporozhye", "Zaporizhia power station", "Luhanska", "Mironovskaya", "Sievierodonetsk CHP",
		"Starobeshivska", "Vuglegirska", "Zuevskaya", "Vesele", "Lazurne",
	}
	for _, c := range []struct {
		date  string
		named []string
		n     int
	}{
		{"20240708", first, 20},
		{"20260822", append(append([]string(nil), first...), "Kurakhov power station"), 21},
	} {
		polys := daily(t, c.date)
		occ := newEvenOdd(polys)
		// The geo engine's Area must agree with the even-odd test plant by
		// plant: none lies on the boundary itself.
		area, err := geo.NewArea(polys)
		if err != nil {
			t.Fatalf("%s: %v", c.date, err)
		}
		var in []string
		crimeanSolar := 0
		for _, p := range plants {
			pos := geo.Position{p.Lon, p.Lat}
			if area.Contains(pos) != occ.contains(pos) {
				t.Errorf("%s: %s: geo.Area says %v, even-odd %v", c.date, p.Name, area.Contains(pos), occ.contains(pos))
			}
			if !occ.contains(pos) {
				continue
			}
			in = append(in, p.Name)
			if p.Fuel == "Solar" && p.Lat < 46.2 && p.Lon > 32.9 { // Lazurne, on Kherson's coast, is not in Crimea
				crimeanSolar++
			}
		}
		if len(in) != c.n || crimeanSolar != 10 {
			t.Errorf("%s: %d plants inside (%d Crimean solar), want %d (10): %v", c.date, len(in), crimeanSolar, c.n, in)
		}
		for _, name := range c.named {
			if !contains(in, name) {
				t.Errorf("%s: %s not inside", c.date, name)
			}
		}
		if contains(in, "Kakhovka") {
			t.Errorf("%s: Kakhovka HPP inside", c.date)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if strings.HasPrefix(x, s) {
			return true
		}
	}
	return false
}

// The derived line of contact lies in Ukraine, is as long as a front line
// drawn at DeepState's detail plausibly is, and follows neither the Sea of
// Azov's coast nor Crimea's.
func TestLineOfContact(t *testing.T) {
	country, in := ukraineInside(t), ukraineLand(t)
	for _, date := range []string{"20240708", "20250803", "20260822"} {
		t.Run(date, func(t *testing.T) {
			occ := daily(t, date)
			line := LineOfContact(occ, in, 0)
			km := Length(line) / 1000
			t.Logf("%s: line of contact %.0f km in %d polylines (boundary %.0f km)", date, km, len(line), boundaryLength(occ)/1000)
			if km < 1000 || km > 3000 {
				t.Errorf("line of contact %.0f km, want 1,000–3,000", km)
			}
			var inLen, all float64
			for _, l := range line {
				for i := 1; i < len(l); i++ {
					d := haversine(l[i-1], l[i])
					all += d
					if country(lerp(l[i-1], l[i], 0.5)) {
						inLen += d
					}
				}
			}
			if inLen < 0.97*all {
				t.Errorf("only %.1f%% of the line inside Ukraine", 100*inLen/all)
			}
			// The Sea of Azov's north coast from Henichesk to the Russian
			// border, and all of Crimea south of the isthmus, have been
			// occupied since 2022 and 2014: far from any front.
			// Lagoons that Natural Earth draws as land (the Syvash, the
			// Molochnyi estuary) leave some tens of kilometres there; the
			// coast itself would be a thousand.
			coast := 0.0
			for _, l := range line {
				for i := 1; i < len(l); i++ {
					if p := l[i]; p[1] < 46.0 || (p[1] < 47.2 && p[0] > 34.7) {
						coast += haversine(l[i-1], p)
					}
				}
			}
			t.Logf("%s: %.0f km along the Azov and Crimean shores", date, coast/1000)
			if coast > 0.1*km*1000 {
				t.Errorf("%.0f km of the line of contact lie on the Azov or Crimean coast", coast/1000)
			}
			// Points of the occupied area's own Azov coastline, the vertices
			// nearest four coastal towns: no kept vertex within 1 km.
			for _, town := range []geo.Position{{37.55, 47.08}, {36.80, 46.75}, {36.35, 46.73}, {34.82, 46.17}} { // Mariupol, Berdiansk, Prymorsk, Henichesk
				shore := nearestVertex(occ, town)
				if d := haversine(shore, town); d > 5000 {
					t.Fatalf("no occupied vertex within 5 km of %v (nearest %v)", town, shore)
				}
				if d := nearest(line, shore); d < 1000 {
					t.Errorf("line of contact passes %.0f m from the Azov shore at %v", d, shore)
				}
			}
			// The front does pass between Huliaipole and Vasylivka, and
			// along the Dnipro at Kherson.
			for _, c := range []struct {
				name string
				p    geo.Position
			}{{"Zaporizhzhia front", geo.Position{35.8, 47.55}}, {"Kherson", geo.Position{32.62, 46.64}}} {
				if d := nearest(line, c.p); d > 25000 {
					t.Errorf("%s: nearest line vertex %.0f km away", c.name, d/1000)
				}
			}
		})
	}
}

// A snapshot's separate ORDLO, Crimea and occupied polygons give about the
// same line as the daily union of the same day: their seams do not count.
func TestLineOfContactSnapshot(t *testing.T) {
	in := ukraineLand(t)
	snap, err := ReadSnapshot(shareddata.Open(t, "deepstate-full-snapshots/1754251105_20250803T195825Z.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := Length(LineOfContact(snap, in, 0))/1000, Length(LineOfContact(daily(t, "20250803"), in, 0))/1000
	t.Logf("2025-08-03: %.0f km from the snapshot, %.0f km from the daily file", a, b)
	if math.Abs(a-b) > 0.1*b {
		t.Errorf("snapshot line %.0f km, daily %.0f km: more than 10%% apart", a, b)
	}
}

// ReadSnapshot keeps occupied, ORDLO and Crimea polygons inside Ukraine's
// box: on 2025-08-03 their area is the README's ≈114,273 km², the
// satirical ones (Karelia, Kurils, East Prussia...) and Transnistria gone.
func TestReadSnapshot(t *testing.T) {
	snap, err := ReadSnapshot(shareddata.Open(t, "deepstate-full-snapshots/1754251105_20250803T195825Z.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	var km2 float64
	for _, p := range snap {
		km2 += polygonArea(p) / 1e6
		b := box(p[0])
		if !UkraineBounds.Contains(b[0], b[1]) || !UkraineBounds.Contains(b[2], b[3]) {
			t.Errorf("polygon with box %v reaches outside Ukraine's", b)
		}
	}
	if math.Abs(km2-114273) > 0.005*114273 {
		t.Errorf("occupied area %.0f km², want ≈114,273", km2)
	}
	// 2022: names without i18n keys, GeometryCollections.
	for _, f := range []string{"1649005166_20220403T165926Z.geojson", "1663702119_20220920T192839Z.geojson"} {
		snap, err := ReadSnapshot(shareddata.Open(t, "deepstate-full-snapshots/"+f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var km2 float64
		for _, p := range snap {
			km2 += polygonArea(p) / 1e6
		}
		t.Logf("%s: %d polygons, %.0f km²", f, len(snap), km2)
		if km2 < 40000 || km2 > 200000 {
			t.Errorf("%s: occupied area %.0f km²", f, km2)
		}
	}
}

func TestStatus(t *testing.T) {
	for name, want := range map[string]string{
		"Окуповано /// Occupied /// geoJSON.status.occupied\n":                                  StatusOccupied,
		"Окуповано /// Occupied\u00a0/// geoJSON.status.occupied":                               StatusOccupied,
		"ОРДЛО /// CADR and CALR\u00a0/// geoJSON.territories.ordlo":                            StatusORDLO,
		"Окупований Крим /// Occupied Crimea\u00a0/// geoJSON.territories.crimea":               StatusCrimea,
		"Звільнено 25.03 /// Liberated 25.03\u00a0/// geoJSON.status.dismissed_at {{at:25.03}}": StatusLiberated,
		"Статус невідомий /// Unknown status /// geoJSON.status.unknown\n":                      StatusContested,
		"Придністров'я/// Transnistria /// geoJSON.territories.transnistria":                    StatusOther,
		"Окупована область Петсамо\n///\nOccupied Petsamo\n/// geoJSON.territories.petsamo\n":   StatusOccupied,
		"Острів Тузла /// Occupied Tuzla Island\u00a0/// geoJSON.territories.tuzla":             StatusOccupied,
		"Зміїний ///\u00a0Snake Island /// geoJSON.zmiinyi_island":                              StatusOther,
		"Окуповано":                          StatusOccupied,
		"Ізюм. Окуповано\u00a0":              StatusOccupied,
		"Рубіжне. Території зайняті ворогом": StatusOccupied,
		"ОРДЛО": StatusORDLO,
		"Крим":  StatusCrimea,
		"Окупований Крим /// Occupied Crimea": StatusCrimea,
		"Звільнено 26.03":                     StatusLiberated,
		"Орки відсутні 30.03":                 StatusLiberated,
		"Під питанням /// Contensed\n":        StatusContested,
		"Невідомо точно при вихід":            StatusContested,
		"24.03": StatusOther,
		"":      StatusOther,
	} {
		if got := Status(name); got != want {
			t.Errorf("Status(%q) = %q, want %q", name, got, want)
		}
	}
}

// On a square "occupied" area whose south side is Ukraine's coast and east
// side its border, only the west and north sides are front line, joined
// into one polyline across the ring's first vertex.
func TestLineOfContactRule(t *testing.T) {
	ukraine := func(p geo.Position) bool { return p[0] < 2 && p[1] > 0 } // sea to the south, Russia to the east
	occ := [][][]geo.Position{{{{1, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 0}}}}
	line := LineOfContact(occ, ukraine, 1000)
	if len(line) != 1 {
		t.Fatalf("%d polylines, want 1: %v", len(line), line)
	}
	l := line[0]
	if l[0] != (geo.Position{2, 1}) || l[len(l)-1] != (geo.Position{1, 0}) {
		t.Errorf("line from %v to %v, want from [2 1] to [1 0]", l[0], l[len(l)-1])
	}
	// West and north sides, 111 km each, less the pieces within the margin
	// of the coast and the border.
	if km := Length(line) / 1000; km < 215 || km > 223 {
		t.Errorf("length %.1f km, want ≈ 220", km)
	}
	for _, p := range l {
		if p[0] != 1 && p[1] != 1 {
			t.Errorf("vertex %v on neither kept side", p)
		}
	}
	// Two squares sharing a side: the seam is no front line.
	two := [][][]geo.Position{
		{{{0.2, 0.2}, {0.6, 0.2}, {0.6, 0.6}, {0.2, 0.6}, {0.2, 0.2}}},
		{{{0.6, 0.2}, {1.0, 0.2}, {1.0, 0.6}, {0.6, 0.6}, {0.6, 0.2}}},
	}
	one := [][][]geo.Position{{{{0.2, 0.2}, {1.0, 0.2}, {1.0, 0.6}, {0.2, 0.6}, {0.2, 0.2}}}}
	whole := func(geo.Position) bool { return true }
	a, b := Length(LineOfContact(two, whole, 1000)), Length(LineOfContact(one, whole, 1000))
	if math.Abs(a-b) > 1 {
		t.Errorf("two halves give %.0f m of line, the whole square %.0f m", a, b)
	}
}

func TestReadErrors(t *testing.T) {
	for _, c := range []struct{ name, in, field string }{
		{"not a collection", `{"type":"Feature"}`, "type"},
		{"no polygon", `{"type":"FeatureCollection","features":[{"geometry":{"type":"Point","coordinates":[30,50]}}]}`, "features"},
		{"open ring", `{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon","coordinates":[[[30,50],[31,50],[31,51],[30,51]]]}}]}`, "features[0].geometry.coordinates[0]"},
		{"short ring", `{"type":"FeatureCollection","features":[{"geometry":{"type":"MultiPolygon","coordinates":[[[[30,50],[31,50],[30,50]]]]}}]}`, "features[0].geometry.coordinates[0][0]"},
		{"latitude", `{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon","coordinates":[[[30,50],[31,95],[31,51],[30,50]]]}}]}`, "features[0].geometry.coordinates[0][1][1]"},
		{"nesting", `{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon","coordinates":[[30,50]]}}]}`, "features[0].geometry.coordinates"},
		// encoding/json read null as 0: [null, null] was the point 0, 0.
		{"null position", `{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon","coordinates":[[[30,50],[null,null],[31,51],[30,50]]]}}]}`, "features[0].geometry.coordinates[0][1][0]"},
		{"null latitude", `{"type":"FeatureCollection","features":[{"geometry":{"type":"MultiPolygon","coordinates":[[[[30,50],[31,50],[31,51],[30,50]]],[[[32,50],[33,50],[33,null],[32,50]]]]}}]}`, "features[0].geometry.coordinates[1][0][2][1]"},
		{"null ring", `{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon","coordinates":[[[30,50],[31,50],[31,51],[30,50]],null]}}]}`, "features[0].geometry.coordinates[1]"},
		{"null in a collection", `{"type":"FeatureCollection","features":[{"geometry":{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[30,50],[31,50],[31,51],[30,50]]]},{"type":"Polygon","coordinates":[[[30,50],[31,50],null,[30,50]]]}]}}]}`, "features[0].geometry.geometries[1].coordinates[0][2]"},
		{"four numbers", `{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon","coordinates":[[[30,50,0,1],[31,50],[31,51],[30,50]]]}}]}`, "features[0].geometry.coordinates[0][0]"},
		{"no coordinates", `{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon"}}]}`, "features[0].geometry.coordinates"},
	} {
		_, err := ReadOccupied(strings.NewReader(c.in))
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v, want an error at %s", c.name, err, c.field)
		}
	}
	if _, err := ReadOccupied(strings.NewReader(`{"type":`)); err == nil {
		t.Error("truncated JSON: no error")
	}
	if _, err := ReadAdmin(strings.NewReader(`{"type":"FeatureCollection","features":[{"properties":{},"geometry":{"type":"Polygon","coordinates":[[[30,50],[31,50],[31,51],[30,50]]]}}]}`)); err == nil {
		t.Error("admin without a name: no error")
	}
}

func boundaryLength(polys [][][]geo.Position) float64 {
	var rings [][]geo.Position
	for _, p := range polys {
		rings = append(rings, p...)
	}
	return Length(rings)
}

func nearest(lines [][]geo.Position, p geo.Position) float64 {
	best := math.Inf(1)
	for _, l := range lines {
		for _, q := range l {
			best = math.Min(best, haversine(p, q))
		}
	}
	return best
}

// polygonArea is the spherical ring area that turf.js and d3 use (R =
// 6,378,137 m), holes subtracted, as the data's README computed it.
func polygonArea(p [][]geo.Position) float64 {
	const r = 6378137.0
	ringArea := func(ring []geo.Position) float64 {
		var s float64
		for i := 0; i+1 < len(ring); i++ {
			a, b := ring[i], ring[i+1]
			s += (b[0] - a[0]) * math.Pi / 180 * (2 + math.Sin(a[1]*math.Pi/180) + math.Sin(b[1]*math.Pi/180))
		}
		return math.Abs(s * r * r / 2)
	}
	area := ringArea(p[0])
	for _, h := range p[1:] {
		area -= ringArea(h)
	}
	return area
}

func nearestVertex(polys [][][]geo.Position, p geo.Position) geo.Position {
	best, at := math.Inf(1), geo.Position{}
	for _, poly := range polys {
		for _, ring := range poly {
			for _, q := range ring {
				if d := haversine(p, q); d < best {
					best, at = d, q
				}
			}
		}
	}
	return at
}

func mustLand(t testing.TB) [][][]geo.Position {
	t.Helper()
	land, err := ReadLand(shareddata.Open(t, "natural-earth-world-atlas/region_countries_50m.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	return land
}
