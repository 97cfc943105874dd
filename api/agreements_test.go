package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"truce/agreement"
	"truce/centre"
	"truce/incident"
	"truce/ledger"
	"truce/party"
	st "truce/store/storetest"
)

// doc reads the demo's agreement as a plan or agreement of the given ID,
// in force from a day ago.
func doc(t *testing.T, id string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../demo/agreement.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	m["id"] = id
	for _, x := range m["terms"].([]any) {
		if term := x.(map[string]any); term["type"] == "effective" {
			term["from"] = time.Now().UTC().Add(-24 * time.Hour).Format(time.RFC3339)
		}
	}
	return m
}

func TestPlanVisibilityAndStances(t *testing.T) {
	e := newEnv(t)
	plan := doc(t, "ua-plan")
	e.must(e.post("/v1/plans", st.UARep, map[string]any{"plan": plan}), 201)
	// Private to Ukraine until shared: another party cannot see, compare or
	// answer it, and the ledger holds only its digest.
	e.must(e.get("/v1/plans/ua-plan", st.UARep), 200)
	for _, who := range []string{st.RURep, st.USMed, st.Mon1} {
		e.must(e.get("/v1/plans/ua-plan", who), 404)
		var list struct{ Items []agreement.Plan }
		e.must(e.get("/v1/plans", who), 200).json(t, &list)
		if len(list.Items) != 0 {
			t.Fatalf("%s lists %d plans", who, len(list.Items))
		}
	}
	e.must(e.post("/v1/plans/ua-plan/stances", st.RURep, map[string]any{"term": "4.2", "stance": "accept"}), 404)
	e.must(e.get("/v1/plans/ua-plan", ""), 401)
	r := e.must(e.get("/v1/statements?from=0&limit=1000", st.RURep), 200)
	if strings.Contains(string(r.body), "Withdrawal distances") {
		t.Fatal("the plan's text is on the ledger before it is shared")
	}
	// Only Ukraine shares it; then everyone sees it.
	e.must(e.post("/v1/plans/ua-plan/share", st.RURep, nil), 404)
	e.must(e.post("/v1/plans/ua-plan/share", st.UARep, nil), 201)
	e.must(e.get("/v1/plans/ua-plan", st.RURep), 200)
	// Stances: a term that is not in the plan, an unknown stance, a counter
	// without its alternative are refused and change nothing.
	before := e.size()
	e.must(e.post("/v1/plans/ua-plan/stances", st.RURep, map[string]any{"term": "99", "stance": "accept"}), 400)
	e.must(e.post("/v1/plans/ua-plan/stances", st.RURep, map[string]any{"term": "4.2", "stance": "maybe"}), 422)
	e.must(e.post("/v1/plans/ua-plan/stances", st.RURep, map[string]any{"term": "4.2", "stance": "counter"}), 422)
	e.must(e.post("/v1/plans/ua-plan/stances", st.Mon1, map[string]any{"term": "4.2", "stance": "accept"}), 403)
	if e.size() != before {
		t.Fatal("a refused stance changed the ledger")
	}
	counter := map[string]any{"id": "4.2", "type": "withdrawal", "classes": []map[string]any{
		{"class": "mlrs", "min_km": 50, "weapons": []string{"Grad"}}}}
	e.must(e.post("/v1/plans/ua-plan/stances", st.RURep, map[string]any{"term": "4.2", "stance": "counter", "counter": counter}), 201)
	// A second plan, side by side.
	ru := doc(t, "ru-plan")
	ru["terms"] = ru["terms"].([]any)[:5]
	e.must(e.post("/v1/plans", st.RURep, map[string]any{"plan": ru}), 201)
	e.must(e.get("/v1/plans/compare?plans=ua-plan,ru-plan", st.UARep), 404) // not shared yet
	e.must(e.post("/v1/plans/ru-plan/share", st.RURep, nil), 201)
	var cmp agreement.Comparison
	e.must(e.get("/v1/plans/compare?plans=ua-plan,ru-plan", st.UARep), 200).json(t, &cmp)
	rows := map[string]agreement.Row{}
	for _, r := range cmp.Rows {
		rows[r.Topic] = r
	}
	if r := rows["withdrawal:mlrs"]; !r.Agree || len(r.Cells) != 2 || len(r.Cells[0].Stances) != 1 || r.Cells[0].Stances[0].Stance != "counter" {
		t.Fatalf("MLRS row: %+v", r)
	}
	if r := rows["prohibited_action:energy_strikes"]; r.Cells[1] != nil || r.Agree {
		t.Fatalf("a term only Ukraine's plan has: %+v", r)
	}
}

func TestAgreementSigningAndEvaluation(t *testing.T) {
	e := newEnv(t)
	ag := doc(t, "ceasefire")
	draft := map[string]any{"agreement": ag, "sources": map[string]string{"4.2": "mediator"}}
	e.must(e.post("/v1/agreements", st.UARep, draft), 403) // belligerents do not draft
	e.must(e.post("/v1/agreements", st.USMed, draft), 201)
	// A draft is not an amendment, and versions follow each other.
	e.must(e.post("/v1/agreements", st.USMed, draft), 409)
	e.must(e.post("/v1/agreements/ceasefire/sign", st.Mon1, map[string]any{}), 403)
	e.must(e.post("/v1/agreements/ceasefire/sign", st.UARep, map[string]any{}), 201)
	// One key counts once.
	before := e.size()
	r := e.must(e.post("/v1/agreements/ceasefire/sign", st.UARep, map[string]any{}), 409)
	if !strings.Contains(string(r.body), "same key") {
		t.Fatalf("second signature: %s", r.body)
	}
	// A signature over different bytes is refused by the fold.
	ctx := context.Background()
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	var v agreement.Version
	e.must(e.get("/v1/agreements/ceasefire", st.RURep), 200).json(t, &v)
	changed := v.Document
	changed.Title = agreement.Texts{"en": "Something else"}
	sig, _ := agreement.SignDocument(&changed, other)
	if _, err := e.f.Centre.Say(ctx, e.f.S[st.RURep], agreement.TypeSign, agreement.SignAgreement{Agreement: "ceasefire", Version: 1, Digest: v.Digest, Signature: sig}); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("signature over other bytes: %v", err)
	}
	if _, err := e.f.Centre.Say(ctx, e.f.S[st.RURep], agreement.TypeSign, agreement.SignAgreement{Agreement: "ceasefire", Version: 1, Digest: strings.Repeat("0", 64), Signature: sig}); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("wrong digest: %v", err)
	}
	if e.size() != before {
		t.Fatal("refused signatures changed the ledger")
	}
	var view struct {
		Signed   bool     `json:"signed"`
		Missing  []string `json:"missing"`
		InForce  bool     `json:"in_force"`
		SignedBy []string `json:"signed_by"`
	}
	e.must(e.get("/v1/agreements/ceasefire", st.USMed), 200).json(t, &view)
	if view.Signed || len(view.Missing) != 1 || view.Missing[0] != "ru" {
		t.Fatalf("after one signature: %+v", view)
	}
	// An incident reported before the agreement is signed is judged once it is.
	rep := storetest_mlrs()
	var written struct{ Record incident.Incident }
	e.must(e.post("/v1/incidents", st.Mon1, rep), 201).json(t, &written)
	e.must(e.post("/v1/agreements/ceasefire/sign", st.RURep, map[string]any{}), 201)
	e.must(e.get("/v1/agreements/ceasefire", st.USMed), 200).json(t, &view)
	if !view.Signed || !view.InForce || len(view.SignedBy) != 2 {
		t.Fatalf("after both signatures: %+v", view)
	}
	inc := waitEvaluated(t, e, written.Record.ID)
	var found bool
	for _, p := range inc.Evaluation.Flags() {
		if p.Term == "4.2" && p.Class == "mlrs" && *p.LimitKM == 70 && *p.MeasuredKM < 70 {
			found = true
		}
	}
	if !found {
		t.Fatalf("MLRS not flagged: %+v", inc.Evaluation)
	}
	// Precondition 7: seven quiet days in zone 3 before withdrawal. Quiet
	// since entry into force until shelling lands in the zone.
	var pv struct {
		Preconditions []agreement.PreconditionStatus
	}
	e.must(e.get("/v1/agreements/ceasefire", st.USMed), 200).json(t, &pv)
	if len(pv.Preconditions) != 1 || pv.Preconditions[0].Met || pv.Preconditions[0].State != agreement.PreconditionCounting || time.Since(pv.Preconditions[0].QuietSince) > 25*time.Hour {
		t.Fatalf("preconditions: %+v", pv.Preconditions)
	}
	shell := storetest_mlrs()
	shell["type"], shell["weapon"] = "shelling", "mortar"
	shell["observed_at"] = time.Now().UTC().Format(time.RFC3339Nano) // after entry into force, which was the last signature
	shell["location"].(map[string]any)["geometry"] = map[string]any{"type": "Point", "coordinates": []float64{36.25, 47.59}}
	var shelled struct{ Record incident.Incident }
	e.must(e.post("/v1/incidents", st.Mon1, shell), 201).json(t, &shelled)
	waitEvaluated(t, e, shelled.Record.ID)
	e.must(e.get("/v1/agreements/ceasefire", st.USMed), 200).json(t, &pv)
	// An allegation alone does not reset the count: it puts it at risk.
	if p := pv.Preconditions[0]; p.LastViolation != "" || p.State != agreement.PreconditionAtRisk || !slices.Equal(p.AtRisk, []string{shelled.Record.ID}) {
		t.Fatalf("preconditions after shelling in the zone: %+v", pv.Preconditions)
	}
	var page struct{ Items []incident.Incident }
	e.must(e.get("/v1/incidents?term=ceasefire/4.2", st.USMed), 200).json(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != inc.ID {
		t.Fatalf("by term: %+v", page.Items)
	}
	e.must(e.get("/v1/incidents?term=4.2", st.Viewer), 400)
	// The exported file verifies offline.
	var f agreement.File
	e.must(e.get("/v1/agreements/ceasefire/file", st.Viewer), 200).json(t, &f)
	if res, err := agreement.VerifyFile(&f); err != nil || !res.Complete {
		t.Fatalf("exported file: %+v %v", res, err)
	}
	// An amendment must say what it amends; once signed it replaces version 1.
	ag["version"] = 2
	e.must(e.post("/v1/agreements", st.USMed, map[string]any{"agreement": ag}), 422)
	ag["amends"] = 1
	terms := ag["terms"].([]any)
	for _, x := range terms {
		if term := x.(map[string]any); term["id"] == "4.2" {
			term["classes"].([]any)[1].(map[string]any)["min_km"] = 40
		}
	}
	e.must(e.post("/v1/agreements", st.USMed, map[string]any{"agreement": ag}), 201)
	e.must(e.post("/v1/agreements/ceasefire/sign", st.UARep, map[string]any{"version": 2}), 201)
	e.must(e.post("/v1/agreements/ceasefire/sign", st.RURep, map[string]any{"version": 2}), 201)
	// Re-evaluated against the amendment: at 40 km the MLRS is no longer
	// closer than the limit... unless it is; either way the evaluation now
	// names version 2.
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.must(e.get("/v1/incidents/"+inc.ID, st.USMed), 200).json(t, &inc)
		if j := inc.Evaluation.Judgement("ceasefire"); j != nil && j.Version == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not re-evaluated after the amendment: %+v", inc.Evaluation)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, p := range inc.Evaluation.Flags() {
		if p.Term == "4.2" && p.Class == "mlrs" && (*p.LimitKM != 40 || *p.MeasuredKM >= 40) {
			t.Fatalf("amended limit: %+v", p)
		}
	}
}

// storetest_mlrs is a monitor's report of MLRS about 47 km from the demo's
// line of contact.
func storetest_mlrs() map[string]any {
	return map[string]any{"type": "weapons_in_zone", "observed_at": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
		"time_precision": "minute", "weapon": "BM-21 Grad",
		"location":    map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{35.62, 47.14}}, "precision_m": 500},
		"description": map[string]any{"lang": "en", "text": "Four launchers in a tree line."}}
}

func waitEvaluated(t *testing.T, e *env, id string) incident.Incident {
	t.Helper()
	var inc incident.Incident
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		e.must(e.get("/v1/incidents/"+id, st.USMed), 200).json(t, &inc)
		if inc.Evaluation != nil {
			return inc
		}
	}
	t.Fatalf("%s was not evaluated", id)
	return inc
}

// A member who signs its own statements cannot claim another party's plan
// document by its digest, nor take a stance on a term a plan lacks: the
// centre checks what the fold cannot see.
func TestSelfSignedPlanStatements(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.must(e.post("/v1/plans", st.UARep, map[string]any{"plan": doc(t, "ua-plan")}), 201)
	var ua agreement.Plan
	e.must(e.get("/v1/plans/ua-plan", st.UARep), 200).json(t, &ua)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	tok, _, err := e.f.Centre.AddMember(ctx, centre.NewMember{ID: "ru-field", Party: "ru", Name: "RU field", Roles: []party.Role{party.Representative}, PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	e.f.Tokens["ru-field"] = tok
	say := func(typ string, payload any) response {
		raw, _ := json.Marshal(payload)
		signed, err := ledger.Sign(ledger.Statement{Type: typ, Party: "ru", Author: "ru-field", Time: time.Now().UTC().Truncate(time.Millisecond),
			Payload: raw, Nonce: ledger.NewNonce()}, priv)
		if err != nil {
			t.Fatal(err)
		}
		return e.post("/v1/statements", "ru-field", signed.Seal())
	}
	before := e.size()
	r := say(agreement.TypePlanSubmit, agreement.SubmitPlan{Plan: "ru-copy", Version: 1, Digest: ua.Digest})
	if r.status != 422 || !strings.Contains(string(r.body), "another plan") {
		t.Fatalf("plan.submit with Ukraine's digest: %d %s", r.status, r.body)
	}
	r = say(agreement.TypePlanSubmit, agreement.SubmitPlan{Plan: "ru-plan", Version: 1, Digest: strings.Repeat("ab", 32)})
	if r.status != 422 || !strings.Contains(string(r.body), "upload it first") {
		t.Fatalf("plan.submit of a document never uploaded: %d %s", r.status, r.body)
	}
	e.must(e.get("/v1/plans/ru-copy", st.RURep), 404)
	// Upload, then submit: the member's own way.
	ru := doc(t, "ru-plan")
	var up struct{ Digest string }
	e.must(e.post("/v1/plans/documents", "ru-field", map[string]any{"plan": ru}), 201).json(t, &up)
	e.must(e.post("/v1/plans/documents", st.Viewer, map[string]any{"plan": ru}), 403)
	e.must(say(agreement.TypePlanSubmit, agreement.SubmitPlan{Plan: "ru-plan", Version: 1, Digest: up.Digest}), 201)
	e.must(e.post("/v1/plans/ua-plan/share", st.UARep, nil), 201)
	r = say(agreement.TypeStance, agreement.TakeStance{On: "ua-plan", Version: 1, Term: "99", Stance: "accept"})
	if r.status != 422 || !strings.Contains(string(r.body), `no term \"99\"`) {
		t.Fatalf("stance on a missing term: %d %s", r.status, r.body)
	}
	e.must(say(agreement.TypeStance, agreement.TakeStance{On: "ua-plan", Version: 1, Term: "4.2", Stance: "accept"}), 201)
	// No stance on one's own plan: it would put an unshared plan's terms
	// on the ledger.
	e.must(e.post("/v1/plans/ua-plan/stances", st.UARep, map[string]any{"term": "4.2", "stance": "accept"}), 403)
	if e.size() != before+3 { // the submission after the upload, the share, the stance
		t.Fatalf("ledger grew by %d", e.size()-before)
	}
}

// problemField reads the field a problem document names.
func problemField(t *testing.T, r response) string {
	t.Helper()
	var p struct{ Field string }
	r.json(t, &p)
	return p.Field
}

// waitJudged polls an incident until ok holds: the evaluator works behind
// the ledger.
func waitJudged(t *testing.T, e *env, id string, ok func(*incident.Evaluation) bool) incident.Incident {
	t.Helper()
	var inc incident.Incident
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		inc = incident.Incident{}
		e.must(e.get("/v1/incidents/"+id, st.USMed), 200).json(t, &inc)
		if inc.Evaluation != nil && ok(inc.Evaluation) {
			return inc
		}
	}
	t.Fatalf("%s: not judged as expected: %+v", id, inc.Evaluation)
	return inc
}

// An instrument's life: suspended (with a dry run first), resumed by the
// centre but not by the other party, replaced by another that names it,
// and terminated. Bad input is refused, names its field, and changes
// nothing.
func TestInstrumentLifecycle(t *testing.T) {
	e := newEnv(t)
	e.must(e.post("/v1/agreements", st.USMed, map[string]any{"agreement": doc(t, "ceasefire")}), 201)
	e.must(e.post("/v1/agreements/ceasefire/sign", st.UARep, map[string]any{}), 201)
	e.must(e.post("/v1/agreements/ceasefire/sign", st.RURep, map[string]any{}), 201)
	var written struct{ Record incident.Incident }
	e.must(e.post("/v1/incidents", st.Mon1, storetest_mlrs()), 201).json(t, &written) // observed an hour ago
	id := written.Record.ID
	judged := func(ev *incident.Evaluation) bool {
		j := ev.Judgement("ceasefire")
		return j != nil && len(j.Violations) > 0
	}
	waitJudged(t, e, id, judged)
	ago := func(d time.Duration) string { return time.Now().UTC().Add(-d).Format(time.RFC3339) }

	before := e.size()
	for _, c := range []struct {
		member, path string
		body         map[string]any
		status       int
		field        string
	}{
		{st.RURep, "/v1/agreements/ceasefire/suspend", map[string]any{}, 422, "reason"},
		{st.RURep, "/v1/agreements/ceasefire/suspend", map[string]any{"reason": "x", "from": "yesterday"}, 422, "from"},
		{st.RURep, "/v1/agreements/ceasefire/suspend", map[string]any{"reason": "x", "from": ago(72 * time.Hour)}, 422, "from"}, // before it came into force
		{st.RURep, "/v1/agreements/ceasefire/suspend", map[string]any{"reason": "x", "mood": "bad"}, 400, ""},
		{st.RURep, "/v1/agreements/nothing/suspend", map[string]any{"reason": "x"}, 404, ""},
		{st.Viewer, "/v1/agreements/ceasefire/suspend", map[string]any{"reason": "x"}, 403, ""},
		{st.USMed, "/v1/agreements/ceasefire/terminate", map[string]any{"reason": "x"}, 403, ""}, // not a party to it
		{st.UARep, "/v1/agreements/ceasefire/resume", map[string]any{}, 409, ""},                 // not suspended
		{st.RURep, "/v1/agreements/ceasefire/suspend", map[string]any{"reason": "x", "from": ago(2 * time.Hour), "dry_run": true}, 200, ""},
	} {
		r := e.must(e.post(c.path, c.member, c.body), c.status)
		if c.field != "" {
			if f := problemField(t, r); f != c.field {
				t.Errorf("%s %v: field %q, want %q", c.path, c.body, f, c.field)
			}
		}
		if c.status == 200 {
			var dry struct{ Impact centre.Impact }
			r.json(t, &dry)
			if dry.Impact.Changed != 1 || len(dry.Impact.Incidents) != 1 || dry.Impact.Incidents[0].Incident != id || !slices.Contains(dry.Impact.Incidents[0].Left, "ceasefire/1") {
				t.Errorf("dry run of the suspension: %+v", dry.Impact)
			}
		}
	}
	e.must(e.get("/v1/in-force?at=soon", st.Viewer), 400)
	if e.size() != before {
		t.Fatal("refused changes or a dry run changed the ledger")
	}

	// Suspended from two hours ago: the incident an hour ago is judged
	// against nothing, and says why.
	e.must(e.post("/v1/agreements/ceasefire/suspend", st.RURep, map[string]any{"reason": "Shelling of Orikhiv", "from": ago(2 * time.Hour)}), 201)
	inc := waitJudged(t, e, id, func(ev *incident.Evaluation) bool { return len(ev.Instruments) == 0 })
	c := inc.Evaluation.Changes[len(inc.Evaluation.Changes)-1]
	if c.Cause == nil || c.Cause.Type != agreement.TypeSuspend || c.Cause.Party != "ru" || !slices.Contains(c.Left, "ceasefire/1") || len(c.Removed) == 0 {
		t.Fatalf("change after the suspension: %+v", c)
	}
	var view struct {
		Status agreement.Status
		Events []agreement.StatusEvent
	}
	e.must(e.get("/v1/agreements/ceasefire", st.Viewer), 200).json(t, &view)
	if view.Status.State != agreement.StateSuspended || !slices.Equal(view.Status.SuspendedBy, []string{"ru"}) || len(view.Events) != 1 || view.Events[0].Reason != "Shelling of Orikhiv" {
		t.Fatalf("suspended: %+v", view)
	}
	// Russia's suspension is not Ukraine's to lift; the centre may.
	e.must(e.post("/v1/agreements/ceasefire/resume", st.UARep, map[string]any{}), 403)
	e.must(e.post("/v1/agreements/ceasefire/resume", centre.OperatorID, map[string]any{"from": ago(90 * time.Minute)}), 201)
	inc = waitJudged(t, e, id, judged)
	if c := inc.Evaluation.Changes[len(inc.Evaluation.Changes)-1]; c.Cause == nil || c.Cause.Type != agreement.TypeResume || !slices.Contains(c.Entered, "ceasefire/1") {
		t.Fatalf("change after the resumption: %+v", c)
	}
	var during, now struct {
		Items []struct{ Agreement string }
	}
	e.must(e.get("/v1/in-force?at="+ago(100*time.Minute), st.Viewer), 200).json(t, &during)
	e.must(e.get("/v1/in-force", st.Viewer), 200).json(t, &now)
	if len(during.Items) != 0 || len(now.Items) != 1 || now.Items[0].Agreement != "ceasefire" {
		t.Fatalf("in force during the suspension %+v, now %+v", during, now)
	}

	// A second instrument that replaces the first, from half an hour ago.
	next := doc(t, "ceasefire-2")
	next["replaces"] = []string{"ceasefire"}
	for _, x := range next["terms"].([]any) {
		if term := x.(map[string]any); term["type"] == "effective" {
			term["from"] = ago(30 * time.Minute)
		}
	}
	bad := doc(t, "ceasefire-3")
	bad["replaces"] = []string{"nothing"}
	if f := problemField(t, e.must(e.post("/v1/agreements", st.USMed, map[string]any{"agreement": bad}), 422)); f != "agreement.replaces[0]" {
		t.Errorf("replacing an unknown agreement: field %q", f)
	}
	e.must(e.post("/v1/agreements", st.USMed, map[string]any{"agreement": next}), 201)
	e.must(e.post("/v1/agreements/ceasefire-2/sign", st.UARep, map[string]any{}), 201)
	var dry struct{ Impact centre.Impact }
	e.must(e.post("/v1/agreements/ceasefire-2/sign", st.RURep, map[string]any{"dry_run": true}), 200).json(t, &dry)
	if !dry.Impact.Completes || len(dry.Impact.LeavesForce) != 1 || dry.Impact.LeavesForce[0].By != "ceasefire" {
		t.Fatalf("dry run of the completing signature: %+v", dry.Impact)
	}
	e.must(e.post("/v1/agreements/ceasefire-2/sign", st.RURep, map[string]any{}), 201)
	e.must(e.get("/v1/agreements/ceasefire", st.Viewer), 200).json(t, &view)
	if view.Status.State != agreement.StateReplaced || view.Status.ReplacedBy == nil || view.Status.ReplacedBy.By != "ceasefire-2" {
		t.Fatalf("replaced: %+v", view.Status)
	}
	e.must(e.get("/v1/in-force", st.Viewer), 200).json(t, &now)
	if len(now.Items) != 1 || now.Items[0].Agreement != "ceasefire-2" {
		t.Fatalf("in force after the replacement: %+v", now)
	}
	// The incident an hour ago stays judged against the first.
	if inc := waitJudged(t, e, id, judged); inc.Evaluation.Judgement("ceasefire-2") != nil {
		t.Fatalf("judged against an instrument not yet in force then: %+v", inc.Evaluation)
	}

	// Terminated for good: no more signatures or drafts under its ID.
	e.must(e.post("/v1/agreements/ceasefire-2/terminate", st.UARep, map[string]any{"reason": "Denounced"}), 201)
	e.must(e.get("/v1/agreements/ceasefire-2", st.Viewer), 200).json(t, &view)
	if view.Status.State != agreement.StateTerminated {
		t.Fatalf("terminated: %+v", view.Status)
	}
	next["version"], next["amends"] = 2, 1
	e.must(e.post("/v1/agreements", st.USMed, map[string]any{"agreement": next}), 409)
	e.must(e.post("/v1/agreements/ceasefire-2/suspend", st.RURep, map[string]any{"reason": "x"}), 409)
}
