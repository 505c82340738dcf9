package runner

import (
	"context"
	"encoding/base64"
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
