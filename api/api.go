// Package api is the HTTP edge of the centre: JSON under /v1, bearer-token
// authentication, strict input decoding and RFC 9457 problem responses.
// Writes become ledger statements through the centre; nothing here changes
// state any other way.
package api

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"truce/agreement"

	"truce/blobs"
	"truce/centre"
	"truce/ledger"
)

// MaxBody bounds a JSON request body; MaxBatchBody a batch of statements.
const (
	MaxBody      = 1 << 20
	MaxBatchBody = 16 << 20
	MaxBatch     = 1000 // statements in one batch
)

//go:embed openapi.json
var openAPI []byte

// Server serves the API.
type Server struct {
	centre *centre.Centre
	blobs  *blobs.Store
	mux    *http.ServeMux
	limits *limiter // nil: no limits (see SetLimits)
}

// Route is one endpoint; the route table is the source of truth that the
// OpenAPI document is tested against.
type Route struct {
	Method, Pattern string
	handler         func(*Server, http.ResponseWriter, *http.Request)
}

// Routes lists every endpoint.
func Routes() []Route {
	return []Route{
		{"GET", "/healthz", (*Server).healthz},
		{"GET", "/openapi.json", (*Server).openapi},
		{"GET", "/v1/me", (*Server).me},
		{"GET", "/v1/parties", (*Server).listParties},
		{"POST", "/v1/parties", (*Server).registerParty},
		{"GET", "/v1/parties/{id}", (*Server).getParty},
		{"GET", "/v1/members", (*Server).listMembers},
		{"POST", "/v1/members", (*Server).addMember},
		{"GET", "/v1/rounds", (*Server).listRounds},
		{"POST", "/v1/rounds", (*Server).recordRound},
		{"GET", "/v1/plans", (*Server).listPlans},
		{"POST", "/v1/plans", (*Server).submitPlan},
		{"POST", "/v1/plans/documents", (*Server).uploadPlan},
		{"GET", "/v1/plans/compare", (*Server).comparePlans},
		{"GET", "/v1/plans/{id}", (*Server).getPlan},
		{"POST", "/v1/plans/{id}/share", (*Server).sharePlan},
		{"POST", "/v1/plans/{id}/stances", (*Server).planStance},
		{"GET", "/v1/agreements", (*Server).listAgreements},
		{"POST", "/v1/agreements", (*Server).draftAgreement},
		{"GET", "/v1/agreements/{id}", (*Server).getAgreement},
		{"GET", "/v1/agreements/{id}/file", (*Server).agreementFile},
		{"POST", "/v1/agreements/{id}/sign", (*Server).signAgreement},
		{"POST", "/v1/agreements/{id}/stances", (*Server).agreementStance},
		{"POST", "/v1/agreements/{id}/suspend", changeAgreement(agreement.Suspended, agreement.TypeSuspend)},
		{"POST", "/v1/agreements/{id}/resume", changeAgreement(agreement.Resumed, agreement.TypeResume)},
		{"POST", "/v1/agreements/{id}/terminate", changeAgreement(agreement.Terminated, agreement.TypeTerminate)},
		{"GET", "/v1/in-force", (*Server).inForce},
		{"GET", "/v1/reports/daily", (*Server).dailyReport},
		{"POST", "/v1/reports/daily/issue", (*Server).issueDaily},
		{"GET", "/v1/reports/issued", (*Server).issuedReports},
		{"GET", "/v1/reports/issued/{sha256}", (*Server).issuedFile},
		{"GET", "/v1/warnings", (*Server).warnings},
		{"GET", "/v1/reports/hourly", (*Server).hourlyDigest},
		{"POST", "/v1/reports/spot", (*Server).issueSpot},
		{"GET", "/v1/arrangements", (*Server).listArrangements},
		{"POST", "/v1/arrangements", (*Server).requestArrangement},
		{"GET", "/v1/arrangements/{id}", (*Server).getArrangement},
		{"POST", "/v1/arrangements/{id}/guarantee", (*Server).guarantee},
		{"POST", "/v1/arrangements/{id}/respond", respondArrangement},
		{"POST", "/v1/arrangements/{id}/withdraw", withdrawGuarantee},
		{"POST", "/v1/arrangements/{id}/extend", extendArrangement},
		{"POST", "/v1/arrangements/{id}/cut", cutArrangement},
		{"POST", "/v1/arrangements/{id}/cancel", cancelArrangement},
		{"POST", "/v1/arrangements/{id}/checkins", checkInArrangement},
		{"POST", "/v1/arrangements/{id}/close", closeArrangement},
		{"GET", "/v1/incidents", (*Server).listIncidents},
		{"POST", "/v1/incidents", (*Server).reportIncident},
		{"GET", "/v1/map", (*Server).mapIncidents},
		{"GET", "/v1/incidents/{id}", (*Server).getIncident},
		{"GET", "/v1/incidents/{id}/history", (*Server).incidentHistory},
		{"POST", "/v1/incidents/{id}/triage", (*Server).triage},
		{"POST", "/v1/incidents/{id}/assign", (*Server).assign},
		{"POST", "/v1/incidents/{id}/investigate", (*Server).investigate},
		{"POST", "/v1/incidents/{id}/finding", (*Server).finding},
		{"POST", "/v1/incidents/{id}/publish", (*Server).publish},
		{"POST", "/v1/incidents/{id}/responses", (*Server).respond},
		{"POST", "/v1/incidents/{id}/evidence", (*Server).attach},
		{"POST", "/v1/incidents/{id}/links", (*Server).link},
		{"POST", "/v1/incidents/{id}/mechanism", (*Server).usedMechanism},
		{"GET", "/v1/hotline", (*Server).listThreads},
		{"POST", "/v1/hotline", (*Server).openThread},
		{"GET", "/v1/hotline/stats", (*Server).hotlineStats},
		{"GET", "/v1/hotline/{id}", (*Server).getThread},
		{"POST", "/v1/hotline/{id}/messages", (*Server).postMessage},
		{"POST", "/v1/hotline/{id}/ack", (*Server).ackMessage},
		{"POST", "/v1/hotline/{id}/links", (*Server).linkThread},
		{"POST", "/v1/hotline/{id}/resolve", (*Server).resolveThread},
		{"GET", "/v1/restrictions", (*Server).listRestrictions},
		{"POST", "/v1/restrictions", (*Server).recordRestriction},
		{"GET", "/v1/restrictions/{id}", (*Server).getRestriction},
		{"POST", "/v1/restrictions/{id}/end", (*Server).endRestriction},
		{"GET", "/v1/seats", (*Server).listSeats},
		{"POST", "/v1/seats/accreditations", (*Server).accredit},
		{"POST", "/v1/seats/consents", (*Server).consent},
		{"GET", "/v1/custody", (*Server).custodyTrail},
		{"GET", "/v1/alerts", (*Server).listAlerts},
		{"GET", "/v1/alerts/subscriptions", (*Server).listSubscriptions},
		{"POST", "/v1/alerts/subscriptions", (*Server).subscribe},
		{"POST", "/v1/alerts/subscriptions/{id}/end", (*Server).unsubscribe},
		{"POST", "/v1/alerts/keys", (*Server).webhookKey},
		{"GET", "/v1/alerts/{id}", (*Server).getAlert},
		{"POST", "/v1/alerts/{id}/receipt", (*Server).receiptAlert},
		{"POST", "/v1/evidence", (*Server).upload},
		{"GET", "/v1/evidence/{sha256}", (*Server).download},
		{"GET", "/v1/statements", (*Server).listStatements},
		{"POST", "/v1/statements", (*Server).submit},
		{"POST", "/v1/statements/batch", (*Server).submitBatch},
		{"GET", "/v1/statements/{seq}", (*Server).getStatement},
		{"GET", "/v1/events", (*Server).events},
		{"GET", "/log/checkpoint", (*Server).logCheckpoint},
		{"GET", "/log/key", (*Server).logKey},
		{"GET", "/log/tile/{path...}", (*Server).logTile},
		{"GET", "/log/proof/inclusion", (*Server).inclusionProof},
		{"GET", "/log/proof/consistency", (*Server).consistencyProof},
	}
}

// New builds the API over a running centre and its evidence store.
func New(c *centre.Centre, b *blobs.Store) *Server {
	s := &Server{centre: c, blobs: b, mux: http.NewServeMux()}
	for _, rt := range Routes() {
		h := rt.handler
		s.mux.HandleFunc(rt.Method+" "+rt.Pattern, func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, Problem{Title: "No such endpoint", Status: http.StatusNotFound, Detail: r.Method + " " + r.URL.Path})
	})
	return s
}

type ctxKey struct{}

// ServeHTTP authenticates the caller, if a token is given, and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	r = s.limits.body(w, r)
	auth := r.Header.Get("Authorization")
	if auth == "" && r.Method == http.MethodGet && r.URL.Path == "/v1/events" {
		// Browsers' EventSource cannot set headers: the event stream alone
		// also takes the token as a query parameter.
		if tok := r.URL.Query().Get("access_token"); tok != "" {
			auth = "Bearer " + tok
			q := r.URL.Query()
			q.Del("access_token")
			r.URL.RawQuery = q.Encode()
		}
	}
	if auth != "" {
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			fail(w, r, ledger.ErrUnauthenticated)
			return
		}
		sess, err := s.centre.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			// A wrong token counts against the caller's address.
			if s.limits.allow(w, r, nil) {
				fail(w, r, err)
			}
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess))
	}
	if !s.limits.allow(w, r, session(r)) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// session returns the caller's session, nil for anonymous callers.
func session(r *http.Request) *centre.Session {
	s, _ := r.Context().Value(ctxKey{}).(*centre.Session)
	return s
}

// member returns the session or answers 401.
func member(w http.ResponseWriter, r *http.Request) *centre.Session {
	s := session(r)
	if s == nil {
		fail(w, r, ledger.ErrUnauthenticated)
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// readBody reads a size-limited JSON body, declared as JSON (jsonContent).
// On failure it answers and returns false.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if !jsonContent(w, r) {
		return nil, false
	}
	limit := int64(MaxBody)
	switch {
	case strings.HasSuffix(r.URL.Path, "/batch"):
		limit = MaxBatchBody
	case r.URL.Path == "/v1/plans" || r.URL.Path == "/v1/plans/documents" || r.URL.Path == "/v1/agreements":
		limit = MaxPlanBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		fail(w, r, err)
		return nil, false
	}
	return body, true
}

// readJSON reads a size-limited JSON body strictly into dst. On failure it
// answers and returns false.
func readJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	body, ok := readBody(w, r)
	if !ok {
		return false
	}
	if err := ledger.Decode(body, dst); err != nil {
		badRequest(w, r, err)
		return false
	}
	return true
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	size, err := s.centre.Store.Size(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	resp := map[string]any{"status": "ok", "ledger_size": size, "log": "ok"}
	status := http.StatusOK
	if err := s.centre.Log.Broken(); err != nil {
		resp["log"] = err.Error()
	}
	// A centre that cannot keep the record's promise says so, and why.
	if err := s.centre.Halted(); err != nil {
		resp["status"], status = err.Error(), http.StatusServiceUnavailable
	}
	if al := s.centre.Alarms(); len(al) > 0 {
		resp["alarms"] = al
	}
	if _, c, err := s.centre.Log.Published(r.Context()); err == nil && c != nil {
		resp["checkpoint_size"] = c.Size
	}
	if latest, v, err := s.centre.Log.Status(r.Context()); err == nil && v != nil {
		resp["latest_checkpoint_size"] = latest
		resp["latest_checkpoint"] = v.String()
	}
	writeJSON(w, status, resp)
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

// StatementView is a ledger entry as the API shows it.
type StatementView struct {
	Seq       uint64          `json:"seq"`
	LeafHash  string          `json:"leaf_hash"`
	Statement json.RawMessage `json:"statement"`
	Signature []byte          `json:"signature"`
	// InclusionProof is where to fetch the proof that the statement is in
	// the log, against the latest checkpoint.
	InclusionProof string `json:"inclusion_proof,omitempty"`
}

// MarshalJSON writes the view directly: the statement is canonical JSON
// already, and re-validating it through encoding/json costs more than the
// rest of the response.
func (v StatementView) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(v.Statement)+200)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, v.Seq, 10)
	b = append(b, `,"leaf_hash":"`...)
	b = append(b, v.LeafHash...)
	b = append(b, `","statement":`...)
	b = append(b, v.Statement...)
	b = append(b, `,"signature":"`...)
	b = base64.StdEncoding.AppendEncode(b, v.Signature)
	b = append(b, `","inclusion_proof":"/log/proof/inclusion?index=`...)
	b = strconv.AppendUint(b, v.Seq, 10)
	return append(b, `"}`...), nil
}

func viewStatement(st *ledger.Signed) StatementView {
	h := st.LeafHash()
	return StatementView{Seq: st.Seq, LeafHash: hex.EncodeToString(h[:]), Statement: st.Body, Signature: st.Sig}
}
