// Package party holds who takes part in the centre: parties (belligerents,
// mediators, monitor countries, observers, and the centre itself), their
// members, and the roles that decide what a member may say.
package party

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"truce/ledger"
)

// Kind is what a party is to the ceasefire.
type Kind string

const (
	Belligerent Kind = "belligerent"
	Mediator    Kind = "mediator"
	Monitor     Kind = "monitor" // a country that sends monitors to the centre
	Observer    Kind = "observer"
	Centre      Kind = "centre" // the centre's own staff and operator; exactly one
)

// Kinds lists the kinds a party may be registered with.
var Kinds = []Kind{Belligerent, Mediator, Monitor, Observer}

// Role is what a member does.
type Role string

const (
	Representative Role = "representative" // speaks for a party: reports, responds
	MonitorRole    Role = "monitor"        // triages, investigates, records findings
	Coordinator    Role = "coordinator"    // runs the queue: triage, assign, publish
	Viewer         Role = "viewer"         // reads, never writes
)

// Roles lists every role.
var Roles = []Role{Representative, MonitorRole, Coordinator, Viewer}

// CentreID is the identifier of the centre's own party.
const CentreID = "centre"

// Statement types of this package.
const (
	TypeOpen     = "centre.open"
	TypeRegister = "party.register"
	TypeAdd      = "member.add"
	TypeRevoke   = "member.revoke"
	TypeRotate   = "member.rotate"
)

// Party is the projection of a registered party.
type Party struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Names      map[string]string `json:"names,omitempty"` // the name in other languages, by BCP 47 tag
	Kind       Kind              `json:"kind"`
	Registered time.Time         `json:"registered"`
	Seq        uint64            `json:"seq"` // ledger index of the registering statement
}

// Member is the projection of a member.
type Member struct {
	ID        string    `json:"id"`
	Party     string    `json:"party"`
	Name      string    `json:"name"`
	Roles     []Role    `json:"roles"`
	PublicKey string    `json:"public_key"` // base64 ed25519
	Added     time.Time `json:"added"`
	Revoked   bool      `json:"revoked,omitempty"`
	Seq       uint64    `json:"seq"`
}

// Has reports whether m holds role r.
func (m *Member) Has(r Role) bool { return slices.Contains(m.Roles, r) }

// Key decodes the member's public key.
func (m *Member) Key() ed25519.PublicKey {
	k, _ := base64.StdEncoding.DecodeString(m.PublicKey)
	return k
}

// Open is the payload of the genesis statement: it names the centre and its
// operator, whose key signs it.
type Open struct {
	Name     string            `json:"name"`
	Names    map[string]string `json:"names,omitempty"` // optional: the name in other languages, by BCP 47 tag
	Operator string            `json:"operator"`        // member ID of the operator
	Key      string            `json:"public_key"`      // base64 ed25519
}

// Register is the payload of party.register.
type Register struct {
	ID    string            `json:"id"`
	Name  string            `json:"name"`
	Names map[string]string `json:"names,omitempty"` // optional: the name in other languages, by BCP 47 tag
	Kind  Kind              `json:"kind"`
}

// Add is the payload of member.add.
type Add struct {
	ID        string `json:"id"`
	Party     string `json:"party"`
	Name      string `json:"name"`
	Roles     []Role `json:"roles"`
	PublicKey string `json:"public_key"`
}

// Revoke is the payload of member.revoke: the member can no longer
// authenticate or sign.
type Revoke struct {
	Member string `json:"member"`
	Reason string `json:"reason,omitempty"`
}

// Rotate is the payload of member.rotate: from this statement on, the
// member signs with a new key. Statements before it keep verifying with the
// old one.
type Rotate struct {
	Member    string `json:"member"`
	PublicKey string `json:"public_key"`
	Reason    string `json:"reason,omitempty"`
}

// Validate checks the Rotate payload.
func (r Rotate) Validate() error {
	if !ledger.IDPattern.MatchString(r.Member) {
		return ledger.Invalid("member", "must match %s", ledger.IDPattern)
	}
	if err := ledger.CheckText("reason", r.Reason); err != nil {
		return err
	}
	return validKey("public_key", r.PublicKey)
}

// Validate checks the Open payload.
func (o Open) Validate() error {
	if strings.TrimSpace(o.Name) == "" {
		return ledger.Invalid("name", "is required")
	}
	if err := ledger.CheckLabel("name", o.Name); err != nil {
		return err
	}
	if err := validNames(o.Names); err != nil {
		return err
	}
	if !ledger.IDPattern.MatchString(o.Operator) {
		return ledger.Invalid("operator", "must match %s", ledger.IDPattern)
	}
	return validKey("public_key", o.Key)
}

// validNames checks a party's names in other languages.
func validNames(names map[string]string) error {
	if len(names) > 50 {
		return ledger.Invalid("names", "at most 50 languages")
	}
	for tag, name := range names {
		if _, err := language.Parse(tag); err != nil || tag == "" {
			return ledger.Invalid("names", "%q is not a BCP 47 language tag", tag)
		}
		if strings.TrimSpace(name) == "" || len(name) > 200 || !utf8.ValidString(name) {
			return ledger.Invalid("names."+tag, "is required, valid UTF-8 of at most 200 bytes")
		}
		if err := ledger.CheckLabel("names."+tag, name); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the Register payload.
func (r Register) Validate() error {
	if !ledger.IDPattern.MatchString(r.ID) {
		return ledger.Invalid("id", "must match %s", ledger.IDPattern)
	}
	if r.ID == CentreID {
		return ledger.Invalid("id", "%q is reserved for the centre", CentreID)
	}
	if strings.TrimSpace(r.Name) == "" || len(r.Name) > 200 {
		return ledger.Invalid("name", "is required, at most 200 bytes")
	}
	if err := ledger.CheckLabel("name", r.Name); err != nil {
		return err
	}
	if err := validNames(r.Names); err != nil {
		return err
	}
	if !slices.Contains(Kinds, r.Kind) {
		return ledger.Invalid("kind", "unknown kind %q; one of %s", r.Kind, join(Kinds))
	}
	return nil
}

// Validate checks the Add payload.
func (a Add) Validate() error {
	if !ledger.IDPattern.MatchString(a.ID) {
		return ledger.Invalid("id", "must match %s", ledger.IDPattern)
	}
	if !ledger.IDPattern.MatchString(a.Party) {
		return ledger.Invalid("party", "must match %s", ledger.IDPattern)
	}
	if strings.TrimSpace(a.Name) == "" || len(a.Name) > 200 {
		return ledger.Invalid("name", "is required, at most 200 bytes")
	}
	if err := ledger.CheckLabel("name", a.Name); err != nil {
		return err
	}
	if len(a.Roles) == 0 {
		return ledger.Invalid("roles", "at least one role is required")
	}
	for i, r := range a.Roles {
		if !slices.Contains(Roles, r) {
			return ledger.Invalid(fmt.Sprintf("roles[%d]", i), "unknown role %q; one of %s", r, join(Roles))
		}
		if slices.Index(a.Roles, r) != i {
			return ledger.Invalid(fmt.Sprintf("roles[%d]", i), "role %q given twice", r)
		}
	}
	return validKey("public_key", a.PublicKey)
}

func join[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

// CanAdminister reports whether m may register parties and members: the
// centre's coordinators (the operator among them).
func CanAdminister(m *Member) bool {
	return m.Party == CentreID && m.Has(Coordinator) && !m.Revoked
}

// Credentials are a member's secrets: the hash of its bearer token and, when
// the centre signs on its behalf, its private key. They are never part of
// the ledger.
type Credentials struct {
	Member     string
	TokenHash  []byte
	PrivateKey []byte // empty when the member holds its own key
}
