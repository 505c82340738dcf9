package runner

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// In record mode the records of one batch are sent up to the connection's concurrency at once
// (the fixture's engine: 2), not one after the other: a run of fewer records than batch_size was
// one batch, sent one request at a time whatever --concurrency said, so a per-record API that
// answers in 300 ms took 30 s for 100 records at any concurrency.
func TestRequestsRecordModeSendsABatchConcurrently(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorMirror, &controlplane.RequestSpec{
		Mode:    controlplane.RequestModeRecord,
		New:     &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: contactBody},
		Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.email | url_encode }}"},
	})
	f.sync.BatchSize = 100 // the default: the run's three records are one batch
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	// A client that waits longer than the hang guard below: the default one gives up on the first
	// request at 30 s and retries it, which lets a second request in.
	f.engine.Client = &http.Client{Timeout: 2 * time.Minute, CheckRedirect: webhook.NoRedirects}
	var mu sync.Mutex
	arrived := 0
	both := make(chan struct{})
	rest.Gate(func(int) {
		mu.Lock()
		arrived++
		if arrived == 2 {
			close(both)
		}
		mu.Unlock()
		select {
		case <-both:
		case <-time.After(time.Minute):
			t.Errorf("hung: a request waited a minute for a second one in flight; the records of a batch went one at a time")
		}
	})
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := rest.take(); run.Counts.Delivered != 3 || len(got) != 3 {
		t.Errorf("delivered %d in %d requests %q, want 3 in 3", run.Counts.Delivered, len(got), got)
	}
}
