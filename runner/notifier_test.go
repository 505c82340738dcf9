package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

const eventsSecret = "whsec_ZXZlbnRzZXZlbnRzZXZlbnRzZXZlbnRzZXZlbnRz"

// eventSink is a notification endpoint: it verifies each event's signature and keeps the events
// it accepted; fail, when set, answers a request instead (it sees the attempt's number).
type eventSink struct {
	srv      *httptest.Server
	mu       sync.Mutex
	attempts int
	events   []controlplane.EventBody
	ids      []string // webhook-id of each accepted event
	fail     func(attempt int) int
}

// alertsConnection creates the webhook connection "Alerts", posting events signed with
// eventsSecret to url, for the fixture's notifications.
func (f *fixture) alertsConnection(url string) *controlplane.Connection {
	f.t.Helper()
	hook := &controlplane.Connection{Name: "Alerts", Webhook: &controlplane.WebhookConfig{
		URL: url, Method: "POST", SigningSecret: eventsSecret}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		f.t.Fatal(err)
	}
	return hook
}

// alertsSink is a sink for events and a notification "alerts" of every event to it.
func (f *fixture) alertsSink() *eventSink {
	f.t.Helper()
	sink := newEventSink(f.t)
	hook := f.alertsConnection(sink.srv.URL + "/events")
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "alerts", DestinationID: hook.ID,
		Events: controlplane.Events}); err != nil {
		f.t.Fatal(err)
	}
	return sink
}

func newEventSink(t *testing.T) *eventSink {
	s := &eventSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(eventsSecret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("event signature: %v", err)
			w.WriteHeader(401)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.attempts++
		if s.fail != nil {
			if status := s.fail(s.attempts); status != 0 {
				w.WriteHeader(status)
				return
			}
		}
		var ev controlplane.EventBody
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("event body: %v: %s", err, body)
		}
		s.events = append(s.events, ev)
		s.ids = append(s.ids, r.Header.Get(webhook.HeaderID))
		w.WriteHeader(204)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// take returns the names of the events accepted since the last take.
func (s *eventSink) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.events {
		out = append(out, e.Event)
	}
	s.events = nil
	return out
}

// Each transition is one event, sent once, signed: failed (not again while the sync keeps
// failing), recovered and succeeded, records.rejected, sync.paused; every_time sends every run's;
// sync_ids limits a notification to its syncs; a failed send is retried and then delivered.
func TestNotifications(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := newEventSink(t)
	hook := f.alertsConnection(sink.srv.URL + "/events")
	onChange := &controlplane.Notification{Name: "on change", DestinationID: hook.ID, Events: controlplane.Events}
	if err := f.store.CreateNotification(f.ctx, onChange); err != nil {
		t.Fatal(err)
	}
	if onChange.Send != controlplane.SendOnChange {
		t.Errorf("default send = %q", onChange.Send)
	}
	other := &controlplane.Notification{Name: "other syncs", DestinationID: hook.ID, Events: controlplane.Events,
		SyncIDs: []int64{f.sync.ID + 1000}, Send: controlplane.SendEveryTime}
	if err := f.store.CreateNotification(f.ctx, other); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	const retryBackoff = 500 * time.Millisecond
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), baseBackoff: retryBackoff, metrics: NewMetrics(reg)}
	step := func(what string, want ...string) {
		t.Helper()
		n.pass(f.ctx)
		if diff := cmp.Diff(want, sink.take()); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", what, diff)
		}
	}

	step("nothing ran", []string(nil)...)
	f.run(controlplane.RunSucceeded, RunOptions{})
	step("a first run that succeeds", controlplane.EventRunSucceeded)
	f.run(controlplane.RunSucceeded, RunOptions{})
	step("another success", []string(nil)...)

	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool { w.WriteHeader(503); return true })
	f.exec(`UPDATE users SET name = name || '!'`)
	f.run(controlplane.RunFailed, RunOptions{})
	step("the first failure", controlplane.EventRunFailed)
	f.run(controlplane.RunFailed, RunOptions{})
	step("it goes on failing", []string(nil)...)

	// The endpoint refuses Bob: the run succeeds with a rejection, and the sync recovers.
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		for _, d := range q.Envelope.Data {
			var m map[string]any
			_ = json.Unmarshal(d, &m)
			if m["name"] == "Bob!" {
				w.WriteHeader(422)
				return true
			}
		}
		return false
	})
	f.run(controlplane.RunSucceeded, RunOptions{})
	step("recovered with a rejection", controlplane.EventRunSucceeded, controlplane.EventRunRecovered, controlplane.EventRecordsRejected)
	f.run(controlplane.RunSucceeded, RunOptions{})
	step("still rejecting", []string(nil)...)

	// every_time, for this sync: every run's events.
	other.SyncIDs = []int64{f.sync.ID}
	if err := f.store.UpdateNotification(f.ctx, other); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	step("every_time", controlplane.EventRunSucceeded, controlplane.EventRecordsRejected)
	other.Events = []string{controlplane.EventRunFailed}
	if err := f.store.UpdateNotification(f.ctx, other); err != nil {
		t.Fatal(err)
	}

	// 410: the run fails and the sync is paused.
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool { w.WriteHeader(410); return true })
	f.exec(`UPDATE users SET name = name || '?'`)
	f.run(controlplane.RunFailed, RunOptions{})
	// Both notifications send run.failed; on change also sync.paused.
	got := map[string]int{}
	n.pass(f.ctx)
	for _, e := range sink.take() {
		got[e]++
	}
	if diff := cmp.Diff(map[string]int{controlplane.EventRunFailed: 2, controlplane.EventSyncPaused: 1}, got); diff != "" {
		t.Errorf("after a 410 (-want +got):\n%s", diff)
	}

	// A send that fails is retried, with the same event id, and delivered once.
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.syncs SET paused = false, paused_reason = NULL`); err != nil {
		t.Fatal(err)
	}
	f.recv.Handle(nil)
	sink.mu.Lock()
	sink.fail = func(attempt int) int { // the first two attempts: of the first of the two events
		if attempt <= 2 {
			return 503
		}
		return 0
	}
	sink.attempts, sink.ids = 0, nil
	sink.mu.Unlock()
	f.run(controlplane.RunSucceeded, RunOptions{})
	n.pass(f.ctx) // the first attempt is refused
	if got := sink.take(); len(got) != 0 {
		t.Fatalf("an event was accepted on a refused attempt: %v", got)
	}
	evs, err := f.store.ListNotificationEvents(f.ctx, onChange.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The sync's second event waits behind the first (ClaimEvents keeps a sync's order).
	refused, waiting := evs[len(evs)-2], evs[len(evs)-1]
	if refused.Event != controlplane.EventRunSucceeded || refused.Attempts != 1 || refused.LastStatus != 503 || !refused.SentAt.IsZero() ||
		waiting.Event != controlplane.EventRunRecovered || waiting.Attempts != 0 {
		t.Errorf("the refused event: %+v; the one after it: %+v", refused, waiting)
	}
	// The notifier takes events one at a time: with a backoff of a nanosecond it would retry them
	// within the pass. The first retry waits half the backoff to all of it, the second twice that.
	time.Sleep(retryBackoff + 50*time.Millisecond)
	n.pass(f.ctx) // the retry is due, and refused again
	if got := sink.take(); len(got) != 0 {
		t.Fatalf("an event was accepted on a refused attempt: %v", got)
	}
	time.Sleep(2*retryBackoff + 50*time.Millisecond)
	n.pass(f.ctx) // the second retry is due
	if got := sink.take(); len(got) != 2 {
		t.Errorf("after the retry: events %v, want recovered and succeeded once each", got)
	}
	evs, _ = f.store.ListNotificationEvents(f.ctx, onChange.ID)
	for _, e := range evs {
		if e.SentAt.IsZero() {
			t.Errorf("event %s (%s) was not sent: %+v", e.EventID, e.Event, e)
		}
	}
	// A guard blocks a run (the model has fewer rows than it needs), then the sync recovers.
	minRows := int64(1000)
	f.sync.Guard = &controlplane.Guard{MinModelRows: &minRows}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunBlocked, RunOptions{})
	step("blocked", controlplane.EventRunBlocked)
	f.run(controlplane.RunBlocked, RunOptions{})
	step("still blocked", []string(nil)...)
	f.sync.Guard = nil
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	step("unblocked", controlplane.EventRunSucceeded, controlplane.EventRunRecovered)

	// The daemon's metrics count the outcomes: the two refused attempts were retried.
	outcomes := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "backflow_notification_events_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			outcomes[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	if outcomes["retried"] != 2 || outcomes["given_up"] != 0 || outcomes["delivered"] < 10 {
		t.Errorf("backflow_notification_events_total = %v", outcomes)
	}

	sink.mu.Lock()
	for _, id := range sink.ids {
		if len(id) < 5 || id[:4] != "evt_" {
			t.Errorf("webhook-id %q is not the event id", id)
		}
	}
	sink.mu.Unlock()
}

// A notification's body template (a Slack-style message) is rendered per event and sent with
// its content type, signed over the rendered body; a template that fails when an event is sent
// gives that event up at once with the reason, and the sync's run is unaffected.
func TestNotificationTemplates(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	type got struct {
		body, ctype string
	}
	var mu sync.Mutex
	var received []got
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(eventsSecret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("event signature: %v", err)
		}
		mu.Lock()
		received = append(received, got{string(body), r.Header.Get("Content-Type")})
		mu.Unlock()
		w.WriteHeader(200)
	}))
	t.Cleanup(srv.Close)
	hook := &controlplane.Connection{Name: "Slack", Webhook: &controlplane.WebhookConfig{
		URL: srv.URL + "/services/T000/B000/XXXX", Method: "POST", SigningSecret: eventsSecret}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		t.Fatal(err)
	}
	slack := &controlplane.Notification{Name: "slack", DestinationID: hook.ID, Events: []string{controlplane.EventRunSucceeded},
		Body: `{"text": {{ "Sync " | append: event.sync.name | append: " succeeded: " | append: event.run.counts.delivered | append: " delivered" | json }}}`}
	// Written to the store directly (the provider's plan check refuses it): it fails when sent.
	broken := &controlplane.Notification{Name: "broken", DestinationID: hook.ID, Events: []string{controlplane.EventRunSucceeded},
		Body: "{{ event.event | no_such_filter }}", ContentType: "text/plain"}
	// Renders, but not JSON for this event (the sync's name unquoted): given up, never sent.
	invalid := &controlplane.Notification{Name: "invalid", DestinationID: hook.ID, Events: []string{controlplane.EventRunSucceeded},
		Body: `{"text": {{ event.sync.name }}}`}
	for _, n := range []*controlplane.Notification{slack, broken, invalid} {
		if err := f.store.CreateNotification(f.ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if slack.ContentType != "application/json" {
		t.Errorf("default content type = %q", slack.ContentType)
	}
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), baseBackoff: time.Nanosecond}
	f.run(controlplane.RunSucceeded, RunOptions{})
	for range 3 {
		n.pass(f.ctx)
	}
	want := []got{{fmt.Sprintf(`{"text": "Sync %s succeeded: 5 delivered"}`, f.sync.Name), "application/json"}}
	mu.Lock()
	if diff := cmp.Diff(want, received, cmp.AllowUnexported(got{})); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	mu.Unlock()
	evs, err := f.store.ListNotificationEvents(f.ctx, broken.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].GivenUpAt.IsZero() || evs[0].Attempts != 1 || !strings.Contains(evs[0].LastError, "body template: line 1") {
		t.Errorf("the event of the failing template: %+v, want given up after one attempt with the template's error", evs)
	}
	evs, err = f.store.ListNotificationEvents(f.ctx, invalid.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].GivenUpAt.IsZero() || evs[0].Attempts != 1 || !strings.Contains(evs[0].LastError, "not valid JSON") {
		t.Errorf("the event of the template that renders invalid JSON: %+v, want given up after one attempt, saying so", evs)
	}
	runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != controlplane.RunSucceeded {
		t.Errorf("runs: %+v", runs)
	}
}

// An attempt that used the whole of its timeout (an endpoint that does not answer, at the
// default 10 s) is recorded: its attempt counts and its retry waits for the backoff. The record
// was written under a 10 s deadline started before the attempt's own 10 s, so it always failed
// ('could not record a failed notification attempt'): the event was taken again when its lease
// ended, every 20 s for ever, its attempts at 0, never given up; and an answer in the last moment
// of the attempt was not recorded as sent, so the event was sent again.
func TestNotificationAttemptThatTimesOutIsRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // first: Close waits for the handler
	hook := &controlplane.Connection{Name: "Alerts", Webhook: &controlplane.WebhookConfig{URL: hang.URL + "/events", Method: "POST"}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "alerts", DestinationID: hook.ID,
		Events: []string{controlplane.EventRunSucceeded}}); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), client: &http.Client{}} // the default attempt timeout
	n.pass(f.ctx)
	var attempts int
	var lastError *string
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT attempts, last_error FROM backflow.notification_events`).Scan(&attempts, &lastError); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 || lastError == nil {
		t.Errorf("after an attempt that timed out: attempts %d, last error %v; want 1 attempt recorded with its error", attempts, lastError)
	}
}

// A sync's events reach a notification's endpoint in the order its runs happened, retries
// included: while an event of the sync waits for its retry, the sync's later events wait behind
// it. A run.failed refused once (a chat's 503 or 429) was retried after run.succeeded and
// run.recovered of the next run had been sent, so the channel's last word was that the sync
// failed, when it had recovered.
func TestNotificationRetryKeepsTheSyncsOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := f.alertsSink()
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), baseBackoff: 3 * time.Second}
	sink.mu.Lock()
	sink.fail = func(attempt int) int { // the first attempt: the run.failed event's
		if attempt == 1 {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	sink.mu.Unlock()
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool { w.WriteHeader(503); return true })
	f.engine.MaxRetries = -1
	f.run(controlplane.RunFailed, RunOptions{})
	n.pass(f.ctx) // run.failed is refused, to be retried
	f.recv.Handle(nil)
	f.run(controlplane.RunSucceeded, RunOptions{})
	var got []string
	controlplanetest.WaitFor(t, "three events", func() bool {
		n.pass(f.ctx)
		got = append(got, sink.take()...)
		return len(got) >= 3
	})
	want := []string{controlplane.EventRunFailed, controlplane.EventRunSucceeded, controlplane.EventRunRecovered}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the events in the order the endpoint took them (-want +got):\n%s", diff)
	}
}
