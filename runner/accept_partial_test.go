package runner

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
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

// The same with an --accept-guard run canceled (Ctrl-C, a lost lock, a runner closed by
// AbandonRuns) after it delivered a delete: a canceled run records what it delivered, and was
// passed over as one that answered nothing, so the retry accepted the block again and sent the
// deletes the warehouse lost since (rev32):
//
//	run status = succeeded (error <nil>), want blocked
func TestAcceptGuardRetriedAfterACanceledRunThatDeliveredIsGuarded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.sync.Guard, f.sync.BatchSize = &controlplane.Guard{MaxDeleted: i64(1)}, 1
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.engine.Concurrency = 1 // one batch after the other, in key order
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`DELETE FROM users WHERE id IN (1, 2)`)
	f.run(controlplane.RunBlocked, RunOptions{})
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	var seen atomic.Int64
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if seen.Add(1) == 1 {
			return false // the first delete is taken
		}
		// The second: stopped once the first is in the ledger (delivered), as Ctrl-C would.
		for range 500 {
			if m, err := controlplanetest.LedgerEntries(f.ctx, f.store, f.sync.ID); err == nil && len(m) < 5 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	first, _ := f.engine.Run(ctx, f.sync.ID, RunOptions{AcceptGuard: true})
	if first == nil || first.Status != controlplane.RunCanceled || first.Counts.Delivered == 0 {
		t.Fatalf("the first --accept-guard run: %+v, want canceled having delivered a delete", first)
	}
	f.recv.Take("id")
	f.recv.Handle(nil)
	f.exec(`DELETE FROM users WHERE id = 3`) // 2 deletes again: key 2's and key 3's, no more than the block's
	f.run(controlplane.RunBlocked, RunOptions{AcceptGuard: true})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("the retried --accept-guard run sent %v past the block it answered", got)
	}
}
