package report

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	"truce/geo"
	"truce/i18n"
)

// Formats a report is written in.
var Formats = []string{"json", "csv", "html", "pdf"}

//go:embed daily.html
var dailyHTML string

var dailyTemplate = template.Must(template.New("daily").Funcs(template.FuncMap{
	// Placeholders; HTML binds them to the reader's language.
	"t":         func(string, ...any) string { return "" },
	"label":     func(string, string) string { return "" },
	"km":        func(*float64) string { return "" },
	"when":      func(time.Time) string { return "" },
	"delta":     func(int) string { return "" },
	"plot":      func() template.HTML { return "" },
	"warn":      func(Warning) string { return "" },
	"regionmap": func() template.HTML { return "" },
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
	fm := pageFuncs(p, zone, "2006-01-02 15:04")
	maps.Copy(fm, template.FuncMap{
		"delta": signed,
		"plot":  func() template.HTML { return seriesSVG(r.Series, p.T("sitrep.plot_label", SeriesDays)) },
		"warn":  func(w Warning) string { return w.Text(p) },
		"regionmap": func() template.HTML {
			return regionMap(r.areas, r.ByRegion, p.T("sitrep.map_label"))
		},
	})
	tmpl.Funcs(fm)
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
	if r.IncidentsMore > 0 {
		w.Write([]string{"", "", "", "", "", "", "", "", p.T("sitrep.listed", len(r.Incidents), r.IncidentsMore)})
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// seriesSVG draws the daily counts as bars: vector art, in the page and
// in its PDF. Only numbers and dates go into it.
func seriesSVG(series []DayCount, label string) template.HTML {
	const w, h, left, bottom = 600, 140, 32, 18
	peak := 1
	for _, d := range series {
		peak = max(peak, d.Count)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		w, h, w, h, template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>`, left, h-bottom, w, h-bottom)
	fmt.Fprintf(&b, `<text x="%d" y="12" font-size="10" text-anchor="end">%d</text><text x="%d" y="%d" font-size="10" text-anchor="end">0</text>`,
		left-4, peak, left-4, h-bottom)
	slot := float64(w-left) / float64(len(series))
	for i, d := range series {
		bh := float64(h-bottom-16) * float64(d.Count) / float64(peak)
		x := float64(left) + float64(i)*slot
		fill := "#5b7fa6"
		if i == len(series)-1 {
			fill = "#a33"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d</title></rect>`,
			x+1, float64(h-bottom)-bh, slot-2, bh, fill, d.Date, d.Count)
		if last := len(series) - 1; i == 0 || i == last || (i%7 == 0 && last-i >= 4) {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="9" text-anchor="middle">%s</text>`, x+slot/2, h-4, d.Date[5:])
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// Text says a warning in lang's words.
func (w Warning) Text(p i18n.Printer) string {
	f := func(v *float64) float64 {
		if v == nil {
			return 0
		}
		return *v
	}
	switch w.Kind {
	case WarnTrend:
		subject := p.T("warn.all")
		switch {
		case w.Region != "" && w.Type != "":
			subject = w.Region + " · " + label(p, "type.", w.Type)
		case w.Region != "":
			subject = w.Region
		case w.Type != "":
			subject = label(p, "type.", w.Type)
		}
		return p.T("warn.trend", subject, w.Count, f(w.Baseline7), f(w.Baseline28))
	case WarnHotspot:
		return p.T("warn.hotspot", w.Cell, w.Count, f(w.Baseline7))
	case WarnSpillover:
		return p.T("warn.spillover", w.Incident, f(w.DistanceKM), w.Country)
	case WarnNuclear:
		km := "—"
		if w.DistanceKM != nil {
			km = strconv.FormatFloat(*w.DistanceKM, 'f', 1, 64)
		}
		return p.T("warn.nuclear_site", w.Incident, km, w.Site)
	}
	return w.Kind
}

// pageFuncs are the template functions both pages use, in p's language
// and zone's time.
func pageFuncs(p i18n.Printer, zone *time.Location, layout string) template.FuncMap {
	return template.FuncMap{
		"t":     p.T,
		"label": func(prefix, key string) string { return label(p, prefix, key) },
		"km": func(v *float64) string {
			if v == nil {
				return "—"
			}
			return strconv.FormatFloat(*v, 'f', 1, 64) + " km"
		},
		"when": func(t time.Time) string { return t.In(zone).Format(layout) },
	}
}

// regionMap draws the oblasts shaded by the day's count, as SVG: vector
// art in the page and its PDF. Only coordinates, numbers and the areas'
// names go into it, escaped. Empty without areas.
func regionMap(areas *Regions, counts []Count, label string) template.HTML {
	if areas == nil || len(areas.oblasts) == 0 {
		return ""
	}
	n := map[string]int{}
	peak := 1
	for _, c := range counts {
		n[c.Key] = c.Count
		peak = max(peak, c.Count)
	}
	box := geo.BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, o := range areas.oblasts {
		box = geo.BBox{math.Min(box[0], o.box[0]), math.Min(box[1], o.box[1]), math.Max(box[2], o.box[2]), math.Max(box[3], o.box[3])}
	}
	// Equirectangular at the middle latitude: a small map of one country.
	kx := math.Cos((box[1] + box[3]) / 2 * math.Pi / 180)
	const width = 600.0
	scale := width / ((box[2] - box[0]) * kx)
	height := (box[3] - box[1]) * scale
	xy := func(p geo.Position) (float64, float64) { return (p[0] - box[0]) * kx * scale, (box[3] - p[1]) * scale }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`,
		width, height, width, height, template.HTMLEscapeString(label))
	for _, o := range areas.oblasts {
		c := n[o.def.Name]
		fill := "#eeeeee"
		if c > 0 {
			// From a pale to a deep red with the count.
			t := float64(c) / float64(peak)
			fill = fmt.Sprintf("rgb(%d,%d,%d)", 250-int(90*t), 200-int(170*t), 190-int(160*t))
		}
		b.WriteString(`<path fill="` + fill + `" stroke="#777" stroke-width="0.5" d="`)
		for _, poly := range o.def.Polygons {
			for _, ring := range poly {
				lx, ly := math.Inf(1), math.Inf(1)
				for i, p := range ring {
					x, y := xy(p)
					// About a pixel's detail is enough at this size.
					if i > 0 && i < len(ring)-1 && math.Abs(x-lx)+math.Abs(y-ly) < 1.5 {
						continue
					}
					cmd := "L"
					if i == 0 {
						cmd = "M"
					}
					fmt.Fprintf(&b, "%s%.1f %.1f", cmd, x, y)
					lx, ly = x, y
				}
				b.WriteString("Z")
			}
		}
		fmt.Fprintf(&b, `"><title>%s: %d</title></path>`, template.HTMLEscapeString(o.def.Name), c)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
