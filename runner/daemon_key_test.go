package runner

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
)

// A daemon started with a BACKFLOW_SECRET_KEY that does not open the connections says so at
// start, naming them, rather than only in the errors of runs that fail one by one as they come
// due (and whose alerts cannot be sent: the notification's destination is sealed too).
func TestDaemonWithWrongKeySaysSoAtStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	wrong, err := controlplane.ParseKey(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("w", 32))))
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	engine := newTestEngine(controlplane.New(f.store.Pool(), wrong))
	d := &Daemon{Engine: engine, Logger: log, PollInterval: time.Hour, StopTimeout: 5 * time.Second, polled: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(f.ctx)
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	select {
	case <-d.polled:
	case <-time.After(time.Minute):
		t.Fatal("the daemon did not schedule")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, controlplane.SecretKeyEnv) ||
		!strings.Contains(out, `connections="2 of 2"`) || !strings.Contains(out, f.world.Warehouse.Name) {
		t.Errorf("the daemon's log does not say at start that the key opens no connection:\n%s", out)
	}
}

// The start-up check covers the destinations of the notifications too: the daemon sends their
// events through them, and one its key cannot open (here: altered sealed bytes) is named, while
// the connections it opens are not.
func TestDaemonKeyCheckCoversNotificationDestinations(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	alerts := &controlplane.Connection{Name: "alerts hook", Webhook: &controlplane.WebhookConfig{URL: "https://alerts.example.test/hook", Method: "POST"}}
	if err := f.store.CreateConnection(f.ctx, alerts); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateNotification(f.ctx, &controlplane.Notification{Name: "failures", DestinationID: alerts.ID,
		Events: []string{controlplane.EventRunFailed}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.connections SET sealed_secrets = '\x00'::bytea WHERE id = $1`, alerts.ID); err != nil {
		t.Fatal(err)
	}
	var logs lockedbuf.Buffer
	d := &Daemon{Engine: f.engine, Logger: slog.New(slog.NewTextHandler(&logs, nil)), PollInterval: time.Hour,
		StopTimeout: 5 * time.Second, polled: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(f.ctx)
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	select {
	case <-d.polled:
	case <-time.After(time.Minute):
		t.Fatal("the daemon did not schedule")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, `connections="1 of 3"`) || !strings.Contains(out, fmt.Sprintf("connection_ids=%d ", alerts.ID)) ||
		!strings.Contains(out, "alerts hook") || strings.Contains(out, f.world.Warehouse.Name) {
		t.Errorf("the daemon's log does not name the notification's destination alone as one its key cannot open:\n%s", out)
	}
}

// A daemon warns at start of connections whose secrets an earlier release sealed without binding
// them to their connection (they still open, and run), naming them, and says how to bind them.
func TestDaemonWarnsOfUnboundSealedSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	key, err := controlplane.ParseKey(f.key)
	if err != nil {
		t.Fatal(err)
	}
	// As releases before the binding sealed it: the same additional data for every connection.
	legacy := key.Seal([]byte(fmt.Sprintf(`{"url":%q}`, f.whURL)), []byte("backflow connection secrets"))
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.connections SET sealed_secrets = $2 WHERE id = $1`,
		f.world.Warehouse.ID, legacy); err != nil {
		t.Fatal(err)
	}
	if got, err := f.store.GetConnection(f.ctx, f.world.Warehouse.ID); err != nil || got.Postgres.URL != f.whURL {
		t.Fatalf("a connection sealed by an earlier release: %v; want it read", err)
	}
	var logs lockedbuf.Buffer
	d := &Daemon{Engine: f.engine, Logger: slog.New(slog.NewTextHandler(&logs, nil)), PollInterval: time.Hour,
		StopTimeout: 5 * time.Second, polled: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(f.ctx)
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	select {
	case <-d.polled:
	case <-time.After(time.Minute):
		t.Fatal("the daemon did not schedule")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	// A rekey to the same key binds them, but copies of their earlier sealed bytes (a backup)
	// still open in any row under that key: the warning says to rekey to a new key.
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "backflow-runner rekey` to a new key") ||
		!strings.Contains(out, "copies taken before still open") ||
		!strings.Contains(out, `connections="1 of 2"`) || !strings.Contains(out, f.world.Warehouse.Name) ||
		strings.Contains(out, "level=ERROR") {
		t.Errorf("the daemon's log does not warn of the one connection sealed unbound:\n%s", out)
	}
}
