package runner

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A notification endpoint that answers 429 (or 503) with a Retry-After asks for a pause: a chat's
// incoming webhook rate-limits so. The notifier retried on its own backoff (5 s, 10 s, …) however
// long the pause asked for, so a rate-limited endpoint was sent every retry too early, each one
// refused, until the event was given up; and the destination's other events were sent at once,
// into the same limit, each using an attempt. The retry now waits for the Retry-After (up to the
// longest backoff), and the destination's other events wait with it, without an attempt used.
func TestNotificationHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	hook := f.alertsConnection(srv.URL + "/events")
	// Two notifications to the one endpoint: two events that do not wait for each other's order.
	for _, name := range []string{"first", "second"} {
		if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: name, DestinationID: hook.ID,
			Events: []string{controlplane.EventRunSucceeded}}); err != nil {
			t.Fatal(err)
		}
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), baseBackoff: time.Millisecond}
	n.pass(f.ctx)
	time.Sleep(50 * time.Millisecond) // many times the backoff: its retry would be due
	n.pass(f.ctx)
	n = &notifier{store: f.store, log: slog.New(slog.DiscardHandler), baseBackoff: time.Millisecond} // a restarted daemon
	n.pass(f.ctx)
	if got := requests.Load(); got != 1 {
		t.Errorf("the endpoint asked for an hour's pause and got %d requests, want 1", got)
	}
	// The event refused is retried after the pause; the other waits with its destination, which
	// the control plane holds for every replica (the restarted daemon above sent nothing).
	rows, err := f.store.Pool().Query(f.ctx, `SELECT attempts, next_attempt_at > now() + interval '5 minutes'
		FROM backflow.notification_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var attempts []int
	for rows.Next() {
		var a int
		var later bool
		if err := rows.Scan(&a, &later); err != nil {
			t.Fatal(err)
		}
		attempts = append(attempts, a)
		if a > 0 && !later {
			t.Errorf("the event refused is due within 5 minutes, though the endpoint asked for an hour")
		}
	}
	if len(attempts) != 2 || attempts[0]+attempts[1] != 1 {
		t.Errorf("attempts of the two events = %v, want one attempt between them", attempts)
	}
	var held bool
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT coalesce(hold_until > now() + interval '5 minutes', false)
		FROM backflow.connections c LEFT JOIN backflow.connection_pacing p ON p.connection_id = c.id WHERE c.id = $1`,
		hook.ID).Scan(&held); err != nil {
		t.Fatal(err)
	}
	if !held {
		t.Errorf("the destination is not held for the pause it asked for")
	}
}

// A destination's max_requests_per_second is the most the runner sends to it, events included:
// the notifier sent a backlog of events as fast as the endpoint answered (a chat's webhook given
// its limit refused all but the first with 429s). Events now take their slots on the pacer the
// destination's syncs use, whose rate every runner shares through the control plane.
func TestNotificationsArePacedByTheDestinationsRate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := newEventSink(t)
	hook := &controlplane.Connection{Name: "Alerts", Webhook: &controlplane.WebhookConfig{
		URL: sink.srv.URL + "/events", Method: "POST", SigningSecret: eventsSecret, MaxRequestsPerSecond: 1}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"first", "second", "third"} {
		if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: name, DestinationID: hook.ID,
			Events: []string{controlplane.EventRunSucceeded}}); err != nil {
			t.Fatal(err)
		}
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), pace: f.engine.pacer}
	n.pass(f.ctx)
	if got := sink.take(); len(got) != 3 {
		t.Errorf("events delivered: %v, want 3", got)
	}
	var slots int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT count(*) FROM backflow.connection_pacing WHERE connection_id = $1`,
		hook.ID).Scan(&slots); err != nil {
		t.Fatal(err)
	}
	if slots != 1 {
		t.Errorf("the events took no slot of the destination's rate (max_requests_per_second = 1)")
	}
}
