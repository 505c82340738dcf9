package provider

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

func webhookConnection(resourceName, name, url, extra string) string {
	return fmt.Sprintf(`
resource "backflow_connection" %q {
  name    = %q
  webhook = {
    url = %q
    %s
  }
}
`, resourceName, name, url, extra)
}

func TestAccConnectionPostgres(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr = "backflow_connection.w"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(e.warehouseConnection("w", "Analytics warehouse")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
						plancheck.ExpectSensitiveValue(addr, tfjsonpath.New("postgres").AtMapKey("url")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("postgres").AtMapKey("url"), knownvalue.StringExact(e.whURL)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook"), knownvalue.Null()),
				},
			},
			{
				// Renaming is in place.
				Config: e.config(e.warehouseConnection("w", "Warehouse")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					if n := e.countNamed(t, "connections", "Warehouse"); n != 1 {
						return fmt.Errorf("%d connections named Warehouse, want 1", n)
					}
					return nil
				},
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{
				// postgres -> webhook cannot happen in place.
				Config: e.config(webhookConnection("w", "Warehouse", hook.URL, "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("postgres"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("method"), knownvalue.StringExact("POST")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("test_on_save"), knownvalue.Bool(true)),
				},
			},
		},
	})
}

func TestAccConnectionWebhook(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	failing := newReceiver(t, http.StatusInternalServerError, "database is on fire")
	const addr = "backflow_connection.hook"
	full := `method = "PUT"
    headers = { Authorization = "Bearer t0ken" }
    signing_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    max_requests_per_second = 30`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(webhookConnection("hook", "Webhook Test", hook.URL, full)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectSensitiveValue(addr, tfjsonpath.New("webhook").AtMapKey("url")),
						plancheck.ExpectSensitiveValue(addr, tfjsonpath.New("webhook").AtMapKey("headers")),
						plancheck.ExpectSensitiveValue(addr, tfjsonpath.New("webhook").AtMapKey("signing_secret")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("method"), knownvalue.StringExact("PUT")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("max_requests_per_second"), knownvalue.Int64Exact(30)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("headers").AtMapKey("Authorization"),
						knownvalue.StringExact("Bearer t0ken")),
				},
				Check: func(*terraform.State) error {
					// Test on save: the endpoint was asked, with the connection's headers.
					reqs := hook.received()
					if len(reqs) == 0 {
						return fmt.Errorf("the webhook was not tested on save")
					}
					if got := reqs[0].Header.Get("Authorization"); got != "Bearer t0ken" {
						return fmt.Errorf("test request Authorization = %q, want the connection's header", got)
					}
					return nil
				},
			},
			{
				// Everything but the kind changes in place; unset optionals go back to null.
				Config: e.config(webhookConnection("hook", "Webhook Test", hook.URL+"/v2", `method = "PATCH"`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("headers"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("signing_secret"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("max_requests_per_second"), knownvalue.Null()),
				},
			},
			{
				Config: e.config(webhookConnection("hook", "Webhook Test", hook.URL, full)),
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{
				// An endpoint that does not answer 200 refuses the apply, with the status and the body.
				Config:      e.config(webhookConnection("hook", "Webhook Test", failing.URL, "")),
				ExpectError: expectErr(`Webhook Test Failed.*500.*database is on fire`),
			},
			{
				// ... and the refused update left the stored connection alone.
				Config:   e.config(webhookConnection("hook", "Webhook Test", hook.URL, full)),
				PlanOnly: true,
			},
			{
				// test_on_save = false saves an endpoint that is down.
				Config: e.config(webhookConnection("hook", "Webhook Test", failing.URL, "test_on_save = false")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("test_on_save"), knownvalue.Bool(false)),
				},
			},
			{
				// A new webhook connection is refused the same way on create.
				Config: e.config(webhookConnection("hook", "Webhook Test", failing.URL, "test_on_save = false"),
					webhookConnection("other", "Other hook", failing.URL, "")),
				ExpectError: expectErr(`HTTP 500.*database is on fire`),
			},
		},
	})
}

func TestAccConnectionDrift(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr = "backflow_connection.hook"
	cfg := e.config(webhookConnection("hook", "Webhook Test", hook.URL, `method = "PUT"`))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				// Changed outside Terraform: the plan puts it back.
				PreConfig: func() {
					e.execControlPlane(t, `UPDATE backflow.connections SET config = jsonb_set(config, '{method}', '"PATCH"')`)
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					var method string
					err := e.cp.QueryRow(t.Context(), `SELECT config->>'method' FROM backflow.connections`).Scan(&method)
					if err != nil || method != "PUT" {
						return fmt.Errorf("method after apply = %q (%v), want PUT", method, err)
					}
					return nil
				},
			},
			{
				PreConfig:          func() { e.execControlPlane(t, `UPDATE backflow.connections SET name = 'renamed'`) },
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				// Deleted outside Terraform: it leaves the state and is created again.
				PreConfig: func() { e.execControlPlane(t, `DELETE FROM backflow.connections`) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

func TestAccConnectionRefused(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	var modelID int64
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(fmt.Sprintf(`
resource "backflow_connection" "both" {
  name     = "both"
  postgres = { url = %q }
  webhook  = { url = %q }
}`, e.whURL, hook.URL)),
				ExpectError: expectErr(`Invalid Attribute Combination`),
			},
			{
				Config:      e.config(`resource "backflow_connection" "neither" { name = "neither" }`),
				ExpectError: expectErr(`Invalid Attribute Combination`),
			},
			{
				Config:      e.config(webhookConnection("get", "get", hook.URL, `method = "GET"`)),
				ExpectError: expectErr(`value must be one of`),
			},
			{
				Config:      e.config(webhookConnection("ftp", "ftp", "ftp://example.com/x", "")),
				ExpectError: expectErr(`must be an http:// or https:// URL`),
			},
			{
				// Refused at plan time by url.Parse, never echoing the URL (see TestWebhookURLValidator).
				Config:      e.config(webhookConnection("bad", "bad", malformedHookURL, "")),
				PlanOnly:    true,
				ExpectError: expectErr(`Invalid Webhook URL.*does not parse.*its text is not shown`),
			},
			{
				Config:      e.config(webhookConnection("pace", "pace", hook.URL, "max_requests_per_second = 0")),
				ExpectError: expectErr(`max_requests_per_second.*at least 1`),
			},
			{
				Config: e.config(e.warehouseConnection("a", "same name"),
					webhookConnection("b", "same name", hook.URL, "")),
				ExpectError: expectErr(`Name Already Taken.*same name`),
			},
			{
				// A model made outside this configuration still uses the connection: destroying it is refused.
				// A name of its own: the previous step may have saved b under "same name" rather than a,
				// and b's destroy and a's create run in parallel.
				Config: e.config(e.warehouseConnection("a", "kept")),
				Check: func(s *terraform.State) error {
					return e.cp.QueryRow(t.Context(), `INSERT INTO backflow.models (name, connection_id, sql)
						SELECT 'outside model', id, 'select 1 as x' FROM backflow.connections RETURNING id`).Scan(&modelID)
				},
			},
			{
				Config:      e.provider(),
				ExpectError: expectErr(`Still In Use.*model "outside\s+model"`),
			},
			{
				PreConfig: func() { e.execControlPlane(t, `DELETE FROM backflow.models WHERE id = $1`, modelID) },
				Config:    e.provider(),
			},
		},
	})
}

func TestAccProviderMissingSettings(t *testing.T) {
	e := newTestEnv(t)
	t.Setenv("BACKFLOW_DATABASE_URL", "")
	t.Setenv("BACKFLOW_SECRET_KEY", "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      `provider "backflow" {}` + "\n" + e.warehouseConnection("w", "w"),
				ExpectError: expectErr(`Missing Control-Plane Database URL.*BACKFLOW_DATABASE_URL`),
			},
			{
				Config:      fmt.Sprintf(`provider "backflow" { database_url = %q }`, e.cpURL) + "\n" + e.warehouseConnection("w", "w"),
				ExpectError: expectErr(`Missing Secret Key.*BACKFLOW_SECRET_KEY`),
			},
			{
				Config: fmt.Sprintf(`provider "backflow" {
  database_url = %q
  secret_key   = "c2hvcnQ="
}`, e.cpURL) + "\n" + e.warehouseConnection("w", "w"),
				ExpectError: expectErr(`Cannot Open the Control Plane.*want 32`),
			},
		},
	})
}

// A webhook that does not take HEAD (405) passes test-on-save through the test request: a POST of
// the envelope with operation "test".
func TestAccConnectionWebhookHeadNotAllowed(t *testing.T) {
	e := newTestEnv(t)
	var mu sync.Mutex
	var methods []string
	var posted []byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mu.Lock()
		defer mu.Unlock()
		methods = append(methods, req.Method)
		if req.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		posted = body
	}))
	t.Cleanup(hook.Close)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config: e.config(webhookConnection("hook", "Webhook Test", hook.URL, "")),
			Check: func(*terraform.State) error {
				mu.Lock()
				defer mu.Unlock()
				if len(methods) != 2 || methods[0] != http.MethodHead || methods[1] != http.MethodPost {
					return fmt.Errorf("test-on-save requests %v, want [HEAD POST]", methods)
				}
				var env webhook.Envelope
				if err := json.Unmarshal(posted, &env); err != nil {
					return fmt.Errorf("the test POST body is not an envelope: %v: %s", err, posted)
				}
				if env.Operation != webhook.OpTest || env.ConnectionName != "Webhook Test" || len(env.Data) != 0 {
					return fmt.Errorf("test envelope operation %q, connection_name %q, %d records; want %q, "+
						"\"Webhook Test\", none", env.Operation, env.ConnectionName, len(env.Data), webhook.OpTest)
				}
				return nil
			},
		}},
	})
}

// Reading the control plane with another key than it was written with says so, and names the
// setting to fix.
func TestAccWrongSecretKey(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	otherKey := controlplanetest.NewKey(t)
	t.Cleanup(func() { closeStore(e.cpURL, otherKey) })
	conn := webhookConnection("hook", "Webhook Test", hook.URL, `headers = { Authorization = "Bearer t0ken" }`)
	wrong := fmt.Sprintf("provider \"backflow\" {\n  database_url = %q\n  secret_key   = %q\n}\n", e.cpURL, otherKey) + conn
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: e.config(conn)},
			{
				Config:      wrong,
				PlanOnly:    true,
				ExpectError: expectErr(`Cannot Decrypt Connection Secrets.*secret_key.*BACKFLOW_SECRET_KEY`),
			},
			{Config: e.config(conn), PlanOnly: true}, // the right key reads it again, unchanged
		},
	})
}
