package api

import (
	"net/http"
	"slices"

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
	staff := sess != nil && slices.ContainsFunc(sess.Member.Roles, func(r party.Role) bool { return r != party.Viewer })
	audience := q["audience"]
	switch {
	case audience == "" && staff:
		audience = report.Internal
	case audience == "":
		audience = report.Public
	case !slices.Contains(report.Audiences, audience):
		badRequest(w, r, ledger.Invalid("audience", "unknown audience %q; one of internal, public", audience))
		return
	case audience == report.Internal && sess == nil:
		fail(w, r, ledger.ErrUnauthenticated)
		return
	case audience == report.Internal && !staff:
		fail(w, r, ledger.Forbidden("viewers read the public report (audience=public)"))
		return
	}
	format := q["format"]
	if format == "" {
		format = "json"
	}
	if !slices.Contains(report.Formats, format) {
		badRequest(w, r, ledger.Invalid("format", "unknown format %q; one of json, csv, html", format))
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
	rep, err := s.centre.DailyReport(r.Context(), date, audience)
	if err != nil {
		fail(w, r, err)
		return
	}
	lang := i18n.For(q["lang"], r.Header.Get("Accept-Language")).Lang
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
