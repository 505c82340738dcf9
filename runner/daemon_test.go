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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// TestReplicasScheduleOnce runs two daemons on one control plane: an `every` sync runs once
// (not once per replica), a manual sync never.
func TestReplicasScheduleOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.ScheduleEvery = "1h"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	manual := f.world.NewSync(controlplane.Sync{Name: "manual", BatchSize: 10})
	ctx, cancel := context.WithCancel(f.ctx)
	errs := make(chan error, 2)
	var replicas []*Daemon
	for range 2 {
		d := &Daemon{Engine: f.engine, PollInterval: 20 * time.Millisecond, StopTimeout: 5 * time.Second,
			polled: make(chan struct{}, 1)}
		replicas = append(replicas, d)
		go func() { errs <- d.Run(ctx) }()
	}
	controlplanetest.WaitFor(t, "the every sync to run", func() bool {
		runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
		return err == nil && len(runs) > 0 && runs[0].Status == controlplane.RunSucceeded
	})
	// Both replicas schedule ten more times, each pass after the run: none may queue it again.
	for _, d := range replicas {
		for range 11 { // the first may have begun before the run ended
			select {
			case <-d.polled:
			case <-time.After(60 * time.Second):
				t.Fatal("a replica stopped scheduling")
			}
		}
	}
	cancel()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("daemon: %v", err)
		}
	}
	if runs, _ := f.store.ListRuns(f.ctx, f.sync.ID, 10); len(runs) != 1 {
		t.Errorf("the every-1h sync ran %d times across two replicas, want 1", len(runs))
	}
	if runs, _ := f.store.ListRuns(f.ctx, manual.ID, 10); len(runs) != 0 {
		t.Errorf("the manual sync ran %d times", len(runs))
	}
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Errorf("delivered %v, want the 5 users once", got)
	}
}

// TestStoppedRunIsRedone stops a daemon while its `every 1h` run is stuck on a slow endpoint: the
// run is canceled and its job handed back. A daemon started again must redo the work at once,
// not count the canceled run as the one that served the schedule.
func TestStoppedRunIsRedone(t *testing.T) {
	t.Parallel()
	f, cancel, errc, unblock := daemonStuckOnItsEndpoint(t)
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("daemon: %v", err)
	}
	unblock()
	redoneAfterStop(t, f)
	got, _ := f.recv.Take("id")
	ids := map[string]bool{}
	for _, g := range got {
		ids[g] = true
	}
	for _, id := range []string{"1", "2", "3", "4", "10"} {
		if !ids["changed "+id] {
			t.Errorf("record %s never arrived; got %v", id, got)
		}
	}
	if n := f.ledgerKeys(); len(n) != 5 {
		t.Errorf("ledger %v, want the 5 users", n)
	}
}

// TestRunOutlivesRescueTimeout: the job's River timeout only tells the rescuer when a runner may
// be dead; a live run that takes longer is not canceled by it.
func TestRunOutlivesRescueTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.ScheduleEvery = "1h"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	started := make(chan struct{}, 100)
	f.recv.Handle(func(q *webhooktest.Request, _ http.ResponseWriter) bool {
		if q.N == 1 {
			started <- struct{}{}
			<-release
		}
		return false
	})
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	d := &Daemon{Engine: f.engine, Logger: slog.New(slog.DiscardHandler), PollInterval: 20 * time.Millisecond,
		StopTimeout: 5 * time.Second, RescueAfter: 200 * time.Millisecond}
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatal("the scheduled run did not start: hung a minute")
	}
	// Well past the job's timeout (this waits for the timeout to pass; it asserts no duration).
	time.Sleep(time.Second)
	releaseOnce.Do(func() { close(release) })
	controlplanetest.WaitFor(t, "the run to finish", func() bool {
		runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
		return err == nil && len(runs) > 0 && runs[0].Status != controlplane.RunRunning
	})
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("daemon: %v", err)
	}
	runs, _ := f.store.ListRuns(f.ctx, f.sync.ID, 10)
	if len(runs) != 1 || runs[0].Status != controlplane.RunSucceeded || runs[0].Counts.Delivered != 5 {
		for _, r := range runs {
			t.Logf("run %d: %s %+v %q", r.ID, r.Status, r.Counts, r.Error)
		}
		t.Fatalf("want one succeeded run that delivered 5")
	}
}

// TestScheduleContinuesAfterInsertError: a sync whose job cannot be queued does not keep the
// others from being scheduled.
func TestScheduleContinuesAfterInsertError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.ScheduleEvery = "1h"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.world.NewSync(controlplane.Sync{Name: "other", BatchSize: 10, ScheduleEvery: "1h"})
	var tried []int64
	d := &Daemon{Engine: f.engine, Logger: slog.New(slog.DiscardHandler)}
	d.insert = func(_ context.Context, args SyncArgs) (*rivertype.JobInsertResult, error) {
		tried = append(tried, args.SyncID)
		if len(tried) == 1 {
			return nil, errors.New("queue unavailable")
		}
		return &rivertype.JobInsertResult{}, nil
	}
	err := d.schedule(f.ctx)
	if err == nil {
		t.Errorf("schedule hid the failed insert")
	}
	if len(tried) != 2 {
		t.Errorf("schedule tried to queue syncs %v, want both", tried)
	}
}

// every15mServed schedules the fixture's sync every 15 minutes and records a run that served
// its slot ago (an interval) before the control plane's now, as a scheduled run that succeeded.
func (f *fixture) every15mServed(ago string) {
	f.t.Helper()
	f.sync.ScheduleEvery = "15m"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.store.Pool().Exec(f.ctx, `INSERT INTO backflow.sync_runs
		(sync_id, status, trigger, started_at, finished_at, scheduled_for, notified_at)
		VALUES ($1, 'succeeded', 'schedule', now() - $2::interval, now() - $2::interval, now() - $2::interval, now())`,
		f.sync.ID, ago); err != nil {
		f.t.Fatal(err)
	}
}

// backflow_schedule_lag_seconds says how long the sync furthest behind its schedule has waited
// for a run, from its first slot no run started for. Without it, syncs that fell behind (every
// worker busy with long runs, --max-syncs reached, a runner that was down) said so nowhere: no
// log line, no metric, until someone compared the runs' times with the schedules.
func TestScheduleLagMetric(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		served   string // the slot the last run served, that long ago; every 15m; "": never run
		changed  string // when the sync was last changed (created, its schedule set, unpaused)
		min, max time.Duration
	}{
		{"50 minutes", "1 day", 34 * time.Minute, 36 * time.Minute}, // slots 35 and 20 minutes ago unserved
		{"6 minutes", "1 day", 0, 0},                                // the next slot is 9 minutes ahead
		// Unpaused (or its schedule changed) 2 minutes ago: its wait counts from then, not
		// from the slots it was paused through. It said 35 minutes, and a sync paused for a
		// day and resumed, or a never-run one created long ago and unpaused, set off the
		// documented alert (> 900 s) at the pass that queued its run.
		{"50 minutes", "2 minutes", 2 * time.Minute, 3 * time.Minute},
		{"", "2 minutes", 2 * time.Minute, 3 * time.Minute},
	} {
		f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
		if tc.served != "" {
			f.every15mServed(tc.served)
		} else {
			f.sync.ScheduleEvery = "15m"
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.syncs SET created_at = now() - interval '1 day',
			updated_at = now() - $2::interval WHERE id = $1`, f.sync.ID, tc.changed); err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		f.engine.Metrics = NewMetrics(reg)
		d := &Daemon{Engine: f.engine, Logger: slog.New(slog.DiscardHandler)}
		d.insert = func(context.Context, SyncArgs) (*rivertype.JobInsertResult, error) {
			return &rivertype.JobInsertResult{}, nil
		}
		if err := d.schedule(f.ctx); err != nil {
			t.Fatal(err)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		lag := time.Duration(-1)
		for _, mf := range mfs {
			if mf.GetName() == "backflow_schedule_lag_seconds" {
				lag = time.Duration(mf.GetMetric()[0].GetGauge().GetValue() * float64(time.Second))
			}
		}
		if lag < tc.min || lag > tc.max {
			t.Errorf("every 15m, its last slot served %q ago, changed %s ago: backflow_schedule_lag_seconds = %s, want %s to %s",
				tc.served, tc.changed, lag, tc.min, tc.max)
		}
	}
}

// A scheduling pass that cannot reach the control plane forgets the earliest due time the last
// one found: the loop waits for it (less the last pass's clock) when it is set, and a pass that
// failed before clearing it had the loop wait that same gap again and again, however short,
// for the whole outage (before the control plane's clock, the gap to a time since past: none).
func TestFailedPassForgetsTheEarliestDueTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.every15mServed("1 minute")
	d := &Daemon{Engine: f.engine, Logger: slog.New(slog.DiscardHandler)}
	if err := d.schedule(f.ctx); err != nil || d.earliest.IsZero() {
		t.Fatalf("a pass with a slot 14 minutes ahead: %v, earliest due %v; want it set", err, d.earliest)
	}
	d.Engine = newTestEngine(controlplane.New(controlplanetest.Pool(t,
		"postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2"), nil))
	if err := d.schedule(f.ctx); err == nil {
		t.Fatal("a pass with the control plane unreachable succeeded")
	}
	if !d.earliest.IsZero() {
		t.Errorf("a pass with the control plane unreachable kept the earliest due time %v of the pass before it; "+
			"want none, the loop waiting its poll interval", d.earliest)
	}
}

// TestUnauthorizedFailsRun: a 401 fails the run (not bisected into rejections) and leaves the
// records pending.
func TestUnauthorizedFailsRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return true
	})
	run := f.run(controlplane.RunFailed, RunOptions{})
	if !strings.Contains(run.Error, "refused the credentials") || run.Counts.Rejected != 0 || run.Counts.Delivered != 0 {
		t.Errorf("run %+v %q: want failed, nothing rejected, an error about the credentials", run.Counts, run.Error)
	}
	if rej, _ := f.store.ListRejected(f.ctx, f.sync.ID); len(rej) != 0 {
		t.Errorf("rejected records %+v, want none", rej)
	}
	f.recv.Handle(nil)
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Errorf("after fixing the credentials delivered %v, want the 5 users", got)
	}
}

// daemonStuckOnItsEndpoint starts a daemon (stop timeout 100 ms) on a fixture whose sync runs
// every hour against a receiver that holds every request after the first until unblock is
// called, then answers 503 (the runner has gone, nothing is accepted); it returns once the run is
// stuck so. cancel stops the daemon, whose Run returns on errc; the test's end unblocks too.
func daemonStuckOnItsEndpoint(t *testing.T) (f *fixture, cancel func(), errc chan error, unblock func()) {
	t.Helper()
	f, started, unblock := stuckHourlySync(t)
	ctx, cancel := context.WithCancel(f.ctx)
	t.Cleanup(cancel)
	d := &Daemon{Engine: f.engine, Logger: slog.New(slog.DiscardHandler), PollInterval: 20 * time.Millisecond,
		StopTimeout: 100 * time.Millisecond}
	errc = make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatal("the scheduled run did not start: hung a minute")
	}
	return f, cancel, errc, unblock
}

// stuckHourlySync is daemonStuckOnItsEndpoint's fixture, before any daemon: started receives
// each request the receiver holds.
func stuckHourlySync(t *testing.T) (f *fixture, started chan struct{}, unblock func()) {
	t.Helper()
	f = newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.ScheduleEvery = "1h"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	var blocking atomic.Bool
	blocking.Store(true)
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock = func() {
		blocking.Store(false)
		releaseOnce.Do(func() { close(release) })
	}
	t.Cleanup(unblock)
	started = make(chan struct{}, 100)
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.N >= 2 && blocking.Load() {
			started <- struct{}{}
			<-release
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	return f, started, unblock
}

// redoneAfterStop checks that f's sync has one run, canceled by a daemon's stop, and that a
// daemon started again redoes its work at once (its job was handed back).
func redoneAfterStop(t *testing.T, f *fixture) {
	t.Helper()
	runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != controlplane.RunCanceled {
		t.Fatalf("after the stop: runs %+v, want one canceled", runs)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	d := &Daemon{Engine: f.engine, Logger: slog.New(slog.DiscardHandler), PollInterval: 20 * time.Millisecond,
		StopTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	controlplanetest.WaitFor(t, "the handed-back work to be redone", func() bool {
		runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
		return err == nil && len(runs) > 0 && runs[0].Status == controlplane.RunSucceeded
	})
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("daemon: %v", err)
	}
}

// TestJobOfAnOlderVersionOfTheSyncIsDropped: a scheduled run's job is queued for the sync as it
// was (SyncArgs.Version); one worked after the sync changed (queued behind a long run, snoozing
// while the sync was busy) ran the sync as if its old schedule still held: an apply that removed
// the schedule still got one more scheduled run. The job is dropped instead, and the next pass
// queues one for the sync as it now is, if its schedule makes a run due: a change that keeps the
// schedule (here the batch size) loses no run.
func TestJobOfAnOlderVersionOfTheSyncIsDropped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.ScheduleEvery = "1h"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Pool().Exec(f.ctx, `INSERT INTO backflow.sync_runs
		(sync_id, status, trigger, started_at, finished_at, scheduled_for, notified_at)
		VALUES ($1, 'succeeded', 'schedule', now() - interval '2 hours', now() - interval '2 hours',
			now() - interval '2 hours', now())`, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	queued := func() []SyncArgs {
		t.Helper()
		var args []SyncArgs
		d := &Daemon{Engine: f.engine, Logger: slog.New(slog.DiscardHandler)}
		d.insert = func(_ context.Context, a SyncArgs) (*rivertype.JobInsertResult, error) {
			args = append(args, a)
			return &rivertype.JobInsertResult{}, nil
		}
		if err := d.schedule(f.ctx); err != nil {
			t.Fatal(err)
		}
		return args
	}
	old := queued()
	if len(old) != 1 {
		t.Fatalf("a pass with the sync an hour overdue queued %v, want its run", old)
	}
	w := &syncWorker{jobRunner: testJobRunner(f)}
	job := &river.Job[SyncArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1}, Args: old[0]}

	// A change that keeps the schedule: the old job runs nothing, the next pass queues the run.
	f.sync.BatchSize = 3
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	if err := w.Work(f.ctx, job); err != nil {
		t.Fatalf("the job of the sync before its batch size changed: %v", err)
	}
	again := queued()
	if len(again) != 1 || !again[0].Due.Equal(old[0].Due) || again[0].Version.Equal(old[0].Version) {
		t.Fatalf("the pass after the change queued %v, want the same slot %s for the sync as it now is", again, old[0].Due)
	}

	// The schedule removed: the job of the scheduled sync runs nothing, and nothing is queued.
	f.sync.ScheduleEvery = ""
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	job.Args = again[0]
	if err := w.Work(f.ctx, job); err != nil {
		t.Fatalf("the job of the sync before its schedule was removed: %v", err)
	}
	if runs, _ := f.store.ListRuns(f.ctx, f.sync.ID, 10); len(runs) != 1 {
		for _, r := range runs {
			t.Logf("run %d: %s trigger %s", r.ID, r.Status, r.Trigger)
		}
		t.Errorf("the sync, its schedule removed, ran for a job queued before: %d runs, want only the one recorded before", len(runs))
	}
	if q := queued(); len(q) != 0 {
		t.Errorf("a pass queued %v for the sync without a schedule", q)
	}
}
