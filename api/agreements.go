package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"truce/agreement"
	"truce/incident"
	"truce/ledger"
	"truce/party"
)

// MaxPlanBody bounds a plan or draft: a line of contact with tens of
// thousands of vertices and a registry of thousands of sites.
const MaxPlanBody = 16 << 20

// planView is a plan with, when asked for, its document.
type planView struct {
	*agreement.Plan
	Document *agreement.Document `json:"document,omitempty"`
}

func (s *Server) listPlans(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	all, err := s.centre.Store.Plans(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := []*agreement.Plan{}
	for _, p := range all {
		if p.VisibleTo(sess.Member.Party) {
			out = append(out, p)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// plan loads a plan the caller may see: its own party's, or a shared one.
// Another party's unshared plan does not exist for the caller.
func (s *Server) plan(w http.ResponseWriter, r *http.Request, id string) *agreement.Plan {
	sess := member(w, r)
	if sess == nil {
		return nil
	}
	p, err := s.centre.Store.Plan(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return nil
	}
	if p == nil || !p.VisibleTo(sess.Member.Party) {
		fail(w, r, ledger.NotFound("no plan %q", id))
		return nil
	}
	return p
}

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "version")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	version, err := q.uint("version", 0)
	if err != nil {
		badRequest(w, r, err)
		return
	}
	p := s.plan(w, r, r.PathValue("id"))
	if p == nil {
		return
	}
	doc, err := s.centre.PlanDocument(p, int(version))
	if err != nil {
		fail(w, r, err)
		return
	}
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	shown, _ := redact(*doc, acc) // the sites and the zone a seat's access leaves out
	writeJSON(w, http.StatusOK, planView{Plan: p, Document: &shown})
}

func (s *Server) submitPlan(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var body struct {
		Plan  agreement.Document `json:"plan"`
		Round string             `json:"round,omitempty"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if err := body.Plan.Validate(); err != nil {
		badRequest(w, r, ledger.Within("plan", err))
		return
	}
	st, err := s.centre.SubmitPlan(r.Context(), sess, &body.Plan, body.Round, time.Time{})
	answer(w, r, st, err, func() (any, error) { return s.centre.Store.Plan(r.Context(), body.Plan.ID) })
}

// uploadPlan keeps a plan document for a member who signs plan.submit
// itself, and answers with the digest to sign.
func (s *Server) uploadPlan(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	if !sess.Member.Has(party.Representative) || (sess.Kind != party.Belligerent && sess.Kind != party.Mediator) {
		fail(w, r, ledger.Forbidden("plans are submitted by the representatives of belligerent and mediating parties"))
		return
	}
	var body struct {
		Plan agreement.Document `json:"plan"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	sum, err := s.centre.StorePlan(&body.Plan)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"plan": body.Plan.ID, "version": body.Plan.Version, "digest": sum})
}

func (s *Server) sharePlan(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	p := s.plan(w, r, r.PathValue("id"))
	if p == nil {
		return
	}
	s.say(w, r, sess, agreement.TypePlanShare, agreement.SharePlan{Plan: p.ID}, func() (any, error) {
		return s.centre.Store.Plan(r.Context(), p.ID)
	})
}

// stanceBody is a stance as posted: its target comes from the path.
type stanceBody struct {
	Version int             `json:"version"`
	Term    string          `json:"term"`
	Stance  string          `json:"stance"`
	Counter *agreement.Term `json:"counter,omitempty"`
	Note    string          `json:"note,omitempty"`
}

func (s *Server) planStance(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var b stanceBody
	if !readJSON(w, r, &b) {
		return
	}
	p := s.plan(w, r, r.PathValue("id"))
	if p == nil {
		return
	}
	if b.Version == 0 {
		b.Version = p.Version
	}
	// The plan's terms are off the ledger; the fold cannot check the term,
	// so it is checked here against the document.
	doc, err := s.centre.PlanDocument(p, b.Version)
	if err != nil {
		fail(w, r, err)
		return
	}
	if doc.Term(b.Term) == nil {
		badRequest(w, r, ledger.Invalid("term", "plan %s version %d has no term %q", p.ID, b.Version, b.Term))
		return
	}
	payload := agreement.TakeStance{On: p.ID, Version: b.Version, Term: b.Term, Stance: b.Stance, Counter: b.Counter, Note: b.Note}
	s.say(w, r, sess, agreement.TypeStance, payload, func() (any, error) { return s.centre.Store.Plan(r.Context(), p.ID) })
}

// comparePlans sets plans (and agreement drafts) side by side:
// ?plans=ua-plan,ru-plan[,agreement-id].
func (s *Server) comparePlans(w http.ResponseWriter, r *http.Request) {
	if member(w, r) == nil {
		return
	}
	q, err := query(r, "plans")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	ids := strings.Split(q["plans"], ",")
	if len(ids) < 2 || len(ids) > 8 {
		badRequest(w, r, ledger.Invalid("plans", "name 2 to 8 plans or agreements, separated by commas"))
		return
	}
	var sides []agreement.Side
	for _, id := range ids {
		if v, err := s.centre.Store.Agreement(r.Context(), id, 0); err == nil && v != nil {
			sides = append(sides, agreement.Side{ID: id, Doc: &v.Document, Version: v.Version, Stances: v.Stances})
			continue
		}
		p := s.plan(w, r, id)
		if p == nil {
			return
		}
		doc, err := s.centre.PlanDocument(p, 0)
		if err != nil {
			fail(w, r, err)
			return
		}
		sides = append(sides, agreement.Side{ID: id, Doc: doc, Version: p.Version, Stances: p.Stances})
	}
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	for i := range sides {
		d, _ := redact(*sides[i].Doc, acc) // the sites and the zone a seat's access leaves out
		sides[i].Doc = &d
	}
	writeJSON(w, http.StatusOK, agreement.Compare(sides))
}

// agreementView is a version with who has signed, what its entry into
// force still needs, and where its instrument stands now.
type agreementView struct {
	*agreement.Version
	SignedBy     []string                `json:"signed_by"`
	Missing      []string                `json:"missing"`
	Requirements []agreement.Requirement `json:"requirements"`
	// InForce: this very version is in force now.
	InForce bool `json:"in_force"`
	// Status is the instrument's, now: in force (and which version),
	// pending, expired, suspended, terminated or replaced.
	Status   agreement.Status        `json:"status"`
	Events   []agreement.StatusEvent `json:"events"`
	Versions []int                   `json:"versions"`
	Replaces []agreementRef          `json:"replaces,omitempty"`
	// Preconditions: how each quiet-days condition stands now.
	Preconditions []agreement.PreconditionStatus `json:"preconditions,omitempty"`
	// Withheld lists what the caller's access leaves out of the document:
	// sites (the protected sites) or zone (the lines and areas).
	Withheld []string `json:"withheld,omitempty"`
}

// agreementRef names another instrument and its state now.
type agreementRef struct {
	Agreement string `json:"agreement"`
	State     string `json:"state"`
}

// preconditions counts each quiet-days condition from entry into force, or
// the last resumption: only incidents whose finding is a violation break
// the count; those still under verification put it at risk.
func (s *Server) preconditions(r *http.Request, reg *agreement.Registry, v *agreement.Version) ([]agreement.PreconditionStatus, error) {
	if !v.Signed {
		return nil, nil
	}
	var out []agreement.PreconditionStatus
	for i := range v.Document.Terms {
		t := &v.Document.Terms[i]
		if t.Type != agreement.Precondition {
			continue
		}
		since := v.Start()
		if v.SignedAt.After(since) {
			since = *v.SignedAt
		}
		if resumed, ok := reg.Instrument(v.ID).LastResumed(); ok && resumed.After(since) {
			since = resumed
		}
		var flagged []agreement.Flagged
		f := incident.Filter{Agreement: v.ID, Term: t.Zone, Limit: 1000}
		for {
			page, err := s.centre.Store.Incidents(r.Context(), f)
			if err != nil {
				return nil, err
			}
			for _, inc := range page.Items {
				fl := agreement.Flagged{Incident: inc.ID, From: inc.From, Until: inc.Until}
				if inc.Finding != nil {
					fl.Outcome = string(inc.Finding.Outcome)
				}
				flagged = append(flagged, fl)
			}
			if page.Next == 0 {
				break
			}
			f.Before = page.Next
		}
		out = append(out, agreement.QuietDays(t, since, time.Now(), flagged))
	}
	return out, nil
}

func (s *Server) viewAgreement(r *http.Request, v *agreement.Version) (agreementView, error) {
	acc, err := s.centre.Access(r.Context(), session(r))
	if err != nil {
		return agreementView{}, err
	}
	doc, withheld := redact(v.Document, acc)
	shown := *v
	shown.Document = doc
	out := agreementView{Version: &shown, SignedBy: v.SignedBy(), Missing: []string{}, Withheld: withheld}
	if out.SignedBy == nil {
		out.SignedBy = []string{}
	}
	for _, p := range v.Document.Signers() {
		if !slices.Contains(out.SignedBy, p) {
			out.Missing = append(out.Missing, p)
		}
	}
	out.Requirements = v.Document.Requirements(out.SignedBy)
	reg, err := s.centre.Registry(r.Context())
	if err != nil {
		return out, err
	}
	now := time.Now()
	out.Status = reg.Status(v.ID, now)
	out.InForce = out.Status.State == agreement.StateInForce && out.Status.Version == v.Version
	out.Events = []agreement.StatusEvent{}
	if in := reg.Instrument(v.ID); in != nil {
		out.Events = in.Events
	}
	for _, x := range reg.Versions(v.ID) {
		out.Versions = append(out.Versions, x.Version)
	}
	for _, id := range v.Document.Replaces {
		out.Replaces = append(out.Replaces, agreementRef{Agreement: id, State: reg.Status(id, now).State})
	}
	out.Preconditions, err = s.preconditions(r, reg, v)
	return out, err
}

// inForce lists the instruments in force at ?at= (default now), each with
// its version: instruments stack, and every one of them judges incidents.
func (s *Server) inForce(w http.ResponseWriter, r *http.Request) {
	if member(w, r) == nil {
		return
	}
	q, err := query(r, "at")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	at := time.Now().UTC()
	if q["at"] != "" {
		if at, err = time.Parse(time.RFC3339, q["at"]); err != nil {
			badRequest(w, r, ledger.Invalid("at", "must be an RFC 3339 time such as 2026-03-01T00:00:00Z"))
			return
		}
	}
	reg, err := s.centre.Registry(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	type item struct {
		Agreement string             `json:"agreement"`
		Version   int                `json:"version"`
		Title     agreement.Texts    `json:"title"`
		Since     time.Time          `json:"since"`
		Until     *time.Time         `json:"until,omitempty"`
		Parties   []string           `json:"parties"`
		Signing   *agreement.Signing `json:"signing,omitempty"`
	}
	items := []item{}
	for _, v := range reg.InForce(at) {
		it := item{Agreement: v.ID, Version: v.Version, Title: v.Document.Title, Since: v.Start(), Parties: v.Document.Parties, Signing: v.Document.Signing}
		if _, until, ok := v.Document.EffectiveWindow(); ok && !until.IsZero() {
			it.Until = &until
		}
		items = append(items, it)
	}
	others := []map[string]any{}
	for _, id := range reg.IDs() {
		if st := reg.Status(id, at); st.State != agreement.StateInForce {
			others = append(others, map[string]any{"agreement": id, "status": st})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"at": at.UTC(), "items": items, "not_in_force": others})
}

func (s *Server) listAgreements(w http.ResponseWriter, r *http.Request) {
	if member(w, r) == nil {
		return
	}
	all, err := s.centre.Store.Agreements(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	// The latest version of each agreement.
	out := []agreementView{}
	for i, v := range all {
		if i+1 < len(all) && all[i+1].ID == v.ID {
			continue
		}
		view, err := s.viewAgreement(r, v)
		if err != nil {
			fail(w, r, err)
			return
		}
		out = append(out, view)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *Server) agreementVersion(w http.ResponseWriter, r *http.Request) *agreement.Version {
	if member(w, r) == nil {
		return nil
	}
	q, err := query(r, "version")
	if err != nil {
		badRequest(w, r, err)
		return nil
	}
	version, err := q.uint("version", 0)
	if err != nil {
		badRequest(w, r, err)
		return nil
	}
	id := r.PathValue("id")
	v, err := s.centre.Store.Agreement(r.Context(), id, int(version))
	if err != nil {
		fail(w, r, err)
		return nil
	}
	if v == nil {
		if version == 0 {
			fail(w, r, ledger.NotFound("no agreement %q", id))
		} else {
			fail(w, r, ledger.NotFound("no agreement %q version %d", id, version))
		}
		return nil
	}
	return v
}

func (s *Server) getAgreement(w http.ResponseWriter, r *http.Request) {
	if v := s.agreementVersion(w, r); v != nil {
		view, err := s.viewAgreement(r, v)
		if err != nil {
			fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, view)
	}
}

// agreementFile exports a version with its signatures, for
// truce agreement verify.
func (s *Server) agreementFile(w http.ResponseWriter, r *http.Request) {
	if v := s.agreementVersion(w, r); v != nil {
		acc, ok := s.access(w, r)
		if !ok {
			return
		}
		if _, withheld := redact(v.Document, acc); withheld != nil {
			fail(w, r, ledger.Forbidden("the signed file holds %s, which your access (%s) does not include", strings.Join(withheld, " and "), acc.Basis))
			return
		}
		w.Header().Set("Content-Disposition", `attachment; filename="`+v.ID+`-v`+strconv.Itoa(v.Version)+`.json"`)
		writeJSON(w, http.StatusOK, v.File())
	}
}

func (s *Server) draftAgreement(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p agreement.DraftAgreement
	if !readJSON(w, r, &p) {
		return
	}
	if err := p.Agreement.Validate(); err != nil {
		badRequest(w, r, ledger.Within("agreement", err))
		return
	}
	// Plans are off the ledger, so the fold cannot check where a term came
	// from; the drafter can see the shared plans, and so can this check.
	for term, src := range p.Sources {
		if src == "mediator" {
			continue
		}
		planID, planTerm, ok := strings.Cut(src, "/")
		plan, err := s.centre.Store.Plan(r.Context(), planID)
		if err != nil {
			fail(w, r, err)
			return
		}
		if !ok || plan == nil || !plan.VisibleTo(sess.Member.Party) {
			badRequest(w, r, ledger.Invalid("sources."+term, "%q is not \"mediator\" nor PLAN/TERM of a plan you can read", src))
			return
		}
		found := false
		for _, v := range plan.Versions {
			doc, err := s.centre.PlanDocument(plan, v.Version)
			if err != nil {
				fail(w, r, err)
				return
			}
			found = found || doc.Term(planTerm) != nil
		}
		if !found {
			badRequest(w, r, ledger.Invalid("sources."+term, "plan %s has no term %q", planID, planTerm))
			return
		}
	}
	s.say(w, r, sess, agreement.TypeDraft, p, func() (any, error) {
		return s.centre.Store.Agreement(r.Context(), p.Agreement.ID, p.Agreement.Version)
	})
}

// signAgreement signs a version, or with "dry_run" says what signing would
// do: whether it completes the version, which instruments leave force, and
// which incidents' evaluations change.
func (s *Server) signAgreement(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var b struct {
		Version int  `json:"version"`
		DryRun  bool `json:"dry_run"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	id := r.PathValue("id")
	if b.DryRun {
		impact, err := s.centre.SignImpact(r.Context(), sess.Member.Party, id, b.Version)
		if err != nil {
			fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"dry_run": true, "impact": impact})
		return
	}
	st, err := s.centre.SignAgreement(r.Context(), sess, id, b.Version, time.Time{})
	answer(w, r, st, err, func() (any, error) {
		v, err := s.centre.Store.Agreement(r.Context(), id, b.Version)
		if err != nil || v == nil {
			return v, err
		}
		return s.viewAgreement(r, v)
	})
}

// changeAgreement suspends, resumes or terminates an instrument, or with
// "dry_run" says which evaluations that would change.
func changeAgreement(kind, typ string) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		sess := member(w, r)
		if sess == nil {
			return
		}
		var b struct {
			From   string `json:"from,omitempty"`
			Reason string `json:"reason,omitempty"`
			DryRun bool   `json:"dry_run"`
		}
		if !readJSON(w, r, &b) {
			return
		}
		id := r.PathValue("id")
		p := agreement.ChangeStatus{Agreement: id, From: b.From, Reason: b.Reason}
		if err := p.Validate(kind); err != nil {
			fail(w, r, err)
			return
		}
		if v, err := s.centre.Store.Agreement(r.Context(), id, 0); err != nil || v == nil {
			fail(w, r, firstErr(err, ledger.NotFound("no agreement %q", id)))
			return
		}
		if b.DryRun {
			impact, err := s.centre.ChangeImpact(r.Context(), sess, kind, p)
			if err != nil {
				fail(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"dry_run": true, "impact": impact})
			return
		}
		s.say(w, r, sess, typ, p, func() (any, error) {
			v, err := s.centre.Store.Agreement(r.Context(), id, 0)
			if err != nil || v == nil {
				return v, err
			}
			return s.viewAgreement(r, v)
		})
	}
}

func (s *Server) agreementStance(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var b stanceBody
	if !readJSON(w, r, &b) {
		return
	}
	id := r.PathValue("id")
	v, err := s.centre.Store.Agreement(r.Context(), id, b.Version)
	if err != nil || v == nil {
		fail(w, r, firstErr(err, ledger.NotFound("no agreement %q (version %d; 0 is the latest)", id, b.Version)))
		return
	}
	payload := agreement.TakeStance{On: id, Version: v.Version, Term: b.Term, Stance: b.Stance, Counter: b.Counter, Note: b.Note}
	s.say(w, r, sess, agreement.TypeStance, payload, func() (any, error) { return s.centre.Store.Agreement(r.Context(), id, v.Version) })
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
