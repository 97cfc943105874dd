package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"truce/agreement"
	"truce/api"
	"truce/blobs"
	"truce/centre"
	"truce/demo"
	"truce/geo"
	"truce/i18n"
	"truce/incident"
	"truce/store/sqlite"
	"truce/web"
)

// The demo's members, by ID (demo/scenario.json).
const (
	demoUA       = "ua-rep"
	demoRU       = "ru-rep"
	demoMediator = "us-mediator"
	demoViewer   = "press-viewer"
	demoDeal     = "abu-dhabi-ceasefire"
)

// newDemoConsole serves the Abu Dhabi scenario: two shared plans with the
// parties' stances, a signed agreement and incidents flagged against it.
func newDemoConsole(t *testing.T) *console {
	t.Helper()
	ctx := context.Background()
	sc, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := blobs.Open(filepath.Join(dir, "evidence"), api.MaxEvidence)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := blobs.Open(filepath.Join(dir, "documents"), api.MaxPlanBody)
	if err != nil {
		t.Fatal(err)
	}
	reports, err := blobs.Open(filepath.Join(dir, "reports"), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := centre.Open(ctx, st, centre.Options{Name: sc.Centre, OpenedAt: sc.Start(), NoCheckpoints: true, Documents: docs, ReportFiles: reports, Evaluate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	tokens, err := sc.Run(ctx, c, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.Handler(api.New(c, b)))
	t.Cleanup(srv.Close)
	con := &console{t: t, srv: srv, st: st, dir: artifacts(), tokens: map[string]string{}}
	for _, tok := range tokens {
		con.tokens[tok.Member] = tok.Token
	}
	return con
}

// call makes an API request as member and decodes the answer into out.
func (c *console) call(member, method, path string, body, out any) int {
	c.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.tokens[member])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// setLang switches the console's language through its selector.
func (c *console) setLang(ctx context.Context, lang string) {
	c.t.Helper()
	c.run(ctx,
		chromedp.SetValue("#lang", lang, chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("lang").dispatchEvent(new Event("change"))`, nil),
		present(fmt.Sprintf(`html[lang="%s"]`, lang)),
	)
}

// unlabeled lists the visible page's form controls that have no label.
func (c *console) unlabeled(ctx context.Context) []string {
	c.t.Helper()
	var out []string
	c.run(ctx, chromedp.Evaluate(`[...document.querySelectorAll("#main input, #main select, #main textarea")].filter(e => e.type !== "hidden" && e.labels.length === 0 && !e.getAttribute("aria-label")).map(e => e.id || e.name || e.outerHTML.slice(0, 80))`, &out))
	return out
}

// The page redraws when the ledger moves, so the tests wait, read and
// click in one step of JavaScript each, never holding on to a node that a
// redraw may replace.
func present(sel string) chromedp.Action {
	return chromedp.Poll(fmt.Sprintf(`(e => !!e && e.getClientRects().length > 0)(document.querySelector(%q))`, sel), nil)
}

func absent(sel string) chromedp.Action {
	return chromedp.Poll(fmt.Sprintf(`!document.querySelector(%q)`, sel), nil)
}

func click(sel string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).click()`, sel), nil)
}

func textOf(c *console, ctx context.Context, sel string) string {
	c.t.Helper()
	var s string
	c.run(ctx, present(sel), chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).innerText`, sel), &s))
	return s
}

// The Ukrainian representative sets the two shared plans side by side:
// the MLRS row shows both distances and Russia's counter-proposal; the
// agreed artillery row is marked. A stance and a counter-proposal go in
// through the forms, and a new plan of Ukraine's is shared by its button.
func TestPlansSideBySide(t *testing.T) {
	c := newDemoConsole(t)
	// A new plan of Ukraine's, private to it until shared.
	private := agreement.Document{Format: agreement.Format, ID: "ua-plan-2", Version: 1, Title: agreement.Texts{"en": "Ukraine's winter proposal"},
		Parties: []string{"ua", "ru"}, Terms: []agreement.Term{{ID: "1", Type: agreement.Effective, From: "2026-12-01T00:00:00Z", DurationDays: 30}}}
	if code := c.call(demoUA, "POST", "/v1/plans", map[string]any{"plan": private}, nil); code != http.StatusCreated {
		t.Fatalf("submit a plan: %d", code)
	}
	ctx := c.browser()
	c.login(ctx, demoUA)
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/plans"),
		present(`#plans tr[data-plan="ru-plan"]`),
		click(`#plans tr[data-plan="ua-plan"] input[name="pick"]`),
		click(`#plans tr[data-plan="ru-plan"] input[name="pick"]`),
		click(`#compare-form button[type="submit"]`),
		present(`tr[data-topic="withdrawal:mlrs"]`),
	)
	c.screenshot(ctx, "side-by-side")
	mlrs := `tr[data-topic="withdrawal:mlrs"] `
	ua, ru := textOf(c, ctx, mlrs+`td[data-plan="ua-plan"] .summary`), textOf(c, ctx, mlrs+`td[data-plan="ru-plan"] .summary`)
	if !strings.Contains(ua, "70 km") || !strings.Contains(ru, "50 km") {
		t.Fatalf("MLRS row: Ukraine's plan %q, Russia's %q", ua, ru)
	}
	counter := textOf(c, ctx, mlrs+`td[data-plan="ua-plan"] .stance-counter[data-party="ru"]`)
	for _, want := range []string{"Russia", "counter-proposal", "Multiple rocket launchers ≥ 50 km", "MLRS at 50 km, as in our plan."} {
		if !strings.Contains(counter, want) {
			t.Fatalf("Russia's counter on the MLRS row %q lacks %q", counter, want)
		}
	}
	var agreeRows, mlrsAgree bool
	c.run(ctx,
		chromedp.Evaluate(`document.querySelector('tr[data-topic="withdrawal:artillery-100mm"]').classList.contains("agree") && !!document.querySelector('tr[data-topic="withdrawal:artillery-100mm"] .agree-mark')`, &agreeRows),
		chromedp.Evaluate(`document.querySelector('tr[data-topic="withdrawal:mlrs"]').classList.contains("agree")`, &mlrsAgree),
	)
	if !agreeRows || mlrsAgree {
		t.Fatalf("agreement marks: artillery row %v (want true), MLRS row %v (want false)", agreeRows, mlrsAgree)
	}
	// Ukraine takes no stance on its own plan; on Russia's it can.
	var ownForms int
	c.run(ctx, chromedp.Evaluate(`document.querySelectorAll('td[data-plan="ua-plan"] form[data-stance]').length`, &ownForms))
	if ownForms != 0 {
		t.Fatalf("%d stance forms on the member's own plan", ownForms)
	}
	if u := c.unlabeled(ctx); len(u) != 0 {
		t.Fatalf("controls without labels on the comparison: %v", u)
	}
	// Reject Russia's MLRS distance, with a note.
	cell := mlrs + `td[data-plan="ru-plan"] `
	c.run(ctx,
		click(cell+`details.stance-form summary`),
		present(cell+`form[data-stance] select`),
		chromedp.SetValue(cell+`form[data-stance] select`, "reject", chromedp.ByQuery),
		chromedp.SendKeys(cell+`form[data-stance] textarea[name="note"]`, "Seventy kilometres for rocket artillery.", chromedp.ByQuery),
		click(cell+`form[data-stance] button`),
		present(cell+`.stance-reject[data-party="ua"]`),
	)
	// Counter Russia's zone of 5 km with 10 km: the form starts from the
	// term as it stands.
	zone := `tr[data-topic="disengagement_zone"] td[data-plan="ru-plan"] `
	c.run(ctx,
		click(zone+`details.stance-form summary`),
		present(zone+`form[data-stance] select`),
		chromedp.SetValue(zone+`form[data-stance] select`, "counter", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('tr[data-topic="disengagement_zone"] td[data-plan="ru-plan"] form[data-stance] select').dispatchEvent(new Event("change"))`, nil),
		present(zone+`textarea[name="counter"]`),
	)
	var prefilled string
	c.run(ctx, chromedp.Value(zone+`textarea[name="counter"]`, &prefilled, chromedp.ByQuery))
	var term agreement.Term
	if err := json.Unmarshal([]byte(prefilled), &term); err != nil || term.Type != agreement.DisengagementZone || term.WidthKM == nil || *term.WidthKM != 5 {
		t.Fatalf("the counter-proposal starts from %q (%v)", prefilled, err)
	}
	c.run(ctx,
		chromedp.Evaluate(`(() => { const ta = document.querySelector('tr[data-topic="disengagement_zone"] td[data-plan="ru-plan"] textarea[name="counter"]'); const o = JSON.parse(ta.value); o.width_km = 10; ta.value = JSON.stringify(o); })()`, nil),
		click(zone+`form[data-stance] button`),
		present(zone+`.stance-counter[data-party="ua"]`),
	)
	if s := textOf(c, ctx, zone+`.stance-counter[data-party="ua"]`); !strings.Contains(s, "10 km either side") {
		t.Fatalf("Ukraine's counter on the zone reads %q", s)
	}
	c.screenshot(ctx, "stances")
	p, err := c.st.Plan(context.Background(), "ru-plan")
	if err != nil || p == nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, s := range p.Stances {
		if s.Party == "ua" {
			found[s.Term] = s.Stance
			if s.Term == "3" && (s.Counter == nil || s.Counter.WidthKM == nil || *s.Counter.WidthKM != 10) {
				t.Fatalf("the recorded counter: %+v", s.Counter)
			}
		}
	}
	if found["4"] != "reject" || found["3"] != "counter" {
		t.Fatalf("Ukraine's stances on Russia's plan: %v", found)
	}
	// The private plan: shared through its button.
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/plans"),
		present(`button[data-share="ua-plan-2"]`),
		click(`button[data-share="ua-plan-2"]`),
		absent(`button[data-share="ua-plan-2"]`),
	)
	if p, err := c.st.Plan(context.Background(), "ua-plan-2"); err != nil || p == nil || !p.Shared {
		t.Fatalf("after Share: %+v %v", p, err)
	}
}

// agreementState is what the console should say of the demo's agreement
// today: its own effective term decides, not the demo's dates.
func agreementState(now time.Time) string {
	from := time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)
	if now.Before(from) {
		return "pending"
	}
	return "in_force" // indefinitely
}

// The signed agreement: its terms with their sources, both signatures, its
// own status, the signed file for download, and its labels in Ukrainian.
func TestAgreementScreen(t *testing.T) {
	c := newDemoConsole(t)
	ctx := c.browser()
	c.login(ctx, demoUA)
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/agreement/"+demoDeal),
		present(`#signatures tr[data-party="ru"]`),
	)
	c.screenshot(ctx, "agreement")
	for _, p := range []struct{ party, member string }{{"ua", "ua-rep"}, {"ru", "ru-rep"}} {
		row := textOf(c, ctx, fmt.Sprintf(`#signatures tr[data-party="%s"]`, p.party))
		if !strings.Contains(row, p.member) || !strings.Contains(row, "2026") {
			t.Fatalf("signature of %s: %q", p.party, row)
		}
	}
	want := agreementState(time.Now())
	var badge string
	var signForms int
	c.run(ctx,
		chromedp.AttributeValue("#agreement-status .badge", "class", &badge, nil, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#sign, form[data-stance]").length`, &signForms),
	)
	if !strings.Contains(badge, "badge-"+want) {
		t.Fatalf("status badge %q, want %s", badge, want)
	}
	if signForms != 0 {
		t.Fatalf("a signed agreement offers %d sign or stance forms", signForms)
	}
	// The demo's other agreement, the plant's safety zone, awaits Ukraine.
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/agreement/znpp-safety-zone"), present("#sign"), present(`#signatures tr[data-party="ru"]`))
	if m := textOf(c, ctx, "#missing"); !strings.Contains(m, "Ukraine") {
		t.Fatalf("the safety zone's missing signatures: %q, want Ukraine", m)
	}
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/agreement/"+demoDeal), present(`#signatures tr[data-party="ru"]`))
	// Every status badge keeps 4.5:1 (WCAG AA) with its white text.
	var ratios map[string]float64
	c.run(ctx, chromedp.Evaluate(`(() => {
		const lum = (c) => { const v = c.match(/\d+/g).slice(0,3).map(x => { x = x/255; return x <= 0.03928 ? x/12.92 : Math.pow((x+0.055)/1.055, 2.4) }); return 0.2126*v[0] + 0.7152*v[1] + 0.0722*v[2] };
		const out = {};
		for (const s of ["badge-draft", "badge-superseded", "badge-in_force", "badge-pending", "badge-expired", "badge-not_in_force",
			"badge-suspended", "badge-terminated", "badge-replaced", "pre-met", "pre-counting", "pre-at_risk"]) {
			const el = document.createElement("span"); el.className = "badge " + s; document.body.appendChild(el);
			const st = getComputedStyle(el), a = lum(st.color), b = lum(st.backgroundColor);
			out[s] = (Math.max(a,b) + 0.05) / (Math.min(a,b) + 0.05); el.remove();
		}
		return out; })()`, &ratios))
	for s, r := range ratios {
		if r < 4.5 {
			t.Errorf("badge %s: contrast %.2f:1, want at least 4.5:1", s, r)
		}
	}
	if len(ratios) != 12 {
		t.Fatalf("measured %d badge colours", len(ratios))
	}
	if s := textOf(c, ctx, `#term-4\.2 .source`); !strings.Contains(s, "ua-plan") {
		t.Fatalf("source of term 4.2: %q", s)
	}
	if s := textOf(c, ctx, `#term-10 .source`); !strings.Contains(s, i18n.Printer{Lang: "en"}.T("ui.source.mediator")) {
		t.Fatalf("source of term 10: %q", s)
	}
	if s := textOf(c, ctx, `#term-4\.2 tr[data-class="mlrs"]`); !strings.Contains(s, "Multiple rocket launchers") || !strings.Contains(s, "70") {
		t.Fatalf("the MLRS class of term 4.2: %q", s)
	}
	// The signed file, as the browser saves it.
	dl := t.TempDir()
	done := make(chan string, 1)
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	})
	c.run(ctx,
		browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dl).WithEventsEnabled(true),
		click("#download"),
	)
	var guid string
	select {
	case guid = <-done:
	case <-time.After(30 * time.Second):
		c.screenshot(ctx, "failure")
		t.Fatal("no download")
	}
	raw, err := os.ReadFile(filepath.Join(dl, guid))
	if err != nil {
		t.Fatal(err)
	}
	var f agreement.File
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("downloaded %q: %v", raw[:min(len(raw), 200)], err)
	}
	v, err := agreement.VerifyFile(&f)
	if err != nil || !v.Complete || len(f.Signatures) != 2 {
		t.Fatalf("the downloaded file: %+v %v", v, err)
	}
	// In Ukrainian: the title in Ukrainian, the labels from the catalogue.
	c.setLang(ctx, "uk")
	uk := i18n.Printer{Lang: "uk"}
	c.run(ctx, chromedp.Poll(fmt.Sprintf(`document.querySelector("h1").textContent === %q`, "Абу-Дабійська угода про припинення вогню"), nil))
	if s := textOf(c, ctx, "#signatures thead"); !strings.Contains(s, uk.T("ui.plans.party")) || !strings.Contains(s, uk.T("ui.agreement.key")) {
		t.Fatalf("signature table head in Ukrainian: %q", s)
	}
	// The parties by the names they registered in Ukrainian.
	if s := textOf(c, ctx, `#signatures tr[data-party="ru"]`); !strings.Contains(s, "Росія") {
		t.Fatalf("Russia's signature row in Ukrainian: %q", s)
	}
	if s := textOf(c, ctx, "#download"); s != uk.T("ui.agreement.download") {
		t.Fatalf("download button in Ukrainian: %q", s)
	}
	if s := textOf(c, ctx, `#term-4\.2 tr[data-class="mlrs"]`); !strings.Contains(s, "Реактивні системи залпового вогню") {
		t.Fatalf("the MLRS class in Ukrainian: %q", s)
	}
	// A clause without a Ukrainian text is shown as written, marked English.
	var lang string
	c.run(ctx, chromedp.AttributeValue(`#term-4\.1 h3 span[lang]`, "lang", &lang, nil, chromedp.ByQuery))
	if lang != "en" {
		t.Fatalf("the English-only title of term 4.1 is marked %q", lang)
	}
	c.screenshot(ctx, "agreement-uk")
}

// A mediator drafts a new agreement through the API; a viewer sees no
// Sign or stance controls; each party's representative signs through the
// button and the page shows the signature, then the agreement in force.
func TestSignDraft(t *testing.T) {
	c := newDemoConsole(t)
	from := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Hour).Format(time.RFC3339)
	doc := agreement.Document{Format: agreement.Format, ID: "winter-truce", Version: 1,
		Title: agreement.Texts{"en": "Winter energy truce", "uk": "Зимове енергетичне перемир'я"}, Parties: []string{"ua", "ru"},
		Terms: []agreement.Term{
			{ID: "1", Type: agreement.Effective, From: from, DurationDays: 30},
			{ID: "2", Type: agreement.ProhibitedAction, Title: agreement.Texts{"en": "No strikes on energy infrastructure"}, Action: "energy_strikes"},
			{ID: "3", Type: agreement.Clause, Text: agreement.Texts{"en": "The parties exchange lists of energy sites within 7 days."}},
		}}
	if code := c.call(demoMediator, "POST", "/v1/agreements", map[string]any{"agreement": doc, "sources": map[string]string{"1": "mediator", "2": "ua-plan/6", "3": "mediator"}}, nil); code != http.StatusCreated {
		t.Fatalf("draft: %d", code)
	}
	page := c.srv.URL + "/#/agreement/winter-truce"
	// The viewer: nothing to sign, no stance to take, here or side by side.
	view := c.browser()
	c.login(view, demoViewer)
	var forms int
	c.run(view,
		chromedp.Navigate(page),
		present("#missing"),
		chromedp.Evaluate(`document.querySelectorAll("#sign, form[data-stance], details.stance-form").length`, &forms),
	)
	if forms != 0 {
		t.Fatalf("a viewer sees %d sign or stance controls on a draft", forms)
	}
	c.run(view,
		chromedp.Navigate(c.srv.URL+"/#/plans?compare=ua-plan,ru-plan,winter-truce"),
		present(`tr[data-topic="withdrawal:mlrs"]`),
		chromedp.Evaluate(`document.querySelectorAll("form[data-stance], details.stance-form, button[data-share]").length`, &forms),
	)
	if forms != 0 {
		t.Fatalf("a viewer sees %d stance or share controls side by side", forms)
	}
	c.screenshot(view, "viewer")
	for i, rep := range []struct{ member, party, other string }{{demoUA, "ua", "Russia"}, {demoRU, "ru", ""}} {
		ctx := c.browser()
		c.login(ctx, rep.member)
		c.run(ctx,
			chromedp.Navigate(page),
			present("#sign"),
		)
		if u := c.unlabeled(ctx); len(u) != 0 {
			t.Fatalf("controls without labels on the draft: %v", u)
		}
		if i == 0 {
			// Tab alone reaches the confirmation and the Sign button.
			reached := map[string]bool{}
			c.run(ctx, chromedp.Evaluate(`document.activeElement.blur()`, nil))
			for range 80 {
				var id string
				c.run(ctx, chromedp.KeyEvent("\t"), chromedp.Evaluate(`(() => { const e = document.activeElement; return e.closest("#sign") ? "sign:" + e.tagName + ":" + (e.type || "") : e.id || e.tagName; })()`, &id))
				reached[id] = true
			}
			if !reached["sign:INPUT:checkbox"] || !reached["sign:BUTTON:submit"] {
				t.Fatalf("Tab never reaches the sign form (reached %v)", reached)
			}
		}
		c.run(ctx,
			present(`#sign-preview[data-ready]`), // the dry run first, then the button
			click(`#sign input[name="confirm"]`),
			click(`#sign button`),
			present(fmt.Sprintf(`#signatures tr[data-party="%s"]`, rep.party)),
			absent("#sign"),
		)
		row := textOf(c, ctx, fmt.Sprintf(`#signatures tr[data-party="%s"]`, rep.party))
		if !strings.Contains(row, rep.member) {
			t.Fatalf("signature row %q", row)
		}
		missing := textOf(c, ctx, "#missing")
		if rep.other != "" && !strings.Contains(missing, rep.other) {
			t.Fatalf("after %s signed, awaiting %q", rep.party, missing)
		}
		if rep.other == "" {
			c.run(ctx, present("#agreement-status .badge-in_force"))
			if missing != (i18n.Printer{Lang: "en"}).T("ui.agreement.all_signed") {
				t.Fatalf("after both signed: %q", missing)
			}
		}
		c.screenshot(ctx, "signed-"+rep.party)
	}
	v, err := c.st.Agreement(context.Background(), "winter-truce", 1)
	if err != nil || v == nil || !v.Signed || len(v.Signatures) != 2 {
		t.Fatalf("the draft after both signed: %+v %v", v, err)
	}
}

// flagged waits for the centre's evaluator, which works behind the ledger,
// to flag an incident whose weapon names weapon against term.
func (c *console) flagged(term, weapon string) (*incident.Incident, incident.PossibleViolation) {
	c.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		page, err := c.st.Incidents(context.Background(), incident.Filter{Agreement: demoDeal, Term: term, Limit: 100})
		if err != nil {
			c.t.Fatal(err)
		}
		for _, inc := range page.Items {
			if !strings.Contains(inc.Report.Weapon, weapon) {
				continue
			}
			j := inc.Evaluation.Judgement(demoDeal)
			if j == nil {
				continue
			}
			if i := slices.IndexFunc(j.Violations, func(v incident.PossibleViolation) bool { return v.Term == term }); i >= 0 {
				return inc, j.Violations[i]
			}
		}
	}
	c.t.Fatalf("no incident with %s flagged against term %s", weapon, term)
	return nil, incident.PossibleViolation{}
}

// An incident flagged against the withdrawal term says so in a sentence,
// the CLI's own, and links to the term in the agreement.
func TestIncidentViolation(t *testing.T) {
	c := newDemoConsole(t)
	inc, v := c.flagged("4.2", "BM-21")
	ctx := c.browser()
	c.login(ctx, demoUA)
	sel := `#violations li[data-term="4.2"]`
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/incident/"+inc.ID),
		present(sel),
	)
	c.screenshot(ctx, "violation")
	want := i18n.Printer{Lang: "en"}.Violation(v)
	if got := textOf(c, ctx, sel+" .violation"); got != want {
		t.Fatalf("violation sentence %q, want %q", got, want)
	}
	if !strings.Contains(want, "70") || !strings.Contains(want, "4.2") {
		t.Fatalf("the expected sentence itself: %q", want)
	}
	// In Ukrainian, with the class named as the agreement names it.
	c.setLang(ctx, "uk")
	// The language switch redraws the page after html[lang] changes: wait
	// for the redrawn sentence, not the old one.
	c.run(ctx, chromedp.Poll(fmt.Sprintf(`(document.querySelector(%q) || {}).textContent?.includes("4.2") && document.querySelector(%q).textContent !== %q`,
		sel+" .violation", sel+" .violation", want), nil))
	uk := textOf(c, ctx, sel+" .violation")
	if !strings.Contains(uk, "Реактивні системи залпового вогню") || !strings.Contains(uk, "пункт 4.2") {
		t.Fatalf("the sentence in Ukrainian: %q", uk)
	}
	c.setLang(ctx, "en")
	var focused string
	c.run(ctx,
		chromedp.Poll(fmt.Sprintf(`(document.querySelector(%q) || {}).textContent === %q`, sel+" .violation", want), nil),
		present(sel+" a"),
		click(sel+" a"),
		present(`#term-4\.2.target`),
		chromedp.Evaluate(`document.activeElement.id`, &focused),
	)
	if focused != "term-4.2" {
		t.Fatalf("the link lands on %q, not term 4.2", focused)
	}
	// The term lists the incidents flagged against it.
	c.run(ctx,
		click(`#term-4\.2 a[href*="term="]`),
		present(fmt.Sprintf(`tr[data-id="%s"]`, inc.ID)),
	)
	var rows int
	c.run(ctx, chromedp.Evaluate(`document.querySelectorAll("#rows tr").length`, &rows))
	page, _ := c.st.Incidents(context.Background(), incident.Filter{Agreement: demoDeal, Term: "4.2", Limit: 100})
	if rows != len(page.Items) {
		t.Fatalf("%d incidents listed against term 4.2, the store has %d", rows, len(page.Items))
	}
}

// The map draws the signed agreement's lines, zone and sites as layers one
// can switch off, filters incidents, and replays them a day at a time.
func TestMapAgreementAndReplay(t *testing.T) {
	needMap(t)
	c := newDemoConsole(t)
	c.flagged("4.2", "BM-21") // the centre has caught up with the scenario
	ctx := c.browser()
	c.login(ctx, demoUA)
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/map"),
		present("#layers:not([hidden])"),
		chromedp.Poll(`/[1-9]/.test(document.getElementById("map-status").textContent)`, nil),
	)
	var counts map[string]float64
	c.run(ctx, chromedp.Evaluate(`(() => { const s = window.truceMap.getStyle().sources, n = (k) => s[k].data.features.length;
		return { lines: n("ag-lines"), zones: n("ag-zones"), sites: n("ag-sites"), layers: ["ag-lines", "ag-zones-fill", "ag-sites"].filter(l => window.truceMap.getLayer(l)).length }; })()`, &counts))
	// demo/agreement.json: one reference line, its band and one named area, nine sites.
	if counts["lines"] != 1 || counts["zones"] != 2 || counts["sites"] != 9 || counts["layers"] != 3 {
		t.Fatalf("agreement layers: %v", counts)
	}
	c.screenshot(ctx, "map-agreement")
	var vis string
	c.run(ctx,
		click(`#layers input[data-layer="sites"]`),
		chromedp.Evaluate(`window.truceMap.getLayoutProperty("ag-sites", "visibility")`, &vis),
	)
	if vis != "none" {
		t.Fatalf("the sites layer after unticking: %q", vis)
	}
	// What the map shows, against the store for the map's own bounds.
	var b []float64
	c.run(ctx, chromedp.Evaluate(`window.truceMap.getBounds().toArray().flat()`, &b))
	box := &geo.BBox{b[0], b[1], b[2], b[3]}
	count := func(f incident.Filter) int {
		f.BBox, f.Limit = box, 1000
		page, err := c.st.Incidents(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Items)
	}
	shown := func(n int) {
		t.Helper()
		want := i18n.Printer{Lang: "en"}.N("ui.map.shown", n)
		c.run(ctx, chromedp.Poll(fmt.Sprintf(`document.getElementById("map-status").textContent === %q`, want), nil))
	}
	all, missiles := count(incident.Filter{}), count(incident.Filter{Types: []incident.Type{incident.Missile}})
	if missiles == 0 || missiles == all {
		t.Fatalf("the demo's missile strikes in view: %d of %d", missiles, all)
	}
	shown(all)
	c.run(ctx,
		chromedp.SetValue(`#map-filters select[name="type"]`, "missile", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("map-filters").dispatchEvent(new Event("change"))`, nil),
	)
	shown(missiles)
	var hash string
	c.run(ctx, chromedp.Evaluate(`location.hash`, &hash))
	if hash != "#/map?type=missile" {
		t.Fatalf("the filter is not in the address: %q", hash)
	}
	c.run(ctx,
		chromedp.SetValue(`#map-filters select[name="type"]`, "", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("map-filters").dispatchEvent(new Event("change"))`, nil),
	)
	shown(all)
	// Replay the day of 18 February 2026 (the slider spans the 30 days before the last incident).
	day := time.Date(2026, 2, 18, 0, 0, 0, 0, time.UTC)
	end := day.Add(24 * time.Hour)
	c.run(ctx,
		click("#replay-toggle"),
		chromedp.WaitEnabled("#replay-at", chromedp.ByQuery),
		chromedp.Evaluate(fmt.Sprintf(`(() => { const s = document.getElementById("replay-at"); s.value = "%d"; s.dispatchEvent(new Event("input")); })()`, end.Unix()/3600), nil),
	)
	oneDay := count(incident.Filter{From: day, To: end})
	if oneDay == 0 || oneDay == all {
		t.Fatalf("the demo's incidents on 18 February: %d of %d", oneDay, all)
	}
	shown(oneDay)
	c.screenshot(ctx, "map-replay")
	if u := c.unlabeled(ctx); len(u) != 0 {
		t.Fatalf("map controls without labels: %v", u)
	}
}
