package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"truce/alert"
)

// alertCmd parses a client command with --json and the given flags.
func alertCmd(name string, args []string, define func(fs *flag.FlagSet)) (*client, []string, bool, error) {
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
	c, err := connect()
	return c, pos, *asJSON, err
}

func alertSubscribe(args []string) error {
	var name, filter, hook *string
	c, _, asJSON, err := alertCmd("alert subscribe", args, func(fs *flag.FlagSet) {
		name = fs.String("name", "", "a name for the subscription")
		filter = fs.String("filter", "", `what to be told of, e.g. "events=near_site near_km=5 severity=serious" (keys: events, parties, types, bbox, near_km, severity)`)
		hook = fs.String("webhook", "", "also POST each alert to this http(s) URL, signed (docs/webhooks.md)")
	})
	if err != nil {
		return err
	}
	f, err := alert.ParseFilter(*filter)
	if err != nil {
		return err
	}
	if *name == "" {
		*name = f.String()
	}
	var out struct {
		written
		Record alert.Subscription `json:"record"`
		Secret string             `json:"webhook_secret,omitempty"`
	}
	if c.key == nil {
		// The centre signs, and makes the webhook's key.
		body := map[string]any{"name": *name, "filter": f}
		if *hook != "" {
			body["webhook"] = map[string]string{"url": *hook}
		}
		err = c.post("/v1/alerts/subscriptions", body, &out)
	} else {
		// A member holding its own key asks for a webhook key first, then
		// signs the subscription that names it.
		p := alert.Subscribe{Name: *name, Filter: f}
		if *hook != "" {
			var k struct{ Key, Secret string }
			if err := c.post("/v1/alerts/keys", map[string]any{}, &k); err != nil {
				return err
			}
			p.Webhook, out.Secret = &alert.Webhook{URL: *hook, Key: k.Key}, k.Secret
		}
		err = c.say("/v1/alerts/subscriptions", alert.TypeSubscribe, p, &out.written)
		out.Record.ID = alert.SubscriptionID(out.Statement.Seq)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(out)
	}
	fmt.Println(msg.T("alert.subscribed", out.Record.ID, out.Statement.Seq, f.String()))
	if out.Secret != "" {
		fmt.Println(msg.T("alert.secret", out.Secret))
	}
	return nil
}

func alertUnsubscribe(args []string) error {
	c, pos, asJSON, err := alertCmd("alert unsubscribe", args, nil)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%s", msg.T("cli.need_subscription"))
	}
	var out written
	if err := c.say("/v1/alerts/subscriptions/"+url.PathEscape(pos[0])+"/end", alert.TypeUnsubscribe, alert.Unsubscribe{Subscription: pos[0]}, &out); err != nil {
		return err
	}
	if asJSON {
		return printJSON(out)
	}
	fmt.Println(msg.T("alert.unsubscribed", pos[0], out.Statement.Seq))
	return nil
}

func alertAck(args []string) error {
	c, pos, asJSON, err := alertCmd("alert ack", args, nil)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%s", msg.T("cli.need_alert"))
	}
	var out written
	if err := c.say("/v1/alerts/"+url.PathEscape(pos[0])+"/receipt", alert.TypeReceipt, alert.Receipt{Alert: pos[0]}, &out); err != nil {
		return err
	}
	if asJSON {
		return printJSON(out)
	}
	fmt.Println(msg.T("alert.acked", pos[0], out.Statement.Seq))
	return nil
}

func alertSubscriptions(args []string) error {
	q := url.Values{}
	c, _, asJSON, err := alertCmd("alert subscriptions", args, func(fs *flag.FlagSet) {
		fs.Func("member", "whose: a member ID, or all (default: yours)", func(v string) error { q.Set("member", v); return nil })
		fs.Func("status", "active or ended", func(v string) error { q.Set("status", v); return nil })
	})
	if err != nil {
		return err
	}
	var page struct {
		Items []alert.Subscription `json:"items"`
	}
	if err := c.get("/v1/alerts/subscriptions?"+q.Encode(), &page); err != nil {
		return err
	}
	if asJSON {
		return printJSON(page)
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.id"), msg.T("col.member"), msg.T("col.status"), msg.T("col.name"), msg.T("col.filter"), msg.T("col.webhook")}, "\t"))
	for _, s := range page.Items {
		hook := "—"
		if s.Webhook != nil {
			hook = s.Webhook.URL
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Member, msg.T("alert.status."+s.Status), s.Name, s.Filter.String(), hook)
	}
	tw.Flush()
	fmt.Println(msg.N("alert.subscriptions", len(page.Items)))
	return nil
}

// alertQuery defines the flags of the alert listings.
func alertQuery(q url.Values) func(fs *flag.FlagSet) {
	return func(fs *flag.FlagSet) {
		for _, f := range [][2]string{{"member", "whose: a member ID, or all (default: yours)"}, {"kind", "one event kind"},
			{"subscription", "one subscription"}, {"delivery", "pending, delivered or failed"}, {"limit", "at most this many (default 100)"}} {
			fs.Func(f[0], f[1], func(v string) error { q.Set(f[0], v); return nil })
		}
	}
}

func alertList(args []string) error {
	q := url.Values{}
	c, _, asJSON, err := alertCmd("alert list", args, alertQuery(q))
	if err != nil {
		return err
	}
	items, err := c.alerts(q)
	if err != nil || asJSON {
		return firstNonNil(err, printJSON(map[string]any{"items": items}))
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.id"), msg.T("col.time"), msg.T("col.member"), msg.T("col.event"), msg.T("col.record"),
		msg.T("col.detail"), msg.T("col.delivery"), msg.T("col.receipt")}, "\t"))
	for _, a := range items {
		receipt := "—"
		if a.Receipt != nil {
			receipt = a.Receipt.At.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.At.Format(time.RFC3339), a.Member, msg.T("alert.kind."+string(a.Event.Kind)),
			a.Event.Record, detail(a.Event), delivery(a), receipt)
	}
	tw.Flush()
	fmt.Println(msg.N("alert.count", len(items)))
	return nil
}

func alertDeliveries(args []string) error {
	q := url.Values{}
	c, _, asJSON, err := alertCmd("alert deliveries", args, alertQuery(q))
	if err != nil {
		return err
	}
	all, err := c.alerts(q)
	if err != nil {
		return err
	}
	items := []alert.Alert{}
	for _, a := range all {
		if a.Webhook != "" {
			items = append(items, a)
		}
	}
	if asJSON {
		return printJSON(map[string]any{"items": items})
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, strings.Join([]string{msg.T("col.id"), msg.T("col.member"), msg.T("col.webhook"), msg.T("col.delivery"),
		msg.T("col.http_status"), msg.T("col.attempts"), msg.T("col.time")}, "\t"))
	for _, a := range items {
		status, attempts, at := "—", "—", "—"
		if d := a.Delivery; d != nil {
			if d.Status != 0 {
				status = strconv.Itoa(d.Status)
			}
			attempts, at = strconv.Itoa(d.Attempts), d.At.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Member, a.Webhook, delivery(a), status, attempts, at)
	}
	tw.Flush()
	fmt.Println(msg.N("alert.count", len(items)))
	return nil
}

func (c *client) alerts(q url.Values) ([]alert.Alert, error) {
	var page struct {
		Items []alert.Alert `json:"items"`
	}
	err := c.get("/v1/alerts?"+q.Encode(), &page)
	return page.Items, err
}

func firstNonNil(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// detail says what an alert's event measured or missed.
func detail(e alert.Event) string {
	switch {
	case e.Site != "" && e.MeasuredKM != nil:
		return msg.T("alert.detail.site", e.SiteName, *e.MeasuredKM)
	case e.Kind == alert.WindowViolation:
		return msg.T("alert.detail.window", e.Agreement)
	case e.Message > 0 && e.Due != nil:
		return msg.T("alert.detail.message", e.Message, e.Due.Format(time.RFC3339))
	case e.Kind == alert.GuaranteeMissed || e.Kind == alert.GuaranteeWithdrawn:
		return strings.Join(e.Parties, ", ")
	case e.Type != "":
		return msg.T("type."+string(e.Type)) + " · " + msg.T("alert.severity."+string(e.Severity))
	}
	return "—"
}

// delivery says where an alert's webhook delivery stands.
func delivery(a alert.Alert) string {
	switch {
	case a.Webhook == "":
		return msg.T("alert.delivery.stream")
	case a.Delivery == nil:
		return msg.T("alert.delivery.pending")
	}
	return msg.T("alert.delivery."+a.Delivery.Outcome, a.Delivery.Status)
}
