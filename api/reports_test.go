package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"truce/alert"
	"truce/centre"
	"truce/report"
	st "truce/store/storetest"
)

// Who reads which daily report: the internal one is for members other
// than viewers; viewers and anonymous callers read the public one, which
// holds no unpublished incident. Bad parameters get a 400 naming them.
func TestDailyReportAccess(t *testing.T) {
	e := newEnv(t)
	published := e.f.Walk(t)
	private := e.report(st.UARep)
	// The fixture's reports are observed at 03:10 UTC on 24 January.
	path := "/v1/reports/daily?date=2026-01-24"
	for _, who := range []string{st.UARep, st.RURep, st.Coord, st.Mon1, st.USMed, centre.OperatorID} {
		var r struct {
			Audience  string
			Incidents []struct{ ID string }
		}
		e.must(e.get(path, who), 200).json(t, &r)
		if r.Audience != "internal" || !hasIncident(r.Incidents, private) {
			t.Errorf("%s: %s report without %s: %+v", who, r.Audience, private, r.Incidents)
		}
		e.must(e.get(path+"&audience=public", who), 200)
	}
	for _, who := range []string{st.Viewer, ""} {
		var r struct {
			Audience  string
			Incidents []struct{ ID string }
		}
		raw := e.must(e.get(path, who), 200)
		raw.json(t, &r)
		if r.Audience != "public" || hasIncident(r.Incidents, private) || strings.Contains(string(raw.body), `"`+private+`"`) {
			t.Errorf("%q: %s report shows %s: %s", who, r.Audience, private, raw.body)
		}
		_ = published
	}
	e.must(e.get(path+"&audience=internal", st.Viewer), 403)
	e.must(e.get(path+"&audience=internal", ""), 401)

	html := e.must(e.get(path+"&format=html&lang=zh", st.Coord), 200)
	if !strings.Contains(string(html.body), "每日报告") || !strings.Contains(string(html.body), private) {
		t.Errorf("the Chinese page: %.400s", html.body)
	}
	csv := e.must(e.get(path+"&format=csv&lang=uk", st.Coord), 200)
	if !strings.Contains(string(csv.body), "Інциденти") || !strings.Contains(string(csv.body), private) {
		t.Errorf("the Ukrainian CSV: %s", csv.body)
	}

	// The PDF: printed where the server has Chromium, else a 501 that says so.
	if _, err := report.ChromiumPath(); err == nil {
		pdf := e.must(e.get(path+"&format=pdf&lang=uk", st.Coord), 200)
		if !strings.HasPrefix(string(pdf.body), "%PDF-") {
			t.Errorf("format=pdf: %.40q", pdf.body)
		}
	} else if r := e.must(e.get(path+"&format=pdf", st.Coord), 501); !strings.Contains(string(r.body), "pdf-unavailable") {
		t.Errorf("format=pdf without Chromium: %s", r.body)
	}

	for _, c := range []struct{ query, field string }{
		{"audience=secret", "audience"}, {"format=docx", "format"}, {"date=yesterday", "date"}, {"date=1999-12-31", "date"}, {"since=2026-01-01", "since"},
	} {
		r := e.must(e.get("/v1/reports/daily?"+c.query, st.Coord), 400)
		var p struct{ Field string }
		json.Unmarshal(r.body, &p)
		if p.Field != c.field {
			t.Errorf("%s: field %q, want %q: %s", c.query, p.Field, c.field, r.body)
		}
	}
}

func hasIncident(items []struct{ ID string }, id string) bool {
	for _, x := range items {
		if x.ID == id {
			return true
		}
	}
	return false
}

// Issuing a report: coordinators of a party that is not a belligerent
// issue it; the bytes served are those whose digest the ledger records;
// an internal issue is hidden from viewers and anonymous callers; bad
// input names its field and stores nothing.
func TestIssueReport(t *testing.T) {
	e := newEnv(t)
	e.f.Walk(t)
	body := map[string]any{"date": "2026-01-24", "audience": "internal", "format": "csv", "lang": "uk"}
	for _, who := range []string{st.UARep, st.RURep, st.Mon1, st.Viewer} {
		e.must(e.post("/v1/reports/daily/issue", who, body), 403)
	}
	e.must(e.post("/v1/reports/daily/issue", "", body), 401)
	var res struct {
		Record struct {
			ID, SHA256, Audience string
			Seq                  uint64
		}
	}
	e.must(e.post("/v1/reports/daily/issue", st.Coord, body), 201).json(t, &res)
	file := e.must(e.get("/v1/reports/issued/"+res.Record.SHA256, st.UARep), 200)
	if sum := sha256.Sum256(file.body); hex.EncodeToString(sum[:]) != res.Record.SHA256 || !strings.Contains(string(file.body), "Інциденти") {
		t.Fatalf("the issued bytes: %s", file.body)
	}
	e.must(e.get("/v1/reports/issued/"+res.Record.SHA256, st.Viewer), 404)
	e.must(e.get("/v1/reports/issued/"+res.Record.SHA256, ""), 404)
	var list struct{ Items []struct{ ID string } }
	e.must(e.get("/v1/reports/issued", ""), 200).json(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("anonymous callers see an internal issue: %+v", list.Items)
	}
	pub := map[string]any{"date": "2026-01-24", "audience": "public", "format": "html", "lang": "en"}
	e.must(e.post("/v1/reports/daily/issue", st.USMed, pub), 201).json(t, &res)
	e.must(e.get("/v1/reports/issued/"+res.Record.SHA256, ""), 200)
	e.must(e.get("/v1/reports/issued?sha256="+res.Record.SHA256, ""), 200).json(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("the public issue by digest: %+v", list.Items)
	}

	before := e.size()
	for _, c := range []struct {
		field string
		value any
	}{{"date", "24.01.2026"}, {"date", "2099-01-01"}, {"audience", "press"}, {"format", "docx"}, {"lang", "de"}} {
		b := map[string]any{"date": "2026-01-24", "audience": "public", "format": "html", "lang": "en"}
		b[c.field] = c.value
		r := e.must(e.post("/v1/reports/daily/issue", st.Coord, b), 422)
		var p struct{ Field string }
		json.Unmarshal(r.body, &p)
		if p.Field != c.field {
			t.Errorf("%s=%v: field %q: %s", c.field, c.value, p.Field, r.body)
		}
	}
	if e.size() != before {
		t.Fatal("refused issues changed the ledger")
	}
}

// Early warnings: a burst of shelling today after a quiet month warns of a
// trend; the public sees the warnings of published incidents only.
func TestWarnings(t *testing.T) {
	e := newEnv(t)
	for range 4 {
		e.report(st.UARep) // the fixture's report: shelling, 24 January 2026
	}
	var w struct {
		Audience string
		Warnings []report.Warning
	}
	e.must(e.get("/v1/warnings?date=2026-01-24", st.Coord), 200).json(t, &w)
	found := false
	for _, x := range w.Warnings {
		if x.Kind == report.WarnTrend && x.Region == "" && x.Type == "" && x.Count == 4 {
			found = true
		}
	}
	if w.Audience != "internal" || !found {
		t.Fatalf("staff: %+v", w)
	}
	e.must(e.get("/v1/warnings?date=2026-01-24", ""), 200).json(t, &w)
	if w.Audience != "public" || len(w.Warnings) != 0 {
		t.Fatalf("anonymous: %+v", w)
	}
	e.must(e.get("/v1/warnings?date=24-01-2026", st.Coord), 400)
}

// Spot reports: a coordinator issues one on an incident; the public one
// waits for publication; a belligerent may not issue one.
func TestSpotReport(t *testing.T) {
	e := newEnv(t)
	published := e.f.Walk(t)
	private := e.report(st.UARep)
	body := func(id, audience string) map[string]any {
		return map[string]any{"incident": id, "audience": audience, "format": "html", "lang": "ru"}
	}
	e.must(e.post("/v1/reports/spot", st.UARep, body(private, "internal")), 403)
	e.must(e.post("/v1/reports/spot", st.Coord, body(private, "public")), 409)
	e.must(e.post("/v1/reports/spot", st.Coord, body("inc-99999", "internal")), 404)
	var res struct {
		Record struct{ SHA256, Kind, Incident string }
	}
	e.must(e.post("/v1/reports/spot", st.Coord, body(private, "internal")), 201).json(t, &res)
	page := e.must(e.get("/v1/reports/issued/"+res.Record.SHA256, st.RURep), 200)
	if res.Record.Kind != "spot" || res.Record.Incident != private || !strings.Contains(string(page.body), "Оперативное сообщение: "+private) {
		t.Fatalf("internal spot report: %+v %.300s", res.Record, page.body)
	}
	e.must(e.post("/v1/reports/spot", st.Coord, body(published, "public")), 201).json(t, &res)
	pub := e.must(e.get("/v1/reports/issued/"+res.Record.SHA256, ""), 200)
	if !strings.Contains(string(pub.body), published) || strings.Contains(string(pub.body), "Обстрел не подтверждаем") {
		t.Fatalf("the public spot report: %.600s", pub.body)
	}
	r := e.must(e.post("/v1/reports/spot", st.Coord, map[string]any{"incident": published, "audience": "public", "format": "csv", "lang": "en"}), 422)
	if !strings.Contains(string(r.body), `"field":"format"`) {
		t.Fatalf("csv spot report: %s", r.body)
	}
}

// The hourly digest: what the last hour brought, from the ledger; the
// public hears of publications only; an hour with nothing is empty.
func TestHourlyDigest(t *testing.T) {
	e := newEnv(t)
	published := e.f.Walk(t)
	private := e.report(st.UARep)
	ids := func(ls []report.DigestLine) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Subject)
		}
		return out
	}
	var h report.Hourly
	e.must(e.get("/v1/reports/hourly", st.RURep), 200).json(t, &h)
	if !slices.Contains(ids(h.Reported), private) || !slices.Contains(ids(h.Published), published) || len(h.Findings) != 1 || h.Audience != "internal" {
		t.Fatalf("members' digest: %+v", h)
	}
	e.must(e.get("/v1/reports/hourly", ""), 200).json(t, &h)
	if len(h.Reported) != 0 || !slices.Contains(ids(h.Published), published) || len(h.Findings) != 0 || h.Audience != "public" {
		t.Fatalf("the public digest: %+v", h)
	}
	earlier := time.Now().Add(-30 * time.Minute).UTC().Format(time.RFC3339)
	e.must(e.get("/v1/reports/hourly?at="+earlier, st.RURep), 200).json(t, &h)
	if len(h.Statements) != 0 {
		t.Fatalf("the hour before: %+v", h.Statements)
	}
	e.must(e.get("/v1/reports/hourly?at=noon", st.RURep), 400)
}

// At a day's cut-off the centre raises its warnings as statements, once
// each, and a subscriber to warnings is alerted.
func TestWarningsRaisedAtCutOff(t *testing.T) {
	e := newEnv(t)
	e.subscribe(st.Coord, "events=warning")
	for range 4 {
		e.report(st.UARep) // shelling on 24 January: a trend against a quiet month
	}
	cutoff := time.Date(2026, 1, 24, 17, 30, 0, 0, time.UTC) // 19:30 in Kyiv
	ctx := t.Context()
	if _, err := e.f.Centre.FireDeadline(ctx, centre.Deadline{Kind: centre.DeadlineCutOff, Due: cutoff}); err != nil {
		t.Fatal(err)
	}
	var w struct {
		Warnings []report.Warning
		Raised   []report.Raised
	}
	e.must(e.get("/v1/warnings?date=2026-01-24", st.Coord), 200).json(t, &w)
	if len(w.Raised) == 0 || len(w.Raised) != len(w.Warnings) || w.Raised[0].Date != "2026-01-24" {
		t.Fatalf("raised at the cut-off: %+v", w)
	}
	// The subscriber is told (by the centre's follower, after the fact).
	e.waitAlert(st.Coord, func(a alert.Alert) bool {
		return a.Event.Kind == alert.Warning && a.Event.Record == w.Raised[len(w.Raised)-1].ID
	})
	if err := e.f.Centre.Settled(ctx); err != nil { // and has done all its work
		t.Fatal(err)
	}
	before := e.size()
	if _, err := e.f.Centre.FireDeadline(ctx, centre.Deadline{Kind: centre.DeadlineCutOff, Due: cutoff}); err != nil {
		t.Fatal(err)
	}
	if e.size() != before {
		t.Fatal("a cut-off fired twice raised its warnings twice")
	}
}

// At the end of each hour the subscribers to the digest are told it is
// ready, once.
func TestDigestAlert(t *testing.T) {
	e := newEnv(t)
	e.subscribe(st.UARep, "events=digest")
	e.report(st.RURep)
	end := time.Now().UTC().Truncate(time.Hour)
	ctx := t.Context()
	if _, err := e.f.Centre.FireDeadline(ctx, centre.Deadline{Kind: centre.DeadlineHour, Due: end}); err != nil {
		t.Fatal(err)
	}
	a := e.waitAlert(st.UARep, func(a alert.Alert) bool { return a.Event.Kind == alert.Digest })
	if a.Event.Record != alert.DigestRecord(end) {
		t.Fatalf("the digest alert names %q", a.Event.Record)
	}
	if err := e.f.Centre.Settled(ctx); err != nil {
		t.Fatal(err)
	}
	before := e.size()
	if _, err := e.f.Centre.FireDeadline(ctx, centre.Deadline{Kind: centre.DeadlineHour, Due: end}); err != nil {
		t.Fatal(err)
	}
	if e.size() != before {
		t.Fatal("an hour told twice")
	}
}
