//go:build cgo

package provider

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
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

// A DuckDB connection whose init_sql fails: the model's plan says so without showing the
// init_sql (DuckDB's parser error quotes the line it failed on, which may hold a secret).
func TestDuckDBInitSQLNotShown(t *testing.T) {
	ctx := context.Background()
	store, _, _ := controlplanetest.NewStore(t)
	const secret = "AKIA-SECRET-8e51"
	conn := &controlplane.Connection{Name: "lake", DuckDB: &controlplane.DuckDBConfig{Database: ":memory:",
		InitSQL: "SET threads = 1;\nCREATE SECRET s (TYPE s3, KEY_ID '" + secret + "', SECRET 'x') ; SELEC 1"}}
	if err := store.CreateConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	r := &ModelResource{storeHolder{store: store}}
	planned := &modelModel{ID: types.Int64Unknown(), Name: types.StringValue("users"), ConnectionID: types.Int64Value(conn.ID),
		SQL: types.StringValue("SELECT 1 AS id"), Table: types.StringNull(), Columns: types.ListUnknown(columnsType.ElemType)}
	d := modifyPlan(t, r, nil, planned)
	if !d.HasError() {
		t.Fatalf("a failing init_sql planned: %v", d)
	}
	for _, e := range d.Errors() {
		if strings.Contains(e.Detail(), secret) || strings.Contains(e.Detail(), "SELEC 1") {
			t.Errorf("%s: the detail shows the init_sql:\n%s", e.Summary(), e.Detail())
		}
		if !strings.Contains(e.Detail(), "init_sql failed") {
			t.Errorf("%s: the detail does not say init_sql failed:\n%s", e.Summary(), e.Detail())
		}
		// An embedded database is opened, not reached: no host or port to check.
		if e.Summary() != "Cannot Open the Warehouse" || strings.Contains(e.Detail(), "host, port") {
			t.Errorf("%s: want \"Cannot Open the Warehouse\" without a host or port to check:\n%s", e.Summary(), e.Detail())
		}
	}

	// A sync's plan-time preview of a model on that connection (stored when its init_sql worked).
	m := &controlplane.Model{Name: "users", ConnectionID: conn.ID, SQL: "SELECT 1 AS id", Columns: []controlplane.Column{{Name: "id", Type: "INTEGER"}}}
	hook := &controlplane.Connection{Name: "hook", Webhook: &controlplane.WebhookConfig{URL: "http://127.0.0.1:1/x", Method: "POST"}}
	if err := store.CreateModel(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	s := newSyncPlan(t, m.ID, hook.ID)
	got := warnings(modifyPlan(t, &SyncResource{storeHolder{store: store}}, nil, s))
	if len(got) != 1 || !strings.Contains(got[0], "Backflow Preview Unavailable") || !strings.Contains(got[0], "init_sql failed") ||
		strings.Contains(got[0], secret) || strings.Contains(got[0], "SELEC 1") {
		t.Errorf("preview of a sync whose model's init_sql fails: %q", got)
	}
}

// A DuckDB model that fails on a value (a cast of a text): the plan's preview says so without
// the value DuckDB quotes ("Could not convert string '<value>' to INT32").
func TestDuckDBPreviewHidesQuotedValue(t *testing.T) {
	ctx := context.Background()
	store, _, _ := controlplanetest.NewStore(t)
	conn := &controlplane.Connection{Name: "lake", DuckDB: &controlplane.DuckDBConfig{Database: ":memory:",
		InitSQL: "CREATE TABLE users AS SELECT 1 AS id, 'alice.secret@example.com' AS email"}}
	hook := &controlplane.Connection{Name: "hook", Webhook: &controlplane.WebhookConfig{URL: "http://127.0.0.1:1/x", Method: "POST"}}
	for _, c := range []*controlplane.Connection{conn, hook} {
		if err := store.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	m := &controlplane.Model{Name: "users", ConnectionID: conn.ID, SQL: "SELECT id, email::INTEGER AS n FROM users",
		Columns: []controlplane.Column{{Name: "id", Type: "INTEGER"}, {Name: "n", Type: "INTEGER"}}}
	if err := store.CreateModel(ctx, m); err != nil {
		t.Fatal(err)
	}
	s := newSyncPlan(t, m.ID, hook.ID)
	got := warnings(modifyPlan(t, &SyncResource{storeHolder{store: store}}, nil, s))
	if len(got) != 1 || !strings.Contains(got[0], "Backflow Preview Unavailable") ||
		!strings.Contains(got[0], "'[value not shown]'") || strings.Contains(got[0], "alice") {
		t.Errorf("preview of a model that fails on a value: %q", got)
	}
}

// A mirror sync keyed on a DuckDB LIST, ARRAY, STRUCT, MAP or UNION column is refused at plan:
// its deletes have only the key's text, which does not say the JSON its records carry, and its
// runs fail, saying so; the plan applied, and every run failed. An update_or_create sync, which
// sends no deletes, keys on one.
func TestAccDuckDBMirrorRefusesNestedKey(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	path, _ := warehousetest.NewDuckDBFile(t, "CREATE TABLE nk AS SELECT {'a': i} AS s, [i] AS l, [i, i]::INTEGER[2] AS a, "+
		"MAP {'k': i} AS m, i::INTEGER::UNION(n INTEGER, s VARCHAR) AS u, i AS n FROM range(1, 3) AS r(i)")
	base := duckdbConnection("d", "lake", path, "") + webhookConnection("hook", "Webhook Test", hook.URL, "") +
		model("nk", "nk", "d", `table = "nk"`)
	step := func(behavior, key, pattern string) resource.TestStep {
		st := resource.TestStep{
			Config:   e.config(base, syncResource("s", "s", "nk", fmt.Sprintf("behavior = %q\n  primary_key = %q", behavior, key))),
			PlanOnly: true,
		}
		if pattern == "" {
			st.ExpectNonEmptyPlan = true
		} else {
			st.ExpectError = expectErr(pattern)
		}
		return st
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: e.config(base)},
			step("mirror", "s", `Mirror Sync Keyed on a Nested Column.*primary_key is "s", a DuckDB struct\("a" bigint\)`),
			step("mirror", "l", `Mirror Sync Keyed on a Nested Column.*primary_key is "l"`),
			step("mirror", "a", `Mirror Sync Keyed on a Nested Column.*primary_key is "a"`),
			step("mirror", "m", `Mirror Sync Keyed on a Nested Column.*primary_key is "m"`),
			step("mirror", "u", `Mirror Sync Keyed on a Nested Column.*primary_key is "u"`),
			step("update_or_create", "s", ""),
			step("mirror", "n", ""),
		},
	})
}
