package controlplanetest

import (
	"context"
	"errors"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A store of NewTxStore sees its own rows, another test's store does not, and nothing is left
// once the test has ended.
func TestTxStoreIsolatesAndRollsBack(t *testing.T) {
	ctx := context.Background()
	var id int64
	t.Run("writes", func(t *testing.T) {
		a, _ := NewTxStore(t)
		b, _ := NewTxStore(t)
		c := &controlplane.Connection{Name: "rolled back (" + t.Name() + ")",
			Webhook: &controlplane.WebhookConfig{URL: NoListener, Method: "POST"}}
		if err := a.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
		id = c.ID
		if _, err := a.GetConnection(ctx, id); err != nil {
			t.Fatalf("read in its own transaction: %v", err)
		}
		if _, err := b.GetConnection(ctx, id); !errors.Is(err, controlplane.ErrNotFound) {
			t.Fatalf("read in another test's transaction: %v, want ErrNotFound", err)
		}
	})
	s, _ := NewTxStore(t)
	if _, err := s.GetConnection(ctx, id); !errors.Is(err, controlplane.ErrNotFound) {
		t.Fatalf("read after the test ended: %v, want ErrNotFound", err)
	}
}
