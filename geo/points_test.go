package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

type hit struct {
	i int
	d float64
}

func within(s *Points, p Position, radius float64) []hit {
	var out []hit
	s.Within(p, radius, func(i int, d float64) { out = append(out, hit{i, d}) })
	slices.SortFunc(out, func(a, b hit) int { return a.i - b.i })
	return out
}

func bruteWithin(ps []Position, p Position, radius float64) []hit {
	var out []hit
	for i, q := range ps {
		if d := Distance(p, q); d <= radius {
			out = append(out, hit{i, d})
		}
	}
	return out
}

func TestPointsWithin(t *testing.T) {
	znpp := Position{34.585, 47.512}
	s := NewPoints([]Position{znpp, {30.099, 51.389}, {34.585, 47.512}, {-179.99, 10}, {179.99, 10.01}, {0, 89.99}, {180, 89.99}})
	got := within(s, Position{34.6, 47.6}, 30e3)
	if len(got) != 2 || got[0].i != 0 || got[1].i != 2 || math.Abs(got[0].d-Distance(znpp, Position{34.6, 47.6})) > 1e-9 {
		t.Errorf("near Zaporizhzhia: %v, want sites 0 and 2", got)
	}
	if got := within(s, Position{34.6, 47.6}, 5e3); len(got) != 0 {
		t.Errorf("5 km: %v, want none", got)
	}
	// Across the antimeridian and over the pole.
	if got := within(s, Position{180, 10}, 5e3); len(got) != 2 || got[0].i != 3 || got[1].i != 4 {
		t.Errorf("at the antimeridian: %v, want sites 3 and 4", got)
	}
	if got := within(s, Position{90, 89.99}, 5e3); len(got) != 2 || got[0].i != 5 || got[1].i != 6 {
		t.Errorf("at the pole: %v, want sites 5 and 6", got)
	}
	if got := within(s, znpp, 0); len(got) != 2 || got[0].d != 0 {
		t.Errorf("radius 0 at a site: %v, want the two sites there", got)
	}
	if got := within(s, znpp, math.Inf(1)); len(got) != s.Len() {
		t.Errorf("infinite radius: %d sites, want all %d", len(got), s.Len())
	}
	if got := within(s, znpp, -1); len(got) != 0 {
		t.Errorf("negative radius: %v", got)
	}
}

func TestPointsAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	var ps []Position
	for range 2000 {
		switch r.IntN(3) {
		case 0: // clustered like plants in Ukraine
			ps = append(ps, Position{22 + r.Float64()*18, 44 + r.Float64()*8})
		case 1:
			ps = append(ps, Position{r.Float64()*360 - 180, math.Asin(r.Float64()*2-1) / deg})
		default: // near the antimeridian and the poles
			ps = append(ps, Position{math.Mod(180+r.NormFloat64()*0.5+540, 360) - 180, math.Max(-90, math.Min(90, 85*math.Copysign(1, r.NormFloat64())+r.NormFloat64()*4))})
		}
	}
	s := NewPoints(ps)
	for k := range 600 {
		var p Position
		if k%2 == 0 {
			p = ps[r.IntN(len(ps))]
			p = Position{math.Max(-180, math.Min(180, p[0]+r.NormFloat64()*0.2)), math.Max(-90, math.Min(90, p[1]+r.NormFloat64()*0.2))}
		} else {
			p = Position{r.Float64()*360 - 180, r.Float64()*180 - 90}
		}
		radius := []float64{1e3, 30e3, 140e3, 1000e3, 6000e3}[k%5]
		got, want := within(s, p, radius), bruteWithin(ps, p, radius)
		if !slices.Equal(got, want) {
			for _, h := range want {
				if !slices.Contains(got, h) {
					t.Logf("missing %d at %v, %f m", h.i, ps[h.i], h.d)
					break
				}
			}
			t.Fatalf("Within(%v, %g): %d hits, brute force %d", p, radius, len(got), len(want))
		}
	}
}

func TestPointsRealData(t *testing.T) {
	ps := sites(t)
	s := NewPoints(ps)
	r := rand.New(rand.NewPCG(33, 34))
	found := 0
	for range 600 {
		p := randomIn(r, BBox{22, 44, 41, 53})
		got, want := within(s, p, 50e3), bruteWithin(ps, p, 50e3)
		if !slices.Equal(got, want) {
			t.Fatalf("Within(%v): %v, brute force %v", p, got, want)
		}
		found += len(got)
	}
	if found == 0 {
		t.Fatal("no site within 50 km of any sample: the test tests nothing")
	}
}

func TestPointsConcurrentReaders(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	ps := make([]Position, 1000)
	for i := range ps {
		ps[i] = randomIn(r, BBox{22, 44, 41, 53})
	}
	s := NewPoints(ps)
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for g := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr := rand.New(rand.NewPCG(37, 38)) // the same queries on every goroutine
			for range 500 {
				s.Within(randomIn(rr, BBox{22, 44, 41, 53}), 40e3, func(int, float64) { counts[g]++ })
			}
		}()
	}
	wg.Wait()
	if counts[0] == 0 || counts[1] != counts[0] || counts[2] != counts[0] || counts[3] != counts[0] {
		t.Fatalf("hit counts per goroutine %v, want equal and non-zero", counts)
	}
}
