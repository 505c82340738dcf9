package runner

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
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
	sink := newEventSink(t)
	hook := f.alertsConnection(sink.srv.URL + "/events")
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "alerts", DestinationID: hook.ID,
		Events: controlplane.Events}); err != nil {
		t.Fatal(err)
	}
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
