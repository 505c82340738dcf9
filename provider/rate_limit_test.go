package provider

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccConnectionRateLimit(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr = "backflow_connection.hook"
	adaptive := `rate_limit = { mode = "adaptive", max_requests_per_second = 500, max_concurrency = 32 }`
	rl := tfjsonpath.New("webhook").AtMapKey("rate_limit")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(webhookConnection("hook", "Paced", hook.URL, adaptive)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, rl.AtMapKey("mode"), knownvalue.StringExact("adaptive")),
					statecheck.ExpectKnownValue(addr, rl.AtMapKey("max_requests_per_second"), knownvalue.Int64Exact(500)),
					statecheck.ExpectKnownValue(addr, rl.AtMapKey("max_concurrency"), knownvalue.Int64Exact(32)),
				},
				Check: func(*terraform.State) error {
					var stored string
					err := e.cp.QueryRow(t.Context(), `SELECT config->'rate_limit'->>'mode' FROM backflow.connections`).Scan(&stored)
					if err != nil || stored != "adaptive" {
						return fmt.Errorf("stored rate_limit.mode = %q (%v), want adaptive", stored, err)
					}
					return nil
				},
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{
				// Changed outside Terraform: the plan puts it back.
				PreConfig: func() {
					e.execControlPlane(t, `UPDATE backflow.connections SET config = jsonb_set(config, '{rate_limit,mode}', '"fixed"')`)
				},
				Config: e.config(webhookConnection("hook", "Paced", hook.URL, adaptive)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Fixed mode with only a mode; unset optionals are null.
				Config: e.config(webhookConnection("hook", "Paced", hook.URL, `rate_limit = { mode = "fixed" }`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, rl.AtMapKey("mode"), knownvalue.StringExact("fixed")),
					statecheck.ExpectKnownValue(addr, rl.AtMapKey("max_requests_per_second"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, rl.AtMapKey("max_concurrency"), knownvalue.Null()),
				},
			},
			{
				Config:      e.config(webhookConnection("hook", "Paced", hook.URL, `rate_limit = { mode = "turbo" }`)),
				PlanOnly:    true,
				ExpectError: expectErr(`mode.*value must be one of.*fixed.*adaptive`),
			},
			{
				Config:      e.config(webhookConnection("hook", "Paced", hook.URL, `rate_limit = { mode = "adaptive", max_concurrency = 0 }`)),
				PlanOnly:    true,
				ExpectError: expectErr(`max_concurrency.*between 1 and 256`),
			},
			{
				Config: e.config(webhookConnection("hook", "Paced", hook.URL,
					`rate_limit = { mode = "fixed", max_requests_per_second = 2.5 }`)),
				PlanOnly:    true,
				ExpectError: expectErr(`Invalid Request Rate.*not a whole number`),
			},
			{
				Config: e.config(webhookConnection("hook", "Paced", hook.URL,
					"max_requests_per_second = 30\n    rate_limit = { mode = \"adaptive\" }")),
				PlanOnly:    true,
				ExpectError: expectErr(`max_requests_per_second.*cannot be specified when.*rate_limit|rate_limit.*cannot be specified when.*max_requests_per_second`),
			},
			{
				// Removed: back to null (the top-level max_requests_per_second, unset: not paced).
				Config: e.config(webhookConnection("hook", "Paced", hook.URL, "")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, rl, knownvalue.Null()),
				},
			},
		},
	})
}
