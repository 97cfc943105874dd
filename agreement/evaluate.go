package agreement

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"truce/geo"
	"truce/incident"
)

// Rules a possible violation can come from.
const (
	RuleZone       = "zone"
	RuleWithdrawal = "withdrawal"
	RuleSite       = "site"
	RuleAction     = "action"
)

// Default incident types per rule, when a term names none (docs/agreements.md).
var (
	armed = []incident.Type{incident.Shelling, incident.Missile, incident.Drone, incident.AirStrike,
		incident.SmallArms, incident.GroundAssault, incident.WeaponsInZone}
	defaultApplies = map[string][]incident.Type{
		DisengagementZone: armed,
		Withdrawal:        {incident.WeaponsInZone},
		ProtectedSites: {incident.Shelling, incident.Missile, incident.Drone, incident.AirStrike,
			incident.SmallArms, incident.GroundAssault, incident.InfrastructureDamage},
	}
	actionApplies = map[string][]incident.Type{
		"energy_strikes":       {incident.Shelling, incident.Missile, incident.Drone, incident.AirStrike, incident.InfrastructureDamage},
		"aerial_vehicles":      {incident.Drone, incident.AirStrike, incident.Missile},
		"offensive_operations": {incident.GroundAssault},
		"sabotage":             {incident.InfrastructureDamage},
	}
	energyTargets = []incident.Target{"energy", "heating"}
)

// MaxSiteHits bounds the sites one incident is flagged against per term.
const MaxSiteHits = 10

// Event is what the evaluation needs to know of an incident.
type Event struct {
	Type   incident.Type
	Weapon string
	Target incident.Target
	Actor  string // alleged actor's party ID, or empty
	At     time.Time
	Shape  geo.Shape
}

// EventOf reads an incident report.
func EventOf(r *incident.Report) (Event, error) {
	at, err := time.Parse(time.RFC3339, r.ObservedAt)
	if err != nil {
		return Event{}, fmt.Errorf("observed_at: %w", err)
	}
	shape, err := geo.ParseShape(r.Location.Geometry)
	if err != nil {
		return Event{}, err
	}
	return Event{Type: r.Type, Weapon: r.Weapon, Target: r.Target, Actor: r.AllegedActor, At: at.UTC(), Shape: shape}, nil
}

// Evaluator judges events against one document. It is built once per
// agreement version and is safe for concurrent use.
type Evaluator struct {
	Doc         *Document
	From, Until time.Time // Until zero: indefinite
	lines       map[string]*line
	zones       []zoneRule
	withdrawals []withdrawalRule
	sites       []siteRule
	actions     []actionRule
}

type line struct {
	id, party string
	index     *geo.Lines
}

type zoneRule struct {
	term    *Term
	lines   []*line
	width   float64 // metres either side
	areas   []*geo.Area
	names   []string
	applies []incident.Type
}

type withdrawalRule struct {
	term    *Term
	lines   []*line
	classes []class
	applies []incident.Type
}

type class struct {
	Class
	min   float64 // metres
	names []string
}

type siteRule struct {
	term    *Term
	index   *geo.Points
	radius  []float64 // metres, per site
	max     float64
	applies []incident.Type
}

type actionRule struct {
	term    *Term
	zone    *zoneRule
	applies []incident.Type
}

// Compile builds the spatial indexes of a validated document.
func Compile(d *Document) (*Evaluator, error) {
	e := &Evaluator{Doc: d, lines: map[string]*line{}}
	var ok bool
	if e.From, e.Until, ok = d.EffectiveWindow(); !ok {
		e.From = time.Time{} // no effective term: in force as soon as signed
	}
	for i := range d.Terms {
		t := &d.Terms[i]
		if t.Type != ReferenceLine {
			continue
		}
		ls, err := LinesOf(*t.Geometry)
		if err != nil {
			return nil, fmt.Errorf("term %s: %w", t.ID, err)
		}
		idx, err := geo.NewLines(ls)
		if err != nil {
			return nil, fmt.Errorf("term %s: %w", t.ID, err)
		}
		e.lines[t.ID] = &line{id: t.ID, party: t.Party, index: idx}
	}
	zones := map[string]*zoneRule{}
	for i := range d.Terms {
		t := &d.Terms[i]
		applies := t.AppliesTo
		if len(applies) == 0 {
			applies = defaultApplies[t.Type]
		}
		switch t.Type {
		case DisengagementZone:
			z := &zoneRule{term: t, lines: e.linesOf(t.Lines), applies: applies}
			if t.WidthKM != nil {
				z.width = *t.WidthKM * 1000
			}
			for _, a := range t.Areas {
				polys, err := PolygonsOf(a.Geometry)
				if err != nil {
					return nil, fmt.Errorf("term %s area %s: %w", t.ID, a.Name, err)
				}
				area, err := geo.NewArea(polys)
				if err != nil {
					return nil, fmt.Errorf("term %s area %s: %w", t.ID, a.Name, err)
				}
				z.areas, z.names = append(z.areas, area), append(z.names, a.Name)
			}
			zones[t.ID] = z
			e.zones = append(e.zones, *z)
		case Withdrawal:
			w := withdrawalRule{term: t, lines: e.linesOf(t.Lines), applies: applies}
			for _, c := range t.Classes {
				cl := class{Class: c, min: *c.MinKM * 1000}
				for _, n := range c.Weapons {
					cl.names = append(cl.names, normWeapon(n))
				}
				w.classes = append(w.classes, cl)
			}
			// The strictest class that a weapon belongs to decides.
			slices.SortStableFunc(w.classes, func(a, b class) int { return cmp.Compare(b.min, a.min) })
			e.withdrawals = append(e.withdrawals, w)
		case ProtectedSites:
			s := siteRule{term: t, applies: applies}
			ps := make([]geo.Position, len(t.Sites))
			for j, site := range t.Sites {
				ps[j] = geo.Position{*site.Lon, *site.Lat}
				r := t.RadiusKM
				if site.RadiusKM != nil {
					r = site.RadiusKM
				}
				s.radius = append(s.radius, *r*1000)
				s.max = math.Max(s.max, *r*1000)
			}
			s.index = geo.NewPoints(ps)
			e.sites = append(e.sites, s)
		}
	}
	for i := range d.Terms {
		t := &d.Terms[i]
		if t.Type != ProhibitedAction {
			continue
		}
		a := actionRule{term: t, applies: t.AppliesTo}
		if len(a.applies) == 0 {
			a.applies = actionApplies[t.Action]
		}
		if t.Zone != "" {
			a.zone = zones[t.Zone]
		}
		e.actions = append(e.actions, a)
	}
	return e, nil
}

// linesOf resolves reference-line term IDs; none means every reference line.
func (e *Evaluator) linesOf(ids []string) []*line {
	var out []*line
	if len(ids) == 0 {
		for _, t := range e.Doc.Terms {
			if l := e.lines[t.ID]; l != nil {
				out = append(out, l)
			}
		}
		return out
	}
	for _, id := range ids {
		if l := e.lines[id]; l != nil {
			out = append(out, l)
		}
	}
	return out
}

// InForce reports whether the document's terms apply at t.
func (e *Evaluator) InForce(t time.Time) bool {
	return !t.Before(e.From) && (e.Until.IsZero() || t.Before(e.Until))
}

// distance measures from the shape to the nearest of lines, preferring the
// actor's own baseline where the parties withdraw from different lines.
// It returns metres and the line's term ID, or ok=false when farther than max.
func distance(lines []*line, actor string, s geo.Shape, max float64) (float64, string, bool) {
	own := false
	for _, l := range lines {
		if actor != "" && l.party == actor {
			own = true
		}
	}
	best, which, found := math.Inf(1), "", false
	for _, l := range lines {
		if own && l.party != actor && l.party != "" {
			continue // the actor's withdrawal is measured from its own baseline
		}
		if d, ok := l.index.ShapeDistance(s, max); ok && d < best {
			best, which, found = d, l.id, true
		}
	}
	return best, which, found
}

func kmOf(m float64) *float64 {
	v := math.Round(m/100) / 10 // 0.1 km, as people quote it
	return &v
}

// Evaluate returns the possible violations of ev; none when the document
// is not in force at ev.At, or when the alleged actor is not bound by it
// (a guarantor, or a party that did not sign).
func (e *Evaluator) Evaluate(ev Event) []incident.PossibleViolation {
	if !e.InForce(ev.At) {
		return nil
	}
	if ev.Actor != "" && !e.Doc.Bound(ev.Actor) {
		return nil
	}
	var out []incident.PossibleViolation
	for i := range e.zones {
		z := &e.zones[i]
		if !slices.Contains(z.applies, ev.Type) {
			continue
		}
		if v, ok := z.match(ev); ok {
			out = append(out, v)
		}
	}
	for _, w := range e.withdrawals {
		if !slices.Contains(w.applies, ev.Type) {
			continue
		}
		c := w.classify(ev.Weapon)
		if c == nil {
			continue
		}
		if d, l, ok := distance(w.lines, ev.Actor, ev.Shape, c.min); ok && d < c.min {
			out = append(out, incident.PossibleViolation{Term: w.term.ID, TermType: Withdrawal, Rule: RuleWithdrawal,
				Class: c.Class.Class, ClassLabel: c.Label.In(), Line: l, MeasuredKM: kmOf(d), LimitKM: c.MinKM})
		}
	}
	for _, s := range e.sites {
		if !slices.Contains(s.applies, ev.Type) {
			continue
		}
		type hit struct {
			i int
			d float64
		}
		var hits []hit
		s.index.WithinShape(ev.Shape, s.max, func(i int, d float64) {
			if d <= s.radius[i] {
				hits = append(hits, hit{i, d})
			}
		})
		// The nearest few name the incident's setting; a strike in a
		// city of power plants is not a hundred findings.
		if len(hits) > MaxSiteHits {
			slices.SortFunc(hits, func(a, b hit) int { return cmp.Compare(a.d, b.d) })
			hits = hits[:MaxSiteHits]
		}
		slices.SortFunc(hits, func(a, b hit) int { return strings.Compare(s.term.Sites[a.i].ID, s.term.Sites[b.i].ID) })
		for _, h := range hits {
			site := s.term.Sites[h.i]
			r := s.radius[h.i] / 1000
			out = append(out, incident.PossibleViolation{Term: s.term.ID, TermType: ProtectedSites, Rule: RuleSite,
				Site: site.ID, SiteName: site.Name, SiteKind: site.Kind, MeasuredKM: kmOf(h.d), LimitKM: &r})
		}
	}
	for _, a := range e.actions {
		if !slices.Contains(a.applies, ev.Type) {
			continue
		}
		if a.term.Action == "energy_strikes" && !slices.Contains(energyTargets, ev.Target) {
			continue
		}
		v := incident.PossibleViolation{Term: a.term.ID, TermType: ProhibitedAction, Rule: RuleAction, Action: a.term.Action}
		if a.zone != nil {
			zv, ok := a.zone.match(ev)
			if !ok {
				continue
			}
			v.Zone, v.MeasuredKM, v.LimitKM, v.Line, v.Area = a.zone.term.ID, zv.MeasuredKM, zv.LimitKM, zv.Line, zv.Area
		}
		out = append(out, v)
	}
	return out
}

// match tells whether ev lies in the zone: within its width of a reference
// line, or inside one of its named areas.
func (z *zoneRule) match(ev Event) (incident.PossibleViolation, bool) {
	v := incident.PossibleViolation{Term: z.term.ID, TermType: DisengagementZone, Rule: RuleZone}
	for i, a := range z.areas {
		if a.Intersects(ev.Shape) {
			v.Area = z.names[i]
			return v, true
		}
	}
	if d, l, ok := distance(z.lines, "", ev.Shape, z.width); ok && d <= z.width {
		v.Line, v.MeasuredKM, v.LimitKM = l, kmOf(d), z.term.WidthKM
		return v, true
	}
	return v, false
}

// classify finds the strictest class whose weapon names occur, as whole
// words, in what was reported.
func (w *withdrawalRule) classify(weapon string) *class {
	if weapon == "" {
		return nil
	}
	padded := " " + normWeapon(weapon) + " "
	for i := range w.classes {
		for _, n := range w.classes[i].names {
			if strings.Contains(padded, " "+n+" ") {
				return &w.classes[i]
			}
		}
	}
	return nil
}

// normWeapon lower-cases a weapon name and turns everything but letters,
// digits and hyphens into single spaces, so that "BM-21 'Grad'" matches
// "grad" and "bm-21".
func normWeapon(s string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(s) {
		if r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	// A hyphen or full stop inside a name belongs to it (BM-21, 9K58);
	// at a word's end it is punctuation ("Grad.").
	words := strings.Fields(b.String())
	for i, w := range words {
		words[i] = strings.Trim(w, "-.")
	}
	return strings.Join(words, " ")
}
