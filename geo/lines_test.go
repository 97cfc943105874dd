package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"truce/ledger"
)

// brute is the definition the index must reproduce: the arc nearest p on
// the sphere, then the ellipsoidal distance to its nearest point.
type brute struct {
	segs []segment
	ends [][2]Position
}

func newBrute(lines [][]Position) *brute {
	b := &brute{}
	for _, l := range lines {
		for j := 1; j < len(l); j++ {
			b.segs = append(b.segs, newSegment(toVec(l[j-1]), toVec(l[j])))
			b.ends = append(b.ends, [2]Position{l[j-1], l[j]})
		}
	}
	return b
}

func (b *brute) nearest(p Position) (float64, Position) {
	pv := toVec(p)
	best, bestAt := math.Inf(1), Position{}
	for i := range b.segs {
		if c2 := b.segs[i].chord2(pv); c2 < best {
			q, end := b.segs[i].nearest(pv)
			best, bestAt = c2, q.position()
			if end >= 0 {
				bestAt = b.ends[i][end]
			}
		}
	}
	return Distance(p, bestAt), bestAt
}

func TestNearestOnGreatCircleArc(t *testing.T) {
	equator, err := NewLines([][]Position{{{0, 0}, {10, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	// A parallel is not a great circle: the arc from (0°, 50°) to (40°, 50°)
	// bulges north to atan(tan 50° / cos 20°) at its middle.
	parallel, err := NewLines([][]Position{{{0, 50}, {40, 50}}})
	if err != nil {
		t.Fatal(err)
	}
	vertex := math.Atan(math.Tan(50*deg)/math.Cos(20*deg)) / deg
	cases := []struct {
		l    *Lines
		p    Position
		at   Position
		want float64 // metres; 0: Distance(p, at)
	}{
		{equator, Position{5, 1}, Position{5, 0}, 110574.389}, // a degree of meridian at the equator (GeographicLib)
		{equator, Position{5, -1}, Position{5, 0}, 110574.389},
		{equator, Position{-3, 1}, Position{0, 0}, 0},   // before the start: the start
		{equator, Position{12, -2}, Position{10, 0}, 0}, // past the end: the end
		{equator, Position{10, 5}, Position{10, 0}, 0},  // abeam the end
		{equator, Position{7.25, 0}, Position{7.25, 0}, 0},
		{parallel, Position{20, 50}, Position{20, vertex}, 0},
		{parallel, Position{20, 60}, Position{20, vertex}, 0},
		{parallel, Position{-1, 50}, Position{0, 50}, 0},
	}
	for _, c := range cases {
		d, at := c.l.Nearest(c.p)
		if math.Abs(at[0]-c.at[0]) > 1e-9 || math.Abs(at[1]-c.at[1]) > 1e-9 {
			t.Errorf("Nearest(%v) at %v, want %v", c.p, at, c.at)
		}
		want := c.want
		if want == 0 {
			want = Distance(c.p, c.at)
		}
		if math.Abs(d-want) > 0.001 {
			t.Errorf("Nearest(%v) = %.4f m, want %.3f", c.p, d, want)
		}
		if d2, ok := c.l.Distance(c.p, 0); !ok || d2 != d {
			t.Errorf("Distance(%v, unbounded) = %v %v, Nearest said %v", c.p, d2, ok, d)
		}
	}
	// A planar (rhumb) reading would put (20°, 50°) on the line.
	if d, _ := parallel.Nearest(Position{20, 50}); d < 190e3 || d > 195e3 {
		t.Errorf("distance below the great circle's vertex = %.0f m, want about 193 km", d)
	}
}

// The construction (nearest point on the sphere, then the ellipsoid) against
// the exact ellipsoidal distance to the same arc, found by searching along it.
// The excess is largest near the equator, where the ellipsoid is least like
// the sphere: about 2.3e-5 there; the package documents 3e-5.
func TestLineDistanceErrorBound(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	worst := 0.0
	for k := range 400 {
		a := Position{r.Float64()*360 - 180, r.Float64()*160 - 80}
		if k%2 == 0 {
			a[1] = r.NormFloat64() * 3
		}
		spread := []float64{0.1, 0.5, 2}[k%3]
		b := Position{a[0] + r.NormFloat64()*spread, a[1] + r.NormFloat64()*spread}
		p := Position{a[0] + r.NormFloat64()*2*spread, a[1] + r.NormFloat64()*2*spread}
		l, err := NewLines([][]Position{{a, b}})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := l.Nearest(p)
		s := newSegment(toVec(a), toVec(b))
		along := func(f float64) float64 { // f in [0, 1] of the arc
			th := angle(s.a, s.b) * f
			q := s.a.scale(math.Cos(th)).add(s.n.cross(s.a).scale(math.Sin(th)))
			if s.point {
				q = s.a
			}
			return Distance(p, q.position())
		}
		best, bf := math.Inf(1), 0.0
		for i := 0; i <= 1000; i++ {
			if d := along(float64(i) / 1000); d < best {
				best, bf = d, float64(i)/1000
			}
		}
		lo, hi := math.Max(0, bf-0.001), math.Min(1, bf+0.001)
		for range 100 {
			m1, m2 := lo+(hi-lo)/3, hi-(hi-lo)/3
			if along(m1) < along(m2) {
				hi = m2
			} else {
				lo = m1
			}
		}
		exact := math.Min(best, along((lo+hi)/2))
		if got < exact-1e-6 {
			t.Fatalf("%v to %v-%v: %.6f m below the exact %.6f m", p, a, b, got, exact)
		}
		if exact > 0 {
			worst = math.Max(worst, (got-exact)/exact)
		}
	}
	if worst > 3e-5 {
		t.Fatalf("worst relative excess over the exact ellipsoidal distance %.2g, documented below 3e-5", worst)
	}
	if worst < 1e-6 {
		t.Fatalf("worst relative excess %.2g: the sample missed the equator, where the bound is tight", worst)
	}
	t.Logf("worst relative excess %.2g", worst)
}

// randomLines returns random walks of short steps, like a front line.
func randomLines(r *rand.Rand, n, steps int, origin Position, step float64) [][]Position {
	var out [][]Position
	for range n {
		p := Position{origin[0] + r.NormFloat64()*2, origin[1] + r.NormFloat64()*2}
		l := []Position{p}
		heading := r.Float64() * 2 * math.Pi
		for range steps {
			heading += r.NormFloat64() * 0.5
			p = Position{p[0] + step*math.Cos(heading), math.Max(-89, math.Min(89, p[1]+step*math.Sin(heading)))}
			if r.IntN(50) == 0 {
				p = l[len(l)-1] // repeated positions are allowed
			}
			l = append(l, p)
		}
		out = append(out, l)
	}
	return out
}

func checkLinesAgainstBrute(t *testing.T, lines [][]Position, l *Lines, pts []Position, maxes []float64) {
	t.Helper()
	b := newBrute(lines)
	for i, p := range pts {
		want, wantAt := b.nearest(p)
		got, at := l.Nearest(p)
		if math.Abs(got-want) > 1e-6 {
			t.Fatalf("Nearest(%v) = %.6f at %v, brute force %.6f at %v", p, got, at, want, wantAt)
		}
		m := maxes[i%len(maxes)]
		d, ok := l.Distance(p, m)
		switch {
		case m > 0 && want <= m*(1-1e-12) && (!ok || math.Abs(d-want) > 1e-6):
			t.Fatalf("Distance(%v, %g) = %v %v, brute force %.6f", p, m, d, ok, want)
		case m > 0 && want > m*(1+1e-12) && ok:
			t.Fatalf("Distance(%v, %g) = %v %v, brute force %.6f is beyond", p, m, d, ok, want)
		case m <= 0 && (!ok || math.Abs(d-want) > 1e-6):
			t.Fatalf("Distance(%v, unbounded) = %v %v, brute force %.6f", p, d, ok, want)
		}
	}
}

func TestLinesAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	lines := randomLines(r, 3, 400, Position{36, 48}, 0.02)
	l, err := NewLines(lines)
	if err != nil {
		t.Fatal(err)
	}
	var pts []Position
	box := grow(l.box(), 4) // inside the grid, and beyond it on every side
	for range 5000 {
		pts = append(pts, randomIn(r, box))
	}
	// Close to the line too, where the nearest segment changes quickly.
	for range 3000 {
		line := lines[r.IntN(len(lines))]
		v := line[r.IntN(len(line))]
		pts = append(pts, Position{v[0] + r.NormFloat64()*0.01, v[1] + r.NormFloat64()*0.01})
	}
	checkLinesAgainstBrute(t, lines, l, pts, []float64{0, 1000, 20e3, 140e3, 500e3, math.Inf(1)})
}

func TestLinesAgainstBruteForceWorldwide(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	// Long arcs, the antimeridian and high latitudes.
	lines := [][]Position{
		{{170, 60}, {-170, 62}, {-150, 70}, {-100, 85}, {20, 88}},
		{{-60, -10}, {60, 10}, {120, -30}},
		{{0, -80}, {0, -80}, {90, -80}},
	}
	l, err := NewLines(lines)
	if err != nil {
		t.Fatal(err)
	}
	var pts []Position
	for range 3000 {
		pts = append(pts, Position{r.Float64()*360 - 180, math.Asin(r.Float64()*2-1) / deg})
	}
	pts = append(pts, Position{0, 90}, Position{0, -90}, Position{180, 0}, Position{-180, 61})
	checkLinesAgainstBrute(t, lines, l, pts, []float64{0, 100e3, 3000e3})
}

func TestLinesRealDataAgainstBruteForce(t *testing.T) {
	area := occupied(t)
	lines := rings(area)
	l, err := NewLines(lines)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(11, 12))
	var pts []Position
	box := grow(l.box(), 3)
	for range 4000 {
		pts = append(pts, randomIn(r, box))
	}
	checkLinesAgainstBrute(t, lines, l, pts, []float64{140e3, 0, 5e3, 30e3})
}

func (l *Lines) box() BBox {
	b := BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, e := range l.ends {
		for _, p := range e {
			b[0], b[1], b[2], b[3] = math.Min(b[0], p[0]), math.Min(b[1], p[1]), math.Max(b[2], p[0]), math.Max(b[3], p[1])
		}
	}
	return b
}

// Cells fill lazily; concurrent readers of a fresh index must agree with a
// sequential pass (and, under -race, not race).
func TestLinesConcurrentReaders(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	lines := randomLines(r, 2, 300, Position{35, 47}, 0.03)
	pts := make([]Position, 2000)
	for i := range pts {
		pts[i] = randomIn(r, BBox{31, 44, 40, 51})
	}
	ref, _ := NewLines(lines)
	want := make([]float64, len(pts))
	for i, p := range pts {
		want[i], _ = ref.Nearest(p)
	}
	l, _ := NewLines(lines)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range pts {
				i := (k + g*251) % len(pts) // different orders, same cells
				if d, ok := l.Distance(pts[i], 0); !ok || d != want[i] {
					errs <- errors.New("concurrent answer differs")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestNewLinesErrors(t *testing.T) {
	cases := []struct {
		lines [][]Position
		field string
	}{
		{nil, "coordinates"},
		{[][]Position{{{30, 48}}}, "coordinates[0]"},
		{[][]Position{{{30, 48}, {31, 49}}, {{30, 48}, {math.NaN(), 49}}}, "coordinates[1][1][0]"},
		{[][]Position{{{30, 48}, {31, 49}, {181, 49}}}, "coordinates[0][2][0]"},
		{[][]Position{{{30, 48}, {31, -90.5}}}, "coordinates[0][1][1]"},
		{[][]Position{{{30, 48}, {31, math.Inf(1)}}}, "coordinates[0][1][1]"},
		{[][]Position{{{0, 10}, {180, -10}}}, "coordinates[0][1]"}, // antipodal
	}
	for _, c := range cases {
		_, err := NewLines(c.lines)
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("NewLines(%v) = %v, want an error at %s", c.lines, err, c.field)
		}
	}
}
