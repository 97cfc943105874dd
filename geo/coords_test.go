package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"truce/ledger"
)

// decodeDepth runs the decoder for coordinates nested depth deep (1: a
// Point's, 4: a MultiPolygon's) and returns the result as a tree of []any
// with Position leaves.
func decodeDepth(depth int, raw []byte, max int) (any, error) {
	switch depth {
	case 1:
		p, err := DecodePosition(raw)
		if err != nil {
			return nil, err
		}
		return p, nil
	case 2:
		ps, err := DecodePositions(raw, max)
		if err != nil {
			return nil, err
		}
		return tree(ps), nil
	case 3:
		ls, err := DecodeLines(raw, max)
		if err != nil {
			return nil, err
		}
		return tree(ls), nil
	default:
		ps, err := DecodePolygons(raw, max)
		if err != nil {
			return nil, err
		}
		return tree(ps), nil
	}
}

// tree turns nested slices of positions into []any with Position leaves.
func tree(v any) any {
	rv := reflect.ValueOf(v)
	if p, ok := v.(Position); ok {
		return p
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = tree(rv.Index(i).Interface())
	}
	return out
}

func TestDecodeCoordinates(t *testing.T) {
	ok := []struct {
		depth int
		raw   string
		want  any
	}{
		{1, `[30.5,50.25]`, Position{30.5, 50.25}},
		{1, " \t\r\n[ 30.5 ,\n-5025e-2 , 1E2 ]\n", Position{30.5, -50.25}},
		{1, `[-0,0]`, Position{math.Copysign(0, -1), 0}},
		{1, `[1e-400,90]`, Position{0, 90}}, // underflow is 0, as encoding/json has it
		{1, `[-180,-90,-1e300]`, Position{-180, -90}},
		{2, `[]`, []any{}},
		{2, `[[30,48],[31,49,5]]`, []any{Position{30, 48}, Position{31, 49}}},
		{3, `[[],[[1,2],[3,4]]]`, []any{[]any{}, []any{Position{1, 2}, Position{3, 4}}}},
		{4, `[[[[1,2]]],[]]`, []any{[]any{[]any{Position{1, 2}}}, []any{}}},
	}
	for _, c := range ok {
		got, err := decodeDepth(c.depth, []byte(c.raw), 0)
		if err != nil || !reflect.DeepEqual(got, c.want) || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("depth %d %q: %v %v, want %v", c.depth, c.raw, got, err, c.want)
		}
	}
	bad := []struct {
		depth       int
		raw, field  string
		reason      string // a part of it
		vertexLimit int
	}{
		// null at every depth, named by its own path
		{1, `[null,null]`, "coordinates[0]", "is null", 0},
		{1, `[30,null]`, "coordinates[1]", "is null", 0},
		{1, `[30,48,null]`, "coordinates[2]", "is null", 0},
		{2, `[[0,0],null]`, "coordinates[1]", "is null", 0},
		{2, `[null]`, "coordinates[0]", "is null", 0},
		{2, `[[0,0],[null,1]]`, "coordinates[1][0]", "is null", 0},
		{2, `[[0,0],[1, null ]]`, "coordinates[1][1]", "is null", 0},
		{3, `[null]`, "coordinates[0]", "is null", 0},
		{3, `[[[0,0],[1,1]],null]`, "coordinates[1]", "is null", 0},
		{3, `[[[0,0],null]]`, "coordinates[0][1]", "is null", 0},
		{3, `[[[null,1],[0,0]]]`, "coordinates[0][0][0]", "is null", 0},
		{3, `[[[0,0],[1,1]],[[2,2],[3,null]]]`, "coordinates[1][1][1]", "is null", 0},
		{4, `[null]`, "coordinates[0]", "is null", 0},
		{4, `[[null]]`, "coordinates[0][0]", "is null", 0},
		{4, `[[[null]]]`, "coordinates[0][0][0]", "is null", 0},
		{4, `[[[[null,0]]]]`, "coordinates[0][0][0][0]", "is null", 0},
		{4, `[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,0],[1,1],[0,null]]]]`, "coordinates[1][0][3][1]", "is null", 0},
		// null or nothing in place of the coordinates
		{1, `null`, "coordinates", "required", 0},
		{2, ` null `, "coordinates", "required", 0},
		{4, ``, "coordinates", "required", 0},
		{3, "  \n", "coordinates", "required", 0},
		// positions
		{1, `[30]`, "coordinates", "a position is", 0},
		{1, `[]`, "coordinates", "a position is", 0},
		{1, `[30,48,1,2]`, "coordinates", "a position is", 0},
		{2, `[[30,48],[31]]`, "coordinates[1]", "a position is", 0},
		{3, `[[[30,48],[31,48,0,null]]]`, "coordinates[0][1]", "a position is", 0},
		{1, `[1e999,48]`, "coordinates[0]", "finite", 0},
		{1, `[30,48,-1e999]`, "coordinates[2]", "finite", 0},
		{1, `[180.000001,0]`, "coordinates[0]", "longitude", 0},
		{1, `[0,-91]`, "coordinates[1]", "latitude", 0},
		{2, `[[0,0],[0,0],[-200,5]]`, "coordinates[2][0]", "longitude", 0},
		// wrong nesting or not numbers: at the top, naming the element
		{1, `["30",48]`, "coordinates", "a string at coordinates[0] where a number", 0},
		{1, `[[30,48]]`, "coordinates", "an array at coordinates[0] where a number", 0},
		{1, `[true,48]`, "coordinates", "true at coordinates[0]", 0},
		{1, `{"lon":30}`, "coordinates", "an object at coordinates where a position", 0},
		{2, `[30,48]`, "coordinates", "a number at coordinates[0] where a position", 0},
		{3, `[[30,48]]`, "coordinates", "a number at coordinates[0][0] where a position", 0},
		{4, `[[[30,48]]]`, "coordinates", "a number at coordinates[0][0][0] where a position", 0},
		{2, `[[0,0],[1,{}]]`, "coordinates", "an object at coordinates[1][1]", 0},
		// malformed JSON
		{1, `[30,48`, "coordinates", "not valid JSON", 0},
		{1, `[30,48]]`, "coordinates", "not valid JSON", 0},
		{1, `[30,48]x`, "coordinates", "not valid JSON", 0},
		{1, `[30 48]`, "coordinates", "not valid JSON", 0},
		{1, `[30,48,]`, "coordinates", "not valid JSON", 0},
		{1, `[,30,48]`, "coordinates", "not valid JSON", 0},
		{1, `[01,2]`, "coordinates", "not valid JSON", 0},
		{1, `[+1,2]`, "coordinates", "not valid JSON", 0},
		{1, `[.5,2]`, "coordinates", "not valid JSON", 0},
		{1, `[1.,2]`, "coordinates", "not valid JSON", 0},
		{1, `[1e,2]`, "coordinates", "not valid JSON", 0},
		{1, `[-,2]`, "coordinates", "not valid JSON", 0},
		{1, `[0x1p3,2]`, "coordinates", "not valid JSON", 0},
		{1, `[NaN,2]`, "coordinates", "not valid JSON", 0},
		{1, `[Infinity,2]`, "coordinates", "not valid JSON", 0},
		{1, `[nul,2]`, "coordinates", "not valid JSON", 0},
		{1, `[1_000,2]`, "coordinates", "not valid JSON", 0},
		{1, "\ufeff[1,2]", "coordinates", "not valid JSON", 0},
		// the bound on vertices
		{2, `[[0,0],[1,1],[2,2]]`, "coordinates", "more than 2 vertices", 2},
		{3, `[[[0,0],[1,1]],[[2,2]]]`, "coordinates", "more than 2 vertices", 2},
		{4, `[[[[0,0],[1,1]]],[[[2,2]]]]`, "coordinates", "more than 2 vertices", 2},
	}
	for _, c := range bad {
		got, err := decodeDepth(c.depth, []byte(c.raw), c.vertexLimit)
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Reason, c.reason) {
			t.Errorf("depth %d %q: %v %v, want an error at %s (%s)", c.depth, c.raw, got, err, c.field, c.reason)
		}
	}
}

// Null at each depth of each geometry type is refused by Validate and
// ParseShape with its path.
func TestValidateNullAtEveryDepth(t *testing.T) {
	for _, c := range []struct{ typ, coords, field string }{
		{"Point", `[null,50]`, "coordinates[0]"},
		{"MultiPoint", `[[30,48],null]`, "coordinates[1]"},
		{"MultiPoint", `[[30,48],[31,null]]`, "coordinates[1][1]"},
		{"LineString", `[null,[30,48]]`, "coordinates[0]"},
		{"LineString", `[[30,48],[null,null]]`, "coordinates[1][0]"},
		{"MultiLineString", `[null]`, "coordinates[0]"},
		{"MultiLineString", `[[[30,48],[31,49]],[[30,48],null]]`, "coordinates[1][1]"},
		{"MultiLineString", `[[[30,48],[31,49]],[[30,48],[31,null]]]`, "coordinates[1][1][1]"},
		{"Polygon", `[null]`, "coordinates[0]"},
		{"Polygon", `[[[36,50],[37,50],null,[36,50]]]`, "coordinates[0][2]"},
		{"Polygon", `[[[null,1],[37,50],[37,51],[36,50]]]`, "coordinates[0][0][0]"},
		{"MultiPolygon", `[null]`, "coordinates[0]"},
		{"MultiPolygon", `[[null]]`, "coordinates[0][0]"},
		{"MultiPolygon", `[[[null]]]`, "coordinates[0][0][0]"},
		{"MultiPolygon", `[[[[36,50],[37,50],[37,51],[36,null]]]]`, "coordinates[0][0][3][1]"},
	} {
		g := Geometry{Type: c.typ, Coordinates: json.RawMessage(c.coords)}
		_, err1 := g.Validate()
		_, err2 := ParseShape(g)
		for _, err := range []error{err1, err2} {
			var fe *ledger.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Reason, "null") {
				t.Errorf("%s %s: %v, want a null at %s", c.typ, c.coords, err, c.field)
			}
		}
	}
}

// oldDecode is the decoding the decoder replaced, kept as the reference:
// encoding/json into nested []float64, and a position of two or three
// numbers (geo.Validate and agreement.LinesOf checked that). It reads null
// as 0 or as an empty array.
func oldDecode(depth int, raw []byte) (any, error) {
	pos := func(c []float64) (Position, error) {
		if len(c) < 2 || len(c) > 3 {
			return Position{}, errors.New("a position is [longitude, latitude] or [longitude, latitude, altitude]")
		}
		return Position{c[0], c[1]}, nil
	}
	var walk func(d int, v reflect.Value) (any, error)
	walk = func(d int, v reflect.Value) (any, error) {
		if d == 1 {
			return pos(v.Interface().([]float64))
		}
		out := make([]any, v.Len())
		for i := range out {
			var err error
			if out[i], err = walk(d-1, v.Index(i)); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	var dst any
	switch depth {
	case 1:
		dst = new([]float64)
	case 2:
		dst = new([][]float64)
	case 3:
		dst = new([][][]float64)
	default:
		dst = new([][][][]float64)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return nil, err
	}
	return walk(depth, reflect.ValueOf(dst).Elem())
}

// leaves calls f with each position of a tree from decodeDepth or
// oldDecode, and its path.
func leaves(v any, path string, f func(Position, string)) {
	if p, ok := v.(Position); ok {
		f(p, path)
		return
	}
	for i, x := range v.([]any) {
		leaves(x, fmt.Sprintf("%s[%d]", path, i), f)
	}
}

// sameBits compares trees exactly: the same nesting and the same float64
// bits (so -0 and 0 differ).
func sameBits(a, b any) bool {
	if p, ok := a.(Position); ok {
		q, ok := b.(Position)
		return ok && math.Float64bits(p[0]) == math.Float64bits(q[0]) && math.Float64bits(p[1]) == math.Float64bits(q[1])
	}
	x, ok1 := a.([]any)
	y, ok2 := b.([]any)
	if !ok1 || !ok2 || len(x) != len(y) {
		return false
	}
	for i := range x {
		if !sameBits(x[i], y[i]) {
			return false
		}
	}
	return true
}

// at follows a path such as coordinates[1][0] into JSON decoded with
// numbers kept as json.Number.
func at(raw []byte, path string) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, false
	}
	rest, ok := strings.CutPrefix(path, "coordinates")
	if !ok {
		return nil, false
	}
	for rest != "" {
		end := strings.IndexByte(rest, ']')
		if rest[0] != '[' || end < 0 {
			return nil, false
		}
		i, err := strconv.Atoi(rest[1:end])
		a, isArray := v.([]any)
		if err != nil || !isArray || i < 0 || i >= len(a) {
			return nil, false
		}
		v, rest = a[i], rest[end+1:]
	}
	return v, true
}

func FuzzCoordinates(f *testing.F) {
	for _, s := range []string{
		`[30.5,50.4]`, `[30.5,50.4,120]`, `[null,null]`, `[30,null]`, `[-0,1e-400]`, `[181,0]`, `[1e999,0]`, `[1,2,3,4]`, `[1]`, `["1",2]`,
		`[[30,48],[31,49]]`, `[[30,48],null]`, `[]`, `null`, ` [ [ 1 , 2 ] ] `, `[[0,0],[0,91]]`,
		`[[[30,48],[31,48],[31,49],[30,48]]]`, `[[[30,48],[null,48]]]`, `[[],null]`, `[[[1,2]],[[3,4,5]]]`,
		`[[[[0,0],[1,0],[0,1],[0,0]]]]`, `[[[[0,0],[1,0],[0,1],[0,null]]]]`, `[[[null]]]`, `[[[[1E2,-5e-1]]],[]]`,
	} {
		for depth := uint8(1); depth <= 4; depth++ {
			f.Add(depth, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, d uint8, raw []byte) {
		depth := int(d%4) + 1
		got, err := decodeDepth(depth, raw, 0)
		old, oldErr := oldDecode(depth, raw)
		if err != nil {
			var fe *ledger.FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, "coordinates") {
				t.Fatalf("%q: error is not a field error under coordinates: %v", raw, err)
			}
			// A null, a non-finite number, one out of range or a position
			// of the wrong length is named by its path (checked where the
			// JSON is valid to its end).
			v, found := at(raw, fe.Field)
			switch {
			case !json.Valid(raw):
			case strings.Contains(fe.Reason, "is null"):
				if !found || v != nil {
					t.Fatalf("%q: %v, but %s is %v", raw, err, fe.Field, v)
				}
			case strings.Contains(fe.Reason, "finite"), strings.Contains(fe.Reason, "outside"):
				n, isNumber := v.(json.Number)
				if !found || !isNumber {
					t.Fatalf("%q: %v, but %s is %v", raw, err, fe.Field, v)
				}
				x, _ := strconv.ParseFloat(string(n), 64)
				bound := 90.0
				if strings.HasPrefix(fe.Reason, "longitude") {
					bound = 180
				}
				if math.Abs(x) <= bound {
					t.Fatalf("%q: %v, but %s is %v", raw, err, fe.Field, x)
				}
			case strings.HasPrefix(fe.Reason, "a position is"):
				a, isArray := v.([]any)
				if !found || !isArray || len(a) == 2 || len(a) == 3 {
					t.Fatalf("%q: %v, but %s is %v", raw, err, fe.Field, v)
				}
			}
		}
		if err == nil {
			if bytes.Contains(raw, []byte("null")) {
				t.Fatalf("%q: a null accepted as %v", raw, got)
			}
			// What the decoder accepts, the old decoding accepted, to the bit.
			if oldErr != nil {
				t.Fatalf("%q: accepted as %v, refused by the old decoding: %v", raw, got, oldErr)
			}
			if !sameBits(got, old) {
				t.Fatalf("%q: decoded %v, the old decoding %v", raw, got, old)
			}
			leaves(got, "coordinates", func(p Position, path string) {
				if checkPosition(p, path) != nil {
					t.Fatalf("%q: accepted %v at %s", raw, p, path)
				}
			})
			// The bound on vertices counts every position.
			n := 0
			leaves(got, "", func(Position, string) { n++ })
			if depth > 1 {
				if _, err := decodeDepth(depth, raw, n); err != nil {
					t.Fatalf("%q: %d positions refused with a bound of %d: %v", raw, n, n, err)
				}
				if n > 1 {
					if _, err := decodeDepth(depth, raw, n-1); err == nil || !strings.Contains(err.Error(), "more than") {
						t.Fatalf("%q: %d positions with a bound of %d: %v", raw, n, n-1, err)
					}
				}
			}
			return
		}
		if oldErr != nil {
			return
		}
		// The old decoding accepted: the decoder refuses only what the old
		// one read wrong (a null) or did not check (ranges).
		if bytes.Contains(raw, []byte("null")) {
			return // outside strings, which neither accepts, "null" is a null
		}
		inRange := true
		leaves(old, "coordinates", func(p Position, path string) {
			inRange = inRange && checkPosition(p, path) == nil
		})
		if inRange {
			t.Fatalf("%q: the old decoding accepted %v, the decoder refused: %v", raw, old, err)
		}
	})
}
