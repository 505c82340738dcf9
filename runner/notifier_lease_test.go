package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// Two replicas' notifiers and a slow notification endpoint: each event is sent once. A notifier
// that took a batch of events and sent them one after the other outlived the batch's lease, and
// the other replica took the rest of the batch and sent it too.
func TestSlowNotificationEndpointSendsEachEventOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	// Six events of half the timeout each take three timeouts, past the lease of two that a batch
	// taken at once had. The other half of each attempt's timeout is the margin a loaded machine
	// needs: an attempt that timed out marked the endpoint down and postponed the other events
	// (at 3/4 of a 400 ms timeout, "1 distinct events delivered, want 6" under -race -cpu 1).
	const timeout = time.Second
	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		time.Sleep(timeout / 2) // slow, but well within the timeout
		mu.Lock()
		got[r.Header.Get(webhook.HeaderID)]++
		mu.Unlock()
		w.WriteHeader(204)
	}))
	t.Cleanup(srv.Close)
	hook := &controlplane.Connection{Name: "Slow alerts", Webhook: &controlplane.WebhookConfig{
		URL: srv.URL + "/events", Method: "POST", SigningSecret: eventsSecret}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "every run", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}, Send: controlplane.SendEveryTime}); err != nil {
		t.Fatal(err)
	}
	// Each run of a sync of its own: a sync's events are taken one at a time, the next once the
	// one before it is sent (ClaimEvents keeps a sync's order), so that the runs of one sync
	// left nothing a batch could hold past its lease, and the test passed with batches.
	const runs = 6
	for i := range runs {
		y := f.world.NewSync(controlplane.Sync{Name: fmt.Sprintf("sync %d", i), BatchSize: 10})
		if run, err := f.engine.Run(f.ctx, y.ID, RunOptions{}); err != nil || run.Status != controlplane.RunSucceeded {
			t.Fatalf("run of %s: %+v, %v", y.Name, run, err)
		}
	}
	newNotifier := func() *notifier {
		return &notifier{store: f.store, log: slog.New(slog.DiscardHandler), baseBackoff: time.Hour, timeout: timeout}
	}
	ctx, cancel := context.WithTimeout(f.ctx, 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := newNotifier()
			time.Sleep(time.Duration(i) * timeout) // the second replica looks while the first is sending
			for range 2 * runs {
				n.pass(ctx)
				time.Sleep(timeout / 4)
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != runs {
		t.Errorf("%d distinct events delivered, want %d", len(got), runs)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("event %s was sent %d times", id, n)
		}
	}
}

// A daemon that stops while a notification is being sent does not count the interrupted send
// as a failed attempt (it is not the endpoint's failure, and the event has only 8): the event is
// left to be sent again, by this daemon when it starts or by another replica.
func TestStopDuringNotificationIsNotAnAttempt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(204)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	hook := f.alertsConnection(srv.URL + "/events")
	not := &controlplane.Notification{Name: "runs", DestinationID: hook.ID, Events: []string{controlplane.EventRunSucceeded}}
	if err := f.store.CreateNotification(f.ctx, not); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), timeout: time.Minute}
	ctx, stop := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { defer close(done); n.pass(ctx) }()
	<-arrived
	stop() // SIGTERM
	<-done
	evs, err := f.store.ListNotificationEvents(f.ctx, not.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Attempts != 0 || evs[0].LastError != "" || !evs[0].GivenUpAt.IsZero() || !evs[0].SentAt.IsZero() {
		e := evs[0]
		t.Errorf("the event after a stop during its send: attempts %d, last error %q, given up %v, sent %v; want no attempt recorded",
			e.Attempts, e.LastError, !e.GivenUpAt.IsZero(), !e.SentAt.IsZero())
	}
}

// A daemon started with the wrong BACKFLOW_SECRET_KEY cannot open a notification's destination.
// That is not the endpoint's failure: the events wait (as they do while no daemon runs) instead
// of using up their attempts and being given up within minutes, which lost the very alerts about
// the runs the wrong key failed. Started again with the right key, the daemon sends them.
func TestWrongSecretKeyKeepsNotificationEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := newEventSink(t)
	hook := f.alertsConnection(sink.srv.URL + "/events")
	not := &controlplane.Notification{Name: "runs", DestinationID: hook.ID, Events: []string{controlplane.EventRunSucceeded}}
	if err := f.store.CreateNotification(f.ctx, not); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	wrong, err := controlplane.ParseKey("d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3c=")
	if err != nil {
		t.Fatal(err)
	}
	n := &notifier{store: controlplane.New(f.store.Pool(), wrong), log: slog.New(slog.DiscardHandler), baseBackoff: time.Nanosecond,
		timeout: 50 * time.Millisecond} // the lease: 100 ms
	for range NotifyMaxAttempts + 2 {
		n.pass(f.ctx)
		time.Sleep(120 * time.Millisecond)
	}
	evs, err := f.store.ListNotificationEvents(f.ctx, not.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || !evs[0].GivenUpAt.IsZero() || evs[0].Attempts != 0 {
		e := evs[0]
		t.Fatalf("the event under a wrong key: attempts %d, last error %q, given up %v; want it waiting, no attempt used",
			e.Attempts, e.LastError, !e.GivenUpAt.IsZero())
	}
	// The default timeout: this send must succeed (in 50 ms it could time out on a loaded machine).
	right := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), baseBackoff: time.Nanosecond}
	right.pass(f.ctx)
	if got := sink.take(); len(got) != 1 {
		t.Errorf("with the right key: events %v, want the one that waited", got)
	}
}

// A notification endpoint that does not answer holds up the others for one attempt per pass, not
// one per event queued for it: the events behind the first that timed out wait for its retry,
// without an attempt used. Five events to a dead alert webhook delayed every other
// notification's events by five timeouts (50 s), at every retry.
func TestDeadNotificationEndpointDoesNotHoldUpOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	// The healthy endpoint's send must succeed within the timeout, a loaded machine's margin
	// included; the dead endpoint's uses it all.
	const timeout = time.Second
	var mu sync.Mutex
	deadHits := 0
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		deadHits++
		mu.Unlock()
		// Read, so that the server sees the client give up (r.Context() ends).
		_, _ = io.ReadAll(r.Body)
		select { // never answers within the timeout
		case <-r.Context().Done():
		case <-time.After(10 * timeout):
		}
	}))
	t.Cleanup(dead.Close)
	sink := newEventSink(t)
	for i, url := range []string{dead.URL, sink.srv.URL} {
		hook := &controlplane.Connection{Name: fmt.Sprintf("hook %d", i), Webhook: &controlplane.WebhookConfig{
			URL: url + "/events", Method: "POST", SigningSecret: eventsSecret}}
		if err := f.store.CreateConnection(f.ctx, hook); err != nil {
			t.Fatal(err)
		}
		events := []string{controlplane.EventRunSucceeded}
		if i == 1 {
			events = []string{controlplane.EventRunFailed}
		}
		if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: fmt.Sprintf("n%d", i), DestinationID: hook.ID,
			Events: events, Send: controlplane.SendEveryTime}); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		f.run(controlplane.RunSucceeded, RunOptions{})
	}
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool { w.WriteHeader(503); return true })
	f.exec(`UPDATE users SET name = name || '!'`)
	f.run(controlplane.RunFailed, RunOptions{})
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), baseBackoff: time.Hour, timeout: timeout}
	start := time.Now()
	n.pass(f.ctx)
	took := time.Since(start)
	if got := sink.take(); len(got) != 1 {
		t.Errorf("the healthy endpoint got %v in the pass, want the run.failed", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if deadHits != 1 {
		t.Errorf("the dead endpoint was tried %d times in one pass (%s), want once", deadHits, took.Round(time.Millisecond))
	}
	var attempts []int
	var evs []controlplane.NotificationEvent
	for _, name := range []string{"n0"} {
		not, err := f.store.GetNotificationByName(f.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if evs, err = f.store.ListNotificationEvents(f.ctx, not.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range evs {
		attempts = append(attempts, e.Attempts)
		if !e.GivenUpAt.IsZero() || !e.SentAt.IsZero() {
			t.Errorf("event %d: given up or sent", e.ID)
		}
	}
	if fmt.Sprint(attempts) != "[1 0 0 0 0]" {
		t.Errorf("attempts of the dead endpoint's events: %v, want [1 0 0 0 0]", attempts)
	}
}

// While the control plane is unreachable the notifier, which looks every second, says so once a
// minute, not at every look: 60 warnings a minute buried the daemon's other lines in an outage.
func TestUnreachableControlPlaneLoggedOncePerMinute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var logs lockedbuf.Buffer
	n := &notifier{store: controlplane.New(pool, nil), log: slog.New(slog.NewTextHandler(&logs, nil))}
	for range 5 {
		n.pass(ctx)
	}
	if got := strings.Count(logs.String(), "level=WARN"); got != 1 {
		t.Errorf("%d warnings for 5 passes against an unreachable control plane, want 1:\n%s", got, logs.String())
	}
}
