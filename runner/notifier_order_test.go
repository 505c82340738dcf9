package runner

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// Two replicas turn a backlog of finished runs into events at once (runs of `sync` from cron
// while no daemon ran, then two daemons start): each takes the runs the other does not hold, so a
// sync's later run can have its events queued first. They are still sent in the order of the
// runs: a run.recovered queued before the run.failed it recovers from went out first, and the
// channel's last word was that the sync failed, when it had recovered.
func TestNotificationOrderAcrossReplicasQueueing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := f.alertsSink()
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool { w.WriteHeader(503); return true })
	f.engine.MaxRetries = -1
	failed := f.run(controlplane.RunFailed, RunOptions{})
	f.recv.Handle(nil)
	f.run(controlplane.RunSucceeded, RunOptions{})

	// The other replica holds the failed run, as QueueRunEvents does while it queues its events.
	other, err := f.store.Pool().Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(f.ctx) //nolint:errcheck
	if _, err := other.Exec(f.ctx, `SELECT 1 FROM backflow.sync_runs WHERE id = $1 FOR UPDATE`, failed.ID); err != nil {
		t.Fatal(err)
	}
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler)}
	n.pass(f.ctx)
	got := sink.take()
	if err := other.Rollback(f.ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		n.pass(f.ctx)
		got = append(got, sink.take()...)
	}
	want := []string{controlplane.EventRunFailed, controlplane.EventRunSucceeded, controlplane.EventRunRecovered}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the events in the order the endpoint took them (-want +got):\n%s", diff)
	}
	var unsent int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT count(*) FROM backflow.notification_events WHERE sent_at IS NULL`).Scan(&unsent); err != nil || unsent != 0 {
		t.Errorf("%d events unsent (%v)", unsent, err)
	}
}

// An event delivered while the control plane ends the sessions of the daemon's pool (the server
// up: pg_terminate_backend, an idle-session timeout, a proxy recycling connections) is recorded as
// sent, on another connection. Its record failed on the ended session ("a notification event was
// delivered but could not be recorded as such; it may be sent again"), and the alert went out a
// second time once its lease ended.
func TestNotificationSentRecordedAfterPoolSessionsEnded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := f.alertsSink()
	f.run(controlplane.RunSucceeded, RunOptions{})
	admin := controlplanetest.Pool(t, f.cpURL)
	sink.mu.Lock()
	sink.fail = func(int) int {
		if _, err := admin.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
			t.Errorf("end the pool's sessions: %v", err)
		}
		return 0
	}
	sink.mu.Unlock()
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler)}
	n.pass(f.ctx)
	if got := sink.take(); len(got) != 1 || got[0] != controlplane.EventRunSucceeded {
		t.Fatalf("sent %v, want run.succeeded", got)
	}
	var sent, unsent int
	if err := admin.QueryRow(f.ctx, `SELECT count(sent_at), count(*) - count(sent_at) FROM backflow.notification_events`).
		Scan(&sent, &unsent); err != nil {
		t.Fatal(err)
	}
	if sent != 1 || unsent != 0 {
		t.Errorf("%d events recorded as sent, %d not: the one delivered would be sent again", sent, unsent)
	}
}
