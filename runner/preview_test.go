package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// TestTestReadsOneRow: `test` reads one record, not the whole model sorted. The model divides by
// zero on its second row (in the table's order), so reading past the first row fails.
func TestTestReadsOneRow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.model.Table = ""
	f.model.SQL = "SELECT id, email, 1 / (id - 2) AS boom FROM users -- the model's own comment\n;"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	res, err := f.engine.Test(f.ctx, f.sync.ID)
	if err != nil {
		t.Fatalf("Test read past the first row: %v", err)
	}
	if res.Status != 200 || string(res.Record) != `{"id":1,"email":"ada@example.com","boom":-1}` {
		t.Errorf("Test = %d %s", res.Status, res.Record)
	}
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 1"}) {
		t.Errorf("test sent %v", got)
	}

	// A NULL key is skipped; a lost key column is named.
	f.model.SQL = "SELECT NULLIF(id, 1) AS id, email FROM users"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	if res, err := f.engine.Test(f.ctx, f.sync.ID); err != nil || strings.Contains(string(res.Record), `"id":null`) {
		t.Errorf("Test with a NULL first key = %v, %v", res, err)
	}
	f.model.SQL = "SELECT email FROM users"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Test(f.ctx, f.sync.ID); err == nil || !strings.Contains(err.Error(), `lost its key column`) {
		t.Errorf("Test without the key column: %v", err)
	}
}

// `test` (and the provider's test_on_save of a request, SendSample) reads the answer's body for
// at most a second after its headers, as a delivery does: an endpoint that sent a status and
// then dripped its body held the command until the client's 30 s timeout. The engine's client
// here has no timeout: without the bound, each waits for the body until the test's context ends
// (a minute, far above the second), and the test says it hung.
func TestTestGivesUpOnSlowAnswerBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	untimed := *webhook.DefaultClient()
	untimed.Timeout = 0
	f.engine.Client = &untimed
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) }) // before the receiver closes: it waits for its handlers
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte("invalid email"))
		w.(http.Flusher).Flush()
		<-stop
		return true
	})
	ctx, cancel := context.WithTimeout(f.ctx, time.Minute)
	defer cancel()
	res, err := f.engine.Test(ctx, f.sync.ID)
	if ctx.Err() != nil {
		t.Error("Test hung a minute on an answer's dripping body, which was not given up on")
	}
	if err != nil || res.Status != http.StatusUnprocessableEntity || res.Body != "invalid email" {
		t.Errorf("Test = %+v, %v; want the 422 with what came of its body", res, err)
	}
	f.model.Columns = []controlplane.Column{{Name: "id", Type: "int8"}, {Name: "email", Type: "text"}}
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(f.ctx, time.Minute)
	defer cancel()
	_, status, body, err := f.engine.sendSample(ctx, f.sync)
	if ctx.Err() != nil {
		t.Error("SendSample hung a minute on an answer's dripping body, which was not given up on")
	}
	if err != nil || status != http.StatusUnprocessableEntity || body != "invalid email" {
		t.Errorf("SendSample = %d %q, %v; want the 422 with what came of its body", status, body, err)
	}
}

// TestTestRecordIsTracked: the record `test` sends reaches the endpoint outside any run, so the
// next run treats its key as one that may have been delivered. A mirror sync tested before its
// first run, whose tested row is then deleted, sends its `deleted`: the test's record stayed at
// the endpoint for good, since no run knew it was ever sent. A tested key whose row is still
// there is resent by the next run (its current version), once.
func TestTestRecordIsTracked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	res, err := f.engine.Test(f.ctx, f.sync.ID)
	if err != nil || res.Status != 200 {
		t.Fatalf("test: %+v, %v", res, err)
	}
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 1"}) {
		t.Fatalf("test sent %v", got)
	}
	f.exec(`DELETE FROM users WHERE id = 1`)
	// The one key the endpoint may hold is gone: the mirror's default guard asks to accept it.
	run := f.acceptBlocked(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 10", "changed 2", "changed 3", "changed 4", "deleted 1"}) {
		t.Errorf("the run after a test of a row deleted since sent %v (counts %+v), want the others and the deleted tested key",
			got, run.Counts)
	}
	if _, err := f.engine.Test(f.ctx, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 2"}) {
		t.Fatalf("test sent %v", got)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 2"}) {
		t.Errorf("the run after a test of a row still there sent %v, want it resent", got)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("a run with nothing changed sent %v", got)
	}
}

// TestTestThenFirstRunWritesPages: the first run after a `test` (Census's workflow: test, then
// run) finds the tested key in the ledger as a row. It still writes the keys it delivers as
// pages, as a first run does, not a row per key (a million rows cost the control plane about
// 1.6 µs of CPU each and every later run reads them). Later runs override the pages as usual.
func TestTestThenFirstRunWritesPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	if _, err := f.engine.Test(f.ctx, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	tested, _ := f.recv.Take("id")
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Fatalf("the first run after a test (%v) sent %v, want the 5 users", tested, got)
	}
	if pages, rows := f.ledgerSize(); pages == 0 || rows != 1 {
		t.Errorf("after the first run following a test: %d pages and %d rows, want pages for the 4 keys not tested "+
			"and a row for the tested one", pages, rows)
	}
	f.exec(`DELETE FROM users WHERE id IN (1, 3)`)
	f.exec(`UPDATE users SET name = 'Robert' WHERE id = 2`)
	f.run(controlplane.RunSucceeded, RunOptions{}) // 2 of 5 deleted: within the default guard
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 2", "deleted 1", "deleted 3"}) {
		t.Errorf("the next run sent %v, want changed 2, deleted 1 and 3", got)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("a run with nothing changed sent %v", got)
	}
	if got := f.ledgerKeys(); !cmp.Equal(got, []string{"10", "2", "4"}) {
		t.Errorf("ledger keys %v, want the model's 10, 2, 4", got)
	}
}

// TestTestUnbuiltRequestRecordsNothing: a test whose request cannot be built for its record (a
// value that would add a segment to the path) sends nothing, so it records no intent: the next
// run would otherwise resend that key as one the endpoint may hold.
func TestTestUnbuiltRequestRecordsNothing(t *testing.T) {
	t.Parallel()
	f, rest := restFixture(t, controlplane.BehaviorMirror, &controlplane.RequestSpec{
		Mode:    controlplane.RequestModeRecord,
		New:     &controlplane.OperationRequest{Method: "PATCH", Path: "/contacts/{{ record.name }}", Body: contactBody},
		Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/contacts/{{ record.name }}", Body: contactBody},
		Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.name | url_encode }}"},
	})
	f.exec(`UPDATE contacts SET name = 'a/' || name`)
	if res, err := f.engine.Test(f.ctx, f.sync.ID); err == nil || !strings.Contains(err.Error(), "segment") {
		t.Fatalf("test of a record whose path cannot be built: %+v, %v; want its error", res, err)
	}
	if got, _ := rest.take(); len(got) != 0 {
		t.Fatalf("the test sent %v", got)
	}
	if intents := f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1`, f.sync.ID); intents != 0 {
		t.Errorf("a test that sent nothing left %d intents, want none", intents)
	}
}

// TestTestRecordIsTrackedWithACursor: a cursor sync's run after a test reads in full (the tested
// key may be anywhere in the cursor's range), so a mirror sends the `deleted` of a tested row gone
// since, whatever its cursor.
func TestTestRecordIsTrackedWithACursor(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorMirror)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`INSERT INTO users (id, email, name, updated_at) VALUES (0, 'new@example.com', 'New', '2001-01-01')`)
	f.exec(`DELETE FROM users WHERE id <> 0`) // so that test sends the new row, whose cursor is far below the mark
	res, err := f.engine.Test(f.ctx, f.sync.ID)
	if err != nil || res.Status != 200 {
		t.Fatalf("test: %+v, %v", res, err)
	}
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 0"}) {
		t.Fatalf("test sent %v", got)
	}
	f.exec(`DELETE FROM users WHERE id = 0`)
	run := f.acceptBlocked(controlplane.RunSucceeded, RunOptions{}) // the keys delivered before are all gone
	if run.ReadMode != controlplane.ReadFull {
		t.Errorf("the run after a test read %q, want it full", run.ReadMode)
	}
	got, _ := f.recv.Take("id")
	if !slices.Contains(got, "deleted 0") {
		t.Errorf("the run after a test of a row deleted since sent %v, want its deleted", got)
	}
}

// TestTestHoldsTheSync: the record `test` sends was read before a run and received after it (a
// slow endpoint): the endpoint held the version the test read, older than the one the run
// delivered, and the ledger said the newer one was delivered, so no later run resent it. The
// test holds the sync's lock from its read to its answer, as a run does: a run meanwhile is busy,
// and the next one resends the key's current version.
func TestTestHoldsTheSync(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	var mu sync.Mutex
	have := map[string]string{}
	var hold chan struct{}   // set: the next request is the test's, held until it is closed
	got := make(chan string) // the key of the test's request, once it arrived
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		mu.Lock()
		h := hold
		hold = nil
		mu.Unlock()
		var m map[string]any
		_ = json.Unmarshal(q.Envelope.Data[0], &m)
		if h != nil {
			got <- fmt.Sprint(m["id"])
			<-h
		}
		mu.Lock()
		defer mu.Unlock()
		for _, d := range q.Envelope.Data {
			_ = json.Unmarshal(d, &m)
			have[fmt.Sprint(m["id"])] = fmt.Sprint(m["name"])
		}
		w.WriteHeader(http.StatusOK)
		return true
	})
	release := make(chan struct{})
	mu.Lock()
	hold = release
	mu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := f.engine.Test(f.ctx, f.sync.ID)
		done <- err
	}()
	key := <-got
	f.exec(`UPDATE users SET name = 'Newer' WHERE id = $1`, key)
	_, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	close(release)
	if !errors.Is(err, controlplane.ErrBusy) {
		t.Errorf("a run while a test's request is in flight: %v, want it busy", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	mu.Lock()
	defer mu.Unlock()
	if have[key] != "Newer" {
		t.Errorf("after the test and a run the endpoint holds %s as %q (the test's), want %q", key, have[key], "Newer")
	}
}

// TestTestOfAnAppendSyncAppendsNothingMore: an append sync sends each key once and never its
// changes or deletions, so the key `test` sends is not one a later run needs to resend: the run
// after a test of a key already appended appended it again (a second duplicate at the endpoint,
// the test's own being the first), as a key whose delivery was never confirmed. A key not
// appended yet is still appended by the next run.
func TestTestOfAnAppendSyncAppendsNothingMore(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorAppend, nil)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	if res, err := f.engine.Test(f.ctx, f.sync.ID); err != nil || res.Status != 200 {
		t.Fatalf("test: %+v, %v", res, err)
	}
	if got, _ := f.recv.Take("id"); len(got) != 1 {
		t.Fatalf("test sent %v", got)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("the run after a test of an appended key sent %v, want nothing", got)
	}
	f.exec(`INSERT INTO users (id, email, name, updated_at) VALUES (0, 'new@example.com', 'New', '2001-01-01')`)
	f.exec(`DELETE FROM users WHERE id <> 0`) // so that test sends the new row
	if _, err := f.engine.Test(f.ctx, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	f.recv.Take("id")
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 0"}) { // append sends `changed`, as the first run did
		t.Errorf("the run after a test of a key not appended yet sent %v, want it appended", got)
	}
}

// test_on_save's request (SendSample) renders the sample record as the plan's check does: a text
// column's sample text stands for a number or a date there (4fc3738), so a template that reads
// one ({{ record.name | plus: 0 }}, | date) passed the plan and then failed every apply, its
// test request not built: "\"sample name\" is not a number". `test`, of a real record, renders
// it as a run does.
func TestSendSampleReadsSampleTextAsThePlanDoes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.Request = &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Body: `{"id": {{ record.id }}, "n": {{ record.name | plus: 0 }}, "y": {{ record.name | date: "%Y" | json }}}`}}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.model.Columns = []controlplane.Column{{Name: "id", Type: "int8"}, {Name: "name", Type: "text"}}
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	var got []string
	f.recv.Handle(func(r *webhooktest.Request, w http.ResponseWriter) bool {
		got = append(got, string(r.Body))
		w.WriteHeader(http.StatusOK)
		return true
	})
	if _, status, _, err := f.engine.sendSample(f.ctx, f.sync); err != nil || status != http.StatusOK {
		t.Fatalf("SendSample: %d, %v", status, err)
	}
	if want := []string{`{"id": 42, "n": 1, "y": "2024"}`}; !cmp.Equal(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
	// A real record's text that is no number is the test's error, as a run's.
	got = nil
	if _, err := f.engine.Test(f.ctx, f.sync.ID); err == nil || !strings.Contains(err.Error(), "is not a number") {
		t.Errorf("test of a real record whose name is no number: %v, want it refused as no number", err)
	}
	if len(got) != 0 {
		t.Errorf("test sent %q", got)
	}
}

// A model whose key's text changed (its column retyped: 1 became 1.00) has none of the keys the
// sync delivered: an update_or_create run sends every record again as new, beside the one the
// endpoint holds, and no guard stops it. Its preview counted "5 new" and said nothing more; it
// now says that none of the keys is among those delivered, and what to do. A model that keeps
// one key, or a mirror whose guard says it already, does not say it (again).
func TestPreviewSaysNoKeyIsAmongThoseDelivered(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.run(controlplane.RunSucceeded, RunOptions{})
	setSQL := func(sql string) {
		t.Helper()
		f.model.Table, f.model.SQL = "", sql
		if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
			t.Fatal(err)
		}
	}
	setSQL(`SELECT id::numeric(10,2) AS id, email, name FROM users`)
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	if dr.Counts.New != 5 || !strings.Contains(dr.NoKeyInCommon, "none of the model's 5 keys is among the 5 the sync delivered before") ||
		!strings.Contains(dr.NoKeyInCommon, "beside the record the endpoint holds") {
		t.Fatalf("preview of a retyped key: %+v, %q", dr.Counts, dr.NoKeyInCommon)
	}
	setSQL(`SELECT CASE WHEN id = 1 THEN id::text ELSE id::numeric(10,2)::text END AS id, email, name FROM users`)
	if dr, err = f.engine.DryRun(f.ctx, f.sync.ID, false, 3); err != nil || dr.Counts.New != 4 || dr.NoKeyInCommon != "" {
		t.Fatalf("preview of a model keeping one key: %+v, %q, %v; want 4 new and nothing said", dr.Counts, dr.NoKeyInCommon, err)
	}
	// An append sync's model is often a window of recent events, whose keys are all new each run.
	f.sync.Behavior = controlplane.BehaviorAppend
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	setSQL(`SELECT id::numeric(10,2) AS id, email, name FROM users`)
	if dr, err = f.engine.DryRun(f.ctx, f.sync.ID, false, 3); err != nil || dr.Counts.New != 5 || dr.NoKeyInCommon != "" {
		t.Fatalf("preview of an append sync's new keys: %+v, %q, %v; want 5 new and nothing said", dr.Counts, dr.NoKeyInCommon, err)
	}
	f.sync.Behavior = controlplane.BehaviorMirror
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	if dr, err = f.engine.DryRun(f.ctx, f.sync.ID, false, 3); err != nil || !strings.Contains(dr.Blocked, "none of the model's 5 keys") || dr.NoKeyInCommon != "" {
		t.Fatalf("preview of a mirror's retyped key: blocked %q, note %q, %v; want it said once, by the guard", dr.Blocked, dr.NoKeyInCommon, err)
	}
}

// A key that may have been delivered is in the ledger, yet a run counts it new (it creates it
// again): after `backflow-runner test` on a sync that never ran, the ledger holds the tested
// record's key, which the model still has, and every row counts new. The preview said that none
// of the model's 5 keys was among the 1 delivered, that their key's text had changed, and to take
// them as delivered with --mark-delivered, which would have left the first run's records unsent:
//
//	note "none of the model's 5 keys is among the 1 the sync delivered before: ..."
//
// It says so only when none of the model's keys is in the ledger.
func TestPreviewNoKeyInCommonCountsKeysThatMayHaveBeenDelivered(t *testing.T) {
	t.Parallel()
	for _, behavior := range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorMirror} {
		t.Run(behavior, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, behavior, nil)
			if _, err := f.engine.Test(f.ctx, f.sync.ID); err != nil {
				t.Fatal(err)
			}
			dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
			if err != nil {
				t.Fatal(err)
			}
			if dr.Counts.New != 5 || dr.NoKeyInCommon != "" {
				t.Fatalf("preview after a test: %+v, note %q; want 5 new and no note", dr.Counts, dr.NoKeyInCommon)
			}
			// The tested key's text changed too: none of the model's keys is in the ledger.
			f.model.Table, f.model.SQL = "", `SELECT id::numeric(10,2) AS id, email, name FROM users`
			if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
				t.Fatal(err)
			}
			if dr, err = f.engine.DryRun(f.ctx, f.sync.ID, false, 3); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(dr.NoKeyInCommon+dr.Blocked, "none of the model's 5 keys is among the 1") {
				t.Fatalf("preview of a retyped key after a test: %+v, note %q, blocked %q", dr.Counts, dr.NoKeyInCommon, dr.Blocked)
			}
		})
	}
}
