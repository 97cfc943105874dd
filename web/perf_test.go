package web_test

import (
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestMapTimings measures, in the browser, the map's first render and the
// update after a pan and a zoom, against a running server given by
// TRUCE_UI_BENCH_URL (with TRUCE_UI_BENCH_TOKEN), for example one serving a
// million incidents. It is a measurement, not a check: it logs and never
// fails on speed. Without the variables it skips.
func TestMapTimings(t *testing.T) {
	url, token := os.Getenv("TRUCE_UI_BENCH_URL"), os.Getenv("TRUCE_UI_BENCH_TOKEN")
	if url == "" {
		t.Skip("set TRUCE_UI_BENCH_URL and TRUCE_UI_BENCH_TOKEN to measure a running server")
	}
	c := &console{t: t, dir: os.TempDir()}
	ctx := c.browser()
	var first float64
	c.run(ctx,
		chromedp.Navigate(url+"/#/login"),
		chromedp.WaitVisible("#token", chromedp.ByQuery),
		chromedp.SendKeys("#token", token, chromedp.ByQuery),
		chromedp.Click("#login button", chromedp.ByQuery),
		chromedp.WaitVisible("#rows", chromedp.ByQuery),
		chromedp.Navigate(url+"/#/map"),
		chromedp.Reload(), // a fresh page load: the first render counts from navigation start
		chromedp.Poll(`performance.getEntriesByName("truce-map-idle").length > 0`, nil),
		chromedp.Evaluate(`performance.getEntriesByName("truce-map-idle")[0].startTime`, &first),
	)
	t.Logf("first render of the map, from navigation start to the incidents drawn: %.0f ms", first)
	// Each step starts a second after the last was drawn, at a person's
	// pace: the console fetches ahead what is likely to be asked next. The
	// jump goes where nothing was fetched ahead. TRUCE_UI_BENCH_PAUSE sets
	// another pause (0s: no time to fetch ahead).
	pause := time.Second
	if p := os.Getenv("TRUCE_UI_BENCH_PAUSE"); p != "" {
		var err error
		if pause, err = time.ParseDuration(p); err != nil {
			t.Fatalf("TRUCE_UI_BENCH_PAUSE: %v", err)
		}
	}
	for _, step := range []struct{ name, js string }{
		{"pan", `window.truceMap.panBy([300, 120], {animate: false})`},
		{"zoom in", `window.truceMap.zoomIn({animate: false})`},
		{"zoom out", `window.truceMap.zoomOut({animate: false})`},
		{"pan back", `window.truceMap.panBy([-300, -120], {animate: false})`},
		{"jump to Kharkiv at zoom 9 (nothing fetched ahead)", `window.truceMap.jumpTo({center: [36.23, 49.99], zoom: 9})`},
		{"zoom out to 4 (two levels and more)", `window.truceMap.zoomTo(4, {animate: false})`},
	} {
		var took, data float64
		time.Sleep(pause)
		c.run(ctx,
			chromedp.Evaluate(`performance.clearMarks("truce-map-idle"); performance.clearMarks("truce-map-data"); window.truceT0 = performance.now(); `+step.js+`; 0`, nil),
			chromedp.Poll(`performance.getEntriesByName("truce-map-idle").length > 0`, nil, chromedp.WithPollingTimeout(30*time.Second)),
			chromedp.Evaluate(`performance.getEntriesByName("truce-map-idle")[0].startTime - window.truceT0`, &took),
			chromedp.Evaluate(`performance.getEntriesByName("truce-map-data")[0].startTime - window.truceT0`, &data),
		)
		t.Logf("%s: viewport updated and drawn in %.0f ms (its data in at %.0f ms)", step.name, took, data)
	}
}
