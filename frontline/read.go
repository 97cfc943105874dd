// Package frontline reads the occupied territory from DeepState's exports,
// Ukraine's outline from geoBoundaries, and derives the line of contact: the
// part of the occupied area's boundary that runs through Ukraine rather than
// along its coast or its border with Russia and Belarus.
//
// Polygons are returned as GeoJSON has them (RFC 7946): polygon → rings
// (the first exterior, the rest holes) → closed rings of positions, which is
// the shape geo.NewArea takes.
package frontline

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"truce/geo"
	"truce/ledger"
)

// featureCollection is the part of GeoJSON these files use. Properties are
// kept raw: a KML export puts anything there, and only names matter.
type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

type feature struct {
	Properties map[string]any `json:"properties"`
	Geometry   *geometry      `json:"geometry"`
}

type geometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
	Geometries  []geometry      `json:"geometries"`
}

func (f feature) property(key string) string {
	s, _ := f.Properties[key].(string)
	return s
}

func decode(r io.Reader) (featureCollection, error) {
	var fc featureCollection
	if err := json.NewDecoder(r).Decode(&fc); err != nil {
		return fc, fmt.Errorf("GeoJSON: %w", err)
	}
	if fc.Type != "FeatureCollection" {
		return fc, ledger.Invalid("type", "%q, want FeatureCollection", fc.Type)
	}
	return fc, nil
}

// polygons returns the polygons of g: a Polygon, a MultiPolygon, or those
// inside a GeometryCollection; other geometry types have none. Positions
// are read by geo's decoder (null, out of range and positions of other
// than two or three numbers are refused); an altitude is dropped.
func polygons(g *geometry, path string) ([][][]geo.Position, error) {
	if g == nil {
		return nil, nil
	}
	var out [][][]geo.Position
	switch g.Type {
	case "Polygon":
		p, err := geo.DecodeLines(g.Coordinates, 0)
		if err != nil {
			return nil, ledger.Within(path, err)
		}
		out = [][][]geo.Position{p}
	case "MultiPolygon":
		var err error
		if out, err = geo.DecodePolygons(g.Coordinates, 0); err != nil {
			return nil, ledger.Within(path, err)
		}
	case "GeometryCollection":
		for i := range g.Geometries {
			ps, err := polygons(&g.Geometries[i], fmt.Sprintf("%s.geometries[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out = append(out, ps...)
		}
		return out, nil
	default:
		return nil, nil
	}
	for i, p := range out {
		field := fmt.Sprintf("%s.coordinates[%d]", path, i)
		if g.Type == "Polygon" {
			field = path + ".coordinates"
		}
		if err := polygon(p, field); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// polygon checks the rings of one polygon: an exterior ring, each ring
// closed and of four or more positions. Unlike an agreement's areas, the
// rings are not checked for crossings here.
func polygon(rings [][]geo.Position, path string) error {
	if len(rings) == 0 {
		return ledger.Invalid(path, "a polygon needs an exterior ring")
	}
	for i, ring := range rings {
		rp := fmt.Sprintf("%s[%d]", path, i)
		if len(ring) < 4 {
			return ledger.Invalid(rp, "a ring needs at least four positions, has %d", len(ring))
		}
		if ring[0] != ring[len(ring)-1] {
			return ledger.Invalid(rp, "ring is not closed: the last position must equal the first")
		}
	}
	return nil
}

// ReadOccupied reads a daily DeepState occupied-territory file (a
// FeatureCollection whose one MultiPolygon feature is the union of the
// occupied areas, Crimea and the pre-2022 ORDLO included). Every polygon of
// every feature is returned.
func ReadOccupied(r io.Reader) ([][][]geo.Position, error) {
	fc, err := decode(r)
	if err != nil {
		return nil, fmt.Errorf("deepstate occupied: %w", err)
	}
	var out [][][]geo.Position
	for i, f := range fc.Features {
		ps, err := polygons(f.Geometry, fmt.Sprintf("features[%d].geometry", i))
		if err != nil {
			return nil, fmt.Errorf("deepstate occupied: %w", err)
		}
		out = append(out, ps...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("deepstate occupied: %w", ledger.Invalid("features", "no polygon"))
	}
	return out, nil
}

// Statuses of a DeepState map polygon, from its name.
const (
	StatusOccupied  = "occupied"
	StatusCrimea    = "crimea" // occupied since 2014
	StatusORDLO     = "ordlo"  // parts of Donetsk and Luhansk occupied since 2014
	StatusLiberated = "liberated"
	StatusContested = "contested" // grey zone, "unknown status"
	StatusOther     = "other"
)

// Status classifies a full-map feature by its name. From 2023 the name ends
// in an i18n key ("Окуповано /// Occupied /// geoJSON.status.occupied"),
// which decides; earlier names are free text in Ukrainian and often
// English, matched by keyword. The satirical "occupied" areas (Karelia,
// Kuril Islands, ...) come out as occupied: ReadSnapshot drops them by
// location.
func Status(name string) string {
	n := strings.ToLower(strings.ReplaceAll(name, "\u00a0", " "))
	if i := strings.Index(n, "geojson."); i >= 0 {
		key := n[i+len("geojson."):]
		if j := strings.IndexAny(key, " \n\t{"); j >= 0 {
			key = key[:j]
		}
		switch {
		case key == "status.occupied", key == "territories.tuzla":
			return StatusOccupied
		case key == "territories.crimea":
			return StatusCrimea
		case key == "territories.ordlo":
			return StatusORDLO
		case strings.HasPrefix(key, "status.dismissed"):
			return StatusLiberated
		case key == "status.unknown":
			return StatusContested
		case strings.HasPrefix(key, "territories."):
			// Editorial areas outside Ukraine (Petsamo, Transnistria, ...):
			// occupied by name, but not Ukraine's.
			if strings.Contains(n, "окупов") || strings.Contains(n, "occupied") {
				return StatusOccupied
			}
			return StatusOther
		}
		return StatusOther
	}
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(n, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("ордло", "cadr", "calr"):
		return StatusORDLO
	case has("крим", "crimea"):
		return StatusCrimea
	case has("звільнено", "liberated", "taken back", "recaptured", "орки відсутні"):
		return StatusLiberated
	case has("під питанням", "contested", "contensed", "статус невідомий", "unknown status", "невідомо"):
		return StatusContested
	case has("окупов", "occupied", "зайняті ворогом"):
		return StatusOccupied
	}
	return StatusOther
}

// UkraineBounds is a box around Ukraine, Crimea included, with some
// slack. A snapshot polygon whose box centre lies outside it is not
// Ukraine's, whatever its name says.
var UkraineBounds = geo.BBox{21.5, 43.8, 41, 53}

// ReadSnapshot reads a full DeepState map (one of the history snapshots:
// occupied, liberated, contested, ORDLO and Crimea polygons, arrows, units)
// and returns the polygons that are occupied territory of Ukraine:
// occupied, ORDLO or Crimea by Status, within UkraineBounds. Unlike the
// daily files they are not merged: adjacent polygons share edges and may
// overlap slightly.
func ReadSnapshot(r io.Reader) ([][][]geo.Position, error) {
	fc, err := decode(r)
	if err != nil {
		return nil, fmt.Errorf("deepstate snapshot: %w", err)
	}
	var out [][][]geo.Position
	for i, f := range fc.Features {
		switch Status(f.property("name")) {
		case StatusOccupied, StatusCrimea, StatusORDLO:
		default:
			continue
		}
		ps, err := polygons(f.Geometry, fmt.Sprintf("features[%d].geometry", i))
		if err != nil {
			return nil, fmt.Errorf("deepstate snapshot: %w", err)
		}
		for _, p := range ps {
			b := box(p[0])
			if UkraineBounds.Contains((b[0]+b[2])/2, (b[1]+b[3])/2) {
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("deepstate snapshot: %w", ledger.Invalid("features", "no occupied polygon in Ukraine"))
	}
	return out, nil
}

// Admin is one administrative unit (an oblast, Kyiv city, Crimea).
type Admin struct {
	Name     string
	ISO      string // ISO 3166-2, e.g. UA-23
	Polygons [][][]geo.Position
}

// ReadAdmin reads a geoBoundaries file (shapeName, shapeISO; Polygon or
// MultiPolygon geometry). The ADM1 file for Ukraine has 27 units, Crimea
// and Sevastopol included; together they are Ukraine's outline.
func ReadAdmin(r io.Reader) ([]Admin, error) {
	fc, err := decode(r)
	if err != nil {
		return nil, fmt.Errorf("geoboundaries: %w", err)
	}
	out := make([]Admin, 0, len(fc.Features))
	for i, f := range fc.Features {
		path := fmt.Sprintf("features[%d]", i)
		a := Admin{Name: f.property("shapeName"), ISO: f.property("shapeISO")}
		if a.Name == "" {
			return nil, fmt.Errorf("geoboundaries: %w", ledger.Invalid(path+".properties.shapeName", "is empty"))
		}
		if a.Polygons, err = polygons(f.Geometry, path+".geometry"); err != nil {
			return nil, fmt.Errorf("geoboundaries: %s: %w", a.Name, err)
		}
		if len(a.Polygons) == 0 {
			return nil, fmt.Errorf("geoboundaries: %s: %w", a.Name, ledger.Invalid(path+".geometry", "no polygon"))
		}
		out = append(out, a)
	}
	return out, nil
}

func box(ring []geo.Position) geo.BBox {
	b := geo.BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range ring {
		b[0], b[1] = math.Min(b[0], p[0]), math.Min(b[1], p[1])
		b[2], b[3] = math.Max(b[2], p[0]), math.Max(b[3], p[1])
	}
	return b
}

// ReadLand reads every polygon of a GeoJSON FeatureCollection, such as
// Natural Earth's countries: a land mask for LineOfContact, which keeps the
// coast out of the line where an outline reaches into the sea.
func ReadLand(r io.Reader) ([][][]geo.Position, error) {
	fc, err := decode(r)
	if err != nil {
		return nil, fmt.Errorf("land: %w", err)
	}
	var out [][][]geo.Position
	for i, f := range fc.Features {
		ps, err := polygons(f.Geometry, fmt.Sprintf("features[%d].geometry", i))
		if err != nil {
			return nil, fmt.Errorf("land: %w", err)
		}
		out = append(out, ps...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("land: %w", ledger.Invalid("features", "no polygon"))
	}
	return out, nil
}
