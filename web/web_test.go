package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"truce/api"
	"truce/blobs"
	"truce/i18n"
	"truce/incident"
	"truce/store/sqlite"
	"truce/store/storetest"
	"truce/web"
)

// browserPath finds Debian's chromium. Without one the browser tests skip,
// unless TRUCE_REQUIRE_BROWSER is set (as .ci/run does), when they fail.
func browserPath(t *testing.T) string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("TRUCE_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium: install Debian's chromium package")
	}
	t.Skip("no chromium on this machine (apt-get install chromium); .ci/run installs it and requires these tests")
	return ""
}

type console struct {
	t      *testing.T
	srv    *httptest.Server
	f      *storetest.Fixture // nil for the demo scenario
	st     *sqlite.Store
	tokens map[string]string // member ID → bearer token
	dir    string            // screenshots
}

func newConsole(t *testing.T) *console {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := storetest.NewFixture(t, st)
	b, _ := blobs.Open(filepath.Join(dir, "evidence"), api.MaxEvidence)
	srv := httptest.NewServer(web.Handler(api.New(f.Centre, b)))
	t.Cleanup(srv.Close)
	return &console{t: t, srv: srv, f: f, st: st, tokens: f.Tokens, dir: artifacts()}
}

// artifacts is where screenshots go: $TRUCE_ARTIFACTS, else a directory
// under the system's temporary one.
func artifacts() string {
	art := os.Getenv("TRUCE_ARTIFACTS")
	if art == "" {
		art = filepath.Join(os.TempDir(), "truce-ui-artifacts")
	}
	os.MkdirAll(art, 0o755)
	return art
}

// browser starts a headless chromium of its own (its own storage: a
// separate session).
func (c *console) browser() context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(c.t)), chromedp.NoSandbox, chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true), chromedp.WindowSize(1200, 900),
		// WebGL for the map, in software: headless machines have no GPU.
		chromedp.Flag("enable-unsafe-swiftshader", true), chromedp.Flag("use-angle", "swiftshader"))
	// Shared memory in a file, not /dev/shm: CI machines differ in its size.
	opts = append(opts, chromedp.Flag("disable-dev-shm-usage", true))
	// A browser that dies while starting, on a loaded shared machine, is
	// not the console failing: start it again, up to three times, and say so.
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		// Start the browser on this context: were the first Run given a
		// step's shorter-lived child context, its end would close the browser.
		if err = chromedp.Run(ctx); err == nil {
			c.t.Cleanup(func() { cancel(); cancelAlloc() })
			return ctx
		}
		cancel()
		cancelAlloc()
		c.t.Logf("chromium did not start (attempt %d of 3): %v", attempt, err)
	}
	c.t.Fatal(err)
	return nil
}

// run runs actions with a deadline of their own, so that on failure the
// browser is still there to take a screenshot.
func (c *console) run(ctx context.Context, actions ...chromedp.Action) {
	c.t.Helper()
	step, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(step, actions...); err != nil {
		c.screenshot(ctx, "failure")
		c.t.Fatal(err)
	}
}

// screenshot saves the whole page, not only what the window shows: the
// plans side by side run long.
func (c *console) screenshot(ctx context.Context, name string) {
	var png []byte
	if chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)) == nil {
		os.WriteFile(filepath.Join(c.dir, c.t.Name()+"-"+name+".png"), png, 0o644)
	}
}

// login opens the console and logs in with member's token.
func (c *console) login(ctx context.Context, member string) {
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/login"),
		chromedp.WaitVisible("#token", chromedp.ByQuery),
		chromedp.SendKeys("#token", c.tokens[member], chromedp.ByQuery),
		chromedp.Click("#login button", chromedp.ByQuery),
		chromedp.WaitVisible("#rows", chromedp.ByQuery),
	)
}

// A representative reports on the phone-sized form, with an invalid
// latitude first; a coordinator's console shows the report live; triage,
// assignment, investigation and a finding follow through the buttons.
func TestReportLiveAndVerify(t *testing.T) {
	c := newConsole(t)
	coord := c.browser()
	c.login(coord, storetest.Coord)
	rep := c.browser()
	c.login(rep, storetest.UARep)
	c.run(rep,
		chromedp.Navigate(c.srv.URL+"/#/report"),
		chromedp.WaitVisible("#f-lat", chromedp.ByQuery),
		chromedp.SetValue("#f-type", "shelling", chromedp.ByQuery),
		chromedp.SetValue("#f-observed_at", "2026-01-24T03:10", chromedp.ByQuery),
		chromedp.SendKeys("#f-lon", "36.26", chromedp.ByQuery),
		chromedp.SendKeys("#f-lat", "91", chromedp.ByQuery),
		chromedp.SendKeys("#f-place", "Huliaipole", chromedp.ByQuery),
		chromedp.SendKeys("#f-text", "Обстріл житлового кварталу.", chromedp.ByQuery),
		chromedp.SetValue("#f-lang", "uk", chromedp.ByQuery),
		chromedp.Click(`#report button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#err-lat:not(:empty)", chromedp.ByQuery),
	)
	text := func(sel string) (s string) {
		c.run(rep, chromedp.Text(sel, &s, chromedp.ByQuery))
		return s
	}
	if e := text("#err-lat"); e != "Must be from -90 to 90." {
		t.Fatalf("error next to the latitude field: %q", e)
	}
	// The field names its message for screen readers, and is marked invalid.
	var described, invalid string
	var ok bool
	c.run(rep, chromedp.AttributeValue("#f-lat", "aria-describedby", &described, &ok, chromedp.ByQuery),
		chromedp.AttributeValue("#f-lat", "aria-invalid", &invalid, nil, chromedp.ByQuery))
	if described != "err-lat" || invalid != "true" {
		t.Fatalf("latitude field: aria-describedby %q, aria-invalid %q", described, invalid)
	}
	c.screenshot(rep, "invalid-latitude")
	// An empty time is caught in the page; what only the server can judge
	// (more intercepted than launched) comes back next to its field.
	c.run(rep,
		chromedp.SetValue("#f-lat", "47.66", chromedp.ByQuery),
		chromedp.SetValue("#f-observed_at", "", chromedp.ByQuery),
		chromedp.SendKeys("#f-launched", "3", chromedp.ByQuery),
		chromedp.SendKeys("#f-intercepted", "5", chromedp.ByQuery),
		chromedp.Click(`#report button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#err-observed_at:not(:empty)", chromedp.ByQuery),
	)
	if e := text("#err-observed_at"); e != "Required." {
		t.Fatalf("error next to the time field: %q", e)
	}
	c.run(rep,
		chromedp.SetValue("#f-observed_at", "2026-01-24T03:10", chromedp.ByQuery),
		chromedp.Click(`#report button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#err-intercepted:not(:empty)", chromedp.ByQuery),
	)
	if e := text("#err-intercepted"); !strings.HasPrefix(e, "The centre refused this: more intercepted") {
		t.Fatalf("error next to the intercepted field: %q", e)
	}
	// A decimal comma, as Ukrainian and Russian write numbers, is a point.
	c.run(rep,
		chromedp.SetValue("#f-intercepted", "2", chromedp.ByQuery),
		chromedp.SetValue("#f-lat", "47,66", chromedp.ByQuery),
		chromedp.Click(`#report button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".status-reported", chromedp.ByQuery),
	)
	if p := text("#main table.fields"); !strings.Contains(p, "[36.26,47.66]") {
		t.Fatalf("the incident page shows %q, want the position [36.26,47.66]", p)
	}
	var loc string
	c.run(rep, chromedp.Location(&loc))
	id := loc[strings.LastIndex(loc, "/")+1:]
	// Evidence goes up with a progress bar and is attached by its hash.
	photo := filepath.Join(t.TempDir(), "crater.txt")
	os.WriteFile(photo, []byte("field note: crater 3 m wide"), 0o600)
	c.run(rep,
		chromedp.WaitVisible(`form[data-step="evidence"]`, chromedp.ByQuery),
		chromedp.SetUploadFiles(`form[data-step="evidence"] input[type=file]`, []string{photo}, chromedp.ByQuery),
		chromedp.Click(`form[data-step="evidence"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`a[download="crater.txt"]`, chromedp.ByQuery),
	)
	// The coordinator's list shows it without a reload.
	c.run(coord, chromedp.WaitVisible(fmt.Sprintf(`tr[data-id="%s"]`, id), chromedp.ByQuery))
	c.screenshot(coord, "live")
	// Triage and assign as the coordinator.
	c.run(coord,
		chromedp.Navigate(c.srv.URL+"/#/incident/"+id),
		chromedp.WaitVisible(`form[data-step="triage"]`, chromedp.ByQuery),
		chromedp.Click(`form[data-step="triage"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[data-step="assign"]`, chromedp.ByQuery),
		chromedp.SendKeys(`form[data-step="assign"] input`, storetest.Mon1, chromedp.ByQuery),
		chromedp.Click(`form[data-step="assign"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(".status-assigned", chromedp.ByQuery),
	)
	mon := c.browser()
	c.login(mon, storetest.Mon1)
	c.run(mon,
		chromedp.Navigate(c.srv.URL+"/#/incident/"+id),
		chromedp.WaitVisible(`form[data-step="investigate"]`, chromedp.ByQuery),
		chromedp.Click(`form[data-step="investigate"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[data-step="finding"]`, chromedp.ByQuery),
		chromedp.SetValue(`form[data-step="finding"] select`, "serious_violation", chromedp.ByQuery),
		chromedp.SetValue(`form[data-step="finding"] input`, "ru", chromedp.ByQuery),
		chromedp.SendKeys(`form[data-step="finding"] textarea`, "Craters consistent with 122 mm rounds.", chromedp.ByQuery),
		chromedp.Click(`form[data-step="finding"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(".status-finding", chromedp.ByQuery),
	)
	c.screenshot(mon, "finding")
	inc, err := c.f.Store.Incident(context.Background(), id)
	if err != nil || inc == nil || inc.Finding == nil || inc.Finding.Outcome != "serious_violation" || inc.Report.Description.Lang != "uk" {
		t.Fatalf("the record after the console's steps: %+v %v", inc, err)
	}
}

// The language switch shows the catalogues' labels and is remembered; the
// first page follows Accept-Language.
func TestLanguages(t *testing.T) {
	c := newConsole(t)
	id := c.f.Walk(t)
	ctx := c.browser()
	c.login(ctx, storetest.Coord)
	for _, lang := range []string{"uk", "ru", "zh", "en"} {
		want := i18n.Printer{Lang: lang}.T("ui.nav.incidents")
		c.run(ctx,
			chromedp.SetValue("#lang", lang, chromedp.ByQuery),
			chromedp.Evaluate(`document.getElementById("lang").dispatchEvent(new Event("change"))`, nil),
			chromedp.WaitVisible(fmt.Sprintf(`html[lang="%s"]`, lang), chromedp.ByQuery),
		)
		// The page redraws as the ledger moves: the heading is waited for
		// and read in one step of JavaScript.
		c.run(ctx, chromedp.Poll(fmt.Sprintf(`(document.querySelector("h1") || {}).textContent === %q`, want), nil))
		// The header names the role in the language, and the switch's
		// label follows.
		p := i18n.Printer{Lang: lang}
		var who, label string
		c.run(ctx, chromedp.Evaluate(`document.getElementById("who").textContent`, &who), chromedp.Evaluate(`document.querySelector('label[for="lang"]').textContent`, &label))
		if !strings.Contains(who, p.T("ui.role.coordinator")) || label != p.T("ui.language") {
			t.Fatalf("%s: header %q, switch label %q", lang, who, label)
		}
		c.screenshot(ctx, lang)
	}
	// An incident's history names its statements in the language, with
	// the signed type beside.
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/incident/"+id), chromedp.WaitVisible("#actions", chromedp.ByQuery)) // the incident page, not the list before it
	var history string
	c.run(ctx, chromedp.Text("table.list tbody", &history, chromedp.ByQuery))
	if want := (i18n.Printer{Lang: "en"}).T("ui.stmt.incident.report"); !strings.Contains(history, want+" incident.report") {
		t.Fatalf("history %q, want %q beside incident.report", history, want)
	}
	// Free text is shown as written, and tagged only when it is not in the
	// page's language: the Ukrainian description is, the English finding
	// is not.
	var fields string
	c.run(ctx, chromedp.Text("table.fields", &fields, chromedp.ByQuery))
	if !strings.Contains(fields, "кварталу, 14 вибухів. (uk)") || strings.Contains(fields, "south-east. (en)") {
		t.Fatalf("incident fields on an English page: %q", fields)
	}
	// Remembered across a reload, over the browser's own language.
	c.run(ctx, chromedp.SetValue("#lang", "zh", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("lang").dispatchEvent(new Event("change"))`, nil),
		chromedp.WaitVisible(`html[lang="zh"]`, chromedp.ByQuery),
		chromedp.Reload(), chromedp.WaitVisible(`html[lang="zh"]`, chromedp.ByQuery))
	req, _ := http.NewRequest("GET", c.srv.URL+"/", nil)
	req.Header.Set("Accept-Language", "uk-UA,uk;q=0.9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	resp.Body.Close()
	if !strings.Contains(b.String(), `<html lang="uk">`) {
		t.Fatalf("first page ignores Accept-Language: %.200s", b.String())
	}
}

// A viewer sees no action buttons, and the API refuses the actions anyway.
// Labels, keyboard focus and the status colours' contrast are checked too.
func TestViewerAndAccessibility(t *testing.T) {
	c := newConsole(t)
	id := c.f.Walk(t)
	ctx := c.browser()
	c.login(ctx, storetest.Viewer)
	var forms int
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/incident/"+id),
		chromedp.WaitVisible(".status-published", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#actions form").length`, &forms),
	)
	if forms != 0 {
		t.Fatalf("a viewer sees %d action forms", forms)
	}
	req, _ := http.NewRequest("POST", c.srv.URL+"/v1/incidents/"+id+"/triage", strings.NewReader(`{"priority":"high"}`))
	req.Header.Set("Authorization", "Bearer "+c.f.Tokens[storetest.Viewer])
	req.Header.Set("Content-Type", "application/json") // a well-formed request, refused for the role alone
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("viewer triage: %d", resp.StatusCode)
	}
	// Every form control on the report form has a label.
	rep := c.browser()
	c.login(rep, storetest.UARep)
	var unlabeled []string
	c.run(rep, chromedp.Navigate(c.srv.URL+"/#/report"), chromedp.WaitVisible("#f-lat", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("input, select, textarea")].filter(e => e.labels.length === 0 && !e.getAttribute("aria-label")).map(e => e.id || e.name)`, &unlabeled))
	if len(unlabeled) != 0 {
		t.Fatalf("controls without labels: %v", unlabeled)
	}
	// Keyboard: Tab alone reaches every field of the form and its button.
	reached := map[string]bool{}
	for i := 0; i < 40; i++ {
		var id string
		c.run(rep, chromedp.KeyEvent("\t"), chromedp.Evaluate(`document.activeElement.id || document.activeElement.tagName`, &id))
		reached[id] = true
	}
	for _, want := range []string{"f-type", "f-lon", "f-lat", "f-text", "BUTTON", "lang"} {
		if !reached[want] {
			t.Fatalf("Tab never reaches %s (reached %v)", want, reached)
		}
	}
	// Status colours: contrast of at least 4.5:1 (WCAG AA) for white text.
	var ratios map[string]float64
	c.run(ctx, chromedp.Evaluate(`(() => {
		const lum = (c) => { const v = c.match(/\d+/g).slice(0,3).map(x => { x = x/255; return x <= 0.03928 ? x/12.92 : Math.pow((x+0.055)/1.055, 2.4) }); return 0.2126*v[0] + 0.7152*v[1] + 0.0722*v[2] };
		const out = {};
		for (const s of ["reported","triaged","assigned","investigating","finding","published"]) {
			const el = document.createElement("span"); el.className = "status status-" + s; document.body.appendChild(el);
			const st = getComputedStyle(el); const a = lum(st.color), b = lum(st.backgroundColor);
			out[s] = (Math.max(a,b) + 0.05) / (Math.min(a,b) + 0.05); el.remove();
		}
		return out; })()`, &ratios))
	for s, r := range ratios {
		if r < 4.5 {
			t.Errorf("status %s: contrast %.2f:1, want at least 4.5:1", s, r)
		}
	}
	if len(ratios) != 6 {
		t.Fatalf("measured %d status colours", len(ratios))
	}
}

// needMap skips a map test when the map's assets are not built in, or
// fails it where the browser tests are required.
func needMap(t *testing.T) {
	t.Helper()
	if !web.HasMap() {
		if os.Getenv("TRUCE_REQUIRE_BROWSER") != "" {
			t.Fatal("the map's assets are not built in: run make web-assets")
		}
		t.Skip("the map's assets are not built in (make web-assets needs npm)")
	}
}

// mapConsole is a console over the fixture with n more reports, and a
// browser logged in as the coordinator.
func mapConsole(t *testing.T, n int) (*console, context.Context) {
	c := newConsole(t)
	needMap(t)
	c.f.Walk(t)
	for i := 0; i < n; i++ {
		c.f.Say(t, storetest.UARep, "incident.report", storetest.Report())
	}
	ctx := c.browser()
	c.login(ctx, storetest.Coord)
	return c, ctx
}

// The map draws the borders and the incidents of the viewport, clustered by
// the server; on the report form a click on the map sets the location.
func TestMap(t *testing.T) {
	c, ctx := mapConsole(t, 5)
	var status string
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/map"),
		chromedp.WaitVisible("#map canvas", chromedp.ByQuery),
		chromedp.Poll(`/[1-9]/.test(document.getElementById("map-status").textContent)`, nil),
		chromedp.Text("#map-status", &status, chromedp.ByQuery),
	)
	if !strings.Contains(status, "7 incidents") {
		t.Fatalf("map status %q, want the 7 incidents", status)
	}
	// Internationally recognised borders: Crimea is Ukraine's on the
	// basemap, though world-atlas draws it in Russia. The borders are
	// queried once the map is drawn.
	var countries []string
	c.run(ctx, chromedp.Poll(`performance.getEntriesByName("truce-map-idle").length > 0`, nil), chromedp.Evaluate(`[[34.10, 44.95], [36.47, 45.36], [30.52, 50.45], [39.72, 47.23]].map((p) =>
		(truceMap.queryRenderedFeatures(truceMap.project(p), { layers: ["land"] })[0] || { properties: {} }).properties.name)`, &countries))
	if want := []string{"Ukraine", "Ukraine", "Ukraine", "Russia"}; !slices.Equal(countries, want) {
		t.Fatalf("Simferopol, Kerch, Kyiv and Rostov lie in %v, want %v", countries, want)
	}
	c.screenshot(ctx, "map")
	// Zoomed in, the detailed borders replace the coarse ones.
	c.run(ctx,
		chromedp.Evaluate(`truceMap.zoomTo(6, { animate: false }); 0`, nil),
		chromedp.Poll(`truceMap.truceBorders === "50m"`, nil, chromedp.WithPollingTimeout(20*time.Second)),
	)
	var lon, lat string
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/report"),
		chromedp.Click("#pick-open", chromedp.ByQuery),
		chromedp.WaitVisible("#pick canvas", chromedp.ByQuery),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.Click("#pick canvas", chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("f-lon").value !== ""`, nil),
		chromedp.Value("#f-lon", &lon, chromedp.ByQuery),
		chromedp.Value("#f-lat", &lat, chromedp.ByQuery),
	)
	if lon == "" || lat == "" {
		t.Fatalf("a click on the map set lon %q lat %q", lon, lat)
	}
	c.screenshot(ctx, "pick")
}

// The map fetches ahead: a pan inside what was fetched and a zoom by one
// level draw without asking the server, a jump far away asks, and a new
// incident from the event stream is drawn, not an old copy.
func TestMapFetchAhead(t *testing.T) {
	c, ctx := mapConsole(t, 3)
	// settled waits until the map is drawn. What it fetches ahead starts
	// then, and a view that needs a fetch still under way waits for it
	// without asking again.
	settled := func() {
		c.run(ctx, chromedp.Poll(`performance.getEntriesByName("truce-map-idle").length > 0`, nil))
	}
	misses := func() (n int) {
		c.run(ctx, chromedp.Evaluate(`truceMap.truceMisses || 0`, &n))
		return n
	}
	step := func(js string) {
		c.run(ctx, chromedp.Evaluate(`performance.clearMarks("truce-map-idle"); `+js+`; 0`, nil))
		settled()
	}
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/map"), chromedp.WaitVisible("#map canvas", chromedp.ByQuery))
	settled()
	first := misses()
	if first != 1 {
		t.Fatalf("the first view asked the server %d times, want once", first)
	}
	step(`truceMap.panBy([200, 100], {animate: false})`)
	step(`truceMap.zoomIn({animate: false})`)
	step(`truceMap.zoomOut({animate: false})`)
	if n := misses(); n != first {
		t.Fatalf("a pan and one-level zooms waited for the server %d times, want none", n-first)
	}
	step(`truceMap.jumpTo({center: [-70, -30], zoom: 9})`)
	if n := misses(); n != first+1 {
		t.Fatalf("a jump to the other side of the world waited for the server %d times, want once", n-first)
	}
	// Back over the incidents, then a new one arrives on the event stream.
	step(`truceMap.jumpTo({center: [36.26, 47.66], zoom: 6})`)
	var before int
	c.run(ctx, chromedp.Evaluate(`parseInt(document.getElementById("map-status").textContent)`, &before))
	if before < 3 {
		t.Fatalf("%d incidents in view, want the 3 reported and the fixture's", before)
	}
	c.f.Say(t, storetest.UARep, "incident.report", storetest.Report())
	c.run(ctx, chromedp.Poll(fmt.Sprintf(`parseInt(document.getElementById("map-status").textContent) === %d`, before+1), nil))
	c.screenshot(ctx, "map-ahead")
}

// The console's lists of incident types and statuses are the API's.
func TestIncidentEnumsMatchTheAPI(t *testing.T) {
	js, err := os.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	list := func(name string) string {
		_, rest, ok := strings.Cut(string(js), "const "+name+" = ")
		if !ok {
			t.Fatalf("app.js has no %s", name)
		}
		return rest[:strings.Index(rest, ";")]
	}
	quote := func(xs []string) string { return `["` + strings.Join(xs, `", "`) + `"]` }
	var types, statuses []string
	for _, x := range incident.Types {
		types = append(types, string(x))
	}
	for _, x := range incident.Statuses {
		statuses = append(statuses, string(x))
	}
	if got, want := list("incidentTypes"), quote(types); got != want {
		t.Errorf("app.js incidentTypes %s, the API's %s", got, want)
	}
	if got, want := list("incidentStatuses"), quote(statuses); got != want {
		t.Errorf("app.js incidentStatuses %s, the API's %s", got, want)
	}
}
