package runner

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// The runner's clock is not the control plane's: a VM resumed from suspend runs behind until
// NTP steps it, and one can run ahead. A sync's schedule counts from the slot its last run served
// (the control plane's clock), so it is judged on that clock too: a runner ahead of it ran every
// slot early by its skew (a cron's midnight run before midnight), and one behind ran none until
// its clock caught up (hours, after a suspend).
func TestScheduleOnTheControlPlanesClock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		skew     time.Duration // the runner's clock minus the control plane's
		lastSlot string        // the slot the last run served, before the control plane's now
		want     bool          // the sync is due
	}{
		{"runner ahead, slot not due", 10 * time.Minute, "6 minutes", false},
		{"runner behind, slot due", -time.Hour, "20 minutes", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
			f.sync.ScheduleEvery = "15m"
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			if _, err := f.store.Pool().Exec(f.ctx, `INSERT INTO backflow.sync_runs
				(sync_id, status, trigger, started_at, finished_at, scheduled_for, notified_at)
				VALUES ($1, 'succeeded', 'schedule', now() - $2::interval, now() - $2::interval, now() - $2::interval, now())`,
				f.sync.ID, tc.lastSlot); err != nil {
				t.Fatal(err)
			}
			var queued []SyncArgs
			d := &Daemon{Engine: f.engine, Logger: slog.New(slog.DiscardHandler),
				clock: func() time.Time { return time.Now().Add(tc.skew) }}
			d.insert = func(_ context.Context, args SyncArgs) (*rivertype.JobInsertResult, error) {
				queued = append(queued, args)
				return &rivertype.JobInsertResult{}, nil
			}
			if err := d.schedule(f.ctx); err != nil {
				t.Fatal(err)
			}
			if got := len(queued) > 0; got != tc.want {
				t.Errorf("with the runner's clock %s off and the last slot %s ago, queued %+v; want due = %v",
					tc.skew, tc.lastSlot, queued, tc.want)
			}
		})
	}
}
