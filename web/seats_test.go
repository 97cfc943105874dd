package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"truce/incident"
)

// The press viewer sees published material only in the console: the list
// holds the published incidents alone, and an unpublished incident's page
// is not found. The seats page shows the demo's monitoring term: three
// countries with their seats, what each may access, the belligerents'
// consents, the rotation of Türkiye's head of mission and Russia's
// objection to a monitor taking a case.
func TestSeatsAndPressView(t *testing.T) {
	c := newDemoConsole(t)
	var published, unpublished struct{ Items []incident.Incident }
	if code := c.call(demoUA, "GET", "/v1/incidents?status=published&limit=1000", nil, &published); code != http.StatusOK || len(published.Items) == 0 {
		t.Fatalf("published incidents: %d, %d", code, len(published.Items))
	}
	if code := c.call(demoUA, "GET", "/v1/incidents?status=reported,triaged,assigned,investigating,finding&limit=1000", nil, &unpublished); code != http.StatusOK || len(unpublished.Items) == 0 {
		t.Fatalf("unpublished incidents: %d, %d", code, len(unpublished.Items))
	}
	press := c.browser()
	c.login(press, demoViewer)
	var rows, shown int
	c.run(press,
		chromedp.Navigate(c.srv.URL+"/#/incidents"),
		present("#rows tr"),
		chromedp.Evaluate(`document.querySelectorAll("#rows tr").length`, &rows),
		chromedp.Evaluate(`document.querySelectorAll("#rows .status-published").length`, &shown),
	)
	if rows != len(published.Items) || shown != rows {
		t.Fatalf("the press viewer's list: %d rows, %d published; %d are published", rows, shown, len(published.Items))
	}
	hidden := unpublished.Items[0].ID
	var badges int
	c.run(press,
		chromedp.Navigate(c.srv.URL+"/#/incident/"+url.PathEscape(hidden)),
		present("#main p.error"),
		chromedp.Evaluate(`document.querySelectorAll("#main [class^=status-]").length`, &badges),
	)
	if badges != 0 {
		t.Fatalf("the press viewer sees %s", hidden)
	}
	c.screenshot(press, "press")

	ua := c.browser()
	c.login(ua, demoUA)
	c.run(ua, chromedp.Navigate(c.srv.URL+"/#/seats"), present(`#countries tr[data-country="tr"]`))
	want := map[string][2]string{"ch": {"20", "incidents, evidence, sites, and the zone"}, "tr": {"20", "incidents, evidence, and the zone"}, "in": {"15", "incidents, evidence, and the hotline"}}
	for country, w := range want {
		var seats, access, consent string
		c.run(ua,
			chromedp.Text(`#countries tr[data-country="`+country+`"] td[data-col="seats"]`, &seats, chromedp.ByQuery),
			chromedp.Text(`#countries tr[data-country="`+country+`"] td[data-col="access"]`, &access, chromedp.ByQuery),
			chromedp.Text(`#countries tr[data-country="`+country+`"] td[data-consent="ru"]`, &consent, chromedp.ByQuery),
		)
		if seats != w[0] || access != w[1] || consent != "consents" {
			t.Errorf("%s: %q seats, access %q, ru %q; want %q, %q, consents", country, seats, access, consent, w[0], w[1])
		}
	}
	var rotated, rotating, objections int
	c.run(ua,
		chromedp.Evaluate(`document.querySelectorAll('#seats tr[data-member="tr-head"][data-state="replaced"]').length`, &rotated),
		chromedp.Evaluate(`document.querySelectorAll('#seats tr[data-member="tr-head-2"][data-state="current"]').length`, &rotating),
		chromedp.Evaluate(`document.querySelectorAll('#cases li.decision-object').length`, &objections),
	)
	if rotated != 1 || rotating != 1 || objections != 1 {
		t.Fatalf("rotation %d → %d, objections %d", rotated, rotating, objections)
	}
	// India's access lists neither sites nor the zone: the agreement's page
	// says what it withholds; Switzerland's lists both.
	for member, want := range map[string]int{"in-monitor": 1, "ch-monitor": 0} {
		ctx := c.browser()
		c.login(ctx, member)
		var n int
		c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/agreement/"+demoDeal), present("#agreement-status"),
			chromedp.Evaluate(`document.querySelectorAll("#withheld").length`, &n))
		if n != want {
			t.Errorf("%s: %d notes of what is withheld, want %d", member, n, want)
		}
	}
	if u := c.unlabeled(ua); len(u) != 0 {
		t.Fatalf("controls without labels: %v", u)
	}
	c.screenshot(ua, "seats")
}
