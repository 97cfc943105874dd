package incident

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"truce/geo"
	"truce/ledger"
	"truce/party"
)

func report() Report {
	return Report{Type: Missile, ObservedAt: "2026-01-24T01:30:00Z", ObservedUntil: "2026-01-24T05:00:00Z", TimePrecision: "hour",
		Location:    Location{Geometry: geo.Geometry{Type: "Point", Coordinates: json.RawMessage(`[30.52,50.45]`)}, PrecisionM: 2000, Place: "Kyiv"},
		Counts:      Counts{Launched: 12, Intercepted: 9},
		Weapon:      "Kh-22",
		Description: Text{Lang: "uk", Text: "Ракетний удар"}}
}

func actor(id, partyID string, kind party.Kind, roles ...party.Role) Actor {
	return Actor{Member: &party.Member{ID: id, Party: partyID, Roles: roles}, Kind: kind}
}

// The workflow accepts steps only in order and only from the right hands;
// a refused step leaves the incident as it was.
func TestWorkflowTransitions(t *testing.T) {
	at := time.Date(2026, 1, 24, 8, 0, 0, 0, time.UTC)
	rep := actor("ua-rep", "ua", party.Belligerent, party.Representative)
	ru := actor("ru-rep", "ru", party.Belligerent, party.Representative)
	coord := actor("coord", "ae", party.Mediator, party.Coordinator)
	mon := actor("mon", "ch", party.Monitor, party.MonitorRole)
	r := report()
	r.AllegedActor = "ru"
	inc, err := New(1, at, rep, r, &party.Party{ID: "ru"})
	if err != nil {
		t.Fatal(err)
	}
	expectConflict := func(err error) {
		t.Helper()
		if !errors.Is(err, ledger.ErrConflict) {
			t.Fatalf("got %v, want a conflict", err)
		}
	}
	before, _ := json.Marshal(inc)
	expectConflict(inc.Assign(2, at, coord, Assign{Monitors: []string{"mon"}}))
	expectConflict(inc.Publish(2, at, coord, Publish{}))
	if err := inc.Investigate(2, at, mon, Investigate{}); !errors.Is(err, ledger.ErrForbidden) {
		t.Fatalf("unassigned monitor investigates: %v", err)
	}
	if after, _ := json.Marshal(inc); string(after) != string(before) {
		t.Fatal("refused steps changed the incident")
	}
	steps := []func() error{
		func() error { return inc.Triage(3, at, coord, Triage{Priority: "high"}) },
		func() error { return inc.Assign(4, at, coord, Assign{Monitors: []string{"mon"}}) },
		func() error { return inc.Investigate(5, at, mon, Investigate{}) },
		func() error { return inc.AddResponse(6, at, ru, Respond{Text: Text{Lang: "ru", Text: "Нет"}}) },
		func() error {
			return inc.RecordFinding(7, at, mon, Finding{Outcome: "serious_violation", Attribution: "ru", Summary: Text{Lang: "en", Text: "Confirmed"}}, &party.Party{ID: "ru"})
		},
		func() error { return inc.Publish(8, at, coord, Publish{}) },
	}
	for i, s := range steps {
		if err := s(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if inc.Status != Published || len(inc.Steps) != 7 {
		t.Fatalf("status %s with %d steps", inc.Status, len(inc.Steps))
	}
	// The finding and the responses, as stored and served, name their
	// incident like the statements that made them.
	if inc.Finding == nil || inc.Finding.Incident != inc.ID || len(inc.Responses) != 1 || inc.Responses[0].Incident != inc.ID {
		t.Fatalf("finding %+v and responses %+v do not name %s", inc.Finding, inc.Responses, inc.ID)
	}
	expectConflict(inc.Triage(9, at, coord, Triage{Priority: "low"}))
	if err := inc.AddResponse(9, at, rep, Respond{Text: Text{Lang: "uk", Text: "?"}}); !errors.Is(err, ledger.ErrForbidden) {
		t.Fatalf("the reporting party responds as if accused: %v", err)
	}
}

func TestReportValidation(t *testing.T) {
	r := report()
	from, until, box, err := r.Validate()
	if err != nil || !until.After(from) || box != (geo.BBox{30.52, 50.45, 30.52, 50.45}) {
		t.Fatalf("%v %v %v %v", from, until, box, err)
	}
	r.ObservedUntil = "2026-01-23T00:00:00Z"
	if _, _, _, err := r.Validate(); err == nil {
		t.Fatal("interval ending before it starts accepted")
	}
}

// Labels (place, weapon, evidence names) are one line with nothing hidden;
// free text (the description, evidence notes, step notes) keeps line breaks
// and joiners but no controls or bidi overrides. Each refusal names its
// field and the character.
func TestReportText(t *testing.T) {
	ev := Evidence{SHA256: strings.Repeat("ab", 32), Name: "crater.jpg", MediaType: "image/jpeg", Size: 1}
	cases := []struct {
		edit  func(*Report)
		field string
	}{
		{func(r *Report) { r.Description.Text = "ok\u202eko" }, "description.text"},
		{func(r *Report) { r.Description.Text = "ok\x00" }, "description.text"},
		{func(r *Report) { r.Location.Place = "Kyiv\u200d" }, "location.place"},
		{func(r *Report) { r.Location.Place = "Kyiv\tKharkiv" }, "location.place"},
		{func(r *Report) { r.Weapon = "Kh-22\u2066" }, "weapon"},
		{func(r *Report) { e := ev; e.Name = "x\u202egpj.exe"; r.Evidence = []Evidence{e} }, "evidence[0].name"},
		{func(r *Report) { e := ev; e.MediaType = "image/jpeg\n"; r.Evidence = []Evidence{e} }, "evidence[0].media_type"},
		{func(r *Report) { e := ev; e.Note = "\x1b[2J"; r.Evidence = []Evidence{e} }, "evidence[0].note"},
		{func(r *Report) { e := ev; e.Source = "a\rb"; r.Evidence = []Evidence{e} }, "evidence[0].source"},
	}
	for _, c := range cases {
		r := report()
		c.edit(&r)
		_, _, _, err := r.Validate()
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Reason, "character ") {
			t.Errorf("%s: %v", c.field, err)
		}
	}
	r := report()
	r.Description.Text = "Рядок один\r\nрядок два\tі 👩\u200d💻"
	r.Location.Place = "Гуляйполе (Huliaipole)"
	if _, _, _, err := r.Validate(); err != nil {
		t.Fatalf("ordinary text refused: %v", err)
	}
	if err := note("bare\rreturn"); err == nil {
		t.Fatal("a note with a bare carriage return accepted")
	}
}

func FuzzReport(f *testing.F) {
	raw, _ := json.Marshal(report())
	f.Add(raw)
	f.Add([]byte(`{"type":"drone","location":{"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var r Report
		if ledger.Decode(in, &r) != nil {
			return
		}
		if _, _, _, err := r.Validate(); err != nil {
			var fe *ledger.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("not a field error: %v", err)
			}
		}
	})
}
