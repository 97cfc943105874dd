package centre

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"truce/checkpoint"
	"truce/witness"
)

// LogStore is what the checkpointer needs from a store: the tree hashes
// and somewhere to keep checkpoints and the log's settings.
type LogStore interface {
	tlog.HashReader
	PutCheckpoint(ctx context.Context, size int64, signed []byte, at time.Time) error
	LatestCheckpoint(ctx context.Context) ([]byte, error)
	Checkpoints(ctx context.Context) ([][]byte, error)
	LogSetting(ctx context.Context, name string) (string, error)
	InitLogSetting(ctx context.Context, name, value string) (string, error)
	DeleteLogSetting(ctx context.Context, name string) error
	PutCosignature(ctx context.Context, size int64, witness, line string, final bool) error
	Cosigned(ctx context.Context, size int64) ([]byte, error)
	LatestFinal(ctx context.Context) (int64, error)
}

// Log is the centre's transparency log: the Merkle tree the store keeps
// over the ledger, and the checkpoints that commit to it.
type Log struct {
	store    Store
	Origin   string
	Verifier note.Verifier
	VKey     string // the verifier key in note format, to hand to auditors and witnesses
	signer   *checkpoint.Signer

	mu       sync.Mutex
	verified int64 // leaves checked against the ledger so far
	broken   error // set once the tree disagrees with the ledger: no more checkpoints
	kick     chan struct{}

	// Witnesses, when configured: who cosigns, and what a final
	// checkpoint needs.
	wmu       sync.Mutex
	cmu       sync.Mutex // serialises recording cosignatures
	witnesses *witness.Config
	at        map[string]int64  // each witness's size, as last heard
	claims    map[string]string // what each witness holds against the log
	alarms    alarms
}

// SetWitnesses configures the witnesses and their policy (nil: none).
func (l *Log) SetWitnesses(c *witness.Config) {
	l.wmu.Lock()
	l.witnesses = c
	l.wmu.Unlock()
}

// Witnesses returns the witness configuration, nil if there is none.
func (l *Log) Witnesses() *witness.Config {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.witnesses
}

// openLog sets up (on first start) or loads the log's origin and key. It
// sets *moved when it moved the key out of the store.
func openLog(ctx context.Context, st Store, opt Options, moved *bool) (*Log, error) {
	suffix := make([]byte, 6)
	rand.Read(suffix)
	origin, err := st.InitLogSetting(ctx, "origin", "truce.invalid/centre-"+hex.EncodeToString(suffix))
	if err != nil {
		return nil, err
	}
	key, err := logKey(ctx, st, origin, opt, moved)
	if err != nil {
		return nil, err
	}
	vkey := key.VerifierKey()
	signer := checkpoint.NewSignerFor(key)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Log{store: st, Origin: origin, Verifier: v, VKey: vkey, signer: signer, kick: make(chan struct{}, 1), at: map[string]int64{}, claims: map[string]string{}}, nil
}

// The names of the log's keys in the store's log settings. The verifier
// key is public and stays; the signer key is only in stores made before
// keys left the store, and is moved out on start.
const (
	settingVerifierKey = "checkpoint_verifier_key"
	settingSignerKey   = "checkpoint_signer_key"
)

// logKey finds the log's checkpoint key: the one given, or the one in the
// key file, made on first start. A key the store still holds is moved to
// the key file and deleted from the store. The key must be the one whose
// verifier key the store records: the log's checkpoints verify under it.
func logKey(ctx context.Context, st Store, origin string, opt Options, moved *bool) (checkpoint.Key, error) {
	stored, err := st.LogSetting(ctx, settingSignerKey)
	if err != nil {
		return nil, err
	}
	vkey, err := st.LogSetting(ctx, settingVerifierKey)
	if err != nil {
		return nil, err
	}
	path, flag := opt.CheckpointKeyFile, opt.CheckpointKeyFlag
	if flag == "" {
		flag = "Options.CheckpointKeyFile"
	}
	from := path + " (" + flag + ")"
	key := opt.CheckpointKey
	switch {
	case key != nil:
		from = "the configured checkpoint signer"
	case path != "":
		key, err = checkpoint.LoadKeyFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && stored != "":
			if err := checkpoint.WriteKeyFile(path, stored); err != nil && !errors.Is(err, fs.ErrExist) {
				return nil, fmt.Errorf("move the log's checkpoint key out of the store into %s: %w", from, err)
			}
			if key, err = checkpoint.LoadKeyFile(path); err != nil {
				return nil, err
			}
			slog.Warn("moved the log's checkpoint signing key out of the store into its key file", "file", path)
		case errors.Is(err, fs.ErrNotExist) && vkey != "":
			return nil, fmt.Errorf("the log's checkpoint key file %s is missing: this log's checkpoints are signed by the key %s; restore the file, or give its place with %s", path, vkey, flag)
		case errors.Is(err, fs.ErrNotExist):
			if key, err = checkpoint.CreateKeyFile(path, origin); err != nil {
				return nil, fmt.Errorf("%s: %w", flag, err)
			}
			slog.Info("made the log's checkpoint key", "file", path)
		case err != nil:
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
	case stored != "":
		return nil, errors.New("the store holds the log's checkpoint key: give a key file to move it into (Options.CheckpointKeyFile)")
	case vkey != "":
		return nil, fmt.Errorf("no checkpoint key is given for this log, whose checkpoints are signed by %s", vkey)
	default:
		// A new store and no key configured (tests): a key for this
		// process alone.
		skey, _, err := checkpoint.NewKey(origin)
		if err != nil {
			return nil, err
		}
		if key, err = checkpoint.ParseKey(skey); err != nil {
			return nil, err
		}
	}
	if key.Name() != origin {
		return nil, fmt.Errorf("the checkpoint key in %s is the key of %q, not of this log (%q)", from, key.Name(), origin)
	}
	if vkey == "" {
		if vkey, err = st.InitLogSetting(ctx, settingVerifierKey, key.VerifierKey()); err != nil {
			return nil, err
		}
	}
	if vkey != key.VerifierKey() {
		return nil, fmt.Errorf("the checkpoint key in %s is not this log's: the log's checkpoints verify under %s, and this key's under %s", from, vkey, key.VerifierKey())
	}
	if stored != "" {
		if err := st.DeleteLogSetting(ctx, settingSignerKey); err != nil {
			return nil, err
		}
		slog.Warn("deleted the log's checkpoint signing key from the store", "now_in", from)
		*moved = true
	}
	return key, nil
}

// Latest returns the latest signed checkpoint and its parsed form, or nil.
func (l *Log) Latest(ctx context.Context) ([]byte, *checkpoint.Checkpoint, error) {
	signed, err := l.store.LatestCheckpoint(ctx)
	if err != nil || signed == nil {
		return nil, nil, err
	}
	c, _, err := checkpoint.Open(signed, l.Verifier)
	if err != nil {
		return nil, nil, fmt.Errorf("stored checkpoint: %w", err)
	}
	return signed, &c, nil
}

// Published returns the checkpoint the log stands by: with witnesses, the
// latest one that met the policy, with its cosignatures; without, the latest.
func (l *Log) Published(ctx context.Context) ([]byte, *checkpoint.Checkpoint, error) {
	if l.Witnesses() == nil {
		return l.Latest(ctx)
	}
	size, err := l.store.LatestFinal(ctx)
	if err != nil || size == 0 {
		return nil, nil, err
	}
	signed, err := l.store.Cosigned(ctx, size)
	if err != nil || signed == nil {
		return nil, nil, err
	}
	c, _, err := checkpoint.Open(signed, l.Verifier)
	if err != nil {
		return nil, nil, err
	}
	return signed, &c, nil
}

// Status says where the newest checkpoint stands against the witness policy.
func (l *Log) Status(ctx context.Context) (latest int64, verdict *witness.Verdict, err error) {
	_, c, err := l.Latest(ctx)
	if err != nil || c == nil {
		return 0, nil, err
	}
	cfg := l.Witnesses()
	if cfg == nil {
		return c.Size, nil, nil
	}
	signed, err := l.store.Cosigned(ctx, c.Size)
	if err != nil {
		return 0, nil, err
	}
	v, err := cfg.Judge(signed, l.Verifier)
	return c.Size, &v, err
}

// Collect asks every witness to cosign a signed checkpoint and records
// what they return.
func (l *Log) Collect(ctx context.Context, signed []byte) {
	cfg := l.Witnesses()
	if cfg == nil {
		return
	}
	c, _, err := checkpoint.Open(signed, l.Verifier)
	if err != nil {
		return
	}
	size := c.Size
	var wg sync.WaitGroup
	for _, m := range cfg.Witnesses {
		if m.URL == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.ask(ctx, cfg, m, size, signed); err != nil {
				slog.Warn("witness", "witness", m.Name, "size", size, "err", err)
			}
		}()
	}
	wg.Wait()
}

func (l *Log) ask(ctx context.Context, cfg *witness.Config, m witness.Member, size int64, signed []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cl := &witness.Client{URL: m.URL}
	for attempt := 0; attempt < 3; attempt++ {
		l.wmu.Lock()
		old := l.at[m.Name]
		l.wmu.Unlock()
		if old > size {
			l.claim(m.Name, fmt.Sprintf("witness %s has cosigned %d entries; the log now signs %d: a rollback", m.Name, old, size))
			return fmt.Errorf("the witness is at %d, beyond this checkpoint (%d)", old, size)
		}
		var proof tlog.TreeProof
		if old > 0 && old < size {
			p, err := tlog.ProveTree(size, old, l.store)
			if err != nil {
				return err
			}
			proof = p
		}
		lines, err := cl.Add(ctx, old, proof, signed)
		var we *witness.Error
		if errors.As(err, &we) && we.Status == 409 {
			l.wmu.Lock()
			l.at[m.Name] = we.Size
			l.wmu.Unlock()
			continue
		}
		if errors.As(err, &we) && we.Status == 422 && old > 0 {
			l.claim(m.Name, fmt.Sprintf("witness %s refused the checkpoint of size %d as inconsistent with the one of size %d it cosigned: a fork (%s)", m.Name, size, old, we.Msg))
		}
		if err != nil {
			return err
		}
		l.claim(m.Name, "")
		wv, err := witness.NewVerifier(m.Key)
		if err != nil {
			return err
		}
		var mine []byte
		for _, line := range strings.Split(string(lines), "\n") {
			if !strings.HasPrefix(line, "— ") {
				continue
			}
			n, err := note.Open(append(append([]byte{}, signed...), line+"\n"...), note.VerifierList(l.Verifier, wv))
			if err == nil && slices.ContainsFunc(n.Sigs, func(s note.Signature) bool { return s.Hash == wv.KeyHash() && s.Name == wv.Name() }) {
				mine = append(mine, line+"\n"...)
			}
		}
		if len(mine) == 0 {
			return fmt.Errorf("the witness answered without a cosignature of its own: %.100q", lines)
		}
		lines = mine
		l.wmu.Lock()
		l.at[m.Name] = size
		l.wmu.Unlock()
		// Witnesses answer concurrently: record and judge one at a time, so
		// that the answer completing the policy sees all the others.
		l.cmu.Lock()
		defer l.cmu.Unlock()
		current, err := l.store.Cosigned(ctx, size)
		if err != nil {
			return err
		}
		v, err := cfg.Judge(append(current, lines...), l.Verifier)
		if err != nil {
			return fmt.Errorf("cosignature does not verify: %w", err)
		}
		return l.store.PutCosignature(ctx, size, m.Name, string(lines), v.Final)
	}
	l.claim(m.Name, fmt.Sprintf("witness %s keeps refusing the checkpoint of size %d as conflicting with what it cosigned: a fork", m.Name, size))
	return fmt.Errorf("the witness kept answering 409")
}

// Broken reports why the log refuses to sign, nil when it is sound.
func (l *Log) Broken() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.broken
}

// verify checks leaves [from, to) of the stored tree against the ledger rows
// they commit to.
func (l *Log) verify(ctx context.Context, from, to int64) error {
	for from < to {
		page, err := l.store.Statements(ctx, uint64(from), int(min(1000, to-from)))
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return fmt.Errorf("ledger index %d is missing", from)
		}
		idx := make([]int64, len(page))
		for i, s := range page {
			if int64(s.Seq) != from+int64(i) {
				return fmt.Errorf("ledger index %d is missing", from+int64(i))
			}
			idx[i] = tlog.StoredHashIndex(0, int64(s.Seq))
		}
		stored, err := l.store.ReadHashes(idx)
		if err != nil {
			return err
		}
		for i, s := range page {
			h := tlog.Hash(s.LeafHash())
			if h != stored[i] {
				return fmt.Errorf("ledger entry %d does not match its leaf in the tree", s.Seq)
			}
			// The interior hashes this leaf completes, recomputed from the
			// (already checked) hashes before it, must be the stored ones:
			// a root is built from them.
			want, err := tlog.StoredHashesForRecordHash(int64(s.Seq), h, l.store)
			if err != nil {
				return err
			}
			base := tlog.StoredHashIndex(0, int64(s.Seq))
			idx := make([]int64, len(want))
			for k := range want {
				idx[k] = base + int64(k)
			}
			have, err := l.store.ReadHashes(idx)
			if err != nil {
				return err
			}
			for k := range want {
				if want[k] != have[k] {
					return fmt.Errorf("the tree hashes stored with ledger entry %d are wrong", s.Seq)
				}
			}
		}
		from += int64(len(page))
	}
	return nil
}

// Checkpoint signs a checkpoint of the whole ledger if it grew since the
// last one. It refuses — and keeps refusing — once the tree disagrees with
// the ledger or with an earlier checkpoint.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil {
		return nil, l.broken
	}
	size, err := l.store.Size(ctx)
	if err != nil {
		return nil, err
	}
	_, last, err := l.Latest(ctx)
	if err != nil {
		return nil, err
	}
	if last != nil && int64(size) <= last.Size {
		return nil, nil
	}
	fail := func(err error) ([]byte, error) {
		l.broken = fmt.Errorf("the log will not sign a checkpoint: %w", err)
		l.alarms.raise(Alarm{At: time.Now().UTC(), Source: "log", What: l.broken.Error(), Fatal: true})
		return nil, l.broken
	}
	if err := l.verify(ctx, l.verified, int64(size)); err != nil {
		return fail(err)
	}
	l.verified = int64(size)
	if last != nil {
		old, err := tlog.TreeHash(last.Size, l.store)
		if err != nil || old != last.Root {
			return fail(fmt.Errorf("the tree at size %d no longer has the root its checkpoint signed (%v)", last.Size, err))
		}
	}
	root, err := tlog.TreeHash(int64(size), l.store)
	if err != nil {
		return fail(err)
	}
	signed, err := l.signer.Sign(checkpoint.Checkpoint{Origin: l.Origin, Size: int64(size), Root: root})
	if err != nil {
		return nil, err
	}
	if err := l.store.PutCheckpoint(ctx, int64(size), signed, time.Now()); err != nil {
		return nil, err
	}
	return signed, nil
}

// run signs checkpoints every interval, or sooner when kicked after enough
// appends, until ctx ends. It first checks the whole stored tree against
// the ledger, so that a corrupted database is never checkpointed.
func (l *Log) run(ctx context.Context, interval time.Duration) {
	size, err := l.store.Size(ctx)
	if err == nil {
		start := time.Now()
		if err := l.verify(ctx, 0, int64(size)); err != nil {
			l.mu.Lock()
			l.broken = fmt.Errorf("the log will not sign a checkpoint: %w", err)
			l.mu.Unlock()
			l.alarms.raise(Alarm{At: time.Now().UTC(), Source: "log", What: l.broken.Error(), Fatal: true})
		} else {
			l.mu.Lock()
			l.verified = int64(size)
			l.mu.Unlock()
			slog.Info("transparency log verified", "entries", size, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	l.checkWitnesses(ctx)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		signed, err := l.Checkpoint(ctx)
		if err != nil && !errors.Is(err, context.Canceled) && l.Broken() == nil {
			slog.Warn("checkpoint", "err", err)
		}
		if signed != nil {
			l.Collect(ctx, signed)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-l.kick:
		}
	}
}
