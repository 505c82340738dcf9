package runner

import (
	"sync/atomic"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// retryState is what a run's progress shows while requests wait to be retried: a run whose
// endpoint fails is otherwise a frozen rate until its retries run out.
type retryState struct {
	waiting atomic.Int64
	last    atomic.Pointer[RetryNote]
}

// RetryNote is the latest retry a run scheduled.
type RetryNote struct {
	webhook.Retry
	At time.Time // when it was scheduled: the next attempt is at At + Wait
}

// Retrying says how many requests of the run are waiting to be retried, and the latest retry
// scheduled (nil if none was).
func (c *Counters) Retrying() (waiting int64, last *RetryNote) {
	return c.retry.waiting.Load(), c.retry.last.Load()
}

// onRetry logs a retry and shows it in the run's counters until its wait ends.
func (p *pipeline) onRetry(r webhook.Retry) func() {
	p.log.Info("webhook request failed; retrying", "attempt", r.Attempt, "of", r.MaxAttempts, "cause", r.Cause(),
		"wait", r.Wait.Round(time.Millisecond).String(), "records", r.Records, "webhook_id", r.WebhookID)
	st := &p.counters.retry
	st.last.Store(&RetryNote{Retry: r, At: time.Now()})
	st.waiting.Add(1)
	return func() { st.waiting.Add(-1) }
}
