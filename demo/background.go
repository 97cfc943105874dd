package demo

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// The background: the everyday reports of both sides along the
// Zaporizhzhia line, made up for the demo (their descriptions say so), so
// that the daily report has five weeks to count, its deltas and its
// 28-day baseline something to compare, and its early warning something to
// see. They follow the cycle the OSCE mission described: fighting, a
// sharp drop at the recommitment (the Abu Dhabi ceasefire of 3 February),
// a slow rise, then escalation from 22 February, which the trend warns of.

// backgroundFrom and backgroundUntil bound the background's days.
var (
	backgroundFrom  = time.Date(2026, 1, 23, 0, 0, 0, 0, time.UTC)
	backgroundUntil = time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
)

// perDay is how many reports a day of the cycle has.
func perDay(d time.Time, rng *rand.Rand) int {
	switch {
	case d.Before(time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)): // fighting
		return 4 + rng.IntN(3)
	case d.Before(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)): // the drop
		return rng.IntN(2)
	case d.Before(time.Date(2026, 2, 22, 0, 0, 0, 0, time.UTC)): // a slow rise
		days := int(d.Sub(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)).Hours() / 24)
		return 1 + days/5
	default: // escalation
		return 9 + rng.IntN(3)
	}
}

// background returns the made-up reports, in time order; the seed makes
// every demo the same.
func background() []Step {
	rng := rand.New(rand.NewPCG(2026, 2))
	places := []struct {
		name     string
		lon, lat float64
	}{
		{"Near Orikhiv, Zaporizhzhia Oblast", 35.78, 47.57},
		{"Near Mala Tokmachka, Zaporizhzhia Oblast", 35.86, 47.53},
		{"Near Robotyne, Zaporizhzhia Oblast", 35.84, 47.44},
		{"Near Kamianske, Zaporizhzhia Oblast", 35.36, 47.50},
		{"Near Stepnohirsk, Zaporizhzhia Oblast", 35.45, 47.58},
		{"Near Huliaipole, Zaporizhzhia Oblast", 36.26, 47.66},
	}
	var out []Step
	n := 0
	for d := backgroundFrom; d.Before(backgroundUntil); d = d.AddDate(0, 0, 1) {
		for range perDay(d, rng) {
			n++
			p := places[rng.IntN(len(places))]
			observed := d.Add(time.Duration(5*60+rng.IntN(10*60)) * time.Minute) // 05:00 to 15:00 UTC, before the cut-off
			by, actor := "ua-mil", "ru"
			if rng.IntN(3) == 0 {
				by, actor = "ru-mil", "ua"
			}
			typ, weapon := "shelling", "122 mm artillery"
			if rng.IntN(4) == 0 {
				typ, weapon = "drone", "FPV drone"
			}
			payload, _ := json.Marshal(map[string]any{
				"type": typ, "observed_at": observed.Format(time.RFC3339), "time_precision": "minute", "weapon": weapon, "alleged_actor": actor,
				"location": map[string]any{"geometry": map[string]any{"type": "Point",
					"coordinates": []float64{p.lon + rng.Float64()*0.06 - 0.03, p.lat + rng.Float64()*0.04 - 0.02}}, "precision_m": 1000, "place": p.name},
				"counts":      map[string]int{"explosions": 1 + rng.IntN(12)},
				"description": map[string]string{"lang": "en", "text": fmt.Sprintf("Made up for the demo (background report %d): %s on the Zaporizhzhia line.", n, typ)},
			})
			out = append(out, Step{At: observed.Add(40 * time.Minute), By: by, Type: "incident.report", Payload: payload})
		}
	}
	return out
}

// withBackground merges the background into the scripted steps by time,
// keeping the scripted steps in their own order.
func withBackground(scripted, bg []Step) []Step {
	out := make([]Step, 0, len(scripted)+len(bg))
	j := 0
	for _, s := range scripted {
		for j < len(bg) && bg[j].At.Before(s.At) {
			out = append(out, bg[j])
			j++
		}
		out = append(out, s)
	}
	return append(out, bg[j:]...)
}
