package report

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"truce/i18n"
)

// Formats a report is written in.
var Formats = []string{"json", "csv", "html"}

//go:embed daily.html
var dailyHTML string

var dailyTemplate = template.Must(template.New("daily").Funcs(template.FuncMap{
	// Placeholders; HTML binds them to the reader's language.
	"t":     func(string, ...any) string { return "" },
	"label": func(string, string) string { return "" },
	"km":    func(*float64) string { return "" },
	"when":  func(time.Time) string { return "" },
	"delta": func(int) string { return "" },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
}).Parse(dailyHTML))

// HTML writes the report as a page of its own, in lang.
func (r *Daily) HTML(lang string) ([]byte, error) {
	p := i18n.Printer{Lang: lang}
	zone, err := time.LoadLocation(r.Zone)
	if err != nil {
		zone = time.UTC
	}
	tmpl, err := dailyTemplate.Clone()
	if err != nil {
		return nil, err
	}
	tmpl.Funcs(template.FuncMap{
		"t":     p.T,
		"label": func(prefix, key string) string { return label(p, prefix, key) },
		"km": func(v *float64) string {
			if v == nil {
				return "—"
			}
			return strconv.FormatFloat(*v, 'f', 1, 64) + " km"
		},
		"when":  func(t time.Time) string { return t.In(zone).Format("2006-01-02 15:04") },
		"delta": signed,
	})
	var b bytes.Buffer
	if err := tmpl.Execute(&b, struct {
		*Daily
		Lang string
	}{r, lang}); err != nil {
		return nil, fmt.Errorf("render the daily report: %w", err)
	}
	return b.Bytes(), nil
}

// label translates an enum value under a catalogue prefix ("type.",
// "status."), keeping the value itself when the catalogue has none.
func label(p i18n.Printer, prefix, key string) string {
	if s := p.T(prefix + key); s != prefix+key {
		return s
	}
	return key
}

func signed(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	if n == 0 {
		return "±0"
	}
	return strconv.Itoa(n)
}

// CSV writes the count tables and the incident list as CSV, one table
// after another, each row led by its table's name.
func (r *Daily) CSV(lang string) ([]byte, error) {
	p := i18n.Printer{Lang: lang}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"table", "key", "label", "count", "previous", "delta"})
	w.Write([]string{"total", "", p.T("sitrep.total"), strconv.Itoa(r.Total.Count), strconv.Itoa(r.Total.Previous), strconv.Itoa(r.Total.Delta)})
	for _, t := range []struct {
		name, prefix string
		rows         []Count
	}{{"region", "", r.ByRegion}, {"raion", "", r.ByRaion}, {"type", "type.", r.ByType}, {"actor", "", r.ByActor}, {"status", "status.", r.ByStatus},
		{"restriction_subtype", "restriction.subtype.", r.Restrictions.BySub}} {
		for _, c := range t.rows {
			l := c.Key
			if t.prefix != "" {
				l = label(p, t.prefix, c.Key)
			}
			w.Write([]string{t.name, c.Key, l, strconv.Itoa(c.Count), strconv.Itoa(c.Previous), strconv.Itoa(c.Delta)})
		}
	}
	w.Write(nil)
	w.Write([]string{"incident", "type", "observed", "region", "actor", "status", "lon", "lat"})
	for _, inc := range r.Incidents {
		lon, lat := "", ""
		if inc.Lon != nil {
			lon, lat = strconv.FormatFloat(*inc.Lon, 'f', 5, 64), strconv.FormatFloat(*inc.Lat, 'f', 5, 64)
		}
		w.Write([]string{inc.ID, inc.Type, inc.Observed.Format(time.RFC3339), inc.Region, inc.Actor, inc.Status, lon, lat})
	}
	w.Flush()
	return b.Bytes(), w.Error()
}
