package geo

import (
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"truce/internal/shareddata"
)

// occupied returns the DeepState occupied area of 1 August 2025: one
// MultiPolygon of about 3,000 vertices.
func occupied(tb testing.TB) [][][]Position {
	tb.Helper()
	return readMultiPolygon(tb, shareddata.Path(tb, "deepstate-occupied-daily/deepstatemap_data_20250801.geojson"))
}

func readMultiPolygon(tb testing.TB, path string) [][][]Position {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var fc struct {
		Features []struct{ Geometry Geometry }
	}
	if err := json.Unmarshal(b, &fc); err != nil || len(fc.Features) != 1 || fc.Features[0].Geometry.Type != "MultiPolygon" {
		tb.Fatalf("%s: want a FeatureCollection of one MultiPolygon (%v)", path, err)
	}
	var mp [][][]Position
	if err := json.Unmarshal(fc.Features[0].Geometry.Coordinates, &mp); err != nil {
		tb.Fatal(err)
	}
	return mp
}

// sites returns the world's nuclear reactors and Ukraine's power plants
// (GPPD): about 870 points.
func sites(tb testing.TB) []Position {
	tb.Helper()
	var out []Position
	for _, f := range []struct{ file, lat, lon string }{
		{"nuclear-plants-geonucleardata/nuclear_power_plants.csv", "Latitude", "Longitude"},
		{"power-plants-ukr-rus/gppd_v1.3.0_ukraine.csv", "latitude", "longitude"},
	} {
		fh, err := os.Open(shareddata.Path(tb, f.file))
		if err != nil {
			tb.Fatal(err)
		}
		rows, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil || len(rows) < 2 {
			tb.Fatalf("%s: %v", f.file, err)
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for _, r := range rows[1:] {
			lat, err1 := strconv.ParseFloat(r[col[f.lat]], 64)
			lon, err2 := strconv.ParseFloat(r[col[f.lon]], 64)
			if err1 == nil && err2 == nil && checkPosition(Position{lon, lat}, "") == nil {
				out = append(out, Position{lon, lat})
			}
		}
	}
	if len(out) < 500 {
		tb.Fatalf("read only %d sites", len(out))
	}
	return out
}

func rings(mp [][][]Position) [][]Position {
	var out [][]Position
	for _, p := range mp {
		out = append(out, p...)
	}
	return out
}

// randomIn returns a uniformly random position in box.
func randomIn(r *rand.Rand, box BBox) Position {
	return Position{box[0] + r.Float64()*(box[2]-box[0]), box[1] + r.Float64()*(box[3]-box[1])}
}

func grow(b BBox, d float64) BBox { return BBox{b[0] - d, b[1] - d, b[2] + d, b[3] + d} }
