package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"truce/api"
	"truce/audit"
	"truce/blobs"
	"truce/centre"
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
	logKey := fs.String("log-key", "", "the log's checkpoint verifier key (default: what the source says, which proves less)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	witnesses := fs.String("witnesses", "", "witness configuration: also check the checkpoints' cosignatures against its policy")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ctx := context.Background()
	var (
		src   audit.Source
		vkey  = *logKey
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
		if vkey == "" {
			vkey, _ = st.LogSetting(ctx, "checkpoint_verifier_key")
		}
	} else {
		c, err := connect()
		if err != nil {
			return err
		}
		hs := &httpSource{c: c}
		if vkey == "" {
			raw, err := hs.text("/log/key")
			if err != nil {
				return err
			}
			vkey = strings.TrimSpace(raw)
		}
		src = hs
	}
	opt := audit.Options{}
	if *witnesses != "" {
		cfg, err := witness.LoadConfig(*witnesses)
		if err != nil {
			return err
		}
		opt.Witnesses = cfg
	}
	if vkey != "" {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return fmt.Errorf("--log-key: %w", err)
		}
		opt.LogKey = v
	}
	if *logKey == "" && !*asJSON {
		fmt.Fprintln(os.Stderr, msg.T("audit.key_from_source"))
	}
	bar := newProgress(os.Stderr, msg.T("audit.checking"))
	opt.Progress = func(done, total int64) { bar.set64(done, total) }
	rep, err := audit.Run(ctx, src, opt)
	bar.done()
	if err != nil {
		return err
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
		if opt.Witnesses != nil {
			fmt.Println(msg.T("audit.cosigned", rep.Cosigned, rep.Checkpoints))
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
	return nil
}

// auditProjections replays the ledger into a scratch store and compares the
// projections with those the data directory holds.
func auditProjections(ctx context.Context, st *sqlite.Store, rep *audit.Report) error {
	if rep.First() != nil {
		return nil // a replay of a damaged ledger only repeats what is known
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
		line := "(missing)"
		if i < len(have) {
			line = have[i]
		}
		rep.Findings = append(rep.Findings, audit.Finding{Index: -1,
			What: fmt.Sprintf("the projections differ from a replay of the ledger, first at: %.120s", line)})
	}
	return nil
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
				f, err := bs.Open(e.SHA256)
				if err != nil {
					rep.Findings = append(rep.Findings, audit.Finding{Index: int64(inc.Seq), What: fmt.Sprintf("evidence %s of %s is missing", e.SHA256, inc.ID)})
					continue
				}
				h := sha256.New()
				_, err = io.Copy(h, f)
				f.Close()
				if err != nil || hex.EncodeToString(h.Sum(nil)) != e.SHA256 {
					rep.Findings = append(rep.Findings, audit.Finding{Index: int64(inc.Seq), What: fmt.Sprintf("evidence file %s of %s no longer has that SHA-256", e.SHA256, inc.ID)})
				}
			}
		}
		if page.Next == 0 {
			return nil
		}
		before = page.Next
	}
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
