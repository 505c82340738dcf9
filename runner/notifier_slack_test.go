package runner

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// An event's text goes to a chat as it is (a Slack incoming webhook reads it as mrkdwn), and it
// quotes a run's error, which quotes what the endpoint answered, which can quote the records' own
// values: "<!channel>" in it pinged everyone in the channel, and "<https://evil|text>" made a
// link of the attacker's choosing. The text escapes &, < and > as Slack asks; run.error keeps the
// error as it is.
func TestEventTextCannotMentionOrLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := f.slackSink("failures", controlplane.EventRunFailed)
	const answer = `<!channel> urgent: <https://evil.example/login|re-enter your Backflow token> & more`
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.WriteHeader(503)
		_, _ = w.Write([]byte(answer))
		return true
	})
	run := f.run(controlplane.RunFailed, RunOptions{})
	if !strings.Contains(run.Error, "<!channel>") {
		t.Fatalf("the run's error does not quote the answer (the test needs it to): %s", run.Error)
	}
	ev := f.slackEvent(sink)
	if strings.ContainsAny(ev.Text, "<>") || !strings.Contains(ev.Text, "&lt;!channel&gt;") || !strings.Contains(ev.Text, "&amp; more") {
		t.Errorf("the event's text can mention or link in a chat: %s", ev.Text)
	}
	if ev.Run == nil || !strings.Contains(ev.Run.Error, answer) {
		t.Errorf("run.error is not the run's error as it is: %+v", ev.Run)
	}
}

// A run that recorded the model's records as delivered without sending them (--mark-delivered,
// or initial = "skip_existing") says so in its event's text: 'succeeded (run 1): 5 delivered'
// told the channel that five records had been sent when none was.
func TestMarkRunEventTextSaysNothingWasSent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	sink := f.slackSink("runs", controlplane.EventRunSucceeded)
	f.run(controlplane.RunSucceeded, RunOptions{MarkDelivered: true})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("the marking run sent %v", got)
	}
	if text := f.slackEvent(sink).Text; !strings.Contains(text, "5 records as delivered without sending them") || strings.Contains(text, "5 delivered") {
		t.Errorf("the marking run's event says: %s", text)
	}
}

// An event's text quotes the run's error on one line, with its end: where a run's error says
// what to do (the TMPDIR to fix, the memory_limit to raise), so that a chat shows it. The text
// kept the error's first 300 bytes, and a DuckDB model out of memory showed the channel "...
// Possible solutions:\n* Reducing the number of threads (SET threads=X)\n* ... * Increasing the
// …", the hint Backflow adds at the end cut off, and the text on several lines.
func TestEventTextKeepsTheErrorsEnd(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	sink := f.slackSink("failures", controlplane.EventRunFailed)
	// A long error with its remedy at its end, and a line break: a guarded diff that cannot be
	// spilled to a TMPDIR that is gone, from a directory whose name is long and holds one.
	lowerGuardBuffer(t, 200)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`UPDATE users SET name = name || ' v2'`)
	t.Setenv("TMPDIR", t.TempDir()+"/"+strings.Repeat("a", 150)+"\nmissing")
	run := f.run(controlplane.RunFailed, RunOptions{})
	if len(run.Error) < 400 || !strings.HasSuffix(run.Error, "with room for it") {
		t.Fatalf("the run's error is not the long one the test needs: %s", run.Error)
	}
	text := f.slackEvent(sink).Text
	if !strings.HasPrefix(text, `Backflow: sync "`) || !strings.HasSuffix(text, "point TMPDIR at a writable directory with room for it") ||
		strings.Contains(text, "\n") || len(text) > 600 {
		t.Errorf("the event's text is not the error's start and end on one line: %q", text)
	}
}

// slackSink is a sink for events, a connection "Slack" posting to it at an incoming webhook's
// path, and a notification name of event to that connection.
func (f *fixture) slackSink(name, event string) *eventSink {
	f.t.Helper()
	sink := newEventSink(f.t)
	hook := &controlplane.Connection{Name: "Slack", Webhook: &controlplane.WebhookConfig{
		URL: sink.srv.URL + "/services/T/B/X", Method: "POST", SigningSecret: eventsSecret}}
	if err := f.store.CreateConnection(f.ctx, hook); err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: name, DestinationID: hook.ID,
		Events: []string{event}}); err != nil {
		f.t.Fatal(err)
	}
	return sink
}

// slackEvent sends the events due and returns the one sink accepted.
func (f *fixture) slackEvent(sink *eventSink) controlplane.EventBody {
	f.t.Helper()
	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), baseBackoff: time.Hour}
	n.pass(f.ctx)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.events) != 1 {
		f.t.Fatalf("events: %d, want the one the run made", len(sink.events))
	}
	return sink.events[0]
}
