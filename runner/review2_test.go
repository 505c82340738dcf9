package runner

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// Scenarios of a second adversarial review of delivery: sequences of runs, unanswered requests,
// refusals and warehouse changes after which the receiver must hold the warehouse's current
// version of every key (and, for mirror, nothing the warehouse lost).

// dedupReceiver is an envelope endpoint that deduplicates on webhook-id, as Standard Webhooks
// suggests: a webhook-id it has seen is answered 409 Conflict, and its records are not applied
// again. drop, per id, makes the next request carrying that record be applied and its answer
// lost. Its state is id → name.
type dedupReceiver struct {
	mu   sync.Mutex
	seen map[string]bool
	have map[string]string
	drop map[string]bool
}

func newDedupReceiver(f *fixture) *dedupReceiver {
	r := &dedupReceiver{seen: map[string]bool{}, have: map[string]string{}, drop: map[string]bool{}}
	f.recv.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		r.mu.Lock()
		id := req.Header.Get("webhook-id")
		if r.seen[id] {
			r.mu.Unlock()
			http.Error(w, "duplicate webhook-id", http.StatusConflict)
			return true
		}
		r.seen[id] = true
		drop := false
		for _, d := range req.Envelope.Data {
			var m map[string]any
			_ = json.Unmarshal(d, &m)
			k := fmt.Sprint(m["id"])
			if req.Envelope.Operation == webhook.OpDeleted {
				delete(r.have, k)
			} else {
				r.have[k] = fmt.Sprint(m["name"])
			}
			if r.drop[k] {
				drop = true
				delete(r.drop, k)
			}
		}
		r.mu.Unlock()
		if drop {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
			return true
		}
		w.WriteHeader(http.StatusOK)
		return true
	})
	return r
}

func (r *dedupReceiver) dropNext(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drop[id] = true
}

func (r *dedupReceiver) check(t *testing.T, f *fixture, when string) {
	t.Helper()
	want := map[string]string{}
	rows, err := f.wh.Query(f.ctx, `SELECT id::text, name FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		want[id] = name
	}
	rows.Close()
	r.mu.Lock()
	got := maps.Clone(r.have)
	r.mu.Unlock()
	if !cmp.Equal(got, want) {
		t.Errorf("%s: receiver %v, warehouse %v (-want +got)\n%s", when, got, want, cmp.Diff(want, got))
	}
}

// dedupFixture is a mirror sync of users, one record per batch, to a dedupReceiver.
func dedupFixture(t *testing.T) (*fixture, *dedupReceiver) {
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.sync.BatchSize = 1
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.engine.MaxRetries = 2
	f.engine.Client = &http.Client{Timeout: 2 * time.Second}
	return f, newDedupReceiver(f)
}

// A record applied whose answer is lost, whose retry (same webhook-id) the endpoint refuses as a
// duplicate: the endpoint holds that version. When the row then changes back to the version
// delivered before, that version must be sent again; when a new row is deleted, its delete must
// be sent.
func TestReview2UnansweredThenRefusedRecord(t *testing.T) {
	t.Run("changed back", func(t *testing.T) {
		f, r := dedupFixture(t)
		f.run(controlplane.RunSucceeded, RunOptions{})
		f.exec(`UPDATE users SET name = 'Ada B' WHERE id = 1`)
		r.dropNext("1")
		run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
		t.Logf("the run of the change: %s %+v %v", run.Status, run.Counts, err)
		f.exec(`UPDATE users SET name = 'Ada' WHERE id = 1`)
		f.run(controlplane.RunSucceeded, RunOptions{})
		r.check(t, f, "after the row changed back")
	})
	t.Run("new then gone", func(t *testing.T) {
		f, r := dedupFixture(t)
		f.run(controlplane.RunSucceeded, RunOptions{})
		f.exec(`INSERT INTO users VALUES (5, 'fay@example.com', 'Fay', true, '2023-01-01 00:00:00')`)
		r.dropNext("5")
		run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
		t.Logf("the run of the new row: %s %+v %v", run.Status, run.Counts, err)
		f.exec(`DELETE FROM users WHERE id = 5`)
		f.run(controlplane.RunSucceeded, RunOptions{})
		r.check(t, f, "after the new row was deleted")
	})
}
