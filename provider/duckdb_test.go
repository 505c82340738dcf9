//go:build cgo

package provider

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

func duckdbConnection(resourceName, name, database, extra string) string {
	return fmt.Sprintf(`
resource "backflow_connection" %q {
  name   = %q
  duckdb = {
    database = %q
    %s
  }
}
`, resourceName, name, database, extra)
}

// TestAccDuckDB: a DuckDB connection whose model reads a Parquet file: columns described at
// plan time, refusals, import, the data source.
func TestAccDuckDB(t *testing.T) {
	e := newTestEnv(t)
	path, dir := warehousetest.NewDuckDBFile(t, "CREATE TABLE users AS SELECT 'u' || i AS unique_id, i AS n FROM range(1, 11) AS r(i)")
	parquet := filepath.Join(dir, "users.parquet")
	warehousetest.NewDuckDBFile(t, "COPY (SELECT 'u' || i AS unique_id, i::BIGINT AS n, [i] AS l FROM range(1, 11) AS r(i)) TO '"+parquet+"' (FORMAT parquet)")
	const conn, addr = "backflow_connection.d", "backflow_model.m"
	cfg := func(body string) string {
		return e.config(duckdbConnection("d", "lake", path, "init_sql = \"SET threads = 2\"\n    statement_timeout = \"5m\""),
			model("m", "users", "d", body))
	}
	lookup := `
data "backflow_connection" "d" {
  name = backflow_connection.d.name
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: cfg(fmt.Sprintf(`sql = "select * from read_parquet('%s')"`, parquet)) + lookup,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectSensitiveValue(conn, tfjsonpath.New("duckdb").AtMapKey("init_sql"))},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"), columns("unique_id", "varchar", "n", "bigint", "l", "bigint[]")),
					statecheck.ExpectKnownValue("data.backflow_connection.d", tfjsonpath.New("kind"), knownvalue.StringExact("duckdb")),
					statecheck.ExpectKnownValue(conn, tfjsonpath.New("duckdb").AtMapKey("statement_timeout"), knownvalue.StringExact("5m")),
				},
			},
			{ResourceName: conn, ImportState: true, ImportStateVerify: true},
			{ResourceName: conn, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(conn)},
			{
				// statement_timeout changed outside Terraform: the plan puts it back.
				PreConfig: func() {
					e.execControlPlane(t, `UPDATE backflow.connections SET config = jsonb_set(config, '{statement_timeout_ms}', '60000') WHERE kind = 'duckdb'`)
				},
				Config: cfg(fmt.Sprintf(`sql = "select * from read_parquet('%s')"`, parquet)) + lookup,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(conn, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					c, err := e.store.LookupConnection(context.Background(), "lake")
					if err != nil {
						return err
					}
					if c.DuckDB.StatementTimeout != 300*time.Second {
						return fmt.Errorf("stored statement timeout %v, want 5m", c.DuckDB.StatementTimeout)
					}
					return nil
				},
			},
			{
				Config: cfg(`table = "users"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownValue(addr, tfjsonpath.New("columns"),
						columns("unique_id", "varchar", "n", "bigint"))},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{Config: cfg(`sql = "delete from users"`), ExpectError: expectErr(`Model Must Only Read`)},
			{Config: cfg(`sql = "select nope from users"`), ExpectError: expectErr(`Invalid Model Query.*nope`)},
		},
	})
}
