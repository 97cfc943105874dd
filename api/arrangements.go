package api

import (
	"net/http"
	"slices"
	"time"

	"truce/agreement"
	"truce/geo"
	"truce/ledger"
)

// Localized arrangements: repair windows, corridors, evacuations and
// exchanges. Each is an agreement instrument; these endpoints carry its
// request, guarantees and life (docs/statements.md, "Arrangements").

func (s *Server) listArrangements(w http.ResponseWriter, r *http.Request) {
	if member(w, r) == nil {
		return
	}
	q, err := query(r, "state", "at")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	at, err := q.time("at")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	states, err := enums(q, "state", arrangementStates)
	if err != nil {
		badRequest(w, r, err)
		return
	}
	all, err := s.centre.Arrangements(r.Context(), at)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := all[:0]
	for _, a := range all {
		if len(states) == 0 || slices.Contains(states, a.Status.State) {
			out = append(out, a)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

var arrangementStates = []string{agreement.ArrRequested, agreement.ArrDeclined, agreement.ArrGuaranteed, agreement.ArrActive,
	agreement.ArrSuspended, agreement.ArrEnded, agreement.ArrWithdrawn, agreement.ArrCancelled, agreement.ArrClosed, agreement.ArrLapsed}

func (s *Server) getArrangement(w http.ResponseWriter, r *http.Request) {
	if member(w, r) == nil {
		return
	}
	q, err := query(r, "at")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	at, err := q.time("at")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	a, err := s.centre.Arrangement(r.Context(), r.PathValue("id"), at)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// arrangementRecord answers with the arrangement after a statement.
func (s *Server) arrangementRecord(r *http.Request, id string) func() (any, error) {
	return func() (any, error) { return s.centre.Arrangement(r.Context(), id, time.Time{}) }
}

// requestArrangement records arrangement.request. A missing "from" is now.
func (s *Server) requestArrangement(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p agreement.RequestArrangement
	if !readJSON(w, r, &p) {
		return
	}
	if p.From == "" {
		p.From = s.centre.Now().Format(time.RFC3339)
	}
	// Check what can be checked before signing, so that the field named
	// is the request's own.
	if err := p.Validate(s.centre.Now()); err != nil {
		fail(w, r, err)
		return
	}
	s.say(w, r, sess, agreement.TypeArrangementRequest, p, s.arrangementRecord(r, p.ID))
}

// arrangementVersion reads the latest version of an arrangement, or answers 404.
func (s *Server) arrangementVersion(w http.ResponseWriter, r *http.Request) *agreement.Version {
	id := r.PathValue("id")
	v, err := s.centre.Store.Agreement(r.Context(), id, 0)
	if err == nil && (v == nil || v.Document.Arrangement == nil) {
		err = ledger.NotFound("no arrangement %q", id)
	}
	if err != nil {
		fail(w, r, err)
		return nil
	}
	return v
}

// guarantee signs the arrangement's latest version with the member's key
// (held by the centre): the party's guarantee. A member holding its own
// key signs with "truce agreement sign" and submits the statement.
func (s *Server) guarantee(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var b struct {
		Version int `json:"version"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	v := s.arrangementVersion(w, r)
	if v == nil {
		return
	}
	if b.Version != 0 && b.Version != v.Version {
		fail(w, r, ledger.Invalid("version", "the guarantees sought are on version %d", v.Version))
		return
	}
	st, err := s.centre.SignAgreement(r.Context(), sess, v.ID, v.Version, time.Time{})
	answer(w, r, st, err, s.arrangementRecord(r, v.ID))
}

// arrangementStatement records one of the statements about an existing
// arrangement; body builds its payload from the request body.
func arrangementStatement[B any](typ string, payload func(id string, b B) any) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		sess := member(w, r)
		if sess == nil {
			return
		}
		var b B
		if !readJSON(w, r, &b) {
			return
		}
		v := s.arrangementVersion(w, r)
		if v == nil {
			return
		}
		s.say(w, r, sess, typ, payload(v.ID, b), s.arrangementRecord(r, v.ID))
	}
}

type (
	respondBody struct {
		Response string `json:"response"`
		Text     string `json:"text"`
	}
	changeBody struct {
		Until    string `json:"until,omitempty"`
		Deadline string `json:"deadline,omitempty"`
		Reason   string `json:"reason,omitempty"`
	}
	checkInBody struct {
		Side  string        `json:"side"`
		Place *geo.Geometry `json:"place,omitempty"`
		Note  string        `json:"note,omitempty"`
	}
	closeBody struct {
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	}
)

func changePayload(id string, b changeBody) any {
	return agreement.ChangeArrangement{Arrangement: id, Until: b.Until, Deadline: b.Deadline, Reason: b.Reason}
}

var (
	respondArrangement = arrangementStatement(agreement.TypeArrangementRespond, func(id string, b respondBody) any {
		return agreement.RespondArrangement{Arrangement: id, Response: b.Response, Text: b.Text}
	})
	withdrawGuarantee  = arrangementStatement(agreement.TypeArrangementWithdraw, changePayload)
	extendArrangement  = arrangementStatement(agreement.TypeArrangementExtend, changePayload)
	cutArrangement     = arrangementStatement(agreement.TypeArrangementCut, changePayload)
	cancelArrangement  = arrangementStatement(agreement.TypeArrangementCancel, changePayload)
	checkInArrangement = arrangementStatement(agreement.TypeArrangementCheckIn, func(id string, b checkInBody) any {
		return agreement.CheckIn{Arrangement: id, Side: b.Side, Place: b.Place, Note: b.Note}
	})
	closeArrangement = arrangementStatement(agreement.TypeArrangementClose, func(id string, b closeBody) any {
		return agreement.CloseArrangement{Arrangement: id, Outcome: b.Outcome, Reason: b.Reason}
	})
)
