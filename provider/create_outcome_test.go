package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestAccCreateCommitAnswerLost: the control plane stops answering mid-apply, just after it was
// sent the commit of a new connection (a network cut, a failover). The connection was made, but
// the create failed with a bare "Control-Plane Error", Terraform recorded nothing, and every
// later apply met "Name Already Taken" until the user imported it by hand. Now the provider asks
// for the row's id again: when the control plane is still away, it reports that it cannot tell
// and keeps the row in the state, tainted, and the next apply replaces it (no second row, no
// name in the way); when it answers, the create simply succeeded (the next test).
func TestAccCreateCommitAnswerLost(t *testing.T) {
	e := newTestEnv(t)
	proxy, proxied := controlplanetest.NewStallProxy(t, e.cpURL)
	t.Cleanup(func() { closeStore(proxied, e.key) })
	via := func(url string) string {
		return fmt.Sprintf("provider \"backflow\" {\n  database_url = %q\n  secret_key   = %q\n}\n", url, e.key) +
			e.warehouseConnection("wh", "Lost answer")
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() { proxy.GoDownAfterSending("commit") },
				Config:    via(proxied),
				ExpectError: expectErr(`Connection Creation Unconfirmed.*stopped answering while it committed the new ` +
					`connection "Lost answer" \(id \d+\).*tainted.*terraform untaint`),
			},
			{
				Config: via(e.cpURL), // the control plane answers again
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("backflow_connection.wh", plancheck.ResourceActionReplace),
				}},
				Check: func(*terraform.State) error {
					if n := e.countNamed(t, "connections", "Lost answer"); n != 1 {
						return fmt.Errorf("%d connections named \"Lost answer\", want 1", n)
					}
					return nil
				},
			},
			{
				Config:             via(e.cpURL),
				PlanOnly:           true,
				ExpectNonEmptyPlan: false,
			},
		},
	})
}

// TestAccCreateCommitAnswerLostBriefly: the answer to a create's commit is lost, but the control
// plane answers the next question (one connection cut, a proxy recycling it): the provider
// finds the row and the create succeeds. So when the commit itself reaches the server only after
// the provider asked (the network failed while it was on its way, a slow server): asked for the
// row, the control plane did not have it yet, and the create failed while its commit took (the
// next apply met Name Already Taken); the provider now asks whether the commit took, and waits
// while it is in progress.
func TestAccCreateCommitAnswerLostBriefly(t *testing.T) {
	for name, cut := range map[string]func(*controlplanetest.StallProxy){
		"answer lost":     func(p *controlplanetest.StallProxy) { p.CutAfterSending("commit") },
		"commit late too": func(p *controlplanetest.StallProxy) { p.CutBeforeDelivering("commit", time.Second) },
	} {
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t)
			proxy, proxied := controlplanetest.NewStallProxy(t, e.cpURL)
			t.Cleanup(func() { closeStore(proxied, e.key) })
			cfg := fmt.Sprintf("provider \"backflow\" {\n  database_url = %q\n  secret_key   = %q\n}\n", proxied, e.key) +
				e.warehouseConnection("wh", "Briefly lost")
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories,
				Steps: []resource.TestStep{
					{
						PreConfig: func() { cut(proxy) },
						Config:    cfg,
						Check:     resource.TestCheckResourceAttrSet("backflow_connection.wh", "id"),
					},
					{Config: cfg, PlanOnly: true},
				},
			})
		})
	}
}
