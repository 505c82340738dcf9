package runner

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/schedule"
)

// SyncArgs is the River job that runs one sync once, when its schedule or its parents make it
// due. Due (when the run became due), Version (the sync's updated_at) and ParentRuns make the
// job unique: replicas that compute the same due run insert one job between them, and a changed
// or unpaused sync gets a fresh one (a job of an older version runs nothing: see Work).
type SyncArgs struct {
	SyncID  int64     `json:"sync_id"`
	Due     time.Time `json:"due"`
	Version time.Time `json:"version"`
	// ParentRuns: the parent runs whose success made a sync with parents (schedule.after) due;
	// Due is when the last of them finished. Empty for a scheduled run.
	ParentRuns []int64 `json:"parent_runs,omitempty"`
}

// Kind implements river.JobArgs.
func (SyncArgs) Kind() string { return "backflow_sync" }

// InsertOpts implements river.JobArgsWithInsertOpts. Attempts are for runners that die (River
// rescues their jobs); a run that fails is recorded and waits for its next schedule instead.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// jobRunner is what the daemon's workers share: running a sync for a job.
type jobRunner struct {
	engine *Engine
	log    *slog.Logger
	// rescueAfter is the jobs' River timeout; see syncWorker.Timeout.
	rescueAfter time.Duration
	// hardStop ends when the daemon gives up waiting for running syncs and cancels them.
	hardStop context.Context
	// succeeded, when set, is called after a run succeeded: the daemon looks at once for syncs
	// that run after it.
	succeeded func()
	// tooNew, when set, is called when a run was refused because a newer Backflow migrated the
	// control plane: the daemon checks the schema at once, and stops.
	tooNew func()
}

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	jobRunner
}

// Timeout is what River's rescuer needs to hand a dead runner's job to another replica: it
// ignores jobs whose timeout is negative (infinite), and rescues the others once they have run
// longer than both their timeout and RescueStuckJobsAfter. A run, though, takes as long as its
// model: Work does not let the timeout end it (see runJob). A live run that outlasts it is
// "rescued" too, harmlessly: the new attempt finds the sync's lock held and snoozes until the
// first run has finished and served the job.
func (w *syncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return w.rescueAfter }

// busySnooze is how long a job whose sync another runner is running waits before trying again.
const busySnooze = 15 * time.Second

func (w *syncWorker) Work(jobCtx context.Context, job *river.Job[SyncArgs]) error {
	// The job was queued for the sync as it was (Version): one changed since (its schedule
	// removed or changed, or any setting: an apply) may no longer be due. The job is dropped; the
	// daemon's next pass queues a run for the sync as it now is if its schedule or parents make
	// one due (the slot is still unserved), so a change that keeps the schedule loses no run.
	// Worked late (behind a busy sync, or a long queue), the job ran the old schedule once more.
	y, err := w.engine.Store.GetSync(jobCtx, job.Args.SyncID)
	if errors.Is(err, controlplane.ErrNotFound) {
		w.log.Info("scheduled run skipped", "sync_id", job.Args.SyncID, "reason", err)
		return nil
	}
	if err != nil {
		return err
	}
	if !y.UpdatedAt.Equal(job.Args.Version) {
		w.log.Info("scheduled run dropped: the sync changed since it was queued; the next scheduling pass queues a run "+
			"if the sync is due", "sync", y.Name, "due", job.Args.Due, "queued_for", job.Args.Version, "changed_at", y.UpdatedAt)
		return nil
	}
	// A run that started after this job became due (a foreground `sync`, a run queued by
	// `trigger`) has served it, unless it was canceled (handed back on a stop, or a
	// foreground `sync` stopped with Ctrl-C) or its runner died: LastRunServing counts only runs
	// that ended succeeded, failed or blocked, or that are running under a held lock. One still
	// running serves the job once it ends so: until then the job waits, as for a busy sync
	// (completed now, the job would leave its slot served by nothing if that run were canceled:
	// the daemon queues a slot's job once).
	last, running, err := w.engine.Store.LastRunServing(jobCtx, job.Args.SyncID)
	if err != nil {
		return err
	}
	if !last.Before(job.Args.Due) {
		if running {
			return river.JobSnooze(busySnooze)
		}
		return nil
	}
	opts := RunOptions{Trigger: controlplane.TriggerSchedule, Due: job.Args.Due}
	if len(job.Args.ParentRuns) > 0 {
		opts = RunOptions{Trigger: controlplane.TriggerAfter, Due: job.Args.Due, ParentRuns: job.Args.ParentRuns}
	}
	err = w.runJob(jobCtx, job.Args.SyncID, opts)
	if errors.Is(err, ErrJobServed) {
		// The same, found holding the sync's lock: that run ended after the check above.
		w.log.Info("scheduled run already served by another run", "sync_id", job.Args.SyncID, "reason", err)
		return nil
	}
	if errors.Is(err, ErrPaused) || errors.Is(err, controlplane.ErrNotFound) {
		w.log.Info("scheduled run skipped", "sync_id", job.Args.SyncID, "reason", err)
		return nil
	}
	return err
}

// runJob runs sync syncID for a job and says what River should do with the job: nil when the run
// ended (succeeded or recorded as failed or blocked), a snooze when it must be tried again (the
// sync is busy, or the daemon is stopping), ErrPaused or ErrNotFound (wrapped) when the sync
// cannot run.
// endNotRecordedSnooze is how soon a job whose run's end could not be recorded is worked again.
const endNotRecordedSnooze = 10 * time.Second

func (w *jobRunner) runJob(jobCtx context.Context, syncID int64, opts RunOptions) error {
	// River cancels jobCtx at Timeout; only a cancellation for another reason (a hard stop, a
	// job canceled through River) stops the run. After the deadline jobCtx can no longer carry
	// a later hard stop, so that one comes from hardStop.
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(jobCtx))
	defer cancel(nil)
	stopJob := context.AfterFunc(jobCtx, func() {
		if !errors.Is(jobCtx.Err(), context.DeadlineExceeded) {
			cancel(context.Cause(jobCtx))
		}
	})
	defer stopJob()
	if w.hardStop != nil {
		stopHard := context.AfterFunc(w.hardStop, func() { cancel(context.Cause(w.hardStop)) })
		defer stopHard()
	}
	run, err := w.engine.Run(ctx, syncID, opts)
	switch {
	case err == nil:
		if w.succeeded != nil {
			w.succeeded()
		}
		return nil
	case errors.Is(err, ErrBusy):
		// Completing the job would leave its due time served by nothing; try again soon, when
		// the other run will have started after Due (and so served it) or the lock is free.
		return river.JobSnooze(busySnooze)
	case errors.Is(err, controlplane.ErrSchemaTooNew):
		// A newer Backflow migrated the control plane: this runner started nothing (see
		// AcquireSync) and stops (see Daemon.Run). The job waits for a replica that knows the
		// schema.
		if w.tooNew != nil {
			w.tooNew()
		}
		return river.JobSnooze(busySnooze)
	case errors.Is(err, ErrEndNotRecorded):
		// The control plane went away before the run's end was written: its record says running,
		// and a `trigger --wait` or the API would wait on it for ever. The job is worked again
		// once the control plane is back; that run closes this record (the sync's next run
		// closes any run left running) and records its own.
		return river.JobSnooze(endNotRecordedSnooze)
	case run != nil && run.Status == controlplane.RunCanceled:
		// Stopping, or the sync was taken over by another runner while this run went on (its
		// record closed as canceled): hand the job back, to be worked at once by a replica that
		// is still running (or by this one when it starts again), which finds whether a run
		// since has served it; snoozing does not use up attempts.
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
	// another replica: it bounds how long a crashed runner's sync waits. It does not stop a live
	// run that takes longer: the replica given its job finds the sync's lock held and waits for
	// the run to finish. It is the jobs' River timeout too (River rescues no job whose timeout is
	// infinite). 0: 30 min.
	RescueAfter time.Duration
	// StopTimeout is how long a stop waits for running syncs before canceling them; 0: 30 s.
	StopTimeout time.Duration
	// DeliveryRetention is how long delivery-log rows are kept (see retention.go); 0:
	// controlplane.DefaultDeliveryRetention.
	DeliveryRetention time.Duration
	// RunRetention is how long ended runs are kept (see retention.go); 0:
	// controlplane.DefaultRunRetention.
	RunRetention time.Duration

	client   *river.Client[pgx.Tx]
	hardStop context.CancelCauseFunc
	// insert queues a job; nil: client.Insert (tests replace it).
	insert func(ctx context.Context, args SyncArgs) (*rivertype.JobInsertResult, error)
	// swept, when set (by tests), is called after each sweep of old delivery-log rows.
	swept func(n int64)
	// notifyBackoff, when set (by tests), is the wait before a notification's first retry.
	notifyBackoff time.Duration
	// nextDue is when each sync was last logged as next due (schedule's goroutine only).
	nextDue map[int64]time.Time
	// earliest is the earliest due time after passAt the last scheduling pass found (zero: none).
	earliest time.Time
	// polled, when set (by tests), gets a value after each scheduling pass, if there is room:
	// tests wait on it instead of sleeping to prove that a pass did not queue something.
	polled chan struct{}
	// wake asks for a scheduling pass now (see poke).
	wake chan struct{}
	// passAt is the control plane's clock when the last scheduling pass read it.
	passAt time.Time
	// clock is the runner's own clock (nil: time.Now; tests skew it). No decision reads it: it
	// is only compared with the control plane's, to warn of a skew (checkClock).
	clock func() time.Time
	// skewWarned is when the runner's clock was last said to be off (by the runner's clock).
	skewWarned time.Time
}

// MaxClockSkew is how far the runner's clock may be from the control plane's before the daemon
// warns. Its decisions are on the control plane's clock, but the webhook-timestamp it signs
// with is its own, which Standard Webhooks receivers refuse beyond 5 minutes.
const MaxClockSkew = time.Minute

// checkClock warns, once an hour while it lasts, when the runner's clock is more than
// MaxClockSkew from cpNow, the control plane's clock just read.
func (d *Daemon) checkClock(cpNow time.Time) {
	local := time.Now()
	if d.clock != nil {
		local = d.clock()
	}
	skew := local.Sub(cpNow)
	if skew.Abs() <= MaxClockSkew || !d.skewWarned.IsZero() && time.Since(d.skewWarned) < time.Hour {
		return
	}
	d.skewWarned = time.Now()
	d.logger().Warn("the runner's clock is off the control plane's (said once an hour while it lasts): schedules, "+
		"retention and notification retries follow the control plane's clock, but receivers that check the "+
		"webhook-timestamp of signed requests (Standard Webhooks allows 5 minutes) may refuse this runner's; "+
		"sync the clock (NTP)", "skew", skew.Round(time.Second).String())
}

// poke asks for a scheduling pass at once: a run succeeded, and syncs that run after it may be
// due. Other replicas, and runs of the foreground sync command, are seen at the next poll.
func (d *Daemon) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Daemon) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}

// Run works jobs and schedules syncs until ctx ends, then stops gracefully: running syncs get
// StopTimeout to finish, then are canceled (recorded `canceled`). River's tables are created
// with the control plane's, when the store is opened (controlplane.Migrate).
func (d *Daemon) Run(ctx context.Context) error {
	store := d.Engine.Store
	rescue := d.RescueAfter
	if rescue <= 0 {
		rescue = 30 * time.Minute
	}
	hardStop, cancelHard := context.WithCancelCause(context.Background())
	defer cancelHard(nil)
	d.hardStop = cancelHard
	workers := river.NewWorkers()
	d.wake = make(chan struct{}, 1)
	jr := jobRunner{engine: d.Engine, log: d.logger(), rescueAfter: rescue, hardStop: hardStop, succeeded: d.poke, tooNew: d.poke}
	river.AddWorker(workers, &syncWorker{jobRunner: jr})
	river.AddWorker(workers, &triggerWorker{jobRunner: jr})
	maxSyncs := d.MaxSyncs
	if maxSyncs <= 0 {
		maxSyncs = 4
	}
	client, err := river.NewClient(store.RiverDriver(), &river.Config{
		Schema:               controlplane.Schema,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxSyncs}},
		Workers:              workers,
		JobTimeout:           rescue, // the worker's Timeout says the same
		RescueStuckJobsAfter: rescue,
		Logger:               slog.New(demoteInfo{d.logger().Handler()}).With("component", "river"),
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
	d.checkSecretKey(ctx)
	rctx, stopRetention := context.WithCancel(ctx)
	retained := make(chan struct{})
	go func() {
		defer close(retained)
		keep := cmp.Or(d.DeliveryRetention, controlplane.DefaultDeliveryRetention)
		runs := cmp.Or(d.RunRetention, controlplane.DefaultRunRetention)
		(&retention{store: store, keep: keep, runs: runs, log: d.logger(), swept: d.swept}).run(rctx)
	}()
	defer func() { stopRetention(); <-retained }()
	notified := make(chan struct{})
	go func() {
		defer close(notified)
		(&notifier{store: store, client: d.Engine.Client, tokens: &d.Engine.tokens, pace: d.Engine.pacer, log: d.logger(),
			metrics: d.Engine.Metrics, baseBackoff: d.notifyBackoff}).run(rctx)
	}()
	defer func() { stopRetention(); <-notified }()

	poll := d.PollInterval
	if poll <= 0 {
		poll = 10 * time.Second
	}
	for {
		// Polls every poll interval, and wakes for the earliest due time before that, so that a
		// run starts when it is due rather than at the next poll.
		wake := time.NewTimer(poll)
		// A newer Backflow migrated the control plane while this daemon ran (an upgrade with
		// the old replicas left running): it stops, as it would have refused to start, instead of
		// running syncs, sweeps and notifications on a schema it does not know. Its running
		// syncs finish first; jobs stay queued for the replicas that know the schema.
		if err := store.CheckSchema(ctx); errors.Is(err, controlplane.ErrSchemaTooNew) {
			wake.Stop()
			d.logger().Error("stopping: the control plane was migrated by a newer Backflow", "err", err)
			if serr := d.stop(); serr != nil {
				return errors.Join(err, serr)
			}
			return err
		}
		if err := d.schedule(ctx); err != nil && ctx.Err() == nil {
			d.logger().Error("could not schedule syncs", "err", err)
		}
		if d.polled != nil {
			select {
			case d.polled <- struct{}{}:
			default:
			}
		}
		if !d.earliest.IsZero() {
			wake.Reset(min(poll, max(d.earliest.Sub(d.passAt), 0)))
		}
		select {
		case <-ctx.Done():
			wake.Stop()
			return d.stop()
		case <-wake.C:
		case <-d.wake:
			wake.Stop()
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
	d.hardStop(errors.New("the runner is stopping and the stop timeout passed"))
	cctx, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	if err := d.client.StopAndCancel(cctx); err != nil {
		return fmt.Errorf("stop the job queue: running syncs had not ended 30s after they were canceled (a control plane "+
			"that does not answer holds their last writes); the next run closes what they left running: %w", err)
	}
	return nil
}

// schedule inserts a unique job for every sync that is due.
func (d *Daemon) schedule(ctx context.Context) error {
	store := d.Engine.Store
	// Cleared first: a pass that fails (the control plane unreachable) leaves none, and the
	// loop waits its poll interval, not the last pass's gap to its earliest due time, again
	// and again for the whole outage.
	d.earliest = time.Time{}
	syncs, err := store.ListSyncs(ctx)
	if err != nil {
		return err
	}
	bases, err := store.ScheduleBases(ctx)
	if err != nil {
		return err
	}
	// Due times count from the control plane's clock (a run's slot or start), so they are
	// judged on it: on the runner's, a runner ahead ran each slot early by its skew, and one
	// behind ran none until its clock caught up.
	now, err := store.Now(ctx)
	if err != nil {
		return err
	}
	d.passAt = now
	d.checkClock(now)
	failed := 0
	var lag time.Duration // of the sync furthest behind: backflow_schedule_lag_seconds
	for _, y := range syncs {
		if y.Paused {
			continue
		}
		// The base (Store.ScheduleBases) depends only on the control plane, so every replica
		// computes the same due time.
		due, ok, err := schedule.NextDue(y.ScheduleEvery, y.ScheduleCron, y.CreatedAt, bases[y.ID], now)
		if err != nil {
			d.logger().Error("sync has a bad schedule", "sync", y.Name, "err", err)
			continue
		}
		if ok && !due.After(now) {
			// Behind since its first slot no run has started for (NextDue as of its base), which
			// may be older than the slot due now: a run is due at its latest slot only. Not
			// before the sync was last changed (created, unpaused, its schedule set): the slots
			// of a pause, or of a schedule it no longer has, are not a wait for a run, and
			// counted so, a sync resumed after a pause of an hour said it had waited an hour.
			if first, _, err := schedule.NextDue(y.ScheduleEvery, y.ScheduleCron, y.CreatedAt, bases[y.ID], bases[y.ID]); err == nil {
				lag = max(lag, now.Sub(later(first, y.UpdatedAt)))
			}
		}
		if ok && due.After(now) {
			d.noteNextDue(y, due, now)
			if d.earliest.IsZero() || due.Before(d.earliest) {
				d.earliest = due
			}
		}
		if !ok || due.After(now) {
			continue
		}
		args := SyncArgs{SyncID: y.ID, Due: due, Version: y.UpdatedAt.UTC()}
		res, err := d.queue(ctx, args)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// One sync's failure must not keep the others from being scheduled.
			d.logger().Error("could not queue a scheduled run; trying again at the next poll", "sync", y.Name, "err", err)
			failed++
			continue
		}
		if !res.UniqueSkippedAsDuplicate {
			d.logger().Debug("queued a scheduled run", "sync", y.Name, "due", due)
		}
	}
	d.Engine.Metrics.scheduled(lag)
	n, err := d.scheduleSequences(ctx, syncs)
	if err != nil {
		return err
	}
	failed += n
	if failed > 0 {
		return fmt.Errorf("%d of %d syncs could not be queued (each is logged above)", failed, len(syncs))
	}
	return nil
}

func (d *Daemon) queue(ctx context.Context, args SyncArgs) (*rivertype.JobInsertResult, error) {
	if d.insert != nil {
		return d.insert(ctx, args)
	}
	return d.client.Insert(ctx, args, nil)
}

// scheduleSequences queues a run of every sync whose parents (schedule.after) have all succeeded
// since its last run (controlplane.SequenceState.Ready), read from run records. The job is
// unique by the parent runs, so every replica and every pass queue it once. It returns how many
// could not be queued (each is logged).
func (d *Daemon) scheduleSequences(ctx context.Context, syncs []*controlplane.Sync) (failed int, err error) {
	states, err := d.Engine.Store.SequenceStates(ctx)
	if err != nil {
		return 0, err
	}
	byID := make(map[int64]*controlplane.Sync, len(syncs))
	for _, y := range syncs {
		byID[y.ID] = y
	}
	for _, st := range states {
		y := byID[st.SyncID]
		if y == nil || y.Paused {
			continue
		}
		runs, since, ok := st.Ready()
		if !ok {
			continue
		}
		res, err := d.queue(ctx, SyncArgs{SyncID: y.ID, Due: since.UTC(), Version: y.UpdatedAt.UTC(), ParentRuns: runs})
		if err != nil {
			if ctx.Err() != nil {
				return failed, ctx.Err()
			}
			d.logger().Error("could not queue a run after its parents; trying again at the next poll", "sync", y.Name, "err", err)
			failed++
			continue
		}
		if !res.UniqueSkippedAsDuplicate {
			d.logger().Info("queued a run after its parents succeeded", "sync", y.Name, "parent_runs", runs)
		}
	}
	return failed, nil
}

// noteNextDue logs at debug when sync y is next due, once per due time (not at every poll).
func (d *Daemon) noteNextDue(y *controlplane.Sync, due, now time.Time) {
	if d.nextDue == nil {
		d.nextDue = make(map[int64]time.Time)
	}
	if d.nextDue[y.ID].Equal(due) {
		return
	}
	d.nextDue[y.ID] = due
	d.logger().Debug("sync next due", "sync", y.Name, "due", due.UTC().Format(time.RFC3339), "in", due.Sub(now).Round(time.Second).String())
}

// Handler serves /healthz (the control plane answers), when metrics is non-nil /metrics, the
// status page (statuspage.go), which asks for BACKFLOW_API_TOKEN when it is set, and, when that
// token is set and queue is non-nil, the API (api.go).
func Handler(store *controlplane.Store, metrics http.Handler, queue *RunQueue) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := pingControlPlane(ctx, store); err != nil {
			http.Error(w, "control plane unreachable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	token := apiTokenFromEnv()
	gate := make(controlPlaneGate, HTTPControlPlaneConns)
	registerStatusPage(mux, store, token, gate)
	registerAPI(mux, store, queue, token, gate)
	return mux
}

// HTTPControlPlaneConns is how many requests of the status page and the API read the control
// plane at once (each holds at most one of the pool's connections at a time); the others wait
// for one of them, within controlPlaneWait. Unbounded, requests that a lock held them on (another
// tool's LOCK TABLE, a long migration) took every connection of the daemon's pool, 15 s each:
// its runs waited for one, and /healthz answered 503 "control plane unreachable" while the
// control plane answered, which restarts a daemon whose liveness probe reads it. `run` sizes
// its pool with these on top of what its runs need.
const HTTPControlPlaneConns = 4

// controlPlaneGate holds a slot for each request reading the control plane (HTTPControlPlaneConns);
// nil: unbounded.
type controlPlaneGate chan struct{}

// controlPlaneWait bounds how long a request of the status page or the API waits for the control
// plane: one that stopped answering (a hung server, a network that drops packets) does not fail
// a call, it never answers it, and these requests (a CI step without a timeout of its own, a
// browser) waited with it for ever instead of getting the 503 they are promised.
var controlPlaneWait = 15 * time.Second

// boundedByControlPlane runs next with a context that ends controlPlaneWait from now, once it has
// a slot of gate; a request that gets none within controlPlaneWait is answered busy (a 503
// saying why) without reading the control plane.
func boundedByControlPlane(gate controlPlaneGate, busy func(http.ResponseWriter, string), next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if gate != nil {
			// The body comes before the slot, which is the control plane's: a client that sends
			// its body slowly, or stops halfway, held a slot for as long as the server reads it
			// (its ReadTimeout), and four of them made every other request 503 busy.
			r = withBodyRead(r)
		}
		ctx, cancel := context.WithTimeout(r.Context(), controlPlaneWait)
		defer cancel()
		if gate != nil {
			select {
			case gate <- struct{}{}:
				// The slot is the control plane's: it goes back once the answer starts (the page
				// and the JSON are made before), not once a client that reads slowly, or not at
				// all, has taken it: the server has no write timeout.
				var once sync.Once
				release := func() { once.Do(func() { <-gate }) }
				defer release()
				w = &releaseOnAnswer{ResponseWriter: w, release: release}
			case <-ctx.Done():
				w.Header().Set("Retry-After", "5")
				busy(w, fmt.Sprintf("busy: %d requests of the status page and the API have been reading the control plane "+
					"for a while (a lock held by another session?); try again later", cap(gate)))
				return
			}
		}
		next(w, r.WithContext(ctx))
	}
}

// pingControlPlane pings the control plane through the store's pool. After the server restarted,
// the pool's idle connections are dead, and a ping on one fails (the pool checks only those idle
// for over a second, and a daemon's are busier than that): it is dropped, and the ping is tried on
// the next, up to a fresh connection, so that /healthz says whether the server answers, not
// whether a connection the pool kept from before still works.
func pingControlPlane(ctx context.Context, store *controlplane.Store) error {
	tries := 1
	if p := store.Pool(); p != nil {
		tries += int(p.Stat().IdleConns())
	}
	var err error
	for range tries {
		if err = store.Ping(ctx); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// checkSecretKey logs an error at start when the secret key cannot open the connections of the
// syncs (their warehouses and destinations, and the destinations of their notifications), naming
// them: with a wrong BACKFLOW_SECRET_KEY every run of theirs fails, and the alerts cannot say so.
// It changes nothing: the daemon runs, since syncs whose connections it opens still work.
//
// It warns of connections sealed by an earlier release without being bound to their row
// (controlplane.KeyCheck.Unbound), which a rekey to the same key binds.
func (d *Daemon) checkSecretKey(ctx context.Context) {
	kc, err := d.Engine.Store.CheckKeyInUse(ctx)
	if err != nil {
		return // the scheduling pass reports it
	}
	named := func(cs []controlplane.NamedConnection) (ids, names string) {
		is := make([]string, len(cs))
		ns := make([]string, len(cs))
		for i, c := range cs {
			is[i], ns[i] = strconv.FormatInt(c.ID, 10), strconv.Quote(c.Name)
		}
		return strings.Join(is, ","), strings.Join(ns, ",")
	}
	if len(kc.Unopened) > 0 {
		ids, names := named(kc.Unopened)
		d.logger().Error(controlplane.SecretKeyEnv+" cannot open the secrets of connections the syncs use: their runs, and "+
			"notifications sent through them, fail until the daemon has the key they were sealed with (see Rotating the secret key)",
			"connections", fmt.Sprintf("%d of %d", len(kc.Unopened), kc.InUse), "connection_ids", ids,
			"connection_names", names, "err", controlplane.ErrWrongKey)
	}
	if len(kc.Unbound) > 0 {
		ids, names := named(kc.Unbound)
		d.logger().Warn("connections the syncs use have secrets sealed by an earlier release, not bound to their connection: "+
			"their sealed bytes, and any copy of them (a backup or dump of the control plane), open in another connection's "+
			"row too. Run `backflow-runner rekey` to a new key to bind them and retire those copies (see Rotating the secret "+
			"key); a rekey to the same key binds them, but copies taken before still open under it",
			"connections", fmt.Sprintf("%d of %d", len(kc.Unbound), kc.InUse), "connection_ids", ids,
			"connection_names", names)
	}
}

// withBodyRead is r with the first bytes of its body (as many as a run request may hold, and one
// more) already read: its handler reads the body as it came, the read's error too, without
// waiting on the client for what it bounds its reading to.
func withBodyRead(r *http.Request) *http.Request {
	if r.Body == nil || r.Body == http.NoBody {
		return r
	}
	head, err := io.ReadAll(io.LimitReader(r.Body, maxRunRequestBody+1))
	rest := io.Reader(r.Body)
	if err != nil {
		rest = failedRead{err}
	}
	r2 := *r
	r2.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), rest), r.Body}
	return &r2
}

// failedRead is a reader whose reads fail with err.
type failedRead struct{ err error }

func (f failedRead) Read([]byte) (int, error) { return 0, f.err }

// releaseOnAnswer calls release when its handler starts answering (WriteHeader, or a Write
// without it).
type releaseOnAnswer struct {
	http.ResponseWriter
	release func()
}

func (w *releaseOnAnswer) WriteHeader(code int) {
	w.release()
	w.ResponseWriter.WriteHeader(code)
}

func (w *releaseOnAnswer) Write(b []byte) (int, error) {
	w.release()
	return w.ResponseWriter.Write(b)
}

// later is the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
