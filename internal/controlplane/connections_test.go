package controlplane_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// A webhook connection a notification sends to is in use like one a sync delivers to: deleting
// it is refused with the notification named, not with Postgres's foreign-key error.
func TestDeleteConnectionUsedByNotification(t *testing.T) {
	ctx := context.Background()
	store, _ := controlplanetest.NewTxStore(t)
	hook := webhookConn("alerts hook (" + t.Name() + ")")
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	n := &controlplane.Notification{Name: "Sync failures (" + t.Name() + ")", DestinationID: hook.ID,
		Events: []string{"run.failed"}}
	if err := store.CreateNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	err := store.DeleteConnection(ctx, hook.ID)
	if !errors.Is(err, controlplane.ErrInUse) || !strings.Contains(err.Error(), `notification "`+n.Name+`"`) {
		t.Fatalf("delete a connection a notification uses: %v; want ErrInUse naming the notification", err)
	}
	if err := store.DeleteNotification(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if err := store.DeleteConnection(ctx, hook.ID); err != nil {
		t.Fatalf("delete the connection once the notification is gone: %v", err)
	}
}
