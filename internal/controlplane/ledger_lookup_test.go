package controlplane_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
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
	probesPerKey(t, db, "lookup", controlplane.LedgerLookupSQL, y.ID, keys)
}

// probesPerKey fails t unless statement sql (named name) with args plans as nested loops of index
// probes, with no hash, scan or merge of every row of the sync.
func probesPerKey(t *testing.T, db controlplane.DB, name, sql string, args ...any) {
	t.Helper()
	var plan string
	rows, err := db.Query(context.Background(), "EXPLAIN "+sql, args...)
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

// A run that retries records an earlier run rejected asks which were (Store.RejectedBefore) for
// each batch with a rejection, inside its commit loop: one index probe per key, whatever the
// planner believes of the sync's rejected records (here, 30,000 just written), not a read of
// every one of them per batch.
func TestRejectedBeforeProbesPerKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t)
	db := store.DB()
	if _, err := db.Exec(ctx, `INSERT INTO backflow.rejected_records (sync_id, key, status, body)
		SELECT $1, lpad(i::text, 9, '0'), 422, 'refused' FROM generate_series(1, 30000) AS i`, y.ID); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("%09d", i*7)
	}
	probesPerKey(t, db, "rejected-before", controlplane.RejectedBeforeSQL, y.ID, keys, int64(0))
	got, err := store.RejectedBefore(ctx, y.ID, 0, []string{"000000007", "x", "000030001", "000029999"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"000000007": true, "000029999": true}; !maps.Equal(got, want) {
		t.Errorf("RejectedBefore = %v, want %v", got, want)
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
