package report

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"truce/geo"
	"truce/incident"
)

var kyiv = Default().Zone

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, kyiv)
	if err != nil {
		panic(err)
	}
	return t
}

func inc(seq uint64, observed time.Time, typ incident.Type, actor string, status incident.Status) *incident.Incident {
	return &incident.Incident{ID: incident.IDFor(seq), Seq: seq, From: observed, Until: observed, Status: status,
		BBox: geo.BBox{35.1, 47.5, 35.1, 47.5}, Report: incident.Report{Type: typ, AllegedActor: actor}}
}

func day(s string) time.Time {
	d, err := ParseDate("date", s)
	if err != nil {
		panic(err)
	}
	return d
}

// The cut-off is 19:30 Kyiv time: an incident at 19:29:59 is in that
// day's report, one at 19:30:00 in the next day's; the previous period
// gives the deltas.
func TestCutOffEdges(t *testing.T) {
	incs := []*incident.Incident{
		inc(1, at("2026-02-03 19:29:59"), incident.Shelling, "ru", incident.Reported),
		inc(2, at("2026-02-03 19:30:00"), incident.Shelling, "ru", incident.Reported),
		inc(3, at("2026-02-02 19:30:00"), incident.Drone, "ua", incident.Published), // first second of 3 February's period
		inc(4, at("2026-02-02 19:29:59"), incident.Drone, "ua", incident.Reported),  // 2 February's, the previous period
		inc(5, at("2026-02-01 19:29:59"), incident.Drone, "ua", incident.Reported),  // before the previous period
	}
	r := Build(Input{Config: Default(), Date: day("2026-02-03"), Audience: Internal, Incidents: incs})
	var ids []string
	for _, l := range r.Incidents {
		ids = append(ids, l.ID)
	}
	if strings.Join(ids, ",") != "inc-3,inc-1" {
		t.Fatalf("3 February's incidents: %v", ids)
	}
	if r.Total != (Count{Count: 2, Previous: 1, Delta: 1}) {
		t.Fatalf("total: %+v", r.Total)
	}
	want := map[string]Count{"shelling": {Key: "shelling", Count: 1, Previous: 0, Delta: 1}, "drone": {Key: "drone", Count: 1, Previous: 1, Delta: 0}}
	for _, c := range r.ByType {
		if want[c.Key] != c {
			t.Errorf("by type %s: %+v, want %+v", c.Key, c, want[c.Key])
		}
	}
	if r.From != at("2026-02-02 19:30:00").UTC() || r.To != at("2026-02-03 19:30:00").UTC() || r.CutOff != "19:30" || r.Zone != "Europe/Kyiv" {
		t.Fatalf("period: %s – %s (%s %s)", r.From, r.To, r.CutOff, r.Zone)
	}
	if n := len(r.Series); n != SeriesDays || r.Series[n-1] != (DayCount{"2026-02-03", 2}) || r.Series[n-2] != (DayCount{"2026-02-02", 1}) ||
		r.Series[n-3] != (DayCount{"2026-02-01", 1}) || r.Series[0].Date != "2026-01-05" {
		t.Fatalf("the 30 days' series: %+v", r.Series)
	}
	next := Build(Input{Config: Default(), Date: day("2026-02-04"), Audience: Internal, Incidents: incs})
	if len(next.Incidents) != 1 || next.Incidents[0].ID != "inc-2" || next.Total.Previous != 2 {
		t.Fatalf("4 February: %+v", next.Incidents)
	}
	if got := Default().DayOf(at("2026-02-03 19:29:59")); !got.Equal(day("2026-02-03")) {
		t.Errorf("DayOf 19:29:59: %s", got)
	}
	if got := Default().DayOf(at("2026-02-03 19:30:00")); !got.Equal(day("2026-02-04")) {
		t.Errorf("DayOf 19:30:00: %s", got)
	}
}

// A day is measured in the zone's local time: 23 hours when the clocks go
// forward, 25 when they go back.
func TestDaylightSavingDays(t *testing.T) {
	for _, c := range []struct {
		date  string
		hours float64
	}{{"2026-03-29", 23}, {"2026-10-25", 25}, {"2026-06-01", 24}} {
		from, to := Default().Period(day(c.date))
		if h := to.Sub(from).Hours(); h != c.hours {
			t.Errorf("%s: %v hours, want %v", c.date, h, c.hours)
		}
	}
}

func TestConfig(t *testing.T) {
	for _, bad := range [][2]string{{"25:00", "Europe/Kyiv"}, {"19:3", "Europe/Kyiv"}, {"7pm", "Europe/Kyiv"}, {"19:30", "Mars/Olympus"}, {"19:30", ""}} {
		if _, err := NewConfig(bad[0], bad[1]); err == nil {
			t.Errorf("NewConfig(%q, %q) accepted", bad[0], bad[1])
		}
	}
	c, err := NewConfig("18:00", "UTC")
	if err != nil || c.CutOffText() != "18:00" {
		t.Fatalf("18:00 UTC: %v %v", c, err)
	}
}

// The public report, over random ledgers, names no unpublished incident
// anywhere, gives times to the hour and no coordinates, and carries no
// party's response.
func TestPublicLeaksNothing(t *testing.T) {
	statuses := incident.Statuses
	types := []incident.Type{incident.Shelling, incident.Drone, incident.Missile}
	base := at("2026-02-03 12:00:00")
	for trial := range 200 {
		rng := rand.New(rand.NewPCG(uint64(trial), 7))
		var incs []*incident.Incident
		unpublished := map[string]bool{}
		for i := range 1 + rng.IntN(40) {
			observed := base.Add(time.Duration(rng.IntN(72*3600)-48*3600) * time.Second)
			x := inc(uint64(100+i), observed, types[rng.IntN(len(types))], []string{"ru", "ua", ""}[rng.IntN(3)], statuses[rng.IntN(len(statuses))])
			if x.Status == incident.Found || x.Status == incident.Published {
				x.Finding = &incident.RecordedFinding{At: observed.Add(time.Hour)}
				x.Finding.Outcome = "serious_violation"
				x.Steps = append(x.Steps, incident.Step{Type: incident.TypePublish, At: observed.Add(2 * time.Hour)})
			}
			if rng.IntN(2) == 0 {
				x.Responses = append(x.Responses, incident.Response{Party: "ru", At: observed.Add(30 * time.Minute)})
				x.Responses[0].Text = incident.Text{Lang: "en", Text: fmt.Sprintf("secret view %d", i)}
			}
			if x.Status != incident.Published {
				unpublished[x.ID] = true
			}
			incs = append(incs, x)
		}
		r := Build(Input{Config: Default(), Date: day("2026-02-03"), Audience: Public, Incidents: incs})
		raw, _ := json.Marshal(r)
		for id := range unpublished {
			if strings.Contains(string(raw), `"`+id+`"`) {
				t.Fatalf("trial %d: the public report names unpublished %s: %s", trial, id, raw)
			}
		}
		if strings.Contains(string(raw), "secret view") || len(r.Responses) > 0 {
			t.Fatalf("trial %d: a party's response in the public report", trial)
		}
		published := 0
		for _, x := range incs {
			from, to := Default().Period(day("2026-02-03"))
			if x.Status == incident.Published && !x.From.Before(from) && x.From.Before(to) {
				published++
			}
		}
		if r.Total.Count != published {
			t.Fatalf("trial %d: %d counted, %d published in the period", trial, r.Total.Count, published)
		}
		for _, l := range r.Incidents {
			if l.Lon != nil || l.Lat != nil || !l.Observed.Equal(l.Observed.Truncate(time.Hour)) {
				t.Fatalf("trial %d: %+v is not coarsened", trial, l)
			}
		}
	}
}
