package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// help COMMAND is COMMAND --help; flags are shown with two dashes; no command is a usage error
// (stderr, 2), asking for help is not (stdout, 0).
func TestHelpCommand(t *testing.T) {
	t.Parallel()
	run := func(args ...string) (int, string, string) {
		w := &world{t: t, env: os.Environ()}
		return w.runCmd(args...)
	}
	code, out, errOut := run("help", "runs")
	if code != 0 || !strings.Contains(out, "Usage: backflow-runner runs") || !strings.Contains(out, "\n  --limit int") ||
		strings.Contains(out, "\n  -limit") || errOut != "" {
		t.Errorf("help runs: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, out2, _ := run("runs", "--help"); out2 != out {
		t.Errorf("help runs and runs --help differ:\n%s\n---\n%s", out, out2)
	}
	code, out, errOut = run()
	if code != 2 || out != "" || !strings.Contains(errOut, "Commands:") {
		t.Errorf("no command: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	for _, h := range []string{"help", "--help", "-h"} {
		if code, out, _ := run(h); code != 0 || !strings.Contains(out, "Commands:") || !strings.Contains(out, "records NAME|ID --key KEY") {
			t.Errorf("%s: exit %d\n%s", h, code, out)
		}
	}
	if code, _, errOut := run("help", "nope"); code != 2 || !strings.Contains(errOut, `unknown command "nope"`) {
		t.Errorf("help nope: exit %d\n%s", code, errOut)
	}
	for _, c := range []string{"deliveries", "records"} {
		if code, out, _ := run(c, "--help"); code != 0 || !strings.Contains(out, "Usage: backflow-runner "+c) ||
			!strings.Contains(out, "--database-url") {
			t.Errorf("%s --help: exit %d\n%s", c, code, out)
		}
	}
}

// A sync name that is off by case, or part of a name, gets "did you mean".
func TestUnknownSyncSuggestsNames(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 1, h.URL, 10)
	for _, tc := range []struct{ args []string }{
		{[]string{"sync", "active users to WEBHOOK"}},
		{[]string{"runs", "active users"}},
		{[]string{"deliveries", "Active Users"}},
		{[]string{"records", "users to webhook", "--key", "1"}},
	} {
		code, out, errOut := w.runCmd(tc.args...)
		if code != 1 || !strings.Contains(errOut, `did you mean "Active users to webhook"?`) {
			t.Errorf("%v: exit %d\n%s\n%s", tc.args, code, out, errOut)
		}
	}
	code, _, errOut := w.runCmd("runs", "something else")
	if code != 1 || !strings.Contains(errOut, `the syncs are "Active users to webhook"`) {
		t.Errorf("runs of an unrelated name: exit %d\n%s", code, errOut)
	}
}

// A sync named with another sync's id is not shadowed by it: the bare argument is refused,
// saying how to pick each, and id:N and name:TEXT pick one.
func TestAllDigitSyncName(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 1, h.URL, 10)
	id := fmt.Sprint(w.sync.ID)
	other := *w.sync
	other.ID, other.Name = 0, id
	if err := w.store.CreateSync(w.ctx, &other); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"runs", id}, {"sync", id, "--dry-run"}, {"trigger", id}, {"deliveries", id}} {
		code, out, errOut := w.runCmd(args...)
		want := fmt.Sprintf(`%q is both the id of the sync "Active users to webhook" and the name of the sync with id %d: say which, with id:%s`,
			id, other.ID, id)
		if code != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "name:"+id) {
			t.Errorf("%v: exit %d, want the refusal %q\n%s\n%s", args, code, want, out, errOut)
		}
	}
	for ref, name := range map[string]string{"id:" + id: "Active users to webhook", "name:" + id: id,
		"name:Active users to webhook": "Active users to webhook", fmt.Sprint(other.ID): id} {
		code, out, errOut := w.runCmd("deliveries", ref)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("of sync %q", name)) {
			t.Errorf("deliveries %s: exit %d, want sync %q\n%s\n%s", ref, code, name, out, errOut)
		}
	}
	if code, _, errOut := w.runCmd("runs", "id:x"); code != 2 || !strings.Contains(errOut, "a sync's id") {
		t.Errorf("runs id:x: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := w.runCmd("runs", "id:999999"); code != 1 || !strings.Contains(errOut, "no sync has the id 999999") {
		t.Errorf("runs id:999999: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := w.runCmd("runs", "name:active users"); code != 1 ||
		!strings.Contains(errOut, `no sync has the name "active users"`) || !strings.Contains(errOut, `did you mean "Active users to webhook"?`) {
		t.Errorf("runs name:active users: exit %d\n%s", code, errOut)
	}
}

// Each retry is logged at info with the attempt, the cause and the wait; JSON logs show
// durations as text; the foreground sync prints its error once, in its summary.
func TestRetriesAreLogged(t *testing.T) {
	t.Parallel()
	h := newPickyHook(t) // 503 to the first request carrying user 1
	w := newWorld(t, 3, h.URL, 10)
	code, out, errOut := w.runCmd("sync", "Active users to webhook", "--log-format", "json")
	if code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	var retries int
	sc := bufio.NewScanner(strings.NewReader(errOut))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %v: %s", err, sc.Text())
		}
		if rec["msg"] != "webhook request failed; retrying" {
			continue
		}
		retries++
		wait, ok := rec["wait"].(string)
		if rec["level"] != "INFO" || rec["attempt"] != 1.0 || rec["of"] != 8.0 || rec["cause"] != "HTTP 503 Service Unavailable" ||
			!ok || !strings.HasSuffix(wait, "s") || rec["records"] != 3.0 {
			t.Errorf("retry log line: %s", sc.Text())
		}
	}
	if retries != 1 {
		t.Errorf("%d retries logged, want 1:\n%s", retries, errOut)
	}

	// A run that fails: its error is in the summary (wrapped), not in the log as well.
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"invalid token"}`))
	}))
	t.Cleanup(refuse.Close)
	w2 := newWorld(t, 2, refuse.URL+"/hooks/s3cret", 10)
	code, out, errOut = w2.runCmd("sync", "Active users to webhook", "--log-format", "json")
	if code != 1 || !strings.Contains(out, "error:\n  ") || !strings.Contains(out, "invalid token") {
		t.Fatalf("sync to a refusing endpoint: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(errOut, "invalid token") {
		t.Errorf("the error is printed twice, in the log too:\n%s", errOut)
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > errorWidth {
			t.Errorf("a summary line is not wrapped: %q", line)
		}
	}
}

// runs prints errors in full, has --json, and runs show RUN_ID prints one run with its rejected
// records.
func TestRunsShowsErrorsInFull(t *testing.T) {
	t.Parallel()
	h := newPickyHook(t) // refuses user 7
	w := newWorld(t, 8, h.URL, 4)
	if code, out, errOut := w.runCmd("sync", "Active users to webhook"); code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	// A run that fails with a long error.
	if _, err := w.store.Pool().Exec(w.ctx, `UPDATE backflow.sync_runs SET status = 'failed',
		error = repeat('word ', 60) || 'the end of the error' WHERE sync_id = $1`, w.sync.ID); err != nil {
		t.Fatal(err)
	}
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	id := runs[0].ID
	code, out, errOut := w.runCmd("runs")
	if code != 0 || !strings.Contains(out, "the end of the error") || !strings.Contains(out, fmt.Sprintf("run %d:\n  word", id)) {
		t.Errorf("runs: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = w.runCmd("runs", "--json")
	var r struct {
		ID       int64  `json:"id"`
		Status   string `json:"status"`
		Error    string `json:"error"`
		Sync     string `json:"sync"`
		Duration int64  `json:"duration_ms"`
		Counts   struct {
			Rejected int64 `json:"rejected"`
		} `json:"counts"`
	}
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || r.ID != id || r.Status != "failed" ||
		!strings.HasSuffix(r.Error, "the end of the error") || r.Sync != "Active users to webhook" || r.Counts.Rejected != 1 {
		t.Errorf("runs --json: exit %d, %v, %+v\n%s\n%s", code, err, r, out, errOut)
	}
	code, out, errOut = w.runCmd("runs", "show", fmt.Sprint(id))
	if code != 0 || !strings.Contains(out, fmt.Sprintf("run %d of sync", id)) || !strings.Contains(out, "the end of the error") ||
		!strings.Contains(out, "rejected records still refused (1") || !strings.Contains(out, `"7"`) ||
		!strings.Contains(out, "422") || !strings.Contains(out, "no valid email") {
		t.Errorf("runs show: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := w.runCmd("runs", "show", "x"); code != 2 || !strings.Contains(errOut, "not a run id") {
		t.Errorf("runs show x: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := w.runCmd("runs", "show", "999999"); code != 1 || !strings.Contains(errOut, "run 999999") {
		t.Errorf("runs show 999999: exit %d\n%s", code, errOut)
	}
}

// The daemon logs River's routine messages at debug, says at debug when each sync is next due,
// and JSON logs carry durations as text.
func TestDaemonLogs(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 2, h.URL, 10)
	w.sync.ScheduleEvery = "1h"
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	d, out := w.start("run", "--listen", "", "--poll-interval", "100ms", "--log-format", "json", "--log-level", "debug")
	controlplanetest.WaitFor(t, "the run and the next due time", func() bool {
		s := out.String()
		return strings.Contains(s, `"msg":"run finished"`) && strings.Contains(s, `"msg":"sync next due"`)
	})
	_ = d.Process.Signal(syscall.SIGTERM)
	_ = d.Wait()
	var river, nextDue int
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %s", sc.Text())
		}
		switch {
		case rec["component"] == "river":
			river++
			if rec["level"] == "INFO" {
				t.Errorf("River logs at info: %s", sc.Text())
			}
		case rec["msg"] == "sync next due":
			nextDue++
			if rec["level"] != "DEBUG" || rec["sync"] != "Active users to webhook" {
				t.Errorf("next due line: %s", sc.Text())
			}
		case rec["msg"] == "run finished":
			if d, ok := rec["duration"].(string); !ok || !strings.HasSuffix(d, "s") {
				t.Errorf("a duration is not text: %s", sc.Text())
			}
		}
	}
	if river == 0 {
		t.Errorf("no River message at debug:\n%s", out.String())
	}
	if nextDue != 1 {
		t.Errorf("the next due time was logged %d times, want once:\n%s", nextDue, out.String())
	}
}

// The names "did you mean" suggests are written as a shell reads them back, to be pasted into
// the command: "users $(id)" in double quotes ran id.
func TestSuggestSyncsQuotesForTheShell(t *testing.T) {
	got := suggestSyncs("users", []*controlplane.Sync{{Name: "users $(id)"}})
	if want := `; did you mean 'users $(id)'?`; got != want {
		t.Errorf("suggestSyncs = %s, want %s", got, want)
	}
}

// Every command the usage lists answers 'help COMMAND' and 'COMMAND --help' with its usage on
// stdout and exit 0, as the usage's last line promises: version too.
func TestHelpEveryListedCommand(t *testing.T) {
	t.Parallel()
	_, list, _ := strings.Cut(usage, "Commands:\n")
	list, _, _ = strings.Cut(list, "\n\n")
	var names []string
	for _, line := range strings.Split(list, "\n") {
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
			names = append(names, strings.Fields(line)[0])
		}
	}
	if len(names) < 10 {
		t.Fatalf("found only %v in the usage's commands", names)
	}
	for _, name := range names {
		for _, args := range [][]string{{"help", name}, {name, "--help"}} {
			var stdout, stderr strings.Builder
			code := run(t.Context(), args, &stdout, &stderr)
			if code != 0 || !strings.Contains(stdout.String(), "Usage: backflow-runner "+name) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
			}
		}
	}
}
