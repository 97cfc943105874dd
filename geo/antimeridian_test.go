package geo

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"truce/ledger"
)

// A geometry that crosses the antimeridian uncut is refused by every
// validator of lines and polygons, naming the segment's second position and
// saying to cut it at ±180° (RFC 7946 §3.1.9). Cut in two, it is accepted.
func TestAntimeridian(t *testing.T) {
	refused := []struct{ g, field string }{
		// Chukotka, drawn across the antimeridian as one ring.
		{`{"type":"Polygon","coordinates":[[[175,64],[-175,64],[-175,68],[175,68],[175,64]]]}`, "coordinates[0][1]"},
		{`{"type":"Polygon","coordinates":[[[10,10],[11,10],[11,11],[10,10]],[[10.2,10.1],[-179,10.1],[10.9,10.9],[10.2,10.1]]]}`, "coordinates[1][1]"},
		{`{"type":"MultiPolygon","coordinates":[[[[30,48],[31,48],[31,49],[30,48]]],[[[179,0],[179,1],[-179,1],[179,0]]]]}`, "coordinates[1][0][2]"},
		{`{"type":"LineString","coordinates":[[170,60],[-170,62]]}`, "coordinates[1]"},
		{`{"type":"MultiLineString","coordinates":[[[30,48],[31,49]],[[0,0],[100,1],[180,1],[-180,1]]]}`, "coordinates[1][3]"},
	}
	for _, c := range refused {
		var g Geometry
		if err := json.Unmarshal([]byte(c.g), &g); err != nil {
			t.Fatal(err)
		}
		for name, check := range map[string]func() error{
			"Validate":   func() error { _, err := g.Validate(); return err },
			"ParseShape": func() error { _, err := ParseShape(g); return err },
		} {
			err := check()
			var fe *ledger.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Reason, "±180°") || !strings.Contains(fe.Reason, "RFC 7946 §3.1.9") {
				t.Errorf("%s %s: %v, want an error at %s saying to cut at ±180°", name, c.g, err, c.field)
			}
		}
	}
	accepted := []string{
		// The same ring cut in two at the antimeridian.
		`{"type":"MultiPolygon","coordinates":[[[[175,64],[180,64],[180,68],[175,68],[175,64]]],[[[-180,64],[-175,64],[-175,68],[-180,68],[-180,64]]]]}`,
		`{"type":"MultiLineString","coordinates":[[[170,60],[180,61]],[[-180,61],[-170,62]]]}`,
		// Exactly 180° apart is not beyond.
		`{"type":"LineString","coordinates":[[-90,10],[90,10]]}`,
	}
	for _, s := range accepted {
		var g Geometry
		json.Unmarshal([]byte(s), &g)
		if _, err := ParseShape(g); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}

	// Reference lines of an agreement.
	err := ValidateLine([]Position{{30, 48}, {179.5, 50}, {-179.5, 51}}, "terms[1].geometry.coordinates")
	var fe *ledger.FieldError
	if !errors.As(err, &fe) || fe.Field != "terms[1].geometry.coordinates[2]" || !strings.Contains(fe.Reason, "±180°") {
		t.Errorf("ValidateLine: %v", err)
	}
	if err := ValidateLine([]Position{{170, 50}, {180, 51}}, "c"); err != nil {
		t.Errorf("ValidateLine up to the antimeridian: %v", err)
	}
	// Areas of an agreement.
	_, err = NewArea([][][]Position{{{{175, 64}, {-175, 64}, {-175, 68}, {175, 68}, {175, 64}}}})
	if !errors.As(err, &fe) || fe.Field != "coordinates[0][0][1]" || !strings.Contains(fe.Reason, "±180°") {
		t.Errorf("NewArea: %v", err)
	}
	if _, err := NewArea([][][]Position{{{{175, 64}, {180, 64}, {180, 68}, {175, 68}, {175, 64}}}, {{{-180, 64}, {-175, 64}, {-175, 68}, {-180, 68}, {-180, 64}}}}); err != nil {
		t.Errorf("NewArea cut at the antimeridian: %v", err)
	}
}
