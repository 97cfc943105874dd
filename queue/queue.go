// Package queue is the centre's job queue: River (riverqueue) over a
// SQLite file of its own beside the store, DATA/queue.db. It only
// schedules. A deadline job, when it fires, asks the centre whether the
// deadline was missed, and the centre records that as a signed statement;
// a delivery job POSTs an alert to its subscriber's webhook, signed with
// HMAC, retried with exponential backoff, and the centre records the
// outcome (alert.delivered with the HTTP status, or alert.failed after
// the last attempt). The fold refuses a second such statement, so a job
// that runs twice appends once. Nothing the queue holds is part of the
// record: a lost queue.db is made again on start from the projections
// (the deadlines still open, the deliveries without an outcome).
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // the SQLite driver the store uses too

	"truce/centre"
)

// FileName is the queue's database in the data directory.
const FileName = "queue.db"

// Options configure the queue.
type Options struct {
	// Path is the queue's SQLite file (DATA/queue.db).
	Path string
	// Now, if set, is the queue's clock: tests drive it with the centre's
	// (centre.Options.Now), so that jobs fall due by the same clock that
	// judges deadlines.
	Now func() time.Time
	// Poll is how often idle workers look for jobs that fell due (default
	// 250ms): the bound on how late a deadline fires, beside the time to
	// sign and append its statement.
	Poll time.Duration
	// Delivery configures webhook deliveries.
	Delivery Delivery
}

// Queue is a running job queue.
type Queue struct {
	db       *sql.DB
	client   *river.Client[*sql.Tx]
	centre   *centre.Centre
	delivery Delivery
}

// Open opens (creating if needed) the queue's database, migrates it,
// starts the workers, hands the centre the queue as its scheduler and
// arms every deadline still open in the projections.
func Open(ctx context.Context, c *centre.Centre, opt Options) (*Queue, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+opt.Path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", opt.Path, err)
	}
	// River's SQLite driver wants one connection: SQLite writes one at a time.
	db.SetMaxOpenConns(1)
	driver := riversqlite.New(db)
	mig, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quiet()})
	if err != nil {
		db.Close()
		return nil, err
	}
	if _, err := mig.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", opt.Path, err)
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	delivery := opt.Delivery.withDefaults()
	workers := river.NewWorkers()
	river.AddWorker(workers, &deadlineWorker{c: c})
	river.AddWorker(workers, &deliveryWorker{c: c, d: delivery, now: now})
	poll := opt.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	cfg := &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 8}},
		Workers:           workers,
		FetchCooldown:     min(poll, 100*time.Millisecond),
		FetchPollInterval: poll,
		Logger:            quiet(),
		JobTimeout:        time.Minute,
	}
	if opt.Now != nil {
		cfg.Test.Time = clock(opt.Now)
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := client.Start(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("start the job queue: %w", err)
	}
	qu := &Queue{db: db, client: client, centre: c, delivery: delivery}
	c.SetScheduler(qu)
	ds, err := c.OpenDeadlines(ctx)
	if err == nil {
		err = qu.ArmDeadlines(ctx, ds)
	}
	var pending []string
	if err == nil {
		pending, err = c.PendingDeliveries(ctx)
	}
	for i := 0; err == nil && i < len(pending); i++ {
		err = qu.ArmDelivery(ctx, pending[i])
	}
	if err != nil {
		qu.Close()
		return nil, fmt.Errorf("arm the open deadlines and deliveries: %w", err)
	}
	slog.Info("job queue started", "path", opt.Path, "deadlines", len(ds), "deliveries", len(pending))
	return qu, nil
}

// Close stops the workers, letting running jobs finish for a few seconds.
func (q *Queue) Close() {
	q.centre.SetScheduler(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := q.client.Stop(ctx); err != nil {
		q.client.StopAndCancel(context.Background())
	}
	q.db.Close()
}

// deadlineArgs is a deadline job: it fires at the deadline.
type deadlineArgs struct {
	centre.Deadline
}

func (deadlineArgs) Kind() string { return "truce.deadline" }

// ArmDeadlines arms one job per deadline at its due time; a deadline
// armed before (by this process or an earlier one) is not armed again.
func (q *Queue) ArmDeadlines(ctx context.Context, ds []centre.Deadline) error {
	if len(ds) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, 0, len(ds))
	for _, d := range ds {
		due := d.Due
		if d.Kind == centre.DeadlineArrangement {
			due = due.Add(time.Millisecond) // missed only once past it
		}
		params = append(params, river.InsertManyParams{Args: deadlineArgs{d}, InsertOpts: &river.InsertOpts{
			ScheduledAt: due, MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}})
	}
	_, err := q.client.InsertMany(ctx, params)
	return err
}

type deadlineWorker struct {
	river.WorkerDefaults[deadlineArgs]
	c *centre.Centre
}

func (w *deadlineWorker) Work(ctx context.Context, job *river.Job[deadlineArgs]) error {
	_, err := w.c.FireDeadline(ctx, job.Args.Deadline)
	if nd, ok := errors.AsType[*centre.NotDueError](err); ok {
		// The queue's clock ran ahead of the centre's: wait the rest.
		return river.JobSnooze(max(nd.Due.Sub(nd.Now), 10*time.Millisecond))
	}
	return err
}

// clock is a stubbed time for the queue.
type clock func() time.Time

func (c clock) Now() time.Time { return c() }
func (c clock) NowOrNil() *time.Time {
	t := c()
	return &t
}

var _ rivertype.TimeGenerator = clock(nil)

// quiet is River's logger: warnings and errors only.
func quiet() *slog.Logger {
	return slog.New(levelHandler{slog.Default().Handler(), slog.LevelWarn})
}

type levelHandler struct {
	slog.Handler
	min slog.Level
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return levelHandler{h.Handler.WithAttrs(as), h.min}
}

func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{h.Handler.WithGroup(name), h.min}
}
