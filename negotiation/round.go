// Package negotiation holds the talks: rounds, with their place, format,
// participants, working groups and agenda items. Plans and agreements will
// join it.
package negotiation

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"truce/ledger"
)

// TypeRound is the statement that records a round of talks.
const TypeRound = "round.record"

// Formats, working-group names and agenda statuses.
var (
	Formats       = []string{"trilateral", "bilateral", "multilateral", "shuttle"}
	GroupNames    = []string{"political", "military", "humanitarian", "economic"}
	AgendaStatus  = []string{"planned", "discussed", "agreed", "no_agreement", "deferred"}
	maxRoundBytes = 4000
)

// AgendaItem is one item a working group took up.
type AgendaItem struct {
	Title   string `json:"title"`
	Status  string `json:"status"`
	Outcome string `json:"outcome,omitempty"`
}

// Group is a working group of a round.
type Group struct {
	Name   string       `json:"name"`
	Agenda []AgendaItem `json:"agenda"`
}

// Round is the payload of round.record and, with its seq, its projection.
type Round struct {
	ID             string   `json:"id"`
	Title          string   `json:"title"`
	Start          string   `json:"start"` // date, 2026-01-23
	End            string   `json:"end,omitempty"`
	Place          string   `json:"place"`
	Format         string   `json:"format"`
	Participants   []string `json:"participants"` // party IDs
	Groups         []Group  `json:"groups,omitempty"`
	JointStatement bool     `json:"joint_statement"`
	Summary        string   `json:"summary,omitempty"`
	Seq            uint64   `json:"seq,omitempty"` // set by the fold
}

// Validate checks a round; known tells whether a party ID exists.
func (r *Round) Validate(known func(string) bool) error {
	if !ledger.IDPattern.MatchString(r.ID) {
		return ledger.Invalid("id", "must match %s", ledger.IDPattern)
	}
	if strings.TrimSpace(r.Title) == "" || len(r.Title) > 300 {
		return ledger.Invalid("title", "is required, at most 300 bytes")
	}
	if err := ledger.CheckLabel("title", r.Title); err != nil {
		return err
	}
	start, err := time.Parse(time.DateOnly, r.Start)
	if err != nil {
		return ledger.Invalid("start", "must be a date such as 2026-01-23")
	}
	if r.End != "" {
		end, err := time.Parse(time.DateOnly, r.End)
		if err != nil || end.Before(start) {
			return ledger.Invalid("end", "must be a date on or after start")
		}
	}
	if strings.TrimSpace(r.Place) == "" {
		return ledger.Invalid("place", "is required")
	}
	if err := ledger.CheckLabel("place", r.Place); err != nil {
		return err
	}
	if !slices.Contains(Formats, r.Format) {
		return ledger.Invalid("format", "unknown format %q; one of %s", r.Format, strings.Join(Formats, ", "))
	}
	if len(r.Participants) < 2 {
		return ledger.Invalid("participants", "a round has at least two participating parties")
	}
	for i, p := range r.Participants {
		if !known(p) {
			return ledger.Invalid(fmt.Sprintf("participants[%d]", i), "no party %q", p)
		}
	}
	for i, g := range r.Groups {
		if !slices.Contains(GroupNames, g.Name) {
			return ledger.Invalid(fmt.Sprintf("groups[%d].name", i), "unknown working group %q; one of %s", g.Name, strings.Join(GroupNames, ", "))
		}
		for j, a := range g.Agenda {
			field := fmt.Sprintf("groups[%d].agenda[%d]", i, j)
			if strings.TrimSpace(a.Title) == "" {
				return ledger.Invalid(field+".title", "is required")
			}
			if err := ledger.CheckLabel(field+".title", a.Title); err != nil {
				return err
			}
			if err := ledger.CheckText(field+".outcome", a.Outcome); err != nil {
				return err
			}
			if !slices.Contains(AgendaStatus, a.Status) {
				return ledger.Invalid(field+".status", "unknown status %q; one of %s", a.Status, strings.Join(AgendaStatus, ", "))
			}
		}
	}
	if len(r.Summary) > maxRoundBytes {
		return ledger.Invalid("summary", "at most %d bytes", maxRoundBytes)
	}
	return ledger.CheckText("summary", r.Summary)
}
