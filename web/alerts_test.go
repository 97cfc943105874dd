package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"truce/alert"
	"truce/i18n"
)

// The demo's alerts in the console: the hotline coordinator's
// subscription has been told of violations near protected sites and inside
// the ZNPP repair window; the coordinator marks one read; a representative
// subscribes through the form, with a webhook, and is shown its secret
// once; the page reads in every language.
func TestAlertsPage(t *testing.T) {
	c := newDemoConsole(t)
	var list struct{ Items []alert.Alert }
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		list.Items = nil
		c.call("ae-coordinator", "GET", "/v1/alerts?kind=window_violation", nil, &list)
		if len(list.Items) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(list.Items) == 0 {
		t.Fatal("the demo raised no window_violation alert for ae-coordinator")
	}
	id := list.Items[0].ID
	row := fmt.Sprintf(`#alerts tr[data-alert="%s"]`, id)

	ctx := c.browser()
	c.login(ctx, "ae-coordinator")
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/alerts"), present(row+`[data-kind="window_violation"][data-read="0"]`),
		present(`#alerts tr[data-kind="near_site"]`), present(`#subscriptions tr[data-status="active"]`))
	if u := c.unlabeled(ctx); len(u) != 0 {
		t.Fatalf("controls without labels on the alerts page: %v", u)
	}
	c.screenshot(ctx, "alerts")
	c.run(ctx, click(row+" button.ack"), present(row+`[data-read="1"]`))
	var a alert.Alert
	if code := c.call("ae-coordinator", "GET", "/v1/alerts/"+id, nil, &a); code != http.StatusOK || a.Receipt == nil || a.Receipt.By != "ae-coordinator" {
		t.Fatalf("after the console: %d %+v", code, a)
	}

	ua := c.browser()
	c.login(ua, demoUA)
	c.run(ua, chromedp.Navigate(c.srv.URL+"/#/alerts"), present("#subscribe"),
		chromedp.SendKeys("#a-name", "Shelling by ru", chromedp.ByQuery),
		click(`#a-events input[value="incident"]`),
		chromedp.SendKeys("#a-parties", "ru", chromedp.ByQuery),
		chromedp.SendKeys("#a-webhook", "http://127.0.0.1:9/hook", chromedp.ByQuery),
		click(`#subscribe button[type="submit"]`), present(`#subscriptions tr[data-status="active"]`), present("#secret"))
	var subs struct{ Items []alert.Subscription }
	c.call(demoUA, "GET", "/v1/alerts/subscriptions", nil, &subs)
	if len(subs.Items) != 1 || subs.Items[0].Webhook == nil || subs.Items[0].Filter.String() != "events=incident parties=ru" {
		t.Fatalf("ua's subscriptions: %+v", subs.Items)
	}
	// A report by ru reaches ua's subscription: the console says so at once.
	var rep struct {
		Record struct{ ID string } `json:"record"`
	}
	if code := c.call(demoRU, "POST", "/v1/incidents", map[string]any{"type": "shelling", "observed_at": time.Now().UTC().Format(time.RFC3339),
		"time_precision": "minute", "location": map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{35.1, 47.6}}, "precision_m": 500},
		"alleged_actor": "ru", "description": map[string]string{"lang": "ru", "text": "Обстрел."}}, &rep); code != http.StatusCreated {
		t.Fatalf("report: %d", code)
	}
	en := i18n.Printer{Lang: "en"}
	c.run(ua, chromedp.Poll(fmt.Sprintf(`document.querySelector("#toast").textContent === %q`, en.T("ui.alerts.toast", en.T("alert.kind.incident"), rep.Record.ID)), nil),
		present(fmt.Sprintf(`#alerts tr[data-kind="incident"] a[href="#/incident/%s"]`, rep.Record.ID)))
	// A filter the API refuses names its field beside the form.
	c.run(ua, click(`#subscribe button[type="submit"]`), chromedp.Poll(`document.querySelector("#err-subscribe").textContent.includes("name")`, nil))

	for _, lang := range []string{"uk", "ru", "zh", "en"} {
		p := i18n.Printer{Lang: lang}
		c.setLang(ctx, lang)
		c.run(ctx, chromedp.Poll(fmt.Sprintf(`(document.querySelector("#main h1") || {}).textContent === %q`, p.T("ui.nav.alerts")), nil),
			chromedp.Poll(fmt.Sprintf(`document.querySelector(%q).innerText.includes(%q)`, row, p.T("alert.kind.window_violation")), nil))
	}
}
