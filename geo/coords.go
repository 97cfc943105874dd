package geo

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"truce/ledger"
)

// The centre's one decoder of GeoJSON coordinates. Incident geometry
// (Geometry.Validate, ParseShape), an agreement's lines and areas, and the
// frontline files all read positions through it, so that they accept and
// refuse the same things.
//
// encoding/json decodes null into a number as no change, so [null, null]
// unmarshalled into []float64 is the point 0, 0, and a null position or
// ring is an empty one. This decoder reads the JSON itself and refuses null
// at any depth, anything but arrays and numbers, positions of other than
// two or three numbers, numbers beyond float64, and longitudes outside
// [-180, 180] or latitudes outside [-90, 90]. Errors are ledger.FieldErrors
// under "coordinates":
//   - a null, a number out of range or a position of the wrong length is
//     named by its own path, such as coordinates[3][1];
//   - wrong nesting, a string, an object or a boolean are reported at
//     "coordinates", the reason naming the offending element's path;
//   - malformed JSON is reported at "coordinates";
//   - more than max positions (max > 0) is reported at "coordinates".
//
// Altitudes are read, checked to be finite, and dropped.

// DecodePosition decodes the coordinates of a Point: [longitude, latitude]
// or [longitude, latitude, altitude].
func DecodePosition(raw json.RawMessage) (Position, error) {
	return decodeCoords(raw, 0, (*coordDecoder).position)
}

// DecodePositions decodes an array of positions: the coordinates of a
// MultiPoint or a LineString, or one linear ring. It refuses more than max
// positions (no limit when max <= 0).
func DecodePositions(raw json.RawMessage, max int) ([]Position, error) {
	return decodeCoords(raw, max, (*coordDecoder).positions)
}

// DecodeLines decodes an array of arrays of positions: the coordinates of a
// MultiLineString, or a Polygon's rings. It refuses more than max positions
// in all (no limit when max <= 0).
func DecodeLines(raw json.RawMessage, max int) ([][]Position, error) {
	return decodeCoords(raw, max, (*coordDecoder).lines)
}

// DecodePolygons decodes the coordinates of a MultiPolygon: polygons, each
// an array of rings. It refuses more than max positions in all (no limit
// when max <= 0).
func DecodePolygons(raw json.RawMessage, max int) ([][][]Position, error) {
	return decodeCoords(raw, max, (*coordDecoder).polygons)
}

// coordDecoder reads nested coordinate arrays from JSON text.
type coordDecoder struct {
	data     []byte
	off      int
	index    []int // in each open array, the index of the current element
	vertices int
	max      int
}

func decodeCoords[T any](raw json.RawMessage, max int, read func(*coordDecoder) (T, error)) (T, error) {
	var zero T
	d := &coordDecoder{data: raw, max: max, index: make([]int, 0, 4)}
	d.space()
	if d.off == len(d.data) {
		return zero, ledger.Invalid("coordinates", "are required")
	}
	v, err := read(d)
	if err != nil {
		return zero, err
	}
	d.space()
	if d.off < len(d.data) {
		return zero, d.syntax("after the coordinates")
	}
	return v, nil
}

// path names the current element, such as coordinates[0][3].
func (d *coordDecoder) path() string { return d.pathAt(len(d.index)) }

// pathAt names the element at depth (0: the coordinates themselves).
func (d *coordDecoder) pathAt(depth int) string {
	b := []byte("coordinates")
	for _, i := range d.index[:depth] {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ']')
	}
	return string(b)
}

func (d *coordDecoder) space() {
	for d.off < len(d.data) {
		switch d.data[d.off] {
		case ' ', '\t', '\n', '\r':
			d.off++
		default:
			return
		}
	}
}

func (d *coordDecoder) syntax(where string) error {
	if d.off >= len(d.data) {
		return ledger.Invalid("coordinates", "are not valid JSON: unexpected end %s", where)
	}
	return ledger.Invalid("coordinates", "are not valid JSON: unexpected %q at byte %d %s", d.data[d.off], d.off, where)
}

// literal consumes word (null, true, false) or reports malformed JSON.
func (d *coordDecoder) literal(word string) error {
	if len(d.data)-d.off < len(word) || string(d.data[d.off:d.off+len(word)]) != word {
		return d.syntax("in a literal")
	}
	d.off += len(word)
	return nil
}

// expect checks that the value starting at d.off is an array (array) or a
// number (!array); want says what belongs there, for the error.
func (d *coordDecoder) expect(array bool, want string) error {
	if d.off >= len(d.data) {
		return d.syntax("where a value belongs")
	}
	var found string
	switch c := d.data[d.off]; {
	case c == '[':
		if array {
			return nil
		}
		found = "an array"
	case c == '-' || '0' <= c && c <= '9':
		if !array {
			return nil
		}
		found = "a number"
	case c == 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		if len(d.index) == 0 {
			return ledger.Invalid("coordinates", "are required")
		}
		return ledger.Invalid(d.path(), "is null; a coordinate is a number")
	case c == 't':
		if err := d.literal("true"); err != nil {
			return err
		}
		found = "true"
	case c == 'f':
		if err := d.literal("false"); err != nil {
			return err
		}
		found = "false"
	case c == '"':
		found = "a string"
	case c == '{':
		found = "an object"
	default:
		return d.syntax("where a value belongs")
	}
	return ledger.Invalid("coordinates", "nesting does not match the geometry type (found %s at %s where %s belongs)", found, d.path(), want)
}

// array reads an array, calling elem at the start of each element with
// d.index naming it.
func (d *coordDecoder) array(want string, elem func() error) error {
	d.space()
	if err := d.expect(true, want); err != nil {
		return err
	}
	d.off++
	d.space()
	if d.off < len(d.data) && d.data[d.off] == ']' {
		d.off++
		return nil
	}
	d.index = append(d.index, 0)
	for {
		if err := elem(); err != nil {
			return err
		}
		d.space()
		if d.off >= len(d.data) {
			return d.syntax("in an array")
		}
		switch d.data[d.off] {
		case ',':
			d.off++
			d.index[len(d.index)-1]++
			d.space()
		case ']':
			d.off++
			d.index = d.index[:len(d.index)-1]
			return nil
		default:
			return d.syntax("after an array element")
		}
	}
}

// number reads a JSON number. Beyond float64 it is ±Inf, which position
// refuses with the element's path.
func (d *coordDecoder) number() (float64, error) {
	d.space()
	if err := d.expect(false, "a number"); err != nil {
		return 0, err
	}
	start := d.off
	digits := func() bool {
		from := d.off
		for d.off < len(d.data) && '0' <= d.data[d.off] && d.data[d.off] <= '9' {
			d.off++
		}
		return d.off > from
	}
	if d.data[d.off] == '-' {
		d.off++
	}
	switch {
	case d.off < len(d.data) && d.data[d.off] == '0':
		d.off++
	case !digits():
		return 0, d.syntax("in a number")
	}
	if d.off < len(d.data) && d.data[d.off] == '.' {
		d.off++
		if !digits() {
			return 0, d.syntax("in a number")
		}
	}
	if d.off < len(d.data) && (d.data[d.off] == 'e' || d.data[d.off] == 'E') {
		d.off++
		if d.off < len(d.data) && (d.data[d.off] == '+' || d.data[d.off] == '-') {
			d.off++
		}
		if !digits() {
			return 0, d.syntax("in a number")
		}
	}
	v, err := strconv.ParseFloat(string(d.data[start:d.off]), 64)
	if err != nil && !math.IsInf(v, 0) {
		return 0, ledger.Invalid(d.path(), "%v", err) // cannot happen: the grammar is checked
	}
	return v, nil
}

func (d *coordDecoder) position() (Position, error) {
	const shape = "a position is [longitude, latitude] or [longitude, latitude, altitude]"
	depth := len(d.index) // d.index[:depth] names this position
	var c [3]float64
	n := 0
	err := d.array("a position", func() error {
		if n == len(c) {
			return ledger.Invalid(d.pathAt(depth), shape)
		}
		v, err := d.number()
		c[n] = v
		n++
		return err
	})
	if err != nil {
		return Position{}, err
	}
	if n < 2 {
		return Position{}, ledger.Invalid(d.pathAt(depth), shape)
	}
	for i, x := range c[:n] {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Position{}, ledger.Invalid(fmt.Sprintf("%s[%d]", d.pathAt(depth), i), "is not a finite number")
		}
	}
	if c[0] < -180 || c[0] > 180 {
		return Position{}, ledger.Invalid(d.pathAt(depth)+"[0]", "longitude %g outside [-180, 180]", c[0])
	}
	if c[1] < -90 || c[1] > 90 {
		return Position{}, ledger.Invalid(d.pathAt(depth)+"[1]", "latitude %g outside [-90, 90]", c[1])
	}
	d.vertices++
	if d.max > 0 && d.vertices > d.max {
		return Position{}, ledger.Invalid("coordinates", "more than %d vertices", d.max)
	}
	return Position{c[0], c[1]}, nil
}

func (d *coordDecoder) positions() ([]Position, error) {
	out := []Position{}
	err := d.array("an array of positions", func() error {
		p, err := d.position()
		out = append(out, p)
		return err
	})
	return out, err
}

func (d *coordDecoder) lines() ([][]Position, error) {
	out := [][]Position{}
	err := d.array("an array of lines or rings", func() error {
		l, err := d.positions()
		out = append(out, l)
		return err
	})
	return out, err
}

func (d *coordDecoder) polygons() ([][][]Position, error) {
	out := [][][]Position{}
	err := d.array("an array of polygons", func() error {
		p, err := d.lines()
		out = append(out, p)
		return err
	})
	return out, err
}
