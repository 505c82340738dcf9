package controlplane_test

import (
	"bytes"
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
// the whole ledger for each run. The statement must plan as nested loops of index scans.
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
	for name, sql := range map[string]string{"lookup": controlplane.LedgerLookupSQL} {
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

// LedgerHashes answers as ReadLedger merges: rows override page entries, tombstones hide them,
// keys between, before and after pages are absent, and a page whose first key is the empty
// string (a key like any other) is found. Keys may come in any order and more than once.
func TestLedgerHashes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y, run := newStartedRun(t)
	// Pages ["" b d], [f g h], [m]; then rows a (2), f and m (3), and tombstones for b and h.
	if err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{
		Pages:     true,
		NewKeys:   []string{"", "b", "d", "f", "g", "h", "m"},
		NewHashes: [][]byte{pageHash(1), pageHash(1), pageHash(1), pageHash(1), pageHash(1), pageHash(1), pageHash(1)},
		PageEnds:  []int{3, 6, 7},
	}); err != nil {
		t.Fatal(err)
	}
	if err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{
		Tombstones: true,
		NewKeys:    []string{"a"}, NewHashes: [][]byte{pageHash(2)},
		Keys: []string{"f", "m"}, Hashes: [][]byte{pageHash(3), pageHash(3)},
	}); err != nil {
		t.Fatal(err)
	}
	if err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{Tombstones: true, Deleted: []string{"b", "h"}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"": 1, "a": 2, "d": 1, "f": 3, "g": 1, "m": 3} // 0: absent
	keys := []string{"z", "g", "", "b", "c", "d", "d", "a", "f", "h", "m", "e", "n", "0"}
	hashes, found, err := store.LedgerHashes(ctx, y.ID, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		w := want[k]
		switch {
		case w == 0 && found[i]:
			t.Errorf("key %q: found (hash %v), want absent", k, hashes[i])
		case w != 0 && !found[i]:
			t.Errorf("key %q: absent, want hash %d", k, w)
		case w != 0 && !bytes.Equal(hashes[i], pageHash(byte(w))):
			t.Errorf("key %q: hash %v, want %d", k, hashes[i], w)
		}
	}
	// In key order (as runs ask), and nothing asked.
	sorted := []string{"", "0", "a", "b", "c", "d", "e", "f", "g", "h", "m", "n", "z"}
	hashes, found, err = store.LedgerHashes(ctx, y.ID, sorted)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range sorted {
		if w := want[k]; (w != 0) != found[i] || w != 0 && !bytes.Equal(hashes[i], pageHash(byte(w))) {
			t.Errorf("in key order, key %q: found %v hash %v, want %d", k, found[i], hashes[i], w)
		}
	}
	if _, found, err := store.LedgerHashes(ctx, y.ID, nil); err != nil || len(found) != 0 {
		t.Errorf("no keys: %v, %v", found, err)
	}
}
