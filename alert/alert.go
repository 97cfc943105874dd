// Package alert holds the alerts that arrive: members subscribe to events
// (a serious possible violation near a protected site, a violation inside
// an active window, a guarantee deadline missed, a hotline deadline
// missed, or any new incident that matches a saved filter), and the centre
// tells them on the event stream, in the console and, if they gave one,
// at a webhook signed with HMAC. Every step is a statement: the
// subscription, the alert the centre raised for a subscriber (who was told
// what, and when), the webhook's delivery or failure with its HTTP status,
// and the subscriber's receipt. This package decides which steps are legal
// and folds them.
package alert

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"truce/geo"
	"truce/incident"
	"truce/ledger"
	"truce/party"
)

// Statement types of this package.
const (
	TypeSubscribe   = "alert.subscribe"
	TypeUnsubscribe = "alert.unsubscribe"
	// TypeNotify is the alert the centre raises for one subscriber.
	TypeNotify = "alert.notify"
	// TypeDelivered records that the subscriber's webhook took the alert
	// (a 2xx answer), with the HTTP status and the attempts it took.
	TypeDelivered = "alert.delivered"
	// TypeFailed records that the webhook refused or missed every attempt.
	TypeFailed = "alert.failed"
	// TypeReceipt is the subscriber's own acknowledgement that it read
	// the alert (in the console or the CLI).
	TypeReceipt = "alert.receipt"
)

// Types lists them.
var Types = []string{TypeSubscribe, TypeUnsubscribe, TypeNotify, TypeDelivered, TypeFailed, TypeReceipt}

// Limits.
const (
	MaxName          = 200
	MaxURL           = 2000
	MaxSubscriptions = 50 // active, per member
	MaxError         = 500
)

// KeyPattern is the form of a webhook key's ID: the key's secret itself is
// never in the ledger; the centre holds it sealed.
var KeyPattern = regexp.MustCompile(`^whk-[A-Za-z0-9_-]{22}$`)

// Webhook is where a subscription's alerts are also POSTed, and the ID of
// the secret their HMAC signature is made with.
type Webhook struct {
	URL string `json:"url"`
	Key string `json:"key"`
}

// CheckURL refuses a webhook URL that is not an absolute http or https
// URL with a host, or that carries credentials or a fragment.
func CheckURL(field, raw string) error {
	if raw == "" || len(raw) > MaxURL {
		return ledger.Invalid(field, "is required, at most %d bytes", MaxURL)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return ledger.Invalid(field, "is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return ledger.Invalid(field, "must be an http or https URL, not %q", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return ledger.Invalid(field, "names no host")
	case u.User != nil:
		return ledger.Invalid(field, "must not carry credentials; the centre signs each request instead")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return ledger.Invalid(field, "must not have a fragment")
	case strings.ContainsAny(raw, " \t\r\n"):
		return ledger.Invalid(field, "must not contain spaces")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return ledger.Invalid(field, "port %q out of range", p)
		}
	}
	return nil
}

// Payloads of the statements.
type (
	// Subscribe is the payload of alert.subscribe.
	Subscribe struct {
		Name    string   `json:"name"`
		Filter  Filter   `json:"filter"`
		Webhook *Webhook `json:"webhook,omitempty"`
	}
	// Unsubscribe is the payload of alert.unsubscribe.
	Unsubscribe struct {
		Subscription string `json:"subscription"`
	}
	// Notify is the payload of alert.notify: the alert of Event for
	// Member, through Subscription.
	Notify struct {
		Subscription string `json:"subscription"`
		Member       string `json:"member"`
		Event        Event  `json:"event"`
	}
	// Delivered is the payload of alert.delivered.
	Delivered struct {
		Alert    string `json:"alert"`
		Status   int    `json:"status"`
		Attempts int    `json:"attempts"`
	}
	// Failed is the payload of alert.failed: Status is the last HTTP
	// status (0: no answer), Error what went wrong.
	Failed struct {
		Alert    string `json:"alert"`
		Status   int    `json:"status,omitempty"`
		Attempts int    `json:"attempts"`
		Error    string `json:"error"`
	}
	// Receipt is the payload of alert.receipt.
	Receipt struct {
		Alert string `json:"alert"`
	}
)

// Validate checks the subscription's own fields.
func (s Subscribe) Validate() error {
	if strings.TrimSpace(s.Name) == "" || len(s.Name) > MaxName {
		return ledger.Invalid("name", "is required, at most %d bytes", MaxName)
	}
	if err := ledger.CheckLabel("name", s.Name); err != nil {
		return err
	}
	if err := s.Filter.Validate(); err != nil {
		return ledger.Within("filter", err)
	}
	if s.Webhook != nil {
		if err := CheckURL("webhook.url", s.Webhook.URL); err != nil {
			return err
		}
		if !KeyPattern.MatchString(s.Webhook.Key) {
			return ledger.Invalid("webhook.key", "must be a webhook key ID (whk-…) made by POST /v1/alerts/keys")
		}
	}
	return nil
}

// Event is what an alert tells: what happened, and where in the record.
type Event struct {
	Kind Kind `json:"kind"`
	// Cause is the ledger index of the statement that raised it.
	Cause uint64 `json:"cause"`
	// Record is the incident, thread or arrangement it is about.
	Record string `json:"record"`
	// Message (a thread's message) or Version (an arrangement's).
	Message int `json:"message,omitempty"`
	Version int `json:"version,omitempty"`
	// Parties the event concerns.
	Parties []string `json:"parties,omitempty"`
	// About an incident: its type, where, how serious.
	Type     incident.Type `json:"type,omitempty"`
	BBox     *geo.BBox     `json:"bbox,omitempty"`
	Severity Severity      `json:"severity,omitempty"`
	// About a possible violation: the instrument, the term, the site and
	// the distance measured.
	Agreement  string   `json:"agreement,omitempty"`
	Term       string   `json:"term,omitempty"`
	Site       string   `json:"site,omitempty"`
	SiteName   string   `json:"site_name,omitempty"`
	MeasuredKM *float64 `json:"measured_km,omitempty"`
	// Due is the deadline that was missed.
	Due *time.Time `json:"due,omitempty"`
}

// Key names the event for one subscription: a subscriber is told of an
// event once, however often it is raised again (an incident judged again).
func (e Event) Key(subscription string) string {
	k := subscription + "/" + string(e.Kind) + "/" + e.Record
	switch {
	case e.Message > 0:
		k += "#" + strconv.Itoa(e.Message)
	case e.Version > 0:
		k += "@" + strconv.Itoa(e.Version)
	case e.Kind == GuaranteeWithdrawn:
		k += "/" + strconv.FormatUint(e.Cause, 10)
	}
	return k
}

func (e Event) validate() error {
	if !slices.Contains(Kinds, e.Kind) {
		return ledger.Invalid("kind", "unknown event %q", e.Kind)
	}
	if e.Record == "" || len(e.Record) > 100 || ledger.CheckLabel("record", e.Record) != nil {
		return ledger.Invalid("record", "must name the record")
	}
	if e.Message < 0 || e.Version < 0 {
		return ledger.Invalid("message", "must not be negative")
	}
	return nil
}

// SeverityOf grades an incident.
func SeverityOf(inc *incident.Incident) Severity {
	switch inc.Report.Type {
	case "shelling", "missile", "drone", "air_strike", "ground_assault":
		return Serious
	}
	if c := inc.Report.Casualties; c != nil && c.Civilian.Killed+c.Civilian.Injured+c.Military.Killed+c.Military.Injured > 0 {
		return Serious
	}
	if inc.Finding != nil && inc.Finding.Outcome == "serious_violation" {
		return Serious
	}
	return Minor
}

// Status of a subscription.
const (
	Active = "active"
	Ended  = "ended"
)

// Subscription is the projection of a member's subscription.
type Subscription struct {
	ID      string    `json:"id"`
	Seq     uint64    `json:"seq"`
	Member  string    `json:"member"`
	Party   string    `json:"party"`
	Name    string    `json:"name"`
	Filter  Filter    `json:"filter"`
	Webhook *Webhook  `json:"webhook,omitempty"`
	Created time.Time `json:"created"`
	Status  string    `json:"status"`
	Ended   *Step     `json:"ended,omitempty"`
}

// Step is who did something, when, by which statement.
type Step struct {
	By  string    `json:"by"`
	At  time.Time `json:"at"`
	Seq uint64    `json:"seq"`
}

// SubscriptionID is the ID of the subscription made at ledger index seq.
func SubscriptionID(seq uint64) string { return "sub-" + strconv.FormatUint(seq, 10) }

// ID is the ID of the alert raised at ledger index seq.
func ID(seq uint64) string { return "al-" + strconv.FormatUint(seq, 10) }

// SeqOf parses an ID made by SubscriptionID or ID with its prefix.
func SeqOf(id, prefix string) (uint64, bool) {
	s, ok := strings.CutPrefix(id, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && prefix+strconv.FormatUint(n, 10) == id
}

// Alert is the projection of an alert: who was told what, when, and what
// became of it.
type Alert struct {
	ID           string    `json:"id"`
	Seq          uint64    `json:"seq"`
	At           time.Time `json:"at"`
	Subscription string    `json:"subscription"`
	Member       string    `json:"member"`
	Party        string    `json:"party"`
	Event        Event     `json:"event"`
	Key          string    `json:"key"`
	// Webhook is the URL the alert is delivered to, if the subscription
	// has one; Delivery is the outcome once known.
	Webhook  string    `json:"webhook,omitempty"`
	Delivery *Delivery `json:"delivery,omitempty"`
	Receipt  *Step     `json:"receipt,omitempty"`
}

// Delivery is a webhook's outcome.
type Delivery struct {
	Outcome  string    `json:"outcome"` // delivered, failed
	Status   int       `json:"status,omitempty"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error,omitempty"`
	At       time.Time `json:"at"`
	Seq      uint64    `json:"seq"`
}

// Delivery outcomes.
const (
	OutcomeDelivered = "delivered"
	OutcomeFailed    = "failed"
)

// Pending says whether the alert still awaits its webhook's outcome.
func (a *Alert) Pending() bool { return a.Webhook != "" && a.Delivery == nil }

// Actor is a statement's author as alerts see it.
type Actor struct {
	*party.Member
	Kind party.Kind
}

// NewSubscription folds alert.subscribe; active counts the member's
// active subscriptions.
func NewSubscription(seq uint64, at time.Time, by Actor, p Subscribe, active int) (*Subscription, error) {
	if by.Revoked || (!by.Has(party.Representative) && !by.Has(party.MonitorRole) && !by.Has(party.Coordinator)) {
		return nil, ledger.Forbidden("%s may not subscribe: viewers never write", by.ID)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if active >= MaxSubscriptions {
		return nil, ledger.Conflict("%s has %d active subscriptions, the most one member may have", by.ID, active)
	}
	return &Subscription{ID: SubscriptionID(seq), Seq: seq, Member: by.ID, Party: by.Party, Name: p.Name, Filter: p.Filter,
		Webhook: p.Webhook, Created: at, Status: Active}, nil
}

// End folds alert.unsubscribe: by the subscriber, or the centre's
// coordinators.
func (s *Subscription) End(seq uint64, at time.Time, by Actor) error {
	if by.ID != s.Member && !party.CanAdminister(by.Member) {
		return ledger.Forbidden("subscription %s is ended by %s or the centre's coordinators", s.ID, s.Member)
	}
	if s.Status != Active {
		return ledger.Conflict("subscription %s has ended", s.ID)
	}
	s.Status, s.Ended = Ended, &Step{By: by.ID, At: at, Seq: seq}
	return nil
}

// Raise folds alert.notify for subscription s. Only the centre's
// coordinators raise alerts (the centre does, as events are appended);
// the caller refuses a key already used.
func Raise(seq uint64, at time.Time, by Actor, s *Subscription, p Notify) (*Alert, error) {
	if !party.CanAdminister(by.Member) {
		return nil, ledger.Forbidden("alerts are raised by the centre's coordinators")
	}
	if err := p.Event.validate(); err != nil {
		return nil, ledger.Within("event", err)
	}
	switch {
	case p.Member != s.Member:
		return nil, ledger.Invalid("member", "subscription %s is %s's", s.ID, s.Member)
	case s.Status != Active:
		return nil, ledger.Conflict("subscription %s has ended", s.ID)
	case !slices.Contains(s.Filter.Events, p.Event.Kind):
		return nil, ledger.Invalid("event.kind", "subscription %s does not ask for %s", s.ID, p.Event.Kind)
	case p.Event.Cause <= s.Seq || p.Event.Cause >= seq:
		return nil, ledger.Invalid("event.cause", "must be a statement after the subscription and before the alert")
	}
	a := &Alert{ID: ID(seq), Seq: seq, At: at, Subscription: s.ID, Member: s.Member, Party: s.Party, Event: p.Event, Key: p.Event.Key(s.ID)}
	if s.Webhook != nil {
		a.Webhook = s.Webhook.URL
	}
	return a, nil
}

// Deliver folds alert.delivered or alert.failed.
func (a *Alert) Deliver(seq uint64, at time.Time, by Actor, outcome string, status, attempts int, errText string) error {
	if !party.CanAdminister(by.Member) {
		return ledger.Forbidden("deliveries are recorded by the centre's coordinators")
	}
	if a.Webhook == "" {
		return ledger.Conflict("alert %s has no webhook", a.ID)
	}
	if a.Delivery != nil {
		return ledger.Conflict("alert %s was %s at %s", a.ID, a.Delivery.Outcome, a.Delivery.At.Format(time.RFC3339))
	}
	if attempts < 1 || attempts > 100 {
		return ledger.Invalid("attempts", "must be between 1 and 100")
	}
	switch {
	case outcome == OutcomeDelivered && (status < 200 || status > 299):
		return ledger.Invalid("status", "a delivery is a 2xx answer, not %d", status)
	case outcome == OutcomeFailed && status != 0 && (status < 100 || status > 599):
		return ledger.Invalid("status", "not an HTTP status: %d", status)
	case len(errText) > MaxError:
		return ledger.Invalid("error", "at most %d bytes", MaxError)
	}
	if err := ledger.CheckText("error", errText); err != nil {
		return err
	}
	a.Delivery = &Delivery{Outcome: outcome, Status: status, Attempts: attempts, Error: errText, At: at, Seq: seq}
	return nil
}

// Acknowledge folds alert.receipt: the subscriber read it.
func (a *Alert) Acknowledge(seq uint64, at time.Time, by Actor) error {
	if by.ID != a.Member {
		return ledger.Forbidden("alert %s is %s's to acknowledge", a.ID, a.Member)
	}
	if a.Receipt != nil {
		return ledger.Conflict("alert %s was acknowledged at %s", a.ID, a.Receipt.At.Format(time.RFC3339))
	}
	a.Receipt = &Step{By: by.ID, At: at, Seq: seq}
	return nil
}

// Query selects alerts: of a member ("" any), of a subscription, of a
// kind, with a webhook delivery in a state ("pending", "delivered",
// "failed"; "" any). Limit bounds the list (newest first).
type Query struct {
	Member       string
	Subscription string
	Kind         Kind
	Delivery     string
	Limit        int
}

// DeliveryStates lists what Query.Delivery takes.
var DeliveryStates = []string{"pending", OutcomeDelivered, OutcomeFailed}

// Match says whether a passes q (but the limit).
func (q Query) Match(a *Alert) bool {
	if q.Member != "" && a.Member != q.Member || q.Subscription != "" && a.Subscription != q.Subscription || q.Kind != "" && a.Event.Kind != q.Kind {
		return false
	}
	switch q.Delivery {
	case "":
		return true
	case "pending":
		return a.Pending()
	default:
		return a.Delivery != nil && a.Delivery.Outcome == q.Delivery
	}
}

func (e Event) String() string { return fmt.Sprintf("%s %s", e.Kind, e.Record) }
