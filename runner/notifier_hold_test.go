package runner

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
)

// A destination that asked for a pause (429, Retry-After: 3600) was held in the memory of the
// replica that was told: a daemon started again, or another replica, sent it an event queued
// since, into the pause, using an attempt. The hold is the control plane's, for every replica and
// every event, queued before it or after.
func TestNotificationHoldOutlivesTheDaemon(t *testing.T) {
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
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "every run", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}, Send: controlplane.SendEveryTime}); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	(&notifier{store: f.store, log: slog.New(slog.DiscardHandler)}).pass(f.ctx)
	if got := requests.Load(); got != 1 {
		t.Fatalf("requests = %d, want the first event's one", got)
	}
	// A run after the pause was asked for: its event to another notification to the endpoint
	// (one that does not wait behind the first's order) is queued and taken by a daemon started
	// again (or another replica), which was not told.
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "later", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}, Send: controlplane.SendEveryTime}); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	(&notifier{store: f.store, log: slog.New(slog.DiscardHandler)}).pass(f.ctx)
	if got := requests.Load(); got != 1 {
		t.Errorf("the endpoint asked for an hour's pause and another daemon sent it %d more requests", got-1)
	}
	var attempts int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT sum(attempts) FROM backflow.notification_events`).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 {
		t.Errorf("attempts used = %d, want the first event's one", attempts)
	}
	// The connection given another url is not held: the pause was the old endpoint's.
	moved, err := f.store.GetConnection(f.ctx, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	moved.Webhook.URL += "?moved"
	if err := f.store.UpdateConnection(f.ctx, moved); err != nil {
		t.Fatal(err)
	}
	(&notifier{store: f.store, log: slog.New(slog.DiscardHandler)}).pass(f.ctx)
	if got := requests.Load(); got != 2 {
		t.Errorf("the connection given another url got %d requests, want the later event's one", got-1)
	}
	// Another destination is not held.
	sink := newEventSink(t)
	other := &controlplane.Connection{Name: "Other", Webhook: &controlplane.WebhookConfig{
		URL: sink.srv.URL + "/events", Method: "POST", SigningSecret: eventsSecret}}
	if err := f.store.CreateConnection(f.ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "other", DestinationID: other.ID,
		Events: []string{controlplane.EventRunSucceeded}, Send: controlplane.SendEveryTime}); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	(&notifier{store: f.store, log: slog.New(slog.DiscardHandler)}).pass(f.ctx)
	if got := sink.take(); len(got) != 1 {
		t.Errorf("events delivered to a destination not held: %v, want 1", got)
	}
}

// An adaptive connection's pacer holds a pause the endpoint asks for up to an hour
// (pacing.MaxRetryAfter), its syncs' requests and its events alike; the notifier retried an event
// after 10 minutes at most, into the pause the pacer still held. One cap, the pacer's.
func TestNotificationRetryAfterIsThePacersPause(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "3000")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	hook := &controlplane.Connection{Name: "Alerts", Webhook: &controlplane.WebhookConfig{URL: srv.URL + "/events",
		Method: "POST", SigningSecret: eventsSecret, RateLimit: &controlplane.RateLimit{Mode: pacing.ModeAdaptive}}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "alerts", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}}); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	(&notifier{store: f.store, log: slog.New(slog.DiscardHandler), pace: f.engine.pacer}).pass(f.ctx)
	p, err := f.engine.pacer(f.ctx, hook)
	if err != nil {
		t.Fatal(err)
	}
	if !p.PauseUntil().After(time.Now().Add(40 * time.Minute)) {
		t.Fatalf("the pacer's pause ends %v, want the 50 minutes asked for", p.PauseUntil())
	}
	var retryAfterPause, holdAfterPause bool
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT e.next_attempt_at > now() + interval '40 minutes',
			coalesce(p.hold_until > now() + interval '40 minutes', false)
		FROM backflow.notification_events e, backflow.connection_pacing p WHERE p.connection_id = $1`,
		hook.ID).Scan(&retryAfterPause, &holdAfterPause); err != nil {
		t.Fatal(err)
	}
	if !retryAfterPause || !holdAfterPause {
		t.Errorf("the event's retry is after the pause: %v, the destination held until then: %v; "+
			"the pacer holds the connection 50 minutes, as the endpoint asked", retryAfterPause, holdAfterPause)
	}
}

// A failure notification to a connection whose syncs keep its pacer busy at its rate (here one
// request per second, three in flight: a sync's three delivery workers) is sent while they go on.
// It waited for a slot only as long as its lease left it (a second here; 5 s in a daemon), when
// the requests ahead of it took longer: it gave its place up, took a new one at the back of the
// queue a lease later, and was never sent. It now keeps its place, renewing its lease, and the
// pacer serves it in turn.
func TestNotificationIsNotStarvedBySyncs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := newEventSink(t)
	hook := &controlplane.Connection{Name: "Alerts", Webhook: &controlplane.WebhookConfig{URL: sink.srv.URL + "/events",
		Method: "POST", SigningSecret: eventsSecret,
		RateLimit: &controlplane.RateLimit{Mode: pacing.ModeFixed, MaxRequestsPerSecond: 1, MaxConcurrency: 3}}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "alerts", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}}); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	p, err := f.engine.pacer(f.ctx, hook)
	if err != nil {
		t.Fatal(err)
	}
	// The sync: three workers, each asking for its next slot as soon as its request is answered.
	syncCtx, stopSync := context.WithCancel(f.ctx)
	var workers sync.WaitGroup
	for range 3 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for syncCtx.Err() == nil {
				done, _, err := p.Acquire(syncCtx)
				if err != nil {
					return
				}
				done(pacing.Answer{Status: 200})
			}
		}()
	}
	t.Cleanup(func() { stopSync(); workers.Wait() })
	// The pacer is busy: every slot of the concurrency is taken.
	for p.Concurrency() > 0 {
		if busy := func() bool {
			d, _, err := p.Acquire(canceled(f.ctx))
			if err == nil {
				d(pacing.NotSent)
			}
			return err != nil
		}(); busy {
			break
		}
	}
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), pace: f.engine.pacer, timeout: 400 * time.Millisecond}
	n.pass(f.ctx)
	if got := sink.take(); len(got) != 1 {
		t.Errorf("events delivered while the sync sends at the connection's rate: %v, want the one queued", got)
	}
}

// canceled is a context already done: an Acquire with it succeeds only if a slot is free at once.
func canceled(ctx context.Context) context.Context {
	c, cancel := context.WithCancel(ctx)
	cancel()
	return c
}

// A daemon's stop ends a notification's wait for a slot at once: it is not sent, which is not an
// attempt, and the event is taken again once its lease ends.
func TestNotificationWaitForASlotEndsOnStop(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := newEventSink(t)
	hook := &controlplane.Connection{Name: "Alerts", Webhook: &controlplane.WebhookConfig{URL: sink.srv.URL + "/events",
		Method: "POST", SigningSecret: eventsSecret,
		RateLimit: &controlplane.RateLimit{Mode: pacing.ModeFixed, MaxRequestsPerSecond: 1, MaxConcurrency: 1}}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "alerts", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}}); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	p, err := f.engine.pacer(f.ctx, hook)
	if err != nil {
		t.Fatal(err)
	}
	held, _, err := p.Acquire(f.ctx) // a sync's request in flight, never answered
	if err != nil {
		t.Fatal(err)
	}
	defer held(pacing.NotSent)
	if _, err := f.store.QueueRunEvents(f.ctx, 100); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(f.ctx)
	passed, watched := make(chan struct{}), make(chan bool)
	go func() {
		// Stopped once the event's lease was renewed: it waits for its slot.
		defer stop()
		var first time.Time
		for {
			select {
			case <-passed:
				watched <- false
				return
			default:
			}
			var at time.Time
			if err := f.store.Pool().QueryRow(f.ctx, `SELECT next_attempt_at FROM backflow.notification_events`).Scan(&at); err != nil {
				t.Error(err)
			}
			if first.IsZero() && at.After(time.Now()) {
				first = at
			} else if !first.IsZero() && at.After(first) {
				stop()
				<-passed
				watched <- true
				return
			}
		}
	}()
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), pace: f.engine.pacer, timeout: 400 * time.Millisecond}
	n.pass(ctx)
	close(passed)
	if !<-watched {
		t.Errorf("the event gave its place up before the daemon stopped: its lease was not renewed as it waited")
	}
	var attempts int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT attempts FROM backflow.notification_events`).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if got := sink.take(); len(got) != 0 || attempts != 0 {
		t.Errorf("stopped while waiting for a slot: delivered %v, attempts %d; want none", got, attempts)
	}
}

// failingSlots is a shared timeline whose every lease fails (the control plane does not answer).
type failingSlots struct{}

func (failingSlots) Lease(context.Context, int, time.Duration, time.Duration) (pacing.Lease, error) {
	return pacing.Lease{}, errors.New("the control plane does not answer")
}

// A slot of the destination's rate that could not be leased (the control plane failed) is not
// the endpoint's answer: the event is not sent, and no attempt is used.
func TestNotificationWithoutASlotUsesNoAttempt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := f.alertsSink()
	f.run(controlplane.RunSucceeded, RunOptions{})
	p := pacing.NewPacer(pacing.Limits{MaxRate: 1}, pacing.State{}, 1, failingSlots{})
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler),
		pace: func(context.Context, *controlplane.Connection) (*pacing.Pacer, error) { return p, nil }}
	n.pass(f.ctx)
	var attempts int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT attempts FROM backflow.notification_events`).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if got := sink.take(); len(got) != 0 || attempts != 0 {
		t.Errorf("no slot could be leased: delivered %v, attempts used %d; want none", got, attempts)
	}
}

// An adaptive connection paused by its syncs' answers (a 429 with Retry-After: 3000 to a batch)
// holds its events until the pause ends, without an attempt: the notifier does not wait in the
// pacer, where every other destination's events would wait behind it for the pause.
func TestNotificationWaitsOutASyncsPauseOutsideThePacer(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := newEventSink(t)
	hook := &controlplane.Connection{Name: "Alerts", Webhook: &controlplane.WebhookConfig{URL: sink.srv.URL + "/events",
		Method: "POST", SigningSecret: eventsSecret, RateLimit: &controlplane.RateLimit{Mode: pacing.ModeAdaptive}}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "alerts", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}}); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	p, err := f.engine.pacer(f.ctx, hook)
	if err != nil {
		t.Fatal(err)
	}
	done, _, err := p.Acquire(f.ctx) // a sync's batch, refused with a pause
	if err != nil {
		t.Fatal(err)
	}
	done(pacing.Answer{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"3000"}}})
	(&notifier{store: f.store, log: slog.New(slog.DiscardHandler), pace: f.engine.pacer}).pass(f.ctx)
	var attempts int
	var held bool
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT e.attempts, coalesce(p.hold_until > now() + interval '40 minutes', false)
		FROM backflow.notification_events e, backflow.connection_pacing p WHERE p.connection_id = $1`,
		hook.ID).Scan(&attempts, &held); err != nil {
		t.Fatal(err)
	}
	if got := sink.take(); len(got) != 0 || attempts != 0 || !held {
		t.Errorf("the connection paused for 50 minutes: delivered %v, attempts used %d, held until then %v; want none, 0, true",
			got, attempts, held)
	}
}
