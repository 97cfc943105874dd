package seat_test

import (
	"testing"
	"time"

	"truce/ledger"
	"truce/seat"
)

// Whatever an accreditation payload holds, reading it never panics, and a
// period it accepts starts no earlier than five minutes before the
// statement and ends after it starts, within five years.
func FuzzAccredit(f *testing.F) {
	for _, s := range []string{
		`{"member":"ch-monitor","until":"2026-06-01T00:00:00Z"}`,
		`{"member":"ch-monitor","from":"2026-03-01T00:00:00Z","until":"2026-06-01T00:00:00Z","replaces":"acc-42","note":"Rotation."}`,
		`{"member":"x","until":"2026-03-01T00:00:00+02:00","from":"2026-02-28T23:59:00-01:00"}`,
		`{"member":"ch-monitor","until":"9999-12-31T23:59:59Z"}`,
		`{"member":"","until":""}`,
	} {
		f.Add([]byte(s))
	}
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p seat.Accredit
		if ledger.Decode(raw, &p) != nil {
			return
		}
		from, until, err := p.Period(at)
		if err != nil {
			return
		}
		if from.Before(at.Add(-5*time.Minute)) || !until.After(from) || until.Sub(from) > seat.MaxPeriod {
			t.Fatalf("accepted %s: %s to %s", raw, from, until)
		}
	})
}

// Whatever a consent payload holds, validating it never panics, and one it
// accepts names a decision and, for a case, both the monitor and the case.
func FuzzWord(f *testing.F) {
	for _, s := range []string{
		`{"country":"ch","decision":"consent"}`,
		`{"country":"tr","decision":"object","monitor":"tr-monitor","incident":"inc-162","note":"No."}`,
		`{"country":"tr","decision":"object","monitor":"tr-monitor"}`,
		`{"country":"","decision":"maybe"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var w seat.Word
		if ledger.Decode(raw, &w) != nil || w.Validate() != nil {
			return
		}
		if (w.Decision != seat.Consent && w.Decision != seat.Object) || (w.Monitor == "") != (w.Incident == "") {
			t.Fatalf("accepted %s", raw)
		}
	})
}
