package runner

import (
	"context"
	"log/slog"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// retention deletes delivery-log rows older than keep, at start and then every so often, until
// its context ends. Every replica of the daemon runs one; deletes by several at once are
// harmless.
type retention struct {
	store *controlplane.Store
	keep  time.Duration
	log   *slog.Logger
	// swept, when set (by tests), is called after each sweep with the rows it deleted.
	swept func(n int64)
}

// retentionEvery is how often old rows are deleted: hourly, or sooner for a short retention so
// that no row outlives it by much more than a tenth.
func retentionEvery(keep time.Duration) time.Duration {
	return min(time.Hour, max(keep/10, time.Second))
}

func (r *retention) run(ctx context.Context) {
	t := time.NewTicker(retentionEvery(r.keep))
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

func (r *retention) sweep(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	n, err := r.store.DeleteDeliveriesBefore(sctx, time.Now().Add(-r.keep))
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("could not delete old delivery-log rows; trying again later", "err", err)
		}
		return
	}
	if n > 0 {
		r.log.Debug("deleted old delivery-log rows", "rows", n, "older_than", time.Now().Add(-r.keep).UTC().Format(time.RFC3339))
	}
	if r.swept != nil {
		r.swept(n)
	}
}
