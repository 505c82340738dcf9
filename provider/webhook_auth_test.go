package provider

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

func oauth2Block(tokenURL, extra string) string {
	return fmt.Sprintf(`oauth2 = {
      token_url     = %q
      client_id     = "backflow"
      client_secret = "oauth-s3cret"
      %s
    }`, tokenURL, extra)
}

// lastAuthorization is the Authorization of the last request hook received.
func lastAuthorization(hook *webhooktest.Receiver) string {
	reqs := hook.Requests()
	if len(reqs) == 0 {
		return ""
	}
	return reqs[len(reqs)-1].Header.Get("Authorization")
}

func TestAccConnectionWebhookAuth(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	tokens := webhooktest.NewTokenServer(t, "backflow", "oauth-s3cret", 3600)
	const addr = "backflow_connection.hook"
	withOAuth2 := e.config(webhookConnection("hook", "Webhook Test", hook.URL, oauth2Block(tokens.URL+"/oauth/token",
		`scopes = ["contacts:write"]
      parameters = { audience = "https://api.example.com" }`)))
	withBasic := e.config(webhookConnection("hook", "Webhook Test", hook.URL,
		`basic_auth = { username = "backflow", password = "b4sic-s3cret" }`))
	stored := func(want ...string) func(*terraform.State) error {
		return func(*terraform.State) error {
			var config, sealed string
			if err := e.cp.QueryRow(t.Context(), `SELECT config::text, encode(sealed_secrets, 'escape') FROM backflow.connections`).
				Scan(&config, &sealed); err != nil {
				return err
			}
			for _, secret := range []string{"oauth-s3cret", "b4sic-s3cret"} {
				if strings.Contains(config, secret) || strings.Contains(sealed, secret) {
					return fmt.Errorf("a secret is stored in the clear: config %s", config)
				}
			}
			for _, w := range want {
				if !strings.Contains(config, w) {
					return fmt.Errorf("stored settings %s lack %s", config, w)
				}
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				// test_on_save authenticates with a token from the token endpoint.
				Config: withOAuth2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("oauth2").AtMapKey("scopes"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("contacts:write")})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("basic_auth"), knownvalue.Null()),
				},
				Check: resource.ComposeTestCheckFunc(stored(`"client_id": "backflow"`, `"audience": "https://api.example.com"`),
					func(*terraform.State) error {
						if got := lastAuthorization(hook); got != "Bearer tok-1" {
							return fmt.Errorf("test_on_save sent Authorization %q, want Bearer tok-1", got)
						}
						return nil
					}),
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{
				// Changed outside Terraform: drift.
				PreConfig: func() {
					e.execControlPlane(t, `UPDATE backflow.connections SET config = jsonb_set(config, '{oauth2,scopes}', '["other"]')`)
				},
				Config:             withOAuth2,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				// A token endpoint that fails refuses the update at plan time, naming its host, never the secret.
				PreConfig: func() { tokens.SetFail(http.StatusServiceUnavailable) },
				Config: e.config(webhookConnection("hook", "Webhook Test", hook.URL, oauth2Block(tokens.URL+"/oauth/token",
					`scopes = ["contacts:read"]`))),
				ExpectError: expectErr(`OAuth2 Token Request Failed.*` + strings.TrimPrefix(tokens.URL, "http://") + `.*HTTP 503`),
			},
			{
				PreConfig: func() { tokens.SetFail(0) },
				Config:    withBasic,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("oauth2"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("basic_auth").AtMapKey("username"),
						knownvalue.StringExact("backflow")),
				},
				Check: resource.ComposeTestCheckFunc(stored(`"basic_auth_username": "backflow"`), func(*terraform.State) error {
					r := &http.Request{Header: hook.Requests()[len(hook.Requests())-1].Header}
					if u, p, ok := r.BasicAuth(); !ok || u != "backflow" || p != "b4sic-s3cret" {
						return fmt.Errorf("test_on_save sent basic auth %q %q %v", u, p, ok)
					}
					return nil
				}),
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{
				PreConfig: func() {
					e.execControlPlane(t, `UPDATE backflow.connections SET config = jsonb_set(config, '{basic_auth_username}', '"someone"')`)
				},
				Config:             withBasic,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				// Back to no auth: the blocks leave the store.
				Config: e.config(webhookConnection("hook", "Webhook Test", hook.URL, "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					var n int
					err := e.cp.QueryRow(t.Context(), `SELECT count(*) FROM backflow.connections
						WHERE config ? 'oauth2' OR config ? 'basic_auth_username'`).Scan(&n)
					if err != nil || n != 0 {
						return fmt.Errorf("%d connections still store auth settings (%v)", n, err)
					}
					return nil
				},
			},
		},
	})
}

func TestAccConnectionWebhookAuthRefused(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	tokenURL := "https://auth.example.com/oauth/token"
	var steps []resource.TestStep
	for _, tc := range []struct{ extra, pattern string }{
		{oauth2Block(tokenURL, "") + "\n    basic_auth = { username = \"u\", password = \"p\" }",
			`Conflicting Webhook Authentication.*sets oauth2 and basic_auth.*Keep one`},
		{oauth2Block(tokenURL, "") + "\n    headers = { authorization = \"Bearer x\" }",
			`Conflicting Webhook Authentication.*sets oauth2 and an Authorization header`},
		{`basic_auth = { username = "u", password = "p" }` + "\n    headers = { Authorization = \"Bearer x\" }",
			`Conflicting Webhook Authentication.*sets basic_auth and an Authorization header`},
		{oauth2Block("ftp://auth.example.com/token", ""), `Invalid OAuth2 Token URL.*must be an http:// or https:// URL`},
		{oauth2Block("https:///token", ""), `Invalid OAuth2 Token URL.*has no host`},
		{oauth2Block(tokenURL, `parameters = { scope = "x" }`), `Reserved OAuth2 Parameter.*"scope".*use .scopes.`},
		{oauth2Block(tokenURL, `parameters = { grant_type = "password" }`), `Reserved OAuth2 Parameter.*"grant_type"`},
		{oauth2Block(tokenURL, `parameters = { refresh_token = "rt" }`), `Credential in OAuth2 Parameters.*"refresh_token"`},
		{oauth2Block(tokenURL, `scopes = ["a b"]`), `must be a scope token`},
		{`basic_auth = { username = "a:b", password = "p" }`, `must not contain a colon`},
		{`oauth2 = { token_url = "` + tokenURL + `", client_id = "c" }`, `client_secret.*required`},
	} {
		// One test case, its steps one after the other: a provider process per plan, not ten at once.
		steps = append(steps, resource.TestStep{
			Config:      e.config(webhookConnection("hook", "Webhook Test", hook.URL, tc.extra)),
			PlanOnly:    true,
			ExpectError: expectErr(tc.pattern),
		})
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: protoV6ProviderFactories, Steps: steps})
	if n := len(hook.Requests()); n != 0 {
		t.Errorf("refused configurations sent %d requests to the webhook", n)
	}
}

// Headers known only at apply: Terraform validates the configuration again then, and the
// conflict is refused before anything is tested or saved.
func TestAccConnectionWebhookAuthConflictAtApply(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config: e.config(`
resource "terraform_data" "headers" {
  input = { Authorization = "Bearer x" }
}`, webhookConnection("hook", "Webhook Test", hook.URL, `headers    = terraform_data.headers.output
    test_on_save = false
    basic_auth = { username = "u", password = "p" }`)),
			ExpectError: expectErr(`Conflicting Webhook Authentication.*sets basic_auth and an Authorization header`),
		}},
	})
	if n := len(hook.Requests()); n != 0 {
		t.Errorf("the refused connection sent %d requests", n)
	}
}

// An OAuth2 parameter that carries a credential (a password, a refresh token, a JWT assertion)
// was stored unsealed and shown in plans: "not for secrets" was only said. It is refused; the
// parameters that name no secret, or a type, are still taken.
func TestOAuth2SecretParametersRefused(t *testing.T) {
	for name, want := range map[string]bool{
		"password": true, "refresh_token": true, "assertion": true, "client_assertion": true, "subject_token": true,
		"api_key": true, "code_verifier": true, "Password": true,
		"audience": false, "resource": false, "organization": false, "client_assertion_type": false,
		"subject_token_type": false, "requested_token_type": false, "tenant": false, "username": false, "scope_hint": false,
		// Names that say what of the token they ask for, not a credential (RFC 9396, UAA, Entra ID).
		"authorization_details": false, "token_format": false, "requested_token_use": false,
		"token_type_hint": false, "access_token_lifetime": false, "tokenFormat": false,
		"id_token_hint": true, "actor_token": true, "client_secret_jwt": true,
	} {
		var resp validator.MapResponse
		oauth2ParametersValidator{}.ValidateMap(context.Background(), validator.MapRequest{
			Path:        path.Root("parameters"),
			ConfigValue: types.MapValueMust(types.StringType, map[string]attr.Value{name: types.StringValue("s3cr3t")}),
		}, &resp)
		got := resp.Diagnostics.HasError()
		if got != want {
			t.Errorf("parameters { %s = ... }: refused %v, want %v (%v)", name, got, want, resp.Diagnostics)
		}
		if got && strings.Contains(fmt.Sprint(resp.Diagnostics), "s3cr3t") {
			t.Errorf("parameters { %s = ... }: the refusal shows the value: %v", name, resp.Diagnostics)
		}
	}
}
