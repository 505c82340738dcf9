package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// TestCursorRejectedRecordIsRetried: a record of a cursor sync refused with a 4xx is retried by
// the next run (README: "recorded as rejected and retried next run"), even when the mark moved
// past its cursor value in the run that rejected it: the endpoint, fixed since, then holds the
// warehouse's current version.
// bobbyRefused is a cursor sync of behavior, one record per batch, after its first run: then Bob
// changes (to Bobby, at 2023-01-02) and the endpoint refuses him, and Fay, written later
// (2023-02-01), moves the mark past him. The next run is the caller's.
func bobbyRefused(t *testing.T, behavior string) *fixture {
	f := cursorFixture(t, behavior)
	f.recv.KeyName = "id"
	f.sync.BatchSize = 1
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`UPDATE users SET name = 'Bobby', updated_at = '2023-01-02 00:00:00' WHERE id = 2`)
	f.exec(`INSERT INTO users VALUES (5, 'fay@example.com', 'Fay', true, '2023-02-01 00:00:00')`)
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if bytes.Contains(q.Body, []byte(`"name":"Bobby"`)) {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return true
		}
		return false
	})
	return f
}

func TestCursorRejectedRecordIsRetried(t *testing.T) {
	t.Parallel()
	for _, behavior := range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorMirror} {
		t.Run(behavior, func(t *testing.T) {
			t.Parallel()
			f := bobbyRefused(t, behavior)
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if run.Counts.Rejected != 1 || run.Counts.Delivered != 1 {
				t.Fatalf("run with a refusal: counts %+v, want 1 delivered, 1 rejected", run.Counts)
			}
			f.recv.Take("id")
			// The endpoint is fixed: the next run retries Bob.
			f.recv.Handle(nil)
			run = f.run(controlplane.RunSucceeded, RunOptions{})
			got, _ := f.recv.Take("id")
			if !cmp.Equal(got, []string{"changed 2"}) {
				t.Errorf("the run after the refusal (read %s from %q) sent %v; want [changed 2] (the rejected record retried)",
					run.ReadMode, run.ReadFrom, got)
			}
			if v := f.recv.View()["2"]; v == nil || v["name"] != "Bobby" {
				t.Errorf("the receiver holds key 2 as %v; want name Bobby", v)
			}
			if run.ReadFrom != "2023-01-01 23:55:00" {
				t.Errorf("the run after the refusal read from %q; want from the rejected record's cursor minus the lookback", run.ReadFrom)
			}
			noneRejected(t, f, "after the retry")
			// Delivered, it no longer holds the mark.
			if run = f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadFrom != "2023-01-31 23:55:00" {
				t.Errorf("the run after the retry read from %q; want 2023-01-31 23:55:00", run.ReadFrom)
			}
		})
	}
}

// TestCursorRefusedForGoodPinsOnce: a record the endpoint refuses on every run is retried by the
// next run (its cursor value pins the mark), and not by every later one: pinned again, each
// incremental read would start at it for as long as the endpoint refuses it (a CRM refusing one
// malformed email would hold a sync of millions of rows at that email's day). It waits for the
// next full read or a change of its row.
func TestCursorRefusedForGoodPinsOnce(t *testing.T) {
	t.Parallel()
	f := bobbyRefused(t, controlplane.BehaviorUpdateOrCreate)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	// Refused again by the retry: the mark is no longer held at Bob.
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if run.Counts.Rejected != 1 || run.ReadFrom != "2023-01-01 23:55:00" {
		t.Fatalf("the retry read from %q, counts %+v; want from 2023-01-01 23:55:00 and Bob rejected again", run.ReadFrom, run.Counts)
	}
	f.recv.Take("id")
	if run = f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadFrom != "2023-01-31 23:55:00" {
		t.Errorf("the run after Bob was refused twice read from %q; want 2023-01-31 23:55:00 (the mark past him)", run.ReadFrom)
	}
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("that run sent %v; want nothing", got)
	}
	// A change of his row brings him back into the incremental reads, refused or not.
	f.recv.Handle(nil)
	f.exec(`UPDATE users SET name = 'Robert', updated_at = '2023-03-01 00:00:00' WHERE id = 2`)
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 2"}) {
		t.Errorf("after Bob's row changed, the run sent %v; want [changed 2]", got)
	}
}

// TestGuardBufferKeepsCursorValues: a guarded run's buffered records, in memory and spilled,
// come back with their cursor values (an empty text one included), which a rejection pins the
// next mark with.
func TestGuardBufferKeepsCursorValues(t *testing.T) {
	lowerGuardBuffer(t, 40)
	recs := []record{
		{kind: kindChanged, key: []byte("1"), obj: []byte(`{"id":1}`), cursor: []byte("2020-01-01 00:00:00")},
		{kind: kindNew, key: []byte("2"), obj: []byte(`{"id":2}`)},
		{kind: kindChanged, stored: true, key: []byte("3"), obj: []byte(`{"id":3}`), cursor: []byte{}},
		{kind: kindChanged, stored: true, key: []byte("4"), obj: []byte(`{"id":4}`), cursor: []byte("2021-01-01 00:00:00")},
		{kind: kindNew, key: []byte("5"), obj: []byte(`{"id":5}`)},
	}
	g := new(guardBuffer)
	defer g.close()
	for i := range recs {
		if err := g.add(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if g.file == nil {
		t.Fatal("nothing spilled")
	}
	i := 0
	err := g.replay(t.Context(), func(r *record) error {
		w := recs[i]
		if r.kind != w.kind || r.stored != w.stored || string(r.key) != string(w.key) || string(r.obj) != string(w.obj) ||
			(r.cursor == nil) != (w.cursor == nil) || string(r.cursor) != string(w.cursor) {
			t.Errorf("record %d came back as %+v; want %+v", i, *r, w)
		}
		i++
		return nil
	})
	if err != nil || i != len(recs) {
		t.Fatalf("replayed %d records, %v", i, err)
	}
}

// TestAppendPresentThenUpdateOrCreate: an append sync's create whose answer was lost (the CRM
// applied it), then the record changes and the next create is answered 409: append counts it
// delivered (present on conflict), though the CRM holds the version the lost create carried.
// When the sync then becomes update_or_create (or mirror), its runs must bring the CRM to the
// warehouse's version: the ledger must not say that version was delivered.
func TestAppendPresentThenUpdateOrCreate(t *testing.T) {
	for _, behavior := range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorMirror} {
		t.Run(behavior, func(t *testing.T) {
			spec := crmSpec()
			f, a := crmFixture(t, controlplane.BehaviorAppend, spec, -1)
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9)`, answersKey)
			a.dropNext(answersKey)
			f.run(controlplane.RunFailed, RunOptions{}) // applied, its answer lost
			f.exec(`UPDATE contacts SET name = 'Newer' WHERE email = $1`, answersKey)
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if got := answersOf(t, f, run.ID); got != [4]int64{0, 0, 1, 0} {
				t.Fatalf("the append run's answers %v, want 1 present on a conflict", got)
			}
			if got := a.state()[answersKey]; got != "New" {
				t.Fatalf("the CRM holds %q after the append runs; want New (append sends no change)", got)
			}
			f.sync.Behavior = behavior
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			a.takeSent()
			f.run(controlplane.RunSucceeded, RunOptions{})
			a.check(t, f, "after a run as "+behavior)
			if t.Failed() {
				t.Logf("sent: %v", a.takeSent())
			}
		})
	}
}

// TestDeletedKeyOfAKeyMappedTwice: a primary key mapped twice, hashed and as it is, is sent in a
// `deleted` record under the name keyName gives it (the last of its mappings) with that mapping's
// value: as it is under external_id, whatever the order of the mappings; hashed under a hashing
// mapping's name.
func TestDeletedKeyOfAKeyMappedTwice(t *testing.T) {
	cols := []controlplane.Column{{Name: "unique_id", Type: "text"}}
	hashed := controlplane.Mapping{From: "unique_id", To: "email_sha256", Hash: "sha256", Normalize: []string{"trim", "lowercase"}}
	plain := controlplane.Mapping{From: "unique_id", To: "external_id"}
	for _, tc := range []struct {
		mappings []controlplane.Mapping
		want     string
	}{
		{[]controlplane.Mapping{hashed, plain}, `{"external_id":"Ada@Example.com"}`},
		{[]controlplane.Mapping{plain, hashed}, `{"email_sha256":`},
	} {
		m, err := newMapper(cols, tc.mappings, "unique_id")
		if err != nil {
			t.Fatal(err)
		}
		got := string(m.appendDeleted(nil, []byte("Ada@Example.com")))
		if len(got) < len(tc.want) || got[:len(tc.want)] != tc.want {
			t.Errorf("mappings %v: deleted %s, want %s...", tc.mappings, got, tc.want)
		}
	}
}

// TestAppliedThen5xx: an endpoint (behind a gateway) that applies a batch and answers 502 or
// 504, on every attempt, has the records: a 5xx says the request failed, not that nothing of it
// was done. A mirror sync must delete such a record once the warehouse loses it, and an
// update_or_create sync must not leave the endpoint with the version it took when the warehouse
// goes back to the version delivered before.
func TestAppliedThen5xx(t *testing.T) {
	for _, status := range []int{http.StatusBadGateway, http.StatusGatewayTimeout} {
		t.Run(fmt.Sprintf("mirror %d", status), func(t *testing.T) {
			f := newFixture(t, controlplane.BehaviorMirror, nil)
			f.engine.MaxRetries = 1
			applied := map[string]bool{}
			var mu sync.Mutex
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Take("id")
			f.exec(`INSERT INTO users VALUES (5, 'fay@example.com', 'Fay', true, '2023-01-01 00:00:00')`)
			f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
				mu.Lock()
				defer mu.Unlock()
				applied["5"] = true // the gateway's backend took it
				w.WriteHeader(status)
				return true
			})
			f.run(controlplane.RunFailed, RunOptions{})
			f.recv.Handle(nil)
			f.exec(`DELETE FROM users WHERE id = 5`)
			f.run(controlplane.RunSucceeded, RunOptions{})
			got, _ := f.recv.Take("id")
			if !cmp.Equal(got, []string{"deleted 5"}) {
				t.Errorf("after a batch applied and answered %d, key 5 then deleted in the warehouse, the run sent %v; want [deleted 5]",
					status, got)
			}
		})
	}
	t.Run("update_or_create back to the delivered version", func(t *testing.T) {
		f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
		f.recv.KeyName = "id"
		f.engine.MaxRetries = 1
		f.run(controlplane.RunSucceeded, RunOptions{})
		f.exec(`UPDATE users SET name = 'Bobby' WHERE id = 2`)
		held := map[string]any{}
		var mu sync.Mutex
		f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
			mu.Lock()
			defer mu.Unlock()
			if q.Envelope != nil {
				for _, d := range q.Envelope.Data {
					if bytes.Contains(d, []byte(`"Bobby"`)) {
						held["2"] = "Bobby" // applied behind the gateway
					}
				}
			}
			w.WriteHeader(http.StatusGatewayTimeout)
			return true
		})
		f.run(controlplane.RunFailed, RunOptions{})
		f.recv.Handle(nil)
		f.exec(`UPDATE users SET name = 'Bob' WHERE id = 2`)
		f.recv.Take("id")
		f.run(controlplane.RunSucceeded, RunOptions{})
		got, _ := f.recv.Take("id")
		if held["2"] == "Bobby" && !cmp.Equal(got, []string{"changed 2"}) {
			t.Errorf("the endpoint took Bobby behind a 504, the warehouse went back to Bob: the run sent %v; want [changed 2]", got)
		}
	})
}

// TestAppendCreateAppliedThen504: an append sync's create applied behind a gateway that answers
// 504, whose retry is answered 409: the CRM has the record, so it is delivered (present on
// conflict), not rejected by this run and every later one.
func TestAppendCreateAppliedThen504(t *testing.T) {
	spec := &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: contactBody}}
	f, rest := restFixture(t, controlplane.BehaviorAppend, spec)
	f.engine.MaxRetries, f.engine.Concurrency = 2, 1
	var mu sync.Mutex
	have := map[string]bool{}
	gateway := false
	rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		var c struct{ Email string }
		_ = json.Unmarshal(req.Body, &c)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case have[c.Email]:
			w.WriteHeader(http.StatusConflict)
		case gateway:
			have[c.Email], gateway = true, false
			w.WriteHeader(http.StatusGatewayTimeout)
		default:
			have[c.Email] = true
			w.WriteHeader(http.StatusCreated)
		}
		return true
	})
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9)`, answersKey)
	mu.Lock()
	gateway = true
	mu.Unlock()
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if run.Counts.Rejected != 0 || run.Counts.Delivered != 1 {
		t.Errorf("counts %+v, want 1 delivered, nothing rejected", run.Counts)
	}
	noneRejected(t, f, "after the run")
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.Counts.New != 0 {
		t.Errorf("the next run counts %+v; want nothing new", run.Counts)
	}
}

// TestCursorColumnAddedWithoutAnApply: a column added to a table model's table (by a migration
// in the warehouse, before any terraform apply describes the model again) changes every record
// of a sync that sends every column, without moving a cursor: the next run must send every
// record with it, not only those whose cursor moved.
func TestCursorColumnAddedWithoutAnApply(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.recv.KeyName = "id"
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT 'gold'`)
	f.run(controlplane.RunSucceeded, RunOptions{})
	for k, v := range f.recv.View() {
		if v["tier"] != "gold" {
			t.Errorf("the receiver holds key %s without the new column: %v", k, v)
		}
	}
}

// TestCursorColumnRetypedWithoutAnApply: a column retyped in the warehouse under the same name
// (vip boolean → text, by a migration before any terraform apply describes the model again)
// changes every record's value without moving a cursor: the next run must send every record
// with the new value, not only those whose cursor moved.
func TestCursorColumnRetypedWithoutAnApply(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.recv.KeyName = "id"
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`ALTER TABLE users ALTER COLUMN vip TYPE text USING coalesce(vip::text, 'unknown')`)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if run.ReadMode != controlplane.ReadFull {
		t.Errorf("the run after vip was retyped read %q, want a full read", run.ReadMode)
	}
	for k, v := range f.recv.View() {
		if s, ok := v["vip"].(string); !ok || (s != "true" && s != "false" && s != "unknown") {
			t.Errorf("the receiver holds key %s with vip %#v, want the retyped text", k, v["vip"])
		}
	}
}

// TestRandomFaultsRequestMirror: random changes to the warehouse and random faults at a REST
// CRM (a request applied and its answer lost, applied and answered 504, refused 503, refused
// 422), with a `request` block in record or batch mode, under update_or_create then mirror:
// once the faults stop, runs bring the CRM to exactly the warehouse.
func TestRandomFaultsRequestMirror(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 4} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			// Two sources: the receiver's handler draws its faults under mu, on its own source,
			// while a request the last run gave up on may still be at it as the next round draws
			// its changes (one source for both was a data race, and left a seed's changes to
			// the timing of the requests).
			rnd, faults := rand.New(rand.NewPCG(uint64(seed), 7)), rand.New(rand.NewPCG(uint64(seed), 8))
			f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, crmSpec())
			f.engine.MaxRetries, f.engine.Concurrency = 1, 1+int(seed%2)
			f.sync.BatchSize = 1 + int(seed%3)
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			have := map[string]string{}
			faulty := true
			rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
				var c struct{ Email, Name string }
				_ = json.Unmarshal(req.Body, &c)
				p, _, _ := strings.Cut(req.Path, "?")
				if strings.HasPrefix(p, "/api/contacts/") {
					c.Email, _ = url.PathUnescape(strings.TrimPrefix(p, "/api/contacts/"))
				}
				mu.Lock()
				defer mu.Unlock()
				fault := 0
				if faulty {
					fault = faults.IntN(8) // 0..3 none
				}
				switch fault {
				case 4:
					w.WriteHeader(http.StatusServiceUnavailable)
					return true
				case 5:
					w.WriteHeader(http.StatusUnprocessableEntity)
					return true
				}
				_, held := have[c.Email]
				status := http.StatusOK
				switch req.Method {
				case http.MethodPost:
					if held {
						status = http.StatusConflict
					} else {
						have[c.Email], status = c.Name, http.StatusCreated
					}
				case http.MethodPatch:
					if !held {
						status = http.StatusNotFound
					} else {
						have[c.Email] = c.Name
					}
				case http.MethodDelete:
					if !held {
						status = http.StatusNotFound
					} else {
						delete(have, c.Email)
						status = http.StatusNoContent
					}
				}
				switch {
				case fault == 6 && status < 300:
					if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
						_ = conn.Close()
					}
					return true
				case fault == 7 && status < 300:
					status = http.StatusGatewayTimeout
				}
				w.WriteHeader(status)
				return true
			})
			for round := range 14 {
				if round == 7 {
					f.sync.Behavior = controlplane.BehaviorMirror
					if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
						t.Fatal(err)
					}
				}
				for range 1 + rnd.IntN(3) {
					k := fmt.Sprintf("u%d@example.com", rnd.IntN(8))
					switch rnd.IntN(3) {
					case 0:
						f.exec(`INSERT INTO contacts VALUES ($1, $2, 0) ON CONFLICT (email) DO UPDATE SET name = excluded.name`,
							k, fmt.Sprintf("n%d", rnd.IntN(3)))
					case 1:
						f.exec(`UPDATE contacts SET name = $2 WHERE email = $1`, k, fmt.Sprintf("n%d", rnd.IntN(3)))
					case 2:
						f.exec(`DELETE FROM contacts WHERE email = $1`, k)
					}
				}
				_, _ = f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
			}
			mu.Lock()
			faulty = false
			mu.Unlock()
			for range 2 {
				if _, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{}); err != nil {
					t.Fatalf("a run without faults: %v", err)
				}
			}
			mu.Lock()
			got := maps.Clone(have)
			mu.Unlock()
			if want := f.warehouseContacts(); !cmp.Equal(got, want) {
				t.Errorf("the CRM holds %v, the warehouse %v (-want +got)\n%s", got, want, cmp.Diff(want, got))
			}
			noneRejected(t, f, "after the runs without faults")
		})
	}
}

// TestRejectedThenDeletedInTheWarehouse: a record refused (422) and then deleted from the
// warehouse is nothing to retry: once a run has read the whole model without it, it is no longer
// listed as rejected (runs, records, the status page), whatever the behavior.
func TestRejectedThenDeletedInTheWarehouse(t *testing.T) {
	for _, behavior := range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorMirror} {
		t.Run(behavior, func(t *testing.T) {
			f, a := crmFixture(t, behavior, crmSpec(), 0)
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.exec(`INSERT INTO contacts VALUES ($1, 'New', 9)`, answersKey)
			f.exec(`UPDATE contacts SET name = 'Bobby' WHERE email = 'a/b@example.com'`)
			a.breakAPI()
			f.run(controlplane.RunSucceeded, RunOptions{})
			a.mu.Lock()
			a.broken = false
			a.mu.Unlock()
			f.exec(`DELETE FROM contacts WHERE email IN ($1, 'a/b@example.com')`, answersKey)
			f.run(controlplane.RunSucceeded, RunOptions{})
			if behavior == controlplane.BehaviorMirror {
				a.check(t, f, "after the deletes")
			} else {
				noneRejected(t, f, "after the deletes")
			}
		})
	}
}

// TestRandomFaultsCursorMirror: a mirror sync with a cursor, random inserts, updates (the cursor
// moving forward) and deletes, and random faults at the receiver (applied and answer lost,
// applied and 504, 503, 422): once the faults stop, incremental runs and then a full read bring
// the receiver to exactly the warehouse.
func TestRandomFaultsCursorMirror(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 4} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			// Two sources, as in TestRandomFaultsRequestMirror: the handler's faults, under mu, and
			// the rounds' changes.
			rnd, faults := rand.New(rand.NewPCG(uint64(seed), 11)), rand.New(rand.NewPCG(uint64(seed), 12))
			f := cursorFixture(t, controlplane.BehaviorMirror)
			f.engine.MaxRetries, f.engine.Concurrency = 1, 1+int(seed%2)
			f.sync.BatchSize = 1 + int(seed%3)
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			have := map[string]string{}
			faulty := true
			f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
				mu.Lock()
				defer mu.Unlock()
				fault := 0
				if faulty {
					fault = faults.IntN(8)
				}
				switch fault {
				case 4:
					w.WriteHeader(http.StatusServiceUnavailable)
					return true
				case 5:
					w.WriteHeader(http.StatusUnprocessableEntity)
					return true
				}
				for _, d := range q.Envelope.Data {
					var m map[string]any
					_ = json.Unmarshal(d, &m)
					k := fmt.Sprint(m["id"])
					if q.Envelope.Operation == "deleted" {
						delete(have, k)
					} else {
						have[k] = fmt.Sprint(m["name"])
					}
				}
				switch fault {
				case 6:
					if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
						_ = conn.Close()
					}
				case 7:
					w.WriteHeader(http.StatusGatewayTimeout)
				default:
					w.WriteHeader(http.StatusOK)
				}
				return true
			})
			clock := 0
			for range 14 {
				for range 1 + rnd.IntN(3) {
					clock++
					k, at := 1+rnd.IntN(12), fmt.Sprintf("2024-01-01 00:%02d:%02d", clock/60, clock%60)
					name := fmt.Sprintf("n%d", rnd.IntN(3))
					switch rnd.IntN(3) {
					case 0:
						f.exec(`INSERT INTO users (id, name, updated_at) VALUES ($1, $2, $3)
							ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at`, k, name, at)
					case 1:
						f.exec(`UPDATE users SET name = $2, updated_at = $3 WHERE id = $1`, k, name, at)
					case 2:
						f.exec(`DELETE FROM users WHERE id = $1`, k)
					}
				}
				_, _ = f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
			}
			mu.Lock()
			faulty = false
			mu.Unlock()
			for range 2 {
				if _, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{}); err != nil {
					t.Fatalf("a run without faults: %v", err)
				}
			}
			want := map[string]string{}
			rows, err := f.wh.Query(f.ctx, `SELECT id, coalesce(name, '<nil>') FROM users`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				var name string
				if err := rows.Scan(&id, &name); err != nil {
					t.Fatal(err)
				}
				want[fmt.Sprint(id)] = name
			}
			rows.Close()
			// Incremental runs send no deletes: compare what is in the warehouse first.
			mu.Lock()
			for k, v := range want {
				if have[k] != v {
					t.Errorf("after incremental runs the receiver holds %s as %q, the warehouse as %q", k, have[k], v)
				}
			}
			mu.Unlock()
			expireFullRead(t, f.store, f.sync.ID)
			if _, err := f.runPastGuard(RunOptions{}); err != nil {
				t.Fatalf("the full read: %v", err)
			}
			mu.Lock()
			got := maps.Clone(have)
			mu.Unlock()
			if !cmp.Equal(got, want) {
				t.Errorf("after a full read the receiver holds %v, the warehouse %v (-want +got)\n%s", got, want, cmp.Diff(want, got))
			}
			noneRejected(t, f, "after the runs without faults")
		})
	}
}

// TestCursorRejectedOnceIsRetriedWherever: a record refused once (a 422, then accepted) is
// retried by the next run (DESIGN: "retried on the next run") wherever its cursor value is: above
// the mark the rejecting run started from (TestCursorRejectedRecordIsRetried), at it (a row that
// arrived late with the mark's value), inside the lookback below it (a row that arrived late), and
// below the lookback (a row whose cursor did not move, which a full read found changed). In the
// same run Fay, written later, moves the mark past it. Each time the record was there for no
// earlier run, so it is not one refused again by its retry, which does not hold the mark
// (TestCursorRefusedForGoodPinsOnce).
func TestCursorRejectedOnceIsRetriedWherever(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, write, want string
		full              bool // the rejecting run reads the whole model (its full_read_every passed)
	}{
		{name: "at the mark", write: `INSERT INTO users VALUES (20, 'zed@example.com', 'Zed', true, '2022-04-04 04:04:04')`,
			want: "changed 20"},
		{name: "inside the lookback", write: `INSERT INTO users VALUES (20, 'zed@example.com', 'Zed', true, '2022-04-04 04:01:00')`,
			want: "changed 20"},
		{name: "below the lookback", write: `UPDATE users SET name = 'Zed' WHERE id = 2`, want: "changed 2", full: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
			f.recv.KeyName = "id"
			f.sync.BatchSize = 1
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Take("id")
			f.exec(c.write)
			f.exec(`INSERT INTO users VALUES (5, 'fay@example.com', 'Fay', true, '2023-02-01 00:00:00')`)
			if c.full {
				expireFullRead(t, f.store, f.sync.ID)
			}
			var refused atomic.Bool
			f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
				if bytes.Contains(q.Body, []byte(`"name":"Zed"`)) && refused.CompareAndSwap(false, true) {
					w.WriteHeader(http.StatusUnprocessableEntity)
					return true
				}
				return false
			})
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if run.Counts.Rejected != 1 || wantMode(c.full) != run.ReadMode {
				t.Fatalf("the run with a refusal: %s read, counts %+v; want a %s read and 1 rejected", run.ReadMode, run.Counts, wantMode(c.full))
			}
			f.recv.Take("id")
			run = f.run(controlplane.RunSucceeded, RunOptions{})
			if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{c.want}) {
				t.Errorf("the run after the refusal (%s read from %q) sent %v; want [%s] (the rejected record retried)",
					run.ReadMode, run.ReadFrom, got, c.want)
			}
			noneRejected(t, f, "after the retry")
			// Delivered, it no longer holds the mark.
			if run = f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadFrom != "2023-01-31 23:55:00" {
				t.Errorf("the run after the retry read from %q; want 2023-01-31 23:55:00", run.ReadFrom)
			}
		})
	}
}

func wantMode(full bool) string {
	if full {
		return controlplane.ReadFull
	}
	return controlplane.ReadIncremental
}
