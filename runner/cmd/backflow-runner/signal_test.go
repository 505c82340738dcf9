package main

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestSecondSignalStopsAtOnce: the first SIGINT stops a sync gracefully, which here waits on a
// control plane that does not answer (writing the run's end sleeps in the database); a second
// SIGINT ends the process at once, by the signal, instead of being swallowed while the stop
// waits out its timeouts.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	started := make(chan struct{}, 100)
	h.Gate(func(n int) {
		started <- struct{}{}
		<-release
	})
	w := newWorld(t, 50, h.URL, 10)
	// The run's end is written after a long sleep: a control plane that stopped answering.
	if _, err := w.store.Pool().Exec(w.ctx, `
		CREATE FUNCTION backflow.slow_run_end() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF OLD.status = 'running' AND NEW.status <> 'running' THEN PERFORM pg_sleep(600); END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER slow_run_end BEFORE UPDATE ON backflow.sync_runs
			FOR EACH ROW EXECUTE FUNCTION backflow.slow_run_end()`); err != nil {
		t.Fatal(err)
	}
	c, out := w.start("sync", w.sync.Name)
	select {
	case <-started:
	case <-time.After(60 * time.Second):
		t.Fatalf("the sync sent nothing:\n%s", out.String())
	}
	if err := c.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	controlplanetest.WaitFor(t, "the run's end waiting on the control plane", func() bool {
		var n int
		err := w.store.Pool().QueryRow(w.ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event = 'PgSleep'`).Scan(&n)
		return err == nil && n > 0
	})
	if err := c.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := c.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
		t.Fatalf("after a second SIGINT the sync ended with %v, want ended by the signal\n%s", err, out.String())
	}
	// Its session's sleep is the database's own to end; the test's cleanup drops the database.
	_, _ = w.store.Pool().Exec(w.ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event = 'PgSleep'`)
}
