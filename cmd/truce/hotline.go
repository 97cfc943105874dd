package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"truce/geo"
	"truce/hotline"
	"truce/incident"
	"truce/movement"
)

// placeFlags defines --lon, --lat and --place; the returned function gives
// the place, nil when no coordinates were given.
func placeFlags(fs *flag.FlagSet) func() (*hotline.Place, error) {
	lon := fs.String("lon", "", "longitude of the place (WGS84 degrees)")
	lat := fs.String("lat", "", "latitude of the place (WGS84 degrees)")
	name := fs.String("place", "", "name of the place")
	return func() (*hotline.Place, error) {
		if *lon == "" && *lat == "" {
			if *name != "" {
				return nil, fmt.Errorf("%s", msg.T("cli.need_point"))
			}
			return nil, nil
		}
		x, err1 := strconv.ParseFloat(*lon, 64)
		y, err2 := strconv.ParseFloat(*lat, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s", msg.T("cli.need_point"))
		}
		coords, _ := json.Marshal([]float64{x, y})
		return &hotline.Place{Geometry: geo.Geometry{Type: "Point", Coordinates: coords}, Name: *name}, nil
	}
}

// threadCmd parses a command of the form NAME THREAD [more...] [flags].
func threadCmd(name string, args []string, n int, define func(fs *flag.FlagSet)) (*client, []string, bool, error) {
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
	if err := arity(fs, pos, n, "cli.need_thread"); err != nil {
		return nil, nil, false, err
	}
	c, err := connect()
	return c, pos, *asJSON, err
}

// threadStep posts a write about thread id and reports the thread.
func (c *client) threadStep(id, endpoint, typ string, payload any, asJSON bool) error {
	var out written
	if err := c.say("/v1/hotline/"+url.PathEscape(id)+"/"+endpoint, typ, payload, &out); err != nil {
		return err
	}
	if asJSON {
		return printJSON(out)
	}
	var th hotline.Thread
	if err := c.get("/v1/hotline/"+url.PathEscape(id), &th); err != nil {
		return err
	}
	fmt.Println(msg.T("hotline.done", typ, out.Statement.Seq, th.ID, msg.T("hotline.status."+string(th.Status))))
	return nil
}

func hotlineOpen(args []string) error {
	fs := flags("hotline open")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	kind := fs.String("kind", "violation", "violation, repair, movement or other")
	to := fs.String("to", hotline.CentreSide, "\"centre\", or the party the centre addresses")
	subject := fs.String("subject", "", "subject of the thread")
	text := fs.String("text", "", "the first message")
	lang := fs.String("lang", "en", "language of the message (BCP 47)")
	ack := fs.Duration("ack-within", 0, "acknowledgement deadline (default: the kind's, 15m for a violation)")
	incidents := fs.String("incidents", "", "comma-separated incidents the thread is about")
	var files multiFlag
	fs.Var(&files, "file", "a file to attach as evidence (repeatable)")
	place := placeFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	pl, err := place()
	if err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	evidence, err := c.uploadAll(files, *asJSON)
	if err != nil {
		return err
	}
	p := hotline.OpenThread{Kind: hotline.Kind(*kind), To: *to, Subject: *subject, AckWithin: int64(*ack / time.Second),
		Incidents: splitList(*incidents), Body: hotline.Body{Text: incident.Text{Lang: *lang, Text: *text}, Place: pl, Evidence: evidence}}
	var out written
	if err := c.say("/v1/hotline", hotline.TypeOpen, p, &out); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(out)
	}
	var th hotline.Thread
	if err := c.get("/v1/hotline/"+hotline.IDFor(out.Statement.Seq), &th); err != nil {
		return err
	}
	fmt.Println(msg.T("hotline.opened", th.ID, out.Statement.Seq, th.Messages[0].Due.Format(time.RFC3339)))
	return nil
}

func hotlineSay(args []string) error {
	var text, lang *string
	var files multiFlag
	var place func() (*hotline.Place, error)
	c, pos, asJSON, err := threadCmd("hotline say", args, 1, func(f *flag.FlagSet) {
		text = f.String("text", "", "the message")
		lang = f.String("lang", "en", "language of the message (BCP 47)")
		f.Var(&files, "file", "a file to attach as evidence (repeatable)")
		place = placeFlags(f)
	})
	if err != nil {
		return err
	}
	pl, err := place()
	if err != nil {
		return err
	}
	evidence, err := c.uploadAll(files, asJSON)
	if err != nil {
		return err
	}
	return c.threadStep(pos[0], "messages", hotline.TypeMessage,
		hotline.Say{Thread: pos[0], Body: hotline.Body{Text: incident.Text{Lang: *lang, Text: *text}, Place: pl, Evidence: evidence}}, asJSON)
}

func hotlineAck(args []string) error {
	c, pos, asJSON, err := threadCmd("hotline ack", args, 2, nil)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(pos[1])
	if err != nil {
		return fmt.Errorf("%s", msg.T("cli.need_thread"))
	}
	return c.threadStep(pos[0], "ack", hotline.TypeAck, hotline.Ack{Thread: pos[0], Message: n}, asJSON)
}

func hotlineLink(args []string) error {
	c, pos, asJSON, err := threadCmd("hotline link", args, 2, nil)
	if err != nil {
		return err
	}
	return c.threadStep(pos[0], "links", hotline.TypeLink, hotline.Link{Thread: pos[0], Incident: pos[1]}, asJSON)
}

func hotlineResolve(args []string) error {
	var note, lang *string
	c, pos, asJSON, err := threadCmd("hotline resolve", args, 1, func(f *flag.FlagSet) {
		note = f.String("note", "", "how it was resolved")
		lang = f.String("lang", "en", "language of the note (BCP 47)")
	})
	if err != nil {
		return err
	}
	p := hotline.Resolve{Thread: pos[0]}
	if *note != "" {
		p.Note = incident.Text{Lang: *lang, Text: *note}
	}
	return c.threadStep(pos[0], "resolve", hotline.TypeResolve, p, asJSON)
}

func hotlineUsed(args []string) error {
	fs := flags("hotline used")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	note := fs.String("note", "", "note")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := arity(fs, pos, 2, "cli.need_incident_thread"); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	return c.step(pos[0], "mechanism", hotline.TypeUsed, hotline.Used{Incident: pos[0], Thread: pos[1], Note: *note}, *asJSON)
}

func hotlineList(args []string) error {
	fs := flags("hotline list")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	q := url.Values{}
	for _, name := range []string{"status", "party", "kind"} {
		fs.Func(name, "filter by "+name, func(v string) error { q.Set(name, v); return nil })
	}
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var page struct {
		Now   time.Time         `json:"now"`
		Items []*hotline.Thread `json:"items"`
	}
	path := "/v1/hotline"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	if err := c.get(path, &page); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(page)
	}
	// The inbox in the order a duty officer works it: the overdue first,
	// then by the next deadline, then the rest, newest first.
	rank := func(th *hotline.Thread) int {
		switch {
		case th.Overdue > 0:
			return 0
		case th.NextDue != nil:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(page.Items, func(a, b *hotline.Thread) int {
		if r := cmp.Compare(rank(a), rank(b)); r != 0 || rank(a) != 1 {
			return r
		}
		return a.NextDue.Compare(*b.NextDue)
	})
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.id"), msg.T("col.kind"), msg.T("col.party"), msg.T("col.status"),
		msg.T("col.messages"), msg.T("col.due"), msg.T("col.subject")}, "\t"))
	for _, th := range page.Items {
		due := "—"
		if th.Overdue > 0 {
			due = msg.N("hotline.overdue", th.Overdue)
		} else if th.NextDue != nil {
			due = th.NextDue.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", th.ID, msg.T("hotline.kind."+string(th.Kind)), th.Party,
			msg.T("hotline.status."+string(th.Status)), len(th.Messages), due, th.Subject)
	}
	tw.Flush()
	fmt.Println(msg.N("hotline.count", len(page.Items)))
	return nil
}

func hotlineShow(args []string) error {
	c, pos, asJSON, err := threadCmd("hotline show", args, 1, nil)
	if err != nil {
		return err
	}
	var th hotline.Thread
	if err := c.get("/v1/hotline/"+url.PathEscape(pos[0]), &th); err != nil {
		return err
	}
	if asJSON {
		return printJSON(th)
	}
	fmt.Printf("%s  %s  %s  %s → %s\n%s\n", th.ID, msg.T("hotline.kind."+string(th.Kind)), msg.T("hotline.status."+string(th.Status)),
		th.OpenedBy, otherSide(th), th.Subject)
	for _, m := range th.Messages {
		var state string
		switch {
		case m.Ack == nil && m.Overdue:
			state = msg.T("hotline.missed", m.Due.Format(time.RFC3339))
		case m.Ack == nil:
			state = msg.T("hotline.due", m.Due.Format(time.RFC3339))
		case m.Late:
			state = msg.T("hotline.acked_late", m.Ack.By, m.Ack.At.Format(time.RFC3339))
		default:
			state = msg.T("hotline.acked", m.Ack.By, m.Ack.At.Format(time.RFC3339))
		}
		if m.Escalated != nil {
			state += "; " + msg.T("hotline.escalated", m.Escalated.At.Format(time.RFC3339))
		}
		fmt.Printf("\n#%d %s %s (%s) → %s — %s\n  %s\n", m.N, m.At.Format(time.RFC3339), m.By, m.Party, m.To, state, m.Text.Text)
		if m.Place != nil {
			fmt.Printf("  %s %s\n", string(m.Place.Geometry.Coordinates), m.Place.Name)
		}
		for _, e := range m.Evidence {
			fmt.Printf("  %s %s (%s, %d B) sha256 %s\n", msg.T("hotline.evidence"), e.Name, e.MediaType, e.Size, e.SHA256)
		}
	}
	if len(th.Incidents) > 0 {
		fmt.Println("\n" + msg.T("hotline.incidents", strings.Join(th.Incidents, ", ")))
	}
	if r := th.Resolution; r != nil {
		fmt.Println("\n" + msg.T("hotline.resolved_by", r.By, r.At.Format(time.RFC3339)) + " " + r.Note.Text)
	}
	return nil
}

func otherSide(th hotline.Thread) string {
	if th.OpenedBy == hotline.CentreSide {
		return th.Party
	}
	return hotline.CentreSide
}

func seconds(s *float64) string {
	if s == nil {
		return "—"
	}
	return span(time.Duration(*s * float64(time.Second)))
}

func hotlineStats(args []string) error {
	fs := flags("hotline stats")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var st struct {
		Now     time.Time         `json:"now"`
		Threads int               `json:"threads"`
		Parties []hotline.Figures `json:"parties"`
	}
	if err := c.get("/v1/hotline/stats", &st); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(st)
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.party"), msg.T("col.messages"), msg.T("col.acknowledged"), msg.T("col.late"),
		msg.T("col.overdue"), msg.T("col.ack_median"), msg.T("col.threads"), msg.T("col.resolved"), msg.T("col.resolve_median"), msg.T("col.escalated")}, "\t"))
	for _, f := range st.Parties {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t%s\t%d\n", f.Party, f.Messages, f.Acknowledged, f.Late, f.Overdue, seconds(f.AckMedianS),
			f.Threads, f.Resolved, seconds(f.ResolveMedianS), f.Escalated)
	}
	return tw.Flush()
}

func restrictionRecord(args []string) error {
	fs := flags("restriction record")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	subtype := fs.String("subtype", "", "denial_of_access, conditional_access, delay, uav_jamming or other")
	actor := fs.String("actor", "", "the restricting party, or unknown")
	checkpoint := fs.String("checkpoint", "", "the checkpoint's name")
	started := fs.String("started", "", "when it began (RFC 3339, now, or -DURATION such as -2h)")
	ended := fs.String("ended", "", "when it ended (RFC 3339, now, or -DURATION), if it has")
	thread := fs.String("thread", "", "the hotline thread that resolved it")
	inc := fs.String("incident", "", "the incident report of it")
	note := fs.String("note", "", "note")
	lang := fs.String("lang", "en", "language of the note (BCP 47)")
	place := placeFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	pl, err := place()
	if err != nil {
		return err
	}
	if pl == nil {
		return fmt.Errorf("%s", msg.T("cli.need_point"))
	}
	c, err := connect()
	if err != nil {
		return err
	}
	if *started, err = cliTime("started", *started); err != nil {
		return err
	}
	if *ended, err = cliTime("ended", *ended); err != nil {
		return err
	}
	p := movement.Record{Subtype: movement.Subtype(*subtype), Actor: *actor, Checkpoint: *checkpoint, Place: *pl, StartedAt: *started,
		EndedAt: *ended, Thread: *thread, Incident: *inc}
	if *note != "" {
		p.Note = incident.Text{Lang: *lang, Text: *note}
	}
	var out written
	if err := c.say("/v1/restrictions", movement.TypeRecord, p, &out); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(out)
	}
	fmt.Println(msg.T("restriction.recorded", movement.IDFor(out.Statement.Seq), out.Statement.Seq))
	return nil
}

func restrictionEnd(args []string) error {
	fs := flags("restriction end")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	ended := fs.String("ended", "now", "when it ended (RFC 3339, now, or -DURATION such as -15m)")
	thread := fs.String("thread", "", "the hotline thread that resolved it")
	note := fs.String("note", "", "note")
	lang := fs.String("lang", "en", "language of the note (BCP 47)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := arity(fs, pos, 1, "cli.need_restriction"); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	if *ended, err = cliTime("ended", *ended); err != nil {
		return err
	}
	p := movement.End{Restriction: pos[0], EndedAt: *ended, Thread: *thread}
	if *note != "" {
		p.Note = incident.Text{Lang: *lang, Text: *note}
	}
	var out written
	if err := c.say("/v1/restrictions/"+url.PathEscape(pos[0])+"/end", movement.TypeEnd, p, &out); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(out)
	}
	var r movement.Restriction
	if err := c.get("/v1/restrictions/"+url.PathEscape(pos[0]), &r); err != nil {
		return err
	}
	took := "—"
	if r.ResolutionS != nil {
		took = span(time.Duration(*r.ResolutionS) * time.Second)
	}
	fmt.Println(msg.T("restriction.ended", r.ID, out.Statement.Seq, took))
	return nil
}

func restrictionList(args []string) error {
	fs := flags("restriction list")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	q := url.Values{}
	for _, name := range []string{"actor", "subtype", "status"} {
		fs.Func(name, "filter by "+name, func(v string) error { q.Set(name, v); return nil })
	}
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var reg struct {
		Now    time.Time               `json:"now"`
		Items  []*movement.Restriction `json:"items"`
		Counts movement.Counts         `json:"counts"`
	}
	path := "/v1/restrictions"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	if err := c.get(path, &reg); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(reg)
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.id"), msg.T("col.subtype"), msg.T("col.actor_party"), msg.T("col.place"),
		msg.T("col.started"), msg.T("col.status"), msg.T("col.resolution"), msg.T("col.thread")}, "\t"))
	for _, r := range reg.Items {
		where := r.Checkpoint
		if where == "" {
			where = r.Place.Name
		}
		took := "—"
		if r.ResolutionS != nil {
			took = span(time.Duration(*r.ResolutionS) * time.Second)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, msg.T("restriction.subtype."+string(r.Subtype)), r.Actor, dash(where),
			r.Started.Format("2006-01-02 15:04"), msg.T("restriction.status."+string(r.Status)), took, dash(r.Thread))
	}
	tw.Flush()
	fmt.Println(msg.N("restriction.count", reg.Counts.Total))
	// Counts per party and subtype.
	tw = newTable(os.Stdout)
	head := []string{msg.T("col.actor_party")}
	for _, s := range movement.Subtypes {
		head = append(head, msg.T("restriction.subtype."+string(s)))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	actors := make([]string, 0, len(reg.Counts.ByParty))
	for a := range reg.Counts.ByParty {
		actors = append(actors, a)
	}
	sort.Strings(actors)
	for _, a := range actors {
		row := []string{a}
		for _, s := range movement.Subtypes {
			row = append(row, strconv.Itoa(reg.Counts.ByParty[a][s]))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}
