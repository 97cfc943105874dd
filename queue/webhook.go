package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"truce/alert"
	"truce/centre"
)

// Delivery configures webhook deliveries.
type Delivery struct {
	// Attempts is how many times a delivery is tried (default 8);
	// Backoff the wait before the second attempt, doubling each time
	// (default 5 s: 5, 10, 20 … 320 s, about 10 minutes in all).
	Attempts int
	Backoff  time.Duration
	// Client sends the requests (default: a 10 s timeout, no redirects).
	Client *http.Client
}

func (d Delivery) withDefaults() Delivery {
	if d.Attempts <= 0 {
		d.Attempts = 8
	}
	if d.Backoff <= 0 {
		d.Backoff = 5 * time.Second
	}
	if d.Client == nil {
		d.Client = &http.Client{Timeout: 10 * time.Second,
			// A redirect is an answer, not a 2xx: the subscriber gave the
			// URL it wants the alert at.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return d
}

// deliveryArgs is a webhook delivery job.
type deliveryArgs struct {
	Alert string `json:"alert"`
}

func (deliveryArgs) Kind() string { return "truce.webhook" }

// ArmDelivery arms the delivery of an alert to its subscription's
// webhook; an alert armed before is not armed again.
func (q *Queue) ArmDelivery(ctx context.Context, id string) error {
	_, err := q.client.Insert(ctx, deliveryArgs{Alert: id}, &river.InsertOpts{MaxAttempts: q.delivery.Attempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true}})
	return err
}

type deliveryWorker struct {
	river.WorkerDefaults[deliveryArgs]
	c   *centre.Centre
	d   Delivery
	now func() time.Time
}

// NextRetry backs off exponentially: Backoff, then twice that, and so on.
func (w *deliveryWorker) NextRetry(job *river.Job[deliveryArgs]) time.Time {
	n := min(job.Attempt, 20)
	return w.now().Add(w.d.Backoff << (n - 1))
}

func (w *deliveryWorker) Timeout(*river.Job[deliveryArgs]) time.Duration {
	return w.d.Client.Timeout + 30*time.Second
}

// Work POSTs the alert, signed, to the webhook. A 2xx answer is recorded
// as alert.delivered; any other answer or none is retried, and after the
// last attempt recorded as alert.failed. A delivery recorded already (the
// job ran twice) is not sent again.
func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[deliveryArgs]) error {
	a, err := w.c.Store.Alert(ctx, job.Args.Alert)
	if err != nil {
		return err
	}
	if a == nil || !a.Pending() {
		return nil
	}
	sub, err := w.c.Store.Subscription(ctx, a.Subscription)
	if err != nil {
		return err
	}
	if sub == nil || sub.Webhook == nil {
		return nil
	}
	secret, err := w.c.WebhookSecret(ctx, sub.Webhook.Key)
	if err != nil {
		return w.outcome(ctx, job, a, 0, err)
	}
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	ts := w.now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return w.outcome(ctx, job, a, 0, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "truce-webhook/1")
	req.Header.Set(alert.HeaderAlert, a.ID)
	req.Header.Set(alert.HeaderAttempt, strconv.Itoa(job.Attempt))
	req.Header.Set(alert.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(alert.HeaderSignature, alert.Sign(secret, ts, body))
	resp, err := w.d.Client.Do(req)
	if err != nil {
		return w.outcome(ctx, job, a, 0, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, err := w.c.RecordDelivery(ctx, a.ID, true, resp.StatusCode, job.Attempt, "")
		return err
	}
	return w.outcome(ctx, job, a, resp.StatusCode, fmt.Errorf("the webhook answered %s", resp.Status))
}

// outcome retries a failed attempt, or records the failure after the last.
func (w *deliveryWorker) outcome(ctx context.Context, job *river.Job[deliveryArgs], a *alert.Alert, status int, cause error) error {
	if job.Attempt < job.MaxAttempts {
		return fmt.Errorf("deliver %s (attempt %d of %d): %w", a.ID, job.Attempt, job.MaxAttempts, cause)
	}
	_, err := w.c.RecordDelivery(ctx, a.ID, false, status, job.Attempt, cause.Error())
	return err
}
