// Package incident holds incident reports and their verification: what was
// seen, when, where and by whom, and the workflow that carries a report from
// "reported" to a published finding. Every step is a ledger statement; this
// package decides which steps are legal and folds them into the incident.
package incident

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"truce/geo"
	"truce/ledger"
)

// Type is the incident taxonomy, aligned with the categories of OSCE SMM
// daily reports and ACLED's sub-event types (see docs/taxonomy.md).
type Type string

const (
	Shelling             Type = "shelling"        // artillery, mortar or MLRS fire
	Missile              Type = "missile"         // cruise or ballistic missile
	Drone                Type = "drone"           // armed or loitering UAV
	AirStrike            Type = "air_strike"      // crewed aircraft, guided bombs
	SmallArms            Type = "small_arms_fire" // small arms and light weapons
	GroundAssault        Type = "ground_assault"  // offensive ground operation
	WeaponsInZone        Type = "weapons_in_zone" // weapons seen where the plan forbids them
	InfrastructureDamage Type = "infrastructure_damage"
	MonitorRestriction   Type = "monitor_restriction" // restriction of monitors' movement
	Casualties           Type = "casualties"          // casualties without a clearer cause
)

// Types lists the taxonomy in display order.
var Types = []Type{Shelling, Missile, Drone, AirStrike, SmallArms, GroundAssault, WeaponsInZone,
	InfrastructureDamage, MonitorRestriction, Casualties}

// Target is what was hit, when that matters (energy infrastructure, above all).
type Target string

// Targets lists the known targets.
var Targets = []Target{"energy", "heating", "water", "residential", "medical", "education",
	"transport", "industrial", "military", "other"}

// TimePrecision says how exactly ObservedAt is known.
type TimePrecision string

// TimePrecisions lists the allowed precisions.
var TimePrecisions = []TimePrecision{"second", "minute", "hour", "day", "week"}

// Text is free text in any script with its language (a BCP 47 tag).
type Text struct {
	Lang string `json:"lang"`
	Text string `json:"text"`
}

// Location is a GeoJSON geometry with its precision.
type Location struct {
	Geometry   geo.Geometry `json:"geometry"`
	PrecisionM float64      `json:"precision_m"` // radius of uncertainty, metres
	Place      string       `json:"place,omitempty"`
}

// Counts are what was counted: 12 missiles launched, 9 intercepted, N explosions.
type Counts struct {
	Launched    int `json:"launched,omitempty"`
	Intercepted int `json:"intercepted,omitempty"`
	Impacts     int `json:"impacts,omitempty"`
	Explosions  int `json:"explosions,omitempty"`
	Rounds      int `json:"rounds,omitempty"`
}

// Toll is killed and injured.
type Toll struct {
	Killed  int `json:"killed"`
	Injured int `json:"injured"`
}

// CasualtyCount splits casualties into civilian and military.
type CasualtyCount struct {
	Civilian Toll `json:"civilian"`
	Military Toll `json:"military"`
}

// Evidence is a file's metadata. The file itself is stored unmodified,
// addressed by its SHA-256.
type Evidence struct {
	SHA256     string `json:"sha256"`
	Name       string `json:"name"`
	MediaType  string `json:"media_type"`
	Size       int64  `json:"size"`
	CapturedAt string `json:"captured_at,omitempty"`
	Source     string `json:"source,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Report is the payload of incident.report.
type Report struct {
	Type          Type           `json:"type"`
	ObservedAt    string         `json:"observed_at"` // RFC 3339
	ObservedUntil string         `json:"observed_until,omitempty"`
	TimePrecision TimePrecision  `json:"time_precision"`
	Location      Location       `json:"location"`
	Counts        Counts         `json:"counts,omitzero"`
	Casualties    *CasualtyCount `json:"casualties,omitempty"`
	Weapon        string         `json:"weapon,omitempty"` // as reported, e.g. "Kh-22"
	Target        Target         `json:"target,omitempty"`
	AllegedActor  string         `json:"alleged_actor,omitempty"` // party ID; empty: unknown
	Description   Text           `json:"description"`
	Evidence      []Evidence     `json:"evidence,omitempty"`
}

const maxText = 20000

// Validate checks r and returns its observed interval and bounding box.
func (r *Report) Validate() (from, until time.Time, box geo.BBox, err error) {
	if !slices.Contains(Types, r.Type) {
		return from, until, box, ledger.Invalid("type", "unknown incident type %q; one of %s", r.Type, list(Types))
	}
	if from, err = parseTime("observed_at", r.ObservedAt, true); err != nil {
		return
	}
	until = from
	if r.ObservedUntil != "" {
		if until, err = parseTime("observed_until", r.ObservedUntil, true); err != nil {
			return
		}
		if until.Before(from) {
			return from, until, box, ledger.Invalid("observed_until", "is before observed_at")
		}
	}
	if !slices.Contains(TimePrecisions, r.TimePrecision) {
		return from, until, box, ledger.Invalid("time_precision", "unknown precision %q; one of %s", r.TimePrecision, list(TimePrecisions))
	}
	if box, err = r.Location.Geometry.Validate(); err != nil {
		return from, until, box, ledger.Within("location.geometry", err)
	}
	if r.Location.PrecisionM < 0 || r.Location.PrecisionM > 1e6 {
		return from, until, box, ledger.Invalid("location.precision_m", "must be between 0 and 1000000 metres")
	}
	if len(r.Location.Place) > 300 {
		return from, until, box, ledger.Invalid("location.place", "at most 300 bytes")
	}
	if err = ledger.CheckLabel("location.place", r.Location.Place); err != nil {
		return
	}
	c := r.Counts
	for name, n := range map[string]int{"launched": c.Launched, "intercepted": c.Intercepted,
		"impacts": c.Impacts, "explosions": c.Explosions, "rounds": c.Rounds} {
		if n < 0 || n > 1_000_000 {
			return from, until, box, ledger.Invalid("counts."+name, "must be between 0 and 1000000")
		}
	}
	if c.Intercepted > c.Launched && c.Launched > 0 {
		return from, until, box, ledger.Invalid("counts.intercepted", "more intercepted (%d) than launched (%d)", c.Intercepted, c.Launched)
	}
	if cs := r.Casualties; cs != nil {
		for name, n := range map[string]int{"civilian.killed": cs.Civilian.Killed, "civilian.injured": cs.Civilian.Injured,
			"military.killed": cs.Military.Killed, "military.injured": cs.Military.Injured} {
			if n < 0 || n > 1_000_000 {
				return from, until, box, ledger.Invalid("casualties."+name, "must be between 0 and 1000000")
			}
		}
	}
	if len(r.Weapon) > 100 {
		return from, until, box, ledger.Invalid("weapon", "at most 100 bytes")
	}
	if err = ledger.CheckLabel("weapon", r.Weapon); err != nil {
		return
	}
	if r.Target != "" && !slices.Contains(Targets, r.Target) {
		return from, until, box, ledger.Invalid("target", "unknown target %q; one of %s", r.Target, list(Targets))
	}
	if r.AllegedActor != "" && !ledger.IDPattern.MatchString(r.AllegedActor) {
		return from, until, box, ledger.Invalid("alleged_actor", "must be a party ID")
	}
	if err = r.Description.Validate(true); err != nil {
		return from, until, box, ledger.Within("description", err)
	}
	for i, e := range r.Evidence {
		if err = e.Validate(); err != nil {
			return from, until, box, ledger.Within(fmt.Sprintf("evidence[%d]", i), err)
		}
	}
	return from, until, box, nil
}

// Validate checks t; required says whether empty text is an error.
func (t Text) Validate(required bool) error {
	if t.Text == "" && !required {
		return nil
	}
	if strings.TrimSpace(t.Text) == "" {
		return ledger.Invalid("text", "is required")
	}
	if len(t.Text) > maxText || !utf8.ValidString(t.Text) {
		return ledger.Invalid("text", "must be valid UTF-8 of at most %d bytes", maxText)
	}
	if err := ledger.CheckText("text", t.Text); err != nil {
		return err
	}
	if _, err := language.Parse(t.Lang); err != nil || t.Lang == "" {
		return ledger.Invalid("lang", "%q is not a BCP 47 language tag", t.Lang)
	}
	return nil
}

// Validate checks evidence metadata.
func (e Evidence) Validate() error {
	if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != 32 || strings.ToLower(e.SHA256) != e.SHA256 {
		return ledger.Invalid("sha256", "must be 64 lower-case hex digits")
	}
	if strings.TrimSpace(e.Name) == "" || len(e.Name) > 255 {
		return ledger.Invalid("name", "is required, at most 255 bytes")
	}
	if err := ledger.CheckLabel("name", e.Name); err != nil {
		return err
	}
	if e.MediaType == "" || len(e.MediaType) > 127 || !strings.Contains(e.MediaType, "/") {
		return ledger.Invalid("media_type", "must be a media type such as image/jpeg")
	}
	if err := ledger.CheckLabel("media_type", e.MediaType); err != nil {
		return err
	}
	if e.Size < 0 {
		return ledger.Invalid("size", "must not be negative")
	}
	if e.CapturedAt != "" {
		if _, err := parseTime("captured_at", e.CapturedAt, true); err != nil {
			return err
		}
	}
	if len(e.Source) > 500 || len(e.Note) > 2000 {
		return ledger.Invalid("note", "source at most 500 bytes, note at most 2000")
	}
	if err := ledger.CheckText("source", e.Source); err != nil {
		return err
	}
	return ledger.CheckText("note", e.Note)
}

func parseTime(field, s string, required bool) (time.Time, error) {
	if s == "" && !required {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, ledger.Invalid(field, "must be an RFC 3339 time such as 2026-01-24T01:30:00Z")
	}
	if t.Year() < 1900 || t.Year() > 2200 {
		return t, ledger.Invalid(field, "year %d is out of range", t.Year())
	}
	return t.UTC(), nil
}

func list[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
