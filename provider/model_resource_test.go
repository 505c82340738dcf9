package provider

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/jackc/pgx/v5"
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
			{
				// Text the control plane cannot store (HCL's \u0000 makes a NUL) is refused at plan
				// time, named by its attribute.
				Config:      e.config(conns, model("m", "m", "w", `sql = "select 1\u0000 as x"`)),
				PlanOnly:    true,
				ExpectError: expectErr(`Text Backflow Cannot Store.*sql holds a NUL character \(\\u0000\) at character 9`),
			},
			{
				Config: e.config(conns, `
resource "backflow_connection" "nul" {
  name    = "no\u0000pe"
  webhook = { url = "http://127.0.0.1:1/" }
}
`),
				PlanOnly:    true,
				ExpectError: expectErr(`Text Backflow Cannot Store.*name holds a NUL character`),
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

// A column a sync uses renamed: one plan cannot both drop the old name (the model's check refuses
// it while the stored sync uses it) and move the sync to the new one, so the refusal says how in
// two applies; and in the first, the sync is checked against the model as the same plan changes
// it: its mapping, its cursor and its request's template may name the column the model returns
// only from this apply on (they were refused: "has no such column ... apply the model first").
func TestAccModelColumnRenamedWithItsSyncs(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	conns := e.warehouseConnection("w", "warehouse") + webhookConnection("hook", "Webhook Test", hook.URL, "")
	config := func(sql, col string, extra ...string) string {
		return e.config(append(extra, conns, model("m", "users", "w", fmt.Sprintf("sql = %q", sql)), fmt.Sprintf(`
resource "backflow_sync" "s" {
  name           = "users to hook"
  model_id       = backflow_model.m.id
  destination_id = backflow_connection.hook.id
  behavior       = "update_or_create"
  primary_key    = "unique_id"
  mappings       = [{ from = "email", to = "email" }, { from = %[1]q, to = "name" }]
}

resource "backflow_sync" "t" {
  name           = "users by cursor"
  model_id       = backflow_model.m.id
  destination_id = backflow_connection.hook.id
  behavior       = "append"
  primary_key    = "unique_id"
  cursor         = "%[1]s_at"
  request = {
    new = { method = "POST", path = "/users", body = %[2]s }
  }
}
`, col, hclString(fmt.Sprintf(`{"name": {{ record.%s | json }}}`, col))))...)
	}
	names := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			var got string
			err := e.cp.QueryRow(t.Context(), `SELECT string_agg(concat_ws(',', mappings::text, cursor_column, request::text), ';' ORDER BY name)
				FROM backflow.syncs`).Scan(&got)
			if err != nil {
				return err
			}
			if n := strings.Count(got, want); n != 3 {
				return fmt.Errorf("stored syncs name %q %d times, want 3 (mapping, cursor, template): %s", want, n, got)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config("select unique_id, email, first_name, created_at as first_name_at from users", "first_name"),
				Check:  names("first_name"),
			},
			{
				// The rename in one step: refused, saying how in two.
				Config:      config("select unique_id, email, first_name as given_name, created_at as given_name_at from users", "given_name"),
				PlanOnly:    true,
				ExpectError: expectErr(`Model Change Breaks a Sync.*no longer returns the column "first_name".*in one apply, have the model return the column the sync will use as well as "first_name".*return it under both its old and its new name.*in the next apply, drop "first_name" from the model`),
			},
			{
				Config: config("select unique_id, email, first_name, created_at as first_name_at, first_name as given_name, "+
					"created_at as given_name_at from users", "given_name"),
				Check: names("given_name"),
			},
			{
				Config: config("select unique_id, email, first_name as given_name, created_at as given_name_at from users", "given_name"),
				Check:  names("given_name"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// The model's SQL is known only at apply (it names a connection created in this
				// apply): its columns are checked then, not refused at plan as the stored model's.
				Config: config("select unique_id, email, first_name as given_name, created_at as given_name_at, "+
					"first_name as nick, created_at as nick_at from users where ${backflow_connection.w2.id} > 0", "nick",
					e.warehouseConnection("w2", "warehouse 2")),
				Check: names("nick"),
			},
			{
				// So at apply, a sync moved to a column the model does not return is refused.
				Config: config("select unique_id, email, first_name as nick, created_at as nick_at "+
					"from users where ${backflow_connection.w3.id} > 0", "nickname",
					e.warehouseConnection("w2", "warehouse 2"), e.warehouseConnection("w3", "warehouse 3")),
				ExpectError: expectErr(`Unknown Model Column.*mappings\[1\]\.from is "nickname"`),
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

// A model change that leaves a sync's cursor unusable (the column gone, or of a type that cannot be
// a cursor, or no longer a time while the sync has a lookback) is refused at plan time: the runner
// would fail every run of the sync.
func TestAccModelChangeBreaksSyncCursor(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	conns := e.warehouseConnection("w", "warehouse") + webhookConnection("hook", "Webhook Test", hook.URL, "")
	sync := `
resource "backflow_sync" "s" {
  name            = "users to hook"
  model_id        = backflow_model.m.id
  destination_id  = backflow_connection.hook.id
  behavior        = "update_or_create"
  primary_key     = "unique_id"
  cursor          = "created_at"
  cursor_lookback = "1m"
}
`
	withSQL := func(sql string) string {
		return e.config(conns, model("m", "users", "w", fmt.Sprintf("sql = %q", sql)), sync)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: withSQL("select unique_id, email, created_at from users")},
			{
				Config:      withSQL("select unique_id, email from users"),
				PlanOnly:    true,
				ExpectError: expectErr(`Model Change Breaks a Sync.*no longer returns the column "created_at".*sync "users to hook".*cursor`),
			},
			{
				Config:      withSQL("select unique_id, email, to_jsonb(created_at) as created_at from users"),
				PlanOnly:    true,
				ExpectError: expectErr(`Model Change Breaks a Sync.*sync "users to hook" could no longer use its cursor.*"created_at".*jsonb`),
			},
			{
				Config:      withSQL("select unique_id, email, extract(epoch from created_at)::bigint as created_at from users"),
				PlanOnly:    true,
				ExpectError: expectErr(`Model Change Breaks a Sync.*sync "users to hook".*cursor_lookback`),
			},
			{
				// Still a time: fine.
				Config: withSQL("select unique_id, email, created_at::timestamp as created_at from users"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("backflow_model.m", plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// usersUnchanged fails unless the warehouse's users table still holds its one row, unchanged.
func (e *testEnv) usersUnchanged(t *testing.T) {
	t.Helper()
	var n int
	var email string
	err := e.wh.QueryRow(t.Context(), `SELECT count(*), min(email) FROM users`).Scan(&n, &email)
	if err != nil || n != 1 || email != "alycia@example.com" {
		t.Errorf("users: %d rows, email %q (%v); want the one row unchanged: the model wrote to the warehouse", n, email, err)
	}
}

// storedSQL fails unless the control plane holds exactly the models want (name → sql).
func (e *testEnv) storedSQL(t *testing.T, want map[string]string) {
	t.Helper()
	rows, err := e.cp.Query(t.Context(), `SELECT name, sql FROM backflow.models`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			t.Fatal(err)
		}
		got[name] = sql
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored models (-want +got)\n%s", diff)
	}
}

// A model calling a function that deletes rows is described at plan and apply without running
// it, so the table keeps its rows; SQL that writes or locks rows is refused at plan time (or at
// apply time when the plan cannot know it), and nothing changes.
func TestAccModelOnlyReads(t *testing.T) {
	e := newTestEnv(t)
	e.execWarehouse(t, `CREATE FUNCTION cleanup() RETURNS boolean LANGUAGE plpgsql
		AS $$ BEGIN DELETE FROM users; RETURN true; END $$`)
	const addr = "backflow_model.m"
	const harmless = "select * from users where cleanup()"
	conns := e.warehouseConnection("w", "warehouse")
	withSQL := func(sql string, extra ...string) string {
		return e.config(append([]string{conns, model("m", "users", "w", fmt.Sprintf("sql = %q", sql))}, extra...)...)
	}
	unchanged := func(*terraform.State) error {
		e.usersUnchanged(t)
		return nil
	}
	refused := func(sql, pattern string) resource.TestStep {
		return resource.TestStep{Config: withSQL(sql), PlanOnly: true, ExpectError: expectErr(pattern)}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: withSQL(harmless),
				Check:  unchanged,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"), columns("unique_id", "text", "email", "text",
						"first_name", "text", "active", "bool", "created_at", "timestamptz")),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			refused("delete from users returning *", `Model Must Only Read.*deletes rows of "users"`),
			refused("update users set email = 'x' returning *", `Model Must Only Read.*updates rows of "users"`),
			refused("insert into users (unique_id, email) values ('u2', 'x') returning *",
				`Model Must Only Read.*inserts rows into "users"`),
			refused("with d as (delete from users returning *) select * from d", `Model Must Only Read.*deletes rows of "users"`),
			refused("with d as (update users set email = 'x' returning 1) select * from users",
				`Model Must Only Read.*updates rows of "users"`),
			refused("merge into users u using (select 'u1' as id) s on u.unique_id = s.id when matched then delete",
				`Model Must Only Read.*merges rows into "users"`),
			refused("select * from users for update", `Model Must Only Read.*locks the rows it reads`),
			refused("select * from users; delete from users", `Model Must Only Read.*several statements`),
			{
				// The SQL is unknown at plan time (it names a connection created in this apply): the
				// update refuses it.
				Config:      withSQL("delete from users where ${backflow_connection.w2.id} > 0 returning *", e.warehouseConnection("w2", "warehouse 2")),
				ExpectError: expectErr(`Model Must Only Read.*deletes rows of "users"`),
			},
			{
				PreConfig: func() {
					e.usersUnchanged(t)
					e.storedSQL(t, map[string]string{"users": harmless})
				},
				Config: withSQL(harmless),
				Check:  unchanged,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// A plan that changes a model to read a table another session holds ACCESS EXCLUSIVE ends with a
// clear error once the connection's lock timeout has passed, instead of blocking.
func TestAccModelLockedTable(t *testing.T) {
	e := newTestEnv(t)
	conn := fmt.Sprintf(`
resource "backflow_connection" "w" {
  name     = "warehouse"
  postgres = { url = %q, lock_timeout = "1s" }
}
`, e.whURL)
	cfg := e.config(conn, model("m", "users", "w", `table = "users"`))
	var (
		locker  *pgx.Conn
		once    sync.Once
		expired atomic.Bool
		timer   *time.Timer
	)
	release := func() {
		once.Do(func() {
			if locker != nil {
				_ = locker.Close(context.Background())
			}
		})
	}
	t.Cleanup(func() {
		if timer != nil {
			timer.Stop()
		}
		release()
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() {
					var err error
					if locker, err = pgx.Connect(t.Context(), e.whURL); err != nil {
						t.Fatal(err)
					}
					if _, err := locker.Exec(t.Context(), "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE"); err != nil {
						t.Fatal(err)
					}
					// A generous bound, not a measure: a plan still blocked then fails the test
					// rather than hanging it.
					timer = time.AfterFunc(2*time.Minute, func() {
						expired.Store(true)
						release()
					})
				},
				// A changed definition must be read at plan (an unchanged one that cannot be read
				// only warns: TestAccPlanPreviewWarnings).
				Config:      e.config(conn, model("m", "users", "w", `sql = "select * from users"`)),
				PlanOnly:    true,
				ExpectError: expectErr(`Warehouse Table Locked.*lock_timeout \(1s\).*canceling statement due to lock timeout`),
			},
			{
				PreConfig: func() {
					timer.Stop()
					if expired.Load() {
						t.Error("the plan of a model over a locked table was still waiting after 2 minutes")
					}
					release()
				},
				Config:   cfg,
				PlanOnly: true,
			},
		},
	})
}
