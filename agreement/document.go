// Package agreement holds ceasefire plans and agreements as code: a document
// of typed terms (docs/agreements.md), its canonical encoding and signatures,
// the side-by-side comparison of plans, and the evaluation of incidents
// against the terms in force.
//
// A plan and an agreement share one format. A plan is what one party
// proposes; an agreement is the consolidated draft that the required parties
// sign.
package agreement

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"truce/geo"
	"truce/incident"
	"truce/ledger"
)

// Format names this version of the document format.
const Format = "truce/agreement/v1"

// Term types.
const (
	Effective         = "effective"
	ReferenceLine     = "reference_line"
	DisengagementZone = "disengagement_zone"
	Withdrawal        = "withdrawal"
	ProtectedSites    = "protected_sites"
	ProhibitedAction  = "prohibited_action"
	Precondition      = "precondition"
	Monitoring        = "monitoring"
	Guarantees        = "guarantees"
	Clause            = "clause"
)

// TermTypes lists the term types in the order a document usually has them.
var TermTypes = []string{Effective, ReferenceLine, DisengagementZone, Withdrawal, ProtectedSites,
	ProhibitedAction, Precondition, Monitoring, Guarantees, Clause}

// Actions a prohibited_action term can forbid, and site kinds.
var (
	Actions   = []string{"energy_strikes", "aerial_vehicles", "offensive_operations", "sabotage"}
	SiteKinds = []string{"nuclear", "energy", "water", "hospital"}
	Access    = []string{"incidents", "evidence", "sites", "zone", "hotline"}
	// Conditions a precondition can require.
	Conditions = []string{"quiet_days"}
)

// Limits keep a document cheap to check and store: a real line of contact
// has a few thousand vertices, registries a few thousand sites.
const (
	MaxTerms    = 500
	MaxVertices = 200_000
	MaxSites    = 20_000
	maxText     = 20_000
	// MaxKM bounds every distance: nothing in a ceasefire is wider.
	MaxKM = 1000
)

var termID = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$`)

// Texts is free text in several languages, keyed by BCP 47 tag.
type Texts map[string]string

// Document is a plan or an agreement.
type Document struct {
	Format  string `json:"format"`
	ID      string `json:"id"`
	Version int    `json:"version"`
	Title   Texts  `json:"title"`
	// Parties must all sign an agreement before it comes into force.
	Parties []string `json:"parties"`
	// Amends is the version this one replaces, for amendments.
	Amends int `json:"amends,omitempty"`
	// Replaces names other instruments that leave force when this one
	// comes into force. Without it, instruments stack: none displaces
	// another.
	Replaces []string `json:"replaces,omitempty"`
	// Signing sets who must sign when not simply every party: k-of-n
	// groups and guarantors (nil: every party in Parties).
	Signing *Signing `json:"signing,omitempty"`
	// Arrangement marks a localized arrangement (a repair window, a
	// corridor, an evacuation, an exchange): a short-lived instrument
	// built by arrangement.request from one geometry (arrangement.go).
	Arrangement *Arrangement `json:"arrangement,omitempty"`
	Terms       []Term       `json:"terms"`
}

// Term is one typed term. Which fields it may carry depends on its type; a
// field that does not belong to the type is an error, so nothing a party
// wrote is silently ignored.
type Term struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Title Texts  `json:"title,omitempty"`
	Text  Texts  `json:"text,omitempty"`

	// effective
	From         string `json:"from,omitempty"` // RFC 3339
	DurationDays int    `json:"duration_days,omitempty"`
	// Until ends the window at an exact time (RFC 3339), for windows of
	// hours such as an arrangement's; it excludes duration_days.
	Until string `json:"until,omitempty"`

	// reference_line: a line as GeoJSON, per party where the parties withdraw
	// from different baselines.
	Party    string        `json:"party,omitempty"`
	Geometry *geo.Geometry `json:"geometry,omitempty"`

	// disengagement_zone, withdrawal: the reference lines (term IDs) the
	// distances are measured from; empty means every reference line.
	Lines   []string `json:"lines,omitempty"`
	WidthKM *float64 `json:"width_km,omitempty"`
	Areas   []Area   `json:"areas,omitempty"`
	Classes []Class  `json:"classes,omitempty"`

	// protected_sites
	RadiusKM *float64 `json:"radius_km,omitempty"`
	Sites    []Site   `json:"sites,omitempty"`

	// prohibited_action, precondition
	Action string `json:"action,omitempty"`
	// Zone restricts a prohibited action to a disengagement zone, or names
	// the area of a precondition (term ID).
	Zone      string `json:"zone,omitempty"`
	Condition string `json:"condition,omitempty"`
	Days      int    `json:"days,omitempty"`
	Before    string `json:"before,omitempty"` // the term a precondition gates

	// monitoring, guarantees
	Monitors   []Monitor `json:"monitors,omitempty"`
	Guarantors []string  `json:"guarantors,omitempty"`
	// CaseConsent lets each belligerent object to a monitor taking a
	// given case (monitoring terms).
	CaseConsent bool `json:"case_consent,omitempty"`

	// AppliesTo names the incident types a rule judges; empty takes the
	// rule's default (see docs/agreements.md).
	AppliesTo []incident.Type `json:"applies_to,omitempty"`
}

// Area is a named area, such as a pilot disengagement area.
type Area struct {
	Name     string       `json:"name"`
	Geometry geo.Geometry `json:"geometry"`
}

// Class is a weapon class and its withdrawal distance.
type Class struct {
	Class string   `json:"class"` // e.g. "mlrs"
	Label Texts    `json:"label,omitempty"`
	MinKM *float64 `json:"min_km"`
	// Weapons are names that identify the class in a report's weapon field,
	// matched case-insensitively as whole words ("BM-21", "Grad").
	Weapons []string `json:"weapons"`
}

// Site is a protected site.
type Site struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Lon      *float64 `json:"lon"`
	Lat      *float64 `json:"lat"`
	RadiusKM *float64 `json:"radius_km,omitempty"`
}

// Monitor is a country that sends representatives, and what they may do.
type Monitor struct {
	Party           string   `json:"party"`
	Representatives int      `json:"representatives"`
	Access          []string `json:"access"`
}

// Parse reads a document strictly (unknown fields are errors) and validates it.
func Parse(data []byte) (*Document, error) {
	var d Document
	if err := ledger.Decode(data, &d); err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Canonical is the document's canonical encoding (RFC 8785): what is signed
// and what its digest is taken over.
func (d *Document) Canonical() ([]byte, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode agreement %s: %w", d.ID, err)
	}
	return ledger.Canonical(raw)
}

// Digest is the hex SHA-256 of the canonical encoding.
func (d *Document) Digest() (string, error) {
	c, err := d.Canonical()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// Term returns the term with the given ID, or nil.
func (d *Document) Term(id string) *Term {
	for i := range d.Terms {
		if d.Terms[i].ID == id {
			return &d.Terms[i]
		}
	}
	return nil
}

// EffectiveWindow returns when the document's effective term puts it in
// force, and until when (zero: indefinitely).
func (d *Document) EffectiveWindow() (from, until time.Time, ok bool) {
	for _, t := range d.Terms {
		if t.Type != Effective {
			continue
		}
		from, err := time.Parse(time.RFC3339, t.From)
		if err != nil {
			return time.Time{}, time.Time{}, false
		}
		if t.DurationDays > 0 {
			until = from.Add(time.Duration(t.DurationDays) * 24 * time.Hour)
		}
		if u, err := time.Parse(time.RFC3339, t.Until); err == nil {
			until = u
		}
		return from.UTC(), until.UTC(), true
	}
	return time.Time{}, time.Time{}, false
}

// Validate checks the document. Errors name the field by its JSON path, for
// example "terms[3].classes[1].min_km".
func (d *Document) Validate() error {
	if d.Format != Format {
		return ledger.Invalid("format", "must be %q", Format)
	}
	if !ledger.IDPattern.MatchString(d.ID) {
		return ledger.Invalid("id", "must match %s", ledger.IDPattern)
	}
	if d.Version < 1 {
		return ledger.Invalid("version", "must be 1 or more")
	}
	if d.Amends < 0 || d.Amends >= d.Version {
		return ledger.Invalid("amends", "must name an earlier version")
	}
	if err := d.Title.validate(true); err != nil {
		return ledger.Within("title", err)
	}
	if len(d.Parties) == 0 {
		return ledger.Invalid("parties", "name at least one party")
	}
	for i, p := range d.Parties {
		if !ledger.IDPattern.MatchString(p) {
			return ledger.Invalid(fmt.Sprintf("parties[%d]", i), "%q is not a party ID", p)
		}
		if slices.Index(d.Parties, p) != i {
			return ledger.Invalid(fmt.Sprintf("parties[%d]", i), "%s named twice", p)
		}
	}
	for i, id := range d.Replaces {
		field := fmt.Sprintf("replaces[%d]", i)
		if !ledger.IDPattern.MatchString(id) {
			return ledger.Invalid(field, "%q is not an agreement ID", id)
		}
		if id == d.ID {
			return ledger.Invalid(field, "an agreement does not replace itself; amend it with a new version")
		}
		if slices.Index(d.Replaces, id) != i {
			return ledger.Invalid(field, "%s named twice", id)
		}
	}
	if d.Signing != nil {
		if err := d.Signing.validate(d.Parties); err != nil {
			return ledger.Within("signing", err)
		}
	}
	if len(d.Terms) == 0 {
		return ledger.Invalid("terms", "a document has at least one term")
	}
	if len(d.Terms) > MaxTerms {
		return ledger.Invalid("terms", "at most %d terms", MaxTerms)
	}
	types := map[string]string{}
	effective := 0
	vertices, sites := 0, 0
	for i, t := range d.Terms {
		field := fmt.Sprintf("terms[%d]", i)
		if !termID.MatchString(t.ID) {
			return ledger.Invalid(field+".id", "%q must match %s", t.ID, termID)
		}
		if _, dup := types[t.ID]; dup {
			return ledger.Invalid(field+".id", "term %s appears twice", t.ID)
		}
		types[t.ID] = t.Type
		if t.Type == Effective {
			effective++
		}
		n, err := t.validate()
		if err != nil {
			return ledger.Within(field, err)
		}
		if vertices += n; vertices > MaxVertices {
			return ledger.Invalid(field+".geometry", "the document has more than %d vertices", MaxVertices)
		}
		if sites += len(t.Sites); sites > MaxSites {
			return ledger.Invalid(field+".sites", "the document has more than %d sites", MaxSites)
		}
	}
	if effective > 1 {
		return ledger.Invalid("terms", "at most one effective term")
	}
	if d.Arrangement != nil {
		if err := d.Arrangement.validate(); err != nil {
			return ledger.Within("arrangement", err)
		}
		if _, until, ok := d.EffectiveWindow(); !ok || until.IsZero() {
			return ledger.Invalid("terms", "an arrangement has an effective term with from and until")
		}
	}
	// References between terms must resolve to terms of the right type.
	for i, t := range d.Terms {
		field := fmt.Sprintf("terms[%d]", i)
		for j, l := range t.Lines {
			if types[l] != ReferenceLine {
				return ledger.Invalid(fmt.Sprintf("%s.lines[%d]", field, j), "%q is not a reference_line term of this document", l)
			}
		}
		if t.Zone != "" && types[t.Zone] != DisengagementZone {
			return ledger.Invalid(field+".zone", "%q is not a disengagement_zone term of this document", t.Zone)
		}
		if t.Before != "" {
			if _, ok := types[t.Before]; !ok {
				return ledger.Invalid(field+".before", "no term %q in this document", t.Before)
			}
		}
		// A rule with nothing to measure from would never flag anything.
		if (t.Type == Withdrawal || (t.Type == DisengagementZone && len(t.Areas) == 0)) && len(t.Lines) == 0 && !hasLine(types) {
			return ledger.Invalid(field+".lines", "the document has no reference_line to measure %s from", t.Type)
		}
	}
	return nil
}

func hasLine(types map[string]string) bool {
	for _, ty := range types {
		if ty == ReferenceLine {
			return true
		}
	}
	return false
}

// fieldsOf lists, per type, which of the type-specific fields a term may
// carry; the others must be empty.
var fieldsOf = map[string][]string{
	Effective:         {"from", "duration_days", "until"},
	ReferenceLine:     {"party", "geometry"},
	DisengagementZone: {"lines", "width_km", "areas", "applies_to"},
	Withdrawal:        {"lines", "classes", "applies_to"},
	ProtectedSites:    {"radius_km", "sites", "applies_to"},
	ProhibitedAction:  {"action", "zone", "applies_to"},
	Precondition:      {"condition", "days", "zone", "before"},
	Monitoring:        {"monitors", "case_consent"},
	Guarantees:        {"guarantors"},
	Clause:            {},
}

func (t *Term) present() map[string]bool {
	return map[string]bool{
		"from": t.From != "", "duration_days": t.DurationDays != 0, "until": t.Until != "",
		"party": t.Party != "", "geometry": t.Geometry != nil,
		"lines": t.Lines != nil, "width_km": t.WidthKM != nil, "areas": t.Areas != nil, "classes": t.Classes != nil,
		"radius_km": t.RadiusKM != nil, "sites": t.Sites != nil,
		"action": t.Action != "", "zone": t.Zone != "", "condition": t.Condition != "", "days": t.Days != 0, "before": t.Before != "",
		"monitors": t.Monitors != nil, "guarantors": t.Guarantors != nil, "applies_to": t.AppliesTo != nil,
		"case_consent": t.CaseConsent,
	}
}

// validate checks one term and returns how many vertices it holds.
func (t *Term) validate() (int, error) {
	allowed, ok := fieldsOf[t.Type]
	if !ok {
		return 0, ledger.Invalid("type", "unknown term type %q; one of %s", t.Type, strings.Join(TermTypes, ", "))
	}
	for name, set := range t.present() {
		if set && !slices.Contains(allowed, name) {
			return 0, ledger.Invalid(name, "does not belong to a %s term", t.Type)
		}
	}
	if err := t.Title.validate(false); err != nil {
		return 0, ledger.Within("title", err)
	}
	if err := t.Text.validate(t.Type == Clause); err != nil {
		return 0, ledger.Within("text", err)
	}
	for i, it := range t.AppliesTo {
		if !slices.Contains(incident.Types, it) {
			return 0, ledger.Invalid(fmt.Sprintf("applies_to[%d]", i), "unknown incident type %q", it)
		}
	}
	switch t.Type {
	case Effective:
		if _, err := time.Parse(time.RFC3339, t.From); err != nil {
			return 0, ledger.Invalid("from", "must be an RFC 3339 time such as 2026-03-01T00:00:00Z")
		}
		if t.DurationDays < 0 || t.DurationDays > 36600 {
			return 0, ledger.Invalid("duration_days", "must be between 0 (indefinite) and 36600")
		}
		if t.Until != "" {
			from, _ := time.Parse(time.RFC3339, t.From)
			until, err := time.Parse(time.RFC3339, t.Until)
			if err != nil {
				return 0, ledger.Invalid("until", "must be an RFC 3339 time such as 2026-03-01T06:00:00Z")
			}
			if t.DurationDays != 0 {
				return 0, ledger.Invalid("until", "give until or duration_days, not both")
			}
			if !until.After(from) {
				return 0, ledger.Invalid("until", "must be after from")
			}
		}
	case ReferenceLine:
		if t.Party != "" && !ledger.IDPattern.MatchString(t.Party) {
			return 0, ledger.Invalid("party", "%q is not a party ID", t.Party)
		}
		if t.Geometry == nil {
			return 0, ledger.Invalid("geometry", "a reference line needs a LineString or MultiLineString")
		}
		lines, err := LinesOf(*t.Geometry)
		if err != nil {
			return 0, ledger.Within("geometry", err)
		}
		n := 0
		for _, l := range lines {
			n += len(l)
		}
		return n, nil
	case DisengagementZone:
		// The width measures from the zone's lines; a zone of areas alone
		// (an arrangement's area) needs none.
		if err := km("width_km", t.WidthKM, len(t.Lines) > 0 || len(t.Areas) == 0); err != nil {
			return 0, err
		}
		n := 0
		for i, a := range t.Areas {
			field := fmt.Sprintf("areas[%d]", i)
			if strings.TrimSpace(a.Name) == "" {
				return 0, ledger.Invalid(field+".name", "is required")
			}
			if err := ledger.CheckLabel(field+".name", a.Name); err != nil {
				return 0, err
			}
			polys, err := PolygonsOf(a.Geometry)
			if err != nil {
				return 0, ledger.Within(field+".geometry", err)
			}
			for _, p := range polys {
				for _, r := range p {
					n += len(r)
				}
			}
		}
		return n, nil
	case Withdrawal:
		if len(t.Classes) == 0 {
			return 0, ledger.Invalid("classes", "a withdrawal term needs at least one weapon class")
		}
		for i, c := range t.Classes {
			field := fmt.Sprintf("classes[%d]", i)
			if !termID.MatchString(c.Class) {
				return 0, ledger.Invalid(field+".class", "%q must match %s", c.Class, termID)
			}
			if err := km(field+".min_km", c.MinKM, true); err != nil {
				return 0, err
			}
			if err := c.Label.validate(false); err != nil {
				return 0, ledger.Within(field+".label", err)
			}
			if len(c.Weapons) == 0 {
				return 0, ledger.Invalid(field+".weapons", "name the weapons that belong to the class")
			}
			for j, w := range c.Weapons {
				if strings.TrimSpace(w) == "" || len(w) > 100 {
					return 0, ledger.Invalid(fmt.Sprintf("%s.weapons[%d]", field, j), "must be a name of at most 100 bytes")
				}
				if err := ledger.CheckLabel(fmt.Sprintf("%s.weapons[%d]", field, j), w); err != nil {
					return 0, err
				}
			}
			for j := range i {
				if t.Classes[j].Class == c.Class {
					return 0, ledger.Invalid(field+".class", "class %s appears twice", c.Class)
				}
			}
		}
	case ProtectedSites:
		if err := km("radius_km", t.RadiusKM, false); err != nil {
			return 0, err
		}
		if len(t.Sites) == 0 {
			return 0, ledger.Invalid("sites", "a protected_sites term needs at least one site")
		}
		ids := make(map[string]bool, len(t.Sites))
		for i, s := range t.Sites {
			field := fmt.Sprintf("sites[%d]", i)
			if err := s.validate(t.RadiusKM != nil); err != nil {
				return 0, ledger.Within(field, err)
			}
			if ids[s.ID] {
				return 0, ledger.Invalid(field+".id", "site %s appears twice", s.ID)
			}
			ids[s.ID] = true
		}
	case ProhibitedAction:
		if !slices.Contains(Actions, t.Action) {
			return 0, ledger.Invalid("action", "unknown action %q; one of %s", t.Action, strings.Join(Actions, ", "))
		}
	case Precondition:
		if t.Zone == "" {
			return 0, ledger.Invalid("zone", "name the disengagement_zone term the condition watches")
		}
		if !slices.Contains(Conditions, t.Condition) {
			return 0, ledger.Invalid("condition", "unknown condition %q; one of %s", t.Condition, strings.Join(Conditions, ", "))
		}
		if t.Days < 1 || t.Days > 365 {
			return 0, ledger.Invalid("days", "must be between 1 and 365")
		}
	case Monitoring:
		if len(t.Monitors) == 0 {
			return 0, ledger.Invalid("monitors", "name at least one monitoring country")
		}
		for i, m := range t.Monitors {
			field := fmt.Sprintf("monitors[%d]", i)
			if !ledger.IDPattern.MatchString(m.Party) {
				return 0, ledger.Invalid(field+".party", "%q is not a party ID", m.Party)
			}
			if slices.IndexFunc(t.Monitors, func(o Monitor) bool { return o.Party == m.Party }) != i {
				return 0, ledger.Invalid(field+".party", "%s is named twice", m.Party)
			}
			if m.Representatives < 1 || m.Representatives > 10000 {
				return 0, ledger.Invalid(field+".representatives", "must be between 1 and 10000")
			}
			for j, a := range m.Access {
				if !slices.Contains(Access, a) {
					return 0, ledger.Invalid(fmt.Sprintf("%s.access[%d]", field, j), "unknown access %q; one of %s", a, strings.Join(Access, ", "))
				}
			}
		}
	case Guarantees:
		if len(t.Guarantors) == 0 {
			return 0, ledger.Invalid("guarantors", "name at least one guarantor")
		}
		for i, g := range t.Guarantors {
			if !ledger.IDPattern.MatchString(g) {
				return 0, ledger.Invalid(fmt.Sprintf("guarantors[%d]", i), "%q is not a party ID", g)
			}
		}
		if len(t.Text) == 0 {
			return 0, ledger.Invalid("text", "say what is guaranteed")
		}
	}
	return 0, nil
}

func (s *Site) validate(defaultRadius bool) error {
	if !ledger.IDPattern.MatchString(s.ID) {
		return ledger.Invalid("id", "%q must match %s", s.ID, ledger.IDPattern)
	}
	if strings.TrimSpace(s.Name) == "" || len(s.Name) > 300 {
		return ledger.Invalid("name", "is required, at most 300 bytes")
	}
	if err := ledger.CheckLabel("name", s.Name); err != nil {
		return err
	}
	if !slices.Contains(SiteKinds, s.Kind) {
		return ledger.Invalid("kind", "unknown site kind %q; one of %s", s.Kind, strings.Join(SiteKinds, ", "))
	}
	if s.Lon == nil {
		return ledger.Invalid("lon", "a site needs coordinates: lon is missing")
	}
	if s.Lat == nil {
		return ledger.Invalid("lat", "a site needs coordinates: lat is missing")
	}
	if x := *s.Lon; math.IsNaN(x) || x < -180 || x > 180 {
		return ledger.Invalid("lon", "longitude %g outside [-180, 180]", x)
	}
	if y := *s.Lat; math.IsNaN(y) || y < -90 || y > 90 {
		return ledger.Invalid("lat", "latitude %g outside [-90, 90]", y)
	}
	if s.RadiusKM == nil && !defaultRadius {
		return ledger.Invalid("radius_km", "is required when the term sets no radius_km")
	}
	return km("radius_km", s.RadiusKM, false)
}

// km checks a distance in kilometres.
func km(field string, v *float64, required bool) error {
	if v == nil {
		if required {
			return ledger.Invalid(field, "is required")
		}
		return nil
	}
	if math.IsNaN(*v) || math.IsInf(*v, 0) {
		return ledger.Invalid(field, "is not a finite number")
	}
	if *v < 0 {
		return ledger.Invalid(field, "a distance cannot be negative (%g km)", *v)
	}
	if *v == 0 || *v > MaxKM {
		return ledger.Invalid(field, "must be more than 0 and at most %d km", MaxKM)
	}
	return nil
}

func (x Texts) validate(required bool) error {
	if len(x) == 0 {
		if required {
			return ledger.Invalid("", "give the text in at least one language")
		}
		return nil
	}
	for tag, s := range x {
		if _, err := language.Parse(tag); err != nil || tag == "" {
			return ledger.Invalid(tag, "%q is not a BCP 47 language tag", tag)
		}
		if strings.TrimSpace(s) == "" || len(s) > maxText || !utf8.ValidString(s) {
			return ledger.Invalid(tag, "must be valid UTF-8 text of 1 to %d bytes", maxText)
		}
		// Texts are clause texts as much as titles and labels: they keep
		// line breaks and joiners (docs/statements.md, "Text").
		if err := ledger.CheckText(tag, s); err != nil {
			return err
		}
	}
	return nil
}

// In returns the text in the first of langs it has, then English, then any.
func (x Texts) In(langs ...string) string {
	for _, l := range append(langs, "en") {
		if s, ok := x[l]; ok {
			return s
		}
	}
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return ""
	}
	return x[keys[0]]
}
