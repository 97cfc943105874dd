package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"truce/alert"
	st "truce/store/storetest"
)

// subscribe subscribes member with a filter (text or object) and returns
// the subscription's ID.
func (e *env) subscribe(member string, filter any) string {
	e.t.Helper()
	var out struct {
		Record alert.Subscription `json:"record"`
	}
	e.must(e.post("/v1/alerts/subscriptions", member, map[string]any{"name": "watch", "filter": filter}), 201).json(e.t, &out)
	return out.Record.ID
}

// waitAlert waits until member has an alert that ok accepts.
func (e *env) waitAlert(member string, ok func(alert.Alert) bool) alert.Alert {
	e.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var list struct{ Items []alert.Alert }
		e.must(e.get("/v1/alerts?member="+member, member), 200).json(e.t, &list)
		for _, a := range list.Items {
			if ok(a) {
				return a
			}
		}
	}
	e.t.Fatalf("no such alert for %s", member)
	return alert.Alert{}
}

// reportAtPlace files a shelling report observed now at lon, lat.
func (e *env) reportAtPlace(member string, lon, lat float64) string {
	e.t.Helper()
	r := st.Report()
	r.ObservedAt = time.Now().UTC().Format(time.RFC3339)
	r.Location.Geometry.Coordinates = json.RawMessage(`[` + ftoa(lon) + `,` + ftoa(lat) + `]`)
	var out struct {
		Record struct{ ID string } `json:"record"`
	}
	e.must(e.post("/v1/incidents", member, r), 201).json(e.t, &out)
	return out.Record.ID
}

func ftoa(f float64) string { b, _ := json.Marshal(f); return string(b) }

// Alerts that arrive: a coordinator subscribes to serious possible
// violations near protected sites; a shelling near the Zaporizhzhia plants under a
// ceasefire in force raises an alert on the event stream and in the list,
// one 20 km off does not (near_km=5); the subscriber acknowledges it. A
// representative's saved filter (new incidents alleging ru) and a window
// violation subscription are told too.
func TestAlertsOverHTTP(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	near := e.subscribe(st.Coord, "events=near_site near_km=5 severity=serious")
	saved := e.subscribe(st.UARep, map[string]any{"events": []string{"incident"}, "parties": []string{"ru"}, "types": []string{"shelling"}})
	window := e.subscribe(st.RURep, "events=window_violation")

	// The coordinator's event stream.
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.f.Tokens[st.Coord])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	stream := bufio.NewReader(resp.Body)

	e.must(e.post("/v1/agreements", st.USMed, map[string]any{"agreement": doc(t, "ceasefire")}), 201)
	e.must(e.post("/v1/agreements/ceasefire/sign", st.UARep, map[string]any{}), 201)
	e.must(e.post("/v1/agreements/ceasefire/sign", st.RURep, map[string]any{}), 201)
	far := e.reportAtPlace(st.UARep, 34.86, 47.51)
	close := e.reportAtPlace(st.UARep, 34.62, 47.52)
	got := e.waitAlert(st.Coord, func(a alert.Alert) bool { return a.Event.Record == close })
	if got.Event.Kind != alert.NearSite || got.Event.Site == "" || got.Subscription != near || got.Event.Severity != alert.Serious ||
		got.Event.MeasuredKM == nil || *got.Event.MeasuredKM > 5 {
		raw, _ := json.Marshal(got)
		t.Fatalf("alert %s", raw)
	}
	var all struct{ Items []alert.Alert }
	e.must(e.get("/v1/alerts?member="+st.Coord, st.Viewer), 200).json(t, &all)
	for _, a := range all.Items {
		if a.Event.Record == far {
			t.Fatalf("told of an incident %v km from the site: %+v", a.Event.MeasuredKM, a)
		}
	}
	// The stream carries it as an alert event of its own.
	for {
		line, err := stream.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line != "event: alert\n" {
			continue
		}
		data, _ := stream.ReadString('\n')
		var a alert.Alert
		json.Unmarshal([]byte(strings.TrimPrefix(data, "data: ")), &a)
		if a.ID == got.ID {
			break
		}
	}
	// The saved filter: new shelling reports alleging ru.
	e.waitAlert(st.UARep, func(a alert.Alert) bool {
		return a.Event.Kind == alert.Incident && a.Event.Record == close && a.Subscription == saved
	})

	// A receipt, once, by the subscriber alone.
	e.must(e.post("/v1/alerts/"+got.ID+"/receipt", st.UARep, map[string]any{}), 403)
	var rec struct{ Record alert.Alert }
	e.must(e.post("/v1/alerts/"+got.ID+"/receipt", st.Coord, map[string]any{}), 201).json(t, &rec)
	if rec.Record.Receipt == nil || rec.Record.Receipt.By != st.Coord {
		t.Fatalf("receipt %+v", rec.Record)
	}
	e.must(e.post("/v1/alerts/"+got.ID+"/receipt", st.Coord, map[string]any{}), 409)

	// A violation inside an active repair window.
	e.must(e.post("/v1/arrangements", st.UARep, windowRequest("w1", 0)), 201)
	e.must(e.post("/v1/arrangements/w1/guarantee", st.UARep, map[string]any{}), 201)
	e.must(e.post("/v1/arrangements/w1/guarantee", st.RURep, map[string]any{}), 201)
	inside := e.reportAt(st.UARep, time.Now())
	w := e.waitAlert(st.RURep, func(a alert.Alert) bool { return a.Event.Kind == alert.WindowViolation && a.Event.Record == inside })
	if w.Event.Agreement != "w1" || w.Subscription != window {
		t.Fatalf("window alert %+v", w)
	}

	// Ending: by the subscriber, not another member.
	e.must(e.post("/v1/alerts/subscriptions/"+window+"/end", st.UARep, map[string]any{}), 403)
	e.must(e.post("/v1/alerts/subscriptions/"+window+"/end", st.RURep, map[string]any{}), 201)
	e.must(e.post("/v1/alerts/subscriptions/"+window+"/end", st.RURep, map[string]any{}), 409)
	var subs struct{ Items []alert.Subscription }
	e.must(e.get("/v1/alerts/subscriptions?member=all&status=ended", st.Viewer), 200).json(t, &subs)
	if len(subs.Items) != 1 || subs.Items[0].ID != window || subs.Items[0].Ended.By != st.RURep {
		t.Fatalf("ended subscriptions %+v", subs.Items)
	}
	// Viewers never write.
	e.must(e.post("/v1/alerts/subscriptions", st.Viewer, map[string]any{"name": "x", "filter": "events=incident"}), 403)
}
