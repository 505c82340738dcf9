package provider

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// A sync's guard: stored as set, imported, refused out of range with nothing changed, and
// `guard = {}` (no bound: the mirror default turned off) distinct from no guard at all.
func TestAccSyncGuard(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	base := e.syncBase(hook.URL)
	const addr = "backflow_sync.s"
	body := func(guard string) string {
		return `behavior    = "mirror"
  primary_key = "unique_id"
  ` + guard
	}
	stored := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			var got *string
			if err := e.cp.QueryRow(t.Context(), `SELECT guard::text FROM backflow.syncs`).Scan(&got); err != nil {
				return err
			}
			if (got == nil) != (want == "") || got != nil && *got != want {
				return fmt.Errorf("stored guard = %v, want %q", got, want)
			}
			return nil
		}
	}
	set := `guard = { max_deleted = 10, max_deleted_percent = 12.5, min_model_rows = 1000 }`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(base, syncResource("s", "Guarded", "active", body(set))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("guard").AtMapKey("max_deleted_percent"), knownvalue.Float64Exact(12.5)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("guard").AtMapKey("max_changed_percent"), knownvalue.Null()),
				},
				Check: stored(`{"max_deleted": 10, "min_model_rows": 1000, "max_deleted_percent": 12.5}`),
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{
				Config:      e.config(base, syncResource("s", "Guarded", "active", body(`guard = { max_deleted_percent = 150 }`))),
				ExpectError: regexp.MustCompile(`(?s)max_deleted_percent.*between 0\.0+ and\s+100`),
			},
			{
				Config:      e.config(base, syncResource("s", "Guarded", "active", body(`guard = { max_deleted = -1 }`))),
				ExpectError: regexp.MustCompile(`(?s)max_deleted.*at least 0`),
			},
			{
				Config: e.config(base, syncResource("s", "Guarded", "active", body(set))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config: e.config(base, syncResource("s", "Guarded", "active", body(`guard = {}`))),
				Check:  stored(`{}`),
			},
			{
				Config: e.config(base, syncResource("s", "Guarded", "active", body(""))),
				Check:  stored(""),
			},
		},
	})
}

// The backfill policy: stored, imported, refused when unknown.
func TestAccSyncInitial(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	base := e.syncBase(hook.URL)
	body := func(initial string) string {
		return `behavior    = "update_or_create"
  primary_key = "unique_id"
  ` + initial
	}
	stored := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			var got string
			if err := e.cp.QueryRow(t.Context(), `SELECT initial FROM backflow.syncs`).Scan(&got); err != nil || got != want {
				return fmt.Errorf("stored initial = %q (%v), want %q", got, err, want)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(base, syncResource("s", "Skipping", "active", body(""))),
				Check:  stored("send_all"),
			},
			{
				Config: e.config(base, syncResource("s", "Skipping", "active", body(`initial = "skip_existing"`))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: stored("skip_existing"),
			},
			{ResourceName: "backflow_sync.s", ImportState: true, ImportStateVerify: true},
			{
				Config:      e.config(base, syncResource("s", "Skipping", "active", body(`initial = "skip"`))),
				ExpectError: regexp.MustCompile(`(?s)initial.*send_all.*skip_existing`),
			},
			{
				Config: e.config(base, syncResource("s", "Skipping", "active", body(`initial = "skip_existing"`))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}
