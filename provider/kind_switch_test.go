package provider

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// tryApply applies hcl and returns the apply's error (nil when it succeeded).
func (d *tfDir) tryApply(hcl string) error {
	d.t.Helper()
	d.write(hcl)
	return d.tf.Apply(d.t.Context(), tfexec.Reattach(d.reattach))
}

// A connection that changes kind is replaced, and so is what names it: Terraform deletes the
// syncs (with their ledgers), the notifications or the models that name it first, and only then
// finds, creating them again, that the new connection is of a kind they cannot use. The plan is
// refused instead, before anything is deleted; a plan that points them at another connection
// created in the same plan (whose id is as unknown) is only warned.
func TestAccPlanRefusesConnectionKindSwitch(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	d := newTFDir(t)
	sync := syncResource("s", "Users", "all", `behavior    = "mirror"
  primary_key = "unique_id"`)
	notification := `
resource "backflow_notification" "n" {
  name           = "failures"
  destination_id = backflow_connection.hook.id
  events         = ["run.failed"]
}
`
	good := e.config(e.syncBase(hook.URL), sync, notification)
	d.apply(good)
	ids := func() string {
		var s string
		err := e.cp.QueryRow(context.Background(), `SELECT
			(SELECT coalesce(string_agg(id || ' ' || name || ' ' || kind, ', ' ORDER BY id), '') FROM backflow.connections) || ' | ' ||
			(SELECT coalesce(string_agg(id || ' ' || name, ', ' ORDER BY id), '') FROM backflow.models) || ' | ' ||
			(SELECT coalesce(string_agg(id || ' ' || name, ', ' ORDER BY id), '') FROM backflow.syncs) || ' | ' ||
			(SELECT coalesce(string_agg(id || ' ' || name, ', ' ORDER BY id), '') FROM backflow.notifications)`).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := ids()

	// The destination becomes a Postgres connection: the sync and the notification are refused.
	toPostgres := strings.Replace(e.syncBase(hook.URL), webhookConnection("hook", "Webhook Test", hook.URL, ""),
		`
resource "backflow_connection" "hook" {
  name     = "Webhook Test"
  postgres = { url = "`+e.whURL+`" }
}
`, 1)
	if toPostgres == e.syncBase(hook.URL) {
		t.Fatal("the test's base configuration no longer has the webhook connection it replaces")
	}
	err := d.tryApply(e.config(toPostgres, sync, notification))
	if err == nil {
		t.Fatal("a plan that turns the sync's destination into a postgres connection was applied")
	}
	for _, want := range []string{"Connection Replaced by Another Kind", `connection "Webhook Test"`, `sync "Users"`,
		"with a postgres connection", "ledger", `notification "failures"`} {
		if !strings.Contains(strings.Join(strings.Fields(err.Error()), " "), want) {
			t.Errorf("the refusal lacks %q:\n%v", want, err)
		}
	}
	if after := ids(); after != before {
		t.Fatalf("a refused plan changed the control plane:\nbefore %s\nafter  %s", before, after)
	}

	// The warehouse becomes a webhook: its models are refused (their syncs go with them).
	toWebhook := strings.Replace(e.syncBase(hook.URL), e.warehouseConnection("w", "warehouse"),
		webhookConnection("w", "warehouse", hook.URL+"/w", ""), 1)
	err = d.tryApply(e.config(toWebhook, sync, notification))
	if err == nil || !strings.Contains(err.Error(), "Connection Replaced by Another Kind") ||
		!strings.Contains(strings.Join(strings.Fields(err.Error()), " "), `model "all users"`) {
		t.Fatalf("a plan that turns the models' warehouse into a webhook: want the refusal naming the model, got %v", err)
	}
	if after := ids(); after != before {
		t.Fatalf("a refused plan changed the control plane:\nbefore %s\nafter  %s", before, after)
	}

	// The warehouse becomes a DuckDB database without the models' table: the models, replaced
	// with it, are checked through it as planned, and refused before anything is deleted.
	toDuck := strings.Replace(e.syncBase(hook.URL), e.warehouseConnection("w", "warehouse"), `
resource "backflow_connection" "w" {
  name   = "warehouse"
  duckdb = { database = ":memory:" }
}
`, 1)
	err = d.tryApply(e.config(toDuck, sync, notification))
	// Either model may be planned first, and either connection created first (its id).
	if err == nil || !regexp.MustCompile(`The plan replaces connection "warehouse" \(id \d+\) with a duckdb connection, `+
		`and with it the model "(all|active) users"`).MatchString(strings.Join(strings.Fields(err.Error()), " ")) {
		t.Fatalf("a plan that moves the models to a warehouse that refuses their SQL: want the refusal, got %v", err)
	}
	if after := ids(); after != before {
		t.Fatalf("a refused plan changed the control plane:\nbefore %s\nafter  %s", before, after)
	}

	// Valid neighbours: a warehouse replaced by another warehouse kind that reads the models is
	// planned ...
	toDuck = strings.Replace(toDuck, `table = "users"`, `sql = "select 'u1' as unique_id, 'a@example.com' as email"`, 1)
	toDuck = strings.Replace(toDuck, `sql = "select unique_id, email, first_name from users where active"`, `sql = "select 1 as id"`, 1)
	diags, err := d.tryPlan(e.config(toDuck, sync, notification))
	if err != nil {
		t.Fatalf("a warehouse replaced by a duckdb one: %v\n%+v", err, diags)
	}
	for _, dg := range diags {
		if dg.Summary == "Connection Replaced by Another Kind" {
			t.Fatalf("a warehouse replaced by a duckdb one: %+v", dg)
		}
	}
	// ... and so is a destination replaced by a warehouse while the sync and the notification
	// are pointed at a webhook the same plan creates (warned: the plan cannot tell which
	// connection their unknown ids will be).
	moved := strings.ReplaceAll(e.config(toPostgres, sync, notification), "destination_id = backflow_connection.hook.id",
		"destination_id = backflow_connection.hook2.id") + webhookConnection("hook2", "Webhook 2", hook.URL+"/2", "")
	diags, err = d.tryPlan(moved)
	if err != nil {
		t.Fatalf("the sync and notification moved to a new webhook while the old one becomes a warehouse: %v\n%+v", err, diags)
	}
	warned := false
	for _, dg := range diags {
		warned = warned || dg.Severity == "warning" && dg.Summary == "Connection Replaced by Another Kind"
	}
	if !warned {
		t.Errorf("the sync moved to a new webhook while its old one becomes a warehouse: no warning in %+v", diags)
	}
	d.apply(moved)
	var kind string
	if err := e.cp.QueryRow(context.Background(), `SELECT kind FROM backflow.connections WHERE name = 'Webhook Test'`).Scan(&kind); err != nil || kind != "postgres" {
		t.Fatalf("after the apply, the old destination is %q (%v), want postgres", kind, err)
	}
}
