package runner

import (
	"errors"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestRunnerDuringNewerMigration: a newer Backflow's migration in progress (its transaction has
// recorded the new version, not committed) refuses nothing: a run goes on, and CheckSchema says
// the schema is current; a migration rolled back leaves it so. One that holds the sync fences'
// table (a migration altering it) and commits refuses the run that waited on it: the statement
// sees the version the migration committed, not the one before its wait.
func TestRunnerDuringNewerMigration(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	pool := controlplanetest.Pool(t, f.cpURL)
	next := controlplane.LatestVersion() + 1

	tx, err := pool.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(f.ctx, `INSERT INTO backflow.schema_migrations (version, name) VALUES ($1, 'in_progress')`, next); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CheckSchema(f.ctx); err != nil {
		t.Errorf("CheckSchema during an uncommitted migration: %v, want nil", err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if err := tx.Rollback(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})

	// The migration alters the fences' table: the run's fence waits for it, then sees its version.
	tx, err = pool.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(f.ctx) }()
	if _, err := tx.Exec(f.ctx, `INSERT INTO backflow.schema_migrations (version, name) VALUES ($1, 'alters_fences')`, next); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(f.ctx, `ALTER TABLE backflow.sync_fences ADD COLUMN from_the_future int`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		run *controlplane.Run
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
		done <- result{r, err}
	}()
	controlplanetest.WaitFor(t, "the run's fence to wait on the migration", func() bool {
		var n int
		err := pool.QueryRow(f.ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
			AND query LIKE '%sync_fences%'`).Scan(&n)
		return err == nil && n > 0
	})
	if err := tx.Commit(f.ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if !errors.Is(r.err, controlplane.ErrSchemaTooNew) || r.run != nil {
			t.Errorf("a run that waited on a newer migration which then committed: run %+v, error %v; want refused", r.run, r.err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the run still waits")
	}
}

// TestRunnerStopsOnNewerSchemaMidRun: a daemon whose run is stuck on a slow endpoint when a newer
// Backflow migrates the control plane stops as on SIGTERM: the run gets the stop timeout, is
// recorded canceled (not left running), and its job is handed back: a daemon that knows the
// schema (here: the version row removed again) redoes the work at once.
func TestRunnerStopsOnNewerSchemaMidRun(t *testing.T) {
	t.Parallel()
	f, _, errc, unblock := daemonStuckOnItsEndpoint(t)
	pool := controlplanetest.Pool(t, f.cpURL)
	next := controlplane.LatestVersion() + 1
	if _, err := pool.Exec(f.ctx, `INSERT INTO backflow.schema_migrations (version, name) VALUES ($1, 'from_the_future')`, next); err != nil {
		t.Fatal(err)
	}
	waitSchemaTooNew(t, errc, "the daemon still runs")
	unblock()
	if _, err := pool.Exec(f.ctx, `DELETE FROM backflow.schema_migrations WHERE version = $1`, next); err != nil {
		t.Fatal(err)
	}
	redoneAfterStop(t, f)
	if runs, _ := f.store.ListRuns(f.ctx, f.sync.ID, 10); len(runs) != 2 {
		t.Errorf("runs: %d, want the canceled one and the one that redid it", len(runs))
	}
}
