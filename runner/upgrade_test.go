package runner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestRunnerStopsOnNewerSchema is a runner left running through an upgrade: a newer Backflow
// migrates the control plane past the versions this binary knows while the daemon runs. A run
// started by hand (`sync`) is refused before it touches the sync (no run recorded, the run left
// running not closed, the fence not moved), and the daemon stops with the "schema is newer"
// error instead of going on running syncs by the old rules. Before, only a process starting on
// such a schema refused it: the daemon ran every queued and scheduled run on it.
func TestRunnerStopsOnNewerSchema(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.ScheduleEvery = "1h"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	d := &Daemon{Engine: f.engine, Logger: f.engine.Logger, PollInterval: 20 * time.Millisecond, StopTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	controlplanetest.WaitFor(t, "the scheduled run", func() bool {
		runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
		return err == nil && len(runs) == 1 && runs[0].Status == controlplane.RunSucceeded
	})

	// A newer release's migration lands, and a run of that release is left running.
	next := controlplane.LatestVersion() + 1
	pool := controlplanetest.Pool(t, f.cpURL)
	if _, err := pool.Exec(f.ctx, `INSERT INTO backflow.schema_migrations (version, name) VALUES ($1, 'from_the_future')`, next); err != nil {
		t.Fatal(err)
	}
	left, err := f.store.StartRun(f.ctx, f.sync.ID, controlplane.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	var fence int64
	if err := pool.QueryRow(f.ctx, `SELECT token FROM backflow.sync_fences WHERE sync_id = $1`, f.sync.ID).Scan(&fence); err != nil {
		t.Fatal(err)
	}

	select {
	case err := <-done:
		if !errors.Is(err, controlplane.ErrSchemaTooNew) {
			t.Errorf("daemon ended with %v, want the schema-too-new error", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the daemon still runs on a control plane migrated past the versions it knows")
	}

	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if !errors.Is(err, controlplane.ErrSchemaTooNew) || run != nil {
		t.Fatalf("a run on the newer schema: run %v, error %v; want no run and the schema-too-new error", run, err)
	}
	t.Logf("refused: %v", err)
	runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != left.ID || runs[0].Status != controlplane.RunRunning {
		t.Errorf("runs after the refusal: %d, newest %+v; want the scheduled run and the newer release's run, still running", len(runs), runs[0])
	}
	var after int64
	if err := pool.QueryRow(f.ctx, `SELECT token FROM backflow.sync_fences WHERE sync_id = $1`, f.sync.ID).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != fence {
		t.Errorf("the sync's fence moved from %d to %d: the refused runner took the sync", fence, after)
	}
}

// TestRunnerRefusesQueuedRunOnNewerSchema: a daemon between two scheduling passes (they are up to
// its poll interval apart) is handed a queued run after a newer Backflow migrated the control
// plane. It runs nothing, keeps the job for a replica that knows the schema, and stops.
func TestRunnerRefusesQueuedRunOnNewerSchema(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	d := &Daemon{Engine: f.engine, Logger: f.engine.Logger, PollInterval: time.Hour, StopTimeout: 5 * time.Second,
		polled: make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-d.polled: // its first pass is done: the next is an hour away
	case err := <-done:
		t.Fatalf("daemon: %v", err)
	}
	pool := controlplanetest.Pool(t, f.cpURL)
	if _, err := pool.Exec(f.ctx, `INSERT INTO backflow.schema_migrations (version, name) VALUES ($1, 'from_the_future')`,
		controlplane.LatestVersion()+1); err != nil {
		t.Fatal(err)
	}
	queue, err := NewRunQueue(f.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.Enqueue(f.ctx, f.sync, false)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, controlplane.ErrSchemaTooNew) {
			t.Errorf("daemon ended with %v, want the schema-too-new error", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the daemon still runs after a queued run met a control plane migrated past the versions it knows")
	}
	if runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10); err != nil || len(runs) != 0 {
		t.Errorf("runs recorded on the newer schema: %d (%v), want none", len(runs), err)
	}
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("sent %v on the newer schema, want nothing", got)
	}
	st, err := queue.Status(f.ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Done() {
		t.Errorf("the queued run's job ended (%+v); want it kept for a replica that knows the schema", st)
	}
}
