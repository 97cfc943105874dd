package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"truce/geo"
	"truce/i18n"
	"truce/incident"
)

// KindSpot is a spot report: one page on one serious incident, issued when
// a coordinator asks, or by the centre when a finding of serious_violation
// is published.
const KindSpot = "spot"

// Spot is a spot report's content.
type Spot struct {
	Incident string    `json:"incident"`
	Audience string    `json:"audience"`
	Type     string    `json:"type"`
	Status   string    `json:"status"`
	Observed time.Time `json:"observed"`
	Until    time.Time `json:"observed_until"`
	Region   string    `json:"region,omitempty"`
	// Place: internal only; the public report gives the region.
	Lon   *float64 `json:"lon,omitempty"`
	Lat   *float64 `json:"lat,omitempty"`
	Place string   `json:"place,omitempty"`
	Party string   `json:"reported_by"`
	Actor string   `json:"alleged_actor,omitempty"`
	// What was counted and who was hurt.
	Counts      incident.Counts         `json:"counts"`
	Casualties  *incident.CasualtyCount `json:"casualties,omitempty"`
	Weapon      string                  `json:"weapon,omitempty"`
	Description string                  `json:"description"`
	Flags       []incident.Flag         `json:"possible_violations"`
	Finding     *FindingLine            `json:"finding,omitempty"`
	Evidence    []incident.Evidence     `json:"evidence"`
	Linked      []string                `json:"linked,omitempty"`
}

// BuildSpot builds the spot report of inc for an audience; the public one
// holds a published incident only, its place to the region and its time
// to the hour.
func BuildSpot(inc *incident.Incident, audience string, regions *Regions) (*Spot, error) {
	if audience == Public && inc.Status != incident.Published {
		return nil, fmt.Errorf("%s is not published: its spot report is internal", inc.ID)
	}
	s := &Spot{Incident: inc.ID, Audience: audience, Type: string(inc.Report.Type), Status: string(inc.Status), Observed: inc.From.UTC(),
		Until: inc.Until.UTC(), Party: inc.Party, Actor: inc.Report.AllegedActor, Counts: inc.Report.Counts, Casualties: inc.Report.Casualties,
		Weapon: inc.Report.Weapon, Description: inc.Report.Description.Text, Flags: inc.Evaluation.Flags(), Evidence: inc.Evidence,
		Linked: inc.Linked}
	p := geo.Position{(inc.BBox[0] + inc.BBox[2]) / 2, (inc.BBox[1] + inc.BBox[3]) / 2}
	if regions != nil {
		oblast, raion := regions.Locate(p)
		s.Region = oblast
		if raion != "" {
			s.Region += " / " + raion
		}
	}
	if audience == Public {
		s.Observed, s.Until = s.Observed.Truncate(time.Hour), s.Until.Truncate(time.Hour)
	} else {
		s.Lon, s.Lat, s.Place = &p[0], &p[1], inc.Report.Location.Place
	}
	if f := inc.Finding; f != nil {
		l := &FindingLine{Incident: inc.ID, Finding: string(f.Outcome), Attribution: f.Attribution, At: f.At.UTC()}
		if audience == Internal {
			for _, r := range inc.Responses {
				l.Views = append(l.Views, ResponseLine{Incident: inc.ID, Party: r.Party, Text: r.Text.Text, At: r.At.UTC()})
			}
		}
		s.Finding = l
	}
	if s.Flags == nil {
		s.Flags = []incident.Flag{}
	}
	if s.Evidence == nil {
		s.Evidence = []incident.Evidence{}
	}
	return s, nil
}

//go:embed spot.html
var spotHTML string

var spotTemplate = template.Must(template.New("spot").Funcs(template.FuncMap{
	"t": func(string, ...any) string { return "" }, "label": func(string, string) string { return "" },
	"km": func(*float64) string { return "" }, "when": func(time.Time) string { return "" },
	"coord": func(*float64) string { return "" },
}).Parse(spotHTML))

// HTML writes the spot report as a page of its own, in lang.
func (s *Spot) HTML(lang string, zone *time.Location) ([]byte, error) {
	p := i18n.Printer{Lang: lang}
	tmpl, err := spotTemplate.Clone()
	if err != nil {
		return nil, err
	}
	fm := pageFuncs(p, zone, "2006-01-02 15:04 MST")
	fm["coord"] = func(v *float64) string { return strconv.FormatFloat(*v, 'f', 4, 64) }
	tmpl.Funcs(fm)
	var b bytes.Buffer
	if err := tmpl.Execute(&b, struct {
		*Spot
		Lang string
	}{s, lang}); err != nil {
		return nil, fmt.Errorf("render the spot report: %w", err)
	}
	return b.Bytes(), nil
}
