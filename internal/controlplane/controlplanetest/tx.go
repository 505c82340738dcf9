package controlplanetest

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// NewTxStore returns a Store over a transaction of one database shared by the tests of every
// binary (a migrated copy of the template, made once per schema), rolled back at cleanup: a
// test's rows are seen by that test alone and nothing is left to drop, at the cost of a BEGIN
// instead of a CREATE DATABASE. It also returns the store's key.
//
// It suits tests whose statements need no commit. Keep NewStore for a test that takes a sync's
// lock (AcquireSync and every lease: a session of its own that must see the sync), LISTENs, runs
// River, opens a second connection that must see the rows, expects a refused statement outside
// the store's own transactions (it aborts the test's transaction), or locks a whole table.
//
// Tests on the shared database run side by side, each in its own transaction, so two of them
// must not insert the same name (the second would wait for the first to end): give each test's
// rows names of their own (NewWorld does). Sequences are not transactional, so ids never clash.
// Every connection write takes the connections table's key-check lock (SHARE ROW EXCLUSIVE), and
// every sync write the transaction-level lock of the syncs' parents graph, both held until the
// rollback: tests that write connections (and so syncs) run one after another, which is harmless
// as long as no such test waits for another one.
func NewTxStore(t testing.TB) (store *controlplane.Store, key string) {
	t.Helper()
	pool, err := sharedPool()
	if err != nil {
		t.Fatalf("open the shared transaction-test database: %v", err)
	}
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatalf("begin the test's transaction: %v", err)
	}
	t.Cleanup(func() {
		if err := tx.Rollback(context.Background()); err != nil {
			t.Errorf("roll back the test's transaction: %v", err)
		}
	})
	key = NewKey(t)
	sealer, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return controlplane.New(tx, sealer), key
}

var (
	sharedOnce    sync.Once
	sharedPoolVal *pgxpool.Pool
	sharedErr     error
)

// sharedPool is a pool on the shared database, opened once per test binary and never closed
// (the process ends with the binary). Its size bounds how many transaction tests of one binary
// hold a connection at once, well above -parallel on a small machine.
func sharedPool() (*pgxpool.Pool, error) {
	sharedOnce.Do(func() {
		ctx := context.Background()
		var name string
		if name, sharedErr = migratedCopy(ctx, "_tx"); sharedErr != nil {
			return
		}
		cfg, err := pgxpool.ParseConfig(databaseURL(name))
		if err != nil {
			sharedErr = err
			return
		}
		cfg.MaxConns = 8
		sharedPoolVal, sharedErr = pgxpool.NewWithConfig(ctx, cfg)
	})
	return sharedPoolVal, sharedErr
}
