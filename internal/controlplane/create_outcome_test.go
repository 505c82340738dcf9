package controlplane_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// A create whose commit the control plane ran but whose answer was lost (a network cut, a
// failover mid-apply) says so, ErrOutcomeUnknown, with the new row's id known: the provider asks
// for that id to tell whether the row was made, and otherwise keeps it in the state. A model and
// a notification were one INSERT, whose lost answer lost the id too: the row was made, Terraform
// recorded nothing, and the next apply met Name Already Taken.
func TestCreateWithLostCommitAnswerKnowsItsID(t *testing.T) {
	ctx := context.Background()
	admin, dbURL, key := controlplanetest.NewStore(t)
	hook := webhookConn("hook")
	if err := admin.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	wh := &controlplane.Connection{Name: "wh", Postgres: &controlplane.PostgresConfig{URL: "postgres://u@h/db"}}
	if err := admin.CreateConnection(ctx, wh); err != nil {
		t.Fatal(err)
	}
	model := &controlplane.Model{Name: "m", ConnectionID: wh.ID, SQL: "select 1 as id",
		Columns: []controlplane.Column{{Name: "id", Type: "int4"}}}
	if err := admin.CreateModel(ctx, model); err != nil {
		t.Fatal(err)
	}
	sealer, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind   string
		create func(*controlplane.Store) (int64, error)
		get    func(int64) error
	}{
		{"connection", func(s *controlplane.Store) (int64, error) {
			c := webhookConn("lost connection")
			err := s.CreateConnection(ctx, c)
			return c.ID, err
		}, func(id int64) error { _, err := admin.GetConnection(ctx, id); return err }},
		{"model", func(s *controlplane.Store) (int64, error) {
			m := &controlplane.Model{Name: "lost model", ConnectionID: wh.ID, SQL: "select 1 as id",
				Columns: []controlplane.Column{{Name: "id", Type: "int4"}}}
			err := s.CreateModel(ctx, m)
			return m.ID, err
		}, func(id int64) error { _, err := admin.GetModel(ctx, id); return err }},
		{"sync", func(s *controlplane.Store) (int64, error) {
			y := &controlplane.Sync{Name: "lost sync", ModelID: model.ID, DestinationID: hook.ID,
				Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "id", BatchSize: 100}
			err := s.CreateSync(ctx, y)
			return y.ID, err
		}, func(id int64) error { _, err := admin.GetSync(ctx, id); return err }},
		{"notification", func(s *controlplane.Store) (int64, error) {
			n := &controlplane.Notification{Name: "lost notification", DestinationID: hook.ID,
				Events: []string{controlplane.EventRunFailed}}
			err := s.CreateNotification(ctx, n)
			return n.ID, err
		}, func(id int64) error { _, err := admin.GetNotification(ctx, id); return err }},
	} {
		t.Run(c.kind, func(t *testing.T) {
			proxy, proxied := controlplanetest.NewStallProxy(t, dbURL)
			store, err := controlplane.Open(ctx, proxied, sealer)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(store.Close)
			t.Cleanup(proxy.Close)
			proxy.GoDownAfterSending("commit")
			id, err := c.create(store)
			if !errors.Is(err, controlplane.ErrOutcomeUnknown) {
				t.Fatalf("create whose commit's answer was lost: %v, want ErrOutcomeUnknown", err)
			}
			if id == 0 {
				t.Fatal("create whose commit's answer was lost: no id, so nobody can ask whether it was made")
			}
			// The server runs the commit it was sent; its answer is what was lost.
			controlplanetest.WaitFor(t, "the "+c.kind+" the commit made", func() bool { return c.get(id) == nil })
		})
	}
}

// A create whose commit reaches the server after its answer was lost (the network failed while
// the commit was on its way; the server was slow to run it): asked right away, the row was not
// there yet, and the provider reported the create failed while its commit took, and the next
// apply met Name Already Taken. CreateOutcome asks the control plane whether the transaction
// committed, and waits while it is still in progress.
func TestCreateOutcomeWaitsForALateCommit(t *testing.T) {
	ctx := context.Background()
	admin, dbURL, key := controlplanetest.NewStore(t)
	sealer, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	proxy, proxied := controlplanetest.NewStallProxy(t, dbURL)
	store, err := controlplane.Open(ctx, proxied, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	t.Cleanup(proxy.Close)
	proxy.CutBeforeDelivering("commit", time.Second)
	c := webhookConn("late answer")
	err = store.CreateConnection(ctx, c)
	if !errors.Is(err, controlplane.ErrOutcomeUnknown) || c.ID == 0 {
		t.Fatalf("create whose commit's answer was lost: %v (id %d), want ErrOutcomeUnknown and the id", err, c.ID)
	}
	if _, gerr := admin.GetConnection(ctx, c.ID); !errors.Is(gerr, controlplane.ErrNotFound) {
		t.Fatalf("the row before its commit reached the server: %v, want not found (the proxy holds the commit)", gerr)
	}
	committed, oerr := admin.CreateOutcome(ctx, err, connectionExists(admin, c.ID))
	if oerr != nil || !committed {
		t.Fatalf("CreateOutcome of a commit that reaches the server late: %v, %v; want committed", committed, oerr)
	}
	if _, gerr := admin.GetConnection(ctx, c.ID); gerr != nil {
		t.Fatalf("the row CreateOutcome said was committed: %v", gerr)
	}
	// Another error is no create of unknown outcome.
	if _, oerr := admin.CreateOutcome(ctx, errors.New("refused"), connectionExists(admin, c.ID)); oerr == nil {
		t.Fatal("CreateOutcome of an error that is not ErrOutcomeUnknown: no error")
	}
}

// A control plane that crashes (or fails over) before the create's transaction is durable loses
// it, and hands out its transaction id (and its row's id) again after recovery: the id of the
// lost create then names another transaction, which committed. Asked txid_status alone,
// CreateOutcome said the create committed: the apply succeeded and Terraform recorded a row that
// no one made, and the next create of its kind, given the same row id, was read as it. The
// create is committed only once its row is there.
// Asked before another transaction has its id, the server says it is in the future: it has no
// trace of it, so the create did not commit (it said so as a failure to ask: Creation
// Unconfirmed, the row's id kept in the state, tainted, though the next create of its kind is
// given that id).
func TestCreateOutcomeAfterACrashThatLostTheCreate(t *testing.T) {
	for _, reused := range []bool{false, true} {
		t.Run(fmt.Sprintf("id reused %v", reused), func(t *testing.T) { createOutcomeAfterACrash(t, reused) })
	}
}

func createOutcomeAfterACrash(t *testing.T, reused bool) {
	ctx := context.Background()
	run := controlplanetest.PrivateCluster(t, "backflow-pg-crash-")
	dbURL, err := run("26533")
	if err != nil {
		t.Fatal(err)
	}
	key := controlplanetest.NewKey(t)
	sealer, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := controlplane.Open(ctx, dbURL, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	pool := controlplanetest.Pool(t, dbURL)
	// The walwriter flushes no WAL of the create before the crash (nothing else commits).
	for _, q := range []string{`ALTER SYSTEM SET wal_writer_delay = '10s'`, `SELECT pg_reload_conf()`, `CHECKPOINT`} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	proxy, proxied := controlplanetest.NewStallProxy(t, dbURL)
	store, err := controlplane.Open(ctx, proxied, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	t.Cleanup(proxy.Close)
	proxy.CutBeforeDelivering("commit", 5*time.Second)
	c := webhookConn("lost in a crash")
	cerr := store.CreateConnection(ctx, c)
	if !errors.Is(cerr, controlplane.ErrOutcomeUnknown) || c.ID == 0 {
		t.Fatalf("create whose commit's answer was lost: %v (id %d), want ErrOutcomeUnknown and the id", cerr, c.ID)
	}
	// The crash: the create's backend killed, the server recovers from its WAL.
	var pid int
	var xid int64
	if err := pool.QueryRow(ctx, `SELECT pid, backend_xid::text::bigint FROM pg_stat_activity
		WHERE state = 'idle in transaction' AND backend_xid IS NOT NULL`).Scan(&pid, &xid); err != nil {
		t.Fatal(err)
	}
	_, _ = pool.Exec(ctx, fmt.Sprintf(`COPY (SELECT 1) TO PROGRAM 'kill -9 %d'`, pid))
	pool.Reset()
	controlplanetest.WaitFor(t, "the server recovered from the crash", func() bool {
		var gone bool
		return pool.QueryRow(ctx, `SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)`, pid).Scan(&gone) == nil && gone
	})
	if reused {
		// Other clients' transactions after the recovery (a runner's heartbeats) take the lost
		// one's id.
		controlplanetest.WaitFor(t, "a transaction with the lost create's id", func() bool {
			var got int64
			return pool.QueryRow(ctx, `SELECT txid_current()`).Scan(&got) == nil && got >= xid
		})
	}
	// A store opened after the recovery, as the provider's next question finds one.
	admin, err = controlplane.Open(ctx, dbURL, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	if _, gerr := admin.GetConnection(ctx, c.ID); !errors.Is(gerr, controlplane.ErrNotFound) {
		t.Fatalf("the row of the create the crash lost: %v, want not found", gerr)
	}
	committed, oerr := admin.CreateOutcome(ctx, cerr, connectionExists(admin, c.ID))
	t.Logf("CreateOutcome of the lost create: %v, %v", committed, oerr)
	if committed {
		t.Fatalf("CreateOutcome of a create that a crash lost: committed (%v), and its row is not there", oerr)
	}
	if !reused && oerr != nil {
		t.Fatalf("CreateOutcome of a create that a crash lost, asked before its id was given again: %v, want not committed", oerr)
	}
}

// connectionExists says whether connection id is there, for CreateOutcome.
func connectionExists(s *controlplane.Store, id int64) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		_, err := s.GetConnection(ctx, id)
		if errors.Is(err, controlplane.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
}

// A create whose commit never reaches the server, which does not see its client go (a cut it
// did not see: its session stays open until its TCP keepalive ends it, hours by default): its
// transaction stays in progress, holding the new row's name. CreateOutcome said so after its
// wait (Creation Unconfirmed), and the next apply's create of that name waited for the
// transaction. It now ends the session: the transaction did not commit, and the name is free.
func TestCreateOutcomeEndsATransactionLeftOpen(t *testing.T) {
	ctx := context.Background()
	admin, dbURL, key := controlplanetest.NewStore(t)
	sealer, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	proxy, proxied := controlplanetest.NewStallProxy(t, dbURL)
	store, err := controlplane.Open(ctx, proxied, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	t.Cleanup(proxy.Close)
	// Later than CreateOutcome waits: the commit is lost.
	proxy.CutBeforeDelivering("commit", 25*time.Second)
	c := webhookConn("left open")
	err = store.CreateConnection(ctx, c)
	if !errors.Is(err, controlplane.ErrOutcomeUnknown) || c.ID == 0 {
		t.Fatalf("create whose commit's answer was lost: %v (id %d), want ErrOutcomeUnknown and the id", err, c.ID)
	}
	committed, oerr := admin.CreateOutcome(ctx, err, connectionExists(admin, c.ID))
	if oerr != nil || committed {
		t.Fatalf("CreateOutcome of a create whose commit never came: %v, %v; want not committed", committed, oerr)
	}
	again := webhookConn("left open")
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := admin.CreateConnection(actx, again); err != nil {
		t.Fatalf("the create of the same name again: %v", err)
	}
}
