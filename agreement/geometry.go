package agreement

import (
	"errors"
	"fmt"
	"strings"

	"truce/geo"
	"truce/ledger"
)

// LinesOf decodes a LineString or MultiLineString into validated lines that
// do not cross themselves. Unlike an incident's geometry, a reference line
// may have many thousands of vertices, so the document's own bound applies.
// Positions are read by geo's decoder, which refuses null coordinates.
func LinesOf(g geo.Geometry) ([][]geo.Position, error) {
	var lines [][]geo.Position
	switch g.Type {
	case "LineString":
		l, err := geo.DecodePositions(g.Coordinates, MaxVertices)
		if err != nil {
			return nil, err
		}
		lines = [][]geo.Position{l}
	case "MultiLineString":
		var err error
		if lines, err = geo.DecodeLines(g.Coordinates, MaxVertices); err != nil {
			return nil, err
		}
		if len(lines) == 0 {
			return nil, ledger.Invalid("coordinates", "a MultiLineString needs at least one line")
		}
	default:
		return nil, ledger.Invalid("type", "a line is a LineString or MultiLineString, not %q", g.Type)
	}
	for i, ps := range lines {
		field := "coordinates"
		if g.Type == "MultiLineString" {
			field = fmt.Sprintf("coordinates[%d]", i)
		}
		if len(ps) < 2 {
			return nil, ledger.Invalid(field, "a line needs at least two positions")
		}
		if err := geo.ValidateLine(ps, field); err != nil {
			return nil, err
		}
	}
	return lines, nil
}

// PolygonsOf decodes a Polygon or MultiPolygon with closed rings of at
// least four positions that do not cross themselves.
func PolygonsOf(g geo.Geometry) ([][][]geo.Position, error) {
	var polys [][][]geo.Position
	switch g.Type {
	case "Polygon":
		p, err := geo.DecodeLines(g.Coordinates, MaxVertices)
		if err != nil {
			return nil, err
		}
		polys = [][][]geo.Position{p}
	case "MultiPolygon":
		var err error
		if polys, err = geo.DecodePolygons(g.Coordinates, MaxVertices); err != nil {
			return nil, err
		}
	default:
		return nil, ledger.Invalid("type", "an area is a Polygon or MultiPolygon, not %q", g.Type)
	}
	// The area index checks what remains: rings closed, long enough, not
	// crossing themselves, and at least one polygon.
	if _, err := geo.NewArea(polys); err != nil {
		var fe *ledger.FieldError
		if g.Type == "Polygon" && errors.As(err, &fe) && strings.HasPrefix(fe.Field, "coordinates[0]") {
			// The index numbers polygons; a Polygon's path has none.
			return nil, ledger.Invalid("coordinates"+strings.TrimPrefix(fe.Field, "coordinates[0]"), "%s", fe.Reason)
		}
		return nil, err
	}
	return polys, nil
}
