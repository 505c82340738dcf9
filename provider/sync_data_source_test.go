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

func TestAccSyncDataSource(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const ds = "data.backflow_sync.s"
	lookup := `data "backflow_sync" "s" { name = backflow_sync.s.name }`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(e.syncBase(hook.URL), syncResource("s", "users", "active", `behavior = "mirror"
  primary_key = "unique_id"
  mappings = [{ from = "email", to = "email" }, { constant = "crm", to = "source" }]
  schedule = { cron = "*/5 * * * *" }
  batch_size = 50`), lookup),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs(ds, tfjsonpath.New("id"), "backflow_sync.s", tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.CompareValuePairs(ds, tfjsonpath.New("model_id"), "backflow_model.active", tfjsonpath.New("id"),
						compare.ValuesSame()),
					statecheck.CompareValuePairs(ds, tfjsonpath.New("destination_id"), "backflow_connection.hook", tfjsonpath.New("id"),
						compare.ValuesSame()),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("behavior"), knownvalue.StringExact("mirror")),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("primary_key"), knownvalue.StringExact("unique_id")),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("mappings"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"from": knownvalue.StringExact("email"), "constant": knownvalue.Null(), "to": knownvalue.StringExact("email"),
							"metadata": knownvalue.Null(), "hash": knownvalue.Null(), "normalize": knownvalue.Null(),
						}),
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"from": knownvalue.Null(), "constant": knownvalue.StringExact("crm"), "to": knownvalue.StringExact("source"),
							"metadata": knownvalue.Null(), "hash": knownvalue.Null(), "normalize": knownvalue.Null(),
						}),
					})),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("schedule").AtMapKey("cron"), knownvalue.StringExact("*/5 * * * *")),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("batch_size"), knownvalue.Int64Exact(50)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("paused"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("paused_reason"), knownvalue.Null()),
				},
			},
			{
				Config: e.config(e.syncBase(hook.URL), syncResource("s", "users", "active", `behavior = "append"
  primary_key = "unique_id"
  paused = true`), lookup),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("behavior"), knownvalue.StringExact("append")),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("mappings"), knownvalue.Null()),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("schedule"), knownvalue.Null()),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("batch_size"), knownvalue.Int64Exact(100)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("paused"), knownvalue.Bool(true)),
				},
			},
			{
				Config:      e.config(`data "backflow_sync" "x" { name = "nope" }`),
				ExpectError: expectErr(`No Such Sync.*"nope"`),
			},
			{
				// A name no sync can have is refused before the control plane is asked (whose text
				// cannot hold a NUL: the read failed with Postgres's "invalid byte sequence").
				Config:      e.config(`data "backflow_sync" "x" { name = "no\u0000pe" }`),
				ExpectError: expectErr(`Invalid Name.*control character \(U\+0000`),
			},
			{Config: e.provider()}, // the destroy at the end runs with the last configuration
		},
	})
}
