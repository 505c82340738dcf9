package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestTriggerWait queues runs for a daemon with `trigger --wait`: it exits 0 when the run
// succeeded and 1 when it failed. The sync's child (schedule.after) runs after it, and `runs`
// shows which parent run started the child's run.
func TestTriggerWait(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 5, h.URL, 100)
	child := &controlplane.Sync{Name: "after users", ModelID: w.sync.ModelID, DestinationID: w.dest.ID,
		Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "unique_id", BatchSize: 100, After: []int64{w.sync.ID}}
	if err := w.store.CreateSync(w.ctx, child); err != nil {
		t.Fatal(err)
	}
	_, logs := w.start("run", "--listen", "", "--poll-interval", "100ms")

	code, out, errOut := w.runCmd("trigger", w.sync.Name, "--wait")
	m := regexp.MustCompile(`(?m)^queued run #(\d+) of sync "Active users to webhook": a daemon \(backflow-runner run\) runs it\nrun (\d+) of sync "Active users to webhook": succeeded in .* \(trigger queued\)\n`).FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "delivered  5") {
		t.Fatalf("trigger --wait of a sync that succeeds: exit %d\n%s%s\ndaemon:\n%s", code, out, errOut, logs.String())
	}
	parentRun, _ := strconv.ParseInt(m[2], 10, 64)

	controlplanetest.WaitFor(t, "the child to run after its parent", func() bool {
		runs, err := w.store.ListRuns(w.ctx, child.ID, 5)
		return err == nil && len(runs) == 1 && runs[0].Status == controlplane.RunSucceeded
	})
	runs, _ := w.store.ListRuns(w.ctx, child.ID, 5)
	code, out, errOut = w.runCmd("runs", child.Name)
	if code != 0 || !regexp.MustCompile(fmt.Sprintf(`(?m)^%d\s+after users\s+succeeded\s+after %d\s`, runs[0].ID, parentRun)).MatchString(out) {
		t.Errorf("runs of the child does not show its parent run %d:\n%s%s", parentRun, out, errOut)
	}
	code, out, errOut = w.runCmd("runs", "show", strconv.FormatInt(runs[0].ID, 10))
	if want := fmt.Sprintf(`after run %d of sync "Active users to webhook" (succeeded, finished `, parentRun); code != 0 || !strings.Contains(out, want) {
		t.Errorf("runs show of the child's run lacks %q:\n%s%s", want, out, errOut)
	}
	code, out, _ = w.runCmd("runs", "--json", child.Name)
	if want := fmt.Sprintf(`"trigger":"after","parent_runs":[%d]`, parentRun); code != 0 || !strings.Contains(out, want) {
		t.Errorf("runs --json lacks %s:\n%s", want, out)
	}

	// A run that fails: --wait exits 1 and prints the run with its error.
	w.exec(`ALTER TABLE users RENAME TO users_gone`)
	code, out, errOut = w.runCmd("trigger", strconv.FormatInt(w.sync.ID, 10), "--wait")
	if code != 1 || !strings.Contains(out, "failed in") || !strings.Contains(out, "users") {
		t.Errorf("trigger --wait of a sync that fails: exit %d, want 1\n%s%s", code, out, errOut)
	}
}

// TestTriggerRefusals: an unknown or paused sync is refused, --timeout needs --wait, and --wait
// without a daemon gives up at --timeout, exit 1, the run still queued.
func TestTriggerRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 1, "http://127.0.0.1:1/", 100)
	if code, _, errOut := w.runCmd("trigger", "no such sync"); code != 1 || !strings.Contains(errOut, `no sync has the id or name "no such sync"`) {
		t.Errorf("unknown sync: exit %d: %s", code, errOut)
	}
	if code, _, errOut := w.runCmd("trigger", w.sync.Name, "--timeout", "1s"); code != 2 || !strings.Contains(errOut, "add --wait") {
		t.Errorf("--timeout without --wait: exit %d: %s", code, errOut)
	}
	code, out, errOut := w.runCmd("trigger", w.sync.Name, "--wait", "--timeout", "1s")
	if code != 1 || !strings.Contains(out, "queued run #") || !strings.Contains(errOut, "is still queued after --timeout 1s") {
		t.Errorf("--wait without a daemon: exit %d\n%s%s", code, out, errOut)
	}
	w.sync.Paused = true
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := w.runCmd("trigger", w.sync.Name); code != 1 || out != "" || !strings.Contains(errOut, "paused") {
		t.Errorf("paused sync: exit %d\n%s%s", code, out, errOut)
	}
}

// TestTriggerWaitOutlastsLostConnection: `trigger --wait` keeps waiting when a poll fails because
// the control plane dropped its connection (a restart, a failover); it used to exit 1 at once
// with "FATAL: terminating connection due to administrator command", while the run went on.
func TestTriggerWaitOutlastsLostConnection(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 5, h.URL, 100)
	trig, out := w.start("trigger", w.sync.Name, "--wait", "--timeout", "90s")
	controlplanetest.WaitFor(t, "the run to be queued", func() bool { return strings.Contains(out.String(), "queued run #") })
	time.Sleep(time.Second) // its pool holds an idle connection from its polls
	// Every session of the control plane's database but this one ends, as a restart ends them.
	if _, err := w.store.Pool().Exec(w.ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * triggerPoll)
	_, logs := w.start("run", "--listen", "", "--poll-interval", "100ms")
	err := trig.Wait()
	if err != nil || !strings.Contains(out.String(), "succeeded") {
		t.Errorf("trigger --wait across a lost connection: %v\n%s\ndaemon:\n%s", err, out.String(), logs.String())
	}
}

// TestTriggerTimeoutWhileRunning: --timeout passing while the run is under way says so (it goes
// on), rather than asking whether a daemon runs and saying the run stays queued.
func TestTriggerTimeoutWhileRunning(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 5, h.URL, 100)
	_, logs := w.start("run", "--listen", "", "--poll-interval", "100ms")
	// A first run, waited for (a minute only ends a hang), so that the daemon is up and taking
	// runs before the 3 s start: its start (a process, its connections, its queue) counted in
	// them, and on a loaded machine the run could still be queued at the timeout.
	if code, out, errOut := w.runCmd("trigger", w.sync.Name, "--wait", "--timeout", "60s"); code != 0 {
		t.Fatalf("the first run: exit %d\n%s%s\ndaemon:\n%s", code, out, errOut, logs.String())
	}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h.Gate(func(int) { <-release })
	w.exec(`UPDATE users SET version = version + 1`) // the next run has records to send
	code, out, errOut := w.runCmd("trigger", w.sync.Name, "--wait", "--timeout", "3s")
	if code != 1 || !strings.Contains(errOut, "is still running after --timeout 3s") || strings.Contains(errOut, "is a daemon running") ||
		strings.Contains(errOut, "stays queued") {
		t.Errorf("--timeout while the run is under way: exit %d\n%s%s\ndaemon:\n%s", code, out, errOut, logs.String())
	}
}
