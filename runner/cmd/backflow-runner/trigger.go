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
// answer before it gives up (exit 1), counted from the first poll that failed or has not
// answered; a variable for tests.
var triggerUnreachable = 2 * time.Minute

var triggerCommand = command{
	name: "trigger",
	usage: `Usage: backflow-runner trigger NAME|ID [--full] [--wait [--timeout D]] [--json] [flags]

Queues a run of the sync for the daemons (backflow-runner run) and prints the queued run's id;
the first free daemon replica runs it, through the same queue as its scheduled runs. It returns at
once. With --wait it waits for the run to end, prints it, and exits 0 when it succeeded and 1
when it failed, was blocked by the sync's guard, or was skipped (the sync was paused or deleted
before a daemon took it), or when --timeout passed first (the run stays queued, or goes on if it
had started). At --timeout it reads the run once more: a run that ended by then is reported as
it ended, with its exit code.

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
			return waitQueued(ctx, e, queue, q, *timeout, triggerPoll, *asJSON)
		}
	},
}

// queuedStatus reads a queued run's state: a *runner.RunQueue.
type queuedStatus interface {
	Status(ctx context.Context, id int64) (*runner.QueuedRun, error)
}

// waitQueued polls queued run q every poll until it ends (or timeout, when above 0), then prints
// it. At the timeout it reads the run once more and reports that state, not its last poll's
// (up to poll old: the run may have started or ended since).
func waitQueued(ctx context.Context, e *env, queue queuedStatus, q *runner.QueuedRun, timeout, poll time.Duration, asJSON bool) error {
	parent := ctx
	var deadline time.Time
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
		deadline, _ = ctx.Deadline()
	}
	timer := time.NewTimer(poll)
	defer timer.Stop()
	running := false
	var failingSince time.Time // when the polls began to fail; zero while they answer
	warned := false
	for !q.Done() {
		// The next poll, or the deadline if it comes first: no sleep goes past it.
		wait := poll
		if !deadline.IsZero() {
			wait = min(wait, time.Until(deadline))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		if err := parent.Err(); err != nil {
			return fmt.Errorf("stopped waiting; run #%d stays queued: %w", q.ID, err)
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return timedOut(parent, e, queue, q, timeout, asJSON)
		}
		// A poll is bounded too: on a control plane that takes the query and never answers (a
		// hung server or proxy, a network that drops packets) it waited for ever, and with it
		// trigger --wait, silent, past triggerUnreachable.
		since := failingSince
		if since.IsZero() {
			since = time.Now()
		}
		pctx, pcancel := context.WithDeadline(ctx, since.Add(triggerUnreachable))
		next, err := queue.Status(pctx, q.ID)
		pcancel()
		if err != nil {
			if ctx.Err() != nil {
				continue // reported above, at the next turn
			}
			if errors.Is(err, controlplane.ErrNotFound) {
				return err
			}
			// The control plane dropped the connection (a restart, a failover) or did not answer:
			// the run goes on without us; ask again, and give up only when it stays unreachable.
			failingSince = since
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
	return printWaited(e, q, asJSON)
}

// triggerLastRead bounds the read of a queued run at trigger --wait's --timeout.
const triggerLastRead = 10 * time.Second

// timedOut reports queued run q when --timeout passed: from a read made now, since the last
// poll may be up to triggerPoll old (the run started, or ended, since). When that read fails,
// from the last poll.
func timedOut(ctx context.Context, e *env, queue queuedStatus, q *runner.QueuedRun, timeout time.Duration, asJSON bool) error {
	rctx, cancel := context.WithTimeout(ctx, triggerLastRead)
	defer cancel()
	if next, err := queue.Status(rctx, q.ID); err == nil {
		q = next
	} else if errors.Is(err, controlplane.ErrNotFound) {
		return err
	} else {
		e.log.Warn("could not read the queued run at --timeout; reporting its last read state", "queued_run", q.ID,
			"status", q.Status, "err", err)
	}
	switch {
	case q.Done():
		return printWaited(e, q, asJSON)
	case q.Status == controlplane.RunRunning:
		return fmt.Errorf("run #%d is still running after --timeout %s; it goes on (backflow-runner runs shows it)",
			q.ID, timeout)
	default:
		return fmt.Errorf("run #%d is still %s after --timeout %s (is a daemon running? backflow-runner run); "+
			"it stays queued", q.ID, q.Status, timeout)
	}
}

// printWaited prints queued run q, ended, and returns nil only when it succeeded.
func printWaited(e *env, q *runner.QueuedRun, asJSON bool) error {
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
