package storetest

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"truce/alert"
	"truce/centre"
	"truce/geo"
	"truce/hotline"
	"truce/incident"
	"truce/ledger"
	"truce/movement"
	"truce/party"
)

// Run runs the conformance suite against stores made by open.
func Run(t *testing.T, open Opener) {
	t.Run("Projections", func(t *testing.T) { testProjections(t, open) })
	t.Run("RefusalChangesNothing", func(t *testing.T) { testRefusal(t, open) })
	t.Run("BatchWithRefusal", func(t *testing.T) { testBatch(t, open) })
	t.Run("ConcurrentAppends", func(t *testing.T) { testConcurrent(t, open) })
	t.Run("Replay", func(t *testing.T) { testReplay(t, open) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, open) })
	t.Run("DuplicateSignedStatement", func(t *testing.T) { testDuplicate(t, open) })
	t.Run("OneKeyOneMember", func(t *testing.T) { testKeys(t, open) })
}

func testProjections(t *testing.T, open Opener) {
	f := NewFixture(t, open(t))
	ctx := context.Background()
	id := f.Walk(t)
	inc, err := f.Store.Incident(ctx, id)
	if err != nil || inc == nil {
		t.Fatalf("incident %s: %v %v", id, inc, err)
	}
	if inc.Status != incident.Published || inc.Finding == nil || inc.Finding.Outcome != "serious_violation" || inc.Finding.Attribution != "ru" {
		t.Fatalf("finding not folded: %+v", inc)
	}
	if len(inc.Responses) != 1 || inc.Responses[0].Party != "ru" || len(inc.Evidence) != 1 || len(inc.Linked) != 1 {
		t.Fatalf("responses/evidence/links not folded: %+v", inc)
	}
	wantSteps := []string{incident.TypeReport, incident.TypeLink, incident.TypeTriage, incident.TypeAssign, incident.TypeInvestigate,
		incident.TypeEvidence, incident.TypeRespond, incident.TypeFinding, incident.TypePublish}
	var got []string
	for _, s := range inc.Steps {
		got = append(got, s.Type)
		st, err := f.Store.Statement(ctx, s.Seq)
		if err != nil || st == nil || st.Statement.Type != s.Type {
			t.Fatalf("step %d does not point at its statement: %v %v", s.Seq, st, err)
		}
	}
	if !slices.Equal(got, wantSteps) {
		t.Fatalf("steps = %v, want %v", got, wantSteps)
	}
	other, _ := f.Store.Incident(ctx, inc.Linked[0])
	if other.Event != inc.Event || inc.Event != id {
		t.Fatalf("linked reports are not one event: %s vs %s", other.Event, inc.Event)
	}
	ids, err := f.Store.EvidenceIncidents(ctx, inc.Evidence[0].SHA256)
	if err != nil || !slices.Equal(ids, []string{id}) {
		t.Fatalf("evidence index = %v, %v", ids, err)
	}
	m, _ := f.Store.Member(ctx, Mon1)
	if m == nil || m.Party != "ch" || !m.Has(party.MonitorRole) {
		t.Fatalf("member projection: %+v", m)
	}
	ps, _ := f.Store.Parties(ctx)
	if len(ps) != 7 { // six plus the centre
		t.Fatalf("%d parties, want 7", len(ps))
	}
}

func testRefusal(t *testing.T, open Opener) {
	f := NewFixture(t, open(t))
	ctx := context.Background()
	id := incident.IDFor(f.Say(t, UARep, incident.TypeReport, Report()))
	before, _ := f.Store.Dump(ctx)
	size, _ := f.Store.Size(ctx)
	refusals := []struct {
		by, typ string
		payload any
		kind    error
	}{
		{Mon1, incident.TypeFinding, incident.Finding{Incident: id, Outcome: "inconclusive", Attribution: "unknown", Summary: incident.Text{Lang: "en", Text: "x"}}, ledger.ErrForbidden},
		{Coord, incident.TypeAssign, incident.Assign{Incident: id, Monitors: []string{Mon1}}, ledger.ErrConflict},
		{Coord, incident.TypePublish, incident.Publish{Incident: id}, ledger.ErrConflict},
		{UARep, incident.TypeTriage, incident.Triage{Incident: id, Priority: "high"}, ledger.ErrForbidden},
		{Viewer, incident.TypeReport, Report(), ledger.ErrForbidden},
		{UARep, incident.TypeRespond, incident.Respond{Incident: id, Text: incident.Text{Lang: "uk", Text: "ні"}}, ledger.ErrForbidden},
		{Coord, incident.TypeTriage, incident.Triage{Incident: "inc-999999", Priority: "high"}, ledger.ErrNotFound},
		{Coord, incident.TypeTriage, incident.Triage{Incident: id, Priority: "whenever"}, nil},
		{UARep, party.TypeRegister, party.Register{ID: "xx", Name: "X", Kind: party.Observer}, ledger.ErrForbidden},
	}
	for _, r := range refusals {
		_, err := f.Centre.Say(ctx, f.S[r.by], r.typ, r.payload)
		if err == nil {
			t.Fatalf("%s by %s was accepted", r.typ, r.by)
		}
		var fe *ledger.FieldError
		if (r.kind != nil && !errors.Is(err, r.kind)) || (r.kind == nil && !errors.As(err, &fe)) {
			t.Fatalf("%s by %s: got %v, want %v", r.typ, r.by, err, r.kind)
		}
	}
	after, _ := f.Store.Dump(ctx)
	size2, _ := f.Store.Size(ctx)
	if size2 != size || !slices.Equal(before, after) {
		t.Fatalf("refused statements changed the store: size %d → %d", size, size2)
	}
	// Triage by a coordinator and assignment of an ineligible monitor.
	f.Say(t, Coord, incident.TypeTriage, incident.Triage{Incident: id, Priority: "high"})
	if _, err := f.Centre.Say(ctx, f.S[Coord], incident.TypeAssign, incident.Assign{Incident: id, Monitors: []string{UAMonitor}}); err == nil {
		t.Fatal("a belligerent's member was assigned as monitor")
	}
}

func testBatch(t *testing.T, open Opener) {
	st := open(t)
	f := NewFixture(t, st)
	ctx := context.Background()
	sign := func(member string, typ string, payload any) *ledger.Signed {
		raw, _ := json.Marshal(payload)
		s, err := ledger.Sign(ledger.Statement{Type: typ, Party: f.S[member].Member.Party, Author: member, Time: time.Now().UTC(), Payload: raw}, f.key(t, member))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	size, _ := st.Size(ctx)
	batch := []*ledger.Signed{
		sign(UARep, incident.TypeReport, Report()),
		sign(Viewer, incident.TypeReport, Report()), // refused: viewer
		sign(RURep, incident.TypeReport, Report()),
	}
	errs, err := st.AppendBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("errs = %v", errs)
	}
	if batch[0].Seq != size || batch[2].Seq != size+1 {
		t.Fatalf("seqs %d, %d; want %d, %d (no gap for the refusal)", batch[0].Seq, batch[2].Seq, size, size+1)
	}
	if n, _ := st.Size(ctx); n != size+2 {
		t.Fatalf("size %d, want %d", n, size+2)
	}
	// An unverified statement never lands.
	s := sign(UARep, incident.TypeReport, Report())
	s.Key = nil
	errs, err = st.AppendBatch(ctx, []*ledger.Signed{s})
	if err != nil || !errors.Is(errs[0], ledger.ErrUnauthenticated) {
		t.Fatalf("unverified statement: %v %v", errs, err)
	}
}

func testConcurrent(t *testing.T, open Opener) {
	f := NewFixture(t, open(t))
	ctx := context.Background()
	start, _ := f.Store.Size(ctx)
	const writers, each = 16, 25
	var (
		mu   sync.Mutex
		seqs []uint64
		wg   sync.WaitGroup
	)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				s, err := f.Centre.Say(ctx, f.S[UARep], incident.TypeReport, Report())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seqs = append(seqs, s.Seq)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != start+uint64(i) {
			t.Fatalf("seq %d at position %d: indexes must be contiguous and unique", s, i)
		}
	}
	page, err := f.Store.Incidents(ctx, incident.Filter{Party: "ua", Limit: 1000})
	if err != nil || len(page.Items) != writers*each {
		t.Fatalf("%d incidents, want %d (%v)", len(page.Items), writers*each, err)
	}
}

func testReplay(t *testing.T, open Opener) {
	f := NewFixture(t, open(t))
	ctx := context.Background()
	f.Walk(t)
	f.Walk(t)
	id := incident.IDFor(f.Say(t, RURep, incident.TypeReport, Report()))
	f.Say(t, Coord, incident.TypeTriage, incident.Triage{Incident: id, Priority: "low"})
	other := incident.IDFor(f.Say(t, UARep, incident.TypeReport, Report()))
	f.Say(t, Mon1, incident.TypeLink, incident.Link{Incident: other, With: id})
	// The hotline and the movement register replay too.
	th := hotline.IDFor(f.Say(t, UARep, hotline.TypeOpen, hotline.OpenThread{Kind: hotline.Violation, To: hotline.CentreSide,
		Subject: "Shelling near the crew", Incidents: []string{other}, Body: hotline.Body{Text: incident.Text{Lang: "en", Text: "Shelling."}}}))
	f.Say(t, Coord, hotline.TypeAck, hotline.Ack{Thread: th, Message: 1})
	f.Say(t, UARep, hotline.TypeUsed, hotline.Used{Incident: id, Thread: th})
	f.Say(t, Coord, hotline.TypeResolve, hotline.Resolve{Thread: th})
	place := hotline.Place{Geometry: geo.Geometry{Type: "Point", Coordinates: json.RawMessage(`[35.28,47.43]`)}, Name: "Vasylivka"}
	rst := movement.IDFor(f.Say(t, Mon1, movement.TypeRecord, movement.Record{Subtype: movement.Delay, Actor: "ru", Place: place,
		StartedAt: time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)}))
	// Ended now, through the thread opened meanwhile.
	f.Say(t, Mon1, movement.TypeEnd, movement.End{Restriction: rst, EndedAt: time.Now().UTC().Format(time.RFC3339), Thread: th})
	// Subscriptions and alerts replay too: a subscription to an event
	// nothing below raises (so that the centre appends no alert of its own
	// while the test compares), an alert the centre's operator raises by
	// hand, its receipt, and a subscription ended.
	watch := f.Say(t, Coord, alert.TypeSubscribe, alert.Subscribe{Name: "withdrawals", Filter: alert.Filter{Events: []alert.Kind{alert.GuaranteeWithdrawn}}})
	ended := f.Say(t, UARep, alert.TypeSubscribe, alert.Subscribe{Name: "all", Filter: alert.Filter{Events: []alert.Kind{alert.GuaranteeMissed}, Parties: []string{"ru"}}})
	f.Say(t, UARep, alert.TypeUnsubscribe, alert.Unsubscribe{Subscription: alert.SubscriptionID(ended)})
	al := f.Say(t, centre.OperatorID, alert.TypeNotify, alert.Notify{Subscription: alert.SubscriptionID(watch), Member: Coord,
		Event: alert.Event{Kind: alert.GuaranteeWithdrawn, Cause: ended, Record: "w-1", Parties: []string{"ru"}}})
	f.Say(t, Coord, alert.TypeReceipt, alert.Receipt{Alert: alert.ID(al)})
	if _, err := f.Centre.Say(ctx, f.S[centre.OperatorID], party.TypeRevoke, party.Revoke{Member: Mon2}); err != nil {
		t.Fatal(err)
	}
	// A key rotation: statements before it verify with the old key, after
	// it with the new one.
	if _, err := f.Centre.RotateKey(ctx, UARep, nil, "scheduled rotation"); err != nil {
		t.Fatal(err)
	}
	rotated, err := f.Centre.SessionOf(ctx, UARep)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Centre.Say(ctx, rotated, incident.TypeReport, Report()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Centre.Say(ctx, f.S[UARep], incident.TypeReport, Report()); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("the old key still signs: %v", err)
	}
	dst := open(t)
	if err := centre.Replay(ctx, f.Store, dst, nil); err != nil {
		t.Fatal(err)
	}
	a, _ := f.Store.Dump(ctx)
	b, _ := dst.Dump(ctx)
	if !slices.ContainsFunc(a, func(l string) bool { return strings.HasPrefix(l, "thread ") }) ||
		!slices.ContainsFunc(a, func(l string) bool { return strings.HasPrefix(l, "restriction ") }) ||
		!slices.ContainsFunc(a, func(l string) bool { return strings.HasPrefix(l, "alert ") }) ||
		!slices.ContainsFunc(a, func(l string) bool { return strings.HasPrefix(l, "subscription ") }) {
		t.Fatal("the dump leaves out the hotline, the register or alerts")
	}
	if len(a) < 20 || !slices.Equal(a, b) {
		t.Fatalf("replayed projections differ (%d vs %d rows)", len(a), len(b))
	}
	na, _ := f.Store.Size(ctx)
	nb, _ := dst.Size(ctx)
	if na != nb {
		t.Fatalf("ledger sizes %d vs %d", na, nb)
	}
}

func testFilters(t *testing.T, open Opener) {
	f := NewFixture(t, open(t))
	ctx := context.Background()
	a := Report()
	b := Report()
	b.Type, b.ObservedAt, b.AllegedActor = incident.Drone, "2026-02-01T12:00:00Z", "ua"
	b.Location.Geometry.Coordinates = []byte(`[36.58,50.60]`) // Belgorod
	ida := incident.IDFor(f.Say(t, UARep, incident.TypeReport, a))
	idb := incident.IDFor(f.Say(t, RURep, incident.TypeReport, b))
	bbox := geo.BBox{36, 50, 37, 51}
	cases := []struct {
		name string
		f    incident.Filter
		want []string
	}{
		{"all", incident.Filter{}, []string{idb, ida}},
		{"type", incident.Filter{Types: []incident.Type{incident.Drone}}, []string{idb}},
		{"party", incident.Filter{Party: "ua"}, []string{ida}},
		{"actor", incident.Filter{Actor: "ru"}, []string{ida}},
		{"bbox", incident.Filter{BBox: &bbox}, []string{idb}},
		{"from", incident.Filter{From: time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC)}, []string{idb}},
		{"to", incident.Filter{To: time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC)}, []string{ida}},
		{"status", incident.Filter{Statuses: []incident.Status{incident.Triaged}}, nil},
		{"published", incident.Filter{PublishedOnly: true}, nil},
		{"page", incident.Filter{Limit: 1}, []string{idb}},
	}
	for _, c := range cases {
		page, err := f.Store.Incidents(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, inc := range page.Items {
			got = append(got, inc.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
		if c.name == "page" {
			next, _ := f.Store.Incidents(ctx, incident.Filter{Limit: 1, Before: page.Next})
			if page.Next == 0 || len(next.Items) != 1 || next.Items[0].ID != ida {
				t.Errorf("second page: cursor %d, %v", page.Next, next.Items)
			}
		}
	}
}

func testDuplicate(t *testing.T, open Opener) {
	st := open(t)
	f := NewFixture(t, st)
	ctx := context.Background()
	raw, _ := json.Marshal(Report())
	s, _ := ledger.Sign(ledger.Statement{Type: incident.TypeReport, Party: "ua", Author: UARep, Time: time.Now().UTC(), Payload: raw}, f.key(t, UARep))
	if err := f.Centre.Submit(ctx, f.S[UARep], s); err != nil {
		t.Fatal(err)
	}
	again := *s
	if err := f.Centre.Submit(ctx, f.S[UARep], &again); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("replayed signed statement: %v, want conflict", err)
	}
}

// A public key names one member: the fold refuses to register (member.add
// or member.rotate) a key another member holds, or any member once held,
// the operator's included; a member does not take back a key it rotated
// away from. The refusals change nothing, and a replay holds the same keys.
func testKeys(t *testing.T, open Opener) {
	f := NewFixture(t, open(t))
	ctx := context.Background()
	keyOf := func(member string) ed25519.PublicKey {
		m, err := f.Store.Member(ctx, member)
		if err != nil || m == nil {
			t.Fatalf("member %s: %v", member, err)
		}
		return m.Key()
	}
	uaOld, ru, op := keyOf(UARep), keyOf(RURep), keyOf(centre.OperatorID)
	if _, err := f.Centre.RotateKey(ctx, UARep, nil, "scheduled rotation"); err != nil {
		t.Fatal(err)
	}
	uaNew := keyOf(UARep)
	before, _ := f.Store.Dump(ctx)
	size, _ := f.Store.Size(ctx)
	refusedAdd := []struct {
		name  string
		party string
		key   ed25519.PublicKey
	}{
		{"another party's member's key", "ua", ru},
		{"the same party's member's key", "ua", uaNew},
		{"a key rotated away from", "ch", uaOld},
		{"the operator's key", "un", op},
	}
	for i, c := range refusedAdd {
		_, _, err := f.Centre.AddMember(ctx, centre.NewMember{ID: "dup-" + string(rune('a'+i)), Party: c.party, Name: "Duplicate",
			Roles: []party.Role{party.Representative}, PublicKey: c.key})
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != "payload.public_key" {
			t.Errorf("member.add with %s: %v, want a payload.public_key error", c.name, err)
		}
	}
	refusedRotate := []struct {
		name, member string
		key          ed25519.PublicKey
		holder       string
	}{
		{"to another member's key", RURep, uaNew, UARep},
		{"to a key another member rotated away from", RURep, uaOld, UARep},
		{"back to its own old key", UARep, uaOld, UARep},
		{"to the operator's key", Mon1, op, centre.OperatorID},
	}
	for _, c := range refusedRotate {
		_, err := f.Centre.RotateKey(ctx, c.member, c.key, "test")
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != "payload.public_key" || !strings.Contains(fe.Reason, c.holder) {
			t.Errorf("member.rotate of %s %s: %v, want a payload.public_key error naming %s", c.member, c.name, err, c.holder)
		}
	}
	after, _ := f.Store.Dump(ctx)
	size2, _ := f.Store.Size(ctx)
	if size2 != size || !slices.Equal(before, after) {
		t.Fatalf("refused key registrations changed the store: size %d → %d", size, size2)
	}
	// A fresh key is still welcome, and a revoked member's key stays taken.
	fresh, _, _ := ed25519.GenerateKey(nil)
	if _, _, err := f.Centre.AddMember(ctx, centre.NewMember{ID: "fresh", Party: "ua", Name: "Fresh", Roles: []party.Role{party.Viewer}, PublicKey: fresh}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Centre.Say(ctx, f.S[centre.OperatorID], party.TypeRevoke, party.Revoke{Member: "fresh"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Centre.RotateKey(ctx, RURep, fresh, "test"); err == nil {
		t.Fatal("a revoked member's key was registered again")
	}
	// The keys are part of the projections: every key any member has held
	// is in the dump, and a replay of the ledger holds the same.
	a, _ := f.Store.Dump(ctx)
	for _, k := range []ed25519.PublicKey{uaOld, uaNew, ru, op, fresh} {
		if !slices.ContainsFunc(a, func(row string) bool { return strings.HasPrefix(row, "key ") && strings.Contains(row, base64Key(k)) }) {
			t.Errorf("key %s is not in the dump", base64Key(k))
		}
	}
	dst := open(t)
	if err := centre.Replay(ctx, f.Store, dst, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := dst.Dump(ctx)
	if !slices.Equal(a, b) {
		t.Fatalf("replayed projections differ (%d vs %d rows)", len(a), len(b))
	}
}

func base64Key(k ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(k) }
