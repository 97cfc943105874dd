package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"truce/hotline"
	"truce/i18n"
)

// The demo's hotline in the console: the coordinator's inbox shows the
// open thread with its answer to ua overdue; ua's representative
// acknowledges it, replies and resolves the thread; the register shows its
// counts per party and subtype, in every language.
func TestHotlineInboxAndRegister(t *testing.T) {
	c := newDemoConsole(t)
	c.flagged("4.2", "BM-21") // the evaluator has caught up: the ledger is quiet
	var list struct{ Items []hotline.Thread }
	if code := c.call(demoUA, "GET", "/v1/hotline?status=open", nil, &list); code != http.StatusOK || len(list.Items) != 1 {
		t.Fatalf("ua's open threads: %d %+v", code, list.Items)
	}
	id := list.Items[0].ID
	row := fmt.Sprintf(`#threads tr[data-thread="%s"]`, id)

	ctx := c.browser()
	c.login(ctx, "ae-coordinator")
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/hotline"), present(row+`[data-overdue="1"][data-status="open"]`),
		present(`#hotline-stats tr[data-party="ua"]`), present(`#hotline-stats tr[data-party="centre"]`))
	if u := c.unlabeled(ctx); len(u) != 0 {
		t.Fatalf("controls without labels on the hotline: %v", u)
	}
	en := i18n.Printer{Lang: "en"}
	if s := textOf(c, ctx, row); !strings.Contains(s, en.N("ui.hotline.overdue", 1)) {
		t.Fatalf("the inbox row: %q", s)
	}
	c.screenshot(ctx, "inbox")
	c.run(ctx, click(row+" a"), present(`#messages li[data-n="2"][data-overdue="1"]`), absent(`#messages button.ack`))

	ua := c.browser()
	c.login(ua, demoUA)
	c.run(ua, chromedp.Navigate(c.srv.URL+"/#/hotline/"+id), present(`#messages li[data-n="2"] button.ack`),
		click(`#messages li[data-n="2"] button.ack`), present(`#messages li[data-n="2"][data-acked="1"]`))
	if s := textOf(c, ua, `#messages li[data-n="2"] .ack-state`); !strings.Contains(s, strings.Split(en.T("ui.hotline.acked_late", "@", "@"), "@")[0]) {
		t.Fatalf("a late acknowledgement reads %q", s)
	}
	c.run(ua,
		chromedp.SendKeys("#r-text", "The crew is in shelter and waits for your confirmation.", chromedp.ByQuery),
		click(`#reply button[type="submit"]`), present(`#messages li[data-n="3"]`),
		click("#resolve"), present(`#thread-status[data-status="resolved"]`), absent("#reply"))
	c.screenshot(ua, "resolved")
	var th hotline.Thread
	c.call(demoUA, "GET", "/v1/hotline/"+id, nil, &th)
	if th.Status != hotline.Resolved || len(th.Messages) != 3 || th.Messages[1].Ack == nil || th.Resolution.By != demoUA {
		t.Fatalf("after the console: %+v", th)
	}

	// The register, in every language.
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/restrictions"), present(`#counts tr[data-party="ru"]`))
	for sel, want := range map[string]string{
		`#counts tr[data-party="ru"] td[data-subtype="denial_of_access"]`: "1",
		`#counts tr[data-party="unknown"] td[data-subtype="uav_jamming"]`: "1",
		`#counts tr[data-party="ru"] td[data-subtype="total"]`:            "1",
	} {
		if s := textOf(c, ctx, sel); s != want {
			t.Fatalf("%s = %q, want %q", sel, s, want)
		}
	}
	c.run(ctx, present(`#restrictions tr[data-status="open"] button.end`), present(`#restrictions tr[data-status="ended"] a[href="#/hotline/`+list.Items[0].ID+`"]`+`, #restrictions tr[data-status="ended"] a`))
	if u := c.unlabeled(ctx); len(u) != 0 {
		t.Fatalf("controls without labels on the register: %v", u)
	}
	c.screenshot(ctx, "register")
	for _, lang := range []string{"uk", "ru", "zh", "en"} {
		p := i18n.Printer{Lang: lang}
		c.setLang(ctx, lang)
		c.run(ctx, chromedp.Poll(fmt.Sprintf(`(document.querySelector("#counts-h") || {}).textContent === %q`, p.T("ui.restrictions.counts")), nil))
		if s := textOf(c, ctx, "#restrictions-total"); s != p.N("ui.restrictions.total", 2, 1) {
			t.Fatalf("%s: the register's total %q, want %q", lang, s, p.N("ui.restrictions.total", 2, 1))
		}
		if s := textOf(c, ctx, `#counts thead`); !strings.Contains(s, p.T("ui.restrictions.subtype.uav_jamming")) {
			t.Fatalf("%s: the counts' heading %q", lang, s)
		}
	}
}
