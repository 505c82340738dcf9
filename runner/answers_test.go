package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// crmAPI is a REST CRM as most are: POST /api/contacts creates a contact and answers 409
// Conflict for an email it already holds (changing nothing); PATCH and DELETE
// /api/contacts/{email} answer 404 for an email it lacks. In bulk, POST /api/bulk creates the
// body's records (409, nothing applied, when it holds any of them) and PATCH /api/bulk updates
// them (404, nothing applied, when it lacks any). drop, per email, makes the next request
// carrying it be applied and its answer lost (the connection closed).
type crmAPI struct {
	mu   sync.Mutex
	have map[string]string // email → name
	drop map[string]bool
	sent []string // "METHOD path status", in order
	// broken: the CRM answers 409 to every POST and 404 to every PATCH (a broken API).
	broken bool
	// busy, per "METHOD email", makes the next such request be answered 429 Too Many Requests
	// with Retry-After: 0, nothing applied.
	busy map[string]bool
	// answered, when set, is called with each answer's line ("METHOD path status") before the
	// answer is written.
	answered func(line string)
}

func newCRMAPI(t *testing.T, rest *restReceiver) *crmAPI {
	a := &crmAPI{have: map[string]string{}, drop: map[string]bool{}, busy: map[string]bool{}}
	rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		type contact struct{ Email, Name string }
		var one contact
		var bulk struct{ Records []contact }
		p, _, _ := strings.Cut(req.Path, "?")
		var records []contact
		switch {
		case p == "/api/bulk":
			if err := json.Unmarshal(req.Body, &bulk); err != nil {
				t.Errorf("bulk body %q: %v", req.Body, err)
			}
			records = bulk.Records
		case strings.HasPrefix(p, "/api/contacts/"):
			_ = json.Unmarshal(req.Body, &one)
			one.Email, _ = url.PathUnescape(strings.TrimPrefix(p, "/api/contacts/"))
			records = []contact{one}
		default:
			_ = json.Unmarshal(req.Body, &one)
			records = []contact{one}
		}
		a.mu.Lock()
		held := 0
		for _, r := range records {
			if _, ok := a.have[r.Email]; ok {
				held++
			}
		}
		var status int
		busy := false
		for _, r := range records {
			busy = busy || a.busy[req.Method+" "+r.Email]
			delete(a.busy, req.Method+" "+r.Email)
		}
		switch {
		case busy:
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", "0")
		case a.broken && req.Method == http.MethodPost:
			status = http.StatusConflict
		case a.broken && req.Method == http.MethodPatch:
			status = http.StatusNotFound
		case req.Method == http.MethodPost:
			status = http.StatusCreated
			if held > 0 {
				status = http.StatusConflict
				break
			}
			for _, r := range records {
				a.have[r.Email] = r.Name
			}
		case req.Method == http.MethodPatch:
			status = http.StatusOK
			if held < len(records) {
				status = http.StatusNotFound
				break
			}
			for _, r := range records {
				a.have[r.Email] = r.Name
			}
		case req.Method == http.MethodDelete:
			status = http.StatusNoContent
			if held < len(records) {
				status = http.StatusNotFound
				break
			}
			for _, r := range records {
				delete(a.have, r.Email)
			}
		default:
			t.Errorf("unexpected %s %s", req.Method, req.Path)
			status = http.StatusMethodNotAllowed
		}
		drop := false
		for _, r := range records {
			m := req.Method + " " + r.Email
			drop = drop || a.drop[r.Email] || a.drop[m]
			if a.drop[r.Email] || a.drop[m] {
				delete(a.drop, r.Email)
				delete(a.drop, m)
			}
		}
		line := req.Method + " " + req.Path + " "
		if drop {
			line += "dropped"
		} else {
			line += http.StatusText(status)
		}
		a.sent = append(a.sent, line)
		hook := a.answered
		a.mu.Unlock()
		if hook != nil {
			hook(line)
		}
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

// dropNextMethod is dropNext for the next request of method carrying email.
func (a *crmAPI) dropNextMethod(method, email string) { a.dropNext(method + " " + email) }

func (a *crmAPI) dropNext(email string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.drop[email] = true
}

// forget removes email from the CRM, as someone in its interface or its retention would.
func (a *crmAPI) forget(email string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.have, email)
}

func (a *crmAPI) breakAPI() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.broken = true
}

func (a *crmAPI) hold(email, name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.have[email] = name
}

// takeSent returns and forgets the requests answered so far, in order.
func (a *crmAPI) takeSent() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.sent
	a.sent = nil
	return out
}

func (a *crmAPI) state() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.have)
}

// check: the CRM holds exactly the warehouse's contacts, and the sync has no rejected record.
func (a *crmAPI) check(t *testing.T, f *fixture, when string) {
	t.Helper()
	if want, got := f.warehouseContacts(), a.state(); !cmp.Equal(got, want) {
		t.Errorf("%s: the CRM holds %v, the warehouse %v (-want +got)\n%s", when, got, want, cmp.Diff(want, got))
	}
	noneRejected(t, f, when)
}

func noneRejected(t *testing.T, f *fixture, when string) {
	t.Helper()
	if rej, err := f.store.ListRejected(f.ctx, f.sync.ID); err != nil || len(rej) != 0 {
		t.Errorf("%s: rejected records %+v, %v; want none", when, rej, err)
	}
}

// crmFixture is a sync of contacts of behavior to a crmAPI with spec, one batch at a time,
// without retries (a dropped answer fails the run) unless retries says otherwise.
func crmFixture(t *testing.T, behavior string, spec *controlplane.RequestSpec, retries int) (*fixture, *crmAPI) {
	f, rest := restFixture(t, behavior, spec)
	f.engine.MaxRetries, f.engine.Concurrency = retries, 1
	return f, newCRMAPI(t, rest)
}

// crmSpec is the REST CRM of docs/destinations.md: POST, PATCH and DELETE per record.
func crmSpec() *controlplane.RequestSpec {
	spec := restSpec()
	spec.Deleted = &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.email | url_encode }}"}
	return spec
}

// ledgerState is what the ledger says of key.
func ledgerState(t *testing.T, f *fixture, key string) controlplane.KeyState {
	t.Helper()
	k, err := f.store.LookupLedgerKey(f.ctx, f.sync.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	return k.State
}

// runDeliveries are the delivery log's rows of a run, as "operation status records".
func runDeliveries(t *testing.T, f *fixture, runID int64) []string {
	t.Helper()
	ds, err := f.store.ListDeliveries(f.ctx, controlplane.DeliveryFilter{SyncID: f.sync.ID, RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(ds) - 1; i >= 0; i-- { // oldest first
		d := ds[i]
		out = append(out, d.Operation+" "+http.StatusText(d.Status)+" "+d.FirstKey)
	}
	return out
}

const answersKey = "new@example.com"

// (a) A create applied whose answer is lost, then the record changes: the next run's create is
// answered 409 (the CRM has the contact), so the record is sent at once with the changed
// request, which brings the CRM to the current version; the ledger then confirms it, and the
// delivery log shows both requests.
func TestAnswersLostCreateThenChanged(t *testing.T) {
	for _, behavior := range []string{controlplane.BehaviorMirror, controlplane.BehaviorUpdateOrCreate} {
		t.Run(behavior, func(t *testing.T) {
			f, a := crmFixture(t, behavior, crmSpec(), -1)
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9)`, answersKey)
			a.dropNext(answersKey)
			f.run(controlplane.RunFailed, RunOptions{})
			a.takeSent()
			f.exec(`UPDATE contacts SET name = 'New B' WHERE email = $1`, answersKey)
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if diff := cmp.Diff([]string{"POST /api/contacts Conflict", "PATCH /api/contacts/new%40example.com OK"}, a.takeSent()); diff != "" {
				t.Errorf("requests of the run after the lost answer (-want +got):\n%s", diff)
			}
			if run.Counts.Delivered != 1 || run.Counts.Rejected != 0 {
				t.Errorf("counts %+v, want 1 delivered, none rejected", run.Counts)
			}
			if got := answersOf(t, f, run.ID); got != [4]int64{1, 0, 0, 0} {
				t.Errorf("the run record's answers %v, want 1 resent after a conflict", got)
			}
			a.check(t, f, "after the run")
			if got := runDeliveries(t, f, run.ID); !cmp.Equal(got, []string{"new Conflict " + answersKey, "changed OK " + answersKey}) {
				t.Errorf("delivery log %q, want the create answered 409 and the update", got)
			}
			if s := ledgerState(t, f, answersKey); s != controlplane.KeyConfirmed {
				t.Errorf("ledger: %s, want confirmed", s)
			}
			f.run(controlplane.RunSucceeded, RunOptions{})
			if got := a.takeSent(); len(got) != 0 {
				t.Errorf("a run with nothing changed sent %v", got)
			}
			f.exec(`UPDATE contacts SET name = 'New C' WHERE email = $1`, answersKey)
			f.run(controlplane.RunSucceeded, RunOptions{})
			if diff := cmp.Diff([]string{"PATCH /api/contacts/new%40example.com OK"}, a.takeSent()); diff != "" {
				t.Errorf("the next change (-want +got):\n%s", diff)
			}
			a.check(t, f, "after the next change")
		})
	}
}

// (b) A first sync into a CRM that already holds some of the contacts (imported before, with
// other names): those creates are answered 409 and become updates, so the CRM holds the
// warehouse's version of every contact and nothing is rejected.
func TestAnswersFirstSyncIntoAFilledCRM(t *testing.T) {
	for _, behavior := range []string{controlplane.BehaviorMirror, controlplane.BehaviorUpdateOrCreate} {
		t.Run(behavior, func(t *testing.T) {
			f, a := crmFixture(t, behavior, crmSpec(), -1)
			a.hold("ada lovelace@example.com", "Ada (imported)")
			a.hold("zoë@例え.jp", "Zoe (imported)")
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if run.Counts.New != 3 || run.Counts.Delivered != 3 || run.Counts.Rejected != 0 {
				t.Errorf("counts %+v, want 3 new delivered", run.Counts)
			}
			a.check(t, f, "after the first run")
			a.takeSent()
			f.run(controlplane.RunSucceeded, RunOptions{})
			if got := a.takeSent(); len(got) != 0 {
				t.Errorf("a run with nothing changed sent %v", got)
			}
		})
	}
}

// A 409 whose update is refused too leaves the record rejected with the update's answer; a
// request block whose changed request is its new one (an upsert) keeps the 409 a rejection.
func TestAnswersConflictThenUpdateRefused(t *testing.T) {
	t.Run("update refused", func(t *testing.T) {
		spec := crmSpec()
		// The update goes to the wrong path: the CRM answers 404 to it.
		spec.Changed.Path = "/contacts/x{{ record.email | url_encode }}"
		f, a := crmFixture(t, controlplane.BehaviorUpdateOrCreate, spec, -1)
		a.hold("ada lovelace@example.com", "Ada (imported)")
		run := f.run(controlplane.RunSucceeded, RunOptions{})
		if run.Counts.Delivered != 2 || run.Counts.Rejected != 1 {
			t.Errorf("counts %+v, want 2 delivered and 1 rejected", run.Counts)
		}
		rej, err := f.store.GetRejected(f.ctx, f.sync.ID, "ada lovelace@example.com")
		if err != nil || rej.Status != http.StatusNotFound {
			t.Errorf("rejection %+v, %v; want the update's 404", rej, err)
		}
	})
	t.Run("same request", func(t *testing.T) {
		spec := crmSpec()
		spec.Changed = spec.New
		f, a := crmFixture(t, controlplane.BehaviorUpdateOrCreate, spec, -1)
		a.hold("ada lovelace@example.com", "Ada (imported)")
		f.run(controlplane.RunSucceeded, RunOptions{})
		if got := a.takeSent(); len(got) != 3 {
			t.Errorf("sent %v, want the three creates alone", got)
		}
		rej, err := f.store.GetRejected(f.ctx, f.sync.ID, "ada lovelace@example.com")
		if err != nil || rej.Status != http.StatusConflict {
			t.Errorf("rejection %+v, %v; want the 409", rej, err)
		}
	})
}

// (c) A delete applied whose answer is lost: the next run's delete is answered 404, which is what
// the delete wanted: delivered, the key leaves the ledger, nothing is rejected, and the run's
// log says how many deletes found the record already absent.
func TestAnswersLostDeleteThenNotFound(t *testing.T) {
	f, a := crmFixture(t, controlplane.BehaviorMirror, crmSpec(), -1)
	var logs bytes.Buffer
	f.engine.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	const key = "a/b@example.com"
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`DELETE FROM contacts WHERE email = $1`, key)
	a.dropNext(key)
	f.run(controlplane.RunFailed, RunOptions{})
	a.takeSent()
	logs.Reset()
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if diff := cmp.Diff([]string{"DELETE /api/contacts/a%2Fb%40example.com Not Found"}, a.takeSent()); diff != "" {
		t.Errorf("requests of the run after the lost answer (-want +got):\n%s", diff)
	}
	if run.Counts.Deleted != 1 || run.Counts.Delivered != 1 || run.Counts.Rejected != 0 {
		t.Errorf("counts %+v, want the delete delivered", run.Counts)
	}
	if got := answersOf(t, f, run.ID); got != [4]int64{0, 0, 0, 1} {
		t.Errorf("the run record's answers %v, want 1 delete absent", got)
	}
	a.check(t, f, "after the run")
	if _, err := f.store.GetRejected(f.ctx, f.sync.ID, key); !errors.Is(err, controlplane.ErrNotFound) {
		t.Errorf("the key is rejected: %v", err)
	}
	if s := ledgerState(t, f, key); s != controlplane.KeyAbsent {
		t.Errorf("ledger: %s, want absent", s)
	}
	if got := runDeliveries(t, f, run.ID); !cmp.Equal(got, []string{"deleted Not Found " + key}) {
		t.Errorf("delivery log %q, want the delete with its 404", got)
	}
	if !strings.Contains(logs.String(), "deletes found the record already absent") || !strings.Contains(logs.String(), "records=1") {
		t.Errorf("the run's log does not count the delete answered 404:\n%s", logs.String())
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got := a.takeSent(); len(got) != 0 {
		t.Errorf("a run with nothing changed sent %v", got)
	}
}

// (d) append: a create that may have been delivered already (its answer was lost, by an earlier
// run or an earlier attempt of this one) answered 409 is delivered: the CRM has it. A 409 to a
// create never attempted stays a rejection: something else put the contact there.
func TestAnswersAppendConflict(t *testing.T) {
	appendSpec := func() *controlplane.RequestSpec {
		return &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: contactBody}}
	}
	t.Run("after a failed run", func(t *testing.T) {
		f, a := crmFixture(t, controlplane.BehaviorAppend, appendSpec(), -1)
		f.run(controlplane.RunSucceeded, RunOptions{})
		f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9), ('other@example.com', 'Other', 10)`, answersKey)
		a.hold("other@example.com", "Other (imported)")
		a.dropNext(answersKey)
		f.run(controlplane.RunFailed, RunOptions{})
		a.takeSent()
		run := f.run(controlplane.RunSucceeded, RunOptions{})
		if diff := cmp.Diff([]string{"POST /api/contacts Conflict", "POST /api/contacts Conflict"}, a.takeSent()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if run.Counts.Delivered != 1 || run.Counts.Rejected != 1 {
			t.Errorf("counts %+v, want 1 delivered and 1 rejected", run.Counts)
		}
		if got := answersOf(t, f, run.ID); got != [4]int64{0, 0, 1, 0} {
			t.Errorf("the run record's answers %v, want 1 present on a conflict", got)
		}
		if s := ledgerState(t, f, answersKey); s != controlplane.KeyConfirmed {
			t.Errorf("ledger: %s, want confirmed", s)
		}
		if _, err := f.store.GetRejected(f.ctx, f.sync.ID, answersKey); !errors.Is(err, controlplane.ErrNotFound) {
			t.Errorf("the create answered 409 after a lost answer is rejected: %v", err)
		}
		if rej, err := f.store.GetRejected(f.ctx, f.sync.ID, "other@example.com"); err != nil || rej.Status != http.StatusConflict {
			t.Errorf("the create never attempted: rejection %+v, %v; want its 409", rej, err)
		}
		f.run(controlplane.RunSucceeded, RunOptions{})
		if got := a.takeSent(); !cmp.Equal(got, []string{"POST /api/contacts Conflict"}) {
			t.Errorf("the next run sent %v, want the rejected create alone", got)
		}
	})
	t.Run("retried in the run", func(t *testing.T) {
		f, a := crmFixture(t, controlplane.BehaviorAppend, appendSpec(), 2)
		f.run(controlplane.RunSucceeded, RunOptions{})
		a.takeSent()
		f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9)`, answersKey)
		a.dropNext(answersKey)
		run := f.run(controlplane.RunSucceeded, RunOptions{})
		if diff := cmp.Diff([]string{"POST /api/contacts dropped", "POST /api/contacts Conflict"}, a.takeSent()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if run.Counts.Delivered != 1 || run.Counts.Rejected != 0 {
			t.Errorf("counts %+v, want 1 delivered", run.Counts)
		}
		noneRejected(t, f, "after the run")
		if s := ledgerState(t, f, answersKey); s != controlplane.KeyConfirmed {
			t.Errorf("ledger: %s, want confirmed", s)
		}
		f.run(controlplane.RunSucceeded, RunOptions{})
		if got := a.takeSent(); len(got) != 0 {
			t.Errorf("a run with nothing changed sent %v", got)
		}
	})
}

// (e) batch mode: a batch create answered 409 is split until the contacts the CRM holds stand
// alone, as any refusal is; those are then sent together with the changed request (a batch of
// them), whose answer decides.
func TestAnswersBatchConflict(t *testing.T) {
	const bulk = `{"records": [{% for r in records %}{"email": {{ r.email | json }}, "name": {{ r.name | json }}}{% unless forloop.last %}, {% endunless %}{% endfor %}]}`
	spec := &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
		New:     &controlplane.OperationRequest{Method: "POST", Path: "/bulk", Body: bulk},
		Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/bulk", Body: bulk},
	}
	f, a := crmFixture(t, controlplane.BehaviorUpdateOrCreate, spec, -1)
	f.sync.BatchSize = 3
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.exec(`INSERT INTO contacts VALUES ('c@example.com', 'Cy', 4)`)
	a.hold("a/b@example.com", "Bob (imported)")
	a.hold("c@example.com", "Cy (imported)")
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	// The batches, in key order: [a/b, ada, c] and [zoë]. The first is split: [a/b] alone is
	// refused, [ada, c] too, then [ada] is created and [c] refused; a/b and c are then updated
	// in one request.
	want := []string{
		"POST /api/bulk Conflict", "POST /api/bulk Conflict", "POST /api/bulk Conflict", "POST /api/bulk Created",
		"POST /api/bulk Conflict", "PATCH /api/bulk OK", "POST /api/bulk Created",
	}
	if diff := cmp.Diff(want, a.takeSent()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if run.Counts.Delivered != 4 || run.Counts.Rejected != 0 {
		t.Errorf("counts %+v, want 4 delivered", run.Counts)
	}
	a.check(t, f, "after the run")
	ds, err := f.store.ListDeliveries(f.ctx, controlplane.DeliveryFilter{SyncID: f.sync.ID, RunID: run.ID})
	if err != nil {
		t.Fatal(err)
	}
	var updates []string
	for _, d := range ds {
		if d.Operation == controlplane.OpChanged {
			updates = append(updates, d.FirstKey+".."+d.LastKey)
		}
	}
	if !cmp.Equal(updates, []string{"a/b@example.com..c@example.com"}) {
		t.Errorf("delivery log's updates %q, want one of a/b and c", updates)
	}
}

// (f) A contact removed in the CRM (by hand, or by its retention) whose record then changes: the
// update is answered 404 (the CRM lacks it), so the record is sent at once with the new request,
// which creates it again; the ledger confirms it, nothing is rejected, the delivery log shows both
// requests and the run's log counts the update that became a create.
func TestAnswersRemovedThenChanged(t *testing.T) {
	for _, behavior := range []string{controlplane.BehaviorMirror, controlplane.BehaviorUpdateOrCreate} {
		t.Run(behavior, func(t *testing.T) {
			f, a := crmFixture(t, behavior, crmSpec(), -1)
			var logs bytes.Buffer
			f.engine.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			const key = "a/b@example.com"
			f.run(controlplane.RunSucceeded, RunOptions{})
			a.takeSent()
			a.forget(key)
			f.exec(`UPDATE contacts SET name = 'Bob B' WHERE email = $1`, key)
			logs.Reset()
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if diff := cmp.Diff([]string{"PATCH /api/contacts/a%2Fb%40example.com Not Found", "POST /api/contacts Created"}, a.takeSent()); diff != "" {
				t.Errorf("requests of the run after the removal (-want +got):\n%s", diff)
			}
			if run.Counts.Changed != 1 || run.Counts.Delivered != 1 || run.Counts.Rejected != 0 {
				t.Errorf("counts %+v, want 1 changed delivered, none rejected", run.Counts)
			}
			a.check(t, f, "after the run")
			if got := runDeliveries(t, f, run.ID); !cmp.Equal(got, []string{"changed Not Found " + key, "new Created " + key}) {
				t.Errorf("delivery log %q, want the update answered 404 and the create", got)
			}
			if s := ledgerState(t, f, key); s != controlplane.KeyConfirmed {
				t.Errorf("ledger: %s, want confirmed", s)
			}
			if !strings.Contains(logs.String(), "updates answered 404 Not Found were sent again with the new request") || !strings.Contains(logs.String(), "records=1") {
				t.Errorf("the run's log does not count the update that became a create:\n%s", logs.String())
			}
			f.run(controlplane.RunSucceeded, RunOptions{})
			if got := a.takeSent(); len(got) != 0 {
				t.Errorf("a run with nothing changed sent %v", got)
			}
			f.exec(`UPDATE contacts SET name = 'Bob C' WHERE email = $1`, key)
			f.run(controlplane.RunSucceeded, RunOptions{})
			if diff := cmp.Diff([]string{"PATCH /api/contacts/a%2Fb%40example.com OK"}, a.takeSent()); diff != "" {
				t.Errorf("the next change (-want +got):\n%s", diff)
			}
			a.check(t, f, "after the next change")
		})
	}
}

// A broken API that answers 409 to every create and 404 to every update: each record is sent at
// most twice in a run (the second answer is final, never read again) and ends rejected with it,
// a create with the update's 404, an update with the create's 409.
func TestAnswersConflictAndNotFound(t *testing.T) {
	f, a := crmFixture(t, controlplane.BehaviorMirror, crmSpec(), -1)
	const changed = "a/b@example.com"
	f.run(controlplane.RunSucceeded, RunOptions{})
	a.takeSent()
	a.breakAPI()
	f.exec(`UPDATE contacts SET name = 'Bob B' WHERE email = $1`, changed)
	f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9)`, answersKey)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	want := []string{
		"POST /api/contacts Conflict", "PATCH /api/contacts/new%40example.com Not Found",
		"PATCH /api/contacts/a%2Fb%40example.com Not Found", "POST /api/contacts Conflict",
	}
	if diff := cmp.Diff(want, a.takeSent()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if run.Counts.Delivered != 0 || run.Counts.Rejected != 2 {
		t.Errorf("counts %+v, want 2 rejected", run.Counts)
	}
	for key, status := range map[string]int{changed: http.StatusConflict, answersKey: http.StatusNotFound} {
		if rej, err := f.store.GetRejected(f.ctx, f.sync.ID, key); err != nil || rej.Status != status {
			t.Errorf("%s: rejection %+v, %v; want status %d", key, rej, err, status)
		}
	}
	if got := runDeliveries(t, f, run.ID); !cmp.Equal(got, []string{
		"new Conflict " + answersKey, "changed Not Found " + answersKey, "changed Not Found " + changed, "new Conflict " + changed,
	}) {
		t.Errorf("delivery log %q, want both requests of each record", got)
	}
	// The next run tries them again, the same way.
	f.run(controlplane.RunSucceeded, RunOptions{})
	if diff := cmp.Diff(want, a.takeSent()); diff != "" {
		t.Errorf("requests of the next run (-want +got):\n%s", diff)
	}
}

// An update whose path is the same for every record (the record is in the body) answered 404 says
// nothing of the record: it stays a rejection, and no create is sent.
func TestAnswersNotFoundOnAFixedPath(t *testing.T) {
	spec := crmSpec()
	spec.Changed.Path = "/contacts"
	f, a := crmFixture(t, controlplane.BehaviorUpdateOrCreate, spec, -1)
	const key = "a/b@example.com"
	f.run(controlplane.RunSucceeded, RunOptions{})
	a.takeSent()
	a.forget(key)
	f.exec(`UPDATE contacts SET name = 'Bob B' WHERE email = $1`, key)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if diff := cmp.Diff([]string{"PATCH /api/contacts Not Found"}, a.takeSent()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if run.Counts.Delivered != 0 || run.Counts.Rejected != 1 {
		t.Errorf("counts %+v, want 1 rejected", run.Counts)
	}
	if rej, err := f.store.GetRejected(f.ctx, f.sync.ID, key); err != nil || rej.Status != http.StatusNotFound {
		t.Errorf("rejection %+v, %v; want the 404", rej, err)
	}
}

// A path that depends on the record but not on its key (here on a metadata field, the run's id,
// which deleted records carry too) does not name the record: a 404 to it may be a wrong route,
// so it stays a rejection: a delete is not counted done (the CRM still holds the contact) and an
// update is not sent again as a create.
func TestAnswersNotFoundOnAPathWithoutTheKey(t *testing.T) {
	const key = "a/b@example.com"
	mappings := []controlplane.Mapping{{From: "email", To: "email"}, {From: "name", To: "name"},
		{Metadata: controlplane.MetadataSyncRunID, To: "run_id"}}
	setup := func(t *testing.T, spec *controlplane.RequestSpec) (*fixture, *crmAPI) {
		f, a := crmFixture(t, controlplane.BehaviorMirror, spec, -1)
		f.sync.Mappings = mappings
		if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
			t.Fatal(err)
		}
		f.run(controlplane.RunSucceeded, RunOptions{})
		a.takeSent()
		return f, a
	}
	t.Run("delete", func(t *testing.T) {
		spec := crmSpec()
		spec.Deleted.Path = "/contacts?run={{ record.run_id }}"
		f, a := setup(t, spec)
		f.exec(`DELETE FROM contacts WHERE email = $1`, key)
		run := f.run(controlplane.RunSucceeded, RunOptions{})
		if sent := a.takeSent(); len(sent) != 1 || !strings.HasSuffix(sent[0], " Not Found") {
			t.Errorf("sent %v, want the delete answered 404", sent)
		}
		if run.Counts.Delivered != 0 || run.Counts.Rejected != 1 {
			t.Errorf("counts %+v, want the delete rejected", run.Counts)
		}
		if _, ok := a.state()[key]; !ok {
			t.Fatal("the CRM lost the contact")
		}
		if s := ledgerState(t, f, key); s == controlplane.KeyAbsent {
			t.Errorf("ledger: %s, want the key kept (the CRM still holds it)", s)
		}
	})
	t.Run("update", func(t *testing.T) {
		spec := crmSpec()
		spec.Changed.Path = "/contacts?run={{ record.run_id }}"
		f, a := setup(t, spec)
		a.forget(key)
		f.exec(`UPDATE contacts SET name = 'Bob B' WHERE email = $1`, key)
		run := f.run(controlplane.RunSucceeded, RunOptions{})
		if sent := a.takeSent(); len(sent) != 1 || !strings.HasSuffix(sent[0], " Not Found") {
			t.Errorf("sent %v, want the update answered 404 alone", sent)
		}
		if run.Counts.Delivered != 0 || run.Counts.Rejected != 1 {
			t.Errorf("counts %+v, want the update rejected", run.Counts)
		}
	})
}

// A run whose sync is taken over between a create's 409 and the update it leads to does not send
// the update: like a retry, the second request checks the fence first (else the old run's update
// could land after the new run's and leave the endpoint with an older version). The record stays
// pending, for the run that holds the sync.
func TestAnswersResendChecksTheFence(t *testing.T) {
	f, a := crmFixture(t, controlplane.BehaviorUpdateOrCreate, crmSpec(), -1)
	const key = "zoë@例え.jp" // the last of the batch, in key order
	a.hold(key, "Zoe (imported)")
	a.answered = func(line string) {
		if strings.HasSuffix(line, " Conflict") {
			// Another runner takes the sync: its fence moves on.
			if _, err := f.store.Pool().Exec(context.Background(),
				`UPDATE backflow.sync_fences SET token = token + 1 WHERE sync_id = $1`, f.sync.ID); err != nil {
				t.Errorf("bump the fence: %v", err)
			}
		}
	}
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "lock was lost") {
		t.Fatalf("run: %+v, %v; want it stopped by the lost lock", run, err)
	}
	for _, line := range a.takeSent() {
		if strings.HasPrefix(line, "PATCH ") {
			t.Errorf("sent %s after the sync was taken over", line)
		}
	}
	if got := a.state()[key]; got != "Zoe (imported)" {
		t.Errorf("the CRM holds %q for %s, want the imported version untouched", got, key)
	}
}

// The second request goes unanswered (applied, its answer lost; no retries): the run fails, and
// the key is neither lost nor rejected: the ledger holds it as unconfirmed, and the next run
// brings the endpoint to the warehouse's version and confirms it.
func TestAnswersResendUnanswered(t *testing.T) {
	t.Run("create after an update's 404", func(t *testing.T) {
		f, a := crmFixture(t, controlplane.BehaviorMirror, crmSpec(), -1)
		const key = "a/b@example.com"
		f.run(controlplane.RunSucceeded, RunOptions{})
		a.takeSent()
		a.forget(key)
		f.exec(`UPDATE contacts SET name = 'Bob B' WHERE email = $1`, key)
		a.dropNextMethod(http.MethodPost, key)
		f.run(controlplane.RunFailed, RunOptions{})
		if diff := cmp.Diff([]string{"PATCH /api/contacts/a%2Fb%40example.com Not Found", "POST /api/contacts dropped"}, a.takeSent()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		noneRejected(t, f, "after the failed run")
		if s := ledgerState(t, f, key); s != controlplane.KeyUnconfirmed {
			t.Errorf("ledger: %s, want unconfirmed", s)
		}
		f.exec(`UPDATE contacts SET name = 'Bob C' WHERE email = $1`, key)
		f.run(controlplane.RunSucceeded, RunOptions{})
		if diff := cmp.Diff([]string{"PATCH /api/contacts/a%2Fb%40example.com OK"}, a.takeSent()); diff != "" {
			t.Errorf("requests of the next run (-want +got):\n%s", diff)
		}
		a.check(t, f, "after the next run")
		if s := ledgerState(t, f, key); s != controlplane.KeyConfirmed {
			t.Errorf("ledger: %s, want confirmed", s)
		}
	})
	t.Run("update after a create's 409", func(t *testing.T) {
		f, a := crmFixture(t, controlplane.BehaviorUpdateOrCreate, crmSpec(), -1)
		const key = "a/b@example.com"
		a.hold(key, "Bob (imported)")
		a.dropNextMethod(http.MethodPatch, key)
		f.run(controlplane.RunFailed, RunOptions{})
		noneRejected(t, f, "after the failed run")
		if s := ledgerState(t, f, key); s != controlplane.KeyUnconfirmed {
			t.Errorf("ledger: %s, want unconfirmed", s)
		}
		t.Logf("the failed run sent %v", a.takeSent())
		f.exec(`UPDATE contacts SET name = 'Bob C' WHERE email = $1`, key)
		f.run(controlplane.RunSucceeded, RunOptions{})
		t.Logf("the next run sent %v", a.takeSent())
		a.check(t, f, "after the next run")
		if s := ledgerState(t, f, key); s != controlplane.KeyConfirmed {
			t.Errorf("ledger: %s, want confirmed", s)
		}
		f.run(controlplane.RunSucceeded, RunOptions{})
		if got := a.takeSent(); len(got) != 0 {
			t.Errorf("a run with nothing changed sent %v", got)
		}
	})
}

// The run is stopped (SIGTERM: its context canceled) between a create's 409 and the update it
// leads to: the update is not sent, the record is neither delivered nor rejected, and the next run
// sends it again (the create, 409, then the update), so nothing is lost.
func TestAnswersStoppedBeforeTheResend(t *testing.T) {
	f, a := crmFixture(t, controlplane.BehaviorUpdateOrCreate, crmSpec(), -1)
	const key = "zoë@例え.jp" // the last of the run, in key order
	a.hold(key, "Zoe (imported)")
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	a.answered = func(line string) {
		if strings.HasSuffix(line, " Conflict") {
			cancel()
		}
	}
	if _, err := f.engine.Run(ctx, f.sync.ID, RunOptions{}); err == nil {
		t.Fatal("the stopped run succeeded")
	}
	for _, line := range a.takeSent() {
		if strings.HasPrefix(line, "PATCH ") {
			t.Errorf("sent %s after the run was stopped", line)
		}
	}
	noneRejected(t, f, "after the stopped run")
	a.answered = nil
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if run.Counts.Rejected != 0 {
		t.Errorf("counts %+v, want none rejected", run.Counts)
	}
	a.check(t, f, "after the next run")
	if s := ledgerState(t, f, key); s != controlplane.KeyConfirmed {
		t.Errorf("ledger: %s, want confirmed", s)
	}
}

// The second request is retried like any other: a 429 to it is sent again under the same
// webhook-id (after Retry-After, through the connection's pacing), and its final answer decides;
// the record is counted once.
func TestAnswersResendRetried(t *testing.T) {
	f, a := crmFixture(t, controlplane.BehaviorMirror, crmSpec(), 2)
	const key = "a/b@example.com"
	f.run(controlplane.RunSucceeded, RunOptions{})
	a.takeSent()
	a.forget(key)
	f.exec(`UPDATE contacts SET name = 'Bob B' WHERE email = $1`, key)
	a.mu.Lock()
	a.busy["POST "+key] = true
	a.mu.Unlock()
	reg := prometheus.NewRegistry()
	f.engine.Metrics = NewMetrics(reg)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "backflow_records_total" {
			for _, m := range mf.GetMetric() {
				if v := m.GetCounter().GetValue(); v != 0 {
					records[m.GetLabel()[0].GetValue()+" "+m.GetLabel()[1].GetValue()] = v
				}
			}
		}
	}
	if want := map[string]float64{"changed delivered": 1}; !cmp.Equal(records, want) {
		t.Errorf("backflow_records_total %v, want %v", records, want)
	}
	answers := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "backflow_answers_total" {
			for _, m := range mf.GetMetric() {
				answers[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	if want := map[string]float64{"resent_after_conflict": 0, "resent_after_not_found": 1, "present_on_conflict": 0, "absent_on_delete": 0}; !cmp.Equal(answers, want) {
		t.Errorf("backflow_answers_total %v, want %v", answers, want)
	}
	if got := answersOf(t, f, run.ID); got != [4]int64{0, 1, 0, 0} {
		t.Errorf("the run record's answers %v, want 1 resent after a 404", got)
	}
	want := []string{"PATCH /api/contacts/a%2Fb%40example.com Not Found", "POST /api/contacts Too Many Requests", "POST /api/contacts Created"}
	if diff := cmp.Diff(want, a.takeSent()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if run.Counts.Changed != 1 || run.Counts.Delivered != 1 || run.Counts.Rejected != 0 {
		t.Errorf("counts %+v, want the record delivered once", run.Counts)
	}
	a.check(t, f, "after the run")
	ds, err := f.store.ListDeliveries(f.ctx, controlplane.DeliveryFilter{SyncID: f.sync.ID, RunID: run.ID})
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		rows = append(rows, fmt.Sprintf("%s %d %s..%s records=%d attempts=%d", d.Operation, d.Status, d.FirstKey, d.LastKey, d.Records, d.Attempts))
	}
	if diff := cmp.Diff([]string{
		"changed 404 " + key + ".." + key + " records=1 attempts=1",
		"new 201 " + key + ".." + key + " records=1 attempts=2",
	}, rows); diff != "" {
		t.Errorf("delivery log (-want +got):\n%s", diff)
	}
}

// In batch mode, an update answered 404 stays a rejection, even once bisection has isolated the
// record: its path is the batch's, the same for every record, so the 404 may be a wrong route.
func TestAnswersBatchNotFound(t *testing.T) {
	const bulk = `{"records": [{% for r in records %}{"email": {{ r.email | json }}, "name": {{ r.name | json }}}{% unless forloop.last %}, {% endunless %}{% endfor %}]}`
	spec := &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
		New:     &controlplane.OperationRequest{Method: "POST", Path: "/bulk", Body: bulk},
		Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/bulk", Body: bulk},
	}
	f, a := crmFixture(t, controlplane.BehaviorUpdateOrCreate, spec, -1)
	const key = "a/b@example.com"
	f.run(controlplane.RunSucceeded, RunOptions{})
	a.takeSent()
	a.forget(key)
	f.exec(`UPDATE contacts SET name = name || ' B'`)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	for _, line := range a.takeSent() {
		if strings.HasPrefix(line, "POST ") {
			t.Errorf("sent %s: an update's 404 in batch mode became a create", line)
		}
	}
	if run.Counts.Delivered != 2 || run.Counts.Rejected != 1 {
		t.Errorf("counts %+v, want 2 delivered and 1 rejected", run.Counts)
	}
	if rej, err := f.store.GetRejected(f.ctx, f.sync.ID, key); err != nil || rej.Status != http.StatusNotFound {
		t.Errorf("rejection %+v, %v; want the 404", rej, err)
	}
}

// mirror: a delete applied whose answer is lost (the run fails), then the record is back in the
// warehouse before the next run: it is created (the delete's intent leaves the key to be sent as
// new), so no update meets the 404 of a contact the lost delete removed, and nothing is rejected.
func TestAnswersLostDeleteThenBack(t *testing.T) {
	f, a := crmFixture(t, controlplane.BehaviorMirror, crmSpec(), -1)
	const key = "a/b@example.com"
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`DELETE FROM contacts WHERE email = $1`, key)
	a.dropNext(key)
	f.run(controlplane.RunFailed, RunOptions{})
	a.takeSent()
	f.exec(`INSERT INTO contacts VALUES ($1, 'Bob again', 2)`, key)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if diff := cmp.Diff([]string{"POST /api/contacts Created"}, a.takeSent()); diff != "" {
		t.Errorf("requests of the run after the lost delete (-want +got):\n%s", diff)
	}
	if run.Counts.Delivered != 1 || run.Counts.Rejected != 0 {
		t.Errorf("counts %+v, want 1 delivered", run.Counts)
	}
	a.check(t, f, "after the run")
	if s := ledgerState(t, f, key); s != controlplane.KeyConfirmed {
		t.Errorf("ledger: %s, want confirmed", s)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got := a.takeSent(); len(got) != 0 {
		t.Errorf("a run with nothing changed sent %v", got)
	}
}

// answersOf is run id's answer counters as its record in the control plane has them (runs
// show, the API and the status page read them there).
func answersOf(t *testing.T, f *fixture, id int64) [4]int64 {
	t.Helper()
	r, err := f.store.GetRun(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Counts
	return [4]int64{c.ResentAfterConflict, c.ResentAfterNotFound, c.PresentOnConflict, c.AbsentOnDelete}
}

// The second request is retried after an attempt that went unanswered: the create sent after an
// update's 404 is applied and its answer lost, and its retry is answered 409 Conflict (the
// endpoint holds the record: that create put it there). The record is delivered, not rejected:
// the 409 answers the create's own first attempt, as a retry of the first request answered 409
// would be read. (Found by TestSIGKILLSoakRequest's "lost answers" variant of backflow-runner.)
func TestAnswersResendRetriedAfterALostAnswer(t *testing.T) {
	f, a := crmFixture(t, controlplane.BehaviorMirror, crmSpec(), 2)
	const key = "a/b@example.com"
	f.run(controlplane.RunSucceeded, RunOptions{})
	a.takeSent()
	a.forget(key)
	f.exec(`UPDATE contacts SET name = 'Bob B' WHERE email = $1`, key)
	a.dropNextMethod(http.MethodPost, key)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	want := []string{"PATCH /api/contacts/a%2Fb%40example.com Not Found", "POST /api/contacts dropped", "POST /api/contacts Conflict"}
	if diff := cmp.Diff(want, a.takeSent()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if run.Counts.Delivered != 1 || run.Counts.Rejected != 0 {
		t.Errorf("counts %+v, want the record delivered, none rejected", run.Counts)
	}
	if got := answersOf(t, f, run.ID); got != [4]int64{0, 1, 0, 0} {
		t.Errorf("the run record's answers %v, want 1 resent after a 404", got)
	}
	a.check(t, f, "after the run")
	if s := ledgerState(t, f, key); s != controlplane.KeyConfirmed {
		t.Errorf("ledger: %s, want confirmed", s)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got := a.takeSent(); len(got) != 0 {
		t.Errorf("a run with nothing changed sent %v", got)
	}
}

// bulkSpec is the CRM's bulk endpoint in batch mode: POST, PATCH and DELETE /bulk with the
// batch's records; deleted is the `deleted` request's path.
func bulkSpec(deleted string) *controlplane.RequestSpec {
	const bulk = `{"records": [{% for r in records %}{"email": {{ r.email | json }}, "name": {{ r.name | json }}}{% unless forloop.last %}, {% endunless %}{% endfor %}]}`
	return &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
		New:     &controlplane.OperationRequest{Method: "POST", Path: "/bulk", Body: bulk},
		Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/bulk", Body: bulk},
		Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: deleted, Body: bulk},
	}
}

// Batch mode, against a bulk DELETE that answers 404 when it lacks any record of the batch
// (nothing applied): a record the CRM no longer holds is isolated by bisection, and its
// one-record DELETE answered 404 is delivered (the key leaves the ledger, nothing is rejected)
// once a DELETE on the same path got a 2xx in the run, even one sent after it (the other half
// of its batch). Without a 2xx on that route, every later run sent it again and rejected it.
func TestAnswersBatchDeleteNotFound(t *testing.T) {
	t.Run("gone by hand", func(t *testing.T) {
		f, a := crmFixture(t, controlplane.BehaviorMirror, bulkSpec("/bulk"), -1)
		f.noGuard() // its runs delete most contacts
		const key = "a/b@example.com"
		f.run(controlplane.RunSucceeded, RunOptions{})
		a.takeSent()
		a.forget(key)
		f.exec(`DELETE FROM contacts WHERE email IN ($1, 'ada lovelace@example.com')`, key)
		run := f.run(controlplane.RunSucceeded, RunOptions{})
		want := []string{"DELETE /api/bulk Not Found", "DELETE /api/bulk Not Found", "DELETE /api/bulk No Content"}
		if diff := cmp.Diff(want, a.takeSent()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if run.Counts.Deleted != 2 || run.Counts.Delivered != 2 || run.Counts.Rejected != 0 {
			t.Errorf("counts %+v, want both deletes delivered", run.Counts)
		}
		if got := answersOf(t, f, run.ID); got != [4]int64{0, 0, 0, 1} {
			t.Errorf("the run record's answers %v, want 1 delete absent", got)
		}
		a.check(t, f, "after the run")
		if s := ledgerState(t, f, key); s != controlplane.KeyAbsent {
			t.Errorf("ledger: %s, want absent", s)
		}
		f.run(controlplane.RunSucceeded, RunOptions{})
		if got := a.takeSent(); len(got) != 0 {
			t.Errorf("a run with nothing changed sent %v", got)
		}
	})
	t.Run("lost answer", func(t *testing.T) {
		// A delete batch applied, its answer lost: the next run sends it again (its intent
		// adopted, the keys unconfirmed) with another delete, and the CRM answers 404.
		f, a := crmFixture(t, controlplane.BehaviorMirror, bulkSpec("/bulk"), -1)
		f.noGuard() // its runs delete most contacts
		f.run(controlplane.RunSucceeded, RunOptions{})
		f.exec(`DELETE FROM contacts WHERE email IN ('a/b@example.com', 'ada lovelace@example.com')`)
		a.dropNext("a/b@example.com")
		f.run(controlplane.RunFailed, RunOptions{})
		a.takeSent()
		f.exec(`DELETE FROM contacts WHERE email = 'zoë@例え.jp'`)
		reg := prometheus.NewRegistry()
		f.engine.Metrics = NewMetrics(reg)
		run := f.run(controlplane.RunSucceeded, RunOptions{})
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		metrics := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				if v := m.GetCounter().GetValue(); v != 0 && (mf.GetName() == "backflow_answers_total" || mf.GetName() == "backflow_records_total") {
					var labels []string
					for _, l := range m.GetLabel() {
						labels = append(labels, l.GetValue())
					}
					metrics[mf.GetName()+"{"+strings.Join(labels, ",")+"}"] = v
				}
			}
		}
		wantMetrics := map[string]float64{"backflow_answers_total{absent_on_delete}": 2, "backflow_records_total{deleted,delivered}": 3}
		if !cmp.Equal(metrics, wantMetrics) {
			t.Errorf("metrics %v, want %v", metrics, wantMetrics)
		}
		// The adopted batch [a/b, ada] first, split, each answered 404; then [zoë], whose 2xx
		// proves the route.
		want := []string{"DELETE /api/bulk Not Found", "DELETE /api/bulk Not Found", "DELETE /api/bulk Not Found",
			"DELETE /api/bulk No Content"}
		if diff := cmp.Diff(want, a.takeSent()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if run.Counts.Deleted != 3 || run.Counts.Delivered != 3 || run.Counts.Rejected != 0 {
			t.Errorf("counts %+v, want the three deletes delivered", run.Counts)
		}
		if got := answersOf(t, f, run.ID); got != [4]int64{0, 0, 0, 2} {
			t.Errorf("the run record's answers %v, want 2 deletes absent", got)
		}
		a.check(t, f, "after the run")
		for _, key := range []string{"a/b@example.com", "ada lovelace@example.com"} {
			if s := ledgerState(t, f, key); s != controlplane.KeyAbsent {
				t.Errorf("ledger of %s: %s, want absent", key, s)
			}
		}
		f.run(controlplane.RunSucceeded, RunOptions{})
		if got := a.takeSent(); len(got) != 0 {
			t.Errorf("a run with nothing changed sent %v", got)
		}
	})
}

// Batch mode: a 404 to a one-record delete on a route no request of the run got a 2xx on stays
// a rejection, whatever the key's ledger entry: a wrong `deleted` path answering 404 to every
// request must not drop the keys from the ledger while the endpoint holds the records. A 2xx on
// the same path with another method (the bulk create) proves nothing of the delete's route; nor
// does a run with only deletes answered 404 (the records may all be gone, or the route wrong).
func TestAnswersBatchDeleteNotFoundUnproven(t *testing.T) {
	t.Run("wrong route", func(t *testing.T) {
		f, a := crmFixture(t, controlplane.BehaviorMirror, bulkSpec("/nowhere"), -1)
		f.noGuard() // its runs delete most contacts
		f.run(controlplane.RunSucceeded, RunOptions{})
		a.takeSent()
		f.exec(`INSERT INTO contacts VALUES ('new one@example.com', 'New', 4)`)
		f.exec(`DELETE FROM contacts WHERE email IN ('a/b@example.com', 'ada lovelace@example.com')`)
		run := f.run(controlplane.RunSucceeded, RunOptions{})
		if run.Counts.Deleted != 2 || run.Counts.Rejected != 2 {
			t.Errorf("counts %+v, want both deletes rejected", run.Counts)
		}
		if got := answersOf(t, f, run.ID); got != [4]int64{} {
			t.Errorf("the run record's answers %v, want none", got)
		}
		for _, key := range []string{"a/b@example.com", "ada lovelace@example.com"} {
			if rej, err := f.store.GetRejected(f.ctx, f.sync.ID, key); err != nil || rej.Status != http.StatusNotFound {
				t.Errorf("rejection of %s: %+v, %v; want the 404", key, rej, err)
			}
			if s := ledgerState(t, f, key); s == controlplane.KeyAbsent {
				t.Errorf("ledger of %s: absent, want it kept", key)
			}
		}
		if got := len(a.state()); got != 4 {
			t.Errorf("the CRM holds %d contacts, want 4 (nothing deleted)", got)
		}
	})
	t.Run("lost answer, nothing else", func(t *testing.T) {
		f, a := crmFixture(t, controlplane.BehaviorMirror, bulkSpec("/bulk"), -1)
		f.run(controlplane.RunSucceeded, RunOptions{})
		f.exec(`DELETE FROM contacts WHERE email = 'a/b@example.com'`)
		a.dropNext("a/b@example.com")
		f.run(controlplane.RunFailed, RunOptions{})
		a.takeSent()
		run := f.run(controlplane.RunSucceeded, RunOptions{})
		if diff := cmp.Diff([]string{"DELETE /api/bulk Not Found"}, a.takeSent()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if run.Counts.Deleted != 1 || run.Counts.Rejected != 1 {
			t.Errorf("counts %+v, want the delete rejected", run.Counts)
		}
	})
}
