package geo

import (
	"fmt"
	"math"
	"sort"

	"truce/ledger"
)

// Area indexes polygons (an occupied area, a zone) for containment, with
// edges straight in longitude/latitude (RFC 7946; PostGIS geometry).
//
// A grid over the area's box keeps, per cell, the edges that touch the cell
// and a reference point r inside it, chosen away from those edges, with
// whether r is inside the area. A query point p in the cell is inside iff r
// is, XOR the segment r→p crosses an odd number of the cell's edges: the
// segment stays in the cell, so no other edge can cross it.
type Area struct {
	edges    [][2]Position
	polygons [][][]Position // as given, for testing shapes against them
	boundary *Lines
	box      BBox
	grid     areaGrid
}

type areaGrid struct {
	west, south, step float64
	cols, rows        int
	cells             []areaCell
	edges             []int32 // cells' edge lists, end to end
}

type areaCell struct {
	first, n int32    // edges[first : first+n]
	ref      Position // reference point
	inside   bool     // whether ref is inside
}

const (
	areaGridStep    = 0.02 // degrees; the boundary then crosses about two edges per cell
	areaGridMaxCell = 1 << 21
)

// NewArea indexes polygons: each is rings, ring 0 the exterior and the
// others holes, every ring closed (last position equal to the first) and not
// crossing itself. Polygons must not overlap one another: containment counts
// boundaries crossed, so an overlap counts as outside. Errors name the
// offending position as coordinates[polygon][ring][position].
func NewArea(polygons [][][]Position) (*Area, error) {
	if len(polygons) == 0 {
		return nil, ledger.Invalid("coordinates", "at least one polygon is required")
	}
	a := &Area{polygons: polygons, box: BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}}
	var rings [][]Position
	for i, poly := range polygons {
		if len(poly) == 0 {
			return nil, ledger.Invalid(fmt.Sprintf("coordinates[%d]", i), "a polygon needs an exterior ring")
		}
		for r, ring := range poly {
			path := fmt.Sprintf("coordinates[%d][%d]", i, r)
			if err := checkRing(ring, path); err != nil {
				return nil, err
			}
			for j := 1; j < len(ring); j++ {
				a.edges = append(a.edges, [2]Position{ring[j-1], ring[j]})
			}
			for _, p := range ring {
				a.box[0], a.box[1] = math.Min(a.box[0], p[0]), math.Min(a.box[1], p[1])
				a.box[2], a.box[3] = math.Max(a.box[2], p[0]), math.Max(a.box[3], p[1])
			}
			rings = append(rings, ring)
		}
	}
	var err error
	if a.boundary, err = NewLines(rings); err != nil {
		return nil, err // cannot happen: the rings passed checkRing
	}
	a.buildGrid()
	return a, nil
}

func checkRing(ring []Position, path string) error {
	for j, p := range ring {
		if err := checkPosition(p, fmt.Sprintf("%s[%d]", path, j)); err != nil {
			return err
		}
	}
	if len(ring) < 4 {
		return ledger.Invalid(path, "a linear ring needs at least four positions")
	}
	if ring[0] != ring[len(ring)-1] {
		return ledger.Invalid(path, "ring is not closed: the last position must equal the first")
	}
	if err := checkAntimeridian(ring, path); err != nil {
		return err
	}
	if i, j, ok := selfIntersection(ring); ok {
		return ledger.Invalid(path, "ring crosses itself between edges %d and %d", i, j)
	}
	return nil
}

// Boundary returns the area's rings as lines, for distances to its edge.
func (a *Area) Boundary() *Lines { return a.boundary }

// BBox returns the area's bounding box.
func (a *Area) BBox() BBox { return a.box }

// Contains reports whether p is inside the area; a point on its boundary is
// not (ST_Contains).
func (a *Area) Contains(p Position) bool { return a.locate(p) == inside }

type location int8

const (
	outside location = iota
	onBoundary
	inside
)

func (a *Area) locate(p Position) location {
	k, ok := a.grid.cell(p)
	if !ok {
		return outside
	}
	c := &a.grid.cells[k]
	in := c.inside
	r := c.ref
	for _, e := range a.grid.edges[c.first : c.first+c.n] {
		u, v := a.edges[e][0], a.edges[e][1]
		op := orient(u, v, p)
		if op == 0 && onSegment(u, v, p) {
			return onBoundary
		}
		// u and v on opposite sides of the line r-p, a vertex on it counting
		// as on the left so that a path through a vertex counts once; and r
		// and p on opposite sides of the edge.
		if (orient(r, p, u) >= 0) != (orient(r, p, v) >= 0) && (op > 0) != (orient(u, v, r) > 0) {
			in = !in
		}
	}
	if in {
		return inside
	}
	return outside
}

func (g *areaGrid) cell(p Position) (int, bool) {
	x := (p[0] - g.west) / g.step
	y := (p[1] - g.south) / g.step
	if !(x >= 0 && y >= 0) {
		return 0, false
	}
	c, r := int(x), int(y)
	if c >= g.cols || r >= g.rows {
		return 0, false
	}
	return r*g.cols + c, true
}

// cellBox returns cell (c, r)'s edges.
func (g *areaGrid) cellBox(c, r int) BBox {
	w, s := g.west+float64(c)*g.step, g.south+float64(r)*g.step
	return BBox{w, s, w + g.step, s + g.step}
}

func (a *Area) buildGrid() {
	g := &a.grid
	w, h := a.box[2]-a.box[0], a.box[3]-a.box[1]
	g.step = math.Max(areaGridStep, math.Sqrt(w*h/areaGridMaxCell))
	g.west, g.south = a.box[0], a.box[1]
	// The east and north edges of the box must fall inside the last cells.
	g.cols = int(w/g.step) + 1
	g.rows = int(h/g.step) + 1
	g.cells = make([]areaCell, g.cols*g.rows)

	// Edge lists, in two passes: count, then fill.
	for e := range a.edges {
		g.eachCell(a.edges[e][0], a.edges[e][1], func(k int) { g.cells[k].n++ })
	}
	var total int32
	for k := range g.cells {
		g.cells[k].first = total
		total += g.cells[k].n
		g.cells[k].n = 0
	}
	g.edges = make([]int32, total)
	for e := range a.edges {
		g.eachCell(a.edges[e][0], a.edges[e][1], func(k int) {
			c := &g.cells[k]
			g.edges[c.first+c.n] = int32(e)
			c.n++
		})
	}

	// Reference points and whether they are inside, a row at a time: a ray
	// east from the row's centre line crosses the edges at xs.
	var xs []float64
	for r := range g.rows {
		y := g.south + (float64(r)+0.5)*g.step
		xs = xs[:0]
		for _, e := range a.edges {
			u, v := e[0], e[1]
			if (u[1] > y) != (v[1] > y) {
				xs = append(xs, u[0]+(y-u[1])*(v[0]-u[0])/(v[1]-u[1]))
			}
		}
		sort.Float64s(xs)
		for c := range g.cols {
			cell := &g.cells[r*g.cols+c]
			cell.ref = Position{g.west + (float64(c)+0.5)*g.step, y}
			if cell.n > 0 && !a.clearOfEdges(cell, cell.ref) {
				a.moveRef(cell, g.cellBox(c, r))
				continue
			}
			east := len(xs) - sort.SearchFloat64s(xs, math.Nextafter(cell.ref[0], math.Inf(1)))
			cell.inside = east%2 == 1
		}
	}
}

// eachCell calls fn for every cell the segment u-v touches (or nearly
// touches: the test is widened by a hair so that rounding cannot drop one).
func (g *areaGrid) eachCell(u, v Position, fn func(k int)) {
	eps := g.step * 1e-9
	lo, hi := math.Min(u[1], v[1]), math.Max(u[1], v[1])
	r0 := max(0, int((lo-eps-g.south)/g.step))
	r1 := min(g.rows-1, int((hi+eps-g.south)/g.step))
	for r := r0; r <= r1; r++ {
		s := g.south + float64(r)*g.step
		// The part of the segment within the row's latitudes.
		x0, x1 := u[0], v[0]
		if dy := v[1] - u[1]; dy != 0 {
			t0 := (s - eps - u[1]) / dy
			t1 := (s + g.step + eps - u[1]) / dy
			if t0 > t1 {
				t0, t1 = t1, t0
			}
			t0, t1 = math.Max(0, t0), math.Min(1, t1)
			if t0 > t1 {
				continue
			}
			x0, x1 = u[0]+t0*(v[0]-u[0]), u[0]+t1*(v[0]-u[0])
		}
		if x0 > x1 {
			x0, x1 = x1, x0
		}
		c0 := max(0, int((x0-eps-g.west)/g.step))
		c1 := min(g.cols-1, int((x1+eps-g.west)/g.step))
		for c := c0; c <= c1; c++ {
			fn(r*g.cols + c)
		}
	}
}

// clearOfEdges reports whether ref is far enough from every edge of the cell
// for the orientation tests against it to be exact in sign.
func (a *Area) clearOfEdges(c *areaCell, ref Position) bool {
	minD := a.grid.step * 1e-9
	for _, e := range a.grid.edges[c.first : c.first+c.n] {
		if planarSegmentDistance(a.edges[e][0], a.edges[e][1], ref) <= minD {
			return false
		}
	}
	return true
}

// moveRef picks another reference point for a cell whose centre lies on (or
// within a hair of) an edge, and decides it by a ray over all edges.
func (a *Area) moveRef(c *areaCell, box BBox) {
	// Irrational fractions of the cell: lattice-aligned data will not hit them.
	fr := [][2]float64{{0.3183098861837907, 0.2718281828459045}, {0.7071067811865476, 0.3819660112501051}, {0.1618033988749895, 0.6931471805599453}, {0.5772156649015329, 0.8414709848078965}}
	for _, f := range fr {
		ref := Position{box[0] + f[0]*(box[2]-box[0]), box[1] + f[1]*(box[3]-box[1])}
		if a.clearOfEdges(c, ref) {
			c.ref, c.inside = ref, a.rayInside(ref)
			return
		}
	}
	// Four misses means edges packed closer than a billionth of a cell:
	// search a fine lattice.
	for i := 1; i < 1000; i++ {
		ref := Position{box[0] + math.Mod(float64(i)*0.6180339887498949, 1)*(box[2]-box[0]), box[1] + math.Mod(float64(i)*0.7548776662466927, 1)*(box[3]-box[1])}
		if a.clearOfEdges(c, ref) {
			c.ref, c.inside = ref, a.rayInside(ref)
			return
		}
	}
	panic("geo: no reference point clear of the edges in a grid cell")
}

// rayInside is the plain crossing-number test over all edges.
func (a *Area) rayInside(p Position) bool {
	in := false
	for _, e := range a.edges {
		u, v := e[0], e[1]
		if (u[1] > p[1]) != (v[1] > p[1]) && p[0] < u[0]+(p[1]-u[1])*(v[0]-u[0])/(v[1]-u[1]) {
			in = !in
		}
	}
	return in
}

// planarSegmentDistance is the distance in degrees from p to segment u-v in
// the plane of longitude and latitude.
func planarSegmentDistance(u, v, p Position) float64 {
	dx, dy := v[0]-u[0], v[1]-u[1]
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, ((p[0]-u[0])*dx+(p[1]-u[1])*dy)/l2))
	}
	return math.Hypot(p[0]-(u[0]+t*dx), p[1]-(u[1]+t*dy))
}
