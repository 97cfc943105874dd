package sites

import (
	"fmt"
	"io"
)

// ReadWRIRaw reads WRI's hand-collected GPPD input files
// (raw_source_files/WRI/<Country>.csv: "Power Plant ID", "Name", "Fuel",
// "Capacity (MW)", "Latitude", "Longitude", "Country" with the country's
// English name, ...). Many of their rows have no coordinates: pass
// SkipUnlocated to import the others.
//
// The ID is "WRI" and the Power Plant ID, which is how GPPD itself names
// these plants (WRI1005097). The files reuse an ID for several units of one
// plant (Kiev CHP-5 and CHP-6), so an ID that occurs on more than one row
// gets the slug of each row's name appended.
func ReadWRIRaw(r io.Reader, opt Options) ([]Site, Stats, error) {
	var st Stats
	t, err := newTable("wri", r, opt, "Power Plant ID", "Name", "Fuel", "Capacity (MW)", "Latitude", "Longitude", "Country")
	if err != nil {
		return nil, st, err
	}
	var out []Site
	uses := map[string]int{} // ID → rows carrying it, located or not
	for {
		ok, err := t.next()
		if err != nil {
			return nil, st, err
		}
		if !ok {
			break
		}
		st.Rows++
		country, wanted, err := t.country("Country")
		if err != nil {
			return nil, st, err
		}
		if !wanted {
			st.Filtered++
			continue
		}
		s := Site{Country: country, Fuel: t.get("Fuel"), Source: source("WRI", t.get("Source"))}
		id, err := t.required("Power Plant ID")
		if err != nil {
			return nil, st, err
		}
		s.ID = "WRI" + id
		uses[s.ID]++
		if s.Name, err = t.required("Name"); err != nil {
			return nil, st, err
		}
		if s.CapacityMW, err = t.capacity("Capacity (MW)"); err != nil {
			return nil, st, err
		}
		s.Kind = kindOfFuel(s.Fuel)
		s.Status = t.get("Operational Status")
		if s.Lon, s.Lat, err = t.coords("Latitude", "Longitude"); err != nil {
			if err = skipOrFail(&st, opt, t.line("Latitude"), err); err != nil {
				return nil, st, err
			}
			continue
		}
		out = append(out, s)
	}
	// Disambiguate shared IDs by name; a name shared too gets a counter in
	// file order, the only order there is.
	taken := map[string]bool{}
	for _, s := range out {
		if uses[s.ID] == 1 {
			taken[s.ID] = true
		}
	}
	for i := range out {
		s := &out[i]
		if uses[s.ID] == 1 {
			continue
		}
		id := s.ID + "-" + slug(s.Name)
		for n := 2; taken[id]; n++ {
			id = fmt.Sprintf("%s-%s-%d", s.ID, slug(s.Name), n)
		}
		taken[id] = true
		s.ID = id
	}
	return out, st, nil
}
