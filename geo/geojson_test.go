package geo

import (
	"encoding/json"
	"errors"
	"testing"

	"truce/ledger"
)

func TestValidate(t *testing.T) {
	ok := []struct {
		g    string
		want BBox
	}{
		{`{"type":"Point","coordinates":[30.52,50.45]}`, BBox{30.52, 50.45, 30.52, 50.45}},
		{`{"type":"Point","coordinates":[30.52,50.45,120]}`, BBox{30.52, 50.45, 30.52, 50.45}},
		{`{"type":"LineString","coordinates":[[35.1,47.8],[35.4,47.5]]}`, BBox{35.1, 47.5, 35.4, 47.8}},
		{`{"type":"Polygon","coordinates":[[[36,50],[37,50],[37,51],[36,51],[36,50]],[[36.2,50.2],[36.4,50.2],[36.4,50.4],[36.2,50.2]]]}`, BBox{36, 50, 37, 51}},
		{`{"type":"MultiPolygon","coordinates":[[[[30,48],[31,48],[31,49],[30,48]]],[[[32,46],[33,46],[33,47],[32,46]]]]}`, BBox{30, 46, 33, 49}},
		{`{"type":"MultiPoint","coordinates":[[30,48],[31,49]]}`, BBox{30, 48, 31, 49}},
		{`{"type":"MultiLineString","coordinates":[[[30,48],[31,49]]]}`, BBox{30, 48, 31, 49}},
		{`{"type":"Point","coordinates":[-180,-90]}`, BBox{-180, -90, -180, -90}},
	}
	for _, c := range ok {
		var g Geometry
		json.Unmarshal([]byte(c.g), &g)
		box, err := g.Validate()
		if err != nil || box != c.want {
			t.Errorf("%s: %v %v, want %v", c.g, box, err, c.want)
		}
	}
	bad := []struct{ g, field string }{
		{`{"type":"Point","coordinates":[30,91]}`, "coordinates[1]"},
		{`{"type":"Point","coordinates":[-180.5,0]}`, "coordinates[0]"},
		{`{"type":"Point","coordinates":[30]}`, "coordinates"},
		{`{"type":"Point","coordinates":[[30,48]]}`, "coordinates"},
		{`{"type":"Point"}`, "coordinates"},
		{`{"type":"LineString","coordinates":[[30,48]]}`, "coordinates"},
		{`{"type":"Polygon","coordinates":[[[30,48],[31,48],[31,49],[30,49]]]}`, "coordinates[0]"},
		{`{"type":"Polygon","coordinates":[[[30,48],[31,48],[30,48]]]}`, "coordinates[0]"},
		{`{"type":"Polygon","coordinates":[[[30,48],[31,49],[31,48],[30,49],[30,48]]]}`, "coordinates[0]"},
		{`{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[1,0],[0,2],[0,0]]]}`, "coordinates[0]"}, // touches itself
		{`{"type":"Polygon","coordinates":[]}`, "coordinates"},
		{`{"type":"MultiPolygon","coordinates":[[[[30,48],[31,48],[31,49],[30,48]]],[[[32,46],[33,46],[32,47],[33,47],[32,46]]]]}`, "coordinates[1][0]"},
		{`{"type":"GeometryCollection","coordinates":[]}`, "type"},
		// null decodes into a Go number as 0: it must not become the point 0, 0.
		{`{"type":"Point","coordinates":[null,null]}`, "coordinates[0]"},
		{`{"type":"Point","coordinates":[30,null]}`, "coordinates[1]"},
		{`{"type":"LineString","coordinates":[[30,48],null]}`, "coordinates[1]"},
		{`{"type":"MultiPolygon","coordinates":[[[[30,48],[31,48],[31,49],[30,null]]]]}`, "coordinates[0][0][3][1]"},
	}
	for _, c := range bad {
		var g Geometry
		json.Unmarshal([]byte(c.g), &g)
		_, err := g.Validate()
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v, want an error at %s", c.g, err, c.field)
		}
	}
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{`[30.5,50.4]`, `[[30,48],[31,49]]`, `[[[30,48],[31,48],[31,49],[30,48]]]`, `[[[[0,0],[1,0],[0,1],[0,0]]]]`} {
		for _, typ := range []string{"Point", "LineString", "Polygon", "MultiPolygon"} {
			f.Add(typ, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, typ string, coords []byte) {
		g := Geometry{Type: typ, Coordinates: coords}
		box, err := g.Validate()
		if err != nil {
			var fe *ledger.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a field error: %v", err)
			}
			return
		}
		if box[0] > box[2] || box[1] > box[3] || box[0] < -180 || box[2] > 180 || box[1] < -90 || box[3] > 90 {
			t.Fatalf("valid geometry with box %v", box)
		}
	})
}
