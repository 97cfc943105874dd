package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"truce/ledger"
)

// bruteLocate is the plain crossing-number definition over every polygon.
func bruteLocate(polygons [][][]Position, p Position) location {
	for _, poly := range polygons {
		if l := polygonLocate(poly, p); l != outside {
			return l
		}
	}
	return outside
}

func square(w, s, e, n float64) []Position {
	return []Position{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}
}

func TestAreaContains(t *testing.T) {
	// A square with a square hole, and a triangle beside it.
	polys := [][][]Position{
		{square(30, 45, 32, 47), square(30.5, 45.5, 31.5, 46.5)},
		{{{33, 45}, {35, 45}, {34, 47}, {33, 45}}},
	}
	a, err := NewArea(polys)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		p        Position
		contains bool
		where    location
	}{
		{Position{30.2, 45.2}, true, inside},
		{Position{31, 46}, false, outside},      // in the hole
		{Position{30.5, 46}, false, onBoundary}, // on the hole's edge
		{Position{30, 46}, false, onBoundary},   // on the exterior's edge
		{Position{32, 47}, false, onBoundary},   // a corner
		{Position{31.9999, 46.9999}, true, inside},
		{Position{32.5, 46}, false, outside}, // between the polygons, inside the box
		{Position{34, 46}, true, inside},     // the triangle
		{Position{34, 46.99}, true, inside},
		{Position{33.2, 46.5}, false, outside}, // beside the triangle's slope
		{Position{34, 47}, false, onBoundary},  // its apex
		{Position{29, 46}, false, outside},     // outside the box
		{Position{36, 44}, false, outside},
	}
	for _, c := range cases {
		if got := a.Contains(c.p); got != c.contains {
			t.Errorf("Contains(%v) = %v, want %v", c.p, got, c.contains)
		}
		if got := a.locate(c.p); got != c.where {
			t.Errorf("locate(%v) = %v, want %v", c.p, got, c.where)
		}
	}
	if d, _ := a.Boundary().Nearest(Position{31, 46}); math.Abs(d-Distance(Position{31, 46}, Position{30.5, 46})) > 10 {
		t.Errorf("distance from the hole's centre to the boundary = %.0f m, want half a degree of the parallel", d)
	}
}

// randomPolygon returns a star-shaped ring around c: simple by construction.
func randomPolygon(r *rand.Rand, c Position, radius float64, n int) []Position {
	ring := make([]Position, 0, n+1)
	for i := range n {
		th := 2 * math.Pi * float64(i) / float64(n)
		rr := radius * (0.3 + 0.7*r.Float64())
		ring = append(ring, Position{c[0] + rr*math.Cos(th), c[1] + rr*math.Sin(th)})
	}
	return append(ring, ring[0])
}

// checkAreaAgainstBrute compares the index with brute force. Within a
// rounding error of an edge the two may differ: both round, differently.
func checkAreaAgainstBrute(t *testing.T, polys [][][]Position, a *Area, pts []Position) {
	t.Helper()
	for _, p := range pts {
		if got, want := a.locate(p), bruteLocate(polys, p); got != want && edgeDistance(polys, p) > 1e-12 {
			t.Fatalf("locate(%v) = %v, brute force %v (%g° from an edge)", p, got, want, edgeDistance(polys, p))
		}
	}
}

func edgeDistance(polys [][][]Position, p Position) float64 {
	d := math.Inf(1)
	for _, ring := range rings(polys) {
		for j := 1; j < len(ring); j++ {
			d = math.Min(d, planarSegmentDistance(ring[j-1], ring[j], p))
		}
	}
	return d
}

func TestAreaAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	var polys [][][]Position
	for i := range 6 {
		c := Position{30 + 3*float64(i), 46 + r.Float64()}
		outer := randomPolygon(r, c, 1.4, 300)
		// A hole well inside the star's inner radius.
		hole := randomPolygon(r, c, 0.35, 40)
		for j, k := 0, len(hole)-1; j < k; j, k = j+1, k-1 {
			hole[j], hole[k] = hole[k], hole[j] // holes turn the other way (not that parity cares)
		}
		polys = append(polys, [][]Position{outer, hole})
	}
	a, err := NewArea(polys)
	if err != nil {
		t.Fatal(err)
	}
	var pts []Position
	for range 20000 {
		pts = append(pts, randomIn(r, grow(a.box, 0.5)))
	}
	// Vertices and points on edges: the boundary cases.
	for _, poly := range polys {
		for _, ring := range poly {
			for j := 1; j < len(ring); j += 7 {
				u, v := ring[j-1], ring[j]
				pts = append(pts, u, Position{(u[0] + v[0]) / 2, (u[1] + v[1]) / 2})
			}
		}
	}
	checkAreaAgainstBrute(t, polys, a, pts)
}

// Edges through cell centres and along cell edges: polygons on the grid's
// own lattice (0.02°) force other reference points.
func TestAreaLatticeAligned(t *testing.T) {
	polys := [][][]Position{
		{{{30.01, 45.01}, {30.21, 45.01}, {30.21, 45.21}, {30.11, 45.11}, {30.01, 45.21}, {30.01, 45.01}}},
		{square(30.3, 45, 30.5, 45.2), square(30.36, 45.06, 30.44, 45.14)},
	}
	a, err := NewArea(polys)
	if err != nil {
		t.Fatal(err)
	}
	var pts []Position
	for i := -5; i <= 60; i++ {
		for j := -5; j <= 30; j++ {
			// The lattice, its cell centres and points in between.
			for _, f := range []float64{0, 0.005, 0.01, 0.013} {
				pts = append(pts, Position{30 + float64(i)*0.01 + f, 45 + float64(j)*0.01 + f})
			}
		}
	}
	checkAreaAgainstBrute(t, polys, a, pts)
	moved := 0
	for k, c := range a.grid.cells {
		col, row := k%a.grid.cols, k/a.grid.cols
		if c.ref != (Position{a.grid.west + (float64(col)+0.5)*a.grid.step, a.grid.south + (float64(row)+0.5)*a.grid.step}) {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no cell needed another reference point: the test does not test that")
	}
}

func TestAreaRealDataAgainstBruteForce(t *testing.T) {
	polys := occupied(t)
	a, err := NewArea(polys)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(23, 24))
	var pts []Position
	for range 20000 {
		pts = append(pts, randomIn(r, grow(a.box, 0.3)))
	}
	in := 0
	for _, p := range pts {
		if a.Contains(p) {
			in++
		}
	}
	if in < 1000 || in > 19000 {
		t.Fatalf("%d of %d random points inside: the sample does not test both sides", in, len(pts))
	}
	// Vertices are on the boundary.
	for _, ring := range rings(polys) {
		for j := 0; j < len(ring); j += 5 {
			pts = append(pts, ring[j])
		}
	}
	checkAreaAgainstBrute(t, polys, a, pts)
	// Known places on 1 August 2025: Donetsk and Melitopol occupied, Kharkiv
	// and Zaporizhzhia not.
	for _, c := range []struct {
		name string
		p    Position
		want bool
	}{
		{"Donetsk", Position{37.80, 48.00}, true},
		{"Melitopol", Position{35.37, 46.85}, true},
		{"Kharkiv", Position{36.23, 49.99}, false},
		{"Zaporizhzhia", Position{35.14, 47.84}, false},
	} {
		if got := a.Contains(c.p); got != c.want {
			t.Errorf("%s: Contains = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAreaConcurrentReaders(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	polys := [][][]Position{{randomPolygon(r, Position{35, 47}, 2, 500)}}
	a, err := NewArea(polys)
	if err != nil {
		t.Fatal(err)
	}
	pts := make([]Position, 5000)
	want := make([]bool, len(pts))
	for i := range pts {
		pts[i] = randomIn(r, grow(a.box, 0.2))
		want[i] = bruteLocate(polys, pts[i]) == inside
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range pts {
				i := (k + g*1237) % len(pts)
				if a.Contains(pts[i]) != want[i] {
					mu.Lock()
					bad++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if bad > 0 {
		t.Fatalf("%d concurrent answers differ from brute force", bad)
	}
}

func TestNewAreaErrors(t *testing.T) {
	cases := []struct {
		polys [][][]Position
		field string
	}{
		{nil, "coordinates"},
		{[][][]Position{{}}, "coordinates[0]"},
		{[][][]Position{{square(30, 45, 31, 46)}, {{{30, 45}, {31, 45}, {30, 45}}}}, "coordinates[1][0]"},
		{[][][]Position{{{{30, 45}, {31, 45}, {31, 46}, {30, 46}}}}, "coordinates[0][0]"},                                                       // not closed
		{[][][]Position{{square(30, 45, 31, 46), {{30.2, 45.2}, {30.8, 45.8}, {30.8, 45.2}, {30.2, 45.8}, {30.2, 45.2}}}}, "coordinates[0][1]"}, // bow tie
		{[][][]Position{{square(30, 45, 31, 46), {{30.2, 45.2}, {30.4, 95}, {30.8, 45.2}, {30.2, 45.2}}}}, "coordinates[0][1][1][1]"},
	}
	for _, c := range cases {
		_, err := NewArea(c.polys)
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("NewArea(%v) = %v, want an error at %s", c.polys, err, c.field)
		}
	}
}
