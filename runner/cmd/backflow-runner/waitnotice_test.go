package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// worldURL is the control plane's URL in w's environment.
func worldURL(w *world) string {
	for _, kv := range w.env {
		if v, ok := strings.CutPrefix(kv, controlplane.DatabaseURLEnv+"="); ok {
			return v
		}
	}
	w.t.Fatal("no control-plane URL in the world's environment")
	return ""
}

// TestCommandSaysWhichLockItWaitsFor: `runs` while another session holds a lock on
// backflow.sync_runs (a LOCK TABLE, a long migration of another tool) says, while it waits,
// which table it waits for and which session holds it, then answers once the lock is gone. It
// used to print nothing for as long as the lock was held.
func TestCommandSaysWhichLockItWaitsFor(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 3, newHook(t).URL, 10)
	if code, _, stderr := w.runCmd("sync", w.sync.Name); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	pool := controlplanetest.Pool(t, worldURL(w))
	tx, err := pool.Begin(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(w.ctx) }()
	var pid int64
	if err := tx.QueryRow(w.ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(w.ctx, `LOCK TABLE backflow.sync_runs IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	c, out := w.start("runs", "--log-format", "text")
	controlplanetest.WaitFor(t, "runs to say what it waits for", func() bool {
		return strings.Contains(out.String(), "still waiting") || c.ProcessState != nil
	})
	for _, want := range []string{`waiting_for="table backflow.sync_runs"`, fmt.Sprintf("holder_pid=%d", pid)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("runs waiting for a lock says %q, which lacks %s", out.String(), want)
		}
	}
	if err := tx.Rollback(w.ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("runs once the lock is gone: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "succeeded") {
		t.Errorf("runs once the lock is gone does not list the run:\n%s", out.String())
	}
}

// TestCommandSaysTheControlPlaneDoesNotAnswer: trigger --wait on a control plane that stops
// answering after the connection was made (a hung server or proxy) warns, while it waits, that
// the control plane does not answer, instead of waiting silent until it gives up.
func TestCommandSaysTheControlPlaneDoesNotAnswer(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 3, newHook(t).URL, 10)
	p, url := controlplanetest.NewStallProxy(t, worldURL(w))
	w.env = append(w.env, controlplane.DatabaseURLEnv+"="+url)
	c, out := w.start("trigger", w.sync.Name, "--wait", "--log-format", "text")
	controlplanetest.WaitFor(t, "the run to be queued", func() bool { return strings.Contains(out.String(), "queued run #") })
	p.Stall()
	controlplanetest.WaitFor(t, "trigger --wait to say the control plane does not answer", func() bool {
		return strings.Contains(out.String(), "the control plane does not answer it") || c.ProcessState != nil
	})
	if c.ProcessState != nil {
		t.Fatalf("trigger --wait ended:\n%s", out.String())
	}
}

// TestWaitWatchOfAFailedCopyFromStops: pgx ends a CopyFrom whose statement description fails
// (a table that is gone, its context done, the connection lost) without TraceCopyFromEnd. The
// watch it started was never stopped: every 30 s for as long as the process ran, it opened a
// connection to ask what a session long done with that COPY waited for, one more such watch for
// each such CopyFrom. The connection's next query, or its close, now stops it.
func TestWaitWatchOfAFailedCopyFromStops(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(controlplanetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	tracer := watchPool(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	copyGone := func() {
		t.Helper()
		_, err := pool.CopyFrom(ctx, pgx.Identifier{"no_such_table"}, []string{"a"}, pgx.CopyFromRows([][]any{{1}}))
		if err == nil {
			t.Fatal("CopyFrom into a table that does not exist succeeded")
		}
	}
	copyGone()
	if _, err := pool.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	if n := tracer.live.Load(); n != 0 {
		t.Errorf("%d watches left running after a failed CopyFrom and the connection's next query, want 0", n)
	}
	copyGone()
	pool.Close()
	if n := tracer.live.Load(); n != 0 {
		t.Errorf("%d watches left running after a failed CopyFrom and the pool's close, want 0", n)
	}
}
