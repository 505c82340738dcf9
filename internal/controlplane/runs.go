package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
)

// Run statuses.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunCanceled  = "canceled"
	// RunBlocked: the run would have exceeded the sync's guard, and sent nothing.
	RunBlocked = "blocked"
)

// Run triggers.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
	TriggerFull     = "full"
	// TriggerMark: the run recorded the model's records as delivered without sending them (a
	// skip_existing sync's first run, or `sync --mark-delivered`).
	TriggerMark = "mark"
	// TriggerAfter: the sync's parents (schedule.after) had all succeeded since its last run;
	// the run records which parent runs (Run.ParentRuns).
	TriggerAfter = "after"
	// TriggerQueued: a run queued from outside the schedule, by `backflow-runner trigger` or the
	// daemon's API (POST /v1/syncs/{id}/runs), and executed by a daemon; Run.JobID is its job.
	TriggerQueued = "queued"
)

// RunCounts are a run's counters. New, Changed and Deleted count what the diff found to send;
// Delivered, Rejected and Failed count what became of it.
type RunCounts struct {
	Extracted int64 `json:"extracted"`
	Invalid   int64 `json:"invalid"`
	New       int64 `json:"new"`
	Changed   int64 `json:"changed"`
	Deleted   int64 `json:"deleted"`
	Delivered int64 `json:"delivered"`
	Rejected  int64 `json:"rejected"`
	Failed    int64 `json:"failed"`
	// Of the delivered records, those a `request` block's answers delivered (see
	// docs/destinations.md, "Answers that mean done"): creates answered 409 Conflict and sent
	// again as the changed request; updates answered 404 Not Found and sent again as the new
	// request; creates answered 409 after an attempt that may have delivered them (append);
	// deletes answered 404.
	ResentAfterConflict int64 `json:"resent_after_conflict"`
	ResentAfterNotFound int64 `json:"resent_after_not_found"`
	PresentOnConflict   int64 `json:"present_on_conflict"`
	AbsentOnDelete      int64 `json:"absent_on_delete"`
}

// Run is one execution of a sync.
type Run struct {
	ID             int64
	SyncID         int64
	SyncName       string // filled by ListRuns and GetRun
	Status         string
	Trigger        string
	StartedAt      time.Time
	FinishedAt     time.Time // zero while running
	Counts         RunCounts
	InvalidSamples json.RawMessage // a JSON array
	Error          string
	// Pace is the pace the run's requests ended at: PaceRate requests per second (0: not
	// paced) and PaceConcurrency in flight (0: the run sent nothing).
	PaceRate        float64
	PaceConcurrency int
	// ParentRuns are the parent runs whose success started this run (trigger after).
	ParentRuns []int64
	// JobID is the job that ran a run queued from outside (trigger queued); 0: none.
	JobID int64
	// ReadMode is what a cursor sync's run read: ReadFull or ReadIncremental (empty for a sync
	// without a cursor); ReadFrom the cursor value an incremental read started from.
	ReadMode, ReadFrom string
	// NextCursor, set by the runner, is stored with the run's end if the run succeeded (see
	// SyncLease.Finish): a failed run leaves the sync's mark as it was.
	NextCursor *CursorState
	// RetriedEveryRejected, set by the runner, says the run sent again every record listed as
	// rejected that it still had to send (it read every record and diffed them all: no
	// incremental, --full or marking run): if it succeeded, the rejections earlier runs recorded
	// that it did not record again are of records it did not send (gone from the model, or back
	// to the version delivered), and SyncLease.Finish removes them.
	RetriedEveryRejected bool
}

// PaceText says the pace the run's requests ended at (pacing.Describe); "" when it sent nothing.
func (r *Run) PaceText() string {
	if r.PaceConcurrency == 0 {
		return ""
	}
	return pacing.Describe(r.PaceRate, r.PaceConcurrency)
}

// RunStart is what a run records when it starts.
type RunStart struct {
	Trigger string
	// Due is the schedule slot the run serves (zero: none, a run started by hand); the sync's
	// next slot counts from it (see ScheduleBases).
	Due        time.Time
	ParentRuns []int64
	JobID      int64
}

// Duration is how long the run took, or has taken so far: for a running run, on the reader's
// clock against the control plane's start, so off by their skew, and never below zero (a
// reader whose clock is behind).
func (r *Run) Duration() time.Duration {
	if r.FinishedAt.IsZero() {
		return max(time.Since(r.StartedAt), 0)
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// Served reports whether the run ended having done its work: succeeded, failed or blocked, as
// endedServed says in SQL. A canceled run (a stop handed its work back, or its runner died) did
// not, nor one still running.
func (r *Run) Served() bool {
	return r.Status == RunSucceeded || r.Status == RunFailed || r.Status == RunBlocked
}

const runColumns = `r.id, r.sync_id, coalesce(s.name, ''), r.status, r.trigger, r.started_at, r.finished_at,
	r.extracted, r.invalid, r.new, r.changed, r.deleted, r.delivered, r.rejected, r.failed,
	r.resent_after_conflict, r.resent_after_not_found, r.present_on_conflict, r.absent_on_delete,
	r.invalid_samples, coalesce(r.error, ''), coalesce(r.pace_rate, 0), coalesce(r.pace_concurrency, 0),
	coalesce(r.parent_runs, '{}'), coalesce(r.job_id, 0),
	coalesce(r.read_mode, ''), coalesce(r.read_from, '')`

func scanRun(row pgx.Row) (*Run, error) {
	var r Run
	var finished *time.Time
	c := &r.Counts
	err := row.Scan(&r.ID, &r.SyncID, &r.SyncName, &r.Status, &r.Trigger, &r.StartedAt, &finished,
		&c.Extracted, &c.Invalid, &c.New, &c.Changed, &c.Deleted, &c.Delivered, &c.Rejected, &c.Failed,
		&c.ResentAfterConflict, &c.ResentAfterNotFound, &c.PresentOnConflict, &c.AbsentOnDelete,
		&r.InvalidSamples, &r.Error, &r.PaceRate, &r.PaceConcurrency, &r.ParentRuns, &r.JobID,
		&r.ReadMode, &r.ReadFrom)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if finished != nil {
		r.FinishedAt = *finished
	}
	return &r, nil
}

// StartRun records a new running run of a sync.
func (s *Store) StartRun(ctx context.Context, syncID int64, trigger string) (*Run, error) {
	return s.StartRunAt(ctx, syncID, trigger, time.Time{})
}

// StartRunAt records a new running run of a sync that serves the schedule slot due (zero: none,
// a run started by hand). The next slot counts from due (see ScheduleBases).
func (s *Store) StartRunAt(ctx context.Context, syncID int64, trigger string, due time.Time) (*Run, error) {
	return startRun(ctx, s.db, syncID, RunStart{Trigger: trigger, Due: due})
}

// execQuerier is a pool or a transaction.
type execQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func startRun(ctx context.Context, q execQuerier, syncID int64, st RunStart) (*Run, error) {
	r := &Run{SyncID: syncID, Status: RunRunning, Trigger: st.Trigger, InvalidSamples: json.RawMessage("[]"),
		ParentRuns: st.ParentRuns, JobID: st.JobID}
	var slot *time.Time
	if !st.Due.IsZero() {
		slot = &st.Due
	}
	var parents []int64 // NULL unless set
	if len(st.ParentRuns) > 0 {
		parents = st.ParentRuns
	}
	var job *int64
	if st.JobID != 0 {
		job = &st.JobID
	}
	err := q.QueryRow(ctx, `INSERT INTO backflow.sync_runs (sync_id, status, trigger, scheduled_for, parent_runs, job_id)
		VALUES ($1, 'running', $2, $3, $4, $5) RETURNING id, started_at`, syncID, st.Trigger, slot, parents, job).Scan(&r.ID, &r.StartedAt)
	if err != nil {
		return nil, fmt.Errorf("record the start of a run of sync %d: %w", syncID, refErr(err))
	}
	return r, nil
}

// setRunCounts is the statement that sets run id's counters, as literals: the ledger commits
// send it with their other statements in one round trip, where parameters would need another.
func setRunCounts(id int64, c RunCounts) string {
	return `UPDATE backflow.sync_runs SET extracted = ` + itoa(c.Extracted) + `, invalid = ` + itoa(c.Invalid) +
		`, new = ` + itoa(c.New) + `, changed = ` + itoa(c.Changed) + `, deleted = ` + itoa(c.Deleted) +
		`, delivered = ` + itoa(c.Delivered) + `, rejected = ` + itoa(c.Rejected) + `, failed = ` + itoa(c.Failed) +
		`, resent_after_conflict = ` + itoa(c.ResentAfterConflict) + `, resent_after_not_found = ` + itoa(c.ResentAfterNotFound) +
		`, present_on_conflict = ` + itoa(c.PresentOnConflict) + `, absent_on_delete = ` + itoa(c.AbsentOnDelete) +
		` WHERE id = ` + itoa(id)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// storableSamples is samples as jsonb can hold them. jsonb refuses two escapes that JSON text
// may carry: \u0000, a NUL (MySQL's and DuckDB's text can hold one), and a UTF-16 surrogate
// without its pair, such as "\ud800" (a Postgres json value, which keeps its text as written, can
// hold one); one invalid record with either kept its run's end from being recorded. Samples with
// an escape are decoded and encoded again: each NUL in their strings becomes U+FFFD, and so
// does each lone surrogate (as encoding/json decodes it), and each byte that is not UTF-8.
// Samples that are not JSON are kept as a JSON string of their text. Samples show what was
// wrong with a record; they are not sent anywhere.
func storableSamples(samples json.RawMessage) json.RawMessage {
	if len(samples) == 0 || !bytes.Contains(samples, []byte(`\u`)) && utf8.Valid(samples) && json.Valid(samples) {
		return samples
	}
	asText := func() json.RawMessage {
		b, _ := json.Marshal(storableText(string(samples)))
		return b
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(samples))
	d.UseNumber()
	if err := d.Decode(&v); err != nil || d.More() {
		return asText()
	}
	var clean func(any) any
	clean = func(v any) any {
		switch v := v.(type) {
		case string:
			return storableText(v)
		case []any:
			for i := range v {
				v[i] = clean(v[i])
			}
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, x := range v {
				out[storableText(k)] = clean(x)
			}
			return out
		}
		return v
	}
	out, err := json.Marshal(clean(v))
	if err != nil {
		return asText()
	}
	return out
}

// storableText is s as Postgres text can hold it: each NUL, and each run of bytes that are not
// UTF-8 (a warehouse's error message quoting a binary value), replaced by U+FFFD.
func storableText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// FinishRun records a run's end: its status, final counters, invalid samples and error text. It
// is not fenced: a runner records a run's end with SyncLease.Finish.
func (s *Store) FinishRun(ctx context.Context, r *Run) error { return finishRun(ctx, s.db, r) }

func finishRun(ctx context.Context, q querier, r *Run) error {
	samples := storableSamples(r.InvalidSamples)
	if len(samples) == 0 {
		samples = json.RawMessage("[]")
	}
	c := r.Counts
	var errText *string
	if r.Error != "" {
		e := storableText(r.Error)
		errText = &e
	}
	err := q.QueryRow(ctx, `UPDATE backflow.sync_runs SET status = $2, finished_at = now(),
		extracted = $3, invalid = $4, new = $5, changed = $6, deleted = $7, delivered = $8, rejected = $9,
		failed = $10, invalid_samples = $11, error = $12, pace_rate = nullif($13, 0::float8),
		pace_concurrency = nullif($14, 0), read_mode = $15, read_from = $16,
		resent_after_conflict = $17, resent_after_not_found = $18, present_on_conflict = $19, absent_on_delete = $20
		WHERE id = $1 RETURNING finished_at`, r.ID, r.Status,
		c.Extracted, c.Invalid, c.New, c.Changed, c.Deleted, c.Delivered, c.Rejected, c.Failed,
		samples, errText, r.PaceRate, r.PaceConcurrency, nullable(r.ReadMode), nullable(r.ReadFrom),
		c.ResentAfterConflict, c.ResentAfterNotFound, c.PresentOnConflict, c.AbsentOnDelete).Scan(&r.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("run %d: %w", r.ID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("record the end of run %d: %w", r.ID, err)
	}
	return nil
}

// OnlyMarkRuns reports whether every run sync syncID ever had recorded its records without
// sending them (trigger mark) and none succeeded: a skip_existing sync goes on marking until
// then. A run of any other kind may have sent records, so once one started marking stops (a
// marking run drops gone keys from the ledger without sending `deleted`).
func (s *Store) OnlyMarkRuns(ctx context.Context, syncID int64) (bool, error) {
	var other bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM backflow.sync_runs
		WHERE sync_id = $1 AND (status = 'succeeded' OR trigger <> 'mark'))`, syncID).Scan(&other)
	if err != nil {
		return false, fmt.Errorf("read the runs of sync %d: %w", syncID, err)
	}
	return !other, nil
}

// GetRun reads a run by id.
func (s *Store) GetRun(ctx context.Context, id int64) (*Run, error) {
	return scanRun(s.db.QueryRow(ctx, `SELECT `+runColumns+`
		FROM backflow.sync_runs r LEFT JOIN backflow.syncs s ON s.id = r.sync_id WHERE r.id = $1`, id))
}

// NewestSettledRun reads sync syncID's newest run that succeeded or was blocked (Run.Served, but
// for failed runs, which leave a block as it was: an --accept-guard run that fails has not
// answered it); ErrNotFound if there is none. One probe of the partial index of endedServed
// (newestRun), passing over the failed runs since.
func (s *Store) NewestSettledRun(ctx context.Context, syncID int64) (*Run, error) {
	return scanRun(s.db.QueryRow(ctx, `SELECT `+runColumns+`
		FROM backflow.sync_runs r LEFT JOIN backflow.syncs s ON s.id = r.sync_id
		WHERE r.id = `+newestRun("$1", endedServed+` AND r.status <> 'failed'`), syncID))
}

// AnsweredSince reports whether sync syncID had a run after run runID that answered it: one
// that succeeded, or failed or was canceled having delivered records (an --accept-guard run the
// endpoint took part of, or one stopped midway: what it sent was the blocked run's, and a retry
// accepting the block again would send it past the guard once more). Runs of a sync start in the order of their ids: each holds the
// sync's lock from before it is recorded.
func (s *Store) AnsweredSince(ctx context.Context, syncID, runID int64) (bool, error) {
	var since bool
	err := s.db.QueryRow(ctx, `SELECT coalesce(`+newestRun("$1", `r.status = 'succeeded'`)+` > $2, false)
		OR EXISTS (SELECT 1 FROM backflow.sync_runs r WHERE r.sync_id = $1 AND r.id > $2 AND r.status IN ('failed', 'canceled') AND r.delivered > 0)`,
		syncID, runID).Scan(&since)
	if err != nil {
		return false, fmt.Errorf("read the runs of sync %d: %w", syncID, err)
	}
	return since, nil
}

// RunOfJob reads the newest run that job jobID ran (a run queued from outside; see Run.JobID).
func (s *Store) RunOfJob(ctx context.Context, jobID int64) (*Run, error) {
	return scanRun(s.db.QueryRow(ctx, `SELECT `+runColumns+`
		FROM backflow.sync_runs r LEFT JOIN backflow.syncs s ON s.id = r.sync_id WHERE r.job_id = $1
		ORDER BY r.id DESC LIMIT 1`, jobID))
}

// ListRuns returns the newest runs first, of one sync (syncID > 0) or of all.
func (s *Store) ListRuns(ctx context.Context, syncID int64, limit int) ([]*Run, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.db.Query(ctx, `SELECT `+runColumns+`
		FROM backflow.sync_runs r LEFT JOIN backflow.syncs s ON s.id = r.sync_id
		WHERE $1 = 0 OR r.sync_id = $1 ORDER BY r.id DESC LIMIT $2`, syncID, limit)
	runs, err := collect(rows, err, scanRun)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return runs, nil
}

// RecentRuns returns every sync's newest runs (at most limit each, newest first), by sync id, in
// one query: one round trip to the control plane however many syncs there are (the status page's
// overview reads them all, within a bound on its wait). A sync without runs is absent.
func (s *Store) RecentRuns(ctx context.Context, limit int) (map[int64][]*Run, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.db.Query(ctx, `SELECT `+runColumns+`
		FROM backflow.syncs s CROSS JOIN LATERAL (SELECT * FROM backflow.sync_runs r
			WHERE r.sync_id = s.id ORDER BY r.id DESC LIMIT $1) r
		ORDER BY r.sync_id, r.id DESC`, limit)
	runs, err := collect(rows, err, scanRun)
	if err != nil {
		return nil, fmt.Errorf("list recent runs: %w", err)
	}
	bySync := make(map[int64][]*Run)
	for _, r := range runs {
		bySync[r.SyncID] = append(bySync[r.SyncID], r)
	}
	return bySync, nil
}

// AbandonRuns marks a sync's runs still recorded as running as canceled with reason. The runner
// calls it once it holds the sync's lock: any run still "running" then belonged to a runner that
// died (its lock died with its session). Such a run is recorded canceled, not failed: like a run
// stopped by SIGTERM it did not finish for reasons of its own, so it does not count as the run
// that served its schedule (see ScheduleBases) and its work is redone at once.
func (s *Store) AbandonRuns(ctx context.Context, syncID int64, reason string) (int64, error) {
	return abandonRuns(ctx, s.db, syncID, reason)
}

func abandonRuns(ctx context.Context, q execQuerier, syncID int64, reason string) (int64, error) {
	// failed stays what the run's last commit counted (the records not taken after the retries
	// by then), as a canceled run counts it (`runs`) and its runner's metric did: what the run
	// left unsent or unanswered is pending, sent by the next run, not failed.
	tag, err := q.Exec(ctx, `UPDATE backflow.sync_runs SET status = 'canceled', finished_at = now(), error = $2
		WHERE sync_id = $1 AND status = 'running'`, syncID, reason)
	if err != nil {
		return 0, fmt.Errorf("close abandoned runs of sync %d: %w", syncID, err)
	}
	return tag.RowsAffected(), nil
}

// ScheduleBases returns, per sync, what its next due time counts from: the latest of its runs
// that served its schedule (see servedRun), by the schedule slot it served, or by its start for
// a run started by hand. Syncs without one are absent. Every poll of every daemon replica reads
// it: per sync it costs one probe of an index (sync_runs_served_base) and one of the few running
// runs, however many runs the sync has had.
func (s *Store) ScheduleBases(ctx context.Context) (map[int64]time.Time, error) {
	rows, err := s.db.Query(ctx, `SELECT y.id, greatest(e.base, g.base) FROM backflow.syncs y
		LEFT JOIN LATERAL (SELECT `+runBase+` AS base FROM backflow.sync_runs r
			WHERE r.sync_id = y.id AND `+endedServed+` ORDER BY `+runBase+` DESC LIMIT 1) e ON true
		LEFT JOIN LATERAL (SELECT max(`+runBase+`) AS base FROM backflow.sync_runs r
			WHERE r.sync_id = y.id AND `+runningServed+`) g ON true
		WHERE e.base IS NOT NULL OR g.base IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("read the last runs: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]time.Time)
	for rows.Next() {
		var id int64
		var t time.Time
		if err := rows.Scan(&id, &t); err != nil {
			return nil, err
		}
		out[id] = t
	}
	return out, rows.Err()
}

// runBase is what a run that served its sync's schedule makes the next due time count from (see
// ScheduleBases), as indexed by sync_runs_served_base.
const runBase = `coalesce(r.scheduled_for, r.started_at)`

// LastRunStart is when sync syncID's newest run that served its schedule started (see
// servedRun), as SequenceState.LastStart; zero if there is none.
func (s *Store) LastRunStart(ctx context.Context, syncID int64) (time.Time, error) {
	t, _, err := s.LastRunServing(ctx, syncID)
	return t, err
}

// LastRunServing is LastRunStart, and whether that run is still running (its runner holds the
// sync's lock): it serves a job that came due before it started only if it ends so (succeeded,
// failed or blocked), not if it is canceled.
func (s *Store) LastRunServing(ctx context.Context, syncID int64) (start time.Time, running bool, err error) {
	err = s.db.QueryRow(ctx, lastRunStartSQL, syncID).Scan(&start, &running)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read the last run of sync %d: %w", syncID, err)
	}
	return start, running, nil
}

// newestRun is a query of the id of sync's newest run for which pred holds (SQL on a run r), no
// row if there is none. It is one probe of an index on (sync_id, id DESC) (sync_runs_sync_id, or a
// partial one whose predicate is pred), whatever the statistics: the plain form, WHERE r.sync_id
// = sync AND pred ORDER BY r.id DESC LIMIT 1, may be planned as a backward walk of the primary key
// until a run of the sync turns up, which for a sync that ran long ago, or has no such run, reads
// the runs of every sync. Ordered by (sync_id, id DESC) from sync on, it can only be read from
// such an index; the first run found may be of a later sync, and then sync has none.
func newestRun(sync, pred string) string {
	return `(SELECT n.id FROM (SELECT r.sync_id, r.id FROM backflow.sync_runs r WHERE r.sync_id >= ` + sync +
		` AND ` + pred + ` ORDER BY r.sync_id, r.id DESC LIMIT 1) n WHERE n.sync_id = ` + sync + `)`
}

// lastRunStartSQL is LastRunStart's statement ($1: the sync): its newest ended run that served
// its schedule (one probe of sync_runs_served; see newestRun) or its running ones that do (few),
// whichever is newer.
var lastRunStartSQL = `SELECT r.started_at, r.status = 'running' FROM backflow.sync_runs r WHERE r.id = (SELECT max(k.id) FROM (
	` + newestRun("$1", endedServed) + `
	UNION ALL
	SELECT r.id FROM backflow.sync_runs r WHERE r.sync_id = $1 AND ` + runningServed + `) k)`

// DefaultRunRetention is how long the daemon keeps the runs of its syncs (see DeleteOldRuns).
const DefaultRunRetention = 90 * 24 * time.Hour

// DeleteOldRuns deletes at most limit runs that ended before t, those that ended first first,
// skipping runs another transaction holds, and returns how many it deleted. It keeps, however
// old, every run something still reads:
//   - of each sync: its newest run; its newest run that served its schedule, by id (SequenceStates,
//     LastRunStart, a notification's previous run) and by the slot it served (ScheduleBases),
//     so that deleting it does not make the sync due at once; its newest succeeded run; and its
//     newest run that succeeded or did more than mark (OnlyMarkRuns: without it a skip_existing
//     sync would go back to marking its records delivered without sending them);
//   - a run not yet turned into notification events (QueueRunEvents), and the run such a run
//     compares with (its sync's served run before it), so that on_change sees the change;
//   - a run whose intents are outstanding (FullReadOwed reads the run's read_mode: without it a
//     cursor sync would read in full) and a run that rejected records name;
//   - a run queued from outside whose job the job queue still holds (River keeps a finished job
//     for a day): the queued run's status (GET /v1/runs/{id}, `trigger --wait`) is read from the
//     job and its run, and a finished job without its run reads as skipped.
//
// Running runs are never deleted. Nothing else refers to a run: the delivery log and the
// notification events keep its id, which outlives it. Ended runs are only appended, so a run
// kept for being the newest of something stays kept until a newer one of the same kind ends.
func (s *Store) DeleteOldRuns(ctx context.Context, t time.Time, limit int) (int64, error) {
	tag, err := s.db.Exec(ctx, deleteOldRunsSQL, t, limit)
	if err != nil {
		return 0, fmt.Errorf("delete runs that ended before %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}

// deleteOldRunsSQL is DeleteOldRuns's statement ($1: the time, $2: the limit).
var deleteOldRunsSQL = `WITH kept AS (
		SELECT k.id FROM backflow.syncs y CROSS JOIN LATERAL (
			` + newestRun("y.id", "true") + `
			UNION ALL
			` + newestRun("y.id", endedServed) + `
			UNION ALL
			(SELECT r.id FROM backflow.sync_runs r WHERE r.sync_id = y.id AND ` + endedServed + `
				ORDER BY ` + runBase + ` DESC, r.id DESC LIMIT 1)
			UNION ALL
			` + newestRun("y.id", "r.status = 'succeeded'") + `
			UNION ALL
			` + newestRun("y.id", "(r.status = 'succeeded' OR r.trigger <> 'mark')") + `
		) k
		UNION ALL
		SELECT p.id FROM backflow.sync_runs u CROSS JOIN LATERAL (` + newestRun("u.sync_id", "r.id < u.id AND "+endedServed) + `) p
		WHERE u.notified_at IS NULL
	)
	DELETE FROM backflow.sync_runs WHERE id IN (
		SELECT r.id FROM backflow.sync_runs r
		WHERE r.finished_at < $1 AND r.status <> 'running' AND r.notified_at IS NOT NULL
			AND r.id NOT IN (SELECT id FROM kept)
			AND NOT EXISTS (SELECT 1 FROM backflow.sync_intents i WHERE i.sync_id = r.sync_id AND i.run_id = r.id)
			AND NOT EXISTS (SELECT 1 FROM backflow.rejected_records x WHERE x.run_id = r.id)
			AND NOT EXISTS (SELECT 1 FROM backflow.river_job j WHERE j.id = r.job_id)
		ORDER BY r.finished_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED)`
