package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestDaemonSurvivesControlPlaneRestart restarts the control plane's Postgres under a running
// daemon: the daemon keeps running, /healthz answers 200 again, and a run queued after the
// restart is run. It restarts a server, so it runs only against a private throwaway one:
// BACKFLOW_TEST_PG_RESTART is the shell command that restarts the server BACKFLOW_TEST_DATABASE_URL
// names (never the shared one).
func TestDaemonSurvivesControlPlaneRestart(t *testing.T) {
	restart := os.Getenv("BACKFLOW_TEST_PG_RESTART")
	if restart == "" {
		t.Skip("BACKFLOW_TEST_PG_RESTART is not set: this test restarts a private Postgres")
	}
	h := newHook(t)
	w := newWorld(t, 20, h.URL, 5)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	d, out := w.start("run", "--listen", addr, "--poll-interval", "1s")
	healthz := func() int {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	controlplanetest.WaitFor(t, "the daemon to serve /healthz", func() bool { return healthz() == 200 })
	if code, stdout, stderr := w.runCmd("trigger", w.sync.Name, "--wait", "--timeout", "60s"); code != 0 {
		t.Fatalf("trigger before the restart: exit %d\n%s%s\n%s", code, stdout, stderr, out.String())
	}
	if o, err := exec.Command("sh", "-c", restart).CombinedOutput(); err != nil {
		t.Fatalf("restart: %v\n%s", err, o)
	}
	start := time.Now()
	controlplanetest.WaitFor(t, "/healthz to answer 200 after the restart", func() bool { return healthz() == 200 })
	t.Logf("/healthz 200 again %s after the restart", time.Since(start).Round(time.Millisecond))
	w.exec(`UPDATE users SET version = version + 1 WHERE unique_id <= 3`)
	if code, stdout, stderr := w.runCmd("trigger", w.sync.Name, "--wait", "--timeout", "90s"); code != 0 ||
		!strings.Contains(stdout, "succeeded") {
		t.Fatalf("trigger after the restart: exit %d\n%s%s\ndaemon:\n%s", code, stdout, stderr, out.String())
	}

	// A restart during a run: the run's requests wait on the endpoint while the server restarts.
	gate := make(chan struct{})
	arrived := make(chan struct{}, 100)
	h.Gate(func(int) { arrived <- struct{}{}; <-gate })
	w.exec(`UPDATE users SET version = version + 1`)
	trig := w.cmd("trigger", w.sync.Name, "--wait", "--timeout", "120s")
	var trigOut strings.Builder
	trig.Stdout, trig.Stderr = &trigOut, &trigOut
	if err := trig.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		t.Fatalf("the run sent nothing:\n%s", out.String())
	}
	if o, err := exec.Command("sh", "-c", restart).CombinedOutput(); err != nil {
		t.Fatalf("restart: %v\n%s", err, o)
	}
	close(gate)
	h.Gate(nil)
	trigErr := trig.Wait()
	t.Logf("trigger --wait across the restart: %v\n%s", trigErr, trigOut.String())
	// Whatever that run's fate, the sync is not stuck: a run after it delivers everything.
	if code, stdout, stderr := w.runCmd("trigger", w.sync.Name, "--wait", "--timeout", "120s"); code != 0 {
		t.Fatalf("trigger after the restart during a run: exit %d\n%s%s\ndaemon:\n%s", code, stdout, stderr, out.String())
	}
	_, runsOut, _ := w.runCmd("runs", w.sync.Name)
	t.Logf("runs:\n%s", runsOut)
	if strings.Contains(runsOut, " running ") {
		t.Errorf("a run is left running:\n%s", runsOut)
	}
	_ = d.Process.Signal(syscall.SIGTERM)
	if err := d.Wait(); err != nil {
		t.Errorf("the daemon after SIGTERM: %v\n%s", err, out.String())
	}
}
