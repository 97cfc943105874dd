package main

import (
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"truce/centre"
	"truce/seat"
)

// seatsList prints who sits in the centre: per monitoring country its
// seats, what it may access and each belligerent's word; then every member
// with its accreditation; then the objections to monitors taking cases.
func seatsList(args []string) error {
	fs := flags("seats")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	at := fs.String("at", "", "the seats at this time (RFC 3339; default now)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	path := "/v1/seats"
	if *at != "" {
		path += "?at=" + url.QueryEscape(*at)
	}
	var v centre.SeatsView
	if err := c.get(path, &v); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(v)
	}
	if v.Basis == seat.Founding {
		fmt.Println(msg.T("seats.founding", v.At.Format(time.RFC3339)))
	} else {
		fmt.Println(msg.T("seats.under", strings.Join(v.Terms, ", "), v.At.Format(time.RFC3339)))
	}
	// The belligerents who have spoken, as columns.
	var parties []string
	for _, co := range v.Countries {
		for p := range co.Consent.Parties {
			if !contains(parties, p) {
				parties = append(parties, p)
			}
		}
	}
	sort.Strings(parties)
	tw := newTable(os.Stdout)
	head := []string{msg.T("col.country"), msg.T("col.seats"), msg.T("col.held"), msg.T("col.access")}
	fmt.Fprintln(tw, strings.Join(append(head, parties...), "\t"))
	for _, co := range v.Countries {
		seats := msg.T("seats.unlimited")
		if !co.Named {
			seats = msg.T("seats.not_named")
		} else if co.Seats > 0 {
			seats = fmt.Sprint(co.Seats)
		}
		access := strings.Join(co.Access, ", ")
		if v.Basis == seat.Founding {
			access = msg.T("seats.all")
		}
		row := []string{co.Party.ID, seats, fmt.Sprint(co.Held), dash(access)}
		for _, p := range parties {
			word := "—"
			if w := co.Consent.Parties[p]; w != nil {
				word = msg.T("seats.decision." + w.Decision)
			}
			row = append(row, word)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	fmt.Println()
	tw = newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.member"), msg.T("col.country"), msg.T("col.state"), msg.T("col.from"), msg.T("col.until"),
		msg.T("col.basis"), msg.T("col.id"), msg.T("col.note")}, "\t"))
	for _, co := range v.Countries {
		for _, s := range co.Seated {
			if len(s.Accreditations) == 0 {
				fmt.Fprintf(tw, "%s\t%s\t%s\t—\t—\t—\t—\t—\n", s.Member.ID, co.Party.ID, msg.T("seats.state.none"))
				continue
			}
			for _, a := range s.Accreditations {
				note := a.Note
				switch {
				case a.Rotates != "":
					note = strings.TrimSpace(msg.T("seats.rotates", a.Rotates) + " " + note)
				case a.Renews != "":
					note = strings.TrimSpace(msg.T("seats.renews", a.Renews) + " " + note)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Member.ID, co.Party.ID, msg.T("seats.state."+a.State(v.At)),
					a.From.Format("2006-01-02"), a.End().Format("2006-01-02"), a.Basis, a.ID, dash(note))
			}
		}
	}
	tw.Flush()
	for _, co := range v.Countries {
		for _, w := range co.Consent.Cases {
			fmt.Println(msg.T("seats.case."+w.Decision, w.Party, w.Monitor, w.Incident, w.Seq))
		}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func seatsAccredit(args []string) error {
	fs := flags("seats accredit")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	from := fs.String("from", "", "when the accreditation begins (RFC 3339; default now)")
	until := fs.String("until", "", "when it ends (RFC 3339, or +DURATION such as +2160h)")
	replaces := fs.String("replaces", "", "the accreditation it renews or rotates (acc-…)")
	note := fs.String("note", "", "note")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := arity(fs, pos, 1, "cli.need_member"); err != nil {
		return err
	}
	if d, ok := strings.CutPrefix(*until, "+"); ok {
		dur, err := time.ParseDuration(d)
		if err != nil {
			return fmt.Errorf("--until: %v", err)
		}
		*until = time.Now().Add(dur).UTC().Format(time.RFC3339)
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var out struct {
		written
		Record seat.Accreditation `json:"record"`
	}
	if err := c.say("/v1/seats/accreditations", seat.TypeAccredit, seat.Accredit{Member: pos[0], From: *from, Until: *until, Replaces: *replaces, Note: *note}, &out); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(out)
	}
	accs := []seat.Accreditation{}
	if out.Record.ID == "" { // signed by the member: read it back
		var v centre.SeatsView
		if err := c.get("/v1/seats", &v); err == nil {
			for _, co := range v.Countries {
				for _, s := range co.Seated {
					for _, a := range s.Accreditations {
						if a.Seq == out.Statement.Seq {
							accs = append(accs, *a)
						}
					}
				}
			}
		}
	} else {
		accs = append(accs, out.Record)
	}
	for _, a := range accs {
		fmt.Println(msg.T("seats.accredited", a.ID, a.Member, a.From.Format(time.RFC3339), a.Until.Format(time.RFC3339), a.Basis))
	}
	if len(accs) == 0 {
		fmt.Println(msg.T("seats.accredited", seat.IDFor(out.Statement.Seq), pos[0], *from, *until, "—"))
	}
	return nil
}

func seatsConsent(decision string) func(args []string) error {
	return func(args []string) error {
		fs := flags("seats " + decision)
		connect := clientFlags(fs)
		asJSON := fs.Bool("json", false, "print JSON")
		monitor := fs.String("monitor", "", "a monitor of the country, with --incident: the word is about that monitor taking that case")
		inc := fs.String("incident", "", "the case")
		note := fs.String("note", "", "note")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if err := arity(fs, pos, 1, "cli.need_country"); err != nil {
			return err
		}
		c, err := connect()
		if err != nil {
			return err
		}
		var out written
		if err := c.say("/v1/seats/consents", seat.TypeConsent, seat.Word{Country: pos[0], Decision: decision, Monitor: *monitor, Incident: *inc, Note: *note}, &out); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(out)
		}
		fmt.Println(msg.T("seats.recorded."+decision, pos[0], out.Statement.Seq))
		return nil
	}
}

// custodyList prints the custody trail of restricted evidence.
func custodyList(args []string) error {
	fs := flags("custody")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	q := url.Values{}
	for _, name := range []string{"incident", "sha256"} {
		fs.Func(name, "filter by "+name, func(v string) error { q.Set(name, v); return nil })
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		q.Set("incident", pos[0])
	}
	c, err := connect()
	if err != nil {
		return err
	}
	path := "/v1/custody"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var trail struct {
		Restricted []seat.Restriction `json:"restricted"`
		Reads      []seat.Custody     `json:"reads"`
	}
	if err := c.get(path, &trail); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(trail)
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.evidence"), msg.T("col.id"), msg.T("col.party"), msg.T("col.time")}, "\t"))
	for _, r := range trail.Restricted {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.SHA256[:16]+"…", r.Incident, r.Party, r.At.Format(time.RFC3339))
	}
	tw.Flush()
	fmt.Println()
	tw = newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.seq"), msg.T("col.time"), msg.T("col.member"), msg.T("col.party"), msg.T("col.id"), msg.T("col.evidence")}, "\t"))
	for _, r := range trail.Reads {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.At.Format(time.RFC3339), r.Reader, r.Party, r.Incident, r.SHA256[:16]+"…")
	}
	tw.Flush()
	fmt.Println(msg.T("custody.count", len(trail.Reads), len(trail.Restricted)))
	return nil
}
