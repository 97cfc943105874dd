package api

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"truce/centre"
	"truce/geo"
	"truce/ledger"
	"truce/negotiation"
	"truce/party"
)

// jsonContent checks that a request declares its body as JSON:
// application/json or an application/…+json type, with no charset or
// charset=utf-8 (RFC 8259 JSON is UTF-8), in one Content-Type header. A
// body without one is not guessed at. Otherwise it answers 415 and returns
// false. The raw evidence upload (POST /v1/evidence) takes any media type
// and does not come here.
func jsonContent(w http.ResponseWriter, r *http.Request) bool {
	cts := r.Header.Values("Content-Type")
	var why string
	switch {
	case len(cts) == 0:
		why = "the request has no Content-Type; send the body as application/json"
	case len(cts) > 1:
		why = "the request has more than one Content-Type; send one, application/json"
	default:
		mt, params, err := mime.ParseMediaType(cts[0])
		charset, hasCharset := params["charset"]
		switch {
		case err != nil:
			why = fmt.Sprintf("Content-Type %q is unreadable; send application/json", cts[0])
		case mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")):
			why = fmt.Sprintf("the body is %s; send application/json", mt)
		case hasCharset && !strings.EqualFold(charset, "utf-8"):
			why = fmt.Sprintf("charset=%s: JSON is UTF-8, so send charset=utf-8 or no charset", charset)
		}
	}
	if why == "" {
		return true
	}
	w.Header().Set("Accept-Post", "application/json")
	writeProblem(w, r, Problem{Type: problemBase + "unsupported-media-type", Title: "Unsupported media type",
		Status: http.StatusUnsupportedMediaType, Detail: why})
	return false
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"member": sess.Member, "party_kind": sess.Kind, "centre_signs": sess.CanSign(), "access": acc})
}

func (s *Server) listParties(w http.ResponseWriter, r *http.Request) {
	ps, err := s.centre.Store.Parties(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(ps)})
}

func (s *Server) getParty(w http.ResponseWriter, r *http.Request) {
	p, err := s.centre.Store.Party(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	if p == nil {
		fail(w, r, ledger.NotFound("no party %q", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) registerParty(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p party.Register
	if !readJSON(w, r, &p) {
		return
	}
	s.say(w, r, sess, party.TypeRegister, p, func() (any, error) { return s.centre.Store.Party(r.Context(), p.ID) })
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) {
	if member(w, r) == nil {
		return
	}
	ms, err := s.centre.Store.Members(r.Context(), r.URL.Query().Get("party"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(ms)})
}

// addMemberRequest is the body of POST /v1/members. Without public_key the
// centre makes the member's key pair and signs for it.
type addMemberRequest struct {
	ID        string       `json:"id,omitempty"`
	Party     string       `json:"party"`
	Name      string       `json:"name"`
	Roles     []party.Role `json:"roles"`
	PublicKey string       `json:"public_key,omitempty"`
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	if !party.CanAdminister(sess.Member) {
		fail(w, r, ledger.Forbidden("only the centre's coordinators add members"))
		return
	}
	var req addMemberRequest
	if !readJSON(w, r, &req) {
		return
	}
	nm := centre.NewMember{ID: req.ID, Party: req.Party, Name: req.Name, Roles: req.Roles, By: sess}
	if req.PublicKey != "" {
		k, err := base64.StdEncoding.DecodeString(req.PublicKey)
		if err != nil || len(k) != ed25519.PublicKeySize {
			badRequest(w, r, ledger.Invalid("public_key", "must be a base64 ed25519 public key of 32 bytes"))
			return
		}
		nm.PublicKey = k
	}
	token, st, err := s.centre.AddMember(r.Context(), nm)
	if err != nil {
		fail(w, r, relabel(err, "")) // the fold names payload fields: a key already registered
		return
	}
	id, _ := decodeAdd(st)
	m, err := s.centre.Store.Member(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"member": m, "token": token, "statement": viewStatement(st)})
}

func decodeAdd(st *ledger.Signed) (string, error) {
	var a party.Add
	err := ledger.Decode(st.Statement.Payload, &a)
	return a.ID, err
}

// say has the centre sign and append a statement for sess, then answers 201
// with the statement and the record it changed.
func (s *Server) say(w http.ResponseWriter, r *http.Request, sess *centre.Session, typ string, payload any, record func() (any, error)) {
	st, err := s.centre.Say(r.Context(), sess, typ, payload)
	answer(w, r, st, err, record)
}

// answer reports a statement just made (or why it was refused) with the
// record it changed.
func answer(w http.ResponseWriter, r *http.Request, st *ledger.Signed, err error, record func() (any, error)) {
	if err != nil {
		fail(w, r, relabel(err, ""))
		return
	}
	rec, err := record()
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"statement": viewStatement(st), "record": rec})
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	st, err := ledger.OpenEnvelope(body)
	if err != nil {
		badRequest(w, r, err)
		return
	}
	if err := s.centre.Submit(r.Context(), sess, st); err != nil {
		fail(w, r, relabel(err, "statement.payload."))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"statement": viewStatement(st)})
}

// batchResult is the verdict on one statement of a batch: its place in the
// ledger, or the problem that refused it.
type batchResult struct {
	Seq      *uint64  `json:"seq,omitempty"`
	LeafHash string   `json:"leaf_hash,omitempty"`
	Problem  *Problem `json:"problem,omitempty"`
}

// submitBatch takes up to MaxBatch client-signed statements, for automated
// feeds. Each is accepted or refused on its own; the answer is 200 with one
// result per statement, in order.
func (s *Server) submitBatch(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	all, errs, err := ledger.OpenBatch(body, MaxBatch)
	if err != nil {
		badRequest(w, r, err)
		return
	}
	results := make([]batchResult, len(all))
	var opened []*ledger.Signed
	var at []int
	for i, st := range all {
		if errs[i] != nil {
			results[i].Problem = problemFor(errs[i], r)
			continue
		}
		opened = append(opened, st)
		at = append(at, i)
	}
	for j, err := range s.centre.SubmitMany(r.Context(), sess, opened) {
		i := at[j]
		if err != nil {
			results[i].Problem = problemFor(relabel(err, fmt.Sprintf("statements[%d].statement.payload.", i)), r)
			continue
		}
		seq := opened[j].Seq
		h := opened[j].LeafHash()
		results[i].Seq, results[i].LeafHash = &seq, hex.EncodeToString(h[:])
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

func (s *Server) listStatements(w http.ResponseWriter, r *http.Request) {
	if !s.ledgerReader(w, r) {
		return
	}
	q, err := query(r, "from", "limit")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	from, err := q.uint("from", 0)
	if err != nil {
		badRequest(w, r, err)
		return
	}
	limit, err := q.limit(100, 1000)
	if err != nil {
		badRequest(w, r, err)
		return
	}
	sts, err := s.centre.Store.Statements(r.Context(), from, limit)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]StatementView, len(sts))
	for i, st := range sts {
		out[i] = viewStatement(st)
	}
	resp := map[string]any{"items": out}
	if len(sts) == limit {
		resp["next"] = sts[len(sts)-1].Seq + 1
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getStatement(w http.ResponseWriter, r *http.Request) {
	if !s.ledgerReader(w, r) {
		return
	}
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 63)
	if err != nil {
		badRequest(w, r, ledger.Invalid("seq", "must be a ledger index"))
		return
	}
	st, err := s.centre.Store.Statement(r.Context(), seq)
	if err != nil {
		fail(w, r, err)
		return
	}
	if st == nil {
		fail(w, r, ledger.NotFound("no statement at index %d", seq))
		return
	}
	writeJSON(w, http.StatusOK, viewStatement(st))
}

// params reads query parameters, refusing unknown ones and repeats.
type params map[string]string

func query(r *http.Request, allowed ...string) (params, error) {
	out := params{}
	for k, vs := range r.URL.Query() {
		if !slices.Contains(allowed, k) {
			return nil, ledger.Invalid(k, "unknown query parameter; allowed: %s", strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return nil, ledger.Invalid(k, "given more than once; separate values with commas")
		}
		out[k] = vs[0]
	}
	return out, nil
}

func (p params) uint(name string, def uint64) (uint64, error) {
	v, ok := p[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 63)
	if err != nil {
		return 0, ledger.Invalid(name, "must be a non-negative integer")
	}
	return n, nil
}

func (p params) limit(def, max int) (int, error) {
	n, err := p.uint("limit", uint64(def))
	if err != nil || n == 0 || n > uint64(max) {
		return 0, ledger.Invalid("limit", "must be between 1 and %d", max)
	}
	return int(n), nil
}

func (p params) time(name string) (time.Time, error) {
	v, ok := p[name]
	if !ok {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		if d, derr := time.Parse("2006-01-02", v); derr == nil {
			return d, nil
		}
		return t, ledger.Invalid(name, "must be an RFC 3339 time or a date (2026-01-24)")
	}
	return t, nil
}

func enums[T ~string](p params, name string, allowed []T) ([]T, error) {
	v, ok := p[name]
	if !ok {
		return nil, nil
	}
	var out []T
	for _, x := range strings.Split(v, ",") {
		if !slices.Contains(allowed, T(x)) {
			return nil, ledger.Invalid(name, "unknown value %q", x)
		}
		out = append(out, T(x))
	}
	return out, nil
}

func parseBBox(v string) (*geo.BBox, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return nil, ledger.Invalid("bbox", "must be west,south,east,north")
	}
	var b geo.BBox
	for i, s := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || f != f {
			return nil, ledger.Invalid("bbox", "%q is not a number", s)
		}
		b[i] = f
	}
	if b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 || b[0] > b[2] || b[1] > b[3] {
		return nil, ledger.Invalid("bbox", "must be west,south,east,north within [-180,180]×[-90,90], west ≤ east, south ≤ north")
	}
	return &b, nil
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func (s *Server) listRounds(w http.ResponseWriter, r *http.Request) {
	rs, err := s.centre.Store.Rounds(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(rs)})
}

func (s *Server) recordRound(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p negotiation.Round
	if !readJSON(w, r, &p) {
		return
	}
	if p.Seq != 0 {
		badRequest(w, r, ledger.Invalid("seq", "is set by the ledger"))
		return
	}
	s.say(w, r, sess, negotiation.TypeRound, p, func() (any, error) {
		rs, err := s.centre.Store.Rounds(r.Context())
		for _, x := range rs {
			if x.ID == p.ID {
				return x, err
			}
		}
		return nil, err
	})
}
