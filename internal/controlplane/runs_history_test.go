package controlplane_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// The queries ScheduleBases and LastRunStart ran before migration 017 (an aggregate over every
// served run), kept here as they were to compare the per-sync lookups with.
var (
	oldServedRun = fmt.Sprintf(`(r.status IN ('succeeded', 'failed', 'blocked') OR (r.status = 'running' AND EXISTS (
	SELECT 1 FROM pg_locks l
	WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND ((l.classid::int8 << 32) | l.objid::int8) = (%d::int8 # r.sync_id))))`, controlplane.SyncLockKey(0))
	oldScheduleBases = `SELECT r.sync_id, max(coalesce(r.scheduled_for, r.started_at)) FROM backflow.sync_runs r
		WHERE ` + oldServedRun + ` GROUP BY r.sync_id`
	oldLastRunStart = `SELECT max(r.started_at) FROM backflow.sync_runs r
		WHERE r.sync_id = $1 AND ` + oldServedRun
	// notificationPrev is the run queueEventsOf compares a run with (on_change).
	notificationPrev = `SELECT coalesce((SELECT p.id FROM backflow.sync_runs p WHERE p.sync_id = r.sync_id AND p.id < r.id
		AND p.status IN ('succeeded', 'failed', 'blocked') ORDER BY p.id DESC LIMIT 1), 0)
		FROM backflow.sync_runs r WHERE r.sync_id = $1 AND r.notified_at IS NULL ORDER BY r.id`
)

// historyDecisions is every decision the runner takes from a sync's runs.
type historyDecisions struct {
	Bases      map[int64]time.Time
	LastStart  map[int64]time.Time
	OnlyMark   map[int64]bool
	FullOwed   map[int64]bool
	Sequences  []controlplane.SequenceState
	NotifyPrev map[int64][]int64 // per sync, the run each run still to notify is compared with
}

func readDecisions(t *testing.T, store *controlplane.Store, syncs []*controlplane.Sync) historyDecisions {
	t.Helper()
	ctx := context.Background()
	d := historyDecisions{LastStart: map[int64]time.Time{}, OnlyMark: map[int64]bool{}, FullOwed: map[int64]bool{},
		NotifyPrev: map[int64][]int64{}}
	var err error
	if d.Bases, err = store.ScheduleBases(ctx); err != nil {
		t.Fatal(err)
	}
	if d.Sequences, err = store.SequenceStates(ctx); err != nil {
		t.Fatal(err)
	}
	for _, y := range syncs {
		if d.LastStart[y.ID], err = store.LastRunStart(ctx, y.ID); err != nil {
			t.Fatal(err)
		}
		if d.OnlyMark[y.ID], err = store.OnlyMarkRuns(ctx, y.ID); err != nil {
			t.Fatal(err)
		}
		if d.FullOwed[y.ID], err = store.FullReadOwed(ctx, y.ID, nil); err != nil {
			t.Fatal(err)
		}
		rows, err := store.DB().Query(ctx, notificationPrev, y.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			d.NotifyPrev[y.ID] = append(d.NotifyPrev[y.ID], id)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// TestRunHistories records random histories of several syncs (every status and trigger, slots
// served late, early or not at all, runs left running by a dead runner or by one holding the
// lock, runs not yet notified, intents, rejected records, sequences) and checks that
//   - ScheduleBases and LastRunStart answer as the aggregates over every served run they replace;
//   - a retention sweep changes none of the decisions the runner takes from the runs: next due
//     time, LastRunStart, OnlyMarkRuns, FullReadOwed, SequenceStates, what each run still to be
//     notified is compared with.
func TestRunHistories(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := controlplanetest.NewWorld(t, runnerSync(false))
	store := w.Store
	syncs := []*controlplane.Sync{w.Sync}
	for i := range 5 {
		syncs = append(syncs, w.NewSync(controlplane.Sync{Name: fmt.Sprintf("h%d", i), Behavior: controlplane.BehaviorMirror,
			PrimaryKey: "id", BatchSize: 10}))
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	now := time.Now().UTC().Truncate(time.Microsecond)

	for round := range 12 {
		for _, q := range []string{`DELETE FROM backflow.sync_runs`, `DELETE FROM backflow.sync_after`,
			`DELETE FROM backflow.sync_intents`, `DELETE FROM backflow.rejected_records`} {
			if _, err := store.DB().Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		// Runs of the syncs interleaved, each sync's started in id order (under its lock).
		start := map[int64]time.Time{}
		var ended = map[int64][]int64{}
		for _, y := range syncs {
			start[y.ID] = now.Add(-time.Duration(150+rng.IntN(100)) * day)
		}
		for range 40 + rng.IntN(80) {
			y := syncs[rng.IntN(len(syncs))]
			st := start[y.ID].Add(time.Duration(rng.IntN(20*24*60)) * time.Minute)
			if st.After(now.Add(-time.Hour)) {
				continue
			}
			start[y.ID] = st.Add(time.Minute)
			status := pick("succeeded", "succeeded", "failed", "blocked", "canceled", "running")
			trigger := pick("schedule", "schedule", "manual", "mark", "full", "after", "queued")
			var slot *time.Time
			if trigger == "schedule" || trigger == "after" || rng.IntN(4) == 0 {
				// Mostly a slot just due; some served weeks late (a backlog), some early.
				s := st.Add(-time.Duration(rng.IntN(60)) * time.Minute)
				if rng.IntN(4) == 0 {
					s = st.Add(time.Duration(rng.IntN(42*24*60)-40*24*60) * time.Minute)
				}
				slot = &s
			}
			var finished, notified *time.Time
			if status != "running" {
				f := st.Add(time.Minute)
				finished = &f
				if rng.IntN(5) != 0 {
					n := f.Add(time.Minute)
					notified = &n
				}
			}
			var readMode *string
			if m := pick("", "full", "incremental"); m != "" {
				readMode = &m
			}
			var id int64
			if err := store.DB().QueryRow(ctx, `INSERT INTO backflow.sync_runs
				(sync_id, status, trigger, started_at, finished_at, scheduled_for, read_mode, notified_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
				y.ID, status, trigger, st, finished, slot, readMode, notified).Scan(&id); err != nil {
				t.Fatal(err)
			}
			if status != "running" {
				ended[y.ID] = append(ended[y.ID], id)
			}
		}
		for _, y := range syncs {
			if ids := ended[y.ID]; len(ids) > 0 && rng.IntN(3) == 0 {
				if _, err := store.DB().Exec(ctx, `INSERT INTO backflow.sync_intents (sync_id, run_id, batch, keys)
					VALUES ($1, $2, 0, '\x0131')`, y.ID, ids[rng.IntN(len(ids))]); err != nil {
					t.Fatal(err)
				}
			}
			if ids := ended[y.ID]; len(ids) > 0 && rng.IntN(3) == 0 {
				if _, err := store.DB().Exec(ctx, `INSERT INTO backflow.rejected_records (sync_id, key, run_id, status, body)
					VALUES ($1, 'k', $2, 422, 'no')`, y.ID, ids[rng.IntN(len(ids))]); err != nil {
					t.Fatal(err)
				}
			}
			if p := syncs[rng.IntN(len(syncs))]; p.ID != y.ID && rng.IntN(2) == 0 {
				if _, err := store.DB().Exec(ctx, `INSERT INTO backflow.sync_after (sync_id, parent_id) VALUES ($1, $2)
					ON CONFLICT DO NOTHING`, y.ID, p.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Some syncs' locks are held (their running runs serve the schedule), others' not.
		conn, err := store.Pool().Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, y := range syncs {
			if rng.IntN(2) == 0 {
				if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, controlplane.SyncLockKey(y.ID)); err != nil {
					t.Fatal(err)
				}
			}
		}

		before := readDecisions(t, store, syncs)
		oldBases := map[int64]time.Time{}
		rows, err := store.DB().Query(ctx, oldScheduleBases)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var base time.Time
			if err := rows.Scan(&id, &base); err != nil {
				t.Fatal(err)
			}
			oldBases[id] = base
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(oldBases, before.Bases); d != "" {
			t.Errorf("round %d: ScheduleBases differs from the aggregate it replaces (-old +new):\n%s", round, d)
		}
		for _, y := range syncs {
			var old *time.Time
			if err := store.DB().QueryRow(ctx, oldLastRunStart, y.ID).Scan(&old); err != nil {
				t.Fatal(err)
			}
			if old == nil {
				old = &time.Time{}
			}
			if got := before.LastStart[y.ID]; !got.Equal(*old) {
				t.Errorf("round %d: LastRunStart(%d) = %s, the aggregate it replaces: %s", round, y.ID, got, *old)
			}
		}

		var total, deleted int64
		if err := store.DB().QueryRow(ctx, `SELECT count(*) FROM backflow.sync_runs`).Scan(&total); err != nil {
			t.Fatal(err)
		}
		for {
			n, err := store.DeleteOldRuns(ctx, now.Add(-90*day), 7)
			if err != nil {
				t.Fatal(err)
			}
			deleted += n
			if n < 7 {
				break
			}
		}
		after := readDecisions(t, store, syncs)
		if d := cmp.Diff(before, after); d != "" {
			t.Errorf("round %d: the sweep (%d of %d runs deleted) changed decisions (-before +after):\n%s", round, deleted, total, d)
		}
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock_all()`); err != nil {
			t.Fatal(err)
		}
		conn.Release()
		t.Logf("round %d: %d of %d runs deleted", round, deleted, total)
	}
}
