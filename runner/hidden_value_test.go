package runner

import (
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A run that fails on a value of the warehouse's data (a model that casts a text column) records
// and sends its error without that value, which Postgres quotes in it: the run's stored error
// (the runs CLI reads it), the status page, the run.failed event a notification sends to a third
// party (its text and its run's error), and the dry run's error.
func TestFailedRunHidesQuotedValue(t *testing.T) {
	t.Setenv(APITokenEnv, "") // the status page, on localhost
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	const secret = "bob@example.com"
	f.exec(`ALTER TABLE users RENAME TO users_raw;
		CREATE VIEW users AS SELECT id, (CASE WHEN id = 2 THEN email ELSE '1' END)::int AS email, name, vip, updated_at FROM users_raw`)
	sink := f.alertsSink()

	run := f.run(controlplane.RunFailed, RunOptions{})
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	const want = `invalid input syntax for type integer: "[value not shown]" (SQLSTATE 22P02)`
	if strings.Contains(stored.Error, secret) || !strings.Contains(stored.Error, want) {
		t.Errorf("the stored run's error: %q; want it to say %q without the value", stored.Error, want)
	}

	req := httptest.NewRequest(http.MethodGet, "/syncs/"+strconv.FormatInt(f.sync.ID, 10), nil)
	req.Host = "localhost"
	rec := httptest.NewRecorder()
	Handler(f.store, nil, nil).ServeHTTP(rec, req)
	if page := html.UnescapeString(rec.Body.String()); rec.Code != http.StatusOK || strings.Contains(page, secret) ||
		!strings.Contains(page, `integer: "[value not shown]"`) {
		t.Errorf("the sync's status page (%d) shows the value, or not the error: %.2000s", rec.Code, page)
	}

	n := &notifier{store: f.store, log: slog.New(slog.DiscardHandler), metrics: NewMetrics(prometheus.NewRegistry())}
	n.pass(f.ctx)
	sink.mu.Lock()
	events := sink.events
	sink.mu.Unlock()
	if len(events) != 1 || events[0].Run == nil {
		t.Fatalf("events: %+v", events)
	}
	body, _ := json.Marshal(events[0])
	if strings.Contains(string(body), secret) || !strings.Contains(events[0].Run.Error, want) {
		t.Errorf("the run.failed event sends the value: %s", body)
	}

	_, err = f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), want) {
		t.Errorf("the dry run's error: %v; want it to say %q without the value", err, want)
	}
}
