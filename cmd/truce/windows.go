package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"truce/agreement"
	"truce/centre"
	"truce/geo"
	"truce/incident"
)

// The window commands carry localized arrangements: repair windows of
// silence, corridors, evacuations and exchanges (docs/statements.md,
// "Arrangements").

// cliTime reads RFC 3339, "now", or a duration from now such as +2h or
// -30m.
func cliTime(flagName, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if v == "now" {
		v = "+0s"
	}
	if d, err := time.ParseDuration(v); err == nil && (strings.HasPrefix(v, "+") || strings.HasPrefix(v, "-")) {
		return time.Now().UTC().Add(d).Truncate(time.Second).Format(time.RFC3339), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return "", fmt.Errorf("--%s: %s", flagName, msg.T("cli.bad_time", v))
	}
	return t.UTC().Format(time.RFC3339), nil
}

// readGeometry reads a GeoJSON geometry from a file or from the argument.
func readGeometry(v string) (geo.Geometry, error) {
	raw := []byte(v)
	if !strings.HasPrefix(strings.TrimSpace(v), "{") {
		var err error
		if raw, err = os.ReadFile(v); err != nil {
			return geo.Geometry{}, err
		}
	}
	var g geo.Geometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return geo.Geometry{}, fmt.Errorf("--geometry: %w", err)
	}
	return g, nil
}

func windowRequest(args []string) error {
	fs := flags("window request")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	id := fs.String("id", "", "arrangement ID")
	title := fs.String("title", "", "title")
	lang := fs.String("lang", "en", "language of the title")
	purpose := fs.String("purpose", "repair", strings.Join(agreement.Purposes, ", "))
	shape := fs.String("shape", "line", strings.Join(agreement.Shapes, ", "))
	geometry := fs.String("geometry", "", "GeoJSON geometry, or a file holding it")
	buffer := fs.Float64("buffer", 0, "metres either side of a route or line")
	parties := fs.String("parties", "", "parties whose guarantees it needs, comma-separated")
	from := fs.String("from", "", "start (RFC 3339 or +DURATION; default: now)")
	until := fs.String("until", "", "end (RFC 3339 or +DURATION)")
	deadline := fs.String("deadline", "", "guarantees due by (RFC 3339 or +DURATION)")
	site := fs.String("site", "", "the protected site it serves")
	inc := fs.String("incident", "", "the incident it serves")
	note := fs.String("note", "", "purpose, in free text")
	crew := fs.String("crew", "", "the crew or convoy")
	crewSize := fs.Int("crew-size", 0, "how many people")
	actions := fs.String("actions", "", "further prohibited actions in the zone, comma-separated")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	p := agreement.RequestArrangement{ID: *id, Title: agreement.Texts{*lang: *title}, Arrangement: agreement.Arrangement{
		Purpose: *purpose, Shape: *shape, BufferM: *buffer, Site: *site, Incident: *inc, Note: *note, Crew: *crew, CrewSize: *crewSize}}
	if *title == "" {
		p.Title = agreement.Texts{*lang: *id}
	}
	if *parties != "" {
		p.Parties = strings.Split(*parties, ",")
	}
	if *actions != "" {
		p.Actions = strings.Split(*actions, ",")
	}
	var err error
	if p.Geometry, err = readGeometry(*geometry); err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		v    *string
		dst  *string
	}{{"from", from, &p.From}, {"until", until, &p.Until}, {"deadline", deadline, &p.Deadline}} {
		if *t.dst, err = cliTime(t.name, *t.v); err != nil {
			return err
		}
	}
	c, err := connect()
	if err != nil {
		return err
	}
	if c.key != nil && p.From == "" {
		p.From = time.Now().UTC().Format(time.RFC3339)
	}
	var out written
	if err := c.say("/v1/arrangements", agreement.TypeArrangementRequest, p, &out); err != nil {
		return err
	}
	return c.windowDone(p.ID, "window.requested", out, *asJSON)
}

// windowDone prints what a statement did and where the window stands.
func (c *client) windowDone(id, key string, out written, asJSON bool) error {
	if asJSON {
		return printJSON(out)
	}
	var a centre.Arrangement
	if err := c.get("/v1/arrangements/"+url.PathEscape(id), &a); err != nil {
		return err
	}
	fmt.Println(msg.T(key, id, out.Statement.Seq), msg.T("window.now", msg.T("arr.state."+a.Status.State)))
	return nil
}

// windowCmd parses NAME ARRANGEMENT [flags].
func windowCmd(name string, args []string, define func(fs *flag.FlagSet)) (*client, string, bool, error) {
	c, pos, asJSON, err := planCmd(name, args, define)
	if err != nil {
		return nil, "", false, err
	}
	return c, pos[0], asJSON, nil
}

func windowList(args []string) error {
	fs := flags("window list")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	state := fs.String("state", "", "only these states, comma-separated")
	at := fs.String("at", "", "status at this time (RFC 3339; default: now)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	q := url.Values{}
	if *state != "" {
		q.Set("state", *state)
	}
	if *at != "" {
		t, err := cliTime("at", *at)
		if err != nil {
			return err
		}
		q.Set("at", t)
	}
	var out struct {
		Items []centre.Arrangement `json:"items"`
	}
	if err := c.get("/v1/arrangements?"+q.Encode(), &out); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(out)
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.id"), msg.T("col.purpose"), msg.T("col.state"), msg.T("col.from"), msg.T("col.until"),
		msg.T("col.guarantees"), msg.T("col.deadline")}, "\t"))
	for _, a := range out.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, msg.T("purpose."+a.Request.Purpose), stateOf(a.Status),
			a.Status.From.Format(time.RFC3339), a.Status.Until.Format(time.RFC3339), guaranteesText(a.Status.Guarantees), a.Status.Deadline.Format(time.RFC3339))
	}
	return tw.Flush()
}

func stateOf(st agreement.ArrangementStatus) string {
	s := msg.T("arr.state." + st.State)
	if st.Overdue && st.State != agreement.ArrLapsed {
		s += " (" + msg.T("arr.overdue") + ")"
	}
	if st.ExtensionPending > 0 {
		s += " (" + msg.T("arr.extension_pending", st.ExtensionPending) + ")"
	}
	return s
}

func guaranteesText(gs []agreement.GuaranteeState) string {
	var parts []string
	for _, g := range gs {
		s := g.Party + ": " + msg.T("guarantee."+g.State)
		if g.At != nil {
			s += " " + g.At.UTC().Format("2006-01-02 15:04")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func windowShow(args []string) error {
	c, id, asJSON, err := windowCmd("window show", args, nil)
	if err != nil {
		return err
	}
	var a centre.Arrangement
	if err := c.get("/v1/arrangements/"+url.PathEscape(id), &a); err != nil {
		return err
	}
	if asJSON {
		return printJSON(a)
	}
	tw := newTable(os.Stdout)
	row := func(key string, v any) {
		label := ""
		if key != "" {
			label = msg.T(key)
		}
		fmt.Fprintf(tw, "%s\t%v\n", label, v)
	}
	r := a.Request
	row("col.id", a.ID)
	row("col.title", r.Title.In(msg.Lang))
	row("col.purpose", msg.T("purpose."+r.Purpose))
	row("col.state", stateOf(a.Status))
	row("col.from", a.Status.From.Format(time.RFC3339))
	row("col.until", a.Status.Until.Format(time.RFC3339))
	row("col.deadline", a.Status.Deadline.Format(time.RFC3339))
	row("col.where", fmt.Sprintf("%s %s ± %g m", msg.T("shape."+r.Shape), r.Geometry.Type, r.BufferM))
	if r.Site != "" || r.Incident != "" {
		row("col.serves", strings.TrimSpace(r.Site+" "+r.Incident))
	}
	if r.Crew != "" || r.CrewSize > 0 {
		row("col.crew", fmt.Sprintf("%s (%d)", r.Crew, r.CrewSize))
	}
	if r.Note != "" {
		row("col.note", r.Note)
	}
	row("col.requested", fmt.Sprintf("%s (%s) %s", a.Record.Party, a.Record.RequestedBy, a.Record.RequestedAt.Format(time.RFC3339)))
	for _, g := range a.Status.Guarantees {
		s := msg.T("guarantee." + g.State)
		if g.At != nil {
			s += " " + g.At.UTC().Format(time.RFC3339)
		}
		if g.Text != "" {
			s += ": " + g.Text
		}
		row("col.guarantee", g.Party+": "+s)
	}
	if st := a.Status; st.ExtensionPending > 0 && st.ExtensionUntil != nil {
		row("col.extension", msg.T("arr.extension", st.ExtensionPending, st.ExtensionUntil.UTC().Format(time.RFC3339), guaranteesText(st.ExtensionGuarantees)))
	}
	for _, e := range a.Record.Events {
		s := fmt.Sprintf("%s %s (%s)", e.At.Format(time.RFC3339), msg.T("arr.event."+e.Kind), e.Party)
		if e.Side != "" {
			s += " → " + e.Side
		}
		if e.Outcome != "" {
			s += " " + msg.T("outcome."+e.Outcome)
		}
		if e.Until != nil {
			s += " " + e.Until.Format(time.RFC3339)
		}
		if e.Text != "" {
			s += ": " + e.Text
		}
		row("col.event", s)
	}
	return tw.Flush()
}

// windowGuarantee signs the arrangement: the caller's party's guarantee.
func windowGuarantee(args []string) error {
	c, id, asJSON, err := windowCmd("window guarantee", args, nil)
	if err != nil {
		return err
	}
	var out written
	if c.key == nil {
		err = c.post("/v1/arrangements/"+url.PathEscape(id)+"/guarantee", map[string]any{}, &out)
	} else {
		var f agreement.File
		if err := c.get("/v1/agreements/"+url.PathEscape(id)+"/file", &f); err != nil {
			return err
		}
		sig, err := agreement.SignDocument(&f.Agreement, c.key)
		if err != nil {
			return err
		}
		digest, _ := f.Agreement.Digest()
		if err := c.say("", agreement.TypeSign, agreement.SignAgreement{Agreement: f.Agreement.ID, Version: f.Agreement.Version, Digest: digest, Signature: sig}, &out); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	return c.windowDone(id, "window.guaranteed", out, asJSON)
}

// windowRespond declines or sets conditions.
func windowRespond(response string) func([]string) error {
	return func(args []string) error {
		var text *string
		c, id, asJSON, err := windowCmd("window "+response, args, func(fs *flag.FlagSet) {
			text = fs.String("text", "", "why, or which conditions")
		})
		if err != nil {
			return err
		}
		var out written
		if c.key == nil {
			err = c.post("/v1/arrangements/"+url.PathEscape(id)+"/respond", map[string]any{"response": response, "text": *text}, &out)
		} else {
			err = c.say("", agreement.TypeArrangementRespond, agreement.RespondArrangement{Arrangement: id, Response: response, Text: *text}, &out)
		}
		if err != nil {
			return err
		}
		return c.windowDone(id, "window.responded."+response, out, asJSON)
	}
}

// windowChange withdraws, extends, cuts short or cancels.
func windowChange(kind, typ string) func([]string) error {
	return func(args []string) error {
		var until, deadline, reason *string
		c, id, asJSON, err := windowCmd("window "+kind, args, func(fs *flag.FlagSet) {
			reason = fs.String("reason", "", "why")
			if kind == "extend" || kind == "cut" {
				until = fs.String("until", "", "the new end (RFC 3339 or +DURATION)")
			}
			if kind == "extend" {
				deadline = fs.String("deadline", "", "the new guarantees due by (default: the current end)")
			}
		})
		if err != nil {
			return err
		}
		p := agreement.ChangeArrangement{Arrangement: id, Reason: *reason}
		if until != nil {
			if p.Until, err = cliTime("until", *until); err != nil {
				return err
			}
		}
		if deadline != nil {
			if p.Deadline, err = cliTime("deadline", *deadline); err != nil {
				return err
			}
		}
		var out written
		body := map[string]any{"reason": p.Reason}
		if p.Until != "" {
			body["until"] = p.Until
		}
		if p.Deadline != "" {
			body["deadline"] = p.Deadline
		}
		if c.key == nil {
			err = c.post("/v1/arrangements/"+url.PathEscape(id)+"/"+kind, body, &out)
		} else {
			err = c.say("", typ, p, &out)
		}
		if err != nil {
			return err
		}
		return c.windowDone(id, "window.changed."+kind, out, asJSON)
	}
}

func windowCheckIn(args []string) error {
	var side, note *string
	var lon, lat *float64
	c, id, asJSON, err := windowCmd("window checkin", args, func(fs *flag.FlagSet) {
		side = fs.String("side", "", "the party on whose side the monitor stands")
		lon = fs.Float64("lon", 0, "longitude of the monitor's place")
		lat = fs.Float64("lat", 0, "latitude of the monitor's place")
		note = fs.String("note", "", "note")
	})
	if err != nil {
		return err
	}
	p := agreement.CheckIn{Arrangement: id, Side: *side, Note: *note}
	if *lon != 0 || *lat != 0 {
		coords, _ := json.Marshal([]float64{*lon, *lat})
		p.Place = &geo.Geometry{Type: "Point", Coordinates: coords}
	}
	var out written
	body := map[string]any{"side": p.Side, "note": p.Note}
	if p.Place != nil {
		body["place"] = p.Place
	}
	if c.key == nil {
		err = c.post("/v1/arrangements/"+url.PathEscape(id)+"/checkins", body, &out)
	} else {
		err = c.say("", agreement.TypeArrangementCheckIn, p, &out)
	}
	if err != nil {
		return err
	}
	return c.windowDone(id, "window.checked_in", out, asJSON)
}

func windowClose(args []string) error {
	var outcome, reason *string
	c, id, asJSON, err := windowCmd("window close", args, func(fs *flag.FlagSet) {
		outcome = fs.String("outcome", "", strings.Join(agreement.Outcomes, ", "))
		reason = fs.String("reason", "", "why")
	})
	if err != nil {
		return err
	}
	var out written
	if c.key == nil {
		err = c.post("/v1/arrangements/"+url.PathEscape(id)+"/close", map[string]any{"outcome": *outcome, "reason": *reason}, &out)
	} else {
		err = c.say("", agreement.TypeArrangementClose, agreement.CloseArrangement{Arrangement: id, Outcome: *outcome, Reason: *reason}, &out)
	}
	if err != nil {
		return err
	}
	return c.windowDone(id, "window.closed", out, asJSON)
}

// arrangementText says "inside repair window W, guaranteed by ru at 06:10".
func arrangementText(id string, ref *incident.ArrangementRef) string {
	var by []string
	for _, g := range ref.Guarantees {
		by = append(by, msg.T("window.guaranteed_by", g.Party, g.At.UTC().Format("15:04")))
	}
	return msg.T("window.inside", msg.T("purpose."+ref.Purpose), id, strings.Join(by, ", "))
}
