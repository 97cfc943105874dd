package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"truce/agreement"
	"truce/incident"
	"truce/ledger"
)

// readAgreementFile reads a plain document or a signed export (truce
// agreement export), whose signatures evaluation does not need.
func readAgreementFile(path string) (*agreement.Document, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, signed := top["agreement"]; signed {
		var f agreement.File
		if err := ledger.Decode(raw, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := f.Agreement.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &f.Agreement, nil
	}
	return readDocument(path)
}

// evalResult is one event's verdict.
type evalResult struct {
	ID         string                       `json:"id"`
	Violations []incident.PossibleViolation `json:"violations"`
}

// evalCmd judges a file of events against an agreement, offline.
func evalCmd(args []string) error {
	fs := flags("eval")
	agreementPath := fs.String("agreement", "", "agreement or plan file (JSON)")
	at := fs.String("at", "", "judge every event as if observed at this time (RFC 3339)")
	typ := fs.String("type", "", "incident type for events that name none (default shelling)")
	asJSON := fs.Bool("json", false, "print one JSON line per event")
	all := fs.Bool("all", false, "print events without possible violations too")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := arity(fs, pos, 1, "cli.need_file"); err != nil {
		return err
	}
	if *agreementPath == "" {
		fs.Usage()
		return fmt.Errorf("%s", msg.T("eval.need_agreement"))
	}
	doc, err := readAgreementFile(*agreementPath)
	if err != nil {
		return err
	}
	def := agreement.Defaults{Type: incident.Type(*typ)}
	if *at != "" {
		if def.At, err = time.Parse(time.RFC3339, *at); err != nil {
			return fmt.Errorf("--at: %w", err)
		}
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	recs, err := agreement.ReadEvents(f, def)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	start := time.Now()
	e, err := agreement.Compile(doc)
	if err != nil {
		return err
	}
	results := make([]evalResult, len(recs))
	prog := newProgress(os.Stderr, msg.T("eval.progress"))
	var done atomic.Int64
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(recs); i += workers {
				results[i] = evalResult{ID: recs[i].ID, Violations: e.Evaluate(recs[i].Event)}
				if n := done.Add(1); w == 0 {
					prog.set64(n, int64(len(recs)))
				}
			}
		}()
	}
	wg.Wait()
	prog.set(len(recs), len(recs))
	prog.done()
	took := time.Since(start)
	perTerm := map[string]int{}
	flagged, outside := 0, 0
	for _, r := range recs {
		if !e.InForce(r.At) {
			outside++
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for _, r := range results {
		if len(r.Violations) > 0 {
			flagged++
		}
		for _, v := range r.Violations {
			perTerm[v.Term]++
		}
		if len(r.Violations) == 0 && !*all {
			continue
		}
		if *asJSON {
			if r.Violations == nil {
				r.Violations = []incident.PossibleViolation{}
			}
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		parts := make([]string, len(r.Violations))
		for i, v := range r.Violations {
			parts[i] = msg.Violation(v)
		}
		fmt.Printf("%s\t%s\n", r.ID, strings.Join(parts, "; "))
	}
	terms := make([]string, 0, len(perTerm))
	for t := range perTerm {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	fmt.Fprintln(os.Stderr, msg.N("eval.summary", len(recs), flagged, took.Round(time.Millisecond)))
	if outside > 0 {
		fmt.Fprintln(os.Stderr, msg.N("eval.outside", outside))
	}
	for _, t := range terms {
		fmt.Fprintln(os.Stderr, msg.T("eval.term", t, perTerm[t]))
	}
	return nil
}
