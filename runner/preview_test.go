package runner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// TestTestReadsOneRow: `test` reads one record, not the whole model sorted. The model divides by
// zero on its second row (in the table's order), so reading past the first row fails.
func TestTestReadsOneRow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.model.Table = ""
	f.model.SQL = "SELECT id, email, 1 / (id - 2) AS boom FROM users -- the model's own comment\n;"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	res, err := f.engine.Test(f.ctx, f.sync.ID)
	if err != nil {
		t.Fatalf("Test read past the first row: %v", err)
	}
	if res.Status != 200 || string(res.Record) != `{"id":1,"email":"ada@example.com","boom":-1}` {
		t.Errorf("Test = %d %s", res.Status, res.Record)
	}
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 1"}) {
		t.Errorf("test sent %v", got)
	}

	// A NULL key is skipped; a lost key column is named.
	f.model.SQL = "SELECT NULLIF(id, 1) AS id, email FROM users"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	if res, err := f.engine.Test(f.ctx, f.sync.ID); err != nil || strings.Contains(string(res.Record), `"id":null`) {
		t.Errorf("Test with a NULL first key = %v, %v", res, err)
	}
	f.model.SQL = "SELECT email FROM users"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Test(f.ctx, f.sync.ID); err == nil || !strings.Contains(err.Error(), `lost its key column`) {
		t.Errorf("Test without the key column: %v", err)
	}
}
