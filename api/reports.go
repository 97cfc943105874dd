package api

import (
	"net/http"
	"slices"
	"strings"

	"truce/centre"
	"truce/i18n"
	"truce/ledger"
	"truce/party"
	"truce/report"
)

// dailyReport serves GET /v1/reports/daily: the day's report for an
// audience, as JSON, CSV or a page of HTML. The internal report is for
// members other than viewers; anonymous callers and viewers (the press)
// get the public one.
func (s *Server) dailyReport(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "date", "audience", "format", "lang")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	sess := session(r)
	isStaff := staff(sess)
	audience := q["audience"]
	switch {
	case audience == "" && isStaff:
		audience = report.Internal
	case audience == "":
		audience = report.Public
	case !slices.Contains(report.Audiences, audience):
		badRequest(w, r, ledger.Invalid("audience", "unknown audience %q; one of internal, public", audience))
		return
	case audience == report.Internal && sess == nil:
		fail(w, r, ledger.ErrUnauthenticated)
		return
	case audience == report.Internal && !isStaff:
		fail(w, r, ledger.Forbidden("viewers read the public report (audience=public)"))
		return
	}
	format := q["format"]
	if format == "" {
		format = "json"
	}
	if !slices.Contains(report.Formats, format) {
		badRequest(w, r, ledger.Invalid("format", "unknown format %q; one of json, csv, html, pdf", format))
		return
	}
	cfg := s.centre.ReportConfig()
	// By default, the last day closed: at 19:30 the report of the day.
	date := cfg.DayOf(s.centre.Now()).AddDate(0, 0, -1)
	if q["date"] != "" {
		if date, err = report.ParseDate("date", q["date"]); err != nil {
			badRequest(w, r, err)
			return
		}
	}
	if date.Year() < 2000 || date.After(s.centre.Now().AddDate(0, 0, 1)) {
		badRequest(w, r, ledger.Invalid("date", "must be a day from 2000 to tomorrow"))
		return
	}
	lang := i18n.For(q["lang"], r.Header.Get("Accept-Language")).Lang
	if format == "pdf" {
		rep, b, err := s.centre.RenderDaily(r.Context(), date, audience, format, lang)
		if err != nil {
			pdfFailed(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="truce-daily-`+rep.Date+"-"+audience+"-"+lang+`.pdf"`)
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b)
		return
	}
	rep, err := s.centre.DailyReport(r.Context(), date, audience)
	if err != nil {
		fail(w, r, err)
		return
	}
	name := "truce-daily-" + rep.Date + "-" + audience + "-" + lang
	w.Header().Set("Cache-Control", "no-store")
	switch format {
	case "json":
		writeJSON(w, http.StatusOK, rep)
	case "csv":
		b, err := rep.CSV(lang)
		if err != nil {
			fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		w.Write(b)
	case "html":
		b, err := rep.HTML(lang)
		if err != nil {
			fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Language", lang)
		// A page of its own: its style inline, no script, nothing fetched.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.Write(b)
	}
}

// staff: members other than viewers, who read the internal reports.
func staff(sess *centre.Session) bool {
	return sess != nil && !sess.Member.Revoked && slices.ContainsFunc(sess.Member.Roles, func(r party.Role) bool { return r != party.Viewer })
}

// issueDaily serves POST /v1/reports/daily/issue: a coordinator of the
// centre issues a day's report in one audience, format and language; its
// bytes are kept and their digest recorded in the ledger.
func (s *Server) issueDaily(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var b struct {
		Date     string `json:"date"`
		Audience string `json:"audience"`
		Format   string `json:"format"`
		Lang     string `json:"lang"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	date, err := report.ParseDate("date", b.Date)
	switch {
	case err != nil:
	case !slices.Contains(report.Audiences, b.Audience):
		err = ledger.Invalid("audience", "unknown audience %q; one of internal, public", b.Audience)
	case report.MediaTypes[b.Format] == "":
		err = ledger.Invalid("format", "unknown format %q; one of json, csv, html, pdf", b.Format)
	case !slices.Contains(i18n.Languages, b.Lang):
		err = ledger.Invalid("lang", "unknown language %q; one of %s", b.Lang, strings.Join(i18n.Languages, ", "))
	case date.After(s.centre.Now()):
		err = ledger.Invalid("date", "a report is issued once its day has begun")
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	st, rec, err := s.centre.IssueDaily(r.Context(), sess, date, b.Audience, b.Format, b.Lang)
	if report.Unprintable(err) {
		pdfFailed(w, r, err)
		return
	}
	answer(w, r, st, err, func() (any, error) { return rec, nil })
}

// issuedReports serves GET /v1/reports/issued[?sha256=]: the reports
// issued, those for the internal audience to staff only.
func (s *Server) issuedReports(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "sha256")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	var all []*report.Issued
	if q["sha256"] != "" {
		all, err = s.centre.Store.IssuedReport(r.Context(), q["sha256"])
	} else {
		all, err = s.centre.Store.IssuedReports(r.Context())
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	items := []*report.Issued{}
	for _, x := range all {
		if x.Audience == report.Public || staff(session(r)) {
			items = append(items, x)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// issuedFile serves GET /v1/reports/issued/{sha256}: the exact bytes
// issued, checked against their digest as they stream.
func (s *Server) issuedFile(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha256")
	issues, err := s.centre.Store.IssuedReport(r.Context(), sha)
	if err != nil {
		fail(w, r, err)
		return
	}
	var rec *report.Issued
	for _, x := range issues {
		if x.Audience == report.Public || staff(session(r)) {
			rec = x
			break
		}
	}
	files := s.centre.ReportFiles()
	if rec == nil || files == nil {
		fail(w, r, ledger.NotFound("no issued report %q", sha))
		return
	}
	f, err := files.Open(sha)
	if err != nil {
		fail(w, r, ledger.NotFound("no issued report %q", sha))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", report.MediaTypes[rec.Format])
	w.Header().Set("Content-Disposition", `attachment; filename="truce-`+rec.Kind+`-`+rec.Date+`-`+rec.Audience+`-`+rec.Lang+`.`+rec.Format+`"`)
	w.Header().Set("ETag", `"`+sha+`"`)
	w.Header().Set("Digest", "sha-256="+sha)
	if rec.Format == "html" {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	}
	s.serveVerified(w, r, f, sha)
}

// pdfFailed answers for a PDF that could not be printed: 501 when the
// server has no Chromium to print with, or no font for the language.
func pdfFailed(w http.ResponseWriter, r *http.Request, err error) {
	if report.Unprintable(err) {
		writeProblem(w, r, Problem{Type: problemBase + "pdf-unavailable", Title: "PDF unavailable", Status: http.StatusNotImplemented,
			Detail: err.Error()})
		return
	}
	fail(w, r, err)
}

// warnings serves GET /v1/warnings: a day's early warnings (trends,
// hotspots, spillover, nuclear sites), from the incidents the caller's
// audience may see.
func (s *Server) warnings(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "date")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	cfg := s.centre.ReportConfig()
	date := cfg.DayOf(s.centre.Now())
	if q["date"] != "" {
		if date, err = report.ParseDate("date", q["date"]); err != nil {
			badRequest(w, r, err)
			return
		}
	}
	audience := report.Public
	if staff(session(r)) {
		audience = report.Internal
	}
	rep, err := s.centre.DailyReport(r.Context(), date, audience)
	if err != nil {
		fail(w, r, err)
		return
	}
	raised, err := s.centre.Store.Warnings(r.Context(), rep.Date)
	if err != nil {
		fail(w, r, err)
		return
	}
	// The public hears of the warnings it would compute itself: those
	// about published incidents, and counts of them.
	out := []*report.Raised{}
	for _, x := range raised {
		if audience == report.Internal || slices.ContainsFunc(rep.Warnings, func(y report.Warning) bool { return y.Key() == x.Key() }) {
			out = append(out, x)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"date": rep.Date, "cut_off": rep.CutOff, "zone": rep.Zone, "audience": audience,
		"warnings": rep.Warnings, "raised": out})
}

// issueSpot serves POST /v1/reports/spot: a coordinator issues the spot
// report of one incident.
func (s *Server) issueSpot(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var b struct {
		Incident string `json:"incident"`
		Audience string `json:"audience"`
		Format   string `json:"format"`
		Lang     string `json:"lang"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	var err error
	switch {
	case !strings.HasPrefix(b.Incident, "inc-"):
		err = ledger.Invalid("incident", "name the incident (inc-N)")
	case !slices.Contains(report.Audiences, b.Audience):
		err = ledger.Invalid("audience", "unknown audience %q; one of internal, public", b.Audience)
	case !slices.Contains([]string{"json", "html", "pdf"}, b.Format):
		err = ledger.Invalid("format", "a spot report is json, html or pdf, not %q", b.Format)
	case !slices.Contains(i18n.Languages, b.Lang):
		err = ledger.Invalid("lang", "unknown language %q; one of %s", b.Lang, strings.Join(i18n.Languages, ", "))
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	st, rec, err := s.centre.IssueSpot(r.Context(), sess, b.Incident, b.Audience, b.Format, b.Lang)
	if report.Unprintable(err) {
		pdfFailed(w, r, err)
		return
	}
	answer(w, r, st, err, func() (any, error) { return rec, nil })
}

// hourlyDigest serves GET /v1/reports/hourly?at=: what changed in the
// hour before at (default: now), from the ledger. Viewers and anonymous
// callers hear of publications and public reports only.
func (s *Server) hourlyDigest(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "at")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	at := s.centre.Now()
	if q["at"] != "" {
		if at, err = q.time("at"); err != nil {
			badRequest(w, r, err)
			return
		}
	}
	audience := report.Public
	if staff(session(r)) {
		audience = report.Internal
	}
	h, err := s.centre.HourlyDigest(r.Context(), at, audience)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}
