package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// cursorWorld is newWorld's users with two cursor columns, updated_at (timestamptz) and seq
// (bigint), and a sync of them whose cursor is one of them.
type cursorWorld struct {
	*world
	cw     *controlplanetest.World
	cursor string // "updated_at" or "seq"
	tx     pgx.Tx // change's transaction
}

// The warehouse's clock: a row's updated_at is set from it, not from now(), so that what is
// inside or outside the lookback is the test's to decide. Each step moves it a minute on.
var cursorSoakStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const cursorSoakLookback = 5 * time.Minute

func newCursorWorld(t *testing.T, n int, hookURL, behavior, cursor string) *cursorWorld {
	t.Helper()
	cw := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Users: fmt.Sprintf(`CREATE TABLE users (unique_id bigint PRIMARY KEY, email text, first_name text,
				version int NOT NULL DEFAULT 1, updated_at timestamptz, seq bigint);
			CREATE SEQUENCE seqgen START %d;
			CREATE INDEX ON users (updated_at); CREATE INDEX ON users (seq);
			DO $$ BEGIN EXECUTE format('ALTER DATABASE %%I SET timezone = %%L', current_database(), 'Pacific/Chatham'); END $$;
			INSERT INTO users SELECT i, 'user' || i || '@example.com', 'User ' || i, 1,
				'%s'::timestamptz + i * interval '10 ms', i FROM generate_series(1, %d) AS i`,
			n+1, cursorSoakStart.Format(time.RFC3339), n),
		HookURL: hookURL,
		Model:   &controlplane.Model{SQL: "select * from users"},
		Sync:    &controlplane.Sync{PrimaryKey: "unique_id", BatchSize: 25, Behavior: behavior, Cursor: cursor},
	})
	cols, err := warehouse.Describe(cw.Ctx, &controlplane.PostgresConfig{URL: cw.WarehouseURL}, cw.Model.Query())
	if err != nil {
		t.Fatal(err)
	}
	cw.Model.Columns = cols
	if err := cw.Store.UpdateModel(cw.Ctx, cw.Model); err != nil {
		t.Fatal(err)
	}
	if cursor == "updated_at" {
		cw.Sync.CursorLookback = cursorSoakLookback.String()
	}
	if err := cw.Store.UpdateSync(cw.Ctx, cw.Sync); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: cw.Ctx, store: cw.Store, wh: cw.WarehouseDB, sync: cw.Sync, dest: cw.Destination,
		env: append(os.Environ(), controlplane.DatabaseURLEnv+"="+cw.URL, controlplane.SecretKeyEnv+"="+cw.Key)}
	return &cursorWorld{world: w, cw: cw, cursor: cursor}
}

// soakKeys are the keys of the warehouse's rows by how a receiver must hold them after a
// successful run (the documented promise of a sync with a cursor):
//   - must: the row's last change is one an incremental read sees (its cursor moved past the
//     mark, it was inserted so, it arrived late but within the lookback (integer: at the mark),
//     its cursor is NULL): the next successful run of either kind sends its current version;
//   - late: its last change is one only a full read sees (its cursor went below the mark minus
//     the lookback): the receiver may hold an older version until a full read succeeds;
//   - gone: deleted from the warehouse; a mirror sync's next successful full read deletes it.
type soakKeys struct {
	version map[string]int // every warehouse key's current version
	late    map[string]bool
	gone    map[string]bool
	// racing: changed by a transaction that committed while a run read, not checked until the
	// run ended and they were classified (classifyRacing).
	racing map[string]bool
}

// markBound is the lowest cursor value the next successful run reads for sure: the stored mark
// minus the lookback (integer: the mark); ok false when there is no mark (the next successful
// run reads in full).
func (w *cursorWorld) markBound() (bound string, ok bool) {
	w.t.Helper()
	st, err := w.store.GetCursorState(w.ctx, w.sync.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	if st == nil || !st.HasMark {
		return "", false
	}
	if w.cursor == "seq" {
		return st.Mark, true
	}
	m, err := time.Parse("2006-01-02 15:04:05.999999999", st.Mark)
	if err != nil {
		w.t.Fatalf("the mark %q: %v", st.Mark, err)
	}
	return m.Add(-cursorSoakLookback).Format(time.RFC3339Nano), true
}

// change applies one step's changes to the warehouse (clock is the warehouse's time now) and
// records in k what the receiver must hold after them.
func (w *cursorWorld) change(rng *rand.Rand, k *soakKeys, clock time.Time, next *int) {
	w.t.Helper()
	ts := clock.Format(time.RFC3339Nano)
	bound, marked := w.markBound()
	// One transaction, its random() seeded from rng: the seed repeats the warehouse's changes.
	tx, err := w.wh.Begin(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(w.ctx) }()
	w.tx = tx
	defer func() { w.tx = nil }()
	if _, err := tx.Exec(w.ctx, `SELECT setseed($1)`, rng.Float64()*2-1); err != nil {
		w.t.Fatal(err)
	}
	// Updates that move the cursor on, and inserts.
	moved := w.keys(`UPDATE users SET version = version + 1,
		updated_at = $1::timestamptz + random() * interval '50 s', seq = nextval('seqgen')
		WHERE random() < 0.04 RETURNING unique_id`, ts)
	inserted := w.keys(`INSERT INTO users SELECT i, 'user' || i || '@example.com', 'User ' || i, 1,
			$2::timestamptz + random() * interval '50 s', nextval('seqgen')
		FROM generate_series($1::int, $1::int + 19) AS i RETURNING unique_id`, *next, ts)
	*next += 20
	// NULL cursors: read by every run.
	nulled := w.keys(`UPDATE users SET version = version + 1, updated_at = NULL, seq = NULL
		WHERE random() < 0.003 RETURNING unique_id`)
	var inside, outside []string
	if marked {
		// Late rows: within the lookback (integer: at the mark itself, inclusive), and older.
		if w.cursor == "seq" {
			inside = w.keys(`UPDATE users SET version = version + 1, seq = $1::bigint,
				updated_at = $2::timestamptz WHERE random() < 0.01 RETURNING unique_id`, bound, ts)
			outside = w.keys(`UPDATE users SET version = version + 1, seq = $1::bigint - 1 - (random() * 100)::int,
				updated_at = $2::timestamptz WHERE random() < 0.01 RETURNING unique_id`, bound, ts)
		} else {
			inside = w.keys(`UPDATE users SET version = version + 1,
				updated_at = $1::timestamptz + random() * interval '4 min 59 s', seq = nextval('seqgen')
				WHERE random() < 0.01 RETURNING unique_id`, bound)
			outside = w.keys(`UPDATE users SET version = version + 1,
				updated_at = $1::timestamptz - interval '1 ms' - random() * interval '1 hour', seq = nextval('seqgen')
				WHERE random() < 0.01 RETURNING unique_id`, bound)
		}
	}
	deleted := w.keys(`DELETE FROM users WHERE random() < 0.015 RETURNING unique_id`)
	if err := tx.Commit(w.ctx); err != nil {
		w.t.Fatal(err)
	}

	for _, set := range [][]string{moved, inserted, nulled, inside} {
		for _, id := range set {
			delete(k.late, id)
		}
	}
	for _, id := range outside {
		k.late[id] = true
	}
	for _, id := range deleted {
		delete(k.late, id)
		k.gone[id] = true
	}
	k.version = w.versions()
}

// classifyRacing classifies the keys a transaction changed while a run read, once the run
// ended: what the next successful run reads for sure (its cursor at or after the stored mark
// minus the lookback, or NULL) must be current after it; the rest only after a full read.
func (w *cursorWorld) classifyRacing(k *soakKeys) {
	w.t.Helper()
	bound, marked := w.markBound()
	for id := range k.racing {
		if !marked { // the next successful run reads in full
			delete(k.late, id)
			continue
		}
		q := `SELECT seq IS NULL OR seq >= $2::bigint FROM users WHERE unique_id = $1`
		if w.cursor == "updated_at" {
			q = `SELECT updated_at IS NULL OR updated_at >= $2::timestamptz FROM users WHERE unique_id = $1`
		}
		var inside bool
		err := w.wh.QueryRow(w.ctx, q, id, bound).Scan(&inside)
		if errors.Is(err, pgx.ErrNoRows) { // deleted since
			continue
		}
		if err != nil {
			w.t.Fatal(err)
		}
		if !inside {
			k.late[id] = true
		} else {
			delete(k.late, id)
		}
	}
	clear(k.racing)
	k.version = w.versions()
}

// keys runs sql, which returns unique_ids, and returns them as text.
func (w *cursorWorld) keys(sql string, args ...any) []string {
	w.t.Helper()
	rows, err := w.tx.Query(w.ctx, sql, args...)
	if err != nil {
		w.t.Fatalf("warehouse: %v\n%s", err, sql)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		w.t.Fatalf("warehouse: %v\n%s", err, sql)
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}

func (w *cursorWorld) versions() map[string]int {
	w.t.Helper()
	rows, err := w.wh.Query(w.ctx, `SELECT unique_id, version FROM users`)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]int{}
	var id int64
	var v int
	if _, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error {
		out[strconv.FormatInt(id, 10)] = v
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// soakRun is a run of the sync as the control plane recorded it.
type soakRun struct {
	id               int64
	status, mode     string
	readFrom, reason string
}

// runsAfter returns the sync's runs after run id after, in order.
func (w *cursorWorld) runsAfter(after int64) []soakRun {
	w.t.Helper()
	rows, err := w.store.Pool().Query(w.ctx, `SELECT id, status, coalesce(read_mode, ''), coalesce(read_from, ''),
		coalesce(error, '') FROM backflow.sync_runs WHERE sync_id = $1 AND id > $2 ORDER BY id`, w.sync.ID, after)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []soakRun
	var r soakRun
	if _, err := pgx.ForEachRow(rows, []any{&r.id, &r.status, &r.mode, &r.readFrom, &r.reason}, func() error {
		out = append(out, r)
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// check compares the receiver's view with k after a successful run; full: the run read in full
// (late keys must be current too, and a mirror's gone keys gone).
func (w *cursorWorld) check(h *webhooktest.Receiver, k *soakKeys, behavior string, full bool, when string) {
	w.t.Helper()
	view := h.View()
	var bad []string
	ids := make([]string, 0, len(k.version))
	for id := range k.version {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if k.late[id] && !full || k.racing[id] {
			continue
		}
		got := view[id]
		if got == nil || got["version"] != float64(k.version[id]) {
			var v any
			if got != nil {
				v = got["version"]
			}
			bad = append(bad, fmt.Sprintf("key %s: the receiver holds version %v, the warehouse %d", id, v, k.version[id]))
		}
	}
	if behavior == controlplane.BehaviorMirror && full {
		for id := range view {
			if _, ok := k.version[id]; !ok && !k.racing[id] {
				bad = append(bad, fmt.Sprintf("key %s: still at the receiver, gone from the warehouse", id))
			}
		}
	}
	if len(bad) > 0 {
		if len(bad) > 10 {
			bad = append(bad[:10], fmt.Sprintf("... and %d more", len(bad)-10))
		}
		w.t.Fatalf("%s: %d keys differ:\n%s", when, len(bad), joinLines(bad))
	}
	if full {
		clear(k.late)
		clear(k.gone)
	}
}

func joinLines(s []string) string {
	out := ""
	for _, l := range s {
		out += "  " + l + "\n"
	}
	return out
}

// waitForCursorStore waits until a runner's statement waits for the lock the test holds on the
// sync's cursor row, and returns it: the run's end, with its new mark, being recorded (an
// INSERT), or intents of a full read being adopted (an UPDATE); "" if none did within a few
// seconds (the run failed, say).
func (w *cursorWorld) waitForCursorStore() string {
	w.t.Helper()
	for range 500 {
		var q string
		err := w.store.Pool().QueryRow(w.ctx, `SELECT query FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE '%backflow.sync_cursors%' LIMIT 1`).Scan(&q)
		if err == nil {
			return q
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			w.t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ""
}

// fullReadOwed reports whether keys that a run reading in full may have delivered are
// unconfirmed (its intents are outstanding, or were adopted by a run that did not succeed): the
// docs promise the next successful run reads in full.
func (w *cursorWorld) fullReadOwed() bool {
	w.t.Helper()
	var owed bool
	if err := w.store.Pool().QueryRow(w.ctx, `SELECT EXISTS (SELECT 1 FROM backflow.sync_intents i
			LEFT JOIN backflow.sync_runs r ON r.id = i.run_id WHERE i.sync_id = $1 AND r.read_mode IS DISTINCT FROM 'incremental')
		OR EXISTS (SELECT 1 FROM backflow.sync_cursors WHERE sync_id = $1 AND full_read_at = 'epoch')`, w.sync.ID).Scan(&owed); err != nil {
		w.t.Fatal(err)
	}
	return owed
}

// takeOver ends the sessions holding the sync's lock, as a network cut would: the runner whose
// lock it was goes on until it learns of it (its fenced writes fail), and another may take over.
func (w *cursorWorld) takeOver() {
	w.t.Helper()
	if _, err := w.store.Pool().Exec(w.ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'backflow-runner sync lock' AND datname = current_database()`); err != nil {
		w.t.Fatal(err)
	}
}

// TestSIGKILLSoakCursor is TestSIGKILLSoak for a sync with a cursor (a timestamp, an integer;
// mirror and update_or_create). Between runs the warehouse gets updates that move the cursor,
// inserts, rows with a NULL cursor, late rows within the lookback (an integer cursor: at the
// mark) and older than it, rows a transaction commits while a run reads (with cursor values
// taken before the step's changes), and deletes. Runs are killed anywhere, right after a 2xx,
// while their end and new mark are being stored, during a --full resend, and while a second
// runner waits for the sync or takes it over; some are followed by a run to its end. After
// every successful run, the receiver's view (rebuilt in arrival order) must hold the current
// version of every row whose last change an incremental read sees (so a killed run's reads that
// it did not deliver were not skipped by the mark); the first successful run after a killed
// full read that left unconfirmed keys must read in full; and after a successful full read
// (full_read_every passed) the receiver must hold every row's current version and (mirror) no
// deleted one. The seed (logged) repeats the warehouse's changes and the kill points' choice.
func TestSIGKILLSoakCursor(t *testing.T) {
	for _, cursor := range []string{"updated_at", "seq"} {
		for _, behavior := range []string{controlplane.BehaviorMirror, controlplane.BehaviorUpdateOrCreate} {
			t.Run(cursor+"/"+behavior, func(t *testing.T) {
				t.Parallel()
				seed := uint64(time.Now().UnixNano())
				t.Logf("seed %d", seed)
				rng := rand.New(rand.NewPCG(seed, 2))
				h := newViewHook(t)
				w := newCursorWorld(t, 1000, h.URL, behavior, cursor)
				k := &soakKeys{late: map[string]bool{}, gone: map[string]bool{}, racing: map[string]bool{}}
				k.version = w.versions()
				next, clock := 1001, cursorSoakStart.Add(time.Minute)
				var lastRun int64
				kills, successes, incremental, finishKills := 0, 0, 0, 0
				owed := false // a full read is owed: the next successful run must read in full
				settle := func(when string) {
					t.Helper()
					for _, r := range w.runsAfter(lastRun) {
						lastRun = r.id
						if r.status != controlplane.RunSucceeded {
							continue
						}
						if owed && r.mode != controlplane.ReadFull {
							t.Fatalf("%s: run %d read %s %s, though keys a killed full read may have delivered were unconfirmed",
								when, r.id, r.mode, r.readFrom)
						}
						owed = false
						successes++
						if r.mode == controlplane.ReadIncremental {
							incremental++
						}
						w.check(h, k, behavior, r.mode == controlplane.ReadFull, fmt.Sprintf("%s, after run %d (read %s %s)",
							when, r.id, r.mode, r.readFrom))
					}
				}
				kill := func(c *exec.Cmd) {
					if c.ProcessState == nil && c.Process.Kill() == nil {
						kills++
					}
					_ = c.Wait()
				}
				start := func(flags ...string) *exec.Cmd {
					c := w.cmd(append([]string{"sync", w.sync.Name, "--concurrency", "3"}, flags...)...)
					c.Stdout, c.Stderr = io.Discard, io.Discard
					if err := c.Start(); err != nil {
						t.Fatal(err)
					}
					return c
				}
				answers := func(n int) {
					for ; n > 0; n-- {
						select {
						case <-h.Answered():
						case <-time.After(time.Second):
							return
						}
					}
				}
				for i := 0; i < 18; i++ {
					mode := rng.IntN(7)
					var reserved int64 // mode 6: a cursor value taken before the step's changes
					if err := w.wh.QueryRow(w.ctx, `SELECT nextval('seqgen')`).Scan(&reserved); err != nil {
						t.Fatal(err)
					}
					racingAt := clock.Add(10 * time.Second)
					if i > 0 {
						w.change(rng, k, clock, &next)
						clock = clock.Add(time.Minute)
					}
					if i == 9 {
						// A full read halfway (full_read_every passed), itself killed maybe.
						expireFullReadAt(t, w)
					}
					when := fmt.Sprintf("step %d", i)
					switch mode {
					case 0: // anywhere: reading, sending, or after the end
						c := start()
						time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
						kill(c)
					case 1: // right after a 2xx: most likely before the run recorded it
						c := start()
						answers(1 + rng.IntN(6))
						kill(c)
					case 2: // while its end and its new mark are stored
						st, err := w.store.GetCursorState(w.ctx, w.sync.ID)
						if err != nil {
							t.Fatal(err)
						}
						if st == nil { // no row to hold yet
							kill(start())
							break
						}
						tx, err := w.store.Pool().Begin(w.ctx)
						if err != nil {
							t.Fatal(err)
						}
						if _, err := tx.Exec(w.ctx, `SELECT 1 FROM backflow.sync_cursors WHERE sync_id = $1 FOR UPDATE`, w.sync.ID); err != nil {
							t.Fatal(err)
						}
						c := start()
						blocked := w.waitForCursorStore()
						kill(c)
						_ = tx.Rollback(w.ctx)
						if strings.Contains(blocked, "INSERT INTO backflow.sync_cursors") {
							finishKills++
							after, err := w.store.GetCursorState(w.ctx, w.sync.ID)
							if err != nil {
								t.Fatal(err)
							}
							// ReadFrom is not the stored mark's: it gains the killed run's bound.
							a, b := *after, *st
							a.ReadFrom, b.ReadFrom = nil, nil
							if !reflect.DeepEqual(a, b) {
								t.Fatalf("%s: a run killed while it stored its end left the cursor %+v, it was %+v", when, after, st)
							}
							for _, r := range w.runsAfter(lastRun) {
								if r.status == controlplane.RunSucceeded {
									t.Fatalf("%s: run %d killed while it stored its end is recorded as succeeded", when, r.id)
								}
							}
						}
					case 3: // two runners: the second waits for the sync, and takes it over when the first is killed
						a, b := start(), start()
						answers(1 + rng.IntN(4))
						kill(a)
						if rng.IntN(2) == 0 {
							answers(1 + rng.IntN(4))
							kill(b)
						} else if err := b.Wait(); err != nil {
							t.Logf("%s: the runner that took over: %v", when, err)
						}
					case 5: // a --full resend, killed after a few 2xx: a full read is owed
						c := start("--full")
						answers(1 + rng.IntN(8))
						kill(c)
					case 6: // a transaction that took its cursor values before the step's changes commits while a run reads
						tx, err := w.wh.Begin(w.ctx)
						if err != nil {
							t.Fatal(err)
						}
						rows, err := tx.Query(w.ctx, `UPDATE users SET version = version + 1, updated_at = $1, seq = $2
							WHERE random() < 0.01 RETURNING unique_id`, racingAt, reserved)
						if err != nil {
							t.Fatal(err)
						}
						ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
						if err != nil {
							t.Fatal(err)
						}
						for _, id := range ids {
							k.racing[strconv.FormatInt(id, 10)] = true
						}
						c := start()
						time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
						if err := tx.Commit(w.ctx); err != nil {
							t.Fatal(err)
						}
						if rng.IntN(2) == 0 {
							answers(1 + rng.IntN(4))
							kill(c)
						} else if err := c.Wait(); err != nil {
							t.Logf("%s: the run a transaction committed during: %v", when, err)
						}
						settle(when)
						w.classifyRacing(k)
					case 4: // the first runner's lock is taken over while it runs on
						a := start()
						answers(1 + rng.IntN(3))
						w.takeOver()
						b := start()
						time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
						kill(a)
						if rng.IntN(2) == 0 {
							answers(1 + rng.IntN(4))
							kill(b)
						} else if err := b.Wait(); err != nil {
							t.Logf("%s: the runner that took over: %v", when, err)
						}
					}
					if rng.IntN(5) < 2 {
						// A run to its end after the killed one: it must send what that one read
						// and did not deliver.
						if err := start().Wait(); err != nil {
							t.Logf("%s: the run after the killed one: %v", when, err)
						}
					}
					settle(when)
					owed = w.fullReadOwed()
				}
				if kills < 12 {
					t.Fatalf("only %d runs were killed", kills)
				}
				// To completion: an incremental run (or the full read still owed), then a full read.
				if code, stdout, stderr := w.runCmd("sync", w.sync.Name); code != 0 {
					t.Fatalf("clean sync: exit %d\n%s\n%s", code, stdout, stderr)
				}
				settle("the clean run")
				w.change(rng, k, clock, &next)
				if code, stdout, stderr := w.runCmd("sync", w.sync.Name); code != 0 {
					t.Fatalf("clean sync: exit %d\n%s\n%s", code, stdout, stderr)
				}
				settle("the clean run after more changes")
				expireFullReadAt(t, w)
				if code, stdout, stderr := w.runCmd("sync", w.sync.Name); code != 0 {
					t.Fatalf("full read: exit %d\n%s\n%s", code, stdout, stderr)
				}
				runs := w.runsAfter(lastRun)
				if len(runs) != 1 || runs[0].mode != controlplane.ReadFull {
					t.Fatalf("the last run: %+v, want one full read", runs)
				}
				settle("the full read")
				t.Logf("%d kills (%d while storing a run's end), %d successful runs (%d incremental), %d requests, %d keys, all as promised; runs: %s",
					kills, finishKills, successes, incremental, h.Seen(), len(k.version), w.runStatuses())
			})
		}
	}
}

// runStatuses counts the sync's runs by status, read and how they ended, as the control plane
// recorded them.
func (w *cursorWorld) runStatuses() string {
	w.t.Helper()
	var out string
	if err := w.store.Pool().QueryRow(w.ctx, `SELECT string_agg(n || ' ' || what, ', ' ORDER BY n DESC) FROM (
			SELECT count(*) AS n, status || coalesce(' ' || read_mode, '') || CASE WHEN error LIKE '%lock was lost%' THEN ' (lock lost)'
				WHEN error LIKE '%stopped before finishing%' THEN ' (killed)' ELSE '' END AS what
			FROM backflow.sync_runs WHERE sync_id = $1 GROUP BY 2) s`, w.sync.ID).Scan(&out); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// expireFullReadAt makes the sync's last full read older than its full_read_every (24h), so that
// its next run reads the whole model, as a scheduled full read.
func expireFullReadAt(t *testing.T, w *cursorWorld) {
	t.Helper()
	if _, err := w.store.Pool().Exec(context.Background(), `UPDATE backflow.sync_cursors
		SET full_read_at = full_read_at - interval '25 hours' WHERE sync_id = $1 AND full_read_at > 'epoch'`, w.sync.ID); err != nil {
		t.Fatal(err)
	}
}
