package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"truce/geo"
)

// AreasFile is the reference areas' file in a data directory.
const AreasFile = "areas.json"

// Area is an administrative area the reports count by: an oblast (level
// 1) or a raion (level 2, with its oblast as Parent).
type Area struct {
	ID       string             `json:"id"`
	Name     string             `json:"name"`
	ISO      string             `json:"iso,omitempty"`
	Level    int                `json:"level"`
	Parent   string             `json:"parent,omitempty"`
	Polygons [][][]geo.Position `json:"polygons"`
}

// AreaSet is what `truce import areas` writes: the areas and where they
// came from.
type AreaSet struct {
	Source string `json:"source"`
	Areas  []Area `json:"areas"`
}

// ReadGeoBoundaries reads a geoBoundaries GeoJSON file (ADM1 or ADM2):
// each feature's shapeName, shapeID, shapeISO and its Polygon or
// MultiPolygon.
func ReadGeoBoundaries(r io.Reader, level int) ([]Area, error) {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Properties struct {
				Name string `json:"shapeName"`
				ID   string `json:"shapeID"`
				ISO  string `json:"shapeISO"`
			} `json:"properties"`
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.NewDecoder(r).Decode(&fc); err != nil {
		return nil, fmt.Errorf("read the GeoJSON: %w", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("not a FeatureCollection (%q)", fc.Type)
	}
	var out []Area
	for i, f := range fc.Features {
		a := Area{ID: f.Properties.ID, Name: f.Properties.Name, ISO: f.Properties.ISO, Level: level}
		if a.ID == "" || a.Name == "" {
			return nil, fmt.Errorf("feature %d has no shapeID or shapeName", i)
		}
		var err error
		if a.Polygons, err = polygons(f.Geometry.Type, f.Geometry.Coordinates); err != nil {
			return nil, fmt.Errorf("feature %d (%s): %w", i, a.Name, err)
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, errors.New("no features")
	}
	return out, nil
}

// JoinParents gives each raion the oblast holding most of its vertices
// (geoBoundaries' ADM2 names no parent).
func JoinParents(raions, oblasts []Area) error {
	index, err := compile(oblasts)
	if err != nil {
		return err
	}
	for i := range raions {
		votes := map[string]int{}
		for _, poly := range raions[i].Polygons {
			for _, p := range poly[0] {
				for _, o := range index {
					if o.box.Contains(p[0], p[1]) && o.area.Contains(p) {
						votes[o.def.Name]++
						break
					}
				}
			}
		}
		best := ""
		for name, n := range votes {
			if best == "" || n > votes[best] || (n == votes[best] && name < best) {
				best = name
			}
		}
		raions[i].Parent = best
	}
	return nil
}

// Regions locates incidents in loaded areas.
type Regions struct {
	oblasts, raions []compiled
	// Label says which areas these are, and the digest of their file.
	Label string
	// grid lists, for each cell of a coarse grid over every area's box,
	// the oblasts and raions whose boxes meet it: a point is tested
	// against those few, not all five hundred.
	grid         [][2][]int32
	box          geo.BBox
	gridW, gridH int
	cellW, cellH float64
	parents      []int32 // each raion's oblast, by index (-1: none)
}

// gridCells is about how many cells the coarse grid has.
const gridCells = 4096

func (r *Regions) buildGrid() {
	all := append(append([]compiled(nil), r.oblasts...), r.raions...)
	if len(all) == 0 {
		return
	}
	r.box = all[0].box
	for _, c := range all[1:] {
		r.box = geo.BBox{min(r.box[0], c.box[0]), min(r.box[1], c.box[1]), max(r.box[2], c.box[2]), max(r.box[3], c.box[3])}
	}
	w, h := r.box[2]-r.box[0], r.box[3]-r.box[1]
	side := math.Sqrt(w * h / gridCells)
	if side <= 0 {
		return
	}
	r.gridW, r.gridH = max(1, int(math.Ceil(w/side))), max(1, int(math.Ceil(h/side)))
	r.cellW, r.cellH = w/float64(r.gridW), h/float64(r.gridH)
	r.grid = make([][2][]int32, r.gridW*r.gridH)
	for level, list := range [][]compiled{r.oblasts, r.raions} {
		for i, c := range list {
			x0, y0 := r.cellOf(c.box[0], c.box[1])
			x1, y1 := r.cellOf(c.box[2], c.box[3])
			for y := y0; y <= y1; y++ {
				for x := x0; x <= x1; x++ {
					k := y*r.gridW + x
					r.grid[k][level] = append(r.grid[k][level], int32(i))
				}
			}
		}
	}
}

// cellOf is the grid cell of a point, clamped to the grid.
func (r *Regions) cellOf(lon, lat float64) (x, y int) {
	x = min(max(int((lon-r.box[0])/r.cellW), 0), r.gridW-1)
	y = min(max(int((lat-r.box[1])/r.cellH), 0), r.gridH-1)
	return x, y
}

type compiled struct {
	def  *Area
	area *geo.Area
	box  geo.BBox
}

func compile(defs []Area) ([]compiled, error) {
	out := make([]compiled, 0, len(defs))
	for i := range defs {
		// Areas touch along their borders and some rings are not simple;
		// a polygon the index refuses is dropped, not the whole set.
		a, err := geo.NewArea(defs[i].Polygons)
		if err != nil {
			return nil, fmt.Errorf("area %s: %w", defs[i].Name, err)
		}
		out = append(out, compiled{def: &defs[i], area: a, box: a.BBox()})
	}
	return out, nil
}

// readAreaSet reads an area set file and labels it with its source and
// digest; a missing file is no set (nil).
func readAreaSet(path string) (*AreaSet, string, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	var set AreaSet
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(raw)
	return &set, fmt.Sprintf("%s, sha256 %s", set.Source, hex.EncodeToString(sum[:6])), nil
}

// LoadRegions reads an area set file; a missing file is no regions (nil).
func LoadRegions(path string) (*Regions, error) {
	set, label, err := readAreaSet(path)
	if set == nil || err != nil {
		return nil, err
	}
	r := &Regions{Label: label}
	var ob, ra []Area
	for _, a := range set.Areas {
		if a.Level == 1 {
			ob = append(ob, a)
		} else {
			ra = append(ra, a)
		}
	}
	if r.oblasts, err = compile(ob); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.raions, err = compile(ra); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.parents = make([]int32, len(r.raions))
	for i, c := range r.raions {
		r.parents[i] = int32(slices.IndexFunc(r.oblasts, func(o compiled) bool { return o.def.Name == c.def.Parent }))
	}
	r.buildGrid()
	return r, nil
}

// Locate names the oblast and raion holding p ("" where none does).
func (r *Regions) Locate(p geo.Position) (oblast, raion string) {
	ob, ra := r.locate(p)
	return r.oblastName(ob), r.raionName(ra)
}

// locate is Locate by index into the oblasts and raions (-1: none); a
// point in a raion but in no oblast's outline takes the raion's oblast.
func (r *Regions) locate(p geo.Position) (ob, ra int32) {
	ob, ra = -1, -1
	if r.grid == nil || !r.box.Contains(p[0], p[1]) {
		return ob, ra
	}
	x, y := r.cellOf(p[0], p[1])
	cell := &r.grid[y*r.gridW+x]
	for _, i := range cell[0] {
		if c := &r.oblasts[i]; c.box.Contains(p[0], p[1]) && c.area.Contains(p) {
			ob = i
			break
		}
	}
	for _, i := range cell[1] {
		if c := &r.raions[i]; c.box.Contains(p[0], p[1]) && c.area.Contains(p) {
			ra = i
			if ob < 0 {
				ob = r.parents[i]
			}
			break
		}
	}
	return ob, ra
}

func (r *Regions) oblastName(i int32) string {
	if i < 0 {
		return ""
	}
	return r.oblasts[i].def.Name
}

func (r *Regions) raionName(i int32) string {
	if i < 0 {
		return ""
	}
	return r.raions[i].def.Name
}

// HasRaions tells whether raions were loaded.
func (r *Regions) HasRaions() bool { return r != nil && len(r.raions) > 0 }

// WriteAreaSet writes areas as an area set file.
func WriteAreaSet(path, source string, areas []Area) error {
	slices.SortFunc(areas, func(a, b Area) int {
		if a.Level != b.Level {
			return a.Level - b.Level
		}
		if a.Name != b.Name {
			if a.Name < b.Name {
				return -1
			}
			return 1
		}
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	raw, err := json.Marshal(AreaSet{Source: source, Areas: areas})
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o644)
}

// BordersFile is the third countries' outlines in a data directory.
const BordersFile = "borders.json"

// ThirdCountries are the countries whose borders the spillover warning
// watches by default: Ukraine's neighbours that are party to neither side.
var ThirdCountries = []string{"Belarus", "Moldova", "Poland", "Romania", "Slovakia", "Hungary"}

// ReadCountries reads a GeoJSON FeatureCollection of countries (Natural
// Earth's, with a "name" or "NAME" property), keeping those named.
func ReadCountries(r io.Reader, names []string) ([]Area, error) {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.NewDecoder(r).Decode(&fc); err != nil {
		return nil, fmt.Errorf("read the GeoJSON: %w", err)
	}
	var out []Area
	for i, f := range fc.Features {
		name, _ := f.Properties["name"].(string)
		if name == "" {
			name, _ = f.Properties["NAME"].(string)
		}
		if !slices.Contains(names, name) {
			continue
		}
		a := Area{ID: name, Name: name}
		var err error
		if a.Polygons, err = polygons(f.Geometry.Type, f.Geometry.Coordinates); err != nil {
			return nil, fmt.Errorf("feature %d (%s): %w", i, name, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// LoadBorders reads a borders file; a missing file is no borders (nil).
func LoadBorders(path string) (*Borders, error) {
	set, label, err := readAreaSet(path)
	if set == nil || err != nil {
		return nil, err
	}
	b := &Borders{Label: label}
	for _, a := range set.Areas {
		var rings [][]geo.Position
		for _, poly := range a.Polygons {
			rings = append(rings, poly...)
		}
		lines, err := geo.NewLines(rings)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, a.Name, err)
		}
		b.countries = append(b.countries, border{name: a.Name, lines: lines, box: boxOf(rings)})
	}
	return b, nil
}

func boxOf(rings [][]geo.Position) geo.BBox {
	box := geo.BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, r := range rings {
		for _, p := range r {
			box = geo.BBox{math.Min(box[0], p[0]), math.Min(box[1], p[1]), math.Max(box[2], p[0]), math.Max(box[3], p[1])}
		}
	}
	return box
}

// polygons decodes a Polygon's or a MultiPolygon's coordinates as
// polygons, with the one GeoJSON decoder (null refused at any depth).
func polygons(typ string, coords json.RawMessage) ([][][]geo.Position, error) {
	switch typ {
	case "Polygon":
		return geo.DecodePolygons(append(append([]byte{'['}, coords...), ']'), 1<<22)
	case "MultiPolygon":
		return geo.DecodePolygons(coords, 1<<22)
	}
	return nil, fmt.Errorf("a %s is not an area", typ)
}
