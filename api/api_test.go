package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"truce/api"
	"truce/blobs"
	"truce/centre"
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
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := storetest.NewFixture(t, st)
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
		routed[rt.Method+" "+rt.Pattern] = true
		if !documented[rt.Method+" "+rt.Pattern] {
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

var _ = fmt.Sprintf
var _ = centre.OperatorID
