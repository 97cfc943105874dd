// Package geo reads and checks the geometry of the centre's records: GeoJSON
// (RFC 7946) in WGS84 longitude/latitude.
package geo

import (
	"bytes"
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

// Validate checks g as RFC 7946 requires and returns its bounding box and
// its vertices. Errors name the offending path under "coordinates".
func (g Geometry) Validate() (BBox, error) {
	if len(g.Coordinates) == 0 || string(g.Coordinates) == "null" {
		return BBox{}, ledger.Invalid("coordinates", "are required")
	}
	v := &validator{box: BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}}
	var err error
	switch g.Type {
	case "Point":
		var c []float64
		if err = unmarshal(g.Coordinates, &c); err == nil {
			_, err = v.position(c, "coordinates")
		}
	case "MultiPoint":
		var c [][]float64
		if err = unmarshal(g.Coordinates, &c); err == nil {
			if len(c) == 0 {
				return BBox{}, ledger.Invalid("coordinates", "MultiPoint needs at least one point")
			}
			_, err = v.positions(c, "coordinates")
		}
	case "LineString":
		var c [][]float64
		if err = unmarshal(g.Coordinates, &c); err == nil {
			err = v.line(c, "coordinates")
		}
	case "MultiLineString":
		var c [][][]float64
		if err = unmarshal(g.Coordinates, &c); err == nil {
			if len(c) == 0 {
				return BBox{}, ledger.Invalid("coordinates", "MultiLineString needs at least one line")
			}
			for i, l := range c {
				if err = v.line(l, fmt.Sprintf("coordinates[%d]", i)); err != nil {
					break
				}
			}
		}
	case "Polygon":
		var c [][][]float64
		if err = unmarshal(g.Coordinates, &c); err == nil {
			err = v.polygon(c, "coordinates")
		}
	case "MultiPolygon":
		var c [][][][]float64
		if err = unmarshal(g.Coordinates, &c); err == nil {
			if len(c) == 0 {
				return BBox{}, ledger.Invalid("coordinates", "MultiPolygon needs at least one polygon")
			}
			for i, p := range c {
				if err = v.polygon(p, fmt.Sprintf("coordinates[%d]", i)); err != nil {
					break
				}
			}
		}
	default:
		return BBox{}, ledger.Invalid("type", "unknown geometry type %q; one of Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon", g.Type)
	}
	if err != nil {
		return BBox{}, err
	}
	return v.box, nil
}

func unmarshal(raw json.RawMessage, dst any) error {
	// encoding/json decodes null into a number as no change, which would
	// make [null, null] the point 0, 0.
	if path, found := nullAt(raw); found {
		return ledger.Invalid(path, "is null; a coordinate is a number")
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			return ledger.Invalid("coordinates", "nesting does not match the geometry type (found %s where %s belongs)", te.Value, te.Type)
		}
		return ledger.Invalid("coordinates", "%v", err)
	}
	return nil
}

// nullAt finds the first null in nested coordinate arrays and gives its
// path, such as coordinates[0][1].
func nullAt(raw json.RawMessage) (string, bool) {
	if !bytes.Contains(raw, []byte("null")) {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var index []int // in each open array, the index of the latest element
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false // malformed: json.Unmarshal says how
		}
		if d, ok := tok.(json.Delim); ok && d == ']' {
			index = index[:len(index)-1]
			continue
		}
		if len(index) > 0 {
			index[len(index)-1]++
		}
		if d, ok := tok.(json.Delim); ok && d == '[' {
			index = append(index, -1)
			continue
		}
		if tok == nil {
			path := "coordinates"
			for _, i := range index {
				path += fmt.Sprintf("[%d]", i)
			}
			return path, true
		}
	}
}

type validator struct {
	box      BBox
	vertices int
}

func (v *validator) position(c []float64, path string) (Position, error) {
	if len(c) < 2 || len(c) > 3 {
		return Position{}, ledger.Invalid(path, "a position is [longitude, latitude] or [longitude, latitude, altitude]")
	}
	for i, x := range c {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Position{}, ledger.Invalid(fmt.Sprintf("%s[%d]", path, i), "is not a finite number")
		}
	}
	lon, lat := c[0], c[1]
	if lon < -180 || lon > 180 {
		return Position{}, ledger.Invalid(path+"[0]", "longitude %g outside [-180, 180]", lon)
	}
	if lat < -90 || lat > 90 {
		return Position{}, ledger.Invalid(path+"[1]", "latitude %g outside [-90, 90]", lat)
	}
	v.vertices++
	if v.vertices > MaxVertices {
		return Position{}, ledger.Invalid("coordinates", "more than %d vertices", MaxVertices)
	}
	v.box[0] = math.Min(v.box[0], lon)
	v.box[1] = math.Min(v.box[1], lat)
	v.box[2] = math.Max(v.box[2], lon)
	v.box[3] = math.Max(v.box[3], lat)
	return Position{lon, lat}, nil
}

func (v *validator) positions(cs [][]float64, path string) ([]Position, error) {
	if len(cs) > MaxVertices {
		return nil, ledger.Invalid("coordinates", "more than %d vertices", MaxVertices)
	}
	out := make([]Position, len(cs))
	for i, c := range cs {
		p, err := v.position(c, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

func (v *validator) line(cs [][]float64, path string) error {
	if len(cs) < 2 {
		return ledger.Invalid(path, "a line needs at least two positions")
	}
	_, err := v.positions(cs, path)
	return err
}

func (v *validator) polygon(rings [][][]float64, path string) error {
	if len(rings) == 0 {
		return ledger.Invalid(path, "a polygon needs an exterior ring")
	}
	for i, r := range rings {
		rp := fmt.Sprintf("%s[%d]", path, i)
		ps, err := v.positions(r, rp)
		if err != nil {
			return err
		}
		if len(ps) < 4 {
			return ledger.Invalid(rp, "a linear ring needs at least four positions")
		}
		if ps[0] != ps[len(ps)-1] {
			return ledger.Invalid(rp, "ring is not closed: the last position must equal the first")
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
