package geo

import (
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// sharedData returns the shared data directory (../shared/data from the
// repository's root), or skips the test when this checkout has none.
func sharedData(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("no go.mod above the test's directory: cannot find ../shared/data")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(data); err != nil {
		tb.Skipf("real data not available at %s: %v", data, err)
	}
	return data
}

// occupied returns the DeepState occupied area of 1 August 2025: one
// MultiPolygon of about 3,000 vertices.
func occupied(tb testing.TB) [][][]Position {
	tb.Helper()
	return readMultiPolygon(tb, filepath.Join(sharedData(tb), "deepstate-occupied-daily", "deepstatemap_data_20250801.geojson"))
}

func readMultiPolygon(tb testing.TB, path string) [][][]Position {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Skipf("real data not available: %v", err)
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
	dir := sharedData(tb)
	var out []Position
	for _, f := range []struct{ file, lat, lon string }{
		{filepath.Join(dir, "nuclear-plants-geonucleardata", "nuclear_power_plants.csv"), "Latitude", "Longitude"},
		{filepath.Join(dir, "power-plants-ukr-rus", "gppd_v1.3.0_ukraine.csv"), "latitude", "longitude"},
	} {
		fh, err := os.Open(f.file)
		if err != nil {
			tb.Skipf("real data not available: %v", err)
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
