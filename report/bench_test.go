package report

import (
	"math/rand/v2"
	"testing"
	"time"

	"truce/geo"
	"truce/incident"
)

// BenchmarkDaily builds the daily report, by oblast and raion, beside a
// million incidents, as the centre hands them over: the map index's rows
// of the report's 30 days, and the documents of its day.
//   - year: a million incidents over a year; the day holds 1/365 of them.
//   - month: a million incidents in the report's 30 days; the day holds
//     1/30 of them.
//
// What the centre adds (reading the day's documents from the store) is
// measured against a running server: BENCHMARKS.md, "Reports".
func BenchmarkDaily(b *testing.B) {
	regions := benchRegions(b)
	cfg := Default()
	date := day("2026-11-30")
	from, to := cfg.Period(date)
	for _, c := range []struct {
		name string
		days int
	}{{"year", 365}, {"month", SeriesDays}} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			const total = 1_000_000
			span := time.Duration(c.days) * 24 * time.Hour
			var in Input
			in.Config, in.Date, in.Audience, in.Regions = cfg, date, Internal, regions
			first, _ := cfg.Period(date.AddDate(0, 0, -(SeriesDays - 1)))
			for i := range total {
				seq := uint64(i + 1)
				at := to.Add(-time.Duration(rng.Int64N(int64(span))))
				lon, lat := 30+rng.Float64()*8, 46.5+rng.Float64()*4
				typ := incident.Types[rng.IntN(len(incident.Types))]
				if !at.Before(first) {
					in.Observed = append(in.Observed, incident.MapRow{Seq: seq, Lon: lon, Lat: lat, From: at.UnixMilli(), Until: at.UnixMilli(),
						Type: typ, Status: incident.Reported, Party: "ua", Actor: "ru"})
				}
				if !at.Before(from) {
					inc := inc(seq, at, typ, "ru", incident.Reported)
					inc.BBox = geo.BBox{lon, lat, lon, lat}
					in.Incidents = append(in.Incidents, inc)
				}
			}
			b.ReportMetric(float64(len(in.Observed)), "rows")
			b.ReportMetric(float64(len(in.Incidents)), "docs")
			b.ResetTimer()
			for b.Loop() {
				Build(in)
			}
		})
	}
}
