package agreement

import (
	"fmt"
	"slices"

	"truce/ledger"
)

// Signing says who must sign an instrument when "every listed party" is
// not the rule. The parties in Document.Parties are bound by it; guarantors
// countersign it, and their signatures are required, but they are not
// bound: an incident attributed to a guarantor is no violation of it.
// Within a group, Threshold of its parties suffice (k of n).
type Signing struct {
	Groups     []SignGroup `json:"groups,omitempty"`
	Guarantors []string    `json:"guarantors,omitempty"`
}

// SignGroup is k of n parties.
type SignGroup struct {
	Name      string   `json:"name"`
	Parties   []string `json:"parties"`
	Threshold int      `json:"threshold"`
}

// Requirement is one condition of entry into force, and how it stands.
type Requirement struct {
	// Group names a k-of-n group; empty for a single party.
	Group     string   `json:"group,omitempty"`
	Parties   []string `json:"parties"`
	Threshold int      `json:"threshold"`
	Guarantor bool     `json:"guarantor,omitempty"`
	SignedBy  []string `json:"signed_by"`
	Met       bool     `json:"met"`
}

// Signers lists every party whose signature counts: the bound parties,
// then the guarantors.
func (d *Document) Signers() []string {
	out := slices.Clone(d.Parties)
	if d.Signing != nil {
		out = append(out, d.Signing.Guarantors...)
	}
	return out
}

// Bound tells whether a party is bound by the document's terms.
func (d *Document) Bound(partyID string) bool { return slices.Contains(d.Parties, partyID) }

// Guarantor tells whether a party countersigns the document as guarantor.
func (d *Document) Guarantor(partyID string) bool {
	return d.Signing != nil && slices.Contains(d.Signing.Guarantors, partyID)
}

// Requirements lists what entry into force needs, given the parties that
// have signed: each k-of-n group, and each signer in no group.
func (d *Document) Requirements(signed []string) []Requirement {
	var out []Requirement
	grouped := map[string]bool{}
	if d.Signing != nil {
		for _, g := range d.Signing.Groups {
			r := Requirement{Group: g.Name, Parties: g.Parties, Threshold: g.Threshold, SignedBy: []string{}}
			for _, p := range g.Parties {
				grouped[p] = true
				if slices.Contains(signed, p) {
					r.SignedBy = append(r.SignedBy, p)
				}
			}
			r.Guarantor = !slices.ContainsFunc(g.Parties, d.Bound)
			r.Met = len(r.SignedBy) >= g.Threshold
			out = append(out, r)
		}
	}
	for _, p := range d.Signers() {
		if grouped[p] {
			continue
		}
		r := Requirement{Parties: []string{p}, Threshold: 1, Guarantor: d.Guarantor(p), SignedBy: []string{}}
		if slices.Contains(signed, p) {
			r.SignedBy, r.Met = []string{p}, true
		}
		out = append(out, r)
	}
	return out
}

// Complete tells whether the parties that have signed bring the document
// into force.
func (d *Document) Complete(signed []string) bool {
	for _, r := range d.Requirements(signed) {
		if !r.Met {
			return false
		}
	}
	return true
}

func (s *Signing) validate(parties []string) error {
	seen := map[string]bool{}
	for i, g := range s.Guarantors {
		field := fmt.Sprintf("guarantors[%d]", i)
		if !ledger.IDPattern.MatchString(g) {
			return ledger.Invalid(field, "%q is not a party ID", g)
		}
		if slices.Contains(parties, g) {
			return ledger.Invalid(field, "%s is a bound party; a guarantor countersigns without being bound", g)
		}
		if seen[g] {
			return ledger.Invalid(field, "%s named twice", g)
		}
		seen[g] = true
	}
	signers := append(slices.Clone(parties), s.Guarantors...)
	inGroup := map[string]string{}
	names := map[string]bool{}
	for i, g := range s.Groups {
		field := fmt.Sprintf("groups[%d]", i)
		if !ledger.IDPattern.MatchString(g.Name) {
			return ledger.Invalid(field+".name", "%q must match %s", g.Name, ledger.IDPattern)
		}
		if names[g.Name] {
			return ledger.Invalid(field+".name", "group %s appears twice", g.Name)
		}
		names[g.Name] = true
		if len(g.Parties) < 2 {
			return ledger.Invalid(field+".parties", "a group has at least two parties")
		}
		for j, p := range g.Parties {
			pf := fmt.Sprintf("%s.parties[%d]", field, j)
			if !slices.Contains(signers, p) {
				return ledger.Invalid(pf, "%q is neither a party nor a guarantor of this document", p)
			}
			if other, ok := inGroup[p]; ok {
				return ledger.Invalid(pf, "%s is already in group %s", p, other)
			}
			inGroup[p] = g.Name
		}
		if g.Threshold < 1 || g.Threshold > len(g.Parties) {
			return ledger.Invalid(field+".threshold", "must be between 1 and the group's %d parties", len(g.Parties))
		}
	}
	if len(s.Groups) == 0 && len(s.Guarantors) == 0 {
		return ledger.Invalid("", "name guarantors or groups, or leave signing out")
	}
	return nil
}
