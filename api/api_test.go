package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"truce/api"
	"truce/blobs"
	"truce/centre"
	"truce/geo"
	"truce/incident"
	"truce/ledger"
	"truce/party"
	"truce/store/sqlite"
	"truce/store/storetest"
)

type env struct {
	t     *testing.T
	srv   *httptest.Server
	f     *storetest.Fixture
	blobs *blobs.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvAt(t, nil)
}

// newEnvAt is newEnv with the centre's clock set to now.
func newEnvAt(t *testing.T, now func() time.Time) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := storetest.NewFixtureAt(t, st, now)
	b, err := blobs.Open(dir+"/evidence", api.MaxEvidence)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(f.Centre, b))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, f: f, blobs: b}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (e *env) do(method, path, member string, body any, contentType string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if member != "" {
		req.Header.Set("Authorization", "Bearer "+e.f.Tokens[member])
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

func (e *env) post(path, member string, body any) response {
	return e.do("POST", path, member, body, "application/json")
}

func (e *env) get(path, member string) response { return e.do("GET", path, member, nil, "") }

func (e *env) size() uint64 {
	n, err := e.f.Store.Size(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// report files a valid report as member and returns its ID.
func (e *env) report(member string) string {
	e.t.Helper()
	r := e.post("/v1/incidents", member, storetest.Report())
	if r.status != http.StatusCreated {
		e.t.Fatalf("report: %d %s", r.status, r.body)
	}
	var out struct {
		Record struct{ ID string } `json:"record"`
	}
	r.json(e.t, &out)
	return out.Record.ID
}

func (e *env) must(r response, status int) response {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	r := e.must(e.get("/healthz", ""), 200)
	var h struct {
		Status     string `json:"status"`
		LedgerSize uint64 `json:"ledger_size"`
	}
	r.json(t, &h)
	if h.Status != "ok" || h.LedgerSize != e.size() {
		t.Fatalf("healthz = %+v", h)
	}
}

// The OpenAPI document and the route table describe the same endpoints.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	r := e.must(e.get("/openapi.json", ""), 200)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r.json(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete", "head", "options":
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	routed := map[string]bool{}
	for _, rt := range api.Routes() {
		pattern := strings.ReplaceAll(rt.Pattern, "...}", "}") // OpenAPI has no catch-all segments
		routed[rt.Method+" "+pattern] = true
		if !documented[rt.Method+" "+pattern] {
			t.Errorf("route %s %s is not in openapi.json", rt.Method, rt.Pattern)
		}
	}
	for k := range documented {
		if !routed[k] {
			t.Errorf("openapi.json documents %s, which is not routed", k)
		}
	}
}

func TestUnknownEndpointIsProblem(t *testing.T) {
	e := newEnv(t)
	r := e.get("/v1/nothing", "")
	if r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	if r := e.get("/v1/me", ""); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("anonymous /v1/me: %d", r.status)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer truce_not-a-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("bad token: %d", resp.StatusCode)
	}
}

func problemOf(t *testing.T, r response) api.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q for %d: %s", ct, r.status, r.body)
	}
	var p api.Problem
	r.json(t, &p)
	if p.Status != r.status || p.Title == "" {
		t.Fatalf("problem %+v does not match status %d", p, r.status)
	}
	return p
}

// sign makes a statement signed by member's key (held by the fixture).
func (e *env) sign(t *testing.T, member, typ string, payload any) *ledger.Signed {
	t.Helper()
	raw, _ := json.Marshal(payload)
	s, err := ledger.Sign(ledger.Statement{Type: typ, Party: e.f.S[member].Member.Party, Author: member,
		Time: time.Now().UTC(), Payload: raw, Nonce: ledger.NewNonce()}, e.f.Key(t, member))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The full workflow over HTTP: evidence goes up and comes back byte for
// byte, each step shows in the history, and publication makes the incident
// public.
func TestWorkflowOverHTTP(t *testing.T) {
	e := newEnv(t)
	id := e.report(storetest.UARep)
	file := []byte("\x89PNG\r\n\x1a\n raw bytes \x00\xff kept as they are")
	var up struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	e.must(e.do("POST", "/v1/evidence", storetest.UARep, file, "application/octet-stream"), 201).json(t, &up)
	if sum := sha256.Sum256(file); hex.EncodeToString(sum[:]) != up.SHA256 || up.Size != int64(len(file)) {
		t.Fatalf("upload answered %+v", up)
	}
	e.must(e.post("/v1/incidents/"+id+"/evidence", storetest.UARep, map[string]any{"evidence": map[string]any{
		"sha256": up.SHA256, "size": up.Size, "name": "crater.png", "media_type": "image/png", "captured_at": "2026-01-24T07:00:00Z"}}), 201)
	e.must(e.post("/v1/incidents/"+id+"/triage", storetest.Coord, map[string]any{"priority": "urgent"}), 201)
	e.must(e.post("/v1/incidents/"+id+"/assign", storetest.Coord, map[string]any{"monitors": []string{storetest.Mon1}}), 201)
	e.must(e.post("/v1/incidents/"+id+"/investigate", storetest.Mon1, map[string]any{}), 201)
	e.must(e.post("/v1/incidents/"+id+"/responses", storetest.RURep, map[string]any{"text": map[string]string{"lang": "ru", "text": "Провокация."}}), 201)
	e.must(e.post("/v1/incidents/"+id+"/finding", storetest.Mon1, map[string]any{"outcome": "serious_violation", "attribution": "ru",
		"summary": map[string]string{"lang": "en", "text": "Impact craters consistent with 122 mm rounds."}, "evidence": []string{up.SHA256}}), 201)
	// Anonymous callers see neither the incident nor its evidence yet.
	e.must(e.get("/v1/incidents/"+id, ""), 404)
	e.must(e.get("/v1/evidence/"+up.SHA256, ""), 404)
	e.must(e.post("/v1/incidents/"+id+"/publish", storetest.Coord, map[string]any{}), 201)
	// A second publication is an illegal transition.
	e.must(e.post("/v1/incidents/"+id+"/publish", storetest.Coord, map[string]any{}), 409)

	var inc incident.Incident
	e.must(e.get("/v1/incidents/"+id, ""), 200).json(t, &inc)
	if inc.Status != incident.Published || inc.Finding.Outcome != "serious_violation" || len(inc.Responses) != 1 {
		t.Fatalf("incident = %+v", inc)
	}
	dl := e.must(e.get("/v1/evidence/"+up.SHA256, ""), 200)
	if !bytes.Equal(dl.body, file) {
		t.Fatal("downloaded evidence differs from the upload")
	}
	var hist struct {
		Items []api.StatementView `json:"items"`
	}
	e.must(e.get("/v1/incidents/"+id+"/history", ""), 200).json(t, &hist)
	var types []string
	for _, h := range hist.Items {
		s, _, err := ledger.ParseStatement(h.Statement)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, s.Type)
		if len(h.LeafHash) != 64 || len(h.Signature) != 64 {
			t.Fatalf("history entry %d lacks its leaf hash or signature", h.Seq)
		}
	}
	want := []string{"incident.report", "incident.evidence", "incident.triage", "incident.assign", "incident.investigate",
		"incident.respond", "incident.finding", "incident.publish"}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Fatalf("history = %v, want %v", types, want)
	}
}

// The event stream delivers new statements to members as they are appended,
// resumes from Last-Event-ID, and shows anonymous callers publications only.
func TestEventStream(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	open := func(member, lastID string) *bufio.Reader {
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/events", nil)
		if member != "" {
			req.Header.Set("Authorization", "Bearer "+e.f.Tokens[member])
		}
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		br := bufio.NewReader(resp.Body)
		for { // wait until the stream is subscribed
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == ": subscribed\n" {
				return br
			}
		}
	}
	next := func(br *bufio.Reader) (uint64, string) {
		var id uint64
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := strings.CutPrefix(line, "id: "); ok {
				id, _ = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				var sv api.StatementView
				json.Unmarshal([]byte(v), &sv)
				s, _, _ := ledger.ParseStatement(sv.Statement)
				if sv.Seq != id {
					t.Fatalf("event id %d carries statement %d", id, sv.Seq)
				}
				return id, s.Type
			}
		}
	}
	member := open(storetest.Coord, "")
	public := open("", "")
	id := e.report(storetest.UARep)
	seq, typ := next(member)
	if typ != incident.TypeReport || incident.IDFor(seq) != id {
		t.Fatalf("member stream: %d %s, want the report %s", seq, typ, id)
	}
	resumed := open(storetest.Coord, strconv.FormatUint(seq-1, 10))
	if s, _ := next(resumed); s != seq {
		t.Fatalf("resumed stream starts at %d, want %d", s, seq)
	}
	published := e.f.Walk(t)
	inc, _ := e.f.Store.Incident(ctx, published)
	s, typ := next(public)
	if typ != incident.TypePublish || s != inc.Steps[len(inc.Steps)-1].Seq {
		t.Fatalf("public stream: %d %s, want the publication", s, typ)
	}
}

// A batch from a feed: every statement is judged on its own, in order.
func TestStatementBatch(t *testing.T) {
	e := newEnv(t)
	good := e.sign(t, storetest.UARep, incident.TypeReport, storetest.Report())
	bad := storetest.Report()
	bad.Type = "skirmish"
	invalid := e.sign(t, storetest.UARep, incident.TypeReport, bad)
	foreign := e.sign(t, storetest.RURep, incident.TypeReport, storetest.Report())
	forged := e.sign(t, storetest.UARep, incident.TypeReport, storetest.Report())
	forged.Sig[0] ^= 1
	good2 := e.sign(t, storetest.UARep, incident.TypeReport, storetest.Report())
	size := e.size()
	r := e.must(e.post("/v1/statements/batch", storetest.UARep, map[string]any{"statements": []any{
		good.Seal(), invalid.Seal(), foreign.Seal(), forged.Seal(), json.RawMessage(`{"statement":{}}`), good2.Seal(), good.Seal(),
	}}), 200)
	var out struct {
		Results []struct {
			Seq      *uint64      `json:"seq"`
			LeafHash string       `json:"leaf_hash"`
			Problem  *api.Problem `json:"problem"`
		} `json:"results"`
	}
	r.json(t, &out)
	want := []int{0, 422, 403, 422, 422, 0, 409}
	if len(out.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(out.Results), len(want))
	}
	for i, w := range want {
		res := out.Results[i]
		switch {
		case w == 0 && (res.Seq == nil || res.Problem != nil || len(res.LeafHash) != 64):
			t.Errorf("statement %d: %+v, want accepted", i, res)
		case w != 0 && (res.Problem == nil || res.Problem.Status != w || res.Seq != nil):
			t.Errorf("statement %d: %+v, want problem %d", i, res, w)
		}
	}
	if out.Results[1].Problem.Field != "statements[1].statement.payload.type" {
		t.Errorf("field %q", out.Results[1].Problem.Field)
	}
	if e.size() != size+2 {
		t.Fatalf("ledger grew by %d, want 2", e.size()-size)
	}
	e.must(e.post("/v1/statements/batch", storetest.UARep, map[string]any{"statements": []any{}}), 400)
}

// Problem titles follow Accept-Language; the field stays machine-readable.
func TestProblemTitlesFollowLanguage(t *testing.T) {
	e := newEnv(t)
	for lang, want := range map[string]string{"uk-UA,uk;q=0.9": "Не дозволено", "zh-CN": "不允许", "de": "Not allowed"} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/parties", strings.NewReader(`{"id":"xx","name":"X","kind":"observer"}`))
		req.Header.Set("Authorization", "Bearer "+e.f.Tokens[storetest.Viewer])
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p api.Problem
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != 403 || p.Title != want {
			t.Errorf("%s: %d %q, want 403 %q", lang, resp.StatusCode, p.Title, want)
		}
	}
}

// The map endpoint clusters by zoom and keeps anonymous callers to
// published incidents.
func TestMapClusters(t *testing.T) {
	e := newEnv(t)
	at := func(lon, lat float64) {
		r := storetest.Report()
		r.Location.Geometry.Coordinates = json.RawMessage(fmt.Sprintf("[%g,%g]", lon, lat))
		e.must(e.post("/v1/incidents", storetest.UARep, r), 201)
	}
	at(30.52, 50.45)
	at(30.52, 50.45)
	at(36.23, 49.99)
	type fc struct {
		Features []struct {
			Geometry struct {
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties struct {
				Count int    `json:"count"`
				ID    string `json:"id"`
			} `json:"properties"`
		} `json:"features"`
	}
	var world, city fc
	e.must(e.get("/v1/map?zoom=0", storetest.Coord), 200).json(t, &world)
	if len(world.Features) != 1 || world.Features[0].Properties.Count != 3 {
		t.Fatalf("zoom 0: %+v", world)
	}
	e.must(e.get("/v1/map?zoom=10&bbox=29,49,38,51", storetest.Coord), 200).json(t, &city)
	counts := map[int]string{}
	for _, f := range city.Features {
		counts[f.Properties.Count] = f.Properties.ID
	}
	if len(city.Features) != 2 || counts[1] == "" || counts[2] != "" {
		t.Fatalf("zoom 10: %+v", city)
	}
	var public fc
	e.must(e.get("/v1/map?zoom=0", ""), 200).json(t, &public)
	if len(public.Features) != 0 {
		t.Fatalf("anonymous map shows %d unpublished clusters", len(public.Features))
	}
	e.must(e.get("/v1/map?zoom=23", storetest.Coord), 400)
	e.must(e.get("/v1/map?zoom=2&bbox=1,2,3", storetest.Coord), 400)
}

// A member revoked while following the event stream stops receiving.
func TestEventStreamEndsOnRevocation(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/events?access_token="+e.f.Tokens[storetest.Viewer], nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("events with access_token: %d", resp.StatusCode)
	}
	if _, err := e.f.Centre.Say(ctx, e.f.S[centre.OperatorID], party.TypeRevoke, party.Revoke{Member: storetest.Viewer}); err != nil {
		t.Fatal(err)
	}
	e.report(storetest.UARep)
	body, err := io.ReadAll(resp.Body) // the server ends the stream
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "incident.report") {
		t.Fatal("a revoked member received a report after its revocation")
	}
	if r := e.get("/v1/me", storetest.Viewer); r.status != 401 {
		t.Fatalf("revoked token: %d", r.status)
	}
}

// The in-memory map index and the store cluster alike.
func TestMapIndexAgreesWithStore(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 40; i++ {
		r := storetest.Report()
		r.Location.Geometry.Coordinates = json.RawMessage(fmt.Sprintf("[%g,%g]", 30+float64(i%7)*1.3, 46.5+float64(i%5)*0.9))
		if i%3 == 0 {
			r.Type = incident.Drone
		}
		// Observed on days 1 to 9 of January, some over two days.
		r.ObservedAt = fmt.Sprintf("2026-01-%02dT10:00:00Z", 1+i%9)
		if i%4 == 0 {
			r.ObservedUntil = fmt.Sprintf("2026-01-%02dT10:00:00Z", 2+i%9)
		}
		e.must(e.post("/v1/incidents", storetest.UARep, r), 201)
	}
	e.f.Walk(t)
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	ctx := context.Background()
	if !e.f.Centre.MapCaughtUp(ctx) {
		t.Fatal("the map index does not catch up")
	}
	for _, f := range []incident.Filter{{}, {Types: []incident.Type{incident.Drone}}, {PublishedOnly: true}, {Party: "ua"}, {BBox: &geo.BBox{31, 47, 36, 50}},
		{From: day(4)}, {To: day(3)}, {From: day(3), To: day(5), Types: []incident.Type{incident.Drone}}, {From: day(3).Add(10 * time.Hour), To: day(3).Add(10 * time.Hour)}} {
		if !e.f.Centre.Map.Serves(f) {
			t.Fatalf("the map index does not serve %+v", f)
		}
		for _, cell := range []float64{22.5, 1.4, 0.1} {
			fromStore, err := e.f.Store.Clusters(ctx, f, cell)
			if err != nil {
				t.Fatal(err)
			}
			fromIndex := e.f.Centre.Map.Clusters(f, cell)
			total := func(cs []incident.Cluster) (n int) {
				for _, c := range cs {
					n += c.Count
				}
				return n
			}
			if len(fromStore) != len(fromIndex) || total(fromStore) != total(fromIndex) {
				t.Fatalf("filter %+v, cell %g: store %d clusters/%d incidents, index %d/%d", f, cell, len(fromStore), total(fromStore), len(fromIndex), total(fromIndex))
			}
			// A time window keeps some of the 40 and leaves out others.
			if n := total(fromIndex); (!f.From.IsZero() || !f.To.IsZero()) && (n == 0 || n == 40) {
				t.Fatalf("filter %+v: %d of 40 incidents, want a part", f, n)
			}
		}
	}
}
