package api_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"truce/hotline"
	"truce/incident"
	"truce/movement"
	st "truce/store/storetest"
)

// clock is a centre clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 24, 3, 0, 0, 0, time.UTC)} }

func text(lang, s string) map[string]string { return map[string]string{"lang": lang, "text": s} }

func point(lon, lat float64, name string) map[string]any {
	return map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}, "name": name}
}

// openThread opens a violation thread from ua to the centre and returns its ID.
func (e *env) openThread(body map[string]any) string {
	e.t.Helper()
	if body == nil {
		body = map[string]any{"kind": "violation", "to": "centre", "subject": "Shelling near the repair site",
			"text": text("uk", "Обстріл поблизу ремонтної бригади."), "place": point(35.12, 47.51, "Enerhodar")}
	}
	var out struct {
		Record hotline.Thread `json:"record"`
	}
	who := st.UARep
	if body["to"] != "centre" {
		who = st.Coord
	}
	e.must(e.post("/v1/hotline", who, body), 201).json(e.t, &out)
	return out.Record.ID
}

func (e *env) thread(id, who string) hotline.Thread {
	e.t.Helper()
	var th hotline.Thread
	e.must(e.get("/v1/hotline/"+id, who), 200).json(e.t, &th)
	return th
}

// A hotline exchange from the first message to resolution, with the
// acknowledgement deadline judged by the centre's clock.
func TestHotlineExchange(t *testing.T) {
	clk := newClock()
	e := newEnvAt(t, clk.Now)
	inc := e.report(st.UARep)
	up := e.must(e.do("POST", "/v1/evidence", st.UARep, "radar trace", "application/octet-stream"), 201)
	var blob struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	up.json(t, &blob)
	id := e.openThread(map[string]any{"kind": "violation", "to": "centre", "subject": "Shelling near the repair site",
		"text": text("uk", "Обстріл поблизу ремонтної бригади."), "place": point(35.12, 47.51, "Enerhodar"),
		"evidence": []map[string]any{{"sha256": blob.SHA256, "size": blob.Size, "name": "trace.bin", "media_type": "application/octet-stream"}}})
	th := e.thread(id, st.Coord)
	if th.Party != "ua" || th.OpenedBy != "ua" || th.AckWithin != 900 || len(th.Messages) != 1 || th.Messages[0].To != "centre" {
		t.Fatalf("opened thread: %+v", th)
	}
	if th.NextDue == nil || !th.NextDue.Equal(clk.Now().Add(15*time.Minute)) {
		t.Fatalf("next due %v, want 15 minutes from now", th.NextDue)
	}
	// The other belligerent neither sees the thread nor its evidence.
	e.must(e.get("/v1/hotline/"+id, st.RURep), 404)
	e.must(e.get("/v1/evidence/"+blob.SHA256, st.RURep), 404)
	e.must(e.get("/v1/evidence/"+blob.SHA256, st.Mon1), 200)
	var list struct{ Items []hotline.Thread }
	e.must(e.get("/v1/hotline", st.RURep), 200).json(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("ru sees %d threads", len(list.Items))
	}

	clk.advance(5 * time.Minute)
	e.must(e.post("/v1/hotline/"+id+"/ack", st.UARep, map[string]any{"message": 1}), 403) // not the addressee
	e.must(e.post("/v1/hotline/"+id+"/ack", st.Coord, map[string]any{"message": 1}), 201)
	e.must(e.post("/v1/hotline/"+id+"/ack", st.Mon1, map[string]any{"message": 1}), 409)
	e.must(e.post("/v1/hotline/"+id+"/messages", st.Coord, map[string]any{"text": text("en", "Monitors are on the way; hold fire.")}), 201)

	// Sixteen minutes on, the centre's message to ua is overdue.
	clk.advance(16 * time.Minute)
	th = e.thread(id, st.UARep)
	if th.Overdue != 1 || !th.Messages[1].Overdue || th.Messages[0].Overdue || th.Messages[1].To != "ua" {
		t.Fatalf("after the deadline: overdue %d, messages %+v", th.Overdue, th.Messages)
	}
	e.must(e.get("/v1/hotline?status=open&kind=violation", st.Coord), 200).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].Overdue != 1 {
		t.Fatalf("inbox: %+v", list.Items)
	}
	e.must(e.post("/v1/hotline/"+id+"/ack", st.UARep, map[string]any{"message": 2}), 201)
	th = e.thread(id, st.UARep)
	if th.Overdue != 0 || !th.Messages[1].Late {
		t.Fatalf("late acknowledgement: %+v", th.Messages[1])
	}

	e.must(e.post("/v1/hotline/"+id+"/links", st.Coord, map[string]any{"incident": inc}), 201)
	e.must(e.post("/v1/incidents/"+inc+"/mechanism", st.RURep, map[string]any{"thread": id}), 404)
	e.must(e.post("/v1/incidents/"+inc+"/mechanism", st.UARep, map[string]any{"thread": id, "note": "We called before answering."}), 201)
	var rec incident.Incident
	e.must(e.get("/v1/incidents/"+inc, st.RURep), 200).json(t, &rec)
	if len(rec.Mechanism) != 1 || rec.Mechanism[0].Thread != id || rec.Mechanism[0].Party != "ua" {
		t.Fatalf("mechanism on the incident: %+v", rec.Mechanism)
	}

	clk.advance(time.Hour)
	e.must(e.post("/v1/hotline/"+id+"/resolve", st.Coord, map[string]any{"note": text("en", "Fire stopped; crew resumed work.")}), 201)
	e.must(e.post("/v1/hotline/"+id+"/messages", st.UARep, map[string]any{"text": text("uk", "Ще одне.")}), 409)
	th = e.thread(id, st.Coord)
	if th.Status != hotline.Resolved || th.Resolution == nil || len(th.Incidents) != 1 {
		t.Fatalf("resolved thread: %+v", th)
	}

	var stats struct {
		Parties []hotline.Figures `json:"parties"`
	}
	e.must(e.get("/v1/hotline/stats", st.Coord), 200).json(t, &stats)
	if len(stats.Parties) != 2 || stats.Parties[0].Party != "ua" || stats.Parties[1].Party != "centre" {
		t.Fatalf("stats rows: %+v", stats.Parties)
	}
	ua, c := stats.Parties[0], stats.Parties[1]
	if ua.Messages != 1 || ua.Acknowledged != 1 || ua.Late != 1 || *ua.AckMedianS != 16*60 || ua.Resolved != 1 || *ua.ResolveMedianS != 81*60 {
		t.Fatalf("ua figures: %+v", ua)
	}
	if c.Messages != 1 || c.Acknowledged != 1 || c.Late != 0 || *c.AckMedianS != 5*60 {
		t.Fatalf("centre figures: %+v", c)
	}
	e.must(e.get("/v1/hotline/stats", st.RURep), 200).json(t, &stats)
	if len(stats.Parties) != 0 {
		t.Fatalf("ru sees figures of threads it may not read: %+v", stats.Parties)
	}
}

// An unacknowledged message of a thread resolved before its deadline is
// not overdue; one resolved after it was missed.
func TestHotlineDeadlineAtResolution(t *testing.T) {
	clk := newClock()
	e := newEnvAt(t, clk.Now)
	early := e.openThread(nil)
	late := e.openThread(map[string]any{"kind": "other", "to": "centre", "subject": "Short deadline", "ack_within_s": 60,
		"text": text("en", "Please confirm.")})
	clk.advance(2 * time.Minute)
	e.must(e.post("/v1/hotline/"+early+"/resolve", st.UARep, map[string]any{}), 201)
	e.must(e.post("/v1/hotline/"+late+"/resolve", st.UARep, map[string]any{}), 201)
	clk.advance(time.Hour)
	if th := e.thread(early, st.Coord); th.Overdue != 0 {
		t.Fatalf("resolved before its deadline, yet overdue: %+v", th.Messages)
	}
	if th := e.thread(late, st.Coord); th.Overdue != 1 || th.AckWithin != 60 {
		t.Fatalf("missed before resolution, yet not overdue: %+v", th)
	}
}

// The register's counts per party and subtype, and time to resolution.
func TestRestrictionRegister(t *testing.T) {
	clk := newClock()
	clk.advance(-45 * time.Minute) // the thread opens at 02:15, while the patrol is held
	e := newEnvAt(t, clk.Now)
	id := e.openThread(map[string]any{"kind": "movement", "to": "ua", "subject": "Patrol stopped at Vasylivka", "text": text("en", "Let the patrol pass.")})
	clk.advance(45 * time.Minute)
	rec := func(subtype, actor string, extra map[string]any) string {
		b := map[string]any{"subtype": subtype, "actor": actor, "place": point(35.28, 47.43, "Vasylivka"), "started_at": "2026-01-24T02:00:00Z"}
		for k, v := range extra {
			b[k] = v
		}
		var out struct{ Record movement.Restriction }
		e.must(e.post("/v1/restrictions", st.Mon1, b), 201).json(t, &out)
		return out.Record.ID
	}
	_ = rec("denial_of_access", "ru", nil)
	_ = rec("denial_of_access", "ru", map[string]any{"checkpoint": "Checkpoint 7"})
	delay := rec("delay", "ua", nil)
	_ = rec("uav_jamming", "unknown", map[string]any{"ended_at": "2026-01-24T02:30:00Z"})
	e.must(e.post("/v1/restrictions/"+delay+"/end", st.Coord, map[string]any{"ended_at": "2026-01-24T02:45:00Z", "thread": id}), 201)
	e.must(e.post("/v1/restrictions/"+delay+"/end", st.Coord, map[string]any{"ended_at": "2026-01-24T02:50:00Z"}), 409)

	var reg struct {
		Items  []movement.Restriction
		Counts movement.Counts
	}
	e.must(e.get("/v1/restrictions", st.RURep), 200).json(t, &reg)
	c := reg.Counts
	if c.Total != 4 || c.Open != 2 || c.BySubtype["denial_of_access"] != 2 || c.ByParty["ru"]["denial_of_access"] != 2 ||
		c.ByParty["ua"]["delay"] != 1 || c.ByParty["unknown"]["uav_jamming"] != 1 || c.ResolutionMedianS["ua"] != 45*60 {
		t.Fatalf("counts: %+v", c)
	}
	for _, r := range reg.Items {
		switch {
		case r.ID == delay && (r.Thread != id || r.ResolutionS == nil || *r.ResolutionS != 45*60 || r.OpenForS != nil):
			t.Fatalf("resolved restriction: %+v", r)
		case r.Status == movement.Open && (r.OpenForS == nil || *r.OpenForS != 3600):
			t.Fatalf("open restriction held for %v, want an hour", r.OpenForS)
		}
	}
	e.must(e.get("/v1/restrictions?actor=ru&subtype=denial_of_access,delay&status=open", st.Viewer), 200).json(t, &reg)
	if reg.Counts.Total != 2 || len(reg.Items) != 2 {
		t.Fatalf("filtered register: %+v", reg.Counts)
	}
}

// Who may write what on the hotline and in the register. A thread is
// invisible (404) to those who may not read it.
func TestHotlineAuthorization(t *testing.T) {
	e := newEnv(t)
	actors := []string{st.UARep, st.UAMonitor, st.RURep, st.Coord, st.USMed, st.Mon1, st.Mon2, st.Viewer, "operator", ""}
	readers := []string{st.UARep, st.UAMonitor, st.Coord, st.USMed, st.Mon1, st.Mon2, "operator"}
	centreStaff := []string{st.Coord, st.USMed, st.Mon1, st.Mon2, "operator"}
	uaThread := func() string { return e.openThread(nil) }
	restriction := func() string {
		var out struct{ Record movement.Restriction }
		e.must(e.post("/v1/restrictions", st.Mon1, map[string]any{"subtype": "delay", "actor": "ru", "place": point(35.28, 47.43, ""),
			"started_at": "2026-01-24T02:00:00Z"}), 201).json(t, &out)
		return out.Record.ID
	}
	type cell struct {
		endpoint string
		setup    func() string
		path     string
		body     func(id string) any
		allowed  []string
		hidden   []string // 404: may not read the thread
	}
	notReaders := []string{st.RURep, st.Viewer}
	cells := []cell{
		{"open to centre", nil, "/v1/hotline", func(string) any {
			return map[string]any{"kind": "other", "to": "centre", "subject": "Question", "text": text("en", "A question.")}
		}, []string{st.UARep, st.RURep, st.USMed}, nil},
		{"open to ua", nil, "/v1/hotline", func(string) any {
			return map[string]any{"kind": "repair", "to": "ua", "subject": "Crew", "text": text("en", "Crew arrives at 10:00.")}
		}, centreStaff, nil},
		{"message", uaThread, "/v1/hotline/%s/messages", func(string) any { return map[string]any{"text": text("en", "More.")} },
			append([]string{st.UARep}, centreStaff...), notReaders},
		{"ack", uaThread, "/v1/hotline/%s/ack", func(string) any { return map[string]any{"message": 1} }, centreStaff, notReaders},
		{"link", uaThread, "/v1/hotline/%s/links", func(string) any { return map[string]any{"incident": e.report(st.UARep)} },
			append([]string{st.UARep}, centreStaff...), notReaders},
		{"resolve", uaThread, "/v1/hotline/%s/resolve", func(string) any { return map[string]any{} },
			append([]string{st.UARep}, centreStaff...), notReaders},
		{"mechanism", func() string { return e.report(st.UARep) + " " + uaThread() }, "/v1/incidents/%s/mechanism",
			func(id string) any { return map[string]any{"thread": id} }, []string{st.UARep}, notReaders},
		{"record restriction", nil, "/v1/restrictions", func(string) any {
			return map[string]any{"subtype": "denial_of_access", "actor": "ru", "place": point(35.28, 47.43, "Vasylivka"), "started_at": "2026-01-24T02:00:00Z"}
		}, centreStaff, nil},
		{"end restriction", restriction, "/v1/restrictions/%s/end", func(string) any { return map[string]any{"ended_at": "2026-01-24T02:10:00Z"} },
			centreStaff, nil},
	}
	for _, c := range cells {
		for _, who := range actors {
			name := who
			if name == "" {
				name = "anonymous"
			}
			t.Run(c.endpoint+"/"+name, func(t *testing.T) {
				id, arg := "", ""
				if c.setup != nil {
					id = c.setup()
					if c.endpoint == "mechanism" { // "inc-N hl-M"
						fmt.Sscan(id, &id, &arg)
					}
				}
				path := c.path
				if id != "" {
					path = fmt.Sprintf(path, id)
				}
				body := c.body(arg)
				size := e.size()
				r := e.post(path, who, body)
				want := http.StatusForbidden
				switch {
				case who == "":
					want = http.StatusUnauthorized
				case contains(c.allowed, who):
					want = http.StatusCreated
				case contains(c.hidden, who):
					want = http.StatusNotFound
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
	// Reads.
	id := uaThread()
	rst := restriction()
	for _, who := range actors {
		want := map[bool]int{true: 200, false: 404}[contains(readers, who)]
		if who == "" {
			want = 401
		}
		e.must(e.get("/v1/hotline/"+id, who), want)
		members := map[bool]int{true: 401, false: 200}[who == ""]
		e.must(e.get("/v1/hotline", who), members)
		e.must(e.get("/v1/hotline/stats", who), members)
		e.must(e.get("/v1/restrictions", who), members)
		e.must(e.get("/v1/restrictions/"+rst, who), members)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
