package main

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestDaemonSurvivesControlPlaneRestart restarts the control plane's Postgres under a running
// daemon: the daemon keeps running, /healthz answers 200 again, and a run queued after the
// restart is run. It restarts a server, so it runs against a private throwaway one that it starts
// (privatePostgres), never the shared one. It is not parallel: it points the test databases of
// this process at that server while it runs.
func TestDaemonSurvivesControlPlaneRestart(t *testing.T) {
	url, restart := privatePostgres(t)
	t.Setenv(controlplanetest.URLEnv, url)
	h := newHook(t)
	w := newWorld(t, 20, h.URL, 5)
	// The daemon binds a port of its own and says which: a free port looked up beforehand may be
	// taken by another test's server before the daemon binds it.
	d, out := w.start("run", "--listen", "127.0.0.1:0", "--poll-interval", "1s")
	var addr string
	controlplanetest.WaitFor(t, "the daemon to listen", func() bool {
		m := regexp.MustCompile(`"listen":"([^"]+)"`).FindStringSubmatch(out.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
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
	restart()
	// The test's own pool to the warehouse (on the same server) holds connections the restart
	// ended; one idle for less than a second is handed out without a ping, and its first query
	// fails ("terminating connection due to administrator command", seen once in CI).
	w.wh.Reset()
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
	restart()
	w.wh.Reset()
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
	// By the runs' status: the output's text has " running " in a run's error too ("another runner
	// may be running it", a run whose end is recorded as failed once the server is back).
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Status == controlplane.RunRunning {
			t.Errorf("run %d is left running:\n%s", r.ID, runsOut)
		}
	}
	_ = d.Process.Signal(syscall.SIGTERM)
	if err := d.Wait(); err != nil {
		t.Errorf("the daemon after SIGTERM: %v\n%s", err, out.String())
	}
}

// privatePostgres starts a throwaway Postgres cluster of its own with scripts/ensure-postgres.sh
// (in a new directory, on a free port from privatePort; Debian's postgresql is installed if
// there is no initdb), stopped and removed at cleanup. It returns the cluster's URL and a
// function that restarts it on the same port. It fails, never skips, when no cluster can be
// started.
//
// privatePort is below Linux's ephemeral range (32768 to 60999): while the cluster is down for
// a restart, a client's connection (another test's, in a parallel run) can take a port of that
// range as its local port, and the cluster could not come back on it, where the daemon under
// test looks for it. The first start moves on from a taken port; a restart cannot.
const privatePort = "26432"

func privatePostgres(t *testing.T) (url string, restart func()) {
	t.Helper()
	run := controlplanetest.PrivateCluster(t, "backflow-pg-restart-")
	mustRun := func(port string, args ...string) string {
		t.Helper()
		out, err := run(port, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	url = mustRun(privatePort)
	port := strings.TrimSuffix(url[strings.LastIndex(url, ":")+1:], "/postgres?sslmode=disable")
	return url, func() {
		t.Helper()
		mustRun(privatePort, "--stop")
		if again := mustRun(port); again != url {
			t.Fatalf("the private cluster came back at %s, not %s", again, url)
		}
	}
}

// TestEnsurePostgresSkipsATakenPort: scripts/ensure-postgres.sh starts its private cluster on
// the next port when the one it found free is taken at bind time. A port nothing listens on can
// be held by a socket bound to it (a client's connection in Linux's ephemeral range, where the
// script's ports are): the server's bind then failed, "Address already in use", and so did the
// script (TestDaemonSurvivesControlPlaneRestart failed so in a CI run beside other tests).
func TestEnsurePostgresSkipsATakenPort(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	// Bound, not listening: a connection to it is refused, so the script takes it as free.
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	taken := sa.(*syscall.SockaddrInet4).Port
	url, err := controlplanetest.PrivateCluster(t, "backflow-pg-port-")(strconv.Itoa(taken))
	if err != nil {
		t.Fatalf("ensure-postgres.sh with port %d taken: %v", taken, err)
	}
	if strings.Contains(url, ":"+strconv.Itoa(taken)+"/") {
		t.Fatalf("the private cluster is at %s, on the port taken", url)
	}
}
