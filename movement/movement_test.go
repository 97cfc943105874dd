package movement

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"truce/geo"
	"truce/hotline"
	"truce/ledger"
	"truce/party"
)

var t0 = time.Date(2026, 1, 24, 3, 0, 0, 0, time.UTC)

func actor(id, partyID string, kind party.Kind, roles ...party.Role) Actor {
	return Actor{Member: &party.Member{ID: id, Party: partyID, Roles: roles}, Kind: kind}
}

var (
	monitor = actor("ch-mon", "ch", party.Monitor, party.MonitorRole)
	uaRep   = actor("ua-rep", "ua", party.Belligerent, party.Representative)
	ru      = &party.Party{ID: "ru", Kind: party.Belligerent}
	place   = hotline.Place{Geometry: geo.Geometry{Type: "Point", Coordinates: json.RawMessage(`[35.28,47.43]`)}, Name: "Vasylivka"}
)

func TestRestrictionLifecycle(t *testing.T) {
	r := Record{Subtype: DenialOfAccess, Actor: "ru", Place: place, StartedAt: "2026-01-24T02:00:00Z", Checkpoint: "Checkpoint 7"}
	if _, err := New(5, t0, uaRep, r, ru); !errors.Is(err, ledger.ErrForbidden) {
		t.Fatalf("a belligerent recorded a restriction: %v", err)
	}
	if _, err := New(5, t0, monitor, r, nil); err == nil {
		t.Fatal("recorded against a party that does not exist")
	}
	rs, err := New(5, t0, monitor, r, ru)
	if err != nil || rs.ID != "rst-5" || rs.Status != Open || rs.ResolutionS != nil {
		t.Fatalf("recorded: %+v %v", rs, err)
	}
	if a := rs.Annotate(t0); a.OpenForS == nil || *a.OpenForS != 3600 {
		t.Fatalf("open for %v", a.OpenForS)
	}
	if err := rs.Finish(6, t0, monitor, End{EndedAt: "2026-01-24T01:00:00Z"}); err == nil {
		t.Fatal("ended before it started")
	}
	if err := rs.Finish(6, t0, monitor, End{EndedAt: "2026-01-24T02:30:00Z", Thread: "hl-3"}); err != nil {
		t.Fatal(err)
	}
	if rs.Status != Ended || *rs.ResolutionS != 1800 || rs.Thread != "hl-3" {
		t.Fatalf("ended: %+v", rs)
	}
	if err := rs.Finish(7, t0, monitor, End{EndedAt: "2026-01-24T02:40:00Z"}); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("ended twice: %v", err)
	}
	unknown, err := New(8, t0, monitor, Record{Subtype: UAVJamming, Actor: UnknownActor, Place: place, StartedAt: "2026-01-24T02:00:00Z"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := Count([]*Restriction{rs, unknown})
	if c.Total != 2 || c.Open != 1 || c.ByParty["ru"][DenialOfAccess] != 1 || c.ByParty[UnknownActor][UAVJamming] != 1 || c.ResolutionMedianS["ru"] != 1800 {
		t.Fatalf("counts: %+v", c)
	}
}

// FuzzRecord: whatever record payload decodes, validating it never panics,
// and a valid one stays valid after a round trip with the same interval.
func FuzzRecord(f *testing.F) {
	f.Add(`{"subtype":"denial_of_access","actor":"ru","place":{"geometry":{"type":"Point","coordinates":[35.28,47.43]}},"started_at":"2026-01-24T02:00:00Z"}`)
	f.Add(`{"subtype":"delay","actor":"unknown","checkpoint":"CP 7","place":{"geometry":{"type":"Point","coordinates":[35,47]},"name":"x"},"started_at":"2026-01-24T02:00:00Z","ended_at":"2026-01-24T02:00:00+01:00","thread":"hl-3"}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var r Record
		if ledger.Decode([]byte(doc), &r) != nil {
			return
		}
		start, end, err := r.Validate()
		if err != nil {
			return
		}
		if !end.IsZero() && end.Before(start) {
			t.Fatalf("valid with an end before its start: %s", doc)
		}
		raw, _ := json.Marshal(r)
		var q Record
		if err := ledger.Decode(raw, &q); err != nil {
			t.Fatalf("a valid payload does not decode again: %v", err)
		}
		s2, e2, err := q.Validate()
		if err != nil || !s2.Equal(start) || !e2.Equal(end) {
			t.Fatalf("round trip changed the record: %v", err)
		}
	})
}
