package agreement

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"truce/ledger"
	"truce/party"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// version builds a signed (signedAt non-empty) or draft version with an
// optional effective term.
func version(id string, n int, from string, days int, signedAt string, replaces ...string) *Version {
	d := Document{Format: Format, ID: id, Version: n, Title: Texts{"en": id}, Parties: []string{"ua", "ru"}, Replaces: replaces,
		Terms: []Term{{ID: "9", Type: Clause, Text: Texts{"en": "text"}}}}
	if from != "" {
		d.Terms = append(d.Terms, Term{ID: "1", Type: Effective, From: from, DurationDays: days})
	}
	v := &Version{ID: id, Version: n, Document: d}
	if signedAt != "" {
		t := at(signedAt)
		v.Signed, v.SignedAt = true, &t
	}
	return v
}

func event(kind, partyID, from string) StatusEvent {
	return StatusEvent{Kind: kind, Party: partyID, From: at(from), At: at(from)}
}

// The scenario the expected table below was written from, by hand:
//
//	ceasefire   v1 from 1 Mar, indefinite; v2 (amendment) from 1 Apr
//	moratorium  from 5 Mar for 30 days (to 4 Apr); terminated from 25 Mar
//	znpp        no effective term: from its signature on 10 Mar;
//	            suspended by ru 20–25 Mar, by ua from 10 Apr until the
//	            centre resumes it on 12 Apr
//	window      from 15 Mar 06:00 for one day
//	ceasefire-2 from 1 May, replaces ceasefire
//	unsigned    a draft that was never signed
func scenario() *Registry {
	versions := []*Version{
		version("ceasefire", 1, "2026-03-01T00:00:00Z", 0, "2026-02-20T10:00:00Z"),
		version("ceasefire", 2, "2026-04-01T00:00:00Z", 0, "2026-03-20T10:00:00Z"),
		version("moratorium", 1, "2026-03-05T00:00:00Z", 30, "2026-03-04T10:00:00Z"),
		version("znpp", 1, "", 0, "2026-03-10T00:00:00Z"),
		version("window", 1, "2026-03-15T06:00:00Z", 1, "2026-03-14T18:00:00Z"),
		version("ceasefire-2", 1, "2026-05-01T00:00:00Z", 0, "2026-04-20T00:00:00Z", "ceasefire"),
		version("unsigned", 1, "2026-03-01T00:00:00Z", 0, ""),
	}
	insts := []*Instrument{
		{ID: "moratorium", Events: []StatusEvent{event(Terminated, "ru", "2026-03-25T00:00:00Z")}},
		{ID: "znpp", Events: []StatusEvent{
			event(Suspended, "ru", "2026-03-20T00:00:00Z"), event(Resumed, "ru", "2026-03-25T00:00:00Z"),
			event(Suspended, "ua", "2026-04-10T00:00:00Z"), event(Resumed, party.CentreID, "2026-04-12T00:00:00Z")}},
	}
	return NewRegistry(versions, insts)
}

func TestInstrumentsInForce(t *testing.T) {
	reg := scenario()
	for _, c := range []struct {
		at   string
		want string
	}{
		{"2026-02-28T23:59:59Z", ""},
		{"2026-03-01T00:00:00Z", "ceasefire/1"},
		{"2026-03-05T00:00:00Z", "ceasefire/1 moratorium/1"},
		{"2026-03-09T23:59:59Z", "ceasefire/1 moratorium/1"},
		{"2026-03-10T12:00:00Z", "ceasefire/1 moratorium/1 znpp/1"},
		{"2026-03-15T12:00:00Z", "ceasefire/1 moratorium/1 window/1 znpp/1"},
		{"2026-03-16T06:00:00Z", "ceasefire/1 moratorium/1 znpp/1"},
		{"2026-03-21T00:00:00Z", "ceasefire/1 moratorium/1"},
		{"2026-03-25T00:00:00Z", "ceasefire/1 znpp/1"},
		{"2026-04-01T00:00:00Z", "ceasefire/2 znpp/1"},
		{"2026-04-11T00:00:00Z", "ceasefire/2"},
		{"2026-04-12T00:00:00Z", "ceasefire/2 znpp/1"},
		{"2026-04-30T23:59:59Z", "ceasefire/2 znpp/1"},
		{"2026-05-01T00:00:00Z", "ceasefire-2/1 znpp/1"},
	} {
		var got []string
		for _, v := range reg.InForce(at(c.at)) {
			got = append(got, fmt.Sprintf("%s/%d", v.ID, v.Version))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("at %s: in force %q, want %q", c.at, strings.Join(got, " "), c.want)
		}
	}
}

func TestInstrumentStatus(t *testing.T) {
	reg := scenario()
	for _, c := range []struct {
		id, at, state string
		version       int
		detail        string
	}{
		{"ceasefire", "2026-02-25T00:00:00Z", StatePending, 0, ""},
		{"ceasefire", "2026-03-02T00:00:00Z", StateInForce, 1, ""},
		{"ceasefire", "2026-04-02T00:00:00Z", StateInForce, 2, ""},
		{"ceasefire", "2026-05-02T00:00:00Z", StateReplaced, 0, "ceasefire-2"},
		{"ceasefire-2", "2026-04-21T00:00:00Z", StatePending, 0, ""},
		{"moratorium", "2026-03-26T00:00:00Z", StateTerminated, 0, ""},
		{"moratorium", "2026-03-24T00:00:00Z", StateInForce, 1, ""},
		{"znpp", "2026-03-22T00:00:00Z", StateSuspended, 0, "ru"},
		{"znpp", "2026-04-11T00:00:00Z", StateSuspended, 0, "ua"},
		{"window", "2026-03-17T00:00:00Z", StateExpired, 0, ""},
		{"unsigned", "2026-03-17T00:00:00Z", StateDraft, 0, ""},
	} {
		st := reg.Status(c.id, at(c.at))
		detail := strings.Join(st.SuspendedBy, ",")
		if st.ReplacedBy != nil {
			detail = st.ReplacedBy.By
		}
		if st.State != c.state || st.Version != c.version || detail != c.detail {
			t.Errorf("%s at %s: %+v, want %s v%d %s", c.id, c.at, st, c.state, c.version, c.detail)
		}
	}
}

// A dry run changes a copy: the registry it came from stays as it was.
func TestRegistryWith(t *testing.T) {
	reg := scenario()
	next := reg.Versions("unsigned")[0].Clone()
	now := at("2026-03-02T00:00:00Z")
	next.Signed, next.SignedAt = true, &now
	after := reg.With(next, nil)
	if after.At("unsigned", at("2026-03-03T00:00:00Z")) == nil {
		t.Error("the signed copy is not in force")
	}
	if reg.At("unsigned", at("2026-03-03T00:00:00Z")) != nil || reg.Versions("unsigned")[0].Signed {
		t.Error("the dry run changed the registry it came from")
	}
}

// errInvalid stands for a *ledger.FieldError in the tables.
var errInvalid = errors.New("invalid input")

func testKey(name string) (ed25519.PublicKey, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte(name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return priv.Public().(ed25519.PublicKey), priv
}

func actor(partyID string, kind party.Kind, roles ...party.Role) Actor {
	return Actor{Member: &party.Member{ID: partyID + "-m", Party: partyID, Roles: roles}, Kind: kind}
}

func TestChangeInstrument(t *testing.T) {
	versions := []*Version{version("znpp", 1, "", 0, "2026-03-10T00:00:00Z")}
	ua := actor("ua", party.Belligerent, party.Representative)
	ru := actor("ru", party.Belligerent, party.Representative)
	us := actor("us", party.Mediator, party.Representative)
	centre := actor(party.CentreID, party.Centre, party.Coordinator)
	p := func(from, reason string) ChangeStatus {
		return ChangeStatus{Agreement: "znpp", From: from, Reason: reason}
	}
	var in *Instrument
	step := func(by Actor, kind string, c ChangeStatus, want error) {
		t.Helper()
		next, err := ChangeInstrument(in.Clone(), versions, by, kind, c, 1, at("2026-03-30T00:00:00Z"))
		if want == nil && err != nil {
			t.Fatalf("%s by %s: %v", kind, by.Party, err)
		}
		if want != nil {
			var fe *ledger.FieldError
			if !errors.Is(err, want) && (want != errInvalid || !errors.As(err, &fe)) {
				t.Fatalf("%s by %s: %v, want %v", kind, by.Party, err, want)
			}
			return
		}
		in = next
	}
	step(ru, Suspended, p("2026-03-20T00:00:00Z", ""), errInvalid) // a reason is required
	step(us, Suspended, p("2026-03-20T00:00:00Z", "x"), ledger.ErrForbidden)
	step(ru, Suspended, p("2026-03-01T00:00:00Z", "x"), errInvalid) // before it came into force
	step(ua, Resumed, p("", ""), ledger.ErrConflict)                // not suspended
	step(ru, Suspended, p("2026-03-20T00:00:00Z", "shelling near the plant"), nil)
	step(ru, Suspended, p("2026-03-21T00:00:00Z", "again"), ledger.ErrConflict)
	step(ua, Resumed, p("2026-03-22T00:00:00Z", ""), ledger.ErrForbidden) // ru's suspension is ru's to lift
	step(ru, Resumed, p("2026-03-19T00:00:00Z", ""), errInvalid)          // before the last change
	step(centre, Resumed, p("2026-03-25T00:00:00Z", ""), nil)
	step(ua, Terminated, p("2026-03-28T00:00:00Z", "denounced"), nil)
	step(ru, Suspended, p("2026-03-29T00:00:00Z", "x"), ledger.ErrConflict) // terminated for good
	if len(in.Events) != 3 || in.Events[2].Kind != Terminated {
		t.Fatalf("events: %+v", in.Events)
	}
	// A draft is not in force, so there is nothing to suspend.
	_, err := ChangeInstrument(nil, []*Version{version("d", 1, "", 0, "")}, ru, Suspended, ChangeStatus{Agreement: "d", Reason: "x"}, 1, at("2026-03-30T00:00:00Z"))
	if !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("suspending a draft: %v", err)
	}
}

// Who must sign: the expected outcomes are written from the rules in
// docs/agreements.md, signature by signature.
func TestSigningRules(t *testing.T) {
	doc := func(s *Signing, parties ...string) *Document {
		return &Document{Format: Format, ID: "a", Version: 1, Title: Texts{"en": "a"}, Parties: parties, Signing: s,
			Terms: []Term{{ID: "1", Type: Clause, Text: Texts{"en": "x"}}}}
	}
	for _, c := range []struct {
		name   string
		d      *Document
		signed []string
		want   bool
	}{
		{"all parties: one missing", doc(nil, "ua", "ru"), []string{"ua"}, false},
		{"all parties: both", doc(nil, "ua", "ru"), []string{"ru", "ua"}, true},
		{"guarantor missing", doc(&Signing{Guarantors: []string{"us"}}, "ua", "ru"), []string{"ua", "ru"}, false},
		{"guarantor countersigned", doc(&Signing{Guarantors: []string{"us"}}, "ua", "ru"), []string{"ua", "ru", "us"}, true},
		{"2 of 3 guarantors: one", doc(&Signing{Guarantors: []string{"us", "tr", "ae"}, Groups: []SignGroup{{Name: "guarantors", Parties: []string{"us", "tr", "ae"}, Threshold: 2}}}, "ua", "ru"), []string{"ua", "ru", "tr"}, false},
		{"2 of 3 guarantors: two", doc(&Signing{Guarantors: []string{"us", "tr", "ae"}, Groups: []SignGroup{{Name: "guarantors", Parties: []string{"us", "tr", "ae"}, Threshold: 2}}}, "ua", "ru"), []string{"ua", "ru", "tr", "ae"}, true},
		{"2 of 3 guarantors: bound party missing", doc(&Signing{Guarantors: []string{"us", "tr", "ae"}, Groups: []SignGroup{{Name: "guarantors", Parties: []string{"us", "tr", "ae"}, Threshold: 2}}}, "ua", "ru"), []string{"ua", "us", "tr", "ae"}, false},
		{"k of n bound parties", doc(&Signing{Groups: []SignGroup{{Name: "sides", Parties: []string{"a1", "a2", "a3"}, Threshold: 2}}}, "a1", "a2", "a3", "b"), []string{"a1", "a3", "b"}, true},
	} {
		if err := c.d.Validate(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := c.d.Complete(c.signed); got != c.want {
			t.Errorf("%s: complete %v, want %v (%+v)", c.name, got, c.want, c.d.Requirements(c.signed))
		}
	}
	// A guarantor is not bound.
	d := doc(&Signing{Guarantors: []string{"us"}}, "ua", "ru")
	if !d.Bound("ua") || d.Bound("us") || !d.Guarantor("us") || !slices.Equal(d.Signers(), []string{"ua", "ru", "us"}) {
		t.Errorf("bound/guarantor: %v %v %v", d.Bound("ua"), d.Bound("us"), d.Signers())
	}
	for _, c := range []struct {
		s     *Signing
		field string
	}{
		{&Signing{Guarantors: []string{"ua"}}, "signing.guarantors[0]"},
		{&Signing{Guarantors: []string{"us", "us"}}, "signing.guarantors[1]"},
		{&Signing{Groups: []SignGroup{{Name: "g", Parties: []string{"ua", "xx"}, Threshold: 1}}}, "signing.groups[0].parties[1]"},
		{&Signing{Groups: []SignGroup{{Name: "g", Parties: []string{"ua", "ru"}, Threshold: 3}}}, "signing.groups[0].threshold"},
		{&Signing{Groups: []SignGroup{{Name: "g", Parties: []string{"ua", "ru"}, Threshold: 1}, {Name: "h", Parties: []string{"ru", "ua"}, Threshold: 1}}}, "signing.groups[1].parties[0]"},
		{&Signing{}, "signing"},
	} {
		err := doc(c.s, "ua", "ru").Validate()
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: %v, want an error at %s", c.s, err, c.field)
		}
	}
	bad := doc(nil, "ua", "ru")
	bad.Replaces = []string{"a"}
	var fe *ledger.FieldError
	if err := bad.Validate(); !errors.As(err, &fe) || fe.Field != "replaces[0]" {
		t.Errorf("replacing itself: %v", err)
	}
}

// Signing folds: a guarantor's signature counts towards entry into force,
// one key counts once, and the version is signed at the signature that
// completes the rule.
func TestSignFoldWithGuarantors(t *testing.T) {
	d := Document{Format: Format, ID: "a", Version: 1, Title: Texts{"en": "a"}, Parties: []string{"ua", "ru"},
		Signing: &Signing{Guarantors: []string{"us", "tr"}, Groups: []SignGroup{{Name: "g", Parties: []string{"us", "tr"}, Threshold: 1}}},
		Terms:   []Term{{ID: "1", Type: Clause, Text: Texts{"en": "x"}}}}
	digest, _ := d.Digest()
	v := &Version{ID: "a", Version: 1, Document: d, Digest: digest}
	sign := func(partyID string, kind party.Kind) error {
		pub, priv := testKey(partyID)
		sig, err := SignDocument(&d, priv)
		if err != nil {
			return err
		}
		return Sign(v, actor(partyID, kind, party.Representative), pub, SignAgreement{Agreement: "a", Version: 1, Digest: digest, Signature: sig}, 1, at("2026-03-01T00:00:00Z"))
	}
	if err := sign("fr", party.Mediator); !errors.Is(err, ledger.ErrForbidden) {
		t.Fatalf("a party that is not a signer: %v", err)
	}
	for _, p := range []string{"ua", "ru"} {
		if err := sign(p, party.Belligerent); err != nil || v.Signed {
			t.Fatalf("%s: %v signed=%v", p, err, v.Signed)
		}
	}
	if err := sign("tr", party.Mediator); err != nil || !v.Signed {
		t.Fatalf("the guarantor's countersignature: %v signed=%v", err, v.Signed)
	}
}
