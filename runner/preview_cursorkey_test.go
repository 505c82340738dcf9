package runner

import (
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// TestPreviewWithholdsCursorThatIsTheKey: a sync with a cursor on its primary key column (an
// append-only id) that sends that key only hashed. An incremental read starts from the mark,
// which for an integer or text cursor is the highest key read: a preview (the plan's warning,
// backflow_sync_preview's read_from, `sync --dry-run`) that printed it would show a key the sync
// withholds, as its sample keys are withheld.
func TestPreviewWithholdsCursorThatIsTheKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, []controlplane.Mapping{
		{From: "id", To: "id_hash", Hash: "sha256"}, {From: "email", To: "email"}})
	f.describeModel()
	f.useCursor("id")
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`INSERT INTO users (id, email) VALUES (11, 'fy@example.com')`)
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	if dr.ReadMode != controlplane.ReadIncremental || dr.KeyWithheld == "" {
		t.Fatalf("preview read %q (withheld %q), want an incremental read with the key withheld", dr.ReadMode, dr.KeyWithheld)
	}
	if strings.Contains(dr.ReadFrom, "10") || dr.ReadFrom != withheldValue {
		t.Errorf("preview of a sync whose cursor is its withheld key: read_from %q, want %q (not the highest key read, 10)",
			dr.ReadFrom, withheldValue)
	}
	if dr.Counts.New != 1 {
		t.Errorf("preview counted %d new, want 1", dr.Counts.New)
	}
}
