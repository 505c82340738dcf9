package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
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
					reqs := hook.Requests()
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
				ExpectError: expectErr(`Invalid Secret Key.*secret_key.*want 32`),
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

// Creating a connection with another key than the control plane's (a plan that reads no
// existing connection, so nothing fails before the apply) is refused, and nothing is stored: a
// connection sealed under that key would open for no runner, and would stop every rekey.
func TestAccWrongSecretKeyWritesNothing(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	if err := e.store.CreateConnection(context.Background(), &controlplane.Connection{Name: "existing",
		Webhook: &controlplane.WebhookConfig{URL: hook.URL, Method: "POST"}}); err != nil {
		t.Fatal(err)
	}
	otherKey := controlplanetest.NewKey(t)
	t.Cleanup(func() { closeStore(e.cpURL, otherKey) })
	wrong := fmt.Sprintf("provider \"backflow\" {\n  database_url = %q\n  secret_key   = %q\n}\n", e.cpURL, otherKey) +
		webhookConnection("hook", "Webhook Test", hook.URL, `headers = { Authorization = "Bearer t0ken" }`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      wrong,
			ExpectError: expectErr(`Cannot Decrypt Connection Secrets.*nothing was written`),
		}},
	})
	if n := e.countNamed(t, "connections", "Webhook Test"); n != 0 {
		t.Fatalf("%d connections named \"Webhook Test\" were stored under the wrong key", n)
	}
}

// hclString quotes s for HCL: HCL has no \x escapes, so control characters are written \uXXXX,
// and template sequences are escaped.
func hclString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, "\\u%04X", r)
		case (r == '$' || r == '%') && strings.HasPrefix(s[i+1:], "{"):
			b.WriteRune(r)
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// connectionRows is every connection row as stored, to show a refused plan changed nothing.
func (e *testEnv) connectionRows(t *testing.T) string {
	t.Helper()
	var rows string
	err := e.cp.QueryRow(context.Background(), `SELECT coalesce(string_agg(concat_ws('|', id, name, kind, config::text,
		encode(sealed_secrets, 'hex'), updated_at), E'\n' ORDER BY id), '') FROM backflow.connections`).Scan(&rows)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Hostile or careless input is refused at plan time with a message that says what to do, and
// nothing changes: the state plans empty and the stored rows are as they were. Each class is tried
// with several members (other control characters, other letter cases, IPv6 userinfo...).
func TestAccConnectionHostileInput(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	type hookSettings struct{ name, url, extra string }
	good := hookSettings{"Webhook Test", hook.URL, `headers = { Authorization = "Bearer t0ken" }
    signing_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    max_requests_per_second = 30`}
	warehouse := func(name, url, extra string) string {
		return fmt.Sprintf(`
resource "backflow_connection" "w" {
  name     = %s
  postgres = {
    url = %s
    %s
  }
}
`, hclString(name), hclString(url), extra)
	}
	hookCfg := func(h hookSettings) string {
		return fmt.Sprintf(`
resource "backflow_connection" "hook" {
  name    = %s
  webhook = {
    url = %s
    %s
  }
}
`, hclString(h.name), hclString(h.url), h.extra)
	}
	goodConfig := e.config(warehouse("Analytics warehouse", e.whURL, `statement_timeout = "5m"`), hookCfg(good))
	withHook := func(h hookSettings) string {
		return e.config(warehouse("Analytics warehouse", e.whURL, `statement_timeout = "5m"`), hookCfg(h))
	}
	withExtra := func(extra string) string { return withHook(hookSettings{good.name, good.url, extra}) }
	withHeader := func(name, value string) string {
		return withExtra(fmt.Sprintf("headers = { %s = %s }", hclString(name), hclString(value)))
	}
	withWarehouse := func(name, url, extra string) string {
		return e.config(warehouse(name, url, extra), hookCfg(good))
	}
	const secretURL = "https://user:s3cret-pw@example.com/hook"

	refused := []struct {
		config  string
		pattern string
	}{
		// Item 5: signing secrets.
		{withExtra(`signing_secret = "whsec_"`), `Invalid Signing Secret.*whsec_ followed by the standard base64 of 24 to 64.*decodes to 0 bytes`},
		{withExtra(`signing_secret = "abc"`), `Invalid Signing Secret.*must start with "whsec_"`},
		{withExtra(`signing_secret = "whsec_!!!"`), `Invalid Signing Secret.*not standard base64`},
		{withExtra(`signing_secret = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0"`), `Invalid Signing Secret.*decodes to 18 bytes`},
		{withExtra(`signing_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"`), `Invalid Signing Secret.*not standard base64`},
		// Item 6: header names, values, and the headers the runner sets, in any letter case.
		{withHeader("X Api Key", "v"), `Invalid Webhook Header.*"X Api Key" is not a valid header name`},
		{withHeader("", "v"), `Invalid Webhook Header.*empty name`},
		{withHeader("X-Api-Key:", "v"), `Invalid Webhook Header.*not a valid header name`},
		{withHeader("X-Api\u0001Key", "v"), `Invalid Webhook Header.*control character 0x01`},
		{withHeader("Authorization", "Bearer t0ken\r\nX-Evil: 1"), `Invalid Webhook Header.*line break`},
		{withHeader("Authorization", "Bearer t0ken\n"), `Invalid Webhook Header.*line break`},
		{withHeader("Authorization", "Bearer\u0000t0ken"), `Invalid Webhook Header.*NUL`},
		{withHeader("Authorization", "Bearer\u001bt0ken"), `Invalid Webhook Header.*control character 0x1B`},
		{withHeader("content-type", "text/plain"), `Invalid Webhook Header.*set by the runner.*Content-Type, Content-Length, Host, User-Agent, webhook-id, webhook-timestamp, webhook-signature`},
		{withHeader("CONTENT-LENGTH", "1"), `Invalid Webhook Header.*set by the runner`},
		{withHeader("host", "evil.example"), `Invalid Webhook Header.*set by the runner`},
		{withHeader("User-Agent", "me"), `Invalid Webhook Header.*set by the runner`},
		{withHeader("Webhook-Id", "msg_1"), `Invalid Webhook Header.*set by the runner`},
		{withHeader("WEBHOOK-TIMESTAMP", "1"), `Invalid Webhook Header.*set by the runner`},
		{withHeader("webhook-signature", "v1,forged"), `Invalid Webhook Header.*set by the runner`},
		{withHeader("Transfer-Encoding", "chunked"), `Invalid Webhook Header.*written by the HTTP client`},
		{withExtra(`headers = { "X-Key" = "a", "x-key" = "b" }`), `Invalid Webhook Header.*same header as "X-Key"`},
		// Item 7: URLs, numbers and names.
		{withHook(hookSettings{good.name, secretURL, ""}), `Invalid Webhook URL.*credentials before its host`},
		{withHook(hookSettings{good.name, "http://user:s3cret-pw@[::1]:8080/hook", ""}), `Invalid Webhook URL.*credentials`},
		{withHook(hookSettings{good.name, "http://s3cret-token@127.0.0.1/hook", ""}), `Invalid Webhook URL.*credentials`},
		{withHook(hookSettings{good.name, hook.URL + "/a b?token=s3cret", ""}), `Invalid Webhook URL.*whitespace.*%20`},
		{withHook(hookSettings{good.name, hook.URL + "/?token=s3cret\t", ""}), `Invalid Webhook URL.*whitespace`},
		{withHook(hookSettings{good.name, hook.URL + "/?token=s3cret\u0000", ""}), `Invalid Webhook URL.*control character`},
		{withHook(hookSettings{good.name, hook.URL + "/\u00a0?token=s3cret", ""}), `Invalid Webhook URL.*whitespace`},
		{withWarehouse("Analytics warehouse", "not a url", ""), `Invalid Postgres URL.*neither a postgres:// URL`},
		{withWarehouse("Analytics warehouse", "postgres://alice:s3cret-pw@h:99999/db", ""), `Invalid Postgres URL.*port`},
		{withWarehouse("Analytics warehouse", "postgres://alice:s3cret-pw@h/db?sslmode=maybe", ""), `Invalid Postgres URL.*TLS`},
		{withExtra(`max_requests_per_second = 1e12`), `Invalid Request Rate.*above the maximum of 10000`},
		{withExtra(`max_requests_per_second = 10001`), `Invalid Request Rate.*above the maximum of 10000`},
		{withExtra(`max_requests_per_second = 1.5`), `Invalid Request Rate.*1.5 is not a whole number`},
		{withExtra(`max_requests_per_second = -1`), `Invalid Request Rate.*at least 1`},
		{withHook(hookSettings{"Webhook\u0000Test", good.url, good.extra}), `Invalid Name.*control character \(U\+0000`},
		{withHook(hookSettings{"Webhook\nTest", good.url, good.extra}), `Invalid Name.*control character \(U\+000A`},
		{withHook(hookSettings{"Webhook\u0085Test", good.url, good.extra}), `Invalid Name.*control character`},
		{withHook(hookSettings{"   ", good.url, good.extra}), `Invalid Name.*blank`},
		{withWarehouse("\u0007", e.whURL, ""), `Invalid Name.*control character`},
		// The postgres timeouts.
		{withWarehouse("Analytics warehouse", e.whURL, `statement_timeout = "0s"`), `Invalid Timeout.*not above zero`},
		{withWarehouse("Analytics warehouse", e.whURL, `statement_timeout = "-5m"`), `Invalid Timeout.*not above zero`},
		{withWarehouse("Analytics warehouse", e.whURL, `statement_timeout = "5 minutes"`), `Invalid Timeout.*not a duration`},
		{withWarehouse("Analytics warehouse", e.whURL, `statement_timeout = "25h"`), `Invalid Timeout.*maximum of 24h`},
		{withWarehouse("Analytics warehouse", e.whURL, `lock_timeout = "2h"`), `Invalid Timeout.*maximum of 1h`},
		{withWarehouse("Analytics warehouse", e.whURL, `lock_timeout = "500us"`), `Invalid Timeout.*whole number of milliseconds`},
	}
	var before string
	steps := []resource.TestStep{{
		Config: goodConfig,
		Check:  func(*terraform.State) error { before = e.connectionRows(t); return nil },
	}}
	for _, r := range refused {
		steps = append(steps, resource.TestStep{Config: r.config, PlanOnly: true, ExpectError: expectErr(r.pattern)})
	}
	steps = append(steps, resource.TestStep{
		Config: goodConfig,
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		},
		Check: func(*terraform.State) error {
			if after := e.connectionRows(t); after != before {
				return fmt.Errorf("the stored connections changed:\nbefore:\n%s\nafter:\n%s", before, after)
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

// statement_timeout and lock_timeout are stored with the connection, read back for drift and
// import, and null when unset so configurations written before them plan no change.
func TestAccConnectionPostgresTimeouts(t *testing.T) {
	e := newTestEnv(t)
	const addr = "backflow_connection.w"
	cfg := func(extra string) string {
		return e.config(fmt.Sprintf(`
resource "backflow_connection" "w" {
  name     = "Analytics warehouse"
  postgres = {
    url = %q
    %s
  }
}
`, e.whURL, extra))
	}
	stored := func(wantStatementMS, wantLockMS int64) resource.TestCheckFunc {
		return func(*terraform.State) error {
			c, err := e.store.LookupConnection(context.Background(), "Analytics warehouse")
			if err != nil {
				return err
			}
			if got, want := c.Postgres.StatementTimeout, time.Duration(wantStatementMS)*time.Millisecond; got != want {
				return fmt.Errorf("stored statement timeout %v, want %v", got, want)
			}
			if got, want := c.Postgres.LockTimeout, time.Duration(wantLockMS)*time.Millisecond; got != want {
				return fmt.Errorf("stored lock timeout %v, want %v", got, want)
			}
			return nil
		}
	}
	emptyAfter := resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: cfg(""), ConfigPlanChecks: emptyAfter, Check: stored(0, 0),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("postgres").AtMapKey("statement_timeout"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("postgres").AtMapKey("lock_timeout"), knownvalue.Null()),
				},
			},
			{
				// Written as the user wrote it ("90s" stays "90s"), stored in milliseconds.
				Config: cfg(`statement_timeout = "90s"
    lock_timeout = "2500ms"`),
				ConfigPlanChecks: emptyAfter, Check: stored(90_000, 2_500),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("postgres").AtMapKey("statement_timeout"), knownvalue.StringExact("90s")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("postgres").AtMapKey("lock_timeout"), knownvalue.StringExact("2500ms")),
				},
			},
			// Imported as written too: a state read with no prior text ("1m30s" for "90s") made the
			// plan after a correct import change the connection, and applying it made every sync
			// with a cursor on the warehouse read its whole model.
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{Config: cfg(`statement_timeout = "2h"
    lock_timeout = "5s"`), ConfigPlanChecks: emptyAfter, Check: stored(7_200_000, 5_000)},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{
				// Changed outside Terraform: the plan puts it back.
				PreConfig: func() {
					e.execControlPlane(t, `UPDATE backflow.connections SET config = jsonb_set(config, '{statement_timeout_ms}', '60000')`)
				},
				Config: cfg(`statement_timeout = "2h"
    lock_timeout = "5s"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: stored(7_200_000, 5_000),
			},
			{Config: cfg(""), ConfigPlanChecks: emptyAfter, Check: stored(0, 0)},
		},
	})
}

// A change refused by test_on_save is refused at plan time: nothing is applied, so the state
// keeps its sensitivity marks and rows, and the next plan of the good configuration is empty even
// when the refused configuration marked less (see terraform_marks_test.go for why that matters).
func TestAccConnectionRefusedUpdateLeavesNothing(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	failing := newReceiver(t, http.StatusInternalServerError, "nope")
	good := e.config(sensitiveTokenVariable, webhookConnection("hook", "Webhook Test", hook.URL,
		`headers = { Authorization = "Bearer ${var.token}" }`))
	var before string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: good, ConfigVariables: tokenVariable, Check: func(*terraform.State) error { before = e.connectionRows(t); return nil }},
			{
				// A plan is enough to be refused.
				Config:          e.config(sensitiveTokenVariable, webhookConnection("hook", "Webhook Test", failing.URL, `method = "PUT"`)),
				ConfigVariables: tokenVariable, PlanOnly: true,
				ExpectError: expectErr(`Webhook Test Failed.*HTTP 500`),
			},
			{
				Config:          e.config(sensitiveTokenVariable, webhookConnection("hook", "Webhook Test", failing.URL, `method = "PUT"`)),
				ConfigVariables: tokenVariable,
				ExpectError:     expectErr(`Webhook Test Failed.*HTTP 500`),
			},
			{
				Config: good, ConfigVariables: tokenVariable,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: func(*terraform.State) error {
					if after := e.connectionRows(t); after != before {
						return fmt.Errorf("the stored connection changed:\nbefore:\n%s\nafter:\n%s", before, after)
					}
					return nil
				},
			},
		},
	})
}

// The plan right after importing a webhook connection is empty when its headers are written out,
// and, under Terraform only, an in-place update when they come from a sensitive variable: the
// imported state does not record the variable's sensitivity (terraform_marks_test.go shows the
// same on a minimal provider, and where Terraform tracks it).
func TestAccConnectionImportSensitiveHeaders(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr = "backflow_connection.hook"
	tf := `
terraform {
  required_providers {
    backflow = { source = "backflowhq/backflow" }
  }
}
` + sensitiveTokenVariable
	literal := e.config(tf, webhookConnection("hook", "Webhook Test", hook.URL, `headers = { Authorization = "Bearer t0ken" }`))
	fromVar := e.config(tf, webhookConnection("hook", "Webhook Test", hook.URL, `headers = { Authorization = "Bearer ${var.token}" }`))
	importFromVar := importPlansMarksUpdate(t)
	importFromVar.Config, importFromVar.ConfigVariables = fromVar, tokenVariable
	importFromVar.ResourceName, importFromVar.ImportState, importFromVar.ImportStateKind = addr, true, resource.ImportBlockWithID
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: literal, ConfigVariables: tokenVariable},
			{Config: literal, ConfigVariables: tokenVariable, ResourceName: addr, ImportState: true, ImportStateKind: resource.ImportBlockWithID},
			{Config: fromVar, ConfigVariables: tokenVariable},
			importFromVar,
		},
	})
}

// A connection named with another connection's id: importing by that name used to import the
// other connection (the id came first), and the next apply would have renamed it and rewritten
// its secrets with this one's configuration. The bare id is refused as ambiguous; id: and name:
// say which.
func TestAccImportAmbiguousRef(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	cfg := e.config(webhookConnection("a", "first", hook.URL, `headers = { Authorization = "Bearer a-t0ken" }`),
		`
resource "backflow_connection" "b" {
  name    = tostring(backflow_connection.a.id)
  webhook = {
    url     = "`+hook.URL+`/b"
    headers = { Authorization = "Bearer b-t0ken" }
  }
}
`)
	withPrefix := func(addr, prefix, attr string) func(*terraform.State) (string, error) {
		return func(s *terraform.State) (string, error) {
			rs, ok := s.RootModule().Resources[addr]
			if !ok {
				return "", fmt.Errorf("%s not in state", addr)
			}
			return prefix + rs.Primary.Attributes[attr], nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg},
			{ResourceName: "backflow_connection.b", ImportState: true, ImportStateVerify: true,
				ImportStateIdFunc: importByName("backflow_connection.b"),
				ExpectError:       expectErr(`is both the id of the connection "first" and the name of the connection`)},
			{ResourceName: "backflow_connection.b", ImportState: true, ImportStateVerify: true,
				ImportStateIdFunc: withPrefix("backflow_connection.b", "name:", "name")},
			{ResourceName: "backflow_connection.a", ImportState: true, ImportStateVerify: true,
				ImportStateIdFunc: withPrefix("backflow_connection.a", "id:", "id")},
		},
	})
}

// A rename to a name another row already has is refused at plan: the apply failed on it only
// after applying what came before it. A resource replaced (here tainted) keeps its name, and is
// not refused: Terraform plans its replacement as a create, while its old row still has the name.
func TestAccNameTakenRefusedAtPlan(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	taken := webhookConnection("a", "Name taken at plan", hook.URL+"/a", "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: e.config(taken, webhookConnection("b", "Name free at plan", hook.URL+"/b", ""))},
			{
				Config:   e.config(taken, webhookConnection("b", "Name taken at plan", hook.URL+"/b", "")),
				PlanOnly: true,
				ExpectError: regexp.MustCompile(`(?s)Name Already Taken.*connection cannot be renamed to "Name\s+taken\s+at\s+plan".*` +
					`another\s+connection`),
			},
			{
				Config: e.config(taken, webhookConnection("b", "Name free at plan", hook.URL+"/b", "")),
				Taint:  []string{"backflow_connection.a"},
			},
		},
	})
}

// TestAccConnectionReplacedBeforeDestroyNameTaken: a connection replaced (another kind) with
// `create_before_destroy` is created while the one it replaces still holds its name. The refusal
// told the user to import "the existing one", which is this very resource's: it must say that the
// replacement needs a name of its own.
func TestAccConnectionReplacedBeforeDestroyNameTaken(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	conn := func(body string) string {
		return e.config(fmt.Sprintf(`
resource "backflow_connection" "c" {
  name = "replaced before destroyed"
  %s
  lifecycle {
    create_before_destroy = true
  }
}`, body))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: conn(fmt.Sprintf(`webhook = { url = %q }`, hook.URL))},
			{
				Config:      conn(fmt.Sprintf(`postgres = { url = %q }`, e.whURL)),
				ExpectError: expectErr(`Name Already Taken.*create_before_destroy.*a name of its own`),
			},
		},
	})
}
