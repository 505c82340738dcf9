package runner

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

// setSQL makes the fixture's model the SQL q.
func (f *fixture) setSQL(q string) {
	f.t.Helper()
	f.model.Table, f.model.SQL = "", q
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		f.t.Fatal(err)
	}
}

// usersUnchanged fails the test unless the warehouse's users table still holds its 5 rows.
func (f *fixture) usersUnchanged(after string) {
	f.t.Helper()
	var n int
	if err := f.wh.QueryRow(f.ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	if n != 5 {
		f.t.Fatalf("users has %d rows after %s, want 5: the model wrote to the warehouse", n, after)
	}
}

// readFails runs the sync, a test and a dry run, and fails the test unless each fails with an
// error that contains want and sends nothing.
func (f *fixture) readFails(want string, is error) {
	f.t.Helper()
	check := func(what string, err error) {
		f.t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) || (is != nil && !errors.Is(err, is)) {
			f.t.Errorf("%s: %v, want an error with %q", what, err, want)
		}
	}
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if run == nil || run.Status != controlplane.RunFailed || !strings.Contains(run.Error, want) {
		f.t.Errorf("sync: run %+v, want it failed with %q", run, want)
	}
	check("sync", err)
	_, err = f.engine.Test(f.ctx, f.sync.ID)
	check("test", err)
	_, err = f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	check("dry run", err)
	_, err = f.engine.DryRun(f.ctx, f.sync.ID, true, 3)
	check("full dry run", err)
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		f.t.Errorf("sent %v", got)
	}
	if keys := f.ledgerKeys(); len(keys) != 0 {
		f.t.Errorf("ledger moved: %v", keys)
	}
}

// A model whose SQL calls a function that deletes rows is harmless: sync, test and dry run read
// it in a read-only transaction, which refuses the delete, so the table keeps its rows and
// nothing is sent. SQL that writes by itself (stored before the provider refused it, or without
// the provider) fails each of them with a message that says so, not a syntax error.
func TestModelOnlyReads(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.exec(`CREATE FUNCTION cleanup() RETURNS boolean LANGUAGE plpgsql
		AS $$ BEGIN DELETE FROM users; RETURN true; END $$`)

	f.setSQL("select * from users where cleanup()")
	f.readFails("cannot execute DELETE in a read-only transaction", warehouse.ErrNotReadOnly)
	f.usersUnchanged("sync, test and dry run of a model calling a function that deletes")

	for _, q := range []string{
		"delete from users returning *",
		"with d as (delete from users returning *) select * from d",
		"update users set name = 'x' returning *",
		"select * from users for update",
	} {
		f.setSQL(q)
		f.readFails("a model must be a query that only reads", warehouse.ErrNotReadOnly)
		f.usersUnchanged(q)
	}
}

// A run, test or dry run of a model over a table another session holds ACCESS EXCLUSIVE fails
// once the connection's lock timeout has passed, instead of waiting for the lock.
func TestReadLockedTable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	wc, err := f.store.GetConnection(f.ctx, f.model.ConnectionID)
	if err != nil {
		t.Fatal(err)
	}
	wc.Postgres.LockTimeout = time.Second
	if err := f.store.UpdateConnection(f.ctx, wc); err != nil {
		t.Fatal(err)
	}
	locker, err := f.wh.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Rollback(f.ctx)
	if _, err := locker.Exec(f.ctx, "LOCK TABLE users IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	// A generous bound, not a measure: reads still blocked then get the lock and succeed, and
	// the test fails rather than hangs.
	var expired atomic.Bool
	timer := time.AfterFunc(2*time.Minute, func() {
		expired.Store(true)
		_ = locker.Rollback(context.Background())
	})
	defer timer.Stop()
	f.readFails("lock_timeout (1s)", warehouse.ErrLockTimeout)
	if expired.Load() {
		t.Error("reads of a locked table were still waiting after 2 minutes")
	}
}
