package controlplane_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// waitForLockWaits waits until n sessions of the test's database wait for a lock, failing the
// test when one of the writes in flight (done) returns first: it did not wait.
func waitForLockWaits(t *testing.T, ctx context.Context, pool *pgxpool.Pool, n int, what string, done ...<-chan error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var waiting int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		for i, d := range done {
			select {
			case err := <-d:
				t.Fatalf("waiting for %s: write %d returned without waiting: %v", what, i+1, err)
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two providers writing the first connections of an empty control plane at the same moment,
// under different keys (two workspaces, one with a mistyped BACKFLOW_SECRET_KEY), do not both
// pass the key check, each seeing no connection: the second waits for the first and is refused
// with ErrWrongKey. Else the control plane would hold connections sealed under two keys, and
// `backflow-runner rekey` would stop at whichever its key does not open.
func TestConcurrentFirstWritesUnderTwoKeys(t *testing.T) {
	ctx := context.Background()
	first, _, _ := controlplanetest.NewStore(t) // NewStore: an empty control plane of its own
	pool := first.Pool()
	second := controlplane.New(pool, parseKey(t, controlplanetest.NewKey(t)))
	// The barrier: an insert into the connections waits, after the key check, for the advisory
	// lock the test holds.
	if _, err := pool.Exec(ctx, `
		CREATE FUNCTION backflow.test_barrier() RETURNS trigger LANGUAGE plpgsql AS
			$$ BEGIN PERFORM pg_advisory_xact_lock_shared(4711); RETURN NEW; END $$;
		CREATE TRIGGER test_barrier BEFORE INSERT ON backflow.connections
			FOR EACH ROW EXECUTE FUNCTION backflow.test_barrier()`); err != nil {
		t.Fatal(err)
	}
	holder, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release()
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock(4711)`); err != nil {
		t.Fatal(err)
	}
	doneFirst, doneSecond := make(chan error, 1), make(chan error, 1)
	go func() { doneFirst <- first.CreateConnection(ctx, webhookConn("first hook")) }()
	waitForLockWaits(t, ctx, pool, 1, "the first write to reach the barrier", doneFirst)
	go func() { doneSecond <- second.CreateConnection(ctx, webhookConn("second hook")) }()
	waitForLockWaits(t, ctx, pool, 2, "the second write to wait", doneFirst, doneSecond)
	var onTable bool // what the second waits for: the connections' lock, not the barrier
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted
		AND locktype = 'relation' AND relation = 'backflow.connections'::regclass)`).Scan(&onTable); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock(4711)`); err != nil {
		t.Fatal(err)
	}
	if err := <-doneFirst; err != nil {
		t.Fatalf("the first write: %v", err)
	}
	if err := <-doneSecond; !errors.Is(err, controlplane.ErrWrongKey) {
		t.Fatalf("the second write, under another key, while the first was not committed: %v; want ErrWrongKey "+
			"(it waited for the connections' lock: %v)", err, onTable)
	}
	if !onTable {
		t.Errorf("the second write did not wait for the connections' lock")
	}
	if _, err := first.GetConnectionByName(ctx, "second hook"); !errors.Is(err, controlplane.ErrNotFound) {
		t.Fatalf("the refused connection was stored: %v", err)
	}
}

// A delete of a connection that holds its row while it checks the connection's users, and an
// update of the same connection that starts then, do not deadlock (the update's key check locks
// the table in a mode a delete's DELETE conflicts with): the delete goes through, and the update
// finds the connection gone.
func TestDeleteAndUpdateOfAConnectionDoNotDeadlock(t *testing.T) {
	ctx := context.Background()
	store, _, _ := controlplanetest.NewStore(t)
	pool := store.Pool()
	c := webhookConn("hook")
	if err := store.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	// The barrier: the delete's look at the models that use the connection waits for this.
	hold, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx)
	if _, err := hold.Exec(ctx, `LOCK TABLE backflow.models IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	doneDelete, doneUpdate := make(chan error, 1), make(chan error, 1)
	go func() { doneDelete <- store.DeleteConnection(ctx, c.ID) }()
	waitForLockWaits(t, ctx, pool, 1, "the delete to reach the barrier", doneDelete)
	changed := webhookConn("hook")
	changed.ID = c.ID
	go func() { doneUpdate <- store.UpdateConnection(ctx, changed) }()
	waitForLockWaits(t, ctx, pool, 2, "the update to wait", doneDelete, doneUpdate)
	if err := hold.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-doneDelete; err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := <-doneUpdate; !errors.Is(err, controlplane.ErrNotFound) {
		t.Errorf("update of the connection deleted meanwhile: %v; want ErrNotFound", err)
	}
}

// CheckKeyInUse counts the connections the syncs use (warehouse, destination, and the
// destination of a notification about them), not the others, and names those the key cannot open.
func TestCheckKeyInUse(t *testing.T) {
	w := controlplanetest.NewWorld(t, runnerSync(false))
	ctx := w.Ctx
	spare := webhookConn("spare")
	alerts := webhookConn("alerts")
	for _, c := range []*controlplane.Connection{spare, alerts} {
		if err := w.Store.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Store.CreateNotification(ctx, &controlplane.Notification{Name: "failures", DestinationID: alerts.ID,
		Events: []string{controlplane.EventRunFailed}, SyncIDs: []int64{w.Sync.ID}}); err != nil {
		t.Fatal(err)
	}
	kc, err := w.Store.CheckKeyInUse(ctx)
	if err != nil || kc.InUse != 3 || len(kc.Unopened) != 0 {
		t.Fatalf("under the right key: %+v, %v; want 3 in use, all opened", kc, err)
	}
	other := controlplane.New(w.Store.Pool(), parseKey(t, controlplanetest.NewKey(t)))
	kc, err = other.CheckKeyInUse(ctx)
	want := []controlplane.NamedConnection{{ID: w.Warehouse.ID, Name: w.Warehouse.Name},
		{ID: w.Destination.ID, Name: w.Destination.Name}, {ID: alerts.ID, Name: alerts.Name}}
	slices.SortFunc(want, func(a, b controlplane.NamedConnection) int { return cmp.Compare(a.ID, b.ID) }) // by id
	if err != nil || kc.InUse != 3 || !slices.Equal(kc.Unopened, want) {
		t.Fatalf("under another key: %+v, %v; want all 3 unopened: %+v", kc, err, want)
	}
}
