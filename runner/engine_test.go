package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

func str(s string) *string { return &s }

// TestBehaviors runs each behavior three times: initially; after an insert, an update and a
// delete in the warehouse; and with nothing changed.
func TestBehaviors(t *testing.T) {
	t.Parallel()
	all := "changed 1\nchanged 10\nchanged 2\nchanged 3\nchanged 4"
	cases := []struct {
		behavior string
		mappings []controlplane.Mapping
		keyName  string
		second   string
	}{
		{controlplane.BehaviorUpdateOrCreate, nil, "id", "changed 2\nchanged 5"},
		{controlplane.BehaviorAppend, nil, "id", "changed 5"},
		{controlplane.BehaviorMirror, nil, "id", "changed 2\nchanged 5\ndeleted 3"},
		{controlplane.BehaviorMirror, []controlplane.Mapping{
			{From: "id", To: "user_id"}, {From: "email", To: "email"}, {Constant: str("crm"), To: "source"},
		}, "user_id", "changed 2\nchanged 5\ndeleted 3"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s", tc.behavior, tc.keyName), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.behavior, tc.mappings)

			run := f.run(controlplane.RunSucceeded, RunOptions{Trigger: controlplane.TriggerSchedule})
			got, recs := f.recv.Take(tc.keyName)
			if diff := cmp.Diff(lines(all), got); diff != "" {
				t.Fatalf("first run sent (-want +got):\n%s", diff)
			}
			want := controlplane.RunCounts{Extracted: 5, New: 5, Delivered: 5}
			if diff := cmp.Diff(want, run.Counts); diff != "" {
				t.Errorf("first run counts (-want +got):\n%s", diff)
			}
			if run.Trigger != controlplane.TriggerSchedule {
				t.Errorf("trigger = %s", run.Trigger)
			}
			for _, r := range recs {
				if r.Data[tc.keyName] == 1.0 {
					wantRec := map[string]any{"id": 1.0, "email": "ada@example.com", "name": "Ada", "vip": true,
						"updated_at": "2019-12-08 14:19:52"}
					if tc.mappings != nil {
						wantRec = map[string]any{"user_id": 1.0, "email": "ada@example.com", "source": "crm"}
					}
					if diff := cmp.Diff(wantRec, r.Data); diff != "" {
						t.Errorf("record 1 (-want +got):\n%s", diff)
					}
				}
			}
			if diff := cmp.Diff([]string{"1", "10", "2", "3", "4"}, f.ledgerKeys()); diff != "" {
				t.Errorf("ledger after the first run (-want +got):\n%s", diff)
			}

			f.exec(`INSERT INTO users VALUES (5, 'fay@example.com', 'Fay', true, '2023-05-05 05:05:05')`)
			f.exec(`UPDATE users SET email = 'bobby@example.com' WHERE id = 2`)
			f.exec(`DELETE FROM users WHERE id = 3`)
			run = f.run(controlplane.RunSucceeded, RunOptions{})
			got, recs = f.recv.Take(tc.keyName)
			if diff := cmp.Diff(lines(tc.second), got); diff != "" {
				t.Fatalf("second run sent (-want +got):\n%s", diff)
			}
			for _, r := range recs {
				switch {
				case r.Op == webhook.OpDeleted:
					if diff := cmp.Diff(map[string]any{tc.keyName: 3.0}, r.Data); diff != "" {
						t.Errorf("deleted record (-want +got):\n%s", diff)
					}
				case r.Data[tc.keyName] == 2.0:
					if r.Data["email"] != "bobby@example.com" {
						t.Errorf("changed record 2 = %v", r.Data)
					}
				}
			}
			nSent := int64(len(lines(tc.second)))
			if run.Counts.Delivered != nSent || run.Counts.Extracted != 5 || run.Counts.New != 1 {
				t.Errorf("second run counts = %+v", run.Counts)
			}
			wantLedger := []string{"1", "10", "2", "3", "4", "5"}
			if tc.behavior == controlplane.BehaviorMirror {
				wantLedger = []string{"1", "10", "2", "4", "5"}
			}
			if diff := cmp.Diff(wantLedger, f.ledgerKeys()); diff != "" {
				t.Errorf("ledger after the second run (-want +got):\n%s", diff)
			}

			run = f.run(controlplane.RunSucceeded, RunOptions{})
			if got, _ := f.recv.Take(tc.keyName); len(got) != 0 {
				t.Fatalf("third run, nothing changed, sent %v", got)
			}
			if want := (controlplane.RunCounts{Extracted: 5}); run.Counts != want {
				t.Errorf("third run counts = %+v, want %+v", run.Counts, want)
			}

			// A full resync resends every current record and no deletes.
			run = f.run(controlplane.RunSucceeded, RunOptions{Full: true})
			got, _ = f.recv.Take(tc.keyName)
			if diff := cmp.Diff(lines("changed 1\nchanged 10\nchanged 2\nchanged 4\nchanged 5"), got); diff != "" {
				t.Fatalf("full run sent (-want +got):\n%s", diff)
			}
			if run.Trigger != controlplane.TriggerFull {
				t.Errorf("full run trigger = %s", run.Trigger)
			}
		})
	}
}

func TestEnvelope(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.exec(`DELETE FROM users WHERE id > 1`)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	envs := f.recv.Envelopes()
	if len(envs) != 1 {
		t.Fatalf("got %d envelopes, want 1", len(envs))
	}
	e := envs[0]
	if e.APIVersion != 1 || e.Operation != "changed" || e.ConnectionName != "Webhook Test" || e.ModelName != "active users" ||
		e.SchemaName == nil || *e.SchemaName != "public" || e.TableName == nil || *e.TableName != "users" ||
		e.SyncConfigurationID != f.sync.ID || e.SyncConfigurationName == nil || *e.SyncConfigurationName != f.sync.Name ||
		e.SyncRunAt != run.StartedAt.UTC().Format("2006-01-02T15:04:05Z07:00") {
		t.Errorf("envelope = %+v", e)
	}
}

func TestChangedMappingResends(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, []controlplane.Mapping{{From: "id", To: "id"}, {From: "email", To: "email"}})
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.sync.Mappings = append(f.sync.Mappings, controlplane.Mapping{From: "name", To: "first_name"})
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	got, recs := f.recv.Take("id")
	if len(got) != 5 {
		t.Fatalf("after adding a mapping, sent %v, want all 5", got)
	}
	if recs[0].Data["first_name"] == nil {
		t.Errorf("record lacks the new mapping: %v", recs[0].Data)
	}
}

func TestInvalidKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.model.Table = ""
	f.model.SQL = `SELECT id, email FROM users UNION ALL SELECT 2, 'dup@example.com' UNION ALL SELECT NULL, 'null@example.com'`
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	var counters Counters
	run := f.run(controlplane.RunSucceeded, RunOptions{Counters: &counters})
	got, _ := f.recv.Take("id")
	if diff := cmp.Diff(lines("changed 1\nchanged 10\nchanged 3\nchanged 4"), got); diff != "" {
		t.Fatalf("sent (-want +got):\n%s", diff)
	}
	if run.Counts.Invalid != 3 || run.Counts.Extracted != 7 {
		t.Errorf("counts = %+v, want 3 invalid of 7", run.Counts)
	}
	// The live count of rows read (the progress of the read, before the sort hands them on)
	// ends at every row the warehouse sent, invalid ones too.
	if n := counters.Fetched.Load(); n != 7 {
		t.Errorf("Counters.Fetched = %d after the run, want the 7 rows read", n)
	}
	var samples []invalidSample
	if err := json.Unmarshal(run.InvalidSamples, &samples); err != nil {
		t.Fatal(err)
	}
	if len(samples) != 2 || samples[0].Reason != "duplicate key" || *samples[0].Key != "2" || samples[1].Reason != "null key" {
		t.Errorf("samples = %s", run.InvalidSamples)
	}

	// A delivered key that becomes duplicated is invalid, not gone: no delete, and it stays in
	// the ledger.
	f.model.SQL = `SELECT id, email FROM users UNION ALL SELECT 3, 'dup@example.com'`
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	run = f.run(controlplane.RunSucceeded, RunOptions{})
	got, _ = f.recv.Take("id")
	if diff := cmp.Diff(lines("changed 2"), got); diff != "" {
		t.Fatalf("sent (-want +got):\n%s", diff)
	}
	if run.Counts.Invalid != 2 || run.Counts.Deleted != 0 {
		t.Errorf("counts = %+v", run.Counts)
	}
	if diff := cmp.Diff([]string{"1", "10", "2", "3", "4"}, f.ledgerKeys()); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
}

func TestModelErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.model.Table = ""
	f.model.SQL = `SELECT id, email FROM users`
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	f.exec(`ALTER TABLE users DROP COLUMN email`)
	run := f.run(controlplane.RunFailed, RunOptions{})
	if !strings.Contains(run.Error, `column "email" does not exist`) {
		t.Errorf("error = %q, want the warehouse's message", run.Error)
	}
	f.exec(`ALTER TABLE users RENAME COLUMN id TO user_id`)
	f.model.SQL = `SELECT user_id, name FROM users`
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	run = f.run(controlplane.RunFailed, RunOptions{})
	if !strings.Contains(run.Error, `"id"`) {
		t.Errorf("error = %q, want it to name the missing key column", run.Error)
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.N <= 2 {
			w.WriteHeader(500)
			return true
		}
		return false
	})
	f.engine.Concurrency = 1
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	got, _ := f.recv.Take("id")
	if len(got) != 5 || run.Counts.Delivered != 5 {
		t.Fatalf("sent %v, counts %+v", got, run.Counts)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	var limited atomic.Bool
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.N == 1 {
			limited.Store(true)
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(429)
			return true
		}
		return false
	})
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 5 || !limited.Load() || run.Counts.Delivered != 5 {
		t.Fatalf("sent %v, counts %+v", got, run.Counts)
	}
}

func TestRejectedRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	var refuse atomic.Bool
	refuse.Store(true)
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		for _, d := range q.Envelope.Data {
			if refuse.Load() && strings.Contains(string(d), "bob@") {
				w.WriteHeader(400)
				_, _ = w.Write([]byte(`{"error":"bob is not welcome"}`))
				return true
			}
		}
		return false
	})
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	got, _ := f.recv.Take("id")
	if diff := cmp.Diff(lines("changed 1\nchanged 10\nchanged 3\nchanged 4"), got); diff != "" {
		t.Fatalf("sent (-want +got):\n%s", diff)
	}
	if run.Counts.Delivered != 4 || run.Counts.Rejected != 1 {
		t.Errorf("counts = %+v", run.Counts)
	}
	rej, err := f.store.ListRejected(f.ctx, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 1 || rej[0].Key != "2" || rej[0].Status != 400 || !strings.Contains(rej[0].Body, "not welcome") || rej[0].RunID != run.ID {
		t.Fatalf("rejected = %+v", rej)
	}
	if diff := cmp.Diff([]string{"1", "10", "3", "4"}, f.ledgerKeys()); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}

	// The next run retries it; this time it is accepted, and leaves rejected_records.
	refuse.Store(false)
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 2"}) {
		t.Fatalf("second run sent %v, want the rejected record only", got)
	}
	if rej, _ := f.store.ListRejected(f.ctx, f.sync.ID); len(rej) != 0 {
		t.Errorf("rejected after success = %+v", rej)
	}
}

func TestRedirectFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.Header().Set("Location", "https://elsewhere.example/hook?token=secret")
		w.WriteHeader(301)
		return true
	})
	run := f.run(controlplane.RunFailed, RunOptions{})
	if !strings.Contains(run.Error, "301") || strings.Contains(run.Error, "token=secret") {
		t.Errorf("error = %q", run.Error)
	}
	if run.Counts.Delivered != 0 || run.Counts.Failed != 5 || len(f.ledgerKeys()) != 0 {
		t.Errorf("counts = %+v, ledger %v", run.Counts, f.ledgerKeys())
	}
}

func TestGonePausesSync(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.WriteHeader(410)
		return true
	})
	run := f.run(controlplane.RunFailed, RunOptions{})
	if !strings.Contains(run.Error, "410") {
		t.Errorf("error = %q", run.Error)
	}
	y, err := f.store.GetSync(f.ctx, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !y.Paused || !strings.Contains(y.PausedReason, "410") {
		t.Errorf("sync paused=%v reason=%q, want paused for the 410", y.Paused, y.PausedReason)
	}
	if _, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{}); !errors.Is(err, ErrPaused) {
		t.Errorf("running a paused sync: %v, want ErrPaused", err)
	}
}

func TestDryRunAndTest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`DELETE FROM users WHERE id = 3`)
	f.exec(`UPDATE users SET name = 'Robert' WHERE id = 2`)
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	if dr.Counts.Changed != 1 || dr.Counts.Deleted != 1 || len(dr.Samples["changed"]) != 1 || string(dr.Samples["deleted"][0]) != `{"id":3}` {
		t.Errorf("dry run = %+v", dr)
	}
	res, err := f.engine.Test(f.ctx, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 {
		t.Errorf("test status = %d", res.Status)
	}
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 1"}) {
		t.Errorf("test sent %v", got)
	}
	// The ledger does not move; the key test sent is an intent, unconfirmed until the next run
	// resends it (TestTestRecordIsTracked).
	if diff := cmp.Diff([]string{"10", "2", "3", "4"}, f.ledgerKeys()); diff != "" {
		t.Errorf("ledger moved (-want +got):\n%s", diff)
	}
	if k, err := f.store.LookupLedgerKey(f.ctx, f.sync.ID, "1"); err != nil || k.State != controlplane.KeyUnconfirmed {
		t.Errorf("the key test sent: %+v, %v; want it unconfirmed", k, err)
	}
}

// TestLostLockStopsRun kills the session holding the sync's lock mid-run: the run stops (failed,
// saying why) rather than go on while another runner could take the sync.
func TestLostLockStopsRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.engine.lockCheck = 20 * time.Millisecond
	release := make(chan struct{})
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.N == 1 {
			var killed bool
			err := f.store.Pool().QueryRow(f.ctx, `SELECT bool_or(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE application_name = 'backflow-runner sync lock' AND datname = current_database()`).Scan(&killed)
			if err != nil || !killed {
				t.Errorf("terminate the lock's session: %v %v", killed, err)
			}
			<-release
		}
		return false
	})
	done := make(chan *controlplane.Run)
	go func() {
		run, _ := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
		done <- run
	}()
	var run *controlplane.Run
	select {
	case run = <-done:
	case <-time.After(2 * time.Minute): // only ends a hang: the webhook client gives up at 30 s
		t.Fatal("the run hung 2m with its lock lost")
	}
	close(release)
	if run == nil || run.Status != controlplane.RunFailed || !strings.Contains(run.Error, "lock was lost") {
		t.Fatalf("run = %+v", run)
	}
}

// TestInvalidSampleOfALargeRecord: an invalid record's sample keeps the start of a record whose
// JSON is large, as a string: ten whole records of a few tens of MB each went past what the run
// record's jsonb holds, and the run's end was not recorded (it stayed running).
func TestInvalidSampleOfALargeRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.model.Table = ""
	f.model.SQL = `SELECT NULL::bigint AS id, repeat('é', 100000) AS pad UNION ALL SELECT 1, 'small'`
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	var samples []invalidSample
	if err := json.Unmarshal(run.InvalidSamples, &samples); err != nil {
		t.Fatal(err)
	}
	if len(samples) != 1 || samples[0].Reason != "null key" {
		t.Fatalf("samples = %.200s", run.InvalidSamples)
	}
	var start string
	if err := json.Unmarshal(samples[0].Record, &start); err != nil || len(start) > 4<<10+len("…") ||
		!strings.HasPrefix(start, `{"id":null,"pad":"éé`) || !strings.HasSuffix(start, "é…") {
		t.Errorf("sample record %.100s… (%d bytes, %v): want a string of the record's start, at most 4 kB",
			samples[0].Record, len(samples[0].Record), err)
	}
}

// TestInvalidSampleWithALoneSurrogate: a Postgres json value keeps its text as written, a lone
// UTF-16 surrogate escape included, which the run record's jsonb refuses: the run's end is
// recorded anyway (it stayed running), the sample showing U+FFFD for it.
func TestInvalidSampleWithALoneSurrogate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.model.Table = ""
	f.model.SQL = `SELECT NULL::bigint AS id, '{"a": "\ud800"}'::json AS doc UNION ALL SELECT 1, '{}'`
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	run := f.run(controlplane.RunSucceeded, RunOptions{}) // checks the stored run too
	if !strings.Contains(string(run.InvalidSamples), `"null key"`) {
		t.Errorf("samples = %s", run.InvalidSamples)
	}
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil || !strings.Contains(string(stored.InvalidSamples), "\uFFFD") {
		t.Errorf("stored samples %s (%v), want the surrogate as U+FFFD", stored.InvalidSamples, err)
	}
}
