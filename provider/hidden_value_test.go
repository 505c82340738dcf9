package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// A MySQL model that fails on a value (a stored function's strict conversion): the plan's
// preview says so without the value MySQL quotes ("Incorrect integer value: '<value>' for
// column ..."), as it does for Postgres and DuckDB.
func TestMySQLPreviewHidesQuotedValue(t *testing.T) {
	const secret = "alice.secret@example.com"
	url, db := warehousetest.NewMySQLDatabase(t)
	for _, s := range []string{"CREATE FUNCTION to_int(x text) RETURNS int DETERMINISTIC RETURN x",
		"CREATE TABLE users (id int PRIMARY KEY, email text)", "INSERT INTO users VALUES (1, '" + secret + "')"} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Warehouse: &controlplane.Connection{Name: "mysql", MySQL: &controlplane.MySQLConfig{URL: url}},
		HookURL:   "http://127.0.0.1:1/x",
		Model: &controlplane.Model{Name: "users", SQL: "select id, to_int(email) as n from users",
			Columns: []controlplane.Column{{Name: "id", Type: "INT"}, {Name: "n", Type: "INT"}}},
	})
	s := newSyncPlan(t, w.Model.ID, w.Destination.ID)
	got := warnings(modifyPlan(t, &SyncResource{storeHolder{store: w.Store}}, nil, s))
	if len(got) != 1 || !strings.Contains(got[0], "Backflow Preview Unavailable") ||
		!strings.Contains(got[0], "Incorrect integer value: '[value not shown]' for column") || strings.Contains(got[0], "alice") {
		t.Errorf("preview of a model that fails on a value: %q", got)
	}
}

// data.backflow_sync_preview of a sync whose model fails on a value: its error (shown by
// terraform, kept in CI logs) leaves the value out.
func TestSyncPreviewDataSourceHidesQuotedValue(t *testing.T) {
	ctx := context.Background()
	const secret = "alice.secret@example.com"
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Users: `CREATE TABLE users (id int PRIMARY KEY, email text);
		INSERT INTO users VALUES (1, '` + secret + `')`,
		HookURL: "http://127.0.0.1:1/x",
		Model: &controlplane.Model{Name: "users", SQL: `select id, email::int AS n from users`,
			Columns: []controlplane.Column{{Name: "id", Type: "int4"}, {Name: "n", Type: "int4"}}},
		Sync: &controlplane.Sync{Behavior: controlplane.BehaviorMirror, PrimaryKey: "id", BatchSize: 100},
	})
	d := &SyncPreviewDataSource{storeHolder{store: w.Store}}
	var sr datasource.SchemaResponse
	d.Schema(ctx, datasource.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	vals["sync"] = tftypes.NewValue(tftypes.String, w.Sync.Name)
	config := tfsdk.Config{Schema: sr.Schema, Raw: tftypes.NewValue(typ, vals)}
	resp := &datasource.ReadResponse{State: tfsdk.State{Schema: sr.Schema}}
	d.Read(ctx, datasource.ReadRequest{Config: config}, resp)
	if !resp.Diagnostics.HasError() {
		t.Fatal("the preview of a model that fails on a value succeeded")
	}
	for _, e := range resp.Diagnostics.Errors() {
		if strings.Contains(e.Detail(), "alice") || !strings.Contains(e.Detail(), `integer: "[value not shown]"`) {
			t.Errorf("the data source's error: %s: %s", e.Summary(), e.Detail())
		}
	}
}
