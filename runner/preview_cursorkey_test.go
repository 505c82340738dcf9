package runner

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
)

// TestPreviewWithholdsCursorThatIsTheKey: a sync with a cursor on its primary key column (an
// append-only id) that sends that key only hashed. An incremental read starts from the mark,
// which for an integer or text cursor is the highest key read: a preview (the plan's warning,
// backflow_sync_preview's read_from, `sync --dry-run`) that printed it would show a key the sync
// withholds, as its sample keys are withheld.
func TestPreviewWithholdsCursorThatIsTheKey(t *testing.T) {
	t.Parallel()
	f := cursorIsHashedKey(t)
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

// TestRunLogWithholdsFutureCursorThatIsTheKey: a sync keyed by a time column, its cursor, that it
// sends only hashed. A row whose key is in the future is logged once a run (its highest value,
// for the on-call engineer), which for this sync is a key it withholds: the log says
// "(withheld)", as the preview's future cursor does.
func TestRunLogWithholdsFutureCursorThatIsTheKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, []controlplane.Mapping{
		{From: "updated_at", To: "at_hash", Hash: "sha256"}, {From: "email", To: "email"}})
	f.exec(`UPDATE users SET updated_at = '2999-01-02 03:04:05' WHERE id = 10`)
	f.sync.PrimaryKey = "updated_at"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.describeModel()
	f.useCursor("updated_at")
	var logged lockedbuf.Buffer
	f.engine.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	f.run(controlplane.RunSucceeded, RunOptions{})
	if out := logged.String(); strings.Contains(out, "2999") || !strings.Contains(out, "cursor value is in the future") {
		t.Errorf("the run's log shows the future key, or not the warning:\n%s", out)
	}

	// A mark in the future (an earlier release saved it): the run reads in full, and says why
	// without the mark, as the dry run does.
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.sync_cursors SET mark = '2999-01-02 03:04:05' WHERE sync_id = $1`,
		f.sync.ID); err != nil {
		t.Fatal(err)
	}
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dr.ReadWhy, "2999") || !strings.Contains(dr.ReadWhy, "in the future") {
		t.Errorf("dry run on a future mark that is a key: read_why %q; want why without the mark", dr.ReadWhy)
	}
	logged.Reset()
	f.run(controlplane.RunSucceeded, RunOptions{})
	if out := logged.String(); strings.Contains(out, "2999") || !strings.Contains(out, "is in the future") {
		t.Errorf("the run on a future mark that is a key logs the mark, or not why it reads in full:\n%s", out)
	}
}

// cursorIsHashedKey is a fixture whose sync sends its key, id, only hashed and reads by a cursor
// on it: it has run once (its mark is 10, the highest id), and a row with id 11 has come since.
func cursorIsHashedKey(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, []controlplane.Mapping{
		{From: "id", To: "id_hash", Hash: "sha256"}, {From: "email", To: "email"}})
	f.describeModel()
	f.useCursor("id")
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`INSERT INTO users (id, email) VALUES (11, 'fy@example.com')`)
	return f
}

// A queued run of a sync whose cursor is its withheld key, as GET /v1/runs/{id} and `trigger`
// read it (RunQueue.Status): its read_from is "(withheld)", as `runs show` shows it; the run's
// record keeps it, for the next run's plan.
func TestQueuedRunWithholdsCursorThatIsTheKey(t *testing.T) {
	t.Parallel()
	f := cursorIsHashedKey(t)
	queue, q := f.enqueue(false)
	got := f.workQueued(queue, q)
	if got.Run == nil || got.Run.ReadMode != controlplane.ReadIncremental {
		t.Fatalf("queued run: %+v, want an incremental run", got.Run)
	}
	if got.Run.ReadFrom != withheldValue {
		t.Errorf("queued run read_from %q, want %q", got.Run.ReadFrom, withheldValue)
	}
	if stored, err := f.store.GetRun(f.ctx, got.Run.ID); err != nil || stored.ReadFrom != "10" {
		t.Errorf("the run's record: read_from %q (%v), want \"10\" kept", stored.ReadFrom, err)
	}
}
