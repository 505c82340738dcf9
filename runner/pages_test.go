package runner

import (
	"bytes"
	"sort"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// ledgerSize is a sync's pages and per-key rows (tombstones included).
func (f *fixture) ledgerSize() (pages, rows int64) {
	f.t.Helper()
	pages, err := controlplanetest.LedgerPageCount(f.ctx, f.store, f.sync.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	rows, err = controlplanetest.LedgerRowCount(f.ctx, f.store, f.sync.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return pages, rows
}

// A first run writes its ledger as pages, one per delivered batch; later runs override page
// entries with rows, hide deleted keys with tombstones, and send a re-inserted key again.
func TestLedgerPagesAcrossRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 30) AS i`)
	all := []string{"1", "2", "3", "4", "10"}
	for i := 11; i <= 30; i++ {
		all = append(all, strconv.Itoa(i))
	}

	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if run.Counts.New != 25 || run.Counts.Delivered != 25 {
		t.Fatalf("first run counts = %+v", run.Counts)
	}
	f.recv.Take("id")
	pages, rows := f.ledgerSize()
	// 25 records in batches of 2: 13 batches, each its own page.
	if pages != 13 || rows != 0 {
		t.Fatalf("after the first run: %d pages and %d rows, want 13 pages and no rows", pages, rows)
	}
	if diff := cmp.Diff(sorted(all), f.ledgerKeys()); diff != "" {
		t.Fatalf("ledger after the first run (-want +got):\n%s", diff)
	}
	first, err := controlplanetest.LedgerEntries(f.ctx, f.store, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}

	f.exec(`INSERT INTO users VALUES (5, 'fay@example.com', 'Fay', true, '2023-05-05 05:05:05')`)
	f.exec(`UPDATE users SET email = 'bobby@example.com' WHERE id = 2`)
	f.exec(`DELETE FROM users WHERE id = 3`)
	run = f.run(controlplane.RunSucceeded, RunOptions{})
	got, _ := f.recv.Take("id")
	if diff := cmp.Diff(lines("changed 2\nchanged 5\ndeleted 3"), got); diff != "" {
		t.Fatalf("second run sent (-want +got):\n%s", diff)
	}
	if c := run.Counts; c.New != 1 || c.Changed != 1 || c.Deleted != 1 || c.Delivered != 3 {
		t.Errorf("second run counts = %+v", c)
	}
	pages, rows = f.ledgerSize()
	if pages != 13 || rows != 3 {
		t.Errorf("after the second run: %d pages and %d rows, want 13 pages and 3 rows (2, 3's tombstone, 5)", pages, rows)
	}
	second, err := controlplanetest.LedgerEntries(f.ctx, f.store, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := second["3"]; ok {
		t.Errorf("deleted key 3 is in the ledger")
	}
	if _, ok := second["5"]; !ok {
		t.Errorf("inserted key 5 is not in the ledger")
	}
	if bytes.Equal(second["2"], first["2"]) {
		t.Errorf("updated key 2 kept its first hash")
	}
	if !bytes.Equal(second["4"], first["4"]) || len(second) != 25 {
		t.Errorf("ledger after the second run has %d keys, key 4's hash %x (was %x)", len(second), second["4"], first["4"])
	}
	var tombstone bool
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT hash IS NULL FROM backflow.sync_ledger WHERE sync_id = $1 AND key = '3'`,
		f.sync.ID).Scan(&tombstone); err != nil || !tombstone {
		t.Errorf("key 3: tombstone %v, %v; want a row with a NULL hash", tombstone, err)
	}

	// Nothing changed: nothing sent.
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("a run with nothing changed sent %v", got)
	}

	// The deleted key comes back: it is new again.
	f.exec(`INSERT INTO users VALUES (3, 'cy@example.com', 'Cy', null, '2020-02-02 02:02:02.5')`)
	run = f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 3"}) {
		t.Fatalf("re-insert sent %v, want changed 3", got)
	}
	if c := run.Counts; c.New != 1 || c.Delivered != 1 {
		t.Errorf("re-insert counts = %+v", c)
	}
	third, err := controlplanetest.LedgerEntries(f.ctx, f.store, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(third) != 26 || len(third["3"]) != controlplane.HashSize {
		t.Errorf("after the re-insert the ledger has %d keys, key 3's hash %x", len(third), third["3"])
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("a run after the re-insert sent %v", got)
	}
}

// A first run that stops part way leaves pages; the next run finds the ledger not empty and
// records the rest as per-key rows.
func TestPartialFirstRunContinuesWithRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 60) AS i`)
	if _, err := f.store.Pool().Exec(f.ctx, `
		CREATE FUNCTION backflow.refuse_page_40() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.first_key <= '40' AND NEW.last_key >= '40' THEN RAISE EXCEPTION 'key 40 refused by the test'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_page_40 BEFORE INSERT ON backflow.sync_ledger_pages
			FOR EACH ROW EXECUTE FUNCTION backflow.refuse_page_40()`); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunFailed, RunOptions{})
	f.recv.Take("id")
	pages, rows := f.ledgerSize()
	before, err := controlplanetest.LedgerEntries(f.ctx, f.store, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 0 || int64(len(before)) >= 55 {
		t.Fatalf("after the failed first run: %d pages, %d rows, %d keys", pages, rows, len(before))
	}
	if _, err := f.store.Pool().Exec(f.ctx, `DROP TRIGGER refuse_page_40 ON backflow.sync_ledger_pages`); err != nil {
		t.Fatal(err)
	}

	run := f.run(controlplane.RunSucceeded, RunOptions{})
	got, _ := f.recv.Take("id")
	var want []string
	after := f.ledgerKeys()
	for _, k := range after {
		if _, ok := before[k]; !ok {
			want = append(want, "changed "+k)
		}
	}
	if diff := cmp.Diff(sorted(want), got); diff != "" {
		t.Errorf("second run sent (-want +got):\n%s", diff)
	}
	// The keys of the batches delivered but not recorded were adopted from their intents as
	// unconfirmed: the second run resends them as changed (the receiver may have them).
	if len(after) != 55 || run.Counts.New+run.Counts.Changed != int64(55-len(before)) {
		t.Errorf("ledger has %d keys after the second run, want 55; counts %+v", len(after), run.Counts)
	}
	pages2, rows2 := f.ledgerSize()
	if pages2 != pages || rows2 != int64(55-len(before)) {
		t.Errorf("second run: %d pages (was %d) and %d rows, want no new page and %d rows", pages2, pages, rows2, 55-len(before))
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
