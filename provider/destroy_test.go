package provider

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// destroy runs terraform destroy with hcl as the configuration.
func (d *tfDir) destroy(hcl string, opts ...tfexec.DestroyOption) error {
	d.t.Helper()
	return d.destroyWithin(d.t.Context(), hcl, opts...)
}

// destroyWithin is destroy, stopped when ctx ends.
func (d *tfDir) destroyWithin(ctx context.Context, hcl string, opts ...tfexec.DestroyOption) error {
	d.t.Helper()
	d.write(hcl)
	return d.tf.Destroy(ctx, append([]tfexec.DestroyOption{tfexec.Reattach(d.reattach)}, opts...)...)
}

// goneWorld is what a configuration points at, for a destroy once it is gone: a warehouse
// connection of one kind.
type goneWorld struct {
	block     string // the connection's warehouse attribute, with %q for its url or database
	url, dead string // the warehouse as applied, and another one nothing answers at
	gone      func() // makes the warehouse unreadable: the database, the file or the table gone
}

// goneConfig is the configuration of TestAccDestroyWhenGone: a warehouse with two models, three
// webhook connections (one with OAuth2), two syncs and a notification.
func (e *testEnv) goneConfig(w goneWorld, whURL, hookURL, alertsURL, tokenURL, table string) string {
	return e.config(fmt.Sprintf(`
resource "backflow_connection" "w" {
  name = "warehouse"
  `+w.block+`
}
resource "backflow_connection" "hook" {
  name    = "hook"
  webhook = { url = %q }
}
resource "backflow_connection" "alerts" {
  name    = "alerts"
  webhook = { url = %q }
}
resource "backflow_connection" "oauth" {
  name    = "oauth hook"
  webhook = {
    url    = %q
    oauth2 = { token_url = %q, client_id = "id", client_secret = "secret" }
  }
}
resource "backflow_model" "q" {
  name          = "query"
  connection_id = backflow_connection.w.id
  sql           = "select unique_id, email from %s"
}
resource "backflow_model" "t" {
  name          = "table"
  connection_id = backflow_connection.w.id
  table         = %q
}
resource "backflow_sync" "s" {
  name           = "users"
  model_id       = backflow_model.q.id
  destination_id = backflow_connection.hook.id
  behavior       = "mirror"
  primary_key    = "unique_id"
  mappings       = [{ from = "email", to = "email" }]
}
resource "backflow_sync" "o" {
  name           = "users oauth"
  model_id       = backflow_model.t.id
  destination_id = backflow_connection.oauth.id
  behavior       = "update_or_create"
  primary_key    = "unique_id"
  mappings       = [{ from = "email", to = "email" }]
}
resource "backflow_notification" "n" {
  name           = "failures"
  destination_id = backflow_connection.alerts.id
  sync_ids       = [backflow_sync.s.id]
  events         = ["run.failed"]
}
`, whURL, hookURL, alertsURL, hookURL+"/oauth", tokenURL, table, table))
}

// testDestroyWhenGone applies w's configuration, then takes away everything it points at: the
// warehouse (w.gone), the sync's webhook (closed), the token endpoint (closed), while a run of
// the sync is in progress; the notification's endpoint answers 500 throughout. Then:
//   - a plan of the same configuration succeeds (warnings only): nothing changes;
//   - a plan of a configuration changed since (every url, the models' SQL and table, as a
//     variable changed at destroy time would) fails, as it must, but every error says how to
//     destroy anyway; so does the refusal of `terraform destroy`, which plans it first;
//   - destroy succeeds: with the changed configuration and -refresh=false when refreshFalse,
//     else with the configuration as applied; no control-plane row is left.
func testDestroyWhenGone(t *testing.T, w goneWorld, refreshFalse bool) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	alerts := newReceiver(t, 200, "ok")
	tokens := webhooktest.NewTokenServer(t, "id", "secret", 3600)
	d := newTFDir(t)
	applied := e.goneConfig(w, w.url, hook.URL, alerts.URL, tokens.URL, "users")
	changed := e.goneConfig(w, w.dead, "http://"+webhooktest.ClosedAddr+"/hook", alerts.URL+"/v2", "http://"+webhooktest.ClosedAddr+"/token", "gone")
	d.apply(applied)

	// A run of the sync in progress: a runner holds its lock.
	var syncID int64
	if err := e.cp.QueryRow(t.Context(), `SELECT id FROM backflow.syncs WHERE name = 'users'`).Scan(&syncID); err != nil {
		t.Fatal(err)
	}
	lease, err := e.store.AcquireSync(t.Context(), syncID, false, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	if _, err := lease.StartRun(t.Context(), controlplane.RunStart{Trigger: "manual"}); err != nil {
		t.Fatal(err)
	}

	hook.Close()
	tokens.Close()
	alerts.Answer(500, "down")
	w.gone()

	diags, err := d.tryPlan(applied)
	if err != nil {
		t.Fatalf("a plan that changes nothing failed because what the configuration points at is gone: %v\n%+v", err, diags)
	}
	diags, err = d.tryPlan(changed)
	if err == nil {
		t.Fatalf("the changed configuration planned, though its endpoints and warehouse are gone: %+v", diags)
	}
	seen := map[string]bool{}
	for _, dg := range diags {
		if dg.Severity != "error" {
			continue
		}
		seen[dg.Address] = true
		if !strings.Contains(dg.Detail, destroyHint) {
			t.Errorf("%s: the error does not say how to destroy anyway:\n%s: %s", dg.Address, dg.Summary, dg.Detail)
		}
	}
	for _, a := range []string{"backflow_connection.hook", "backflow_connection.alerts", "backflow_connection.oauth", "backflow_model.q", "backflow_model.t"} {
		if !seen[a] {
			t.Errorf("no error for %s, whose changed configuration cannot be checked: %+v", a, diags)
		}
	}
	// A destroy that waited for the run in progress would wait for ever: hung ends it after far
	// longer than a destroy takes, and the test says it hung.
	hung, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	err = d.destroyWithin(hung, changed)
	if hung.Err() != nil {
		t.Fatalf("destroy of the changed configuration hung 3m with a run of the sync in progress: %v", err)
	}
	switch {
	case err == nil:
		// A CLI that does not plan the configuration before a destroy: nothing left to check.
		t.Logf("%s destroyed without planning the changed configuration", d.tf.ExecPath())
	case !expectErr("run `terraform destroy -refresh=false`").MatchString(err.Error()):
		t.Fatalf("terraform destroy with the changed configuration: want a refusal that says to use -refresh=false, got %v", err)
	case refreshFalse:
		err = d.destroyWithin(hung, changed, tfexec.Refresh(false))
	default:
		err = d.destroyWithin(hung, applied)
	}
	if hung.Err() != nil {
		t.Fatalf("destroy (-refresh=false: %t) hung 3m with a run of the sync in progress: %v", refreshFalse, err)
	}
	if err != nil {
		t.Fatalf("destroy (-refresh=false: %t): %v", refreshFalse, err)
	}
	if err := e.checkDestroyed(nil); err != nil {
		t.Fatal(err)
	}
	if n := e.countNamed(t, "notifications", "failures"); n != 0 {
		t.Fatalf("%d notifications left after destroy", n)
	}
	// The run in progress records nothing more: its sync is gone.
	if err := lease.CheckFence(t.Context()); !errors.Is(err, controlplane.ErrLockLost) {
		t.Fatalf("the run of the destroyed sync: CheckFence = %v, want ErrLockLost", err)
	}
}

// `terraform destroy` of resources that point at a warehouse and webhooks that are gone.
func TestAccDestroyWhenGone(t *testing.T) {
	t.Run("postgres database dropped, destroy -refresh=false of a changed configuration", func(t *testing.T) {
		url := controlplanetest.NewDatabase(t)
		pool := controlplanetest.Pool(t, url)
		if _, err := pool.Exec(t.Context(), `CREATE TABLE users (unique_id text PRIMARY KEY, email text NOT NULL);
			INSERT INTO users VALUES ('u1', 'alycia@example.com')`); err != nil {
			t.Fatal(err)
		}
		testDestroyWhenGone(t, goneWorld{
			block: "postgres = { url = %q }", url: url, dead: "postgres://reader:pw@" + webhooktest.ClosedAddr + "/analytics",
			gone: func() {
				pool.Close()
				admin, err := pgx.Connect(context.Background(), controlplanetest.AdminURL())
				if err != nil {
					t.Fatal(err)
				}
				defer admin.Close(context.Background())
				u, err := neturl.Parse(url)
				if err != nil {
					t.Fatal(err)
				}
				name := pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()
				if _, err := admin.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
					t.Fatal(err)
				}
			},
		}, true)
	})
	t.Run("mysql table dropped, destroy of the configuration as applied", func(t *testing.T) {
		url, db := warehousetest.NewMySQLDatabase(t)
		if _, err := db.Exec(`CREATE TABLE users (unique_id varchar(100) PRIMARY KEY, email varchar(200) NOT NULL);
			INSERT INTO users VALUES ('u1', 'alycia@example.com')`); err != nil {
			t.Fatal(err)
		}
		testDestroyWhenGone(t, goneWorld{
			block: "mysql = { url = %q }", url: url, dead: "mysql://reader:pw@" + webhooktest.ClosedAddr + "/analytics",
			gone: func() {
				if _, err := db.Exec(`DROP TABLE users`); err != nil {
					t.Fatal(err)
				}
			},
		}, false)
	})
}

// An update that changes nothing the webhook test sends (the name, the rate limit) neither tests
// the webhook nor fails when its endpoint is down: at plan, at apply, or in the refresh of a
// destroy with such a change. One that changes the url does, and its error says how to destroy.
func TestAccConnectionUpdateEndpointDown(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	const addr = "backflow_connection.hook"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: e.config(webhookConnection("hook", "hook", hook.URL, ""))},
			{
				PreConfig: hook.Close,
				Config:    e.config(webhookConnection("hook", "renamed hook", hook.URL, "max_requests_per_second = 5")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("renamed hook")),
				},
			},
			{
				Config:      e.config(webhookConnection("hook", "renamed hook", hook.URL+"/v2", "max_requests_per_second = 5")),
				PlanOnly:    true,
				ExpectError: expectErr("Webhook Test Failed.*connection refused.*run `terraform destroy -refresh=false`"),
			},
			{
				// The configuration the destroy plans first renames it again: nothing to test.
				Config:  e.config(webhookConnection("hook", "hook", hook.URL, "")),
				Destroy: true,
			},
		},
	})
}

// A backflow_sync_preview data source is read by every plan, the refresh of a destroy too: with
// its warehouse gone it fails them (a policy gate on its counts must not pass on nothing), and
// says how to destroy anyway; -refresh=false does not read it.
func TestAccDestroySyncPreviewWarehouseGone(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	d := newTFDir(t)
	cfg := e.config(e.syncBase(hook.URL), syncResource("s", "Users", "all", `behavior = "mirror"
  primary_key = "unique_id"`), `
data "backflow_sync_preview" "p" {
  sync = backflow_sync.s.id
}
output "deleted" {
  value = data.backflow_sync_preview.p.deleted
}
`)
	d.apply(cfg)
	e.execWarehouse(t, `DROP TABLE users`)
	diags, err := d.tryPlan(cfg)
	if err == nil {
		t.Fatalf("the preview of a model whose table is gone planned: %+v", diags)
	}
	for _, dg := range diags {
		if dg.Severity == "error" && !strings.Contains(dg.Detail, destroyHint) {
			t.Errorf("%s: the error does not say how to destroy anyway:\n%s: %s", dg.Address, dg.Summary, dg.Detail)
		}
	}
	err = d.destroy(cfg)
	if err != nil && !expectErr("Cannot Preview the Sync.*run `terraform destroy -refresh=false`").MatchString(err.Error()) {
		t.Fatalf("terraform destroy: want a refusal that says to use -refresh=false, got %v", err)
	}
	if err == nil {
		t.Logf("%s destroyed without reading the data source", d.tf.ExecPath())
	} else if err := d.destroy(cfg, tfexec.Refresh(false)); err != nil {
		t.Fatalf("destroy -refresh=false: %v", err)
	}
	if err := e.checkDestroyed(nil); err != nil {
		t.Fatal(err)
	}
}

// A model renamed while its warehouse cannot describe it: the plan leaves its columns known after
// apply, with a warning, and the apply keeps the stored ones (it failed on the describe).
func TestAccModelRenamedWarehouseGone(t *testing.T) {
	e := newTestEnv(t)
	const addr = "backflow_model.m"
	stored := columns("unique_id", "text", "email", "text")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: e.config(e.warehouseConnection("w", "warehouse"), model("m", "users", "w", `sql = "select unique_id, email from users"`))},
			{
				PreConfig: func() { e.execWarehouse(t, `DROP TABLE users`) },
				Config:    e.config(e.warehouseConnection("w", "warehouse"), model("m", "renamed", "w", `sql = "select unique_id, email from users"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(addr, tfjsonpath.New("columns")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("renamed")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"), stored),
				},
			},
			{
				// The SQL changes: it must be described, and cannot be.
				Config:      e.config(e.warehouseConnection("w", "warehouse"), model("m", "renamed", "w", `sql = "select email from users"`)),
				PlanOnly:    true,
				ExpectError: expectErr(`Invalid Model Query.*relation "users" does not exist.*run .terraform destroy -refresh=false.`),
			},
		},
	})
}

// A model in the configuration but not in the state (its create failed, or it was added since)
// is planned as a create by the refresh of a destroy: with its table gone that plan fails too,
// and says how to destroy what the state holds.
func TestAccDestroyModelNeverCreated(t *testing.T) {
	e := newTestEnv(t)
	d := newTFDir(t)
	applied := e.config(e.warehouseConnection("w", "warehouse"), model("m", "users", "w", `table = "users"`))
	d.apply(applied)
	e.execWarehouse(t, `DROP TABLE users`)
	withNew := applied + model("n", "new users", "w", `sql = "select unique_id from users"`)
	diags, err := d.tryPlan(withNew)
	if err == nil {
		t.Fatalf("a new model on a dropped table planned: %+v", diags)
	}
	for _, dg := range diags {
		if dg.Severity == "error" && !strings.Contains(dg.Detail, destroyHint) {
			t.Errorf("%s: the error does not say how to destroy anyway:\n%s: %s", dg.Address, dg.Summary, dg.Detail)
		}
	}
	if err := d.destroy(withNew, tfexec.Refresh(false)); err != nil {
		t.Fatalf("destroy -refresh=false: %v", err)
	}
	if err := e.checkDestroyed(nil); err != nil {
		t.Fatal(err)
	}
}

// A model renamed in the apply that moves its connection to another warehouse, while the one it
// read is gone: the plan describes the model through the connection as planned (it described
// through the one stored, and the apply, through the new url, found other columns).
func TestAccModelRenamedConnectionMoved(t *testing.T) {
	e := newTestEnv(t)
	const addr = "backflow_model.m"
	e.execWarehouse(t, `CREATE SCHEMA s1; CREATE TABLE s1.people (unique_id text, email text);
		CREATE SCHEMA s2; CREATE TABLE s2.people (unique_id text, email text, plan text)`)
	u, err := neturl.Parse(e.whURL)
	if err != nil {
		t.Fatal(err)
	}
	in := func(schema string) string {
		v := *u
		q := v.Query()
		q.Set("search_path", schema)
		v.RawQuery = q.Encode()
		return fmt.Sprintf(`
resource "backflow_connection" "w" {
  name     = "warehouse"
  postgres = { url = %q }
}
`, v.String())
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(in("s1"), model("m", "people", "w", `sql = "select * from people"`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"), columns("unique_id", "text", "email", "text")),
				},
			},
			{
				PreConfig: func() { e.execWarehouse(t, `DROP SCHEMA s1 CASCADE`) },
				Config:    e.config(in("s2"), model("m", "renamed", "w", `sql = "select * from people"`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("renamed")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"),
						columns("unique_id", "text", "email", "text", "plan", "text")),
				},
			},
			{
				// Both warehouses answer: the plan describes the new SQL through the connection as
				// planned (s3), as the apply does, not as stored (s2, where plan is text).
				PreConfig: func() { e.execWarehouse(t, `CREATE SCHEMA s3; CREATE TABLE s3.people (unique_id text, plan bigint)`) },
				Config:    e.config(in("s3"), model("m", "renamed", "w", `sql = "select unique_id, plan from people"`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"), columns("unique_id", "text", "plan", "int8")),
				},
			},
			{
				// The model unchanged, its connection moved back to s2: the plan updates its columns
				// now, rather than keep the ones s3 described until the next plan.
				Config: e.config(in("s2"), model("m", "renamed", "w", `sql = "select unique_id, plan from people"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("columns"), columns("unique_id", "text", "plan", "text")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"), columns("unique_id", "text", "plan", "text")),
				},
			},
		},
	})
}

// A connection whose url is known only at apply (here from a terraform_data changed in the same
// apply): the plan cannot describe its models through it, so it leaves their columns known after
// apply rather than promise the ones the stored url describes.
func TestAccModelConnectionURLKnownAtApply(t *testing.T) {
	e := newTestEnv(t)
	const addr = "backflow_model.m"
	e.execWarehouse(t, `CREATE SCHEMA a1; CREATE TABLE a1.people (unique_id text, plan text);
		CREATE SCHEMA a2; CREATE TABLE a2.people (unique_id text, plan bigint)`)
	u, err := neturl.Parse(e.whURL)
	if err != nil {
		t.Fatal(err)
	}
	in := func(schema, sql string) string {
		v := *u
		q := v.Query()
		q.Set("search_path", schema)
		v.RawQuery = q.Encode()
		return e.config(fmt.Sprintf(`
resource "terraform_data" "url" {
  input = %q
}
resource "backflow_connection" "w" {
  name     = "warehouse"
  postgres = { url = terraform_data.url.output }
}
`, v.String()), model("m", "people", "w", sql))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		ExternalProviders:        map[string]resource.ExternalProvider{"terraform": {Source: "terraform.io/builtin/terraform"}},
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: in("a1", `sql = "select unique_id, plan from people"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"), columns("unique_id", "text", "plan", "text")),
				},
			},
			{
				Config: in("a2", `sql = "select plan, unique_id from people"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectUnknownValue(addr, tfjsonpath.New("columns"))},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("columns"), columns("plan", "int8", "unique_id", "text")),
				},
			},
		},
	})
}
