package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// outage makes the fixture's control plane unreachable as a server restart does, on its own
// database only (never the shared server): the database takes no new connection, and every session
// of it, the pool's and the sync lock's, is ended. end lets connections in again; it is also
// called at cleanup.
func (f *fixture) outage() (end func()) {
	f.t.Helper()
	var db string
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT current_database()`).Scan(&db); err != nil {
		f.t.Fatal(err)
	}
	admin, err := pgx.Connect(context.Background(), controlplanetest.AdminURL())
	if err != nil {
		f.t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		if _, err := admin.Exec(context.Background(), sql, args...); err != nil {
			f.t.Errorf("%s: %v", sql, err)
		}
	}
	exec(`ALTER DATABASE ` + pgx.Identifier{db}.Sanitize() + ` ALLOW_CONNECTIONS false`)
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, db)
	ended := false
	end = func() {
		if !ended {
			ended = true
			exec(`ALTER DATABASE ` + pgx.Identifier{db}.Sanitize() + ` ALLOW_CONNECTIONS true`)
			_ = admin.Close(context.Background())
		}
	}
	f.t.Cleanup(end)
	return end
}

// TestRunEndRecordedAcrossAnOutage: the control plane goes away (a restart, a failover) as a run
// that delivered everything records its end, and comes back a second later. The end is written
// once it is back: the run was recorded as running, then closed as canceled by the next run,
// "the runner executing this run stopped", for a run that succeeded, and a daemon ran its job a
// second time; backflow_runs_total counted it succeeded.
func TestRunEndRecordedAcrossAnOutage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	reg := prometheus.NewRegistry()
	f.engine.Metrics = NewMetrics(reg)
	f.engine.beforeFinish = func() {
		end := f.outage()
		time.AfterFunc(time.Second, end)
	}
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if err != nil || run == nil || run.Status != controlplane.RunSucceeded {
		t.Fatalf("run %+v: %v; want it succeeded, its end recorded once the control plane was back", run, err)
	}
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != controlplane.RunSucceeded || stored.Counts != run.Counts {
		t.Errorf("stored run %s %+v, want succeeded %+v", stored.Status, stored.Counts, run.Counts)
	}
	if diff := cmp.Diff(map[string]float64{controlplane.RunSucceeded: 1}, runsByStatus(t, reg)); diff != "" {
		t.Errorf("backflow_runs_total (-want +got):\n%s", diff)
	}
}

// TestRunsTotalCountsAnUnrecordedEndAsItsRecord: a control plane that stays away longer than
// the run gives its end leaves the run's record running; the next run closes it as canceled.
// backflow_runs_total counts it so too: it counted the status the run could not record
// (succeeded), which `runs`, the status page and the notifications never showed.
func TestRunsTotalCountsAnUnrecordedEndAsItsRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	reg := prometheus.NewRegistry()
	f.engine.Metrics = NewMetrics(reg)
	f.engine.finishTimeout = time.Second
	var end func()
	f.engine.beforeFinish = func() { end = f.outage() }
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if !errors.Is(err, ErrEndNotRecorded) || run == nil {
		t.Fatalf("run %+v: %v; want ErrEndNotRecorded", run, err)
	}
	end()
	f.engine.beforeFinish = nil
	f.run(controlplane.RunSucceeded, RunOptions{})
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != controlplane.RunCanceled || run.Status != stored.Status {
		t.Errorf("the run whose end was not recorded: returned %s, stored %s; want both canceled", run.Status, stored.Status)
	}
	if diff := cmp.Diff(map[string]float64{stored.Status: 1, controlplane.RunSucceeded: 1}, runsByStatus(t, reg)); diff != "" {
		t.Errorf("backflow_runs_total (-the runs' records +metric):\n%s", diff)
	}
}

// TestRunOutlivesItsPoolsConnectionsEnded: the control plane ends the sessions of the runner's
// connection pool (not of the sync's lock) in the middle of a run, as pg_terminate_backend by an
// operator, an idle-session timeout or a proxy recycling its connections does: the server is up,
// and the run goes on, on new connections. It failed, "record delivered records in the ledger of
// sync 1: FATAL: terminating connection due to administrator command", for a write that found its
// pooled connection ended: the records the endpoint took were counted failed and sent again by the
// next run, and a failure alert went out.
//
// With a 503 to the request during which they are ended, the first statement on them is the
// check of the sync's fence before the retry: it failed the run, "check the sync's fence: FATAL".
func TestRunOutlivesItsPoolsConnectionsEnded(t *testing.T) {
	t.Parallel()
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refused %v", refuse), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
			f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 60) AS i`)
			// One request at a time, and no write of the log or the ledger meanwhile: after the
			// 503, the retry's check of the fence is the first statement on an ended session.
			f.engine.Concurrency, f.engine.NoDeliveryLog, f.engine.CommitEvery, f.engine.CommitInterval = 1, true, 1000, time.Minute
			admin := controlplanetest.Pool(t, f.cpURL)
			var once sync.Once
			killed := 0
			f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
				if q.N != 5 {
					return false
				}
				once.Do(func() {
					// From a session of its own: one of the pool's would be left alive, and next used.
					if err := admin.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
						WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> 'backflow-runner sync lock'`).
						Scan(&killed); err != nil {
						t.Errorf("end the pool's sessions: %v", err)
					}
				})
				if refuse {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
				return refuse
			})
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if killed == 0 {
				t.Fatal("no session of the pool was ended: the test tests nothing")
			}
			if run.Counts.Delivered != 55 || run.Counts.Failed != 0 {
				t.Errorf("counts %+v, want 55 delivered", run.Counts)
			}
			if keys := f.ledgerKeys(); len(keys) != 55 {
				t.Errorf("the ledger holds %d keys, want 55", len(keys))
			}
		})
	}
}

// A run pacing its requests by the limit every runner shares leases its slots on the runner's
// pool: when the control plane ends the pool's sessions (pg_terminate_backend, an idle-session
// timeout, a proxy recycling its connections), the lease is asked again on another connection,
// as the run's other writes are. The run failed, "lease request slots of connection 1: FATAL:
// terminating connection due to administrator command", its records pending for the next run.
func TestSharedPacingOutlivesItsPoolsConnectionsEnded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 20) AS i`)
	// 10 a second: a lease of one slot (pacing's 100 ms block) per request, 8 requests.
	f.dest.Webhook.MaxRequestsPerSecond = 10
	if err := f.store.UpdateConnection(f.ctx, f.dest); err != nil {
		t.Fatal(err)
	}
	// One request at a time, and no write of the log or the ledger meanwhile: the next lease is
	// the first statement on an ended session.
	f.engine.Concurrency, f.engine.NoDeliveryLog, f.engine.CommitEvery, f.engine.CommitInterval = 1, true, 1000, time.Minute
	admin := controlplanetest.Pool(t, f.cpURL)
	var mu sync.Mutex
	killed := 0
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.N < 2 {
			return false
		}
		// During every request from the second: sessions enough in the pool that the lease the
		// next request starts on its way (its failure ignored: the request after it leases
		// again) is not the only one to find its session ended, then all of them ended. With one
		// request at a time, a lease a request waits for is asked once the request before it
		// was answered: after the sessions were ended.
		var open []*pgxpool.Conn
		for range 3 {
			c, err := f.store.Pool().Acquire(context.Background())
			if err != nil {
				t.Errorf("open a session of the pool: %v", err)
				break
			}
			open = append(open, c)
		}
		for _, c := range open {
			c.Release()
		}
		var n int
		// From a session of its own: one of the pool's would be left alive, and next used.
		if err := admin.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> 'backflow-runner sync lock'`).
			Scan(&n); err != nil {
			t.Errorf("end the pool's sessions: %v", err)
		}
		mu.Lock()
		killed += n
		mu.Unlock()
		return false
	})
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	mu.Lock()
	defer mu.Unlock()
	if killed == 0 {
		t.Fatal("no session of the pool was ended: the test tests nothing")
	}
	if run.Counts.Delivered != 15 || run.Counts.Failed != 0 {
		t.Errorf("counts %+v, want 15 delivered", run.Counts)
	}
}

// A run whose sync another runner takes over after some of its groups were committed: the record
// the taking runner closes (AbandonRuns) counts as failed what the run had counted failed, as
// `runs` documents for a canceled run and as the run's own account and backflow_records_total
// count it, not every record it had not delivered yet: it said "failed 45" for a run that the
// metric, its log line and `sync` counted none failed (the next run sends them).
func TestTakenOverRunsRecordCountsFailedAsItsMetric(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 60) AS i`)
	reg := prometheus.NewRegistry()
	f.engine.Metrics = NewMetrics(reg)
	f.engine.Concurrency, f.engine.CommitEvery = 1, 1
	var once sync.Once
	taken := make(chan struct{})
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.N < 6 {
			return false
		}
		once.Do(func() {
			defer close(taken)
			controlplanetest.WaitFor(t, "a group of the run committed", func() bool { return len(f.ledgerKeys()) > 0 })
			// What a runner taking the sync over does (AcquireSync, then AbandonRuns).
			if _, err := f.store.Pool().Exec(context.Background(),
				`UPDATE backflow.sync_fences SET token = token + 1 WHERE sync_id = $1`, f.sync.ID); err != nil {
				t.Errorf("bump the fence: %v", err)
			}
			if _, err := f.store.AbandonRuns(context.Background(), f.sync.ID, "taken over by the test"); err != nil {
				t.Errorf("abandon the run: %v", err)
			}
		})
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if run == nil || !errors.Is(err, controlplane.ErrLockLost) || run.Status != controlplane.RunCanceled {
		t.Fatalf("run %+v, %v; want it canceled by the takeover", run, err)
	}
	// The run may end between the takeover's two statements (a fenced write of its own, a
	// commit or intents, found the fence moved): its record is read once the taking runner closed
	// it, and the handler does not outlive the test (its AbandonRuns on the closed store).
	<-taken
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Counts.Delivered == 0 {
		t.Fatalf("the record counts nothing delivered (%+v): the takeover came before any commit, the test tests nothing", stored.Counts)
	}
	metric := recordsByOutcome(t, reg)["failed"]
	if stored.Counts.Failed != run.Counts.Failed || float64(stored.Counts.Failed) != metric {
		t.Errorf("failed: %d in the record (%+v), %d in the run's account, %v in backflow_records_total; want them equal",
			stored.Counts.Failed, stored.Counts, run.Counts.Failed, metric)
	}
}
