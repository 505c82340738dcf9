package runner

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// reviewAPI is a REST endpoint with state: POST creates (or overwrites), PATCH updates and is
// refused (404) for a contact it does not have, DELETE deletes (204 either way). fault, per
// email, makes the next request for it go wrong: "timeout" (not applied, no answer within the
// client's timeout), "drop" (applied, the answer lost), "reject" (422, not applied).
type reviewAPI struct {
	mu      sync.Mutex
	have    map[string]string // email → name
	fault   map[string]string
	sent    []string        // "METHOD email" of the requests answered normally or faulted, in order
	persist map[string]bool // faults that stay until cleared
}

func newReviewAPI(t *testing.T, rest *restReceiver) *reviewAPI {
	a := &reviewAPI{have: map[string]string{}, fault: map[string]string{}, persist: map[string]bool{}}
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
		fault := a.fault[email]
		if !a.persist[email] {
			delete(a.fault, email)
		}
		apply := func() int {
			switch req.Method {
			case http.MethodPost:
				a.have[email] = b.Name
				return http.StatusCreated
			case http.MethodPatch:
				if _, ok := a.have[email]; !ok {
					return http.StatusNotFound
				}
				a.have[email] = b.Name
				return http.StatusOK
			case http.MethodDelete:
				delete(a.have, email)
				return http.StatusNoContent
			}
			t.Errorf("unexpected %s %s", req.Method, req.Path)
			return http.StatusBadRequest
		}
		switch fault {
		case "timeout":
			a.mu.Unlock()
			time.Sleep(300 * time.Millisecond)
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		case "drop":
			apply()
			a.mu.Unlock()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return true
		case "reject":
			a.mu.Unlock()
			w.WriteHeader(http.StatusUnprocessableEntity)
			return true
		}
		status := apply()
		a.mu.Unlock()
		w.WriteHeader(status)
		return true
	})
	return a
}

func (a *reviewAPI) setFault(email, fault string, persist bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if fault == "" {
		delete(a.fault, email)
		delete(a.persist, email)
		return
	}
	a.fault[email], a.persist[email] = fault, persist
}

// takeSent returns and forgets the requests sent for email (all when "").
func (a *reviewAPI) takeSent(email string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, s := range a.sent {
		if email == "" || strings.HasSuffix(s, " "+email) {
			m, _, _ := strings.Cut(s, " ")
			if email == "" {
				m = s
			}
			out = append(out, m)
		}
	}
	a.sent = nil
	return out
}

func (a *reviewAPI) state() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.have)
}

// reviewREST is restFixture with a DELETE request, one attempt per request, a short timeout,
// one batch at a time.
func reviewREST(t *testing.T, behavior string) (*fixture, *reviewAPI) {
	spec := restSpec()
	spec.Deleted = &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.email | url_encode }}"}
	f, rest := restFixture(t, behavior, spec)
	f.engine.MaxRetries, f.engine.Concurrency = -1, 1
	f.engine.Client = &http.Client{Timeout: 100 * time.Millisecond, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return f, newReviewAPI(t, rest)
}

// warehouseContacts is the model's contacts, email → name.
func (f *fixture) warehouseContacts() map[string]string {
	f.t.Helper()
	rows, err := f.wh.Query(f.ctx, `SELECT email, name FROM contacts`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var e, n string
		if err := rows.Scan(&e, &n); err != nil {
			f.t.Fatal(err)
		}
		out[e] = n
	}
	return out
}

// checkMirror: the endpoint holds exactly the warehouse's contacts (mirror), or at least each
// of them at its current version (other behaviors).
func checkMirror(t *testing.T, f *fixture, a *reviewAPI, mirror bool, when string) {
	t.Helper()
	want, got := f.warehouseContacts(), a.state()
	if mirror {
		if !cmp.Equal(got, want) {
			t.Errorf("%s: endpoint %v, warehouse %v (-want +got)\n%s", when, got, want, cmp.Diff(want, got))
		}
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: endpoint has %q for %s, warehouse %q", when, got[k], k, v)
		}
	}
}

// nothingSent: a run with nothing changed sends no request.
func nothingSent(t *testing.T, f *fixture, a *reviewAPI) {
	t.Helper()
	a.takeSent("")
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got := a.takeSent(""); len(got) != 0 {
		t.Errorf("a run with nothing changed sent %v", got)
	}
}

const reviewKey = "new@example.com"

// A new record whose create went unanswered, then gone from the model: a mirror run deletes it.
func TestReviewMirrorUnconfirmedNewKeyGone(t *testing.T) {
	for _, fault := range []string{"timeout", "drop"} {
		t.Run(fault, func(t *testing.T) {
			f, a := reviewREST(t, controlplane.BehaviorMirror)
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9)`, reviewKey)
			a.setFault(reviewKey, fault, false)
			f.run(controlplane.RunFailed, RunOptions{})
			f.exec(`DELETE FROM contacts WHERE email = $1`, reviewKey)
			a.takeSent("")
			f.run(controlplane.RunSucceeded, RunOptions{})
			if got := a.takeSent(reviewKey); !cmp.Equal(got, []string{"DELETE"}) {
				t.Errorf("the gone unconfirmed key: sent %v, want DELETE", got)
			}
			checkMirror(t, f, a, true, "after the run")
			nothingSent(t, f, a)
			if k, err := f.store.LookupLedgerKey(f.ctx, f.sync.ID, reviewKey); err != nil || k.State != controlplane.KeyAbsent {
				t.Errorf("ledger: %+v, %v; want absent", k, err)
			}
		})
	}
}

// A 0x00 key refused on its resend stays absent-before; once accepted it is created, then left
// alone.
func TestReviewUnconfirmedNewRejectedThenAccepted(t *testing.T) {
	for _, behavior := range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorMirror} {
		t.Run(behavior, func(t *testing.T) {
			f, a := reviewREST(t, behavior)
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9)`, reviewKey)
			a.setFault(reviewKey, "timeout", false)
			f.run(controlplane.RunFailed, RunOptions{})
			a.takeSent("")
			a.setFault(reviewKey, "reject", false)
			run, _ := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
			if got := a.takeSent(reviewKey); !cmp.Equal(got, []string{"POST"}) {
				t.Errorf("resend: %v, want POST", got)
			}
			t.Logf("run with the rejection: %s %+v", run.Status, run.Counts)
			k, err := f.store.LookupLedgerKey(f.ctx, f.sync.ID, reviewKey)
			if err != nil || k.State != controlplane.KeyUnconfirmed || !k.WasAbsent {
				t.Errorf("after the rejection: %+v, %v; want unconfirmed, absent before", k, err)
			}
			f.run(controlplane.RunSucceeded, RunOptions{})
			if got := a.takeSent(reviewKey); !cmp.Equal(got, []string{"POST"}) {
				t.Errorf("after the rejection: %v, want POST", got)
			}
			checkMirror(t, f, a, behavior == controlplane.BehaviorMirror, "after acceptance")
			nothingSent(t, f, a)
		})
	}
}

// A new key whose create goes unanswered in two runs in a row stays absent-before.
func TestReviewUnconfirmedNewAdoptedTwice(t *testing.T) {
	for _, fault := range []string{"timeout", "drop"} {
		t.Run(fault, func(t *testing.T) {
			f, a := reviewREST(t, controlplane.BehaviorUpdateOrCreate)
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9)`, reviewKey)
			a.setFault(reviewKey, "timeout", false)
			f.run(controlplane.RunFailed, RunOptions{})
			a.setFault(reviewKey, fault, false)
			f.run(controlplane.RunFailed, RunOptions{})
			k, err := f.store.LookupLedgerKey(f.ctx, f.sync.ID, reviewKey)
			if err != nil || k.State != controlplane.KeyUnconfirmed || !k.WasAbsent {
				t.Errorf("after two unanswered runs: %+v, %v; want unconfirmed, absent before", k, err)
			}
			if fault == "timeout" {
				// also after a third whose adoption runs before the run fails otherwise
				a.setFault(reviewKey, "timeout", false)
				f.run(controlplane.RunFailed, RunOptions{})
			}
			a.takeSent("")
			f.run(controlplane.RunSucceeded, RunOptions{})
			if got := a.takeSent(reviewKey); !cmp.Equal(got, []string{"POST"}) {
				t.Errorf("after the unanswered runs: %v, want POST", got)
			}
			checkMirror(t, f, a, false, "after")
			nothingSent(t, f, a)
		})
	}
}

// Pages and tombstones: a key deleted by a mirror run (a tombstone over its page entry), re-added,
// its create unanswered: it is created again, not updated.
func TestReviewTombstoneThenUnconfirmed(t *testing.T) {
	f, a := reviewREST(t, controlplane.BehaviorMirror)
	const key = "a/b@example.com"
	f.run(controlplane.RunSucceeded, RunOptions{})
	if pages, _ := f.ledgerSize(); pages == 0 {
		t.Fatalf("no ledger pages after the first run")
	}
	f.exec(`DELETE FROM contacts WHERE email = $1`, key)
	f.run(controlplane.RunSucceeded, RunOptions{})
	if k, _ := f.store.LookupLedgerKey(f.ctx, f.sync.ID, key); k.Where != "tombstone" {
		t.Fatalf("after the delete: %+v, want a tombstone", k)
	}
	f.exec(`INSERT INTO contacts VALUES ($1, 'Bobby', 2)`, key)
	a.setFault(key, "timeout", false)
	f.run(controlplane.RunFailed, RunOptions{})
	if k, _ := f.store.LookupLedgerKey(f.ctx, f.sync.ID, key); !k.WasAbsent {
		t.Errorf("the re-added unanswered key: %+v, want absent before", k)
	}
	a.takeSent("")
	// A dry run counts it as new.
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	if dr.Counts.New != 1 || dr.Counts.Changed != 0 {
		t.Errorf("dry run counts %+v, want 1 new", dr.Counts)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got := a.takeSent(key); !cmp.Equal(got, []string{"POST"}) {
		t.Errorf("re-added key: %v, want POST", got)
	}
	checkMirror(t, f, a, true, "after")
	nothingSent(t, f, a)
	// Deleted again: a DELETE, and the ledger hides it again.
	f.exec(`DELETE FROM contacts WHERE email = $1`, key)
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got := a.takeSent(key); !cmp.Equal(got, []string{"DELETE"}) {
		t.Errorf("deleted again: %v, want DELETE", got)
	}
	checkMirror(t, f, a, true, "after the second delete")
	nothingSent(t, f, a)
}

// A --full run resends a 0x00 key as new, and writes its real hash.
func TestReviewFullRunWithUnconfirmedNew(t *testing.T) {
	f, a := reviewREST(t, controlplane.BehaviorUpdateOrCreate)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9)`, reviewKey)
	a.setFault(reviewKey, "timeout", false)
	f.run(controlplane.RunFailed, RunOptions{})
	a.takeSent("")
	run := f.run(controlplane.RunSucceeded, RunOptions{Full: true})
	if got := a.takeSent(reviewKey); !cmp.Equal(got, []string{"POST"}) {
		t.Errorf("--full: %v, want POST (counts %+v)", got, run.Counts)
	}
	checkMirror(t, f, a, false, "after --full")
	nothingSent(t, f, a)
}

// Append: a 0x00 key is sent again; an update after it is not needed.
func TestReviewAppendUnconfirmedNew(t *testing.T) {
	f, a := reviewREST(t, controlplane.BehaviorAppend)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9)`, reviewKey)
	a.setFault(reviewKey, "timeout", false)
	f.run(controlplane.RunFailed, RunOptions{})
	a.takeSent("")
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got := a.takeSent(reviewKey); !cmp.Equal(got, []string{"POST"}) {
		t.Errorf("append: %v, want POST", got)
	}
	checkMirror(t, f, a, false, "after")
	nothingSent(t, f, a)
}

// Cursor: a scheduled full read whose request for an old row goes unanswered; the runs after it
// read in full until one succeeds (one fails after adopting the intents), and the row's current
// version reaches the receiver. A later incremental success does not clear a debt before that.
func TestReviewCursorScheduledFullReadUnanswered(t *testing.T) {
	for _, behavior := range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorMirror} {
		t.Run(behavior, func(t *testing.T) {
			f := oneBatchCursorFixture(t, behavior)
			f.run(controlplane.RunSucceeded, RunOptions{})
			// Row 1 changes without its cursor moving: only a full read sees it.
			f.exec(`UPDATE users SET name = 'Ada L' WHERE id = 1`)
			expireFullRead(t, f.store, f.sync.ID)
			unanswered(f)
			if run := f.run(controlplane.RunFailed, RunOptions{}); run.ReadMode != controlplane.ReadFull {
				t.Fatalf("the scheduled full read read %q", run.ReadMode)
			}
			// The next run adopts and fails (503).
			f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			})
			if run := f.run(controlplane.RunFailed, RunOptions{}); run.ReadMode != controlplane.ReadFull {
				t.Errorf("the run after the unanswered full read read %q", run.ReadMode)
			}
			f.recv.Handle(nil)
			f.recv.Take("id")
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if run.ReadMode != controlplane.ReadFull {
				t.Errorf("the succeeding run read %q", run.ReadMode)
			}
			if v := viewByID(f, 1); v == nil || v["name"] != "Ada L" {
				t.Errorf("receiver has %v for 1, want Ada L", v)
			}
			f.recv.Take("id")
			run = f.run(controlplane.RunSucceeded, RunOptions{})
			if got, _ := f.recv.Take("id"); run.ReadMode != controlplane.ReadIncremental || len(got) != 0 {
				t.Errorf("after the full read: %q, sent %v", run.ReadMode, got)
			}
		})
	}
}

// Cursor: a run that crashed (no read_mode recorded) leaves intents for keys outside the
// incremental range: the next run reads in full, resends them.
func TestReviewCursorCrashedRunReadsFull(t *testing.T) {
	f := oneBatchCursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`UPDATE users SET name = 'Ada L' WHERE id = 1`)
	expireFullRead(t, f.store, f.sync.ID)
	unanswered(f)
	failed := f.run(controlplane.RunFailed, RunOptions{})
	// As if it crashed: no read mode, the full_read_at as it was before it (not expired).
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.sync_runs SET read_mode = NULL WHERE id = $1`, failed.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.sync_cursors SET full_read_at = now() WHERE sync_id = $1`, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	f.recv.Handle(nil)
	f.recv.Take("id")
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	if dr.ReadMode != controlplane.ReadFull || dr.Counts.Changed != 1 {
		t.Errorf("dry run: %q (%s) %+v, want full, 1 changed", dr.ReadMode, dr.ReadWhy, dr.Counts)
	}
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if v := viewByID(f, 1); run.ReadMode != controlplane.ReadFull || v == nil || v["name"] != "Ada L" {
		t.Errorf("run read %q; receiver has %v for 1, want Ada L", run.ReadMode, v)
	}
}

// Cursor, incremental: a new row whose send goes unanswered, then its cursor moved below the mark
// minus the lookback (documented: only a full read sees a row whose cursor went backwards). The
// incremental run after it does not resend it (its key stays unconfirmed in the ledger); the next
// scheduled full read creates it.
func TestReviewCursorIncrementalIntentRowMovedBack(t *testing.T) {
	f := oneBatchCursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`INSERT INTO users VALUES (5, 'fay@example.com', 'Fay', true, '2023-01-01 00:00:00')`)
	unanswered(f)
	if run := f.run(controlplane.RunFailed, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
		t.Fatalf("read %q", run.ReadMode)
	}
	f.recv.Handle(nil)
	f.exec(`UPDATE users SET name = 'Fay B', updated_at = '2000-01-01' WHERE id = 5`)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	t.Logf("incremental run read %q; receiver has %v for 5 (documented limitation)", run.ReadMode, viewByID(f, 5))
	if k, err := f.store.LookupLedgerKey(f.ctx, f.sync.ID, "5"); err != nil || k.State != controlplane.KeyUnconfirmed || !k.WasAbsent {
		t.Errorf("key 5 after the incremental run: %+v, %v; want unconfirmed, absent before", k, err)
	}
	expireFullRead(t, f.store, f.sync.ID)
	run = f.run(controlplane.RunSucceeded, RunOptions{})
	if v := viewByID(f, 5); run.ReadMode != controlplane.ReadFull || v == nil || v["name"] != "Fay B" {
		t.Errorf("scheduled full read (read %q): receiver has %v for 5, want Fay B", run.ReadMode, v)
	}
}

// viewByID is the receiver's current record with id.
func viewByID(f *fixture, id float64) map[string]any {
	for _, v := range f.recv.View() {
		if v["id"] == id {
			return v
		}
	}
	return nil
}
