package sqlite_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"truce/centre"
	"truce/incident"
	"truce/party"
	"truce/projection"
	"truce/seat"
	"truce/store/sqlite"
	"truce/store/storetest"
)

// seated is a store holding one of each seat record: an accreditation, two
// consents, a restricted file and a read of it.
func seated(t *testing.T) (*sqlite.Store, *storetest.Fixture) {
	t.Helper()
	ctx := context.Background()
	st := open(t).(*sqlite.Store)
	f := storetest.NewFixture(t, st)
	if _, _, err := f.Centre.AddMember(ctx, centre.NewMember{ID: "ch-head", Party: "ch", Name: "Head of mission", Roles: []party.Role{party.Representative}}); err != nil {
		t.Fatal(err)
	}
	s, err := f.Centre.SessionOf(ctx, "ch-head")
	if err != nil {
		t.Fatal(err)
	}
	f.S["ch-head"] = s
	f.Say(t, "ch-head", seat.TypeAccredit, seat.Accredit{Member: storetest.Mon1, Until: time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)})
	for _, p := range []string{storetest.UARep, storetest.RURep} {
		f.Say(t, p, seat.TypeConsent, seat.Word{Country: "ch", Decision: seat.Consent})
	}
	inc := incident.IDFor(f.Say(t, storetest.UARep, incident.TypeReport, storetest.Report()))
	sha := strings.Repeat("cd", 32)
	f.Say(t, storetest.UARep, incident.TypeEvidence, incident.AddEvidence{Incident: inc, Restricted: true,
		Evidence: incident.Evidence{SHA256: sha, Name: "list.txt", MediaType: "text/plain", Size: 4}})
	got, _ := st.Incident(ctx, inc)
	if _, err := f.Centre.RecordRead(ctx, f.S[storetest.RURep], sha, got); err != nil {
		t.Fatal(err)
	}
	return st, f
}

// The seat tables are sealed and folded like every projection: an edited
// row is refused on read and by the sweep, a dropped one is named by the
// fold check, and a re-fold gives back what the fold wrote.
func TestSeatTablesSealedAndFolded(t *testing.T) {
	ctx := context.Background()
	for _, e := range []struct {
		table, edit string
		read        func(st *sqlite.Store) error
	}{
		{"accreditations", `UPDATE accreditations SET doc = CAST(json_set(CAST(doc AS TEXT), '$.until', '2099-01-01T00:00:00Z') AS BLOB)`,
			func(st *sqlite.Store) error { _, err := st.Accreditations(ctx, "ch", ""); return err }},
		{"consents", `UPDATE consents SET doc = CAST(json_set(CAST(doc AS TEXT), '$.decision', 'object') AS BLOB)`,
			func(st *sqlite.Store) error { _, err := st.Words(ctx, "ch"); return err }},
		{"evidence_restrictions", `UPDATE evidence_restrictions SET incident = 'inc-1'`,
			func(st *sqlite.Store) error { _, err := st.EvidenceRestrictions(ctx, "", ""); return err }},
		{"custody", `UPDATE custody SET reader = 'ua-rep'`,
			func(st *sqlite.Store) error { _, err := st.Custody(ctx, "", ""); return err }},
	} {
		t.Run(e.table, func(t *testing.T) {
			st, f := seated(t)
			before, _ := st.Dump(ctx)
			if err := st.VerifyFold(ctx, t.TempDir(), nil); err != nil {
				t.Fatalf("an untouched store: %v", err)
			}
			if _, err := st.ExecForTest(ctx, e.edit); err != nil {
				t.Fatal(err)
			}
			if err := e.read(st); !errors.Is(err, projection.ErrTampered) {
				t.Fatalf("read after %s: %v", e.edit, err)
			}
			if err := st.VerifySeals(ctx, nil); !errors.Is(err, projection.ErrTampered) {
				t.Fatalf("sweep after %s: %v", e.edit, err)
			}
			f.Centre.Close()
			if err := st.Refold(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if after, _ := st.Dump(ctx); strings.Join(before, "\n") != strings.Join(after, "\n") {
				t.Fatalf("the re-fold did not give back the fold's rows")
			}
		})
	}
	st, _ := seated(t)
	if _, err := st.ExecForTest(ctx, `DELETE FROM custody`); err != nil {
		t.Fatal(err)
	}
	if err := st.VerifyFold(ctx, t.TempDir(), nil); !errors.Is(err, projection.ErrTampered) || !strings.Contains(err.Error(), "custody") {
		t.Fatalf("a read dropped from the trail: %v", err)
	}
}
