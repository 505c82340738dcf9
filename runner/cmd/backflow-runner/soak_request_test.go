package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// strictCRM is a REST CRM that refuses what it cannot do: POST /contacts creates the body's
// contact (409 Conflict, nothing changed, when it holds its key), PATCH /contacts/{key} sets the
// body's fields on a contact (404 Not Found when it holds none with that key; 422 when the
// body names another key) and DELETE /contacts/{key} removes one (404 when it holds none).
// Each request sleeps a little before and after it is applied, so that kills land before a
// request is taken and between its taking and its answer.
type strictCRM struct {
	*httptest.Server
	mu       sync.Mutex
	have     map[string]map[string]string // key → field → value, as the JSON sent it
	inFlight int
	counts   map[string]int // "METHOD status" → how many
	// flaky: 2% of the requests are answered 503 (nothing applied) and 6% are applied and
	// their connection closed before the answer (the runner retries both).
	flaky    bool
	answered chan struct{}
}

func newStrictCRM(t *testing.T) *strictCRM {
	c := &strictCRM{have: map[string]map[string]string{}, counts: map[string]int{}, answered: make(chan struct{})}
	c.Server = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.Close)
	return c
}

func (c *strictCRM) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the runner was killed mid-request: nothing was received
	}
	c.mu.Lock()
	c.inFlight++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	time.Sleep(time.Duration(rand.IntN(1000)) * time.Microsecond)
	var fields map[string]string // a record's body
	var bulk []map[string]string // a batch's body, {"records": [...]}
	if len(body) > 0 {
		var one map[string]json.RawMessage
		var many struct{ Records []map[string]json.RawMessage }
		err := json.Unmarshal(body, &one)
		if err == nil && r.URL.Path == "/bulk" {
			err = json.Unmarshal(body, &many)
		}
		if err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
			return
		}
		text := func(raw map[string]json.RawMessage) map[string]string {
			out := map[string]string{}
			for k, v := range raw {
				out[k] = string(v)
			}
			return out
		}
		fields = text(one)
		for _, rec := range many.Records {
			bulk = append(bulk, text(rec))
		}
	}
	status, lost := 0, false
	c.mu.Lock()
	if c.flaky {
		switch n := rand.IntN(100); {
		case n < 2:
			c.counts["503"]++
			c.mu.Unlock()
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		case n < 8:
			lost = true
		}
	}
	switch p := r.URL.EscapedPath(); {
	case r.Method == http.MethodPost && p == "/contacts":
		key := unquote(fields["unique_id"])
		if _, ok := c.have[key]; ok {
			status = http.StatusConflict
		} else {
			c.have[key], status = fields, http.StatusCreated
		}
	case (r.Method == http.MethodPatch || r.Method == http.MethodDelete) && strings.HasPrefix(p, "/contacts/"):
		key, _ := url.PathUnescape(strings.TrimPrefix(p, "/contacts/"))
		have, ok := c.have[key]
		switch {
		case !ok:
			status = http.StatusNotFound
		case r.Method == http.MethodDelete:
			delete(c.have, key)
			status = http.StatusNoContent
		case unquote(fields["unique_id"]) != key:
			status = http.StatusUnprocessableEntity
		default:
			have = maps.Clone(have)
			maps.Copy(have, fields)
			c.have[key], status = have, http.StatusOK
		}
	case p == "/bulk":
		// All or nothing: POST creates them all (409 if it holds any), PATCH updates them all
		// (404 if it lacks any), DELETE removes those it holds (a bulk delete is idempotent).
		held := 0
		for _, rec := range bulk {
			if _, ok := c.have[unquote(rec["unique_id"])]; ok {
				held++
			}
		}
		switch r.Method {
		case http.MethodPost:
			status = http.StatusConflict
			if held == 0 {
				status = http.StatusOK
				for _, rec := range bulk {
					c.have[unquote(rec["unique_id"])] = rec
				}
			}
		case http.MethodPatch:
			status = http.StatusNotFound
			if held == len(bulk) {
				status = http.StatusOK
				for _, rec := range bulk {
					key := unquote(rec["unique_id"])
					have := maps.Clone(c.have[key])
					maps.Copy(have, rec)
					c.have[key] = have
				}
			}
		case http.MethodDelete:
			status = http.StatusOK
			for _, rec := range bulk {
				delete(c.have, unquote(rec["unique_id"]))
			}
		}
	default:
		status = http.StatusMethodNotAllowed
	}
	c.counts[fmt.Sprintf("%s %d", r.Method, status)]++
	if lost {
		c.counts["lost"]++
	}
	c.mu.Unlock()
	time.Sleep(time.Duration(rand.IntN(1000)) * time.Microsecond)
	if lost {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	w.WriteHeader(status)
	select {
	case c.answered <- struct{}{}:
	default:
	}
}

// unquote is a JSON value as a key: a string without its quotes, a number as written.
func unquote(v string) string {
	var s string
	if json.Unmarshal([]byte(v), &s) == nil {
		return s
	}
	return v
}

// idle waits until the CRM answers no request (those of a killed run finish on their own).
func (c *strictCRM) idle(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) { // only ends a hang
		c.mu.Lock()
		n := c.inFlight
		c.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the CRM still answers %d requests a minute on: hung", n)
		}
	}
}

func (c *strictCRM) state() map[string]map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.have)
}

func (c *strictCRM) takeCounts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.counts
	c.counts = map[string]int{}
	return out
}

// hold puts a contact in the CRM, as an import before the first run would.
func (c *strictCRM) hold(key string, fields map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.have[key] = fields
}

// forget removes up to n random contacts from the CRM, as someone in its interface would, and
// returns their keys.
func (c *strictCRM) forget(rng *rand.Rand, n int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := slices.Sorted(maps.Keys(c.have))
	var out []string
	for ; n > 0 && len(keys) > 0; n-- {
		i := rng.IntN(len(keys))
		out = append(out, keys[i])
		delete(c.have, keys[i])
		keys = slices.Delete(keys, i, i+1)
	}
	return out
}

const crmContactBody = `{"unique_id": {{ record.unique_id | json }}, "email": {{ record.email | json }}, ` +
	`"first_name": {{ record.first_name | json }}, "version": {{ record.version | json }}}`

// crmRequest is the REST CRM of docs/destinations.md ("A REST CRM"), keyed by unique_id, in
// record mode; in batch mode, its bulk endpoint: POST, PATCH and DELETE /bulk with a body of
// {"records": [...]}.
func crmRequest(mode string) *controlplane.RequestSpec {
	if mode == controlplane.RequestModeBatch {
		const body = `{"records": {{ records | json }}}`
		return &controlplane.RequestSpec{Mode: mode,
			New:     &controlplane.OperationRequest{Method: "POST", Path: "/bulk", Body: body},
			Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/bulk", Body: body},
			Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: "/bulk", Body: body}}
	}
	return &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New:     &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: crmContactBody},
		Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/contacts/{{ record.unique_id | url_encode }}", Body: crmContactBody},
		Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.unique_id | url_encode }}"}}
}

// warehouseContacts are the warehouse's users as the CRM would hold them.
func (w *world) warehouseContacts() map[string]map[string]string {
	w.t.Helper()
	rows, err := w.wh.Query(w.ctx, `SELECT unique_id, email, first_name, version FROM users`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]string{}
	for rows.Next() {
		var id int64
		var email, name string
		var v int
		if err := rows.Scan(&id, &email, &name, &v); err != nil {
			w.t.Fatal(err)
		}
		js := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		out[fmt.Sprint(id)] = map[string]string{"unique_id": fmt.Sprint(id), "email": js(email),
			"first_name": js(name), "version": fmt.Sprint(v)}
	}
	if err := rows.Err(); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// keys runs sql, which returns unique_ids, and returns them as keys.
func (w *world) keys(sql string, args ...any) []string {
	w.t.Helper()
	rows, err := w.wh.Query(w.ctx, sql, args...)
	if err != nil {
		w.t.Fatalf("warehouse: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, fmt.Sprint(id))
	}
	if err := rows.Err(); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// TestSIGKILLSoakRequest is TestSIGKILLSoak for a sync with a `request` block in record mode
// against a strict REST CRM (strictCRM): it kills `backflow-runner sync` at random points of
// 16 runs (right after an answer, at a random time, or after the run's end) while the warehouse
// gets inserts, updates, deletes and re-inserts of deleted keys between them, then runs the
// sync to completion twice. The CRM must then hold exactly the warehouse's rows, every field
// (mirror), or the current version of every warehouse key (update_or_create), and neither final
// run may count a record rejected: the answers that mean done (409 to a create, 404 to an update
// or a delete) cover every request a kill left unanswered. Variants: an empty CRM, and one that
// holds some of the contacts (stale) before the first run.
// A failure prints its seed: BACKFLOW_SOAK_SEED=seed replays its kill points and changes (not
// the timing, so not always the failure).
func TestSIGKILLSoakRequest(t *testing.T) {
	soakRequests(t, controlplane.RequestModeRecord, "empty CRM", "filled CRM")
}

// TestSIGKILLSoakRequestAtTheCRM is TestSIGKILLSoakRequest with a CRM that changes on its own:
// someone deletes a few contacts by hand between runs (those still in the warehouse are changed
// there before the final runs, so that the CRM must hold them again: their updates meet 404s),
// and, in the "lost answers" variant, the CRM also loses answers to requests it applied and
// answers 503 to others, within runs, the final ones included (strictCRM.flaky), so that
// retries meet the 409s and 404s their unanswered first attempts caused.
func TestSIGKILLSoakRequestAtTheCRM(t *testing.T) {
	soakRequests(t, controlplane.RequestModeRecord, "deleted by hand", "lost answers")
}

// TestSIGKILLSoakRequestBatch is TestSIGKILLSoakRequest in batch mode, against the CRM's bulk
// endpoint: a batch POST answered 409 (the CRM holds one of its contacts: a create whose answer
// was lost, or one imported before the first run) is split until the contacts the CRM holds
// stand alone, and those are sent with the `changed` request. Variants: a filled CRM, and an
// empty one that loses answers (strictCRM.flaky). Nothing is deleted at the CRM by hand: a 404
// to a batch's `changed` request stays a rejection (docs/destinations.md).
func TestSIGKILLSoakRequestBatch(t *testing.T) {
	soakRequests(t, controlplane.RequestModeBatch, "filled CRM", "lost answers")
}

// soakRequests runs soakRequest for each variant under mirror and update_or_create, in parallel.
func soakRequests(t *testing.T, mode string, variants ...string) {
	for _, variant := range variants {
		for _, behavior := range []string{controlplane.BehaviorMirror, controlplane.BehaviorUpdateOrCreate} {
			t.Run(variant+"/"+behavior, func(t *testing.T) {
				t.Parallel()
				soakRequest(t, mode, variant, behavior)
			})
		}
	}
}

func soakRequest(t *testing.T, mode, variant, behavior string) {
	seed := soakSeed(t)
	rng := rand.New(rand.NewPCG(seed, 2))
	crm := newStrictCRM(t)
	batchSize, answers := 25, 150 // a run's first answers, most of a first run in record mode
	if mode == controlplane.RequestModeBatch {
		batchSize, answers = 10, 15
	}
	w := newWorld(t, 300, crm.URL, batchSize)
	w.sync.Behavior = behavior
	w.sync.Request = crmRequest(mode)
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	crm.mu.Lock() // as its handler reads it (the race detector sees no order through the runner's process)
	crm.flaky = variant == "lost answers"
	crm.mu.Unlock()
	if variant == "filled CRM" {
		// Imported before the first run, stale: some of the warehouse's users, and some keys
		// the warehouse gets later.
		for k := 1; k <= 500; k++ {
			if rng.IntN(5) == 0 {
				crm.hold(fmt.Sprint(k), map[string]string{"unique_id": fmt.Sprint(k),
					"email": `"imported@example.com"`, "first_name": `"Imported"`, "version": "0"})
			}
		}
	}
	next, kills := 301, 0
	var gone []int64            // keys deleted from the warehouse, some inserted again later
	byHand := map[string]bool{} // keys deleted at the CRM by hand
	// 16 runs, more while fewer than 8 were killed (up to 48): a run that ends before its kill
	// is not one, and on a fast or a loaded machine more runs end first (CI: 'only 4 of the runs
	// were killed').
	for i := 0; i < 16 || kills < 8 && i < 48; i++ {
		if i > 0 {
			w.exec(`UPDATE users SET version = version + 1 WHERE random() < 0.05`)
			for _, k := range w.keys(`DELETE FROM users WHERE random() < 0.02 RETURNING unique_id`) {
				var id int64
				_, _ = fmt.Sscan(k, &id)
				gone = append(gone, id)
			}
			if len(gone) > 0 && rng.IntN(3) == 0 {
				// A deleted key comes back, with a version of its own.
				j := rng.IntN(len(gone))
				w.exec(`INSERT INTO users VALUES ($1::bigint, 'back' || $1::bigint || '@example.com', 'Back ' || $1::bigint, 100 + $2::int)`, gone[j], i)
				gone = slices.Delete(gone, j, j+1)
			}
			w.exec(`INSERT INTO users SELECT i, 'user' || i || '@example.com', 'User ' || i
				FROM generate_series($1::int, $1::int + 19) AS i`, next)
			next += 20
			if variant == "deleted by hand" || variant == "lost answers" && mode == controlplane.RequestModeRecord {
				for _, k := range crm.forget(rng, 1+rng.IntN(8)) {
					byHand[k] = true
				}
			}
		}
		c := w.cmd("sync", "Active users to webhook", "--concurrency", "3")
		c.Stdout, c.Stderr = io.Discard, io.Discard
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = c.Wait(); close(exited) }()
		switch i % 4 {
		case 0, 2:
			// Right after an answer: most likely before the run recorded it.
		wait:
			for n := 1 + rng.IntN(answers); n > 0; n-- {
				select {
				case <-crm.answered:
				case <-exited:
					break wait
				}
			}
		case 1:
			// Anywhere from before the first request to well into the run.
			select {
			case <-time.After(time.Duration(rng.IntN(600)) * time.Millisecond):
			case <-exited:
			}
		case 3:
			// Most often after the end of the run: the next one starts from a settled ledger.
			select {
			case <-time.After(time.Duration(rng.IntN(2000)) * time.Millisecond):
			case <-exited:
			}
		}
		_ = c.Process.Kill()
		<-exited
		if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills++
		}
		crm.idle(t)
	}
	t.Logf("requests of the killed runs: %v", crm.takeCounts())
	if kills < 5 {
		t.Fatalf("only %d of the runs were killed", kills)
	}
	if len(byHand) > 0 {
		// A contact deleted by hand and unchanged since is not one the runner can know of:
		// change those still in the warehouse, so that the CRM must hold them again.
		ids := slices.Collect(maps.Keys(byHand))
		w.exec(`UPDATE users SET version = version + 1 WHERE unique_id::text = ANY($1)`, ids)
	}
	for final := 1; final <= 2; final++ {
		start := time.Now()
		code, stdout, stderr := w.runCmd("sync", "Active users to webhook")
		took := time.Since(start)
		if code != 0 {
			t.Fatalf("clean sync %d: exit %d\n%s\n%s", final, code, stdout, stderr)
		}
		runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 1)
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs: %v %v", runs, err)
		}
		counts, sent := runs[0].Counts, crm.takeCounts()
		if counts.Rejected != 0 {
			rej, _ := w.store.ListRejected(w.ctx, w.sync.ID)
			if len(rej) > 10 {
				rej = rej[:10]
			}
			t.Errorf("clean sync %d: counts %+v: %d rejected, want none; rejected records %+v\nrequests %v\n%s",
				final, counts, counts.Rejected, rej, sent, stderr)
		}
		t.Logf("clean sync %d (%s): counts %+v, requests %v", final, took.Round(time.Millisecond), counts, sent)
	}
	if rej, err := w.store.ListRejected(w.ctx, w.sync.ID); err != nil || len(rej) != 0 {
		t.Errorf("rejected records after the clean syncs: %+v %v", rej, err)
	}

	want, got := w.warehouseContacts(), crm.state()
	bad := 0
	for k, v := range want {
		g := got[k]
		switch {
		case g == nil:
			if bad++; bad <= 10 {
				t.Errorf("key %s: missing at the CRM, the warehouse holds %v (deleted by hand: %v)", k, v, byHand[k])
			}
		case behavior == controlplane.BehaviorMirror && !maps.Equal(g, v),
			g["version"] != v["version"]:
			if bad++; bad <= 10 {
				t.Errorf("key %s: the CRM holds %v, the warehouse %v (deleted by hand: %v)", k, g, v, byHand[k])
			}
		}
	}
	if behavior == controlplane.BehaviorMirror {
		for k, g := range got {
			if _, ok := want[k]; !ok && g["first_name"] != `"Imported"` { // an import the sync never delivered
				if bad++; bad <= 10 {
					t.Errorf("key %s: still at the CRM (%v), gone from the warehouse", k, g)
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d keys differ after %d kills (seed %d)", bad, kills, seed)
	}
	t.Logf("%d kills, %d keys, all equal", kills, len(want))
}
