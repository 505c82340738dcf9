package runner

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A pause the old endpoint asks for while the connection is given another url (an apply that
// fixes it, during the attempt) is the old endpoint's: the new one's events are not held for it,
// as a pace learned from the old endpoint is not recorded (SaveLearnedPacing).
func TestNotificationHoldOfAMovedConnectionIsNotRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := newEventSink(t)
	var hookID int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The apply lands while the old endpoint answers.
		moved, err := f.store.GetConnection(r.Context(), hookID)
		if err != nil {
			t.Error(err)
		} else {
			moved.Webhook.URL = sink.srv.URL + "/events"
			if err := f.store.UpdateConnection(r.Context(), moved); err != nil {
				t.Error(err)
			}
		}
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	hook := f.alertsConnection(srv.URL + "/events")
	hookID = hook.ID
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "every run", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}, Send: controlplane.SendEveryTime}); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	(&notifier{store: f.store, log: slog.New(slog.DiscardHandler)}).pass(f.ctx)
	// A later run's event to another notification to the connection, now the new endpoint's.
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "later", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}, Send: controlplane.SendEveryTime}); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	(&notifier{store: f.store, log: slog.New(slog.DiscardHandler)}).pass(f.ctx)
	if got := sink.take(); len(got) != 1 {
		t.Errorf("events the new endpoint got: %v, want the later one: it is held for the pause the old endpoint asked for", got)
	}
}
