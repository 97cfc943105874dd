// Package geo reads and checks the geometry of the centre's records: GeoJSON
// (RFC 7946) in WGS84 longitude/latitude.
package geo

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"truce/ledger"
)

// MaxVertices bounds one incident geometry. A report locates an event; it is
// not a map layer, and a bound keeps validation and storage cheap.
const MaxVertices = 5000

// Geometry is a GeoJSON geometry object. Coordinates keep their original
// JSON so that what was reported is what is shown.
type Geometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// BBox is [west, south, east, north] in degrees.
type BBox [4]float64

// Intersects reports whether two boxes overlap (edges included).
func (b BBox) Intersects(o BBox) bool {
	return b[0] <= o[2] && o[0] <= b[2] && b[1] <= o[3] && o[1] <= b[3]
}

// Contains reports whether the point lies in the box.
func (b BBox) Contains(lon, lat float64) bool {
	return lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]
}

// Position is a longitude, latitude pair.
type Position [2]float64

// Validate checks g as RFC 7946 requires and returns its bounding box.
// Errors name the offending path under "coordinates".
func (g Geometry) Validate() (BBox, error) {
	s, err := g.shape()
	if err != nil {
		return BBox{}, err
	}
	return s.box, nil
}

// shape decodes and checks g (at most MaxVertices positions), without the
// checks of arcs that only ParseShape needs.
func (g Geometry) shape() (Shape, error) {
	if len(g.Coordinates) == 0 || string(g.Coordinates) == "null" {
		return Shape{}, ledger.Invalid("coordinates", "are required")
	}
	s := Shape{typ: g.Type}
	switch g.Type {
	case "Point":
		p, err := DecodePosition(g.Coordinates)
		if err != nil {
			return Shape{}, err
		}
		s.points = []Position{p}
	case "MultiPoint":
		ps, err := DecodePositions(g.Coordinates, MaxVertices)
		if err != nil {
			return Shape{}, err
		}
		if len(ps) == 0 {
			return Shape{}, ledger.Invalid("coordinates", "MultiPoint needs at least one point")
		}
		s.points = ps
	case "LineString":
		l, err := DecodePositions(g.Coordinates, MaxVertices)
		if err != nil {
			return Shape{}, err
		}
		if len(l) < 2 {
			return Shape{}, ledger.Invalid("coordinates", "a line needs at least two positions")
		}
		if err := checkAntimeridian(l, "coordinates"); err != nil {
			return Shape{}, err
		}
		s.lines = [][]Position{l}
	case "MultiLineString":
		ls, err := DecodeLines(g.Coordinates, MaxVertices)
		if err != nil {
			return Shape{}, err
		}
		if len(ls) == 0 {
			return Shape{}, ledger.Invalid("coordinates", "MultiLineString needs at least one line")
		}
		for i, l := range ls {
			if len(l) < 2 {
				return Shape{}, ledger.Invalid(fmt.Sprintf("coordinates[%d]", i), "a line needs at least two positions")
			}
			if err := checkAntimeridian(l, fmt.Sprintf("coordinates[%d]", i)); err != nil {
				return Shape{}, err
			}
		}
		s.lines = ls
	case "Polygon":
		rings, err := DecodeLines(g.Coordinates, MaxVertices)
		if err != nil {
			return Shape{}, err
		}
		if err := checkPolygon(rings, "coordinates"); err != nil {
			return Shape{}, err
		}
		s.addPolygon(rings)
	case "MultiPolygon":
		polys, err := DecodePolygons(g.Coordinates, MaxVertices)
		if err != nil {
			return Shape{}, err
		}
		if len(polys) == 0 {
			return Shape{}, ledger.Invalid("coordinates", "MultiPolygon needs at least one polygon")
		}
		for i, p := range polys {
			if err := checkPolygon(p, fmt.Sprintf("coordinates[%d]", i)); err != nil {
				return Shape{}, err
			}
			s.addPolygon(p)
		}
	default:
		return Shape{}, ledger.Invalid("type", "unknown geometry type %q; one of Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon", g.Type)
	}
	s.box = BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, l := range append([][]Position{s.points}, s.lines...) {
		for _, p := range l {
			s.box[0], s.box[1] = math.Min(s.box[0], p[0]), math.Min(s.box[1], p[1])
			s.box[2], s.box[3] = math.Max(s.box[2], p[0]), math.Max(s.box[3], p[1])
		}
	}
	return s, nil
}

// checkPolygon checks the rings of a polygon whose positions are valid:
// at least one, each closed, of four or more positions, not crossing the
// antimeridian uncut, not crossing itself.
func checkPolygon(rings [][]Position, path string) error {
	if len(rings) == 0 {
		return ledger.Invalid(path, "a polygon needs an exterior ring")
	}
	for i, ps := range rings {
		rp := fmt.Sprintf("%s[%d]", path, i)
		if len(ps) < 4 {
			return ledger.Invalid(rp, "a linear ring needs at least four positions")
		}
		if ps[0] != ps[len(ps)-1] {
			return ledger.Invalid(rp, "ring is not closed: the last position must equal the first")
		}
		if err := checkAntimeridian(ps, rp); err != nil {
			return err
		}
		if a, b, ok := selfIntersection(ps); ok {
			return ledger.Invalid(rp, "ring crosses itself between edges %d and %d", a, b)
		}
	}
	return nil
}

// selfIntersection finds two non-adjacent edges of a closed ring that touch
// or cross. Edges are swept by west edge so that the common case is close to
// linear.
func selfIntersection(ps []Position) (int, int, bool) {
	n := len(ps) - 1 // number of edges
	type edge struct {
		i          int
		minX, maxX float64
	}
	es := make([]edge, n)
	for i := 0; i < n; i++ {
		a, b := ps[i], ps[i+1]
		es[i] = edge{i, math.Min(a[0], b[0]), math.Max(a[0], b[0])}
	}
	sort.Slice(es, func(x, y int) bool { return es[x].minX < es[y].minX })
	for x := 0; x < n; x++ {
		for y := x + 1; y < n && es[y].minX <= es[x].maxX; y++ {
			i, j := es[x].i, es[y].i
			if i > j {
				i, j = j, i
			}
			if j == i+1 || (i == 0 && j == n-1) {
				continue // neighbours share a vertex
			}
			if segmentsTouch(ps[i], ps[i+1], ps[j], ps[j+1]) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

func orient(a, b, c Position) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func onSegment(a, b, p Position) bool {
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

func segmentsTouch(p1, p2, q1, q2 Position) bool {
	d1, d2 := orient(q1, q2, p1), orient(q1, q2, p2)
	d3, d4 := orient(p1, p2, q1), orient(p1, p2, q2)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && onSegment(q1, q2, p1)) || (d2 == 0 && onSegment(q1, q2, p2)) ||
		(d3 == 0 && onSegment(p1, p2, q1)) || (d4 == 0 && onSegment(p1, p2, q2))
}
