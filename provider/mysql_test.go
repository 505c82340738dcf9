package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

func mysqlConnection(resourceName, name, url, extra string) string {
	return fmt.Sprintf(`
resource "backflow_connection" %q {
  name  = %q
  mysql = {
    url = %q
    %s
  }
}
`, resourceName, name, url, extra)
}

// TestAccMySQL: a MySQL (MariaDB) warehouse connection and its models: columns described at plan
// time, every plan-time refusal, import by id and by name, drift, the data source.
func TestAccMySQL(t *testing.T) {
	e := newTestEnv(t)
	url, db := warehousetest.NewMySQLDatabase(t)
	if _, err := db.Exec(`CREATE TABLE users (unique_id varchar(100) PRIMARY KEY, email varchar(200) NOT NULL,
		n bigint unsigned, created_at timestamp NULL); INSERT INTO users VALUES ('u1', 'alycia@example.com', 1, NULL)`); err != nil {
		t.Fatal(err)
	}
	dbName := url[strings.LastIndex(url, "/")+1:]
	const conn, addr = "backflow_connection.w", "backflow_model.m"
	hook := newReceiver(t, 200, "")
	base := func(extra, body string) string {
		return e.config(mysqlConnection("w", "mysql warehouse", url, extra), model("m", "users", "w", body))
	}
	lookup := `
data "backflow_connection" "w" {
  name = backflow_connection.w.name
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: base(`lock_timeout = "2s"`, `sql = "select unique_id, email, n from users"`) + lookup,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectSensitiveValue(conn, tfjsonpath.New("mysql").AtMapKey("url")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"),
						columns("unique_id", "varchar", "email", "varchar", "n", "unsigned bigint")),
					statecheck.ExpectKnownValue(conn, tfjsonpath.New("mysql").AtMapKey("lock_timeout"), knownvalue.StringExact("2s")),
					statecheck.ExpectKnownValue(conn, tfjsonpath.New("postgres"), knownvalue.Null()),
					statecheck.ExpectKnownValue("data.backflow_connection.w", tfjsonpath.New("kind"), knownvalue.StringExact("mysql")),
				},
			},
			{ResourceName: conn, ImportState: true, ImportStateVerify: true},
			{ResourceName: conn, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(conn)},
			{
				// A table model, as database.table.
				Config: base("", fmt.Sprintf(`table = "%s.users"`, dbName)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownValue(addr, tfjsonpath.New("columns"),
						columns("unique_id", "varchar", "email", "varchar", "n", "unsigned bigint", "created_at", "timestamp"))},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{
				// Drift: the timeouts changed outside Terraform show in the plan.
				PreConfig: func() {
					c, err := e.store.GetConnectionByName(context.Background(), "mysql warehouse")
					if err != nil {
						t.Fatal(err)
					}
					c.MySQL.LockTimeout = 5 * time.Second
					if err := e.store.UpdateConnection(context.Background(), c); err != nil {
						t.Fatal(err)
					}
				},
				Config:             base("", fmt.Sprintf(`table = "%s.users"`, dbName)),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config:      base("", `sql = "select nope from users"`),
				ExpectError: expectErr(`Invalid Model Query.*Unknown column 'nope'`),
			},
			{
				Config:      base("", `sql = "select * from users for update"`),
				ExpectError: expectErr(`Model Must Only Read`),
			},
			{
				Config:      base("", `sql = "delete from users"`),
				ExpectError: expectErr(`Invalid Model Query`),
			},
			{
				Config: e.config(mysqlConnection("w", "mysql warehouse", "mysql://reader:s3cret-pw@h/db?tls=bogus", ""),
					model("m", "users", "w", `sql = "select 1 as a"`)),
				ExpectError: expectErr(`Invalid MySQL URL`),
			},
			{
				// A model cannot read from a webhook connection.
				Config: e.config(mysqlConnection("w", "mysql warehouse", url, ""),
					webhookConnection("hook", "Webhook Test", hook.URL, "test_on_save = false"),
					model("m", "users", "hook", `sql = "select 1 as a"`)),
				ExpectError: expectErr(`Not a Warehouse Connection.*is a webhook connection`),
			},
		},
	})
}
