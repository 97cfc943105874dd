package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"truce/i18n"
)

// The daily report in the console: the duty officer opens the demo's 24
// January, sees its counts and its plot in every language, issues it as a
// PDF, and finds it among the reports issued; the press sees the public
// report, without the unpublished incidents.
func TestSitrepPage(t *testing.T) {
	c := newDemoConsole(t)
	c.flagged("4.2", "BM-21") // the evaluator has caught up
	ctx := c.browser()
	c.login(ctx, "ae-coordinator")
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/sitrep?date=2026-01-24"), present("#sitrep-types"), present("#sitrep-series svg rect.today"),
		present(`#sitrep-types tr[data-key="missile"]`))
	if s := textOf(c, ctx, `#sitrep-types tr[data-key="missile"]`); !strings.Contains(s, "2") {
		t.Fatalf("missiles on 24 January: %q", s)
	}
	if u := c.unlabeled(ctx); len(u) != 0 {
		t.Fatalf("controls without labels on the report: %v", u)
	}
	for _, lang := range []string{"uk", "zh", "ru", "en"} {
		p := i18n.Printer{Lang: lang}
		c.setLang(ctx, lang)
		c.run(ctx, chromedp.Poll(fmt.Sprintf(`(document.querySelector("#sitrep-title") || {}).textContent === %q`, p.T("sitrep.title", "2026-01-24")), nil))
		c.screenshot(ctx, lang)
	}
	c.run(ctx, click("#sitrep-issue"), present(`#sitrep-issued tr[data-report]`))
	if s := textOf(c, ctx, `#sitrep-issued`); !strings.Contains(s, "2026-01-24") || !strings.Contains(s, "pdf") {
		t.Fatalf("the reports issued: %q", s)
	}

	press := c.browser()
	c.login(press, "press-viewer")
	c.run(press, chromedp.Navigate(c.srv.URL+"/#/sitrep?date=2026-01-24"), present("#sitrep-title"), absent("#sitrep-audience"), absent("#sitrep-issue"))
	var internal, public int
	c.run(press, chromedp.Evaluate(`document.querySelectorAll("#sitrep-incidents tbody tr").length`, &public))
	c.run(ctx, chromedp.Evaluate(`document.querySelectorAll("#sitrep-incidents tbody tr").length`, &internal))
	if public >= internal {
		t.Fatalf("the press sees %d incidents of 24 January, the coordinator %d", public, internal)
	}
}
