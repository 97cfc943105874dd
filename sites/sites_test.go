package sites

import (
	"errors"
	"math"
	"strings"
	"testing"

	"truce/internal/shareddata"
	"truce/ledger"
)

func byFuel(ss []Site) map[string]int {
	m := map[string]int{}
	for _, s := range ss {
		m[s.Fuel]++
	}
	return m
}

func find(t *testing.T, ss []Site, name string) Site {
	t.Helper()
	for _, s := range ss {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no site named %q", name)
	return Site{}
}

func checkSites(t *testing.T, ss []Site) {
	t.Helper()
	ids := map[string]bool{}
	for _, s := range ss {
		if s.ID == "" || ids[s.ID] {
			t.Errorf("ID %q empty or repeated (%s)", s.ID, s.Name)
		}
		ids[s.ID] = true
		if s.Name == "" || len(s.Country) != 3 || s.Source == "" {
			t.Errorf("%s: incomplete %+v", s.ID, s)
		}
		if math.Abs(s.Lat) > 90 || math.Abs(s.Lon) > 180 || math.IsNaN(s.Lat) || math.IsNaN(s.Lon) {
			t.Errorf("%s: position %g %g", s.ID, s.Lon, s.Lat)
		}
		if (s.Kind == KindNuclear) != strings.EqualFold(s.Fuel, "nuclear") || (s.Kind != KindNuclear && s.Kind != KindEnergy) {
			t.Errorf("%s: kind %q for fuel %q", s.ID, s.Kind, s.Fuel)
		}
	}
}

// The Ukraine cut of GPPD v1.3.0 matches what its README and GPPD's
// country summary state: 64 plants, 48.57 GW, 4 nuclear.
func TestGPPDUkraine(t *testing.T) {
	f := shareddata.Open(t, "power-plants-ukr-rus/gppd_v1.3.0_ukraine.csv")
	var calls int
	var last [2]int64
	ss, st, err := ReadGPPD(f, Options{Progress: func(done, total int64) { calls++; last = [2]int64{done, total} }})
	if err != nil {
		t.Fatal(err)
	}
	checkSites(t, ss)
	if len(ss) != 64 || st.Rows != 64 || len(st.Skipped) != 0 {
		t.Fatalf("%d sites from %d rows, %d skipped; want 64 of 64", len(ss), st.Rows, len(st.Skipped))
	}
	var total float64
	nuclear := 0
	for _, s := range ss {
		total += s.CapacityMW
		if s.Kind == KindNuclear {
			nuclear++
		}
		if s.Country != "UKR" {
			t.Errorf("%s: country %q", s.ID, s.Country)
		}
	}
	if math.Round(total) != 48570 {
		t.Errorf("total capacity %.1f MW, want 48,570", total)
	}
	if nuclear != 4 {
		t.Errorf("%d nuclear sites, want 4", nuclear)
	}
	want := map[string]int{"Solar": 27, "Coal": 21, "Hydro": 10, "Nuclear": 4, "Gas": 2}
	if got := byFuel(ss); len(got) != len(want) {
		t.Errorf("fuels %v, want %v", got, want)
	} else {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("fuel %s: %d plants, want %d", k, got[k], v)
			}
		}
	}
	z := find(t, ss, "Zaporozhye")
	if z.CapacityMW != 6000 || z.Lat != 47.5119 || z.Lon != 34.5863 || z.Kind != KindNuclear {
		t.Errorf("Zaporozhye: %+v", z)
	}
	if b := find(t, ss, "Burshtyn power station"); b.ID != "WRI1005097" || b.Source != "GPPD: GCPT" || b.Kind != KindEnergy {
		t.Errorf("Burshtyn: %+v", b)
	}
	fi, _ := f.Stat()
	if calls == 0 || last != [2]int64{fi.Size(), fi.Size()} {
		t.Errorf("progress: %d calls, last %v, want the file's size %d twice", calls, last, fi.Size())
	}
}

// The GEODB source table has GPPD's schema and both countries.
func TestGPPDGeoDBFilter(t *testing.T) {
	f := shareddata.Open(t, "power-plants-ukr-rus/gppd_source_GEODB_ukr_rus.csv")
	ss, st, err := ReadGPPD(f, Options{Countries: []string{"UA"}})
	if err != nil {
		t.Fatal(err)
	}
	checkSites(t, ss)
	if len(ss) != 32 || st.Filtered != 209 || st.Rows != 241 {
		t.Fatalf("%d sites, %d filtered of %d rows; want 32, 209 of 241", len(ss), st.Filtered, st.Rows)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	all, _, err := ReadGPPD(f, Options{Countries: []string{"UKR", "RUS"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 241 {
		t.Fatalf("%d sites of UKR and RUS, want 241", len(all))
	}
	if n := byFuel(all)["Nuclear"]; n != 14 {
		t.Errorf("%d nuclear, want 14", n)
	}
}

// WRI's raw Ukraine file: 61 rows, 39 with coordinates; unlocated rows are
// an error unless skipping is asked for; a plant ID used twice is told
// apart by name.
func TestWRIRawUkraine(t *testing.T) {
	f := shareddata.Open(t, "power-plants-ukr-rus/wri_raw_Ukraine.csv")
	_, _, err := ReadWRIRaw(f, Options{})
	var fe *ledger.FieldError
	if !errors.As(err, &fe) || fe.Field != "Latitude" || !strings.Contains(err.Error(), "line 2 (row 1)") {
		t.Fatalf("without SkipUnlocated: %v, want a Latitude error on line 2", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	ss, st, err := ReadWRIRaw(f, Options{SkipUnlocated: true})
	if err != nil {
		t.Fatal(err)
	}
	checkSites(t, ss)
	if st.Rows != 61 || len(ss) != 39 || len(st.Skipped) != 22 {
		t.Fatalf("%d sites, %d skipped of %d rows; want 39, 22 of 61", len(ss), len(st.Skipped), st.Rows)
	}
	if s := st.Skipped[0]; s.Line != 2 || !errors.Is(s.Err, errUnlocated) {
		t.Errorf("first skip %+v", s)
	}
	nuclear := 0
	for _, s := range ss {
		if s.Kind == KindNuclear {
			nuclear++
		}
	}
	if nuclear != 4 {
		t.Errorf("%d nuclear, want 4", nuclear)
	}
	if s := find(t, ss, "Kiev CHP-5"); s.ID != "WRI1005125-kiev-chp-5" || s.Country != "UKR" {
		t.Errorf("Kiev CHP-5: %+v", s)
	}
	if s := find(t, ss, "Kiev CHP-6"); s.ID != "WRI1005125-kiev-chp-6" {
		t.Errorf("Kiev CHP-6: %+v", s)
	}
}

// The raw Russia file: 624 rows with coordinates, one of them with the
// latitude and longitude swapped (latitude 166), which is skipped too.
func TestWRIRawRussia(t *testing.T) {
	f := shareddata.Open(t, "power-plants-ukr-rus/wri_raw_Russia.csv")
	ss, st, err := ReadWRIRaw(f, Options{SkipUnlocated: true})
	if err != nil {
		t.Fatal(err)
	}
	checkSites(t, ss)
	if st.Rows != 833 || len(ss) != 623 || len(st.Skipped) != 210 {
		t.Fatalf("%d sites, %d skipped of %d rows; want 623, 210 of 833", len(ss), len(st.Skipped), st.Rows)
	}
	outOfRange := 0
	for _, s := range st.Skipped {
		if strings.Contains(s.Err.Error(), "166.019741 is outside [-90, 90]") {
			outOfRange++
		}
	}
	if outOfRange != 1 {
		t.Errorf("%d skips for the swapped coordinates, want 1", outOfRange)
	}
	if n := byFuel(ss)["Nuclear"]; n != 13 {
		t.Errorf("%d nuclear, want 13", n)
	}
}

// GeoNuclearData: Ukraine's 21 reactor units are 4 operating sites and
// Chernobyl.
func TestGeoNuclearUkraine(t *testing.T) {
	f := shareddata.Open(t, "nuclear-plants-geonucleardata/nuclear_power_plants.csv")
	ss, st, err := ReadGeoNuclear(f, Options{Countries: []string{"UA"}})
	if err != nil {
		t.Fatal(err)
	}
	checkSites(t, ss)
	if st.Rows != 804 || st.Filtered != 804-21 {
		t.Errorf("%d rows, %d filtered; want 804, 783", st.Rows, st.Filtered)
	}
	type want struct {
		id     string
		units  int
		mw     float64
		status string
	}
	wants := map[string]want{
		"Chernobyl":     {"gnd-chernobyl", 4, 3700, "Shutdown"},
		"Khmelnitski":   {"gnd-khmelnitski", 4, 3970, "Operational"},
		"Rivne":         {"gnd-rivne", 4, 2645, "Operational"},
		"South Ukraine": {"gnd-south-ukraine", 3, 2850, "Operational"},
		"Zaporozhye":    {"gnd-zaporozhye", 6, 5700, "Operational"},
	}
	if len(ss) != len(wants) {
		t.Fatalf("%d sites, want %d: %+v", len(ss), len(wants), ss)
	}
	units, operating := 0, 0
	for _, s := range ss {
		w, ok := wants[s.Name]
		if !ok || s.ID != w.id || s.Units != w.units || s.CapacityMW != w.mw || s.Status != w.status || s.Country != "UKR" || s.Kind != KindNuclear {
			t.Errorf("%+v, want %+v", s, w)
		}
		units += s.Units
		if s.Status == "Operational" {
			operating++
		}
	}
	if units != 21 || operating != 4 {
		t.Errorf("%d units, %d operating sites; want 21, 4", units, operating)
	}
	z := find(t, ss, "Zaporozhye")
	if z.Lat != 47.508 || z.Lon != 34.627 {
		t.Errorf("Zaporozhye at %g %g", z.Lon, z.Lat)
	}
}

// Russia's 56 units make 18 sites; "Rostov-1 (Volgodonsk-1)" groups under
// Rostov, "Leningrad 2-1" is a site apart from Leningrad, and the single
// BREST-OD-300 keeps its name.
func TestGeoNuclearRussia(t *testing.T) {
	f := shareddata.Open(t, "nuclear-plants-geonucleardata/nuclear_power_plants.csv")
	ss, _, err := ReadGeoNuclear(f, Options{Countries: []string{"RU", "BY"}})
	if err != nil {
		t.Fatal(err)
	}
	checkSites(t, ss)
	units := map[string]int{}
	for _, s := range ss {
		units[s.Country] += s.Units
	}
	if units["RUS"] != 56 || units["BLR"] != 2 || len(ss) != 19 {
		t.Fatalf("%v units in %d sites; want RUS 56, BLR 2 in 19", units, len(ss))
	}
	for name, n := range map[string]int{"Rostov": 4, "Leningrad": 4, "Leningrad 2": 4, "BREST-OD-300": 1, "Belarusian": 2} {
		if s := find(t, ss, name); s.Units != n {
			t.Errorf("%s: %d units, want %d", name, s.Units, n)
		}
	}
}

// The whole file has 45 planned units without coordinates: an error by
// default, skipped and counted when asked.
func TestGeoNuclearUnlocated(t *testing.T) {
	f := shareddata.Open(t, "nuclear-plants-geonucleardata/nuclear_power_plants.csv")
	if _, _, err := ReadGeoNuclear(f, Options{}); !errors.Is(err, errUnlocated) {
		t.Fatalf("err = %v, want a unit without coordinates", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	ss, st, err := ReadGeoNuclear(f, Options{SkipUnlocated: true})
	if err != nil {
		t.Fatal(err)
	}
	checkSites(t, ss)
	units := 0
	for _, s := range ss {
		units += s.Units
	}
	if len(st.Skipped) != 45 || units+len(st.Skipped) != 804 {
		t.Errorf("%d skipped, %d units in sites; want 45 and 804 in all", len(st.Skipped), units)
	}
}

func TestSiteName(t *testing.T) {
	for unit, want := range map[string]string{
		"Zaporozhye-6":            "Zaporozhye",
		"Rostov-1 (Volgodonsk-1)": "Rostov",
		"Leningrad 2-3":           "Leningrad 2",
		"Chinon-B4":               "Chinon",
		"Biblis-A":                "Biblis",
		"BREST-OD-300":            "BREST-OD-300",
		"Ågesta":                  "Ågesta",
		"APS-1 Obninsk":           "APS-1 Obninsk",
		"(x)":                     "(x)",
		"-1":                      "-1",
	} {
		if got := siteName(unit); got != want {
			t.Errorf("siteName(%q) = %q, want %q", unit, got, want)
		}
	}
	if got := slug("Ågesta Ö-1 (x)"); got != "agesta-o-1-x" {
		t.Errorf("slug = %q", got)
	}
}

const gppdHeader = "country,country_long,name,gppd_idnr,capacity_mw,latitude,longitude,primary_fuel,source\n"

// Bad input fails with the line, the row and the column.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, in, field, where string
	}{
		{"no coordinates", gppdHeader + "UKR,Ukraine,A,X1,10,,30,Coal,\n", "latitude", "line 2 (row 1)"},
		{"one coordinate", gppdHeader + "UKR,Ukraine,A,X1,10,50,,Coal,\n", "longitude", "line 2 (row 1)"},
		{"latitude text", gppdHeader + "UKR,Ukraine,A,X1,10,50,30,Coal,\nUKR,Ukraine,B,X2,10,north,30,Coal,\n", "latitude", "line 3 (row 2)"},
		{"latitude NaN", gppdHeader + "UKR,Ukraine,A,X1,10,NaN,30,Coal,\n", "latitude", "line 2"},
		{"longitude range", gppdHeader + "UKR,Ukraine,A,X1,10,50,181,Coal,\n", "longitude", "line 2"},
		{"capacity text", gppdHeader + "UKR,Ukraine,A,X1,\"1,384\",50,30,Coal,\n", "capacity_mw", "line 2"},
		{"capacity negative", gppdHeader + "UKR,Ukraine,A,X1,-1,50,30,Coal,\n", "capacity_mw", "line 2"},
		{"no id", gppdHeader + "UKR,Ukraine,A,,1,50,30,Coal,\n", "gppd_idnr", "line 2"},
		{"duplicate id", gppdHeader + "UKR,Ukraine,A,X1,1,50,30,Coal,\nUKR,Ukraine,B,X1,1,50,30,Coal,\n", "gppd_idnr", "line 3"},
		{"no name", gppdHeader + "UKR,Ukraine,,X1,1,50,30,Coal,\n", "name", "line 2"},
		{"unknown country", gppdHeader + "XYZ,Nowhere,A,X1,1,50,30,Coal,\n", "country", "line 2"},
		{"missing column", "country,name,gppd_idnr,capacity_mw,latitude,primary_fuel\n", "", "line 1"},
		{"quoted newline then bad", gppdHeader + "UKR,Ukraine,\"A\nB\",X1,1,50,30,Coal,\nUKR,Ukraine,C,X2,1,,30,Coal,\n", "latitude", "line 4 (row 2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadGPPD(strings.NewReader(tc.in), Options{})
			var fe *ledger.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.where) {
				t.Fatalf("err = %v, want a %q error at %q", err, tc.field, tc.where)
			}
		})
	}
	for name, in := range map[string]string{
		"empty":      "",
		"ragged row": gppdHeader + "UKR,Ukraine,A,X1,1,50,30\n",
		"bare quote": gppdHeader + "UKR,Ukraine,A\"B,X1,1,50,30,Coal,\n",
	} {
		if _, _, err := ReadGPPD(strings.NewReader(in), Options{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, _, err := ReadGPPD(strings.NewReader(gppdHeader), Options{Countries: []string{"Ukraine"}}); err == nil {
		t.Error("a country filter by name: no error")
	}
}

// Skipped rows are reported with their line and not returned; located
// rows around them are.
func TestSkipUnlocated(t *testing.T) {
	in := gppdHeader + "UKR,Ukraine,A,X1,1,50,30,Coal,\nUKR,Ukraine,B,X2,1,,,Coal,\nUKR,Ukraine,C,X3,1,95,30,Coal,\nUKR,Ukraine,D,X4,1,49,31,Nuclear,\n"
	ss, st, err := ReadGPPD(strings.NewReader(in), Options{SkipUnlocated: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || ss[0].ID != "X1" || ss[1].ID != "X4" || ss[1].Kind != KindNuclear {
		t.Fatalf("sites %+v", ss)
	}
	if len(st.Skipped) != 2 || st.Skipped[0].Line != 3 || st.Skipped[1].Line != 4 || st.Rows != 4 {
		t.Fatalf("stats %+v", st)
	}
	// Text that is no number is not a missing location: still an error.
	in += "UKR,Ukraine,E,X5,1,fifty,30,Coal,\n"
	if _, _, err := ReadGPPD(strings.NewReader(in), Options{SkipUnlocated: true}); err == nil {
		t.Fatal("malformed latitude skipped")
	}
}

// A WRI header with the columns in another order and a BOM still reads.
func TestWRIRawByHeader(t *testing.T) {
	in := "\uFEFFCountry,Latitude,Longitude,Name,Fuel,Capacity (MW),Power Plant ID\n" +
		"Ukraine,50.1,30.2,Plant,Natural Gas,12 ,7\n" +
		"russian federation,55,37,Other,Nuclear,,8\n"
	ss, _, err := ReadWRIRaw(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Site{
		{ID: "WRI7", Name: "Plant", Kind: KindEnergy, Lon: 30.2, Lat: 50.1, Country: "UKR", CapacityMW: 12, Fuel: "Natural Gas", Source: "WRI"},
		{ID: "WRI8", Name: "Other", Kind: KindNuclear, Lon: 37, Lat: 55, Country: "RUS", Fuel: "Nuclear", Source: "WRI"},
	}
	if len(ss) != 2 || ss[0] != want[0] || ss[1] != want[1] {
		t.Fatalf("got %+v\nwant %+v", ss, want)
	}
}
