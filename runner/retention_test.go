package runner

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/schedule"
)

// A sweep that cannot delete every old row in time still deletes the oldest: it deletes in
// batches, each committed, and skips rows another transaction holds. One DELETE of the whole
// backlog (a retention shortened from 14 days to 1 on a busy log) that outlasted its 5-minute
// timeout, or waited on one locked row, rolled back and deleted nothing, hour after hour.
func TestRetentionDeletesInBatches(t *testing.T) {
	t.Parallel()
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Model: &controlplane.Model{SQL: "select 1 as id"},
		Sync:  &controlplane.Sync{Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "id", BatchSize: 10},
	})
	ctx, store := w.Ctx, w.Store
	old := time.Now().Add(-48 * time.Hour)
	var ds []controlplane.Delivery
	for i := range 35 {
		ds = append(ds, controlplane.Delivery{SyncID: w.Sync.ID, RunID: 1, WebhookID: fmt.Sprintf("msg_%02d", i),
			Operation: "changed", Records: 1, SentAt: old.Add(time.Duration(i) * time.Second), Status: 200, Keys: []string{"k"}})
	}
	ds = append(ds, controlplane.Delivery{SyncID: w.Sync.ID, RunID: 2, WebhookID: "msg_recent", Operation: "changed",
		Records: 1, SentAt: time.Now(), Status: 200, Keys: []string{"k"}})
	if err := store.WriteDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	// Another transaction holds the newest old row (as a long report reading it FOR SHARE would).
	tx, err := store.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT 1 FROM backflow.sync_deliveries WHERE webhook_id = 'msg_34' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	var deleted int64
	r := &retention{store: store, keep: 24 * time.Hour, log: slog.New(slog.DiscardHandler),
		swept: func(n int64) { deleted += n }, batch: 10, stmtTimeout: 500 * time.Millisecond}
	start := time.Now()
	r.sweep(ctx)
	took := time.Since(start)
	left, err := store.ListDeliveries(ctx, controlplane.DeliveryFilter{SyncID: w.Sync.ID})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range left {
		ids = append(ids, d.WebhookID)
	}
	if deleted != 34 || len(left) != 2 {
		t.Errorf("the sweep deleted %d rows in %s, left %v; want the 34 old rows not held deleted, msg_34 and msg_recent left",
			deleted, took, ids)
	}
}

// The daemon's retention deletes the notification events that are done with (sent or given up)
// once older than the retention, as it does the delivery log's rows: the outbox grew by every
// event for ever (a sync every minute with send = "every_time": half a million rows a year).
// An event still to be sent is kept, however old.
func TestRetentionDeletesOldNotificationEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := newEventSink(t)
	hook := f.alertsConnection(sink.srv.URL + "/events")
	not := &controlplane.Notification{Name: "every run", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}, Send: controlplane.SendEveryTime}
	if err := f.store.CreateNotification(f.ctx, not); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		f.run(controlplane.RunSucceeded, RunOptions{})
	}
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), baseBackoff: time.Hour}
	n.pass(f.ctx)
	evs, err := f.store.ListNotificationEvents(f.ctx, not.ID)
	if err != nil || len(evs) != 4 {
		t.Fatalf("events: %d, %v", len(evs), err)
	}
	// Events 1 and 2 are old and sent, 3 old and still to be sent, 4 recent and sent.
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.notification_events SET created_at = now() - interval '30 days'
		WHERE id = ANY ($1)`, []int64{evs[0].ID, evs[1].ID, evs[2].ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.notification_events SET sent_at = NULL, next_attempt_at = now() + interval '1 hour'
		WHERE id = $1`, evs[2].ID); err != nil {
		t.Fatal(err)
	}
	r := &retention{store: f.store, keep: 14 * 24 * time.Hour, log: slog.New(slog.DiscardHandler), batch: 1}
	r.sweep(f.ctx)
	left, err := f.store.ListNotificationEvents(f.ctx, not.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range left {
		ids = append(ids, e.ID)
	}
	if len(ids) != 2 || ids[0] != evs[2].ID || ids[1] != evs[3].ID {
		t.Errorf("events left %v, want %d (old, not sent) and %d (recent)", ids, evs[2].ID, evs[3].ID)
	}
}

// The daemon's retention deletes old runs (the history grew by every run for ever: 525,600 rows
// a year for a sync every minute) but not those its syncs still need: after a sweep of every run
// older than the retention, a scheduled cursor sync whose last runs are that old is not due
// before its next slot, and its next run reads incrementally, adopting the intents its last
// (incremental) run left.
func TestRetentionKeepsTheRunsSyncsNeed(t *testing.T) {
	t.Parallel()
	f := oneBatchCursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.sync.ScheduleEvery = "24h"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	slot := time.Now().UTC().Truncate(time.Second)
	f.run(controlplane.RunSucceeded, RunOptions{Trigger: controlplane.TriggerSchedule, Due: slot}) // reads in full
	f.run(controlplane.RunSucceeded, RunOptions{})                                                 // incremental
	f.exec(`UPDATE users SET name = 'Bobby', updated_at = '2023-01-02 00:00:00' WHERE id = 2`)
	f.run(controlplane.RunSucceeded, RunOptions{}) // incremental, the newest succeeded
	f.recv.Take("id")
	// An incremental run whose request goes unanswered: it fails and leaves its intent.
	client, retries := f.engine.Client, f.engine.MaxRetries
	f.exec(`UPDATE users SET name = 'Rob', updated_at = '2023-01-03 00:00:00' WHERE id = 2`)
	unanswered(f)
	if run := f.run(controlplane.RunFailed, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
		t.Fatalf("the unanswered run read %q", run.ReadMode)
	}
	f.engine.Client, f.engine.MaxRetries = client, retries
	f.recv.Handle(nil)
	f.recv.Take("id")
	// Then a run canceled by a stop, and every run ended two hours ago, notified.
	if _, err := f.store.Pool().Exec(f.ctx, `INSERT INTO backflow.sync_runs (sync_id, status, trigger, finished_at)
		VALUES ($1, 'canceled', 'schedule', now())`, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.QueueRunEvents(f.ctx, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.sync_runs SET started_at = started_at - interval '2 hours',
		finished_at = finished_at - interval '2 hours', scheduled_for = scheduled_for - interval '2 hours' WHERE sync_id = $1`,
		f.sync.ID); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1`, f.sync.ID); n == 0 {
		t.Fatal("the unanswered run left no intent")
	}
	before, err := f.store.ScheduleBases(f.ctx)
	if err != nil {
		t.Fatal(err)
	}

	r := &retention{store: f.store, keep: controlplane.DefaultDeliveryRetention, runs: time.Hour, log: slog.New(slog.DiscardHandler)}
	r.sweep(f.ctx)

	runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 {
		t.Errorf("%d runs left, want 3 (the newest succeeded, the failed one with an intent, the canceled one)", len(runs))
	}
	bases, err := f.store.ScheduleBases(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	due, _, err := schedule.NextDue(f.sync.ScheduleEvery, f.sync.ScheduleCron, f.sync.CreatedAt, bases[f.sync.ID], now)
	if err != nil || !bases[f.sync.ID].Equal(before[f.sync.ID]) || !due.After(now) {
		t.Errorf("after the sweep the schedule counts from %s (before: %s): due at %s (%v), want not before %s",
			bases[f.sync.ID], before[f.sync.ID], due, err, now)
	}
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); run.ReadMode != controlplane.ReadIncremental || len(got) != 1 {
		t.Errorf("the run after the sweep read %q and sent %v; want an incremental read resending record 2", run.ReadMode, got)
	}
}

// A run queued from outside is read back (GET /v1/runs/{id}, `trigger --wait`) from its job and
// its run while River keeps the job (a day once it finished): retention keeps the run until then.
// Deleting it earlier made a run that succeeded read as skipped, which means it never ran.
func TestRetentionKeepsQueuedRunsWhileTheirJobIs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	queue, q := f.enqueue(false)
	got := f.workQueued(queue, q)
	if got.Status != controlplane.RunSucceeded || got.Run == nil {
		t.Fatalf("queued run: %+v, want succeeded", got)
	}
	// A newer run, then every run ended two hours ago and notified: the queued run is neither
	// the newest nor the newest succeeded.
	f.run(controlplane.RunSucceeded, RunOptions{})
	if _, err := f.store.QueueRunEvents(f.ctx, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.sync_runs SET started_at = started_at - interval '2 hours',
		finished_at = finished_at - interval '2 hours' WHERE sync_id = $1`, f.sync.ID); err != nil {
		t.Fatal(err)
	}

	r := &retention{store: f.store, keep: controlplane.DefaultDeliveryRetention, runs: time.Hour, log: slog.New(slog.DiscardHandler)}
	r.sweep(f.ctx)

	after, err := queue.Status(f.ctx, q.ID)
	if err != nil || after.Status != controlplane.RunSucceeded || after.Run == nil || after.Run.ID != got.Run.ID {
		t.Errorf("queued run after the sweep: %+v (%v), want succeeded, run %d", after, err, got.Run.ID)
	}
}
