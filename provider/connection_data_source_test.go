package provider

import (
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccConnectionDataSource(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	lookups := `
data "backflow_connection" "hook" { name = backflow_connection.hook.name }
data "backflow_connection" "w" { name = backflow_connection.w.name }
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(e.warehouseConnection("w", "warehouse"),
					webhookConnection("hook", "Webhook Test", hook.URL, `method = "PUT"
    signing_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    max_requests_per_second = 7`), lookups),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs("data.backflow_connection.hook", tfjsonpath.New("id"),
						"backflow_connection.hook", tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.ExpectKnownValue("data.backflow_connection.hook", tfjsonpath.New("kind"), knownvalue.StringExact("webhook")),
					statecheck.ExpectKnownValue("data.backflow_connection.hook", tfjsonpath.New("webhook"), knownvalue.ObjectExact(
						map[string]knownvalue.Check{
							"method": knownvalue.StringExact("PUT"), "max_requests_per_second": knownvalue.Int64Exact(7),
							"test_on_save": knownvalue.Bool(true), "signed": knownvalue.Bool(true), "rate_limit": knownvalue.Null(),
							"auth": knownvalue.Null(),
						})),
					statecheck.ExpectKnownValue("data.backflow_connection.w", tfjsonpath.New("kind"), knownvalue.StringExact("postgres")),
					statecheck.ExpectKnownValue("data.backflow_connection.w", tfjsonpath.New("webhook"), knownvalue.Null()),
				},
			},
			{
				// Updated resources show in the data sources.
				Config: e.config(e.warehouseConnection("w", "warehouse 2"),
					webhookConnection("hook", "Webhook Test", hook.URL, `test_on_save = false
    rate_limit = { mode = "adaptive", max_concurrency = 16 }`), lookups),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.backflow_connection.w", tfjsonpath.New("name"), knownvalue.StringExact("warehouse 2")),
					statecheck.ExpectKnownValue("data.backflow_connection.hook", tfjsonpath.New("webhook"), knownvalue.ObjectExact(
						map[string]knownvalue.Check{
							"method": knownvalue.StringExact("POST"), "max_requests_per_second": knownvalue.Null(),
							"test_on_save": knownvalue.Bool(false), "signed": knownvalue.Bool(false),
							"rate_limit": knownvalue.ObjectExact(map[string]knownvalue.Check{
								"mode": knownvalue.StringExact("adaptive"), "max_requests_per_second": knownvalue.Null(),
								"max_concurrency": knownvalue.Int64Exact(16),
							}),
							"auth": knownvalue.Null(),
						})),
				},
			},
			{
				Config:      e.config(`data "backflow_connection" "x" { name = "nope" }`),
				ExpectError: expectErr(`No Such Connection.*"nope"`),
			},
			{
				// A name no connection can have is refused before the control plane is asked.
				Config:      e.config(`data "backflow_connection" "x" { name = "no\u0000pe" }`),
				ExpectError: expectErr(`Invalid Name.*control character \(U\+0000`),
			},
			{Config: e.provider()}, // the destroy at the end runs with the last configuration
		},
	})
}
