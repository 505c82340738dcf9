package main

import (
	"bytes"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// TestPausedRunnerSendsNothingAfterTakeover pauses a `sync` (SIGSTOP, as a frozen VM or a
// stopped container is) mid-run, ends its lock's session as the server does once such a
// runner stops answering keepalives, changes every row, lets a second runner run the sync to
// completion, and only then resumes the first (SIGCONT). The first one's batches were read
// before the change and their intents recorded before the pause: sending any of them after the
// second run would leave the receiver with an old version that the ledger says it has the new
// one of, so that no later run corrects it. After a clean run, the receiver's view must hold
// every row's current version.
func TestPausedRunnerSendsNothingAfterTakeover(t *testing.T) {
	t.Parallel()
	h := webhooktest.New(t)
	h.Handle(func(*webhooktest.Request, http.ResponseWriter) bool {
		time.Sleep(5 * time.Millisecond)
		return false
	})
	const n = 4000
	w := newWorld(t, n, h.URL, 20)
	late, takeovers := 0, 0
	for round := 0; round < 3; round++ {
		if round > 0 {
			w.exec(`UPDATE users SET version = version + 1`)
		}
		seen := h.Seen()
		a := w.cmd("sync", "Active users to webhook", "--concurrency", "4")
		var aOut bytes.Buffer
		a.Stdout, a.Stderr = &aOut, &aOut
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Process.Kill() }) // stopped or not, if the test ends early
		controlplanetest.WaitFor(t, "the first runner's requests", func() bool { return h.Seen() > seen+10 })
		if err := a.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		var ended int
		if err := w.store.Pool().QueryRow(w.ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = 'backflow-runner sync lock' AND datname = current_database()`).Scan(&ended); err != nil {
			t.Fatal(err)
		}
		if ended == 0 { // the run had ended already: nothing to take over
			_ = a.Process.Signal(syscall.SIGCONT)
			_ = a.Wait()
			continue
		}
		takeovers++
		w.exec(`UPDATE users SET version = version + 1`)
		if code, stdout, stderr := w.runCmd("sync", "Active users to webhook"); code != 0 {
			t.Fatalf("round %d: the second runner: exit %d\n%s\n%s", round, code, stdout, stderr)
		}
		before := h.Seen()
		if err := a.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		_ = a.Wait()
		if n := h.Seen() - before; n > 0 {
			late += n
			t.Logf("round %d: the resumed runner sent %d requests after the takeover", round, n)
		}
	}
	if takeovers == 0 {
		t.Fatal("every run ended before its pause: none was taken over")
	}
	if code, stdout, stderr := w.runCmd("sync", "Active users to webhook"); code != 0 {
		t.Fatalf("clean sync: exit %d\n%s\n%s", code, stdout, stderr)
	}
	want := w.warehouseVersions()
	view := h.View()
	bad := 0
	for k, v := range want {
		if got := view[k]; got == nil || got["version"] != v {
			if bad++; bad <= 10 {
				t.Errorf("key %s: the receiver holds %v, the warehouse version %v", k, got, v)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d keys are stale at the receiver after a clean run (%d requests of paused runners after their takeover)",
			bad, len(want), late)
	}
}
