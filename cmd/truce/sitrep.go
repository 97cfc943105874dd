package main

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"truce/api"
	"truce/ledger"
	"truce/party"
	"truce/report"
)

// sitrepDaily prints the daily report, or writes it as JSON, CSV or HTML.
func sitrepDaily(args []string) error {
	fs := flags("sitrep daily")
	connect := clientFlags(fs)
	date := fs.String("date", "", "the report's day, YYYY-MM-DD (default: the last day closed at the cut-off)")
	audience := fs.String("audience", "", "internal or public (default: internal for members, public for viewers and without a token)")
	format := fs.String("format", "text", "text, json, csv, html or pdf")
	out := fs.String("out", "", "write to this file rather than to standard output")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"date": *date, "audience": *audience, "lang": msg.Lang} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if *format != "text" {
		q.Set("format", *format)
		var body string
		if err := c.get("/v1/reports/daily?"+q.Encode(), rawInto(&body)); err != nil {
			return err
		}
		if *out == "" {
			_, err := os.Stdout.WriteString(body)
			return err
		}
		if err := os.WriteFile(*out, []byte(body), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, msg.T("sitrep.written", *out))
		return nil
	}
	var r report.Daily
	if err := c.get("/v1/reports/daily?"+q.Encode(), &r); err != nil {
		return err
	}
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	fmt.Fprintln(w, msg.T("sitrep.title", r.Date))
	fmt.Fprintln(w, msg.T("sitrep.period", r.From.Format("2006-01-02 15:04 UTC"), r.To.Format("2006-01-02 15:04 UTC"), r.CutOff, r.Zone))
	fmt.Fprintln(w, msg.T("sitrep.audience."+r.Audience))
	fmt.Fprintln(w)
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, msg.T("sitrep.warnings")+":")
		for _, x := range r.Warnings {
			fmt.Fprintf(w, "  [%s] %s\n", msg.T("warn.severity."+x.Severity), x.Text(msg))
		}
		fmt.Fprintln(w)
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "\t%s\t%s\t%s\n", msg.T("sitrep.count"), msg.T("sitrep.previous"), msg.T("sitrep.delta"))
	fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", msg.T("sitrep.total"), r.Total.Count, r.Total.Previous, signedInt(r.Total.Delta))
	for _, t := range []struct {
		title, prefix string
		rows          []report.Count
	}{{"sitrep.by_region", "", r.ByRegion}, {"sitrep.by_raion", "", r.ByRaion}, {"sitrep.by_type", "type.", r.ByType}, {"sitrep.by_actor", "", r.ByActor}, {"sitrep.by_status", "status.", r.ByStatus}} {
		if len(t.rows) == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t\t\t\n", msg.T(t.title))
		for _, c := range t.rows {
			label := c.Key
			if t.prefix != "" {
				if s := msg.T(t.prefix + c.Key); s != t.prefix+c.Key {
					label = s
				}
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\n", label, c.Count, c.Previous, signedInt(c.Delta))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.violations"), len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  %s %s: %d\n", v.Agreement, v.Term, v.Count)
	}
	fmt.Fprintf(w, "%s: %s; %s\n", msg.T("sitrep.casualties"), msg.T("sitrep.civilian", r.Casualties.CivilianKilled, r.Casualties.CivilianInjured),
		msg.T("sitrep.military", r.Casualties.MilitaryKilled, r.Casualties.MilitaryInjured))
	fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.sites"), len(r.Sites))
	fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.weapons"), len(r.Weapons))
	fmt.Fprintf(w, "%s: %s\n", msg.T("sitrep.movement"), msg.T("sitrep.movement_counts", r.Restrictions.Recorded, r.Restrictions.Ended, r.Restrictions.Open))
	fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.arrangements"), len(r.Arrangements))
	fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.findings"), len(r.Findings))
	if r.Audience == report.Internal {
		fmt.Fprintf(w, "%s: %d\n", msg.T("sitrep.responses"), len(r.Responses))
	}
	return nil
}

func signedInt(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	if n == 0 {
		return "±0"
	}
	return strconv.Itoa(n)
}

// sitrepIssue issues a day's report: the centre builds and keeps the bytes
// and records their digest in the ledger.
func sitrepIssue(args []string) error {
	fs := flags("sitrep issue")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	date := fs.String("date", "", "the report's day, YYYY-MM-DD")
	audience := fs.String("audience", report.Public, "internal or public")
	format := fs.String("format", "html", "json, csv, html or pdf")
	lang := fs.String("lang", msg.Lang, "language: en, uk, ru or zh")
	out := fs.String("out", "", "also download the issued bytes to this file")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	return issue(c, "/v1/reports/daily/issue", map[string]string{"date": *date, "audience": *audience, "format": *format, "lang": *lang},
		*out, *asJSON, "sitrep.issued")
}

// issue posts a report's issue, downloads the issued bytes to out if set,
// and says what was issued.
func issue(c *client, path string, body map[string]string, out string, asJSON bool, said string) error {
	var res struct {
		Statement api.StatementView `json:"statement"`
		Record    report.Issued     `json:"record"`
	}
	raw, _ := json.Marshal(body)
	if err := c.do("POST", path, bytes.NewReader(raw), "application/json", &res); err != nil {
		return err
	}
	if out != "" {
		var b string
		if err := c.get("/v1/reports/issued/"+res.Record.SHA256, rawInto(&b)); err != nil {
			return err
		}
		if err := os.WriteFile(out, []byte(b), 0o644); err != nil {
			return err
		}
	}
	if asJSON {
		return printJSON(res)
	}
	fmt.Println(msg.T(said, res.Record.ID, res.Statement.Seq, res.Record.SHA256))
	return nil
}

// sitrepVerify tells whether a file is a report the centre issued: its
// SHA-256 must be named by a report.issue statement whose signature
// verifies under its author's key. Offline against a ledger export
// (truce statements --all --json), or against the server.
func sitrepVerify(args []string) error {
	fs := flags("sitrep verify")
	connect := clientFlags(fs)
	export := fs.String("ledger", "", "a ledger export (truce statements --all --json) to check against, offline")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%s", msg.T("sitrep.need_file"))
	}
	raw, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	sha := hex.EncodeToString(sum[:])
	var items []api.StatementView
	if *export != "" {
		if items, err = readExport(*export); err != nil {
			return err
		}
	} else {
		c, err := connect()
		if err != nil {
			return err
		}
		var found struct{ Items []report.Issued }
		if err := c.get("/v1/reports/issued?sha256="+sha, &found); err != nil {
			return err
		}
		if len(found.Items) == 0 {
			return fmt.Errorf("%s", msg.T("sitrep.not_issued", pos[0], sha))
		}
		// The statement, and every key statement before it.
		for from := uint64(0); from <= found.Items[0].Seq; {
			var page struct {
				Items []api.StatementView `json:"items"`
				Next  uint64              `json:"next"`
			}
			if err := c.get(fmt.Sprintf("/v1/statements?from=%d&limit=1000", from), &page); err != nil {
				return err
			}
			items = append(items, page.Items...)
			if page.Next == 0 || len(page.Items) == 0 {
				break
			}
			from = page.Next
		}
	}
	rec, err := findIssue(items, sha)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("%s", msg.T("sitrep.not_issued", pos[0], sha))
	}
	what := msg.T("sitrep.kind.daily", rec.Date)
	if rec.Kind == report.KindSpot {
		what = msg.T("sitrep.kind.spot", rec.Incident)
	}
	fmt.Println(msg.T("sitrep.verified", pos[0], rec.ID, msg.T("sitrep.audience_short."+rec.Audience), what, rec.Lang, rec.Format,
		rec.By, rec.Party, rec.At.UTC().Format(time.RFC3339), rec.Seq))
	return nil
}

// readExport reads one or more pages of statements, as truce statements
// --json prints them.
func readExport(path string) ([]api.StatementView, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	var out []api.StatementView
	for {
		var page struct {
			Items []api.StatementView `json:"items"`
		}
		if err := dec.Decode(&page); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, page.Items...)
	}
}

// findIssue replays the keys that members held, statement by statement,
// and returns the report.issue naming sha whose signature verifies under
// its author's key at the time; an issue that does not verify is an error.
func findIssue(items []api.StatementView, sha string) (*report.Issued, error) {
	slices.SortFunc(items, func(a, b api.StatementView) int { return cmp.Compare(a.Seq, b.Seq) })
	keys := map[string]string{}
	for _, it := range items {
		st, body, err := ledger.ParseStatement(it.Statement)
		if err != nil {
			return nil, fmt.Errorf("ledger index %d: %w", it.Seq, err)
		}
		switch st.Type {
		case party.TypeOpen:
			var p party.Open
			if json.Unmarshal(st.Payload, &p) == nil {
				keys[p.Operator] = p.Key
			}
		case party.TypeAdd:
			var p party.Add
			if json.Unmarshal(st.Payload, &p) == nil {
				keys[p.ID] = p.PublicKey
			}
		case party.TypeRotate:
			var p party.Rotate
			if json.Unmarshal(st.Payload, &p) == nil {
				keys[p.Member] = p.PublicKey
			}
		case report.TypeIssue:
			var p report.Issue
			if json.Unmarshal(st.Payload, &p) != nil || p.SHA256 != sha {
				continue
			}
			key, _ := base64.StdEncoding.DecodeString(keys[st.Author])
			signed := &ledger.Signed{Statement: st, Body: body, Sig: it.Signature, Seq: it.Seq}
			if len(key) != ed25519.PublicKeySize || signed.Verify(key) != nil {
				return nil, fmt.Errorf("%s", msg.T("sitrep.bad_signature", it.Seq, st.Author))
			}
			return &report.Issued{ID: report.IDFor(it.Seq), Issue: p, By: st.Author, Party: st.Party, At: st.Time, Seq: it.Seq}, nil
		}
	}
	return nil, nil
}

// sitrepSpot issues an incident's spot report.
func sitrepSpot(args []string) error {
	fs := flags("sitrep spot")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	audience := fs.String("audience", report.Internal, "internal or public (once the incident is published)")
	format := fs.String("format", "html", "json, html or pdf")
	lang := fs.String("lang", msg.Lang, "language: en, uk, ru or zh")
	out := fs.String("out", "", "also download the issued bytes to this file")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := arity(fs, pos, 1, "cli.need_incident"); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	return issue(c, "/v1/reports/spot", map[string]string{"incident": pos[0], "audience": *audience, "format": *format, "lang": *lang},
		*out, *asJSON, "spot.issued")
}

// sitrepHourly prints what changed in the hour before --at (default now).
func sitrepHourly(args []string) error {
	fs := flags("sitrep hourly")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	at := fs.String("at", "", "the hour's end (RFC 3339, now, or -DURATION; default now)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	path := "/v1/reports/hourly"
	if *at != "" {
		t, err := cliTime("at", *at)
		if err != nil {
			return err
		}
		path += "?at=" + url.QueryEscape(t)
	}
	var h report.Hourly
	if err := c.get(path, &h); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(h)
	}
	fmt.Println(msg.T("hourly.title", h.From.Format("2006-01-02 15:04"), h.To.Format("15:04 UTC")))
	if len(h.Statements) == 0 {
		fmt.Println(msg.T("sitrep.none"))
		return nil
	}
	for _, c := range h.Statements {
		fmt.Printf("  %-22s %d\n", c.Key, c.Count)
	}
	for _, part := range []struct {
		key   string
		lines []report.DigestLine
	}{{"hourly.reported", h.Reported}, {"hourly.findings", h.Findings}, {"hourly.published", h.Published},
		{"hourly.threads", h.Threads}, {"hourly.restrictions", h.Restrictions}, {"hourly.issued", h.Issued}} {
		if len(part.lines) == 0 {
			continue
		}
		var items []string
		for _, l := range part.lines {
			s := l.Subject
			if l.What != "" {
				s += " (" + l.What + ")"
			}
			items = append(items, s)
		}
		fmt.Printf("%s: %s\n", msg.T(part.key), strings.Join(items, ", "))
	}
	return nil
}
