package runner

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
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

// strictREST is a REST endpoint as most APIs are: POST creates (or overwrites), PATCH updates and
// DELETE deletes, both answering 404 for a contact it does not have. drop, per email, makes the
// next request for it be applied and its answer lost (the connection closed).
type strictREST struct {
	mu   sync.Mutex
	have map[string]string // email → name
	drop map[string]bool
	sent []string // "METHOD email", in order
}

func newStrictREST(t *testing.T, rest *restReceiver) *strictREST {
	a := &strictREST{have: map[string]string{}, drop: map[string]bool{}}
	rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		var b struct{ Email, Name string }
		_ = json.Unmarshal(req.Body, &b)
		email := b.Email
		p, _, _ := strings.Cut(req.Path, "?")
		if rest, ok := strings.CutPrefix(p, "/api/contacts/"); ok {
			email, _ = url.PathUnescape(rest)
		}
		a.mu.Lock()
		a.sent = append(a.sent, req.Method+" "+email)
		status := http.StatusOK
		switch _, ok := a.have[email]; {
		case req.Method == http.MethodPost:
			a.have[email], status = b.Name, http.StatusCreated
		case !ok:
			status = http.StatusNotFound
		case req.Method == http.MethodPatch:
			a.have[email] = b.Name
		case req.Method == http.MethodDelete:
			delete(a.have, email)
			status = http.StatusNoContent
		default:
			t.Errorf("unexpected %s %s", req.Method, req.Path)
		}
		drop := a.drop[email]
		delete(a.drop, email)
		a.mu.Unlock()
		if drop {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
			return true
		}
		w.WriteHeader(status)
		return true
	})
	return a
}

func (a *strictREST) dropNext(email string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.drop[email] = true
}

func (a *strictREST) takeSent(email string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, s := range a.sent {
		if m, e, _ := strings.Cut(s, " "); e == email {
			out = append(out, m)
		}
	}
	a.sent = nil
	return out
}

func (a *strictREST) state() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.have)
}

// strictRESTFixture is a mirror sync of contacts to a strictREST, one request per record, one at
// a time, retries allowed.
func strictRESTFixture(t *testing.T, retries int) (*fixture, *strictREST) {
	spec := restSpec()
	spec.Deleted = &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.email | url_encode }}"}
	f, rest := restFixture(t, controlplane.BehaviorMirror, spec)
	f.engine.MaxRetries, f.engine.Concurrency = retries, 1
	return f, newStrictREST(t, rest)
}

func (a *strictREST) check(t *testing.T, f *fixture, when string) {
	t.Helper()
	if want, got := f.warehouseContacts(), a.state(); !cmp.Equal(got, want) {
		t.Errorf("%s: endpoint %v, warehouse %v (-want +got)\n%s", when, got, want, cmp.Diff(want, got))
	}
}

// A mirror delete whose answer is lost (the endpoint deleted the record), then the record is back
// in the warehouse: the endpoint may not have it any more, so it is created (POST), not updated
// (PATCH, which it answers 404 on every run).
func TestReview2UnansweredDeleteThenReAdded(t *testing.T) {
	f, a := strictRESTFixture(t, -1)
	const key = "a/b@example.com"
	f.run(controlplane.RunSucceeded, RunOptions{})
	a.takeSent("")
	f.exec(`DELETE FROM contacts WHERE email = $1`, key)
	a.dropNext(key)
	f.run(controlplane.RunFailed, RunOptions{})
	if got := a.takeSent(key); !cmp.Equal(got, []string{"DELETE"}) {
		t.Fatalf("the delete: %v", got)
	}
	f.exec(`INSERT INTO contacts VALUES ($1, 'Bob', 2)`, key)
	// A dry run, which overlays the intent without adopting it, counts it as new too.
	if dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3); err != nil || dr.Counts.New != 1 || dr.Counts.Changed != 0 {
		t.Errorf("dry run: %+v, %v; want 1 new", dr, err)
	}
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if got := a.takeSent(key); !cmp.Equal(got, []string{"POST"}) {
		t.Errorf("the re-added key after an unanswered delete: sent %v, want POST (counts %+v)", got, run.Counts)
	}
	a.check(t, f, "after the run")
	f.run(controlplane.RunSucceeded, RunOptions{})
	a.check(t, f, "after one more run")
}

// A DELETE applied whose answer is lost, retried and answered 404 (the record is gone: the first
// attempt deleted it), then the record is back in the warehouse as it was: it must be created
// again. The 404 says the endpoint does not hold it, so the delete is delivered and the key
// leaves the ledger (answers.go).
func TestReview2UnansweredThenRefusedDelete(t *testing.T) {
	f, a := strictRESTFixture(t, 2)
	const key = "a/b@example.com"
	f.run(controlplane.RunSucceeded, RunOptions{})
	a.takeSent("")
	f.exec(`DELETE FROM contacts WHERE email = $1`, key)
	a.dropNext(key)
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if got := a.takeSent(key); !cmp.Equal(got, []string{"DELETE", "DELETE"}) {
		t.Fatalf("the delete: %v", got)
	}
	if err != nil || run.Counts.Delivered != 1 || run.Counts.Rejected != 0 {
		t.Errorf("the run of the delete: %s %+v %v; want it delivered", run.Status, run.Counts, err)
	}
	if k, err := f.store.LookupLedgerKey(f.ctx, f.sync.ID, key); err != nil || k.State != controlplane.KeyAbsent {
		t.Errorf("after the retry of the delete answered 404: %+v, %v; want absent, to be created if it is back", k, err)
	}
	f.exec(`INSERT INTO contacts VALUES ($1, 'Bob', 2)`, key)
	run = f.run(controlplane.RunSucceeded, RunOptions{})
	if got := a.takeSent(key); !cmp.Equal(got, []string{"POST"}) {
		t.Errorf("the re-inserted key: sent %v, want POST (counts %+v)", got, run.Counts)
	}
	a.check(t, f, "after the re-insert")
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got := a.takeSent(key); len(got) != 0 {
		t.Errorf("a run with nothing changed sent %v", got)
	}
}

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

// Sequences that held, kept as regression tests.

// A row flapping: Ada → Ada B, whose delivery is applied and its answer lost (the run fails),
// then back to Ada: Ada is sent again, though the ledger's last confirmed version is Ada.
func TestReview2FlapBackAfterUnanswered(t *testing.T) {
	f, r := dedupFixture(t)
	f.engine.MaxRetries = -1
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`UPDATE users SET name = 'Ada B' WHERE id = 1`)
	r.dropNext("1")
	f.run(controlplane.RunFailed, RunOptions{})
	f.exec(`UPDATE users SET name = 'Ada' WHERE id = 1`)
	f.run(controlplane.RunSucceeded, RunOptions{})
	r.check(t, f, "after the row changed back")
}

// Cursor: a row changed without its cursor moving, at the mark itself (the highest value read):
// the next incremental read is inclusive, so it sends it.
func TestReview2CursorRowChangedAtTheMark(t *testing.T) {
	f := oneBatchCursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`UPDATE users SET name = 'Ed B' WHERE id = 10`) // updated_at stays the mark
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if v := viewByID(f, 10); run.ReadMode != controlplane.ReadIncremental || v == nil || v["name"] != "Ed B" {
		t.Errorf("run read %q; receiver has %v for 10, want Ed B", run.ReadMode, v)
	}
}
