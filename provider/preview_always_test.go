package provider

import (
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// preview = "always" previews every sync a plan's change reaches, as "changes" does, and more:
// a model's (or a warehouse connection's) change reaches the syncs of the model that another
// configuration manages (its syncs in a team's workspace, its models in the platform's), which
// this plan has no resource for. "always" left them to preview themselves, so a plan that
// changed the model's SQL showed nothing of what those syncs would then send, where "changes"
// showed it. A sync in the plan still shows its preview once.
func TestAccPlanPreviewAlwaysReachesSyncsOutsideThePlan(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	e.execWarehouse(t, `INSERT INTO users (unique_id, email, first_name) VALUES ('u2', 'bob@example.com', 'Bob'),
		('u3', 'cy@example.com', 'Cy')`)
	d := newTFDir(t)
	base := e.syncBase(hook.URL)
	sync := syncResource("s", "Users", "all", `behavior    = "mirror"
  primary_key = "unique_id"`)
	d.apply(e.config(base, sync))
	// The sync another configuration manages, of the same model.
	m, err := e.store.GetModelByName(t.Context(), "all users")
	if err != nil {
		t.Fatal(err)
	}
	dest, err := e.store.GetConnectionByName(t.Context(), "Webhook Test")
	if err != nil {
		t.Fatal(err)
	}
	other := &controlplane.Sync{Name: "Elsewhere", ModelID: m.ID, DestinationID: dest.ID, Behavior: controlplane.BehaviorUpdateOrCreate,
		PrimaryKey: "unique_id", BatchSize: 100}
	if err := e.store.CreateSync(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	narrowed := strings.Replace(base, `table = "users"`, `sql = "select * from users where unique_id <> 'u3'"`, 1)
	if narrowed == base {
		t.Fatal("the test's base configuration no longer has the table model it narrows")
	}
	for _, mode := range []string{"changes", "always"} {
		provider := strings.Replace(e.provider(), "provider \"backflow\" {\n", "provider \"backflow\" {\n  preview = \""+mode+"\"\n", 1)
		count := map[string]int{}
		for _, p := range previews(d.plan(provider + narrowed + sync)) {
			for _, name := range []string{`Sync "Users"`, `Sync "Elsewhere"`} {
				if strings.Contains(p, name) {
					count[name]++
				}
			}
		}
		if count[`Sync "Elsewhere"`] != 1 {
			t.Errorf("preview = %q, the model's SQL changes: %d previews of the sync outside the plan, want 1", mode, count[`Sync "Elsewhere"`])
		}
		if count[`Sync "Users"`] != 1 {
			t.Errorf("preview = %q, the model's SQL changes: %d previews of the sync in the plan, want 1", mode, count[`Sync "Users"`])
		}
	}
}
