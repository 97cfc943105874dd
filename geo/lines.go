package geo

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"truce/ledger"
)

// Lines indexes polylines (a line of contact, a reference line) for distance
// queries. Edges are great-circle arcs, as in PostGIS geography.
//
// Two structures answer a query. A tree of spherical caps over runs of
// consecutive segments finds the nearest segment anywhere in a few dozen
// steps. A longitude/latitude grid around the lines caches, per cell and on
// first use, the distance d0 from the cell's centre to the lines and the few
// segments that can be nearest to any point of the cell: those within
// d0 + 2h of the centre, h bounding the distance from the centre to the
// cell's corners. (If q is in the cell, its nearest segment s is within
// d0 + h of q, so within d0 + 2h of the centre.) A query in the grid then
// tests only those segments, or none when d0 - h already exceeds its limit.
type Lines struct {
	segs   []segment
	ends   [][2]Position // the segments' original end positions
	starts []Position    // each line's first position
	nodes  []capNode
	grid   lineGrid
}

type segment struct {
	a, b  vec3
	n     vec3 // unit normal of the great circle through a and b
	point bool // a and b coincide: the segment is a point
}

func newSegment(a, b vec3) segment {
	// (b+a)×(b-a) = 2a×b, with less cancellation for short segments.
	n := b.add(a).cross(b.sub(a)).scale(0.5)
	s := segment{a: a, b: b}
	if n.norm() < 1e-12 {
		s.point = true
		return s
	}
	s.n = n.unit()
	return s
}

// within reports whether p projects onto the great circle inside the arc:
// p·(n×a) ≥ 0 and p·(b×n) ≥ 0, which are a·(p×n) ≥ 0 and b·(p×n) ≤ 0. (The
// segment is kept small, three vectors, because queries are bound by memory.)
func (s *segment) within(p vec3) bool {
	w := p.cross(s.n)
	return !s.point && s.a.dot(w) >= 0 && s.b.dot(w) <= 0
}

// chord2 returns the squared chord from p to the nearest point of the arc.
func (s *segment) chord2(p vec3) float64 {
	if s.within(p) {
		t := p.dot(s.n)
		t2 := t * t
		if t2 > 1 {
			t2 = 1
		}
		// 2(1-cos θ) with sin θ = |t|, free of cancellation.
		return 2 * t2 / (1 + math.Sqrt(1-t2))
	}
	da, db := p.sub(s.a), p.sub(s.b)
	// Plain comparisons: math.Min's NaN and signed-zero care costs here.
	a2, b2 := da.dot(da), db.dot(db)
	if b2 < a2 {
		return b2
	}
	return a2
}

// nearest returns the point of the arc nearest p and whether it is an end
// (0 for a, 1 for b, -1 for inside).
func (s *segment) nearest(p vec3) (vec3, int) {
	if s.within(p) {
		q := p.sub(s.n.scale(p.dot(s.n)))
		if q.norm() > 1e-300 {
			return q.unit(), -1
		}
	}
	da, db := p.sub(s.a), p.sub(s.b)
	if da.dot(da) <= db.dot(db) {
		return s.a, 0
	}
	return s.b, 1
}

// NewLines indexes lines. Each needs two or more positions; the error names
// the offending one as coordinates[line][position].
func NewLines(lines [][]Position) (*Lines, error) {
	if len(lines) == 0 {
		return nil, ledger.Invalid("coordinates", "at least one line is required")
	}
	l := &Lines{}
	for i, line := range lines {
		path := fmt.Sprintf("coordinates[%d]", i)
		if len(line) < 2 {
			return nil, ledger.Invalid(path, "a line needs at least two positions")
		}
		for j, p := range line {
			if err := checkPosition(p, fmt.Sprintf("%s[%d]", path, j)); err != nil {
				return nil, err
			}
		}
		l.starts = append(l.starts, line[0])
		for j := 1; j < len(line); j++ {
			a, b := toVec(line[j-1]), toVec(line[j])
			if a.cross(b).norm() < 1e-9 && a.dot(b) < 0 {
				return nil, ledger.Invalid(fmt.Sprintf("%s[%d]", path, j), "is antipodal to the previous position: no single great circle joins them")
			}
			l.segs = append(l.segs, newSegment(a, b))
			l.ends = append(l.ends, [2]Position{line[j-1], line[j]})
		}
	}
	l.buildTree()
	l.grid = newLineGrid(lines)
	return l, nil
}

// checkPosition accepts a finite longitude in [-180, 180] and latitude in
// [-90, 90], naming the offending coordinate as Geometry.Validate does.
func checkPosition(p Position, path string) error {
	for i, x := range p {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ledger.Invalid(fmt.Sprintf("%s[%d]", path, i), "is not a finite number")
		}
	}
	if p[0] < -180 || p[0] > 180 {
		return ledger.Invalid(path+"[0]", "longitude %g outside [-180, 180]", p[0])
	}
	if p[1] < -90 || p[1] > 90 {
		return ledger.Invalid(path+"[1]", "latitude %g outside [-90, 90]", p[1])
	}
	return nil
}

// Distance returns the distance in metres from p to the nearest line, and
// ok=false (with +Inf) when that is farther than max. max <= 0 or +Inf means
// no limit.
func (l *Lines) Distance(p Position, max float64) (metres float64, ok bool) {
	bound := math.Inf(1)
	if max > 0 && !math.IsInf(max, 1) {
		bound = max / rMin
	}
	pv := toVec(p)
	i, found := l.nearest(p, pv, bound)
	if !found {
		return math.Inf(1), false
	}
	d := Distance(p, l.pointOn(i, pv))
	if !math.IsInf(bound, 1) && d > max {
		return math.Inf(1), false
	}
	return d, true
}

// Nearest returns the distance in metres from p to the nearest line and the
// point of the line it is measured to.
func (l *Lines) Nearest(p Position) (metres float64, at Position) {
	pv := toVec(p)
	i, _ := l.nearest(p, pv, math.Inf(1))
	at = l.pointOn(i, pv)
	return Distance(p, at), at
}

// pointOn returns the point of segment i nearest pv, as the original position
// when it is an end.
func (l *Lines) pointOn(i int, pv vec3) Position {
	q, end := l.segs[i].nearest(pv)
	if end >= 0 {
		return l.ends[i][end]
	}
	return q.position()
}

// nearest finds the segment nearest pv (which is p) on the sphere, if one is
// within bound (an angle).
func (l *Lines) nearest(p Position, pv vec3, bound float64) (seg int, ok bool) {
	k, h, in := l.grid.locate(p)
	if !in {
		i, _ := l.nearestTree(pv, bound)
		return i, i >= 0
	}
	c := l.cell(k, h)
	if c.d0-h > bound {
		return 0, false
	}
	// Candidates come nearest the centre first. Segment s is at least
	// angle(centre, s) - δ from p, δ the angle from the centre to p, so the
	// scan stops once that exceeds the best so far (or the bound).
	dc := pv.sub(c.centre)
	delta := chordAngleAbove(dc.dot(dc)) + 1e-12
	best, bestC2, stop := -1, math.Inf(1), bound
	for _, cd := range c.cand {
		if cd.angle()-delta > stop {
			break
		}
		if d := l.segs[cd.seg()].chord2(pv); d < bestC2 {
			best, bestC2 = int(cd.seg()), d
			stop = math.Min(stop, chordAngleAbove(d))
		}
	}
	return best, best >= 0 && chordAngle(bestC2) <= bound
}

// lowerF32 rounds x down to a float32.
func lowerF32(x float64) float32 {
	f := float32(x)
	if float64(f) > x {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

// chordAngleAbove bounds from above the angle of a squared chord, without
// trigonometry: 2·asin(c/2) ≤ c·(1 + c²/16) for c ≤ 1.
func chordAngleAbove(c2 float64) float64 {
	if c2 > 1 {
		return chordAngle(c2)
	}
	return math.Sqrt(c2) * (1 + c2/16)
}

// The tree: nodes over runs of consecutive segments, each with a cap (centre
// and angular radius) that holds every end of its segments. A cap narrower
// than a hemisphere is convex, so it holds the arcs too. Tests against a cap
// compare cosines, so that a search needs no trigonometry.

type capNode struct {
	c           vec3
	r           float64 // angular radius; π when the cap cannot prune
	cosR, sinR  float64
	lo, hi      int32 // segments [lo, hi)
	left, right int32 // children, -1 for a leaf
}

const leafSegments = 8

func (l *Lines) buildTree() {
	l.nodes = l.nodes[:0]
	l.buildNode(0, len(l.segs))
}

func (l *Lines) buildNode(lo, hi int) int32 {
	var sum vec3
	for i := lo; i < hi; i++ {
		sum = sum.add(l.segs[i].a).add(l.segs[i].b)
	}
	c := sum.unit()
	if c.norm() == 0 {
		c = l.segs[lo].a
	}
	r := 0.0
	for i := lo; i < hi; i++ {
		r = math.Max(r, math.Max(angle(c, l.segs[i].a), angle(c, l.segs[i].b)))
	}
	if r >= math.Pi/2 {
		r = math.Pi // not convex: no pruning
	}
	r = math.Min(math.Pi, r*(1+1e-12)+1e-12)
	k := int32(len(l.nodes))
	l.nodes = append(l.nodes, capNode{c: c, r: r, cosR: math.Cos(r), sinR: math.Sin(r), lo: int32(lo), hi: int32(hi), left: -1, right: -1})
	if hi-lo > leafSegments {
		mid := (lo + hi) / 2
		left := l.buildNode(lo, mid)
		right := l.buildNode(mid, hi)
		l.nodes[k].left, l.nodes[k].right = left, right
	}
	return k
}

// beyond reports whether every point of node nd's cap is farther than t (an
// angle, given as its cosine and sine) from pv: the angle from pv to the
// centre exceeds r + t.
func (nd *capNode) beyond(pv vec3, t, cosT, sinT float64) bool {
	if nd.r+t >= math.Pi {
		return false
	}
	// A margin in cosine keeps rounding on the side of not pruning.
	return pv.dot(nd.c) < nd.cosR*cosT-nd.sinR*sinT-1e-14
}

// nearestTree returns the segment nearest pv within bound (an angle) and its
// angle, or -1.
func (l *Lines) nearestTree(pv vec3, bound float64) (int, float64) {
	best, bestC2 := -1, math.Inf(1)
	t, cosT, sinT := bound, math.Cos(bound), math.Sin(bound)
	if bound >= math.Pi {
		t, cosT, sinT = math.Pi, -1, 0
	}
	var buf [64]int32
	stack := append(buf[:0], 0)
	for len(stack) > 0 {
		nd := &l.nodes[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		if nd.beyond(pv, t, cosT, sinT) {
			continue
		}
		if nd.left >= 0 {
			// Visit the child with the nearer centre first: push it last.
			a, b := nd.left, nd.right
			if pv.dot(l.nodes[a].c) > pv.dot(l.nodes[b].c) {
				a, b = b, a
			}
			stack = append(stack, a, b)
			continue
		}
		for i := nd.lo; i < nd.hi; i++ {
			if c2 := l.segs[i].chord2(pv); c2 < bestC2 {
				if a := chordAngle(c2); a <= bound {
					best, bestC2 = int(i), c2
					// cos θ = 1 - c²/2, sin θ = c·√(1 - c²/4)
					t, cosT, sinT = a, 1-c2/2, math.Sqrt(c2*(1-c2/4))
				}
			}
		}
	}
	if best < 0 {
		return -1, math.Inf(1)
	}
	return best, chordAngle(bestC2)
}

// A candidate packs the angle from a cell's centre to a segment, rounded down
// to a float32 (a lower bound), over the segment's index: sorting the
// integers sorts by angle, then index, and a cell's list is compact.
type candidate uint64

func newCandidate(angle float64, seg int32) candidate {
	return candidate(uint64(math.Float32bits(lowerF32(angle))))<<32 | candidate(uint32(seg))
}

func (c candidate) angle() float64 { return float64(math.Float32frombits(uint32(c >> 32))) }
func (c candidate) seg() int32     { return int32(uint32(c)) }

// The grid.

type lineGrid struct {
	west, south, step float64
	cols, rows        int
	h                 []float64 // per row: bound on the angle from a cell's centre to its points
	cells             []atomic.Pointer[lineCell]
}

type lineCell struct {
	centre vec3
	d0     float64     // angle from the centre to the nearest segment
	cand   []candidate // segments within d0 + 2h of the centre, nearest first
}

const (
	lineGridMargin  = 2.5     // degrees around the lines' box: beyond the distances queries ask about
	lineGridStep    = 0.05    // degrees; about 2 km
	lineGridMaxCell = 1 << 20 // cells; coarser steps beyond this
)

func newLineGrid(lines [][]Position) lineGrid {
	box := BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, line := range lines {
		for _, p := range line {
			box[0], box[1] = math.Min(box[0], p[0]), math.Min(box[1], p[1])
			box[2], box[3] = math.Max(box[2], p[0]), math.Max(box[3], p[1])
		}
	}
	g := lineGrid{
		west:  math.Max(-180, box[0]-lineGridMargin),
		south: math.Max(-90, box[1]-lineGridMargin),
	}
	east, north := math.Min(180, box[2]+lineGridMargin), math.Min(90, box[3]+lineGridMargin)
	w, ht := east-g.west, north-g.south
	g.step = math.Max(lineGridStep, math.Sqrt(w*ht/lineGridMaxCell))
	g.cols = max(1, int(math.Ceil(w/g.step)))
	g.rows = max(1, int(math.Ceil(ht/g.step)))
	g.h = make([]float64, g.rows)
	for r := range g.rows {
		lat0, lat1 := g.rowLats(r)
		c := toVec(Position{0, (lat0 + lat1) / 2})
		h := 0.0
		for _, lat := range []float64{lat0, lat1} {
			h = math.Max(h, angle(c, toVec(Position{g.step / 2, lat})))
		}
		g.h[r] = h*(1+1e-9) + 1e-12
	}
	g.cells = make([]atomic.Pointer[lineCell], g.cols*g.rows)
	return g
}

// locate returns p's cell and its h, if p is in the grid.
func (g *lineGrid) locate(p Position) (k int, h float64, ok bool) {
	x := (p[0] - g.west) / g.step
	y := (p[1] - g.south) / g.step
	if !(x >= 0 && y >= 0) {
		return 0, 0, false
	}
	c, r := int(x), int(y)
	if c >= g.cols || r >= g.rows {
		return 0, 0, false
	}
	return r*g.cols + c, g.h[r], true
}

// rowLats returns the south and north edges of row r.
func (g *lineGrid) rowLats(r int) (float64, float64) {
	lat0 := g.south + float64(r)*g.step
	return lat0, math.Min(90, lat0+g.step)
}

func (g *lineGrid) centre(k int) Position {
	c, r := k%g.cols, k/g.cols
	lat0, lat1 := g.rowLats(r)
	return Position{g.west + (float64(c)+0.5)*g.step, (lat0 + lat1) / 2}
}

// cell returns cell k, computing it on first use. Racing goroutines may both
// compute it; they get the same answer and the first stored wins.
func (l *Lines) cell(k int, h float64) *lineCell {
	if c := l.grid.cells[k].Load(); c != nil {
		return c
	}
	cv := toVec(l.grid.centre(k))
	d0, cand := l.nearSet(cv, 2*h+1e-12)
	c := &lineCell{centre: cv, d0: d0, cand: cand}
	if l.grid.cells[k].CompareAndSwap(nil, c) {
		return c
	}
	return l.grid.cells[k].Load()
}

// nearSet returns the angle d0 from pv to the nearest segment and every
// segment within d0 + slack of pv, nearest first: a nearest-neighbour search
// that keeps what falls within slack of the best so far. It works in squared
// chords, which order as angles do.
func (l *Lines) nearSet(pv vec3, slack float64) (float64, []candidate) {
	type near struct {
		c2  float64
		seg int32
	}
	var buf [256]near
	found := buf[:0]
	best := math.Inf(1)                 // squared chord
	t, cosT, sinT := math.Pi, -1.0, 0.0 // angle kept: best's + slack
	tC2 := 4.0
	var stackBuf [64]int32
	stack := append(stackBuf[:0], 0)
	for len(stack) > 0 {
		nd := &l.nodes[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		if nd.beyond(pv, t, cosT, sinT) {
			continue
		}
		if nd.left >= 0 {
			a, b := nd.left, nd.right
			if pv.dot(l.nodes[a].c) > pv.dot(l.nodes[b].c) {
				a, b = b, a
			}
			stack = append(stack, a, b)
			continue
		}
		for i := nd.lo; i < nd.hi; i++ {
			c2 := l.segs[i].chord2(pv)
			if c2 > tC2 {
				continue
			}
			found = append(found, near{c2, i})
			if c2 < best {
				best = c2
				if t = chordAngle(c2) + slack; t < math.Pi {
					cosT, sinT = math.Cos(t), math.Sin(t)
					s := 2 * math.Sin(t/2)
					tC2 = s * s * (1 + 1e-12)
				}
			}
		}
	}
	d0 := chordAngle(best)
	cand := make([]candidate, 0, len(found))
	for _, f := range found {
		if f.c2 <= tC2 {
			if a := chordAngle(f.c2); a <= d0+slack {
				cand = append(cand, newCandidate(a, f.seg))
			}
		}
	}
	slices.Sort(cand)
	return d0, cand
}
