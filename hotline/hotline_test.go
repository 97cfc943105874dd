package hotline

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"truce/geo"
	"truce/incident"
	"truce/ledger"
	"truce/party"
)

var t0 = time.Date(2026, 1, 24, 3, 0, 0, 0, time.UTC)

func actor(id, partyID string, kind party.Kind, roles ...party.Role) Actor {
	return Actor{Member: &party.Member{ID: id, Party: partyID, Roles: roles}, Kind: kind}
}

var (
	uaRep   = actor("ua-rep", "ua", party.Belligerent, party.Representative)
	ruRep   = actor("ru-rep", "ru", party.Belligerent, party.Representative)
	uaMon   = actor("ua-monitor", "ua", party.Belligerent, party.MonitorRole)
	coord   = actor("ae-coord", "ae", party.Mediator, party.Coordinator)
	monitor = actor("ch-mon", "ch", party.Monitor, party.MonitorRole)
	viewer  = actor("un-viewer", "un", party.Observer, party.Viewer)
	ua      = &party.Party{ID: "ua", Kind: party.Belligerent}
)

func body(s string) Body { return Body{Text: incident.Text{Lang: "en", Text: s}} }

func open(t *testing.T, p OpenThread) *Thread {
	t.Helper()
	th, err := New(10, t0, uaRep, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func is(err, kind error) bool { return errors.Is(err, kind) }

func TestThreadLifecycle(t *testing.T) {
	th := open(t, OpenThread{Kind: Violation, To: CentreSide, Subject: "Shelling", Body: body("Shelling near the crew.")})
	if th.ID != "hl-10" || th.Party != "ua" || th.AckWithin != 900 || th.Messages[0].To != CentreSide || !th.Messages[0].Due.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("opened: %+v", th)
	}
	if !th.CanRead(uaMon.Member, uaMon.Kind) || th.CanRead(ruRep.Member, ruRep.Kind) || th.CanRead(viewer.Member, viewer.Kind) || !th.CanRead(monitor.Member, monitor.Kind) {
		t.Fatal("readers are the thread's party and the centre's staff")
	}
	if err := th.Acknowledge(11, t0.Add(time.Minute), uaRep, Ack{Thread: th.ID, Message: 1}); !is(err, ledger.ErrForbidden) {
		t.Fatalf("the sender acknowledged its own message: %v", err)
	}
	if err := th.Acknowledge(11, t0.Add(time.Minute), coord, Ack{Thread: th.ID, Message: 1}); err != nil {
		t.Fatal(err)
	}
	if err := th.Acknowledge(12, t0.Add(time.Minute), monitor, Ack{Thread: th.ID, Message: 1}); !is(err, ledger.ErrConflict) {
		t.Fatalf("acknowledged twice: %v", err)
	}
	if err := th.Post(13, t0.Add(2*time.Minute), uaMon, Say{Thread: th.ID, Body: body("x")}); !is(err, ledger.ErrForbidden) {
		t.Fatalf("a party member without the representative role wrote: %v", err)
	}
	if err := th.Post(13, t0.Add(2*time.Minute), monitor, Say{Thread: th.ID, Body: body("On our way.")}); err != nil {
		t.Fatal(err)
	}
	if m := th.Messages[1]; m.N != 2 || m.To != "ua" {
		t.Fatalf("reply: %+v", m)
	}
	if d := th.Deadlines(); len(d) != 1 || d[0].Message != 2 || d[0].To != "ua" || !d[0].Due.Equal(t0.Add(17*time.Minute)) {
		t.Fatalf("deadlines awaited: %+v", d)
	}
	a := th.Annotate(t0.Add(20 * time.Minute))
	if a.Overdue != 1 || !a.Messages[1].Overdue || th.Messages[1].Overdue {
		t.Fatalf("annotate: %d overdue; the stored thread must stay unannotated", a.Overdue)
	}
	if err := th.Close(14, t0.Add(time.Hour), uaRep, Resolve{Thread: th.ID}); err != nil {
		t.Fatal(err)
	}
	if d := th.Deadlines(); d != nil {
		t.Fatalf("a resolved thread awaits %+v", d)
	}
	if err := th.Post(15, t0.Add(time.Hour), uaRep, Say{Thread: th.ID, Body: body("x")}); !is(err, ledger.ErrConflict) {
		t.Fatalf("wrote on a resolved thread: %v", err)
	}
	f := Measure([]*Thread{th}, t0.Add(2*time.Hour))
	if len(f) != 2 || f[0].Party != "ua" || f[0].Overdue != 1 || f[1].Party != CentreSide || *f[1].AckMedianS != 60 || *f[0].ResolveMedianS != 3600 {
		t.Fatalf("figures: %+v", f)
	}
}

func TestOpenRules(t *testing.T) {
	p := OpenThread{Kind: Repair, To: "ua", Subject: "Crew", AckWithin: 120, Body: body("Crew at 10:00.")}
	th, err := New(1, t0, coord, p, ua)
	if err != nil || th.Party != "ua" || th.OpenedBy != CentreSide || th.AckWithin != 120 || th.Messages[0].To != "ua" {
		t.Fatalf("centre to ua: %+v %v", th, err)
	}
	if _, err := New(1, t0, uaMon, p, ua); !is(err, ledger.ErrForbidden) {
		t.Fatalf("a belligerent's monitor opened for the centre: %v", err)
	}
	if _, err := New(1, t0, coord, p, nil); err == nil {
		t.Fatal("opened to a party that does not exist")
	}
	p.To = CentreSide
	if _, err := New(1, t0, coord, p, nil); !is(err, ledger.ErrForbidden) {
		t.Fatalf("a coordinator without the representative role opened to the centre: %v", err)
	}
	for name, q := range map[string]OpenThread{
		"kind":         {Kind: "x", To: CentreSide, Subject: "s", Body: body("t")},
		"ack_within_s": {Kind: Other, To: CentreSide, Subject: "s", AckWithin: 59, Body: body("t")},
		"subject":      {Kind: Other, To: CentreSide, Subject: "", Body: body("t")},
		"text.text":    {Kind: Other, To: CentreSide, Subject: "s", Body: body("\u202e")},
		"place.geometry.type": {Kind: Other, To: CentreSide, Subject: "s", Body: Body{Text: body("t").Text,
			Place: &Place{Geometry: geo.Geometry{Type: "Polygon", Coordinates: json.RawMessage(`[]`)}}}},
		"place.geometry.coordinates[1]": {Kind: Other, To: CentreSide, Subject: "s", Body: Body{Text: body("t").Text,
			Place: &Place{Geometry: geo.Geometry{Type: "Point", Coordinates: json.RawMessage(`[30,95]`)}}}},
	} {
		_, err := q.Validate()
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != name {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzOpenThread: whatever opening payload decodes, validating it never
// panics, and a payload that validates keeps validating after a round trip.
func FuzzOpenThread(f *testing.F) {
	f.Add(`{"kind":"violation","to":"centre","subject":"Shelling","text":{"lang":"uk","text":"Обстріл"},"place":{"geometry":{"type":"Point","coordinates":[35.1,47.5]},"name":"Enerhodar"}}`)
	f.Add(`{"kind":"repair","to":"ua","subject":"Crew","ack_within_s":3600,"incidents":["inc-4"],"text":{"lang":"en","text":"x"},"evidence":[{"sha256":"` +
		"abababababababababababababababababababababababababababababababab" + `","name":"a.jpg","media_type":"image/jpeg","size":3}]}`)
	f.Add(`{"kind":"other","to":"centre","subject":"s","text":{"lang":"en","text":"x"},"place":{"geometry":{"type":"Point","coordinates":[NaN,1]}}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var p OpenThread
		if ledger.Decode([]byte(doc), &p) != nil {
			return
		}
		if _, err := p.Validate(); err != nil {
			return
		}
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var q OpenThread
		if err := ledger.Decode(raw, &q); err != nil {
			t.Fatalf("a valid payload does not decode again: %v\n%s", err, raw)
		}
		if _, err := q.Validate(); err != nil {
			t.Fatalf("a valid payload is refused after a round trip: %v\n%s", err, raw)
		}
	})
}
