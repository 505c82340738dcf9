package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
)

// A daemon whose terminal hangs up (SIGHUP: an ssh session that drops) stops as on SIGTERM,
// waiting for its runs and exiting 0, instead of dying at once with its runs marked running.
func TestDaemonStopsGracefullyOnSIGHUP(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 5, h.URL, 100)
	c := w.cmd("run", "--listen", "127.0.0.1:0", "--poll-interval", "200ms", "--log-format", "json")
	logs, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill() })
	var logBuf lockedbuf.Buffer
	started := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			logBuf.Write(append(sc.Bytes(), '\n'))
			var l struct{ Msg string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "runner started" {
				started <- struct{}{}
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(60 * time.Second):
		t.Fatalf("the daemon did not start:\n%s", logBuf.String())
	}
	if err := c.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := c.Wait(); err != nil {
		t.Errorf("the daemon did not stop cleanly on SIGHUP: %v\n%s", err, logBuf.String())
	}
	if !strings.Contains(logBuf.String(), "stopping") {
		t.Errorf("the daemon did not log its stop:\n%s", logBuf.String())
	}
}
