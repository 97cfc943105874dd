package frontline

import (
	"math"

	"truce/geo"
)

// DefaultMargin is the margin LineOfContact uses when given none: wider
// than the usual gap between DeepState's coastline and geoBoundaries', and
// narrow enough to keep the front where it runs close to the border.
const DefaultMargin = 3000.0 // metres

// earthRadius is the mean radius; the tests here are filters, not survey.
const earthRadius = 6371008.8

// LineOfContact returns the part of the occupied area's boundary that is a
// front line, as polylines. inside tells whether a position is in Ukraine
// (its outline, Crimea included); margin is in metres, DefaultMargin if not
// positive.
//
// The rule: the boundary is cut into pieces no longer than the margin, and
// a piece is kept when, at its midpoint,
//   - the two points the margin away on either side, perpendicular to the
//     piece, are both inside Ukraine: on the coast or on the border with
//     Russia or Belarus one of them is not, so those pieces go; and
//   - of the two points a short probe away on either side, one is occupied
//     and the other is not: where two occupied polygons meet (a snapshot's
//     ORDLO and the area occupied since 2022) both are, so the seam goes.
//
// The probe is short (100 m, or half a smaller margin) so that a salient
// narrower than the margin keeps its sides. Kept pieces that follow one
// another along a ring are joined into one polyline.
func LineOfContact(occupied [][][]geo.Position, inside func(geo.Position) bool, margin float64) [][]geo.Position {
	if !(margin > 0) {
		margin = DefaultMargin
	}
	probe := math.Min(100, margin/2)
	occ := newEvenOdd(occupied)
	var out [][]geo.Position
	for _, poly := range occupied {
		for _, ring := range poly {
			out = append(out, ringContact(ring, occ.contains, inside, margin, probe)...)
		}
	}
	return out
}

// ringContact applies the rule to one closed ring.
func ringContact(ring []geo.Position, occupied, inside func(geo.Position) bool, margin, probe float64) [][]geo.Position {
	// Pieces in ring order, each with whether it is kept.
	type piece struct {
		a, b geo.Position
		keep bool
	}
	var pieces []piece
	for i := 1; i < len(ring); i++ {
		a, b := ring[i-1], ring[i]
		if a == b {
			continue
		}
		n := int(math.Ceil(haversine(a, b) / margin))
		for k := 0; k < n; k++ {
			pa, pb := lerp(a, b, float64(k)/float64(n)), lerp(a, b, float64(k+1)/float64(n))
			if k == n-1 {
				pb = b // exactly the ring's vertex, so that joins match
			}
			pieces = append(pieces, piece{a: pa, b: pb, keep: contact(pa, pb, occupied, inside, margin, probe)})
		}
	}
	if len(pieces) == 0 {
		return nil
	}
	// Start after a dropped piece, so that a run crossing the ring's first
	// vertex comes out as one polyline.
	start := 0
	for start < len(pieces) && pieces[start].keep {
		start++
	}
	if start == len(pieces) { // the whole ring is front line
		line := make([]geo.Position, 0, len(pieces)+1)
		line = append(line, pieces[0].a)
		for _, p := range pieces {
			line = append(line, p.b)
		}
		return [][]geo.Position{line}
	}
	var out [][]geo.Position
	var line []geo.Position
	for k := 1; k <= len(pieces); k++ {
		p := pieces[(start+k)%len(pieces)]
		if !p.keep {
			if len(line) > 0 {
				out = append(out, line)
				line = nil
			}
			continue
		}
		if len(line) == 0 {
			line = append(line, p.a)
		}
		line = append(line, p.b)
	}
	if len(line) > 0 {
		out = append(out, line)
	}
	return out
}

// contact tests the piece a→b (see LineOfContact).
func contact(a, b geo.Position, occupied, inside func(geo.Position) bool, margin, probe float64) bool {
	m := lerp(a, b, 0.5)
	left, right := offsets(a, b, m, margin)
	if !inside(left) || !inside(right) {
		return false
	}
	left, right = offsets(a, b, m, probe)
	return occupied(left) != occupied(right)
}

// offsets returns the points d metres from m on either side of a→b, in a
// local equirectangular frame (good to a fraction of a percent at these
// distances and latitudes).
func offsets(a, b, m geo.Position, d float64) (geo.Position, geo.Position) {
	k := math.Cos(m[1] * math.Pi / 180)
	dx, dy := (b[0]-a[0])*k, b[1]-a[1]
	l := math.Hypot(dx, dy)
	// The unit normal (-dy, dx)/l in the local frame, scaled to d metres
	// and back to degrees.
	deg := d / earthRadius * 180 / math.Pi
	nx, ny := -dy/l*deg/k, dx/l*deg
	return geo.Position{m[0] + nx, m[1] + ny}, geo.Position{m[0] - nx, m[1] - ny}
}

func lerp(a, b geo.Position, t float64) geo.Position {
	return geo.Position{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
}

// haversine is the great-circle distance in metres.
func haversine(a, b geo.Position) float64 {
	la1, la2 := a[1]*math.Pi/180, b[1]*math.Pi/180
	dla, dlo := la2-la1, (b[0]-a[0])*math.Pi/180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Length is the total length of lines in metres (haversine).
func Length(lines [][]geo.Position) float64 {
	var sum float64
	for _, l := range lines {
		for i := 1; i < len(l); i++ {
			sum += haversine(l[i-1], l[i])
		}
	}
	return sum
}

// evenOdd tests membership in a union of polygons, each by the even-odd
// rule over its rings (so holes are holes), with a box per polygon to skip
// most of them. Overlapping polygons are fine here, unlike in geo.Area:
// a point is occupied if any polygon has it.
type evenOdd struct {
	polys [][][]geo.Position
	boxes []geo.BBox
}

// Within returns a containment test for polygons that may overlap or whose
// rings may not be clean (Natural Earth's, rounded): for an outline or a
// land mask passed to LineOfContact. A point is inside if any polygon has it.
func Within(polys [][][]geo.Position) func(geo.Position) bool {
	return newEvenOdd(polys).contains
}

func newEvenOdd(polys [][][]geo.Position) *evenOdd {
	e := &evenOdd{polys: polys, boxes: make([]geo.BBox, len(polys))}
	for i, p := range polys {
		if len(p) > 0 {
			e.boxes[i] = box(p[0])
		}
	}
	return e
}

func (e *evenOdd) contains(p geo.Position) bool {
	for i, poly := range e.polys {
		if len(poly) == 0 || !e.boxes[i].Contains(p[0], p[1]) {
			continue
		}
		in := false
		for _, ring := range poly {
			for j, k := 0, len(ring)-1; j < len(ring); k, j = j, j+1 {
				a, b := ring[j], ring[k]
				if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
					in = !in
				}
			}
		}
		if in {
			return true
		}
	}
	return false
}
