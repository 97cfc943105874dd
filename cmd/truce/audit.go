package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"truce/api"
	"truce/audit"
	"truce/blobs"
	"truce/centre"
	"truce/checkpoint"
	"truce/incident"
	"truce/ledger"
	"truce/store/sqlite"
	"truce/witness"
)

// errAuditFailed makes `truce audit` exit non-zero after printing findings.
var errAuditFailed = errors.New("the audit found discrepancies")

func auditCmd(args []string) error {
	fs := flags("audit")
	data := fs.String("data", "", "audit a data directory (or a copy of one)")
	connect := clientFlags(fs)
	trustFile := fs.String("trust", "", "the trust file the parties exchanged: the log's key, its witnesses and their policy")
	logKey := fs.String("log-key", "", "the log's checkpoint verifier key (instead of --trust)")
	witnesses := fs.String("witnesses", "", "witness configuration and policy (instead of --trust)")
	var saved multiFlag
	fs.Var(&saved, "checkpoint", "a checkpoint you saved earlier (repeatable): the ledger must extend it")
	save := fs.String("save-checkpoint", "", "after a clean audit, write the newest witnessed checkpoint here for the next audit")
	askWitnesses := fs.Bool("ask-witnesses", false, "fetch each witness's latest cosigned checkpoint and the forks it holds")
	maxUnwitnessed := fs.Duration("max-unwitnessed", audit.DefaultMaxUnwitnessed, "how long an entry may go without a witnessed checkpoint")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ctx := context.Background()
	// Trust comes from the auditor, never from what is audited.
	opt := audit.Options{MaxUnwitnessed: *maxUnwitnessed}
	vkey := *logKey
	if *trustFile != "" {
		t, err := witness.LoadTrust(*trustFile)
		if err != nil {
			return err
		}
		if vkey == "" {
			vkey = t.LogKey
		}
		cfg := t.Config
		opt.Witnesses = &cfg
	}
	if *witnesses != "" {
		cfg, err := witness.LoadConfig(*witnesses)
		if err != nil {
			return err
		}
		opt.Witnesses = cfg
	}
	if vkey == "" {
		return audit.ErrNoLogKey
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return fmt.Errorf("--log-key: %w", err)
	}
	opt.LogKey = v
	for _, path := range saved {
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		opt.Trusted = append(opt.Trusted, audit.Trusted{From: msg.T("audit.saved_checkpoint", path), Signed: raw})
	}
	var forks []audit.Finding
	if *askWitnesses {
		if opt.Witnesses == nil {
			return fmt.Errorf("--ask-witnesses: %s", msg.T("audit.need_witnesses"))
		}
		trusted, found, err := askWitnessesFor(ctx, opt.Witnesses, v)
		if err != nil {
			return err
		}
		opt.Trusted, forks = append(opt.Trusted, trusted...), found
	}
	var (
		src   audit.Source
		local *sqlite.Store
	)
	if *data != "" {
		if _, err := os.Stat(filepath.Join(*data, "truce.db")); err != nil {
			return fmt.Errorf("%s: no truce.db: %w", *data, err)
		}
		st, err := sqlite.Open(*data)
		if err != nil {
			return err
		}
		defer st.Close()
		local, src = st, st
	} else {
		c, err := connect()
		if err != nil {
			return err
		}
		src = &httpSource{c: c}
	}
	bar := newProgress(os.Stderr, msg.T("audit.checking"))
	opt.Progress = func(done, total int64) { bar.set64(done, total) }
	rep, err := audit.Run(ctx, src, opt)
	bar.done()
	if err != nil {
		return err
	}
	rep.Findings = append(rep.Findings, forks...)
	if hs, ok := src.(*httpSource); ok {
		if err := auditServedEvidence(ctx, hs, rep); err != nil {
			return err
		}
	}
	if local != nil {
		if err := auditProjections(ctx, local, rep); err != nil {
			return err
		}
		if err := auditEvidence(ctx, local, filepath.Join(*data, "evidence"), rep); err != nil {
			return err
		}
		if err := auditPlans(ctx, local, filepath.Join(*data, "documents"), rep); err != nil {
			return err
		}
	}
	if *asJSON {
		if err := printJSON(rep); err != nil {
			return err
		}
	} else {
		fmt.Println(msg.T("audit.summary", msg.N("audit.entries", int(rep.Entries)), msg.N("audit.checkpoints", rep.Checkpoints), rep.Root))
		fmt.Println(msg.T("audit.custody", rep.CustodyReads, rep.RestrictedFiles))
		if opt.Witnesses != nil {
			fmt.Println(msg.T("audit.cosigned", rep.Cosigned, rep.Checkpoints))
			if rep.Witnessed > 0 {
				fmt.Println(msg.T("audit.witnessed", rep.Witnessed))
			}
			if rep.UnwitnessedSince != nil {
				fmt.Println(msg.N("audit.unwitnessed", int(rep.Unwitnessed), span(time.Since(*rep.UnwitnessedSince))))
			}
		}
		if f := rep.First(); f != nil {
			fmt.Println(msg.T("audit.first", f.String()))
			for _, other := range rep.Findings {
				if other != *f {
					fmt.Println("  " + other.String())
				}
			}
		} else {
			fmt.Println(msg.T("audit.ok"))
		}
	}
	if rep.First() != nil {
		return errAuditFailed
	}
	if *save != "" && rep.Newest != nil {
		if err := os.WriteFile(*save, rep.Newest, 0o644); err != nil {
			return err
		}
		if !*asJSON {
			fmt.Println(msg.T("audit.saved", *save))
		}
	}
	return nil
}

// askWitnessesFor fetches each witness's latest cosigned checkpoint of the
// log, checked against that witness's key and the log's, and the forks the
// witness holds: a checkpoint the log signed that contradicts one it
// cosigned is proof of a split view.
func askWitnessesFor(ctx context.Context, cfg *witness.Config, logKey note.Verifier) ([]audit.Trusted, []audit.Finding, error) {
	vs, err := cfg.Verifiers()
	if err != nil {
		return nil, nil, err
	}
	var trusted []audit.Trusted
	var found []audit.Finding
	for _, m := range cfg.Witnesses {
		if m.URL == "" {
			continue
		}
		cl := &witness.Client{URL: m.URL}
		latest, err := cl.Latest(ctx, logKey.Name())
		if err != nil {
			return nil, nil, fmt.Errorf("witness %s: %w", m.Name, err)
		}
		if latest != nil {
			if _, err := note.Open(latest, note.VerifierList(logKey, vs[m.Name])); err != nil {
				found = append(found, audit.Finding{Index: -1, What: fmt.Sprintf("witness %s serves a checkpoint that does not verify: %v", m.Name, err)})
			} else {
				trusted = append(trusted, audit.Trusted{From: msg.T("audit.witness_checkpoint", m.Name), Signed: latest})
			}
		}
		forks, err := cl.Forks(ctx, logKey.Name())
		if err != nil {
			return nil, nil, fmt.Errorf("witness %s: %w", m.Name, err)
		}
		for _, f := range forks {
			if c, _, err := checkpoint.Open([]byte(f.Checkpoint), logKey); err == nil {
				found = append(found, audit.Finding{Index: c.Size - 1, What: fmt.Sprintf("witness %s holds a checkpoint of size %d signed by the log that contradicts one it cosigned: the log showed two histories (a fork)", m.Name, c.Size)})
			}
		}
	}
	return trusted, found, nil
}

// auditProjections replays the ledger into a scratch store and compares,
// byte for byte, every ledger row (each column, as the append writes it)
// and every projection with those the data directory holds. A difference
// is reported at the statement that owns it.
func auditProjections(ctx context.Context, st *sqlite.Store, rep *audit.Report) error {
	for _, f := range rep.Findings {
		if f.Index >= 0 {
			return nil // a replay of a damaged ledger only repeats what is known
		}
	}
	dir, err := os.MkdirTemp("", "truce-audit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	scratch, err := sqlite.Open(dir)
	if err != nil {
		return err
	}
	defer scratch.Close()
	bar := newProgress(os.Stderr, msg.T("audit.replaying"))
	err = centre.Replay(ctx, st, scratch, func(done, total uint64) { bar.set64(int64(done), int64(total)) })
	bar.done()
	if err != nil {
		rep.Findings = append(rep.Findings, audit.Finding{Index: -1, What: "replay refused the ledger: " + err.Error()})
		return nil
	}
	// Every column of every row: type, party, author, time, subject, nonce
	// and leaf hash are derived from the signed body, and must be what the
	// append derives.
	for from := uint64(0); ; from += 1000 {
		want, err := scratch.LedgerRows(ctx, from, 1000)
		if err != nil {
			return err
		}
		have, err := st.LedgerRows(ctx, from, 1000)
		if err != nil {
			return err
		}
		for i := range max(len(want), len(have)) {
			if i < len(want) && i < len(have) && want[i] == have[i] {
				continue
			}
			w, h := "", ""
			if i < len(want) {
				w = want[i]
			}
			if i < len(have) {
				h = have[i]
			}
			rep.Findings = append(rep.Findings, audit.Finding{Index: int64(from) + int64(i), What: "the ledger row differs from the statement it holds: " + columnDiff(w, h)})
			return nil
		}
		if len(want) < 1000 {
			break
		}
	}
	want, err := scratch.Dump(ctx)
	if err != nil {
		return err
	}
	have, err := st.Dump(ctx)
	if err != nil {
		return err
	}
	if !slices.Equal(want, have) {
		i := 0
		for i < len(want) && i < len(have) && want[i] == have[i] {
			i++
		}
		w, h := "(missing)", "(missing)"
		if i < len(want) {
			w = want[i]
		}
		if i < len(have) {
			h = have[i]
		}
		rep.Findings = append(rep.Findings, audit.Finding{Index: owner(ctx, scratch, w, h),
			What: fmt.Sprintf("the stored projection differs from a replay of the ledger: %s", projectionDiff(w, h))})
	}
	return nil
}

// columnDiff names the columns in which two ledger rows differ.
func columnDiff(want, have string) string {
	w, h := strings.Split(want, "\t"), strings.Split(have, "\t")
	var out []string
	for i := range max(len(w), len(h)) {
		if i < len(w) && i < len(h) && w[i] == h[i] {
			continue
		}
		name := "row"
		if i < len(w) {
			name, _, _ = strings.Cut(w[i], "=")
		} else if i < len(h) {
			name, _, _ = strings.Cut(h[i], "=")
		}
		out = append(out, name)
	}
	return strings.Join(out, ", ")
}

// projectionDiff says which record differs, and in which fields.
func projectionDiff(want, have string) string {
	kind, key := recordKey(want)
	if kind == "" {
		kind, key = recordKey(have)
	}
	var w, h map[string]json.RawMessage
	json.Unmarshal([]byte(docOf(want)), &w)
	json.Unmarshal([]byte(docOf(have)), &h)
	var fields []string
	for k, v := range w {
		if string(h[k]) != string(v) {
			fields = append(fields, k)
		}
	}
	for k := range h {
		if _, ok := w[k]; !ok {
			fields = append(fields, k)
		}
	}
	slices.Sort(fields)
	what := fmt.Sprintf("%s %s", kind, key)
	if len(fields) > 0 {
		return what + " (" + strings.Join(fields, ", ") + ")"
	}
	return fmt.Sprintf("%s: stored %.100q, replay %.100q", what, have, want)
}

// recordKey reads the kind and key of a dump line ("incident 42 …").
func recordKey(line string) (string, string) {
	f := strings.Fields(line)
	if len(f) < 2 || line == "(missing)" {
		return "", ""
	}
	return f[0], f[1]
}

// docOf is the JSON document at the end of a dump line, if any.
func docOf(line string) string {
	if i := strings.Index(line, "{"); i >= 0 {
		return line[i:]
	}
	return ""
}

// owner finds the statement that wrote a differing record: the one whose
// index the record carries (seq), or for an incident the latest statement
// about it that changed the field. -1 when none can be named.
func owner(ctx context.Context, replay *sqlite.Store, want, have string) int64 {
	kind, key := recordKey(want)
	if kind == "" {
		kind, key = recordKey(have)
	}
	switch kind {
	case "incident", "evidence", "violation":
		id := key
		line := want
		if line == "(missing)" {
			line = have
		}
		if f := strings.Fields(line); kind == "evidence" && len(f) > 2 {
			id = f[2] // evidence SHA256 INCIDENT
		} else if kind == "violation" && len(f) > 3 {
			id = f[3] // violation AGREEMENT TERM INCIDENT
		}
		if !strings.HasPrefix(id, "inc-") {
			id = "inc-" + id
		}
		inc, err := replay.Incident(ctx, id)
		if err != nil || inc == nil || len(inc.Steps) == 0 {
			return -1
		}
		// The field that differs points at the step that last wrote it.
		stepOf := map[string]string{"status": "", "priority": incident.TypeTriage, "monitors": incident.TypeAssign,
			"finding": incident.TypeFinding, "responses": incident.TypeRespond, "evidence": incident.TypeEvidence,
			"evaluation": incident.TypeEvaluate, "linked": incident.TypeLink, "event": incident.TypeLink}
		typ := ""
		if kind == "evidence" {
			typ = incident.TypeEvidence
		}
		if kind == "violation" {
			typ = incident.TypeEvaluate
		}
		var w, h map[string]json.RawMessage
		json.Unmarshal([]byte(docOf(want)), &w)
		json.Unmarshal([]byte(docOf(have)), &h)
		for k := range w {
			if t, ok := stepOf[k]; ok && string(w[k]) != string(h[k]) && typ == "" {
				typ = t
			}
		}
		for i := len(inc.Steps) - 1; i >= 0; i-- {
			if typ == "" || inc.Steps[i].Type == typ {
				return int64(inc.Steps[i].Seq)
			}
		}
		return int64(inc.Steps[len(inc.Steps)-1].Seq)
	}
	var doc struct {
		Seq *uint64 `json:"seq"`
	}
	if json.Unmarshal([]byte(docOf(want)), &doc) == nil && doc.Seq != nil {
		return int64(*doc.Seq)
	}
	if json.Unmarshal([]byte(docOf(have)), &doc) == nil && doc.Seq != nil {
		return int64(*doc.Seq)
	}
	return -1
}

// auditEvidence hashes every evidence file the projections name.
func auditEvidence(ctx context.Context, st *sqlite.Store, dir string, rep *audit.Report) error {
	bs, err := blobs.Open(dir, api.MaxEvidence)
	if err != nil {
		return err
	}
	for before := uint64(0); ; {
		page, err := st.Incidents(ctx, incident.Filter{Before: before, Limit: 1000})
		if err != nil {
			return err
		}
		for _, inc := range page.Items {
			for _, e := range inc.Evidence {
				at := evidenceStatement(ctx, st, inc, e.SHA256)
				f, err := bs.Open(e.SHA256)
				if err != nil {
					rep.Findings = append(rep.Findings, audit.Finding{Index: at, What: fmt.Sprintf("evidence %s of %s is missing", e.SHA256, inc.ID)})
					continue
				}
				h := sha256.New()
				_, err = io.Copy(h, f)
				f.Close()
				if err != nil || hex.EncodeToString(h.Sum(nil)) != e.SHA256 {
					rep.Findings = append(rep.Findings, audit.Finding{Index: at, What: fmt.Sprintf("evidence file %s of %s no longer has that SHA-256", e.SHA256, inc.ID)})
				}
			}
		}
		if page.Next == 0 {
			return nil
		}
		before = page.Next
	}
}

// auditServedEvidence downloads every evidence file the served ledger
// attaches and hashes it: a server must never serve other bytes under a
// file's digest.
func auditServedEvidence(ctx context.Context, hs *httpSource, rep *audit.Report) error {
	size := uint64(rep.Entries)
	for from := uint64(0); from < size; {
		page, err := hs.Statements(ctx, from, 1000)
		if err != nil || len(page) == 0 {
			return err
		}
		for _, s := range page {
			from = s.Seq + 1
			st, _, err := ledger.ParseStatement(s.Body)
			if err != nil {
				continue // the audit has named it
			}
			var sums []string
			switch st.Type {
			case incident.TypeEvidence:
				var p incident.AddEvidence
				if ledger.DecodePayload(st, &p) == nil {
					sums = append(sums, p.Evidence.SHA256)
				}
			case incident.TypeReport:
				var p incident.Report
				if ledger.DecodePayload(st, &p) == nil {
					for _, e := range p.Evidence {
						sums = append(sums, e.SHA256)
					}
				}
			}
			for _, sum := range sums {
				var body string
				err := hs.c.do("GET", "/v1/evidence/"+sum, nil, "", rawInto(&body))
				got := sha256.Sum256([]byte(body))
				switch {
				case err != nil:
					rep.Findings = append(rep.Findings, audit.Finding{Index: int64(s.Seq), What: fmt.Sprintf("evidence %s is not served: %v", sum, err)})
				case hex.EncodeToString(got[:]) != sum:
					rep.Findings = append(rep.Findings, audit.Finding{Index: int64(s.Seq), What: fmt.Sprintf("evidence %s is served with other bytes", sum)})
				}
			}
		}
	}
	return nil
}

// evidenceStatement finds the statement that attached a file: an
// incident.evidence naming it, or else the report that carried it.
func evidenceStatement(ctx context.Context, st *sqlite.Store, inc *incident.Incident, sum string) int64 {
	for _, step := range inc.Steps {
		if step.Type != incident.TypeEvidence {
			continue
		}
		s, err := st.Statement(ctx, step.Seq)
		if err != nil || s == nil {
			continue
		}
		var p incident.AddEvidence
		if ledger.DecodePayload(s.Statement, &p) == nil && p.Evidence.SHA256 == sum {
			return int64(step.Seq)
		}
	}
	return int64(inc.Seq)
}

// auditPlans checks that every version of every plan the ledger records is
// kept, with the digest the ledger gives it: plans live beside the ledger.
func auditPlans(ctx context.Context, st *sqlite.Store, dir string, rep *audit.Report) error {
	plans, err := st.Plans(ctx)
	if err != nil || len(plans) == 0 {
		return err
	}
	bs, err := blobs.Open(dir, api.MaxPlanBody)
	if err != nil {
		return err
	}
	for _, p := range plans {
		for _, v := range p.Versions {
			f, err := bs.Open(v.Digest)
			if err != nil {
				rep.Findings = append(rep.Findings, audit.Finding{Index: int64(v.Seq), What: fmt.Sprintf("plan %s version %d (%s) is missing", p.ID, v.Version, v.Digest)})
				continue
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil || hex.EncodeToString(h.Sum(nil)) != v.Digest {
				rep.Findings = append(rep.Findings, audit.Finding{Index: int64(v.Seq), What: fmt.Sprintf("plan %s version %d no longer has its SHA-256 %s", p.ID, v.Version, v.Digest)})
			}
		}
	}
	return nil
}

// httpSource reads a ledger from a running server: the statements through
// the API (which needs a member's token), the checkpoint and the hash
// tiles through the public log.
type httpSource struct {
	c    *client
	size int64
}

func (h *httpSource) text(path string) (string, error) {
	var out string
	err := h.c.do("GET", path, nil, "", rawInto(&out))
	return out, err
}

func (h *httpSource) Size(ctx context.Context) (uint64, error) {
	var hz struct {
		LedgerSize uint64 `json:"ledger_size"`
	}
	if err := h.c.get("/healthz", &hz); err != nil {
		return 0, err
	}
	// Audit what the latest checkpoint commits to, when there is one.
	signed, err := h.text("/log/checkpoint")
	if err == nil {
		if text, _, ok := strings.Cut(signed, "\n\n"); ok {
			lines := strings.Split(text, "\n")
			if len(lines) >= 2 {
				fmt.Sscan(lines[1], &h.size)
				return uint64(h.size), nil
			}
		}
	}
	return hz.LedgerSize, nil
}

func (h *httpSource) Statements(ctx context.Context, from uint64, limit int) ([]*ledger.Signed, error) {
	var page struct {
		Items []api.StatementView `json:"items"`
	}
	if err := h.c.get(fmt.Sprintf("/v1/statements?from=%d&limit=%d", from, min(limit, 1000)), &page); err != nil {
		return nil, err
	}
	out := make([]*ledger.Signed, 0, len(page.Items))
	for _, it := range page.Items {
		if h.size > 0 && int64(it.Seq) >= h.size {
			break
		}
		out = append(out, &ledger.Signed{Body: it.Statement, Sig: it.Signature, Seq: it.Seq})
	}
	return out, nil
}

func (h *httpSource) Checkpoints(ctx context.Context) ([][]byte, error) {
	signed, err := h.text("/log/checkpoint")
	var pe *problemError
	if errors.As(err, &pe) && pe.Status == 404 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return [][]byte{[]byte(signed)}, nil
}

// ReadHashes reads level-0 hashes (leaf hashes) from the public tiles.
func (h *httpSource) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	tiles := map[int64][]byte{}
	for i, idx := range indexes {
		level, n := tlog.SplitStoredHashIndex(idx)
		if level != 0 {
			return nil, fmt.Errorf("only leaf hashes are read from tiles")
		}
		tn := n / 256
		data, ok := tiles[tn]
		if !ok {
			w := min(256, h.size-tn*256)
			path := "/log/tile/0/" + tileIndex(tn)
			if w < 256 {
				path += fmt.Sprintf(".p/%d", w)
			}
			var raw string
			if err := h.c.do("GET", path, nil, "", rawInto(&raw)); err != nil {
				return nil, err
			}
			data = []byte(raw)
			tiles[tn] = data
		}
		k := n % 256
		if int64(len(data)) < (k+1)*32 {
			return nil, fmt.Errorf("tile %d is short", tn)
		}
		copy(out[i][:], data[k*32:(k+1)*32])
	}
	return out, nil
}

// tileIndex writes n in the tlog-tiles path form: groups of three digits,
// all but the last prefixed with "x".
func tileIndex(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

// rawText asks client.do for the response body as it is, not as JSON.
type rawText struct{ dst *string }

func rawInto(dst *string) any { return &rawText{dst: dst} }
