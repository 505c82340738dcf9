package controlplane_test

import (
	"context"
	"slices"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestDeleteSyncHoldsAChildWhoseRowIsLocked: deleting a parent holds its children (migration
// 024) even when a child's row is locked FOR UPDATE at that moment by a write that does not
// commit: a rename (its name is a key) or the child's own deletion, rolled back. The hold skipped
// such a child (SKIP LOCKED) and left it unheld, to run after its other parents alone. Now the
// deletion waits for that write: a child it deleted is left out, one that stays is held.
func TestDeleteSyncHoldsAChildWhoseRowIsLocked(t *testing.T) {
	for _, tc := range []struct {
		name, write  string
		commit, held bool
	}{
		{"rename rolled back", `UPDATE backflow.syncs SET name = name || ' renamed' WHERE id = $1`, false, true},
		{"rename committed", `UPDATE backflow.syncs SET name = name || ' renamed' WHERE id = $1`, true, true},
		{"deletion rolled back", `DELETE FROM backflow.syncs WHERE id = $1`, false, true},
		{"deletion committed", `DELETE FROM backflow.syncs WHERE id = $1`, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store, p := newRunnerSync(t) // NewStore: the deletion runs while another session holds the child's row
			q := &controlplane.Sync{Name: p.Name + " q", ModelID: p.ModelID, DestinationID: p.DestinationID,
				Behavior: controlplane.BehaviorMirror, PrimaryKey: "id", BatchSize: 10}
			if err := store.CreateSync(ctx, q); err != nil {
				t.Fatal(err)
			}
			c := &controlplane.Sync{Name: p.Name + " c", ModelID: p.ModelID, DestinationID: p.DestinationID,
				Behavior: controlplane.BehaviorMirror, PrimaryKey: "id", BatchSize: 10, After: []int64{p.ID, q.ID}}
			if err := store.CreateSync(ctx, c); err != nil {
				t.Fatal(err)
			}
			pool := store.DB()
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx) //nolint:errcheck // ended below
			if _, err := tx.Exec(ctx, tc.write, c.ID); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- store.DeleteSync(ctx, p.ID) }()
			var finished bool
			var derr error
			controlplanetest.WaitFor(t, "the deletion of the parent to finish or wait for a lock", func() bool {
				select {
				case derr = <-done:
					finished = true
					return true
				default:
				}
				var waiting bool
				err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database()
					AND wait_event_type = 'Lock')`).Scan(&waiting)
				return err == nil && waiting
			})
			if tc.commit {
				err = tx.Commit(ctx)
			} else {
				err = tx.Rollback(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !finished {
				derr = <-done
			}
			if derr != nil {
				t.Fatalf("deleting the parent while the child's row was locked (%s): %v", tc.name, derr)
			}
			held, err := store.AfterHeld(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(held[c.ID]) > 0; got != tc.held {
				t.Fatalf("after the parent's deletion and the child's %s: held %v (%v), want held %v", tc.name, got, held, tc.held)
			}
			if tc.held && !slices.Equal(held[c.ID], []string{p.Name}) {
				t.Fatalf("the child is held by %v, want %q", held[c.ID], p.Name)
			}
		})
	}
}
