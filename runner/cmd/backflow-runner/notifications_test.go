package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// The daemon sends the events of runs started with `sync`: a failing sync's run.failed reaches a
// notification's webhook once, signed with its connection's secret.
func TestDaemonSendsNotifications(t *testing.T) {
	t.Parallel()
	const secret = "whsec_bm90aWZpY2F0aW9ucy1ub3RpZmljYXRpb25z"
	var mu sync.Mutex
	var events []controlplane.EventBody
	alerts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("event signature: %v", err)
			w.WriteHeader(401)
			return
		}
		var ev controlplane.EventBody
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("event body: %v", err)
		}
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}))
	t.Cleanup(alerts.Close)
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(refuse.Close)

	w := newWorld(t, 3, refuse.URL, 10)
	dest := &controlplane.Connection{Name: "Alerts", Webhook: &controlplane.WebhookConfig{URL: alerts.URL, Method: "POST", SigningSecret: secret}}
	if err := w.store.CreateConnection(w.ctx, dest); err != nil {
		t.Fatal(err)
	}
	n := &controlplane.Notification{Name: "failures", DestinationID: dest.ID,
		Events: []string{controlplane.EventRunFailed, controlplane.EventRunRecovered}}
	if err := w.store.CreateNotification(w.ctx, n); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second failure is no change: no second event
		if code, out, errOut := w.runCmd("sync", "Active users to webhook"); code != 1 {
			t.Fatalf("sync to a refusing endpoint: exit %d\n%s\n%s", code, out, errOut)
		}
	}
	d, out := w.start("run", "--listen", "")
	controlplanetest.WaitFor(t, "the run.failed event", func() bool {
		evs, err := w.store.ListNotificationEvents(w.ctx, n.ID)
		return err == nil && len(evs) == 1 && !evs[0].SentAt.IsZero()
	})
	_ = d.Process.Signal(syscall.SIGTERM)
	_ = d.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 1 {
		t.Fatalf("%d events delivered, want 1: %+v\n%s", len(events), events, out.String())
	}
	ev := events[0]
	if ev.Event != controlplane.EventRunFailed || ev.Sync.Name != "Active users to webhook" || ev.Run == nil ||
		ev.Run.Status != controlplane.RunFailed || !strings.Contains(ev.Text, "failed") || ev.Notification != "failures" ||
		ev.PreviousStatus != nil {
		t.Errorf("event: %+v", ev)
	}
}
