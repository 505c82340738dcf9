package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// syncBase is a warehouse, a webhook and two models for syncs to use.
func (e *testEnv) syncBase(hookURL string) string {
	return e.warehouseConnection("w", "warehouse") + webhookConnection("hook", "Webhook Test", hookURL, "") +
		model("active", "active users", "w", `sql = "select unique_id, email, first_name from users where active"`) +
		model("all", "all users", "w", `table = "users"`)
}

func syncResource(resourceName, name, modelRef, body string) string {
	return fmt.Sprintf(`
resource "backflow_sync" %q {
  name           = %q
  model_id       = backflow_model.%s.id
  destination_id = backflow_connection.hook.id
  %s
}
`, resourceName, name, modelRef, body)
}

func TestAccSync(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	base := e.syncBase(hook.URL)
	const addr = "backflow_sync.s"
	hook2 := webhookConnection("hook2", "Webhook 2", hook.URL+"/2", "")
	first := `behavior    = "update_or_create"
  primary_key = "unique_id"
  mappings    = [{ from = "email", to = "email" }, { constant = "crm", to = "source" }]
  schedule    = { every = "15m" }`
	second := `behavior    = "mirror"
  primary_key = "unique_id"
  mappings    = [{ from = "unique_id", to = "id" }, { from = "first_name", to = "first_name" }]
  schedule    = { cron = "0 * * * *" }
  batch_size  = 500
  paused      = true`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(base, syncResource("s", "Active users to webhook", "active", first)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("batch_size"), knownvalue.Int64Exact(100)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("paused"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("paused_reason"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("mappings").AtSliceIndex(1).AtMapKey("constant"),
						knownvalue.StringExact("crm")),
				},
				Check: func(*terraform.State) error {
					var every string
					var mappings []byte
					err := e.cp.QueryRow(t.Context(), `SELECT schedule_every, mappings FROM backflow.syncs`).Scan(&every, &mappings)
					if err != nil || every != "15m" {
						return fmt.Errorf("stored schedule_every = %q (%v), want 15m", every, err)
					}
					var got []controlplane.Mapping
					if err := json.Unmarshal(mappings, &got); err != nil {
						return fmt.Errorf("stored mappings %s: %v", mappings, err)
					}
					crm := "crm"
					want := []controlplane.Mapping{{From: "email", To: "email"}, {Constant: &crm, To: "source"}}
					if diff := cmp.Diff(want, got); diff != "" {
						return fmt.Errorf("stored mappings (-want +got):\n%s", diff)
					}
					return nil
				},
			},
			{
				Config: e.config(base, syncResource("s", "Active users", "active", second)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("schedule").AtMapKey("every"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("schedule").AtMapKey("cron"), knownvalue.StringExact("0 * * * *")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("batch_size"), knownvalue.Int64Exact(500)),
				},
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{
				// No mappings and no schedule: every column, run by hand. Still in place.
				Config: e.config(base, syncResource("s", "Active users", "active", `behavior = "append"
  primary_key = "unique_id"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("mappings"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("schedule"), knownvalue.Null()),
				},
			},
			{
				// Another model: the ledger is keyed by it, so the sync is replaced.
				Config: e.config(base, syncResource("s", "Active users", "all", `behavior = "append"
  primary_key = "unique_id"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Another primary key: replaced too.
				Config: e.config(base, syncResource("s", "Active users", "all", `behavior = "append"
  primary_key = "email"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A second webhook, and a ledger saying every record was delivered to the first.
				Config: e.config(base, hook2, syncResource("s", "Active users", "all", `behavior = "append"
  primary_key = "email"`)),
				Check: func(*terraform.State) error {
					_, err := e.cp.Exec(t.Context(), `INSERT INTO backflow.sync_ledger (sync_id, key, hash)
						SELECT s.id, 'alycia@example.com', '\x00' FROM backflow.syncs s`)
					return err
				},
			},
			{
				// Another destination: replaced, with a new ledger, so the new webhook receives every record.
				Config: e.config(base, hook2, `
resource "backflow_sync" "s" {
  name           = "Active users"
  model_id       = backflow_model.all.id
  destination_id = backflow_connection.hook2.id
  behavior       = "append"
  primary_key    = "email"
}`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					var n int
					if err := e.cp.QueryRow(t.Context(), `SELECT count(*) FROM backflow.sync_ledger`).Scan(&n); err != nil || n != 0 {
						return fmt.Errorf("%d ledger rows (%v) after changing the destination, want none", n, err)
					}
					return nil
				},
			},
		},
	})
}

func TestAccSyncDrift(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr = "backflow_sync.s"
	cfg := e.config(e.syncBase(hook.URL), syncResource("s", "users", "active", `behavior = "update_or_create"
  primary_key = "unique_id"
  schedule = { every = "1h" }`))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig:          func() { e.execControlPlane(t, `UPDATE backflow.syncs SET batch_size = 5`) },
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				// The runner paused it (a 410): that is drift, and applying resumes it and clears the reason.
				PreConfig: func() {
					e.execControlPlane(t, `UPDATE backflow.syncs SET paused = true, paused_reason = 'the webhook answered 410 Gone'`)
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("paused_reason"), knownvalue.Null()),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					var paused bool
					var reason *string
					err := e.cp.QueryRow(t.Context(), `SELECT paused, paused_reason FROM backflow.syncs`).Scan(&paused, &reason)
					if err != nil || paused || reason != nil || e.countNamed(t, "syncs", "users") != 1 {
						return fmt.Errorf("after apply paused = %v, reason = %v (%v); want unpaused, no reason", paused, reason, err)
					}
					return nil
				},
			},
			{
				PreConfig: func() { e.execControlPlane(t, `DELETE FROM backflow.syncs`) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

func TestAccSyncRefused(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	base := e.syncBase(hook.URL)
	step := func(body, pattern string) resource.TestStep {
		return resource.TestStep{
			Config:      e.config(base, syncResource("s", "s", "active", body)),
			PlanOnly:    true,
			ExpectError: expectErr(pattern),
		}
	}
	const ok = `behavior = "append"
  primary_key = "unique_id"
  `
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: e.config(base)},
			step(ok+`schedule = { cron = "61 * * * *" }`, `Invalid Cron Schedule.*61 \* \* \* \*`),
			step(ok+`schedule = { cron = "0 * * *" }`, `Invalid Cron Schedule`),
			step(ok+`schedule = { cron = "TZ=Europe/Paris 0 * * * *" }`, `Invalid Cron Schedule.*UTC`),
			step(ok+`schedule = { cron = "@every 1s" }`, `Invalid Cron Schedule.*use schedule.every`),
			step(ok+`schedule = { cron = "0 0 31 2 *" }`, `Invalid Cron Schedule.*never fires`),
			step(ok+`schedule = { cron = "*/61 * * * *" }`, `step of 61 is longer than the 60 values of the field`),
			step(ok+`schedule = { every = "30s" }`, `Invalid Schedule Interval.*shorter than the minimum of 1m0s`),
			step(ok+`schedule = { every = "often" }`, `Invalid Schedule Interval`),
			step(ok+`schedule = { every = "1h", cron = "0 * * * *" }`, `Invalid Attribute Combination`),
			step(ok+`schedule = {}`, `Invalid Attribute Combination`),
			step(ok+`batch_size = 0`, `batch_size.*between 1 and 10000`),
			step(ok+`batch_size = 10001`, `batch_size.*between 1 and 10000`),
			step(`behavior = "upsert"
  primary_key = "unique_id"`, `behavior.*value must be one of.*update_or_create.*append.*mirror`),
			step(`behavior = "append"
  primary_key = "id"`, `Unknown Model Column.*primary_key is "id".*unique_id, email, first_name`),
			step(ok+`mappings = [{ from = "emial", to = "email" }]`, `Unknown Model Column.*mappings\[0\]\.from is "emial"`),
			step(ok+`mappings = [{ from = "email", constant = "x", to = "email" }]`, `Invalid Attribute Combination`),
			step(ok+`mappings = [{ to = "email" }]`, `Invalid Attribute Combination`),
			step(ok+`mappings = [{ from = "email", to = "a" }, { constant = "x", to = "a" }]`, `Duplicate Mapping Target.*"a"`),
			step(ok+`mappings = []`, `mappings.*at least 1`),
			step(ok+`cursor = "updated_at"`, `Invalid Cursor.*cursor is "updated_at".*no such column.*unique_id, email, first_name`),
			step(ok+`cursor = "email"
  cursor_lookback = "5m"`, `Invalid Cursor.*"email" is of type text.*lookback is a duration`),
			step(ok+`cursor_lookback = "5m"`, `Invalid Attribute Combination.*cursor`),
			step(ok+`cursor = "email"
  full_read_every = "30s"`, `Invalid Duration.*full_read_every.*at least 1m0s`),
			step(ok+`cursor = "email"
  full_read_every = "daily"`, `Invalid Duration.*full_read_every`),
			{
				Config:      e.config(base, syncResource("s", "s", "all", ok+`cursor = "active"`)),
				PlanOnly:    true,
				ExpectError: expectErr(`Invalid Cursor.*"active".*of type bool, which cannot be a cursor`),
			},
			{
				Config: e.config(base, fmt.Sprintf(`
resource "backflow_sync" "s" {
  name           = "s"
  model_id       = backflow_model.active.id
  destination_id = backflow_connection.w.id
  %s
}`, ok)),
				PlanOnly:    true,
				ExpectError: expectErr(`Not a Webhook Connection.*postgres connection`),
			},
			{
				Config:      e.config(base, syncResource("a", "same", "active", ok), syncResource("b", "same", "all", ok)),
				ExpectError: expectErr(`Name Already Taken.*"same"`),
			},
			{
				// A model created in the same apply has no id at plan time, so the sync's columns can only
				// be checked at apply: still refused, naming the column.
				Config: e.config(base, model("fresh", "fresh", "w", `sql = "select unique_id, email from users"`),
					syncResource("f", "f", "fresh", `behavior = "append"
  primary_key = "id"`)),
				ExpectError: expectErr(`Unknown Model Column.*primary_key is "id".*model "fresh".*unique_id, email`),
			},
			{
				PreConfig: func() {
					// The error came from the apply: the model was created, the sync was not.
					if e.countNamed(t, "models", "fresh") != 1 || e.countNamed(t, "syncs", "f") != 0 {
						t.Error("the bad primary_key was not refused at apply time")
					}
				},
				Config: e.config(base),
			},
		},
	})
}

// Model and sync names follow the connection's rule (nameValidator): refused at plan time, and
// nothing changes.
func TestAccModelAndSyncNamesRefused(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	cfg := func(modelName, syncName string) string {
		return e.config(e.warehouseConnection("w", "warehouse"), webhookConnection("hook", "Webhook Test", hook.URL, ""),
			fmt.Sprintf(`
resource "backflow_model" "m" {
  name          = %s
  connection_id = backflow_connection.w.id
  table         = "users"
}

resource "backflow_sync" "s" {
  name           = %s
  model_id       = backflow_model.m.id
  destination_id = backflow_connection.hook.id
  behavior       = "append"
  primary_key    = "unique_id"
}
`, hclString(modelName), hclString(syncName)))
	}
	good := cfg("all users", "All users to webhook")
	rows := func() string {
		var s string
		if err := e.cp.QueryRow(t.Context(), `SELECT concat_ws('|', (SELECT string_agg(concat_ws(',', id, name, updated_at), ';')
			FROM backflow.models), (SELECT string_agg(concat_ws(',', id, name, updated_at), ';') FROM backflow.syncs))`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	var before string
	steps := []resource.TestStep{{Config: good, Check: func(*terraform.State) error { before = rows(); return nil }}}
	for _, bad := range []struct{ model, sync, pattern string }{
		{"all\u0000users", "All users to webhook", `Invalid Name.*control character \(U\+0000`},
		{"all users\n", "All users to webhook", `Invalid Name.*control character \(U\+000A`},
		{" ", "All users to webhook", `Invalid Name.*blank`},
		{"all users", "All users\u0000to webhook", `Invalid Name.*control character \(U\+0000`},
		{"all users", "All users\tto webhook", `Invalid Name.*control character \(U\+0009`},
		{"all users", "All users\u001b[2J", `Invalid Name.*control character \(U\+001B`},
		{"all users", "\u00a0", `Invalid Name.*blank`},
	} {
		steps = append(steps, resource.TestStep{Config: cfg(bad.model, bad.sync), PlanOnly: true, ExpectError: expectErr(bad.pattern)})
	}
	steps = append(steps, resource.TestStep{
		Config:           good,
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		Check: func(*terraform.State) error {
			if after := rows(); after != before {
				return fmt.Errorf("stored models and syncs changed:\nbefore: %s\nafter:  %s", before, after)
			}
			return nil
		},
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps:                    steps,
	})
}

// TestAccSyncCursor: cursor, cursor_lookback and full_read_every are stored, read back (import,
// drift) and removed.
func TestAccSyncCursor(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	base := e.syncBase(hook.URL)
	const addr = "backflow_sync.s"
	const body = `behavior    = "mirror"
  primary_key = "unique_id"
  `
	stored := func(want string) func(*terraform.State) error {
		return func(*terraform.State) error {
			var got string
			err := e.cp.QueryRow(t.Context(), `SELECT concat_ws('|', cursor_column, cursor_lookback, full_read_every)
				FROM backflow.syncs`).Scan(&got)
			if err != nil || got != want {
				return fmt.Errorf("stored cursor settings %q (%v), want %q", got, err, want)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(base, syncResource("s", "cursor sync", "all", body+`cursor = "created_at"
  cursor_lookback = "10m"
  full_read_every = "6h"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("cursor"), knownvalue.StringExact("created_at")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("cursor_lookback"), knownvalue.StringExact("10m")),
				},
				Check: stored("created_at|10m|6h"),
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{
				// Changed outside Terraform: drift, put back by the apply.
				PreConfig: func() {
					if _, err := e.cp.Exec(t.Context(), `UPDATE backflow.syncs SET full_read_every = '1h'`); err != nil {
						t.Fatal(err)
					}
				},
				Config: e.config(base, syncResource("s", "cursor sync", "all", body+`cursor = "created_at"
  cursor_lookback = "10m"
  full_read_every = "6h"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: stored("created_at|10m|6h"),
			},
			{
				Config: e.config(base, syncResource("s", "cursor sync", "all", body)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("cursor"), knownvalue.Null()),
				},
				Check: stored(""),
			},
		},
	})
}

// planHook is a plan check that runs fn between the plan and the apply, for what happens
// meanwhile in the control plane.
type planHook func()

func (f planHook) CheckPlan(context.Context, plancheck.CheckPlanRequest, *plancheck.CheckPlanResponse) {
	f()
}

// TestAccSyncKeepsAPauseMadeAfterThePlan: the runner pauses a sync whose webhook answered 410 Gone
// (PauseForGone) while an apply planned before is under way. The apply, which did not plan to
// change paused, wrote paused = false over it and lost the pause and its reason. It keeps them
// now; the next plan shows them as drift, as for any pause of the runner's.
func TestAccSyncKeepsAPauseMadeAfterThePlan(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr = "backflow_sync.s"
	cfg := func(batch int) string {
		return e.config(e.syncBase(hook.URL), syncResource("s", "users", "active", fmt.Sprintf(`behavior = "update_or_create"
  primary_key = "unique_id"
  batch_size = %d`, batch)))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg(100)},
			{
				Config: cfg(50),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{planHook(func() {
						e.execControlPlane(t, `UPDATE backflow.syncs SET paused = true, paused_reason = 'the webhook answered 410 Gone'`)
					})},
				},
				ExpectNonEmptyPlan: true,
				Check: func(*terraform.State) error {
					var paused bool
					var reason *string
					var batch int
					err := e.cp.QueryRow(t.Context(), `SELECT paused, paused_reason, batch_size FROM backflow.syncs`).Scan(&paused, &reason, &batch)
					if err != nil || !paused || reason == nil || batch != 50 {
						return fmt.Errorf("after an apply that changed batch_size: paused = %v, reason = %v, batch_size = %d (%v); "+
							"want the runner's pause kept, and batch_size 50", paused, reason, batch, err)
					}
					return nil
				},
			},
			{
				// Applying paused = false, the drift shown, resumes it.
				Config: cfg(50),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					var paused bool
					err := e.cp.QueryRow(t.Context(), `SELECT paused FROM backflow.syncs`).Scan(&paused)
					if err != nil || paused {
						return fmt.Errorf("after applying paused = false: paused = %v (%v)", paused, err)
					}
					return nil
				},
			},
		},
	})
}
