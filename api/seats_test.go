package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"truce/centre"
	"truce/incident"
	"truce/party"
	"truce/seat"
	st "truce/store/storetest"
)

// seatsEnv is a centre whose clock the test sets, with three monitoring
// countries (ch, tr, in) and their heads of mission added while no term
// was in force, and then an agreement in force whose monitoring term reads
// like the demo's: ch 2 seats (incidents, evidence, sites, zone), tr 2
// (incidents, evidence, zone), in 2 (incidents, evidence, hotline), with
// case consent.
type seatsEnv struct {
	*env
	clock *atomic.Int64 // Unix milliseconds
}

func (e *seatsEnv) set(t time.Time) { e.clock.Store(t.UnixMilli()) }
func (e *seatsEnv) now() time.Time  { return time.UnixMilli(e.clock.Load()).UTC() }

func newSeatsEnv(t *testing.T) *seatsEnv {
	t.Helper()
	clock := new(atomic.Int64)
	clock.Store(time.Now().UnixMilli())
	e := &seatsEnv{env: newEnvAt(t, func() time.Time { return time.UnixMilli(clock.Load()) }), clock: clock}
	ctx := context.Background()
	for _, p := range []party.Register{{ID: "tr", Name: "Türkiye", Kind: party.Monitor}, {ID: "in", Name: "India", Kind: party.Monitor}} {
		if _, err := e.f.Centre.RegisterParty(ctx, p, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []centre.NewMember{
		{ID: "ch-head", Party: "ch", Name: "Swiss head of mission", Roles: []party.Role{party.Representative}},
		{ID: "tr-head", Party: "tr", Name: "Turkish head of mission", Roles: []party.Role{party.Representative}},
		{ID: "tr-monitor", Party: "tr", Name: "Turkish monitor", Roles: []party.Role{party.MonitorRole}},
		{ID: "in-head", Party: "in", Name: "Indian head of mission", Roles: []party.Role{party.Representative}},
		{ID: "in-monitor", Party: "in", Name: "Indian monitor", Roles: []party.Role{party.MonitorRole}},
	} {
		tok, _, err := e.f.Centre.AddMember(ctx, m)
		if err != nil {
			t.Fatalf("add %s: %v", m.ID, err)
		}
		e.f.Tokens[m.ID] = tok
	}
	// Added while no term was in force: the founding parties decided.
	var seats centre.SeatsView
	e.must(e.get("/v1/seats", st.UARep), 200).json(t, &seats)
	if seats.Basis != seat.Founding {
		t.Fatalf("before any term: basis %q", seats.Basis)
	}
	monitor := func(p string, n int, access ...string) map[string]any {
		return map[string]any{"party": p, "representatives": n, "access": access}
	}
	doc := map[string]any{"format": "truce/agreement/v1", "id": "truce", "version": 1, "title": map[string]string{"en": "Truce"}, "parties": []string{"ua", "ru"},
		"terms": []any{
			map[string]any{"id": "1", "type": "effective", "from": e.now().Add(-time.Hour).Format(time.RFC3339)},
			map[string]any{"id": "2", "type": "reference_line", "geometry": map[string]any{"type": "LineString", "coordinates": [][]float64{{35, 47}, {36, 47.5}}}},
			map[string]any{"id": "3", "type": "protected_sites", "radius_km": 30, "sites": []any{map[string]any{"id": "znpp", "name": "ZNPP", "kind": "nuclear", "lon": 34.58, "lat": 47.51}}},
			map[string]any{"id": "8", "type": "monitoring", "case_consent": true, "monitors": []any{
				monitor("ch", 2, "incidents", "evidence", "sites", "zone"), monitor("tr", 2, "incidents", "evidence", "zone"), monitor("in", 2, "incidents", "evidence", "hotline")}},
		}}
	e.must(e.post("/v1/agreements", st.USMed, map[string]any{"agreement": doc}), 201)
	e.must(e.post("/v1/agreements/truce/sign", st.UARep, map[string]any{}), 201)
	e.must(e.post("/v1/agreements/truce/sign", st.RURep, map[string]any{}), 201)
	e.must(e.get("/v1/seats", st.UARep), 200).json(t, &seats)
	if seats.Basis != "truce/8" {
		t.Fatalf("under the term: basis %q", seats.Basis)
	}
	return e
}

// refused posts and wants a problem of status naming field (and term, if
// given), with nothing appended.
func (e *seatsEnv) refused(path, who string, body any, status int, field, term string) {
	e.t.Helper()
	size := e.size()
	r := e.post(path, who, body)
	if r.status != status {
		e.t.Fatalf("%s by %s: status %d, want %d: %s", path, who, r.status, status, r.body)
	}
	p := problemOf(e.t, r)
	if p.Field != field || p.Term != term {
		e.t.Fatalf("%s by %s: field %q term %q, want %q %q: %s", path, who, p.Field, p.Term, field, term, r.body)
	}
	if e.size() != size {
		e.t.Fatalf("%s by %s: a refusal appended to the ledger", path, who)
	}
}

func (e *seatsEnv) accredit(by, member string, until time.Time) string {
	e.t.Helper()
	var out struct{ Record seat.Accreditation }
	e.must(e.post("/v1/seats/accreditations", by, map[string]any{"member": member, "until": until.Format(time.RFC3339)}), 201).json(e.t, &out)
	return out.Record.ID
}

// Seats follow the term: members and accreditations beyond it, from the
// wrong party, and consent from a non-belligerent are refused, naming the
// field (and the term), and nothing is stored.
func TestSeatsFollowTheTerm(t *testing.T) {
	e := newSeatsEnv(t)
	// ch has Mon1, Mon2 and its head, added before the term: more than its two seats.
	e.refused("/v1/members", centre.OperatorID, map[string]any{"id": "ch-four", "party": "ch", "name": "Fourth", "roles": []string{"monitor"}}, 422, "party", "truce/8")
	e.must(e.post("/v1/parties", centre.OperatorID, map[string]any{"id": "no", "name": "Norway", "kind": "monitor"}), 201)
	e.refused("/v1/members", centre.OperatorID, map[string]any{"id": "no-monitor", "party": "no", "name": "Norwegian monitor", "roles": []string{"monitor"}}, 422, "party", "truce/8")
	// Other parties are not seats of the term.
	e.must(e.post("/v1/members", centre.OperatorID, map[string]any{"id": "ua-three", "party": "ua", "name": "Third", "roles": []string{"representative"}}), 201)

	until := e.now().Add(24 * time.Hour)
	e.refused("/v1/seats/accreditations", "ch-head", map[string]any{"member": st.UARep, "until": until.Format(time.RFC3339)}, 403, "member", "")
	e.refused("/v1/seats/accreditations", "ch-head", map[string]any{"member": "tr-monitor", "until": until.Format(time.RFC3339)}, 403, "member", "")
	e.refused("/v1/seats/accreditations", st.UARep, map[string]any{"member": st.UARep, "until": until.Format(time.RFC3339)}, 403, "", "")
	e.refused("/v1/seats/accreditations", "ch-head", map[string]any{"member": st.Mon1, "until": "soon"}, 422, "until", "")
	e.refused("/v1/seats/accreditations", "ch-head", map[string]any{"member": st.Mon1, "until": e.now().Add(-time.Hour).Format(time.RFC3339)}, 422, "until", "")
	a1 := e.accredit("ch-head", st.Mon1, until)
	e.accredit("ch-head", st.Mon2, until)
	// A third member seated at once is beyond the seats; a renewal is not.
	e.refused("/v1/seats/accreditations", "ch-head", map[string]any{"member": "ch-head", "until": until.Format(time.RFC3339)}, 422, "member", "truce/8")
	var renewed struct{ Record seat.Accreditation }
	e.must(e.post("/v1/seats/accreditations", "ch-head", map[string]any{"member": st.Mon1, "until": until.Add(time.Hour).Format(time.RFC3339), "replaces": a1}), 201).json(t, &renewed)
	if renewed.Record.Renews != a1 || renewed.Record.Basis != "truce/8" {
		t.Fatalf("renewal: %+v", renewed.Record)
	}
	e.refused("/v1/seats/accreditations", "ch-head", map[string]any{"member": st.Mon1, "until": until.Format(time.RFC3339), "replaces": a1}, 409, "", "")

	e.refused("/v1/seats/consents", st.USMed, map[string]any{"country": "ch", "decision": "consent"}, 403, "party", "")
	e.refused("/v1/seats/consents", st.Mon1, map[string]any{"country": "ch", "decision": "consent"}, 403, "party", "")
	e.refused("/v1/seats/consents", st.UARep, map[string]any{"country": "us", "decision": "consent"}, 422, "country", "")
	e.refused("/v1/seats/consents", st.UARep, map[string]any{"country": "ch", "decision": "maybe"}, 422, "decision", "")
	e.refused("/v1/seats/consents", st.UARep, map[string]any{"country": "ch", "decision": "object", "monitor": st.Mon1}, 422, "incident", "")

	// Assignment: the belligerents must have consented, and an objection
	// to a monitor taking the case refuses it.
	inc := e.report(st.UARep)
	e.must(e.post("/v1/incidents/"+inc+"/triage", st.Coord, map[string]any{"priority": "high"}), 201)
	e.refused("/v1/incidents/"+inc+"/assign", st.Coord, map[string]any{"monitors": []string{st.Mon1}}, 422, "monitors[0]", "truce/8")
	for _, p := range []string{st.UARep, st.RURep} {
		e.must(e.post("/v1/seats/consents", p, map[string]any{"country": "ch", "decision": "consent"}), 201)
	}
	e.must(e.post("/v1/seats/consents", st.RURep, map[string]any{"country": "ch", "decision": "object", "monitor": st.Mon2, "incident": inc, "note": "Not this officer."}), 201)
	e.refused("/v1/incidents/"+inc+"/assign", st.Coord, map[string]any{"monitors": []string{st.Mon2}}, 422, "monitors[0]", "")
	e.must(e.post("/v1/incidents/"+inc+"/assign", st.Coord, map[string]any{"monitors": []string{st.Mon1}}), 201)

	var seats centre.SeatsView
	e.must(e.get("/v1/seats", st.Viewer), 200).json(t, &seats)
	i := slices.IndexFunc(seats.Countries, func(c centre.Country) bool { return c.Party.ID == "ch" })
	ch := seats.Countries[i]
	if ch.Seats != 2 || ch.Held != 2 || ch.Members != 3 || ch.Consent.Parties["ru"].Decision != "consent" || len(ch.Consent.Cases) != 1 {
		t.Fatalf("ch's seats: %+v", ch)
	}
}

// Restricted evidence: only the parties named on the incident, its
// assigned monitors and the centre's coordinators read it, and every read
// is on the ledger, the custody trail.
func TestCustodyTrail(t *testing.T) {
	e := newSeatsEnv(t)
	e.accredit("ch-head", st.Mon1, e.now().Add(24*time.Hour))
	for _, p := range []string{st.UARep, st.RURep} {
		e.must(e.post("/v1/seats/consents", p, map[string]any{"country": "ch", "decision": "consent"}), 201)
	}
	inc := e.report(st.UARep)
	e.must(e.post("/v1/incidents/"+inc+"/triage", st.Coord, map[string]any{"priority": "high"}), 201)
	e.must(e.post("/v1/incidents/"+inc+"/assign", st.Coord, map[string]any{"monitors": []string{st.Mon1}}), 201)
	up := e.must(e.do("POST", "/v1/evidence", st.UARep, "casualty list", "application/octet-stream"), 201)
	var blob struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	up.json(t, &blob)
	e.must(e.post("/v1/incidents/"+inc+"/evidence", st.UARep, map[string]any{"restricted": true,
		"evidence": map[string]any{"sha256": blob.SHA256, "size": blob.Size, "name": "list.txt", "media_type": "text/plain"}}), 201)

	var readers []string
	for _, c := range []struct {
		who  string
		want int
	}{
		{st.UARep, 200}, {st.RURep, 200}, {st.Mon1, 200}, {centre.OperatorID, 200}, {st.UARep, 200},
		{st.Mon2, 404}, {st.USMed, 404}, {st.Coord, 404}, {st.Viewer, 404}, {"", 404}, {"tr-monitor", 404},
	} {
		size := e.size()
		r := e.get("/v1/evidence/"+blob.SHA256, c.who)
		if r.status != c.want {
			t.Fatalf("%s: status %d, want %d", c.who, r.status, c.want)
		}
		switch {
		case c.want == 200 && (string(r.body) != "casualty list" || e.size() != size+1):
			t.Fatalf("%s read the file: %q, ledger %d → %d", c.who, r.body, size, e.size())
		case c.want == 200:
			readers = append(readers, c.who)
		case e.size() != size:
			t.Fatalf("%s was refused, and the ledger grew", c.who)
		}
	}
	// Every read is there, in order, and nothing else.
	var trail struct {
		Restricted []seat.Restriction
		Reads      []seat.Custody
	}
	e.must(e.get("/v1/custody?incident="+inc, st.RURep), 200).json(t, &trail)
	var got []string
	for _, r := range trail.Reads {
		got = append(got, r.Reader)
		if r.SHA256 != blob.SHA256 || r.Incident != inc {
			t.Fatalf("read: %+v", r)
		}
	}
	if !slices.Equal(got, readers) || len(trail.Restricted) != 1 || trail.Restricted[0].Party != "ua" {
		t.Fatalf("custody trail %v (restricted %+v), want %v", got, trail.Restricted, readers)
	}
	e.must(e.get("/v1/custody?incident="+inc, st.Viewer), 403)
	e.must(e.get("/v1/custody?incident=x", st.RURep), 400)
	// The trail is on the ledger, signed by the centre.
	var page struct{ Items []StatementEntry }
	e.must(e.get("/v1/statements?limit=1000", st.UARep), 200).json(t, &page)
	n := 0
	for _, it := range page.Items {
		if it.Statement.Type == seat.TypeRead {
			n++
			if it.Statement.Party != party.CentreID {
				t.Fatalf("a read recorded by %s", it.Statement.Party)
			}
		}
	}
	if n != len(readers) {
		t.Fatalf("%d evidence.read statements, want %d", n, len(readers))
	}
}

// StatementEntry is a ledger entry as /v1/statements lists it.
type StatementEntry struct {
	Seq       uint64 `json:"seq"`
	Statement struct {
		Type  string `json:"type"`
		Party string `json:"party"`
	} `json:"statement"`
}

// The press viewer sees no unpublished incident or evidence: not in lists,
// not by ID, not on the map, not by its evidence, not on the event stream.
func TestPressViewerSeesPublishedOnly(t *testing.T) {
	e := newEnv(t)
	published := e.f.Walk(t)
	private := e.report(st.UARep)
	up := e.must(e.do("POST", "/v1/evidence", st.UARep, "unpublished photo", "application/octet-stream"), 201)
	var blob struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	up.json(t, &blob)
	e.must(e.post("/v1/incidents/"+private+"/evidence", st.UARep, map[string]any{"evidence": map[string]any{"sha256": blob.SHA256, "size": blob.Size, "name": "p.jpg", "media_type": "image/jpeg"}}), 201)
	e.must(e.get("/v1/evidence/"+blob.SHA256, st.UARep), 200)
	for _, who := range []string{st.Viewer, ""} {
		e.must(e.get("/v1/incidents/"+private, who), 404)
		e.must(e.get("/v1/incidents/"+private+"/history", who), 404)
		e.must(e.get("/v1/evidence/"+blob.SHA256, who), 404)
		e.must(e.get("/v1/incidents/"+published, who), 200)
		var page struct{ Items []incident.Incident }
		e.must(e.get("/v1/incidents?limit=1000", who), 200).json(t, &page)
		if len(page.Items) != 1 || page.Items[0].ID != published {
			t.Fatalf("%q lists %d incidents", who, len(page.Items))
		}
		var fc struct {
			Features []struct {
				Properties struct{ Count int }
			}
		}
		e.must(e.get("/v1/map?zoom=2&bbox=-180,-90,180,90", who), 200).json(t, &fc)
		n := 0
		for _, f := range fc.Features {
			n += f.Properties.Count
		}
		if n != 1 {
			t.Fatalf("%q sees %d incidents on the map", who, n)
		}
	}
	// The event stream from the start: publications only.
	size := e.size()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/events?from=0", nil)
	req.Header.Set("Authorization", "Bearer "+e.f.Tokens[st.Viewer])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// A last publication marks the end of what the viewer may hear.
	last := e.report(st.UARep)
	e.must(e.post("/v1/incidents/"+last+"/triage", st.Coord, map[string]any{"priority": "high"}), 201)
	e.must(e.post("/v1/incidents/"+last+"/assign", st.Coord, map[string]any{"monitors": []string{st.Mon1}}), 201)
	e.must(e.post("/v1/incidents/"+last+"/investigate", st.Mon1, map[string]any{}), 201)
	e.must(e.post("/v1/incidents/"+last+"/finding", st.Mon1, map[string]any{"outcome": "inconclusive", "attribution": "unknown",
		"summary": map[string]string{"lang": "en", "text": "No access."}}), 201)
	e.must(e.post("/v1/incidents/"+last+"/publish", st.Coord, map[string]any{}), 201)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	heard := 0
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var v StatementEntry
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatal(err)
		}
		if v.Statement.Type != incident.TypePublish {
			t.Fatalf("the viewer heard %s at %d", v.Statement.Type, v.Seq)
		}
		heard++
		if v.Seq >= size {
			break
		}
	}
	if heard != 2 {
		t.Fatalf("the viewer heard %d publications, want 2", heard)
	}
}
