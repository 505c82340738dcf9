package controlplane_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// terminateLock ends the session that holds sync syncID's lock.
func terminateLock(t *testing.T, store *controlplane.Store, syncID int64) {
	t.Helper()
	var killed bool
	err := store.Pool().QueryRow(context.Background(), `SELECT coalesce(bool_or(pg_terminate_backend(l.pid)), false)
		FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND ((l.classid::int8 << 32) | l.objid::int8) = $1`, controlplane.SyncLockKey(syncID)).Scan(&killed)
	if err != nil || !killed {
		t.Fatalf("terminate the lock's session: %v %v", killed, err)
	}
}

// ledgerView is the merged ledger as key → "confirmed" or "unconfirmed".
func ledgerView(t *testing.T, store *controlplane.Store, syncID int64) map[string]string {
	t.Helper()
	l, err := store.ReadLedger(context.Background(), syncID)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out := map[string]string{}
	for l.Next() {
		if controlplane.Unconfirmed(l.Hash()) {
			out[string(l.Key())] = "unconfirmed"
		} else {
			out[string(l.Key())] = "confirmed"
		}
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A lease whose session ended learns it at once; once another lease took the sync, every write
// of the first is refused and changes nothing.
func TestLostLeaseIsFenced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t) // NewStore: it takes the sync's lock and commits under leases
	a, err := store.AcquireSync(ctx, y.ID, false, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	if _, err := store.AcquireSync(ctx, y.ID, false, nil, 0); !errors.Is(err, controlplane.ErrBusy) {
		t.Fatalf("second lease while the first holds: %v, want ErrBusy", err)
	}
	run, err := store.StartRun(ctx, y.ID, controlplane.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	h := bytes.Repeat([]byte{1}, controlplane.HashSize)
	if err := a.Commit(ctx, run, &controlplane.Delivered{NewKeys: []string{"a"}, NewHashes: [][]byte{h}}); err != nil {
		t.Fatal(err)
	}

	terminateLock(t, store, y.ID)
	select {
	case <-a.Lost():
	case <-time.After(30 * time.Second): // the watch waits on the socket: it is told at once
		t.Fatal("the lease did not notice its session ended")
	}
	if !errors.Is(a.Err(), controlplane.ErrLockLost) {
		t.Errorf("Err = %v", a.Err())
	}
	b, err := store.AcquireSync(ctx, y.ID, true, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if b.Token() <= a.Token() {
		t.Errorf("tokens %d then %d: the fence did not move on", a.Token(), b.Token())
	}

	run.Counts.Delivered = 99
	err = a.Commit(ctx, run, &controlplane.Delivered{NewKeys: []string{"b"}, NewHashes: [][]byte{h}})
	if !errors.Is(err, controlplane.ErrLockLost) {
		t.Errorf("commit after the take-over: %v, want ErrLockLost", err)
	}
	if _, err := a.RecordIntents(ctx, run.ID, []controlplane.Intent{{Batch: 0, Keys: []string{"c"}}}, nil); !errors.Is(err, controlplane.ErrLockLost) {
		t.Errorf("intent after the take-over: %v, want ErrLockLost", err)
	}
	run.Status, run.Error = controlplane.RunSucceeded, ""
	if err := a.Finish(ctx, run); !errors.Is(err, controlplane.ErrLockLost) {
		t.Errorf("finish after the take-over: %v, want ErrLockLost", err)
	}
	if diff := cmp.Diff(map[string]string{"a": "confirmed"}, ledgerView(t, store, y.ID)); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
	stored, err := store.GetRun(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != controlplane.RunRunning || stored.Counts.Delivered != 0 {
		t.Errorf("the fenced run's record changed: %+v", stored)
	}
}

// Intents show in the ledger as unconfirmed keys; a later lease adopts them as unconfirmed rows
// (also over confirmed entries and tombstones), and a commit of the batch clears them.
func TestIntentsAreAdopted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t) // NewStore: it takes the sync's lock and commits under leases
	h := bytes.Repeat([]byte{1}, controlplane.HashSize)
	a, err := store.AcquireSync(ctx, y.ID, false, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	run, err := store.StartRun(ctx, y.ID, controlplane.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	// A first run: page [a c], then batches 1 and 2 recorded as intents, batch 1 committed.
	if err := a.Commit(ctx, run, &controlplane.Delivered{Pages: true, NewKeys: []string{"a", "c"},
		NewHashes: [][]byte{h, h}, PageEnds: []int{2}}); err != nil {
		t.Fatal(err)
	}
	packed, _, _ := controlplane.PackKeys(nil, []string{"f", "g"}) // batch 3's keys come packed
	if _, err := a.RecordIntents(ctx, run.ID, []controlplane.Intent{
		{Batch: 1, Keys: []string{"", "d"}}, {Batch: 3, Packed: packed}, {Batch: 2, Keys: []string{"c", "e"}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"": "unconfirmed", "a": "confirmed", "c": "unconfirmed", "d": "unconfirmed", "e": "unconfirmed",
		"f": "unconfirmed", "g": "unconfirmed"}
	if diff := cmp.Diff(want, ledgerView(t, store, y.ID)); diff != "" {
		t.Errorf("ledger with intents (-want +got):\n%s", diff)
	}
	if err := a.Commit(ctx, run, &controlplane.Delivered{Keys: []string{"", "d"}, Hashes: [][]byte{h, h},
		Intents: []int32{1}}); err != nil {
		t.Fatal(err)
	}
	want[""], want["d"] = "confirmed", "confirmed"
	if diff := cmp.Diff(want, ledgerView(t, store, y.ID)); diff != "" {
		t.Errorf("ledger after batch 1 was recorded (-want +got):\n%s", diff)
	}
	a.Release() // a crash: batch 2's intent stays

	b, err := store.AcquireSync(ctx, y.ID, false, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	n, err := b.AdoptIntents(ctx)
	if err != nil || n != 4 {
		t.Fatalf("AdoptIntents = %d, %v; want 4", n, err)
	}
	if diff := cmp.Diff(want, ledgerView(t, store, y.ID)); diff != "" {
		t.Errorf("ledger after adoption (-want +got):\n%s", diff)
	}
	if n, err := b.AdoptIntents(ctx); err != nil || n != 0 {
		t.Errorf("adopting again = %d, %v; want 0", n, err)
	}
	st, err := store.ReadLedgerState(ctx, y.ID)
	if err != nil || !st.Rows || !st.Pages {
		t.Errorf("ledger state %+v, %v", st, err)
	}
}
