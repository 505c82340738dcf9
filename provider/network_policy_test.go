package provider

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
)

// These tests send nothing beyond loopback: the network policy refuses 169.254.169.254 before a
// connection is attempted (and before a proxy is chosen for it).

// metadataURL is a cloud metadata service; its path stands in for a secret the diagnostic must
// not quote.
const metadataURL = "http://169.254.169.254/latest/meta-data/tok3n"

// checkStoredURL checks that the connection named name still holds url in the control plane.
func (e *testEnv) checkStoredURL(t *testing.T, name, url string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		c, err := e.store.GetConnectionByName(t.Context(), name)
		if err != nil {
			return err
		}
		if c.Webhook == nil || c.Webhook.URL != url {
			return fmt.Errorf("connection %q holds %+v, want the webhook URL %s", name, c.Webhook, url)
		}
		return nil
	}
}

// A webhook pointed at a link-local address is refused on create and on update, by default,
// with an error naming the address and the setting that would allow it; nothing is stored.
func TestAccNetworkPolicyRefusesLinkLocal(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	good := webhookConnection("hook", "Webhook Test", hook.URL, "")
	refused := expectErr(`Webhook Address Refused.*169\.254\.169\.254 is refused.*169\.254\.0\.0/16.*BACKFLOW_ALLOWED_NETWORKS`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(good),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Update: refused.
				Config:      e.config(webhookConnection("hook", "Webhook Test", metadataURL, "")),
				ExpectError: refused,
			},
			{
				// Create: refused.
				Config:      e.config(good, webhookConnection("meta", "Metadata", metadataURL, "")),
				ExpectError: refused,
			},
			{
				// Nothing changed: the stored connection is as it was, the refused one was never created.
				Config: e.config(good),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					e.checkStoredURL(t, "Webhook Test", hook.URL),
					func(*terraform.State) error {
						if n := e.countNamed(t, "connections", "Metadata"); n != 0 {
							return fmt.Errorf("%d connections named Metadata, want none", n)
						}
						return nil
					},
				),
			},
		},
	})
}

// With BACKFLOW_BLOCK_PRIVATE_NETWORKS on, a loopback receiver is refused (and sent nothing)
// until BACKFLOW_ALLOWED_NETWORKS allows it. Not parallel: it sets the provider's environment.
func TestAccNetworkPolicyBlockPrivate(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	t.Setenv(netpolicy.BlockPrivateEnv, "1")
	t.Setenv(netpolicy.AllowedNetworksEnv, "")
	conn := e.config(webhookConnection("hook", "Webhook Test", hook.URL, ""))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config:      conn,
				ExpectError: expectErr(`Webhook Address Refused.*127\.0\.0\.1 is refused.*BACKFLOW_BLOCK_PRIVATE_NETWORKS is on`),
			},
			{
				PreConfig: func() {
					if n := len(hook.Requests()); n != 0 {
						t.Errorf("the refused receiver got %d requests, want none", n)
					}
					if n := e.countNamed(t, "connections", "Webhook Test"); n != 0 {
						t.Errorf("%d connections saved after the refusal, want none", n)
					}
					t.Setenv(netpolicy.AllowedNetworksEnv, "127.0.0.1/32")
				},
				Config: conn,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					if len(hook.Requests()) == 0 {
						return fmt.Errorf("the allowed receiver was not tested on save")
					}
					return nil
				},
			},
		},
	})
}

// An invalid setting fails the provider's configuration, naming the setting, rather than being
// ignored. Not parallel: it sets the provider's environment.
func TestAccNetworkPolicyInvalidSetting(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct{ name, value, want string }{
		{netpolicy.AllowedNetworksEnv, "10.0.0.0/33", `BACKFLOW_ALLOWED_NETWORKS: "10.0.0.0/33" is not a CIDR`},
		{netpolicy.BlockPrivateEnv, "maybe", `BACKFLOW_BLOCK_PRIVATE_NETWORKS="maybe" is not a boolean`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(netpolicy.BlockPrivateEnv, "")
			t.Setenv(netpolicy.AllowedNetworksEnv, "")
			t.Setenv(tc.name, tc.value)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      e.config(e.warehouseConnection("w", "w")),
					ExpectError: expectErr(`Invalid Network Policy Setting.*` + tc.want),
				}},
			})
		})
	}
}
