package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"truce/ledger"
)

// The transparency log is served under /log/ in the C2SP tlog-tiles layout,
// so that standard tooling can read it: /log/checkpoint, hash tiles at
// /log/tile/<L>/<N>[.p/<W>] and entry bundles at /log/tile/entries/<N>[.p/<W>].
// Proofs are computed from the same hashes.

// TileHeight is the C2SP tlog-tiles tile height.
const TileHeight = 8

func (s *Server) logCheckpoint(w http.ResponseWriter, r *http.Request) {
	signed, _, err := s.centre.Log.Published(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	if signed == nil {
		fail(w, r, ledger.NotFound("no checkpoint has been signed (and, with witnesses, cosigned as the policy requires) yet"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(signed)
}

func (s *Server) logKey(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, s.centre.Log.VKey)
}

// parseTilePath reads "<L>/<N>[.p/<W>]" or "entries/<N>[.p/<W>]", where N
// is written in groups of three digits, all but the last prefixed with "x".
func parseTilePath(p string) (level int, n int64, width int, err error) {
	bad := func(why string) (int, int64, int, error) { return 0, 0, 0, ledger.Invalid("tile", "%s: %q", why, p) }
	parts := strings.Split(p, "/")
	if len(parts) < 2 {
		return bad("want <L>/<N> or entries/<N>")
	}
	if parts[0] == "entries" {
		level = -1
	} else {
		l, err := strconv.Atoi(parts[0])
		if err != nil || l < 0 || l > 63 || strconv.Itoa(l) != parts[0] {
			return bad("bad level")
		}
		level = l
	}
	width = 1 << TileHeight
	rest := parts[1:]
	if k := len(rest); k >= 2 && strings.HasSuffix(rest[k-2], ".p") {
		w, err := strconv.Atoi(rest[k-1])
		if err != nil || w < 1 || w >= 1<<TileHeight || strconv.Itoa(w) != rest[k-1] {
			return bad("bad partial width")
		}
		width = w
		rest = append(rest[:k-2:k-2], strings.TrimSuffix(rest[k-2], ".p"))
	}
	if len(rest) == 0 || len(rest) > 7 {
		return bad("bad tile index")
	}
	for i, e := range rest {
		if i < len(rest)-1 {
			if !strings.HasPrefix(e, "x") {
				return bad("bad tile index")
			}
			e = e[1:]
		}
		if len(e) != 3 || strings.Trim(e, "0123456789") != "" {
			return bad("bad tile index")
		}
		d, _ := strconv.Atoi(e)
		n = n*1000 + int64(d)
	}
	return level, n, width, nil
}

func (s *Server) logTile(w http.ResponseWriter, r *http.Request) {
	level, n, width, err := parseTilePath(r.PathValue("path"))
	if err != nil {
		badRequest(w, r, err)
		return
	}
	size, err := s.checkpointSize(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	// A tile exists once the checkpointed tree covers it at this width. A
	// level-L hash covers 256^L leaves; a tile holds up to 256 hashes. Past
	// level 6 a tile would span more than 2^63 leaves: none can exist.
	if level > 6 {
		fail(w, r, ledger.NotFound("no tile at level %d", level))
		return
	}
	first, span := n<<TileHeight, int64(width)
	if level >= 0 {
		first, span = n<<(TileHeight*(level+1)), int64(width)<<(TileHeight*level)
	}
	if n > 1<<40 || first+span > size {
		fail(w, r, ledger.NotFound("tile beyond the checkpointed tree (size %d)", size))
		return
	}
	if level < 0 {
		if !s.ledgerReader(w, r) { // entries hold unpublished statements
			return
		}
		sts, err := s.centre.Store.Statements(r.Context(), uint64(first), width)
		if err != nil {
			fail(w, r, err)
			return
		}
		var out []byte
		for _, st := range sts {
			leaf := st.Leaf()
			out = append(out, byte(len(leaf)>>8), byte(len(leaf)))
			out = append(out, leaf...)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(out)
		return
	}
	data, err := tlog.ReadTileData(tlog.Tile{H: TileHeight, L: level, N: n, W: width}, s.centre.Store)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(data)
}

// checkpointSize is the size of the latest signed checkpoint: tiles and
// proofs are served for what has been committed to, nothing newer.
func (s *Server) checkpointSize(r *http.Request) (int64, error) {
	_, c, err := s.centre.Log.Published(r.Context())
	if err != nil {
		return 0, err
	}
	if c == nil {
		return 0, ledger.NotFound("no checkpoint has been signed yet")
	}
	return c.Size, nil
}

// Proof is an inclusion or consistency proof as the API serves it.
type Proof struct {
	Index  *int64   `json:"index,omitempty"`
	Old    *int64   `json:"old,omitempty"`
	Size   int64    `json:"size"`
	Root   string   `json:"root"`
	Leaf   string   `json:"leaf_hash,omitempty"`
	Hashes []string `json:"hashes"`
}

func hashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// sizeParam reads a tree size that must lie within the checkpointed tree.
func (s *Server) sizeParam(r *http.Request, q params, name string) (int64, error) {
	latest, err := s.checkpointSize(r)
	if err != nil {
		return 0, err
	}
	v, ok := q[name]
	if !ok {
		return latest, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > latest {
		return 0, ledger.Invalid(name, "must be a tree size between 1 and the latest checkpoint's %d", latest)
	}
	return n, nil
}

func (s *Server) inclusionProof(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "index", "size")
	if err == nil {
		_, ok := q["index"]
		if !ok {
			err = ledger.Invalid("index", "is required")
		}
	}
	if err != nil {
		badRequest(w, r, err)
		return
	}
	size, err := s.sizeParam(r, q, "size")
	if err != nil {
		fail(w, r, err)
		return
	}
	index, err := strconv.ParseInt(q["index"], 10, 64)
	if err != nil || index < 0 || index >= size {
		badRequest(w, r, ledger.Invalid("index", "must be a ledger index below the tree size %d", size))
		return
	}
	p, err := tlog.ProveRecord(size, index, s.centre.Store)
	if err != nil {
		fail(w, r, err)
		return
	}
	root, err := tlog.TreeHash(size, s.centre.Store)
	if err != nil {
		fail(w, r, err)
		return
	}
	leaf, err := s.centre.Store.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Proof{Index: &index, Size: size, Root: base64.StdEncoding.EncodeToString(root[:]),
		Leaf: base64.StdEncoding.EncodeToString(leaf[0][:]), Hashes: hashes(p)})
}

func (s *Server) consistencyProof(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "old", "new")
	if err == nil {
		if _, ok := q["old"]; !ok {
			err = ledger.Invalid("old", "is required")
		}
	}
	if err != nil {
		badRequest(w, r, err)
		return
	}
	size, err := s.sizeParam(r, q, "new")
	if err != nil {
		fail(w, r, err)
		return
	}
	old, err := strconv.ParseInt(q["old"], 10, 64)
	if err != nil || old < 1 || old > size {
		badRequest(w, r, ledger.Invalid("old", "must be a tree size between 1 and %d", size))
		return
	}
	p, err := tlog.ProveTree(size, old, s.centre.Store)
	if err != nil {
		fail(w, r, err)
		return
	}
	root, err := tlog.TreeHash(size, s.centre.Store)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Proof{Old: &old, Size: size, Root: base64.StdEncoding.EncodeToString(root[:]), Hashes: hashes(p)})
}
