package i18n

import (
	"strconv"

	"truce/incident"
)

// Violation says in words what a possible violation names: the term, what
// was measured and what the term requires.
func (p Printer) Violation(v incident.PossibleViolation) string {
	num := func(x *float64) string {
		if x == nil {
			return "?"
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	}
	switch v.Rule {
	case "withdrawal":
		what := v.ClassLabel
		if what == "" {
			what = v.Class
		}
		return p.T("violation.withdrawal", what, num(v.MeasuredKM), v.Term, num(v.LimitKM))
	case "zone":
		if v.Area != "" {
			return p.T("violation.zone_area", v.Area, v.Term)
		}
		return p.T("violation.zone", num(v.MeasuredKM), v.Term, num(v.LimitKM))
	case "site":
		return p.T("violation.site", num(v.MeasuredKM), v.SiteName, v.Term, num(v.LimitKM))
	case "action":
		return p.T("violation.action", v.Term, p.T("action."+v.Action))
	}
	return v.Term
}
