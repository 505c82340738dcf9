package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Runs queued from outside the schedule: `backflow-runner trigger` and the daemon's API
// (POST /v1/syncs/{id}/runs) insert a TriggerArgs job through River, as the daemon queues its
// scheduled runs; any daemon works it. The job's id identifies the queued run until, and after,
// a run record exists for it (controlplane.Run.JobID).

// TriggerArgs is the River job of a run queued from outside the schedule. Unlike SyncArgs it is
// not unique: every request is a run (two requests while one runs make two runs, one after the
// other), and no other run serves it.
type TriggerArgs struct {
	SyncID int64 `json:"sync_id"`
	Full   bool  `json:"full,omitempty"`
	// SyncName is the sync's name when the run was queued: what the queued run names once the
	// sync is deleted (jobs queued before 7 Dec 2026 have none).
	SyncName string `json:"sync_name,omitempty"`
}

// Kind implements river.JobArgs.
func (TriggerArgs) Kind() string { return "backflow_trigger" }

// InsertOpts implements river.JobArgsWithInsertOpts; attempts are for runners that die.
func (TriggerArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

type triggerWorker struct {
	river.WorkerDefaults[TriggerArgs]
	jobRunner
}

// Timeout: see syncWorker.Timeout.
func (w *triggerWorker) Timeout(*river.Job[TriggerArgs]) time.Duration { return w.rescueAfter }

func (w *triggerWorker) Work(ctx context.Context, job *river.Job[TriggerArgs]) error {
	// A run of this job that ended (succeeded, failed or blocked) did its work: this is a later
	// attempt that River's rescuer started while that run, alive but longer than --rescue-after,
	// still ran (it found the sync busy and snoozed). Running again would repeat the run (a
	// second full resend of every record, for trigger --full). A run canceled (a stop) or left
	// running by a runner that died did not: it is run again.
	run, err := w.engine.Store.RunOfJob(ctx, job.ID)
	if err != nil && !errors.Is(err, controlplane.ErrNotFound) {
		return err
	}
	if run != nil && run.Served() {
		w.log.Info("queued run already done by an earlier attempt of its job", "sync_id", job.Args.SyncID, "run", run.ID,
			"status", run.Status)
		return nil
	}
	err = w.runJob(ctx, job.Args.SyncID, RunOptions{Trigger: controlplane.TriggerQueued, Full: job.Args.Full, JobID: job.ID})
	if errors.Is(err, ErrJobServed) {
		// The same, found holding the sync's lock: that run ended after the check above.
		w.log.Info("queued run already done by an earlier attempt of its job", "sync_id", job.Args.SyncID, "reason", err)
		return nil
	}
	if errors.Is(err, controlplane.ErrNotFound) {
		err = fmt.Errorf("%s was deleted before a daemon ran this run: %w", queuedSyncNamed(job.Args), err)
	}
	if errors.Is(err, ErrPaused) || errors.Is(err, controlplane.ErrNotFound) {
		// Canceled with the reason, which the job keeps: its status answers "skipped" with it.
		w.log.Info("queued run skipped", "sync_id", job.Args.SyncID, "reason", err)
		return river.JobCancel(err)
	}
	return err
}

// Queued-run statuses beyond a run's own (controlplane.Run*): waiting for a daemon, and not run
// at all because the sync was paused or deleted in the meantime.
const (
	QueuedStatusQueued  = "queued"
	QueuedStatusSkipped = "skipped"
)

// QueuedRun is a run queued from outside: its job and, once it started, its run record.
type QueuedRun struct {
	ID       int64 // the job's id
	SyncID   int64
	SyncName string
	Full     bool
	QueuedAt time.Time
	// Status is queued, running, then succeeded, failed, blocked or canceled (the run's), or
	// skipped (the sync was paused or deleted before a daemon ran it).
	Status string
	// Error says why a run failed, was blocked or skipped.
	Error string
	// Run is the run's record; nil until a daemon started it.
	Run *controlplane.Run
}

// Done reports whether the queued run has ended.
func (q *QueuedRun) Done() bool {
	return q.Status != QueuedStatusQueued && q.Status != controlplane.RunRunning
}

// RunQueue queues runs for the daemons and reports on them. It needs no running daemon to
// queue: the jobs wait in the control plane for one.
type RunQueue struct {
	store  *controlplane.Store
	client *river.Client[pgx.Tx]
}

// NewRunQueue returns a queue on store's job tables (an insert-only River client).
func NewRunQueue(store *controlplane.Store, log *slog.Logger) (*RunQueue, error) {
	if log == nil {
		log = slog.Default()
	}
	client, err := river.NewClient(store.RiverDriver(), &river.Config{
		Schema: controlplane.Schema,
		Logger: slog.New(demoteInfo{log.Handler()}).With("component", "river"),
	})
	if err != nil {
		return nil, fmt.Errorf("create the job queue client: %w", err)
	}
	return &RunQueue{store: store, client: client}, nil
}

// Enqueue queues a run of sync y. A paused sync is refused (ErrPaused): it would only be skipped.
func (q *RunQueue) Enqueue(ctx context.Context, y *controlplane.Sync, full bool) (*QueuedRun, error) {
	if y.Paused {
		return nil, pausedErr(y)
	}
	res, err := q.client.Insert(ctx, TriggerArgs{SyncID: y.ID, Full: full, SyncName: y.Name}, nil)
	if err != nil {
		return nil, fmt.Errorf("queue a run of sync %q: %w", y.Name, err)
	}
	return &QueuedRun{ID: res.Job.ID, SyncID: y.ID, SyncName: y.Name, Full: full, QueuedAt: res.Job.CreatedAt,
		Status: QueuedStatusQueued}, nil
}

// Status reports on queued run id (the job id Enqueue returned). It answers from the job while
// River keeps it, and from the run record after (River deletes finished jobs after a day); an id
// known to neither is controlplane.ErrNotFound.
func (q *RunQueue) Status(ctx context.Context, id int64) (*QueuedRun, error) {
	run, err := q.store.RunOfJob(ctx, id)
	if err != nil && !errors.Is(err, controlplane.ErrNotFound) {
		return nil, err
	}
	if run != nil { // what is read here is shown (the API, trigger): its read_from as ShownRun shows it
		runs, err := StoredRunsShown(ctx, q.store, []*controlplane.Run{run})
		if err != nil {
			return nil, err
		}
		run = runs[0]
	}
	job, jerr := q.client.JobGet(ctx, id)
	if errors.Is(jerr, river.ErrNotFound) {
		if run == nil {
			return nil, fmt.Errorf("no queued run has the id %d: %w", id, controlplane.ErrNotFound)
		}
		return &QueuedRun{ID: id, SyncID: run.SyncID, SyncName: run.SyncName, Full: run.Trigger == controlplane.TriggerFull,
			QueuedAt: run.StartedAt, Status: run.Status, Error: run.Error, Run: run}, nil
	}
	if jerr != nil {
		return nil, fmt.Errorf("read queued run %d: %w", id, jerr)
	}
	if job.Kind != (TriggerArgs{}).Kind() {
		return nil, fmt.Errorf("no queued run has the id %d: %w", id, controlplane.ErrNotFound)
	}
	return queuedFromJob(ctx, q.store, job, run)
}

func queuedFromJob(ctx context.Context, store *controlplane.Store, job *rivertype.JobRow, run *controlplane.Run) (*QueuedRun, error) {
	var args TriggerArgs
	if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
		return nil, fmt.Errorf("queued run %d: its job's arguments: %w", job.ID, err)
	}
	out := &QueuedRun{ID: job.ID, SyncID: args.SyncID, Full: args.Full, QueuedAt: job.CreatedAt, Run: run,
		Status: QueuedStatusQueued}
	if run != nil {
		out.SyncName = run.SyncName
	} else if y, err := store.GetSync(ctx, args.SyncID); err == nil {
		out.SyncName = y.Name
	} else {
		out.SyncName = args.SyncName // deleted: its name when queued
	}
	switch job.State {
	case rivertype.JobStateCompleted:
		if run != nil {
			out.Status, out.Error = run.Status, run.Error
		} else {
			out.Status = QueuedStatusSkipped
		}
	case rivertype.JobStateCancelled:
		out.Status = QueuedStatusSkipped
		out.Error = lastJobError(job, "the job was canceled")
	case rivertype.JobStateDiscarded:
		out.Status = controlplane.RunFailed
		out.Error = lastJobError(job, "the job was given up after its attempts")
	default:
		// Not finished: running if its run is, else waiting for a daemon (a run canceled by a
		// daemon's stop hands the job back, to run again).
		if run != nil && run.Status == controlplane.RunRunning {
			out.Status = controlplane.RunRunning
		}
	}
	return out, nil
}

// lastJobError is the error the job's last attempt recorded, without the type name River puts
// before a canceled job's ("JobCancelError: "), which says nothing to whoever reads the queued
// run; fallback when it recorded none.
func lastJobError(job *rivertype.JobRow, fallback string) string {
	if n := len(job.Errors); n > 0 && job.Errors[n-1].Error != "" {
		return strings.TrimPrefix(job.Errors[n-1].Error, "JobCancelError: ")
	}
	return fallback
}

// queuedSyncNamed names the sync of a queued run for a message: by its name when the job holds
// it, and its id.
func queuedSyncNamed(args TriggerArgs) string {
	if args.SyncName == "" {
		return fmt.Sprintf("the sync with id %d", args.SyncID)
	}
	return fmt.Sprintf("the sync %q (id %d)", args.SyncName, args.SyncID)
}
