package controlplane_test

import (
	"context"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestLedgerReadEndsOnStalledControlPlane: a run ends its read of the ledger (LedgerRows.Close)
// after its context may have ended, so that call cannot take the run's. It had no deadline: with
// a control plane that stopped answering (a hung server, a network dropping packets), it waited
// for ever, and the daemon's stop (SIGTERM) with it, which waited for the run. Found by stalling
// the control plane under a daemon mid-run, then SIGTERM: the process still ran minutes later,
// in this Close.
func TestLedgerReadEndsOnStalledControlPlane(t *testing.T) {
	controlplane.SetCleanupTimeout(t, 200*time.Millisecond)
	_, dbURL, key := controlplanetest.NewStore(t)
	proxy, proxied := controlplanetest.NewStallProxy(t, dbURL)
	sealer, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := controlplane.Open(ctx, proxied, sealer)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the proxy's connections close before the pool, which otherwise
	// gives each stalled one 15 s to say goodbye.
	t.Cleanup(store.Close)
	t.Cleanup(proxy.Close)
	l, err := store.ReadLedger(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	proxy.Stall()
	closed := make(chan struct{})
	go func() {
		l.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(time.Minute): // a bound, not an assertion: without a deadline it never returns
		t.Fatal("LedgerRows.Close on a control plane that stopped answering still waits a minute on (a rollback without a deadline)")
	}
}
