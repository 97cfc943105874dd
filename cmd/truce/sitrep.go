package main

import (
	"fmt"
	"net/url"
	"os"
	"strconv"

	"truce/report"
)

// sitrepDaily prints the daily report, or writes it as JSON, CSV or HTML.
func sitrepDaily(args []string) error {
	fs := flags("sitrep daily")
	connect := clientFlags(fs)
	date := fs.String("date", "", "the report's day, YYYY-MM-DD (default: the last day closed at the cut-off)")
	audience := fs.String("audience", "", "internal or public (default: internal for members, public for viewers and without a token)")
	format := fs.String("format", "text", "text, json, csv or html")
	out := fs.String("out", "", "write to this file rather than to standard output")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"date": *date, "audience": *audience, "lang": msg.Lang} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if *format != "text" {
		q.Set("format", *format)
		var body string
		if err := c.get("/v1/reports/daily?"+q.Encode(), rawInto(&body)); err != nil {
			return err
		}
		if *out == "" {
			_, err := os.Stdout.WriteString(body)
			return err
		}
		if err := os.WriteFile(*out, []byte(body), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, msg.T("sitrep.written", *out))
		return nil
	}
	var r report.Daily
	if err := c.get("/v1/reports/daily?"+q.Encode(), &r); err != nil {
		return err
	}
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	fmt.Fprintln(w, msg.T("sitrep.title", r.Date))
	fmt.Fprintln(w, msg.T("sitrep.period", r.From.Format("2006-01-02 15:04 UTC"), r.To.Format("2006-01-02 15:04 UTC"), r.CutOff, r.Zone))
	fmt.Fprintln(w, msg.T("sitrep.audience."+r.Audience))
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintf(tw, "\t%s\t%s\t%s\n", msg.T("sitrep.count"), msg.T("sitrep.previous"), msg.T("sitrep.delta"))
	fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", msg.T("sitrep.total"), r.Total.Count, r.Total.Previous, signedInt(r.Total.Delta))
	for _, t := range []struct {
		title, prefix string
		rows          []report.Count
	}{{"sitrep.by_region", "", r.ByRegion}, {"sitrep.by_raion", "", r.ByRaion}, {"sitrep.by_type", "type.", r.ByType}, {"sitrep.by_actor", "", r.ByActor}, {"sitrep.by_status", "status.", r.ByStatus}} {
		if len(t.rows) == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t\t\t\n", msg.T(t.title))
		for _, c := range t.rows {
			label := c.Key
			if t.prefix != "" {
				if s := msg.T(t.prefix + c.Key); s != t.prefix+c.Key {
					label = s
				}
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\n", label, c.Count, c.Previous, signedInt(c.Delta))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.violations"), len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  %s %s: %d\n", v.Agreement, v.Term, v.Count)
	}
	fmt.Fprintf(w, "%s: %s; %s\n", msg.T("sitrep.casualties"), msg.T("sitrep.civilian", r.Casualties.CivilianKilled, r.Casualties.CivilianInjured),
		msg.T("sitrep.military", r.Casualties.MilitaryKilled, r.Casualties.MilitaryInjured))
	fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.sites"), len(r.Sites))
	fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.weapons"), len(r.Weapons))
	fmt.Fprintf(w, "%s: %s\n", msg.T("sitrep.movement"), msg.T("sitrep.movement_counts", r.Restrictions.Recorded, r.Restrictions.Ended, r.Restrictions.Open))
	fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.arrangements"), len(r.Arrangements))
	fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.findings"), len(r.Findings))
	if r.Audience == report.Internal {
		fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.responses"), len(r.Responses))
	}
	return nil
}

func signedInt(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	if n == 0 {
		return "±0"
	}
	return strconv.Itoa(n)
}
