package controlplane_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// runnerSync is a sync (with its connections and model) for the runner's tables; nothing reads
// its warehouse or calls its webhook.
func runnerSync(tx bool) controlplanetest.WorldOpts {
	return controlplanetest.WorldOpts{Tx: tx,
		Warehouse: &controlplane.Connection{Name: "wh", Postgres: &controlplane.PostgresConfig{URL: "postgres://x@127.0.0.1/x"}},
		Destination: &controlplane.Connection{Name: "hook",
			Webhook: &controlplane.WebhookConfig{URL: controlplanetest.NoListener, Method: "POST"}},
		Model: &controlplane.Model{Name: "m", Table: "users"},
		Sync:  &controlplane.Sync{Name: "s", Behavior: controlplane.BehaviorMirror, PrimaryKey: "id", BatchSize: 10},
	}
}

// newRunnerSync makes a runnerSync on NewStore, for tests that commit (leases, locks).
func newRunnerSync(t *testing.T) (*controlplane.Store, *controlplane.Sync) {
	t.Helper()
	w := controlplanetest.NewWorld(t, runnerSync(false))
	return w.Store, w.Sync
}

// newStartedRun makes a runnerSync on NewStore and starts a manual run of it.
func newStartedRun(t *testing.T) (*controlplane.Store, *controlplane.Sync, *controlplane.Run) {
	t.Helper()
	store, y := newRunnerSync(t)
	run, err := store.StartRun(context.Background(), y.ID, controlplane.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	return store, y, run
}

// newTxRunnerSync makes a runnerSync on NewTxStore, for tests that need no commit.
func newTxRunnerSync(t *testing.T) (*controlplane.Store, *controlplane.Sync) {
	t.Helper()
	w := controlplanetest.NewWorld(t, runnerSync(true))
	return w.Store, w.Sync
}

func TestRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t) // NewStore: it holds the sync's lock on a session of its own
	r1, err := store.StartRun(ctx, y.ID, controlplane.TriggerSchedule)
	if err != nil {
		t.Fatal(err)
	}
	r1.Status = controlplane.RunFailed
	r1.Counts = controlplane.RunCounts{Extracted: 5, New: 5, Delivered: 2, Failed: 3}
	r1.Error = "boom"
	r1.InvalidSamples = json.RawMessage(`[{"reason":"null key"}]`)
	if err := store.FinishRun(ctx, r1); err != nil {
		t.Fatal(err)
	}
	r2, err := store.StartRun(ctx, y.ID, controlplane.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := store.ListRuns(ctx, y.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != r2.ID || runs[0].Status != controlplane.RunRunning || !runs[0].FinishedAt.IsZero() {
		t.Fatalf("runs = %+v", runs)
	}
	got := runs[1]
	if got.SyncName != "s" || got.Status != controlplane.RunFailed || got.Error != "boom" || got.Counts != r1.Counts ||
		got.FinishedAt.IsZero() || !bytes.Contains(got.InvalidSamples, []byte("null key")) {
		t.Errorf("finished run = %+v", got)
	}
	if all, _ := store.ListRuns(ctx, 0, 1); len(all) != 1 || all[0].ID != r2.ID {
		t.Errorf("ListRuns(all, 1) = %+v", all)
	}
	// r2 is running but nobody holds the sync's lock (its runner died): it has not served the
	// schedule, r1 (failed) has.
	lastStart := func() time.Time {
		t.Helper()
		last, err := store.ScheduleBases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		one, err := store.LastRunStart(ctx, y.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !one.Equal(last[y.ID]) {
			t.Errorf("LastRunStart = %v, ScheduleBases = %v", one, last[y.ID])
		}
		return one
	}
	if got := lastStart(); !got.Equal(r1.StartedAt) {
		t.Errorf("last start with an unheld running run = %v, want the failed run's %v", got, r1.StartedAt)
	}
	// Holding the lock, r2 is truly running: it counts.
	conn, err := store.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, controlplane.SyncLockKey(y.ID)); err != nil {
		t.Fatal(err)
	}
	if got := lastStart(); !got.Equal(r2.StartedAt) {
		t.Errorf("last start with a held running run = %v, want %v", got, r2.StartedAt)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, controlplane.SyncLockKey(y.ID)); err != nil {
		t.Fatal(err)
	}
	conn.Release()
	n, err := store.AbandonRuns(ctx, y.ID, "runner died")
	if err != nil || n != 1 {
		t.Fatalf("AbandonRuns = %d, %v", n, err)
	}
	if r, _ := store.GetRun(ctx, r2.ID); r.Status != controlplane.RunCanceled || r.Error != "runner died" || r.FinishedAt.IsZero() {
		t.Errorf("abandoned run = %+v", r)
	}
	// Canceled (abandoned or handed back) runs do not count.
	r3, err := store.StartRun(ctx, y.ID, controlplane.TriggerSchedule)
	if err != nil {
		t.Fatal(err)
	}
	r3.Status = controlplane.RunCanceled
	if err := store.FinishRun(ctx, r3); err != nil {
		t.Fatal(err)
	}
	if got := lastStart(); !got.Equal(r1.StartedAt) {
		t.Errorf("last start after canceled runs = %v, want the failed run's %v", got, r1.StartedAt)
	}
	r4, err := store.StartRun(ctx, y.ID, controlplane.TriggerSchedule)
	if err != nil {
		t.Fatal(err)
	}
	r4.Status = controlplane.RunSucceeded
	if err := store.FinishRun(ctx, r4); err != nil {
		t.Fatal(err)
	}
	if got := lastStart(); !got.Equal(r4.StartedAt) {
		t.Errorf("last start = %v, want the succeeded run's %v", got, r4.StartedAt)
	}
}

func TestSyncLockKey(t *testing.T) {
	seen := map[int64]int64{}
	for _, id := range []int64{1, 2, 1 << 31, 1<<32 + 1, 1<<40 + 7, -1, 1<<63 - 1} {
		k := controlplane.SyncLockKey(id)
		if other, ok := seen[k]; ok {
			t.Errorf("syncs %d and %d share lock key %d", id, other, k)
		}
		seen[k] = id
	}
	// The bigint ids the old int32 key truncated to the same value.
	if controlplane.SyncLockKey(1) == controlplane.SyncLockKey(1<<32+1) {
		t.Errorf("sync ids 1 and 2^32+1 share a lock key")
	}
}

func TestLedger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y, run := newStartedRun(t)
	h := func(b byte) []byte { return bytes.Repeat([]byte{b}, controlplane.HashSize) }
	run.Counts = controlplane.RunCounts{Extracted: 6, New: 6, Delivered: 5, Rejected: 1}
	err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{
		NewKeys:   []string{"b", "B", "é", "10", "9"},
		NewHashes: [][]byte{h(1), h(1), h(1), h(1), h(1)},
		Rejected:  []controlplane.Rejected{{Key: "x", Status: 422, Body: "no\x00pe"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := store.GetRun(ctx, run.ID); r.Counts != run.Counts {
		t.Errorf("run counts = %+v, want %+v", r.Counts, run.Counts)
	}
	// The endpoint's answer is kept as Postgres text can hold it: its NUL as U+FFFD.
	if rej, err := store.ListRejected(ctx, y.ID); err != nil || len(rej) != 1 || rej[0].Body != "no\uFFFDpe" {
		t.Errorf("rejected records = %+v, %v; want x with the body \"no\uFFFDpe\"", rej, err)
	}
	// Byte order, as COLLATE "C": digits, upper case, lower case, then UTF-8.
	readAll := func() []string {
		t.Helper()
		l, err := store.ReadLedger(ctx, y.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var keys []string
		for l.Next() {
			keys = append(keys, string(l.Key())+":"+string(rune('0'+l.Hash()[0])))
		}
		if err := l.Err(); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	if diff := cmp.Diff([]string{"10:1", "9:1", "B:1", "b:1", "é:1"}, readAll()); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}

	// Changed, deleted, a formerly rejected key delivered, and a "new" key that exists (upserted).
	err = commitWithLease(t, store, y.ID, run, &controlplane.Delivered{
		NewKeys: []string{"x", "b"}, NewHashes: [][]byte{h(3), h(3)},
		Keys: []string{"B"}, Hashes: [][]byte{h(2)},
		Deleted:       []string{"9"},
		ClearRejected: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10:1", "B:2", "b:3", "x:3", "é:1"}, readAll()); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
	if rej, _ := store.ListRejected(ctx, y.ID); len(rej) != 0 {
		t.Errorf("rejected after delivery = %+v", rej)
	}
}

func TestRejectedBodyTruncated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y, run := newStartedRun(t)
	long := string(bytes.Repeat([]byte("é"), 2000))
	err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{
		Rejected: []controlplane.Rejected{{Key: "k", Status: 400, Body: long}, {Key: "bad", Status: 400, Body: "\xff\xfe"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rej, err := store.ListRejected(ctx, y.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 2 || len(rej[1].Body) > controlplane.MaxRejectedBody || rej[1].RunID != run.ID || rej[1].Status != 400 {
		t.Fatalf("rejected = %+v", rej)
	}
}

// commitWithLease commits d for run under a lease of the sync taken for the commit alone.
func commitWithLease(t *testing.T, store *controlplane.Store, syncID int64, run *controlplane.Run, d *controlplane.Delivered) error {
	t.Helper()
	ctx := context.Background()
	lease, err := store.AcquireSync(ctx, syncID, true, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	return lease.Commit(ctx, run, d)
}

// A scheduled run's slot is what the next due time counts from, not when the run started; a run
// started by hand counts from its start.
func TestScheduleBases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newTxRunnerSync(t)
	slot := time.Now().Add(-time.Hour).Truncate(time.Second).UTC()
	r, err := store.StartRunAt(ctx, y.ID, controlplane.TriggerSchedule, slot)
	if err != nil {
		t.Fatal(err)
	}
	r.Status = controlplane.RunSucceeded
	if err := store.FinishRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	bases, err := store.ScheduleBases(ctx)
	if err != nil || !bases[y.ID].Equal(slot) {
		t.Fatalf("ScheduleBases = %v, %v; want the slot %v", bases[y.ID], err, slot)
	}
	m, err := store.StartRun(ctx, y.ID, controlplane.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	m.Status = controlplane.RunFailed
	if err := store.FinishRun(ctx, m); err != nil {
		t.Fatal(err)
	}
	if bases, err = store.ScheduleBases(ctx); err != nil || !bases[y.ID].Equal(m.StartedAt) {
		t.Errorf("after a run by hand: ScheduleBases = %v, %v; want its start %v", bases[y.ID], err, m.StartedAt)
	}
}

// TestFinishRunStoresAnyText: a run's error text and its invalid samples come from the
// warehouse and the endpoint (a MySQL error quoting a binary value, a DuckDB text with a NUL);
// Postgres text and jsonb hold neither NUL nor invalid UTF-8, and the run's end is recorded
// anyway, each shown as U+FFFD.
func TestFinishRunStoresAnyText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, _, run := newStartedRun(t)
	run.Status = controlplane.RunFailed
	run.Error = "Duplicate entry '\xff\xfe' for key 'PRIMARY'\x00"
	run.InvalidSamples = json.RawMessage(`[{"reason":"a\u0000b","key":"k\u0000"}]`)
	if err := store.FinishRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	got, err := store.GetRun(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Duplicate entry '\uFFFD' for key 'PRIMARY'\uFFFD"; got.Status != controlplane.RunFailed || got.Error != want {
		t.Errorf("stored run: status %s, error %q; want failed, %q", got.Status, got.Error, want)
	}
	if !strings.Contains(string(got.InvalidSamples), `a\ufffdb`) && !strings.Contains(string(got.InvalidSamples), "a\uFFFDb") {
		t.Errorf("stored samples %s: want the NUL as U+FFFD", got.InvalidSamples)
	}
}

// TestFinishRunStoresAnySamples: jsonb refuses a lone UTF-16 surrogate escape, which a Postgres
// json value in an invalid record can carry ("\ud800"), and bytes that are not UTF-8; the run's
// end is recorded anyway, with U+FFFD for them (and valid pairs decoded).
func TestFinishRunStoresAnySamples(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t)
	for _, c := range []struct{ samples, want string }{
		{`[{"reason":"null key","key":null,"record":{"doc":{"a":"\ud800","b\udc00":"\ud83d\ude00"}}}]`,
			"[{\"key\": null, \"reason\": \"null key\", \"record\": {\"doc\": {\"a\": \"\uFFFD\", \"b\uFFFD\": \"😀\"}}}]"},
		{"[{\"reason\":\"null key\",\"key\":null,\"record\":{\"s\":\"a\xffb\"}}]",
			`[{"key": null, "reason": "null key", "record": {"s": "a` + "\uFFFD" + `b"}}]`},
		{`[{"reason":"null key"`, `"[{\"reason\":\"null key\""`},
		{``, `[]`},
	} {
		run, err := store.StartRun(ctx, y.ID, controlplane.TriggerManual)
		if err != nil {
			t.Fatal(err)
		}
		run.Status = controlplane.RunSucceeded
		run.InvalidSamples = json.RawMessage(c.samples)
		if err := store.FinishRun(ctx, run); err != nil {
			t.Errorf("samples %s: %v", c.samples, err)
			continue
		}
		got, err := store.GetRun(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != controlplane.RunSucceeded || string(got.InvalidSamples) != c.want {
			t.Errorf("samples %s stored as %s (run %s), want %s", c.samples, got.InvalidSamples, got.Status, c.want)
		}
	}
}

// The lookups of every poll and of the status page read a few runs per sync, not every run the
// sync ever had: ScheduleBases ran an aggregate over all of them on every poll of every daemon
// replica (1.1 s for 500,000 runs of 50 syncs, 9 ms now), LastRunStart over all of one sync's.
func TestRunLookupsReadFewRuns(t *testing.T) {
	t.Parallel()
	w := controlplanetest.NewWorld(t, runnerSync(true))
	ctx, store, y := w.Ctx, w.Store, w.Sync
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := store.DB().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	// 5,000 runs, of y and of nine more syncs.
	syncs := []int64{y.ID}
	for i := range 9 {
		syncs = append(syncs, w.NewSync(controlplane.Sync{Name: fmt.Sprintf("s%d", i), BatchSize: 10}).ID)
	}
	exec(`INSERT INTO backflow.sync_runs (sync_id, status, trigger, started_at, finished_at, scheduled_for, notified_at)
		SELECT ($1::bigint[])[1 + g % 10], CASE WHEN g % 7 = 0 THEN 'failed' WHEN g % 13 = 0 THEN 'canceled' ELSE 'succeeded' END,
			'schedule', now() - (5000 - g) * interval '1 minute', now() - (5000 - g) * interval '1 minute' + interval '5 seconds',
			now() - (5000 - g) * interval '1 minute', now()
		FROM generate_series(1, 5000) g`, syncs)
	exec(`ANALYZE backflow.sync_runs`)
	// read is how many rows of sync_runs and entries of its indexes this transaction has read.
	read := func() int64 {
		var n int64
		if err := store.DB().QueryRow(ctx, `SELECT pg_stat_get_xact_tuples_returned('backflow.sync_runs'::regclass) +
			coalesce((SELECT sum(pg_stat_get_xact_tuples_returned(i.indexrelid)) FROM pg_index i
				WHERE i.indrelid = 'backflow.sync_runs'::regclass), 0)::bigint`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"ScheduleBases", func() error { _, err := store.ScheduleBases(ctx); return err }},
		{"LastRunStart", func() error { _, err := store.LastRunStart(ctx, y.ID); return err }},
	} {
		before := read()
		if err := c.call(); err != nil {
			t.Fatal(err)
		}
		if n := read() - before; n > 100 {
			t.Errorf("%s read %d runs or index entries of runs; want a few per sync, not every run", c.name, n)
		}
	}
}

// TestRecentRunsAsListRuns: RecentRuns (the status page's overview, in one query) returns for
// each sync what ListRuns returns for it: its newest runs, at most limit, newest first, and
// nothing for a sync without runs.
func TestRecentRunsAsListRuns(t *testing.T) {
	ctx := context.Background()
	w := controlplanetest.NewWorld(t, runnerSync(true))
	busy := w.NewSync(controlplane.Sync{Name: "busy", Behavior: controlplane.BehaviorMirror, PrimaryKey: "id", BatchSize: 10})
	idle := w.NewSync(controlplane.Sync{Name: "idle", Behavior: controlplane.BehaviorMirror, PrimaryKey: "id", BatchSize: 10})
	// Interleaved: busy's runs outnumber the limit, w.Sync's do not.
	if _, err := w.Store.DB().Exec(ctx, `INSERT INTO backflow.sync_runs (sync_id, status, trigger)
		SELECT CASE WHEN g % 3 = 0 THEN $1::int8 ELSE $2::int8 END, 'succeeded', 'schedule' FROM generate_series(1, 20) g`,
		w.Sync.ID, busy.ID); err != nil {
		t.Fatal(err)
	}
	const limit = 5
	got, err := w.Store.RecentRuns(ctx, limit)
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range []*controlplane.Sync{w.Sync, busy, idle} {
		want, err := w.Store.ListRuns(ctx, y.ID, limit)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got[y.ID], cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("RecentRuns of sync %q differ from its ListRuns (-want +got):\n%s", y.Name, diff)
		}
	}
}
