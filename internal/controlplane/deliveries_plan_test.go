package controlplane_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestListDeliveriesReadsOnlyWhatItLists: `deliveries` and the status page's sync page (its last
// failed requests, at every load) read a sync's newest requests of the delivery log by index,
// however large the log: they read every sync's rows, newest first, to find those of the sync
// (the primary key walked backwards, filtered), so that a sync that had few requests lately, or
// whose requests rarely fail, read the whole log: 200 thousand rows here, some million over the
// 14 days a large installation keeps.
func TestListDeliveriesReadsOnlyWhatItLists(t *testing.T) {
	t.Parallel()
	w := controlplanetest.NewWorld(t, runnerSync(false))
	ctx, store := w.Ctx, w.Store
	busy, quiet := w.Sync.ID, w.NewSync(controlplane.Sync{Name: "quiet", BatchSize: 10}).ID
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := store.DB().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	// The quiet sync's 300 requests, then the busy one's 200,000, one in 10,000 refused.
	exec(`INSERT INTO backflow.sync_deliveries (sync_id, run_id, webhook_id, operation, records, first_key, last_key, sent_at,
			attempts, status, latency_us, keys)
		SELECT $1, 1 + g / 100, 'msg_q' || g, 'changed', 1, 'k', 'k', now() - interval '10 days', 1,
			CASE WHEN g % 50 = 0 THEN 503 ELSE 200 END, 1000, '\x016b'::bytea
		FROM generate_series(1, 300) g`, quiet)
	exec(`INSERT INTO backflow.sync_deliveries (sync_id, run_id, webhook_id, operation, records, first_key, last_key, sent_at,
			attempts, status, latency_us, keys)
		SELECT $1, 100 + g / 1000, 'msg_b' || g, 'changed', 1, 'k', 'k', now() - interval '9 days' + g * interval '1 s', 1,
			CASE WHEN g % 10000 = 0 THEN 422 ELSE 200 END, 1000, '\x016b'::bytea
		FROM generate_series(1, 200000) g`, busy)
	exec(`ANALYZE backflow.sync_deliveries`)

	const limit = 50
	for _, f := range []controlplane.DeliveryFilter{
		{SyncID: quiet}, {SyncID: quiet, Failed: true}, {SyncID: quiet, RunID: 2}, {SyncID: quiet, RunID: 2, Failed: true},
		{SyncID: busy}, {SyncID: busy, Failed: true}, {SyncID: busy, RunID: 150}, {SyncID: busy, RunID: 150, Failed: true},
	} {
		name := fmt.Sprintf("sync %d, run %d, failed %v", f.SyncID, f.RunID, f.Failed)
		sql, args := controlplane.ListDeliveriesSQL(f, limit)
		var plan []byte
		if err := store.DB().QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+sql, args...).Scan(&plan); err != nil {
			t.Fatal(err)
		}
		if read := rowsRead(t, plan, "sync_deliveries"); read > 2*limit+1000 {
			t.Errorf("%s: the listing read %d rows of the delivery log, for at most %d listed", name, read, limit)
		}
		// And it lists what it did: the newest of the sync's requests that the filter keeps.
		got, err := store.ListDeliveries(ctx, controlplane.DeliveryFilter{SyncID: f.SyncID, RunID: f.RunID, Failed: f.Failed, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		if err := store.DB().QueryRow(ctx, `SELECT coalesce(array_agg(id ORDER BY id DESC), '{}') FROM (SELECT id FROM backflow.sync_deliveries
			WHERE sync_id = $1 AND ($2 = 0 OR run_id = $2) AND (NOT $3 OR status NOT BETWEEN 200 AND 299) ORDER BY id DESC LIMIT $4) x`,
			f.SyncID, f.RunID, f.Failed, limit).Scan(&want); err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, d := range got {
			ids = append(ids, d.ID)
		}
		if len(want) == 0 {
			want = nil
		}
		if diff := cmp.Diff(want, ids); diff != "" {
			t.Errorf("%s: listed (-want +got):\n%s", name, diff)
		}
	}
}

// rowsRead is how many rows of table an EXPLAIN (ANALYZE, FORMAT JSON) plan's scans read: those
// they returned and those their filters removed, over every loop.
func rowsRead(t *testing.T, plan []byte, table string) int64 {
	t.Helper()
	type node struct {
		Relation string  `json:"Relation Name"`
		Rows     float64 `json:"Actual Rows"`
		Loops    float64 `json:"Actual Loops"`
		Removed  float64 `json:"Rows Removed by Filter"`
		Plans    []node  `json:"Plans"`
	}
	var top []struct{ Plan node }
	if err := json.Unmarshal(plan, &top); err != nil {
		t.Fatal(err)
	}
	var n float64
	var walk func(p node)
	walk = func(p node) {
		if p.Relation == table {
			n += (p.Rows + p.Removed) * max(p.Loops, 1)
		}
		for _, c := range p.Plans {
			walk(c)
		}
	}
	for _, p := range top {
		walk(p.Plan)
	}
	return int64(n)
}

// TestListDeliveriesOfALargeRunReadsOnlyItsFailed: the failed requests of one run are read by
// index however many requests the run made and however many the sync's other runs had refused.
// `runs` and `runs show` read them for each run with an error of a sync that withholds its key
// (the keys its error may quote); they read every request of the run (sync_deliveries_run_id,
// filtered), or every failed request of the sync (sync_deliveries_failed, filtered): a run of
// 200 thousand requests took half a second to show, each of a listing's.
func TestListDeliveriesOfALargeRunReadsOnlyItsFailed(t *testing.T) {
	t.Parallel()
	w := controlplanetest.NewWorld(t, runnerSync(false))
	ctx, store, id := w.Ctx, w.Store, w.Sync.ID
	// Run 1 had 20,000 requests refused; run 2 made 20,000 that were not, but for its second.
	if _, err := store.DB().Exec(ctx, `INSERT INTO backflow.sync_deliveries (sync_id, run_id, webhook_id, operation, records,
			first_key, last_key, sent_at, attempts, status, latency_us, keys)
		SELECT $1, 1 + g / 20001, 'msg_' || g, 'changed', 1, 'k', 'k', now(), 1,
			CASE WHEN g <= 20000 OR g = 20002 THEN 422 ELSE 200 END, 1000, '\x016b'::bytea
		FROM generate_series(1, 40000) g`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := store.DB().Exec(ctx, `ANALYZE backflow.sync_deliveries`); err != nil {
		t.Fatal(err)
	}
	for _, run := range []int64{1, 2, 3} {
		f := controlplane.DeliveryFilter{SyncID: id, RunID: run, Failed: true, Keys: true}
		sql, args := controlplane.ListDeliveriesSQL(f, 100)
		var plan []byte
		if err := store.DB().QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+sql, args...).Scan(&plan); err != nil {
			t.Fatal(err)
		}
		if read := rowsRead(t, plan, "sync_deliveries"); read > 201 {
			t.Errorf("run %d: the failed requests were found among %d rows of the delivery log, for at most 100 listed", run, read)
		}
	}
	got, err := store.ListDeliveries(ctx, controlplane.DeliveryFilter{SyncID: id, RunID: 2, Failed: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].WebhookID != "msg_20002" {
		t.Errorf("run 2's failed requests: %+v, want msg_20002's", got)
	}
}
