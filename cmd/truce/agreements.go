package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"truce/agreement"
	"truce/incident"
	"truce/ledger"
)

// readDocument reads and validates an agreement or plan file.
func readDocument(path string) (*agreement.Document, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d, err := agreement.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// documentCmd parses a command of the form NAME FILE [flags] whose file is
// a plan or agreement document.
func documentCmd(name string, args []string, define func(fs *flag.FlagSet)) (*client, *agreement.Document, bool, error) {
	fs := flags(name)
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	define(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return nil, nil, false, err
	}
	if err := arity(fs, pos, 1, "cli.need_file"); err != nil {
		return nil, nil, false, err
	}
	d, err := readDocument(pos[0])
	if err != nil {
		return nil, nil, false, err
	}
	c, err := connect()
	return c, d, *asJSON, err
}

func planSubmit(args []string) error {
	var round *string
	c, d, asJSON, err := documentCmd("plan submit", args, func(fs *flag.FlagSet) {
		round = fs.String("round", "", "the round the plan is submitted to")
	})
	if err != nil {
		return err
	}
	var out written
	if c.key == nil {
		err = c.post("/v1/plans", map[string]any{"plan": d, "round": *round}, &out)
	} else {
		// The member signs: upload the document, then sign its digest.
		var up struct {
			Digest string `json:"digest"`
		}
		if err = c.post("/v1/plans/documents", map[string]any{"plan": d}, &up); err == nil {
			err = c.say("", agreement.TypePlanSubmit, agreement.SubmitPlan{Plan: d.ID, Version: d.Version, Digest: up.Digest, Round: *round}, &out)
		}
	}
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(out)
	}
	fmt.Println(msg.T("plan.submitted", d.ID, d.Version, out.Statement.Seq))
	return nil
}

// planCmd parses a command of the form NAME ID [flags].
func planCmd(name string, args []string, define func(fs *flag.FlagSet)) (*client, []string, bool, error) {
	fs := flags(name)
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if define != nil {
		define(fs)
	}
	pos, err := parse(fs, args)
	if err != nil {
		return nil, nil, false, err
	}
	if len(pos) == 0 {
		fs.Usage()
		return nil, nil, false, fmt.Errorf("%s", msg.T("cli.need_id"))
	}
	c, err := connect()
	return c, pos, *asJSON, err
}

func planShare(args []string) error {
	c, pos, asJSON, err := planCmd("plan share", args, nil)
	if err != nil {
		return err
	}
	var out written
	if err := c.say("/v1/plans/"+url.PathEscape(pos[0])+"/share", agreement.TypePlanShare, agreement.SharePlan{Plan: pos[0]}, &out); err != nil {
		return err
	}
	if asJSON {
		return printJSON(out)
	}
	fmt.Println(msg.T("plan.shared", pos[0], out.Statement.Seq))
	return nil
}

func planStance(args []string) error {
	var stance, counter, note *string
	var version *int
	c, pos, asJSON, err := planCmd("plan stance", args, func(fs *flag.FlagSet) {
		stance = fs.String("stance", "", "accept, reject or counter")
		counter = fs.String("counter", "", "file with the alternative term (JSON), for counter")
		note = fs.String("note", "", "note")
		version = fs.Int("version", 0, "version of the plan or draft (default: the latest)")
	})
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("%s", msg.T("cli.need_id_term"))
	}
	if *stance == "" {
		return fmt.Errorf("%s", msg.T("cli.need_stance"))
	}
	var alt *agreement.Term
	if *counter != "" {
		raw, err := os.ReadFile(*counter)
		if err != nil {
			return err
		}
		alt = new(agreement.Term)
		if err := ledger.Decode(raw, alt); err != nil {
			return fmt.Errorf("%s: %w", *counter, err)
		}
	}
	// A stance on a plan or on an agreement draft: the server knows which.
	endpoint := "/v1/plans/" + url.PathEscape(pos[0]) + "/stances"
	var probe json.RawMessage
	if c.get("/v1/agreements/"+url.PathEscape(pos[0]), &probe) == nil {
		endpoint = "/v1/agreements/" + url.PathEscape(pos[0]) + "/stances"
	}
	var out written
	body := map[string]any{"version": *version, "term": pos[1], "stance": *stance, "note": *note}
	if alt != nil {
		body["counter"] = alt
	}
	if c.key != nil {
		if *version == 0 { // the latest, as the server would take it
			var cur struct {
				Version int `json:"version"`
			}
			if err := c.get(strings.TrimSuffix(endpoint, "/stances"), &cur); err != nil {
				return err
			}
			*version = cur.Version
		}
		err = c.say("", agreement.TypeStance, agreement.TakeStance{On: pos[0], Version: *version, Term: pos[1], Stance: *stance, Counter: alt, Note: *note}, &out)
	} else {
		err = c.post(endpoint, body, &out)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(out)
	}
	fmt.Println(msg.T("plan.stance_done", *stance, pos[1], pos[0], out.Statement.Seq))
	return nil
}

func planList(args []string) error {
	fs := flags("plans")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var plans struct {
		Items []agreement.Plan `json:"items"`
	}
	var ags struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := c.get("/v1/plans", &plans); err != nil {
		return err
	}
	if err := c.get("/v1/agreements", &ags); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(map[string]any{"plans": plans.Items, "agreements": ags.Items})
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.plan"), msg.T("col.party"), msg.T("col.version"), msg.T("col.shared"), msg.T("col.round")}, "\t"))
	for _, p := range plans.Items {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", p.ID, p.Party, p.Version, yesNo(p.Shared), dash(p.Round))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Println()
	tw = newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.agreement"), msg.T("col.version"), msg.T("col.signed"), msg.T("col.missing"), msg.T("col.status")}, "\t"))
	for _, raw := range ags.Items {
		var v struct {
			ID       string           `json:"id"`
			Version  int              `json:"version"`
			SignedBy []string         `json:"signed_by"`
			Missing  []string         `json:"missing"`
			Status   agreement.Status `json:"status"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", v.ID, v.Version, dash(strings.Join(v.SignedBy, ",")), dash(strings.Join(v.Missing, ",")), stateText(v.Status))
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return msg.T("yes")
	}
	return msg.T("no")
}

func planShow(args []string) error {
	var version *int
	c, pos, _, err := planCmd("plan show", args, func(fs *flag.FlagSet) {
		version = fs.Int("version", 0, "version (default: the latest)")
	})
	if err != nil {
		return err
	}
	var out json.RawMessage
	path := "/v1/plans/" + url.PathEscape(pos[0])
	if c.get("/v1/agreements/"+url.PathEscape(pos[0]), &out) == nil {
		path = "/v1/agreements/" + url.PathEscape(pos[0])
	}
	if *version > 0 {
		path += "?version=" + strconv.Itoa(*version)
	}
	if err := c.get(path, &out); err != nil {
		return err
	}
	return printJSON(out)
}

// planDiff prints plans (or drafts) side by side, term by term.
func planDiff(args []string) error {
	c, pos, asJSON, err := planCmd("plan diff", args, nil)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return fmt.Errorf("%s", msg.T("cli.need_two_plans"))
	}
	var cmp agreement.Comparison
	if err := c.get("/v1/plans/compare?plans="+url.QueryEscape(strings.Join(pos, ",")), &cmp); err != nil {
		return err
	}
	if asJSON {
		return printJSON(cmp)
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, msg.T("col.topic")+"\t"+strings.Join(cmp.Plans, "\t")+"\t")
	for _, r := range cmp.Rows {
		cells := make([]string, len(r.Cells))
		for i, cell := range r.Cells {
			if cell == nil {
				cells[i] = "—"
				continue
			}
			s := cell.Term + ": " + cell.Summary
			for _, st := range cell.Stances {
				s += fmt.Sprintf(" [%s: %s]", st.Party, msg.T("stance."+st.Stance))
			}
			cells[i] = s
		}
		mark := ""
		if r.Agree {
			mark = "="
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Topic, strings.Join(cells, "\t"), mark)
	}
	return tw.Flush()
}

func agreementDraft(args []string) error {
	var sources *string
	c, d, asJSON, err := documentCmd("agreement draft", args, func(fs *flag.FlagSet) {
		sources = fs.String("sources", "", "where terms came from: TERM=PLAN/TERM,... (default: mediator)")
	})
	if err != nil {
		return err
	}
	src := map[string]string{}
	for _, kv := range splitList(*sources) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("--sources: %q is not TERM=PLAN/TERM", kv)
		}
		src[k] = v
	}
	var out written
	if err := c.say("/v1/agreements", agreement.TypeDraft, agreement.DraftAgreement{Agreement: *d, Sources: src}, &out); err != nil {
		return err
	}
	if asJSON {
		return printJSON(out)
	}
	fmt.Println(msg.T("agreement.drafted", d.ID, d.Version, out.Statement.Seq))
	return nil
}

func agreementSign(args []string) error {
	var version *int
	var dryRun *bool
	c, pos, asJSON, err := planCmd("agreement sign", args, func(fs *flag.FlagSet) {
		version = fs.Int("version", 0, "version (default: the latest)")
		dryRun = fs.Bool("dry-run", false, "only say what signing would do: entry into force, instruments replaced, incidents judged again")
		fs.BoolVar(&impactAll, "all", false, "list every incident judged again (default: those whose flags change, and 20 more)")
	})
	if err != nil {
		return err
	}
	// Before signing, the signer is shown what the signature will do.
	dry, done, err := preview(c, "/v1/agreements/"+url.PathEscape(pos[0])+"/sign", map[string]any{"version": *version}, pos[0], *dryRun, asJSON)
	if err != nil || done {
		return err
	}
	var out written
	if c.key == nil {
		err = c.post("/v1/agreements/"+url.PathEscape(pos[0])+"/sign", map[string]int{"version": *version}, &out)
	} else {
		// Sign here, over the canonical encoding of the text as served.
		var f agreement.File
		path := "/v1/agreements/" + url.PathEscape(pos[0]) + "/file"
		if *version > 0 {
			path += "?version=" + strconv.Itoa(*version)
		}
		if err := c.get(path, &f); err != nil {
			return err
		}
		sig, err := agreement.SignDocument(&f.Agreement, c.key)
		if err != nil {
			return err
		}
		digest, _ := f.Agreement.Digest()
		err = c.say("", agreement.TypeSign, agreement.SignAgreement{Agreement: f.Agreement.ID, Version: f.Agreement.Version, Digest: digest, Signature: sig}, &out)
		if err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(map[string]any{"statement": out.Statement, "impact": dry.Impact})
	}
	fmt.Println(msg.T("agreement.signed", pos[0], out.Statement.Seq))
	printImpact(pos[0], dry.Impact, false)
	return nil
}

// preview asks the server for a dry run of a change to an instrument; with
// only, it prints it and the command is done.
func preview(c *client, endpoint string, body map[string]any, id string, only, asJSON bool) (dry struct {
	Impact impact `json:"impact"`
}, done bool, err error) {
	body["dry_run"] = true
	if err = c.post(endpoint, body, &dry); err != nil || !only {
		return dry, false, err
	}
	if asJSON {
		return dry, true, printJSON(dry.Impact)
	}
	printImpact(id, dry.Impact, true)
	return dry, true, nil
}

// impact is a dry run's answer (centre.Impact).
type impact struct {
	Completes   bool                    `json:"completes"`
	From        time.Time               `json:"from"`
	LeavesForce []agreement.Replacement `json:"leaves_force"`
	Replaces    []string                `json:"replaces"`
	Changed     int                     `json:"changed"`
	Incidents   []struct {
		Incident string `json:"incident"`
		incident.Change
	} `json:"incidents"`
}

// impactAll: the command's --all, to list every incident judged again.
var impactAll bool

// printImpact says what a signature or a change does, or would do.
func printImpact(id string, im impact, dry bool) {
	tense := func(key string) string {
		if dry {
			return key + ".would"
		}
		return key
	}
	if im.Completes || !im.From.IsZero() {
		if im.Completes {
			fmt.Println(msg.T(tense("impact.completes"), id, im.From.Format(time.RFC3339)))
		}
		for _, r := range im.LeavesForce {
			fmt.Println(msg.T(tense("impact.leaves_force"), r.By, r.From.Format(time.RFC3339)))
		}
		if im.Changed == 0 {
			fmt.Println(msg.T(tense("impact.unchanged")))
		} else {
			fmt.Println(msg.N(tense("impact.changed"), im.Changed))
		}
	} else {
		fmt.Println(msg.T("impact.not_complete", id))
	}
	// The incidents whose flags change first, every one of them; then, of
	// those only judged by one more or one less instrument, the first 20
	// (--all lists them all).
	flags := func(i int) bool { return len(im.Incidents[i].Added)+len(im.Incidents[i].Removed) > 0 }
	order := make([]int, len(im.Incidents))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case flags(a) == flags(b):
			return 0
		case flags(a):
			return -1
		}
		return 1
	})
	others := 0
	for n, i := range order {
		it := im.Incidents[i]
		if !flags(i) {
			if others++; others > 20 && !impactAll {
				fmt.Println("  " + msg.T("impact.more", len(order)-n))
				break
			}
		}
		var parts []string
		for _, in := range it.Entered {
			parts = append(parts, msg.T("show.entered", in))
		}
		for _, in := range it.Left {
			parts = append(parts, msg.T("show.left", in))
		}
		for _, f := range it.Added {
			parts = append(parts, "+ "+f.Agreement+": "+msg.Violation(f.PossibleViolation))
		}
		for _, f := range it.Removed {
			parts = append(parts, "− "+f.Agreement+": "+msg.Violation(f.PossibleViolation))
		}
		fmt.Printf("  %s: %s\n", it.Incident, strings.Join(parts, "; "))
	}
}

// agreementChange suspends, resumes or terminates an instrument.
func agreementChange(kind, typ string) func([]string) error {
	return func(args []string) error {
		var reason, from *string
		var dryRun *bool
		c, pos, asJSON, err := planCmd("agreement "+kind, args, func(fs *flag.FlagSet) {
			reason = fs.String("reason", "", "why (required to suspend or terminate)")
			from = fs.String("from", "", "when it takes effect (RFC 3339; default: now)")
			dryRun = fs.Bool("dry-run", false, "only say which incidents would be judged again")
			fs.BoolVar(&impactAll, "all", false, "list every incident judged again (default: those whose flags change, and 20 more)")
		})
		if err != nil {
			return err
		}
		endpoint := "/v1/agreements/" + url.PathEscape(pos[0]) + "/" + kind
		dry, done, err := preview(c, endpoint, map[string]any{"reason": *reason, "from": *from}, pos[0], *dryRun, asJSON)
		if err != nil || done {
			return err
		}
		var out written
		if c.key == nil {
			err = c.post(endpoint, map[string]any{"reason": *reason, "from": *from}, &out)
		} else {
			err = c.say("", typ, agreement.ChangeStatus{Agreement: pos[0], From: *from, Reason: *reason}, &out)
		}
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(map[string]any{"statement": out.Statement, "impact": dry.Impact})
		}
		fmt.Println(msg.T("agreement.changed."+kind, pos[0], out.Statement.Seq))
		printImpact(pos[0], dry.Impact, false)
		return nil
	}
}

// agreementInForce lists the instruments in force at a time.
func agreementInForce(args []string) error {
	fs := flags("agreement in-force")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	atFlag := fs.String("at", "", "the time (RFC 3339 or a date; default: now)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	path := "/v1/in-force"
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, *atFlag); err != nil {
				return fmt.Errorf("--at: %s", msg.T("cli.bad_time", *atFlag))
			}
		}
		path += "?at=" + url.QueryEscape(t.UTC().Format(time.RFC3339))
	}
	var out struct {
		At    time.Time `json:"at"`
		Items []struct {
			Agreement string          `json:"agreement"`
			Version   int             `json:"version"`
			Title     agreement.Texts `json:"title"`
			Since     time.Time       `json:"since"`
			Until     *time.Time      `json:"until"`
		} `json:"items"`
		NotInForce []struct {
			Agreement string           `json:"agreement"`
			Status    agreement.Status `json:"status"`
		} `json:"not_in_force"`
	}
	if err := c.get(path, &out); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(out)
	}
	fmt.Println(msg.N("inforce.header", len(out.Items), out.At.Format(time.RFC3339)))
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.agreement"), msg.T("col.version"), msg.T("col.since"), msg.T("col.until"), msg.T("col.title")}, "\t"))
	for _, it := range out.Items {
		until := msg.T("inforce.indefinite")
		if it.Until != nil {
			until = it.Until.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", it.Agreement, it.Version, it.Since.Format(time.RFC3339), until, it.Title.In(msg.Lang))
	}
	for _, it := range out.NotInForce {
		fmt.Fprintf(tw, "%s\t—\t%s\t\t\n", it.Agreement, stateText(it.Status))
	}
	return tw.Flush()
}

// stateText says where an instrument stands, in words.
func stateText(st agreement.Status) string {
	s := msg.T("state." + st.State)
	switch {
	case st.State == agreement.StateInForce:
		s += fmt.Sprintf(" (v%d)", st.Version)
	case st.ReplacedBy != nil:
		s += " (" + st.ReplacedBy.By + ")"
	case len(st.SuspendedBy) > 0:
		s += " (" + strings.Join(st.SuspendedBy, ", ") + ")"
	}
	return s
}

func agreementExport(args []string) error {
	var version *int
	var outPath *string
	c, pos, _, err := planCmd("agreement export", args, func(fs *flag.FlagSet) {
		version = fs.Int("version", 0, "version (default: the latest)")
		outPath = fs.String("out", "", "write to this file instead of standard output")
	})
	if err != nil {
		return err
	}
	path := "/v1/agreements/" + url.PathEscape(pos[0]) + "/file"
	if *version > 0 {
		path += "?version=" + strconv.Itoa(*version)
	}
	var f agreement.File
	if err := c.get(path, &f); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if *outPath == "" {
		_, err = os.Stdout.Write(append(raw, '\n'))
		return err
	}
	if err := os.WriteFile(*outPath, append(raw, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, msg.T("agreement.exported", f.Agreement.ID, f.Agreement.Version, len(f.Signatures), *outPath))
	return nil
}

// agreementVerify checks a signed agreement file offline.
func agreementVerify(args []string) error {
	fs := flags("agreement verify")
	asJSON := fs.Bool("json", false, "print JSON")
	connect := clientFlags(fs)
	onLedger := fs.Bool("ledger", false, "also check each signature against the centre's ledger (--server, --token)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := arity(fs, pos, 1, "cli.need_file"); err != nil {
		return err
	}
	raw, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	var f agreement.File
	if err := ledger.Decode(raw, &f); err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	v, err := agreement.VerifyFile(&f)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	// The file alone proves that its keys signed this text, not whose keys
	// they are: that is the ledger's to say.
	if *onLedger {
		c, err := connect()
		if err != nil {
			return err
		}
		if err := ledgerHasSignatures(c, &f); err != nil {
			return fmt.Errorf("%s: %w", pos[0], err)
		}
	}
	if *asJSON {
		if err := printJSON(v); err != nil {
			return err
		}
	} else {
		fmt.Println(msg.T("agreement.verified", f.Agreement.ID, f.Agreement.Version, v.Digest))
		fmt.Println(msg.T("agreement.signed_by", dash(strings.Join(v.Signed, ", "))))
		for _, s := range f.Signatures {
			fmt.Println("  " + msg.T("agreement.key", s.Party, s.Member, keyFingerprint(s.Key)))
		}
		if *onLedger {
			fmt.Println(msg.T("agreement.on_ledger"))
		} else {
			fmt.Println(msg.T("agreement.keys_unchecked"))
		}
		if !v.Complete {
			fmt.Println(msg.T("agreement.missing", strings.Join(v.Missing, ", ")))
		}
	}
	if !v.Complete {
		return errIncomplete
	}
	return nil
}

var errIncomplete = fmt.Errorf("%s", msg.T("agreement.incomplete"))

// keyFingerprint is a short, comparable form of a base64 public key.
func keyFingerprint(key string) string {
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return "?"
	}
	sum := sha256.Sum256(raw)
	return "SHA256:" + hex.EncodeToString(sum[:8])
}

// ledgerHasSignatures checks each signature of f against the statement
// that recorded it: an agreement.sign by that member of that party, with
// that signature, over this agreement and version.
func ledgerHasSignatures(c *client, f *agreement.File) error {
	for i, s := range f.Signatures {
		var view struct {
			Statement ledger.Statement `json:"statement"`
		}
		if err := c.get(fmt.Sprintf("/v1/statements/%d", s.Seq), &view); err != nil {
			return fmt.Errorf("signatures[%d]: ledger index %d: %w", i, s.Seq, err)
		}
		st := view.Statement
		var p agreement.SignAgreement
		if st.Type != agreement.TypeSign || ledger.DecodePayload(st, &p) != nil || st.Author != s.Member || st.Party != s.Party ||
			p.Signature != s.Sig || p.Agreement != f.Agreement.ID || p.Version != f.Agreement.Version {
			return ledger.Invalid(fmt.Sprintf("signatures[%d]", i), "the ledger at index %d does not record this signature by %s of %s", s.Seq, s.Member, s.Party)
		}
	}
	return nil
}

// printEvaluation prints an incident's evaluation instrument by
// instrument, and what each re-evaluation changed and why.
func printEvaluation(row func(key string, value any), ev *incident.Evaluation) {
	if ev == nil {
		return
	}
	if len(ev.Instruments) == 0 {
		row("col.evaluated", msg.T("show.evaluated_none"))
	}
	for _, j := range ev.Instruments {
		row("col.evaluated", msg.T("show.evaluated", j.Agreement, j.Version, len(j.Violations)))
		for _, v := range j.Violations {
			text := msg.Violation(v)
			if j.Arrangement != nil {
				text = arrangementText(j.Agreement, j.Arrangement) + ": " + text
			}
			row("col.violation", j.Agreement+": "+text)
		}
	}
	for _, c := range ev.Changes {
		row("col.rejudged", msg.T("show.rejudged", c.At.Format(time.RFC3339), causeText(c.Cause)))
		for _, in := range c.Entered {
			row("", msg.T("show.entered", in))
		}
		for _, in := range c.Left {
			row("", msg.T("show.left", in))
		}
		for _, f := range c.Added {
			row("", "+ "+f.Agreement+": "+msg.Violation(f.PossibleViolation))
		}
		for _, f := range c.Removed {
			row("", "− "+f.Agreement+": "+msg.Violation(f.PossibleViolation))
		}
	}
}

// causeText names the statement that made the centre judge again.
func causeText(c *incident.Cause) string {
	if c == nil {
		return msg.T("cause.catch_up")
	}
	v := ""
	if c.Version > 0 {
		v = fmt.Sprintf(" v%d", c.Version)
	}
	return msg.T("cause."+c.Type, c.Agreement+v, c.Party, c.Seq)
}
