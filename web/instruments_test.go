package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"truce/agreement"
	"truce/i18n"
	"truce/incident"
	"truce/web"
)

const demoZone = "znpp-safety-zone" // the draft that Russia has signed and Ukraine has not

// incidentWhere waits for the centre's evaluator to have judged the demo's
// incident observed on day at a place containing place, and returns it.
func (c *console) incidentWhere(day, place string, judged func(*incident.Evaluation) bool) *incident.Incident {
	c.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		page, err := c.st.Incidents(context.Background(), incident.Filter{Limit: 1000})
		if err != nil {
			c.t.Fatal(err)
		}
		for _, inc := range page.Items {
			if strings.Contains(inc.Report.Location.Place, place) && inc.From.UTC().Format(time.DateOnly) == day && inc.Evaluation != nil && judged(inc.Evaluation) {
				return inc
			}
		}
	}
	c.t.Fatalf("no incident at %s on %s judged as expected", place, day)
	return nil
}

func judgedBy(id string) func(*incident.Evaluation) bool {
	return func(e *incident.Evaluation) bool { return e.Judgement(id) != nil }
}

// names are the demo's parties' names and the safety zone's title in a
// language, as the console shows them: a title missing in the language is
// shown in English, marked so.
type names struct {
	parties map[string]string
	title   string
}

func (c *console) names(lang string) names {
	c.t.Helper()
	var ps struct {
		Items []struct {
			ID    string            `json:"id"`
			Name  string            `json:"name"`
			Names map[string]string `json:"names"`
		} `json:"items"`
	}
	if code := c.call(demoUA, "GET", "/v1/parties", nil, &ps); code != http.StatusOK {
		c.t.Fatalf("parties: %d", code)
	}
	out := names{parties: map[string]string{}}
	for _, p := range ps.Items {
		out.parties[p.ID] = p.Name
		if n := p.Names[lang]; n != "" {
			out.parties[p.ID] = n
		}
	}
	v, err := c.st.Agreement(context.Background(), demoZone, 1)
	if err != nil || v == nil {
		c.t.Fatal(err)
	}
	out.title = v.Document.Title[lang]
	if out.title == "" {
		out.title = v.Document.Title["en"] + " (en)"
	}
	return out
}

// The newcomer's walk through issue 10: Ukraine's representative opens the
// safety zone awaiting its signature, sees what signing would change (in
// force from 16 February; the Enerhodar drone strike among the incidents
// judged again), signs; both instruments are then in force, the Enerhodar
// incident is flagged under both with the cause in words, in every
// language, and the Tokmak launchers keep their flag.
func TestSignZoneInstrumentsStack(t *testing.T) {
	c := newDemoConsole(t)
	tokmak, mlrs := c.flagged("4.2", "BM-21") // the centre has caught up with the scenario
	enerhodar := c.incidentWhere("2026-02-18", "Enerhodar", judgedBy(demoDeal))
	if enerhodar.Evaluation.Judgement(demoZone) != nil {
		t.Fatalf("the Enerhodar incident is judged against the unsigned safety zone: %+v", enerhodar.Evaluation)
	}
	before := enerhodar.Evaluation.Judgement(demoDeal).Violations
	ctx := c.browser()
	c.login(ctx, demoUA)
	en := i18n.Printer{Lang: "en"}
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/agreement/"+demoZone),
		present(`#sign-preview[data-ready] .impact-body`),
	)
	c.screenshot(ctx, "dry-run")
	var changed int
	c.run(ctx, chromedp.Evaluate(`Number(document.querySelector("#sign-preview .impact-body").dataset.changed)`, &changed))
	if changed < 1 {
		t.Fatalf("the dry run says %d evaluations change", changed)
	}
	preview := textOf(c, ctx, "#sign-preview")
	for _, want := range []string{
		strings.Split(en.T("ui.impact.completes", "Zaporizhzhia nuclear power plant safety zone", "@"), "@")[0], "Feb 16, 2026",
		en.N("ui.impact.changed", changed),
	} {
		if !strings.Contains(preview, want) {
			t.Fatalf("the dry run %q lacks %q", preview, want)
		}
	}
	if s := textOf(c, ctx, fmt.Sprintf(`#sign-preview li[data-incident="%s"]`, enerhodar.ID)); !strings.Contains(s, "Enerhodar") || !strings.Contains(s, "Zaporizhzhia NPP") {
		t.Fatalf("the Enerhodar incident in the dry run: %q", s)
	}
	if u := c.unlabeled(ctx); len(u) != 0 {
		t.Fatalf("controls without labels on the draft: %v", u)
	}
	c.run(ctx,
		click(`#sign input[name="confirm"]`),
		click(`#sign button[type="submit"]`),
		present(`#agreement-status .badge-in_force`),
		absent("#sign"),
		present(`#requirements tr[data-parties="ua"] .met`),
	)
	c.screenshot(ctx, "signed")
	// The evaluator judges again behind the ledger. Once it has, the ledger
	// is quiet: a fresh page is redrawn by no one but the test.
	enerhodar = c.incidentWhere("2026-02-18", "Enerhodar", judgedBy(demoZone))
	// Both instruments in force now; on 10 February only the ceasefire, the
	// zone then not yet in force.
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/agreements"),
		chromedp.Reload(),
		present(`#in-force-list li[data-agreement="`+demoZone+`"]`),
		present(`#in-force-list li[data-agreement="`+demoDeal+`"]`),
		present(`#agreements tr[data-agreement="`+demoZone+`"] .badge-in_force`),
	)
	if s := textOf(c, ctx, "#in-force-count"); !strings.HasPrefix(s, strings.Split(en.N("ui.inforce.count", 2, "@"), "@")[0]) {
		t.Fatalf("the in-force panel says %q", s)
	}
	c.screenshot(ctx, "in-force")
	c.run(ctx,
		chromedp.Evaluate(`(() => { const d = document.getElementById("in-force-at"); d.value = "2026-02-10"; d.dispatchEvent(new Event("change")); })()`, nil),
		present(`#not-in-force li[data-agreement="`+demoZone+`"][data-state="pending"]`),
		present(`#in-force-list li[data-agreement="`+demoDeal+`"]`),
		absent(`#in-force-list li[data-agreement="`+demoZone+`"]`),
	)
	if u := c.unlabeled(ctx); len(u) != 0 {
		t.Fatalf("controls without labels on the agreements page: %v", u)
	}
	var hash string
	c.run(ctx, chromedp.Evaluate(`location.hash`, &hash))
	if hash != "#/agreements?at=2026-02-10" {
		t.Fatalf("the chosen date is not in the address: %q", hash)
	}
	// The incident page, in every language.
	zone := enerhodar.Evaluation.Judgement(demoZone).Violations
	if len(zone) == 0 || len(enerhodar.Evaluation.Changes) == 0 {
		t.Fatalf("the Enerhodar incident after the signature: %+v", enerhodar.Evaluation)
	}
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/incident/"+enerhodar.ID), present(`#changes li[data-cause="agreement.sign"]`))
	c.screenshot(ctx, "incident-en")
	for _, lang := range []string{"uk", "ru", "zh", "en"} {
		p, n := i18n.Printer{Lang: lang}, c.names(lang)
		c.setLang(ctx, lang)
		cause := p.T("ui.cause.agreement.sign", p.T("ui.instrument.version", n.title, 1), n.parties["ua"])
		if lang == "en" && !strings.Contains(cause, "signed by Ukraine") {
			t.Fatalf("the cause in English: %q", cause)
		}
		// The switch redraws the page after html[lang] changes: wait for
		// the redrawn cause.
		c.run(ctx, chromedp.Poll(fmt.Sprintf(`(document.querySelector('#changes li[data-cause="agreement.sign"] .cause') || {}).textContent === %q`, cause), nil))
		if s := textOf(c, ctx, "#changes-h"); s != p.T("ui.changes.heading") {
			t.Fatalf("%s: the re-evaluations' heading %q", lang, s)
		}
		if s := textOf(c, ctx, `#changes li[data-cause="agreement.sign"] li.entered`); s != p.T("ui.changes.entered", p.T("ui.instrument.version", n.title, 1)) {
			t.Fatalf("%s: the instrument entered: %q", lang, s)
		}
		// Under both instruments: every earlier flag, and the zone's.
		var flags map[string]int
		c.run(ctx, chromedp.Evaluate(`Object.fromEntries([...document.querySelectorAll("#violations .instrument")].map(e => [e.dataset.agreement, e.querySelectorAll("li[data-term]").length]))`, &flags))
		if flags[demoDeal] != len(before) || flags[demoZone] != len(zone) || len(flags) != 2 {
			t.Fatalf("%s: flags by instrument %v, want %d under %s and %d under %s", lang, flags, len(before), demoDeal, len(zone), demoZone)
		}
		if s := textOf(c, ctx, `#violations .instrument[data-agreement="`+demoZone+`"] .instrument-name`); !strings.Contains(s, strings.TrimSuffix(n.title, " (en)")) || !strings.Contains(s, p.T("ui.evaluation.version", 1)) {
			t.Fatalf("%s: the safety zone's heading %q", lang, s)
		}
		want := p.Violation(zone[0])
		if lang == "uk" || lang == "ru" { // a decimal comma
			for _, x := range []*float64{zone[0].MeasuredKM, zone[0].LimitKM} {
				if x != nil {
					f := strconv.FormatFloat(*x, 'f', -1, 64)
					want = strings.Replace(want, f, strings.ReplaceAll(f, ".", ","), 1)
				}
			}
		}
		if s := textOf(c, ctx, `#violations .instrument[data-agreement="`+demoZone+`"] li .violation`); s != want {
			t.Fatalf("%s: the safety zone's flag %q, want %q", lang, s, want)
		}
		if s := textOf(c, ctx, `#changes li.added[data-agreement="`+demoZone+`"]`); !strings.Contains(s, want) || !strings.HasPrefix(s, strings.Split(p.T("ui.changes.added", "@", "@"), "@")[0]) {
			t.Fatalf("%s: the flag added %q, want the sentence %q", lang, s, want)
		}
		c.screenshot(ctx, "incident-"+lang)
	}
	// The Tokmak launchers, observed before the zone came into force, keep
	// their flag under the ceasefire alone.
	sel := `#violations .instrument[data-agreement="` + demoDeal + `"] li[data-term="4.2"] .violation`
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/incident/"+tokmak.ID), present(sel))
	if s := textOf(c, ctx, sel); s != en.Violation(mlrs) {
		t.Fatalf("the Tokmak flag %q, want %q", s, en.Violation(mlrs))
	}
	var instruments int
	c.run(ctx, chromedp.Evaluate(`document.querySelectorAll("#violations .instrument").length + document.querySelectorAll("#changes").length`, &instruments))
	if instruments != 1 {
		t.Fatalf("the Tokmak incident shows %d instruments and re-evaluations, want the ceasefire alone", instruments)
	}
	// The map draws both instruments: the safety zone adds its plant.
	if mapBuiltIn(t) {
		c.run(ctx,
			chromedp.Navigate(c.srv.URL+"/#/map"),
			present("#layers:not([hidden])"),
		)
		var drawn []string
		var sites int
		c.run(ctx, chromedp.Evaluate(`window.truceMap.truceInstruments`, &drawn), chromedp.Evaluate(`window.truceMap.getStyle().sources["ag-sites"].data.features.length`, &sites))
		if !slices.Equal(drawn, []string{demoDeal + "/1", demoZone + "/1"}) || sites != 10 {
			t.Fatalf("the map draws %v with %d sites, want both instruments and ten sites", drawn, sites)
		}
		if s := textOf(c, ctx, "#layers-legend"); !strings.Contains(s, "Abu Dhabi ceasefire agreement (version 1)") || !strings.Contains(s, "Zaporizhzhia nuclear power plant safety zone (version 1)") {
			t.Fatalf("the layers' legend %q", s)
		}
		c.screenshot(ctx, "map")
	}
}

// mapBuiltIn tells whether the map's assets are built in; where the
// browser tests are required, they must be.
func mapBuiltIn(t *testing.T) bool {
	t.Helper()
	if !web.HasMap() && os.Getenv("TRUCE_REQUIRE_BROWSER") != "" {
		t.Fatal("the map's assets are not built in: run make web-assets")
	}
	if !web.HasMap() {
		t.Log("the map's assets are not built in (make web-assets needs npm): the map is not checked")
	}
	return web.HasMap()
}

// Russia suspends the safety zone from 17 February, after a refused
// attempt dated before it came into force; Ukraine cannot lift Russia's
// suspension and is told so; Russia resumes it. Each change is previewed
// (the Enerhodar incident would lose, then regain, its flag) and the
// incident page says why it was judged again.
func TestSuspendResume(t *testing.T) {
	c := newDemoConsole(t)
	c.flagged("4.2", "BM-21")
	if code := c.call(demoUA, "POST", "/v1/agreements/"+demoZone+"/sign", map[string]any{"version": 1}, nil); code != http.StatusCreated {
		t.Fatalf("sign: %d", code)
	}
	enerhodar := c.incidentWhere("2026-02-18", "Enerhodar", judgedBy(demoZone))
	en := i18n.Printer{Lang: "en"}
	ru := c.browser()
	c.login(ru, demoRU)
	page := c.srv.URL + "/#/agreement/" + demoZone
	c.run(ru,
		chromedp.Navigate(page),
		present("#events-none"),
		click(`details.change-form[data-kind="suspend"] summary`),
		present("#chg-suspend-reason"),
		absent("#chg-resume"),
	)
	if u := c.unlabeled(ru); len(u) != 0 {
		t.Fatalf("controls without labels on the change forms: %v", u)
	}
	// No reason: said next to the form, nothing sent.
	c.run(ru, click(`#chg-suspend button[type="submit"]`), present(`#chg-suspend-err:not(:empty)`))
	if s := textOf(c, ru, "#chg-suspend-err"); s != en.T("ui.change.reason_required") {
		t.Fatalf("suspending without a reason: %q", s)
	}
	// A date before the zone came into force: the centre refuses the dry
	// run, and the refusal shows next to the form.
	c.run(ru,
		chromedp.SendKeys("#chg-suspend-reason", "Inspectors denied access to the plant.", chromedp.ByQuery),
		chromedp.SetValue("#chg-suspend-from", "2026-02-01T00:00", chromedp.ByQuery),
		click(`#chg-suspend button[type="submit"]`),
		present(`#chg-suspend-err:not(:empty)`),
	)
	if s := textOf(c, ru, "#chg-suspend-err"); !strings.Contains(s, "before agreement "+demoZone+" came into force") {
		t.Fatalf("the refused date: %q", s)
	}
	var hidden bool
	c.run(ru, chromedp.Evaluate(`document.querySelector("#chg-suspend button[data-confirm]").hidden`, &hidden))
	if !hidden {
		t.Fatal("a refused dry run offers to confirm")
	}
	c.run(ru,
		chromedp.SetValue("#chg-suspend-from", "2026-02-17T00:00", chromedp.ByQuery),
		click(`#chg-suspend button[type="submit"]`),
		present(`#chg-suspend [data-impact][data-ready] .impact-body`),
	)
	c.screenshot(ru, "suspend-preview")
	n := c.names("en")
	if s := textOf(c, ru, "#chg-suspend [data-impact]"); !strings.Contains(s, strings.Split(en.T("ui.impact.suspend", n.title, "@"), "@")[0]) || !strings.Contains(s, "Feb 17, 2026") {
		t.Fatalf("the suspension's dry run: %q", s)
	}
	c.run(ru, present(fmt.Sprintf(`#chg-suspend li[data-incident="%s"] li.removed[data-agreement="%s"]`, enerhodar.ID, demoZone)))
	c.run(ru,
		click(`#chg-suspend button[data-confirm]`),
		present(`#agreement-status .badge-suspended`),
		present(`#events tr[data-kind="suspend"][data-party="ru"]`),
	)
	if s := textOf(c, ru, `#events tr[data-kind="suspend"]`); !strings.Contains(s, "Inspectors denied access to the plant.") || !strings.Contains(s, "Feb 17, 2026") {
		t.Fatalf("the suspension in the events: %q", s)
	}
	if s := textOf(c, ru, "#agreement-status .status-detail"); !strings.HasPrefix(s, en.T("ui.status.suspended", "Russia", "Feb 17, 2026")) {
		t.Fatalf("the status after the suspension: %q", s)
	}
	c.screenshot(ru, "suspended")
	// Ukraine signs the zone too, but Russia's suspension is Russia's (or
	// the centre's) to lift.
	ua := c.browser()
	c.login(ua, demoUA)
	c.run(ua, chromedp.Navigate(page), present("#resume-note"), present(`details.change-form[data-kind="suspend"]`), absent("#chg-resume"))
	if s := textOf(c, ua, "#resume-note"); s != en.T("ui.change.resume_by", "Russia") {
		t.Fatalf("Ukraine is told %q", s)
	}
	var refused map[string]any
	if code := c.call(demoUA, "POST", "/v1/agreements/"+demoZone+"/resume", map[string]any{"dry_run": true}, &refused); code != http.StatusForbidden {
		t.Fatalf("Ukraine resuming Russia's suspension: %d %v", code, refused)
	}
	// Russia resumes it from noon on 17 February, once the centre has
	// judged again after the suspension (the page redraws as the ledger
	// moves): the Enerhodar strike, on the 18th, is flagged again.
	c.incidentWhere("2026-02-18", "Enerhodar", func(e *incident.Evaluation) bool { return e.Judgement(demoZone) == nil })
	c.run(ru,
		chromedp.Reload(), // a fresh page: no redraw for the evaluator's statement under the form
		present(`details.change-form[data-kind="resume"]`),
		click(`details.change-form[data-kind="resume"] summary`),
		chromedp.SetValue("#chg-resume-from", "2026-02-17T12:00", chromedp.ByQuery),
		click(`#chg-resume button[type="submit"]`),
		present(`#chg-resume [data-impact][data-ready] .impact-body`),
		present(fmt.Sprintf(`#chg-resume li[data-incident="%s"] li.added[data-agreement="%s"]`, enerhodar.ID, demoZone)),
		click(`#chg-resume button[data-confirm]`),
		present(`#agreement-status .badge-in_force`),
		present(`#events tr[data-kind="resume"][data-party="ru"]`),
	)
	// The incident says why it was judged again, each time.
	c.incidentWhere("2026-02-18", "Enerhodar", func(e *incident.Evaluation) bool { return len(e.Changes) >= 3 })
	c.run(ru,
		chromedp.Navigate(c.srv.URL+"/#/incident/"+enerhodar.ID),
		present(`#changes li[data-cause="agreement.resume"]`),
	)
	for typ, key := range map[string]string{"agreement.suspend": "ui.cause.agreement.suspend", "agreement.resume": "ui.cause.agreement.resume"} {
		if s := textOf(c, ru, fmt.Sprintf(`#changes li[data-cause="%s"] .cause`, typ)); s != en.T(key, n.title, "Russia") {
			t.Fatalf("the cause of %s: %q", typ, s)
		}
	}
	c.run(ru, present(`#changes li[data-cause="agreement.suspend"] li.removed[data-agreement="`+demoZone+`"]`))
	c.screenshot(ru, "changes")
}

// A draft with k-of-n guarantors that replaces the ceasefire: the screen
// says who must sign, marks the guarantors as not bound, names what it
// replaces; Ukraine's dry run says its signature alone brings nothing into
// force.
func TestSigningRequirements(t *testing.T) {
	c := newDemoConsole(t)
	doc := agreement.Document{Format: agreement.Format, ID: "energy-moratorium", Version: 1,
		Title: agreement.Texts{"en": "Energy strike moratorium"}, Parties: []string{"ua", "ru"}, Replaces: []string{demoDeal},
		Signing: &agreement.Signing{Guarantors: []string{"us", "tr", "ae"}, Groups: []agreement.SignGroup{{Name: "guarantors", Parties: []string{"us", "tr", "ae"}, Threshold: 2}}},
		Terms: []agreement.Term{
			{ID: "1", Type: agreement.ProhibitedAction, Action: "energy_strikes"},
		}}
	if code := c.call(demoMediator, "POST", "/v1/agreements", map[string]any{"agreement": doc, "sources": map[string]string{"1": "mediator"}}, nil); code != http.StatusCreated {
		t.Fatalf("draft: %d", code)
	}
	ctx := c.browser()
	c.login(ctx, demoUA)
	c.run(ctx,
		chromedp.Navigate(c.srv.URL+"/#/agreement/energy-moratorium"),
		present(`#requirements tr[data-group="guarantors"][data-guarantor]`),
		present(`#sign-preview[data-ready] .impact-body[data-completes="false"]`),
	)
	en := i18n.Printer{Lang: "en"}
	if s := textOf(c, ctx, `#requirements tr[data-group="guarantors"]`); !strings.Contains(s, en.T("ui.req.group", "guarantors", 2, 3, "United States, Türkiye, and United Arab Emirates")) ||
		!strings.Contains(s, en.T("ui.req.guarantor")) || !strings.Contains(s, en.N("ui.req.awaiting", 2)) {
		t.Fatalf("the guarantors' requirement: %q", s)
	}
	if s := textOf(c, ctx, "#sign-preview"); s != en.T("ui.impact.not_complete", "Energy strike moratorium") {
		t.Fatalf("Ukraine's dry run: %q", s)
	}
	if s := textOf(c, ctx, `a[data-replaces="`+demoDeal+`"]`); s != "Abu Dhabi ceasefire agreement" {
		t.Fatalf("what it replaces: %q", s)
	}
	c.screenshot(ctx, "requirements")
	// A successor to the ceasefire that Russia has signed: Ukraine's
	// signature would bring it into force on 1 March, and the ceasefire
	// would leave force then.
	next := agreement.Document{Format: agreement.Format, ID: "ceasefire-2", Version: 1,
		Title: agreement.Texts{"en": "Second ceasefire"}, Parties: []string{"ua", "ru"}, Replaces: []string{demoDeal},
		Terms: []agreement.Term{{ID: "1", Type: agreement.Effective, From: "2026-03-01T00:00:00Z"}, {ID: "2", Type: agreement.Clause, Text: agreement.Texts{"en": "The ceasefire holds."}}}}
	if code := c.call(demoMediator, "POST", "/v1/agreements", map[string]any{"agreement": next, "sources": map[string]string{"1": "mediator", "2": "mediator"}}, nil); code != http.StatusCreated {
		t.Fatalf("draft: %d", code)
	}
	if code := c.call(demoRU, "POST", "/v1/agreements/ceasefire-2/sign", map[string]any{"version": 1}, nil); code != http.StatusCreated {
		t.Fatalf("Russia signs: %d", code)
	}
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/agreement/ceasefire-2"), present(`#sign-preview[data-ready] .impact-body[data-completes="true"]`))
	if s := textOf(c, ctx, "#sign-preview"); !strings.Contains(s, strings.Split(en.T("ui.impact.leaves_force", "Abu Dhabi ceasefire agreement", "@"), "@")[0]+"Mar 1, 2026") {
		t.Fatalf("the successor's dry run: %q", s)
	}
	c.screenshot(ctx, "successor")
	// The ceasefire's precondition: its state and the incidents at risk, as
	// the API counts them.
	var v struct {
		Preconditions []agreement.PreconditionStatus `json:"preconditions"`
	}
	c.call(demoUA, "GET", "/v1/agreements/"+demoDeal, nil, &v)
	if len(v.Preconditions) != 1 {
		t.Fatalf("the ceasefire's preconditions: %+v", v.Preconditions)
	}
	p := v.Preconditions[0]
	sel := `#term-` + strings.ReplaceAll(p.Term, ".", `\.`) + ` .precondition`
	c.run(ctx, chromedp.Navigate(c.srv.URL+"/#/agreement/"+demoDeal), present(sel+` .badge[data-state="`+p.State+`"]`))
	var links []string
	c.run(ctx, chromedp.Evaluate(fmt.Sprintf(`[...document.querySelectorAll(%q)].map(a => a.textContent)`, sel+" .at-risk-links a"), &links))
	if !slices.Equal(links, p.AtRisk) {
		t.Fatalf("incidents at risk %v, the API's %v", links, p.AtRisk)
	}
}
