package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"truce/alert"
	"truce/centre"
	"truce/incident"
	"truce/ledger"
	"truce/party"
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
	// An incident under investigation by Mon1, for findings.
	investigated := e.report(storetest.UARep)
	e.must(e.post("/v1/incidents/"+investigated+"/triage", storetest.Coord, map[string]any{"priority": "high"}), 201)
	e.must(e.post("/v1/incidents/"+investigated+"/assign", storetest.Coord, map[string]any{"monitors": []string{storetest.Mon1}}), 201)
	e.must(e.post("/v1/incidents/"+investigated+"/investigate", storetest.Mon1, map[string]any{}), 201)
	finding := func(text string) string {
		return mustJSON(t, map[string]any{"outcome": "serious_violation", "attribution": "ru", "summary": map[string]string{"lang": "en", "text": text}})
	}
	round := func(field, value string) string {
		r := map[string]any{"id": "r-bad", "title": "Round", "start": "2026-02-01", "place": "Abu Dhabi", "format": "trilateral",
			"participants": []string{"ua", "ru", "us"}, "joint_statement": false}
		if field == "agenda" {
			r["groups"] = []any{map[string]any{"name": "military", "agenda": []any{map[string]string{"title": value, "status": "discussed"}}}}
		} else {
			r[field] = value
		}
		return mustJSON(t, r)
	}
	member := func(name, key string) string {
		return mustJSON(t, map[string]any{"party": "ru", "name": name, "roles": []string{"viewer"}, "public_key": key})
	}
	evidence := func(field, value string) string {
		ev := map[string]any{"sha256": strings.Repeat("ab", 32), "size": 4, "name": "photo.jpg", "media_type": "image/jpeg"}
		ev[field] = value
		return mustJSON(t, map[string]any{"evidence": ev})
	}
	// A client-signed statement, to spell wrong in one way each.
	signed := e.sign(t, storetest.UARep, incident.TypeReport, storetest.Report())
	sig := base64.StdEncoding.EncodeToString(signed.Sig)
	envelope := func(body, sig string) string {
		return `{"statement":` + body + `,"signature":"` + sig + `"}`
	}
	withNonce := func(n string) string {
		return strings.Replace(string(signed.Body), `"nonce":"`+signed.Statement.Nonce+`"`, `"nonce":`+n, 1)
	}
	bidiBody := strings.Replace(string(signed.Body), `"text":"`, `"text":"\u202e`, 1)
	uaKey := e.f.S[storetest.UARep].Member.PublicKey
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	uaKeyRespelled := uaKey[:42] + string(alphabet[strings.IndexByte(alphabet, uaKey[42])^1]) + "=" // stray bits: the same 32 bytes
	identityKey := base64.StdEncoding.EncodeToString(append([]byte{1}, make([]byte, 31)...))
	opKey := e.f.S[centre.OperatorID].Member.PublicKey
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

		// Media types: a JSON body says it is JSON, in UTF-8.
		{"no content type", "POST", "/v1/incidents", storetest.UARep, valid, "-", 415, ""},
		{"charset utf-16", "POST", "/v1/incidents", storetest.UARep, valid, "application/json; charset=utf-16", 415, ""},
		{"charset latin-1", "POST", "/v1/parties", "operator", `{"id":"xx","name":"X","kind":"observer"}`, "application/json; charset=iso-8859-1", 415, ""},
		{"json as text", "POST", "/v1/incidents", storetest.UARep, valid, "text/json", 415, ""},
		{"unreadable content type", "POST", "/v1/incidents", storetest.UARep, valid, "application/json; charset", 415, ""},
		{"envelope without content type", "POST", "/v1/statements", storetest.UARep, envelope(string(signed.Body), sig), "-", 415, ""},
		{"batch without content type", "POST", "/v1/statements/batch", storetest.UARep, `{"statements":[]}`, "-", 415, ""},

		// Envelopes that spell one statement a second way.
		{"empty nonce", "POST", "/v1/statements", storetest.UARep, envelope(withNonce(`""`), sig), "", 400, "statement.nonce"},
		{"short nonce", "POST", "/v1/statements", storetest.UARep, envelope(withNonce(`"n1"`), sig), "", 400, "statement.nonce"},
		{"nonce with spaces", "POST", "/v1/statements", storetest.UARep, envelope(withNonce(`"a nonce of some length"`), sig), "", 400, "statement.nonce"},
		{"null nonce", "POST", "/v1/statements", storetest.UARep, envelope(withNonce(`null`), sig), "", 400, "statement.nonce"},
		{"signature with a line break", "POST", "/v1/statements", storetest.UARep, envelope(string(signed.Body), sig[:44]+`\n`+sig[44:]), "", 400, "signature"},
		{"signature unpadded", "POST", "/v1/statements", storetest.UARep, envelope(string(signed.Body), strings.TrimRight(sig, "=")), "", 400, "signature"},
		{"bidi override in a signed statement", "POST", "/v1/statements", storetest.UARep, envelope(bidiBody, sig), "", 400, "statement.payload.description.text"},

		// Characters that reorder, hide or overwrite text.
		{"bidi override in a description", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "description.text", "Обстріл \u202eкварталу"), "", 422, "description.text"},
		{"isolate in a description", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "description.text", "x \u2067y\u2069"), "", 422, "description.text"},
		{"NUL in a description", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "description.text", "before\x00after"), "", 422, "description.text"},
		{"escape sequence in a description", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "description.text", "\x1b[2J wiped"), "", 422, "description.text"},
		{"bare carriage return in a description", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "description.text", "12 missiles\r9 intercepted"), "", 422, "description.text"},
		{"zero-width space in a description", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "description.text", "Kh\u200b-22"), "", 422, "description.text"},
		{"byte-order mark in a description", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "description.text", "\ufeffStrike"), "", 422, "description.text"},
		{"line separator in a description", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "description.text", "one\u2028two"), "", 422, "description.text"},
		{"C1 control in a description", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "description.text", "x\u009b31m"), "", 422, "description.text"},
		{"zero-width joiner in a place", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "location.place", "Huliai\u200dpole"), "", 422, "location.place"},
		{"line break in a place", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "location.place", "Huliaipole\nKharkiv"), "", 422, "location.place"},
		{"directional mark in a weapon", "POST", "/v1/incidents", storetest.UARep, reportWith(t, "weapon", "Kh-22\u200f"), "", 422, "weapon"},
		{"bidi override in an evidence name", "POST", "/v1/incidents/" + id + "/evidence", storetest.UARep, evidence("name", "photo\u202egpj.exe"), "", 422, "evidence.name"},
		{"control in an evidence note", "POST", "/v1/incidents/" + id + "/evidence", storetest.UARep, evidence("note", "ok\a"), "", 422, "evidence.note"},
		{"escape in a triage note", "POST", "/v1/incidents/" + id + "/triage", storetest.Coord, mustJSON(t, map[string]any{"priority": "high", "note": "\x1b]0;title\a"}), "", 422, "note"},
		{"bidi override in a response", "POST", "/v1/incidents/" + id + "/responses", storetest.RURep, mustJSON(t, map[string]any{"text": map[string]string{"lang": "ru", "text": "\u202eНе подтверждаем"}}), "", 422, "text.text"},
		{"bidi override in a finding", "POST", "/v1/incidents/" + investigated + "/finding", storetest.Mon1, finding("craters \u202dconsistent"), "", 422, "summary.text"},
		{"zero-width joiner in a party name", "POST", "/v1/parties", "operator", mustJSON(t, map[string]any{"id": "xx", "name": "Ukr\u200daine", "kind": "observer"}), "", 422, "name"},
		{"directional mark in a party's other name", "POST", "/v1/parties", "operator", mustJSON(t, map[string]any{"id": "xx", "name": "X", "names": map[string]string{"ar": "\u200fإكس"}, "kind": "observer"}), "", 422, "names.ar"},
		{"tab in a member name", "POST", "/v1/members", "operator", member("RU\trepresentative", ""), "", 422, "name"},
		{"line break in a round title", "POST", "/v1/rounds", storetest.USMed, round("title", "Round one\nRound two"), "", 422, "title"},
		{"bidi override in a round place", "POST", "/v1/rounds", storetest.USMed, round("place", "\u202eAbu Dhabi"), "", 422, "place"},
		{"zero-width space in an agenda title", "POST", "/v1/rounds", storetest.USMed, round("agenda", "Prisoner\u200bexchange"), "", 422, "groups[0].agenda[0].title"},
		{"NUL in a round summary", "POST", "/v1/rounds", storetest.USMed, round("summary", "agreed\x00"), "", 422, "summary"},
		{"bidi override in a clause title", "POST", "/v1/plans", storetest.UARep, docWith(t, "plan", 0, "title", map[string]string{"en": "Entry \u202einto force"}), "", 400, "plan.terms[0].title.en"},

		// Antimeridian: cut it at ±180°.
		{"polygon across the antimeridian", "POST", "/v1/incidents", storetest.UARep, geometry(t, `{"type":"Polygon","coordinates":[[[175,64],[-175,64],[-175,68],[175,68],[175,64]]]}`), "", 422, "location.geometry.coordinates[0][1]"},
		{"line across the antimeridian", "POST", "/v1/incidents", storetest.UARep, geometry(t, `{"type":"LineString","coordinates":[[170,60],[-170,62]]}`), "", 422, "location.geometry.coordinates[1]"},

		// One key, one member.
		{"another member's key", "POST", "/v1/members", "operator", member("Second", uaKey), "", 422, "public_key"},
		{"another member's key, respelled", "POST", "/v1/members", "operator", member("Second", uaKeyRespelled), "", 422, "public_key"},
		{"the operator's key", "POST", "/v1/members", "operator", member("Second", opKey), "", 422, "public_key"},
		{"a key of small order", "POST", "/v1/members", "operator", member("Second", identityKey), "", 422, "public_key"},
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
			if ct == "-" { // no Content-Type at all
				ct = ""
			}
			r := e.do(c.method, c.path, c.member, body, ct)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, c.status, r.body)
			}
			p := problemOf(t, r)
			if c.field != "" && p.Field != c.field {
				t.Errorf("field %q, want %q (%s)", p.Field, c.field, p.Detail)
			}
			if c.status == 415 && (p.Detail == "" || r.header.Get("Accept-Post") != "application/json") {
				t.Errorf("415 without a reason or Accept-Post: %+v", p)
			}
			after, _ := e.f.Store.Dump(ctx)
			if e.size() != size || !slices.Equal(before, after) {
				t.Fatal("the refused request changed the store")
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// What the strict rules must not refuse: JSON with charset=utf-8 or a +json
// type, evidence of any media type, text in scripts that need joiners,
// marks and line breaks, and signed statements with or without a nonce.
func TestStrictInputAccepts(t *testing.T) {
	e := newEnv(t)
	for _, ct := range []string{"application/json; charset=utf-8", "application/json;charset=UTF-8", "application/merge-patch+json"} {
		e.must(e.do("POST", "/v1/incidents", storetest.UARep, storetest.Report(), ct), 201)
	}
	e.must(e.do("POST", "/v1/evidence", storetest.UARep, "raw bytes", ""), 201)
	e.must(e.do("POST", "/v1/evidence", storetest.UARep, "raw bytes", "image/x-anything; charset=utf-16"), 201)
	for _, text := range []string{
		"Line one\nline two\r\n\ttabbed",
		"👩\u200d💻 👨\u200d👩\u200d👧 ❤️\u200d🔥", // emoji joined by ZWJ
		"क्\u200dष and می\u200cخواهم",        // Devanagari ZWJ, Persian ZWNJ
		"עברית\u200f 123",                    // a right-to-left mark
	} {
		e.must(e.post("/v1/incidents", storetest.UARep, json.RawMessage(reportWith(t, "description.text", text))), 201)
	}
	e.must(e.post("/v1/statements", storetest.UARep, e.sign(t, storetest.UARep, incident.TypeReport, storetest.Report()).Seal()), 201)
	raw, _ := json.Marshal(storetest.Report())
	s, err := ledger.Sign(ledger.Statement{Type: incident.TypeReport, Party: "ua", Author: storetest.UARep, Time: time.Now().UTC(), Payload: raw},
		e.f.Key(t, storetest.UARep))
	if err != nil {
		t.Fatal(err)
	}
	e.must(e.post("/v1/statements", storetest.UARep, s.Seal()), 201)
}

// Bad input on the hotline and the movement register: a 4xx problem
// naming the field, and nothing stored.
func TestHotlineBadInput(t *testing.T) {
	e := newEnv(t)
	thread := e.openThread(nil)
	closed := e.openThread(nil)
	e.must(e.post("/v1/hotline/"+closed+"/resolve", storetest.Coord, map[string]any{}), 201)
	var out struct{ Record struct{ ID string } }
	e.must(e.post("/v1/restrictions", storetest.Mon1, map[string]any{"subtype": "delay", "actor": "ru", "place": point(35.28, 47.43, "Vasylivka"),
		"started_at": "2026-01-24T02:00:00Z"}), 201).json(t, &out)
	rst := out.Record.ID
	open := func(field string, value any) string {
		b := map[string]any{"kind": "violation", "to": "centre", "subject": "Shelling", "text": text("en", "Shelling near the crew."),
			"place": point(35.12, 47.51, "Enerhodar")}
		if value == nil {
			delete(b, field)
		} else {
			b[field] = value
		}
		return mustJSON(t, b)
	}
	restriction := func(field string, value any) string {
		b := map[string]any{"subtype": "denial_of_access", "actor": "ru", "place": point(35.28, 47.43, "Vasylivka"), "started_at": "2026-01-24T02:00:00Z"}
		b[field] = value
		return mustJSON(t, b)
	}
	rawPoint := func(coords string) string {
		return `{"kind":"violation","to":"centre","subject":"S","text":{"lang":"en","text":"x"},"place":{"geometry":{"type":"Point","coordinates":` + coords + `}}}`
	}
	long := strings.Repeat("a", 8001)
	cases := []struct {
		name, method, path, member, body string
		status                           int
		field                            string
	}{
		{"unknown thread kind", "POST", "/v1/hotline", storetest.UARep, open("kind", "shelling"), 422, "kind"},
		{"a party that does not exist", "POST", "/v1/hotline", storetest.Coord, open("to", "zz"), 422, "to"},
		{"a deadline out of bounds", "POST", "/v1/hotline", storetest.UARep, open("ack_within_s", 10), 422, "ack_within_s"},
		{"a subject on two lines", "POST", "/v1/hotline", storetest.UARep, open("subject", "one\ntwo"), 422, "subject"},
		{"oversize text", "POST", "/v1/hotline", storetest.UARep, open("text", text("en", long)), 422, "text.text"},
		{"bidi override in text", "POST", "/v1/hotline", storetest.UARep, open("text", text("en", "\u202eecnerefni")), 422, "text.text"},
		{"no text", "POST", "/v1/hotline", storetest.UARep, open("text", nil), 422, "text.text"},
		{"a place that is not a point", "POST", "/v1/hotline", storetest.UARep, open("place", map[string]any{"geometry": map[string]any{"type": "LineString", "coordinates": [][]float64{{35, 47}, {36, 47}}}}), 422, "place.geometry.type"},
		{"a longitude out of range", "POST", "/v1/hotline", storetest.UARep, rawPoint(`[200,47]`), 422, "place.geometry.coordinates[0]"},
		{"NaN as a string", "POST", "/v1/hotline", storetest.UARep, rawPoint(`["NaN",47]`), 422, "place.geometry.coordinates"},
		{"NaN literal", "POST", "/v1/hotline", storetest.UARep, rawPoint(`[NaN,47]`), 400, ""},
		{"an incident that does not exist", "POST", "/v1/hotline", storetest.UARep, open("incidents", []string{"inc-99999"}), 422, "incidents[0]"},
		{"a link to no incident", "POST", "/v1/hotline/" + thread + "/links", storetest.Coord, `{"incident":"inc-99999"}`, 422, "incident"},
		{"not an incident ID", "POST", "/v1/hotline", storetest.UARep, open("incidents", []string{"hl-1"}), 422, "incidents[0]"},
		{"unknown field", "POST", "/v1/hotline", storetest.UARep, open("urgent", true), 400, "urgent"},
		{"evidence never uploaded", "POST", "/v1/hotline/" + thread + "/messages", storetest.Coord, mustJSON(t, map[string]any{"text": text("en", "See file."),
			"evidence": []map[string]any{{"sha256": strings.Repeat("ab", 32), "size": 4, "name": "x.jpg", "media_type": "image/jpeg"}}}), 422, "evidence[0].sha256"},
		{"a message on a closed thread", "POST", "/v1/hotline/" + closed + "/messages", storetest.UARep, mustJSON(t, map[string]any{"text": text("en", "Again.")}), 409, ""},
		{"a thread named twice", "POST", "/v1/hotline/" + thread + "/messages", storetest.UARep, mustJSON(t, map[string]any{"thread": closed, "text": text("en", "x")}), 400, "thread"},
		{"acknowledged by the sender's side", "POST", "/v1/hotline/" + thread + "/ack", storetest.UARep, `{"message":1}`, 403, ""},
		{"a message that does not exist", "POST", "/v1/hotline/" + thread + "/ack", storetest.Coord, `{"message":7}`, 422, "message"},
		{"a thread that does not exist", "POST", "/v1/hotline/hl-99999/ack", storetest.Coord, `{"message":1}`, 404, ""},
		{"mechanism without a thread", "POST", "/v1/incidents/" + e.report(storetest.UARep) + "/mechanism", storetest.UARep, `{}`, 422, "thread"},
		{"unknown restriction subtype", "POST", "/v1/restrictions", storetest.Mon1, restriction("subtype", "roadblock"), 422, "subtype"},
		{"an actor that does not exist", "POST", "/v1/restrictions", storetest.Mon1, restriction("actor", "zz"), 422, "actor"},
		{"a monitoring country as the restricting actor", "POST", "/v1/restrictions", storetest.Mon1, restriction("actor", "ch"), 422, "actor"},
		{"a thread opened after the restriction ended", "POST", "/v1/restrictions/" + rst + "/end", storetest.Mon1, `{"ended_at":"2026-01-24T03:00:00Z","thread":"` + thread + `"}`, 422, "thread"},
		{"end before start", "POST", "/v1/restrictions", storetest.Mon1, restriction("ended_at", "2026-01-24T01:00:00Z"), 422, "ended_at"},
		{"a start that is not a time", "POST", "/v1/restrictions", storetest.Mon1, restriction("started_at", "yesterday"), 422, "started_at"},
		{"a latitude out of range", "POST", "/v1/restrictions", storetest.Mon1, restriction("place", point(35, 91, "")), 422, "place.geometry.coordinates[1]"},
		{"a thread that was never opened", "POST", "/v1/restrictions", storetest.Mon1, restriction("thread", "hl-99999"), 422, "thread"},
		{"an end before the start", "POST", "/v1/restrictions/" + rst + "/end", storetest.Mon1, `{"ended_at":"2026-01-24T01:00:00Z"}`, 422, "ended_at"},
		{"the end of no restriction", "POST", "/v1/restrictions/rst-99999/end", storetest.Mon1, `{"ended_at":"2026-01-24T03:00:00Z"}`, 404, ""},
		{"unknown register status", "GET", "/v1/restrictions?status=closed", storetest.Mon1, "", 400, "status"},
		{"unknown thread kind filter", "GET", "/v1/hotline?kind=urgent", storetest.Mon1, "", 400, "kind"},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, _ := e.f.Store.Dump(ctx)
			size := e.size()
			var body any
			ct := ""
			if c.body != "" {
				body, ct = c.body, "application/json"
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

// Seats, consents and the custody trail: bad input names its field and
// changes nothing.
func TestSeatsBadInput(t *testing.T) {
	e := newEnv(t)
	tok, _, err := e.f.Centre.AddMember(context.Background(), centre.NewMember{ID: "ch-head", Party: "ch", Name: "Head of mission", Roles: []party.Role{party.Representative}})
	if err != nil {
		t.Fatal(err)
	}
	e.f.Tokens["ch-head"] = tok
	inc := e.report(storetest.UARep)
	until := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	accredit := func(field string, value any) string {
		m := map[string]any{"member": storetest.Mon1, "until": until}
		m[field] = value
		return mustJSON(t, m)
	}
	word := func(field string, value any) string {
		m := map[string]any{"country": "ch", "decision": "consent"}
		m[field] = value
		return mustJSON(t, m)
	}
	cases := []struct {
		name, method, path, member, body string
		status                           int
		field                            string
	}{
		{"an unknown field", "POST", "/v1/seats/accreditations", "ch-head", accredit("seat", 3), 400, "seat"},
		{"an end that is not a time", "POST", "/v1/seats/accreditations", "ch-head", accredit("until", "June"), 422, "until"},
		{"a start before the statement", "POST", "/v1/seats/accreditations", "ch-head", accredit("from", "2026-01-01T00:00:00Z"), 422, "from"},
		{"an end before the start", "POST", "/v1/seats/accreditations", "ch-head", accredit("until", "2026-01-01T00:00:00Z"), 422, "until"},
		{"more than five years", "POST", "/v1/seats/accreditations", "ch-head", accredit("until", time.Now().AddDate(6, 0, 0).UTC().Format(time.RFC3339)), 422, "until"},
		{"not an accreditation ID", "POST", "/v1/seats/accreditations", "ch-head", accredit("replaces", "inc-3"), 422, "replaces"},
		{"an accreditation that does not exist", "POST", "/v1/seats/accreditations", "ch-head", accredit("replaces", "acc-99999"), 422, "replaces"},
		{"a member of another party", "POST", "/v1/seats/accreditations", "ch-head", accredit("member", storetest.RURep), 403, "member"},
		{"a member that does not exist", "POST", "/v1/seats/accreditations", "ch-head", accredit("member", "nobody"), 422, "member"},
		{"a viewer's seat", "POST", "/v1/seats/accreditations", "ch-head", accredit("member", "ch-head-viewer"), 422, "member"},
		{"a bidi override in the note", "POST", "/v1/seats/accreditations", "ch-head", accredit("note", "\u202eeton"), 422, "note"},
		{"consent from a mediator", "POST", "/v1/seats/consents", storetest.USMed, word("note", "x"), 403, "party"},
		{"consent from an observer", "POST", "/v1/seats/consents", storetest.Viewer, word("note", "x"), 403, "party"},
		{"an unknown decision", "POST", "/v1/seats/consents", storetest.UARep, word("decision", "abstain"), 422, "decision"},
		{"a country that does not exist", "POST", "/v1/seats/consents", storetest.UARep, word("country", "zz"), 422, "country"},
		{"a country that does not monitor", "POST", "/v1/seats/consents", storetest.UARep, word("country", "us"), 422, "country"},
		{"a monitor without its case", "POST", "/v1/seats/consents", storetest.UARep, word("monitor", storetest.Mon1), 422, "incident"},
		{"a case without its monitor", "POST", "/v1/seats/consents", storetest.UARep, word("incident", inc), 422, "monitor"},
		{"a monitor of another country", "POST", "/v1/seats/consents", storetest.UARep, mustJSON(t, map[string]any{"country": "ch", "decision": "object", "monitor": storetest.UAMonitor, "incident": inc}), 422, "monitor"},
		{"a case objection no term allows", "POST", "/v1/seats/consents", storetest.UARep, mustJSON(t, map[string]any{"country": "ch", "decision": "object", "monitor": storetest.Mon1, "incident": inc}), 422, "incident"},
		{"seats at no time", "GET", "/v1/seats?at=soon", storetest.UARep, "", 400, "at"},
		{"an unknown seats parameter", "GET", "/v1/seats?country=ch", storetest.UARep, "", 400, "country"},
		{"custody of no incident ID", "GET", "/v1/custody?incident=hl-1", storetest.UARep, "", 400, "incident"},
		{"custody of no SHA-256", "GET", "/v1/custody?sha256=xyz", storetest.UARep, "", 400, "sha256"},
	}
	if _, _, err := e.f.Centre.AddMember(context.Background(), centre.NewMember{ID: "ch-head-viewer", Party: "ch", Name: "Press officer", Roles: []party.Role{party.Viewer}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, _ := e.f.Store.Dump(ctx)
			size := e.size()
			var body any
			ct := ""
			if c.body != "" {
				body, ct = c.body, "application/json"
			}
			r := e.do(c.method, c.path, c.member, body, ct)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, c.status, r.body)
			}
			if p := problemOf(t, r); p.Field != c.field {
				t.Errorf("field %q, want %q (%s)", p.Field, c.field, p.Detail)
			}
			after, _ := e.f.Store.Dump(ctx)
			if e.size() != size || !slices.Equal(before, after) {
				t.Fatal("the refused request changed the store")
			}
		})
	}
}

// Bad input on alerts: a 4xx problem naming the field, and nothing stored
// (nor a webhook key made).
func TestAlertBadInput(t *testing.T) {
	e := newEnv(t)
	sub := e.subscribe(storetest.UARep, "events=incident")
	sub2 := e.subscribe(storetest.UARep, "events=violation")
	e.must(e.post("/v1/alerts/subscriptions/"+sub2+"/end", storetest.UARep, map[string]any{}), 201)
	// A client-signed subscription names a webhook key: one never made,
	// or made for another member, is refused.
	var other struct{ Key string }
	e.must(e.post("/v1/alerts/keys", storetest.RURep, map[string]any{}), 201).json(t, &other)
	signed := func(key string) string {
		return mustJSON(t, e.sign(t, storetest.UARep, alert.TypeSubscribe, alert.Subscribe{Name: "hook",
			Filter: alert.Filter{Events: []alert.Kind{alert.Incident}}, Webhook: &alert.Webhook{URL: "http://127.0.0.1:9/hook", Key: key}}).Seal())
	}
	body := func(field string, value any) string {
		b := map[string]any{"name": "Near the ZNPP", "filter": "events=near_site near_km=5"}
		if value == nil {
			delete(b, field)
		} else {
			b[field] = value
		}
		return mustJSON(t, b)
	}
	cases := []struct {
		name, method, path, member, body string
		status                           int
		field                            string
	}{
		{"no filter", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("filter", nil), 422, "filter"},
		{"no events", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("filter", "parties=ru"), 422, "filter.events"},
		{"unknown event", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("filter", "events=storm"), 422, "filter.events[0]"},
		{"unknown event in an object", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("filter", map[string]any{"events": []string{"storm"}}), 422, "filter.events[0]"},
		{"unknown filter key", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("filter", "events=incident colour=red"), 422, "filter.colour"},
		{"unknown filter field", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("filter", map[string]any{"events": []string{"incident"}, "colour": "red"}), 400, "filter.colour"},
		{"a bbox upside down", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("filter", "events=incident bbox=37,48,33,46"), 422, "filter.bbox"},
		{"a negative distance", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("filter", map[string]any{"events": []string{"near_site"}, "near_km": -3}), 422, "filter.near_km"},
		{"unknown severity", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("filter", "events=incident severity=grave"), 422, "filter.severity"},
		{"a filter of another type", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("filter", 7), 400, "filter"},
		{"no name", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("name", nil), 422, "name"},
		{"a name on two lines", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("name", "one\ntwo"), 422, "name"},
		{"a webhook that is not http", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("webhook", map[string]any{"url": "ftp://127.0.0.1/x"}), 422, "webhook.url"},
		{"a webhook with credentials", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("webhook", map[string]any{"url": "http://u:p@127.0.0.1/x"}), 422, "webhook.url"},
		{"a webhook without a URL", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("webhook", map[string]any{}), 422, "webhook.url"},
		{"a webhook key given by hand", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("webhook", map[string]any{"url": "http://127.0.0.1/x", "key": "whk-x"}), 400, "webhook.key"},
		{"unknown field", "POST", "/v1/alerts/subscriptions", storetest.UARep, body("urgent", true), 400, "urgent"},
		{"end a subscription twice", "POST", "/v1/alerts/subscriptions/" + sub2 + "/end", storetest.UARep, `{}`, 409, ""},
		{"end no subscription", "POST", "/v1/alerts/subscriptions/sub-99999/end", storetest.UARep, `{}`, 404, ""},
		{"a subscription named twice", "POST", "/v1/alerts/subscriptions/" + sub + "/end", storetest.UARep, `{"subscription":"` + sub2 + `"}`, 400, "subscription"},
		{"receipt of no alert", "POST", "/v1/alerts/al-99999/receipt", storetest.UARep, `{}`, 404, ""},
		{"a key with a body field", "POST", "/v1/alerts/keys", storetest.UARep, `{"secret":"mine"}`, 400, "secret"},
		{"unknown alert kind filter", "GET", "/v1/alerts?kind=storm", storetest.UARep, "", 400, "kind"},
		{"unknown delivery state", "GET", "/v1/alerts?delivery=lost", storetest.UARep, "", 400, "delivery"},
		{"a member that is not an ID", "GET", "/v1/alerts?member=UA%20rep", storetest.UARep, "", 400, "member"},
		{"a subscription that is not an ID", "GET", "/v1/alerts?subscription=7", storetest.UARep, "", 400, "subscription"},
		{"a limit out of range", "GET", "/v1/alerts?limit=0", storetest.UARep, "", 400, "limit"},
		{"unknown subscription status", "GET", "/v1/alerts/subscriptions?status=paused", storetest.UARep, "", 400, "status"},
		{"unknown alert", "GET", "/v1/alerts/al-99999", storetest.UARep, "", 404, ""},
		{"a signed subscription with a key never made", "POST", "/v1/statements", storetest.UARep, signed("whk-AAAAAAAAAAAAAAAAAAAAAA"), 422, "statement.payload.webhook.key"},
		{"a signed subscription with another member's key", "POST", "/v1/statements", storetest.UARep, signed(other.Key), 422, "statement.payload.webhook.key"},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, _ := e.f.Store.Dump(ctx)
			size := e.size()
			var body any
			ct := ""
			if c.body != "" {
				body, ct = c.body, "application/json"
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
