package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"truce/witness"
)

// witnessKeygen makes a witness key pair: the private key goes to a file
// (never overwritten), the verifier key to stdout for the log's operator.
func witnessKeygen(args []string) error {
	fs := flags("witness keygen")
	name := fs.String("name", "", "witness name, e.g. the party that runs it: ua-witness")
	out := fs.String("out", "", "private key file to write")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("--out is required")
	}
	skey, vkey, err := witness.NewKeys(*name)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if _, err := fmt.Fprintln(f, skey); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Println(vkey)
	return nil
}

// witnessCmd runs a witness: it follows the given logs and cosigns their
// checkpoints over the C2SP tlog-witness protocol.
func witnessCmd(args []string) error {
	fs := flags("witness")
	keyFile := fs.String("key", "", "the witness's private key file (truce witness keygen)")
	data := fs.String("data", "truce-witness", "directory for the witness's state")
	addr := fs.String("addr", "127.0.0.1:7380", "listen address")
	var logs []string
	fs.Func("log", "a log to follow, as its checkpoint verifier key (GET /log/key on the centre); repeatable", func(v string) error {
		logs = append(logs, v)
		return nil
	})
	if _, err := parse(fs, args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	known := map[string]string{}
	for _, vkey := range logs {
		origin, _, _ := strings.Cut(vkey, "+")
		known[origin] = vkey
	}
	if len(known) == 0 {
		return fmt.Errorf("name at least one log with --log")
	}
	w, err := witness.New(*data, strings.TrimSpace(string(raw)), known)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Println(msg.T("witness.listening", "http://"+ln.Addr().String(), w.Verifier().Name()))
	return serveLimited(ctx, ln, w, defaultLimits()) // a witness is a server too: the same cap and timeouts
}

// demoWitnesses starts three witnesses in this process — one run by each
// belligerent and one by a monitor country — and returns the log's
// configuration for them: a checkpoint is final once all three cosign.
func demoWitnesses(ctx context.Context, dir, logVKey string) (*witness.Config, error) {
	origin, _, _ := strings.Cut(logVKey, "+")
	cfg := &witness.Config{}
	for _, name := range []string{"ua", "ru", "ch"} {
		skey, vkey, err := witness.NewKeys(name + "-witness")
		if err != nil {
			return nil, err
		}
		w, err := witness.New(filepath.Join(dir, "witness-"+name), skey, map[string]string{origin: logVKey})
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		go func() {
			if err := serveLimited(ctx, ln, w, defaultLimits()); err != nil {
				slog.Warn("demo witness stopped", "witness", name, "err", err)
			}
		}()
		cfg.Witnesses = append(cfg.Witnesses, witness.Member{Name: name, Key: vkey, URL: "http://" + ln.Addr().String()})
	}
	cfg.Policy = []witness.Group{
		{Group: "ukraine", Threshold: 1, Witnesses: []string{"ua"}},
		{Group: "russia", Threshold: 1, Witnesses: []string{"ru"}},
		{Group: "monitors", Threshold: 1, Witnesses: []string{"ch"}},
	}
	return cfg, nil
}

// logStatus prints where the log stands: the published checkpoint and, with
// witnesses, whether the newest one is final.
func logStatus(args []string) error {
	fs := flags("log")
	connect := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var h map[string]any
	if err := c.get("/healthz", &h); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(h)
	}
	fmt.Println(msg.T("log.status", number(h["ledger_size"]), orDash(number(h["checkpoint_size"])), h["log"]))
	if v, ok := h["latest_checkpoint"]; ok {
		fmt.Println(msg.T("log.latest", number(h["latest_checkpoint_size"]), v))
	}
	return nil
}

// number prints a JSON number as a whole number: %v would print a ledger of
// a million statements as 1e+06.
func number(v any) any {
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return v
}

func orDash(v any) any {
	if v == nil {
		return "—"
	}
	return v
}
