package controlplane_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// An incremental read looks its keys up in the ledger with one index probe per key, whatever
// the planner believes of the sync's ledger: with statistics that make the sync look small (here
// none: its 30,000 pages and rows were just written), a plain join of the keys with the ledger is
// planned as a read of every row and page of the sync into a hash table, which at 10M keys is
// the whole ledger for each run. Both statements must plan as nested loops of index scans.
func TestLedgerLookupProbesPerKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t)
	db := store.DB()
	if _, err := db.Exec(ctx, `INSERT INTO backflow.sync_ledger_pages (sync_id, first_key, last_key, entries)
		SELECT $1, lpad(i::text, 9, '0'), lpad(i::text, 9, '0') || 'z', '\x00'::bytea FROM generate_series(1, 30000) AS i`, y.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO backflow.sync_ledger (sync_id, key, hash)
		SELECT $1, lpad(i::text, 9, '0') || 'a', '\x00'::bytea FROM generate_series(1, 30000) AS i`, y.ID); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 4000)
	for i := range keys {
		keys[i] = fmt.Sprintf("%09d", i*7)
	}
	for name, sql := range map[string]string{"lookup": controlplane.LedgerLookupSQL, "pages": controlplane.LedgerPagesSQL} {
		var plan string
		rows, err := db.Query(ctx, "EXPLAIN "+sql, y.ID, keys)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan += line + "\n"
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"Hash", "Seq Scan", "Bitmap", "Merge Join"} {
			if strings.Contains(plan, bad) {
				t.Errorf("the %s statement's plan has a %s, want only index probes per key:\n%s", name, bad, plan)
			}
		}
		if !strings.Contains(plan, "Nested Loop") {
			t.Errorf("the %s statement's plan is not a nested loop:\n%s", name, plan)
		}
	}
}
