package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// binary is backflow-runner, built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "backflow-runner-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "backflow-runner")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// world is a control plane with a warehouse of users and a sync of them to a webhook.
type world struct {
	t     *testing.T
	ctx   context.Context
	store *controlplane.Store
	env   []string
	wh    *pgxpool.Pool
	sync  *controlplane.Sync
	dest  *controlplane.Connection
	model *controlplane.Model      // the sync's model
	whc   *controlplane.Connection // the model's warehouse
}

// newWorld creates n users and a sync named "Active users to webhook" to hookURL.
func newWorld(t *testing.T, n int, hookURL string, batchSize int) *world {
	t.Helper()
	return newWorldOf(t, controlplanetest.WorldOpts{
		Users: fmt.Sprintf(`CREATE TABLE users (unique_id bigint PRIMARY KEY, email text, first_name text, version int NOT NULL DEFAULT 1);
			INSERT INTO users SELECT i, 'user' || i || '@example.com', 'User ' || i FROM generate_series(1, %d) AS i`, n),
		Model: &controlplane.Model{SQL: "select * from users"},
	}, hookURL, batchSize)
}

// newWorldOf is newWorld on the warehouse and model opts says: its sync of the model, keyed by
// unique_id, to hookURL. Its wh is nil unless NewWorld made the (Postgres) warehouse database.
func newWorldOf(t *testing.T, opts controlplanetest.WorldOpts, hookURL string, batchSize int) *world {
	t.Helper()
	opts.HookURL = hookURL
	opts.Sync = &controlplane.Sync{PrimaryKey: "unique_id", BatchSize: batchSize}
	cw := controlplanetest.NewWorld(t, opts)
	return &world{t: t, ctx: cw.Ctx, store: cw.Store, wh: cw.WarehouseDB, sync: cw.Sync, dest: cw.Destination,
		model: cw.Model, whc: cw.Warehouse,
		env: append(os.Environ(), controlplane.DatabaseURLEnv+"="+cw.URL, controlplane.SecretKeyEnv+"="+cw.Key)}
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	if _, err := w.wh.Exec(w.ctx, sql, args...); err != nil {
		w.t.Fatalf("warehouse: %v", err)
	}
}

func (w *world) ledgerCount() int64 {
	n, err := controlplanetest.LedgerCount(w.ctx, w.store, w.sync.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// describeModel stores the columns of the world's model as its warehouse describes them, as a
// plan does: a sync's cursor must be one of them.
func (w *world) describeModel() {
	w.t.Helper()
	src, err := warehouse.For(w.whc)
	if err != nil {
		w.t.Fatal(err)
	}
	if w.model.Columns, err = src.Describe(w.ctx, w.model.Query()); err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.UpdateModel(w.ctx, w.model); err != nil {
		w.t.Fatal(err)
	}
}

// cmd prepares backflow-runner with args in the world's environment.
func (w *world) cmd(args ...string) *exec.Cmd {
	c := exec.Command(binary, args...)
	c.Env = w.env
	return c
}

// start starts backflow-runner with args in the world's environment, its stdout and stderr in
// one buffer; it is killed when the test ends, if it still runs.
func (w *world) start(args ...string) (*exec.Cmd, *lockedbuf.Buffer) {
	w.t.Helper()
	c := w.cmd(args...)
	out := new(lockedbuf.Buffer)
	c.Stdout, c.Stderr = out, out
	if err := c.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	return c, out
}

// runCmd runs backflow-runner to completion and returns its exit code, stdout and stderr.
func (w *world) runCmd(args ...string) (int, string, string) {
	w.t.Helper()
	c := w.cmd(args...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// newHook is the webhook endpoint of a CLI test: the shared recording receiver, whose View keeps
// the latest version of each record it accepted, by unique_id.
func newHook(t *testing.T) *webhooktest.Receiver { return webhooktest.New(t) }

func TestHelp(t *testing.T) {
	t.Parallel()
	// Secrets in the environment must not be printed as flag defaults.
	const dbSecret, recvSecret = "pa55-in-the-url", "whsec_c2VjcmV0LWluLXRoZS1lbnYtMjQtYnl0"
	env := append(os.Environ(), controlplane.DatabaseURLEnv+"=postgres://u:"+dbSecret+"@127.0.0.1:1/db",
		"BACKFLOW_RECEIVE_SECRET="+recvSecret)
	command := func(args ...string) *exec.Cmd {
		c := exec.Command(binary, args...)
		c.Env = env
		return c
	}
	noSecrets := func(what string, out []byte) {
		t.Helper()
		if strings.Contains(string(out), dbSecret) || strings.Contains(string(out), recvSecret) {
			t.Errorf("%s prints a secret from the environment:\n%s", what, out)
		}
	}
	for _, c := range []string{"run", "sync", "trigger", "test", "runs", "migrate", "receive"} {
		out, err := command(c, "--help").CombinedOutput()
		// receive never opens the control plane, so it alone has no --database-url.
		if err != nil || !strings.Contains(string(out), "Usage: backflow-runner "+c) ||
			strings.Contains(string(out), "-database-url") != (c != "receive") ||
			(c != "receive" && !strings.Contains(string(out), "$"+controlplane.DatabaseURLEnv)) {
			t.Errorf("%s --help: %v\n%s", c, err, out)
		}
		noSecrets(c+" --help", out)
		out, err = command(c, "--no-such-flag").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "no-such-flag") {
			t.Errorf("%s --no-such-flag: %v\n%s", c, err, out)
		}
		noSecrets(c+" --no-such-flag", out)
	}
	out, err := command("--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Commands:") {
		t.Errorf("--help: %v\n%s", err, out)
	}
	noSecrets("--help", out)
	out, err = command("sync").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "name the sync") {
		t.Errorf("sync without a name: %v\n%s", err, out)
	}
	noSecrets("sync without a name", out)
	out, err = command("receive", "extra").CombinedOutput()
	if err == nil {
		t.Errorf("receive with an argument succeeded")
	}
	noSecrets("receive with an argument", out)
}

// TestEndToEnd is the done-when check: rows created through the store; `sync` delivers to a
// `receive` process; then runs, test and dry-run.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	recv := exec.Command(binary, "receive", "--listen", "127.0.0.1:0", "--compact=false")
	var recvOut lockedbuf.Buffer
	recv.Stdout = &recvOut
	stderr, err := recv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := recv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = recv.Process.Kill(); _ = recv.Wait() })
	line, err := bufio.NewReader(stderr).ReadString('\n')
	if err != nil {
		t.Fatalf("receive printed no address: %v", err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))

	w := newWorld(t, 3, addr+"/hook", 100)
	code, out, errOut := w.runCmd("sync", "Active users to webhook")
	if code != 0 || !strings.Contains(out, "succeeded") || !regexp.MustCompile(`delivered\s+3`).MatchString(out) {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	controlplanetest.WaitFor(t, "the receiver to print the users", func() bool {
		return strings.Contains(recvOut.String(), "user3@example.com") && strings.Contains(recvOut.String(), `"Active users to webhook"`)
	})

	code, out, errOut = w.runCmd("runs", "Active users to webhook")
	if code != 0 || !strings.Contains(out, "succeeded") || !strings.Contains(out, "Active users to webhook") || !strings.Contains(out, "manual") {
		t.Fatalf("runs: exit %d\n%s\n%s", code, out, errOut)
	}

	w.exec(`UPDATE users SET first_name = 'Changed' WHERE unique_id = 2`)
	before := recvOut.String()
	code, out, errOut = w.runCmd("sync", fmt.Sprint(w.sync.ID), "--dry-run")
	if code != 0 || !regexp.MustCompile(`new 0, changed 1`).MatchString(out) || !strings.Contains(out, `"Changed"`) {
		t.Fatalf("sync --dry-run: exit %d\n%s\n%s", code, out, errOut)
	}
	if recvOut.String() != before {
		t.Errorf("dry run sent something")
	}

	ledgerBefore, _ := controlplanetest.LedgerEntries(w.ctx, w.store, w.sync.ID)
	code, out, errOut = w.runCmd("test", "Active users to webhook")
	if code != 0 || !strings.Contains(out, "status: 200") || !strings.Contains(out, "user1@example.com") {
		t.Fatalf("test: exit %d\n%s\n%s", code, out, errOut)
	}
	// The ledger does not move; the key test sent is an intent, unconfirmed (left out of
	// LedgerEntries) until the next run resends it.
	ledgerAfter, _ := controlplanetest.LedgerEntries(w.ctx, w.store, w.sync.ID)
	var tested []string
	for k := range ledgerBefore {
		if _, ok := ledgerAfter[k]; !ok {
			tested = append(tested, k)
			ledgerAfter[k] = ledgerBefore[k]
		}
	}
	if fmt.Sprint(ledgerBefore) != fmt.Sprint(ledgerAfter) || len(tested) != 1 {
		t.Errorf("test moved the ledger (keys now unconfirmed: %v)", tested)
	} else if k, err := w.store.LookupLedgerKey(w.ctx, w.sync.ID, tested[0]); err != nil || k.State != controlplane.KeyUnconfirmed {
		t.Errorf("the key test sent: %+v, %v; want it unconfirmed", k, err)
	}

	// With a request block: the dry run shows the rendered requests, test sends the new one.
	w.sync.Request = &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
		New: &controlplane.OperationRequest{Method: "PUT", Path: "/bulk", Format: controlplane.FormatEnvelope},
		Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/users?ids={% for r in records %}{{ r.unique_id }}{% endfor %}",
			Body: `{"names": [{% for r in records %}{% unless forloop.first %}, {% endunless %}{{ r.first_name | json }}{% endfor %}]}`}}
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = w.runCmd("sync", fmt.Sprint(w.sync.ID), "--dry-run")
	if code != 0 || !regexp.MustCompile(`changed: PATCH http://127\.0\.0\.1:\d+/…/users\?ids=12\n +Content-Type: application/json\n +\{"names": \["User 1", "Changed"\]\}`).MatchString(out) {
		t.Fatalf("sync --dry-run with a request: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = w.runCmd("test", "Active users to webhook")
	if code != 0 || !strings.Contains(out, "(PUT)") || !strings.Contains(out, "status: 200") {
		t.Fatalf("test with a request: exit %d\n%s\n%s", code, out, errOut)
	}
	for deadline := time.Now().Add(time.Minute); !regexp.MustCompile(`PUT /\S*bulk`).MatchString(recvOut.String()); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the receiver did not print the test request:\n%s", recvOut.String())
		}
	}

	code, out, _ = w.runCmd("migrate")
	if code != 0 || !strings.Contains(out, "migrated") {
		t.Errorf("migrate: exit %d %s", code, out)
	}
}

// TestKilledMidRun kills a `sync` with SIGKILL while batches are in flight, changes the
// warehouse, runs again, and checks every record's latest version arrived.
func TestKilledMidRun(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	block := make(chan struct{})
	var once sync.Once
	reached := make(chan struct{})
	h.Gate(func(n int) {
		if n > 30 {
			once.Do(func() { close(reached) })
			<-block
		}
	})
	t.Cleanup(func() {
		select {
		case <-block:
		default:
			close(block)
		}
	})
	w := newWorld(t, 2000, h.URL, 10)
	c := w.cmd("sync", "Active users to webhook", "--concurrency", "2")
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	<-reached
	// Wait for a ledger commit, so the kill lands between committed and uncommitted work.
	controlplanetest.WaitFor(t, "a ledger commit", func() bool { return w.ledgerCount() > 0 })
	if err := c.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.Wait()
	if c.ProcessState.Success() {
		t.Fatalf("the killed sync exited 0: %s", out.String())
	}
	delivered := w.ledgerCount()
	if delivered >= 2000 {
		t.Fatalf("the whole run was committed (%d) before the kill", delivered)
	}
	h.Gate(nil)
	close(block)

	// Change delivered and undelivered records alike.
	w.exec(`UPDATE users SET version = 2, first_name = 'Renamed' WHERE unique_id % 7 = 0`)
	code, stdout, stderr := w.runCmd("sync", "Active users to webhook")
	if code != 0 {
		t.Fatalf("second sync: exit %d\n%s\n%s", code, stdout, stderr)
	}
	view := h.View()
	for i := 1; i <= 2000; i++ {
		rec := view[fmt.Sprint(i)]
		if rec == nil {
			t.Fatalf("record %d never arrived", i)
		}
		want := 1.0
		if i%7 == 0 {
			want = 2
		}
		if rec["version"] != want {
			t.Fatalf("record %d: latest version arrived is %v, want %v", i, rec["version"], want)
		}
	}
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Status != controlplane.RunSucceeded || runs[1].Status != controlplane.RunCanceled ||
		!strings.Contains(runs[1].Error, "stopped before finishing") {
		for _, r := range runs {
			t.Logf("run %d %s %q", r.ID, r.Status, r.Error)
		}
		t.Fatalf("runs after the kill are not one canceled (abandoned) and one succeeded")
	}
	if w.ledgerCount() != 2000 {
		t.Errorf("ledger has %d keys, want 2000", w.ledgerCount())
	}
}

// TestTwoRunnersNeverOverlap starts two `sync` processes on one sync at once, each with one
// request in flight at most: two requests in flight together would mean two runs at once.
func TestTwoRunnersNeverOverlap(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 300, h.URL, 10)
	// The first request waits until the other runner is queued on the sync's lock, so the two
	// runs surely contend.
	h.Gate(func(n int) {
		if n == 1 {
			controlplanetest.WaitFor(t, "the second runner to wait for the lock", func() bool {
				var waiting int
				// Only this test's database and this sync's lock: other tests run in parallel.
				err := w.store.Pool().QueryRow(w.ctx, `SELECT count(*) FROM pg_locks
					WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
						AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
						AND ((classid::int8 << 32) | objid::int8) = $1`,
					controlplane.SyncLockKey(w.sync.ID)).Scan(&waiting)
				return err == nil && waiting > 0
			})
		}
		time.Sleep(time.Millisecond)
	})
	var wg sync.WaitGroup
	codes := make([]int, 2)
	outs := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := w.cmd("sync", "Active users to webhook", "--full", "--concurrency", "1")
			b, err := c.CombinedOutput()
			outs[i] = string(b)
			if err != nil {
				codes[i] = c.ProcessState.ExitCode()
			}
		}()
	}
	wg.Wait()
	for i := range 2 {
		if codes[i] != 0 {
			t.Errorf("runner %d exited %d:\n%s", i, codes[i], outs[i])
		}
	}
	if !strings.Contains(outs[0]+outs[1], "is being run by another runner; waiting") {
		t.Errorf("neither runner said it waited:\n%s\n%s", outs[0], outs[1])
	}
	if n := h.Overlaps(); n != 0 {
		t.Errorf("%d requests overlapped: two runs of the sync ran at once", n)
	}
	if n := h.Seen(); n != 60 {
		t.Errorf("got %d requests, want 60 (two full runs of 30 batches)", n)
	}
}

// TestDaemon runs `run`: an `every` sync is executed; /healthz and /metrics
// answer; SIGTERM stops it cleanly.
func TestDaemon(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 5, h.URL, 100)
	w.sync.ScheduleEvery = "1h"
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
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
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			logBuf.Write(append(sc.Bytes(), '\n'))
			var l struct{ Msg, Listen string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Listen != "" {
				addrc <- l.Listen
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(60 * time.Second):
		t.Fatalf("the daemon did not start listening:\n%s", logBuf.String())
	}
	controlplanetest.WaitFor(t, "the scheduled run", func() bool {
		runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 5)
		return err == nil && len(runs) == 1 && runs[0].Status == controlplane.RunSucceeded
	})
	if len(h.View()) != 5 {
		t.Errorf("the scheduled run delivered %d records, want 5", len(h.View()))
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
		if path == "/metrics" && !strings.Contains(string(body), `backflow_runs_total{status="succeeded"} 1`) {
			t.Errorf("metrics lack the run:\n%s", body)
		}
	}
	// That an `every` sync is not run again before it is due, and a manual sync never, is
	// runner.TestReplicasScheduleOnce's to prove (with two replicas, waiting on the daemon's polls).
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Errorf("the daemon did not stop cleanly on SIGTERM: %v\n%s", err, logBuf.String())
	}
}

// TestDaemonStopCancelsRun sends SIGTERM while a run is stuck on a slow endpoint: after
// --stop-timeout the run is canceled and recorded so, and the daemon exits 0.
func TestDaemonStopCancelsRun(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	started := make(chan struct{}, 100)
	h.Gate(func(n int) {
		if n > 2 {
			started <- struct{}{}
			<-release
		}
	})
	w := newWorld(t, 100, h.URL, 10)
	w.sync.ScheduleCron = "* * * * *"
	// Created a minute ago, so the first cron time after creation has passed.
	if _, err := w.store.Pool().Exec(w.ctx, `UPDATE backflow.syncs SET schedule_cron = '* * * * *',
		created_at = now() - interval '2 minutes' WHERE id = $1`, w.sync.ID); err != nil {
		t.Fatal(err)
	}
	c, logs := w.start("run", "--listen", "", "--poll-interval", "100ms", "--stop-timeout", "300ms", "--concurrency", "1")
	select {
	case <-started:
	case <-time.After(60 * time.Second):
		t.Fatalf("the cron sync did not start:\n%s", logs.String())
	}
	controlplanetest.WaitFor(t, "a ledger commit", func() bool { return w.ledgerCount() == 20 })
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("the daemon did not exit cleanly: %v\n%s", err, logs.String())
	}
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	// What the stop left unsent is pending, not failed (nothing refused it; the next run sends
	// it), as backflow_records_total counts it: the diff had found more than the 20 delivered.
	if len(runs) != 1 || runs[0].Status != controlplane.RunCanceled || runs[0].Counts.Delivered != 20 ||
		runs[0].Counts.Failed != 0 || runs[0].Counts.New <= 20 {
		for _, r := range runs {
			t.Logf("run %d: %s %+v %q", r.ID, r.Status, r.Counts, r.Error)
		}
		t.Fatalf("want one canceled run with 20 delivered, more found, none failed\n%s", logs.String())
	}
	if n := w.ledgerCount(); n != 20 {
		t.Errorf("ledger has %d keys, want the 20 delivered", n)
	}
}

// TestKilledDaemonIsRescued kills a daemon with SIGKILL in the middle of a scheduled run: another
// daemon must take the job over (River rescues it after --rescue-after), close the dead run and
// deliver every record.
func TestKilledDaemonIsRescued(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	block := make(chan struct{})
	var once sync.Once
	reached := make(chan struct{})
	h.Gate(func(n int) {
		if n > 3 {
			once.Do(func() { close(reached) })
			<-block
		}
	})
	var unblock sync.Once
	t.Cleanup(func() { unblock.Do(func() { close(block) }) })
	w := newWorld(t, 200, h.URL, 10)
	w.sync.ScheduleEvery = "1h"
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	first, firstOut := w.start("run", "--listen", "", "--poll-interval", "100ms", "--concurrency", "1")
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		t.Fatalf("the scheduled run did not start:\n%s", firstOut.String())
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != controlplane.RunRunning {
		t.Fatalf("after the kill: runs %+v, want one left running", runs)
	}
	stale := runs[0].ID
	h.Gate(nil)
	unblock.Do(func() { close(block) })

	second, secondOut := w.start("run", "--listen", "", "--poll-interval", "100ms", "--rescue-after", "1s")
	// River's leadership (whose rescuer does this) passes from the dead daemon once its lease
	// ends, some seconds after the kill.
	controlplanetest.WaitFor(t, "the rescued run to succeed", func() bool {
		runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 10)
		return err == nil && len(runs) > 1 && runs[0].Status == controlplane.RunSucceeded
	})
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil {
		t.Errorf("the second daemon did not stop cleanly: %v\n%s", err, secondOut.String())
	}
	if n := len(h.View()); n != 200 {
		t.Errorf("%d of the 200 records arrived", n)
	}
	if n := w.ledgerCount(); n != 200 {
		t.Errorf("ledger has %d keys, want 200", n)
	}
	r, err := w.store.GetRun(w.ctx, stale)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status == controlplane.RunRunning || r.FinishedAt.IsZero() {
		t.Errorf("the dead daemon's run is still %s", r.Status)
	}
}

// TestDryRunOfABlockedFullRun: the dry run of a --full run that the sync's guard would block
// says to send it with --full --accept-guard (it said --accept-guard alone, a run that diffs
// instead of resending, and of a sync with a cursor reads only the rows after its mark).
func TestDryRunOfABlockedFullRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 3, "http://127.0.0.1:1/hook", 100)
	minRows := int64(10)
	w.sync.Guard = &controlplane.Guard{MinModelRows: &minRows}
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ args, want []string }{
		{[]string{"--dry-run", "--full"}, []string{"BLOCKED", "--full --accept-guard` sends it"}},
		{[]string{"--dry-run"}, []string{"BLOCKED", "Active users to webhook\" --accept-guard` sends it"}},
	} {
		code, out, errOut := w.runCmd(append([]string{"sync", "Active users to webhook"}, c.args...)...)
		for _, want := range c.want {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("sync %v: exit %d, want %q in:\n%s\n%s", c.args, code, want, out, errOut)
			}
		}
	}
}

// TestAcceptGuardWithNothingBlocked: `sync --accept-guard` run again (from shell history) after
// the blocked run it was for was accepted says there is nothing to accept, and the run is guarded:
// a mirror whose model lost every row is blocked, nothing sent. Before, it ran with no guard and
// sent every delete. The next `--accept-guard` accepts that blocked run.
func TestAcceptGuardWithNothingBlocked(t *testing.T) {
	t.Parallel()
	h := newViewHook(t)
	w := newWorld(t, 4, h.URL, 100)
	w.sync.Behavior = controlplane.BehaviorMirror
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	sync := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		code, out, errOut := w.runCmd(append([]string{"sync", "Active users to webhook"}, args...)...)
		if code != wantCode {
			t.Fatalf("sync %v: exit %d, want %d\n%s\n%s", args, code, wantCode, out, errOut)
		}
		return out, errOut
	}
	sync(0)
	w.exec(`DELETE FROM users WHERE unique_id > 1`)
	sync(1)
	if _, errOut := sync(0, "--accept-guard"); strings.Contains(errOut, "nothing to accept") {
		t.Errorf("accepting a blocked run said %q", errOut)
	}
	w.exec(`DELETE FROM users`)
	out, errOut := sync(1, "--accept-guard")
	if !strings.Contains(errOut, runner.NothingToAccept) || !strings.Contains(out, "delete 1 of the 1 keys") {
		t.Errorf("--accept-guard with nothing blocked: want it blocked and %q on stderr:\n%s\n%s", runner.NothingToAccept, out, errOut)
	}
	if n := len(h.View()); n != 1 {
		t.Fatalf("--accept-guard with nothing blocked left the receiver %d records, want 1 (nothing sent)", n)
	}
	if _, errOut := sync(0, "--accept-guard"); strings.Contains(errOut, "nothing to accept") {
		t.Errorf("accepting the blocked run said %q", errOut)
	}
	if n := len(h.View()); n != 0 {
		t.Errorf("accepting the blocked run left the receiver %d records, want none", n)
	}
}

// TestDryRunOfAPausedSync: the dry run of a paused sync says first that a run now sends nothing
// (`sync NAME` refuses it), then what a run would send once resumed, as the plan's preview says
// of a paused sync. It said 'changed 3' with nothing about the pause, though no run sends them
// until the sync is resumed.
func TestDryRunOfAPausedSync(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 3, "http://127.0.0.1:1/hook", 100)
	if err := w.store.PauseSync(w.ctx, w.sync.ID, "the endpoint answered HTTP 410 Gone"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := w.runCmd("sync", "Active users to webhook", "--dry-run")
	for _, want := range []string{"the sync is paused (the endpoint answered HTTP 410 Gone): a run now sends nothing",
		"set paused = false", "once resumed", "changed    3"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("sync --dry-run of a paused sync: exit %d, want %q in:\n%s\n%s", code, want, out, errOut)
		}
	}
}

// TestDryRunOfAFutureCursor: the dry run of a cursor sync one of whose rows has a cursor value
// in the future names it and the cap the mark stops at, as a run's warning does.
func TestDryRunOfAFutureCursor(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 3, "http://127.0.0.1:1/hook", 100)
	w.exec(`ALTER TABLE users ADD COLUMN updated_at timestamptz DEFAULT '2020-01-01 00:00:00+00';
		UPDATE users SET updated_at = '2999-01-01 00:00:00+00' WHERE unique_id = 2`)
	w.describeModel()
	w.sync.Cursor = "updated_at"
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := w.runCmd("sync", "Active users to webhook", "--dry-run")
	if want := "cursor     a row's updated_at is in the future (2999-01-01 00:00:00, above "; code != 0 ||
		!strings.Contains(out, want) {
		t.Errorf("sync --dry-run: exit %d, want %q in:\n%s\n%s", code, want, out, errOut)
	}
}
