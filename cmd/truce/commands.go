package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"truce/api"
	"truce/geo"
	"truce/incident"
	"truce/ledger"
	"truce/negotiation"
	"truce/party"
)

// written is the answer to a write: the statement and the record it changed.
type written struct {
	Statement api.StatementView `json:"statement"`
	Record    json.RawMessage   `json:"record"`
}

// incidentCmd parses a command of the form NAME INCIDENT [flags].
func incidentCmd(name string, args []string, define func(fs *flag.FlagSet)) (*client, string, bool, error) {
	fs := flags(name)
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if define != nil {
		define(fs)
	}
	pos, err := parse(fs, args)
	if err != nil {
		return nil, "", false, err
	}
	if err := arity(fs, pos, 1, "cli.need_incident"); err != nil {
		return nil, "", false, err
	}
	c, err := connect()
	return c, pos[0], *asJSON, err
}

func (c *client) step(id, endpoint, typ string, payload any, asJSON bool) error {
	var out written
	if err := c.say("/v1/incidents/"+url.PathEscape(id)+"/"+endpoint, typ, payload, &out); err != nil {
		return err
	}
	if asJSON {
		return printJSON(out)
	}
	var inc incident.Incident
	if c.key != nil || json.Unmarshal(out.Record, &inc) != nil || inc.ID == "" {
		if err := c.get("/v1/incidents/"+url.PathEscape(id), &inc); err != nil {
			return err
		}
	}
	fmt.Println(msg.T("step.done", typ, out.Statement.Seq, msg.T("step.state."+string(inc.Status), inc.ID)))
	return nil
}

func clientTriage(args []string) error {
	var priority, note *string
	c, id, asJSON, err := incidentCmd("triage", args, func(f *flag.FlagSet) {
		priority = f.String("priority", "normal", "low, normal, high or urgent")
		note = f.String("note", "", "note")
	})
	if err != nil {
		return err
	}
	return c.step(id, "triage", incident.TypeTriage, incident.Triage{Incident: id, Priority: incident.Priority(*priority), Note: *note}, asJSON)
}

func clientAssign(args []string) error {
	var monitors, note *string
	c, id, asJSON, err := incidentCmd("assign", args, func(f *flag.FlagSet) {
		monitors = f.String("monitors", "", "comma-separated member IDs of monitors")
		note = f.String("note", "", "note")
	})
	if err != nil {
		return err
	}
	return c.step(id, "assign", incident.TypeAssign, incident.Assign{Incident: id, Monitors: splitList(*monitors), Note: *note}, asJSON)
}

func clientInvestigate(args []string) error {
	var note *string
	c, id, asJSON, err := incidentCmd("investigate", args, func(f *flag.FlagSet) { note = f.String("note", "", "note") })
	if err != nil {
		return err
	}
	return c.step(id, "investigate", incident.TypeInvestigate, incident.Investigate{Incident: id, Note: *note}, asJSON)
}

func clientFinding(args []string) error {
	var outcome, attribution, summary, lang, evidence *string
	c, id, asJSON, err := incidentCmd("finding", args, func(f *flag.FlagSet) {
		outcome = f.String("outcome", "", "not_incident, no_violation, minor_violation, serious_violation or inconclusive")
		attribution = f.String("attribution", "unknown", "party ID, unknown or none")
		summary = f.String("summary", "", "summary of the finding")
		lang = f.String("lang", "en", "language of the summary (BCP 47)")
		evidence = f.String("evidence", "", "comma-separated SHA-256 of evidence on the incident")
	})
	if err != nil {
		return err
	}
	return c.step(id, "finding", incident.TypeFinding, incident.Finding{Incident: id, Outcome: incident.Outcome(*outcome),
		Attribution: *attribution, Summary: incident.Text{Lang: *lang, Text: *summary}, Evidence: splitList(*evidence)}, asJSON)
}

func clientPublish(args []string) error {
	var note *string
	c, id, asJSON, err := incidentCmd("publish", args, func(f *flag.FlagSet) { note = f.String("note", "", "note") })
	if err != nil {
		return err
	}
	return c.step(id, "publish", incident.TypePublish, incident.Publish{Incident: id, Note: *note}, asJSON)
}

func clientRespond(args []string) error {
	var text, lang, evidence *string
	c, id, asJSON, err := incidentCmd("respond", args, func(f *flag.FlagSet) {
		text = f.String("text", "", "the response")
		lang = f.String("lang", "en", "language of the response (BCP 47)")
		evidence = f.String("evidence", "", "comma-separated SHA-256 of evidence on the incident")
	})
	if err != nil {
		return err
	}
	return c.step(id, "responses", incident.TypeRespond, incident.Respond{Incident: id, Text: incident.Text{Lang: *lang, Text: *text}, Evidence: splitList(*evidence)}, asJSON)
}

func clientLink(args []string) error {
	fs := flags("link")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	note := fs.String("note", "", "note")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := arity(fs, pos, 2, "cli.need_two_incidents"); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	return c.step(pos[0], "links", incident.TypeLink, incident.Link{Incident: pos[0], With: pos[1], Note: *note}, *asJSON)
}

func clientEvidence(args []string) error {
	fs := flags("evidence")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	name := fs.String("name", "", "file name to record (default: the file's base name)")
	mediaType := fs.String("media-type", "", "media type (default: from the extension)")
	note := fs.String("note", "", "note")
	source := fs.String("source", "", "where the file comes from")
	restricted := fs.Bool("restricted", false, "until publication, only the parties named on the incident, its monitors and the centre's coordinators read the file, and every read is recorded")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := arity(fs, pos, 2, "cli.need_incident_file"); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	ev, err := c.upload(pos[1], *name, *mediaType, *asJSON)
	if err != nil {
		return err
	}
	ev.Note, ev.Source = *note, *source
	return c.step(pos[0], "evidence", incident.TypeEvidence, incident.AddEvidence{Incident: pos[0], Evidence: ev, Restricted: *restricted}, *asJSON)
}

// upload stores a file as evidence, with a progress bar, and returns its
// metadata: the name and media type given, or the file's own.
func (c *client) upload(path, name, mediaType string, quiet bool) (incident.Evidence, error) {
	f, err := os.Open(path)
	if err != nil {
		return incident.Evidence{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return incident.Evidence{}, err
	}
	bar := newProgress(os.Stderr, msg.T("evidence.uploading", filepath.Base(path)))
	var up struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	err = c.do("POST", "/v1/evidence", &countingReader{r: f, total: fi.Size(), progress: bar.set}, "application/octet-stream", &up)
	bar.done()
	if err != nil {
		return incident.Evidence{}, err
	}
	if name == "" {
		name = filepath.Base(path)
	}
	if mediaType == "" {
		mediaType = mime.TypeByExtension(filepath.Ext(path))
		if mediaType == "" {
			mediaType = "application/octet-stream"
		}
		mediaType, _, _ = strings.Cut(mediaType, ";")
	}
	if !quiet {
		fmt.Println(msg.N("evidence.stored", int(up.Size), up.SHA256))
	}
	return incident.Evidence{SHA256: up.SHA256, Name: name, MediaType: mediaType, Size: up.Size}, nil
}

// uploadAll uploads each file as evidence.
func (c *client) uploadAll(paths []string, quiet bool) ([]incident.Evidence, error) {
	var out []incident.Evidence
	for _, p := range paths {
		ev, err := c.upload(p, "", "", quiet)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

func clientReport(args []string) error {
	fs := flags("report")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	file := fs.String("file", "", "read the whole report (JSON, as POST /v1/incidents takes it) from this file; - for stdin")
	typ := fs.String("type", "", "incident type: "+strings.Join(stringsOf(incident.Types), ", "))
	at := fs.String("at", "", "observed time, RFC 3339 (default: now)")
	until := fs.String("until", "", "end of the observed interval, RFC 3339")
	precision := fs.String("precision", "minute", "time precision: second, minute, hour, day, week")
	lon := fs.Float64("lon", 0, "longitude (WGS84)")
	lat := fs.Float64("lat", 0, "latitude (WGS84)")
	geometry := fs.String("geometry", "", "GeoJSON geometry instead of --lon/--lat")
	precisionM := fs.Float64("precision-m", 500, "location uncertainty in metres")
	place := fs.String("place", "", "place name")
	actor := fs.String("actor", "", "alleged actor (party ID)")
	weapon := fs.String("weapon", "", "weapon as reported, e.g. Kh-22")
	target := fs.String("target", "", "what was hit: "+strings.Join(stringsOf(incident.Targets), ", "))
	text := fs.String("text", "", "what happened, in any language")
	lang := fs.String("lang", "en", "language of --text (BCP 47)")
	var counts incident.Counts
	fs.IntVar(&counts.Launched, "launched", 0, "count launched")
	fs.IntVar(&counts.Intercepted, "intercepted", 0, "count intercepted")
	fs.IntVar(&counts.Impacts, "impacts", 0, "count of impacts")
	fs.IntVar(&counts.Explosions, "explosions", 0, "count of explosions")
	fs.IntVar(&counts.Rounds, "rounds", 0, "count of rounds fired")
	var cas incident.CasualtyCount
	fs.IntVar(&cas.Civilian.Killed, "civilians-killed", 0, "civilians killed")
	fs.IntVar(&cas.Civilian.Injured, "civilians-injured", 0, "civilians injured")
	fs.IntVar(&cas.Military.Killed, "military-killed", 0, "military killed")
	fs.IntVar(&cas.Military.Injured, "military-injured", 0, "military injured")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	// Without a location the report would be filed at 0°, 0° on a ledger
	// that cannot take it back: refuse before anything is sent.
	if *file == "" && *geometry == "" {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		var missing []string
		for _, name := range []string{"lon", "lat"} {
			if !set[name] {
				missing = append(missing, "--"+name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%s", msg.T("report.need_location", strings.Join(missing, ", ")))
		}
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var rep incident.Report
	if *file != "" {
		var raw []byte
		if *file == "-" {
			raw, err = readAll(os.Stdin)
		} else {
			raw, err = os.ReadFile(*file)
		}
		if err != nil {
			return err
		}
		if err := ledger.Decode(raw, &rep); err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
	} else {
		if *at == "" {
			*at = time.Now().UTC().Format(time.RFC3339)
		}
		g := geo.Geometry{Type: "Point", Coordinates: json.RawMessage(fmt.Sprintf("[%g,%g]", *lon, *lat))}
		if *geometry != "" {
			if err := ledger.Decode([]byte(*geometry), &g); err != nil {
				return fmt.Errorf("--geometry: %w", err)
			}
		}
		rep = incident.Report{Type: incident.Type(*typ), ObservedAt: *at, ObservedUntil: *until, TimePrecision: incident.TimePrecision(*precision),
			Location: incident.Location{Geometry: g, PrecisionM: *precisionM, Place: *place}, Counts: counts,
			Weapon: *weapon, Target: incident.Target(*target), AllegedActor: *actor, Description: incident.Text{Lang: *lang, Text: *text}}
		if cas != (incident.CasualtyCount{}) {
			rep.Casualties = &cas
		}
	}
	var out written
	if err := c.say("/v1/incidents", incident.TypeReport, rep, &out); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(out)
	}
	fmt.Println(msg.T("report.done", incident.IDFor(out.Statement.Seq), out.Statement.Seq))
	return nil
}

func stringsOf[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func clientList(args []string) error {
	fs := flags("list")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	q := url.Values{}
	for _, name := range []string{"status", "type", "party", "actor", "event", "term", "bbox", "limit", "cursor"} {
		fs.Func(name, "filter by "+name, func(v string) error { q.Set(name, v); return nil })
	}
	fs.Func("from", "observed at or after this time (RFC 3339) or date (2026-01-24: from the start of that day, UTC)",
		func(v string) error { q.Set("from", v); return nil })
	fs.Func("to", "observed at or before this time (RFC 3339) or date (2026-01-24: that whole day, up to its end, UTC)",
		func(v string) error { q.Set("to", endOfDay(v)); return nil })
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var page struct {
		Items []*incident.Incident `json:"items"`
		Next  uint64               `json:"next,omitempty"`
	}
	path := "/v1/incidents"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	if err := c.get(path, &page); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(page)
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.id"), msg.T("col.observed"), msg.T("col.type"), msg.T("col.status"),
		msg.T("col.party"), msg.T("col.actor"), msg.T("col.place")}, "\t"))
	for _, inc := range page.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", inc.ID, inc.From.Format("2006-01-02 15:04"), msg.T("type."+string(inc.Report.Type)),
			msg.T("status."+string(inc.Status)), inc.Party, dash(inc.Report.AllegedActor), dash(inc.Report.Location.Place))
	}
	tw.Flush()
	fmt.Println(msg.N("list.count", len(page.Items)))
	if page.Next != 0 {
		fmt.Println(msg.T("list.more", strconv.FormatUint(page.Next, 10)))
	}
	return nil
}

// endOfDay turns a bare date (2026-01-24) into the last instant of that day
// in UTC, so that --to includes the day it names; the API alone would read
// the date as its midnight start. Anything else passes unchanged.
func endOfDay(v string) string {
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		return v
	}
	return d.AddDate(0, 0, 1).Add(-time.Nanosecond).Format(time.RFC3339Nano)
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func clientShow(args []string) error {
	c, id, asJSON, err := incidentCmd("show", args, nil)
	if err != nil {
		return err
	}
	var inc incident.Incident
	if err := c.get("/v1/incidents/"+url.PathEscape(id), &inc); err != nil {
		return err
	}
	var hist struct {
		Items []api.StatementView `json:"items"`
	}
	if err := c.get("/v1/incidents/"+url.PathEscape(id)+"/history", &hist); err != nil {
		return err
	}
	if asJSON {
		return printJSON(map[string]any{"incident": inc, "history": hist.Items})
	}
	r := inc.Report
	tw := newTable(os.Stdout)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", msg.T(k), v) }
	row("col.id", inc.ID)
	row("col.type", msg.T("type."+string(r.Type)))
	row("col.status", msg.T("status."+string(inc.Status)))
	row("col.observed", fmt.Sprintf("%s – %s (%s)", inc.From.Format(time.RFC3339), inc.Until.Format(time.RFC3339), r.TimePrecision))
	row("col.reported", fmt.Sprintf("%s %s/%s", inc.ReportedAt.Format(time.RFC3339), inc.Party, inc.Reporter))
	row("col.place", fmt.Sprintf("%s %s (±%g m)", dash(r.Location.Place), string(r.Location.Geometry.Coordinates), r.Location.PrecisionM))
	row("col.actor", dash(r.AllegedActor))
	if r.Target != "" {
		row("col.target", msg.T("target."+string(r.Target)))
	}
	if inc.Priority != "" {
		row("col.priority", msg.T("priority."+string(inc.Priority)))
	}
	if len(inc.Monitors) > 0 {
		row("col.monitors", strings.Join(inc.Monitors, ", "))
	}
	if r.Weapon != "" {
		row("col.weapon", r.Weapon)
	}
	if c := r.Counts; c != (incident.Counts{}) {
		var parts []string
		for _, x := range []struct {
			key string
			n   int
		}{{"count.launched", c.Launched}, {"count.intercepted", c.Intercepted}, {"count.impacts", c.Impacts}, {"count.explosions", c.Explosions}, {"count.rounds", c.Rounds}} {
			if x.n > 0 {
				parts = append(parts, msg.N(x.key, x.n))
			}
		}
		row("col.counts", strings.Join(parts, ", "))
	}
	if cs := r.Casualties; cs != nil {
		row("col.casualties", msg.T("casualties.split", cs.Civilian.Killed, cs.Civilian.Injured, cs.Military.Killed, cs.Military.Injured))
	}
	row("col.event", inc.Event)
	row("col.text", fmt.Sprintf("[%s] %s", r.Description.Lang, r.Description.Text))
	for _, e := range inc.Evidence {
		row("col.evidence", fmt.Sprintf("%s %s (%s, %d B)", e.SHA256, e.Name, e.MediaType, e.Size))
	}
	if f := inc.Finding; f != nil {
		row("col.finding", fmt.Sprintf("%s, %s — [%s] %s", msg.T("outcome."+string(f.Outcome)), f.Attribution, f.Summary.Lang, f.Summary.Text))
	}
	for _, resp := range inc.Responses {
		row("col.response", fmt.Sprintf("%s: [%s] %s", resp.Party, resp.Text.Lang, resp.Text.Text))
	}
	printEvaluation(row, inc.Evaluation)
	tw.Flush()
	fmt.Println()
	fmt.Println(msg.T("show.history"))
	return printStatements(hist.Items)
}

// printStatements prints ledger entries as a table.
func printStatements(items []api.StatementView) error {
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.seq"), msg.T("col.time"), msg.T("col.statement"), msg.T("col.author"), msg.T("col.leaf")}, "\t"))
	for _, h := range items {
		st, _, err := ledger.ParseStatement(h.Statement)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s/%s\t%s…\n", h.Seq, st.Time.Format(time.RFC3339), st.Type, st.Party, st.Author, h.LeafHash[:16])
	}
	return tw.Flush()
}

func clientStatements(args []string) error {
	fs := flags("statements")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	from := fs.Uint64("from", 0, "first ledger index")
	limit := fs.Int("limit", 50, "how many")
	all := fs.Bool("all", false, "every statement from --from on, page after page (with --json: a ledger export)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var page struct {
		Items []api.StatementView `json:"items"`
		Next  uint64              `json:"next,omitempty"`
	}
	if err := c.get(fmt.Sprintf("/v1/statements?from=%d&limit=%d", *from, *limit), &page); err != nil {
		return err
	}
	for *all && page.Next != 0 {
		var more struct {
			Items []api.StatementView `json:"items"`
			Next  uint64              `json:"next,omitempty"`
		}
		if err := c.get(fmt.Sprintf("/v1/statements?from=%d&limit=1000", page.Next), &more); err != nil {
			return err
		}
		page.Items, page.Next = append(page.Items, more.Items...), more.Next
		if len(more.Items) == 0 {
			break
		}
	}
	page.Next = 0
	if *asJSON {
		return printJSON(page)
	}
	return printStatements(page.Items)
}

func clientParties(args []string) error {
	fs := flags("parties")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var page struct {
		Items []party.Party `json:"items"`
	}
	if err := c.get("/v1/parties", &page); err != nil {
		return err
	}
	var rounds struct {
		Items []negotiation.Round `json:"items"`
	}
	if err := c.get("/v1/rounds", &rounds); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(map[string]any{"parties": page.Items, "rounds": rounds.Items})
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.id"), msg.T("col.name"), msg.T("col.kind")}, "\t"))
	for _, p := range page.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.ID, p.Name, msg.T("kind."+string(p.Kind)))
	}
	tw.Flush()
	if len(rounds.Items) > 0 {
		fmt.Println()
		tw = newTable(os.Stdout)
		fmt.Fprintln(tw, strings.Join([]string{msg.T("col.round"), msg.T("col.date"), msg.T("col.place"), msg.T("col.participants")}, "\t"))
		for _, r := range rounds.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Start, r.Place, strings.Join(r.Participants, ", "))
		}
		tw.Flush()
	}
	return nil
}

func clientMembers(args []string) error {
	fs := flags("members")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	partyID := fs.String("party", "", "only this party")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var page struct {
		Items []party.Member `json:"items"`
	}
	if err := c.get("/v1/members?party="+url.QueryEscape(*partyID), &page); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(page)
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.member"), msg.T("col.party"), msg.T("col.name"), msg.T("col.roles")}, "\t"))
	for _, m := range page.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.ID, m.Party, m.Name, strings.Join(stringsOf(m.Roles), ","))
	}
	return tw.Flush()
}

// arity checks the number of positional arguments, showing the usage and
// the catalogue message key when it is wrong.
func arity(fs *flag.FlagSet, pos []string, n int, key string) error {
	if len(pos) == n {
		return nil
	}
	fs.Usage()
	return fmt.Errorf("%s", msg.T(key))
}
