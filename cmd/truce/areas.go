package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	progressio "truce/progress"
	"truce/report"
)

// importAreas reads geoBoundaries' oblasts (ADM1) and, optionally, raions
// (ADM2, joined to their oblast by where they lie) into the data
// directory's area set, which the daily report counts by from the
// server's next start.
func importAreas(args []string) error {
	fs := flags("import areas")
	adm1 := fs.String("adm1", "", "geoBoundaries ADM1 GeoJSON (oblasts)")
	adm2 := fs.String("adm2", "", "geoBoundaries ADM2 GeoJSON (raions; geoBoundaries' has the pre-2020 raions)")
	data := fs.String("data", defaultData, "data directory: the areas go to DATA/"+report.AreasFile)
	out := fs.String("out", "", "write the area set here instead")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *adm1 == "" {
		fs.Usage()
		return fmt.Errorf("%s", msg.T("areas.need_adm1"))
	}
	read := func(path string, level int) ([]report.Area, error) {
		f, prog, err := openProgress(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		areas, err := report.ReadGeoBoundaries(progressio.Reader(f, prog.set64), level)
		prog.done()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return areas, nil
	}
	oblasts, err := read(*adm1, 1)
	if err != nil {
		return err
	}
	source := "geoBoundaries ADM1 (" + filepath.Base(*adm1) + ")"
	all := oblasts
	if *adm2 != "" {
		raions, err := read(*adm2, 2)
		if err != nil {
			return err
		}
		if err := report.JoinParents(raions, oblasts); err != nil {
			return err
		}
		all = append(all, raions...)
		source += " + ADM2 (" + filepath.Base(*adm2) + ")"
	}
	path := *out
	if path == "" {
		if err := os.MkdirAll(*data, 0o750); err != nil {
			return err
		}
		path = filepath.Join(*data, report.AreasFile)
	}
	if err := report.WriteAreaSet(path, source, all); err != nil {
		return err
	}
	// Check that the server will load what was written.
	if _, err := report.LoadRegions(path); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, msg.T("areas.done", len(oblasts), len(all)-len(oblasts), path))
	return nil
}

// importBorders reads third countries' outlines (Natural Earth's
// countries GeoJSON) into the data directory, for the spillover warning.
func importBorders(args []string) error {
	fs := flags("import borders")
	countries := fs.String("countries", "", "countries GeoJSON (Natural Earth's, with a name property)")
	names := fs.String("names", strings.Join(report.ThirdCountries, ","), "the third countries to watch, comma-separated")
	data := fs.String("data", defaultData, "data directory: the outlines go to DATA/"+report.BordersFile)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *countries == "" {
		fs.Usage()
		return fmt.Errorf("%s", msg.T("borders.need_countries"))
	}
	f, prog, err := openProgress(*countries)
	if err != nil {
		return err
	}
	want := splitList(*names)
	got, err := report.ReadCountries(progressio.Reader(f, prog.set64), want)
	f.Close()
	prog.done()
	if err != nil {
		return fmt.Errorf("%s: %w", *countries, err)
	}
	if len(got) < len(want) {
		var found []string
		for _, c := range got {
			found = append(found, c.Name)
		}
		return fmt.Errorf("%s", msg.T("borders.missing", *countries, strings.Join(want, ", "), strings.Join(found, ", ")))
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		return err
	}
	path := filepath.Join(*data, report.BordersFile)
	if err := report.WriteAreaSet(path, "Natural Earth ("+filepath.Base(*countries)+")", got); err != nil {
		return err
	}
	if _, err := report.LoadBorders(path); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, msg.T("borders.done", len(got), path, report.SpilloverKM))
	return nil
}
