package agreement

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"truce/ledger"
)

// Comparison sets plans side by side, term by term. Parties number their
// terms differently, so terms are aligned by what they are about: the
// effective time, a party's reference line, a weapon class, an action.
type Comparison struct {
	Plans []string `json:"plans"` // column order
	Rows  []Row    `json:"rows"`
}

// Row is one topic across the plans.
type Row struct {
	Topic string `json:"topic"`
	Type  string `json:"type"`
	// Cells are in the order of Plans; nil where a plan says nothing.
	Cells []*Cell `json:"cells"`
	// Agree: every plan has the topic and all say the same.
	Agree bool `json:"agree"`
}

// Cell is one plan's term on a topic, with the stances taken on it.
type Cell struct {
	Plan    string   `json:"plan"`
	Term    string   `json:"term"`
	Summary string   `json:"summary"`
	Detail  *Term    `json:"detail"`
	Class   string   `json:"class,omitempty"`
	Stances []Stance `json:"stances,omitempty"`
}

// Side is one document in a comparison, with the stances on its terms.
type Side struct {
	ID      string
	Doc     *Document
	Version int
	Stances []Stance
}

// Compare aligns the terms of the given documents.
func Compare(sides []Side) *Comparison {
	c := &Comparison{}
	index := map[string]int{}
	for col, s := range sides {
		c.Plans = append(c.Plans, s.ID)
		seen := map[string]int{}
		for i := range s.Doc.Terms {
			t := &s.Doc.Terms[i]
			for _, cell := range cellsOf(s, t) {
				topic := topicOf(t, cell.Class)
				if seen[topic]++; seen[topic] > 1 {
					topic += "#" + strconv.Itoa(seen[topic])
				}
				r, ok := index[topic]
				if !ok {
					r = len(c.Rows)
					index[topic] = r
					c.Rows = append(c.Rows, Row{Topic: topic, Type: t.Type, Cells: make([]*Cell, len(sides))})
				}
				c.Rows[r].Cells[col] = cell
			}
		}
	}
	for i := range c.Rows {
		r := &c.Rows[i]
		r.Agree = !slices.Contains(r.Cells, nil) && len(r.Cells) > 1
		for _, cell := range r.Cells[1:] {
			if cell != nil && r.Cells[0] != nil && substance(cell.Detail) != substance(r.Cells[0].Detail) {
				r.Agree = false
			}
		}
	}
	slices.SortStableFunc(c.Rows, func(a, b Row) int {
		return slices.Index(TermTypes, a.Type) - slices.Index(TermTypes, b.Type)
	})
	return c
}

// cellsOf splits a withdrawal term into one cell per weapon class, so that
// "MLRS: 70 km" lines up with "MLRS: 50 km" whatever else the term holds.
func cellsOf(s Side, t *Term) []*Cell {
	stances := func(term string) []Stance {
		var out []Stance
		for _, st := range s.Stances {
			if st.Term == term && (s.Version == 0 || st.Version == s.Version) {
				out = append(out, st)
			}
		}
		return out
	}
	if t.Type == Withdrawal {
		var out []*Cell
		for _, cl := range t.Classes {
			one := *t
			one.Classes = []Class{cl}
			out = append(out, &Cell{Plan: s.ID, Term: t.ID, Class: cl.Class, Summary: Summary(&one), Detail: &one, Stances: stances(t.ID)})
		}
		return out
	}
	return []*Cell{{Plan: s.ID, Term: t.ID, Summary: Summary(t), Detail: t, Stances: stances(t.ID)}}
}

func topicOf(t *Term, class string) string {
	switch t.Type {
	case ReferenceLine:
		if t.Party == "" {
			return "reference_line:common"
		}
		return "reference_line:" + t.Party
	case Withdrawal:
		return "withdrawal:" + class
	case ProhibitedAction:
		return "prohibited_action:" + t.Action
	case Precondition:
		return "precondition:" + t.Condition
	case Clause:
		return "clause:" + t.ID
	}
	return t.Type
}

// Summary says in a few words what a term requires, the same way for every
// plan, so that equal terms compare equal.
func Summary(t *Term) string {
	f := func(v *float64) string {
		if v == nil {
			return "?"
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	switch t.Type {
	case Effective:
		if t.DurationDays > 0 {
			return fmt.Sprintf("from %s for %d days", t.From, t.DurationDays)
		}
		return "from " + t.From + ", indefinitely"
	case ReferenceLine:
		who := "common"
		if t.Party != "" {
			who = t.Party
		}
		if t.Geometry == nil { // withheld from a reader whose access leaves out the zone
			return who + " line, withheld"
		}
		n := 0
		if ls, err := LinesOf(*t.Geometry); err == nil {
			for _, l := range ls {
				n += len(l)
			}
		}
		return fmt.Sprintf("%s line, %d vertices", who, n)
	case DisengagementZone:
		s := fmt.Sprintf("%s km either side", f(t.WidthKM))
		if len(t.Areas) > 0 {
			names := make([]string, len(t.Areas))
			for i, a := range t.Areas {
				names[i] = a.Name
			}
			s += "; areas: " + strings.Join(names, ", ")
		}
		return s
	case Withdrawal:
		parts := make([]string, len(t.Classes))
		for i, c := range t.Classes {
			parts[i] = fmt.Sprintf("%s ≥ %s km", c.Class, f(c.MinKM))
		}
		return strings.Join(parts, "; ")
	case ProtectedSites:
		kinds := map[string]int{}
		for _, s := range t.Sites {
			kinds[s.Kind]++
		}
		var parts []string
		for _, k := range SiteKinds {
			if kinds[k] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", kinds[k], k))
			}
		}
		return fmt.Sprintf("%s sites within %s km", strings.Join(parts, ", "), f(t.RadiusKM))
	case ProhibitedAction:
		if t.Zone != "" {
			return t.Action + " in zone " + t.Zone
		}
		return t.Action
	case Precondition:
		return fmt.Sprintf("%d days without violations in %s before %s", t.Days, t.Zone, t.Before)
	case Monitoring:
		parts := make([]string, len(t.Monitors))
		for i, m := range t.Monitors {
			parts[i] = fmt.Sprintf("%s ×%d", m.Party, m.Representatives)
		}
		return strings.Join(parts, ", ")
	case Guarantees:
		return "guarantors: " + strings.Join(t.Guarantors, ", ")
	case Clause:
		s := t.Text.In()
		if r := []rune(s); len(r) > 80 {
			s = string(r[:79]) + "…"
		}
		return s
	}
	return t.Type
}

// substance is what a term requires, whatever it is called: its canonical
// encoding without its ID, titles, wording, class labels and references to
// other terms (each document numbers its own). Two terms agree when their
// substance is the same, down to every vertex and weapon name.
func substance(t *Term) string {
	c := *t
	c.ID, c.Title, c.Text = "", nil, nil
	c.Lines, c.Zone, c.Before = nil, "", ""
	c.Classes = append([]Class(nil), t.Classes...)
	for i := range c.Classes {
		c.Classes[i].Label = nil
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return ""
	}
	canon, err := ledger.Canonical(raw)
	if err != nil {
		return string(raw)
	}
	return string(canon)
}
