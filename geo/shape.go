package geo

import (
	"fmt"
	"math"
	"sort"

	"truce/ledger"
)

// Shape is a validated incident geometry, decoded once for repeated tests
// against the indexes.
type Shape struct {
	typ      string
	box      BBox
	points   []Position     // Point, MultiPoint
	lines    [][]Position   // LineString, MultiLineString; the rings of polygons
	polygons [][][]Position // Polygon, MultiPolygon
	arcs     [][]segment    // lines[i] as arcs
}

// ParseShape validates g (as Geometry.Validate does) and decodes it. Altitudes
// are dropped.
func ParseShape(g Geometry) (Shape, error) {
	s, err := g.shape()
	if err != nil {
		return Shape{}, err
	}
	for i, l := range s.lines {
		arcs := make([]segment, len(l)-1)
		for j := 1; j < len(l); j++ {
			a, b := toVec(l[j-1]), toVec(l[j])
			if a.cross(b).norm() < 1e-9 && a.dot(b) < 0 {
				return Shape{}, ledger.Invalid(s.linePath(i, j), "is antipodal to the previous position: no single great circle joins them")
			}
			arcs[j-1] = newSegment(a, b)
		}
		s.arcs = append(s.arcs, arcs)
	}
	return s, nil
}

func (s *Shape) addPolygon(rings [][]Position) {
	s.polygons = append(s.polygons, rings)
	s.lines = append(s.lines, rings...)
}

// linePath names position j of s.lines[i] in the GeoJSON coordinates.
func (s *Shape) linePath(i, j int) string {
	switch s.typ {
	case "LineString":
		return fmt.Sprintf("coordinates[%d]", j)
	case "MultiLineString", "Polygon":
		return fmt.Sprintf("coordinates[%d][%d]", i, j)
	}
	for p, poly := range s.polygons { // MultiPolygon
		if i < len(poly) {
			return fmt.Sprintf("coordinates[%d][%d][%d]", p, i, j)
		}
		i -= len(poly)
	}
	return "coordinates"
}

// Type returns the GeoJSON type.
func (s Shape) Type() string { return s.typ }

// BBox returns the bounding box.
func (s Shape) BBox() BBox { return s.box }

// Points returns every vertex: the points of a Point or MultiPoint, the
// positions of lines, the positions of polygon rings without each ring's
// closing repeat.
func (s Shape) Points() []Position {
	if s.points != nil {
		return s.points
	}
	var out []Position
	for _, l := range s.lines {
		if s.polygons != nil {
			l = l[:len(l)-1]
		}
		out = append(out, l...)
	}
	return out
}

// Lines returns the lines of a LineString or MultiLineString, or every ring of
// a Polygon or MultiPolygon.
func (s Shape) Lines() [][]Position { return s.lines }

// Polygons returns the polygons of a Polygon or MultiPolygon.
func (s Shape) Polygons() [][][]Position { return s.polygons }

// contains locates p in the shape's polygons, planar with holes (outside for
// shapes without polygons).
func (s *Shape) contains(p Position) location {
	if !s.box.Contains(p[0], p[1]) {
		return outside
	}
	for _, poly := range s.polygons {
		if l := polygonLocate(poly, p); l != outside {
			return l
		}
	}
	return outside
}

func polygonLocate(poly [][]Position, p Position) location {
	l := ringLocate(poly[0], p)
	if l != inside {
		return l
	}
	for _, hole := range poly[1:] {
		switch ringLocate(hole, p) {
		case onBoundary:
			return onBoundary
		case inside:
			return outside
		}
	}
	return inside
}

// ringLocate is the crossing-number test on a closed ring, with points on
// an edge found exactly.
func ringLocate(ring []Position, p Position) location {
	in := false
	for j := 1; j < len(ring); j++ {
		u, v := ring[j-1], ring[j]
		if orient(u, v, p) == 0 && onSegment(u, v, p) {
			return onBoundary
		}
		if (u[1] > p[1]) != (v[1] > p[1]) && p[0] < u[0]+(p[1]-u[1])*(v[0]-u[0])/(v[1]-u[1]) {
			in = !in
		}
	}
	if in {
		return inside
	}
	return outside
}

// distanceTo returns the distance in metres from p to the shape: zero inside
// its polygons, otherwise PostGIS geography's distance to the nearest
// component.
func (s *Shape) distanceTo(p Position, pv vec3) float64 {
	if s.contains(p) != outside {
		return 0
	}
	best := math.Inf(1)
	for _, q := range s.points {
		best = math.Min(best, Distance(p, q))
	}
	for i, arcs := range s.arcs {
		k, c2 := -1, math.Inf(1)
		for j := range arcs {
			if d := arcs[j].chord2(pv); d < c2 {
				k, c2 = j, d
			}
		}
		q, end := arcs[k].nearest(pv)
		at := q.position()
		if end >= 0 {
			at = s.lines[i][k+end]
		}
		best = math.Min(best, Distance(p, at))
	}
	return best
}

// ShapeDistance returns the distance in metres from the shape to the lines,
// with ok=false (and +Inf) when that is farther than max (max <= 0 or +Inf:
// no limit). It is 0 when the shape crosses or touches a line, or a line
// runs through one of its polygons.
func (l *Lines) ShapeDistance(s Shape, max float64) (float64, bool) {
	bounded := max > 0 && !math.IsInf(max, 1)
	best, found := math.Inf(1), false
	for _, p := range s.points {
		limit := max
		if found {
			limit = best
		}
		if d, ok := l.Distance(p, limit); ok && (!found || d < best) {
			best, found = d, true
			if d == 0 {
				return 0, true
			}
		}
	}
	if s.polygons != nil {
		for _, st := range l.starts {
			if s.contains(st) != outside {
				return 0, true
			}
		}
	}
	if len(s.arcs) > 0 {
		bound := math.Inf(1)
		if bounded {
			bound = max / rMin
		}
		bestA, hit := bound, false
		var ps, pl vec3
		for _, arcs := range s.arcs {
			for k := range arcs {
				l.nearestToArc(&arcs[k], &bestA, &hit, &ps, &pl)
				if hit && bestA == 0 {
					return 0, true
				}
			}
		}
		if hit {
			if d := Distance(ps.position(), pl.position()); !found || d < best {
				best, found = d, true
			}
		}
	}
	if !found || (bounded && best > max) {
		return math.Inf(1), false
	}
	return best, true
}

// nearestToArc updates the best pair (angle *bestA, points on the shape and
// the lines) with the segments nearer arc s.
func (l *Lines) nearestToArc(s *segment, bestA *float64, hit *bool, ps, pl *vec3) {
	stack := make([]int32, 1, 64)
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		nd := &l.nodes[k]
		if chordAngle(s.chord2(nd.c))-nd.r > *bestA {
			continue
		}
		if nd.left >= 0 {
			stack = append(stack, nd.left, nd.right)
			continue
		}
		for i := nd.lo; i < nd.hi; i++ {
			a, x, y := arcArc(s, &l.segs[i])
			if a < *bestA || (!*hit && a <= *bestA) {
				*bestA, *hit, *ps, *pl = a, true, x, y
				if a == 0 {
					return
				}
			}
		}
	}
}

// arcArc returns the angle between two arcs and their nearest points. Two
// minor arcs that do not cross are nearest at an end of one of them.
func arcArc(s, t *segment) (float64, vec3, vec3) {
	if x, ok := arcsCross(s, t); ok {
		return 0, x, x
	}
	best, bs, bt := math.Inf(1), vec3{}, vec3{}
	for _, e := range [2]vec3{s.a, s.b} {
		if c2 := t.chord2(e); c2 < best {
			q, _ := t.nearest(e)
			best, bs, bt = c2, e, q
		}
	}
	for _, e := range [2]vec3{t.a, t.b} {
		if c2 := s.chord2(e); c2 < best {
			q, _ := s.nearest(e)
			best, bs, bt = c2, q, e
		}
	}
	return chordAngle(best), bs, bt
}

func arcsCross(s, t *segment) (vec3, bool) {
	if s.point || t.point {
		return vec3{}, false // a point on an arc is at chord 0 from it anyway
	}
	if d1, d2 := t.a.dot(s.n), t.b.dot(s.n); (d1 > 0 && d2 > 0) || (d1 < 0 && d2 < 0) {
		return vec3{}, false
	}
	if d3, d4 := s.a.dot(t.n), s.b.dot(t.n); (d3 > 0 && d4 > 0) || (d3 < 0 && d4 < 0) {
		return vec3{}, false
	}
	x := s.n.cross(t.n)
	if x.norm() < 1e-15 {
		return vec3{}, false // one great circle: overlaps show as touching ends
	}
	x = x.unit()
	for _, c := range [2]vec3{x, x.scale(-1)} {
		if s.within(c) && t.within(c) {
			return c, true
		}
	}
	return vec3{}, false
}

// Intersects reports whether any part of the shape is inside the area or on
// its boundary (ST_Intersects).
func (a *Area) Intersects(s Shape) bool {
	if !a.box.Intersects(s.box) {
		return false
	}
	for _, p := range s.points {
		if a.locate(p) != outside {
			return true
		}
	}
	for _, l := range s.lines {
		for j, p := range l {
			if a.locate(p) != outside {
				return true
			}
			if j > 0 && a.segmentTouches(l[j-1], p) {
				return true
			}
		}
	}
	// The area wholly inside one of the shape's polygons.
	for _, poly := range a.polygons {
		if s.contains(poly[0][0]) != outside {
			return true
		}
	}
	return false
}

// segmentTouches reports whether segment u-v touches an edge of the area.
func (a *Area) segmentTouches(u, v Position) bool {
	touch := false
	a.grid.eachCell(u, v, func(k int) {
		c := &a.grid.cells[k]
		for _, e := range a.grid.edges[c.first : c.first+c.n] {
			if !touch && segmentsTouch(u, v, a.edges[e][0], a.edges[e][1]) {
				touch = true
			}
		}
	})
	return touch
}

// ValidateLine checks a reference line: two or more positions, each valid,
// no segment crossing the antimeridian uncut (checkAntimeridian), and no
// two segments crossing or touching except neighbours at their shared
// position (the first and last segments are neighbours when the line is
// closed). Repeated consecutive positions are allowed. Errors name field.
func ValidateLine(ps []Position, field string) error {
	for i, p := range ps {
		if err := checkPosition(p, fmt.Sprintf("%s[%d]", field, i)); err != nil {
			return err
		}
	}
	if err := checkAntimeridian(ps, field); err != nil {
		return err
	}
	// Drop repeated positions, remembering where each kept one came from.
	var pts []Position
	var at []int
	for i, p := range ps {
		if len(pts) == 0 || pts[len(pts)-1] != p {
			pts, at = append(pts, p), append(at, i)
		}
	}
	if len(pts) < 2 {
		return ledger.Invalid(field, "a line needs at least two distinct positions")
	}
	closed := len(pts) > 3 && pts[0] == pts[len(pts)-1]
	n := len(pts) - 1 // segments
	// Neighbours doubling back along themselves share more than a position.
	for i := 1; i < n; i++ {
		if doublesBack(pts[i-1], pts[i], pts[i+1]) {
			return ledger.Invalid(fmt.Sprintf("%s[%d]", field, at[i]), "the line doubles back on itself here")
		}
	}
	if closed && doublesBack(pts[n-1], pts[0], pts[1]) {
		return ledger.Invalid(fmt.Sprintf("%s[%d]", field, at[0]), "the line doubles back on itself here")
	}
	type edge struct {
		i          int
		minX, maxX float64
	}
	es := make([]edge, n)
	for i := range n {
		a, b := pts[i], pts[i+1]
		es[i] = edge{i, math.Min(a[0], b[0]), math.Max(a[0], b[0])}
	}
	sort.Slice(es, func(x, y int) bool { return es[x].minX < es[y].minX })
	for x := range n {
		for y := x + 1; y < n && es[y].minX <= es[x].maxX; y++ {
			i, j := es[x].i, es[y].i
			if i > j {
				i, j = j, i
			}
			if j == i+1 || (closed && i == 0 && j == n-1) {
				continue
			}
			if segmentsTouch(pts[i], pts[i+1], pts[j], pts[j+1]) {
				return ledger.Invalid(field, "line crosses itself between segments %d and %d (starting at positions %d and %d)", i, j, at[i], at[j])
			}
		}
	}
	return nil
}

// doublesBack reports whether a-b-c turns back along a-b.
func doublesBack(a, b, c Position) bool {
	return orient(a, b, c) == 0 && (b[0]-a[0])*(c[0]-b[0])+(b[1]-a[1])*(c[1]-b[1]) < 0
}
