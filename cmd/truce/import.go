package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"truce/agreement"
	"truce/frontline"
	"truce/geo"
	"truce/ledger"
	readprogress "truce/progress"
	"truce/sites"
)

// writeTerm prints a term as JSON, ready to paste into a plan or agreement.
func writeTerm(t *agreement.Term, out string) error {
	raw, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	raw = append(raw, '\n')
	if out == "" {
		_, err = os.Stdout.Write(raw)
		return err
	}
	return os.WriteFile(out, raw, 0o644)
}

// openProgress opens a file whose reading is shown on the terminal.
func openProgress(path string) (*os.File, *progress, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, newProgress(os.Stderr, msg.T("import.reading", path)), nil
}

// siteID turns a registry identifier into a ledger ID.
func siteID(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	id := strings.Trim(b.String(), "-")
	if len(id) > 63 {
		id = id[:63]
	}
	return id
}

// importSites builds a protected_sites term from registries.
func importSites(args []string) error {
	fs := flags("import sites")
	var gppd, geonuclear, wri multiFlag
	fs.Var(&gppd, "gppd", "Global Power Plant Database CSV (repeatable)")
	fs.Var(&geonuclear, "geonuclear", "GeoNuclearData nuclear_power_plants.csv (repeatable)")
	fs.Var(&wri, "wri", "WRI raw country CSV (repeatable)")
	countries := fs.String("country", "", "keep only these countries (ISO codes, comma-separated)")
	radius := fs.Float64("radius-km", 5, "exclusion radius of energy sites")
	nuclear := fs.Float64("nuclear-radius-km", 30, "exclusion radius of nuclear sites")
	id := fs.String("id", "5", "term ID")
	out := fs.String("out", "", "write the term to this file")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if len(gppd)+len(geonuclear)+len(wri) == 0 {
		fs.Usage()
		return fmt.Errorf("%s", msg.T("import.need_registry"))
	}
	opt := sites.Options{SkipUnlocated: true, Countries: splitList(*countries)}
	term := &agreement.Term{ID: *id, Type: agreement.ProtectedSites, RadiusKM: radius,
		Title: agreement.Texts{"en": "Protected energy and nuclear sites"}}
	seen := map[string]bool{}
	read := func(paths []string, reader func(io.Reader, sites.Options) ([]sites.Site, sites.Stats, error)) error {
		for _, path := range paths {
			f, prog, err := openProgress(path)
			if err != nil {
				return err
			}
			o := opt
			o.Progress = func(done, total int64) { prog.set64(done, total) }
			got, stats, err := reader(f, o)
			f.Close()
			prog.done()
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			for _, s := range got {
				sid := siteID(s.ID)
				if sid == "" || seen[sid] || sameNuclearSite(term.Sites, s) {
					continue
				}
				seen[sid] = true
				lon, lat := s.Lon, s.Lat
				site := agreement.Site{ID: sid, Name: s.Name, Kind: s.Kind, Lon: &lon, Lat: &lat}
				if s.Kind == sites.KindNuclear {
					r := *nuclear
					site.RadiusKM = &r
				}
				term.Sites = append(term.Sites, site)
			}
			fmt.Fprintln(os.Stderr, msg.T("import.sites_read", path, msg.N("import.n_sites", len(got)),
				msg.N("import.n_unlocated", len(stats.Skipped)), msg.N("import.n_foreign", stats.Filtered)))
		}
		return nil
	}
	if err := read(gppd, sites.ReadGPPD); err != nil {
		return err
	}
	if err := read(wri, sites.ReadWRIRaw); err != nil {
		return err
	}
	if err := read(geonuclear, sites.ReadGeoNuclear); err != nil {
		return err
	}
	d := agreement.Document{Format: agreement.Format, ID: "import", Version: 1, Title: agreement.Texts{"en": "import"},
		Parties: []string{"import"}, Terms: []agreement.Term{*term}}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("the imported term is not valid: %w", err)
	}
	fmt.Fprintln(os.Stderr, msg.N("import.sites_done", len(term.Sites)))
	return writeTerm(term, *out)
}

// importLine builds a reference_line term from a DeepState export: the
// boundary of the occupied area inside the country's outline.
func importLine(args []string) error {
	fs := flags("import line")
	deepstate := fs.String("deepstate", "", "DeepState occupied-area GeoJSON (a daily file)")
	snapshot := fs.String("snapshot", "", "DeepState full map snapshot GeoJSON (occupied features are kept)")
	outline := fs.String("outline", "", "the country's administrative units (geoBoundaries ADM1 GeoJSON)")
	landFile := fs.String("land", "", "land polygons (Natural Earth countries GeoJSON): keeps the coast out where the outline reaches into the sea")
	margin := fs.Float64("margin-km", frontline.DefaultMargin/1000, "boundary within this distance of the outline (coast, border) is not the line")
	id := fs.String("id", "2", "term ID")
	partyID := fs.String("party", "", "the party whose baseline this is (default: common)")
	out := fs.String("out", "", "write the term to this file")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if (*deepstate == "") == (*snapshot == "") || *outline == "" {
		fs.Usage()
		return fmt.Errorf("%s", msg.T("import.need_line"))
	}
	path, reader := *deepstate, frontline.ReadOccupied
	if *snapshot != "" {
		path, reader = *snapshot, frontline.ReadSnapshot
	}
	f, prog, err := openProgress(path)
	if err != nil {
		return err
	}
	occupied, err := reader(readprogress.Reader(f, prog.set64))
	f.Close()
	prog.done()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	g, err := os.Open(*outline)
	if err != nil {
		return err
	}
	admin, err := frontline.ReadAdmin(g)
	g.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *outline, err)
	}
	var polys [][][]geo.Position
	for _, a := range admin {
		polys = append(polys, a.Polygons...)
	}
	inside := frontline.Within(polys)
	if *landFile != "" {
		l, err := os.Open(*landFile)
		if err != nil {
			return err
		}
		land, err := frontline.ReadLand(l)
		l.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *landFile, err)
		}
		country, onLand := inside, frontline.Within(land)
		inside = func(p geo.Position) bool { return country(p) && onLand(p) }
	}
	lines := frontline.LineOfContact(occupied, inside, *margin*1000)
	if len(lines) == 0 {
		return fmt.Errorf("%s", msg.T("import.no_line"))
	}
	coords, err := json.Marshal(lines)
	if err != nil {
		return err
	}
	term := &agreement.Term{ID: *id, Type: agreement.ReferenceLine, Party: *partyID,
		Title:    agreement.Texts{"en": "Line of contact, derived from " + path},
		Geometry: &geo.Geometry{Type: "MultiLineString", Coordinates: coords}}
	if _, err := agreement.LinesOf(*term.Geometry); err != nil {
		return fmt.Errorf("derived line: %w", ledger.Within("geometry", err))
	}
	n := 0
	for _, l := range lines {
		n += len(l)
	}
	fmt.Fprintln(os.Stderr, msg.T("import.line_done", msg.N("import.n_parts", len(lines)), msg.N("import.n_vertices", n), frontline.Length(lines)/1000))
	return writeTerm(term, *out)
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// sameNuclearSite tells whether a nuclear plant is already in the term from
// another registry: GPPD and GeoNuclearData both list Zaporizhzhia, at
// coordinates a few kilometres apart.
func sameNuclearSite(have []agreement.Site, s sites.Site) bool {
	if s.Kind != sites.KindNuclear {
		return false
	}
	for _, h := range have {
		if h.Kind == sites.KindNuclear && geo.Distance(geo.Position{*h.Lon, *h.Lat}, geo.Position{s.Lon, s.Lat}) < 10_000 {
			return true
		}
	}
	return false
}
