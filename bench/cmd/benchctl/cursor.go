package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// The cursor cases (every size) and the delivery log's cost (the largest size).
//
// A third sync of the same users reads incrementally: its cursor is the fixture's created_at
// (indexed, as a cursor column should be), which the bench moves to now() on the rows it
// changes, as an updated_at would move. After the sync's first run (a full read: it has no
// mark yet), 0.1% of the users change (spread over the key order: the first by user_id, an md5)
// and a timed run reads from the mark minus the default lookback: the changed rows, and the
// fixture's latest created_at's rows, which it reads again without sending them. Before it,
// both databases are vacuumed, as autovacuum would have done by then. Its target is 5% of E
// (the design's). Then a full read of the same sync (its mark cleared) must send
// nothing: the incremental run left the receiver as a full read would have.
//
// The delivery log's cost: at the largest size, first runs of the upsert sync alternately
// without (`sync --no-delivery-log`) and with the log, each from an emptied ledger; the ratio
// of the best with to the best without, against the 1.15×.

const cursorSync = "bench users cursor"

// cursorIndex is the index a cursor column wants: the warehouse answers `created_at >= $1`
// from it instead of scanning the table.
const cursorIndex = "CREATE INDEX users_created_at ON users (created_at)"

// cursorSyncDef is the cursor sync, created with the others (setup).
func cursorSyncDef(modelID, destID int64) *controlplane.Sync {
	return &controlplane.Sync{Name: cursorSync, ModelID: modelID, DestinationID: destID,
		Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "unique_id", BatchSize: batchSize, Cursor: "created_at"}
}

// deliveryLogCost is the delivery log's measured cost.
type deliveryLogCost struct {
	Rows       int       `json:"rows"`
	OffSeconds float64   `json:"off_seconds"` // best first run with --no-delivery-log
	OnSeconds  float64   `json:"on_seconds"`  // best first run with the log
	OffSamples []float64 `json:"off_samples"`
	OnSamples  []float64 `json:"on_samples"`
	Ratio      float64   `json:"ratio"`
	Target     float64   `json:"target_ratio"`
	OK         bool      `json:"ok"`
}

// runCursorCases times the cursor sync's first run, a run after 0.1% of the users changed, and
// the full read that checks it.
func runCursorCases(ctx context.Context, cfg config, e *env, n int, c ceilings) ([]result, error) {
	var out []result
	count := func(q string) (int64, error) {
		conn, err := pgx.Connect(ctx, e.whURL)
		if err != nil {
			return 0, err
		}
		defer conn.Close(ctx)
		var v int64
		return v, conn.QueryRow(ctx, q).Scan(&v)
	}
	users := func() (int64, int64, error) {
		v, err := count("SELECT count(*) FROM users")
		return v, 0, err
	}
	cursorID := `(SELECT id FROM backflow.syncs WHERE name = '` + cursorSync + `')`
	clearMark := func(int) error {
		return execAll(ctx, e.cpURL, `DELETE FROM backflow.sync_cursors WHERE sync_id = `+cursorID)
	}
	clearAll := func(rep int) error {
		if rep == 0 {
			return nil
		}
		return execAll(ctx, e.cpURL, `DELETE FROM backflow.sync_ledger WHERE sync_id = `+cursorID,
			`DELETE FROM backflow.sync_ledger_pages WHERE sync_id = `+cursorID, `DELETE FROM backflow.sync_cursors WHERE sync_id = `+cursorID,
			"VACUUM ANALYZE backflow.sync_ledger", "VACUUM ANALYZE backflow.sync_ledger_pages")
	}
	rows, _, err := users()
	if err != nil {
		return nil, err
	}
	r, err := timedCase(ctx, cfg, e, n, result{Case: "cursor first run", Rows: int(rows), Ceiling: "E+D",
		CeilingS: c.ESeconds + c.DSeconds, Target: targetFactor, CPUTarget: targetCPU}, cursorSync, cfg.reps, clearAll, users)
	out = append(out, r)
	if err != nil {
		return out, err
	}

	k := max(n/1000, 1)
	r, err = timedCase(ctx, cfg, e, n, result{Case: "cursor, 0.1% changed", Rows: k, Ceiling: "E", CeilingS: c.ESeconds, Target: 0.05},
		cursorSync, cfg.reps, func(rep int) error {
			// A different 0.1% each time, their cursor moved past the mark.
			if err := execAll(ctx, e.whURL, "UPDATE users SET role = role || ' (cursor)', created_at = now()::timestamp "+
				"WHERE unique_id IN (SELECT unique_id FROM users ORDER BY user_id OFFSET "+strconv.Itoa(rep*k)+" LIMIT "+strconv.Itoa(k)+")",
				"VACUUM ANALYZE users"); err != nil {
				return err
			}
			// The ledger as autovacuum (on by default) leaves it within a minute of the first
			// run that wrote it: a Postgres with autovacuum off never vacuums its pages, and each
			// lookup then also checks their visibility.
			return execAll(ctx, e.cpURL, "VACUUM ANALYZE backflow.sync_ledger_pages", "VACUUM ANALYZE backflow.sync_ledger")
		}, func() (int64, int64, error) { return int64(k), 0, nil })
	out = append(out, r)
	if err != nil {
		return out, err
	}

	// The check: a full read of the same sync now finds nothing to send.
	r, err = timedCase(ctx, cfg, e, n, result{Case: "cursor, full read after", Rows: int(rows), Ceiling: "E", CeilingS: c.ESeconds, Target: targetFactor},
		cursorSync, 1, clearMark, func() (int64, int64, error) { return 0, 0, nil })
	if r.OK {
		r.Note = "sent nothing: the incremental runs missed nothing"
	} else {
		r.Note += "; sent nothing: the incremental runs missed nothing"
	}
	out = append(out, r)
	return out, err
}

// runDeliveryLogCost times first runs of the upsert sync without and with the delivery log,
// alternately, reps times each.
func runDeliveryLogCost(ctx context.Context, cfg config, e *env, n int) (*deliveryLogCost, error) {
	id := `(SELECT id FROM backflow.syncs WHERE name = '` + upsertSync + `')`
	clear := func(int) error {
		return execAll(ctx, e.cpURL, `DELETE FROM backflow.sync_ledger WHERE sync_id = `+id,
			`DELETE FROM backflow.sync_ledger_pages WHERE sync_id = `+id,
			"VACUUM ANALYZE backflow.sync_ledger", "VACUUM ANALYZE backflow.sync_ledger_pages")
	}
	conn, err := pgx.Connect(ctx, e.whURL)
	if err != nil {
		return nil, err
	}
	var rows int64
	err = conn.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&rows)
	conn.Close(ctx)
	if err != nil {
		return nil, err
	}
	want := func() (int64, int64, error) { return rows, 0, nil }
	lc := &deliveryLogCost{Rows: int(rows), Target: 1.15}
	for rep := range cfg.reps {
		for _, on := range []bool{false, true} {
			label, extra := "first run, delivery log off", []string{"--no-delivery-log"}
			if on {
				label, extra = "first run, delivery log on", nil
			}
			r, err := timedCase(ctx, cfg, e, n, result{Case: label, Rows: int(rows), CeilingS: 1}, upsertSync, 1, clear, want, extra...)
			if err != nil {
				return lc, fmt.Errorf("%s (%d of %d): %w", label, rep+1, cfg.reps, err)
			}
			if on {
				lc.OnSamples = append(lc.OnSamples, r.Seconds)
				lc.OnSeconds = minPositive(lc.OnSeconds, r.Seconds)
			} else {
				lc.OffSamples = append(lc.OffSamples, r.Seconds)
				lc.OffSeconds = minPositive(lc.OffSeconds, r.Seconds)
			}
		}
	}
	lc.Ratio = lc.OnSeconds / lc.OffSeconds
	lc.OK = lc.Ratio <= lc.Target
	return lc, nil
}

func printDeliveryLog(w io.Writer, lc *deliveryLogCost) {
	if lc == nil {
		return
	}
	mark := "ok"
	if !lc.OK {
		mark = "MISS over target"
	}
	fmt.Fprintf(w, "delivery log: first run of %d rows %.2fs with it, %.2fs without (best of %d each, alternated): %.2f× (target ≤%g×)  %s\n",
		lc.Rows, lc.OnSeconds, lc.OffSeconds, len(lc.OnSamples), lc.Ratio, lc.Target, mark)
}
