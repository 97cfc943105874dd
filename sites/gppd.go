package sites

import (
	"io"
)

// ReadGPPD reads the WRI Global Power Plant Database CSV (v1.3.0 schema:
// country, name, gppd_idnr, capacity_mw, latitude, longitude,
// primary_fuel, ...; columns are found by header name, so the GEODB
// source table of the same schema reads too). A site's ID is its
// gppd_idnr, which GPPD keeps stable across releases.
func ReadGPPD(r io.Reader, opt Options) ([]Site, Stats, error) {
	var st Stats
	t, err := newTable("gppd", r, opt, "country", "name", "gppd_idnr", "capacity_mw", "latitude", "longitude", "primary_fuel")
	if err != nil {
		return nil, st, err
	}
	var out []Site
	seen := map[string]int{} // gppd_idnr → line
	for {
		ok, err := t.next()
		if err != nil {
			return nil, st, err
		}
		if !ok {
			return out, st, nil
		}
		st.Rows++
		country, wanted, err := t.country("country")
		if err != nil {
			return nil, st, err
		}
		if !wanted {
			st.Filtered++
			continue
		}
		s := Site{Country: country, Fuel: t.get("primary_fuel"), Source: source("GPPD", t.get("source"))}
		if s.ID, err = t.required("gppd_idnr"); err != nil {
			return nil, st, err
		}
		if line, dup := seen[s.ID]; dup {
			return nil, st, t.invalid("gppd_idnr", "%q is already the ID of line %d", s.ID, line)
		}
		seen[s.ID] = t.line("gppd_idnr")
		if s.Name, err = t.required("name"); err != nil {
			return nil, st, err
		}
		if s.CapacityMW, err = t.capacity("capacity_mw"); err != nil {
			return nil, st, err
		}
		s.Kind = kindOfFuel(s.Fuel)
		if s.Lon, s.Lat, err = t.coords("latitude", "longitude"); err != nil {
			if err = skipOrFail(&st, opt, t.line("latitude"), err); err != nil {
				return nil, st, err
			}
			continue
		}
		out = append(out, s)
	}
}
