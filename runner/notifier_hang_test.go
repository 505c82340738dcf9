package runner

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// A control plane that stops answering a replica after it took an event, for longer than the
// event's lease: the other replica takes the event when the lease ends, and the first must not
// send it too once the control plane answers again. The first replica read the event's
// destination after its claim without a deadline, and sent the event whenever the read came
// back, however long after its lease had ended.
func TestControlPlaneHangAfterClaimSendsEventOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		mu.Lock()
		got[r.Header.Get(webhook.HeaderID)]++
		mu.Unlock()
		w.WriteHeader(204)
	}))
	t.Cleanup(srv.Close)
	hook := f.alertsConnection(srv.URL + "/events")
	not := &controlplane.Notification{Name: "runs", DestinationID: hook.ID, Events: []string{controlplane.EventRunSucceeded}}
	if err := f.store.CreateNotification(f.ctx, not); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if _, err := f.store.QueueRunEvents(f.ctx, 100); err != nil {
		t.Fatal(err)
	}

	// The connections' table locked: reading the destination waits, taking events does not.
	conn, err := pgx.Connect(f.ctx, f.cpURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	tx, err := conn.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(f.ctx, `LOCK TABLE backflow.connections IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	cp := controlplanetest.Pool(t, f.cpURL)
	const timeout = 500 * time.Millisecond // the lease is two of it
	newNotifier := func() *notifier {
		return &notifier{store: f.store, log: slog.New(slog.DiscardHandler), baseBackoff: time.Hour, timeout: timeout}
	}
	leaseEnded := func() bool {
		var due bool
		if err := cp.QueryRow(f.ctx, `SELECT bool_and(next_attempt_at <= now()) FROM backflow.notification_events`).
			Scan(&due); err != nil {
			t.Fatal(err)
		}
		return due
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); newNotifier().pass(f.ctx) }() // takes the event, then waits for the lock
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var claimed bool
		if err := cp.QueryRow(f.ctx, `SELECT bool_and(next_attempt_at > now()) FROM backflow.notification_events`).
			Scan(&claimed); err != nil {
			t.Fatal(err)
		}
		if claimed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first replica did not take the event")
		}
	}
	for !leaseEnded() {
		time.Sleep(50 * time.Millisecond)
	}
	go func() { defer wg.Done(); newNotifier().pass(f.ctx) }() // takes it again, and waits too
	for leaseEnded() {
		time.Sleep(20 * time.Millisecond)
	}
	if err := tx.Rollback(f.ctx); err != nil { // the control plane answers again
		t.Fatal(err)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d distinct events delivered, want 1", len(got))
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("event %s was sent %d times", id, n)
		}
	}
	// The replica that did not send it did not count an attempt either.
	evs, err := f.store.ListNotificationEvents(f.ctx, not.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].SentAt.IsZero() || evs[0].Attempts != 1 || evs[0].LastError != "" {
		t.Errorf("the event: %+v; want sent, after one attempt", evs)
	}
}
