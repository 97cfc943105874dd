package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"truce/alert"
	"truce/centre"
	"truce/incident"
	"truce/seat"
	st "truce/store/storetest"
)

// The authorization matrix: every role × write endpoint × own/other party.
// Each cell gets a fresh incident in the state its step needs, so that only
// the caller decides the outcome; a refused call changes nothing.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	actors := []string{st.UARep, st.UAMonitor, st.RURep, st.Coord, st.USMed, st.Mon1, st.Mon2, st.Viewer, centre.OperatorID, ""}

	// states: bring a report by ua (alleging ru) to the state a step needs.
	reported := func() string { return e.report(st.UARep) }
	triaged := func() string {
		id := reported()
		e.must(e.post("/v1/incidents/"+id+"/triage", st.Coord, map[string]any{"priority": "high"}), 201)
		return id
	}
	assigned := func() string {
		id := triaged()
		e.must(e.post("/v1/incidents/"+id+"/assign", st.Coord, map[string]any{"monitors": []string{st.Mon1}}), 201)
		return id
	}
	investigating := func() string {
		id := assigned()
		e.must(e.post("/v1/incidents/"+id+"/investigate", st.Mon1, map[string]any{}), 201)
		return id
	}
	found := func() string {
		id := investigating()
		e.must(e.post("/v1/incidents/"+id+"/finding", st.Mon1, map[string]any{"outcome": "inconclusive", "attribution": "unknown",
			"summary": map[string]string{"lang": "en", "text": "Could not reach the site."}}), 201)
		return id
	}
	up := e.must(e.do("POST", "/v1/evidence", st.UARep, "crater photo bytes", "application/octet-stream"), 201)
	var blob struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	up.json(t, &blob)

	n := 0
	unique := func(prefix string) string { n++; return fmt.Sprintf("%s%d", prefix, n) }
	type cell struct {
		endpoint string
		setup    func() string // returns the incident ID, or "" when none is needed
		path     string        // %s is the incident ID
		body     func() any
		allowed  []string
	}
	cells := []cell{
		{"report", nil, "/v1/incidents", func() any { return st.Report() },
			[]string{st.UARep, st.UAMonitor, st.RURep, st.Coord, st.USMed, st.Mon1, st.Mon2, centre.OperatorID}},
		{"triage", reported, "/v1/incidents/%s/triage", func() any { return map[string]any{"priority": "normal"} },
			[]string{st.Coord, st.USMed, st.Mon1, st.Mon2, centre.OperatorID}},
		{"assign", triaged, "/v1/incidents/%s/assign", func() any { return map[string]any{"monitors": []string{st.Mon2}} },
			[]string{st.Coord, st.USMed, centre.OperatorID}},
		{"investigate", assigned, "/v1/incidents/%s/investigate", func() any { return map[string]any{} },
			[]string{st.Mon1}},
		{"finding", investigating, "/v1/incidents/%s/finding", func() any {
			return map[string]any{"outcome": "minor_violation", "attribution": "ru", "summary": map[string]string{"lang": "en", "text": "Confirmed."}}
		}, []string{st.Mon1}},
		{"publish", found, "/v1/incidents/%s/publish", func() any { return map[string]any{} },
			[]string{st.Coord, st.USMed, centre.OperatorID}},
		{"respond", reported, "/v1/incidents/%s/responses", func() any {
			return map[string]any{"text": map[string]string{"lang": "ru", "text": "Не подтверждаем."}}
		}, []string{st.RURep}},
		{"evidence", reported, "/v1/incidents/%s/evidence", func() any {
			return map[string]any{"evidence": map[string]any{"sha256": blob.SHA256, "size": blob.Size, "name": "crater.jpg", "media_type": "image/jpeg"}}
		}, []string{st.UARep, st.UAMonitor, st.RURep, st.Coord, st.USMed, centre.OperatorID}},
		{"link", reported, "/v1/incidents/%s/links", nil,
			[]string{st.Coord, st.USMed, st.Mon1, st.Mon2, centre.OperatorID}},
		{"register party", nil, "/v1/parties", func() any { return map[string]any{"id": unique("p"), "name": "New party", "kind": "observer"} },
			[]string{centre.OperatorID}},
		{"add member", nil, "/v1/members", func() any {
			return map[string]any{"id": unique("m"), "party": "ua", "name": "New", "roles": []string{"viewer"}}
		},
			[]string{centre.OperatorID}},
		{"record round", nil, "/v1/rounds", func() any {
			return map[string]any{"id": unique("r"), "title": "Round", "start": "2026-02-01", "place": "Abu Dhabi", "format": "trilateral",
				"participants": []string{"ua", "ru", "us"}, "joint_statement": false}
		}, []string{st.Coord, st.USMed, centre.OperatorID}},
	}
	// Arrangements: each cell gets its own window, hours apart, so that
	// none overlaps another.
	requested := func() string {
		id := unique("arr")
		e.must(e.post("/v1/arrangements", st.UARep, windowAt(id, time.Now().Add(time.Duration(n)*4*time.Hour))), 201)
		return id
	}
	guaranteed := func() string {
		id := requested()
		e.must(e.post("/v1/arrangements/"+id+"/guarantee", st.UARep, map[string]any{}), 201)
		e.must(e.post("/v1/arrangements/"+id+"/guarantee", st.RURep, map[string]any{}), 201)
		return id
	}
	// Callers refused with another status than 403: a party that was not
	// asked to guarantee, or that gave no guarantee to withdraw, is bad input.
	refused := map[string]map[string]int{"guarantee": {st.USMed: 422}, "respond arrangement": {st.USMed: 422}, "withdraw": {st.USMed: 422}}
	reason := func() any { return map[string]any{"reason": "Crew withdrawn."} }
	cells = append(cells,
		cell{"request arrangement", nil, "/v1/arrangements", func() any {
			return windowAt(unique("arr"), time.Now().Add(time.Duration(n)*4*time.Hour))
		}, []string{st.UARep, st.RURep, st.Coord, st.USMed, centre.OperatorID}},
		cell{"guarantee", requested, "/v1/arrangements/%s/guarantee", func() any { return map[string]any{} },
			[]string{st.UARep, st.RURep}},
		cell{"respond arrangement", requested, "/v1/arrangements/%s/respond", func() any { return map[string]any{"response": "decline", "text": "Not now."} },
			[]string{st.UARep, st.RURep}},
		cell{"withdraw", guaranteed, "/v1/arrangements/%s/withdraw", reason,
			[]string{st.UARep, st.RURep}},
		cell{"extend", requested, "/v1/arrangements/%s/extend", func() any {
			return map[string]any{"until": time.Now().Add(time.Duration(n)*4*time.Hour + 3*time.Hour + 30*time.Minute).UTC().Format(time.RFC3339)}
		}, []string{st.UARep, centre.OperatorID}},
		cell{"cut", requested, "/v1/arrangements/%s/cut", func() any {
			return map[string]any{"until": time.Now().Add(time.Duration(n)*4*time.Hour + time.Hour).UTC().Format(time.RFC3339), "reason": "Done early."}
		}, []string{st.UARep, centre.OperatorID}},
		cell{"cancel", requested, "/v1/arrangements/%s/cancel", reason, []string{centre.OperatorID}},
		cell{"check-in", requested, "/v1/arrangements/%s/checkins", func() any { return map[string]any{"side": "ru"} },
			[]string{st.Mon1, st.Mon2}},
		cell{"close", requested, "/v1/arrangements/%s/close", func() any { return map[string]any{"outcome": "aborted", "reason": "Not guaranteed."} },
			[]string{st.UARep, centre.OperatorID}},

		// Seats: a monitoring country's representatives accredit its own
		// members (the fixture's ch has monitors only); the belligerents'
		// representatives consent.
		cell{"accredit", nil, "/v1/seats/accreditations", func() any {
			return map[string]any{"member": st.Mon1, "until": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}
		}, nil},
		cell{"consent", nil, "/v1/seats/consents", func() any { return map[string]any{"country": "ch", "decision": "consent"} },
			[]string{st.UARep, st.RURep}},
	)
	for _, c := range cells {
		for _, who := range actors {
			name := who
			if name == "" {
				name = "anonymous"
			}
			t.Run(c.endpoint+"/"+name, func(t *testing.T) {
				id := ""
				if c.setup != nil {
					id = c.setup()
				}
				path := c.path
				if strings.Contains(path, "%s") {
					path = fmt.Sprintf(path, id)
				}
				var body any
				if c.body != nil {
					body = c.body()
				} else { // link: another report of the same event
					body = map[string]any{"with": reported()}
				}
				size := e.size()
				r := e.post(path, who, body)
				want := http.StatusForbidden
				switch {
				case slices.Contains(c.allowed, who):
					want = http.StatusCreated
				case who == "":
					want = http.StatusUnauthorized
				case refused[c.endpoint][who] != 0:
					want = refused[c.endpoint][who]
				}
				if r.status != want {
					t.Fatalf("%s by %s: status %d, want %d: %s", c.endpoint, name, r.status, want, r.body)
				}
				if want != http.StatusCreated {
					problemOf(t, r)
					if e.size() != size {
						t.Fatal("a refused call appended to the ledger")
					}
				}
			})
		}
	}
}

// Reads: members see every record, anonymous callers and viewers only
// published ones, and the ledger itself needs a member who reads
// incidents.
func TestReadVisibility(t *testing.T) {
	e := newEnv(t)
	published := e.f.Walk(t)
	private := e.report(st.UARep)
	for _, who := range []string{st.UARep, st.RURep, st.Mon1} {
		e.must(e.get("/v1/incidents/"+private, who), 200)
		e.must(e.get("/v1/statements?limit=5", who), 200)
		e.must(e.get("/v1/members", who), 200)
	}
	e.must(e.get("/v1/incidents/"+private, st.Viewer), 404)
	e.must(e.get("/v1/incidents/"+published, st.Viewer), 200)
	e.must(e.get("/v1/statements?limit=5", st.Viewer), 403)
	e.must(e.get("/v1/members", st.Viewer), 200)
	e.must(e.get("/v1/incidents/"+private, ""), 404)
	e.must(e.get("/v1/incidents/"+private+"/history", ""), 404)
	e.must(e.get("/v1/incidents/"+published, ""), 200)
	e.must(e.get("/v1/incidents/"+published+"/history", ""), 200)
	e.must(e.get("/v1/statements", ""), 401)
	e.must(e.get("/v1/members", ""), 401)
	var page struct {
		Items []incident.Incident `json:"items"`
	}
	e.must(e.get("/v1/incidents?limit=1000", ""), 200).json(t, &page)
	for _, inc := range page.Items {
		if inc.Status != incident.Published {
			t.Fatalf("anonymous listing shows %s (%s)", inc.ID, inc.Status)
		}
	}
	if len(page.Items) != 1 {
		t.Fatalf("anonymous listing has %d incidents, want 1", len(page.Items))
	}
}

// A client-signed statement must be by the token's own member: a token
// from one party cannot submit another party's statements, even signed.
func TestSubmitOtherMembersStatement(t *testing.T) {
	e := newEnv(t)
	s := e.sign(t, st.UARep, incident.TypeReport, st.Report())
	size := e.size()
	r := e.post("/v1/statements", st.RURep, s.Seal())
	if r.status != 403 {
		t.Fatalf("status %d, want 403: %s", r.status, r.body)
	}
	if e.size() != size {
		t.Fatal("refused statement appended")
	}
	e.must(e.post("/v1/statements", st.UARep, s.Seal()), 201)
	// A viewer's own signed report is refused too.
	v := e.sign(t, st.Viewer, incident.TypeReport, st.Report())
	e.must(e.post("/v1/statements", st.Viewer, v.Seal()), 403)
}

// The matrix's third dimension: a monitoring country's access list. Under
// a term like the demo's, each country's accredited monitor reads what its
// list names and nothing more; viewers read published material; members
// of other parties read everything.
// And the instant an accreditation ends, so does what it gave.
func TestAccessListMatrix(t *testing.T) {
	e := newSeatsEnv(t)
	inc := e.report(st.UARep)
	up := e.must(e.do("POST", "/v1/evidence", st.UARep, "a file", "application/octet-stream"), 201)
	var blob struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	up.json(t, &blob)
	e.must(e.post("/v1/incidents/"+inc+"/evidence", st.UARep, map[string]any{"evidence": map[string]any{"sha256": blob.SHA256, "size": blob.Size, "name": "f.txt", "media_type": "text/plain"}}), 201)
	var thread struct{ Record struct{ ID string } }
	e.must(e.post("/v1/hotline", st.UARep, map[string]any{"kind": "other", "to": "centre", "subject": "Test", "text": map[string]string{"lang": "en", "text": "Hello."}}), 201).json(t, &thread)

	end := e.now().Add(time.Hour).Truncate(time.Second)
	for _, who := range [][2]string{{"ch-head", st.Mon1}, {"tr-head", "tr-monitor"}, {"in-head", "in-monitor"}} {
		e.accredit(who[0], who[1], end)
	}
	type reads struct{ incidents, evidence, sites, zone, hotline bool }
	check := func(who string, want reads) {
		t.Helper()
		ok := func(r response) bool { return r.status == 200 }
		var view struct {
			Withheld []string `json:"withheld"`
		}
		e.must(e.get("/v1/agreements/truce", who), 200).json(t, &view)
		got := reads{
			incidents: ok(e.get("/v1/incidents/"+inc, who)),
			evidence:  ok(e.get("/v1/evidence/"+blob.SHA256, who)),
			sites:     !slices.Contains(view.Withheld, "sites"),
			zone:      !slices.Contains(view.Withheld, "zone"),
			hotline:   ok(e.get("/v1/hotline/"+thread.Record.ID, who)),
		}
		if got != want {
			t.Errorf("%s reads %+v, want %+v", who, got, want)
		}
		e.must(e.get("/v1/plans/compare?plans=truce,truce", who), 200) // what is withheld is summed up, not read
		file := e.get("/v1/agreements/truce/file", who).status
		if (want.sites && want.zone) != (file == 200) {
			t.Errorf("%s: the signed file: %d", who, file)
		}
	}
	all := reads{true, true, true, true, true}
	check(st.Mon1, reads{true, true, true, true, false})
	check("tr-monitor", reads{true, true, false, true, false})
	check("in-monitor", reads{true, true, false, false, true})
	check(st.Mon2, reads{}) // not accredited
	check(st.UARep, all)
	check(st.USMed, all)
	check(st.Viewer, reads{sites: true, zone: true}) // published material only; agreements are public to members
	// The instant the accreditation ends, its access ends: no statement.
	e.set(end.Add(-time.Millisecond))
	check(st.Mon1, reads{true, true, true, true, false})
	e.set(end)
	check(st.Mon1, reads{})
	var me struct{ Access seat.Access }
	e.must(e.get("/v1/me", st.Mon1), 200).json(t, &me)
	if me.Access.Basis != "expired" {
		t.Fatalf("after the end: %+v", me.Access)
	}
}

// The authorization matrix of alerts: every member but viewers
// subscribes and makes webhook keys; a subscription is ended by its member
// or the centre's coordinators; an alert is acknowledged by its member
// alone; every member reads, anonymous callers nothing.
func TestAlertAuthorization(t *testing.T) {
	e := newEnv(t)
	actors := []string{st.UARep, st.UAMonitor, st.RURep, st.Coord, st.USMed, st.Mon1, st.Mon2, st.Viewer, centre.OperatorID, ""}
	writers := []string{st.UARep, st.UAMonitor, st.RURep, st.Coord, st.USMed, st.Mon1, st.Mon2, centre.OperatorID}
	subscribed := func() string { return e.subscribe(st.UARep, "events=incident parties=ua") }
	// One subscription of ua-rep's is told of every report below: each
	// receipt cell acknowledges an alert of its own.
	watch := e.subscribe(st.UARep, "events=incident")
	alerted := func() string {
		id := e.report(st.RURep)
		return e.waitAlert(st.UARep, func(a alert.Alert) bool { return a.Event.Record == id && a.Subscription == watch }).ID
	}
	cells := []struct {
		endpoint string
		setup    func() string
		path     string
		body     any
		allowed  []string
	}{
		{"subscribe", nil, "/v1/alerts/subscriptions", map[string]any{"name": "watch", "filter": "events=hotline_missed"}, writers},
		{"webhook key", nil, "/v1/alerts/keys", map[string]any{}, writers},
		{"unsubscribe", subscribed, "/v1/alerts/subscriptions/%s/end", map[string]any{}, []string{st.UARep, centre.OperatorID}},
		{"receipt", alerted, "/v1/alerts/%s/receipt", map[string]any{}, []string{st.UARep}},
	}
	for _, c := range cells {
		for _, who := range actors {
			name := who
			if name == "" {
				name = "anonymous"
			}
			t.Run(c.endpoint+"/"+name, func(t *testing.T) {
				path := c.path
				if c.setup != nil {
					path = fmt.Sprintf(path, c.setup())
				}
				size := e.size()
				r := e.post(path, who, c.body)
				want := http.StatusForbidden
				switch {
				case slices.Contains(c.allowed, who):
					want = http.StatusCreated
				case who == "":
					want = http.StatusUnauthorized
				}
				if r.status != want {
					t.Fatalf("%s by %s: status %d, want %d: %s", c.endpoint, name, r.status, want, r.body)
				}
				if want != http.StatusCreated {
					problemOf(t, r)
					if e.size() != size {
						t.Fatal("a refused call appended to the ledger")
					}
				}
			})
		}
	}
	one := alerted()
	for _, path := range []string{"/v1/alerts", "/v1/alerts?member=all", "/v1/alerts/subscriptions?member=all", "/v1/alerts/" + one} {
		for _, who := range actors {
			want := 200
			if who == "" {
				want = 401
			}
			e.must(e.get(path, who), want)
		}
	}
}
