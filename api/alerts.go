package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"truce/alert"
	"truce/ledger"
)

// Alerts: every member reads every subscription and alert, with its
// delivery and receipt (the statements are in the ledger, which every
// member reads), so that anyone can see who was told what, and when. A
// member subscribes and acknowledges for itself.

// memberParam reads the member a listing is about: the caller by default,
// "all" for every member.
func memberParam(q params, self string) (string, error) {
	m, ok := q["member"]
	switch {
	case !ok:
		return self, nil
	case m == "all":
		return "", nil
	case !ledger.IDPattern.MatchString(m):
		return "", ledger.Invalid("member", "must be a member ID or \"all\"")
	}
	return m, nil
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	q, err := query(r, "member", "subscription", "kind", "delivery", "limit")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	var aq alert.Query
	if aq.Member, err = memberParam(q, sess.Member.ID); err != nil {
		badRequest(w, r, err)
		return
	}
	if aq.Subscription = q["subscription"]; aq.Subscription != "" {
		if _, ok := alert.SeqOf(aq.Subscription, "sub-"); !ok {
			badRequest(w, r, ledger.Invalid("subscription", "must be a subscription ID (sub-…)"))
			return
		}
	}
	kinds, err := enums(q, "kind", alert.Kinds)
	if err == nil && len(kinds) > 1 {
		err = ledger.Invalid("kind", "name one kind")
	}
	if err != nil {
		badRequest(w, r, err)
		return
	}
	if len(kinds) == 1 {
		aq.Kind = kinds[0]
	}
	states, err := enums(q, "delivery", alert.DeliveryStates)
	if err == nil && len(states) > 1 {
		err = ledger.Invalid("delivery", "name one state")
	}
	if err != nil {
		badRequest(w, r, err)
		return
	}
	if len(states) == 1 {
		aq.Delivery = states[0]
	}
	if aq.Limit, err = q.limit(100, 1000); err != nil {
		badRequest(w, r, err)
		return
	}
	items, err := s.centre.Store.Alerts(r.Context(), aq)
	if err != nil {
		fail(w, r, err)
		return
	}
	if items == nil {
		items = []*alert.Alert{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) alertOf(w http.ResponseWriter, r *http.Request) *alert.Alert {
	id := r.PathValue("id")
	a, err := s.centre.Store.Alert(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return nil
	}
	if a == nil {
		fail(w, r, ledger.NotFound("no alert %q", id))
		return nil
	}
	return a
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request) {
	if member(w, r) == nil {
		return
	}
	if a := s.alertOf(w, r); a != nil {
		writeJSON(w, http.StatusOK, a)
	}
}

func (s *Server) alertRecord(r *http.Request, id string) func() (any, error) {
	return func() (any, error) { return s.centre.Store.Alert(r.Context(), id) }
}

// receiptAlert records that the caller read its alert.
func (s *Server) receiptAlert(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p alert.Receipt
	if !readJSON(w, r, &p) {
		return
	}
	a := s.alertOf(w, r)
	if a == nil {
		return
	}
	if p.Alert != "" && p.Alert != a.ID {
		badRequest(w, r, ledger.Invalid("alert", "names %s but the path names %s", p.Alert, a.ID))
		return
	}
	p.Alert = a.ID
	s.say(w, r, sess, alert.TypeReceipt, p, s.alertRecord(r, a.ID))
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	q, err := query(r, "member", "status")
	if err != nil {
		badRequest(w, r, err)
		return
	}
	who, err := memberParam(q, sess.Member.ID)
	if err != nil {
		badRequest(w, r, err)
		return
	}
	status, ok := q["status"]
	if ok && status != alert.Active && status != alert.Ended {
		badRequest(w, r, ledger.Invalid("status", "one of active, ended"))
		return
	}
	all, err := s.centre.Store.Subscriptions(r.Context(), who)
	if err != nil {
		fail(w, r, err)
		return
	}
	items := []*alert.Subscription{}
	for _, x := range all {
		if status == "" || x.Status == status {
			items = append(items, x)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// subscribeRequest is the body of POST /v1/alerts/subscriptions: the
// filter as an object, or as the text the CLI takes
// ("events=near_site parties=ru near_km=5").
type subscribeRequest struct {
	Name    string          `json:"name"`
	Filter  json.RawMessage `json:"filter"`
	Webhook *struct {
		URL string `json:"url"`
	} `json:"webhook,omitempty"`
}

// readFilter decodes a filter given as an object or as text; unreadable
// says the JSON itself was wrong (400) rather than its values (422).
func readFilter(raw json.RawMessage) (f alert.Filter, unreadable bool, err error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return f, false, ledger.Invalid("filter", "is required")
	case raw[0] == '"':
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return f, true, ledger.Invalid("filter", "is not a JSON string")
		}
		f, err = alert.ParseFilter(text)
		return f, false, err
	}
	if err := ledger.Decode(raw, &f); err != nil {
		return f, true, ledger.Within("filter", err)
	}
	return f, false, ledger.Within("filter", f.Validate())
}

func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var req subscribeRequest
	if !readJSON(w, r, &req) {
		return
	}
	f, unreadable, err := readFilter(req.Filter)
	if unreadable {
		badRequest(w, r, err)
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	p := alert.Subscribe{Name: req.Name, Filter: f}
	url := ""
	if req.Webhook != nil {
		if url = req.Webhook.URL; url == "" {
			fail(w, r, ledger.Invalid("webhook.url", "is required"))
			return
		}
	}
	// Checked before a webhook key is made for it.
	if err := p.Validate(); err != nil {
		fail(w, r, err)
		return
	}
	if url != "" {
		if err := alert.CheckURL("webhook.url", url); err != nil {
			fail(w, r, err)
			return
		}
	}
	st, secret, err := s.centre.NewSubscription(r.Context(), sess, p, url)
	if err != nil {
		fail(w, r, relabel(err, ""))
		return
	}
	id := alert.SubscriptionID(st.Seq)
	rec, err := s.centre.Store.Subscription(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := map[string]any{"statement": viewStatement(st), "record": rec}
	if secret != "" {
		// Shown this once: the receiver checks each request's signature with it.
		out["webhook_secret"] = secret
	}
	w.Header().Set("Location", "/v1/alerts/subscriptions?member="+sess.Member.ID)
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var p alert.Unsubscribe
	if !readJSON(w, r, &p) {
		return
	}
	id := r.PathValue("id")
	if p.Subscription != "" && p.Subscription != id {
		badRequest(w, r, ledger.Invalid("subscription", "names %s but the path names %s", p.Subscription, id))
		return
	}
	p.Subscription = id
	if sub, err := s.centre.Store.Subscription(r.Context(), id); err != nil || sub == nil {
		fail(w, r, firstErr(err, ledger.NotFound("no subscription %q", id)))
		return
	}
	s.say(w, r, sess, alert.TypeUnsubscribe, p, func() (any, error) { return s.centre.Store.Subscription(r.Context(), id) })
}

// webhookKey makes a webhook key for a member who signs its own
// alert.subscribe: the key's ID goes into the statement, the secret is
// shown this once.
func (s *Server) webhookKey(w http.ResponseWriter, r *http.Request) {
	sess := member(w, r)
	if sess == nil {
		return
	}
	var body struct{}
	if !readJSON(w, r, &body) {
		return
	}
	id, secret, err := s.centre.NewWebhookKey(r.Context(), sess)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"key": id, "secret": secret})
}
