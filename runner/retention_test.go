package runner

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
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
	hook := &controlplane.Connection{Name: "Alerts", Webhook: &controlplane.WebhookConfig{
		URL: sink.srv.URL + "/events", Method: "POST", SigningSecret: eventsSecret}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		t.Fatal(err)
	}
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
