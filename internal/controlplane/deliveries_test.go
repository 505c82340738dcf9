package controlplane_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// One key's state, looked up alone, is what the merged ledger (LedgerRows) says of it: pages,
// rows overriding them, tombstones hiding them, unconfirmed rows and outstanding intents.
func TestLookupLedgerKeyAgreesWithLedgerRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y, run := newStartedRun(t)
	// Pages [b d], [f g h], [m]; then rows a c e z (new), f g m (changed); b c h z deleted.
	if err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{Pages: true,
		NewKeys:   []string{"b", "d", "f", "g", "h", "m"},
		NewHashes: [][]byte{pageHash(1), pageHash(1), pageHash(1), pageHash(1), pageHash(1), pageHash(1)},
		PageEnds:  []int{2, 5, 6}}); err != nil {
		t.Fatal(err)
	}
	if err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{Tombstones: true,
		NewKeys: []string{"a", "c", "e", "z"}, NewHashes: [][]byte{pageHash(2), pageHash(2), pageHash(2), pageHash(2)},
		Keys: []string{"f", "g", "m"}, Hashes: [][]byte{pageHash(3), pageHash(3), pageHash(3)}}); err != nil {
		t.Fatal(err)
	}
	if err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{Tombstones: true,
		Deleted: []string{"b", "c", "h", "z"}}); err != nil {
		t.Fatal(err)
	}
	// An outstanding intent for d (a page key) and q (nowhere else); an unconfirmed row for e.
	lease, err := store.AcquireSync(ctx, y.ID, true, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lease.RecordIntents(ctx, run.ID, []controlplane.Intent{{Batch: 1, Keys: []string{"d", "q"}}}, nil); err != nil {
		t.Fatal(err)
	}
	lease.Release()
	if _, err := store.Pool().Exec(ctx, `UPDATE backflow.sync_ledger SET hash = '' WHERE sync_id = $1 AND key = 'e'`, y.ID); err != nil {
		t.Fatal(err)
	}
	// And one for a, which was absent before the request that may have delivered it.
	if _, err := store.Pool().Exec(ctx, `UPDATE backflow.sync_ledger SET hash = '\x00' WHERE sync_id = $1 AND key = 'a'`, y.ID); err != nil {
		t.Fatal(err)
	}

	merged := map[string]string{}
	l, err := store.ReadLedger(ctx, y.ID)
	if err != nil {
		t.Fatal(err)
	}
	for l.Next() {
		st := hashState(l.Hash())
		if !controlplane.Unconfirmed(l.Hash()) {
			st += fmt.Sprintf(" %x", l.Hash())
		}
		merged[string(l.Key())] = st
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	l.Close()

	want := map[string]string{"a": "row", "b": "tombstone", "c": "tombstone", "d": "intent", "e": "row",
		"f": "row", "g": "row", "h": "tombstone", "m": "row", "q": "intent", "z": "", "zz": "", "": ""}
	for key, where := range want {
		got, err := store.LookupLedgerKey(ctx, y.ID, key)
		if err != nil {
			t.Fatal(err)
		}
		wantState := "absent"
		if m, ok := merged[key]; ok {
			wantState = m
		}
		gotState := string(got.State)
		switch {
		case got.WasAbsent:
			gotState += ", was absent"
		case got.State == controlplane.KeyConfirmed:
			gotState += fmt.Sprintf(" %x", got.Hash)
		}
		if gotState != wantState || got.Where != where {
			t.Errorf("key %q: LookupLedgerKey = %s (from %q), LedgerRows says %s (want from %q)", key, gotState, got.Where, wantState, where)
		}
	}
	// d's page entry is the page's, under the intent: the lookup of a page key without one.
	if got, _ := store.LookupLedgerKey(ctx, y.ID, "d"); got.State != controlplane.KeyUnconfirmed {
		t.Errorf("d with an intent: %+v", got)
	}
}

// Rows written in one group read back whole; a key finds the requests that carried it, not those
// whose range merely spans it; the filters and the retention delete work.
func TestDeliveryLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newTxRunnerSync(t)
	old := time.Now().Add(-20 * 24 * time.Hour).UTC().Truncate(time.Microsecond)
	now := time.Now().UTC().Truncate(time.Microsecond)
	ds := []controlplane.Delivery{
		{SyncID: y.ID, RunID: 1, WebhookID: "msg_old", Operation: "changed", Records: 2, SentAt: old, Attempts: 1,
			Status: 200, Latency: 3 * time.Millisecond, Keys: []string{"a", "c"}},
		{SyncID: y.ID, RunID: 2, WebhookID: "msg_1", Operation: "changed", Records: 3, SentAt: now, Attempts: 3,
			Status: 200, Latency: 12 * time.Millisecond, Keys: []string{"c", "a", "e"}},
		{SyncID: y.ID, RunID: 2, WebhookID: "msg_2", Operation: "changed", Records: 1, SentAt: now, Attempts: 1,
			Status: 422, Latency: time.Millisecond, Body: `{"error":"bad email"}`, Keys: []string{"d"}},
		{SyncID: y.ID, RunID: 3, WebhookID: "msg_3", Operation: "deleted", Records: 2, SentAt: now, Attempts: 8,
			Error: "Post request: dial tcp 127.0.0.1:1: connect: connection refused", Keys: []string{"b", "f"}},
	}
	if err := store.WriteDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	ids := func(ds []controlplane.Delivery) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.WebhookID)
		}
		return out
	}
	all, err := store.ListDeliveries(ctx, controlplane.DeliveryFilter{SyncID: y.ID})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"msg_3", "msg_2", "msg_1", "msg_old"}, ids(all)); diff != "" {
		t.Errorf("all, newest first (-want +got):\n%s", diff)
	}
	got := all[2]
	want := ds[1]
	want.ID, want.FirstKey, want.LastKey, want.Keys = got.ID, "a", "e", nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("msg_1 read back (-want +got):\n%s", diff)
	}
	failed, err := store.ListDeliveries(ctx, controlplane.DeliveryFilter{SyncID: y.ID, Failed: true})
	if err != nil || cmp.Diff([]string{"msg_3", "msg_2"}, ids(failed)) != "" {
		t.Errorf("failed = %v, %v", ids(failed), err)
	}
	run2, err := store.ListDeliveries(ctx, controlplane.DeliveryFilter{SyncID: y.ID, RunID: 2, Limit: 1})
	if err != nil || cmp.Diff([]string{"msg_2"}, ids(run2)) != "" {
		t.Errorf("run 2, limit 1 = %v, %v", ids(run2), err)
	}
	for key, want := range map[string][]string{"a": {"msg_old", "msg_1"}, "d": {"msg_2"}, "b": {"msg_3"}, "f": {"msg_3"},
		"c": {"msg_old", "msg_1"}, "cc": nil, "e": {"msg_1"}, "": nil} {
		got, err := store.KeyDeliveries(ctx, y.ID, key)
		if err != nil || cmp.Diff(want, ids(got)) != "" {
			t.Errorf("key %q: requests %v, %v; want %v", key, ids(got), err, want)
		}
	}

	n, err := store.DeleteDeliveriesBefore(ctx, time.Now().Add(-controlplane.DefaultDeliveryRetention))
	if err != nil || n != 1 {
		t.Fatalf("retention deleted %d, %v; want the 1 old row", n, err)
	}
	if got, _ := store.KeyDeliveries(ctx, y.ID, "a"); cmp.Diff([]string{"msg_1"}, ids(got)) != "" {
		t.Errorf("after retention, key a: %v", ids(got))
	}
	// Deleting the sync deletes its log.
	if err := store.DeleteSync(ctx, y.ID); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := store.DB().QueryRow(ctx, `SELECT count(*) FROM backflow.sync_deliveries`).Scan(&left); err != nil || left != 0 {
		t.Errorf("after deleting the sync: %d rows left, %v", left, err)
	}
}
