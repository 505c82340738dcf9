package provider

import (
	"fmt"
	"net/http"
	"testing"

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
		CheckDestroy: func(s *terraform.State) error {
			if n := e.countNamed(t, "notifications", "failures"); n != 0 {
				return fmt.Errorf("%d notifications left after destroy", n)
			}
			return e.checkDestroyed(s)
		},
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
