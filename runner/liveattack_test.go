package runner

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// TestRescuedQueuedRunRunsOnce: a queued run (`trigger --full`) that outlives --rescue-after is
// alive, not dead: River's rescuer hands its job to a second attempt anyway, which finds the sync
// busy and snoozes. Once the first attempt's run has ended, the job's work is done: the second
// attempt must not run the sync again (a second full resend of every record).
func TestRescuedQueuedRunRunsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	queue, err := NewRunQueue(f.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.Enqueue(f.ctx, f.sync, true)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	started := make(chan struct{}, 1)
	f.recv.Handle(func(r *webhooktest.Request, _ http.ResponseWriter) bool {
		if r.N == 1 {
			started <- struct{}{}
			<-release
		}
		return false
	})
	w := &triggerWorker{jobRunner: jobRunner{engine: f.engine, log: slog.New(slog.DiscardHandler), rescueAfter: time.Minute}}
	job := func(attempt int) *river.Job[TriggerArgs] {
		return &river.Job[TriggerArgs]{JobRow: &rivertype.JobRow{ID: q.ID, Attempt: attempt},
			Args: TriggerArgs{SyncID: f.sync.ID, Full: true}}
	}
	first := make(chan error, 1)
	go func() { first <- w.Work(f.ctx, job(1)) }()
	select {
	case <-started:
	case <-time.After(45 * time.Second):
		t.Fatal("the queued run did not start")
	}
	// The rescuer's second attempt, while the first still runs: the sync is busy.
	var snooze *river.JobSnoozeError
	if err := w.Work(f.ctx, job(2)); !errors.As(err, &snooze) {
		t.Fatalf("second attempt while the first runs: %v, want a snooze", err)
	}
	unblock()
	if err := <-first; err != nil {
		t.Fatalf("first attempt: %v", err)
	}
	// The snoozed second attempt is worked again.
	if err := w.Work(f.ctx, job(2)); err != nil {
		t.Fatalf("second attempt after the first ended: %v", err)
	}
	runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != controlplane.RunSucceeded {
		for _, r := range runs {
			t.Logf("run %d: %s trigger %s job %d delivered %d", r.ID, r.Status, r.Trigger, r.JobID, r.Counts.Delivered)
		}
		t.Errorf("one queued full run made %d runs, want 1", len(runs))
	}
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Errorf("the endpoint received %d records (%v), want the 5 users once", len(got), got)
	}
}
