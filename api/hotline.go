package api

import (
	"fmt"
	"net/http"
	"slices"

	"truce/centre"
	"truce/hotline"
	"truce/incident"
	"truce/ledger"
	"truce/movement"
)

// The hotline: threads are read by their party and the centre's staff
// only; to anyone else a thread does not exist (404), so that its
// existence is not told either. Deadlines are judged by the centre's
// clock when a thread is read.

func (s *Server) listThreads(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	q, err := query(r, "status", "party", "kind")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	statuses, err := enums(q, "status", hotline.Statuses)
	if err != nil {
		badRequest(w, r, err)
		return
	}
	kinds, err := enums(q, "kind", hotline.Kinds)
	if err != nil {
		badRequest(w, r, err)
		return
	}
	threads, err := s.visibleThreads(r, sess, q["party"])
	if err != nil {
		fail(w, r, err)
		return
	}
	now := s.centre.Now()
	items := make([]*hotline.Thread, 0, len(threads))
	for _, th := range threads {
		if (len(statuses) == 0 || slices.Contains(statuses, th.Status)) && (len(kinds) == 0 || slices.Contains(kinds, th.Kind)) {
			items = append(items, th.Annotate(now))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": now, "items": items})
}

// visibleThreads lists the threads sess may read, of party when not "".
func (s *Server) visibleThreads(r *http.Request, sess *centre.Session, party string) ([]*hotline.Thread, error) {
	if party != "" && !ledger.IDPattern.MatchString(party) {
		return nil, ledger.Invalid("party", "must be a party ID")
	}
	all, err := s.centre.Store.Threads(r.Context(), party)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, th := range all {
		if s.canReadThread(r, sess, th) {
			out = append(out, th)
		}
	}
	return out, nil
}

func (s *Server) hotlineStats(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	if _, err := query(r); err != nil {
		badRequest(w, r, err)
		return
	}
	threads, err := s.visibleThreads(r, sess, "")
	if err != nil {
		fail(w, r, err)
		return
	}
	now := s.centre.Now()
	writeJSON(w, http.StatusOK, map[string]any{"now": now, "threads": len(threads), "parties": hotline.Measure(threads, now)})
}

// readableThread loads the thread in the path for sess, or answers 404.
func (s *Server) readableThread(w http.ResponseWriter, r *http.Request, sess *centre.Session) *hotline.Thread {
	id := r.PathValue("id")
	th, err := s.centre.Store.Thread(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return nil
	}
	if !s.canReadThread(r, sess, th) {
		fail(w, r, ledger.NotFound("no hotline thread %q", id))
		return nil
	}
	return th
}

func (s *Server) getThread(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	if th := s.readableThread(w, r, sess); th != nil {
		writeJSON(w, http.StatusOK, th.Annotate(s.centre.Now()))
	}
}

// threadRecord answers a write with the thread as it now stands.
func (s *Server) threadRecord(r *http.Request, id string) func() (any, error) {
	return func() (any, error) {
		th, err := s.centre.Store.Thread(r.Context(), id)
		if err != nil || th == nil {
			return nil, err
		}
		return th.Annotate(s.centre.Now()), nil
	}
}

// uploaded checks that each evidence file was uploaded with its size.
func (s *Server) uploaded(field string, evidence []incident.Evidence) error {
	for i, e := range evidence {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := e.Validate(); err != nil {
			return ledger.Within(f, err)
		}
		file, err := s.blobs.Open(e.SHA256)
		if err != nil {
			return ledger.Invalid(f+".sha256", "no uploaded file with this SHA-256; POST it to /v1/evidence first")
		}
		fi, err := file.Stat()
		file.Close()
		if err != nil {
			return fmt.Errorf("stat evidence %s: %w", e.SHA256, err)
		}
		if fi.Size() != e.Size {
			return ledger.Invalid(f+".size", "the uploaded file has %d bytes", fi.Size())
		}
	}
	return nil
}

func (s *Server) openThread(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p hotline.OpenThread
	if !readJSON(w, r, &p) {
		return
	}
	if _, err := p.Validate(); err != nil {
		fail(w, r, err)
		return
	}
	if err := s.uploaded("evidence", p.Evidence); err != nil {
		fail(w, r, err)
		return
	}
	st, err := s.centre.Say(r.Context(), sess, hotline.TypeOpen, p)
	if err != nil {
		fail(w, r, relabel(err, ""))
		return
	}
	id := hotline.IDFor(st.Seq)
	w.Header().Set("Location", "/v1/hotline/"+id)
	answer(w, r, st, nil, s.threadRecord(r, id))
}

// threadStep handles a write about the thread in the path: the body is the
// payload, whose thread, if named, must be the path's.
func threadStep[P any](typ string, thread func(*P) *string, check func(*Server, *P) error) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		sess := member(w, r)
		if sess == nil {
			return
		}
		var p P
		if !readJSON(w, r, &p) {
			return
		}
		th := s.readableThread(w, r, sess)
		if th == nil {
			return
		}
		if t := thread(&p); *t != "" && *t != th.ID {
			badRequest(w, r, ledger.Invalid("thread", "names %s but the path names %s", *t, th.ID))
			return
		} else {
			*t = th.ID
		}
		if check != nil {
			if err := check(s, &p); err != nil {
				fail(w, r, err)
				return
			}
		}
		s.say(w, r, sess, typ, p, s.threadRecord(r, th.ID))
	}
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	threadStep(hotline.TypeMessage, func(p *hotline.Say) *string { return &p.Thread }, func(s *Server, p *hotline.Say) error {
		if err := p.Body.Validate(); err != nil {
			return err
		}
		return s.uploaded("evidence", p.Evidence)
	})(s, w, r)
}

func (s *Server) ackMessage(w http.ResponseWriter, r *http.Request) {
	threadStep(hotline.TypeAck, func(p *hotline.Ack) *string { return &p.Thread }, nil)(s, w, r)
}

func (s *Server) linkThread(w http.ResponseWriter, r *http.Request) {
	threadStep(hotline.TypeLink, func(p *hotline.Link) *string { return &p.Thread }, nil)(s, w, r)
}

func (s *Server) resolveThread(w http.ResponseWriter, r *http.Request) {
	threadStep(hotline.TypeResolve, func(p *hotline.Resolve) *string { return &p.Thread }, nil)(s, w, r)
}

// usedMechanism records on the incident in the path that the caller's
// party used a hotline thread before responding.
func (s *Server) usedMechanism(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p hotline.Used
	if !readJSON(w, r, &p) {
		return
	}
	id := r.PathValue("id")
	if p.Incident != "" && p.Incident != id {
		badRequest(w, r, ledger.Invalid("incident", "names %s but the path names %s", p.Incident, id))
		return
	}
	p.Incident = id
	if p.Thread == "" {
		fail(w, r, ledger.Invalid("thread", "is required"))
		return
	}
	s.sayAbout(w, r, sess, hotline.TypeUsed, p, id)
}

// The movement register: every member reads it.

func (s *Server) listRestrictions(w http.ResponseWriter, r *http.Request) {
	if member(w, r) == nil {
		return
	}
	q, err := query(r, "actor", "subtype", "status")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	var f movement.Filter
	if f.Subtypes, err = enums(q, "subtype", movement.Subtypes); err != nil {
		badRequest(w, r, err)
		return
	}
	st, err := enums(q, "status", movement.Statuses)
	if err == nil && len(st) > 1 {
		err = ledger.Invalid("status", "name one status")
	}
	if err != nil {
		badRequest(w, r, err)
		return
	}
	if len(st) == 1 {
		f.Status = st[0]
	}
	if f.Actor = q["actor"]; f.Actor != "" && f.Actor != movement.UnknownActor && !ledger.IDPattern.MatchString(f.Actor) {
		badRequest(w, r, ledger.Invalid("actor", "must be a party ID or %q", movement.UnknownActor))
		return
	}
	all, err := s.centre.Store.Restrictions(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	now := s.centre.Now()
	var items []*movement.Restriction
	for _, x := range all {
		if f.Match(x) {
			items = append(items, x.Annotate(now))
		}
	}
	if items == nil {
		items = []*movement.Restriction{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": now, "items": items, "counts": movement.Count(items)})
}

func (s *Server) getRestriction(w http.ResponseWriter, r *http.Request) {
	if member(w, r) == nil {
		return
	}
	id := r.PathValue("id")
	x, err := s.centre.Store.Restriction(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	if x == nil {
		fail(w, r, ledger.NotFound("no restriction %q", id))
		return
	}
	writeJSON(w, http.StatusOK, x.Annotate(s.centre.Now()))
}

func (s *Server) restrictionRecord(r *http.Request, id string) func() (any, error) {
	return func() (any, error) {
		x, err := s.centre.Store.Restriction(r.Context(), id)
		if err != nil || x == nil {
			return nil, err
		}
		return x.Annotate(s.centre.Now()), nil
	}
}

func (s *Server) recordRestriction(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p movement.Record
	if !readJSON(w, r, &p) {
		return
	}
	if _, _, err := p.Validate(); err != nil {
		fail(w, r, err)
		return
	}
	st, err := s.centre.Say(r.Context(), sess, movement.TypeRecord, p)
	if err != nil {
		fail(w, r, relabel(err, ""))
		return
	}
	id := movement.IDFor(st.Seq)
	w.Header().Set("Location", "/v1/restrictions/"+id)
	answer(w, r, st, nil, s.restrictionRecord(r, id))
}

func (s *Server) endRestriction(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p movement.End
	if !readJSON(w, r, &p) {
		return
	}
	id := r.PathValue("id")
	if p.Restriction != "" && p.Restriction != id {
		badRequest(w, r, ledger.Invalid("restriction", "names %s but the path names %s", p.Restriction, id))
		return
	}
	p.Restriction = id
	if x, err := s.centre.Store.Restriction(r.Context(), id); err != nil || x == nil {
		fail(w, r, firstErr(err, ledger.NotFound("no restriction %q", id)))
		return
	}
	s.say(w, r, sess, movement.TypeEnd, p, s.restrictionRecord(r, id))
}

// threadReadable says whether sess may read the thread with ID id (for
// evidence downloads).
func (s *Server) threadReadable(r *http.Request, sess *centre.Session, id string) bool {
	if sess == nil {
		return false
	}
	th, err := s.centre.Store.Thread(r.Context(), id)
	return err == nil && s.canReadThread(r, sess, th)
}
