package agreement_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"truce/agreement"
	"truce/geo"
	"truce/ledger"
)

// encoding/json read null as 0, so a signed line could carry the false
// vertex 0, 0. LinesOf and PolygonsOf read positions with geo's decoder and
// refuse a null wherever it is, naming its path.
func TestGeometryRefusesNull(t *testing.T) {
	for _, c := range []struct{ typ, coords, field string }{
		{"LineString", `[[35,47],[null,null]]`, "coordinates[1][0]"},
		{"LineString", `[[35,47],[36,null]]`, "coordinates[1][1]"},
		{"LineString", `[[35,47],null,[36,48]]`, "coordinates[1]"},
		{"MultiLineString", `[[[35,47],[36,48]],[[35,46],[null,null]]]`, "coordinates[1][1][0]"},
		{"MultiLineString", `[[[35,47],[36,48]],null]`, "coordinates[1]"},
		{"Polygon", `[[[35,47],[36,47],[null,null],[35,47]]]`, "coordinates[0][2][0]"},
		{"Polygon", `[[[35,47],[36,47],[36,48],[35,47]],null]`, "coordinates[1]"},
		{"MultiPolygon", `[[[[35,47],[36,47],[36,48],[35,47]]],[[[30,47],[31,47],[31,48],[30,null]]]]`, "coordinates[1][0][3][1]"},
		{"MultiPolygon", `[[[[35,47],[36,47],[36,48],[35,47]]],[null]]`, "coordinates[1][0]"},
		{"MultiPolygon", `[null]`, "coordinates[0]"},
	} {
		g := geo.Geometry{Type: c.typ, Coordinates: json.RawMessage(c.coords)}
		var err error
		if strings.HasSuffix(c.typ, "LineString") {
			_, err = agreement.LinesOf(g)
		} else {
			_, err = agreement.PolygonsOf(g)
		}
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Reason, "null") {
			t.Errorf("%s %s: %v, want a null at %s", c.typ, c.coords, err, c.field)
		}
	}
}

// The rest of what LinesOf and PolygonsOf refuse keeps its path.
func TestGeometryErrors(t *testing.T) {
	lines := func(g geo.Geometry) error { _, err := agreement.LinesOf(g); return err }
	areas := func(g geo.Geometry) error { _, err := agreement.PolygonsOf(g); return err }
	for _, c := range []struct {
		of                 func(geo.Geometry) error
		typ, coords, field string
	}{
		{lines, "LineString", `[[35,47],[36]]`, "coordinates[1]"},
		{lines, "LineString", `[[35,47],[36,97]]`, "coordinates[1][1]"},
		{lines, "LineString", `[[35,47],[1e999,48]]`, "coordinates[1][0]"},
		{lines, "LineString", `[[35,47]]`, "coordinates"},
		{lines, "LineString", `[[35,47],["36",48]]`, "coordinates"},
		{lines, "LineString", `null`, "coordinates"},
		{lines, "MultiLineString", `[]`, "coordinates"},
		{lines, "MultiLineString", `[[[35,47],[36,48]],[[35,46]]]`, "coordinates[1]"},
		{lines, "MultiLineString", `[[[35,47],[36,48],[36,47],[35,48]]]`, "coordinates[0]"}, // crosses itself
		{lines, "Point", `[35,47]`, "type"},
		{areas, "Polygon", `[[[35,47],[36,47],[36,48],[35,48]]]`, "coordinates[0]"}, // not closed
		{areas, "Polygon", `[[[35,47],[36,47],[36,48],[35,-91]]]`, "coordinates[0][3][1]"},
		{areas, "Polygon", `[[35,47]]`, "coordinates"},
		{areas, "MultiPolygon", `[[[[35,47],[36,47],[35,47]]]]`, "coordinates[0][0]"},
		{areas, "LineString", `[[35,47],[36,48]]`, "type"},
	} {
		err := c.of(geo.Geometry{Type: c.typ, Coordinates: json.RawMessage(c.coords)})
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s %s: %v, want an error at %s", c.typ, c.coords, err, c.field)
		}
	}
	ls, err := agreement.LinesOf(geo.Geometry{Type: "MultiLineString", Coordinates: json.RawMessage(`[[[35,47],[36,48,100]],[[30,40],[31,41]]]`)})
	if err != nil || len(ls) != 2 || ls[0][1] != (geo.Position{36, 48}) {
		t.Errorf("MultiLineString: %v %v", ls, err)
	}
	polys, err := agreement.PolygonsOf(geo.Geometry{Type: "Polygon", Coordinates: json.RawMessage(`[[[35,47],[36,47],[36,48],[35,47]]]`)})
	if err != nil || len(polys) != 1 || len(polys[0]) != 1 || len(polys[0][0]) != 4 {
		t.Errorf("Polygon: %v %v", polys, err)
	}
}
