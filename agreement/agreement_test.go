package agreement_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"truce/agreement"
	"truce/geo"
	"truce/incident"
	"truce/ledger"
)

// example reads the complete example of the format, which the demo signs
// (docs/agreements.md).
func example(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("../demo/agreement.json")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func parse(t testing.TB, raw []byte) *agreement.Document {
	t.Helper()
	d, err := agreement.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// edit changes the example through a JSON patch function.
func edit(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(example(t), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	raw, _ := json.Marshal(m)
	return raw
}

func term(m map[string]any, id string) map[string]any {
	for _, x := range m["terms"].([]any) {
		if t := x.(map[string]any); t["id"] == id {
			return t
		}
	}
	panic("no term " + id)
}

func TestExampleParses(t *testing.T) {
	d := parse(t, example(t))
	types := map[string]bool{}
	for _, x := range d.Terms {
		types[x.Type] = true
	}
	for _, ty := range agreement.TermTypes {
		if !types[ty] {
			t.Errorf("the documented example has no %s term", ty)
		}
	}
	// Minsk II's withdrawal table is expressible.
	w := d.Term("4.2")
	want := map[string]float64{"artillery-100mm": 50, "mlrs": 70, "heavy-mlrs": 140, "tanks-mortars": 15}
	for _, c := range w.Classes {
		if want[c.Class] != *c.MinKM {
			t.Errorf("class %s: %g km, want %g", c.Class, *c.MinKM, want[c.Class])
		}
		delete(want, c.Class)
	}
	if len(want) > 0 {
		t.Errorf("missing classes %v", want)
	}
}

// Each bad document is refused with an error naming the field.
func TestBadDocuments(t *testing.T) {
	cases := []struct {
		name, field string
		edit        func(m map[string]any)
	}{
		{"unknown term type", "terms[0].type", func(m map[string]any) { term(m, "1")["type"] = "armistice" }},
		{"negative distance", "terms[2].width_km", func(m map[string]any) { term(m, "3")["width_km"] = -5 }},
		{"negative class distance", "terms[4].classes[1].min_km", func(m map[string]any) {
			term(m, "4.2")["classes"].([]any)[1].(map[string]any)["min_km"] = -70
		}},
		{"line that crosses itself", "terms[1].geometry.coordinates", func(m map[string]any) {
			term(m, "2")["geometry"] = map[string]any{"type": "LineString", "coordinates": [][]float64{{35, 47}, {36, 48}, {36, 47}, {35, 48}}}
		}},
		{"site without coordinates", "terms[5].sites[0].lat", func(m map[string]any) {
			delete(term(m, "5")["sites"].([]any)[0].(map[string]any), "lat")
		}},
		{"site name with a right-to-left override", "terms[5].sites[0].name", func(m map[string]any) {
			term(m, "5")["sites"].([]any)[0].(map[string]any)["name"] = "Zaporizhzhia \u202eTPP"
		}},
		{"weapon name with a line break", "terms[4].classes[1].weapons[0]", func(m map[string]any) {
			term(m, "4.2")["classes"].([]any)[1].(map[string]any)["weapons"] = []string{"BM-21\nGrad"}
		}},
		{"field of another type", "terms[0].width_km", func(m map[string]any) { term(m, "1")["width_km"] = 5 }},
		{"unknown field", "terms[0].colour", func(m map[string]any) { term(m, "1")["colour"] = "red" }},
		{"reference to a missing line", "terms[2].lines[0]", func(m map[string]any) { term(m, "3")["lines"] = []string{"99"} }},
		{"out-of-range coordinate", "terms[1].geometry.coordinates[0][1]", func(m map[string]any) {
			term(m, "2")["geometry"] = map[string]any{"type": "LineString", "coordinates": [][]float64{{35, 97}, {36, 48}}}
		}},
		{"unknown action", "terms[6].action", func(m map[string]any) { term(m, "6.1")["action"] = "shouting" }},
		{"unknown applies_to", "terms[2].applies_to[0]", func(m map[string]any) { term(m, "3")["applies_to"] = []string{"rumour"} }},
		{"duplicate term", "terms[1].id", func(m map[string]any) { term(m, "2")["id"] = "1" }},
		{"precondition without a zone", "terms[9].zone", func(m map[string]any) { delete(term(m, "7"), "zone") }},
		{"withdrawal with nothing to measure from", "terms[3].lines", func(m map[string]any) {
			var kept []any
			for _, x := range m["terms"].([]any) {
				if x.(map[string]any)["type"] != "reference_line" {
					kept = append(kept, x)
				}
			}
			m["terms"] = kept
			for _, x := range kept {
				delete(x.(map[string]any), "lines")
			}
		}},
		{"large unclosed area", "terms[2].areas[0].geometry.coordinates[0]", func(m map[string]any) {
			var ring [][]float64
			for i := range 6000 { // past the incident bound, where the document's own checks must still hold
				ring = append(ring, []float64{35 + float64(i)*1e-5, 47 + float64(i%2)*1e-3})
			}
			term(m, "3")["areas"] = []any{map[string]any{"name": "big", "geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{ring}}}}
		}},
		{"position of one number", "terms[1].geometry.coordinates[1]", func(m map[string]any) {
			term(m, "2")["geometry"] = map[string]any{"type": "LineString", "coordinates": [][]float64{{35, 47}, {36}}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := agreement.Parse(edit(t, c.edit))
			var fe *ledger.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a field error", err)
			}
			if fe.Field != c.field {
				t.Fatalf("field = %q (%v), want %q", fe.Field, err, c.field)
			}
		})
	}
}

func TestSignatures(t *testing.T) {
	d := parse(t, example(t))
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	pub2, priv2, _ := ed25519.GenerateKey(rand.Reader)
	sig, err := agreement.SignDocument(d, priv)
	if err != nil {
		t.Fatal(err)
	}
	sig2, _ := agreement.SignDocument(d, priv2)
	k := base64.StdEncoding.EncodeToString
	f := &agreement.File{Agreement: *d, Signatures: []agreement.Signature{
		{Party: "ua", Member: "ua-rep", Key: k(pub), Sig: sig},
	}}
	v, err := agreement.VerifyFile(f)
	if err != nil || v.Complete || len(v.Missing) != 1 || v.Missing[0] != "ru" {
		t.Fatalf("one of two signatures: %+v %v", v, err)
	}
	f.Signatures = append(f.Signatures, agreement.Signature{Party: "ru", Member: "ru-rep", Key: k(pub2), Sig: sig2})
	if v, err = agreement.VerifyFile(f); err != nil || !v.Complete {
		t.Fatalf("both signatures: %+v %v", v, err)
	}
	// One key counts once, whatever member or party it signs as.
	dup := *f
	dup.Signatures = []agreement.Signature{f.Signatures[0], {Party: "ru", Member: "someone", Key: k(pub), Sig: sig}}
	if _, err := agreement.VerifyFile(&dup); err == nil || !strings.Contains(err.Error(), "same key") {
		t.Fatalf("second signature by one key: %v", err)
	}
	// A signature over different bytes does not verify.
	changed := *f
	changed.Agreement.Terms = append([]agreement.Term(nil), d.Terms...)
	changed.Agreement.Title = agreement.Texts{"en": "Another text"}
	if _, err := agreement.VerifyFile(&changed); err == nil || !strings.Contains(err.Error(), "different bytes") {
		t.Fatalf("changed text: %v", err)
	}
	// The encoding is canonical: key order and spacing do not matter.
	var m map[string]any
	json.Unmarshal(example(t), &m)
	raw, _ := json.MarshalIndent(m, "", "    ")
	c1, _ := d.Canonical()
	c2, _ := parse(t, raw).Canonical()
	if string(c1) != string(c2) {
		t.Fatal("canonical encodings differ for one document")
	}
}

func point(t testing.TB, lon, lat float64) geo.Shape {
	t.Helper()
	s, err := geo.ParseShape(geo.Geometry{Type: "Point", Coordinates: json.RawMessage(`[` + ftoa(lon) + `,` + ftoa(lat) + `]`)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ftoa(f float64) string { b, _ := json.Marshal(f); return string(b) }

func TestEvaluate(t *testing.T) {
	d := parse(t, example(t))
	e, err := agreement.Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	in := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	find := func(vs []incident.PossibleViolation, term string) *incident.PossibleViolation {
		for i := range vs {
			if vs[i].Term == term {
				return &vs[i]
			}
		}
		return nil
	}
	// MLRS about 47 km behind the line: term 4.2 requires 70.
	mlrs := agreement.Event{Type: incident.WeaponsInZone, Weapon: "BM-21 Grad", At: in, Shape: point(t, 35.62, 47.14)}
	v := find(e.Evaluate(mlrs), "4.2")
	if v == nil || v.Class != "mlrs" || *v.LimitKM != 70 || *v.MeasuredKM < 30 || *v.MeasuredKM > 60 {
		t.Fatalf("MLRS: %+v", v)
	}
	// The same launchers 150 km away are fine; a tank is fine at 40 km.
	if v := find(e.Evaluate(agreement.Event{Type: incident.WeaponsInZone, Weapon: "Grad", At: in, Shape: point(t, 35.3, 46.2)}), "4.2"); v != nil {
		t.Errorf("MLRS far away flagged: %+v", v)
	}
	if v := find(e.Evaluate(agreement.Event{Type: incident.WeaponsInZone, Weapon: "T-72 tanks", At: in, Shape: point(t, 35.62, 47.14)}), "4.2"); v != nil {
		t.Errorf("tank at 40 km flagged: %+v", v)
	}
	// Punctuation after a name is not part of it.
	if v := find(e.Evaluate(agreement.Event{Type: incident.WeaponsInZone, Weapon: "two BM-21. Also Grad.", At: in, Shape: point(t, 35.62, 47.14)}), "4.2"); v == nil || v.Class != "mlrs" {
		t.Errorf("BM-21 followed by a full stop: %+v", v)
	}
	// "Smerch" is a heavy MLRS: 140 km.
	if v := find(e.Evaluate(agreement.Event{Type: incident.WeaponsInZone, Weapon: "9K58 Smerch", At: in, Shape: point(t, 35.3, 46.6)}), "4.2"); v == nil || v.Class != "heavy-mlrs" {
		t.Errorf("Smerch: %+v", v)
	}
	// Not in force before the effective time, nor after the duration.
	if vs := e.Evaluate(agreement.Event{Type: mlrs.Type, Weapon: mlrs.Weapon, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Shape: mlrs.Shape}); len(vs) != 0 {
		t.Errorf("before entry into force: %+v", vs)
	}
	// Shelling next to the Zaporizhzhia NPP: the site, the zone and the pilot area.
	vs := e.Evaluate(agreement.Event{Type: incident.Shelling, At: in, Shape: point(t, 34.59, 47.52)})
	znpp := false
	for _, v := range vs {
		if v.Term == "5" && v.Site == "znpp" && *v.MeasuredKM < 2 && *v.LimitKM == 30 {
			znpp = true
		}
	}
	if !znpp || find(vs, "3") == nil {
		t.Errorf("near ZNPP: %+v", vs)
	}
	// Energy strikes anywhere; aerial vehicles only over the zone.
	far := agreement.Event{Type: incident.Drone, Target: "energy", At: in, Shape: point(t, 30.7, 46.44)}
	vs = e.Evaluate(far)
	if find(vs, "6.1") == nil || find(vs, "6.2") != nil {
		t.Errorf("drone on Odesa's grid: %+v", vs)
	}
	near := agreement.Event{Type: incident.Drone, At: in, Shape: point(t, 35.6, 47.6)}
	if v := find(e.Evaluate(near), "6.2"); v == nil || v.Zone != "3" {
		t.Errorf("drone over the zone: %+v", v)
	}
	// A line incident crossing the reference line is at 0 km.
	line, _ := geo.ParseShape(geo.Geometry{Type: "LineString", Coordinates: json.RawMessage(`[[37.0,47.6],[37.0,48.0]]`)})
	v = find(e.Evaluate(agreement.Event{Type: incident.GroundAssault, At: in, Shape: line}), "3")
	if v == nil || v.MeasuredKM == nil || *v.MeasuredKM != 0 {
		t.Errorf("line across the line of contact: %+v", v)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(example(f))
	f.Add([]byte(`{"format":"truce/agreement/v1","id":"a","version":1,"title":{"en":"x"},"parties":["ua"],"terms":[{"id":"1","type":"clause","text":{"en":"x"}}]}`))
	f.Add([]byte(`{"terms":[{"type":"withdrawal","classes":[{"min_km":-1}]}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := agreement.Parse(raw)
		if err != nil {
			return
		}
		// Whatever parses encodes canonically, parses again to the same
		// bytes and compiles.
		c, err := d.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		d2, err := agreement.Parse(c)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v", err)
		}
		c2, _ := d2.Canonical()
		if string(c) != string(c2) {
			t.Fatal("canonical form is not stable")
		}
		if _, err := agreement.Compile(d); err != nil {
			t.Fatalf("valid document does not compile: %v", err)
		}
	})
}

// FuzzReadEvents: whatever the file, reading events either fails cleanly
// or yields events with valid shapes and a time.
func FuzzReadEvents(f *testing.F) {
	f.Add([]byte("id,latitude,longitude,date_start\n1,47.1,35.6,2022-03-01\n"))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[35.6,47.1]},"properties":{"weapon":"Grad","observed_at":"2026-02-08T11:20:00Z"}}]}`))
	f.Add([]byte(`{"type":"shelling","observed_at":"2026-01-01T00:00:00Z","time_precision":"hour","location":{"geometry":{"type":"Point","coordinates":[30,50]},"precision_m":1},"description":{"lang":"en","text":"x"}}`))
	f.Add([]byte("lat,lon\nNaN,1e999\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		recs, err := agreement.ReadEvents(strings.NewReader(string(raw)), agreement.Defaults{})
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.At.IsZero() || r.ID == "" || !slices.Contains(incident.Types, r.Type) {
				t.Fatalf("event %+v", r)
			}
			for _, p := range r.Shape.Points() {
				if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.Abs(p[0]) > 180 || math.Abs(p[1]) > 90 {
					t.Fatalf("event %s at %v", r.ID, p)
				}
			}
		}
	})
}

// Terms agree when they require the same, not when they read the same: a
// class with other weapon names, or a line through other points, differs.
func TestCompareBySubstance(t *testing.T) {
	a, b := parse(t, example(t)), parse(t, example(t))
	b.ID = "other"
	w := b.Term("4.2")
	w.Classes = append([]agreement.Class(nil), w.Classes...)
	w.Classes[1].Weapons = []string{"Grad"}
	w.Classes[1].Label = agreement.Texts{"en": "Rocket launchers"} // wording does not matter
	b.Term("2").Geometry = &geo.Geometry{Type: "LineString", Coordinates: json.RawMessage(`[[30,46],[31,47]]`)}
	rows := map[string]agreement.Row{}
	for _, r := range agreement.Compare([]agreement.Side{{ID: "a", Doc: a}, {ID: "b", Doc: b}}).Rows {
		rows[r.Topic] = r
	}
	if rows["withdrawal:mlrs"].Agree || !rows["withdrawal:heavy-mlrs"].Agree || rows["reference_line:common"].Agree || !rows["effective"].Agree {
		t.Fatalf("agreement by row: mlrs %v heavy %v line %v effective %v", rows["withdrawal:mlrs"].Agree,
			rows["withdrawal:heavy-mlrs"].Agree, rows["reference_line:common"].Agree, rows["effective"].Agree)
	}
}
