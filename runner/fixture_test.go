package runner

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// newReceiver is the webhook endpoint of a runner test: the shared recording receiver.
func newReceiver(t *testing.T) *webhooktest.Receiver { return webhooktest.New(t) }

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type fixture struct {
	world  *controlplanetest.World // what newFixture built; world.NewSync adds syncs of its model
	t      *testing.T
	ctx    context.Context
	store  *controlplane.Store
	cpURL  string
	key    string
	whURL  string
	wh     *pgxpool.Pool
	recv   *webhooktest.Receiver
	engine *Engine
	sync   *controlplane.Sync
	model  *controlplane.Model
	dest   *controlplane.Connection
}

const usersTable = `CREATE TABLE users (
	id bigint PRIMARY KEY, email text, name text, vip boolean, updated_at timestamp);
INSERT INTO users VALUES
	(1, 'ada@example.com', 'Ada', true, '2019-12-08 14:19:52'),
	(2, 'bob@example.com', 'Bob', false, '2020-01-01 00:00:00'),
	(3, 'cy@example.com', 'Cy', null, '2020-02-02 02:02:02.5'),
	(4, 'di@example.com', 'Di', false, '2021-03-03 03:03:03'),
	(10, 'ed@example.com', 'Ed', true, '2022-04-04 04:04:04')`

// newFixture makes a control plane, a warehouse with users, a receiver, and a sync of the users
// to the receiver with behavior.
func newFixture(t *testing.T, behavior string, mappings []controlplane.Mapping) *fixture {
	t.Helper()
	recv := newReceiver(t)
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Users: usersTable,
		Destination: &controlplane.Connection{Name: controlplanetest.DefaultDestinationName, Webhook: &controlplane.WebhookConfig{
			URL: recv.URL + "/hook", Method: "POST", SigningSecret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
		}},
		Model: &controlplane.Model{Table: "public.users"},
		Sync:  &controlplane.Sync{Behavior: behavior, PrimaryKey: "id", Mappings: mappings, BatchSize: 2},
	})
	return &fixture{world: w, t: t, ctx: w.Ctx, store: w.Store, cpURL: w.URL, key: w.Key, whURL: w.WarehouseURL, wh: w.WarehouseDB,
		recv: recv, sync: w.Sync, model: w.Model, dest: w.Destination,
		engine: newTestEngine(w.Store)}
}

// newTestEngine is the engine of runner tests: quick retries, small commit groups.
func newTestEngine(store *controlplane.Store) *Engine {
	return &Engine{Store: store, Logger: slog.New(slog.DiscardHandler), Concurrency: 2, BaseBackoff: 5 * time.Millisecond,
		MaxBackoff: 20 * time.Millisecond, CommitEvery: 3, CommitInterval: 50 * time.Millisecond}
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.wh.Exec(f.ctx, sql, args...); err != nil {
		f.t.Fatalf("warehouse: %v", err)
	}
}

// noGuard turns the sync's guard off (guard = {}): for a test whose runs delete most of what
// was delivered on purpose, to test something else than the guard.
func (f *fixture) noGuard() {
	f.t.Helper()
	f.sync.Guard = &controlplane.Guard{}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		f.t.Fatal(err)
	}
}

// acceptBlocked runs the sync as an operator answers its guard: a run the guard blocks, then
// `sync --accept-guard` of that blocked run, whose outcome must be want.
func (f *fixture) acceptBlocked(wantStatus string, opts RunOptions) *controlplane.Run {
	f.t.Helper()
	f.run(controlplane.RunBlocked, opts)
	opts.AcceptGuard = true
	return f.run(wantStatus, opts)
}

// runPastGuard runs the sync, and when its guard blocks it, accepts that blocked run (a
// randomized test whose diff the guard may or may not block); it returns the last run.
func (f *fixture) runPastGuard(opts RunOptions) (*controlplane.Run, error) {
	run, err := f.engine.Run(f.ctx, f.sync.ID, opts)
	if run != nil && run.Status == controlplane.RunBlocked {
		opts.AcceptGuard = true
		run, err = f.engine.Run(f.ctx, f.sync.ID, opts)
	}
	return run, err
}

// run runs the sync and fails the test unless the outcome is want.
func (f *fixture) run(wantStatus string, opts RunOptions) *controlplane.Run {
	f.t.Helper()
	run, err := f.engine.Run(f.ctx, f.sync.ID, opts)
	if run == nil {
		f.t.Fatalf("run not recorded: %v", err)
	}
	if run.Status != wantStatus {
		f.t.Fatalf("run status = %s (error %v), want %s", run.Status, err, wantStatus)
	}
	if (err == nil) != (wantStatus == controlplane.RunSucceeded) {
		f.t.Fatalf("run error = %v with status %s", err, run.Status)
	}
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	if stored.Status != run.Status || stored.Counts != run.Counts {
		f.t.Fatalf("stored run %+v differs from returned %+v", stored, run)
	}
	return run
}

// enqueue makes a RunQueue on f's control plane and queues a run of f.sync on it (full: a
// `trigger --full`), not worked yet.
func (f *fixture) enqueue(full bool) (*RunQueue, *QueuedRun) {
	f.t.Helper()
	queue, err := NewRunQueue(f.store, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	q, err := queue.Enqueue(f.ctx, f.sync, full)
	if err != nil {
		f.t.Fatal(err)
	}
	return queue, q
}

// workQueued runs a Daemon on f's engine until the queued run q is done, stops it, and returns
// q's status then; the daemon must stop without an error.
func (f *fixture) workQueued(queue *RunQueue, q *QueuedRun) *QueuedRun {
	f.t.Helper()
	ctx, cancel := context.WithCancel(f.ctx)
	d := &Daemon{Engine: f.engine, PollInterval: time.Minute, StopTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	var got *QueuedRun
	controlplanetest.WaitFor(f.t, "the queued run to end", func() bool {
		var err error
		got, err = queue.Status(f.ctx, q.ID)
		return err == nil && got.Done()
	})
	cancel()
	if err := <-errc; err != nil {
		f.t.Errorf("daemon: %v", err)
	}
	return got
}

func (f *fixture) ledgerKeys() []string {
	f.t.Helper()
	m, err := controlplanetest.LedgerEntries(f.ctx, f.store, f.sync.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	out := strings.Split(s, "\n")
	sort.Strings(out)
	return out
}
