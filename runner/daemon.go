package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// riverMigrationLock serialises River's migrations between replicas starting at once.
const riverMigrationLock int64 = 0x62666c7772697672 // "bflwrivr"

// MigrateRiver applies River's migrations to its tables in the control-plane schema.
func MigrateRiver(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect to the control plane: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, riverMigrationLock); err != nil {
		return fmt.Errorf("take the job-queue migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverMigrationLock)
	}()
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: controlplane.Schema})
	if err != nil {
		return fmt.Errorf("prepare the job-queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply the job-queue (River) migrations: %w", err)
	}
	return nil
}

// SyncArgs is the River job that runs one sync once. Due (when the run became due) and Version
// (the sync's updated_at) make the job unique: replicas that compute the same due run insert
// one job between them, and a changed or unpaused sync gets a fresh one.
type SyncArgs struct {
	SyncID  int64     `json:"sync_id"`
	Due     time.Time `json:"due"`
	Version time.Time `json:"version"`
}

// Kind implements river.JobArgs.
func (SyncArgs) Kind() string { return "backflow_sync" }

// InsertOpts implements river.JobArgsWithInsertOpts. Attempts are for runners that die (River
// rescues their jobs); a run that fails is recorded and waits for its next schedule instead.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	engine *Engine
	log    *slog.Logger
}

// Timeout: a run takes as long as its model; stuck jobs are found by RescueStuckJobsAfter.
func (w *syncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return -1 }

// busySnooze is how long a job whose sync another runner is running waits before trying again.
const busySnooze = 15 * time.Second

func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	// A run that started after this job became due (a foreground `sync`, or a twin job queued
	// when the sync changed) has served it.
	last, err := w.engine.Store.LastRunStart(ctx, job.Args.SyncID)
	if err != nil {
		return err
	}
	if !last.Before(job.Args.Due) {
		return nil
	}
	run, err := w.engine.Run(ctx, job.Args.SyncID, RunOptions{Trigger: controlplane.TriggerSchedule})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrBusy):
		// Completing the job would leave its due time served by nothing; try again soon, when
		// the other run will have started after Due (and so served it) or the lock is free.
		return river.JobSnooze(busySnooze)
	case errors.Is(err, ErrPaused), errors.Is(err, controlplane.ErrNotFound):
		w.log.Info("scheduled run skipped", "sync_id", job.Args.SyncID, "reason", err)
		return nil
	case run != nil && run.Status == controlplane.RunCanceled:
		// Stopping: hand the job back, to be worked at once by a replica that is still running
		// (or by this one when it starts again); snoozing does not use up attempts.
		return river.JobSnooze(0)
	case run != nil:
		return nil // recorded as failed; the next schedule tries again
	}
	return err
}

// Daemon runs scheduled syncs through River. Any number of replicas may run against one control
// plane: each computes due syncs and inserts unique jobs, River hands each job to one replica,
// and the per-sync lock keeps a sync from running twice at once.
type Daemon struct {
	Engine *Engine
	Logger *slog.Logger
	// MaxSyncs is how many syncs this replica runs at once; 0: 4.
	MaxSyncs int
	// PollInterval is how often due syncs are computed; 0: 10 s.
	PollInterval time.Duration
	// RescueAfter is how long a job may run before River deems its runner dead and hands it to
	// another replica (whose run then waits for nothing: the lock tells whether the first runner
	// is alive). 0: 30 min.
	RescueAfter time.Duration
	// StopTimeout is how long a stop waits for running syncs before canceling them; 0: 30 s.
	StopTimeout time.Duration

	client *river.Client[pgx.Tx]
}

func (d *Daemon) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}

// Run migrates River's tables, works jobs and schedules syncs until ctx ends, then stops
// gracefully: running syncs get StopTimeout to finish, then are canceled (recorded `canceled`).
func (d *Daemon) Run(ctx context.Context) error {
	store := d.Engine.Store
	if err := MigrateRiver(ctx, store.Pool()); err != nil {
		return err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &syncWorker{engine: d.Engine, log: d.logger()})
	rescue := d.RescueAfter
	if rescue <= 0 {
		rescue = 30 * time.Minute
	}
	maxSyncs := d.MaxSyncs
	if maxSyncs <= 0 {
		maxSyncs = 4
	}
	client, err := river.NewClient(riverpgxv5.New(store.Pool()), &river.Config{
		Schema:               controlplane.Schema,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxSyncs}},
		Workers:              workers,
		JobTimeout:           -1,
		RescueStuckJobsAfter: rescue,
		Logger:               d.logger().With("component", "river"),
	})
	if err != nil {
		return fmt.Errorf("create the job queue client: %w", err)
	}
	// River's work outlives ctx: it is stopped below, gracefully.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start the job queue: %w", err)
	}
	d.client = client
	d.logger().Info("runner started", "max_syncs", maxSyncs)

	poll := d.PollInterval
	if poll <= 0 {
		poll = 10 * time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := d.schedule(ctx); err != nil && ctx.Err() == nil {
			d.logger().Error("could not schedule syncs", "err", err)
		}
		select {
		case <-ctx.Done():
			return d.stop()
		case <-t.C:
		}
	}
}

func (d *Daemon) stop() error {
	timeout := d.StopTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	d.logger().Info("stopping: waiting for running syncs", "timeout", timeout)
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := d.client.Stop(sctx); err == nil {
		d.logger().Info("stopped")
		return nil
	}
	d.logger().Warn("running syncs did not finish in time: canceling them")
	cctx, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	if err := d.client.StopAndCancel(cctx); err != nil {
		return fmt.Errorf("stop the job queue: %w", err)
	}
	return nil
}

// schedule inserts a unique job for every sync that is due.
func (d *Daemon) schedule(ctx context.Context) error {
	store := d.Engine.Store
	syncs, err := store.ListSyncs(ctx)
	if err != nil {
		return err
	}
	last, err := store.LastRunStarts(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, y := range syncs {
		if y.Paused {
			continue
		}
		due, ok, err := NextDue(y, last[y.ID])
		if err != nil {
			d.logger().Error("sync has a bad schedule", "sync", y.Name, "err", err)
			continue
		}
		if !ok || due.After(now) {
			continue
		}
		res, err := d.client.Insert(ctx, SyncArgs{SyncID: y.ID, Due: due, Version: y.UpdatedAt.UTC()}, nil)
		if err != nil {
			return fmt.Errorf("queue a run of sync %q: %w", y.Name, err)
		}
		if !res.UniqueSkippedAsDuplicate {
			d.logger().Debug("queued a scheduled run", "sync", y.Name, "due", due)
		}
	}
	return nil
}

// Handler serves /healthz (the control plane answers) and, when metrics is non-nil, /metrics.
func Handler(store *controlplane.Store, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := store.Pool().Ping(ctx); err != nil {
			http.Error(w, "control plane unreachable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	return mux
}
