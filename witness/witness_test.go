package witness

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"truce/checkpoint"
)

// testLog is an in-memory log with a checkpoint key.
type testLog struct {
	hashes []tlog.Hash
	size   int64
	signer *checkpoint.Signer
	vkey   string
	origin string
}

func newTestLog(t testing.TB) *testLog {
	skey, vkey, err := checkpoint.NewKey("truce.invalid/test-log")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := checkpoint.NewSigner(skey)
	return &testLog{signer: s, vkey: vkey, origin: "truce.invalid/test-log"}
}

func (l *testLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(l.hashes)) {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = l.hashes[x]
	}
	return out, nil
}

func (l *testLog) grow(t testing.TB, to int64) {
	for ; l.size < to; l.size++ {
		hs, err := tlog.StoredHashes(l.size, []byte(fmt.Sprintf("entry %d", l.size)), l)
		if err != nil {
			t.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
	}
}

func (l *testLog) checkpoint(t testing.TB, size int64) []byte {
	root, err := tlog.TreeHash(size, l)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := l.signer.Sign(checkpoint.Checkpoint{Origin: l.origin, Size: size, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func (l *testLog) proof(t testing.TB, old, size int64) []tlog.Hash {
	if old == 0 || old == size {
		return nil
	}
	p, err := tlog.ProveTree(size, old, l)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newWitness(t testing.TB, dir string, l *testLog) (*Witness, string) {
	skey, vkey, err := NewKeys("witness-ua")
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(dir, skey, map[string]string{l.origin: l.vkey})
	if err != nil {
		t.Fatal(err)
	}
	return w, vkey
}

func status(err error) int {
	var we *Error
	if errors.As(err, &we) {
		return we.Status
	}
	return 0
}

func TestProtocol(t *testing.T) {
	l := newTestLog(t)
	l.grow(t, 40)
	dir := t.TempDir()
	w, vkey := newWitness(t, dir, l)
	srv := httptest.NewServer(w)
	defer srv.Close()
	cl := &Client{URL: srv.URL}
	ctx := context.Background()
	wv, err := NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := note.NewVerifier(l.vkey)
	old := int64(0)
	for _, size := range []int64{5, 10, 10, 33} {
		signed := l.checkpoint(t, size)
		line, err := cl.Add(ctx, old, l.proof(t, old, size), signed)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		// The cosignature verifies over the checkpoint, next to the log's own signature.
		n, err := note.Open(append(signed, line...), note.VerifierList(lv, wv))
		if err != nil || len(n.Sigs) != 2 {
			t.Fatalf("cosigned checkpoint: %v", err)
		}
		old = size
	}
	// State is durable: a restarted witness remembers size 33.
	skey2, _, _ := NewKeys("witness-ua")
	w2, err := New(dir, skey2, map[string]string{l.origin: l.vkey})
	if err != nil || w2.State(l.origin).Size != 33 {
		t.Fatalf("restarted witness: %v", err)
	}
	if w.State(l.origin).Size != 33 {
		t.Fatalf("witness at %d", w.State(l.origin).Size)
	}
	// Rollback: an older checkpoint is refused with the witness's size.
	_, err = cl.Add(ctx, 0, nil, l.checkpoint(t, 20))
	var we *Error
	if !errors.As(err, &we) || we.Status != 409 || we.Size != 33 {
		t.Fatalf("rollback: %v", err)
	}
	if _, err := cl.Add(ctx, 33, nil, l.checkpoint(t, 20)); status(err) != 400 {
		t.Fatalf("old beyond the checkpoint: %v", err)
	}
	// A bad consistency proof, an unknown log, a forged signature, garbage.
	bad := l.proof(t, 33, 40)
	bad[0][0] ^= 1
	if _, err := cl.Add(ctx, 33, bad, l.checkpoint(t, 40)); status(err) != 422 {
		t.Fatalf("bad proof: %v", err)
	}
	other := newTestLog(t)
	other.origin = "truce.invalid/other"
	skey, vk, _ := checkpoint.NewKey(other.origin)
	other.signer, _ = checkpoint.NewSigner(skey)
	other.vkey = vk
	other.grow(t, 3)
	if _, err := cl.Add(ctx, 0, nil, other.checkpoint(t, 3)); status(err) != 404 {
		t.Fatalf("unknown log: %v", err)
	}
	forged := l.checkpoint(t, 40)
	forged[len(forged)-5] ^= 1
	if _, err := cl.Add(ctx, 33, l.proof(t, 33, 40), forged); status(err) != 403 && status(err) != 400 {
		t.Fatalf("forged signature: %v", err)
	}
	if w.State(l.origin).Size != 33 {
		t.Fatal("a refused request moved the witness")
	}
}

// Split view: the operator signs two different checkpoints of one size.
// The witness refuses the second, and a client that saw the first gets an
// error that carries both.
func TestSplitView(t *testing.T) {
	a := newTestLog(t)
	a.grow(t, 20)
	b := &testLog{signer: a.signer, vkey: a.vkey, origin: a.origin} // same key, other entries
	for ; b.size < 20; b.size++ {
		hs, _ := tlog.StoredHashes(b.size, []byte(fmt.Sprintf("other entry %d", b.size)), b)
		b.hashes = append(b.hashes, hs...)
	}
	w, _ := newWitness(t, t.TempDir(), a)
	first, second := a.checkpoint(t, 20), b.checkpoint(t, 20)
	if _, err := w.AddCheckpoint(0, nil, first); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddCheckpoint(20, nil, second); status(err) != 409 {
		t.Fatalf("the second view was not refused: %v", err)
	}
	lv, _ := note.NewVerifier(a.vkey)
	f := checkpoint.NewFollower(lv)
	if err := f.Observe(first, nil); err != nil {
		t.Fatal(err)
	}
	err := f.Observe(second, nil)
	var sv *checkpoint.SplitViewError
	if !errors.As(err, &sv) || string(sv.First) != string(first) || string(sv.Second) != string(second) {
		t.Fatalf("follower: %v", err)
	}
	// A larger tree that does not extend the first is caught by its proof.
	b.grow(t, 30)
	if err := f.Observe(b.checkpoint(t, 30), b.proof(t, 20, 30)); !errors.As(err, &sv) {
		t.Fatalf("inconsistent growth: %v", err)
	}
}

// 1,000 concurrent add-checkpoint calls never make the witness go back.
func TestConcurrentAddCheckpoint(t *testing.T) {
	l := newTestLog(t)
	l.grow(t, 1000)
	w, _ := newWitness(t, t.TempDir(), l)
	signed := make([][]byte, 1001)
	for s := int64(1); s <= 1000; s++ {
		signed[s] = l.checkpoint(t, s)
	}
	var (
		wg      sync.WaitGroup
		stop    = make(chan struct{})
		wentBad atomic.Bool
	)
	go func() { // watch the witness's size
		last := int64(0)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if s := w.State(l.origin).Size; s < last {
				wentBad.Store(true)
			} else {
				last = s
			}
		}
	}()
	for i := 1; i <= 1000; i++ {
		wg.Add(1)
		go func(size int64) {
			defer wg.Done()
			old := int64(0)
			for attempt := 0; attempt < 50; attempt++ {
				_, err := w.AddCheckpoint(old, l.proof(t, old, size), signed[size])
				var we *Error
				if errors.As(err, &we) && we.Status == 409 {
					if we.Size > size {
						return // the witness is past us: refused, as it must be
					}
					old = we.Size
					continue
				}
				if err != nil && status(err) != 400 {
					t.Errorf("size %d: %v", size, err)
				}
				return
			}
		}(int64(i))
	}
	wg.Wait()
	close(stop)
	if wentBad.Load() {
		t.Fatal("the witness's size went down")
	}
	if got := w.State(l.origin).Size; got < 1 || got > 1000 {
		t.Fatalf("final size %d", got)
	}
}

// One key counts once, however often it signs and under whatever name.
func TestThresholdCountsKeysOnce(t *testing.T) {
	l := newTestLog(t)
	l.grow(t, 5)
	signed := l.checkpoint(t, 5)
	skey, vkey, _ := NewKeys("ch")
	cs, _ := NewCosigner(skey)
	// The same key listed again under a second name.
	v1, err := NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	alias := fmt.Sprintf("ch-alias+%08x+%s", keyHash("ch-alias", algCosignatureV1, v1.Key()), splitB64(vkey))
	aliasSigner := &Cosigner{name: "ch-alias", key: cs.key, hash: keyHash("ch-alias", algCosignatureV1, v1.Key()), now: cs.now}
	skey2, vkey2, _ := NewKeys("tr")
	cs2, _ := NewCosigner(skey2)
	cfg := &Config{
		Witnesses: []Member{{Name: "ch", Key: vkey}, {Name: "ch-alias", Key: alias}, {Name: "tr", Key: vkey2}},
		Policy:    []Group{{Group: "monitors", Threshold: 2, Witnesses: []string{"ch", "ch-alias", "tr"}}},
	}
	lv, _ := note.NewVerifier(l.vkey)
	n, _ := note.Open(signed, note.VerifierList(lv))
	cosign := func(signers ...note.Signer) []byte {
		out, err := note.Sign(&note.Note{Text: n.Text}, append([]note.Signer{}, signers...)...)
		if err != nil {
			t.Fatal(err)
		}
		lines := signatureLines(out)
		res := append([]byte{}, signed...)
		for _, line := range lines {
			res = append(res, line+"\n"...)
		}
		return res
	}
	v, err := cfg.Judge(cosign(cs, aliasSigner), lv)
	if err != nil || v.Final {
		t.Fatalf("one key under two names counted twice: %+v %v", v, err)
	}
	v, err = cfg.Judge(cosign(cs, cs), lv)
	if err != nil || v.Final {
		t.Fatalf("one key signing twice counted twice: %+v %v", v, err)
	}
	v, err = cfg.Judge(cosign(cs, cs2), lv)
	if err != nil || !v.Final {
		t.Fatalf("two keys did not meet 2-of-3: %+v %v", v, err)
	}
}

func splitB64(vkey string) string {
	_, _, rest := cut3(vkey)
	return rest
}

func cut3(s string) (string, string, string) {
	var parts [3]string
	i := 0
	for j, r := range s {
		if r == '+' && i < 2 {
			i++
			continue
		}
		_ = j
		parts[i] += string(r)
	}
	return parts[0], parts[1], parts[2]
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("old 0\n\ntruce.invalid/x\n1\nAAAA\n\n— x y\n"))
	f.Add([]byte("old 5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\ncp"))
	f.Add([]byte("old -1\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		old, proof, signed, err := ParseRequest(body)
		if err != nil {
			return
		}
		if old < 0 || len(proof) > 63 || len(signed) == 0 {
			t.Fatalf("accepted old %d, %d hashes, %d bytes", old, len(proof), len(signed))
		}
	})
}
