package main

import (
	"strings"
	"syscall"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// A daemon whose terminal hangs up (SIGHUP: an ssh session that drops) stops as on SIGTERM,
// waiting for its runs and exiting 0, instead of dying at once with its runs marked running.
func TestDaemonStopsGracefullyOnSIGHUP(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 5, h.URL, 100)
	c, logs := w.start("run", "--listen", "127.0.0.1:0", "--poll-interval", "200ms", "--log-format", "json")
	controlplanetest.WaitFor(t, "the daemon to start", func() bool {
		return strings.Contains(logs.String(), `"msg":"runner started"`)
	})
	if err := c.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Errorf("the daemon did not stop cleanly on SIGHUP: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "stopping") {
		t.Errorf("the daemon did not log its stop:\n%s", logs.String())
	}
}
