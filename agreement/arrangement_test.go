package agreement

import (
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"truce/geo"
	"truce/incident"
	"truce/internal/shareddata"
	"truce/ledger"
)

var t0 = time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)

// corridor is a route request from one place to another.
func corridor(id string, from, to geo.Position, bufferM float64) RequestArrangement {
	coords, _ := json.Marshal([]geo.Position{from, to})
	return RequestArrangement{ID: id, Title: Texts{"en": "Corridor " + id}, Parties: []string{"ua", "ru"},
		From: t0.Format(time.RFC3339), Until: t0.Add(8 * time.Hour).Format(time.RFC3339),
		Arrangement: Arrangement{Purpose: "corridor", Shape: "route", BufferM: bufferM,
			Geometry: geo.Geometry{Type: "LineString", Coordinates: coords}, Deadline: t0.Add(time.Hour).Format(time.RFC3339)}}
}

func shellingAt(t *testing.T, lon, lat float64, at time.Time) Event {
	t.Helper()
	shape, err := geo.ParseShape(geo.Geometry{Type: "Point", Coordinates: []byte(fmt.Sprintf("[%g,%g]", lon, lat))})
	if err != nil {
		t.Fatal(err)
	}
	return Event{Type: incident.Shelling, Actor: "ru", At: at, Shape: shape}
}

// The humanitarian corridors of spring 2022, origin to destination, each
// become a route arrangement that validates, flags shelling on its route
// inside its window and nothing far off it or outside the window, and
// overlaps the corridors that share its origin.
func TestRealCorridors(t *testing.T) {
	f := shareddata.Open(t, "humanitarian-corridors-2022/humanitarian_corridors_ukraine_geocoded.csv")
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	num := func(row []string, name string) float64 {
		v, err := strconv.ParseFloat(row[col[name]], 64)
		if err != nil {
			t.Fatalf("%s %q: %v", name, row[col[name]], err)
		}
		return v
	}
	byOrigin := map[string][]*Zone{}
	n := 0
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		from := geo.Position{num(row, "from_longitude"), num(row, "from_latitude")}
		to := geo.Position{num(row, "to_longitude"), num(row, "to_latitude")}
		if from == to {
			continue // a place to itself is no route
		}
		req := corridor("hc-"+row[col["HC_ID"]], from, to, 5000)
		if err := req.Validate(t0); err != nil {
			t.Fatalf("corridor %s (%s → %s): %v", req.ID, row[col["from_name"]], row[col["to_name"]], err)
		}
		d, _ := req.Document()
		e, err := Compile(d)
		if err != nil {
			t.Fatal(err)
		}
		mid := geo.Position{(from[0] + to[0]) / 2, (from[1] + to[1]) / 2}
		if vs := e.Evaluate(shellingAt(t, from[0], from[1], t0.Add(time.Hour))); len(vs) == 0 || vs[0].Rule != RuleZone {
			t.Fatalf("corridor %s: shelling at its origin not flagged: %+v", req.ID, vs)
		}
		if vs := e.Evaluate(shellingAt(t, from[0], from[1], t0.Add(9*time.Hour))); len(vs) != 0 {
			t.Fatalf("corridor %s: flagged after its window", req.ID)
		}
		if vs := e.Evaluate(shellingAt(t, mid[0]+3, mid[1]+3, t0.Add(time.Hour))); len(vs) != 0 {
			t.Fatalf("corridor %s: flagged 300 km off its route", req.ID)
		}
		z, err := req.Arrangement.zone()
		if err != nil {
			t.Fatal(err)
		}
		if !z.Overlaps(z) {
			t.Fatalf("corridor %s does not overlap itself", req.ID)
		}
		origin := fmt.Sprint(from)
		for _, other := range byOrigin[origin] {
			if !z.Overlaps(other) {
				t.Fatalf("corridor %s does not overlap another from %s (%s)", req.ID, row[col["from_name"]], origin)
			}
		}
		byOrigin[origin] = append(byOrigin[origin], z)
		n++
	}
	if n < 200 {
		t.Fatalf("only %d corridors read", n)
	}
}

func TestZoneOverlap(t *testing.T) {
	line := func(lon float64, buffer float64) *Zone {
		req := corridor("x", geo.Position{lon, 47}, geo.Position{lon, 48}, buffer)
		z, err := req.Arrangement.zone()
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	area := func(lon float64) *Zone {
		a := Arrangement{Purpose: "repair", Shape: "area", Deadline: t0.Format(time.RFC3339),
			Geometry: geo.Geometry{Type: "Polygon", Coordinates: []byte(fmt.Sprintf("[[[%g,47.4],[%g,47.4],[%g,47.6],[%g,47.6],[%g,47.4]]]", lon, lon+0.1, lon+0.1, lon, lon))}}
		z, err := a.zone()
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	// 0.1° of longitude at 47.5° N is about 7.5 km.
	cases := []struct {
		name string
		a, b *Zone
		want bool
	}{
		{"parallel lines 7.5 km apart, 3 km buffers", line(35, 3000), line(35.1, 3000), false},
		{"parallel lines 7.5 km apart, 4 km buffers", line(35, 4000), line(35.1, 4000), true},
		{"line through an area", line(35.05, 100), area(35), true},
		{"line 3.8 km beside an area, 3 km buffer", line(34.95, 3000), area(35), false},
		{"line 3.8 km beside an area, 5 km buffer", line(34.95, 5000), area(35), true},
		{"areas apart", area(35), area(35.2), false},
		{"areas that share ground", area(35), area(35.05), true},
		{"area inside a larger one", area(35.02), func() *Zone {
			a := Arrangement{Purpose: "repair", Shape: "area", Deadline: t0.Format(time.RFC3339),
				Geometry: geo.Geometry{Type: "Polygon", Coordinates: []byte(`[[[34,46],[36,46],[36,49],[34,49],[34,46]]]`)}}
			z, _ := a.zone()
			return z
		}(), true},
	}
	for _, c := range cases {
		if got := c.a.Overlaps(c.b); got != c.want {
			t.Errorf("%s: overlaps %v, want %v", c.name, got, c.want)
		}
		if got := c.b.Overlaps(c.a); got != c.want {
			t.Errorf("%s (reversed): overlaps %v, want %v", c.name, got, c.want)
		}
	}
}

// FuzzRequestArrangement: any payload either fails with a field error or
// builds a document that validates and encodes canonically.
func FuzzRequestArrangement(f *testing.F) {
	seed, _ := json.Marshal(corridor("c1", geo.Position{37.5, 47.1}, geo.Position{35.1, 47.8}, 5000))
	f.Add(seed)
	f.Add([]byte(`{"id":"a","title":{"en":"x"},"parties":["ua"],"from":"2026-12-04T06:00:00Z","until":"2026-12-04T07:00:00Z","purpose":"repair","shape":"area","geometry":{"type":"Polygon","coordinates":[[[35,47],[35.1,47],[35.1,47.1],[35,47]]]},"deadline":"2026-12-04T06:30:00Z"}`))
	f.Add([]byte(`{"id":"a","shape":"route","geometry":{"type":"Point","coordinates":[1,2]},"buffer_m":1e308}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p RequestArrangement
		if err := ledger.Decode(data, &p); err != nil {
			return
		}
		if err := p.Validate(t0); err != nil {
			return
		}
		d, err := p.Document()
		if err != nil {
			t.Fatalf("valid request, no document: %v", err)
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("valid request, invalid document: %v", err)
		}
		if _, err := d.Canonical(); err != nil {
			t.Fatalf("canonical: %v", err)
		}
		if _, err := Compile(d); err != nil {
			t.Fatalf("compile: %v", err)
		}
	})
}

// BenchmarkJudgeArrangements judges one report against 1,000 active
// repair windows laid along a line of 1,000 km (one of them holds the
// report), beside an ed25519 verification in the same run, so that runs
// on a loaded machine compare.
func BenchmarkJudgeArrangements(b *testing.B) {
	var evs []*Evaluator
	var versions []*Version
	byID := map[string]*Evaluator{}
	for i := range 1000 {
		lon := 30 + float64(i)*0.013
		req := corridor(fmt.Sprintf("w%04d", i), geo.Position{lon, 47.5}, geo.Position{lon + 0.01, 47.6}, 500)
		req.Purpose, req.Shape = "repair", "line"
		d, err := req.Document()
		if err != nil {
			b.Fatal(err)
		}
		e, err := Compile(d)
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, e)
		signedAt := t0
		versions = append(versions, &Version{ID: d.ID, Version: 1, Document: *d, Signed: true, SignedAt: &signedAt})
		byID[d.ID] = e
	}
	reg := NewRegistry(versions, nil)
	shape, err := geo.ParseShape(geo.Geometry{Type: "Point", Coordinates: []byte(`[36.505,47.55]`)})
	if err != nil {
		b.Fatal(err)
	}
	ev := Event{Type: incident.Shelling, Actor: "ru", At: t0.Add(time.Hour), Shape: shape}
	b.Run("arrangements=1000", func(b *testing.B) {
		flagged := 0
		for b.Loop() {
			flagged = 0
			for _, e := range evs {
				flagged += len(e.Evaluate(ev))
			}
		}
		if flagged != 1 {
			b.Fatalf("%d flags, want 1", flagged)
		}
	})
	// As the centre judges: which instruments are in force at the
	// report's time, then each of them.
	b.Run("registry+arrangements=1000", func(b *testing.B) {
		for b.Loop() {
			flagged := 0
			for _, v := range reg.InForce(ev.At) {
				flagged += len(byID[v.ID].Evaluate(ev))
			}
			if flagged != 1 {
				b.Fatalf("%d flags, want 1", flagged)
			}
		}
	})
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 600) // about a signed report
	sig := ed25519.Sign(priv, msg)
	b.Run("ed25519-verify", func(b *testing.B) {
		for b.Loop() {
			if !ed25519.Verify(pub, msg, sig) {
				b.Fatal("does not verify")
			}
		}
	})
}

// A request that lapsed (its deadline passed without every guarantee)
// holds no ground; one still awaiting its guarantees does.
func TestLapsedRequestHoldsNoGround(t *testing.T) {
	req := corridor("first", geo.Position{35, 47}, geo.Position{35, 48}, 1000)
	d, err := req.Document()
	if err != nil {
		t.Fatal(err)
	}
	open := []Open{{Version: &Version{ID: "first", Version: 1, Document: *d}, Record: &ArrangementRecord{ID: "first"}}}
	again := corridor("second", geo.Position{35, 47}, geo.Position{35, 48}, 1000)
	d2, _ := again.Document()
	if err := overlapping(d2, "", open, t0.Add(-time.Hour)); err == nil {
		t.Fatal("an open request's ground was taken again")
	}
	if err := overlapping(d2, "", open, t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("a lapsed request still holds its ground: %v", err)
	}
}

// An evacuation over an area: its document is valid (a zone of areas
// alone needs no width), and it flags shelling inside the area in its
// window, and nothing outside.
func TestAreaArrangement(t *testing.T) {
	ring := `[[[35.10,47.80],[35.20,47.80],[35.20,47.88],[35.10,47.88],[35.10,47.80]]]`
	req := RequestArrangement{ID: "evac-area", Title: Texts{"en": "Evacuation"}, Parties: []string{"ua", "ru"},
		From: t0.Format(time.RFC3339), Until: t0.Add(6 * time.Hour).Format(time.RFC3339),
		Arrangement: Arrangement{Purpose: "evacuation", Shape: "area",
			Geometry: geo.Geometry{Type: "Polygon", Coordinates: []byte(ring)}, Deadline: t0.Add(time.Hour).Format(time.RFC3339)}}
	if err := req.Validate(t0); err != nil {
		t.Fatal(err)
	}
	d, err := req.Document()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("the area's document: %v", err)
	}
	e, err := Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	if vs := e.Evaluate(shellingAt(t, 35.15, 47.84, t0.Add(time.Hour))); len(vs) == 0 {
		t.Fatal("shelling inside the area is not flagged")
	}
	if vs := e.Evaluate(shellingAt(t, 35.40, 47.84, t0.Add(time.Hour))); len(vs) != 0 {
		t.Fatalf("shelling 15 km outside the area is flagged: %+v", vs)
	}
}

// A window seen as it stood at past times: a guarantee given later is
// pending then, the window is active only from its last guarantee (which
// came after its announced start), and during a pending extension the
// window holds on the guarantees of the version in force while the
// extension's own are listed apart.
func TestArrangementAsAt(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	stamp := func(d time.Duration) string { return at(d).Format(time.RFC3339) }
	req := corridor("c", geo.Position{35, 47}, geo.Position{35, 48}, 1000)
	d1, err := req.Document()
	if err != nil {
		t.Fatal(err)
	}
	signedAt := at(30 * time.Minute)
	v1 := &Version{ID: "c", Version: 1, Document: *d1, DraftedAt: at(-3 * time.Hour), Signed: true, SignedAt: &signedAt,
		Signatures: []Signature{{Party: "ua", Member: "ua-rep", At: stamp(-2 * time.Hour)}, {Party: "ru", Member: "ru-rep", At: stamp(30 * time.Minute)}}}
	req.Until = stamp(10 * time.Hour)
	d2, _ := req.Document()
	v2 := &Version{ID: "c", Version: 2, Document: *d2, DraftedAt: at(2 * time.Hour),
		Signatures: []Signature{{Party: "ua", Member: "ua-rep", At: stamp(2*time.Hour + 10*time.Minute)}}}
	until := at(10 * time.Hour)
	rec := &ArrangementRecord{ID: "c", Party: "ua", RequestedAt: at(-3 * time.Hour),
		Events: []ArrangementEvent{{Kind: "extend", Party: "ua", Version: 2, Until: &until, At: at(2 * time.Hour)}}}
	reg := NewRegistry([]*Version{v1, v2}, nil)

	if rec.Known(at(-4*time.Hour)) != nil {
		t.Fatal("an arrangement is listed before it was requested")
	}
	asAt := func(d time.Duration) ArrangementStatus {
		return StatusOf(rec.Known(at(d)), reg.Known(at(d)), at(d))
	}
	state := func(st ArrangementStatus) map[string]string {
		m := map[string]string{}
		for _, g := range st.Guarantees {
			m[g.Party] = g.State
		}
		return m
	}
	if st := asAt(-time.Hour); st.State != ArrRequested || state(st)["ua"] != "guaranteed" || state(st)["ru"] != "pending" || st.ExtensionPending != 0 {
		t.Fatalf("an hour before the window, ru's guarantee not yet given: %+v", st)
	}
	if st := asAt(10 * time.Minute); st.State != ArrRequested {
		t.Fatalf("after the announced start, before the last guarantee: %+v", st)
	}
	if reg.At("c", at(10*time.Minute)) != nil || reg.At("c", at(40*time.Minute)) != v1 {
		t.Fatal("the window is in force before its last guarantee, or not after it")
	}
	if st := asAt(time.Hour); st.State != ArrActive || st.Version != 1 || st.ExtensionPending != 0 {
		t.Fatalf("after both guarantees: %+v", st)
	}
	st := asAt(3 * time.Hour)
	if st.State != ArrActive || st.Version != 1 || state(st)["ru"] != "guaranteed" || st.ExtensionPending != 2 ||
		st.ExtensionUntil == nil || !st.ExtensionUntil.Equal(until) || !st.Until.Equal(at(8*time.Hour)) {
		t.Fatalf("during the extension: %+v", st)
	}
	ext := map[string]string{}
	for _, g := range st.ExtensionGuarantees {
		ext[g.Party] = g.State
	}
	if ext["ua"] != "guaranteed" || ext["ru"] != "pending" {
		t.Fatalf("the extension's guarantees: %+v", st.ExtensionGuarantees)
	}

	// Cancelled before it began: the window never opened, and its end is
	// not put before its start.
	cancelled := &ArrangementRecord{ID: "c", Party: "ua", RequestedAt: at(-3 * time.Hour),
		Events: []ArrangementEvent{{Kind: "cancel", Party: "centre", At: at(-time.Hour)}}}
	reg = NewRegistry([]*Version{v1}, []*Instrument{{ID: "c", Events: []StatusEvent{{Kind: Terminated, Party: "centre", From: at(-time.Hour), At: at(-time.Hour)}}}})
	if st := StatusOf(cancelled, reg, at(time.Hour)); st.State != ArrCancelled || st.Until.Before(st.From) {
		t.Fatalf("cancelled before it began: %+v", st)
	}
}
