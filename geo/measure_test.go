package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Reference distances from GeographicLib (Karney's algorithm, here PROJ's
// `geod +ellps=WGS84 -I +units=m`), printed to the millimetre. Vincenty's
// published example (Flinders Peak to Buninyong) is the first.
var geodesics = []struct {
	name string
	a, b Position
	want float64
}{
	{"Flinders Peak-Buninyong", Position{144 + 25/60.0 + 29.52440/3600, -(37 + 57/60.0 + 3.72030/3600)}, Position{143 + 55/60.0 + 35.38390/3600, -(37 + 39/60.0 + 10.15610/3600)}, 54972.271},
	{"Kyiv-Kharkiv", Position{30.5234, 50.4501}, Position{36.2304, 49.9935}, 410332.279},
	{"Zaporizhzhia-Donetsk", Position{35.1396, 47.8388}, Position{37.5413, 47.0951}, 199040.144},
	{"Chornobyl-Kherson", Position{30.099, 51.389}, Position{34.585, 47.512}, 539904.054},
	{"quarter meridian", Position{0, 0}, Position{0, 90}, 10001965.729},
	{"equator degree", Position{0, 0}, Position{1, 0}, 111319.491},
	{"same point across the antimeridian", Position{-180, 45}, Position{180, 45}, 0},
	{"a hundred-thousandth of a degree", Position{0, 0}, Position{1e-7, 1e-7}, 0.016},
	// Nearly antipodal: Vincenty's iteration fails on some of these.
	{"antipodal on the equator", Position{0, 0}, Position{180, 0}, 20003931.459},
	{"antipodal near the poles", Position{10, -89.9}, Position{-170, 89.9}, 20003931.459},
	{"pole to pole", Position{10, -90}, Position{30, 90}, 20003931.459},
	{"pole to itself", Position{10, 90}, Position{-120, 90}, 0},
	{"nearly antipodal 1", Position{0, 0}, Position{179.5, 0.5}, 19936288.579},
	{"nearly antipodal 2", Position{0, 0}, Position{179.8, -0.3}, 19968298.320},
	{"nearly antipodal 3", Position{0, 10}, Position{179.9, -10.05}, 19997550.698},
	{"nearly antipodal 4", Position{0, 0}, Position{179.7, 0}, 19995624.890},
}

func TestDistanceReference(t *testing.T) {
	for _, c := range geodesics {
		for _, pair := range [][2]Position{{c.a, c.b}, {c.b, c.a}} {
			got := Distance(pair[0], pair[1])
			if math.Abs(got-c.want) > 0.001 {
				t.Errorf("%s: Distance(%v, %v) = %.4f, want %.3f", c.name, pair[0], pair[1], got, c.want)
			}
		}
	}
}

// The fallback is exact in principle (the minimum over a circle every path
// crosses), so it must agree with Vincenty wherever Vincenty converges.
func TestSeparatorDistanceAgreesWithVincenty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		a := Position{r.Float64()*360 - 180, r.Float64()*180 - 90}
		b := Position{r.Float64()*360 - 180, r.Float64()*180 - 90}
		if i%3 == 0 { // near neighbours too
			b = Position{a[0] + r.NormFloat64(), math.Max(-90, math.Min(90, a[1]+r.NormFloat64()))}
		}
		v, ok := vincenty(a, b)
		if !ok {
			continue
		}
		s := separatorDistance(a, b)
		if math.Abs(s-v) > 1e-9*v+1e-6 {
			t.Errorf("%v→%v: separator %.6f, Vincenty %.6f", a, b, s, v)
		}
	}
}

// Vincenty fails close to the antipode; Distance must stay continuous there
// and symmetric.
func TestDistanceNearAntipodeContinuous(t *testing.T) {
	fails := 0
	prev := math.NaN()
	for i := 0; i <= 400; i++ {
		lon := 179 + float64(i)/400 // 179° to 180° along the equator, then off it
		b := Position{lon, 0.05}
		if _, ok := vincenty(Position{0, 0}, b); !ok {
			fails++
		}
		d := Distance(Position{0, 0}, b)
		if back := Distance(b, Position{0, 0}); math.Abs(back-d) > 1e-6 {
			t.Fatalf("asymmetric at %v: %.6f vs %.6f", b, d, back)
		}
		// Moving b by 1/400 degree moves the distance by at most that arc.
		if !math.IsNaN(prev) && math.Abs(d-prev) > 111320.0/400*1.01 {
			t.Fatalf("jump at %v: %.3f after %.3f", b, d, prev)
		}
		prev = d
	}
	if fails == 0 {
		t.Fatal("expected Vincenty to fail somewhere near the antipode; the fallback went untested")
	}
}

func TestDistanceTriangleAndSphereBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		a := Position{r.Float64()*20 + 25, r.Float64()*12 + 42}
		b := Position{a[0] + r.NormFloat64()*3, a[1] + r.NormFloat64()*2}
		c := Position{a[0] + r.NormFloat64()*3, a[1] + r.NormFloat64()*2}
		ab, bc, ac := Distance(a, b), Distance(b, c), Distance(a, c)
		if ac > ab+bc+1e-6 {
			t.Fatalf("triangle inequality: %v %v %v: %f > %f + %f", a, b, c, ac, ab, bc)
		}
		// The indexes rely on rMin·θ ≤ d ≤ rMax·θ.
		th := angle(toVec(a), toVec(b))
		if ab < rMin*th || ab > rMax*th {
			t.Fatalf("%v→%v: %f m outside [%f, %f]", a, b, ab, rMin*th, rMax*th)
		}
	}
}
