// Package runner executes syncs: it reads a model from its warehouse, diffs it against the
// sync's ledger of delivered records, posts what changed to the webhook, and records runs. The
// same Engine serves the daemon (River jobs) and the foreground commands.
package runner

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// Errors a caller of Run matches with errors.Is.
var (
	// ErrBusy: another runner holds the sync's lock and RunOptions.Wait was false.
	ErrBusy = controlplane.ErrBusy
	// ErrPaused: the sync is paused.
	ErrPaused = errors.New("sync is paused")
	// ErrEndNotRecorded: the run's end could not be written to the control plane (it went away),
	// so its record still says running until a later run of the sync closes it.
	ErrEndNotRecorded = errors.New("the run's end could not be recorded in the control plane")
	// ErrJobServed: RunOptions.JobID's job was served by a run of an earlier attempt of it, which
	// ended succeeded, failed or blocked (controlplane.Run.Served), or RunOptions.Due's slot by a
	// run that started at or after it and ended so (controlplane.Store.LastRunServing): nothing
	// was run.
	ErrJobServed = errors.New("the job was already served by another run")
)

// Defaults of Engine's zero fields. Each commit group costs the control plane a transaction, a
// fence check, the run's counters and a deletion of intents whatever its size: groups of up to
// 50,000 records instead of 10,000 took a million-row first run's control-plane CPU from about 1.05
// to 0.8-0.95 core-s in `make bench`'s first-run case (CommitInterval still ends a group after
// 250 ms of slower deliveries).
const (
	DefaultConcurrency    = 4
	DefaultCommitEvery    = 50000
	DefaultCommitInterval = 250 * time.Millisecond
)

// Engine runs syncs. Its fields must not change after the first Run; Run may be called from
// several goroutines at once (for different syncs, or the same one: the lock serialises those).
type Engine struct {
	Store *controlplane.Store
	// Concurrency is the number of requests in flight to a destination connection whose pacing
	// sets no max_concurrency (fixed mode); 0: DefaultConcurrency.
	Concurrency int
	// LocalPacing: each runner paces its requests alone, instead of sharing every connection's
	// rate with the other runners through the control plane (one round trip per 100 ms of
	// requests). For a single runner, or for measuring what sharing costs.
	LocalPacing bool
	// Client sends the webhook requests; nil: the webhook package's default (30 s timeout, no
	// redirects followed).
	Client *http.Client
	// Metrics may be nil.
	Metrics *Metrics
	// Logger; nil: slog.Default().
	Logger *slog.Logger
	// CommitEvery is how many delivered records are grouped into one ledger transaction at most;
	// CommitInterval how long delivered records wait at most for a commit. Zero: the defaults.
	CommitEvery    int
	CommitInterval time.Duration
	// Delivery retries (webhook.Deliverer's fields); zero: the webhook package's defaults.
	MaxRetries              int
	BaseBackoff, MaxBackoff time.Duration
	// NoDeliveryLog: runs do not record their requests in the delivery log (see deliverylog.go);
	// for measuring what the log costs.
	NoDeliveryLog bool
	// ProgressEvery, when set, logs each run's progress ("run progress", with what
	// Counters.Describe says) at this interval while it runs: the daemon's runs, whose progress
	// no terminal shows (DaemonProgressEvery).
	ProgressEvery time.Duration

	lockCheck time.Duration // how often a quiet lock session is pinged; 0: controlplane.DefaultLockPingEvery
	// beforeCommit, when set (by tests), is called with the run's context before each group of
	// delivered records is committed.
	beforeCommit func(ctx context.Context)
	// beforeFinish, when set (by tests), is called before the run's end is recorded.
	beforeFinish func()
	// finishTimeout is how long a run's end is tried while the control plane is unreachable
	// (see finish); 0: 30 s.
	finishTimeout time.Duration

	pacersMu sync.Mutex
	pacers   map[int64]connPacer // per destination connection, shared by its runs
	tokens   tokenSources        // OAuth2 tokens per destination connection, shared by its runs
}

// RunOptions says how a run is started.
type RunOptions struct {
	// Trigger is recorded with the run: controlplane.TriggerSchedule or TriggerManual; Full
	// forces TriggerFull.
	Trigger string
	// Full resends every current record and sends no deletes.
	Full bool
	// Wait for the sync's lock when another runner holds it (OnWait is called once, first);
	// otherwise Run returns ErrBusy.
	Wait   bool
	OnWait func()
	// Counters, when set, are updated live (for progress output).
	Counters *Counters
	// AcceptGuard accepts the sync's blocked run (see acceptedRun): the run sends what that run
	// held back, once. When the last run was not blocked there is nothing to accept and the
	// run is guarded as usual.
	AcceptGuard bool
	// OnNothingToAccept is called, with AcceptGuard, when the sync's last run was not blocked:
	// there is nothing to accept, and the run is guarded like any other (nil: the engine logs
	// a warning).
	OnNothingToAccept func()
	// accepting is the blocked run AcceptGuard accepts, as Run found it before it waited for
	// the sync's lock (see acceptedRun); nil: none, and the run is guarded as usual.
	accepting *controlplane.Run
	// Due is the schedule slot a scheduled run serves (zero for a run started by hand): the
	// sync's next slot counts from it.
	Due time.Time
	// ParentRuns are the parent runs that started a run of a sequence (trigger after).
	ParentRuns []int64
	// JobID is the job of a run queued from outside (trigger queued).
	JobID int64
	// MarkDelivered records the model's records as delivered without sending them (the ledger
	// becomes the model: changed and new keys take their current hashes, gone keys leave it). A
	// skip_existing sync's runs do this until one succeeds.
	MarkDelivered bool
	// EndReported: the caller prints the run's end, error included (the foreground sync
	// command), so the engine does not log it too.
	EndReported bool
}

// Counters are a run's live counters.
type Counters struct {
	Extracted, Invalid, New, Changed, Deleted, Delivered, Rejected atomic.Int64
	// Fetched counts the rows read from the warehouse while the runner sorts them by key, which
	// it does before any row is compared or sent (Extracted counts them then): the progress of
	// a long read.
	Fetched atomic.Int64
	// Of the records delivered, those a `request` block's answers delivered (answers.go):
	// creates answered 409 and sent again as updates (Updated), updates answered 404 and sent
	// again as creates (Created), creates answered 409 counted delivered (Present: append) and
	// deletes answered 404 (Absent). The run record has them (RunCounts.ResentAfterConflict, ...).
	Updated, Created, Present, Absent atomic.Int64

	// failed counts the records backflow_records_total counts failed (recordTally.count): not
	// taken after the retries, or taken but not recorded by the ledger. A run cut short counts
	// these as its Failed, not the records the stop left pending.
	failed atomic.Int64

	retry retryState                   // see Retrying
	pacer atomic.Pointer[pacing.Pacer] // see Pace
}

// Pace is the pace the run's requests go at: requests per second (0: not paced) and requests
// in flight at most; ok is false before the run reaches its destination.
func (c *Counters) Pace() (rate float64, concurrency int, ok bool) {
	p := c.pacer.Load()
	if p == nil {
		return 0, 0, false
	}
	return p.Rate(), p.Concurrency(), true
}

func (c *Counters) snapshot() controlplane.RunCounts {
	return controlplane.RunCounts{
		Extracted: c.Extracted.Load(), Invalid: c.Invalid.Load(), New: c.New.Load(), Changed: c.Changed.Load(),
		Deleted: c.Deleted.Load(), Delivered: c.Delivered.Load(), Rejected: c.Rejected.Load(),
		ResentAfterConflict: c.Updated.Load(), ResentAfterNotFound: c.Created.Load(),
		PresentOnConflict: c.Present.Load(), AbsentOnDelete: c.Absent.Load(),
	}
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

func (e *Engine) concurrency() int {
	if e.Concurrency > 0 {
		return e.Concurrency
	}
	return DefaultConcurrency
}

func pausedErr(y *controlplane.Sync) error {
	reason := y.PausedReason
	if reason == "" {
		reason = "paused in its definition"
	}
	return fmt.Errorf("sync %q: %w (%s): set paused = false on the sync to run it again", y.Name, ErrPaused, reason)
}

// Run executes sync syncID once, under its lock, and records the run. It returns the finished
// run record and, when the run did not succeed, its error. A nil run means nothing was recorded
// (the sync is paused or busy, or the control plane could not be reached).
func (e *Engine) Run(ctx context.Context, syncID int64, opts RunOptions) (*controlplane.Run, error) {
	y, err := e.Store.GetSync(ctx, syncID)
	if err != nil {
		return nil, fmt.Errorf("read sync %d: %w", syncID, err)
	}
	if y.Paused {
		return nil, pausedErr(y)
	}
	if opts.AcceptGuard {
		// The blocked run the operator was shown is the newest before this run waits for the
		// lock: a run that ends while it waits (another operator's accepting run, which
		// succeeds) does not make this one accept whatever it then finds.
		if opts.accepting, err = e.acceptedRun(ctx, y.ID); err != nil {
			return nil, err
		}
		if err := acceptsKind(y, opts.accepting, opts); err != nil {
			return nil, err
		}
	}
	lease, err := e.Store.AcquireSync(ctx, y.ID, opts.Wait, opts.OnWait, e.lockCheck)
	if err != nil {
		if errors.Is(err, ErrBusy) {
			return nil, fmt.Errorf("sync %q: %w", y.Name, err)
		}
		return nil, err
	}
	defer lease.Release()

	// It may have changed (or been paused) while we waited for the lock.
	if y, err = e.Store.GetSync(ctx, syncID); err != nil {
		return nil, fmt.Errorf("read sync %d: %w", syncID, err)
	}
	// A queued job's attempt checked its job's run before taking the lock (triggerWorker.Work);
	// that run, alive then, may have ended since and let go of the lock. Holding the lock, its
	// status is final: one that served the job is not repeated (before AbandonRuns, which closes
	// one left running by a runner that died, to be run again).
	if opts.JobID != 0 {
		if done, err := e.Store.RunOfJob(ctx, opts.JobID); err == nil && done.Served() {
			return nil, fmt.Errorf("sync %q: %w (run %d, %s)", y.Name, ErrJobServed, done.ID, done.Status)
		} else if err != nil && !errors.Is(err, controlplane.ErrNotFound) {
			return nil, err
		}
	}
	if y.Paused {
		return nil, pausedErr(y)
	}
	// Holding the lock, any run still marked running lost its runner.
	if n, err := lease.AbandonRuns(ctx, "the runner executing this run stopped before finishing it "+
		"(killed, crashed or lost its database connection); a later run resends the changes it had not recorded as delivered "+
		"(after a full run: run the sync again with --full to resend the rest)"); err != nil {
		return nil, err
	} else if n > 0 {
		e.logger().Warn("closed runs left unfinished by a runner that stopped", "sync", y.Name, "runs", n)
	}
	// The same for a scheduled job's attempt (or a job of a sync with parents), which checked
	// that no run served its slot before taking the lock (syncWorker.Work): a run that started
	// after the slot came due (a foreground sync, the twin job of a changed sync) may have ended
	// since and let go of the lock. Holding the lock, and with the runs of dead runners closed,
	// a run still marked running is none.
	if !opts.Due.IsZero() {
		if last, _, err := e.Store.LastRunServing(ctx, y.ID); err != nil {
			return nil, err
		} else if !last.Before(opts.Due) {
			return nil, fmt.Errorf("sync %q: %w (a run started at %s, after its slot %s)", y.Name, ErrJobServed,
				last.UTC().Format(time.RFC3339Nano), opts.Due.UTC().Format(time.RFC3339Nano))
		}
	}

	trigger := opts.Trigger
	if trigger == "" {
		trigger = controlplane.TriggerManual
	}
	if opts.Full {
		trigger = controlplane.TriggerFull
	}
	if opts.MarkDelivered, err = e.marks(ctx, y, opts); err != nil {
		return nil, err
	}
	if opts.MarkDelivered {
		trigger = controlplane.TriggerMark
	}
	run, err := lease.StartRun(ctx, controlplane.RunStart{Trigger: trigger, Due: opts.Due, ParentRuns: opts.ParentRuns, JobID: opts.JobID})
	if err != nil {
		return nil, err
	}
	run.SyncName = y.Name
	counters := opts.Counters
	if counters == nil {
		counters = new(Counters)
	}
	log := e.logger().With("sync", y.Name, "run", run.ID)
	log.Info("run started", "trigger", trigger)

	// If the lock is lost, another runner may start this sync: stop this run at once (it starts
	// no request after that, and its fenced writes record nothing).
	runCtx, cancelRun := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-lease.Lost():
			cancelRun(lease.Err())
		case <-runCtx.Done():
		}
	}()
	stopProgress := func() {}
	if e.ProgressEvery > 0 {
		stopProgress = logProgress(log, counters, e.ProgressEvery)
	}
	readFrom := "" // run.ReadFrom as the log shows it (ShownCursor)
	samples, committed, runErr := e.execute(runCtx, lease, y, run, opts, counters, &readFrom)
	stopProgress()
	if runErr != nil && ctx.Err() == nil && runCtx.Err() != nil && !errors.Is(runErr, controlplane.ErrLockLost) {
		// The lost lock cut the run off wherever it was (a stage that says only "context
		// canceled", a warehouse read that calls its cancel a rejection of the model's SQL):
		// the run ended because it lost its sync, and says so.
		runErr = context.Cause(runCtx)
	}
	cancelRun(nil)

	// Delivered and rejected are what the ledger recorded (the last successful commit), not
	// what got a 2xx: records delivered but not recorded are resent, so they count as failed.
	counters.Delivered.Store(committed.Delivered)
	counters.Rejected.Store(committed.Rejected)
	run.Counts = counters.snapshot()
	run.InvalidSamples = samples
	switch {
	case runErr == nil:
		run.Status = controlplane.RunSucceeded
	case errors.As(runErr, new(*errBlocked)):
		run.Status = controlplane.RunBlocked
	case ctx.Err() != nil:
		run.Status = controlplane.RunCanceled
		if opts.Full {
			// The next scheduled run only sends what changed since it was last delivered:
			// unchanged records this full run did not reach are not resent by it.
			runErr = fmt.Errorf("run canceled before it finished (%w); the records it did not deliver "+
				"are resent only by another full run: run the sync again with --full", context.Cause(ctx))
		} else {
			runErr = fmt.Errorf("run canceled before it finished (%w); what was not delivered is sent by the next run", context.Cause(ctx))
		}
	default:
		run.Status = controlplane.RunFailed
	}
	if run.Status != controlplane.RunSucceeded {
		c := &run.Counts
		switch {
		case run.Status == controlplane.RunBlocked: // a blocked run sent nothing: nothing failed
		case run.Status == controlplane.RunCanceled:
			c.Failed = cutShortFailed(counters)
		default:
			c.Failed = max(c.New+c.Changed+c.Deleted-c.Delivered-c.Rejected, 0)
		}
		runErr = boundRunError(e.explainExhausted(runErr))
		run.Error = runErr.Error()
	}
	// The run's end is recorded even when ctx was canceled (a graceful stop).
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cmp.Or(e.finishTimeout, 30*time.Second))
	defer cancel()
	if e.beforeFinish != nil {
		e.beforeFinish()
	}
	if errors.Is(runErr, controlplane.ErrLockLost) {
		runErr = e.lostToDeletion(fctx, y, runErr)
	}
	if err := e.finish(fctx, lease, run, log); errors.Is(err, controlplane.ErrLockLost) {
		// The runner that took the sync over closed this run's record already, as canceled
		// (AbandonRuns): the run returned, and the metric, say so too, as runs and the status
		// page do; a daemon hands its job back (runJob), the work not done. (A sync deleted under
		// its run took the record with it.)
		err = e.lostToDeletion(fctx, y, err)
		log.Warn("the run's end is not recorded: the sync's lock was lost", "err", err)
		if runErr == nil {
			runErr = err
		}
		run.Status = controlplane.RunCanceled
		run.Counts.Failed = cutShortFailed(counters)
	} else if err != nil {
		log.Error("could not record the end of the run", "err", err)
		runErr = errors.Join(runErr, fmt.Errorf("%w: %w", ErrEndNotRecorded, err))
		// Its record says running until the sync's next run closes it as canceled (AbandonRuns):
		// the run returned, and the metric, say so too, as `runs` and the status page will.
		run.Status = controlplane.RunCanceled
	}
	e.Metrics.runFinished(run.Status)
	attrs := []any{"status", run.Status, "duration", run.Duration().Round(time.Millisecond),
		"extracted", run.Counts.Extracted, "invalid", run.Counts.Invalid, "new", run.Counts.New,
		"changed", run.Counts.Changed, "deleted", run.Counts.Deleted, "delivered", run.Counts.Delivered,
		"rejected", run.Counts.Rejected, "failed", run.Counts.Failed}
	if run.ReadMode != "" {
		attrs = append(attrs, "read", run.ReadMode)
		if readFrom != "" {
			attrs = append(attrs, "read_from", readFrom)
		}
	}
	logAnswers(log, counters)
	switch {
	case opts.EndReported:
	case runErr != nil:
		log.Error("run did not succeed", append(attrs, "err", runErr)...)
	default:
		log.Info("run finished", attrs...)
	}
	return run, runErr
}

// finish records run's end, and while the control plane is unreachable (a restart, a failover:
// controlplane.Unreachable) tries again until ctx ends, so that a run that did its work is not
// left recorded as running, to be closed as canceled by the next run and run again, by an outage
// of a few seconds. Trying again is safe: the write is fenced (a runner that took the sync over
// meanwhile gets it ErrLockLost) and writes the same values again.
func (e *Engine) finish(ctx context.Context, lease *controlplane.SyncLease, run *controlplane.Run, log *slog.Logger) error {
	wait := 100 * time.Millisecond
	for {
		err := lease.Finish(ctx, run)
		if errors.Is(err, controlplane.ErrLockLost) {
			// A try whose answer was lost (a connection cut after its commit; tried again here
			// or on another connection, Store.inTx) may have recorded the end before another
			// runner took the sync over: then the end is recorded, as the run has it (canceled is also
			// what the runner that took it over writes: not told apart, it is left as lost).
			if rec, gerr := e.Store.GetRun(ctx, run.ID); gerr == nil && rec.Status == run.Status && rec.Status != controlplane.RunCanceled &&
				!rec.FinishedAt.IsZero() {
				run.FinishedAt = rec.FinishedAt
				return nil
			}
		}
		if !controlplane.Unreachable(err) || ctx.Err() != nil {
			return err
		}
		log.Warn("could not record the end of the run; trying again", "err", err, "wait", wait)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// cutShortFailed is the Failed of a run cut short (a stop, or a sync taken over): the records
// that did fail before (as backflow_records_total counts them), not the ones the stop left
// unsent or unanswered, which were not refused and which the next run sends. Counting those
// showed "failed N" in `runs` and on the status page for a canceled run whose metric counted
// none.
func cutShortFailed(c *Counters) int64 { return c.failed.Load() }

// lostToDeletion is err, a run's ErrLockLost, said as what it is when sync y no longer exists: a
// terraform destroy, or the sync's replacement (a new destination_id, model_id or primary_key),
// deleted it while the run went on; not another runner running it, as ErrLockLost says.
func (e *Engine) lostToDeletion(ctx context.Context, y *controlplane.Sync, err error) error {
	if _, gerr := e.Store.GetSync(ctx, y.ID); !errors.Is(gerr, controlplane.ErrNotFound) {
		return err
	}
	return &syncDeletedError{sync: y.Name, err: err}
}

// syncDeletedError is a run's ErrLockLost (which errors.Is still sees) whose sync was deleted.
type syncDeletedError struct {
	sync string
	err  error
}

func (e *syncDeletedError) Error() string {
	return fmt.Sprintf("sync %q was deleted while this run went on (a terraform destroy, or the sync's replacement): "+
		"the run stopped and recorded nothing more", e.sync)
}

func (e *syncDeletedError) Unwrap() error { return e.err }

// job is what a run needs, loaded from the control plane.
type job struct {
	sync  *controlplane.Sync
	model *controlplane.Model
	wc    *controlplane.Connection // the model's warehouse connection
	src   modelSource
	dest  *controlplane.Connection
}

func (e *Engine) load(ctx context.Context, y *controlplane.Sync) (*job, error) {
	m, err := e.Store.GetModel(ctx, y.ModelID)
	if err != nil {
		return nil, fmt.Errorf("read the sync's model %d: %w", y.ModelID, err)
	}
	wc, err := e.Store.GetConnection(ctx, m.ConnectionID)
	if err != nil {
		return nil, fmt.Errorf("read the model's connection %d: %w", m.ConnectionID, err)
	}
	src, err := warehouse.For(wc)
	if err != nil {
		return nil, fmt.Errorf("the model %q cannot be read: %w", m.Name, err)
	}
	dest, err := e.Store.GetConnection(ctx, y.DestinationID)
	if err != nil {
		return nil, fmt.Errorf("read the sync's destination %d: %w", y.DestinationID, err)
	}
	if dest.Webhook == nil {
		return nil, fmt.Errorf("the sync's destination %q is not a webhook connection", dest.Name)
	}
	return &job{sync: y, model: m, wc: wc, src: src, dest: dest}, nil
}

func (j *job) meta(runAt time.Time) *webhook.Meta {
	schema, table := j.src.SchemaAndTable(j.model.Table)
	return &webhook.Meta{
		SyncRunAt: runAt, ConnectionName: j.dest.Name, ModelName: j.model.Name,
		SchemaName: schema, TableName: table, SyncID: j.sync.ID, SyncName: j.sync.Name,
	}
}

// openModel reads query (the model's, or a narrowing of it) in key order, with the sync's mapper:
// for runs, dry runs and tests alike. since, when set, reads only the rows at or after a cursor
// value (an incremental read). fetched, when not nil, counts the rows read while the read goes
// on (Counters.Fetched).
func (j *job) openModel(ctx context.Context, query string, since *warehouse.Since, fetched *atomic.Int64) (warehouse.Stream, *mapper, error) {
	rows, err := warehouse.Read(ctx, j.src, query, j.sync.PrimaryKey, since, fetched)
	if err != nil {
		return nil, nil, fmt.Errorf("read the model %q: %w", j.model.Name, err)
	}
	m, err := newMapper(rows.Columns(), j.sync.Mappings, j.sync.PrimaryKey)
	if err != nil {
		_ = rows.Close()
		return nil, nil, fmt.Errorf("sync %q: %w", j.sync.Name, err)
	}
	keyJSON, err := warehouse.StreamKeyJSON(rows) // what the read knows of the key beyond its type
	if err != nil && j.sync.Behavior == controlplane.BehaviorMirror {
		_ = rows.Close()
		return nil, nil, fmt.Errorf("mirror sync %q: %w", j.sync.Name, err)
	}
	if keyJSON == nil {
		keyJSON = j.src.KeyJSON(m.keyCol)
	}
	if keyJSON != nil {
		m.keyJSON = keyJSON // else a number type's, or none (newMapper)
	}
	m.setOmitNulls(j.sync.OmitNulls)
	m.setRun(0, time.Now(), j.sync.ID) // a run sets its own (see execute)
	return rows, m, nil
}

// openPlanned opens the read plan says, with openModel. An incremental read whose result's columns
// are not those the run that saved the mark read (CursorState.Columns; model's as last described
// for a mark that has none: a column added, dropped, renamed or retyped in the warehouse since) is
// reopened as a full read, and plan says so: such a change changes rows without moving their
// cursors (a column added reaches every record of a sync that sends every column; a column
// retyped may change every record's value, as a boolean read as text), and the mark, valid for
// the columns it was read with, says nothing of them. The columns read, not the described ones:
// a runner release that names a type otherwise than the one that described the model (MySQL's
// BOOL and tinyint(1)) reads in full once, not at every run until the next apply.
func (j *job) openPlanned(ctx context.Context, query string, plan *readPlan, model *controlplane.Model,
	fetched *atomic.Int64) (warehouse.Stream, *mapper, error) {
	rows, m, err := j.openModel(ctx, query, plan.since, fetched)
	if err != nil || !plan.incremental() {
		return rows, m, err
	}
	before, as := model.Columns, "last described"
	if plan.prev != nil && plan.prev.Columns != nil {
		before, as = plan.prev.Columns, "read by the run that saved the mark"
	}
	why := columnsChanged(rows.Columns(), before, as)
	if why == "" {
		return rows, m, nil
	}
	plan.mode, plan.since = controlplane.ReadFull, nil
	plan.why = why
	_ = rows.Close()
	if fetched != nil {
		fetched.Store(0)
	}
	return j.openModel(ctx, query, nil, fetched)
}

// columnsChanged says how the columns a read returned (got) differ from those before (described,
// or read by an earlier run: as says which), or "" if they do not: the same names in the same
// order, each of the same type (a column described before its type was recorded has none, and
// any type matches it).
func columnsChanged(got, before []controlplane.Column, as string) string {
	sameNames := len(got) == len(before)
	for i := 0; sameNames && i < len(got); i++ {
		sameNames = got[i].Name == before[i].Name
	}
	if !sameNames {
		return fmt.Sprintf("the model's columns in the warehouse (%s) are not those %s (%s)",
			columnList(got), as, columnList(before))
	}
	for i := range got {
		if before[i].Type != "" && got[i].Type != before[i].Type {
			return fmt.Sprintf("the model's column %q is of type %s in the warehouse, %s as %s",
				got[i].Name, got[i].Type, as, before[i].Type)
		}
	}
	return ""
}

// connPacer is a connection's pacer and the URL it paces: another URL is another endpoint.
type connPacer struct {
	pacer *pacing.Pacer
	url   string
}

// pacer is the pacing of requests to webhook connection c, shared by every run to it in this
// process (and its rate by every runner, unless LocalPacing). A new pacer starts from what
// earlier runs learned (adaptive mode); a changed rate_limit changes the pacer in place, for the
// runs under way too (Pacer.SetLimits); a changed URL makes a new one (what the old URL's
// answers taught it, a quota pause included, is not the new endpoint's).
func (e *Engine) pacer(ctx context.Context, c *controlplane.Connection) (*pacing.Pacer, error) {
	lim := c.Webhook.Pacing()
	e.pacersMu.Lock()
	defer e.pacersMu.Unlock()
	cached := e.pacers[c.ID]
	if cached.pacer != nil && cached.url == c.Webhook.URL && cached.pacer.Limits() == lim {
		return cached.pacer, nil
	}
	var start pacing.State
	if lim.Adaptive() {
		var err error
		if start, err = e.Store.LearnedPacing(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	if cached.pacer != nil && cached.url == c.Webhook.URL {
		// Only the rate_limit changed: the runs under way follow it at once, and share one
		// pacer (one max_concurrency) with the runs to come.
		cached.pacer.SetLimits(lim, start, e.concurrency())
		return cached.pacer, nil
	}
	var shared pacing.TokenSource
	if !e.LocalPacing {
		shared = e.Store.SlotSource(c.ID)
	}
	p := pacing.NewPacer(lim, start, e.concurrency(), shared)
	if e.pacers == nil {
		e.pacers = make(map[int64]connPacer)
	}
	e.pacers[c.ID] = connPacer{p, c.Webhook.URL}
	return p, nil
}

// builder is how the sync's requests are built for run runID started at startedAt: the Census
// envelope, or its request spec's templates compiled once for the run.
func (j *job) builder(runID int64, startedAt time.Time) (webhook.Builder, error) {
	return j.builderOf(runID, startedAt, webhook.CompileRequests)
}

// builderOf is builder with the request spec compiled by compile (webhook.CompileSampleRequests
// for a sample record's).
func (j *job) builderOf(runID int64, startedAt time.Time,
	compile func(*controlplane.RequestSpec, webhook.Vars) (*webhook.Requests, error)) (webhook.Builder, error) {
	spec := j.sync.Request
	if spec == nil {
		return webhook.EnvelopeBuilder{}, nil
	}
	if j.sync.Behavior == controlplane.BehaviorMirror && spec.OperationFor(controlplane.OpDeleted) == nil {
		return nil, fmt.Errorf("sync %q is a mirror sync whose request has no `deleted` request: add one "+
			"(e.g. deleted = { method = \"DELETE\", path = \"/items/{{ record.id | url_encode }}\" })", j.sync.Name)
	}
	b, err := compile(spec, webhook.Vars{
		SyncID: j.sync.ID, SyncName: j.sync.Name, RunID: runID, RunStartedAt: startedAt,
		ModelName: j.model.Name, ConnectionName: j.dest.Name, Key: keyName(j.sync.Mappings, j.sync.PrimaryKey),
	})
	if err != nil {
		return nil, fmt.Errorf("sync %q: %w", j.sync.Name, err)
	}
	return b, nil
}

func (e *Engine) deliverer(c *controlplane.Connection, pacer *pacing.Pacer, b webhook.Builder) *webhook.Deliverer {
	d := &webhook.Deliverer{
		Endpoint: endpoint(c, &e.tokens, e.Client), Builder: b,
		Client: e.Client, Pacer: pacer, RecordConcurrency: pacer.MaxConcurrency(),
		MaxRetries: e.MaxRetries, BaseBackoff: e.BaseBackoff, MaxBackoff: e.MaxBackoff,
	}
	if e.Metrics != nil {
		d.Observer = e.Metrics
	}
	return d
}

// execute reads, diffs, delivers and commits. It returns the run's invalid samples (JSON), the
// run's counters as last committed with the ledger, and the error that ended it.
func (e *Engine) execute(ctx context.Context, lease *controlplane.SyncLease, y *controlplane.Sync, run *controlplane.Run,
	opts RunOptions, counters *Counters, readFrom *string) (json.RawMessage, controlplane.RunCounts, error) {
	full := opts.Full
	var none controlplane.RunCounts
	j, err := e.load(ctx, y)
	if err != nil {
		return nil, none, err
	}
	builder, err := j.builder(run.ID, run.StartedAt)
	if err != nil {
		return nil, none, err
	}
	// What the ledger holds decides how this run writes it (LedgerState.WriteMode), and whether
	// a cursor sync may read incrementally. (Outstanding intents count as rows.)
	ledState, err := e.Store.ReadLedgerState(ctx, y.ID)
	if err != nil {
		return nil, none, err
	}
	query := modelQuery(j.src, j.model)
	plan, err := e.planRead(ctx, y, j.model, j.wc, query, ledState.Empty(), full || opts.MarkDelivered, run.StartedAt)
	if err != nil {
		return nil, none, err
	}
	// Opened before the read is recorded: an incremental read of columns other than those
	// described becomes a full one (openPlanned). Nothing is sent before it is recorded.
	rows, m, err := j.openPlanned(ctx, query, plan, j.model, &counters.Fetched)
	if err != nil {
		return nil, none, err
	}
	defer rows.Close()
	run.ReadMode = plan.mode
	if plan.incremental() {
		run.ReadFrom = plan.since.From
	}
	if err := lease.RecordRead(ctx, run, plan.markDefinition); err != nil {
		return nil, none, err
	}
	keyWhy := KeyWithheld(y, rows.Columns(), j.wc.Kind())
	*readFrom = ShownCursor(keyWhy, y, run.ReadFrom) // the run's record keeps it: the next run's plan reads it
	if plan.mode != "" {
		if plan.incremental() {
			e.logger().Info("reading the model incrementally", "sync", y.Name, "cursor", y.Cursor, "from", *readFrom)
		} else {
			// A sync with a cursor that reads every record says why, as its dry run does: an
			// on-call engineer sees what a full read of a large model is for.
			e.logger().Info("reading the whole model", "sync", y.Name, "why", plan.why)
		}
	}
	m.setRun(run.ID, run.StartedAt, y.ID)
	tracker, err := newCursorTracker(plan, rows.Columns())
	if err != nil {
		return nil, none, err
	}
	hadRejected, err := e.Store.HasRejected(ctx, y.ID)
	if err != nil {
		return nil, none, err
	}
	// Batches that earlier runs may have delivered without recording it become ledger rows with
	// an unconfirmed hash: resent if the model has them, deleted (mirror) if not.
	if n, err := lease.AdoptIntents(ctx); err != nil {
		return nil, none, err
	} else if n > 0 {
		e.logger().Warn("keys whose delivery an earlier run did not record will be resent (or deleted, for a mirror sync)",
			"sync", y.Name, "keys", n)
	}
	withheld := keyWhy != ""
	d := &differ{behavior: y.Behavior, full: full, m: m, counts: counters, cursor: tracker, withhold: withheld}
	var led ledger
	if plan.incremental() {
		e.lookUpKeys(d, y.ID, controlplane.IntentKeys{})
	} else {
		l, err := e.Store.ReadLedger(ctx, y.ID)
		if err != nil {
			return nil, none, err
		}
		defer l.Close()
		led = l
	}

	pacer, err := e.pacer(ctx, j.dest)
	if err != nil {
		return nil, none, err
	}
	p := &pipeline{
		e: e, lease: lease, sync: y, run: run, counters: counters,
		log:  e.logger().With("sync", y.Name, "run", run.ID),
		meta: j.meta(run.StartedAt), dl: e.deliverer(j.dest, pacer, builder), destName: j.dest.Name, dest: j.dest,
		conc: pacer.MaxConcurrency(), size: y.BatchSize, // within controlplane.MinBatchSize..MaxBatchSize: the schema checks it
		mark: opts.MarkDelivered, splitNew: y.Request != nil, answers: answersFor(y), cursorKind: plan.kind,
		pinAbove: plan.startMark(), hadRejected: hadRejected, keyWithheld: withheld,
	}
	p.dl.Fence = lease.CheckFence // no retry or bisected half after the sync was taken over
	// Nor a first attempt after a pause during which it was (the intent was recorded before).
	p.dl.FenceFirst = lease.CheckFenceRecent
	samplesOf := func() json.RawMessage {
		if len(d.samples) == 0 {
			return json.RawMessage("[]")
		}
		b, _ := json.Marshal(d.samples)
		return b
	}
	diff := func(ctx context.Context, emit func(*record) error) error { return d.run(ctx, rows, led, emit) }
	g, guardKeys := y.EffectiveGuard(), func() int64 { return d.ledgerKeys }
	if plan.incremental() {
		g, guardKeys = incrementalGuard(g), func() int64 { return plan.prev.LedgerKeys }
	}
	var accepted *controlplane.Run // the blocked run --accept-guard accepts (see acceptedRun)
	answered := ""                 // why an --accept-guard run is guarded after all (see acceptedNow)
	if opts.AcceptGuard && !opts.MarkDelivered {
		if accepted, answered, err = e.acceptedNow(ctx, y.ID, opts.accepting); err != nil {
			return nil, none, err
		}
	}
	if opts.AcceptGuard && !opts.MarkDelivered && accepted == nil {
		// Nothing blocked to accept (an old command run again after the sync recovered, a
		// block a run that succeeded since answered, or a run blocked only while this one
		// waited for the lock): the run is guarded like any other, and if it trips, the next
		// --accept-guard accepts it.
		if opts.OnNothingToAccept != nil {
			opts.OnNothingToAccept()
		} else {
			e.logger().Warn(NothingToAccept, "sync", y.Name, "run", run.ID)
		}
	}
	if !opts.MarkDelivered && (accepted != nil || guardCanTrip(g, ledState.Empty())) {
		// The whole diff first (see guard.go): nothing is sent past a guard.
		buf := new(guardBuffer)
		defer buf.close()
		if err := d.run(ctx, rows, led, buf.add); err != nil {
			return samplesOf(), none, err
		}
		why, isDefault := "", y.Guard == nil
		if accepted != nil {
			why, isDefault = acceptedTrip(accepted, counters.snapshot(), g, guardKeys(), full), false
		} else {
			why = guardTrip(g, counters.snapshot(), guardKeys(), full)
		}
		if why != "" && answered != "" {
			why += "; " + answered
		}
		if why != "" {
			return samplesOf(), none, &errBlocked{sync: y.Name, why: why, isDefault: isDefault, full: full}
		}
		diff = buf.replay // what is sent is exactly the diff that was checked
	}
	counters.pacer.Store(pacer)
	mode := ledState.WriteMode(hadRejected)
	if y.Cursor != "" {
		mode.PageEntries = cursorPageEntries
	}
	committed, err := p.execute(ctx, diff, mode)
	e.notePace(ctx, j.dest, pacer, run)
	if err == nil {
		run.NextCursor = nextCursor(plan, tracker, p.pin, run.StartedAt, counters.snapshot(), d.ledgerKeys)
		if v := futureCursor(tracker); v != "" {
			// Once a run: the on-call engineer finds the row by its value and corrects it.
			e.logger().Warn("a row's cursor value is in the future: the sync's mark leaves out the values above the cap, "+
				"and every run reads their rows again until their cursor is corrected", "sync", y.Name, "run", run.ID,
				"cursor", y.Cursor, "highest", ShownCursor(keyWhy, y, v), "cap", string(markCap(plan, run.StartedAt)))
		}
		// Every rejected record the model still has to send was sent again (a new or changed one,
		// or a mirror's delete): those it did not send are no longer rejected.
		run.RetriedEveryRejected = hadRejected && !plan.incremental() && !full && !opts.MarkDelivered
	}
	return samplesOf(), committed, err
}

// lookUpKeys makes d a partial diff (an incremental read's) that looks sync syncID's keys up in
// its ledger: two lookups at once, or one with a pool too small for two beside the run's other
// connections (as the committers, commit.go). intents are the sync's outstanding intents for a
// read that does not adopt them (a dry run), so that it sees the ledger a run sees; a run
// adopts them before it reads, and passes none.
func (e *Engine) lookUpKeys(d *differ, syncID int64, intents controlplane.IntentKeys) {
	d.lookup = func(ctx context.Context, keys []string) ([][]byte, []bool, error) {
		hashes, found, err := e.Store.LedgerHashes(ctx, syncID, keys)
		if err == nil {
			intents.Overlay(keys, hashes, found)
		}
		return hashes, found, err
	}
	d.serialLookups = e.Store.MaxConns() < 4
}

// cursorPageEntries bounds the ledger pages of a sync with a cursor: its incremental runs look
// keys up one by one (controlplane.Store.LedgerHashes), each reading its key's whole page, so a
// page is kept small enough to stay inline in its row (under Postgres's 2 kB TOAST threshold
// for keys of up to about 60 bytes).
const cursorPageEntries = 24

// notePace records in the run the pace its requests ended at and, in adaptive mode, keeps what
// the pacer learned for the next run to the connection (from any runner), once it has settled.
func (e *Engine) notePace(ctx context.Context, dest *controlplane.Connection, pacer *pacing.Pacer, run *controlplane.Run) {
	run.PaceRate, run.PaceConcurrency = pacer.Rate(), pacer.Concurrency()
	if rtt := pacer.LeaseRoundTrip(); !e.LocalPacing && rtt > pacing.MaxLeaseRoundTrip {
		e.logger().Warn("the control plane answers too slowly for the rate limit shared with other runners to hold exactly: "+
			"runners sharing it may together exceed it by a few requests a second; run the runners near the control plane's database",
			"connection", dest.Name, "lease_round_trip", rtt.Round(time.Millisecond), "allowed", pacing.MaxLeaseRoundTrip)
	}
	learned, settled := pacer.Learned()
	if !pacer.Limits().Adaptive() || !settled {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := e.Store.SaveLearnedPacing(sctx, dest.ID, dest.UpdatedAt, learned); err != nil {
		e.logger().Warn("could not record the pace learned for the connection; its next run starts from the last one recorded",
			"connection", dest.Name, "err", err)
	}
}

// maxRunError bounds the text of a run's error: what is stored, printed by runs, shown on the
// status page, sent in notifications and logged; and of a preview's or a test's (a plan's
// warning, the dry run's and test's output). A model's error can be long: the values a
// warehouse quotes are hidden (internal/warehouse/hidden.go), but not the SQL it quotes (a syntax
// error near a model of megabytes) nor a destination's answer.
const maxRunError = 8 << 10

// boundRunError is err with its text cut to maxRunError bytes: its start and its end (where a
// warehouse's error says its code, "(SQLSTATE 22P02)"), around what it leaves out. errors.Is and
// errors.As still see err.
func boundRunError(err error) error {
	text := err.Error()
	if len(text) <= maxRunError {
		return err
	}
	const tail = 1 << 10
	head := maxRunError - tail - 64
	for head > 0 && !utf8.RuneStart(text[head]) {
		head--
	}
	end := len(text) - tail
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	return &cutError{text: fmt.Sprintf("%s… (%d bytes left out) …%s", text[:head], end-head, text[end:]), err: err}
}

// cutError is an error whose text is cut (boundRunError).
type cutError struct {
	text string
	err  error
}

func (e *cutError) Error() string { return e.text }
func (e *cutError) Unwrap() error { return e.err }
