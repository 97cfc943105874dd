package sites

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// ReadGeoNuclear reads GeoNuclearData's nuclear_power_plants.csv (Id, Name,
// Latitude, Longitude, Country, CountryCode, Status, ..., Capacity), which
// has one row per reactor unit, and groups the units of one site into one
// Site: "Zaporozhye-1" … "Zaporozhye-6" become "Zaporozhye" with Units 6
// and CapacityMW the sum of the units' net capacities (built or not).
//
// A site takes the coordinates of its first unit in the file (units share
// them, give or take a few hundred metres for later units) and the status
// of its most active unit. Its ID is "gnd-" and the slug of its name.
// Filter with Options.Countries ("UA", "RU"); a unit without coordinates
// is skipped on its own under SkipUnlocated.
func ReadGeoNuclear(r io.Reader, opt Options) ([]Site, Stats, error) {
	var st Stats
	t, err := newTable("geonucleardata", r, opt, "Name", "Latitude", "Longitude", "CountryCode", "Status", "Capacity")
	if err != nil {
		return nil, st, err
	}
	var out []Site
	at := map[[2]string]int{} // (country, site name) → index in out
	for {
		ok, err := t.next()
		if err != nil {
			return nil, st, err
		}
		if !ok {
			break
		}
		st.Rows++
		country, wanted, err := t.country("CountryCode")
		if err != nil {
			return nil, st, err
		}
		if !wanted {
			st.Filtered++
			continue
		}
		unit, err := t.required("Name")
		if err != nil {
			return nil, st, err
		}
		capacity, err := t.capacity("Capacity")
		if err != nil {
			return nil, st, err
		}
		status := t.get("Status")
		lon, lat, err := t.coords("Latitude", "Longitude")
		if err != nil {
			if err = skipOrFail(&st, opt, t.line("Latitude"), err); err != nil {
				return nil, st, err
			}
			continue
		}
		name := siteName(unit)
		key := [2]string{country, name}
		i, ok := at[key]
		if !ok {
			i = len(out)
			at[key] = i
			out = append(out, Site{
				Name: name, Kind: KindNuclear, Lon: lon, Lat: lat, Country: country,
				Fuel: "Nuclear", Source: source("GeoNuclearData", t.get("Source")), Status: status,
			})
		}
		s := &out[i]
		s.Units++
		s.CapacityMW += capacity
		if activity(status) < activity(s.Status) {
			s.Status = status
		}
	}
	// The same name in two countries would give one ID twice; the country
	// code tells them apart, whichever comes first in the file.
	ids := map[string]bool{}
	for i := range out {
		id := "gnd-" + slug(out[i].Name)
		if ids[id] {
			id += "-" + strings.ToLower(out[i].Country)
		}
		for n := 2; ids[id]; n++ {
			id = fmt.Sprintf("gnd-%s-%s-%d", slug(out[i].Name), strings.ToLower(out[i].Country), n)
		}
		ids[id] = true
		out[i].ID = id
	}
	return out, st, nil
}

var (
	// "Rostov-1 (Volgodonsk-1)": the parenthesis is an alias of the unit.
	unitAlias = regexp.MustCompile(`\s*\([^)]*\)`)
	// "-1", "-A1", "-B": a unit number of at most two digits, so that
	// "BREST-OD-300" (300 MW, one unit) keeps its name.
	unitNumber = regexp.MustCompile(`\s*-\s*(?:[A-Z]?[0-9]{1,2}|[A-Z])$`)
)

// siteName strips the unit designation from a unit's name.
func siteName(unit string) string {
	name := strings.TrimSpace(unitAlias.ReplaceAllString(unit, ""))
	if base := unitNumber.ReplaceAllString(name, ""); base != "" {
		name = base
	}
	if name == "" {
		return strings.TrimSpace(unit)
	}
	return name
}

// activity orders statuses from most to least active; the status a site
// shows is that of its most active unit.
func activity(status string) int {
	for i, s := range []string{
		"Operational", "Suspended Operation", "Under Construction", "Suspended Construction",
		"Planned", "Shutdown", "Decommissioning Completed", "Never Commissioned", "Cancelled Construction",
	} {
		if strings.EqualFold(status, s) {
			return i
		}
	}
	return 100
}
