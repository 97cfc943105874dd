// Package centre runs the ceasefire centre over a store: it authenticates
// members, signs statements for members whose keys it holds, verifies those
// signed by clients, appends them through the group committer and tells
// subscribers what was appended. It knows nothing of HTTP or of a particular
// store.
package centre

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"truce/alert"
	"truce/blobs"
	"truce/checkpoint"
	"truce/incident"
	"truce/ledger"
	"truce/negotiation"
	"truce/party"
	"truce/report"
	"truce/seat"
	"truce/witness"
)

// Store is what the centre needs from a store.
type Store interface {
	ledger.Appender
	LogStore
	Size(ctx context.Context) (uint64, error)
	Statements(ctx context.Context, from uint64, limit int) ([]*ledger.Signed, error)
	Statement(ctx context.Context, seq uint64) (*ledger.Signed, error)
	Party(ctx context.Context, id string) (*party.Party, error)
	Parties(ctx context.Context) ([]*party.Party, error)
	Member(ctx context.Context, id string) (*party.Member, error)
	Members(ctx context.Context, partyID string) ([]*party.Member, error)
	Incident(ctx context.Context, id string) (*incident.Incident, error)
	Incidents(ctx context.Context, f incident.Filter) (incident.Page, error)
	Clusters(ctx context.Context, f incident.Filter, cell float64) ([]incident.Cluster, error)
	MapRows(ctx context.Context, seqs []uint64, after uint64, limit int) ([]incident.MapRow, error)
	EvidenceIncidents(ctx context.Context, sha string) ([]string, error)
	Rounds(ctx context.Context) ([]*negotiation.Round, error)
	agreementStore
	arrangementStore
	coordinationStore
	reportsStore
	seatStore
	alertStore
	PutCredentials(ctx context.Context, c party.Credentials) error
	CreateCredentials(ctx context.Context, c party.Credentials) error
	DropCredentials(ctx context.Context, member string) error
	CredentialsByToken(ctx context.Context, hash []byte) (*party.Credentials, error)
	CredentialsOf(ctx context.Context, member string) (*party.Credentials, error)
	HeldKeys(ctx context.Context) ([]party.Credentials, error)
	ReplaceHeldKey(ctx context.Context, member string, old, key []byte) error
}

// OperatorID is the member ID of the centre's operator.
const OperatorID = "operator"

// MaxClockSkew bounds how far a client-signed statement's time may stray
// from the centre's clock.
const MaxClockSkew = 5 * time.Minute

// Centre is a running centre.
type Centre struct {
	Store Store
	Log   *Log
	// Map holds incident positions in memory for maps (see MapCaughtUp).
	Map    *incident.MapIndex
	commit *ledger.Committer
	hub    *hub
	now    func() time.Time
	stop   context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	sessions map[[32]byte]cached
	gen      uint64       // bumped when membership changes; guarded by mu
	docs     *blobs.Store // plan documents, kept off the ledger
	evals    evaluators
	// cpu bounds concurrent signature work to the number of cores: more
	// only adds scheduling and cache thrash, and starves the single writer.
	cpu chan struct{}
	// secrets seal the member keys the centre holds; nil when the right
	// key is missing, and sealErr says why.
	secrets *Secrets
	sealErr error
	// projectionKey seals the store's projection rows (see sealProjections);
	// tampered holds the first broken seal a read found.
	projectionKey []byte
	tampered      atomic.Pointer[error]
	// following: the follower runs; handled: the ledger size it has
	// handled (see Settled).
	following atomic.Bool
	handled   atomic.Uint64
	// coordinating, coordHandled: the same for the coordination follower
	// (alerts, deadlines).
	coordinating atomic.Bool
	coordHandled atomic.Uint64
	reports      report.Config   // the daily report's cut-off
	regions      *report.Regions // and the areas it counts by
	borders      *report.Borders // and the third countries it watches
	spotReports  bool            // issue spot reports on published serious violations
	reportFiles  *blobs.Store    // issued reports' bytes
	// sched arms deadline and delivery jobs (SetScheduler); nil until the
	// job queue starts.
	sched atomic.Pointer[schedulerBox]
	// subs caches the active subscriptions for matching (subsRead: read
	// once); guarded by mu.
	subs     []*alert.Subscription
	subsRead bool
}

type cached struct {
	s       *Session
	expires time.Time
}

// sessionTTL bounds how long a revocation made by another process (the CLI)
// can go unnoticed by a running server.
const sessionTTL = 30 * time.Second

// Session is an authenticated member.
type Session struct {
	Member *party.Member
	Kind   party.Kind         // kind of the member's party
	key    ed25519.PrivateKey // nil when the member signs for itself
	keyErr error              // why the centre cannot open the key it holds
	// accreditations of a monitoring country's member (see Access)
	accreditations []*seat.Accreditation
}

// CanSign reports whether the centre holds the member's key.
func (s *Session) CanSign() bool { return s.key != nil }

// Options configure a centre.
type Options struct {
	Name  string            // the centre's name, recorded in the genesis statement
	Names map[string]string // optional: the name in other languages, by BCP 47 tag
	// OpenedAt, if set, is the time of the genesis statement; the demo uses
	// it to open its centre before its scenario begins.
	OpenedAt time.Time
	// A checkpoint is signed every CheckpointInterval (default 2s), or as
	// soon as CheckpointEntries (default 1000) statements have been appended.
	CheckpointInterval time.Duration
	CheckpointEntries  int
	// NoCheckpoints leaves signing to explicit Log.Checkpoint calls (tests,
	// one-shot CLI commands).
	NoCheckpoints bool
	// Witnesses, if set, cosign checkpoints; a checkpoint is published as
	// final only once their policy is met.
	Witnesses *witness.Config
	// Documents stores plan documents (see SubmitPlan).
	Documents *blobs.Store
	// Evaluate runs the centre's own work on what is appended: each
	// reported incident is judged against the agreement in force, alerts
	// are raised for the subscriptions they match, and deadlines are armed
	// in the job queue (SetScheduler); the results are recorded by the
	// centre. One-shot commands leave it off.
	Evaluate bool

	// The log's checkpoint key never lives in the store. CheckpointKey
	// signs checkpoints (an HSM or KMS plugs in here, see checkpoint.Key);
	// without it, the key in CheckpointKeyFile does, a file made on first
	// start (mode 0600). A store from before keys left it has its key
	// moved into that file. With neither, a new store gets a key for this
	// process alone (tests), and a store with a log refuses to open.
	CheckpointKey     checkpoint.Key
	CheckpointKeyFile string
	// The member keys the centre holds are sealed in the store under a
	// key kept outside it: Secrets, or else the one in SecretsFile, made on
	// first start (mode 0600). SecretsFlag names their source in errors
	// (the flag or environment variable). A missing or wrong key does not
	// stop the centre: it refuses to sign for members (ErrSecrets), and
	// serves reads and the statements members sign themselves.
	Secrets     *Secrets
	SecretsFile string
	SecretsFlag string
	// Refold folds the projections again from the ledger even when their
	// seals hold (truce refold, after an alarm).
	Refold bool
	// Refolding, if set, is told how far a re-fold of the projections has
	// come (see sealProjections).
	Refolding func(done, total uint64)
	// CheckpointKeyFlag names CheckpointKeyFile's flag in errors.
	CheckpointKeyFlag string
	// Now, if set, is the centre's clock (tests drive deadlines with it).
	Now func() time.Time
	// Reports sets the daily report's cut-off and zone (default 19:30
	// Europe/Kyiv); Regions, if set, are the areas it counts by.
	Reports report.Config
	Regions *report.Regions
	Borders *report.Borders
	// ReportFiles keeps the bytes of issued reports, by SHA-256.
	ReportFiles *blobs.Store
	// SpotReports: the centre issues the public spot report of each
	// incident whose finding of serious_violation is published (with
	// Evaluate, which follows the ledger).
	SpotReports bool
}

// Open starts a centre over store. A new store is opened with the genesis
// statement; the operator's token is then returned (and never again).
func Open(ctx context.Context, store Store, opt Options) (*Centre, string, error) {
	c := &Centre{Store: store, now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
		sessions: map[[32]byte]cached{}, cpu: make(chan struct{}, runtime.GOMAXPROCS(0)), docs: opt.Documents, reports: opt.Reports, regions: opt.Regions, borders: opt.Borders, spotReports: opt.SpotReports,
		reportFiles: opt.ReportFiles}
	if c.reports.Zone == nil {
		c.reports = report.Default()
	}
	if opt.Now != nil {
		c.now = func() time.Time { return opt.Now().UTC().Truncate(time.Millisecond) }
	}
	size, err := store.Size(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("read ledger size: %w", err)
	}
	c.hub = newHub(store, size)
	var moved bool // keys moved out of the store, or sealed in it
	if c.Log, err = openLog(ctx, store, opt, &moved); err != nil {
		return nil, "", err
	}
	if err := c.openSecrets(ctx, opt, &moved); err != nil {
		return nil, "", err
	}
	if moved {
		c.scrub(ctx)
	}
	if err := c.sealProjections(ctx, opt.Refold, opt.Refolding); err != nil {
		return nil, "", err
	}
	c.Log.SetWitnesses(opt.Witnesses)
	if opt.CheckpointInterval <= 0 {
		opt.CheckpointInterval = 2 * time.Second
	}
	if opt.CheckpointEntries <= 0 {
		opt.CheckpointEntries = 1000
	}
	var sinceCheckpoint int
	c.commit = ledger.NewCommitter(store, 1024, func(batch []*ledger.Signed) {
		if sinceCheckpoint += len(batch); sinceCheckpoint >= opt.CheckpointEntries {
			sinceCheckpoint = 0
			select {
			case c.Log.kick <- struct{}{}:
			default:
			}
		}
		for _, s := range batch {
			if strings.HasPrefix(s.Statement.Type, "member.") || strings.HasPrefix(s.Statement.Type, "party.") || s.Statement.Type == seat.TypeAccredit {
				c.forgetSessions() // roles, keys or revocations changed
				break
			}
		}
		for _, s := range batch {
			if strings.HasPrefix(s.Statement.Type, "agreement.") || strings.HasPrefix(s.Statement.Type, "arrangement.") {
				c.forgetAgreements()
				break
			}
		}
		c.hub.publish(batch)
	})
	var token string
	if size == 0 {
		if opt.Name == "" {
			opt.Name = "Ceasefire Control and Coordination Centre"
		}
		at := opt.OpenedAt
		if at.IsZero() {
			at = c.now()
		}
		if token, err = c.genesis(ctx, opt.Name, opt.Names, at); err != nil {
			c.commit.Close()
			return nil, "", err
		}
	}
	c.hub.start()
	bg, stop := context.WithCancel(context.Background())
	c.stop, c.done = stop, make(chan struct{})
	c.Map = incident.NewMapIndex()
	mapDone := make(chan struct{})
	go func() {
		defer close(mapDone)
		c.followMap(bg)
	}()
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		c.sweepSeals(bg)
	}()
	evalDone := make(chan struct{})
	go func() {
		defer close(evalDone)
		if opt.Evaluate {
			c.followEvaluations(bg)
		}
	}()
	followDone := make(chan struct{})
	go func() {
		defer close(followDone)
		if opt.Evaluate {
			c.followCoordination(bg)
		}
	}()
	go func() {
		defer close(c.done)
		defer func() { <-mapDone; <-evalDone; <-sweepDone; <-followDone }()
		if !opt.NoCheckpoints {
			c.Log.run(bg, opt.CheckpointInterval)
		}
	}()
	return c, token, nil
}

// Close stops the committer, the checkpointer and the event hub.
func (c *Centre) Close() {
	// Followers first: the evaluator appends through the committer.
	c.stop()
	<-c.done
	c.commit.Close()
	c.hub.stop()
}

func (c *Centre) genesis(ctx context.Context, name string, names map[string]string, at time.Time) (string, error) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	token := NewToken()
	sealed, err := c.seal(OperatorID, priv)
	if err != nil {
		return "", err
	}
	if err := c.Store.CreateCredentials(ctx, party.Credentials{Member: OperatorID, TokenHash: HashToken(token), PrivateKey: sealed}); err != nil {
		return "", err
	}
	payload, _ := json.Marshal(party.Open{Name: name, Names: names, Operator: OperatorID, Key: base64.StdEncoding.EncodeToString(pub)})
	s, err := ledger.Sign(ledger.Statement{Type: party.TypeOpen, Party: party.CentreID, Author: OperatorID, Time: at.UTC().Truncate(time.Millisecond), Payload: payload}, priv)
	if err != nil {
		return "", err
	}
	if err := c.commit.Append(ctx, s); err != nil {
		return "", fmt.Errorf("open the centre: %w", err)
	}
	return token, nil
}

// NewToken makes a fresh bearer token.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "truce_" + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how tokens are stored: only their SHA-256.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func (c *Centre) forgetSessions() {
	c.mu.Lock()
	clear(c.sessions)
	c.gen++
	c.mu.Unlock()
}

// Authenticate resolves a bearer token to a session.
func (c *Centre) Authenticate(ctx context.Context, token string) (*Session, error) {
	h := sha256.Sum256([]byte(token))
	now := time.Now()
	c.mu.Lock()
	e, ok := c.sessions[h]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.s, nil
	}
	cred, err := c.Store.CredentialsByToken(ctx, h[:])
	if err != nil {
		return nil, err
	}
	if cred == nil {
		return nil, fmt.Errorf("%w: unknown token", ledger.ErrUnauthenticated)
	}
	s, err := c.session(ctx, cred)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.sessions) > 10000 {
		clear(c.sessions)
	}
	// A membership change committed while this session was read may have
	// made it stale: use it once, but do not keep it.
	if c.gen == gen {
		c.sessions[h] = cached{s: s, expires: now.Add(sessionTTL)}
	}
	c.mu.Unlock()
	return s, nil
}

func (c *Centre) session(ctx context.Context, cred *party.Credentials) (*Session, error) {
	m, err := c.Store.Member(ctx, cred.Member)
	if err != nil {
		return nil, err
	}
	if m == nil || m.Revoked {
		return nil, fmt.Errorf("%w: member %s is unknown or revoked", ledger.ErrUnauthenticated, cred.Member)
	}
	p, err := c.Store.Party(ctx, m.Party)
	if err != nil || p == nil {
		return nil, fmt.Errorf("party of %s: %w", m.ID, errors.Join(err, ledger.ErrNotFound))
	}
	s := &Session{Member: m, Kind: p.Kind}
	if err := c.loadAccreditations(ctx, s); err != nil {
		return nil, err
	}
	if len(cred.PrivateKey) > 0 {
		s.key, s.keyErr = c.unseal(m.ID, cred.PrivateKey)
	}
	return s, nil
}

// Operator returns the operator's session, for administration from the CLI
// and for loading the demo.
func (c *Centre) Operator(ctx context.Context) (*Session, error) {
	cred, err := c.Store.CredentialsOf(ctx, OperatorID)
	if err != nil {
		return nil, err
	}
	if cred == nil {
		return nil, fmt.Errorf("no operator credentials in this store")
	}
	return c.session(ctx, cred)
}

// SessionOf returns the session of a member whose key the centre holds; the
// demo loader speaks for its members this way.
func (c *Centre) SessionOf(ctx context.Context, member string) (*Session, error) {
	cred, err := c.Store.CredentialsOf(ctx, member)
	if err != nil {
		return nil, err
	}
	if cred == nil {
		return nil, fmt.Errorf("%w: no credentials for %s", ledger.ErrNotFound, member)
	}
	return c.session(ctx, cred)
}

// Say makes a statement for the session's member, signed by the centre with
// the member's key, at the current time.
func (c *Centre) Say(ctx context.Context, s *Session, typ string, payload any) (*ledger.Signed, error) {
	return c.SayAt(ctx, s, typ, payload, c.now())
}

// SayAt is Say at a given time; only trusted loaders (the demo) choose the time.
func (c *Centre) SayAt(ctx context.Context, s *Session, typ string, payload any, at time.Time) (*ledger.Signed, error) {
	if err := c.Halted(); err != nil {
		return nil, err
	}
	if s.keyErr != nil {
		return nil, fmt.Errorf("signing for %s: %w", s.Member.ID, s.keyErr)
	}
	if s.key == nil {
		return nil, fmt.Errorf("%w: %s holds its own key; sign the statement and submit it", ledger.ErrForbidden, s.Member.ID)
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	c.cpu <- struct{}{}
	signed, err := ledger.Sign(ledger.Statement{Type: typ, Party: s.Member.Party, Author: s.Member.ID,
		Time: at.UTC().Truncate(time.Millisecond), Payload: raw, Nonce: ledger.NewNonce()}, s.key)
	<-c.cpu
	if err != nil {
		return nil, err
	}
	return signed, c.commit.Append(ctx, signed)
}

// Submit appends a statement signed by the client. The author must be the
// session's member, the signature must verify against its current key and
// the time must be within MaxClockSkew of the centre's clock.
func (c *Centre) Submit(ctx context.Context, s *Session, signed *ledger.Signed) error {
	if err := c.Halted(); err != nil {
		return err
	}
	if err := c.admit(s, signed); err != nil {
		return err
	}
	if err := c.checkOffLedger(ctx, signed); err != nil {
		return err
	}
	return c.commit.Append(ctx, signed)
}

// admit checks a client-signed statement before it is queued: its author,
// its time and its signature.
func (c *Centre) admit(s *Session, signed *ledger.Signed) error {
	st := signed.Statement
	if st.Author != s.Member.ID || st.Party != s.Member.Party {
		return ledger.Forbidden("a token for %s/%s cannot submit statements by %s/%s", s.Member.Party, s.Member.ID, st.Party, st.Author)
	}
	if d := st.Time.Sub(c.now()); d > MaxClockSkew || d < -MaxClockSkew {
		return ledger.Invalid("statement.time", "differs from the centre's clock by %s (at most %s)", d.Round(time.Second), MaxClockSkew)
	}
	c.cpu <- struct{}{}
	defer func() { <-c.cpu }()
	return signed.Verify(s.Member.Key())
}

// SubmitMany admits and appends a batch of client-signed statements, as an
// automated feed sends them: signatures are verified on every core and the
// statements share group commits. Each is accepted or refused on its own;
// errs[i] is the verdict on batch[i] (nil: appended, Seq set).
func (c *Centre) SubmitMany(ctx context.Context, s *Session, batch []*ledger.Signed) []error {
	errs := make([]error, len(batch))
	if err := c.Halted(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	var wg sync.WaitGroup
	for i, st := range batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = c.admit(s, st); errs[i] == nil {
				errs[i] = c.checkOffLedger(ctx, st)
			}
		}()
	}
	wg.Wait()
	var ok []*ledger.Signed
	var at []int
	for i, err := range errs {
		if err == nil {
			ok = append(ok, batch[i])
			at = append(at, i)
		}
	}
	for j, err := range c.commit.AppendMany(ctx, ok) {
		errs[at[j]] = err
	}
	return errs
}

// SubmitLoaded appends a statement signed by the client, as Submit does but
// at any time: only trusted loaders (the demo, whose members sign statements
// dated in the past) call it.
func (c *Centre) SubmitLoaded(ctx context.Context, s *Session, signed *ledger.Signed) error {
	st := signed.Statement
	if st.Author != s.Member.ID || st.Party != s.Member.Party {
		return ledger.Forbidden("a token for %s/%s cannot submit statements by %s/%s", s.Member.Party, s.Member.ID, st.Party, st.Author)
	}
	if err := signed.Verify(s.Member.Key()); err != nil {
		return err
	}
	if err := c.checkOffLedger(ctx, signed); err != nil {
		return err
	}
	return c.commit.Append(ctx, signed)
}

// NewMember describes a member to add. With PublicKey empty the centre makes
// a key pair and keeps the private key, signing for the member.
type NewMember struct {
	ID, Party, Name string
	Roles           []party.Role
	PublicKey       ed25519.PublicKey
	At              time.Time // when; zero means now (the demo backdates)
	By              *Session  // who adds the member; nil means the operator
}

// AddMember adds a member and returns its bearer token, the only time the
// token is seen. The statement is made by the operator, or by nm.By (a
// coordinator of the centre adding members through the API).
func (c *Centre) AddMember(ctx context.Context, nm NewMember) (string, *ledger.Signed, error) {
	op := nm.By
	if op == nil {
		var err error
		if op, err = c.Operator(ctx); err != nil {
			return "", nil, err
		}
	}
	if nm.ID == "" {
		nm.ID = c.memberID(ctx, nm.Party, nm.Name)
	}
	var priv ed25519.PrivateKey
	pub := nm.PublicKey
	if pub == nil {
		pub, priv, _ = ed25519.GenerateKey(rand.Reader)
	}
	payload := party.Add{ID: nm.ID, Party: nm.Party, Name: nm.Name, Roles: nm.Roles, PublicKey: base64.StdEncoding.EncodeToString(pub)}
	if err := payload.Validate(); err != nil {
		return "", nil, err
	}
	if m, err := c.Store.Member(ctx, nm.ID); err != nil || m != nil {
		return "", nil, errors.Join(err, ledger.Conflict("member %q already exists", nm.ID))
	}
	sealed, err := c.seal(nm.ID, priv)
	if err != nil {
		return "", nil, fmt.Errorf("the centre cannot keep a key for %s: %w", nm.ID, err)
	}
	token := NewToken()
	// Credentials go first, and only if none exist for this ID: a racing add
	// of the same ID fails here rather than swap tokens. Should the statement
	// then be refused, the orphan is dropped (it authenticates no one anyway:
	// authentication needs the member).
	if err := c.Store.CreateCredentials(ctx, party.Credentials{Member: nm.ID, TokenHash: HashToken(token), PrivateKey: sealed}); err != nil {
		return "", nil, err
	}
	at := nm.At
	if at.IsZero() {
		at = c.now()
	}
	s, err := c.SayAt(ctx, op, party.TypeAdd, payload, at)
	if err != nil {
		c.Store.DropCredentials(ctx, nm.ID)
		return "", nil, err
	}
	return token, s, nil
}

func (c *Centre) memberID(ctx context.Context, partyID, name string) string {
	base := partyID + "-" + slug(name)
	if len(base) > 50 {
		base = base[:50]
	}
	id := strings.TrimRight(base, "-")
	for i := 2; ; i++ {
		if m, _ := c.Store.Member(ctx, id); m == nil {
			return id
		}
		id = fmt.Sprintf("%s-%d", strings.TrimRight(base, "-"), i)
	}
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	if b.Len() == 0 {
		return "member"
	}
	return strings.TrimRight(b.String(), "-")
}

// RegisterParty registers a party as the operator, at a given time (zero: now).
func (c *Centre) RegisterParty(ctx context.Context, r party.Register, at time.Time) (*ledger.Signed, error) {
	op, err := c.Operator(ctx)
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = c.now()
	}
	return c.SayAt(ctx, op, party.TypeRegister, r, at)
}

// Subscribe returns a channel of appended statements, in ledger order, from
// the ledger's size at the time of the call. Call cancel when done.
func (c *Centre) Subscribe() (<-chan *ledger.Signed, uint64, func()) { return c.hub.subscribe() }

// RotateKey gives a member a new signing key, as the operator. With pub nil
// the centre makes the pair and keeps the private key; otherwise the member
// holds it. Earlier statements keep verifying against the old key.
func (c *Centre) RotateKey(ctx context.Context, member string, pub ed25519.PublicKey, reason string) (*ledger.Signed, error) {
	op, err := c.Operator(ctx)
	if err != nil {
		return nil, err
	}
	cred, err := c.Store.CredentialsOf(ctx, member)
	if err != nil {
		return nil, err
	}
	if cred == nil {
		return nil, ledger.NotFound("no member %q", member)
	}
	var priv ed25519.PrivateKey
	if pub == nil {
		pub, priv, _ = ed25519.GenerateKey(rand.Reader)
	}
	sealed, err := c.seal(member, priv)
	if err != nil {
		return nil, fmt.Errorf("the centre cannot keep a key for %s: %w", member, err)
	}
	s, err := c.Say(ctx, op, party.TypeRotate, party.Rotate{Member: member, PublicKey: base64.StdEncoding.EncodeToString(pub), Reason: reason})
	if err != nil {
		return nil, err
	}
	// The new private key is stored only once the rotation is in the
	// ledger: until then the old one must keep signing.
	cred.PrivateKey = sealed
	if err := c.Store.PutCredentials(ctx, *cred); err != nil {
		return s, fmt.Errorf("the rotation is recorded, but storing the new key failed: %w", err)
	}
	c.forgetSessions()
	return s, nil
}

// followMap keeps the map index current: subscribed first, it loads every
// incident, then applies what each statement changed. Should it fall behind
// the hub drops it, and it starts over.
func (c *Centre) followMap(ctx context.Context) {
	for first := true; ctx.Err() == nil; first = false {
		ch, next, cancel := c.Subscribe()
		after := uint64(0)
		start, loaded := time.Now(), 0
		for ctx.Err() == nil {
			rows, err := c.Store.MapRows(ctx, nil, after, 10000)
			if err != nil {
				cancel()
				return
			}
			c.Map.Put(rows...)
			loaded += len(rows)
			if len(rows) < 10000 {
				break
			}
			after = rows[len(rows)-1].Seq + 1
		}
		c.Map.SetApplied(next)
		if first && ctx.Err() == nil {
			slog.Info("map index loaded", "incidents", loaded, "took", time.Since(start).Round(time.Millisecond))
		}
		for open := true; open && ctx.Err() == nil; {
			var batch []*ledger.Signed
			select {
			case <-ctx.Done():
				cancel()
				return
			case s, ok := <-ch:
				if !ok {
					open = false
					continue
				}
				batch = append(batch, s)
			}
		drain:
			for len(batch) < 1000 {
				select {
				case s, ok := <-ch:
					if !ok {
						open = false
						break drain
					}
					batch = append(batch, s)
				default:
					break drain
				}
			}
			if seqs := touchedIncidents(batch); len(seqs) > 0 {
				rows, err := c.Store.MapRows(ctx, seqs, 0, len(seqs))
				if err != nil {
					break // start over from the store
				}
				c.Map.Put(rows...)
			}
			c.Map.SetApplied(batch[len(batch)-1].Seq + 1)
		}
		cancel()
	}
}

// touchedIncidents lists the incidents (by report index) that statements
// created or changed.
func touchedIncidents(batch []*ledger.Signed) []uint64 {
	var out []uint64
	for _, s := range batch {
		switch {
		case s.Statement.Type == incident.TypeReport:
			out = append(out, s.Seq)
		case strings.HasPrefix(s.Statement.Type, "incident."):
			var p struct {
				Incident string `json:"incident"`
				With     string `json:"with"`
			}
			if json.Unmarshal(s.Statement.Payload, &p) == nil {
				for _, id := range []string{p.Incident, p.With} {
					if seq, ok := incident.SeqOf(id); ok {
						out = append(out, seq)
					}
				}
			}
		}
	}
	return out
}

// MapCaughtUp waits briefly until the map index reflects the whole ledger as
// it stands now, so that a map shows what its viewer just reported. It
// reports false when the index lags (maps then read the store).
func (c *Centre) MapCaughtUp(ctx context.Context) bool {
	size, err := c.Store.Size(ctx)
	if err != nil {
		return false
	}
	deadline := time.Now().Add(500 * time.Millisecond)
	for c.Map.Applied() < size {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}
