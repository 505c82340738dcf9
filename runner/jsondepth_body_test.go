package runner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
)

// TestDeepJSONValueFitsTheBody: a json value is sent as JSON only when the whole body around it
// (envelope, data array, record) still nests at most jsondepth.Max levels, what Go's
// encoding/json reads; deeper, as a string of its text. A value of exactly 10,000 levels was sent
// as JSON in a body of 10,003, which the receiver refused whole on every run.
func TestDeepJSONValueFitsTheBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.recv.KeyName = "id"
	nested := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	f.model.Table = ""
	f.model.SQL = fmt.Sprintf(`SELECT 1 AS id, '%s'::jsonb AS v UNION ALL SELECT 2, '%s'::jsonb UNION ALL SELECT 3, '%s'::jsonb`,
		nested(jsondepth.Value), nested(jsondepth.Value+1), nested(jsondepth.Max))
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if run.Counts.Delivered != 3 {
		t.Fatalf("delivered %d of 3 (counts %+v)", run.Counts.Delivered, run.Counts)
	}
	view := f.recv.View()
	if _, ok := view["1"]["v"].([]any); !ok {
		t.Errorf("a value of %d levels: got %T, want it as JSON", jsondepth.Value, view["1"]["v"])
	}
	for _, id := range []string{"2", "3"} {
		if _, ok := view[id]["v"].(string); !ok {
			t.Errorf("record %s, a value deeper than %d levels: got %T, want a string of its text (the receiver read %d records)",
				id, jsondepth.Value, view[id]["v"], len(view))
		}
	}
}
