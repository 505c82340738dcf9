package runner

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

func restSpec() *controlplane.RequestSpec {
	return &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New:     &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: contactBody},
		Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/contacts/{{ record.email | url_encode }}", Body: contactBody}}
}

// methods are the methods of the requests the receiver accepted since the last take.
func methods(rest *restReceiver) []string {
	got, _ := rest.take()
	var out []string
	for _, g := range got {
		m, _, _ := strings.Cut(g, " ")
		out = append(out, m)
	}
	return out
}

// Records a failed run never got delivered (the endpoint answered every attempt with a refusal,
// or the run ended before sending them) stay new: the next run creates them (POST), instead of
// updating what the endpoint never had (PATCH, which a REST API answers 404).
func TestUndeliveredRecordsStayNew(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, restSpec())
	// One batch at a time: the refused batch ends the run before another is out (a request out
	// when a run stops may have been taken: TestCanceledRunKeepsInFlightIntents).
	f.engine.MaxRetries, f.engine.Concurrency = 1, 1
	var down atomic.Bool
	down.Store(true)
	rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		if down.Load() {
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	run := f.run(controlplane.RunFailed, RunOptions{})
	if run.Counts.New != 3 || run.Counts.Delivered != 0 {
		t.Fatalf("failed run counts %+v: want 3 new, none delivered", run.Counts)
	}
	if n := f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1`, f.sync.ID); n != 0 {
		t.Errorf("%d intents left by a run whose every request was refused, want 0", n)
	}
	down.Store(false)
	run = f.run(controlplane.RunSucceeded, RunOptions{})
	if run.Counts.New != 3 || run.Counts.Changed != 0 || run.Counts.Delivered != 3 {
		t.Errorf("next run counts %+v: want 3 new, delivered", run.Counts)
	}
	if got := methods(rest); strings.Join(got, " ") != "POST POST POST" {
		t.Errorf("next run sent %v, want three POSTs (creates)", got)
	}
}

// A request the endpoint did not answer (a timeout) may have been taken: its keys stay
// unconfirmed and the next run resends them; records delivered before as changed (docs/runner.md,
// "Intents: nothing delivered is forgotten"). Records that were new are created again:
// TestUnansweredNewRecordIsCreatedAgain.
func TestUnansweredRecordsAreResent(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, restSpec())
	f.engine.MaxRetries = 0
	f.engine.Client = &http.Client{Timeout: 100 * time.Millisecond, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got := methods(rest); strings.Join(got, " ") != "POST POST POST" {
		t.Fatalf("first run sent %v, want three creates", got)
	}
	f.exec(`UPDATE contacts SET name = name || '!'`)
	var slow atomic.Bool
	slow.Store(true)
	rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		if slow.Load() {
			time.Sleep(300 * time.Millisecond) // past the client's timeout: no answer
			return true
		}
		return false
	})
	f.run(controlplane.RunFailed, RunOptions{})
	if n := f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1`, f.sync.ID); n == 0 {
		t.Errorf("no intent left by a run whose requests got no answer")
	}
	slow.Store(false)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if run.Counts.Delivered != 3 || run.Counts.Changed != 3 {
		t.Errorf("next run counts %+v: want 3 changed, delivered", run.Counts)
	}
	if got := methods(rest); strings.Join(got, " ") != "PATCH PATCH PATCH" {
		t.Errorf("next run sent %v, want the unanswered keys resent as changed (PATCH)", got)
	}
}

// count runs a count query on the control plane.
func (f *fixture) count(sql string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.store.DB().QueryRow(f.ctx, sql, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// A run canceled while two batches are out and more are queued behind them (their intents not
// yet recorded) keeps the intents of the two that are out, which the receiver then takes, and
// only those: the queued ones, never sent, have none to delete (a batch reused from the pool
// carried an earlier batch's number, and deleting by it dropped the intent of a batch still
// out). The mirror then deletes what the receiver took once the warehouse lost it.
func TestCanceledRunKeepsInFlightIntents(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.recv.KeyName = "id"
	f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 40) AS i`)
	stop := f.runWithTwoOut()
	time.Sleep(300 * time.Millisecond) // batches queue up behind them
	run := stop()
	got, _ := f.recv.Take("id")
	if n := f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1`, f.sync.ID); n != 2 {
		t.Errorf("run %s: %d intents left, want 2 (the two batches out when it was canceled); receiver took %v", run.Status, n, got)
	}
	var ids []string
	for _, g := range got {
		ids = append(ids, strings.TrimPrefix(g, "changed "))
	}
	f.exec(`DELETE FROM users WHERE id::text = ANY ($1)`, ids) // the mirror must now delete them
	f.acceptBlocked(controlplane.RunSucceeded, RunOptions{})   // every key delivered before is gone: accepted
	for _, id := range ids {
		if _, ok := f.recv.View()[id]; ok {
			t.Errorf("key %s: taken by the receiver, deleted from the warehouse, never deleted at the receiver", id)
		}
	}
}

// The same without a cancel from outside: a batch refused (503) ends the run while the first one
// is out, and the first is answered late. Its intent survives, and its keys are deleted once the
// warehouse loses them.
func TestFailedBatchKeepsOtherInFlightIntent(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.recv.KeyName = "id"
	f.engine.MaxRetries = -1
	f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 40) AS i`)
	release := make(chan struct{})
	var second atomic.Bool
	f.recv.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		if req.N == 1 {
			<-release // taken, answered late
			return false
		}
		if req.N == 2 {
			for !second.Load() {
				time.Sleep(10 * time.Millisecond)
			}
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
		return true
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	}()
	controlplanetest.WaitFor(t, "two requests out", func() bool { return f.recv.Seen() == 2 })
	time.Sleep(300 * time.Millisecond) // the pipeline fills its queues behind them
	second.Store(true)
	<-done
	close(release)
	controlplanetest.WaitFor(t, "the receiver took the first request", func() bool { return len(f.recv.Requests()) == 1 })
	f.recv.Handle(nil)
	got, _ := f.recv.Take("id")
	if len(got) == 0 {
		t.Fatal("the receiver took nothing")
	}
	var ids []string
	for _, g := range got {
		ids = append(ids, strings.TrimPrefix(g, "changed "))
	}
	f.exec(`DELETE FROM users WHERE id::text = ANY ($1)`, ids)
	f.acceptBlocked(controlplane.RunSucceeded, RunOptions{}) // every key delivered before is gone: accepted
	view := f.recv.View()
	for _, id := range ids {
		if _, ok := view[id]; ok {
			t.Errorf("key %s: taken by the receiver during the failed run, then deleted from the warehouse, still at the receiver", id)
		}
	}
}

// In a batch whose first request goes unanswered (a timeout) and whose next record is never sent,
// only the first record's key is kept as an intent: the record never sent is created (POST) by
// the next run, not updated (PATCH) at an endpoint that never had it.
func TestNeverSentRecordOfAnUnansweredBatchIsCreated(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, restSpec())
	f.engine.MaxRetries, f.engine.Concurrency = -1, 1 // one attempt, one batch at a time
	f.engine.Client = &http.Client{Timeout: 100 * time.Millisecond, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	var mu sync.Mutex
	created := map[string]bool{}
	var slow atomic.Bool
	slow.Store(true)
	rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		var b struct{ Email string }
		_ = json.Unmarshal(req.Body, &b)
		if slow.Load() && b.Email == "a/b@example.com" {
			time.Sleep(300 * time.Millisecond) // past the client's timeout: no answer
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case req.Method == http.MethodPost:
			created[b.Email] = true
			w.WriteHeader(http.StatusCreated)
		case created[b.Email]:
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusNotFound) // a PATCH of a contact it does not have
		}
		return true
	})
	f.run(controlplane.RunFailed, RunOptions{})
	// The unanswered record's key is the only one kept.
	k, err := f.store.LookupLedgerKey(f.ctx, f.sync.ID, "a/b@example.com")
	if err != nil || k.State != controlplane.KeyUnconfirmed {
		t.Errorf("the unanswered key: %+v, %v; want unconfirmed", k, err)
	}
	k, err = f.store.LookupLedgerKey(f.ctx, f.sync.ID, "ada lovelace@example.com")
	if err != nil || k.State != controlplane.KeyAbsent {
		t.Errorf("the key never sent: %+v, %v; want absent", k, err)
	}
	slow.Store(false)
	f.run(controlplane.RunSucceeded, RunOptions{})
	mu.Lock()
	defer mu.Unlock()
	for _, email := range []string{"ada lovelace@example.com", "zoë@例え.jp"} {
		if !created[email] {
			t.Errorf("%s: never sent, yet not created by the next run", email)
		}
	}
}

// A record that was new when its create went unanswered may or may not be at the endpoint: the
// next run creates it again (POST), since an update (PATCH) of a record the endpoint never got
// is refused (404) on every run and the record would never be delivered. When the endpoint did
// take the unanswered create, the second is a duplicate, which is allowed; after it, a run with
// nothing changed sends nothing.
func TestUnansweredNewRecordIsCreatedAgain(t *testing.T) {
	for _, c := range []struct {
		name    string
		created bool // the endpoint created the record before the answer was lost
	}{
		{"not created, timed out", false},
		{"created, connection dropped", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			const key = "a/b@example.com"
			f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, restSpec())
			f.engine.MaxRetries, f.engine.Concurrency = -1, 1 // one attempt, one batch at a time
			f.engine.Client = &http.Client{Timeout: 100 * time.Millisecond, CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			}}
			var mu sync.Mutex
			created := map[string]int{} // creates taken, by email
			var sent []string           // the methods of the requests for key after the first
			requests, first := 0, true
			rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
				var b struct{ Email string }
				_ = json.Unmarshal(req.Body, &b)
				mu.Lock()
				defer mu.Unlock()
				requests++
				if b.Email == key && first {
					first = false
					if !c.created {
						mu.Unlock()
						time.Sleep(300 * time.Millisecond) // past the client's timeout: no answer
						mu.Lock()
						w.WriteHeader(http.StatusServiceUnavailable)
						return true
					}
					created[b.Email]++
					conn, _, err := w.(http.Hijacker).Hijack() // taken, and the answer is lost
					if err != nil {
						t.Error(err)
						return true
					}
					_ = conn.Close()
					return true
				}
				if b.Email == key {
					sent = append(sent, req.Method)
				}
				switch {
				case req.Method == http.MethodPost:
					created[b.Email]++
					w.WriteHeader(http.StatusCreated)
				case created[b.Email] > 0:
					w.WriteHeader(http.StatusOK)
				default:
					w.WriteHeader(http.StatusNotFound) // a PATCH of a contact it does not have
				}
				return true
			})
			f.run(controlplane.RunFailed, RunOptions{})
			k, err := f.store.LookupLedgerKey(f.ctx, f.sync.ID, key)
			if err != nil || k.State != controlplane.KeyUnconfirmed || !k.WasAbsent {
				t.Errorf("the unanswered key: %+v, %v; want unconfirmed, absent before", k, err)
			}

			run := f.run(controlplane.RunSucceeded, RunOptions{})
			mu.Lock()
			if strings.Join(sent, " ") != "POST" || created[key] == 0 {
				t.Errorf("next run sent %v for the unanswered key (created %d times): want it created (one POST)", sent, created[key])
			}
			if c.created && created[key] != 2 {
				t.Errorf("created %d times, want 2 (a duplicate create)", created[key])
			}
			before := requests
			mu.Unlock()
			if run.Counts.New != 3 || run.Counts.Changed != 0 || run.Counts.Delivered != 3 || run.Counts.Rejected != 0 {
				t.Errorf("next run counts %+v: want 3 new, 3 delivered", run.Counts)
			}
			if k, err := f.store.LookupLedgerKey(f.ctx, f.sync.ID, key); err != nil || k.State != controlplane.KeyConfirmed {
				t.Errorf("the key after its create was answered: %+v, %v; want confirmed", k, err)
			}

			run = f.run(controlplane.RunSucceeded, RunOptions{})
			mu.Lock()
			defer mu.Unlock()
			if run.Counts.New != 0 || run.Counts.Changed != 0 || requests != before {
				t.Errorf("a run with nothing changed: counts %+v, %d requests; want nothing sent", run.Counts, requests-before)
			}
		})
	}
}

// runWithTwoOut starts a run of the sync whose first two requests the receiver holds, and
// returns once both are out. stop cancels the run, then lets the receiver take both (answered
// after the run gave up), and returns the run.
func (f *fixture) runWithTwoOut() (stop func() *controlplane.Run) {
	f.t.Helper()
	release := make(chan struct{})
	var out atomic.Int32
	f.recv.Gate(func(int) { out.Add(1); <-release })
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan *controlplane.Run)
	go func() { r, _ := f.engine.Run(ctx, f.sync.ID, RunOptions{}); done <- r }()
	controlplanetest.WaitFor(f.t, "two requests out", func() bool { return out.Load() == 2 })
	return func() *controlplane.Run {
		f.t.Helper()
		cancel()
		run := <-done
		close(release)
		f.recv.Gate(nil)
		controlplanetest.WaitFor(f.t, "receiver took both", func() bool { return len(f.recv.Requests()) == 2 })
		return run
	}
}
