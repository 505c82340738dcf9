package provider

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// TestAccSyncAfter: schedule.after with parents created in the same plan (ids unknown at plan
// time) is stored, read back, importable and drift-checked. A cycle and a self-reference are
// refused at plan; a cycle that only parents changed in the same plan form (the plan sees each
// against the stored syncs) is refused at apply by the control plane.
func TestAccSyncAfter(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	base := e.syncBase(hook.URL)
	const ok = `behavior = "append"
  primary_key = "unique_id"
  `
	const child = "backflow_sync.c"
	syncs := func(aBody, bBody string) string {
		return syncResource("a", "seq a", "active", ok+aBody) + syncResource("b", "seq b", "active", ok+bBody) +
			syncResource("c", "seq c", "active", ok+`schedule = { after = [backflow_sync.a.id, backflow_sync.b.id] }`)
	}
	lookups := `
data "backflow_sync" "a" { name = "seq a" }
data "backflow_sync" "b" { name = "seq b" }
data "backflow_sync" "c" { name = "seq c" }
`
	plain := e.config(base, syncs("", ""))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: plain,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(child, tfjsonpath.New("schedule").AtMapKey("every"), knownvalue.Null()),
					statecheck.ExpectKnownValue(child, tfjsonpath.New("schedule").AtMapKey("after"), knownvalue.SetSizeExact(2)),
					statecheck.CompareValueCollection(child, []tfjsonpath.Path{tfjsonpath.New("schedule").AtMapKey("after")},
						"backflow_sync.a", tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.CompareValueCollection(child, []tfjsonpath.Path{tfjsonpath.New("schedule").AtMapKey("after")},
						"backflow_sync.b", tfjsonpath.New("id"), compare.ValuesSame()),
				},
				Check: func(*terraform.State) error {
					var n int
					err := e.cp.QueryRow(t.Context(), `SELECT count(*) FROM backflow.sync_after a
						JOIN backflow.syncs c ON c.id = a.sync_id AND c.name = 'seq c'
						JOIN backflow.syncs p ON p.id = a.parent_id AND p.name IN ('seq a', 'seq b')`).Scan(&n)
					if err != nil || n != 2 {
						return fmt.Errorf("stored parents of seq c: %d (%v), want seq a and seq b", n, err)
					}
					return nil
				},
			},
			{ResourceName: child, ImportState: true, ImportStateVerify: true},
			{ResourceName: child, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(child)},
			{
				// A parent removed outside Terraform is drift.
				PreConfig: func() {
					e.execControlPlane(t, `DELETE FROM backflow.sync_after WHERE parent_id = (SELECT id FROM backflow.syncs WHERE name = 'seq b')`)
				},
				Config:             plain,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{Config: plain},
			{
				// The data source shows them too.
				Config: e.config(base, syncs("", ""), lookups),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.backflow_sync.c", tfjsonpath.New("schedule").AtMapKey("after"), knownvalue.SetSizeExact(2)),
				},
			},
			{
				// a after c, which runs after a: refused at plan, naming both.
				Config:      e.config(base, syncs(`schedule = { after = [data.backflow_sync.c.id] }`, ""), lookups),
				PlanOnly:    true,
				ExpectError: expectErr(`Sync Schedule Cycle.*sync "seq a" runs after "seq c", "seq c" after "seq a"`),
			},
			{
				Config:      e.config(base, syncs(`schedule = { after = [data.backflow_sync.a.id] }`, ""), lookups),
				PlanOnly:    true,
				ExpectError: expectErr(`Sync Schedule Cycle.*sync "seq a" cannot run after itself`),
			},
			{
				Config:      e.config(base, syncs(`schedule = { after = [data.backflow_sync.b.id], every = "1h" }`, ""), lookups),
				PlanOnly:    true,
				ExpectError: expectErr(`Invalid Attribute Combination`),
			},
			{
				Config:      e.config(base, syncs(`schedule = { after = [] }`, ""), lookups),
				PlanOnly:    true,
				ExpectError: expectErr(`after.*at least 1`),
			},
			{
				Config:      e.config(base, syncs(`schedule = { after = [987654] }`, ""), lookups),
				PlanOnly:    true,
				ExpectError: expectErr(`Parent Sync Not Found.*sync 987654`),
			},
			{
				// a after b and b after a in one plan: each looks fine against the stored syncs, so
				// the control plane refuses the second one applied.
				Config: e.config(base, syncs(`schedule = { after = [data.backflow_sync.b.id] }`,
					`schedule = { after = [data.backflow_sync.a.id] }`), lookups),
				ExpectError: expectErr(`Sync Schedule Cycle.*schedule.after forms a cycle: sync "seq (a|b)" runs after "seq (a|b)"`),
			},
			{
				Config: plain,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A parent replaced (another model): deleted first, then created, and the child
				// updated with its new id.
				Config: strings.Replace(plain, "backflow_model.active.id", "backflow_model.all.id", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("backflow_sync.a", plancheck.ResourceActionDestroyBeforeCreate),
						plancheck.ExpectResourceAction(child, plancheck.ResourceActionUpdate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValueCollection(child, []tfjsonpath.Path{tfjsonpath.New("schedule").AtMapKey("after")},
						"backflow_sync.a", tfjsonpath.New("id"), compare.ValuesSame()),
				},
			},
		},
	})
}

// TestAccSyncAfterHeldShowsInThePlan: Terraform deletes a parent removed from the configuration
// before it writes the child's after without it, and the deletion holds the child
// (controlplane.Store.DeleteSync) until its after is written. An apply stopped in between (here:
// the deletion made without Terraform, as that apply made it) left the child held for good: its
// stored after already matched the configuration, the next plan had no changes, and nothing
// wrote the after that releases it. The deleted parent that holds it stays in after as read, so
// the plan writes it.
func TestAccSyncAfterHeldShowsInThePlan(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	base := e.syncBase(hook.URL)
	const ok = `behavior = "append"
  primary_key = "unique_id"
  `
	const child = "backflow_sync.c"
	both := e.config(base, syncResource("a", "held a", "active", ok)+syncResource("b", "held b", "active", ok)+
		syncResource("c", "held c", "active", ok+`schedule = { after = [backflow_sync.a.id, backflow_sync.b.id] }`))
	onlyB := e.config(base, syncResource("b", "held b", "active", ok)+
		syncResource("c", "held c", "active", ok+`schedule = { after = [backflow_sync.b.id] }`))
	held := func(*terraform.State) error {
		h, err := e.store.AfterHeld(t.Context())
		if err != nil {
			return err
		}
		if len(h) != 0 {
			return fmt.Errorf("after the apply, syncs held by a deleted parent: %v; want none", h)
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: both},
			{
				// The apply that removes a deleted a, and stopped before it wrote c.
				PreConfig: func() {
					a, err := e.store.GetSyncByName(t.Context(), "held a")
					if err != nil {
						t.Fatal(err)
					}
					if err := e.store.DeleteSync(t.Context(), a.ID); err != nil {
						t.Fatal(err)
					}
				},
				Config: onlyB,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(child, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(child, tfjsonpath.New("schedule").AtMapKey("after"), knownvalue.SetSizeExact(1)),
				},
				Check: held,
			},
		},
	})
}
