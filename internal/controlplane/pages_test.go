package controlplane_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

func pageHash(b byte) []byte { return bytes.Repeat([]byte{b}, controlplane.HashSize) }

// readLedger is the merged ledger as "key:hash[0]" strings, in the order ReadLedger gives them.
func readLedger(t *testing.T, store *controlplane.Store, syncID int64) []string {
	t.Helper()
	l, err := store.ReadLedger(context.Background(), syncID)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out []string
	for l.Next() {
		out = append(out, fmt.Sprintf("%s:%d", l.Key(), l.Hash()[0]))
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Pages and rows read as one key-ordered ledger: a row overrides a page entry, a tombstone hides
// it, rows may sort before, between and after pages and on a page's first key.
func TestLedgerPagesMerge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y, run := newStartedRun(t)
	st, err := store.ReadLedgerState(ctx, y.ID)
	if err != nil || !st.Empty() {
		t.Fatalf("state of a new sync's ledger = %+v, %v; want empty", st, err)
	}
	// Three pages: [b d], [f g h], [m].
	err = commitWithLease(t, store, y.ID, run, &controlplane.Delivered{
		Pages:     true,
		NewKeys:   []string{"b", "d", "f", "g", "h", "m"},
		NewHashes: [][]byte{pageHash(1), pageHash(1), pageHash(1), pageHash(1), pageHash(1), pageHash(1)},
		PageEnds:  []int{2, 5, 6},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := controlplanetest.LedgerPageCount(ctx, store, y.ID); n != 3 {
		t.Errorf("%d pages, want 3", n)
	}
	if n, _ := controlplanetest.LedgerRowCount(ctx, store, y.ID); n != 0 {
		t.Errorf("%d rows, want 0", n)
	}
	if diff := cmp.Diff([]string{"b:1", "d:1", "f:1", "g:1", "h:1", "m:1"}, readLedger(t, store, y.ID)); diff != "" {
		t.Errorf("pages only (-want +got):\n%s", diff)
	}
	if st, _ := store.ReadLedgerState(ctx, y.ID); st != (controlplane.LedgerState{Pages: true}) {
		t.Errorf("state = %+v, want pages only", st)
	}

	// Later runs: rows before, between, inside and after the pages; overrides of a first key
	// (f), of a middle key (g) and of a last one (m); deletions of page keys (b, h) and of a
	// row-only key in a page's range (c) and of one past the last page (z).
	err = commitWithLease(t, store, y.ID, run, &controlplane.Delivered{
		Tombstones: true,
		NewKeys:    []string{"a", "c", "e", "z"},
		NewHashes:  [][]byte{pageHash(2), pageHash(2), pageHash(2), pageHash(2)},
		Keys:       []string{"f", "g", "m"},
		Hashes:     [][]byte{pageHash(3), pageHash(3), pageHash(3)},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = commitWithLease(t, store, y.ID, run, &controlplane.Delivered{
		Tombstones: true,
		Deleted:    []string{"b", "c", "h", "z"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a:2", "d:1", "e:2", "f:3", "g:3", "m:3"}
	if diff := cmp.Diff(want, readLedger(t, store, y.ID)); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	if n, err := controlplanetest.LedgerCount(ctx, store, y.ID); err != nil || n != int64(len(want)) {
		t.Errorf("LedgerCount = %d, %v; want %d", n, err, len(want))
	}
	entries, err := controlplanetest.LedgerEntries(ctx, store, y.ID)
	if err != nil || len(entries) != len(want) || !bytes.Equal(entries["f"], pageHash(3)) {
		t.Errorf("LedgerEntries = %v, %v", entries, err)
	}
	// b and h are hidden by tombstones; so is c, in the range of a page though only ever a row
	// (harmless); z, past every page, is simply gone.
	var tombstones []string
	rows, err := store.Pool().Query(ctx, `SELECT key FROM backflow.sync_ledger WHERE sync_id = $1 AND hash IS NULL ORDER BY key`, y.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		tombstones = append(tombstones, k)
	}
	if diff := cmp.Diff([]string{"b", "c", "h"}, tombstones); diff != "" {
		t.Errorf("tombstones (-want +got):\n%s", diff)
	}

	// Re-adding a tombstoned key as new: the tombstone makes the COPY conflict, and the group is
	// upserted instead.
	err = commitWithLease(t, store, y.ID, run, &controlplane.Delivered{
		Tombstones: true, NewKeys: []string{"b"}, NewHashes: [][]byte{pageHash(4)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want = append([]string{"a:2", "b:4"}, want[1:]...)
	if diff := cmp.Diff(want, readLedger(t, store, y.ID)); diff != "" {
		t.Errorf("after re-adding b (-want +got):\n%s", diff)
	}
}

// Many pages of many keys read back in order, one page at a time.
func TestLedgerPagesMany(t *testing.T) {
	t.Parallel()
	store, y, run := newStartedRun(t)
	const n, per = 5000, 700
	d := &controlplane.Delivered{Pages: true}
	for i := range n {
		d.NewKeys = append(d.NewKeys, fmt.Sprintf("user%05d@example.com", i))
		d.NewHashes = append(d.NewHashes, pageHash(byte(i)))
		if (i+1)%per == 0 || i == n-1 {
			d.PageEnds = append(d.PageEnds, i+1)
		}
	}
	if err := commitWithLease(t, store, y.ID, run, d); err != nil {
		t.Fatal(err)
	}
	got := readLedger(t, store, y.ID)
	if len(got) != n {
		t.Fatalf("read %d keys, want %d", len(got), n)
	}
	for i, g := range got {
		if want := fmt.Sprintf("%s:%d", d.NewKeys[i], byte(i)); g != want {
			t.Fatalf("entry %d = %s, want %s", i, g, want)
		}
	}
	// Where the server has lz4 (migration 018), pages are stored compressed with it; without it,
	// whole (pglz would cost more than it saves).
	var lz4 bool
	var pages, compressed int
	err := store.DB().QueryRow(context.Background(), `SELECT
		'lz4' = ANY (coalesce((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'), '{}')),
		count(*), count(*) FILTER (WHERE pg_column_compression(entries) = 'lz4')
		FROM backflow.sync_ledger_pages WHERE sync_id = $1`, y.ID).Scan(&lz4, &pages, &compressed)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[bool]int{true: pages, false: 0}[lz4]; pages != 8 || compressed != want {
		t.Errorf("%d of %d pages compressed with lz4, want %d of 8 (server has lz4: %v)", compressed, pages, want, lz4)
	}
}

// A page whose keys are not in order is refused, and nothing is written.
func TestLedgerPageOutOfOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y, run := newStartedRun(t)
	err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{
		Pages: true, NewKeys: []string{"b", "a"}, NewHashes: [][]byte{pageHash(1), pageHash(1)}, PageEnds: []int{2},
	})
	if err == nil {
		t.Fatal("CommitDelivered accepted a page out of order")
	}
	if n, _ := controlplanetest.LedgerPageCount(ctx, store, y.ID); n != 0 {
		t.Errorf("%d pages written", n)
	}
}

// Deleting a sync deletes its pages, and only its own.
func TestDeleteSyncDeletesPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t) // NewStore: it commits under a lease
	other := &controlplane.Sync{Name: "other", ModelID: y.ModelID, DestinationID: y.DestinationID,
		Behavior: controlplane.BehaviorMirror, PrimaryKey: "id", BatchSize: 10}
	if err := store.CreateSync(ctx, other); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{y.ID, other.ID} {
		run, err := store.StartRun(ctx, id, controlplane.TriggerManual)
		if err != nil {
			t.Fatal(err)
		}
		if err := commitWithLease(t, store, id, run, &controlplane.Delivered{Pages: true,
			NewKeys: []string{"a", "b", "c"}, NewHashes: [][]byte{pageHash(1), pageHash(1), pageHash(1)}, PageEnds: []int{1, 3},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.DeleteSync(ctx, y.ID); err != nil {
		t.Fatal(err)
	}
	var left, kept int
	if err := store.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE sync_id = $1), count(*) FILTER (WHERE sync_id = $2)
		FROM backflow.sync_ledger_pages`, y.ID, other.ID).Scan(&left, &kept); err != nil {
		t.Fatal(err)
	}
	if left != 0 || kept != 2 {
		t.Errorf("after deleting the sync: %d of its pages left (want 0), %d of the other's (want 2)", left, kept)
	}
}

// Two runs that overlapped (a lost lock) must not leave overlapping pages: readers rely on pages
// being disjoint. The second run's group goes in as rows instead, which override pages.
func TestOverlappingPagesBecomeRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t) // NewStore: it commits under a lease
	runA, err := store.StartRun(ctx, y.ID, controlplane.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	runB, err := store.StartRun(ctx, y.ID, controlplane.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	// Run A: one page [a c e].
	if err := commitWithLease(t, store, y.ID, runA, &controlplane.Delivered{Pages: true,
		NewKeys: []string{"a", "c", "e"}, NewHashes: [][]byte{pageHash(1), pageHash(1), pageHash(1)}, PageEnds: []int{3},
	}); err != nil {
		t.Fatal(err)
	}
	// Run B, which also started on an empty ledger: [b c e] overlaps, [x] does not.
	if err := commitWithLease(t, store, y.ID, runB, &controlplane.Delivered{Pages: true,
		NewKeys:   []string{"b", "c", "e", "x"},
		NewHashes: [][]byte{pageHash(2), pageHash(2), pageHash(2), pageHash(2)}, PageEnds: []int{3, 4},
	}); err != nil {
		t.Fatal(err)
	}
	if n, _ := controlplanetest.LedgerPageCount(ctx, store, y.ID); n != 1 {
		t.Errorf("%d pages, want 1: the overlapping group must not add pages", n)
	}
	want := []string{"a:1", "b:2", "c:2", "e:2", "x:2"}
	if diff := cmp.Diff(want, readLedger(t, store, y.ID)); diff != "" {
		t.Errorf("merged ledger (-want +got):\n%s", diff)
	}
}
