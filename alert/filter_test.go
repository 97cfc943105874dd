package alert_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"truce/alert"
	"truce/geo"
	"truce/incident"
	"truce/ledger"
)

func TestParseFilter(t *testing.T) {
	f, err := alert.ParseFilter("events=near_site,window_violation parties=ru,ua types=shelling bbox=33,46,37.5,48.5 near_km=5 severity=serious")
	if err != nil {
		t.Fatal(err)
	}
	want := alert.Filter{Events: []alert.Kind{alert.NearSite, alert.WindowViolation}, Parties: []string{"ru", "ua"}, Types: []incident.Type{"shelling"},
		BBox: []float64{33, 46, 37.5, 48.5}, NearKM: 5, Severity: alert.Serious}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("parsed %+v, want %+v", f, want)
	}
	if back, err := alert.ParseFilter(f.String()); err != nil || !reflect.DeepEqual(back, f) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	for _, c := range []struct{ in, field string }{
		{"", "filter.events"},
		{"parties=ru", "filter.events"},
		{"events=storm", "filter.events[0]"},
		{"events=incident events=violation", "filter.events"},
		{"events=incident,incident", "filter.events[1]"},
		{"events=incident colour=red", "filter.colour"},
		{"events=incident parties=RU", "filter.parties[0]"},
		{"events=incident types=hail", "filter.types[0]"},
		{"events=incident bbox=1,2,3", "filter.bbox"},
		{"events=incident bbox=40,46,33,48", "filter.bbox"},
		{"events=incident bbox=a,46,37,48", "filter.bbox"},
		{"events=incident bbox=30,-95,37,48", "filter.bbox"},
		{"events=near_site near_km=-1", "filter.near_km"},
		{"events=near_site near_km=NaN", "filter.near_km"},
		{"events=near_site near_km=far", "filter.near_km"},
		{"events=incident severity=grave", "filter.severity"},
		{"events", "filter"},
		{"events=", "filter"},
	} {
		_, err := alert.ParseFilter(c.in)
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%q: %v, want a refusal naming %s", c.in, err, c.field)
		}
	}
}

func TestFilterMatches(t *testing.T) {
	km := func(x float64) *float64 { return &x }
	box := geo.BBox{35, 47, 35, 47}
	ev := alert.Event{Kind: alert.NearSite, Record: "inc-1", Parties: []string{"ru", "ua"}, Type: "shelling", BBox: &box,
		Severity: alert.Serious, MeasuredKM: km(3)}
	for _, c := range []struct {
		filter string
		want   bool
	}{
		{"events=near_site", true},
		{"events=incident", false},
		{"events=near_site parties=ru", true},
		{"events=near_site parties=us", false},
		{"events=near_site types=missile", false},
		{"events=near_site bbox=34,46,36,48", true},
		{"events=near_site bbox=20,40,30,45", false},
		{"events=near_site near_km=5", true},
		{"events=near_site near_km=2", false},
		{"events=near_site severity=serious", true},
	} {
		f, err := alert.ParseFilter(c.filter)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Matches(ev); got != c.want {
			t.Errorf("%s: %v, want %v", c.filter, got, c.want)
		}
	}
	// What an event does not carry, the filter does not test.
	missed := alert.Event{Kind: alert.HotlineMissed, Record: "hl-1", Parties: []string{"ua"}}
	f, _ := alert.ParseFilter("events=hotline_missed types=shelling bbox=20,40,30,45 severity=serious")
	if !f.Matches(missed) {
		t.Error("a missed hotline deadline was filtered by incident fields")
	}
	minor := ev
	minor.Severity = alert.Minor
	if f, _ := alert.ParseFilter("events=near_site severity=serious"); f.Matches(minor) {
		t.Error("a minor incident passed severity=serious")
	}
}

func TestWebhookURL(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://ops.example/hooks/truce", true},
		{"http://127.0.0.1:9000/hook", true},
		{"ftp://example/x", false},
		{"file:///etc/passwd", false},
		{"https://user:pw@example/x", false},
		{"https://example/x#frag", false},
		{"/relative", false},
		{"https://:80/", false},
		{"https://example:99999/", false},
		{"", false},
	} {
		if err := alert.CheckURL("webhook.url", c.url); (err == nil) != c.ok {
			t.Errorf("%q: %v", c.url, err)
		}
	}
}

// FuzzParseFilter: whatever text the parser accepts is a valid filter
// that writes back to text parsing to the same filter, and survives the
// JSON a statement carries it in.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"events=near_site near_km=5 severity=serious",
		"events=incident,violation parties=ru,ua types=shelling,missile bbox=33,46,37.5,48.5",
		"events=hotline_missed", "events=guarantee_missed,guarantee_withdrawn party=ru",
		"events=near_site near_km=1e-3", "events=incident bbox=-180,-90,180,90", "=", "events==", "events=incident\tseverity=minor",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := alert.ParseFilter(s)
		if err != nil {
			var fe *ledger.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%q: an error that names no field: %v", s, err)
			}
			return
		}
		if err := flt.Validate(); err != nil {
			t.Fatalf("%q parsed to an invalid filter: %v", s, err)
		}
		back, err := alert.ParseFilter(flt.String())
		if err != nil || !reflect.DeepEqual(back, flt) {
			t.Fatalf("%q: %q reads back as %+v, %v", s, flt.String(), back, err)
		}
		raw, err := json.Marshal(flt)
		if err != nil {
			t.Fatal(err)
		}
		var viaJSON alert.Filter
		if err := ledger.Decode(raw, &viaJSON); err != nil || viaJSON.Validate() != nil || viaJSON.String() != flt.String() {
			t.Fatalf("%q: through JSON %s: %+v, %v", s, raw, viaJSON, err)
		}
	})
}
