package agreement

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"truce/geo"
	"truce/incident"
	"truce/ledger"
)

// Record is an event read from a file for offline evaluation.
type Record struct {
	ID string
	Event
}

// Defaults fill what an events file does not say.
type Defaults struct {
	Type incident.Type
	// At, if set, replaces every event's time: to judge past events against
	// an agreement as if it had been in force.
	At time.Time
}

// ReadEvents reads events for truce eval: a GeoJSON FeatureCollection
// (properties id, type, weapon, target, actor, observed_at), a CSV with
// latitude/longitude columns (UCDP GED and similar: id, date_start or
// observed_at), or JSON lines of incident reports.
func ReadEvents(r io.Reader, def Defaults) ([]Record, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(512)
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")) && bytes.Contains(head, []byte("FeatureCollection")):
		return readGeoJSON(br, def)
	case bytes.HasPrefix(trimmed, []byte("{")):
		return readReports(br, def)
	default:
		return readCSV(br, def)
	}
}

func (d Defaults) fill(rec *Record, at string) error {
	if rec.Type == "" {
		rec.Type = d.Type
	}
	if rec.Type == "" {
		rec.Type = incident.Shelling
	}
	if !slices.Contains(incident.Types, rec.Type) {
		return ledger.Invalid("type", "unknown incident type %q", rec.Type)
	}
	switch {
	case !d.At.IsZero():
		rec.At = d.At
	case at != "":
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, at); err != nil {
				return ledger.Invalid("observed_at", "%q is not an RFC 3339 time or a date", at)
			}
		}
		rec.At = t.UTC()
	default:
		return ledger.Invalid("observed_at", "the event has no time; give one, or --at")
	}
	return nil
}

func readGeoJSON(r io.Reader, def Defaults) ([]Record, error) {
	var fc struct {
		Features []struct {
			ID         any            `json:"id"`
			Geometry   geo.Geometry   `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.NewDecoder(r).Decode(&fc); err != nil {
		return nil, fmt.Errorf("read GeoJSON: %w", err)
	}
	out := make([]Record, 0, len(fc.Features))
	for i, f := range fc.Features {
		field := fmt.Sprintf("features[%d]", i)
		str := func(k string) string { s, _ := f.Properties[k].(string); return s }
		shape, err := geo.ParseShape(f.Geometry)
		if err != nil {
			return nil, ledger.Within(field+".geometry", err)
		}
		rec := Record{ID: fmt.Sprint(f.ID), Event: Event{Type: incident.Type(str("type")), Weapon: str("weapon"),
			Target: incident.Target(str("target")), Actor: str("actor"), Shape: shape}}
		if id := str("id"); id != "" {
			rec.ID = id
		}
		if rec.ID == "<nil>" || rec.ID == "" {
			rec.ID = strconv.Itoa(i + 1)
		}
		if err := def.fill(&rec, str("observed_at")); err != nil {
			return nil, ledger.Within(field+".properties", err)
		}
		out = append(out, rec)
	}
	return out, nil
}

func readReports(r io.Reader, def Defaults) ([]Record, error) {
	d := json.NewDecoder(r)
	var out []Record
	for n := 1; ; n++ {
		var rep incident.Report
		if err := d.Decode(&rep); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("report %d: %w", n, err)
		}
		if _, _, _, err := rep.Validate(); err != nil {
			return nil, fmt.Errorf("report %d: %w", n, err)
		}
		ev, err := EventOf(&rep)
		if err != nil {
			return nil, fmt.Errorf("report %d: %w", n, err)
		}
		rec := Record{ID: strconv.Itoa(n), Event: ev}
		if !def.At.IsZero() {
			rec.At = def.At
		}
		out = append(out, rec)
	}
}

func readCSV(r io.Reader, def Defaults) ([]Record, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	find := func(names ...string) int {
		for _, n := range names {
			if i, ok := col[n]; ok {
				return i
			}
		}
		return -1
	}
	lat, lon := find("latitude", "lat"), find("longitude", "lon", "lng")
	if lat < 0 || lon < 0 {
		return nil, ledger.Invalid("header", "a CSV of events needs latitude and longitude columns")
	}
	id, at := find("id", "event_id"), find("observed_at", "date_start", "date", "event_date")
	typ, weapon, target, actor := find("type"), find("weapon"), find("target"), find("actor", "alleged_actor")
	get := func(row []string, i int) string {
		if i < 0 || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}
	var out []Record
	for line := 2; ; line++ {
		row, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		y, errY := strconv.ParseFloat(get(row, lat), 64)
		x, errX := strconv.ParseFloat(get(row, lon), 64)
		if errY != nil || errX != nil || x < -180 || x > 180 || y < -90 || y > 90 || x != x || y != y {
			return nil, ledger.Invalid(fmt.Sprintf("line %d", line), "latitude %q, longitude %q are not coordinates", get(row, lat), get(row, lon))
		}
		shape, err := geo.ParseShape(geo.Geometry{Type: "Point", Coordinates: json.RawMessage(fmt.Sprintf("[%v,%v]", x, y))})
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		rec := Record{ID: get(row, id), Event: Event{Type: incident.Type(get(row, typ)), Weapon: get(row, weapon),
			Target: incident.Target(get(row, target)), Actor: get(row, actor), Shape: shape}}
		if rec.ID == "" {
			rec.ID = strconv.Itoa(line)
		}
		if err := def.fill(&rec, get(row, at)); err != nil {
			return nil, ledger.Within(fmt.Sprintf("line %d", line), err)
		}
		out = append(out, rec)
	}
}
