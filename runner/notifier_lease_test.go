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

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// Two replicas' notifiers and a slow notification endpoint: each event is sent once. A notifier
// that took a batch of events and sent them one after the other outlived the batch's lease, and
// the other replica took the rest of the batch and sent it too.
func TestSlowNotificationEndpointSendsEachEventOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	const timeout = 400 * time.Millisecond
	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		time.Sleep(timeout * 3 / 4) // slow, but within the timeout
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
	const runs = 6
	for range runs {
		f.run(controlplane.RunSucceeded, RunOptions{})
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
