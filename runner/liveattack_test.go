package runner

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// testJobRunner is what a daemon's workers share, for tests that call a worker's Work as River
// would (an attempt, a snoozed job worked again).
func testJobRunner(f *fixture) jobRunner {
	return jobRunner{engine: f.engine, log: slog.New(slog.DiscardHandler), rescueAfter: time.Minute}
}

// queuedFullRun is a fixture with a full run of its sync queued (`trigger --full`), not worked yet.
func queuedFullRun(t *testing.T) (*fixture, *QueuedRun) {
	t.Helper()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	_, q := f.enqueue(true)
	return f, q
}

// TestRescuedQueuedRunRunsOnce: a queued run (`trigger --full`) that outlives --rescue-after is
// alive, not dead: River's rescuer hands its job to a second attempt anyway, which finds the sync
// busy and snoozes. Once the first attempt's run has ended, the job's work is done: the second
// attempt must not run the sync again (a second full resend of every record).
func TestRescuedQueuedRunRunsOnce(t *testing.T) {
	t.Parallel()
	f, q := queuedFullRun(t)
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
	w := &triggerWorker{jobRunner: testJobRunner(f)}
	job := func(attempt int) *river.Job[TriggerArgs] {
		return &river.Job[TriggerArgs]{JobRow: &rivertype.JobRow{ID: q.ID, Attempt: attempt},
			Args: TriggerArgs{SyncID: f.sync.ID, Full: true}}
	}
	first := make(chan error, 1)
	go func() { first <- w.Work(f.ctx, job(1)) }()
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatal("the queued run did not start: hung a minute")
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

// TestGoneFromARetiredURLDoesNotPause: a terraform apply moves the destination connection to a new
// URL while a run is under way, and the old endpoint, retired, answers the run's requests 410
// Gone. The 410 is about the URL the run read at its start, not the connection's: the sync must
// not be paused (it would never run again until someone unpauses it), the run says why, and the
// next run delivers to the new URL. A 410 from the URL the connection still has pauses the sync.
func TestGoneFromARetiredURLDoesNotPause(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	var moved sync.Once
	f.recv.Handle(func(r *webhooktest.Request, w http.ResponseWriter) bool {
		if r.Path != "/hook" {
			return false
		}
		moved.Do(func() {
			dest := *f.dest
			wh := *dest.Webhook
			wh.URL = strings.TrimSuffix(wh.URL, "/hook") + "/new-hook"
			dest.Webhook = &wh
			if err := f.store.UpdateConnection(f.ctx, &dest); err != nil {
				t.Errorf("move the connection: %v", err)
			}
		})
		w.WriteHeader(http.StatusGone)
		return true
	})
	run := f.run(controlplane.RunFailed, RunOptions{})
	if !strings.Contains(run.Error, "410") || !strings.Contains(run.Error, "not paused") {
		t.Errorf("run error = %q, want the 410 and that the sync is not paused", run.Error)
	}
	if y, err := f.store.GetSync(f.ctx, f.sync.ID); err != nil || y.Paused {
		t.Fatalf("a 410 from the URL the connection left paused the sync (%v): %+v", err, y)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Errorf("the new URL received %v, want the 5 users", got)
	}

	// The new URL retired in turn, the connection unchanged: the sync is paused.
	f.exec(`UPDATE users SET name = 'Ada B' WHERE id = 1`)
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusGone)
		return true
	})
	run = f.run(controlplane.RunFailed, RunOptions{})
	if y, err := f.store.GetSync(f.ctx, f.sync.ID); err != nil || !y.Paused || !strings.Contains(y.PausedReason, "410") {
		t.Errorf("a 410 from the connection's URL: sync %+v (%v), want paused for the 410", y, err)
	}
	if !strings.Contains(run.Error, "the sync is paused") {
		t.Errorf("run error = %q, want that the sync is paused", run.Error)
	}
}

// TestDeleteSyncDuringACommit: terraform destroys (or replaces) a sync while its run commits a
// group of delivered records. The deletion must succeed; the run, whose sync is gone, fails —
// unless its end took the sync's fence before the deletion did (the deletion waits on the commit's
// transaction, and the run's next one can lock the fence first): then the run ended before the
// sync was deleted, and succeeded. Either way nothing of the sync is left.
func TestDeleteSyncDuringACommit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	pool := controlplanetest.Pool(t, f.cpURL)
	// The first run stores its ledger as pages: its first commit holds the fence, then waits here.
	hold, err := pool.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = hold.Rollback(f.ctx) }()
	if _, err := hold.Exec(f.ctx, `LOCK TABLE backflow.sync_ledger_pages IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	// waiting waits for a session waiting on a lock whose query is (or, with not, is not) like like.
	waiting := func(what, like string, not bool) {
		controlplanetest.WaitFor(t, what, func() bool {
			var n int
			err := pool.QueryRow(f.ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
				AND datname = current_database() AND (query LIKE $1) <> $2`, like, not).Scan(&n)
			return err == nil && n > 0
		})
	}
	type result struct {
		run *controlplane.Run
		err error
	}
	ran := make(chan result, 1)
	go func() {
		r, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
		ran <- result{r, err}
	}()
	waiting("the run's commit to wait on the pages", "%sync_ledger_pages%", false)
	deleted := make(chan error, 1)
	go func() { deleted <- f.store.DeleteSync(f.ctx, f.sync.ID) }()
	waiting("the deletion to wait on the run's commit", "%sync_ledger_pages%", true)
	if err := hold.Rollback(f.ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-deleted:
		if err != nil {
			t.Errorf("deleting the sync while its run commits: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the deletion still waits")
	}
	select {
	case r := <-ran:
		if r.err == nil {
			if r.run == nil || r.run.Status != controlplane.RunSucceeded || r.run.Counts.Delivered != 5 {
				t.Errorf("the run that ended before its sync was deleted: %+v, want it succeeded having delivered the 5 records", r.run)
			}
		} else if !strings.Contains(r.err.Error(), "was deleted while this run went on") ||
			!errors.Is(r.err, controlplane.ErrLockLost) {
			t.Errorf("the run of a sync deleted under it: %v, want it said so (and errors.Is ErrLockLost)", r.err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the run still runs")
	}
	// Nothing of the sync is left behind (the ledger's tables have no foreign key).
	for _, table := range []string{"sync_ledger", "sync_ledger_pages", "sync_intents"} {
		var n int
		if err := pool.QueryRow(f.ctx, `SELECT count(*) FROM backflow.`+table+` WHERE sync_id = $1`, f.sync.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows of the deleted sync (%v)", table, n, err)
		}
	}
}

// TestScheduledJobNotServedByARunThatIsCanceled: a scheduled run's job comes due while a run started
// by hand (a foreground `sync`) runs: that run serves the job only if it ends having done its
// work. Stopped (Ctrl-C), it is canceled: the job must still run the sync. (Completing the job
// when it saw the run under way left the slot served by nothing: the daemon queues a slot's job
// once, so the sync waited a whole interval for its next slot.)
func TestScheduledJobNotServedByARunThatIsCanceled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.ScheduleEvery = "1h"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(-time.Second)
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	started := make(chan struct{}, 1)
	f.recv.Handle(func(r *webhooktest.Request, w http.ResponseWriter) bool {
		if r.N == 1 {
			started <- struct{}{}
			<-release
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	fgCtx, stopForeground := context.WithCancel(f.ctx)
	defer stopForeground()
	foreground := make(chan *controlplane.Run, 1)
	go func() {
		r, _ := f.engine.Run(fgCtx, f.sync.ID, RunOptions{Trigger: controlplane.TriggerManual})
		foreground <- r
	}()
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatal("the foreground run did not start: hung a minute")
	}
	w := &syncWorker{jobRunner: testJobRunner(f)}
	job := &river.Job[SyncArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1},
		Args: SyncArgs{SyncID: f.sync.ID, Due: due, Version: f.sync.UpdatedAt}}
	var snooze *river.JobSnoozeError
	if err := w.Work(f.ctx, job); !errors.As(err, &snooze) {
		t.Fatalf("the job, while a run started after it came due runs: %v, want a snooze until that run ends", err)
	}
	stopForeground() // Ctrl-C
	unblock()
	if r := <-foreground; r == nil || r.Status != controlplane.RunCanceled {
		t.Fatalf("the foreground run: %+v, want canceled", r)
	}
	if err := w.Work(f.ctx, job); err != nil {
		t.Fatalf("the job after the run was canceled: %v", err)
	}
	runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Status != controlplane.RunSucceeded || runs[0].Trigger != controlplane.TriggerSchedule {
		for _, r := range runs {
			t.Logf("run %d: %s trigger %s", r.ID, r.Status, r.Trigger)
		}
		t.Errorf("want the canceled foreground run, then the scheduled run, succeeded")
	}
	// A run that ends having done its work serves the job: it is not run again.
	if err := w.Work(f.ctx, job); err != nil {
		t.Fatalf("the job once served: %v", err)
	}
	if runs, _ := f.store.ListRuns(f.ctx, f.sync.ID, 10); len(runs) != 2 {
		t.Errorf("the served job ran the sync again: %d runs", len(runs))
	}
}

// TestGoneToRequestsInFlightTogether: an endpoint retired answers 410 to the requests in flight
// at once. The sync is paused, and the run says so: the second 410 does not find the sync
// "changed since the run started" because the first paused it.
func TestGoneToRequestsInFlightTogether(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	var arrived sync.WaitGroup
	arrived.Add(2)
	var n atomic.Int32
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		if n.Add(1) <= 2 {
			arrived.Done()
			arrived.Wait() // both requests (--concurrency 2) are in flight
		}
		w.WriteHeader(http.StatusGone)
		return true
	})
	run := f.run(controlplane.RunFailed, RunOptions{})
	if y, err := f.store.GetSync(f.ctx, f.sync.ID); err != nil || !y.Paused {
		t.Errorf("sync %+v (%v), want paused", y, err)
	}
	if !strings.Contains(run.Error, "so the sync is paused") || strings.Contains(run.Error, "not paused") {
		t.Errorf("run error = %q, want that the sync is paused", run.Error)
	}
}

// TestQueuedRunTakenOverIsRunAgain: a queued full run (`trigger --full`) whose sync another runner
// takes over mid-run (its lock's session was cut off unseen; the other runner bumped the fence and
// closed the run as canceled) did not do its work: its job is handed back and runs the sync again,
// so the queued run ends succeeded, not canceled with half of the full resend never sent.
func TestQueuedRunTakenOverIsRunAgain(t *testing.T) {
	t.Parallel()
	f, q := queuedFullRun(t)
	var takeover sync.Once
	f.recv.Handle(func(r *webhooktest.Request, _ http.ResponseWriter) bool {
		takeover.Do(func() {
			// What a runner taking the sync over does (AcquireSync, then AbandonRuns).
			if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.sync_fences SET token = token + 1 WHERE sync_id = $1`,
				f.sync.ID); err != nil {
				t.Errorf("bump the fence: %v", err)
			}
			if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.sync_runs SET status = 'canceled', finished_at = now(),
				error = 'taken over' WHERE sync_id = $1 AND status = 'running'`, f.sync.ID); err != nil {
				t.Errorf("close the run: %v", err)
			}
		})
		return false
	})
	w := &triggerWorker{jobRunner: testJobRunner(f)}
	job := &river.Job[TriggerArgs]{JobRow: &rivertype.JobRow{ID: q.ID, Attempt: 1}, Args: TriggerArgs{SyncID: f.sync.ID, Full: true}}
	var snooze *river.JobSnoozeError
	if err := w.Work(f.ctx, job); !errors.As(err, &snooze) {
		t.Fatalf("the job whose run was taken over: %v, want it handed back (a snooze)", err)
	}
	// The run may have learnt of the takeover from a fenced write of its own (the intents of a
	// later batch) and given up on its requests while the receiver still handled them (the first
	// one is the takeover): accepted after this Take, they were counted as the next run's.
	controlplanetest.WaitFor(t, "the taken-over run's requests handled", func() bool { return f.recv.InFlight() == 0 })
	f.recv.Take("id")
	if err := w.Work(f.ctx, job); err != nil {
		t.Fatalf("the job handed back: %v", err)
	}
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Errorf("the job handed back sent %v, want the 5 users (a full run)", got)
	}
	run, err := f.store.RunOfJob(f.ctx, q.ID)
	if err != nil || run.Status != controlplane.RunSucceeded || run.Trigger != controlplane.TriggerFull {
		t.Errorf("the queued run's run: %+v (%v), want a full run succeeded", run, err)
	}
}

// TestSyncDeletedWhileWaitingForItsLock: a foreground `sync` waits for the lock another runner
// holds; meanwhile terraform destroys (or replaces) the sync. When the lock comes, the run must
// say the sync was deleted, not that "a referenced connection or model does not exist".
func TestSyncDeletedWhileWaitingForItsLock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.run(controlplane.RunSucceeded, RunOptions{}) // the sync has a fence
	other, err := f.store.AcquireSync(f.ctx, f.sync.ID, false, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{Wait: true, OnWait: func() { close(waiting) }})
		done <- err
	}()
	select {
	case <-waiting:
	case err := <-done:
		other.Release()
		t.Fatalf("the run did not wait for the lock: %v", err)
	}
	err = f.store.DeleteSync(f.ctx, f.sync.ID)
	other.Release()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, controlplane.ErrNotFound) || !strings.Contains(err.Error(), "was deleted") ||
			strings.Contains(err.Error(), "connection or model") {
			t.Errorf("the run of a sync deleted while it waited for the lock: %v, want it said the sync was deleted", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the run still waits")
	}
}

// TestQueuedJobServedWhileTakingTheLock: a rescued attempt of a queued job reads the job's run
// as still running (so not served), and that run ends, succeeded, and lets go of the sync's lock
// before the attempt takes it: holding the lock, the attempt must see that the job's work is done
// and run nothing (a second full resend of every record, for trigger --full). Engine.Run, asked
// for a job whose run already served it, runs nothing and says ErrJobServed; the worker completes
// the job.
func TestQueuedJobServedWhileTakingTheLock(t *testing.T) {
	t.Parallel()
	f, q := queuedFullRun(t)
	w := &triggerWorker{jobRunner: testJobRunner(f)}
	if err := w.Work(f.ctx, &river.Job[TriggerArgs]{JobRow: &rivertype.JobRow{ID: q.ID, Attempt: 1},
		Args: TriggerArgs{SyncID: f.sync.ID, Full: true}}); err != nil {
		t.Fatalf("first attempt: %v", err)
	}
	f.recv.Take("id")
	// The second attempt, past its check of the job's run: it takes the lock and runs.
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{Trigger: controlplane.TriggerQueued, Full: true, JobID: q.ID})
	if !errors.Is(err, ErrJobServed) || run != nil {
		t.Errorf("a run for a job its first run served: run %v, %v; want none, ErrJobServed", run, err)
	}
	if runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10); err != nil || len(runs) != 1 {
		t.Errorf("one queued full run made %d runs (%v), want 1", len(runs), err)
	}
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("the endpoint received %d records again, want none", len(got))
	}
}

// TestScheduledSlotServedWhileTakingTheLock: a scheduled job's attempt checks that no run has
// served its slot (syncWorker.Work: LastRunServing), and a run that started after the slot (a
// foreground `sync`, or the twin job of a changed sync) then ends and lets go of the sync's lock
// before the attempt takes it. Holding the lock, the attempt must see that the slot is served and
// run nothing, as a queued job's does (TestQueuedJobServedWhileTakingTheLock): Engine.Run says
// ErrJobServed, and the worker completes the job.
func TestScheduledSlotServedWhileTakingTheLock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	served := f.run(controlplane.RunSucceeded, RunOptions{Trigger: controlplane.TriggerManual})
	f.recv.Take("id")
	due := served.StartedAt // the slot came due as that run started: it serves it
	// The attempt, past its check (made before that run started): it takes the lock and runs.
	for _, opts := range []RunOptions{{Trigger: controlplane.TriggerSchedule, Due: due},
		{Trigger: controlplane.TriggerAfter, Due: due, ParentRuns: []int64{served.ID}}} {
		run, err := f.engine.Run(f.ctx, f.sync.ID, opts)
		if !errors.Is(err, ErrJobServed) || run != nil {
			t.Errorf("a %s run for a slot a run served: run %v, %v; want none, ErrJobServed", opts.Trigger, run, err)
		}
	}
	if runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10); err != nil || len(runs) != 1 {
		t.Errorf("one slot made %d runs (%v), want 1", len(runs), err)
	}
	// A slot after that run's start is not served by it.
	if _, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{Trigger: controlplane.TriggerSchedule,
		Due: due.Add(time.Millisecond)}); err != nil {
		t.Errorf("a run for a later slot: %v", err)
	}
}
