package incident

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"truce/geo"
)

// filled is an index of n incidents at random points over Ukraine.
func filled(n int) *MapIndex {
	m := NewMapIndex()
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([]MapRow, n)
	for i := range rows {
		rows[i] = MapRow{Seq: uint64(i + 1), Lon: 22 + rng.Float64()*18, Lat: 44.5 + rng.Float64()*8,
			Type: Types[rng.IntN(len(Types))], Status: Statuses[rng.IntN(len(Statuses))], Party: []string{"ua", "ru", "osce"}[rng.IntN(3)]}
	}
	m.Put(rows...)
	return m
}

// The dense grid and the map fallback must cluster alike: a box too large
// for the dense array at its cell size takes the fallback.
func TestClustersDenseAndSparseAgree(t *testing.T) {
	m := filled(20000)
	key := func(c Cluster) [2]float64 { return [2]float64{c.Lon, c.Lat} }
	sorted := func(cs []Cluster) []Cluster {
		slices.SortFunc(cs, func(a, b Cluster) int {
			if a.Lon != b.Lon {
				if a.Lon < b.Lon {
					return -1
				}
				return 1
			}
			if a.Lat < b.Lat {
				return -1
			}
			return 1
		})
		return cs
	}
	for _, cell := range []float64{2, 0.05, 0.01} {
		f := Filter{BBox: &geo.BBox{22, 44.5, 40, 52.5}, Types: []Type{Missile, Drone}}
		dense := sorted(m.Clusters(f, cell))
		// The same box widened to the world at the same cell forces the map.
		f.BBox = &geo.BBox{-180, -90, 180, 90}
		sparse := sorted(m.Clusters(f, cell))
		if len(dense) != len(sparse) {
			t.Fatalf("cell %v: %d clusters dense, %d sparse", cell, len(dense), len(sparse))
		}
		total := 0
		for i := range dense {
			if dense[i] != sparse[i] {
				t.Fatalf("cell %v: cluster %d: dense %+v, sparse %+v (%v)", cell, i, dense[i], sparse[i], key(dense[i]))
			}
			total += dense[i].Count
		}
		if want := 20000 * 2 / len(Types); total < want/2 || total > want*2 {
			t.Fatalf("cell %v: %d incidents clustered, want about %d", cell, total, want)
		}
	}
}

// BenchmarkClusters is the server's part of a map viewport at a million
// incidents: all of Ukraine at zoom 5, and a region at zoom 8.
func BenchmarkClusters(b *testing.B) {
	m := filled(1_000_000)
	for _, c := range []struct {
		name string
		box  geo.BBox
		zoom int
	}{{"zoom5-ukraine", geo.BBox{22, 44, 41, 53}, 5}, {"zoom8-region", geo.BBox{33, 48, 35, 49}, 8}, {"zoom12-town", geo.BBox{33.9, 48.4, 34.1, 48.5}, 12}} {
		b.Run(c.name, func(b *testing.B) {
			f := Filter{BBox: &c.box}
			cell := 360 / float64(uint64(1)<<c.zoom) / 16
			for b.Loop() {
				m.Clusters(f, cell)
			}
		})
	}
}

// Observed lists exactly the incidents observed in [from, to), the
// published ones only if asked, with their actor.
func TestObserved(t *testing.T) {
	m := NewMapIndex()
	base := time.Date(2026, 2, 3, 17, 30, 0, 0, time.UTC)
	var rows []MapRow
	for i := range 100 {
		at := base.Add(time.Duration(i-50) * time.Hour).UnixMilli()
		rows = append(rows, MapRow{Seq: uint64(i + 1), Lon: 35, Lat: 48, From: at, Until: at, Type: Types[i%len(Types)],
			Status: Statuses[i%len(Statuses)], Party: "ua", Actor: []string{"ru", "", "ua"}[i%3]})
	}
	m.Put(rows...)
	from, to := base, base.Add(24*time.Hour)
	got := m.Observed(from, to, false)
	if len(got) != 24 || got[0].Seq != 51 || got[23].Seq != 74 || got[0].Actor != "ua" || got[1].Actor != "ru" || got[2].Actor != "" {
		t.Fatalf("observed in the day: %d rows, first %+v", len(got), got[0])
	}
	for _, r := range m.Observed(from, to, true) {
		if r.Status != Published || r.From < from.UnixMilli() || r.From >= to.UnixMilli() {
			t.Fatalf("published only: %+v", r)
		}
	}
	if n := len(m.Observed(from, to, true)); n == 0 || n >= 24 {
		t.Fatalf("%d published of 24", n)
	}
}
