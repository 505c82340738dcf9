package controlplane_test

import (
	"context"
	"errors"
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
	committed, oerr := admin.CreateOutcome(ctx, err)
	if oerr != nil || !committed {
		t.Fatalf("CreateOutcome of a commit that reaches the server late: %v, %v; want committed", committed, oerr)
	}
	if _, gerr := admin.GetConnection(ctx, c.ID); gerr != nil {
		t.Fatalf("the row CreateOutcome said was committed: %v", gerr)
	}
	// Another error is no create of unknown outcome.
	if _, oerr := admin.CreateOutcome(ctx, errors.New("refused")); oerr == nil {
		t.Fatal("CreateOutcome of an error that is not ErrOutcomeUnknown: no error")
	}
}
