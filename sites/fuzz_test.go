package sites

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"truce/ledger"
)

// Each reader, on any input, either fails with an error or returns sites
// that are located, uniquely identified and of a known kind — and does the
// same the second time.
func fuzzReader(f *testing.F, read func(io.Reader, Options) ([]Site, Stats, error), seeds ...string) {
	for _, s := range seeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, skip bool) {
		opt := Options{SkipUnlocated: skip}
		ss, st, err := read(strings.NewReader(in), opt)
		if err != nil {
			var fe *ledger.FieldError
			if errors.As(err, &fe) && !strings.Contains(err.Error(), "line ") {
				t.Fatalf("field error without a line: %v", err)
			}
			return
		}
		if len(ss)+len(st.Skipped) > st.Rows {
			t.Fatalf("%d sites and %d skips from %d rows", len(ss), len(st.Skipped), st.Rows)
		}
		ids := map[string]bool{}
		for _, s := range ss {
			if s.ID == "" || ids[s.ID] {
				t.Fatalf("ID %q empty or repeated", s.ID)
			}
			ids[s.ID] = true
			if !(math.Abs(s.Lat) <= 90 && math.Abs(s.Lon) <= 180) || !(s.CapacityMW >= 0) || math.IsInf(s.CapacityMW, 0) {
				t.Fatalf("%s: position %g %g capacity %g", s.ID, s.Lon, s.Lat, s.CapacityMW)
			}
			if s.Kind != KindNuclear && s.Kind != KindEnergy {
				t.Fatalf("%s: kind %q", s.ID, s.Kind)
			}
			if len(s.Country) != 3 || s.Name == "" {
				t.Fatalf("%s: %+v", s.ID, s)
			}
		}
		again, _, err := read(strings.NewReader(in), opt)
		if err != nil || len(again) != len(ss) {
			t.Fatalf("second read: %d sites, %v", len(again), err)
		}
		for i := range ss {
			if again[i] != ss[i] {
				t.Fatalf("second read differs: %+v / %+v", again[i], ss[i])
			}
		}
	})
}

func FuzzReadGPPD(f *testing.F) {
	fuzzReader(f, ReadGPPD,
		gppdHeader+"UKR,Ukraine,Bolgrad,WKS0062408,34.1,45.765,28.599,Solar,Wiki-Solar\n",
		gppdHeader+"UKR,Ukraine,A,X1,1,,,Coal,\nRUS,Russia,B,X2,2,55,37,Nuclear,GEODB\n",
		"latitude,longitude,name,gppd_idnr,country,capacity_mw,primary_fuel\n-90,180,A,1,UA,0,Hydro\n",
	)
}

func FuzzReadWRIRaw(f *testing.F) {
	fuzzReader(f, ReadWRIRaw,
		"Power Plant ID,Name,Fuel,Capacity (MW),Latitude,Longitude,Country\n1005125,Kiev CHP-5,Coal,700,50.532,30.6625,Ukraine\n1005125,Kiev CHP-6,Coal,500,50.532,30.6625,Ukraine\n",
		"Power Plant ID,Name,Fuel,Capacity (MW),Latitude,Longitude,Country\n1062055,VDK,Diesel,18 ,166.019741,55.194489,Russia\n7,B,,,,,RUS\n",
	)
}

func FuzzReadGeoNuclear(f *testing.F) {
	fuzzReader(f, ReadGeoNuclear,
		"Id,Name,Latitude,Longitude,Country,CountryCode,Status,Capacity\n771,Zaporozhye-1,47.508,34.627,Ukraine,UA,Operational,950\n772,Zaporozhye-2,47.508,34.627,Ukraine,UA,Operational,950\n135,Chernobyl-1,51.389,30.103,Ukraine,UA,Shutdown,925\n",
		"Id,Name,Latitude,Longitude,Country,CountryCode,Status,Capacity\n1,Rostov-1 (Volgodonsk-1),47.599,42.373,Russia,RU,Operational,950\n2,Akhvaz-1,,,Iran,IR,Planned,\n3,X-1,1,1,Y,FR,Planned,1\n4,X-1,1,1,Y,DE,Planned,1\n",
	)
}
