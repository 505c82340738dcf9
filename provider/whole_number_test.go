package provider

import (
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// A count written as a fraction (batch_size = local.rows / 4) or too large for int64 is refused
// at plan with a message naming the attribute and what to write, not the framework's conversion
// error ("This is always an error in the provider. Please report ..."), which for rate_limit also
// said that the connection had none of its blocks. Whole values written as 256.0 or 20000 / 2
// are taken, and read back without a diff.
func TestAccWholeNumbers(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	base := e.syncBase(hook.URL)
	const ok = "behavior = \"mirror\"\n  primary_key = \"unique_id\"\n  "
	refused := func(config, pattern string) resource.TestStep {
		return resource.TestStep{Config: config, PlanOnly: true, ExpectError: expectErr(pattern)}
	}
	sync := func(body string) string { return e.config(base, syncResource("s", "s", "active", body)) }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: e.config(base)},
			refused(sync(ok+`batch_size = 2.5`), "`batch_size` = 2.5 is not a whole number.*whole number between 1 and 10000"),
			refused(sync(ok+`batch_size = 1e30`), "`batch_size` = 1e\\+30 is above the maximum.*between 1 and 10000"),
			refused(sync(ok+`guard = { max_deleted = 0.5 }`), "`guard.max_deleted` = 0.5 is not a whole number.*at least 0"),
			refused(sync(ok+`guard = { min_model_rows = 1e30 }`), "`guard.min_model_rows` = 1e\\+30 is above the maximum"),
			refused(e.config(webhookConnection("x", "x", hook.URL, `rate_limit = { mode = "fixed", max_concurrency = 1.5 }`)),
				"`webhook.rate_limit.max_concurrency` = 1.5 is not a whole number.*between 1 and 256"),
			{
				Config: e.config(base, syncResource("s", "s", "active", ok+"batch_size = 20000 / 2\n  guard = { max_deleted = 3.0 }"),
					webhookConnection("x", "x", hook.URL, `rate_limit = { mode = "adaptive", max_concurrency = 256.0 }`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("backflow_sync.s", tfjsonpath.New("batch_size"), knownvalue.Int64Exact(10000)),
					statecheck.ExpectKnownValue("backflow_sync.s", tfjsonpath.New("guard").AtMapKey("max_deleted"), knownvalue.Int64Exact(3)),
					statecheck.ExpectKnownValue("backflow_connection.x",
						tfjsonpath.New("webhook").AtMapKey("rate_limit").AtMapKey("max_concurrency"), knownvalue.Int64Exact(256)),
				},
			},
		},
	})
}
