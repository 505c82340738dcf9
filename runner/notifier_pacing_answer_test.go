package runner

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
)

// adaptiveAlerts is an adaptive connection to url (its syncs' pacer learns from its events'
// answers too) with a notification of run.succeeded to it, and a succeeded run's event queued.
func (f *fixture) adaptiveAlerts(url string, oauth *controlplane.OAuth2Config) *controlplane.Connection {
	f.t.Helper()
	hook := &controlplane.Connection{Name: "Alerts", Webhook: &controlplane.WebhookConfig{URL: url, Method: "POST",
		SigningSecret: eventsSecret, OAuth2: oauth, RateLimit: &controlplane.RateLimit{Mode: pacing.ModeAdaptive}}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "alerts", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}}); err != nil {
		f.t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	return hook
}

// An event's answer is reported to its destination's pacer, the one its syncs use, as the syncs'
// Deliverer reports theirs: a send cut short by the daemon's stop is no answer (the notifier
// reported it as one the endpoint did not give, and an adaptive connection's rate was cut for
// it, 10 to 4.5 requests a second).
func TestNotificationStopIsNoAnswerToThePacer(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // read: the server sees the client go away only then
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	hook := f.adaptiveAlerts(srv.URL+"/events", nil)
	ctx, stop := context.WithCancel(f.ctx)
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), pace: f.engine.pacer}
	passed := make(chan struct{})
	go func() { defer close(passed); n.pass(ctx) }()
	<-arrived
	stop() // the daemon stops while the event is being sent
	<-passed
	p, err := f.engine.pacer(f.ctx, hook)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Rate(); got != pacing.DefaultStartRate {
		t.Errorf("the destination's rate is %v after a send cut short by a stop, want %v: a stop is no answer",
			got, float64(pacing.DefaultStartRate))
	}
}

// The latency an event's answer reports is its request's, from sending it, as the Deliverer
// measures: the notifier counted the OAuth2 token's fetch in it too, so a destination whose token
// endpoint was slow (2 s here) looked 2 s slow to the adaptive pacer of its syncs, which let 31
// requests be in flight to an endpoint answering at once (rate × latency).
func TestNotificationLatencyExcludesTheTokensFetch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(2 * time.Second)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token": "t0k3n", "token_type": "Bearer", "expires_in": 3600}`))
	}))
	t.Cleanup(tokens.Close)
	sink := newEventSink(t)
	hook := f.adaptiveAlerts(sink.srv.URL+"/events", &controlplane.OAuth2Config{TokenURL: tokens.URL + "/token",
		ClientID: "runner", ClientSecret: "s3cret"})
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), pace: f.engine.pacer}
	n.pass(f.ctx)
	if got := sink.take(); len(got) != 1 {
		t.Fatalf("events delivered: %v, want 1", got)
	}
	p, err := f.engine.pacer(f.ctx, hook)
	if err != nil {
		t.Fatal(err)
	}
	// Rate × latency with headroom, plus one: 2 for a local endpoint (any latency up to ~150 ms).
	if got := p.Concurrency(); got > 4 {
		t.Errorf("the destination's concurrency is %d after one event answered at once, want at most 4: "+
			"the token's fetch was counted as the endpoint's latency", got)
	}
}
