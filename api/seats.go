package api

import (
	"net/http"
	"slices"
	"time"

	"truce/agreement"
	"truce/centre"
	"truce/hotline"
	"truce/incident"
	"truce/ledger"
	"truce/seat"
)

// Seats and access: the monitoring term of the instruments in force says
// which countries sit in the centre, how many representatives each, and
// what they may read; viewers read what the public reads.

// access is what the caller may read now; on failure it answers and
// returns false.
func (s *Server) access(w http.ResponseWriter, r *http.Request) (seat.Access, bool) {
	acc, err := s.centre.Access(r.Context(), session(r))
	if err != nil {
		fail(w, r, err)
		return acc, false
	}
	return acc, true
}

func (s *Server) listSeats(w http.ResponseWriter, r *http.Request) {
	if member(w, r) == nil {
		return
	}
	q, err := query(r, "at")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	at := s.centre.Now()
	if q["at"] != "" {
		if at, err = time.Parse(time.RFC3339, q["at"]); err != nil {
			badRequest(w, r, ledger.Invalid("at", "must be an RFC 3339 time such as 2026-03-01T00:00:00Z"))
			return
		}
	}
	view, err := s.centre.Seats(r.Context(), at)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

// accredit records the caller's party's accreditation of one of its
// members.
func (s *Server) accredit(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p seat.Accredit
	if !readJSON(w, r, &p) {
		return
	}
	if _, _, err := p.Period(s.centre.Now()); err != nil {
		fail(w, r, err)
		return
	}
	st, err := s.centre.Say(r.Context(), sess, seat.TypeAccredit, p)
	answer(w, r, st, err, func() (any, error) {
		accs, err := s.centre.Store.Accreditations(r.Context(), sess.Member.Party, p.Member)
		for _, a := range accs {
			if a.Seq == st.Seq {
				return a, err
			}
		}
		return nil, err
	})
}

// consent records a belligerent's consent or objection.
func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p seat.Word
	if !readJSON(w, r, &p) {
		return
	}
	if err := p.Validate(); err != nil {
		fail(w, r, err)
		return
	}
	st, err := s.centre.Say(r.Context(), sess, seat.TypeConsent, p)
	answer(w, r, st, err, func() (any, error) {
		words, err := s.centre.Store.Words(r.Context(), p.Country)
		for _, x := range words {
			if x.Seq == st.Seq {
				return x, err
			}
		}
		return nil, err
	})
}

// custodyTrail lists the recorded reads of restricted evidence: of a file
// (sha256=) or an incident (incident=). A member who may read the incident
// reads its trail: every read of its party's evidence is there.
func (s *Server) custodyTrail(w http.ResponseWriter, r *http.Request) {
	if member(w, r) == nil {
		return
	}
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	q, err := query(r, "sha256", "incident")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	if q["incident"] != "" {
		if _, ok := incident.SeqOf(q["incident"]); !ok {
			badRequest(w, r, ledger.Invalid("incident", "must be an incident ID"))
			return
		}
	}
	if q["sha256"] != "" && (len(q["sha256"]) != 64 || !isHex(q["sha256"])) {
		badRequest(w, r, ledger.Invalid("sha256", "must be 64 lower-case hexadecimal digits"))
		return
	}
	if !acc.Incidents {
		fail(w, r, ledger.Forbidden("the custody trail names unpublished incidents; your access (%s) does not include incidents", acc.Basis))
		return
	}
	restricted, err := s.centre.Store.EvidenceRestrictions(r.Context(), q["sha256"], q["incident"])
	if err != nil {
		fail(w, r, err)
		return
	}
	reads, err := s.centre.Store.Custody(r.Context(), q["sha256"], q["incident"])
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"restricted": nonNil(restricted), "reads": nonNil(reads)})
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// canReadThread says whether sess reads th: its party and the centre's
// staff, and of a monitoring country's members only those whose access
// includes the hotline.
func (s *Server) canReadThread(r *http.Request, sess *centre.Session, th *hotline.Thread) bool {
	if sess == nil || th == nil || !th.CanRead(sess.Member, sess.Kind) {
		return false
	}
	if th.Party == sess.Member.Party {
		return true
	}
	acc, err := s.centre.Access(r.Context(), sess)
	return err == nil && acc.Hotline
}

// redact withholds from a document what the caller's access does not
// include: the protected sites without sites, the lines and areas of the
// zone without zone. It returns the document (a copy when changed) and
// what was withheld.
func redact(d agreement.Document, acc seat.Access) (agreement.Document, []string) {
	var withheld []string
	terms := slices.Clone(d.Terms)
	for i, t := range terms {
		switch {
		case !acc.Sites && t.Type == agreement.ProtectedSites && t.Sites != nil:
			t.Sites = []agreement.Site{}
			withheld = appendOnce(withheld, seat.Sites)
		case !acc.Zone && t.Type == agreement.ReferenceLine && t.Geometry != nil:
			t.Geometry = nil
			withheld = appendOnce(withheld, seat.Zone)
		case !acc.Zone && t.Type == agreement.DisengagementZone && t.Areas != nil:
			t.Areas = []agreement.Area{}
			withheld = appendOnce(withheld, seat.Zone)
		}
		terms[i] = t
	}
	if withheld == nil {
		return d, nil
	}
	d.Terms = terms
	return d, withheld
}

func appendOnce(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// ledgerReader answers 401 or 403 and returns false unless the caller may
// read the ledger itself, which holds unpublished reports: a member whose
// access includes incidents.
func (s *Server) ledgerReader(w http.ResponseWriter, r *http.Request) bool {
	if member(w, r) == nil {
		return false
	}
	acc, ok := s.access(w, r)
	if ok && !acc.Incidents {
		fail(w, r, ledger.Forbidden("the ledger holds unpublished reports, and your access (%s) reads published material only", acc.Basis))
		return false
	}
	return ok
}
