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

// model is a backflow_model on connection backflow_connection.<conn>; body is `sql = ...` or `table = ...`.
func model(resourceName, name, conn, body string) string {
	return fmt.Sprintf(`
resource "backflow_model" %q {
  name          = %q
  connection_id = backflow_connection.%s.id
  %s
}
`, resourceName, name, conn, body)
}

func columns(pairs ...string) knownvalue.Check {
	var cs []knownvalue.Check
	for i := 0; i < len(pairs); i += 2 {
		cs = append(cs, knownvalue.ObjectExact(map[string]knownvalue.Check{
			"name": knownvalue.StringExact(pairs[i]), "type": knownvalue.StringExact(pairs[i+1]),
		}))
	}
	return knownvalue.ListExact(cs)
}

func TestAccModel(t *testing.T) {
	e := newTestEnv(t)
	const addr = "backflow_model.m"
	sql1 := `sql = "select unique_id, email from users where active"`
	sql2 := `sql = "select unique_id, email, first_name, created_at from users"`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(e.warehouseConnection("w", "warehouse"), model("m", "active users", "w", sql1)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"), columns("unique_id", "text", "email", "text")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("table"), knownvalue.Null()),
				},
			},
			{
				// New SQL is described at plan time: the plan already knows the new columns.
				Config: e.config(e.warehouseConnection("w", "warehouse"), model("m", "active users", "w", sql2)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("columns"),
							columns("unique_id", "text", "email", "text", "first_name", "text", "created_at", "timestamptz")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config: e.config(e.warehouseConnection("w", "warehouse"), model("m", "users", "w", `table = "public.users"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sql"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"), columns("unique_id", "text", "email", "text",
						"first_name", "text", "active", "bool", "created_at", "timestamptz")),
				},
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{
				// Another connection: the model is replaced.
				Config: e.config(e.warehouseConnection("w", "warehouse"), e.warehouseConnection("w2", "warehouse 2"),
					model("m", "users", "w2", `table = "public.users"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

func TestAccModelDrift(t *testing.T) {
	e := newTestEnv(t)
	const addr = "backflow_model.m"
	cfg := e.config(e.warehouseConnection("w", "warehouse"), model("m", "users", "w", `sql = "select unique_id from users"`))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig:          func() { e.execControlPlane(t, `UPDATE backflow.models SET sql = 'select email from users'`) },
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// The warehouse gained a column a table model reads: the plan shows the new columns.
				Config: e.config(e.warehouseConnection("w", "warehouse"), model("m", "users", "w", `table = "users"`)),
			},
			{
				PreConfig:          func() { e.execWarehouse(t, `ALTER TABLE users ADD COLUMN plan text`) },
				Config:             e.config(e.warehouseConnection("w", "warehouse"), model("m", "users", "w", `table = "users"`)),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: func() { e.execControlPlane(t, `DELETE FROM backflow.models`) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

func TestAccModelRefused(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	// "down" is a warehouse nothing listens for (port 1 on loopback refuses at once).
	conns := e.warehouseConnection("w", "warehouse") + webhookConnection("hook", "hook", hook.URL, "") + `
resource "backflow_connection" "down" {
  name     = "down"
  postgres = { url = "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=5" }
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config:      e.config(conns, model("m", "m", "w", `sql = "select 1 as x"`+"\n"+`table = "users"`)),
				ExpectError: expectErr(`Invalid Attribute Combination`),
			},
			{
				Config:      e.config(conns, model("m", "m", "w", "")),
				ExpectError: expectErr(`Invalid Attribute Combination`),
			},
			{Config: e.config(conns)},
			{
				// With the connection known, SQL the warehouse rejects fails the plan, with its own message.
				Config:      e.config(conns, model("m", "m", "w", `sql = "select * from no_such_table"`)),
				PlanOnly:    true,
				ExpectError: expectErr(`Invalid Model Query.*relation "no_such_table" does not exist`),
			},
			{
				Config:      e.config(conns, model("m", "m", "w", `table = "public.no_such_table"`)),
				PlanOnly:    true,
				ExpectError: expectErr(`Invalid Model Query.*does not exist`),
			},
			{
				Config:      e.config(conns, model("m", "m", "w", `sql = "select unique_id, email as unique_id from users"`)),
				PlanOnly:    true,
				ExpectError: expectErr(`more than once`),
			},
			{
				// A warehouse that cannot be reached is not the SQL's fault.
				Config:      e.config(conns, model("m", "m", "down", `sql = "select 1 as x"`)),
				PlanOnly:    true,
				ExpectError: expectErr(`Cannot Reach the Warehouse.*connection "down".*connect to the warehouse`),
			},
			{
				Config:      e.config(conns, model("m", "m", "hook", `sql = "select 1 as x"`)),
				PlanOnly:    true,
				ExpectError: expectErr(`Not a Warehouse Connection.*webhook connection`),
			},
			{
				// Unknown at plan time (a new connection): refused at apply, still with the warehouse's message.
				Config: e.config(conns, e.warehouseConnection("w2", "warehouse 2"),
					model("m", "m", "w2", `sql = "select * from no_such_table"`)),
				ExpectError: expectErr(`relation "no_such_table" does not exist`),
			},
			{
				Config: e.config(conns, model("a", "same", "w", `sql = "select 1 as x"`),
					model("b", "same", "w", `sql = "select 2 as x"`)),
				ExpectError: expectErr(`Name Already Taken.*"same"`),
			},
			{
				// Made outside this configuration, a sync still uses the model: deleting it is refused.
				Config: e.config(conns, model("a", "same", "w", `sql = "select 1 as x"`)),
				Check: func(*terraform.State) error {
					_, err := e.cp.Exec(t.Context(), `INSERT INTO backflow.syncs (name, model_id, destination_id, behavior, primary_key)
						SELECT 'outside sync', m.id, c.id, 'append', 'x' FROM backflow.models m, backflow.connections c
						WHERE c.kind = 'webhook'`)
					return err
				},
			},
			{
				Config:      e.config(conns),
				ExpectError: expectErr(`Still In Use.*sync "outside\s+sync"`),
			},
			{
				PreConfig: func() { e.execControlPlane(t, `DELETE FROM backflow.syncs`) },
				Config:    e.config(conns),
			},
		},
	})
}

// A model change that drops a column a sync uses is refused, naming the sync and the column: at
// plan time when the new SQL is known, at apply time when it is not.
func TestAccModelChangeBreaksSync(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr = "backflow_model.m"
	conns := e.warehouseConnection("w", "warehouse") + webhookConnection("hook", "Webhook Test", hook.URL, "")
	sync := `
resource "backflow_sync" "s" {
  name           = "users to hook"
  model_id       = backflow_model.m.id
  destination_id = backflow_connection.hook.id
  behavior       = "update_or_create"
  primary_key    = "unique_id"
  mappings       = [{ from = "email", to = "email" }, { from = "first_name", to = "name" }]
}
`
	withSQL := func(sql string, extra ...string) string {
		return e.config(append([]string{conns, model("m", "users", "w", fmt.Sprintf("sql = %q", sql)), sync}, extra...)...)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: withSQL("select unique_id, email, first_name from users")},
			{
				Config:      withSQL("select unique_id, email from users"),
				PlanOnly:    true,
				ExpectError: expectErr(`Model Change Breaks a Sync.*no longer returns the column "first_name".*sync "users to hook".*mappings\[1\]\.from`),
			},
			{
				Config:      withSQL("select email, first_name from users"),
				PlanOnly:    true,
				ExpectError: expectErr(`Model Change Breaks a Sync.*"unique_id".*sync "users to hook".*primary_key`),
			},
			{
				// The SQL is unknown at plan time (it names a connection created in this apply): the
				// update refuses it.
				Config: withSQL("select unique_id, email from users where ${backflow_connection.w2.id} > 0",
					e.warehouseConnection("w2", "warehouse 2")),
				ExpectError: expectErr(`Model Change Breaks a Sync.*"first_name".*sync "users to hook"`),
			},
			{
				PreConfig: func() {
					var sql string
					err := e.cp.QueryRow(t.Context(), `SELECT sql FROM backflow.models`).Scan(&sql)
					if err != nil || sql != "select unique_id, email, first_name from users" {
						t.Errorf("stored sql %q (%v): the refused change was saved", sql, err)
					}
				},
				// A change that keeps the columns the sync uses is fine.
				Config: withSQL("select unique_id, email, first_name, 1 as score from users"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}
