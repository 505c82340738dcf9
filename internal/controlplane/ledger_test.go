package controlplane_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// A group whose BeforeCommit fails leaves neither the ledger nor the run's counters moved.
func TestCommitDeliveredBeforeCommitRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y, run := newStartedRun(t)
	h := bytes.Repeat([]byte{7}, controlplane.HashSize)
	run.Counts = controlplane.RunCounts{Extracted: 2, New: 2, Delivered: 2}
	boom := errors.New("boom")
	called := 0
	err := commitWithLease(t, store, y.ID, run, &controlplane.Delivered{
		NewKeys: []string{"a", "b"}, NewHashes: [][]byte{h, h},
		BeforeCommit: func(context.Context) error { called++; return boom },
	})
	if !errors.Is(err, boom) || called != 1 {
		t.Fatalf("CommitDelivered = %v after %d calls, want boom after 1", err, called)
	}
	if n, err := controlplanetest.LedgerCount(ctx, store, y.ID); err != nil || n != 0 {
		t.Errorf("ledger count = %d, %v; want 0", n, err)
	}
	if r, _ := store.GetRun(ctx, run.ID); r.Counts != (controlplane.RunCounts{}) {
		t.Errorf("run counts = %+v, want zero", r.Counts)
	}
}

// Thousands of new keys go in by COPY, and deleting most of them removes exactly those.
func TestCommitDeliveredManyKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, y, run := newStartedRun(t)
	const n = 5000
	d := &controlplane.Delivered{}
	for i := range n {
		d.NewKeys = append(d.NewKeys, fmt.Sprintf("user%05d@example.com", i))
		d.NewHashes = append(d.NewHashes, bytes.Repeat([]byte{byte(i)}, controlplane.HashSize))
	}
	if err := commitWithLease(t, store, y.ID, run, d); err != nil {
		t.Fatal(err)
	}
	del := &controlplane.Delivered{Deleted: d.NewKeys[:n-3]}
	if err := commitWithLease(t, store, y.ID, run, del); err != nil {
		t.Fatal(err)
	}
	got, err := controlplanetest.LedgerEntries(ctx, store, y.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("ledger has %d keys after deleting %d of %d, want 3", len(got), n-3, n)
	}
	for i := n - 3; i < n; i++ {
		if h := got[d.NewKeys[i]]; !bytes.Equal(h, d.NewHashes[i]) {
			t.Errorf("key %s: hash %x, want %x", d.NewKeys[i], h, d.NewHashes[i])
		}
	}
}
