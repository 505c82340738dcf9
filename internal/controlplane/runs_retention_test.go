package controlplane_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// oldRun is a run of a sync as retention finds it, ended (unless running) ago before now.
type oldRun struct {
	status, trigger string
	ago             time.Duration // when it started, and ended a minute later
	slot            time.Duration // the schedule slot it served, that long ago; 0: none
	readMode        string
	unnotified      bool // not turned into notification events yet
}

// seedRuns records runs of sync syncID, oldest id first, and returns their ids.
func seedRuns(t *testing.T, store *controlplane.Store, syncID int64, runs ...oldRun) []int64 {
	t.Helper()
	var ids []int64
	for _, r := range runs {
		var id int64
		err := store.DB().QueryRow(context.Background(), `INSERT INTO backflow.sync_runs
			(sync_id, status, trigger, started_at, finished_at, scheduled_for, read_mode, notified_at)
			VALUES ($1, $2, $3, now() - $4::interval,
				CASE WHEN $2 <> 'running' THEN now() - $4::interval + interval '1 minute' END,
				CASE WHEN $5::interval > interval '0' THEN now() - $5::interval END, nullif($6, ''),
				CASE WHEN $2 <> 'running' AND NOT $7 THEN now() - $4::interval + interval '2 minutes' END)
			RETURNING id`, syncID, r.status, r.trigger, r.ago, r.slot, r.readMode, r.unnotified).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// sweepRuns deletes the runs that ended more than an hour ago as the daemon's retention does,
// two at a time, and returns the ids of syncID's runs left.
func sweepRuns(t *testing.T, store *controlplane.Store, syncID int64) []int64 {
	t.Helper()
	ctx := context.Background()
	for {
		n, err := store.DeleteOldRuns(ctx, time.Now().Add(-time.Hour), 2)
		if err != nil {
			t.Fatal(err)
		}
		if n < 2 {
			break
		}
	}
	runs, err := store.ListRuns(ctx, syncID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var left []int64
	for _, r := range runs {
		left = append(left, r.ID)
	}
	slices.Sort(left)
	return left
}

const day = 24 * time.Hour

func wantRunsLeft(t *testing.T, left []int64, want ...int64) {
	t.Helper()
	if !slices.Equal(left, want) {
		t.Errorf("runs left %v, want %v", left, want)
	}
}

// Old runs are deleted, but a sync's newest run is kept however old (here a canceled run, which
// nothing else keeps).
func TestDeleteOldRunsKeepsTheNewest(t *testing.T) {
	t.Parallel()
	store, y := newRunnerSync(t)
	ids := seedRuns(t, store, y.ID,
		oldRun{status: "succeeded", trigger: "manual", ago: 100 * day},
		oldRun{status: "succeeded", trigger: "manual", ago: 99 * day},
		oldRun{status: "succeeded", trigger: "manual", ago: 98 * day},
		oldRun{status: "canceled", trigger: "mark", ago: 97 * day})
	wantRunsLeft(t, sweepRuns(t, store, y.ID), ids[2], ids[3])
}

// The run a sync's schedule counts from is kept: the served run with the latest slot (not the
// newest one), so the next due time does not move back, and the newest served run, whose start
// LastRunStart (the daemon's "has this job been served?") reads.
func TestDeleteOldRunsKeepsTheRunTheScheduleCountsFrom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t)
	ids := seedRuns(t, store, y.ID,
		oldRun{status: "succeeded", trigger: "schedule", ago: 101 * day, slot: 101 * day},
		oldRun{status: "succeeded", trigger: "schedule", ago: 100 * day, slot: 100 * day}, // the newest succeeded
		oldRun{status: "failed", trigger: "schedule", ago: 99 * day, slot: 40 * day},      // the latest slot
		oldRun{status: "failed", trigger: "manual", ago: 98 * day},                        // the newest served run
		oldRun{status: "canceled", trigger: "schedule", ago: 97 * day, slot: 30 * day})    // did not serve it
	bases, err := store.ScheduleBases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last, err := store.LastRunStart(ctx, y.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantRunsLeft(t, sweepRuns(t, store, y.ID), ids[1], ids[2], ids[3], ids[4])
	after, err := store.ScheduleBases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lastAfter, err := store.LastRunStart(ctx, y.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !after[y.ID].Equal(bases[y.ID]) || !lastAfter.Equal(last) {
		t.Errorf("after the sweep: schedule base %s, last run start %s; before: %s, %s", after[y.ID], lastAfter, bases[y.ID], last)
	}
}

// A sync's newest succeeded run is kept however many runs failed since.
func TestDeleteOldRunsKeepsTheNewestSucceeded(t *testing.T) {
	t.Parallel()
	store, y := newRunnerSync(t)
	ids := seedRuns(t, store, y.ID,
		oldRun{status: "succeeded", trigger: "schedule", ago: 100 * day},
		oldRun{status: "succeeded", trigger: "schedule", ago: 99 * day},
		oldRun{status: "failed", trigger: "schedule", ago: 98 * day},
		oldRun{status: "failed", trigger: "schedule", ago: 97 * day},
		oldRun{status: "failed", trigger: "schedule", ago: 96 * day})
	wantRunsLeft(t, sweepRuns(t, store, y.ID), ids[1], ids[4])
}

// A skip_existing sync whose only runs since one that sent are failed marking runs keeps that
// run: without it OnlyMarkRuns says every run only marked, and the next run would mark the
// model's records delivered (and drop gone keys) without sending them.
func TestDeleteOldRunsKeepsWhatOnlyMarkRunsReads(t *testing.T) {
	t.Parallel()
	store, y := newRunnerSync(t)
	ids := seedRuns(t, store, y.ID,
		oldRun{status: "canceled", trigger: "manual", ago: 100 * day}, // it may have sent records
		oldRun{status: "failed", trigger: "mark", ago: 99 * day},
		oldRun{status: "failed", trigger: "mark", ago: 98 * day})
	wantRunsLeft(t, sweepRuns(t, store, y.ID), ids[0], ids[2])
	only, err := store.OnlyMarkRuns(context.Background(), y.ID)
	if err != nil || only {
		t.Errorf("OnlyMarkRuns after the sweep: %v, %v; want false", only, err)
	}
}

// A run still recorded as running is never deleted, however long ago it started.
func TestDeleteOldRunsKeepsRunningRuns(t *testing.T) {
	t.Parallel()
	store, y := newRunnerSync(t)
	ids := seedRuns(t, store, y.ID,
		oldRun{status: "running", trigger: "schedule", ago: 100 * day},
		oldRun{status: "succeeded", trigger: "schedule", ago: 99 * day},
		oldRun{status: "succeeded", trigger: "schedule", ago: 98 * day})
	wantRunsLeft(t, sweepRuns(t, store, y.ID), ids[0], ids[2])
}

// A run whose intents are outstanding is kept: FullReadOwed reads its read_mode, and without the
// run a cursor sync would owe a full read for the intents of an incremental run.
func TestDeleteOldRunsKeepsRunsWithIntents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t)
	ids := seedRuns(t, store, y.ID,
		oldRun{status: "succeeded", trigger: "schedule", ago: 101 * day, readMode: controlplane.ReadFull},
		oldRun{status: "failed", trigger: "schedule", ago: 100 * day, readMode: controlplane.ReadIncremental},
		oldRun{status: "succeeded", trigger: "schedule", ago: 99 * day, readMode: controlplane.ReadIncremental},
		oldRun{status: "succeeded", trigger: "schedule", ago: 98 * day, readMode: controlplane.ReadIncremental})
	if _, err := store.DB().Exec(ctx, `INSERT INTO backflow.sync_intents (sync_id, run_id, batch, keys)
		VALUES ($1, $2, 0, '\x0131')`, y.ID, ids[1]); err != nil {
		t.Fatal(err)
	}
	wantRunsLeft(t, sweepRuns(t, store, y.ID), ids[1], ids[3])
	owed, err := store.FullReadOwed(ctx, y.ID, nil)
	if err != nil || owed {
		t.Errorf("FullReadOwed after the sweep: %v, %v; want false (the intents are an incremental run's)", owed, err)
	}
}

// A run that rejected records name is kept: `rejected` shows which run refused a record.
func TestDeleteOldRunsKeepsRunsOfRejectedRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t)
	ids := seedRuns(t, store, y.ID,
		oldRun{status: "succeeded", trigger: "schedule", ago: 100 * day},
		oldRun{status: "succeeded", trigger: "schedule", ago: 99 * day},
		oldRun{status: "succeeded", trigger: "schedule", ago: 98 * day})
	if _, err := store.DB().Exec(ctx, `INSERT INTO backflow.rejected_records (sync_id, key, run_id, status, body)
		VALUES ($1, 'k', $2, 422, 'no')`, y.ID, ids[0]); err != nil {
		t.Fatal(err)
	}
	wantRunsLeft(t, sweepRuns(t, store, y.ID), ids[0], ids[2])
	r, err := store.GetRejected(ctx, y.ID, "k")
	if err != nil || r.RunID != ids[0] {
		t.Errorf("rejected record after the sweep: %+v, %v; want run %d", r, err, ids[0])
	}
}

// A run not yet turned into notification events is kept, and so is the run it is compared with
// (its sync's served run before it): deleted, an on_change notification would see a change
// where there was none (run.failed after a failed run).
func TestDeleteOldRunsKeepsWhatNotificationsCompare(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t)
	ids := seedRuns(t, store, y.ID,
		oldRun{status: "succeeded", trigger: "schedule", ago: 100 * day},
		oldRun{status: "failed", trigger: "schedule", ago: 99 * day},
		oldRun{status: "canceled", trigger: "schedule", ago: 98 * day},
		oldRun{status: "failed", trigger: "schedule", ago: 97 * day, unnotified: true},
		oldRun{status: "canceled", trigger: "schedule", ago: 96 * day, unnotified: true},
		oldRun{status: "canceled", trigger: "schedule", ago: 95 * day, unnotified: true})
	wantRunsLeft(t, sweepRuns(t, store, y.ID), ids[0], ids[1], ids[3], ids[4], ids[5]) // 0: the newest succeeded
	hook, err := store.GetConnectionByName(ctx, "hook")
	if err != nil {
		t.Fatal(err)
	}
	n := &controlplane.Notification{Name: "failures", DestinationID: hook.ID, Events: []string{controlplane.EventRunFailed},
		Send: controlplane.SendOnChange}
	if err := store.CreateNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	if _, err := store.QueueRunEvents(ctx, 100); err != nil {
		t.Fatal(err)
	}
	evs, err := store.ListNotificationEvents(ctx, n.ID)
	if err != nil || len(evs) != 0 {
		t.Errorf("events after the sweep: %+v, %v; want none (the run failed after a failed run)", evs, err)
	}
}

// A sweep that runs while a newer run's end is recorded but not yet committed (another replica)
// decides from what was committed when it started: the newer run is still running there, so the
// older succeeded run and the older served run stay, and the newer run's row (locked) is skipped.
// Once the end commits, the next sweep keeps the newer run and the run its notification compares
// with, and deletes the rest.
func TestDeleteOldRunsWhileARunEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t)
	ids := seedRuns(t, store, y.ID,
		oldRun{status: "succeeded", trigger: "schedule", ago: 102 * day},
		oldRun{status: "succeeded", trigger: "schedule", ago: 101 * day},
		oldRun{status: "failed", trigger: "schedule", ago: 100 * day},
		oldRun{status: "running", trigger: "schedule", ago: 99 * day})
	end, err := store.DB().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer end.Rollback(ctx)
	if _, err := end.Exec(ctx, `UPDATE backflow.sync_runs SET status = 'succeeded', finished_at = now() - interval '98 days'
		WHERE id = $1`, ids[3]); err != nil {
		t.Fatal(err)
	}
	wantRunsLeft(t, sweepRuns(t, store, y.ID), ids[1], ids[2], ids[3]) // the newest succeeded, the newest served
	if err := end.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wantRunsLeft(t, sweepRuns(t, store, y.ID), ids[2], ids[3]) // 2: what run 3's notification compares with
}

// The sweep finds each sync's newest runs of each kind it keeps with one index probe per sync,
// whatever the statistics say; so does LastRunStart. Here, as on an installation where some syncs
// were paused long ago or only ever canceled, ten of fifty syncs have only old canceled runs, and
// the statistics are exact (ANALYZE after every run was written). The newest run of a sync, and
// the served run before one not yet notified, were planned as a backward walk of the primary key,
// which for such a sync reads every run of every sync: every batch of the sweep, on every
// replica. LastRunStart read every run of the sync to skip those that did not serve it.
func TestDeleteOldRunsPlanProbesPerSync(t *testing.T) {
	t.Parallel()
	w := controlplanetest.NewWorld(t, runnerSync(false))
	ctx, store := w.Ctx, w.Store
	syncs := []int64{w.Sync.ID}
	for i := range 49 {
		syncs = append(syncs, w.NewSync(controlplane.Sync{Name: fmt.Sprintf("s%d", i), BatchSize: 10}).ID)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := store.DB().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	// The first ten syncs: 20 canceled runs each, a year ago. The other forty: 6,000 runs since.
	exec(`INSERT INTO backflow.sync_runs (sync_id, status, trigger, started_at, finished_at, notified_at)
		SELECT ($1::bigint[])[1 + g % 10], 'canceled', 'schedule', now() - interval '1 year' + g * interval '1 minute',
			now() - interval '1 year' + g * interval '1 minute' + interval '5 seconds', now() - interval '1 year'
		FROM generate_series(1, 200) g`, syncs[:10])
	exec(`INSERT INTO backflow.sync_runs (sync_id, status, trigger, started_at, finished_at, scheduled_for, notified_at)
		SELECT ($1::bigint[])[1 + g % 40], CASE WHEN g % 7 = 0 THEN 'failed' WHEN g % 13 = 0 THEN 'canceled' ELSE 'succeeded' END,
			CASE WHEN g % 11 = 0 THEN 'mark' ELSE 'schedule' END,
			now() - (6000 - g) * interval '1 hour', now() - (6000 - g) * interval '1 hour' + interval '5 seconds',
			now() - (6000 - g) * interval '1 hour', now()
		FROM generate_series(1, 6000) g`, syncs[10:])
	// And 2,000 syncs that never ran (defined, not yet run or run elsewhere only with `sync`).
	exec(`INSERT INTO backflow.syncs (name, model_id, destination_id, behavior, primary_key, batch_size)
		SELECT 'idle' || g, model_id, destination_id, behavior, primary_key, batch_size
		FROM backflow.syncs, generate_series(1, 2000) g WHERE id = $1`, syncs[0])
	// Statistics as autovacuum keeps them: of every table the statement reads.
	exec(`ANALYZE backflow.syncs, backflow.sync_runs, backflow.sync_intents, backflow.rejected_records, backflow.river_job`)

	for _, c := range []struct {
		name string
		sql  string
		args []any
	}{
		{"DeleteOldRuns", controlplane.DeleteOldRunsSQL, []any{time.Now().Add(-90 * day), 1000}},
		{"LastRunStart", controlplane.LastRunStartSQL, []any{syncs[0]}}, // a sync with only canceled runs
	} {
		checkPlan(t, store, c.name, c.sql, c.args...)
	}
}

// checkPlan fails unless statement sql, with args, reads runs of one sync by index probes: no
// backward walk of sync_runs' primary key, no scan of it filtered on the sync, and no scan that
// reads a sync's runs to skip those that did not serve its schedule.
func checkPlan(t *testing.T, store *controlplane.Store, name, sql string, args ...any) {
	t.Helper()
	var plan []byte
	if err := store.DB().QueryRow(context.Background(), "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	type node struct {
		NodeType  string `json:"Node Type"`
		Relation  string `json:"Relation Name"`
		Index     string `json:"Index Name"`
		Direction string `json:"Scan Direction"`
		Filter    string `json:"Filter"`
		IndexCond string `json:"Index Cond"`
		Plans     []node `json:"Plans"`
	}
	var top []struct{ Plan node }
	if err := json.Unmarshal(plan, &top); err != nil {
		t.Fatal(err)
	}
	var walk func(n node)
	walk = func(n node) {
		if n.Relation != "sync_runs" {
			// Other tables.
		} else if n.Index == "sync_runs_pkey" && n.Direction == "Backward" || n.NodeType == "Seq Scan" && strings.Contains(n.Filter, "sync_id") {
			t.Errorf("%s: %s %s of sync_runs %s, filter %s: reads the runs of every sync", name, n.NodeType, n.Direction, n.Index, n.Filter)
		} else if strings.Contains(n.Filter, "failed,blocked") {
			t.Errorf("%s: %s %s of sync_runs %s (%s), filter %s: reads and skips every run of the sync that did not serve its schedule",
				name, n.NodeType, n.Direction, n.Index, n.IndexCond, n.Filter)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	for _, p := range top {
		walk(p.Plan)
	}
}
