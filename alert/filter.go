package alert

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"truce/geo"
	"truce/incident"
	"truce/ledger"
)

// Kind is an event a member may subscribe to.
type Kind string

const (
	// NearSite: a possible violation of a protected site's exclusion
	// radius (a power plant, a substation, a nuclear plant, a hospital).
	NearSite Kind = "near_site"
	// WindowViolation: a possible violation inside an active arrangement
	// (a repair window, a corridor).
	WindowViolation Kind = "window_violation"
	// Violation: any possible violation of an instrument in force.
	Violation Kind = "violation"
	// GuaranteeMissed: the deadline for an arrangement's guarantees passed
	// with some outstanding (arrangement.deadline_missed).
	GuaranteeMissed Kind = "guarantee_missed"
	// GuaranteeWithdrawn: a party withdrew its guarantee, ending a window.
	GuaranteeWithdrawn Kind = "guarantee_withdrawn"
	// HotlineMissed: a hotline message was not acknowledged by its
	// deadline (hotline.escalate).
	HotlineMissed Kind = "hotline_missed"
	// Incident: a new report that matches the filter (a saved filter).
	Incident Kind = "incident"
	// Warning: an early warning raised at a day's cut-off (warning.raise):
	// a trend, a hotspot, spillover, a nuclear site.
	Warning Kind = "warning"
	// Digest: the hourly digest of the hour that just ended is ready
	// (GET /v1/reports/hourly?at=, the hour's end).
	Digest Kind = "digest"
)

// DigestRecord names the digest of the hour ending at end.
func DigestRecord(end time.Time) string { return "digest-" + end.UTC().Format("2006-01-02T15Z") }

// Kinds lists the event kinds.
var Kinds = []Kind{NearSite, WindowViolation, Violation, GuaranteeMissed, GuaranteeWithdrawn, HotlineMissed, Incident, Warning, Digest}

// Severity grades an event about an incident.
type Severity string

const (
	// Serious: fire by heavy weapons (shelling, missiles, drones, air
	// strikes, a ground assault), casualties, or a finding of a serious
	// violation.
	Serious Severity = "serious"
	// Minor: any other incident.
	Minor Severity = "minor"
)

// Severities lists the severities a filter may ask for.
var Severities = []Severity{Serious, Minor}

// Limits of a filter.
const (
	MaxParties = 20
	MaxTypes   = 20
	MaxNearKM  = 1000
)

// Filter says which events a subscription is told of. An event matches
// when its kind is one of Events and it passes every other field the
// filter sets. Parties, Types, BBox, NearKM and Severity constrain only
// the events that carry what they test: a missed hotline deadline has no
// incident type, so Types lets it through.
type Filter struct {
	Events []Kind `json:"events"`
	// Parties: the event concerns one of them (an incident's accused or
	// reporting party, a thread's party, a party whose guarantee is
	// missing or withdrawn).
	Parties []string `json:"parties,omitempty"`
	// Types: the incident is of one of these types.
	Types []incident.Type `json:"types,omitempty"`
	// BBox: the incident lies (in part) in west, south, east, north.
	BBox []float64 `json:"bbox,omitempty"`
	// NearKM: for near_site, the incident is at most this far from the
	// protected site (as measured by the evaluation); 0: any distance
	// inside the site's exclusion radius.
	NearKM float64 `json:"near_km,omitempty"`
	// Severity: the incident is at least this serious ("" or minor: any).
	Severity Severity `json:"severity,omitempty"`
}

// Validate checks f, naming the field.
func (f Filter) Validate() error {
	if len(f.Events) == 0 {
		return ledger.Invalid("events", "name at least one event: %s", list(Kinds))
	}
	for i, k := range f.Events {
		if !slices.Contains(Kinds, k) {
			return ledger.Invalid(fmt.Sprintf("events[%d]", i), "unknown event %q; one of %s", k, list(Kinds))
		}
		if slices.Index(f.Events, k) != i {
			return ledger.Invalid(fmt.Sprintf("events[%d]", i), "%s named twice", k)
		}
	}
	if len(f.Parties) > MaxParties {
		return ledger.Invalid("parties", "at most %d", MaxParties)
	}
	for i, p := range f.Parties {
		if !ledger.IDPattern.MatchString(p) {
			return ledger.Invalid(fmt.Sprintf("parties[%d]", i), "%q is not a party ID", p)
		}
		if slices.Index(f.Parties, p) != i {
			return ledger.Invalid(fmt.Sprintf("parties[%d]", i), "%s named twice", p)
		}
	}
	if len(f.Types) > MaxTypes {
		return ledger.Invalid("types", "at most %d", MaxTypes)
	}
	for i, t := range f.Types {
		if !slices.Contains(incident.Types, t) {
			return ledger.Invalid(fmt.Sprintf("types[%d]", i), "unknown incident type %q", t)
		}
		if slices.Index(f.Types, t) != i {
			return ledger.Invalid(fmt.Sprintf("types[%d]", i), "%s named twice", t)
		}
	}
	if f.BBox != nil {
		b := f.BBox
		switch {
		case len(b) != 4:
			return ledger.Invalid("bbox", "four numbers: west, south, east, north")
		case slices.ContainsFunc(b, func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }):
			return ledger.Invalid("bbox", "must be finite numbers")
		case b[0] < -180 || b[2] > 180 || b[0] > b[2]:
			return ledger.Invalid("bbox", "longitudes must be west ≤ east within [-180, 180]")
		case b[1] < -90 || b[3] > 90 || b[1] > b[3]:
			return ledger.Invalid("bbox", "latitudes must be south ≤ north within [-90, 90]")
		}
	}
	if math.IsNaN(f.NearKM) || f.NearKM < 0 || f.NearKM > MaxNearKM {
		return ledger.Invalid("near_km", "must be between 0 and %d", MaxNearKM)
	}
	if f.Severity != "" && !slices.Contains(Severities, f.Severity) {
		return ledger.Invalid("severity", "unknown severity %q; one of %s", f.Severity, list(Severities))
	}
	return nil
}

// Matches says whether e passes f.
func (f Filter) Matches(e Event) bool {
	if !slices.Contains(f.Events, e.Kind) {
		return false
	}
	if len(f.Parties) > 0 && len(e.Parties) > 0 && !slices.ContainsFunc(e.Parties, func(p string) bool { return slices.Contains(f.Parties, p) }) {
		return false
	}
	if len(f.Types) > 0 && e.Type != "" && !slices.Contains(f.Types, e.Type) {
		return false
	}
	if len(f.BBox) == 4 && e.BBox != nil && !geo.BBox(f.BBox).Intersects(*e.BBox) {
		return false
	}
	if f.NearKM > 0 && e.Kind == NearSite && (e.MeasuredKM == nil || *e.MeasuredKM > f.NearKM) {
		return false
	}
	if f.Severity == Serious && e.Severity != "" && e.Severity != Serious {
		return false
	}
	return true
}

// ParseFilter reads a filter written as space-separated key=value pairs,
// lists separated by commas, as the CLI and the console take it:
//
//	events=near_site,window_violation parties=ru types=shelling,missile
//	bbox=33,46,37,48.5 near_km=5 severity=serious
//
// Each key at most once. The error names the field (filter.KEY).
func ParseFilter(s string) (Filter, error) {
	var f Filter
	if len(s) > 4000 {
		return f, ledger.Invalid("filter", "at most 4000 bytes")
	}
	seen := map[string]bool{}
	for _, tok := range strings.Fields(s) {
		key, val, ok := strings.Cut(tok, "=")
		field := "filter." + key
		if !ok || val == "" {
			return f, ledger.Invalid("filter", "%q: want KEY=VALUE, such as events=near_site", tok)
		}
		if seen[key] {
			return f, ledger.Invalid(field, "given twice")
		}
		seen[key] = true
		items := strings.Split(val, ",")
		switch key {
		case "events":
			for _, x := range items {
				f.Events = append(f.Events, Kind(x))
			}
		case "parties", "party":
			f.Parties = items
		case "types", "type":
			for _, x := range items {
				f.Types = append(f.Types, incident.Type(x))
			}
		case "bbox":
			if len(items) != 4 {
				return f, ledger.Invalid(field, "four numbers: west,south,east,north")
			}
			for _, x := range items {
				n, err := strconv.ParseFloat(x, 64)
				if err != nil {
					return f, ledger.Invalid(field, "%q is not a number", x)
				}
				f.BBox = append(f.BBox, noNegZero(n))
			}
		case "near_km":
			n, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return f, ledger.Invalid(field, "%q is not a number", val)
			}
			f.NearKM = noNegZero(n)
		case "severity":
			f.Severity = Severity(val)
		default:
			return f, ledger.Invalid(field, "unknown key; one of events, parties, types, bbox, near_km, severity")
		}
	}
	if err := f.Validate(); err != nil {
		return f, ledger.Within("filter", err)
	}
	return f, nil
}

// noNegZero reads -0 as 0: the canonical JSON of a statement has no -0.
func noNegZero(x float64) float64 {
	if x == 0 {
		return 0
	}
	return x
}

// String writes f as ParseFilter reads it.
func (f Filter) String() string {
	var parts []string
	if len(f.Events) > 0 {
		parts = append(parts, "events="+list(f.Events))
	}
	if len(f.Parties) > 0 {
		parts = append(parts, "parties="+strings.Join(f.Parties, ","))
	}
	if len(f.Types) > 0 {
		parts = append(parts, "types="+list(f.Types))
	}
	if len(f.BBox) > 0 {
		xs := make([]string, len(f.BBox))
		for i, x := range f.BBox {
			xs[i] = strconv.FormatFloat(x, 'g', -1, 64)
		}
		parts = append(parts, "bbox="+strings.Join(xs, ","))
	}
	if f.NearKM != 0 {
		parts = append(parts, "near_km="+strconv.FormatFloat(f.NearKM, 'g', -1, 64))
	}
	if f.Severity != "" {
		parts = append(parts, "severity="+string(f.Severity))
	}
	return strings.Join(parts, " ")
}

func list[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}
