package runner

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// An --accept-guard run that delivered part of the blocked run (its deletes) and then failed (the
// endpoint refused the rest) answered the block as much as one that succeeded: before, a failed
// run left the block to accept, so the retry accepted it again, after the warehouse lost two more
// rows, and sent them, 4 deletes for one answer of 2, under max_deleted = 1:
//
//	the retried --accept-guard run sent [changed 10 deleted 3 deleted 4] past the block it answered
//
// Now a run since the block that delivered a record answers it: the retry is guarded, blocked
// with what it would send, and the next --accept-guard accepts that. A failed run that
// delivered nothing still leaves the block to accept (TestAcceptGuardRetriedAfterAFailedRun...).
func TestAcceptGuardRetriedAfterAPartlyDeliveredRunIsGuarded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.sync.Guard = &controlplane.Guard{MaxDeleted: i64(1)}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.engine.MaxRetries = 1
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`DELETE FROM users WHERE id IN (1, 2)`)
	f.run(controlplane.RunBlocked, RunOptions{})
	f.exec(`UPDATE users SET name = name || 'x' WHERE id = 10`)
	// The endpoint takes the deletes and refuses the change.
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.Envelope == nil || q.Envelope.Operation == "deleted" {
			return false
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	first := f.run(controlplane.RunFailed, RunOptions{AcceptGuard: true})
	if got, _ := f.recv.Take("id"); len(got) != 2 || first.Counts.Delivered == 0 {
		t.Fatalf("the first --accept-guard run delivered %v (%d), want the 2 deletes", got, first.Counts.Delivered)
	}
	f.recv.Handle(nil)
	f.exec(`DELETE FROM users WHERE id IN (3, 4)`)
	again := f.run(controlplane.RunBlocked, RunOptions{AcceptGuard: true})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("the retried --accept-guard run sent %v past the block it answered", got)
	}
	if want := "more than max_deleted = 1"; !strings.Contains(again.Error, want) {
		t.Errorf("blocked with %q, want it to say %q", again.Error, want)
	}
	f.run(controlplane.RunSucceeded, RunOptions{AcceptGuard: true})
	if got, _ := f.recv.Take("id"); fmt.Sprint(got) != "[changed 10 deleted 3 deleted 4]" {
		t.Errorf("the accepting run sent %v, want the change and the 2 deletes", got)
	}
}
