package web_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"truce/agreement"
	"truce/geo"
	"truce/incident"
	st "truce/store/storetest"
	"truce/web"
)

// The windows screen lists arrangements with their live status, and the
// detail shows the guarantees and the deadline; Russia's representative
// gives its guarantee with the button, and the window turns active.
func TestWindowsListAndDetail(t *testing.T) {
	c := newConsole(t)
	now := time.Now().UTC()
	coords, _ := json.Marshal([][]float64{{36.0, 47.66}, {36.5, 47.66}})
	c.f.Say(t, st.UARep, agreement.TypeArrangementRequest, agreement.RequestArrangement{
		ID: "water-main", Title: agreement.Texts{"en": "Repair window: Huliaipole water main"}, Parties: []string{"ua", "ru"},
		From: now.Format(time.RFC3339), Until: now.Add(3 * time.Hour).Format(time.RFC3339),
		Arrangement: agreement.Arrangement{Purpose: "repair", Shape: "line", BufferM: 2000, Crew: "Vodokanal crew", CrewSize: 8,
			Geometry: geo.Geometry{Type: "LineString", Coordinates: coords}, Deadline: now.Add(time.Hour).Format(time.RFC3339)}})
	if _, err := c.f.Centre.SignAgreement(t.Context(), c.f.S[st.UARep], "water-main", 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	ctx := c.browser()
	c.login(ctx, st.RURep)
	var state, guarantees, deadline string
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/windows"),
		chromedp.WaitVisible(`#windows tr[data-arrangement="water-main"][data-state="requested"]`, chromedp.ByQuery),
		chromedp.Click(`#windows tr[data-arrangement="water-main"] a`, chromedp.ByQuery),
		chromedp.WaitVisible(`#window-detail[data-state="requested"]`, chromedp.ByQuery),
		chromedp.Text("#window-guarantees", &guarantees, chromedp.ByQuery),
		chromedp.Text("#window-deadline", &deadline, chromedp.ByQuery),
	)
	if !strings.Contains(guarantees, "guaranteed") || !strings.Contains(guarantees, "pending") || !strings.Contains(deadline, "UTC") {
		t.Fatalf("guarantees %q, deadline %q", guarantees, deadline)
	}
	c.screenshot(ctx, "requested")
	c.run(ctx,
		chromedp.Click("#window-guarantee", chromedp.ByQuery),
		chromedp.WaitVisible(`#window-detail[data-state="active"]`, chromedp.ByQuery),
		chromedp.Text(`#window-detail .arr-state`, &state, chromedp.ByQuery),
		chromedp.WaitVisible("#window-withdraw", chromedp.ByQuery),
	)
	if state != "active" {
		t.Fatalf("state %q after both guarantees", state)
	}
	c.screenshot(ctx, "active")
	v, err := c.st.Agreement(t.Context(), "water-main", 0)
	if err != nil || !v.Signed || len(v.Signatures) != 2 {
		t.Fatalf("the guarantee was not recorded: %v %+v", err, v)
	}
	// A shelling on the line now is flagged inside the window, with who
	// guaranteed it.
	r := st.Report()
	r.ObservedAt = time.Now().UTC().Format(time.RFC3339)
	id := incident.IDFor(c.f.Say(t, st.UARep, incident.TypeReport, r))
	c.incidentWhere(time.Now().UTC().Format(time.DateOnly), "Huliaipole", judgedBy("water-main"))
	var inside string
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/incident/"+id),
		chromedp.WaitVisible(`.inside-window[data-arrangement="water-main"]`, chromedp.ByQuery),
		chromedp.Text(`.inside-window[data-arrangement="water-main"]`, &inside, chromedp.ByQuery),
	)
	if !strings.HasPrefix(inside, "inside repair window water-main, guaranteed by ua at ") || !strings.Contains(inside, "ru at ") {
		t.Fatalf("flag %q", inside)
	}
	// On the map, the window is drawn in its live status.
	// The requester's form: a line given as a Point is refused, naming the
	// field; a good request opens its page, awaiting guarantees.
	c.login(ctx, st.UARep)
	// The requester cuts the window short, in UTC as the console writes
	// times.
	cut := now.Add(2 * time.Hour).Truncate(time.Minute)
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/window/water-main"),
		chromedp.WaitVisible("#window-cut", chromedp.ByQuery),
		chromedp.SetValue("#w-cut-until", cut.Format("2006-01-02T15:04"), chromedp.ByQuery),
		chromedp.SendKeys(`#window-cut input[name="reason"]`, "The crew finishes early.", chromedp.ByQuery),
		chromedp.Click("#window-cut button", chromedp.ByQuery),
		chromedp.WaitVisible(`#window-events li[data-kind="cut"]`, chromedp.ByQuery),
	)
	if a, err := c.st.Arrangement(t.Context(), "water-main"); err != nil || a == nil || !slices.ContainsFunc(a.Events, func(e agreement.ArrangementEvent) bool {
		return e.Kind == "cut" && e.Until != nil && e.Until.Equal(cut)
	}) {
		t.Fatalf("the cut was not recorded at %s: %v %+v", cut, err, a)
	}
	var field, shown string
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/windows"),
		chromedp.WaitVisible("#window-request", chromedp.ByQuery),
		chromedp.SendKeys("#w-id", "kherson-heat", chromedp.ByQuery),
		chromedp.SendKeys("#w-title", "Kherson heating main", chromedp.ByQuery),
		chromedp.SendKeys("#w-geometry", `{"type":"Point","coordinates":[32.6,46.6]}`, chromedp.ByQuery),
		chromedp.Click("#window-request button", chromedp.ByQuery),
		chromedp.WaitVisible(`#err-window[data-field]`, chromedp.ByQuery),
		chromedp.AttributeValue("#err-window", "data-field", &field, nil, chromedp.ByQuery),
	)
	if field != "geometry.type" {
		t.Fatalf("the refusal names %q", field)
	}
	c.run(ctx,
		chromedp.SetValue("#w-geometry", `{"type":"LineString","coordinates":[[32.61,46.64],[32.70,46.66]]}`, chromedp.ByQuery),
		chromedp.Click("#window-request button", chromedp.ByQuery),
		chromedp.WaitVisible(`#window-detail[data-state="requested"]`, chromedp.ByQuery),
		chromedp.Text("h1", &shown, chromedp.ByQuery),
	)
	if !strings.Contains(shown, "Kherson heating main") {
		t.Fatalf("page %q", shown)
	}
	if web.HasMap() {
		var drawn []string
		c.run(ctx,
			chromedp.Navigate(c.srv.URL+"/#/map"),
			chromedp.Poll(`window.truceMap && window.truceMap.truceArrangements`, &drawn, chromedp.WithPollingTimeout(20*time.Second)),
		)
		if !slices.Equal(drawn, []string{"kherson-heat:requested", "water-main:active"}) {
			t.Fatalf("the map draws %v", drawn)
		}
	}
}
