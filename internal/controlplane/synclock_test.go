package controlplane_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
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
	case <-time.After(time.Minute): // the watch waits on the socket: it is told at once
		t.Fatal("the lease did not notice its session ended: hung a minute")
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

// A key adopted from an intent keeps whether the endpoint may have had it before: a key the
// ledger held (confirmed, in a page or a row, or unconfirmed with the empty marker) gets the empty
// marker and is resent as changed; a key it did not hold (never there, only tombstoned, or
// already carrying the was-absent marker) gets UnconfirmedNew's marker and is resent as new. The
// ledger read while the intents are outstanding (what --dry-run counts) says the same, whether
// read whole (ReadLedger) or looked up by key with the intents overlaid (an incremental dry
// run's LedgerHashes and IntentKeys.Overlay), and keys of no intent are left as they are.
func TestAdoptedIntentsKeepWhetherTheKeyWasAbsent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y, run := newStartedRun(t)
	// Page [a c e g]; rows r1 (confirmed), r2 (''), r3 and e (0x00); c tombstoned; b and x
	// nowhere. g and r0 are in no intent.
	if err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{Pages: true,
		NewKeys: []string{"a", "c", "e", "g"}, NewHashes: [][]byte{pageHash(1), pageHash(1), pageHash(1), pageHash(1)},
		PageEnds: []int{4}}); err != nil {
		t.Fatal(err)
	}
	if err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{Tombstones: true, Deleted: []string{"c"},
		NewKeys: []string{"r0", "r1", "r2", "r3"}, NewHashes: [][]byte{pageHash(2), pageHash(2), pageHash(2), pageHash(2)}}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`UPDATE backflow.sync_ledger SET hash = '' WHERE sync_id = $1 AND key = 'r2'`,
		`UPDATE backflow.sync_ledger SET hash = '\x00' WHERE sync_id = $1 AND key = 'r3'`,
		`INSERT INTO backflow.sync_ledger (sync_id, key, hash) VALUES ($1, 'e', '\x00')`} {
		if _, err := store.Pool().Exec(ctx, sql, y.ID); err != nil {
			t.Fatal(err)
		}
	}
	keys := []string{"a", "b", "c", "e", "r1", "r2", "r3", "x"}
	a, err := store.AcquireSync(ctx, y.ID, false, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.RecordIntents(ctx, run.ID, []controlplane.Intent{{Batch: 1, Keys: keys}}, nil); err != nil {
		t.Fatal(err)
	}
	a.Release() // a crash: the intent stays

	want := map[string]string{"a": "unconfirmed", "r1": "unconfirmed", "r2": "unconfirmed",
		"b": "unconfirmed, was absent", "c": "unconfirmed, was absent", "e": "unconfirmed, was absent",
		"r3": "unconfirmed, was absent", "x": "unconfirmed, was absent", "g": "confirmed", "r0": "confirmed"}
	check := func(when string) {
		t.Helper()
		got := map[string]string{}
		l, err := store.ReadLedger(ctx, y.ID)
		if err != nil {
			t.Fatal(err)
		}
		for l.Next() {
			got[string(l.Key())] = hashState(l.Hash())
		}
		if err := l.Err(); err != nil {
			t.Fatal(err)
		}
		l.Close()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ledger %s (-want +got):\n%s", when, diff)
		}
		for _, k := range keys {
			st, err := store.LookupLedgerKey(ctx, y.ID, k)
			if err != nil {
				t.Fatal(err)
			}
			got := string(st.State)
			if st.WasAbsent {
				got += ", was absent"
			}
			if got != want[k] {
				t.Errorf("LookupLedgerKey(%q) %s: %s, want %s", k, when, got, want[k])
			}
		}
		intents, err := store.ReadIntentKeys(ctx, y.ID)
		if err != nil {
			t.Fatal(err)
		}
		lookup := append([]string{"0", "g", "r0", "z"}, keys...) // not in key order: LedgerHashes takes any
		hashes, found, err := store.LedgerHashes(ctx, y.ID, lookup)
		if err != nil {
			t.Fatal(err)
		}
		intents.Overlay(lookup, hashes, found)
		for i, k := range lookup {
			got := "absent"
			if found[i] {
				got = hashState(hashes[i])
			}
			w, ok := want[k]
			if !ok {
				w = "absent"
			}
			if got != w {
				t.Errorf("LedgerHashes(%q) with the intents overlaid %s: %s, want %s", k, when, got, w)
			}
		}
	}
	check("with the intent outstanding")

	b, err := store.AcquireSync(ctx, y.ID, false, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if n, err := b.AdoptIntents(ctx); err != nil || n != len(keys) {
		t.Fatalf("AdoptIntents = %d, %v; want %d", n, err, len(keys))
	}
	check("after adoption")
	rows, err := store.Pool().Query(ctx, `SELECT key, hash FROM backflow.sync_ledger WHERE sync_id = $1 AND key = ANY ($2)`, y.ID, keys)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for rows.Next() {
		var k string
		var h []byte
		if err := rows.Scan(&k, &h); err != nil {
			t.Fatal(err)
		}
		stored[k] = fmt.Sprintf("%x", h)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	wantRows := map[string]string{"a": "", "r1": "", "r2": "", "b": "00", "c": "00", "e": "00", "r3": "00", "x": "00"}
	if diff := cmp.Diff(wantRows, stored); diff != "" {
		t.Errorf("adopted rows' hashes (-want +got):\n%s", diff)
	}
}

// hashState names a ledger hash: confirmed, or which unconfirmed marker.
func hashState(h []byte) string {
	switch {
	case controlplane.UnconfirmedNew(h):
		return "unconfirmed, was absent"
	case controlplane.Unconfirmed(h):
		return "unconfirmed"
	}
	return "confirmed"
}

// TestTakeoverOfARunnerStoppedInATransaction: runner A stops (SIGSTOP, a frozen VM) in the middle
// of a fenced transaction, which holds the fence FOR SHARE, and its lock's session ends (the
// server's keepalives, an operator): runner B takes the lock, and its bump of the fence must not
// wait for A to run again. A, resumed, commits nothing.
func TestTakeoverOfARunnerStoppedInATransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y := newRunnerSync(t) // NewStore: it takes the sync's lock and commits under leases
	a, err := store.AcquireSync(ctx, y.ID, false, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	inTx, resume := make(chan struct{}), make(chan struct{})
	aDone := make(chan error, 1)
	go func() {
		aDone <- a.Fenced(ctx, func(tx pgx.Tx) error {
			close(inTx)
			<-resume // stopped: the server sees the transaction idle
			_, err := tx.Exec(ctx, `DELETE FROM backflow.sync_intents WHERE sync_id = $1`, y.ID)
			return err
		})
	}()
	<-inTx
	terminateLock(t, store, y.ID)
	bctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	b, err := store.AcquireSync(bctx, y.ID, true, nil, 0)
	close(resume)
	if err != nil {
		t.Fatalf("runner B could not take the sync over from a runner stopped in a transaction: %v", err)
	}
	defer b.Release()
	if err := <-aDone; !errors.Is(err, controlplane.ErrLockLost) {
		t.Errorf("runner A's transaction, resumed after the takeover: %v, want ErrLockLost", err)
	}
}

// TestCommitWaitingForAnEarlierGroupIsNotIdle: a commit whose BeforeCommit waits (a runner's
// group waits for the group before it to commit, which may take long) while the runner runs
// must not have its transaction ended as idle (FencedIdleTimeout): that bound is for a runner
// that stopped answering, and the run would fail with what it delivered unrecorded.
func TestCommitWaitingForAnEarlierGroupIsNotIdle(t *testing.T) {
	controlplane.SetFencedIdleTimeout(t, 500*time.Millisecond) // not parallel: it sets a package variable
	ctx := context.Background()
	store, y := newRunnerSync(t)
	lease, err := store.AcquireSync(ctx, y.ID, false, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	run, err := store.StartRun(ctx, y.ID, controlplane.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	h := bytes.Repeat([]byte{1}, controlplane.HashSize)
	waits := 0
	d := &controlplane.Delivered{NewKeys: []string{"a"}, NewHashes: [][]byte{h}, Intents: []int32{1},
		BeforeCommit: func(ctx context.Context) error {
			waits++
			if waits == 1 { // the earlier group's commit, slow: four idle timeouts
				time.Sleep(2 * time.Second)
			}
			return nil
		}}
	if err := lease.Commit(ctx, run, d); err != nil {
		t.Fatalf("a commit that waited for an earlier group failed: %v", err)
	}
	if waits != 1 {
		t.Errorf("the commit was made %d times: its transaction was ended while it waited", waits)
	}
}

// TestRunnerPausedInATransactionGoesOn: a runner paused (SIGSTOP, a frozen VM) in a fenced
// transaction for longer than FencedIdleTimeout, whose sync nobody took over meanwhile, finds
// its transaction's session ended by the server when it resumes: the write is made again on
// another connection, as after any session the control plane ended, and the run goes on.
func TestRunnerPausedInATransactionGoesOn(t *testing.T) {
	controlplane.SetFencedIdleTimeout(t, 300*time.Millisecond) // not parallel: it sets a package variable
	ctx := context.Background()
	store, y := newRunnerSync(t)
	lease, err := store.AcquireSync(ctx, y.ID, false, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	tries := 0
	err = lease.Fenced(ctx, func(tx pgx.Tx) error {
		tries++
		if tries == 1 {
			time.Sleep(2 * time.Second) // paused: the server sees the transaction idle
		}
		_, err := tx.Exec(ctx, `DELETE FROM backflow.sync_intents WHERE sync_id = $1`, y.ID)
		return err
	})
	if err != nil {
		t.Fatalf("a runner paused in a transaction, its sync not taken over, failed its write: %v", err)
	}
	if err := lease.Err(); err != nil {
		t.Errorf("the lease counts as lost: %v", err)
	}
}

// TestCheckFenceRecentSharesOneCheck: a run's batches that start together after a pause each
// ask CheckFenceRecent, which lets one of them query the fence at a time. With a control plane
// farther than FenceRecent away (a round trip of more than 100 ms: another region), the check
// that one of them made is already older than FenceRecent when it returns, so each of the
// others made its own, one after the other: a run could start no more than one request per
// round trip. A check that began after a caller asked answers for it too.
func TestCheckFenceRecentSharesOneCheck(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := controlplanetest.NewWorld(t, runnerSync(false))
	proxy, proxied := controlplanetest.NewStallProxy(t, w.URL)
	sealer, err := controlplane.ParseKey(w.Key)
	if err != nil {
		t.Fatal(err)
	}
	store, err := controlplane.Open(ctx, proxied, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	lease, err := store.AcquireSync(ctx, w.Sync.ID, false, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	// Each round trip now takes longer than FenceRecent; the lease's last confirmation (its
	// bump) is older than that once the first answer comes back.
	proxy.Delay(2 * controlplane.FenceRecent)
	if err := lease.CheckFence(ctx); err != nil { // a connection of the pool, ready
		t.Fatal(err)
	}
	const batches = 16
	before := proxy.Trips()
	start := make(chan struct{})
	errs := make(chan error, batches)
	for range batches {
		go func() {
			<-start
			errs <- lease.CheckFenceRecent(ctx)
		}()
	}
	close(start)
	for range batches {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if trips := proxy.Trips() - before; trips >= batches/2 {
		t.Errorf("%d batches that asked together made %d round trips to the control plane, want one or two checks", batches, trips)
	}
}
