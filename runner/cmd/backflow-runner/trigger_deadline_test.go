package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// endingRun is a queued run's status source whose run is in state before until the instant at,
// and in state after from then on.
type endingRun struct {
	at            time.Time
	before, after string

	mu    sync.Mutex
	reads int
}

func (r *endingRun) Status(ctx context.Context, id int64) (*runner.QueuedRun, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.reads++
	r.mu.Unlock()
	status := r.before
	if !time.Now().Before(r.at) {
		status = r.after
	}
	q := &runner.QueuedRun{ID: id, SyncID: 1, SyncName: "s", Status: status}
	if status != runner.QueuedStatusQueued {
		q.Run = &controlplane.Run{ID: 7, SyncID: 1, SyncName: "s", Status: status, Trigger: controlplane.TriggerQueued}
	}
	return q, nil
}

// TestTriggerWaitReadsAtDeadline: at --timeout, trigger --wait reports the run's state as read
// at the deadline, not its last poll's. The run changes state at the deadline itself and the
// polls are an hour apart, so that no poll sees the change: trigger used to report the run
// "still queued" (or "still running"), exit 1, when it had started or ended.
func TestTriggerWaitReadsAtDeadline(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		before, after string
		wantErr       string // "" for a nil error (exit 0); "reported" for errReported (exit 1, run printed)
		wantOut       string
	}{
		{runner.QueuedStatusQueued, controlplane.RunSucceeded, "", "run 7 of sync \"s\": succeeded"},
		{controlplane.RunRunning, controlplane.RunSucceeded, "", "run 7 of sync \"s\": succeeded"},
		{runner.QueuedStatusQueued, controlplane.RunFailed, "reported", "run 7 of sync \"s\": failed"},
		{runner.QueuedStatusQueued, controlplane.RunRunning, "is still running after --timeout", ""},
		{runner.QueuedStatusQueued, runner.QueuedStatusQueued, "is still queued after --timeout", ""},
	} {
		t.Run(c.before+"-"+c.after, func(t *testing.T) {
			t.Parallel()
			const timeout = 50 * time.Millisecond
			src := &endingRun{at: time.Now().Add(time.Hour), before: c.before, after: c.after}
			var out bytes.Buffer
			e := &env{stdout: &out, stderr: io.Discard, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			q, _ := src.Status(context.Background(), 42) // as Enqueue returned it, or as a poll read it
			src.at = time.Now().Add(timeout)             // at or before waitQueued's deadline
			err := waitQueued(context.Background(), e, src, q, timeout, time.Hour, false)
			switch {
			case c.wantErr == "" && err != nil,
				c.wantErr == "reported" && !errors.Is(err, errReported),
				c.wantErr != "" && c.wantErr != "reported" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("run %s until the deadline, %s from it: err %v, want %q\n%s", c.before, c.after, err, c.wantErr, out.String())
			}
			if !strings.Contains(out.String(), c.wantOut) {
				t.Errorf("run %s until the deadline, %s from it: output lacks %q:\n%s", c.before, c.after, c.wantOut, out.String())
			}
		})
	}
}

// hungRun is a queued run's status source on a control plane that takes each read and never
// answers: a read ends only with its context.
type hungRun struct{}

func (hungRun) Status(ctx context.Context, id int64) (*runner.QueuedRun, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestTriggerWaitGivesUpOnAHungControlPlane: trigger --wait whose polls get no answer (a hung
// server or proxy after the connection was made) gives up after triggerUnreachable, as the docs
// say, instead of waiting for ever in its poll, silent: its polls had no deadline, and only one
// that failed counted.
func TestTriggerWaitGivesUpOnAHungControlPlane(t *testing.T) {
	defer func(d time.Duration) { triggerUnreachable = d }(triggerUnreachable)
	triggerUnreachable = 100 * time.Millisecond
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: io.Discard, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	q := &runner.QueuedRun{ID: 42, SyncID: 1, SyncName: "s", Status: runner.QueuedStatusQueued}
	// A bound only for a test that would otherwise never end.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := waitQueued(ctx, e, hungRun{}, q, 0, 10*time.Millisecond, false)
	if ctx.Err() != nil || err == nil || !strings.Contains(err.Error(), "has not answered") {
		t.Fatalf("trigger --wait on a control plane that never answers: err %v (the test's own bound ended: %v); "+
			"want it to give up by itself, saying the control plane has not answered", err, ctx.Err())
	}
}
