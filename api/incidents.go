package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"truce/alert"
	"truce/centre"
	"truce/hotline"
	"truce/incident"
	"truce/ledger"
	"truce/party"
	"truce/seat"
)

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "from", "to", "bbox", "type", "status", "party", "actor", "event", "term", "cursor", "limit")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	f, err := filterOf(r, q, acc)
	if err == nil && f.Term != "" {
		err = s.knownTerm(r, f.Agreement, f.Term)
	}
	if err != nil {
		badRequest(w, r, err)
		return
	}
	if f.Before, err = q.uint("cursor", 0); err == nil {
		f.Limit, err = q.limit(100, 1000)
	}
	if err != nil {
		badRequest(w, r, err)
		return
	}
	page, err := s.centre.Store.Incidents(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	for i, inc := range page.Items {
		page.Items[i] = publicView(acc, inc)
	}
	resp := map[string]any{"items": page.Items}
	if page.Next > 0 {
		resp["next_cursor"] = strconv.FormatUint(page.Next, 10)
	}
	writeJSON(w, http.StatusOK, resp)
}

// mapIncidents answers a map's viewport: the incidents in bbox, clustered
// on a grid that suits zoom (about 16 cells across a 256-pixel tile), as
// GeoJSON points whose properties carry the count.
func (s *Server) mapIncidents(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "from", "to", "bbox", "type", "status", "party", "actor", "zoom")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	f, err := filterOf(r, q, acc)
	if err != nil {
		badRequest(w, r, err)
		return
	}
	zoom, err := q.uint("zoom", 0)
	if err != nil || zoom > 22 {
		badRequest(w, r, ledger.Invalid("zoom", "must be an integer from 0 to 22"))
		return
	}
	cell := 360 / float64(uint64(1)<<zoom) / 16
	var cs []incident.Cluster
	if s.centre.Map.Serves(f) && s.centre.MapCaughtUp(r.Context()) {
		cs = s.centre.Map.Clusters(f, cell)
	} else if cs, err = s.centre.Store.Clusters(r.Context(), f, cell); err != nil {
		fail(w, r, err)
		return
	}
	type feature struct {
		Type       string           `json:"type"`
		Geometry   map[string]any   `json:"geometry"`
		Properties incident.Cluster `json:"properties"`
	}
	out := make([]feature, len(cs))
	for i, c := range cs {
		out[i] = feature{Type: "Feature", Geometry: map[string]any{"type": "Point", "coordinates": []float64{c.Lon, c.Lat}}, Properties: c}
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(map[string]any{"type": "FeatureCollection", "features": out})
}

// filterOf reads the filter parameters shared by lists and maps.
// Callers whose access does not include incidents (anonymous callers,
// viewers) are held to published incidents.
func filterOf(r *http.Request, q params, acc seat.Access) (incident.Filter, error) {
	var f incident.Filter
	var err error
	if f.From, err = q.time("from"); err == nil {
		f.To, err = q.time("to")
	}
	if err == nil && q["bbox"] != "" {
		f.BBox, err = parseBBox(q["bbox"])
	}
	if err == nil {
		f.Types, err = enums(q, "type", incident.Types)
	}
	if err == nil {
		f.Statuses, err = enums(q, "status", incident.Statuses)
	}
	f.Party, f.Actor, f.Event = q["party"], q["actor"], q["event"]
	if t := q["term"]; err == nil && t != "" {
		if f.Agreement, f.Term, _ = strings.Cut(t, "/"); f.Term == "" || !ledger.IDPattern.MatchString(f.Agreement) {
			err = ledger.Invalid("term", "must be agreement/term, such as abu-dhabi/4.2")
		}
	}
	f.PublishedOnly = !acc.Incidents
	return f, err
}

// visible loads an incident the caller may see: members whose access
// includes incidents see every incident, others (anonymous callers,
// viewers) only published ones.
func (s *Server) visible(w http.ResponseWriter, r *http.Request) (*incident.Incident, seat.Access) {
	acc, ok := s.access(w, r)
	if !ok {
		return nil, acc
	}
	id := r.PathValue("id")
	inc, err := s.centre.Store.Incident(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return nil, acc
	}
	if inc == nil || (!acc.Incidents && inc.Status != incident.Published) {
		fail(w, r, ledger.NotFound("no incident %q", id))
		return nil, acc
	}
	return inc, acc
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	if inc, acc := s.visible(w, r); inc != nil {
		writeJSON(w, http.StatusOK, publicView(acc, inc))
	}
}

// publicView hides, from those who read published material only, the
// links to other reports: those may not be published.
func publicView(acc seat.Access, inc *incident.Incident) *incident.Incident {
	if acc.Incidents {
		return inc
	}
	c := *inc
	c.Linked = nil
	c.Steps = nil
	for _, st := range inc.Steps {
		if st.Type != incident.TypeLink {
			c.Steps = append(c.Steps, st)
		}
	}
	return &c
}

func (s *Server) incidentHistory(w http.ResponseWriter, r *http.Request) {
	inc, acc := s.visible(w, r)
	if inc == nil {
		return
	}
	inc = publicView(acc, inc)
	out := make([]StatementView, 0, len(inc.Steps))
	for _, step := range inc.Steps {
		st, err := s.centre.Store.Statement(r.Context(), step.Seq)
		if err != nil {
			fail(w, r, err)
			return
		}
		if st != nil {
			out = append(out, viewStatement(st))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": inc.ID, "items": out})
}

func (s *Server) reportIncident(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var rep incident.Report
	if !readJSON(w, r, &rep) {
		return
	}
	if _, _, _, err := rep.Validate(); err != nil {
		fail(w, r, err)
		return
	}
	st, err := s.centre.Say(r.Context(), sess, incident.TypeReport, rep)
	if err != nil {
		fail(w, r, relabel(err, ""))
		return
	}
	inc, err := s.centre.Store.Incident(r.Context(), incident.IDFor(st.Seq))
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/incidents/"+inc.ID)
	writeJSON(w, http.StatusCreated, map[string]any{"statement": viewStatement(st), "record": inc})
}

// step handles a workflow POST: the body is the statement payload without
// its incident, which comes from the path.
func step[P incident.Subject](typ string, set func(*P, string)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		sess := member(w, r)
		if sess == nil {
			return
		}
		var p P
		if !readJSON(w, r, &p) {
			return
		}
		id := r.PathValue("id")
		if got := p.Target(); got != "" && got != id {
			badRequest(w, r, ledger.Invalid("incident", "names %s but the path names %s", got, id))
			return
		}
		set(&p, id)
		s.sayAbout(w, r, sess, typ, p, id)
	}
}

func (s *Server) sayAbout(w http.ResponseWriter, r *http.Request, sess *centre.Session, typ string, payload any, id string) {
	s.say(w, r, sess, typ, payload, func() (any, error) { return s.centre.Store.Incident(r.Context(), id) })
}

func (s *Server) triage(w http.ResponseWriter, r *http.Request) {
	step(incident.TypeTriage, func(p *incident.Triage, id string) { p.Incident = id })(s, w, r)
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request) {
	step(incident.TypeAssign, func(p *incident.Assign, id string) { p.Incident = id })(s, w, r)
}

func (s *Server) investigate(w http.ResponseWriter, r *http.Request) {
	step(incident.TypeInvestigate, func(p *incident.Investigate, id string) { p.Incident = id })(s, w, r)
}

func (s *Server) finding(w http.ResponseWriter, r *http.Request) {
	step(incident.TypeFinding, func(p *incident.Finding, id string) { p.Incident = id })(s, w, r)
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request) {
	step(incident.TypePublish, func(p *incident.Publish, id string) { p.Incident = id })(s, w, r)
}

func (s *Server) respond(w http.ResponseWriter, r *http.Request) {
	step(incident.TypeRespond, func(p *incident.Respond, id string) { p.Incident = id })(s, w, r)
}

func (s *Server) link(w http.ResponseWriter, r *http.Request) {
	step(incident.TypeLink, func(p *incident.Link, id string) { p.Incident = id })(s, w, r)
}

// attach records evidence metadata; the file itself must have been uploaded
// first, and its size must match.
func (s *Server) attach(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p incident.AddEvidence
	if !readJSON(w, r, &p) {
		return
	}
	id := r.PathValue("id")
	if p.Incident != "" && p.Incident != id {
		badRequest(w, r, ledger.Invalid("incident", "names %s but the path names %s", p.Incident, id))
		return
	}
	p.Incident = id
	if err := p.Evidence.Validate(); err != nil {
		fail(w, r, ledger.Within("evidence", err))
		return
	}
	f, err := s.blobs.Open(p.Evidence.SHA256)
	if err != nil {
		fail(w, r, ledger.Invalid("evidence.sha256", "no uploaded file with this SHA-256; POST it to /v1/evidence first"))
		return
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		fail(w, r, fmt.Errorf("stat evidence %s: %w", p.Evidence.SHA256, err))
		return
	}
	if fi.Size() != p.Evidence.Size {
		fail(w, r, ledger.Invalid("evidence.size", "the uploaded file has %d bytes", fi.Size()))
		return
	}
	s.sayAbout(w, r, sess, incident.TypeEvidence, p, id)
}

// MaxEvidence bounds one evidence file.
const MaxEvidence = 256 << 20

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	if !slices.ContainsFunc(sess.Member.Roles, func(r party.Role) bool { return r != party.Viewer }) {
		fail(w, r, ledger.Forbidden("viewers do not upload evidence"))
		return
	}
	u, ok := s.putEvidence(w, r, sess) // within the member's quota: limits.go
	if !ok {
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"sha256": u.SHA256, "size": u.Size})
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha256")
	sess := session(r)
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	incs, err := s.centre.Store.EvidenceIncidents(r.Context(), sha)
	if err != nil {
		fail(w, r, err)
		return
	}
	var restricted []*seat.Restriction
	if len(sha) == 64 && isHex(sha) {
		if restricted, err = s.centre.Store.EvidenceRestrictions(r.Context(), sha, ""); err != nil {
			fail(w, r, err)
			return
		}
	}
	// Evidence of a published incident is public. Otherwise a member whose
	// access includes evidence reads the files of any incident, and of the
	// hotline threads it may read; a restricted file only those
	// MayReadRestricted names, and each such read is recorded first.
	allowed := false
	var custody *incident.Incident
	for _, id := range incs {
		if _, isThread := hotline.SeqOf(id); isThread {
			if s.threadReadable(r, sess, id) {
				allowed = true
				break
			}
			continue
		}
		inc, err := s.centre.Store.Incident(r.Context(), id)
		if err != nil {
			fail(w, r, err)
			return
		}
		if inc == nil {
			continue
		}
		if inc.Status == incident.Published {
			allowed = true
			break
		}
		if slices.ContainsFunc(restricted, func(x *seat.Restriction) bool { return x.Incident == id }) {
			if custody == nil && sess != nil && seat.MayReadRestricted(sess.Member, sess.Kind, acc, inc) {
				custody = inc
			}
			continue
		}
		if acc.Evidence {
			allowed = true
			break
		}
	}
	if sess != nil && len(incs) == 0 && !seat.ViewerOnly(sess.Member) {
		allowed = true // uploaded but not yet attached: members may check their upload
	}
	if !allowed && custody != nil {
		f, err := s.blobs.Open(sha)
		if err != nil {
			fail(w, r, ledger.NotFound("no evidence %q", sha))
			return
		}
		f.Close()
		// No record, no bytes: the read is on the ledger before it is served.
		if _, err := s.centre.RecordRead(r.Context(), sess, sha, custody); err != nil {
			fail(w, r, err)
			return
		}
		allowed = true
	}
	f, err := s.blobs.Open(sha)
	if !allowed || err != nil {
		fail(w, r, ledger.NotFound("no evidence %q", sha))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+sha+`"`)
	w.Header().Set("Digest", "sha-256="+sha)
	if r.Header.Get("Range") != "" {
		// A part of a file cannot be checked on its own: the whole is
		// hashed first, then the part served.
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil || hex.EncodeToString(h.Sum(nil)) != sha {
			s.evidenceAltered(w, r, sha, err)
			return
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			fail(w, r, err)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, f)
		return
	}
	s.serveVerified(w, r, f, sha)
}

// serveVerified streams a stored file while hashing it, and holds back its
// last bytes until the hash is known: a file whose bytes no longer match
// its SHA-256 is never served whole under that digest. The client sees a
// broken transfer, and an alarm is raised.
func (s *Server) serveVerified(w http.ResponseWriter, r *http.Request, f io.ReadSeeker, sha string) {
	size, err := f.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("Accept-Ranges", "bytes")
	h := sha256.New()
	const tail = 64 << 10
	body := io.TeeReader(io.LimitReader(f, max(0, size-tail)), h)
	if r.Method == http.MethodHead {
		io.Copy(h, f)
		if hex.EncodeToString(h.Sum(nil)) != sha {
			s.evidenceAltered(w, r, sha, nil)
		}
		return
	}
	started := false
	if size > tail {
		w.WriteHeader(http.StatusOK)
		started = true
		if _, err := io.Copy(w, body); err != nil {
			return
		}
	}
	last, err := io.ReadAll(io.TeeReader(f, h))
	if err != nil || hex.EncodeToString(h.Sum(nil)) != sha {
		if !started {
			s.evidenceAltered(w, r, sha, err)
			return
		}
		s.centre.Alarm("evidence", fmt.Sprintf("the stored file for %s no longer has that SHA-256; its download was cut short", sha), false)
		panic(http.ErrAbortHandler) // the client must not take what it got for the file
	}
	w.Write(last)
}

// evidenceAltered answers for a file that no longer has its SHA-256, and
// raises the alarm.
func (s *Server) evidenceAltered(w http.ResponseWriter, r *http.Request, sha string, err error) {
	what := fmt.Sprintf("the stored file for %s no longer has that SHA-256", sha)
	if err != nil {
		what = fmt.Sprintf("the stored file for %s cannot be read: %v", sha, err)
	}
	s.centre.Alarm("evidence", what, false)
	writeProblem(w, r, Problem{Type: problemBase + "integrity", Title: "Evidence file altered", Status: http.StatusInternalServerError,
		Detail: what + ": it is not served; the centre's operators have been alerted"})
}

// events streams appended statements as Server-Sent Events. Each event's id
// is its ledger index, so a client resumes with Last-Event-ID (or ?from=).
// Anonymous callers only receive publications.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "from")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	from, err := q.uint("from", 0)
	if err != nil {
		badRequest(w, r, err)
		return
	}
	_, hasFrom := q["from"]
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		n, err := strconv.ParseUint(id, 10, 63)
		if err != nil {
			badRequest(w, r, ledger.Invalid("Last-Event-ID", "must be a ledger index"))
			return
		}
		from, hasFrom = n+1, true
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		fail(w, r, fmt.Errorf("streaming unsupported"))
		return
	}
	ch, next, cancel := s.centre.Subscribe()
	defer cancel()
	if !hasFrom { // from now on: the ledger's size once subscribed
		if from, err = s.centre.Store.Size(r.Context()); err != nil {
			fail(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Subscribed before catching up, so nothing falls between the two.
	fmt.Fprint(w, ": subscribed\n\n")
	flusher.Flush()
	// Those who read published material only (anonymous callers, viewers,
	// members whose accreditation ended) receive only publications; their
	// access is judged again as the stream goes on.
	sess := session(r)
	publicOnly := func() bool {
		acc, err := s.centre.Access(r.Context(), sess)
		return err != nil || !acc.Incidents
	}
	public := publicOnly()
	send := func(st *ledger.Signed) error {
		if st.Statement.Type != incident.TypePublish && public {
			return nil
		}
		data, _ := json.Marshal(viewStatement(st))
		if _, err := fmt.Fprintf(w, "id: %d\nevent: statement\ndata: %s\n\n", st.Seq, data); err != nil {
			return err
		}
		// An alert for the listening member also arrives as an event of
		// its own, with the alert as it stands.
		if sess := session(r); sess != nil && st.Statement.Type == alert.TypeNotify {
			var p alert.Notify
			if json.Unmarshal(st.Statement.Payload, &p) == nil && p.Member == sess.Member.ID {
				if a, err := s.centre.Store.Alert(r.Context(), alert.ID(st.Seq)); err == nil && a != nil {
					data, _ := json.Marshal(a)
					_, err := fmt.Fprintf(w, "event: alert\ndata: %s\n\n", data)
					return err
				}
			}
		}
		return nil
	}
	// Catch up from the store, then follow the live feed without repeats.
	for from < next {
		batch, err := s.centre.Store.Statements(r.Context(), from, min(1000, int(next-from)))
		if err != nil || len(batch) == 0 {
			return
		}
		public = publicOnly() // once a page while catching up
		for _, st := range batch {
			if send(st) != nil {
				return
			}
		}
		from = batch[len(batch)-1].Seq + 1
	}
	flusher.Flush()
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepalive.C:
			if _, err := io.WriteString(w, ": keepalive\n\n"); err != nil {
				return
			}
			flusher.Flush()
		case st, ok := <-ch:
			if !ok {
				return
			}
			if st.Seq < from {
				continue
			}
			// A member revoked while listening stops hearing at once.
			if sess := session(r); sess != nil && st.Statement.Type == party.TypeRevoke {
				if m, err := s.centre.Store.Member(r.Context(), sess.Member.ID); err != nil || m == nil || m.Revoked {
					return
				}
			}
			public = publicOnly() // an accreditation may have ended since
			if send(st) != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// knownTerm refuses a term filter that can match nothing because no version
// of the agreement has the term: an empty list would hide the typo.
func (s *Server) knownTerm(r *http.Request, id, term string) error {
	all, err := s.centre.Store.Agreements(r.Context())
	if err != nil {
		return err
	}
	for _, v := range all {
		if v.ID == id && v.Document.Term(term) != nil {
			return nil
		}
	}
	return ledger.Invalid("term", "no version of agreement %q has a term %q", id, term)
}
