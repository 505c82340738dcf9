package runner

import (
	"context"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// expireFullRead makes a cursor sync's last full read older than its full_read_every, so that
// its next run reads the whole model.
func expireFullRead(t *testing.T, store *controlplane.Store, syncID int64) {
	t.Helper()
	if _, err := store.Pool().Exec(context.Background(), `UPDATE backflow.sync_cursors SET full_read_at = full_read_at - interval '25 hours'
		WHERE sync_id = $1`, syncID); err != nil {
		t.Fatal(err)
	}
}
