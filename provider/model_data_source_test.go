package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccModelDataSource(t *testing.T) {
	e := newTestEnv(t)
	const ds = "data.backflow_model.m"
	lookup := `data "backflow_model" "m" { name = backflow_model.m.name }`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(e.warehouseConnection("w", "warehouse"),
					model("m", "active users", "w", `sql = "select unique_id, active from users"`), lookup),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs(ds, tfjsonpath.New("id"), "backflow_model.m", tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.CompareValuePairs(ds, tfjsonpath.New("connection_id"), "backflow_connection.w", tfjsonpath.New("id"),
						compare.ValuesSame()),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("sql"), knownvalue.StringExact("select unique_id, active from users")),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("table"), knownvalue.Null()),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("columns"), columns("unique_id", "text", "active", "bool")),
				},
			},
			{
				Config: e.config(e.warehouseConnection("w", "warehouse"),
					model("m", "active users", "w", `table = "users"`), lookup),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("sql"), knownvalue.Null()),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("table"), knownvalue.StringExact("users")),
				},
			},
			{
				Config:      e.config(`data "backflow_model" "x" { name = "nope" }`),
				ExpectError: expectErr(`No Such Model.*"nope"`),
			},
			{
				// A name no model can have is refused before the control plane is asked (whose text
				// cannot hold a NUL: the read failed with Postgres's "invalid byte sequence").
				Config:      e.config(`data "backflow_model" "x" { name = "no\u0000pe" }`),
				ExpectError: expectErr(`Invalid Name.*control character \(U\+0000`),
			},
			{Config: e.provider()}, // the destroy at the end runs with the last configuration
		},
	})
}
