package witness

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"truce/checkpoint"
)

// LogState is what a witness remembers of a log: the latest checkpoint it
// cosigned.
type LogState struct {
	Size int64     `json:"size"`
	Root tlog.Hash `json:"root"`
	// Cosigned is that checkpoint as signed by the log, with this
	// witness's cosignature: auditors fetch it (GET /checkpoint) and check
	// that the log's ledger extends it, so a truncation or a rollback is
	// named as such.
	Cosigned []byte `json:"cosigned,omitempty"`
}

// Witness follows logs and cosigns their checkpoints.
type Witness struct {
	cosigner *Cosigner
	logs     map[string]note.Verifier // origin → the log's checkpoint key
	path     string                   // state file

	mu    sync.Mutex
	state map[string]LogState
	forks []Fork // shown since start, with what they contradict
}

// New opens a witness whose state lives in dir/state.json. logs maps each
// followed log's origin to its checkpoint verifier key.
func New(dir, skey string, logs map[string]string) (*Witness, error) {
	c, err := NewCosigner(skey)
	if err != nil {
		return nil, err
	}
	w := &Witness{cosigner: c, logs: map[string]note.Verifier{}, path: filepath.Join(dir, "state.json"), state: map[string]LogState{}}
	for origin, vkey := range logs {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return nil, fmt.Errorf("log %s: %w", origin, err)
		}
		if v.Name() != origin {
			return nil, fmt.Errorf("log %s: its key is named %q", origin, v.Name())
		}
		w.logs[origin] = v
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(w.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(raw, &w.state); err != nil {
			return nil, fmt.Errorf("witness state %s: %w", w.path, err)
		}
	}
	return w, nil
}

// Verifier is the witness's cosignature verifier.
func (w *Witness) Verifier() *CosignatureVerifier { return w.cosigner.Public() }

// State returns what the witness holds for origin.
func (w *Witness) State(origin string) LogState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state[origin]
}

// save writes the state durably: a new file, synced, renamed over the old.
func (w *Witness) save() error {
	raw, _ := json.Marshal(w.state)
	tmp := w.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, w.path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(w.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Error is a refusal with the protocol's HTTP status. For a 409 Size holds
// the witness's size for the log, which the log should retry from.
type Error struct {
	Status int
	Size   int64
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Msg) }

func refuse(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// AddCheckpoint is the protocol's operation: given the size the log
// believes the witness has (old), a consistency proof from old to the new
// checkpoint, and the signed checkpoint, check and cosign it. It returns
// the witness's cosignature line(s).
func (w *Witness) AddCheckpoint(old int64, proof []tlog.Hash, signed []byte) ([]byte, error) {
	text, _, ok := bytes.Cut(signed, []byte("\n"))
	if !ok {
		return nil, refuse(http.StatusBadRequest, "not a checkpoint")
	}
	origin := string(text)
	v, ok := w.logs[origin]
	if !ok {
		return nil, refuse(http.StatusNotFound, "unknown log %q", origin)
	}
	c, n, err := checkpoint.Open(signed, v)
	if err != nil {
		return nil, refuse(http.StatusForbidden, "checkpoint not signed by the log's key: %v", err)
	}
	if old < 0 || old > c.Size {
		return nil, refuse(http.StatusBadRequest, "old size %d is not within 0..%d", old, c.Size)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.state[origin]
	// A checkpoint the log signed for a size the witness has cosigned with
	// another root is a fork, whatever old size the log claims: kept as
	// evidence.
	if c.Size == st.Size && c.Size > 0 && c.Root != st.Root {
		w.keepFork(origin, signed)
		return nil, &Error{Status: http.StatusConflict, Size: st.Size, Msg: fmt.Sprintf("fork: a different root at size %d than the one cosigned", c.Size)}
	}
	if c.Size < st.Size {
		// Smaller than what was cosigned: a rollback unless the log merely
		// lags; either way the log retries from the witness's size.
		return nil, &Error{Status: http.StatusConflict, Size: st.Size, Msg: fmt.Sprintf("the witness is at size %d, beyond %d", st.Size, c.Size)}
	}
	if old != st.Size {
		return nil, &Error{Status: http.StatusConflict, Size: st.Size, Msg: fmt.Sprintf("the witness is at size %d, not %d", st.Size, old)}
	}
	switch {
	case old == c.Size:
		if len(proof) != 0 {
			return nil, refuse(http.StatusUnprocessableEntity, "a proof between equal sizes must be empty")
		}
	case old > 0:
		if err := tlog.CheckTree(proof, c.Size, c.Root, old, st.Root); err != nil {
			// The log signed a checkpoint its own earlier one does not
			// extend, unless the proof alone is wrong: kept either way.
			w.keepFork(origin, signed)
			return nil, refuse(http.StatusUnprocessableEntity, "consistency proof from %d to %d fails: %v", old, c.Size, err)
		}
	}
	cosigned, err := note.Sign(&note.Note{Text: n.Text}, w.cosigner)
	if err != nil {
		return nil, err
	}
	lines := []byte(strings.Join(signatureLines(cosigned), "\n") + "\n")
	prev := st
	w.state[origin] = LogState{Size: c.Size, Root: c.Root, Cosigned: append(append([]byte{}, signed...), lines...)}
	if err := w.save(); err != nil {
		w.state[origin] = prev
		return nil, fmt.Errorf("witness state: %w", err)
	}
	return lines, nil
}

// keepFork stores a checkpoint signed by the log that contradicts what the
// witness cosigned: proof, for anyone, that the log showed two histories.
// Called with w.mu held.
func (w *Witness) keepFork(origin string, signed []byte) {
	sum := sha256.Sum256(signed)
	dir := filepath.Join(filepath.Dir(w.path), "forks")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return
	}
	name := filepath.Join(dir, hex.EncodeToString(sum[:])+".checkpoint")
	if _, err := os.Stat(name); err == nil {
		return
	}
	os.WriteFile(name, signed, 0o644)
	w.forks = append(w.forks, Fork{Origin: origin, Checkpoint: string(signed), Against: string(w.state[origin].Cosigned)})
}

// Fork is a checkpoint the witness refused as a fork, with the cosigned
// checkpoint it contradicts.
type Fork struct {
	Origin     string `json:"origin"`
	Checkpoint string `json:"checkpoint"`
	Against    string `json:"against"`
}

// Forks lists the forks the witness has been shown since it started, and
// those kept on disk before.
func (w *Witness) Forks(origin string) []Fork {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Fork
	seen := map[string]bool{}
	for _, f := range w.forks {
		if f.Origin == origin || origin == "" {
			out = append(out, f)
			seen[f.Checkpoint] = true
		}
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(w.path), "forks", "*.checkpoint"))
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil || seen[string(raw)] {
			continue
		}
		if o, _, _ := strings.Cut(string(raw), "\n"); origin == "" || o == origin {
			out = append(out, Fork{Origin: o, Checkpoint: string(raw)})
		}
	}
	return out
}

// ServeHTTP serves POST /add-checkpoint as C2SP tlog-witness specifies,
// and for auditors GET /checkpoint?origin=O (the latest checkpoint of log
// O that this witness cosigned, with its cosignature) and GET
// /forks?origin=O (the checkpoints it refused as forks, as JSON).
func (w *Witness) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/checkpoint" && r.Method == http.MethodGet:
		st := w.State(r.URL.Query().Get("origin"))
		if len(st.Cosigned) == 0 {
			http.Error(rw, "no checkpoint of this log cosigned", http.StatusNotFound)
			return
		}
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Write(st.Cosigned)
		return
	case r.URL.Path == "/forks" && r.Method == http.MethodGet:
		forks := w.Forks(r.URL.Query().Get("origin"))
		if forks == nil {
			forks = []Fork{}
		}
		rw.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rw).Encode(map[string]any{"forks": forks})
		return
	case r.URL.Path != "/add-checkpoint":
		http.NotFound(rw, r)
		return
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", "POST")
		http.Error(rw, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, 1<<20))
	if err != nil {
		http.Error(rw, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	old, proof, signed, err := ParseRequest(body)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	sig, err := w.AddCheckpoint(old, proof, signed)
	var we *Error
	if errors.As(err, &we) {
		if we.Status == http.StatusConflict {
			rw.Header().Set("Content-Type", "text/x.tlog.size")
			rw.WriteHeader(http.StatusConflict)
			fmt.Fprintf(rw, "%d\n", we.Size)
			return
		}
		http.Error(rw, we.Msg, we.Status)
		return
	}
	if err != nil {
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Write(sig)
}

// FormatRequest writes an add-checkpoint request body.
func FormatRequest(old int64, proof []tlog.Hash, signed []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(signed)
	return b.Bytes()
}

// ParseRequest reads an add-checkpoint request body.
func ParseRequest(body []byte) (old int64, proof []tlog.Hash, signed []byte, err error) {
	br := bufio.NewReader(bytes.NewReader(body))
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, nil, nil, errors.New("missing old size line")
	}
	s, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "old ")
	if !ok {
		return 0, nil, nil, errors.New("first line must be \"old <size>\"")
	}
	old, err = strconv.ParseInt(s, 10, 64)
	if err != nil || old < 0 || strconv.FormatInt(old, 10) != s {
		return 0, nil, nil, fmt.Errorf("bad old size %q", s)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return 0, nil, nil, errors.New("missing blank line before the checkpoint")
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			break
		}
		if len(proof) == 63 {
			return 0, nil, nil, errors.New("consistency proof too long")
		}
		raw, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(raw) != tlog.HashSize {
			return 0, nil, nil, fmt.Errorf("bad proof hash %q", line)
		}
		proof = append(proof, tlog.Hash(raw))
	}
	signed, _ = io.ReadAll(br)
	if len(signed) == 0 {
		return 0, nil, nil, errors.New("missing checkpoint")
	}
	return old, proof, signed, nil
}
