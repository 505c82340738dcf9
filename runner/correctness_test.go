package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// useModel points the fixture's sync at a new model (sql) keyed by key, with behavior.
func (f *fixture) useModel(sql, key, behavior string) {
	f.t.Helper()
	f.model = f.world.NewModel(controlplane.Model{Name: "model " + fmt.Sprint(time.Now().UnixNano()), SQL: sql})
	f.sync = f.world.NewSync(controlplane.Sync{Name: "sync of " + f.model.Name, ModelID: f.model.ID,
		Behavior: behavior, PrimaryKey: key, BatchSize: 3})
}

// oddKeys are keys whose order is easy to get wrong: the empty string, blanks, case, accents,
// scripts, emoji, digits as text, and keys longer than 1 kB.
var oddKeys = []string{"", " ", "  ", "\t", "A", "a", "B", "b", "Z", "z", "_", "-", "é", "É", "e\u0301", "日本", "𝄞", "🙂",
	"0", "00", "1", "10", "9", "-1", "a b", "a\nb", strings.Repeat("k", 1500), strings.Repeat("k", 1500) + "a",
	strings.Repeat("é", 1000)}

// TestKeyOrderIsStable: for every behavior, keys of every kind are read from the warehouse in the
// ledger's order: after a first run, a run with nothing changed sends nothing (an order mismatch
// would resend records and, for mirror, delete them); one changed key and one removed key are
// exactly what the next run sends. A key longer than the ledger stores is invalid, never sent.
func TestKeyOrderIsStable(t *testing.T) {
	models := []struct {
		name, create, sql string
		keys              []string // the keys as JSON text
		change, remove    string   // SQL on the warehouse; the JSON text of the keys they touch
		changed, removed  string
	}{
		{name: "text", create: `CREATE TABLE k_text (k text, v int)`, sql: `select * from k_text`,
			change: `UPDATE k_text SET v = 2 WHERE k = ''`, changed: `""`,
			remove: `DELETE FROM k_text WHERE k = 'a'`, removed: `"a"`},
		{name: "integer", create: `CREATE TABLE k_int (k bigint, v int);
			INSERT INTO k_int SELECT i, 1 FROM unnest(array[-10, -2, -1, 0, 1, 2, 9, 10, 11, 99, 100, 1000, 9223372036854775807, -9223372036854775808]) AS i`,
			sql: `select * from k_int`, change: `UPDATE k_int SET v = 2 WHERE k = 10`, changed: `10`,
			remove: `DELETE FROM k_int WHERE k = -1`, removed: `-1`},
		{name: "uuid", create: `CREATE TABLE k_uuid (k uuid, v int);
			INSERT INTO k_uuid SELECT md5(i::text)::uuid, 1 FROM generate_series(1, 40) AS i`,
			sql: `select * from k_uuid`, change: `UPDATE k_uuid SET v = 2 WHERE k = md5('7')::uuid`, changed: `"8f14e45f-ceea-167a-5a36-dedd4bea2543"`,
			remove: `DELETE FROM k_uuid WHERE k = md5('3')::uuid`, removed: `"eccbc87e-4b5c-e2fe-2830-8fd9f2a7baf3"`},
	}
	for _, behavior := range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorAppend, controlplane.BehaviorMirror} {
		for _, m := range models {
			t.Run(behavior+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, behavior, nil)
				f.exec(m.create)
				if m.name == "text" {
					for _, k := range oddKeys {
						f.exec(`INSERT INTO k_text VALUES ($1, 1)`, k)
					}
					f.exec(`INSERT INTO k_text VALUES ($1, 1)`, strings.Repeat("x", controlplane.MaxKeyBytes+1))
				}
				f.useModel(m.sql, "k", behavior)
				first := f.run(controlplane.RunSucceeded, RunOptions{})
				sent, _ := f.recv.Take("k")
				wantInvalid := int64(0)
				if m.name == "text" {
					wantInvalid = 1
				}
				if first.Counts.Invalid != wantInvalid || int64(len(sent)) != first.Counts.Extracted-wantInvalid {
					t.Fatalf("first run: counts %+v, sent %d", first.Counts, len(sent))
				}
				again := f.run(controlplane.RunSucceeded, RunOptions{})
				if sent, _ := f.recv.Take("k"); len(sent) != 0 {
					t.Fatalf("a run with nothing changed sent %v (counts %+v)", sent, again.Counts)
				}
				f.exec(m.change)
				f.exec(m.remove)
				f.run(controlplane.RunSucceeded, RunOptions{})
				got, _ := f.recv.Take("k")
				var want []string
				switch behavior {
				case controlplane.BehaviorUpdateOrCreate:
					want = []string{"changed " + m.changed}
				case controlplane.BehaviorMirror:
					want = []string{"changed " + m.changed, "deleted " + m.removed}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("after one change and one removal (-want +got):\n%s", diff)
				}
				f.run(controlplane.RunSucceeded, RunOptions{})
				if sent, _ := f.recv.Take("k"); len(sent) != 0 {
					t.Errorf("the run after that sent %v", sent)
				}
			})
		}
	}
}

// TestLostLockFencesTheRun: runner A's lock session is terminated mid-run while runner B waits
// for the sync and every row changes. A stops at once and records nothing more (its run record
// stays as B closed it); B and a later run leave the receiver with the warehouse's current
// version of every key.
func TestLostLockFencesTheRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.exec(`INSERT INTO users (id, email, name) SELECT i, 'u' || i || '@example.com', 'v1' FROM generate_series(11, 3000) AS i`)
	f.exec(`UPDATE users SET name = 'v1'`)
	f.sync.BatchSize = 20
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	engineB := &Engine{Store: f.store, Logger: slog.New(slog.DiscardHandler), Concurrency: 2,
		BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}

	// The receiver's view: the last version of each key, in arrival order.
	var mu sync.Mutex
	view := map[string]string{}
	bWaiting := make(chan struct{})
	var killOnce sync.Once
	var killErr error
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.N == 10 {
			killOnce.Do(func() {
				<-bWaiting
				// Every row changes, then A's lock session dies; B takes the sync over.
				if _, err := f.wh.Exec(context.Background(), `UPDATE users SET name = 'v2'`); err != nil {
					killErr = err
					return
				}
				var killed bool
				killErr = f.store.Pool().QueryRow(context.Background(), `SELECT bool_or(pg_terminate_backend(l.pid))
					FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
						AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND ((l.classid::int8 << 32) | l.objid::int8) = $1`, controlplane.SyncLockKey(f.sync.ID)).Scan(&killed)
				if killErr == nil && !killed {
					killErr = fmt.Errorf("no lock session to terminate")
				}
			})
		}
		mu.Lock()
		for _, d := range q.Envelope.Data {
			var rec struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			}
			_ = json.Unmarshal(d, &rec)
			if q.Envelope.Operation == webhook.OpDeleted {
				delete(view, fmt.Sprint(rec.ID))
			} else {
				view[fmt.Sprint(rec.ID)] = rec.Name
			}
		}
		mu.Unlock()
		w.WriteHeader(200)
		return true
	})

	type result struct {
		run *controlplane.Run
		err error
	}
	aDone := make(chan result, 1)
	go func() {
		run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
		aDone <- result{run, err}
	}()
	// B waits for the lock while A runs.
	controlplanetest.WaitFor(t, "run A to start", func() bool {
		runs, _ := f.store.ListRuns(f.ctx, f.sync.ID, 1)
		return len(runs) == 1
	})
	bDone := make(chan result, 1)
	go func() {
		run, err := engineB.Run(f.ctx, f.sync.ID, RunOptions{Wait: true, OnWait: func() { close(bWaiting) }})
		bDone <- result{run, err}
	}()
	a := <-aDone
	if killErr != nil {
		t.Fatal(killErr)
	}
	if a.err == nil || a.run == nil || !strings.Contains(a.err.Error(), "lock was lost") {
		t.Fatalf("run A: %+v, %v; want it stopped by the lost lock", a.run, a.err)
	}
	b := <-bDone
	if b.err != nil {
		t.Fatalf("run B: %+v, %v", b.run, b.err)
	}
	// A's record is either its own (it ended before B took the fence) or as B closed it: after
	// B took the fence, A's end and counters were refused.
	stored, err := f.store.GetRun(f.ctx, a.run.ID)
	if err != nil {
		t.Fatal(err)
	}
	byB := stored.Status == controlplane.RunCanceled && strings.Contains(stored.Error, "stopped before finishing")
	byA := stored.Status == controlplane.RunFailed && strings.Contains(stored.Error, "lock was lost")
	if !byA && !byB {
		t.Errorf("run A's record: %s %q, want closed by A for the lost lock or by B", stored.Status, stored.Error)
	}
	// B recorded everything it sent and A nothing after the loss: the next run finds nothing to send.
	if c := f.run(controlplane.RunSucceeded, RunOptions{}).Counts; c.New+c.Changed+c.Deleted != 0 {
		t.Errorf("the run after B found changes: %+v (a write of A after the loss moved the ledger)", c)
	}

	mu.Lock()
	defer mu.Unlock()
	rows, err := f.wh.Query(f.ctx, `SELECT id, name FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		want[fmt.Sprint(id)] = name
	}
	if diff := cmp.Diff(want, view); diff != "" {
		t.Errorf("the receiver's last versions differ from the warehouse (-want +got):\n%.2000s", diff)
	}
}

// A run retrying a batch (its endpoint answers 503) whose sync is taken over meanwhile starts no
// further attempt: each retry first checks the fence. (A network cut can hide the lost lock's
// session for seconds; the fence cannot be hidden.)
func TestRetriesCheckTheFence(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.engine.MaxRetries = 50
	var mu sync.Mutex
	attempts, afterBump := 0, 0
	bumped := false
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		mu.Lock()
		attempts++
		if bumped {
			afterBump++
		}
		n := attempts
		mu.Unlock()
		if n == 3 {
			// Another runner takes the sync: its fence moves on.
			if _, err := f.store.Pool().Exec(context.Background(),
				`UPDATE backflow.sync_fences SET token = token + 1 WHERE sync_id = $1`, f.sync.ID); err != nil {
				t.Errorf("bump the fence: %v", err)
			}
			mu.Lock()
			bumped = true
			mu.Unlock()
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "lock was lost") {
		t.Fatalf("run: %+v, %v; want it stopped by the lost lock", run, err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Concurrency 2: the other batch's attempt may have been on its way when the fence moved.
	if afterBump > 1 {
		t.Errorf("%d attempts started after the sync was taken over", afterBump)
	}
}

// A run whose lock is lost while it reads the model (before it sends anything) says so: its error
// is the lost lock, not what the cut-off read returned ("read the model from the warehouse:
// context canceled", or with MySQL "the warehouse rejected the model's SQL: context canceled"),
// which sends the operator to the warehouse or the model's SQL.
func TestLostLockWhileReadingTheModelSaysSo(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	// The model's read waits for the lock on its table that the test holds.
	hold, err := f.wh.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = hold.Rollback(context.Background()) }()
	if _, err := hold.Exec(f.ctx, `LOCK TABLE users IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		run *controlplane.Run
		err error
	}
	done := make(chan result, 1)
	go func() {
		run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
		done <- result{run, err}
	}()
	controlplanetest.WaitFor(t, "the model's read to wait for the test's lock", func() bool {
		var n int
		_ = f.wh.QueryRow(f.ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND wait_event = 'relation' AND query LIKE '%users%'`).Scan(&n)
		select {
		case r := <-done:
			t.Fatalf("run ended before its read waited: %+v, %v", r.run, r.err)
		default:
		}
		return n > 0
	})
	var killed bool
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT bool_or(pg_terminate_backend(l.pid))
		FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND ((l.classid::int8 << 32) | l.objid::int8) = $1`, controlplane.SyncLockKey(f.sync.ID)).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate the run's lock session: %v, %v", killed, err)
	}
	r := <-done
	if !errors.Is(r.err, controlplane.ErrLockLost) {
		t.Fatalf("run: %v; want the lost lock", r.err)
	}
	if r.run == nil || !strings.Contains(r.run.Error, "lock was lost") {
		t.Fatalf("run's record: %+v; want its error to say the lock was lost", r.run)
	}
	if n := len(f.recv.Requests()); n != 0 {
		t.Fatalf("%d requests; want none", n)
	}
}
