package provider

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func notificationResource(name, body string) string {
	return fmt.Sprintf(`
resource "backflow_notification" "n" {
  name           = %q
  destination_id = backflow_connection.alerts.id
  %s
}
`, name, body)
}

// Create with the defaults, update in place (events, sync_ids, send), import by id and by name,
// drift, and every refused input at plan time.
func TestAccNotification(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr = "backflow_notification.n"
	base := e.syncBase(hook.URL) + syncResource("s", "users", "active", `behavior = "update_or_create"
  primary_key = "unique_id"`) + webhookConnection("alerts", "Alerts", hook.URL+"/alerts", "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkNotificationDestroyed(t, "failures"),
		Steps: []resource.TestStep{
			{
				Config: e.config(base, notificationResource("failures", `events = ["run.failed", "run.recovered"]`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("send"), knownvalue.StringExact("on_change")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sync_ids"), knownvalue.SetSizeExact(0)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("events"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("run.failed"), knownvalue.StringExact("run.recovered")})),
				},
			},
			{
				Config: e.config(base, notificationResource("failures", `events   = ["run.failed", "records.rejected", "sync.paused"]
  sync_ids = [backflow_sync.s.id]
  send     = "every_time"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("send"), knownvalue.StringExact("every_time")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sync_ids"), knownvalue.SetSizeExact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("events"), knownvalue.SetSizeExact(3)),
				},
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{
				// Changed outside Terraform: drift, planned back.
				PreConfig: func() {
					e.execControlPlane(t, `UPDATE backflow.notifications SET send = 'on_change', events = '{run.succeeded}'`)
				},
				Config: e.config(base, notificationResource("failures", `events   = ["run.failed", "records.rejected", "sync.paused"]
  sync_ids = [backflow_sync.s.id]
  send     = "every_time"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config:      e.config(base, notificationResource("failures", `events = ["run.exploded"]`)),
				ExpectError: expectErr(`run\.exploded`),
			},
			{
				Config:      e.config(base, notificationResource("failures", `events = []`)),
				ExpectError: expectErr(`at least 1`),
			},
			{
				Config: e.config(base, notificationResource("failures", `events = ["run.failed"]
  send   = "sometimes"`)),
				ExpectError: expectErr(`on_change`),
			},
			{
				Config: e.config(base, notificationResource("failures", `events = ["run.failed"]
  sync_ids = [987654]`)),
				ExpectError: expectErr(`Sync Not Found.*987654`),
			},
			{
				// The runner could not send this Content-Type: every event would be given up.
				Config: e.config(base, notificationResource("failures", `events = ["run.failed"]
  content_type = "application/json\nX-Evil: 1"`)),
				ExpectError: expectErr(`Invalid Content Type.*line break`),
			},
			{
				Config: e.config(base, `
resource "backflow_notification" "n" {
  name           = "failures"
  destination_id = backflow_connection.w.id
  events         = ["run.failed"]
}`),
				ExpectError: expectErr(`Not a Webhook Connection`),
			},
		},
	})
}

// A body template: stored with its content type, importable, drift planned back; templates that
// do not parse, name what an event does not have, or render invalid JSON are refused at plan
// with their position, and nothing is stored.
func TestAccNotificationBody(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr = "backflow_notification.n"
	base := e.syncBase(hook.URL) + webhookConnection("alerts", "Alerts", hook.URL+"/alerts", "")
	const slack = `{"text": {{ "Sync " | append: event.sync.name | append: " failed: " | append: event.run.error | json }}}`
	withBody := func(body string) string {
		return notificationResource("templated", fmt.Sprintf(`events = ["run.failed", "run.recovered"]
  body   = %q`, body))
	}
	bad := func(body, want string) resource.TestStep {
		return resource.TestStep{Config: e.config(base, withBody(body)), ExpectError: expectErr(want)}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkNotificationDestroyed(t, "templated"),
		Steps: []resource.TestStep{
			bad(`{"text": {{ event.sync.name | json }}`, `(?s)Invalid Notification Body Template.*not valid JSON.*line 1`),
			bad("{\n  \"text\": \"{{ event.run.error }}\"\n}", `(?s)sample run\.failed event.*not valid JSON.*line 2, column`),
			bad("{{ event.sink.name | json }}", `(?s)Invalid Notification Body Template.*line 1`),
			bad("{\"text\": {{ event.sync.name | json }\n}", `(?s)Invalid Notification Body Template.*line 1`),
			bad("{% if event.sync.name %}", `(?s)Invalid Notification Body Template.*line 1`),
			{
				PreConfig: func() {
					if n := e.countNamed(t, "notifications", "templated"); n != 0 {
						t.Errorf("%d notifications stored by refused plans", n)
					}
				},
				Config: e.config(base, withBody(slack)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("body"), knownvalue.StringExact(slack)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("content_type"), knownvalue.StringExact("application/json")),
				},
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{
				PreConfig: func() {
					e.execControlPlane(t, `UPDATE backflow.notifications SET body = '', content_type = 'text/plain' WHERE name = 'templated'`)
				},
				Config: e.config(base, withBody(slack)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A raw body with another content type is not checked as JSON.
				Config: e.config(base, notificationResource("templated", `events = ["run.failed"]
  body         = "{{ event.text }}"
  content_type = "text/plain; charset=utf-8"`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("content_type"), knownvalue.StringExact("text/plain; charset=utf-8")),
				},
			},
		},
	})
}

// A webhook connection that is replaced (-replace, a taint) is deleted before its replacement is
// created; a notification sending to it was updated only after that, so the delete found it still
// in use and the apply failed ("Still In Use"). The notification is now replaced with it, as
// syncs are; a destination changed to another existing connection stays an update in place.
func TestAccNotificationDestinationReplaced(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr = "backflow_notification.n"
	config := e.config(webhookConnection("alerts", "Alerts replaced", hook.URL+"/alerts", ""),
		webhookConnection("other", "Alerts other", hook.URL+"/other", ""))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: config + notificationResource("replaced with its destination", `events = ["run.failed"]`)},
			{
				Config: config + notificationResource("replaced with its destination", `events = ["run.failed"]`),
				Taint:  []string{"backflow_connection.alerts"},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs(addr, tfjsonpath.New("destination_id"), "backflow_connection.alerts",
						tfjsonpath.New("id"), compare.ValuesSame()),
				},
			},
			{
				Config: config + `
resource "backflow_notification" "n" {
  name           = "replaced with its destination"
  destination_id = backflow_connection.other.id
  events         = ["run.failed"]
}
`,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// A notification whose sync_ids name a sync created in the same apply: at plan time the set is
// known, its element is not. The plan used to fail converting it ("Value Conversion Error:
// Received unknown value, however the target type cannot handle unknown values").
func TestAccNotificationWithNewSync(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr = "backflow_notification.n"
	cfg := e.config(e.syncBase(hook.URL), syncResource("s", "users", "active", `behavior = "update_or_create"
  primary_key = "unique_id"`), webhookConnection("alerts", "Alerts", hook.URL+"/alerts", ""),
		notificationResource("failures", `events = ["run.failed"]
  sync_ids = [backflow_sync.s.id]`))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkNotificationDestroyed(t, "failures"),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.CompareValuePairs(addr, tfjsonpath.New("sync_ids").AtSliceIndex(0),
					"backflow_sync.s", tfjsonpath.New("id"), compare.ValuesSame()),
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		}},
	})
}

// sync_ids = [null] is refused as a configuration error, not a "Value Conversion Error" that
// blames the provider (TestCollectionsRefuseNullElements checks every collection has the validator).
func TestAccNotificationNullSyncID(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config: e.config(webhookConnection("alerts", "Alerts", hook.URL+"/alerts", ""),
				notificationResource("failures", `events = ["run.failed"]
  sync_ids = [null]`)),
			ExpectError: expectErr(`Null Set Value`),
		}},
	})
}

// checkNotificationDestroyed is checkDestroyed, and no notification named name is left.
func (e *testEnv) checkNotificationDestroyed(t *testing.T, name string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		if n := e.countNamed(t, "notifications", name); n != 0 {
			return fmt.Errorf("%d notifications left after destroy", n)
		}
		return e.checkDestroyed(s)
	}
}
