package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"truce/ledger"
)

func mustShape(t testing.TB, typ, coords string) Shape {
	t.Helper()
	s, err := ParseShape(Geometry{Type: typ, Coordinates: json.RawMessage(coords)})
	if err != nil {
		t.Fatalf("%s %s: %v", typ, coords, err)
	}
	return s
}

// shapeJSON writes a shape back as GeoJSON coordinates.
func shapeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestParseShape(t *testing.T) {
	cases := []struct {
		typ, coords    string
		points, lines  int
		polygons       int
		firstPoint     Position
		box            BBox
		wantPointsDump string
	}{
		{"Point", `[30.5,50.4,120]`, 1, 0, 0, Position{30.5, 50.4}, BBox{30.5, 50.4, 30.5, 50.4}, "[[30.5,50.4]]"},
		{"MultiPoint", `[[30,48],[31,49]]`, 2, 0, 0, Position{30, 48}, BBox{30, 48, 31, 49}, "[[30,48],[31,49]]"},
		{"LineString", `[[30,48],[31,49],[32,48]]`, 3, 1, 0, Position{30, 48}, BBox{30, 48, 32, 49}, "[[30,48],[31,49],[32,48]]"},
		{"MultiLineString", `[[[30,48],[31,49]],[[32,48],[33,47]]]`, 4, 2, 0, Position{30, 48}, BBox{30, 47, 33, 49}, "[[30,48],[31,49],[32,48],[33,47]]"},
		{"Polygon", `[[[36,50],[37,50],[37,51],[36,50]]]`, 3, 1, 1, Position{36, 50}, BBox{36, 50, 37, 51}, "[[36,50],[37,50],[37,51]]"},
		{"MultiPolygon", `[[[[30,48],[31,48],[31,49],[30,48]]],[[[32,46],[33,46],[33,47],[32,46]],[[32.5,46.2],[32.9,46.2],[32.9,46.6],[32.5,46.2]]]]`, 9, 3, 2, Position{30, 48}, BBox{30, 46, 33, 49}, ""},
	}
	for _, c := range cases {
		s := mustShape(t, c.typ, c.coords)
		if s.Type() != c.typ || len(s.Points()) != c.points || len(s.Lines()) != c.lines || len(s.Polygons()) != c.polygons || s.Points()[0] != c.firstPoint || s.BBox() != c.box {
			t.Errorf("%s: type %s, %d points, %d lines, %d polygons, first %v, box %v", c.typ, s.Type(), len(s.Points()), len(s.Lines()), len(s.Polygons()), s.Points()[0], s.BBox())
		}
		if c.wantPointsDump != "" && shapeJSON(s.Points()) != c.wantPointsDump {
			t.Errorf("%s: Points() = %s, want %s", c.typ, shapeJSON(s.Points()), c.wantPointsDump)
		}
	}
	bad := []struct{ typ, coords, field string }{
		{"Point", `[30,91]`, "coordinates[1]"},
		{"LineString", `[[30,48]]`, "coordinates"},
		{"LineString", `[[0,10],[180,-10]]`, "coordinates[1]"}, // antipodal: no great circle
		{"MultiLineString", `[[[0,0],[1,1]],[[0,10],[1,1],[-179,-1]]]`, "coordinates[1][2]"},
		{"MultiPolygon", `[[[[0,0],[1,0],[0,1],[0,0]]],[[[5,0],[6,0],[6,1],[5,0]]],[[[10,0],[11,1],[-169,-1],[10,0]]]]`, "coordinates[2][0][2]"},
		{"Polygon", `[[[30,48],[31,49],[31,48],[30,49],[30,48]]]`, "coordinates[0]"},
		{"GeometryCollection", `[]`, "type"},
	}
	for _, c := range bad {
		_, err := ParseShape(Geometry{Type: c.typ, Coordinates: json.RawMessage(c.coords)})
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s %s: %v, want an error at %s", c.typ, c.coords, err, c.field)
		}
	}
}

func TestArcArc(t *testing.T) {
	seg := func(a, b Position) segment { return newSegment(toVec(a), toVec(b)) }
	// Crossing arcs meet at the point both great circles share.
	s, u := seg(Position{0, -1}, Position{0, 1}), seg(Position{-1, 0.5}, Position{1, 0.5})
	a, x, y := arcArc(&s, &u)
	vertex := math.Atan(math.Tan(0.5*deg)/math.Cos(1*deg)) / deg // the second arc's great circle at 0°
	if a != 0 || x != y || math.Abs(x.position()[0]) > 1e-12 || math.Abs(x.position()[1]-vertex) > 1e-12 {
		t.Errorf("crossing: angle %g at %v", a, x.position())
	}
	// Against sampling: the nearest pair of two arcs that do not cross.
	r := rand.New(rand.NewPCG(41, 42))
	for range 500 {
		p := func() Position { return Position{30 + r.Float64()*2, 47 + r.Float64()*2} }
		s, u := seg(p(), p()), seg(p(), p())
		got, _, _ := arcArc(&s, &u)
		// Sampling s gives an upper bound, and the nearest point of s is
		// within half a step of a sample.
		const steps = 400
		best, step := math.Inf(1), angle(s.a, s.b)/steps
		for i := 0; i <= steps; i++ {
			f := float64(i) / steps
			q := s.a.scale(1 - f).add(s.b.scale(f)).unit() // a point of arc s
			best = math.Min(best, chordAngle(u.chord2(q)))
		}
		if got > best+1e-12 || got < best-step*0.6-1e-12 {
			t.Fatalf("arcArc = %g, sampling %g (step %g)", got, best, step)
		}
	}
}

// bruteShapeDistance: every pair of arcs, PostGIS's construction.
func bruteShapeDistance(lines [][]Position, s Shape) float64 {
	b := newBrute(lines)
	if s.points != nil {
		best := math.Inf(1)
		for _, p := range s.points {
			d, _ := b.nearest(p)
			best = math.Min(best, d)
		}
		return best
	}
	for _, l := range lines {
		if s.contains(l[0]) != outside {
			return 0
		}
	}
	bestA, ps, pl := math.Inf(1), vec3{}, vec3{}
	for _, arcs := range s.arcs {
		for i := range arcs {
			for j := range b.segs {
				if a, x, y := arcArc(&arcs[i], &b.segs[j]); a < bestA {
					bestA, ps, pl = a, x, y
				}
			}
		}
	}
	if bestA == 0 {
		return 0
	}
	return Distance(ps.position(), pl.position())
}

func TestShapeDistance(t *testing.T) {
	front := [][]Position{{{36, 47}, {37, 47.5}, {38, 47.5}, {38.5, 48.5}}}
	l, err := NewLines(front)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, typ, coords string
		want              float64 // metres; -1: brute force
	}{
		{"crossing line", "LineString", `[[36.5,46],[36.5,48]]`, 0},
		{"polygon the line runs through", "Polygon", `[[[36.9,47.3],[37.1,47.3],[37.1,47.7],[36.9,47.7],[36.9,47.3]]]`, 0},
		{"polygon holding all of the line", "Polygon", `[[[35,46],[40,46],[40,50],[35,50],[35,46]]]`, 0},
		{"point on a vertex", "Point", `[37,47.5]`, 0},
		{"line along a parallel south of the front", "LineString", `[[37.2,47.3],[37.8,47.3]]`, -1},
		{"polygon beside the line", "Polygon", `[[[38.6,47.5],[39,47.5],[39,47.9],[38.6,47.5]]]`, -1},
		{"multipoint", "MultiPoint", `[[35,45],[38,47],[40,50]]`, -1},
		{"far polygon with a hole", "Polygon", `[[[30,50],[32,50],[32,52],[30,52],[30,50]],[[30.5,50.5],[31.5,50.5],[31.5,51.5],[30.5,50.5]]]`, -1},
	}
	for _, c := range cases {
		s := mustShape(t, c.typ, c.coords)
		want := c.want
		if want < 0 {
			want = bruteShapeDistance(front, s)
			if want == 0 {
				t.Fatalf("%s: brute force says 0; the case is meant to be apart", c.name)
			}
		}
		got, ok := l.ShapeDistance(s, 0)
		if !ok || math.Abs(got-want) > 1e-6 {
			t.Errorf("%s: ShapeDistance = %v %v, want %.6f", c.name, got, ok, want)
		}
		if want > 0 {
			if _, ok := l.ShapeDistance(s, want*0.999); ok {
				t.Errorf("%s: within %.0f m, but it is %.0f m away", c.name, want*0.999, want)
			}
			if d, ok := l.ShapeDistance(s, want*1.001); !ok || math.Abs(d-want) > 1e-6 {
				t.Errorf("%s: not within %.0f m (%v %v), but it is %.0f m away", c.name, want*1.001, d, ok, want)
			}
		}
	}
	// 0.1° of latitude south of a segment of the front that runs along the
	// 47.5° parallel (a great circle only at the ends): 11.1 km give or take
	// the arc's bulge.
	if d, _ := l.ShapeDistance(mustShape(t, "LineString", `[[37.4,47.4],[37.6,47.4]]`), 0); d < 11.1e3 || d > 11.3e3 {
		t.Errorf("parallel line: %.0f m, want about 11.1 km", d)
	}
}

func TestShapeDistanceAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	lines := randomLines(r, 2, 150, Position{36, 48}, 0.05)
	l, err := NewLines(lines)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 300 {
		c := randomIn(r, BBox{32, 44, 40, 52})
		var s Shape
		switch k % 3 {
		case 0:
			s = mustShape(t, "LineString", shapeJSON(randomLines(r, 1, 5, c, 0.2)[0]))
		case 1:
			s = mustShape(t, "Polygon", shapeJSON([][]Position{randomPolygon(r, c, 0.5, 12)}))
		default:
			s = mustShape(t, "MultiPoint", shapeJSON([]Position{c, {c[0] + 0.3, c[1]}, {c[0], c[1] + 0.3}}))
		}
		want := bruteShapeDistance(lines, s)
		got, ok := l.ShapeDistance(s, 0)
		if !ok || math.Abs(got-want) > 1e-6 {
			t.Fatalf("%s: ShapeDistance = %v %v, brute force %.6f", s.Type(), got, ok, want)
		}
		if d, ok := l.ShapeDistance(s, 50e3); ok != (want <= 50e3) || (ok && d != got) {
			t.Fatalf("%s: within 50 km = %v %v, distance %.0f", s.Type(), d, ok, want)
		}
	}
}

func bruteIntersects(polys [][][]Position, s Shape) bool {
	for _, p := range s.Points() {
		if bruteLocate(polys, p) != outside {
			return true
		}
	}
	for _, l := range s.lines {
		for j := 1; j < len(l); j++ {
			for _, ring := range rings(polys) {
				for k := 1; k < len(ring); k++ {
					if segmentsTouch(l[j-1], l[j], ring[k-1], ring[k]) {
						return true
					}
				}
			}
		}
	}
	for _, poly := range polys {
		if s.contains(poly[0][0]) != outside {
			return true
		}
	}
	return false
}

func TestAreaIntersects(t *testing.T) {
	polys := [][][]Position{{square(30, 45, 32, 47), square(30.5, 45.5, 31.5, 46.5)}}
	a, err := NewArea(polys)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, typ, coords string
		want              bool
	}{
		{"point inside", "Point", `[30.2,45.2]`, true},
		{"point in the hole", "Point", `[31,46]`, false},
		{"point on the boundary", "Point", `[30,46]`, true},
		{"multipoint, one inside", "MultiPoint", `[[29,44],[31.9,46.9]]`, true},
		{"line through, no vertex inside", "LineString", `[[29,46.2],[33,46.2]]`, true},
		{"line within the hole", "LineString", `[[30.7,45.7],[31.3,46.3]]`, false},
		{"line outside", "LineString", `[[29,44],[33,44.5]]`, false},
		{"polygon around the whole area", "Polygon", `[[[29,44],[33,44],[33,48],[29,48],[29,44]]]`, true},
		{"polygon in the hole", "Polygon", `[[[30.7,45.7],[31.3,45.7],[31.3,46.3],[30.7,45.7]]]`, false},
		{"polygon around the area, hole around it", "Polygon", `[[[28,43],[34,43],[34,49],[28,49],[28,43]],[[29,44],[33,44],[33,48],[29,48],[29,44]]]`, false},
		{"polygon crossing the edge", "Polygon", `[[[30.8,44],[33,44],[33,46],[30.8,44]]]`, true},
		{"multipolygon, second inside", "MultiPolygon", `[[[[40,40],[41,40],[41,41],[40,40]]],[[[30.1,45.1],[30.2,45.1],[30.2,45.2],[30.1,45.1]]]]`, true},
	}
	for _, c := range cases {
		s := mustShape(t, c.typ, c.coords)
		if got := a.Intersects(s); got != c.want {
			t.Errorf("%s: Intersects = %v, want %v", c.name, got, c.want)
		}
		if got := bruteIntersects(polys, s); got != c.want {
			t.Errorf("%s: the brute-force reference says %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAreaIntersectsRealData(t *testing.T) {
	polys := occupied(t)
	a, err := NewArea(polys)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(45, 46))
	yes := 0
	for k := range 600 {
		c := randomIn(r, grow(a.box, 0.5))
		var s Shape
		if k%2 == 0 {
			s = mustShape(t, "LineString", shapeJSON(randomLines(r, 1, 4, c, 0.1)[0]))
		} else {
			s = mustShape(t, "Polygon", shapeJSON([][]Position{randomPolygon(r, c, 0.2, 8)}))
		}
		got, want := a.Intersects(s), bruteIntersects(polys, s)
		if got != want {
			t.Fatalf("%s %v: Intersects = %v, brute force %v", s.Type(), s.Points(), got, want)
		}
		if got {
			yes++
		}
	}
	if yes == 0 || yes == 600 {
		t.Fatalf("%d of 600 shapes intersect: the sample does not test both answers", yes)
	}
}

func TestPointsWithinShape(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	ps := make([]Position, 1500)
	for i := range ps {
		ps[i] = randomIn(r, BBox{30, 45, 40, 52})
	}
	s := NewPoints(ps)
	total := 0
	for k := range 200 {
		c := randomIn(r, BBox{30, 45, 40, 52})
		var sh Shape
		switch k % 3 {
		case 0:
			sh = mustShape(t, "Point", shapeJSON(c))
		case 1:
			sh = mustShape(t, "LineString", shapeJSON(randomLines(r, 1, 5, c, 0.2)[0]))
		default:
			sh = mustShape(t, "Polygon", shapeJSON([][]Position{randomPolygon(r, c, 0.4, 10)}))
		}
		radius := []float64{0, 5e3, 30e3}[k%3]
		var got, want []hit
		s.WithinShape(sh, radius, func(i int, d float64) { got = append(got, hit{i, d}) })
		for i, p := range ps {
			if d := sh.distanceTo(p, toVec(p)); d <= radius {
				want = append(want, hit{i, d})
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s radius %g: %v, brute force %v", sh.Type(), radius, got, want)
		}
		total += len(got)
		if sh.Type() == "Point" {
			var direct []hit
			s.Within(c, radius, func(i int, d float64) { direct = append(direct, hit{i, d}) })
			slices.SortFunc(direct, func(a, b hit) int { return a.i - b.i })
			if !slices.Equal(got, direct) {
				t.Fatalf("WithinShape(Point) %v differs from Within %v", got, direct)
			}
		}
	}
	if total == 0 {
		t.Fatal("no hits at all: the test tests nothing")
	}
	// A site inside a polygon is at distance 0.
	sh := mustShape(t, "Polygon", `[[[29,44],[41,44],[41,53],[29,53],[29,44]]]`)
	n := 0
	s.WithinShape(sh, 0, func(i int, d float64) {
		if d != 0 {
			t.Errorf("site %d inside the polygon at %g m", i, d)
		}
		n++
	})
	if n != len(ps) {
		t.Errorf("%d sites inside the polygon, want %d", n, len(ps))
	}
}

func TestValidateLine(t *testing.T) {
	ok := [][]Position{
		{{30, 48}, {31, 49}},
		{{30, 48}, {31, 49}, {32, 48}, {33, 49}},
		{{30, 48}, {30, 48}, {31, 49}, {31, 49}, {32, 48}}, // repeated positions
		{{30, 48}, {31, 48}, {31, 49}, {30, 49}, {30, 48}}, // closed
		{{30, 48}, {31, 48}, {32, 48}},                     // straight on
	}
	for _, ps := range ok {
		if err := ValidateLine(ps, "line"); err != nil {
			t.Errorf("ValidateLine(%v) = %v", ps, err)
		}
	}
	bad := []struct {
		ps     []Position
		field  string
		reason string
	}{
		{[]Position{{30, 48}}, "line", "two distinct"},
		{[]Position{{30, 48}, {30, 48}}, "line", "two distinct"},
		{[]Position{{30, 48}, {31, 49}, {31, 48}, {30, 49}}, "line", "crosses itself"},
		{[]Position{{30, 48}, {32, 48}, {32, 49}, {31, 48}}, "line", "crosses itself"},              // touches
		{[]Position{{30, 48}, {31, 48}, {31, 49}, {30, 49}, {30, 48}, {30, 47}}, "line", "crosses"}, // through its start
		{[]Position{{30, 48}, {32, 48}, {31, 48}}, "line[1]", "doubles back"},
		{[]Position{{30, 48}, {31, 48}, {31, 49}, {31, 49}, {31, 48.5}}, "line[2]", "doubles back"},
		{[]Position{{30, 48}, {math.NaN(), 48}}, "line[1][0]", "finite"},
		{[]Position{{30, 48}, {30, -91}}, "line[1][1]", "latitude"},
	}
	for _, c := range bad {
		err := ValidateLine(c.ps, "line")
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Reason, c.reason) {
			t.Errorf("ValidateLine(%v) = %v, want %q at %s", c.ps, err, c.reason, c.field)
		}
	}
}

func FuzzParseShape(f *testing.F) {
	for _, c := range []struct{ typ, coords string }{
		{"Point", `[36.5,47.5]`},
		{"MultiPoint", `[[30,48],[37,47.6]]`},
		{"LineString", `[[36.5,46],[36.5,48]]`},
		{"MultiLineString", `[[[30,48],[31,49]],[[38,47],[38.2,47.1]]]`},
		{"Polygon", `[[[36.9,47.3],[37.1,47.3],[37.1,47.7],[36.9,47.7],[36.9,47.3]]]`},
		{"MultiPolygon", `[[[[30,48],[31,48],[31,49],[30,48]]],[[[36,47],[38,47],[38,48],[36,47]]]]`},
		{"Polygon", `[[[0,0],[2,0],[2,2],[1,0],[0,2],[0,0]]]`},
		{"LineString", `[[0,10],[180,-10]]`},
	} {
		f.Add(c.typ, []byte(c.coords))
	}
	front, _ := NewLines([][]Position{{{36, 47}, {37, 47.5}, {38, 47.5}, {38.5, 48.5}}})
	area, _ := NewArea([][][]Position{{square(36, 47, 38, 48), square(36.5, 47.2, 37, 47.4)}})
	sites := NewPoints([]Position{{37, 47.5}, {36.2, 47.1}, {30, 50}, {-179.5, 0}})
	f.Fuzz(func(t *testing.T, typ string, coords []byte) {
		s, err := ParseShape(Geometry{Type: typ, Coordinates: coords})
		if err != nil {
			var fe *ledger.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a field error: %v", err)
			}
			return
		}
		pts := s.Points()
		if len(pts) == 0 || s.Type() != typ {
			t.Fatalf("parsed %s with %d points", s.Type(), len(pts))
		}
		for _, p := range pts {
			if !s.BBox().Contains(p[0], p[1]) {
				t.Fatalf("point %v outside the box %v", p, s.BBox())
			}
			if area.Contains(p) && !area.Intersects(s) {
				t.Fatalf("vertex %v inside the area, but the shape does not intersect it", p)
			}
		}
		d, ok := front.ShapeDistance(s, 0)
		if !ok || math.IsNaN(d) || d < 0 || d > 20100e3 {
			t.Fatalf("ShapeDistance = %v %v", d, ok)
		}
		if d2, ok := front.ShapeDistance(s, d+1); !ok || d2 != d {
			t.Fatalf("within %v: %v %v, unbounded %v", d+1, d2, ok, d)
		}
		sites.WithinShape(s, 50e3, func(i int, m float64) {
			if m < 0 || m > 50e3 || math.IsNaN(m) {
				t.Fatalf("site %d at %v m", i, m)
			}
		})
		_ = fmt.Sprint(s.Lines(), s.Polygons())
	})
}
