package agreement

import (
	"fmt"
	"os"
	"testing"
	"time"

	"truce/geo"
	"truce/incident"
)

// stacked compiles the repository's three instruments between ua and ru:
// the March ceasefire (docs/examples), the Abu Dhabi ceasefire and the
// Zaporizhzhia safety zone (demo).
func stacked(b *testing.B) []*Evaluator {
	var out []*Evaluator
	for _, path := range []string{"../docs/examples/agreement.json", "../demo/agreement.json", "../demo/znpp-safety.json"} {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		d, err := Parse(raw)
		if err != nil {
			b.Fatal(path, err)
		}
		e, err := Compile(d)
		if err != nil {
			b.Fatal(path, err)
		}
		out = append(out, e)
	}
	return out
}

// BenchmarkJudgeStacked judges one report against one, then all three
// instruments in force, as the centre does for each report: the cost grows
// with the instruments, and the ratio of the two is the figure to watch.
func BenchmarkJudgeStacked(b *testing.B) {
	evs := stacked(b)
	shape, err := geo.ParseShape(geo.Geometry{Type: "Point", Coordinates: []byte(`[35.62,47.14]`)})
	if err != nil {
		b.Fatal(err)
	}
	ev := Event{Type: incident.WeaponsInZone, Weapon: "BM-21 Grad", Actor: "ru", At: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Shape: shape}
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("instruments=%d", n), func(b *testing.B) {
			for b.Loop() {
				for _, e := range evs[:n] {
					e.Evaluate(ev)
				}
			}
		})
	}
}

// BenchmarkRegistryInForce answers which of 100 instruments, each with
// three versions and some suspended, are in force at a time.
func BenchmarkRegistryInForce(b *testing.B) {
	var versions []*Version
	var insts []*Instrument
	for i := range 100 {
		id := fmt.Sprintf("window-%03d", i)
		for n := 1; n <= 3; n++ {
			versions = append(versions, version(id, n, fmt.Sprintf("2026-%02d-01T00:00:00Z", n), 30, "2026-01-01T00:00:00Z"))
		}
		if i%3 == 0 {
			insts = append(insts, &Instrument{ID: id, Events: []StatusEvent{event(Suspended, "ru", "2026-02-10T00:00:00Z")}})
		}
	}
	reg := NewRegistry(versions, insts)
	at := time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if len(reg.InForce(at)) == 0 {
			b.Fatal("nothing in force")
		}
	}
}
