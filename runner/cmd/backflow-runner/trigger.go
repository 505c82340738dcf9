package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// triggerPoll is how often trigger --wait looks at its queued run.
const triggerPoll = 500 * time.Millisecond

// triggerUnreachable is how long trigger --wait goes on asking a control plane that does not
// answer before it gives up (exit 1).
const triggerUnreachable = 2 * time.Minute

var triggerCommand = command{
	name: "trigger",
	usage: `Usage: backflow-runner trigger NAME|ID [--full] [--wait [--timeout D]] [--json] [flags]

Queues a run of the sync for the daemons (backflow-runner run) and prints the queued run's id;
the first free daemon replica runs it, through the same queue as its scheduled runs. It returns at
once. With --wait it waits for the run to end, prints it, and exits 0 when it succeeded and 1
when it failed, was blocked by the sync's guard, or was skipped (the sync was paused or deleted
before a daemon took it), or when --timeout passed first (the run stays queued).

A paused sync is refused. A daemon's API queues the same way (POST /v1/syncs/{id or name}/runs),
and GET /v1/runs/{id} answers with the id printed here.

  --full   resend every current record (sends no deletes)
  --json   print the queued run (and with --wait the finished one) as the API's JSON
`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		full := fs.Bool("full", false, "resend every current record; send no deletes")
		wait := fs.Bool("wait", false, "wait for the run to end; exit 0 only when it succeeded")
		timeout := fs.Duration("timeout", 0, "with --wait: give up waiting after this long (0: wait until it ends)")
		asJSON := fs.Bool("json", false, "print the queued run as JSON")
		return func(ctx context.Context, e *env, args []string) error {
			if *timeout < 0 {
				return usageError("--timeout must be 0 (no limit) or above")
			}
			if *timeout > 0 && !*wait {
				return usageError("--timeout applies to --wait: add --wait")
			}
			store, y, err := e.openSync(ctx, args, false, 0)
			if err != nil {
				return err
			}
			defer store.Close()
			queue, err := runner.NewRunQueue(store, e.log)
			if err != nil {
				return err
			}
			q, err := queue.Enqueue(ctx, y, *full)
			if err != nil {
				return err
			}
			if *asJSON {
				if err := json.NewEncoder(e.stdout).Encode(runner.NewQueuedRunJSON(q)); err != nil {
					return err
				}
			} else {
				kind := "run"
				if *full {
					kind = "full run"
				}
				fmt.Fprintf(e.stdout, "queued %s #%d of sync %q: a daemon (backflow-runner run) runs it\n", kind, q.ID, y.Name)
			}
			if !*wait {
				return nil
			}
			return waitQueued(ctx, e, queue, q, *timeout, *asJSON)
		}
	},
}

// waitQueued polls queued run q until it ends (or timeout, when above 0), then prints it.
func waitQueued(ctx context.Context, e *env, queue *runner.RunQueue, q *runner.QueuedRun, timeout time.Duration, asJSON bool) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	tick := time.NewTicker(triggerPoll)
	defer tick.Stop()
	running := false
	var failingSince time.Time // when the polls began to fail; zero while they answer
	warned := false
	for !q.Done() {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				if q.Status == controlplane.RunRunning {
					return fmt.Errorf("run #%d is still running after --timeout %s; it goes on (backflow-runner runs shows it)",
						q.ID, timeout)
				}
				return fmt.Errorf("run #%d is still %s after --timeout %s (is a daemon running? backflow-runner run); "+
					"it stays queued", q.ID, q.Status, timeout)
			}
			return fmt.Errorf("stopped waiting; run #%d stays queued: %w", q.ID, ctx.Err())
		case <-tick.C:
		}
		next, err := queue.Status(ctx, q.ID)
		if err != nil {
			if ctx.Err() != nil {
				continue // reported above, at the next turn
			}
			if errors.Is(err, controlplane.ErrNotFound) {
				return err
			}
			// The control plane dropped the connection (a restart, a failover) or did not answer:
			// the run goes on without us; ask again, and give up only when it stays unreachable.
			if failingSince.IsZero() {
				failingSince = time.Now()
			}
			if time.Since(failingSince) >= triggerUnreachable {
				return fmt.Errorf("run #%d: the control plane has not answered for %s: %w (the run goes on; "+
					"backflow-runner runs shows it)", q.ID, triggerUnreachable, err)
			}
			if !warned {
				warned = true
				e.log.Warn("could not read the queued run; asking again", "queued_run", q.ID, "err", err)
			}
			continue
		}
		failingSince, warned = time.Time{}, false
		q = next
		if !running && q.Status == controlplane.RunRunning {
			running = true
			e.log.Info("queued run started", "queued_run", q.ID, "run", q.Run.ID)
		}
	}
	if asJSON {
		if err := json.NewEncoder(e.stdout).Encode(runner.NewQueuedRunJSON(q)); err != nil {
			return err
		}
	} else if q.Run != nil && q.Status != runner.QueuedStatusSkipped {
		printRun(e.stdout, q.Run)
	} else {
		fmt.Fprintf(e.stdout, "run #%d of sync %q was %s: %s\n", q.ID, q.SyncName, q.Status, q.Error)
	}
	if q.Status != controlplane.RunSucceeded {
		return errReported
	}
	return nil
}
