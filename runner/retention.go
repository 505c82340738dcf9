package runner

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// retention deletes delivery-log rows, and notification events done with, older than keep, and
// runs that ended longer than runs ago, at start and then every so often, until its context ends.
// Every replica of the daemon runs one; deletes by several at once are harmless.
type retention struct {
	store *controlplane.Store
	keep  time.Duration
	// runs is how long ended runs are kept (see controlplane.Store.DeleteOldRuns); 0: for ever.
	runs time.Duration
	log  *slog.Logger
	// swept, when set (by tests), is called after each sweep with the delivery-log rows it deleted.
	swept func(n int64)
	// batch is how many rows one statement deletes; 0: retentionBatch.
	batch int
	// stmtTimeout bounds one statement of a sweep; 0: 5 min.
	stmtTimeout time.Duration
}

// retentionEvery is how often old rows are deleted: hourly, or sooner for a short retention so
// that no row outlives it by much more than a tenth. A retention of 0 (keep for ever) does not
// count.
func retentionEvery(keeps ...time.Duration) time.Duration {
	every := time.Hour
	for _, keep := range keeps {
		if keep > 0 {
			every = min(every, max(keep/10, time.Second))
		}
	}
	return every
}

func (r *retention) run(ctx context.Context) {
	t := time.NewTicker(retentionEvery(r.keep, r.runs))
	defer t.Stop()
	for {
		r.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// retentionBatch is how many rows one statement of a sweep deletes: a few MB of packed keys at
// batch_size 1000, so each transaction is short and a large backlog goes in steps.
const retentionBatch = 1000

// sweep deletes the delivery-log rows older than keep, then the notification events older than
// keep that are sent or given up (an event still to be sent is kept), then the runs that ended
// longer than runs ago and that nothing needs any more (controlplane.Store.DeleteOldRuns), the
// oldest first, in statements of batch rows, each committed: one DELETE of a large backlog could
// outlast its timeout and roll back whole, every time.
//
// The cutoffs are on the control plane's clock, which the rows' times are on (a run's end, an
// event's creation; a delivery-log row's is its sending runner's): a runner whose clock was
// ahead deleted early by its skew, and one far behind (a VM resumed from suspend) deleted
// nothing.
func (r *retention) sweep(ctx context.Context) {
	now, err := r.store.Now(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("could not delete old rows; trying again later", "err", err)
		}
		if r.swept != nil {
			r.swept(0)
		}
		return
	}
	before := now.Add(-r.keep)
	n := r.deleteAll(ctx, "delivery-log rows", before, r.store.DeleteOldestDeliveriesBefore)
	if n > 0 {
		r.log.Debug("deleted old delivery-log rows", "rows", n, "older_than", before.UTC().Format(time.RFC3339))
	}
	if r.swept != nil {
		r.swept(n)
	}
	if e := r.deleteAll(ctx, "notification events", before, r.store.DeleteOldNotificationEvents); e > 0 {
		r.log.Debug("deleted old notification events", "events", e, "older_than", before.UTC().Format(time.RFC3339))
	}
	if r.runs > 0 {
		before := now.Add(-r.runs)
		if n := r.deleteAll(ctx, "runs", before, r.store.DeleteOldRuns); n > 0 {
			r.log.Debug("deleted old runs", "runs", n, "ended_before", before.UTC().Format(time.RFC3339))
		}
	}
}

// deleteAll calls del until a statement deletes fewer than batch rows, fails, or ctx ends, and
// returns the rows deleted.
func (r *retention) deleteAll(ctx context.Context, what string, before time.Time,
	del func(ctx context.Context, before time.Time, limit int) (int64, error)) int64 {
	batch := cmp.Or(r.batch, retentionBatch)
	var total int64
	for ctx.Err() == nil {
		sctx, cancel := context.WithTimeout(ctx, cmp.Or(r.stmtTimeout, 5*time.Minute))
		n, err := del(sctx, before, batch)
		cancel()
		total += n
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("could not delete old "+what+"; trying again later", "err", err, "deleted", total)
			}
			break
		}
		if n < int64(batch) {
			break
		}
	}
	return total
}
