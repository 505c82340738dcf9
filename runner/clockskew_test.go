package runner

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// The runner's clock is not the control plane's: a VM resumed from suspend runs behind until
// NTP steps it, and one can run ahead. A sync's schedule counts from the slot its last run served
// (the control plane's clock), so it is judged on that clock too: a runner ahead of it ran every
// slot early by its skew (a cron's midnight run before midnight), and one behind ran none until
// its clock caught up (hours, after a suspend).
func TestScheduleOnTheControlPlanesClock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		skew     time.Duration // the runner's clock minus the control plane's
		lastSlot string        // the slot the last run served, before the control plane's now
		want     bool          // the sync is due
	}{
		{"runner ahead, slot not due", 10 * time.Minute, "6 minutes", false},
		{"runner behind, slot due", -time.Hour, "20 minutes", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
			f.every15mServed(tc.lastSlot)
			var queued []SyncArgs
			var logged bytes.Buffer
			d := &Daemon{Engine: f.engine, Logger: slog.New(slog.NewTextHandler(&logged, nil)),
				clock: func() time.Time { return time.Now().Add(tc.skew) }}
			d.insert = func(_ context.Context, args SyncArgs) (*rivertype.JobInsertResult, error) {
				queued = append(queued, args)
				return &rivertype.JobInsertResult{}, nil
			}
			if err := d.schedule(f.ctx); err != nil {
				t.Fatal(err)
			}
			if got := len(queued) > 0; got != tc.want {
				t.Errorf("with the runner's clock %s off and the last slot %s ago, queued %+v; want due = %v",
					tc.skew, tc.lastSlot, queued, tc.want)
			}
			// The skew is said, once: the signatures' webhook-timestamp is still the runner's.
			if err := d.schedule(f.ctx); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(logged.String(), "the runner's clock is off the control plane's"); n != 1 {
				t.Errorf("two passes with the runner's clock %s off warned %d times, want once:\n%s", tc.skew, n, logged.String())
			}
		})
	}
}

// A failed notification is retried after its backoff on the control plane's clock, which
// decides when an event is due (ClaimEvents: next_attempt_at <= now()). The retry time was the
// runner's clock plus the backoff: a runner an hour behind set it an hour in the past, took the
// event again at once, and gave it up after its 8 attempts within one pass, seconds into an
// endpoint's outage (a lost notification); one ahead held it back by its skew.
func TestNotificationRetryOnTheControlPlanesClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := f.alertsSink()
	sink.fail = func(int) int { return http.StatusServiceUnavailable }
	f.run(controlplane.RunSucceeded, RunOptions{})
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), clock: func() time.Time { return time.Now().Add(-time.Hour) }}
	n.pass(f.ctx)
	var events, attempts, givenUp, due int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT count(*), coalesce(max(attempts), 0), count(given_up_at),
		count(*) FILTER (WHERE next_attempt_at <= now()) FROM backflow.notification_events`).Scan(&events, &attempts, &givenUp, &due); err != nil {
		t.Fatal(err)
	}
	if events == 0 || attempts != 1 || givenUp != 0 || due != 0 {
		t.Errorf("after one pass against a 503, with the runner's clock an hour behind: %d events, up to %d attempts, "+
			"%d given up, %d due now; want each tried once and waiting for its retry", events, attempts, givenUp, due)
	}
}
