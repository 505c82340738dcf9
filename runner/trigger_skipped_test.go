package runner

import (
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A queued run skipped because its sync was deleted meanwhile says so, and names the sync as it
// was queued; neither it nor one skipped because the sync was paused shows River's type name
// ("JobCancelError: read sync 12: not found", "sync": "" was what GET /v1/runs/{id} answered).
func TestQueuedRunSkippedSaysWhy(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	queue, q := f.enqueue(false)
	name := f.sync.Name
	if err := f.store.DeleteSync(f.ctx, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	got := f.workQueued(queue, q)
	if got.Status != QueuedStatusSkipped || got.SyncName != name ||
		!strings.HasPrefix(got.Error, `the sync "`+name+`" (id `) || !strings.Contains(got.Error, "was deleted before a daemon ran this run") {
		t.Errorf("queued run of a sync deleted since: %+v, want skipped, naming %q and saying it was deleted", got, name)
	}

	paused := f.world.NewSync(controlplane.Sync{Name: "to pause", BatchSize: 10})
	q, err := queue.Enqueue(f.ctx, paused, false)
	if err != nil {
		t.Fatal(err)
	}
	paused.Paused = true
	if err := f.store.UpdateSync(f.ctx, paused); err != nil {
		t.Fatal(err)
	}
	got = f.workQueued(queue, q)
	if got.Status != QueuedStatusSkipped || !strings.HasPrefix(got.Error, `sync "to pause": sync is paused`) {
		t.Errorf("queued run of a sync paused since: %+v, want skipped, its error the pause's", got)
	}
}
