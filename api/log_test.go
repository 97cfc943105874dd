package api_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"truce/api"
	"truce/checkpoint"
	"truce/ledger"
	"truce/store/storetest"
)

func decodeHashes(t *testing.T, in []string) []tlog.Hash {
	t.Helper()
	out := make([]tlog.Hash, len(in))
	for i, s := range in {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			t.Fatalf("hash %q", s)
		}
		copy(out[i][:], b)
	}
	return out
}

// A client that knows only the log's key checks the checkpoint, every
// statement's inclusion, the consistency of two checkpoints and the tiles.
func TestTransparencyLog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.must(e.get("/log/checkpoint", ""), 404)
	e.f.Walk(t)
	first, err := e.f.Centre.Log.Checkpoint(ctx)
	if err != nil || first == nil {
		t.Fatalf("checkpoint: %v", err)
	}
	vkey := strings.TrimSpace(string(e.must(e.get("/log/key", ""), 200).body))
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	c1, _, err := checkpoint.Open(e.must(e.get("/log/checkpoint", ""), 200).body, v)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ { // enough to fill a whole tile
		e.f.Say(t, storetest.UARep, "incident.report", storetest.Report())
	}
	if _, err := e.f.Centre.Log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	c2, _, err := checkpoint.Open(e.must(e.get("/log/checkpoint", ""), 200).body, v)
	if err != nil || c2.Size <= c1.Size || c2.Size != int64(e.size()) {
		t.Fatalf("second checkpoint %+v: %v", c2, err)
	}
	// Inclusion of every statement, from its leaf as the API shows it.
	var page struct {
		Items []api.StatementView `json:"items"`
	}
	e.must(e.get("/v1/statements?limit=1000", storetest.Coord), 200).json(t, &page)
	for _, sv := range page.Items {
		var p api.Proof
		e.must(e.get(sv.InclusionProof, ""), 200).json(t, &p)
		st, _, err := ledger.ParseStatement(sv.Statement)
		if err != nil {
			t.Fatal(err)
		}
		leaf := (&ledger.Signed{Statement: st, Body: sv.Statement, Sig: sv.Signature}).LeafHash()
		if err := tlog.CheckRecord(decodeHashes(t, p.Hashes), c2.Size, c2.Root, int64(sv.Seq), tlog.Hash(leaf)); err != nil {
			t.Fatalf("statement %d: %v", sv.Seq, err)
		}
	}
	// Consistency between the two checkpoints.
	var cp api.Proof
	e.must(e.get(fmt.Sprintf("/log/proof/consistency?old=%d&new=%d", c1.Size, c2.Size), ""), 200).json(t, &cp)
	if err := tlog.CheckTree(decodeHashes(t, cp.Hashes), c2.Size, c2.Root, c1.Size, c1.Root); err != nil {
		t.Fatalf("consistency: %v", err)
	}
	// Tiles: level 0 tile 0 is complete; its hashes are the leaves.
	tile := e.must(e.get("/log/tile/0/000", ""), 200).body
	if len(tile) != 256*32 {
		t.Fatalf("tile of %d bytes", len(tile))
	}
	for i := 0; i < 3; i++ {
		var p api.Proof
		e.must(e.get(fmt.Sprintf("/log/proof/inclusion?index=%d", i), ""), 200).json(t, &p)
		if base64.StdEncoding.EncodeToString(tile[i*32:(i+1)*32]) != p.Leaf {
			t.Fatalf("tile hash %d differs from the leaf hash", i)
		}
	}
	partial := c2.Size - 256
	e.must(e.get(fmt.Sprintf("/log/tile/0/001.p/%d", partial), ""), 200)
	e.must(e.get("/log/tile/1/000.p/1", ""), 200)
	// Entry bundles need membership and hold the leaves.
	e.must(e.get("/log/tile/entries/000", ""), 401)
	bundle := e.must(e.get("/log/tile/entries/000", storetest.Coord), 200).body
	n := 0
	for len(bundle) > 0 {
		l := int(binary.BigEndian.Uint16(bundle))
		leaf := bundle[2 : 2+l]
		if h := tlog.RecordHash(leaf); base64.StdEncoding.EncodeToString(h[:]) != base64.StdEncoding.EncodeToString(tile[n*32:(n+1)*32]) {
			t.Fatalf("entry %d does not hash to its tile leaf", n)
		}
		bundle = bundle[2+l:]
		n++
	}
	if n != 256 {
		t.Fatalf("%d entries in a full bundle", n)
	}
}

// Bad proof and tile requests are 4xx, never 5xx.
func TestBadLogRequests(t *testing.T) {
	e := newEnv(t)
	e.f.Walk(t)
	if _, err := e.f.Centre.Log.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	size := e.size()
	for _, path := range []string{
		"/log/proof/inclusion",
		"/log/proof/inclusion?index=-1",
		fmt.Sprintf("/log/proof/inclusion?index=%d", size),
		fmt.Sprintf("/log/proof/inclusion?index=0&size=%d", size+1),
		"/log/proof/inclusion?index=0&size=0",
		"/log/proof/inclusion?index=zero",
		"/log/proof/inclusion?index=1&colour=red",
		"/log/proof/consistency",
		"/log/proof/consistency?old=0",
		fmt.Sprintf("/log/proof/consistency?old=%d", size+1),
		fmt.Sprintf("/log/proof/consistency?old=2&new=%d", size+5),
		"/log/proof/consistency?old=99999999999999999999",
		"/log/tile/0/999", "/log/tile/0/000", "/log/tile/64/000", "/log/tile/0/0", "/log/tile/0/x000",
		"/log/tile/0/000.p/0", "/log/tile/0/000.p/256", "/log/tile/0/x999/x999/x999/x999/x999/x999/999",
		"/log/tile/entries/001", "/log/tile/-1/000", "/log/tile/abc", "/log/tile/",
	} {
		r := e.get(path, storetest.Coord)
		if r.status < 400 || r.status >= 500 {
			t.Errorf("%s: status %d, want 4xx: %s", path, r.status, r.body)
			continue
		}
		problemOf(t, r)
	}
}
