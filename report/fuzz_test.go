package report

import (
	"bytes"
	"testing"
	"time"
)

// A cut-off accepted is one written back the same way, and its period is
// a day (23 to 25 hours) that ends at the cut-off.
func FuzzNewConfig(f *testing.F) {
	for _, s := range [][2]string{{"19:30", "Europe/Kyiv"}, {"00:00", "UTC"}, {"23:59", "Asia/Shanghai"}, {"7:5", "UTC"}, {"19:30", "../etc"}, {"+1:30", "UTC"}, {"0:00", "UTC"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, cutOff, zone string) {
		c, err := NewConfig(cutOff, zone)
		if err != nil {
			return
		}
		if c.CutOffText() != cutOff {
			t.Fatalf("%q read back as %q", cutOff, c.CutOffText())
		}
		from, to := c.Period(time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC))
		if h := to.Sub(from).Hours(); h < 23 || h > 25 {
			t.Fatalf("a day of %v hours", h)
		}
		if got := c.DayOf(to.Add(-time.Second)); got.Format(time.DateOnly) != "2026-03-29" {
			t.Fatalf("the last second of the period is in %s", got)
		}
	})
}

// Any bytes: an error or areas, never a panic; areas read have names and
// polygons.
func FuzzReadGeoBoundaries(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"shapeName":"A","shapeID":"1"},"geometry":{"type":"Polygon","coordinates":[[[30,50],[31,50],[31,51],[30,50]]]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"properties":{"shapeName":"B","shapeID":"2"},"geometry":{"type":"MultiPolygon","coordinates":[[[[30,50],[31,50],[31,51],[30,50]]]]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"properties":{"shapeName":"C","shapeID":"3"},"geometry":{"type":"Point","coordinates":[30,50]}}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		areas, err := ReadGeoBoundaries(bytes.NewReader(raw), 1)
		if err != nil {
			return
		}
		for _, a := range areas {
			if a.Name == "" || a.ID == "" || len(a.Polygons) == 0 {
				t.Fatalf("%+v", a)
			}
		}
		compile(areas) // an area the index refuses is an error, not a panic
	})
}
