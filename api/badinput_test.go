package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"truce/store/storetest"
)

// reportWith is a valid report JSON with one field replaced (or removed,
// when value is nil) at a dotted path.
func reportWith(t *testing.T, path string, value any) string {
	t.Helper()
	raw, _ := json.Marshal(storetest.Report())
	var m map[string]any
	json.Unmarshal(raw, &m)
	keys := strings.Split(path, ".")
	cur := m
	for _, k := range keys[:len(keys)-1] {
		cur = cur[k].(map[string]any)
	}
	if value == nil {
		delete(cur, keys[len(keys)-1])
	} else {
		cur[keys[len(keys)-1]] = value
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func geometry(t *testing.T, g string) string {
	var v any
	if err := json.Unmarshal([]byte(g), &v); err != nil {
		t.Fatalf("test geometry: %v", err)
	}
	return reportWith(t, "location.geometry", v)
}

// docWith is the demo's agreement, wrapped as {key: document}, with one
// field of term i replaced.
func docWith(t *testing.T, key string, i int, field string, value any) string {
	t.Helper()
	d := doc(t, "bad-"+key)
	d["terms"].([]any)[i].(map[string]any)[field] = value
	out, _ := json.Marshal(map[string]any{key: d})
	return string(out)
}

func ring(n int) string {
	var b strings.Builder
	b.WriteString(`{"type":"Polygon","coordinates":[[`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "[%.6f,%.6f],", 30+float64(i)*1e-5, 48+float64(i%2)*1e-5)
	}
	b.WriteString(`[30,48]]]}`)
	return b.String()
}

// Every kind of bad input gets a clear 4xx problem naming the field, and
// the ledger and the projections stay exactly as they were.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	id := e.report(storetest.UARep)
	valid := reportWith(t, "type", "shelling")
	huge := `{"type":"MultiPoint","coordinates":[` + strings.Repeat("[30.1,48.1],", 1_000_000) + `[30.1,48.1]]}`
	cases := []struct {
		name, method, path, member, body, contentType string
		status                                        int
		field                                         string
	}{
		{"malformed JSON", "POST", "/v1/incidents", storetest.UARep, `{"type": "shelling",`, "", 400, ""},
		{"not JSON", "POST", "/v1/incidents", storetest.UARep, `shelling at dawn`, "", 400, ""},
		{"trailing data", "POST", "/v1/incidents", storetest.UARep, valid + `{}`, "", 400, ""},
		{"duplicate field", "POST", "/v1/incidents", storetest.UARep, `{"type":"shelling","type":"drone"}`, "", 400, "type"},
		{"unknown field", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "severity", "high"), "", 400, "severity"},
		{"wrong JSON type", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "counts.launched", "twelve"), "", 400, "counts.launched"},
		{"NaN literal", "POST", "/v1/incidents", storetest.UARep, strings.Replace(valid, "[36.26,47.66]", "[NaN,47.66]", 1), "", 400, ""},
		{"NaN as string", "POST", "/v1/incidents", storetest.UARep, geometry(t, `{"type":"Point","coordinates":["NaN",47.66]}`), "", 422, "location.geometry.coordinates"},
		{"number overflow", "POST", "/v1/incidents", storetest.UARep, strings.Replace(valid, "[36.26,47.66]", "[1e999,47.66]", 1), "", 400, "location.geometry.coordinates[0]"},
		{"oversize body", "POST", "/v1/incidents", storetest.UARep, geometry(t, `{"type":"Point","coordinates":[30,48]}`)[:10] + strings.Repeat(" ", 2<<20) + "}", "", 413, ""},
		{"10⁶ coordinates", "POST", "/v1/incidents", storetest.UARep, strings.Replace(valid, `{"coordinates":[36.26,47.66],"type":"Point"}`, huge, 1), "", 413, ""},
		{"too many vertices", "POST", "/v1/incidents", storetest.UARep, geometry(t, ring(6000)), "", 422, "location.geometry.coordinates"},
		{"null coordinates", "POST", "/v1/incidents", storetest.UARep, geometry(t, `{"type":"Point","coordinates":[null,null]}`), "", 422, "location.geometry.coordinates[0]"},
		{"latitude 91", "POST", "/v1/incidents", storetest.UARep, geometry(t, `{"type":"Point","coordinates":[30,91]}`), "", 422, "location.geometry.coordinates[1]"},
		{"longitude 181", "POST", "/v1/incidents", storetest.UARep, geometry(t, `{"type":"Point","coordinates":[181,48]}`), "", 422, "location.geometry.coordinates[0]"},
		{"unclosed ring", "POST", "/v1/incidents", storetest.UARep, geometry(t, `{"type":"Polygon","coordinates":[[[30,48],[31,48],[31,49],[30,49]]]}`), "", 422, "location.geometry.coordinates[0]"},
		{"bow-tie polygon", "POST", "/v1/incidents", storetest.UARep, geometry(t, `{"type":"Polygon","coordinates":[[[30,48],[31,49],[31,48],[30,49],[30,48]]]}`), "", 422, "location.geometry.coordinates[0]"},
		{"short line", "POST", "/v1/incidents", storetest.UARep, geometry(t, `{"type":"LineString","coordinates":[[30,48]]}`), "", 422, "location.geometry.coordinates"},
		{"unknown geometry", "POST", "/v1/incidents", storetest.UARep, geometry(t, `{"type":"Circle","coordinates":[30,48]}`), "", 422, "location.geometry.type"},
		{"unknown incident type", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "type", "skirmish"), "", 422, "type"},
		{"unknown precision", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "time_precision", "fortnight"), "", 422, "time_precision"},
		{"unknown target", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "target", "moon"), "", 422, "target"},
		{"bad time", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "observed_at", "yesterday"), "", 422, "observed_at"},
		{"future time", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "observed_at", "2099-01-01T00:00:00Z"), "", 422, "observed_at"},
		{"missing description", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "description", nil), "", 422, "description.text"},
		{"bad language tag", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "description.lang", "not a tag!"), "", 422, "description.lang"},
		{"negative count", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "counts.explosions", -1), "", 422, "counts.explosions"},
		{"more intercepted than launched", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "counts", map[string]int{"launched": 3, "intercepted": 9}), "", 422, "counts.intercepted"},
		{"unknown alleged actor", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "alleged_actor", "atlantis"), "", 422, "alleged_actor"},
		{"wrong content type", "POST", "/v1/incidents", storetest.UARep, valid, "text/plain", 415, ""},
		{"unknown priority", "POST", "/v1/incidents/" + id + "/triage", storetest.Coord, `{"priority":"whenever"}`, "", 422, "priority"},
		{"unknown outcome", "POST", "/v1/incidents/" + id + "/finding", storetest.Mon1, `{"outcome":"guilty","attribution":"ru","summary":{"lang":"en","text":"x"}}`, "", 403, ""},
		{"incident mismatch", "POST", "/v1/incidents/" + id + "/triage", storetest.Coord, `{"incident":"inc-1","priority":"high"}`, "", 400, "incident"},
		{"unknown incident", "POST", "/v1/incidents/inc-999999/triage", storetest.Coord, `{"priority":"high"}`, "", 404, ""},
		{"illegal transition", "POST", "/v1/incidents/" + id + "/publish", storetest.Coord, `{}`, "", 409, ""},
		{"viewer writes", "POST", "/v1/incidents", storetest.Viewer, valid, "", 403, ""},
		{"viewer triages", "POST", "/v1/incidents/" + id + "/triage", storetest.Viewer, `{"priority":"high"}`, "", 403, ""},
		{"viewer uploads", "POST", "/v1/evidence", storetest.Viewer, "file", "application/octet-stream", 403, ""},
		{"other party's report", "POST", "/v1/incidents/" + id + "/responses", storetest.UARep, `{"text":{"lang":"uk","text":"так"}}`, "", 403, ""},
		{"anonymous write", "POST", "/v1/incidents", "", valid, "", 401, ""},
		{"unknown list filter value", "GET", "/v1/incidents?status=lost", storetest.UARep, "", "", 400, "status"},
		{"unknown list parameter", "GET", "/v1/incidents?colour=red", storetest.UARep, "", "", 400, "colour"},
		{"bad bbox", "GET", "/v1/incidents?bbox=30,48,29,47", storetest.UARep, "", "", 400, "bbox"},
		{"bad limit", "GET", "/v1/incidents?limit=0", storetest.UARep, "", "", 400, "limit"},
		{"bad time filter", "GET", "/v1/incidents?from=soon", storetest.UARep, "", "", 400, "from"},
		{"bad statement index", "GET", "/v1/statements/minus-one", storetest.UARep, "", "", 400, "seq"},
		{"bad party kind", "POST", "/v1/parties", "operator", `{"id":"xx","name":"X","kind":"ally"}`, "", 422, "kind"},
		{"unknown role", "POST", "/v1/members", "operator", `{"party":"ua","name":"X","roles":["general"]}`, "", 422, "roles[0]"},
		{"unknown term type", "POST", "/v1/plans", storetest.UARep, docWith(t, "plan", 0, "type", "armistice"), "", 400, "plan.terms[0].type"},
		{"negative distance", "POST", "/v1/agreements", storetest.USMed, docWith(t, "agreement", 2, "width_km", -5), "", 400, "agreement.terms[2].width_km"},
		{"self-crossing line", "POST", "/v1/plans", storetest.UARep, docWith(t, "plan", 1, "geometry", map[string]any{"type": "LineString",
			"coordinates": [][]float64{{35, 47}, {36, 48}, {36, 47}, {35, 48}}}), "", 400, "plan.terms[1].geometry.coordinates"},
		{"site without coordinates", "POST", "/v1/agreements", storetest.USMed, docWith(t, "agreement", 5, "sites", []map[string]any{{"id": "znpp", "name": "ZNPP", "kind": "nuclear"}}), "", 400, "agreement.terms[5].sites[0].lon"},
		{"plan of another party's ID", "POST", "/v1/plans", storetest.Viewer, docWith(t, "plan", 0, "type", "effective"), "", 403, ""},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, _ := e.f.Store.Dump(ctx)
			size := e.size()
			var body any
			if c.body != "" {
				body = c.body
			}
			ct := c.contentType
			if ct == "" && c.method == "POST" {
				ct = "application/json"
			}
			r := e.do(c.method, c.path, c.member, body, ct)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, c.status, r.body)
			}
			p := problemOf(t, r)
			if c.field != "" && p.Field != c.field {
				t.Errorf("field %q, want %q (%s)", p.Field, c.field, p.Detail)
			}
			after, _ := e.f.Store.Dump(ctx)
			if e.size() != size || !slices.Equal(before, after) {
				t.Fatal("the refused request changed the store")
			}
		})
	}
}
