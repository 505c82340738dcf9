package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// pickyHook answers 503 to the first request that carries user 1, 422 to every request that
// carries user 7, and 200 to the rest; while block is set, a request carrying user 3 waits for
// it to be closed.
type pickyHook struct {
	*webhooktest.Receiver
	mu      sync.Mutex
	failed1 bool
	block   chan struct{}
	blocked chan struct{} // closed when a request waits on block
}

func newPickyHook(t *testing.T) *pickyHook {
	h := &pickyHook{Receiver: webhooktest.New(t)}
	h.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.Envelope == nil {
			w.WriteHeader(400)
			return true
		}
		ids := map[string]bool{}
		for _, d := range q.Envelope.Data {
			var m map[string]any
			_ = json.Unmarshal(d, &m)
			ids[fmt.Sprint(m["unique_id"])] = true
		}
		h.mu.Lock()
		block, blocked := h.block, h.blocked
		first1 := ids["1"] && !h.failed1
		if first1 {
			h.failed1 = true
		}
		h.mu.Unlock()
		switch {
		case block != nil && ids["3"]:
			close(blocked)
			<-block
			return false
		case first1:
			w.WriteHeader(503)
			_, _ = io.WriteString(w, "try again")
		case ids["7"]:
			w.WriteHeader(422)
			_, _ = io.WriteString(w, `{"error":"user 7 has no valid email"}`)
		default:
			return false
		}
		return true
	})
	return h
}

type recordAnswer struct {
	Ledger    string `json:"ledger"`
	Where     string `json:"ledger_source"`
	WasAbsent bool   `json:"was_absent"`
	Rejected  *struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
		Run    int64  `json:"run"`
	} `json:"rejected"`
	Requests []struct {
		Run       int64  `json:"run"`
		WebhookID string `json:"webhook_id"`
		Operation string `json:"operation"`
		Records   int    `json:"records"`
		Status    int    `json:"status"`
		Attempts  int    `json:"attempts"`
		Body      string `json:"body"`
	} `json:"requests"`
}

func (w *world) record(key string) recordAnswer {
	w.t.Helper()
	code, out, errOut := w.runCmd("records", "Active users to webhook", "--key", key, "--json")
	if code != 0 {
		w.t.Fatalf("records --key %s: exit %d\n%s\n%s", key, code, out, errOut)
	}
	var a recordAnswer
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		w.t.Fatalf("records --key %s --json: %v\n%s", key, err, out)
	}
	return a
}

// TestDeliveryLogCommands: after a run with a retry and a rejection, `deliveries` lists every
// request and `records --key` answers for a retried key, a rejected one and an unknown one;
// after a runner is killed with a request in flight, the key it carried is unconfirmed, and the
// next run confirms it.
func TestDeliveryLogCommands(t *testing.T) {
	t.Parallel()
	h := newPickyHook(t)
	w := newWorld(t, 12, h.URL, 4)
	code, out, errOut := w.runCmd("sync", "Active users to webhook")
	if code != 0 || !regexp.MustCompile(`rejected\s+1`).MatchString(out) {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	runID := runs[0].ID

	// User 1: its request was answered 503, then 200: one row, two attempts.
	a := w.record("1")
	if a.Ledger != "confirmed" || a.Rejected != nil || len(a.Requests) != 1 || a.Requests[0].Attempts != 2 ||
		a.Requests[0].Status != 200 || a.Requests[0].Run != runID || a.Requests[0].Operation != "changed" {
		t.Errorf("records --key 1: %+v", a)
	}
	// User 7: refused; bisection isolated it: every request that carried it was answered 422.
	a = w.record("7")
	if a.Ledger != "absent" || a.Rejected == nil || a.Rejected.Status != 422 || !strings.Contains(a.Rejected.Body, "no valid email") ||
		a.Rejected.Run != runID || len(a.Requests) < 2 || a.Requests[len(a.Requests)-1].Records != 1 {
		t.Errorf("records --key 7: %+v", a)
	}
	for _, r := range a.Requests {
		if r.Status != 422 || !strings.Contains(r.Body, "no valid email") {
			t.Errorf("records --key 7: a request answered %d %q, want 422 and the body", r.Status, r.Body)
		}
	}
	// A key the sync never had.
	if a := w.record("999"); a.Ledger != "absent" || a.Rejected != nil || len(a.Requests) != 0 {
		t.Errorf("records --key 999: %+v", a)
	}
	// The text form says the same things.
	code, out, _ = w.runCmd("records", "Active users to webhook", "--key", "7")
	if code != 0 || !strings.Contains(out, "ledger: absent") || !strings.Contains(out, "rejected: yes, HTTP 422") ||
		!strings.Contains(out, "no valid email") {
		t.Errorf("records --key 7:\n%s", out)
	}
	if code, out, errOut := w.runCmd("records", "Active users to webhook"); code != 2 || !strings.Contains(errOut, "--key") {
		t.Errorf("records without --key: exit %d\n%s\n%s", code, out, errOut)
	}

	// deliveries: every request of the run; --failed only the refusals.
	code, out, errOut = w.runCmd("deliveries", "Active users to webhook", "--run", fmt.Sprint(runID), "--json")
	if code != 0 {
		t.Fatalf("deliveries: exit %d\n%s\n%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// 3 batches in key text order, [1 10 11 12] [2 3 4 5] [6 7 8 9]; the last is refused and
	// split: [6 7] refused, [8 9] ok, then [6] ok and [7] refused.
	if len(lines) != 7 {
		t.Errorf("deliveries --run %d: %d requests, want 7:\n%s", runID, len(lines), out)
	}
	code, out, _ = w.runCmd("deliveries", "Active users to webhook", "--failed")
	if code != 0 || strings.Count(out, " 422 ") != 3 || strings.Contains(out, " 200 ") || !strings.Contains(out, "no valid email") {
		t.Errorf("deliveries --failed: exit %d\n%s", code, out)
	}

	// A runner killed while a request carrying user 3 is in flight: 3 is unconfirmed.
	h.mu.Lock()
	h.block, h.blocked = make(chan struct{}), make(chan struct{})
	block, blocked := h.block, h.blocked
	h.mu.Unlock()
	w.exec(`UPDATE users SET version = 2 WHERE unique_id = 3`)
	c := w.cmd("sync", "Active users to webhook")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-blocked:
	case <-time.After(60 * time.Second):
		t.Fatal("the request carrying user 3 never arrived")
	}
	_ = c.Process.Signal(syscall.SIGKILL)
	_ = c.Wait()
	h.mu.Lock()
	h.block = nil
	h.mu.Unlock()
	close(block)
	if a := w.record("3"); a.Ledger != "unconfirmed" || a.Where != "intent" || a.WasAbsent {
		t.Errorf("records --key 3 after the kill: %+v", a)
	}
	if code, out, errOut := w.runCmd("sync", "Active users to webhook"); code != 0 {
		t.Fatalf("sync after the kill: exit %d\n%s\n%s", code, out, errOut)
	}
	a = w.record("3")
	if a.Ledger != "confirmed" || len(a.Requests) < 2 || a.Requests[len(a.Requests)-1].Status != 200 {
		t.Errorf("records --key 3 after the next run: %+v", a)
	}
}

// TestDeliveryRetention: the daemon deletes delivery-log rows older than --delivery-retention.
func TestDeliveryRetention(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 5, h.URL, 2)
	if code, out, errOut := w.runCmd("sync", "Active users to webhook"); code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	count := func() int {
		ds, err := w.store.ListDeliveries(w.ctx, controlplane.DeliveryFilter{SyncID: w.sync.ID})
		if err != nil {
			t.Fatal(err)
		}
		return len(ds)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d requests logged, want 3", n)
	}
	if code, _, errOut := w.runCmd("run", "--delivery-retention", "0s", "--listen", ""); code != 2 ||
		!strings.Contains(errOut, "--delivery-retention") {
		t.Errorf("run --delivery-retention 0s: exit %d\n%s", code, errOut)
	}
	d, out := w.start("run", "--delivery-retention", "1s", "--listen", "", "--log-level", "debug")
	// Until it says so too: a stop sent once the rows are gone, before the daemon had read its
	// DELETE's answer, would end the statement with the stop's error, and nothing said.
	controlplanetest.WaitFor(t, "the daemon to delete the old rows and say so", func() bool {
		return count() == 0 && strings.Contains(out.String(), "deleted old delivery-log rows")
	})
	_ = d.Process.Signal(syscall.SIGTERM)
	if err := d.Wait(); err != nil {
		var ee *exec.ExitError
		t.Errorf("daemon: %v %v\n%s", err, ee, out.String())
	}
	if !strings.Contains(out.String(), "deleted old delivery-log rows") {
		t.Errorf("the daemon did not log the deletion:\n%s", out.String())
	}
}

// TestRunRetention: the daemon deletes runs that ended longer than --run-retention ago, but for
// the last ones of each sync.
func TestRunRetention(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 5, h.URL, 2)
	for range 3 {
		if code, out, errOut := w.runCmd("sync", "Active users to webhook"); code != 0 {
			t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
		}
	}
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 10)
	if err != nil || len(runs) != 3 {
		t.Fatalf("runs: %d, %v", len(runs), err)
	}
	if code, _, errOut := w.runCmd("run", "--run-retention", "0s", "--listen", ""); code != 2 ||
		!strings.Contains(errOut, "--run-retention") {
		t.Errorf("run --run-retention 0s: exit %d\n%s", code, errOut)
	}
	d, out := w.start("run", "--run-retention", "1s", "--listen", "", "--log-level", "debug")
	gone := func(id int64) bool {
		_, err := w.store.GetRun(w.ctx, id)
		return errors.Is(err, controlplane.ErrNotFound)
	}
	controlplanetest.WaitFor(t, "the daemon to delete the old runs and say so", func() bool {
		return gone(runs[1].ID) && gone(runs[2].ID) && strings.Contains(out.String(), "deleted old runs")
	})
	_ = d.Process.Signal(syscall.SIGTERM)
	if err := d.Wait(); err != nil {
		t.Errorf("daemon: %v\n%s", err, out.String())
	}
	if _, err := w.store.GetRun(w.ctx, runs[0].ID); err != nil {
		t.Errorf("the sync's newest run: %v", err)
	}
	if !strings.Contains(out.String(), "deleted old runs") {
		t.Errorf("the daemon did not log the deletion:\n%s", out.String())
	}
}
