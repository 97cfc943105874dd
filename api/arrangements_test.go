package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"truce/centre"
	"truce/incident"
	st "truce/store/storetest"
)

// windowRequest is a repair window along a line through the fixture
// report's place (Huliaipole), guaranteed by ua and ru, from now for three
// hours; lon shifts it east so that tests can lay windows side by side.
func windowRequest(id string, lon float64) map[string]any {
	return windowOf(id, lon, time.Now())
}

// windowAt is the same window from a given time.
func windowAt(id string, from time.Time) map[string]any { return windowOf(id, 0, from) }

func windowOf(id string, lon float64, now time.Time) map[string]any {
	now = now.UTC()
	return map[string]any{
		"id": id, "title": map[string]string{"en": "Repair window " + id}, "parties": []string{"ua", "ru"},
		"from": now.Format(time.RFC3339), "until": now.Add(3 * time.Hour).Format(time.RFC3339),
		"deadline": now.Add(time.Hour).Format(time.RFC3339),
		"purpose":  "repair", "shape": "line", "buffer_m": 2000,
		"geometry": map[string]any{"type": "LineString", "coordinates": [][]float64{{lon + 36.0, 47.66}, {lon + 36.5, 47.66}}},
		"site":     "zapo-tec", "crew": "Ukrenergo line crew", "crew_size": 12, "note": "mend the 330 kV line",
	}
}

type arrangementView struct {
	ID     string `json:"id"`
	Digest string `json:"digest"`
	Status struct {
		State      string `json:"state"`
		Overdue    bool   `json:"overdue"`
		Guarantees []struct {
			Party, State string
		} `json:"guarantees"`
	} `json:"status"`
	Record struct {
		Events []struct {
			Kind, Party, Side string
		} `json:"events"`
		Outcome *struct{ Outcome string } `json:"outcome"`
	} `json:"record"`
}

func (e *env) arrangement(id string) arrangementView {
	e.t.Helper()
	var a arrangementView
	e.must(e.get("/v1/arrangements/"+id, st.Viewer), 200).json(e.t, &a)
	return a
}

// reportAt files the fixture report observed at t and returns its ID.
func (e *env) reportAt(member string, t time.Time) string {
	e.t.Helper()
	r := st.Report()
	r.ObservedAt = t.UTC().Format(time.RFC3339)
	var out struct {
		Record struct{ ID string } `json:"record"`
	}
	e.must(e.post("/v1/incidents", member, r), 201).json(e.t, &out)
	return out.Record.ID
}

func windowFlag(ev *incident.Evaluation, id string) *incident.Flag {
	for _, f := range ev.Flags() {
		if f.Agreement == id && f.Arrangement != nil {
			return &f
		}
	}
	return nil
}

// A full window cycle: request, both guarantees, active, an incident
// inside flagged with who guaranteed it, a check-in, a withdrawal that
// ends it and judges again, and the outcome.
func TestArrangementCycle(t *testing.T) {
	e := newEnv(t)
	e.must(e.post("/v1/arrangements", st.UARep, windowRequest("w1", 0)), 201)
	a := e.arrangement("w1")
	if a.Status.State != "requested" || len(a.Status.Guarantees) != 2 || a.Digest == "" {
		t.Fatalf("after request: %+v", a)
	}
	// The window is an instrument: it shows among the agreements.
	e.must(e.get("/v1/agreements/w1", st.Viewer), 200)

	e.must(e.post("/v1/arrangements/w1/guarantee", st.UARep, map[string]any{}), 201)
	if a = e.arrangement("w1"); a.Status.State != "requested" {
		t.Fatalf("one guarantee in: %s", a.Status.State)
	}
	e.must(e.post("/v1/arrangements/w1/respond", st.RURep, map[string]any{"response": "conditions", "text": "Crew of at most 12, no vehicles with weapons."}), 201)
	e.must(e.post("/v1/arrangements/w1/guarantee", st.RURep, map[string]any{}), 201)
	if a = e.arrangement("w1"); a.Status.State != "active" {
		t.Fatalf("both guarantees in: %+v", a.Status)
	}
	var active struct{ Items []arrangementView }
	e.must(e.get("/v1/arrangements?state=active", st.UARep), 200).json(t, &active)
	if len(active.Items) != 1 {
		t.Fatalf("active list: %+v", active)
	}

	// Inside the window's line and time: flagged, naming its guarantors.
	inside := e.reportAt(st.UARep, time.Now())
	later := e.reportAt(st.UARep, time.Now().Add(30*time.Minute))
	for _, id := range []string{inside, later} {
		inc := waitJudged(t, e, id, func(ev *incident.Evaluation) bool { return windowFlag(ev, "w1") != nil })
		f := windowFlag(inc.Evaluation, "w1")
		if f.Arrangement.Purpose != "repair" || len(f.Arrangement.Guarantees) != 2 || f.Rule != "zone" {
			t.Fatalf("flag: %+v", f)
		}
	}

	e.must(e.post("/v1/arrangements/w1/checkins", st.Mon1, map[string]any{"side": "ru",
		"place": map[string]any{"type": "Point", "coordinates": []float64{36.2, 47.7}}, "note": "on the left bank"}), 201)
	e.must(e.post("/v1/arrangements/w1/checkins", st.Mon2, map[string]any{"side": "ua"}), 201)

	// ru withdraws: the window ends now; the incident observed later is
	// judged again without it, the one before keeps its flag.
	e.must(e.post("/v1/arrangements/w1/withdraw", st.RURep, map[string]any{"reason": "Shelling near the crew."}), 201)
	if a = e.arrangement("w1"); a.Status.State != "withdrawn" {
		t.Fatalf("after withdrawal: %+v", a.Status)
	}
	inc := waitJudged(t, e, later, func(ev *incident.Evaluation) bool { return windowFlag(ev, "w1") == nil })
	if inc.Evaluation.Cause == nil || inc.Evaluation.Cause.Type != "arrangement.withdraw" {
		t.Fatalf("re-judged without its cause: %+v", inc.Evaluation)
	}
	var before incident.Incident
	e.must(e.get("/v1/incidents/"+inside, st.USMed), 200).json(t, &before)
	if windowFlag(before.Evaluation, "w1") == nil {
		t.Fatal("the incident before the withdrawal lost its flag")
	}
	// A withdrawn window takes no more guarantees, nor a second withdrawal.
	e.must(e.post("/v1/arrangements/w1/withdraw", st.UARep, map[string]any{"reason": "too"}), 409)

	e.must(e.post("/v1/arrangements/w1/close", st.UARep, map[string]any{"outcome": "partly_done", "reason": "Two of three spans mended."}), 201)
	a = e.arrangement("w1")
	if a.Status.State != "closed" || a.Record.Outcome == nil || a.Record.Outcome.Outcome != "partly_done" {
		t.Fatalf("after close: %+v", a)
	}
	kinds := []string{}
	for _, ev := range a.Record.Events {
		kinds = append(kinds, ev.Kind)
	}
	if want := []string{"conditions", "checkin", "checkin", "withdraw", "close"}; !slices.Equal(kinds, want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
}

// Extension, cutting short and cancellation; only the centre's
// coordinators cancel.
func TestArrangementChanges(t *testing.T) {
	e := newEnv(t)
	e.must(e.post("/v1/arrangements", st.Coord, windowRequest("w2", 0)), 201)
	e.must(e.post("/v1/arrangements/w2/guarantee", st.UARep, map[string]any{}), 201)
	e.must(e.post("/v1/arrangements/w2/guarantee", st.RURep, map[string]any{}), 201)
	until := time.Now().UTC().Add(5 * time.Hour).Format(time.RFC3339)
	e.must(e.post("/v1/arrangements/w2/extend", st.Coord, map[string]any{"until": until, "reason": "more spans"}), 201)
	var a struct {
		Status struct {
			State            string `json:"state"`
			Version          int    `json:"version"`
			ExtensionPending int    `json:"extension_pending"`
		} `json:"status"`
	}
	e.must(e.get("/v1/arrangements/w2", st.Viewer), 200).json(t, &a)
	if a.Status.State != "active" || a.Status.Version != 1 || a.Status.ExtensionPending != 2 {
		t.Fatalf("extension pending: %+v", a.Status)
	}
	e.must(e.post("/v1/arrangements/w2/guarantee", st.UARep, map[string]any{}), 201)
	e.must(e.post("/v1/arrangements/w2/guarantee", st.RURep, map[string]any{}), 201)
	a.Status.ExtensionPending = 0 // omitted when none
	e.must(e.get("/v1/arrangements/w2", st.Viewer), 200).json(t, &a)
	if a.Status.State != "active" || a.Status.Version != 2 || a.Status.ExtensionPending != 0 {
		t.Fatalf("extension guaranteed: %+v", a.Status)
	}
	cut := time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
	e.must(e.post("/v1/arrangements/w2/cut", st.Coord, map[string]any{"until": cut, "reason": "crew done early"}), 201)
	var full struct {
		Status struct {
			Until time.Time `json:"until"`
		} `json:"status"`
	}
	e.must(e.get("/v1/arrangements/w2", st.Viewer), 200).json(t, &full)
	if full.Status.Until.Format(time.RFC3339) != cut {
		t.Fatalf("cut short to %s, status says %s", cut, full.Status.Until)
	}
	// Cancel: a party, even the requester's, is refused; the operator cancels.
	size := e.size()
	for _, who := range []string{st.UARep, st.Coord, st.USMed} {
		problemOf(t, e.must(e.post("/v1/arrangements/w2/cancel", who, map[string]any{"reason": "no"}), 403))
	}
	if e.size() != size {
		t.Fatal("a refused cancel was stored")
	}
	e.must(e.post("/v1/arrangements/w2/cancel", centre.OperatorID, map[string]any{"reason": "Security situation."}), 201)
	e.must(e.get("/v1/arrangements/w2", st.Viewer), 200).json(t, &a)
	if a.Status.State != "cancelled" {
		t.Fatalf("after cancel: %+v", a.Status)
	}
	// Once cancelled, the ground is free again.
	e.must(e.post("/v1/arrangements", st.UARep, windowRequest("w3", 0)), 201)
}

// Bad input names its field and stores nothing.
func TestArrangementBadInput(t *testing.T) {
	e := newEnv(t)
	e.must(e.post("/v1/arrangements", st.UARep, windowRequest("ok", 0)), 201)
	past := time.Now().UTC().Add(-3 * time.Hour).Format(time.RFC3339)
	with := func(id string, change func(m map[string]any)) map[string]any {
		m := windowRequest(id, 2)
		change(m)
		return m
	}
	cases := []struct {
		name   string
		path   string
		who    string
		body   any
		status int
		field  string
	}{
		{"overlap", "/v1/arrangements", st.RURep, windowRequest("b1", 0.2), 422, "geometry"},
		{"past", "/v1/arrangements", st.UARep, with("b2", func(m map[string]any) { m["from"] = past }), 422, "from"},
		{"until before from", "/v1/arrangements", st.UARep, with("b3", func(m map[string]any) { m["until"] = past }), 422, "until"},
		{"route not a line", "/v1/arrangements", st.UARep, with("b4", func(m map[string]any) {
			m["shape"] = "route"
			m["geometry"] = map[string]any{"type": "Point", "coordinates": []float64{38, 47.6}}
		}), 422, "geometry.type"},
		{"purpose", "/v1/arrangements", st.UARep, with("b5", func(m map[string]any) { m["purpose"] = "picnic" }), 422, "purpose"},
		{"latitude", "/v1/arrangements", st.UARep, with("b6", func(m map[string]any) {
			m["geometry"] = map[string]any{"type": "LineString", "coordinates": [][]float64{{38, 47.6}, {38.1, 97}}}
		}), 422, "geometry.coordinates[1]"},
		{"no buffer", "/v1/arrangements", st.UARep, with("b7", func(m map[string]any) { delete(m, "buffer_m") }), 422, "buffer_m"},
		{"deadline after window", "/v1/arrangements", st.UARep, with("b8", func(m map[string]any) {
			m["deadline"] = time.Now().Add(4 * time.Hour).UTC().Format(time.RFC3339)
		}), 422, "deadline"},
		{"unknown party", "/v1/arrangements", st.UARep, with("b9", func(m map[string]any) { m["parties"] = []string{"ua", "xx"} }), 422, "parties[1]"},
		{"unknown field", "/v1/arrangements", st.UARep, with("b10", func(m map[string]any) { m["colour"] = "red" }), 400, ""},
		{"guarantee not asked", "/v1/arrangements/ok/guarantee", st.USMed, map[string]any{}, 422, "party"},
		{"respond not asked", "/v1/arrangements/ok/respond", st.USMed, map[string]any{"response": "decline", "text": "no"}, 422, "party"},
		{"response enum", "/v1/arrangements/ok/respond", st.RURep, map[string]any{"response": "maybe", "text": "no"}, 422, "response"},
		{"outcome enum", "/v1/arrangements/ok/close", st.UARep, map[string]any{"outcome": "great", "reason": "x"}, 422, "outcome"},
		{"withdraw before guarantee", "/v1/arrangements/ok/withdraw", st.RURep, map[string]any{"reason": "x"}, 422, "party"},
		{"check-in side", "/v1/arrangements/ok/checkins", st.Mon1, map[string]any{"side": "us"}, 422, "side"},
		{"check-in place", "/v1/arrangements/ok/checkins", st.Mon1, map[string]any{"side": "ua",
			"place": map[string]any{"type": "Point", "coordinates": []float64{200, 47}}}, 422, "place.coordinates"},
		{"cut in the past", "/v1/arrangements/ok/cut", st.UARep, map[string]any{"until": past, "reason": "x"}, 422, "until"},
		{"no such", "/v1/arrangements/nope/guarantee", st.UARep, map[string]any{}, 404, ""},
		{"cancel by a party", "/v1/arrangements/ok/cancel", st.UARep, map[string]any{"reason": "x"}, 403, ""},
		{"check-in by a party", "/v1/arrangements/ok/checkins", st.UARep, map[string]any{"side": "ua"}, 403, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			size := e.size()
			r := e.post(c.path, c.who, c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			p := problemOf(t, r)
			if c.field != "" && !strings.HasPrefix(p.Field, c.field) {
				t.Fatalf("problem names %q, want %s: %s", p.Field, c.field, r.body)
			}
			if e.size() != size {
				t.Fatal("refused input was stored")
			}
		})
	}
	var list struct{ Items []json.RawMessage }
	e.must(e.get("/v1/arrangements", st.UARep), 200).json(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("%d arrangements, want 1", len(list.Items))
	}
	e.must(e.get("/v1/arrangements", ""), http.StatusUnauthorized)
	e.must(e.get("/v1/arrangements?state=bogus", st.UARep), 400)
}
