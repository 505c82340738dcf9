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
				ExpectError: expectErr(`Model Must Only Read.*is a DELETE statement, not a query`),
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

// TestAccMySQLMirrorTablesWithoutTransactions: the plan of a mirror sync whose model reads a
// MyISAM or MEMORY table warns, naming the tables, once (not again when nothing about the sync
// changes); a mirror of InnoDB tables, and an update_or_create sync of the MyISAM table, do not.
func TestAccMySQLMirrorTablesWithoutTransactions(t *testing.T) {
	e := newTestEnv(t)
	url, db := warehousetest.NewMySQLDatabase(t)
	if _, err := db.Exec(`CREATE TABLE users (id int PRIMARY KEY, email varchar(100)) ENGINE=MyISAM;
		CREATE TABLE plans (id int PRIMARY KEY, plan varchar(20)) ENGINE=MEMORY;
		CREATE TABLE orders (id int PRIMARY KEY, total int) ENGINE=InnoDB;
		INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b@example.com'); INSERT INTO plans VALUES (1, 'pro'), (2, 'free');
		INSERT INTO orders VALUES (1, 5), (2, 7)`); err != nil {
		t.Fatal(err)
	}
	dbName := url[strings.LastIndex(url, "/")+1:]
	hook := newReceiver(t, 200, "")
	base := e.config(mysqlConnection("w", "mysql warehouse", url, ""), webhookConnection("hook", "Webhook Test", hook.URL, ""),
		model("isam", "users", "w", `sql = "select u.id, u.email, p.plan from users u join plans p using (id)"`),
		model("inno", "orders", "w", `table = "orders"`))
	warnings := func(diags []planDiag) []string {
		var got []string
		for _, d := range diags {
			if d.Severity == "warning" && strings.HasPrefix(d.Summary, "Backflow Mirror Reads Tables Without Transactions") {
				got = append(got, d.Summary+": "+d.Detail)
			}
		}
		return got
	}
	d := newTFDir(t)
	d.apply(base)
	mirror := syncResource("s", "Users", "isam", `behavior = "mirror"
  primary_key = "id"`)
	got := warnings(d.plan(base + mirror))
	if len(got) != 1 || !strings.Contains(got[0], `Sync "Users"`) ||
		!strings.Contains(got[0], fmt.Sprintf("reads %s.plans (MEMORY), %s.users (MyISAM)", dbName, dbName)) ||
		!strings.Contains(got[0], "RENAME TABLE") {
		t.Fatalf("mirror of MyISAM and MEMORY tables: want one warning naming both, got %q", got)
	}
	d.apply(base + mirror)
	if got := warnings(d.plan(base + mirror)); len(got) != 0 {
		t.Errorf("nothing changed, yet the warning again: %q", got)
	}
	if got := warnings(d.plan(base + syncResource("s", "Users", "isam", `behavior = "update_or_create"
  primary_key = "id"`))); len(got) != 0 {
		t.Errorf("update_or_create: %q", got)
	}
	if got := warnings(d.plan(base + syncResource("s", "Users", "inno", `behavior = "mirror"
  primary_key = "id"`))); len(got) != 0 {
		t.Errorf("mirror of an InnoDB table: %q", got)
	}
	// The model of a mirror sync changes to read only InnoDB tables: nothing to warn of; back
	// to a MyISAM table, the model's plan warns for its mirror sync.
	inno := e.config(mysqlConnection("w", "mysql warehouse", url, ""), webhookConnection("hook", "Webhook Test", hook.URL, ""),
		model("isam", "users", "w", `sql = "select id, total as email from orders"`), model("inno", "orders", "w", `table = "orders"`))
	if got := warnings(d.plan(inno + mirror)); len(got) != 0 {
		t.Errorf("model changed to read an InnoDB table: %q", got)
	}
	d.apply(inno + mirror)
	if got := warnings(d.plan(base + mirror)); len(got) != 1 || !strings.Contains(got[0], "users (MyISAM)") {
		t.Errorf("model changed to read a MyISAM table: want one warning, got %q", got)
	}
}
