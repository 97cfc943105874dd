package geo

import (
	"math/rand/v2"
	"testing"
)

// Benchmarks on the real occupied area (1 August 2025, ~3,000 vertices) and
// ~870 real sites; query points are uniform over the area's box grown by a
// degree, so most are within 140 km of the line and a fair share inside.
//
//	go test -run '^$' -bench . -benchmem ./geo/

func benchPoints(box BBox, n int) []Position {
	r := rand.New(rand.NewPCG(99, 100))
	pts := make([]Position, n)
	for i := range pts {
		pts[i] = randomIn(r, box)
	}
	return pts
}

func BenchmarkDistance(b *testing.B) {
	pts := benchPoints(BBox{30, 45, 40, 52}, 1024)
	b.ResetTimer()
	for i := range b.N {
		Distance(pts[i&1023], pts[(i+1)&1023])
	}
}

func benchBoundary(b *testing.B) (*Area, *Lines, []Position) {
	a, err := NewArea(occupied(b))
	if err != nil {
		b.Fatal(err)
	}
	return a, a.Boundary(), benchPoints(grow(a.BBox(), 1), 1<<16)
}

// Per point, with the grid's cells already filled (the steady state of a long
// evaluation).
func BenchmarkLinesDistance140km(b *testing.B) {
	_, l, pts := benchBoundary(b)
	for _, p := range pts {
		l.Distance(p, 140e3)
	}
	b.ResetTimer()
	for i := range b.N {
		l.Distance(pts[i&(1<<16-1)], 140e3)
	}
}

// A fresh index and a million points per op: the cells' first fill included.
func BenchmarkLinesDistance140kmMillionCold(b *testing.B) {
	a, err := NewArea(occupied(b))
	if err != nil {
		b.Fatal(err)
	}
	pts := benchPoints(grow(a.BBox(), 1), 1_000_000)
	rings := rings(a.polygons)
	b.ResetTimer()
	for range b.N {
		l, _ := NewLines(rings)
		for _, p := range pts {
			l.Distance(p, 140e3)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/point")
}

func BenchmarkLinesNearest(b *testing.B) {
	_, l, pts := benchBoundary(b)
	for _, p := range pts {
		l.Nearest(p)
	}
	b.ResetTimer()
	for i := range b.N {
		l.Nearest(pts[i&(1<<16-1)])
	}
}

func BenchmarkAreaContains(b *testing.B) {
	a, _, pts := benchBoundary(b)
	b.ResetTimer()
	for i := range b.N {
		a.Contains(pts[i&(1<<16-1)])
	}
}

func BenchmarkNewArea(b *testing.B) {
	polys := occupied(b)
	b.ResetTimer()
	for range b.N {
		if _, err := NewArea(polys); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPointsWithin30km(b *testing.B) {
	s := NewPoints(sites(b))
	pts := benchPoints(BBox{22, 44, 41, 53}, 1<<16)
	n := 0
	b.ResetTimer()
	for i := range b.N {
		s.Within(pts[i&(1<<16-1)], 30e3, func(int, float64) { n++ })
	}
}

// The whole judgement of one point: distance to the line within 140 km,
// inside the occupied area, sites within 30 km.
func BenchmarkEvaluatePoint(b *testing.B) {
	a, l, pts := benchBoundary(b)
	s := NewPoints(sites(b))
	for _, p := range pts {
		l.Distance(p, 140e3)
	}
	n := 0
	b.ResetTimer()
	for i := range b.N {
		p := pts[i&(1<<16-1)]
		l.Distance(p, 140e3)
		a.Contains(p)
		s.Within(p, 30e3, func(int, float64) { n++ })
	}
}
