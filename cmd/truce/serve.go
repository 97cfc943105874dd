package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // only served with --debug-addr
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"truce/api"
	"truce/blobs"
	"truce/centre"
	"truce/demo"
	"truce/party"
	"truce/queue"
	"truce/report"
	"truce/store/sqlite"
	"truce/web"
	"truce/witness"
)

const defaultData = "truce-data"

// node is an open data directory: store, evidence files and the centre.
type node struct {
	store  *sqlite.Store
	blobs  *blobs.Store
	centre *centre.Centre
	token  string        // operator token, set only when the centre was just opened
	limits *serverLimits // what serving allows callers; nil: the defaults (limits.go)
	queue  *queue.Queue  // the job queue (serve and demo); nil in one-shot commands
}

// startQueue starts the job queue in the data directory's queue.db: the
// deadlines and webhook deliveries. It re-arms every deadline still open.
func (n *node) startQueue(ctx context.Context) error {
	q, err := queue.Open(ctx, n.centre, queue.Options{Path: filepath.Join(filepath.Dir(n.store.Path()), queue.FileName)})
	if err != nil {
		return err
	}
	n.queue = q
	return nil
}

func openNode(ctx context.Context, dir string, keys keyFlags, opt centre.Options) (*node, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	opt, err := keys.options(dir, opt)
	if err != nil {
		return nil, err
	}
	if opt.Refolding == nil {
		// A store sealed under another key, or never, is folded again
		// before it is served: show how far that has come.
		prog := newProgress(os.Stderr, msg.T("refold.progress"))
		opt.Refolding = func(done, total uint64) {
			prog.set64(int64(done), int64(total))
			if done == total {
				prog.done()
			}
		}
	}
	// The areas the daily report counts by, if imported (truce import areas).
	if opt.Regions, err = report.LoadRegions(filepath.Join(dir, report.AreasFile)); err != nil {
		return nil, err
	}
	if opt.Regions != nil {
		slog.Info("the daily report counts by the imported areas", "areas", opt.Regions.Label)
	}
	if opt.Borders, err = report.LoadBorders(filepath.Join(dir, report.BordersFile)); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(dir)
	if err != nil {
		return nil, err
	}
	bs, err := blobs.Open(filepath.Join(dir, "evidence"), api.MaxEvidence)
	if err != nil {
		st.Close()
		return nil, err
	}
	// Issued reports' bytes, by their SHA-256 (report.issue records it).
	if opt.ReportFiles, err = blobs.Open(filepath.Join(dir, "reports"), 64<<20); err != nil {
		st.Close()
		return nil, err
	}
	// Plan documents are kept apart from evidence: evidence is served to
	// every member by digest, a plan only to whom its party shares it with.
	if opt.Documents, err = blobs.Open(filepath.Join(dir, "documents"), api.MaxPlanBody); err != nil {
		st.Close()
		return nil, err
	}
	c, token, err := centre.Open(ctx, st, opt)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &node{store: st, blobs: bs, centre: c, token: token}, nil
}

// adminNode opens a data directory for an administration command: no
// checkpointer (the server signs checkpoints), and should the directory be
// new, the operator token of the centre just opened is shown (announce), the
// only time it ever is.
func adminNode(ctx context.Context, dir string, keys keyFlags, announce bool) (*node, error) {
	n, err := openNode(ctx, dir, keys, centre.Options{NoCheckpoints: true})
	if err != nil {
		return nil, err
	}
	if n.token != "" && announce {
		fmt.Println(msg.T("serve.opened", dir))
		fmt.Println(msg.T("serve.operator_token", n.token))
	}
	return n, nil
}

// keyFlags say where a data directory's keys are: never in its database,
// and by default beside the directory rather than in it (DATA.keys), so that
// a copy or a backup of the data does not carry them.
type keyFlags struct{ logKey, secrets *string }

func addKeyFlags(fs *flag.FlagSet) keyFlags {
	return keyFlags{
		logKey: fs.String("log-key-file", "", "the log's checkpoint signing key, made (mode 0600) on first start (default DATA.keys/log.key, beside the data directory)"),
		secrets: fs.String("secrets", "", "the key that seals the member keys the centre holds, made (mode 0600) on first start; "+
			"or give it in TRUCE_SECRETS_KEY (default DATA.keys/secrets.key)"),
	}
}

// keysDir is where the keys of data directory dir are by default.
func keysDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Clean(dir) + ".keys"
}

func (k keyFlags) options(dir string, opt centre.Options) (centre.Options, error) {
	opt.CheckpointKeyFile, opt.CheckpointKeyFlag = *k.logKey, "--log-key-file"
	if opt.CheckpointKeyFile == "" {
		opt.CheckpointKeyFile = filepath.Join(keysDir(dir), "log.key")
	}
	if env := os.Getenv("TRUCE_SECRETS_KEY"); env != "" {
		if *k.secrets != "" {
			return opt, errors.New("give the secrets key once: --secrets FILE or TRUCE_SECRETS_KEY, not both")
		}
		s, err := centre.ParseSecrets(env)
		if err != nil {
			return opt, fmt.Errorf("TRUCE_SECRETS_KEY: %w", err)
		}
		opt.Secrets, opt.SecretsFlag = s, "TRUCE_SECRETS_KEY"
		return opt, nil
	}
	opt.SecretsFile, opt.SecretsFlag = *k.secrets, "--secrets"
	if opt.SecretsFile == "" {
		opt.SecretsFile = filepath.Join(keysDir(dir), "secrets.key")
	}
	return opt, nil
}

func (n *node) close() {
	if n.queue != nil {
		n.queue.Close()
	}
	n.centre.Close()
	n.store.Checkpoint(context.Background())
	n.store.Close()
}

// tuneGC trades memory for CPU: the server's garbage is per-request, so
// collecting four times less often buys a quarter more throughput (see
// BENCHMARKS.md). A soft memory limit keeps that trade from growing the
// heap without bound when the live heap is large (a million incidents'
// map index). Explicit GOGC and GOMEMLIMIT win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(200 << 20)
	}
}

func serve(args []string) error {
	tuneGC()
	fs := flags("serve")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	data := fs.String("data", defaultData, "data directory")
	keys := addKeyFlags(fs)
	debug := fs.String("debug-addr", "", "serve Go's profiler (/debug/pprof) on this address, for load tests")
	cpEvery := fs.Duration("checkpoint-interval", 2*time.Second, "sign a checkpoint this often")
	cpEntries := fs.Int("checkpoint-entries", 1000, "or as soon as this many statements were appended")
	witnesses := fs.String("witnesses", "", "witness configuration (JSON): who cosigns checkpoints and the policy for final ones")
	reportCutOff := fs.String("report-cutoff", report.DefaultCutOff, "the time of day at which the daily report closes")
	reportZone := fs.String("report-zone", report.DefaultZone, "the time zone the cut-off is read in")
	limits := limitFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	var wcfg *witness.Config
	if *witnesses != "" {
		c, err := witness.LoadConfig(*witnesses)
		if err != nil {
			return err
		}
		wcfg = c
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *debug != "" {
		go func() { slog.Warn("profiler stopped", "err", http.ListenAndServe(*debug, nil)) }()
	}
	reports, err := report.NewConfig(*reportCutOff, *reportZone)
	if err != nil {
		return fmt.Errorf("--report-cutoff, --report-zone: %w", err)
	}
	n, err := openNode(ctx, *data, keys, centre.Options{CheckpointInterval: *cpEvery, CheckpointEntries: *cpEntries, Witnesses: wcfg, Evaluate: true,
		Reports: reports, SpotReports: true})
	if err != nil {
		return err
	}
	defer n.close()
	n.limits = limits
	if err := n.startQueue(ctx); err != nil {
		return err
	}
	if n.token != "" {
		fmt.Println(msg.T("serve.opened", *data))
		fmt.Println(msg.T("serve.operator_token", n.token))
	}
	fmt.Println(msg.T("serve.log_key", n.centre.Log.VKey))
	return listen(ctx, *addr, n, func(url string) { fmt.Println(msg.T("serve.listening", url)) })
}

// listen serves the API until ctx ends; ready, if set, is called with the URL.
func listen(ctx context.Context, addr string, n *node, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return serveOn(ctx, ln, n, ready)
}

func serveOn(ctx context.Context, ln net.Listener, n *node, ready func(url string)) error {
	url := "http://" + ln.Addr().String()
	slog.Info("serving", "url", url, "data", n.store.Path())
	if ready != nil {
		ready(url)
	}
	lim := defaultLimits()
	if n.limits != nil {
		lim = *n.limits
	}
	a := api.New(n.centre, n.blobs)
	a.SetLimits(lim.API)
	sweep, stopSweep := context.WithCancel(ctx)
	swept := make(chan struct{})
	go func() { defer close(swept); a.SweepEvidence(sweep) }()
	defer func() { stopSweep(); <-swept }() // before the store closes
	return serveLimited(ctx, ln, web.Handler(a), lim)
}

const demoTokens = "demo-tokens.json"

func demoCmd(args []string) (err error) {
	tuneGC()
	fs := flags("demo")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	data := fs.String("data", "", "data directory (default: a new temporary directory)")
	keys := addKeyFlags(fs)
	withWitnesses := fs.Bool("witnesses", true, "run three witnesses (Ukraine's, Russia's, Switzerland's) that cosign every checkpoint (--witnesses=false: none)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Take the port first: a busy port should fail before the scenario loads.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	defer ln.Close()
	dir := *data
	if dir == "" {
		d, err := os.MkdirTemp("", "truce-demo-")
		if err != nil {
			return err
		}
		dir = d
		defer func() {
			if err != nil {
				os.RemoveAll(d) // a demo that never ran leaves nothing behind
				os.RemoveAll(keysDir(d))
			}
		}()
	}
	sc, err := demo.Load()
	if err != nil {
		return err
	}
	n, err := openNode(ctx, dir, keys, centre.Options{Name: sc.Centre, Names: sc.CentreNames, OpenedAt: sc.Start(), Evaluate: true, SpotReports: true})
	if err != nil {
		return err
	}
	defer n.close()
	if *withWitnesses {
		cfg, err := demoWitnesses(ctx, dir, n.centre.Log.VKey)
		if err != nil {
			return err
		}
		n.centre.Log.SetWitnesses(cfg)
		// The trust file the parties would exchange: the log's key, the
		// witnesses and their policy. An auditor copies it out of the data
		// directory before trusting it (truce audit --trust FILE).
		raw, _ := json.MarshalIndent(witness.Trust{LogKey: n.centre.Log.VKey, Config: *cfg}, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, "trust.json"), raw, 0o644); err != nil {
			return err
		}
	}
	var tokens []demo.Token
	if n.token != "" {
		bar := newProgress(os.Stderr, msg.T("demo.loading"))
		tokens, err = sc.Run(ctx, n.centre, n.blobs, bar.set)
		bar.done()
		if err != nil {
			return err
		}
		// A member who holds its own key gets it as a key file, as
		// member add --key-out would give it.
		for i, t := range tokens {
			if t.Key != nil {
				tokens[i].KeyFile = filepath.Join(dir, t.Member+".key")
				if err := writeKey(tokens[i].KeyFile, t.Key); err != nil {
					return err
				}
			}
		}
		tokens = append([]demo.Token{{Member: centre.OperatorID, Party: party.CentreID, Name: "Operator",
			Roles: []party.Role{party.Coordinator}, Token: n.token}}, tokens...)
		raw, _ := json.MarshalIndent(tokens, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, demoTokens), raw, 0o600); err != nil {
			return err
		}
	} else {
		raw, err := os.ReadFile(filepath.Join(dir, demoTokens))
		if err != nil {
			return fmt.Errorf("%s holds a centre that is not a demo: %w", dir, err)
		}
		if err := json.Unmarshal(raw, &tokens); err != nil {
			return err
		}
	}
	if err := n.startQueue(ctx); err != nil {
		return err
	}
	return serveOn(ctx, ln, n, func(url string) {
		fmt.Println()
		fmt.Println(msg.T("demo.ready", url, dir))
		tw := newTable(os.Stdout)
		fmt.Fprintln(tw, strings.Join([]string{msg.T("col.member"), msg.T("col.party"), msg.T("col.roles"), msg.T("col.key"), msg.T("col.token")}, "\t"))
		for _, t := range tokens {
			roles := make([]string, len(t.Roles))
			for i, r := range t.Roles {
				roles[i] = string(r)
			}
			holder := msg.T("demo.key_centre")
			if t.KeyFile != "" {
				holder = msg.T("demo.key_own")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Member, t.Party, strings.Join(roles, ","), holder, t.Token)
		}
		tw.Flush()
		for _, t := range tokens {
			if t.KeyFile != "" {
				fmt.Println(msg.T("demo.own_key", t.Member, t.KeyFile))
			}
		}
		fmt.Println()
		fmt.Println(msg.T("serve.log_key", n.centre.Log.VKey))
		if *withWitnesses {
			fmt.Println(msg.T("demo.witnesses", filepath.Join(dir, "trust.json")))
		}
		// Try it as the press: a viewer, who reads what is published.
		try := tokens[len(tokens)-1]
		for _, t := range tokens {
			if slices.Contains(t.Roles, party.Viewer) {
				try = t
				break
			}
		}
		fmt.Println(msg.T("demo.try", url, try.Token, os.Args[0]))
	})
}

// refold folds the projections again from the ledger and seals them: the
// repair for a store whose rows were changed on disk.
func refold(args []string) error {
	fs := flags("refold")
	data := fs.String("data", defaultData, "data directory")
	keys := addKeyFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*data, "truce.db")); err != nil {
		return fmt.Errorf("%s: %w", *data, err)
	}
	ctx := context.Background()
	n, err := openNode(ctx, *data, keys, centre.Options{NoCheckpoints: true, Refold: true})
	if err != nil {
		return err
	}
	defer n.close()
	size, err := n.store.Size(ctx)
	if err != nil {
		return err
	}
	fmt.Println(msg.N("refold.done", int(size)))
	return nil
}

func partyAdd(args []string) error {
	fs := flags("party add")
	data := fs.String("data", defaultData, "data directory")
	keys := addKeyFlags(fs)
	id := fs.String("id", "", "party ID, lower case (ua, ru, ch)")
	name := fs.String("name", "", "party name")
	kind := fs.String("kind", "", "belligerent, mediator, monitor or observer")
	names := map[string]string{}
	fs.Func("name-in", "the name in another language, as LANG=NAME (uk=Україна); repeat for more", func(v string) error {
		lang, n, ok := strings.Cut(v, "=")
		if !ok {
			return fmt.Errorf("want LANG=NAME, such as uk=Україна")
		}
		names[lang] = n
		return nil
	})
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ctx := context.Background()
	n, err := adminNode(ctx, *data, keys, true)
	if err != nil {
		return err
	}
	defer n.close()
	st, err := n.centre.RegisterParty(ctx, party.Register{ID: *id, Name: *name, Names: names, Kind: party.Kind(*kind)}, time.Time{})
	if err != nil {
		return err
	}
	fmt.Println(msg.T("party.added", *id, st.Seq))
	return nil
}

func memberAdd(args []string) error {
	fs := flags("member add")
	data := fs.String("data", defaultData, "data directory")
	keys := addKeyFlags(fs)
	id := fs.String("id", "", "member ID (default: derived from party and name)")
	partyID := fs.String("party", "", "party ID")
	name := fs.String("name", "", "member's name")
	roles := fs.String("roles", "", "comma-separated: representative, monitor, coordinator, viewer")
	keyOut := fs.String("key-out", "", "make the member's signing key here (the member then signs its own statements; the centre keeps no copy)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	nm := centre.NewMember{ID: *id, Party: *partyID, Name: *name}
	for _, r := range strings.Split(*roles, ",") {
		if r = strings.TrimSpace(r); r != "" {
			nm.Roles = append(nm.Roles, party.Role(r))
		}
	}
	pub, priv, err := memberKey(*keyOut)
	if err != nil {
		return err
	}
	nm.PublicKey = pub
	ctx := context.Background()
	n, err := adminNode(ctx, *data, keys, !*asJSON) // --json carries the operator token itself
	if err != nil {
		return err
	}
	defer n.close()
	token, st, err := n.centre.AddMember(ctx, nm)
	if err != nil {
		return err
	}
	var added party.Add
	json.Unmarshal(st.Statement.Payload, &added)
	if priv != nil {
		if err := writeKey(*keyOut, priv); err != nil {
			return err
		}
	}
	if *asJSON {
		out := map[string]any{"member": added.ID, "party": added.Party, "token": token, "seq": st.Seq, "key_file": *keyOut}
		if n.token != "" {
			out["new_centre_operator_token"] = n.token
		}
		return printJSON(out)
	}
	fmt.Println(msg.T("member.added", added.ID, added.Party, st.Seq))
	fmt.Println(msg.T("member.token", token))
	if priv != nil {
		fmt.Println(msg.T("member.key", *keyOut))
	}
	return nil
}

func memberRotate(args []string) error {
	fs := flags("member rotate")
	data := fs.String("data", defaultData, "data directory")
	keys := addKeyFlags(fs)
	id := fs.String("member", "", "member ID")
	keyOut := fs.String("key-out", "", "make the new key here, for the member to hold (default: the centre keeps it)")
	reason := fs.String("reason", "", "why the key changes")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	pub, priv, err := memberKey(*keyOut)
	if err != nil {
		return err
	}
	ctx := context.Background()
	n, err := adminNode(ctx, *data, keys, true)
	if err != nil {
		return err
	}
	defer n.close()
	st, err := n.centre.RotateKey(ctx, *id, pub, *reason)
	if err != nil {
		return err
	}
	if priv != nil {
		if err := writeKey(*keyOut, priv); err != nil {
			return err
		}
	}
	fmt.Println(msg.T("member.rotated", *id, st.Seq))
	return nil
}

// memberKey makes a key pair for a member who will hold its own key in
// keyOut; with keyOut empty the centre makes and keeps the key (nil, nil).
func memberKey(keyOut string) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	if keyOut == "" {
		return nil, nil, nil
	}
	if _, err := os.Stat(keyOut); err == nil {
		return nil, nil, fmt.Errorf("%s exists: choose another --key-out, a key file is never overwritten", keyOut)
	}
	return ed25519.GenerateKey(rand.Reader)
}
