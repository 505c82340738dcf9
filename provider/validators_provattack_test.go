package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// validateAttribute runs every validator of a string attribute of the schema, as a plan does.
func validateAttribute(t *testing.T, a schema.Attribute, value string) []string {
	t.Helper()
	s, ok := a.(schema.StringAttribute)
	if !ok {
		t.Fatalf("%T is not a string attribute", a)
	}
	var out []string
	for _, v := range s.Validators {
		resp := &validator.StringResponse{}
		v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: types.StringValue(value)}, resp)
		for _, d := range resp.Diagnostics.Errors() {
			if _, query, ok := strings.Cut(value, "?"); ok && strings.Contains(d.Detail(), query) {
				t.Errorf("the error shows the query: %s", d.Detail())
			}
			out = append(out, d.Summary())
		}
	}
	return out
}

// A credential written in a request's path (?api_key=...) is shown in every plan and kept in the
// state and the control plane in clear (the path is neither sensitive nor sealed), as a request
// header's would be: refused at plan, as credential headers are, without echoing the value. A
// value written by the template ({{ record.x }}) is the record's, not the configuration's.
func TestCredentialInRequestPathRefused(t *testing.T) {
	reqPath := operationRequestSchema("new").Attributes["path"]
	tests := []struct {
		name  string
		attr  schema.Attribute
		value string
		want  string // the summary of the one error, "" for none
	}{
		{"path api_key", reqPath, "/contacts?api_key=sk_live_51Hx", "Credential in Request Path"},
		{"path access_token second", reqPath, "/contacts/{{ record.id }}?full=1&access_token=ya29.a0Af", "Credential in Request Path"},
		{"path encoded name", reqPath, "/contacts?access%5Ftoken=ya29.a0Af", "Credential in Request Path"},
		{"path templated value", reqPath, "/contacts?api_key={{ record.tenant_key }}", ""},
		{"path no credential", reqPath, "/contacts?sort=name&email={{ record.email | url_encode }}", ""},
		// Words that hold "key" or "auth" without naming a credential are a path's to carry.
		{"path sort_key", reqPath, "/contacts?sort_key=created_at&keyword=acme&author=bob&monkey=1&keys=a,b", ""},
		{"path google key", reqPath, "/geocode?key=AIzaSyA", "Credential in Request Path"},
		{"path camel apiKey", reqPath, "/contacts?apiKey=abc123", "Credential in Request Path"},
		{"path subscription-key", reqPath, "/v1/x?subscription-key=abc123", "Credential in Request Path"},
		{"path auth_token", reqPath, "/v1/x?auth_token=abc", "Credential in Request Path"},
		{"path sig", reqPath, "/v1/x?expires=1&sig=abc", "Credential in Request Path"},
		{"path no query", reqPath, "/contacts/{{ record.email | url_encode }}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := validateAttribute(t, tt.attr, tt.value)
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("%q refused: %v", tt.value, got)
			case tt.want != "" && (len(got) != 1 || got[0] != tt.want):
				t.Errorf("%q: errors %v, want one %q", tt.value, got, tt.want)
			}
		})
	}
}

// A request's header is refused as a credential by the words of its name, as a path's query
// parameter is: X-Partition-Key, X-Author and X-Tokenizer were refused ("looks like it carries
// a credential") for holding key, auth or token, and a request could not send them.
func TestCredentialRequestHeaderByWords(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "proxy-authorization": true, "Cookie": true, "X-Api-Key": true, "x-api-key": true,
		"X-Auth-Token": true, "X-Key": true, "Key": true, "Ocp-Apim-Subscription-Key": true, "X-Amz-Security-Token": true,
		"X-Shopify-Access-Token": true, "X-Client-Secret": true, "apikey": true, "X-Password": true, "Private-Token": true,
		"X-Partition-Key": false, "X-Author": false, "X-Tokenizer": false, "X-Sort-Key": false, "X-Keyword": false,
		"X-Request-Id": false, "Accept": false, "X-Monkey": false,
	} {
		if got := credentialHeader(name); got != want {
			t.Errorf("credentialHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

// Names real APIs give their credentials that the word rule let through once it replaced the
// substring rule: Datadog's DD-APPLICATION-KEY (and ?application_key=), Azure Functions'
// X-Functions-Key, New Relic's X-Insert-Key and X-Query-Key, RapidAPI's old X-Mashape-Key, a
// session's id or key, an admin or encryption key. Their neighbours that name no credential
// are still sent.
func TestCredentialNamesOfRealAPIs(t *testing.T) {
	for name, want := range map[string]bool{
		"DD-APPLICATION-KEY": true, "DD-API-KEY": true, "X-Functions-Key": true, "X-Insert-Key": true, "X-Query-Key": true,
		"X-Mashape-Key": true, "X-Session-Id": true, "X-Session-Key": true, "Session-Id": true, "X-Admin-Key": true,
		"X-Encryption-Key": true, "X-Ingest-Key": true, "X-Integration-Key": true, "X-User-Key": true,
		"Idempotency-Key": false, "X-Idempotency-Key": false, "X-Routing-Key": false, "X-Cache-Key": false,
		"X-Partition-Key": false, "X-Session-Timeout": false, "X-Application-Id": false, "X-User-Id": false,
		"X-Query-Id": false, "X-Admin-Email": false,
	} {
		if got := credentialHeader(name); got != want {
			t.Errorf("credentialHeader(%q) = %v, want %v", name, got, want)
		}
	}
	for name, want := range map[string]bool{"application_key": true, "applicationKey": true, "session_id": true, "user_key": true,
		"sort_key": false, "user_id": false, "session_timeout": false} {
		if got := credentialQueryParam(name); got != want {
			t.Errorf("credentialQueryParam(%q) = %v, want %v", name, got, want)
		}
	}
}

// Credential header names that passed the word rule: Honeycomb's X-Honeycomb-Team, OpenStack
// Swift's X-Storage-Pass, an X-HMAC, XApiKey (its words ran together as xapi), Api-Key2 (key2 no
// key), GitHub's X-GitHub-OTP, JFrog's X-JFrog-Art-Api, Appwrite's X-Appwrite-Key. Their
// neighbours that name no credential are still sent.
func TestCredentialHeaderNamesPastTheWords(t *testing.T) {
	for name, want := range map[string]bool{
		"X-Honeycomb-Team": true, "X-Storage-Pass": true, "X-Auth-Pass": true, "X-HMAC": true, "X-Hmac": true,
		"XApiKey": true, "XAPIKey": true, "APIKey": true, "Api-Key2": true, "X-API-KEY-2": true, "Token2": true,
		"X-GitHub-OTP": true, "X-JFrog-Art-Api": true, "X-Appwrite-Key": true, "X-Authentication": true,
		"X-Passcode": true, "XToken": true, "apiKey1": true,
		"X-Partition-Key": false, "X-Author": false, "X-Tokenizer": false, "X-Request-Id": false, "X-Team-Id": false,
		"X-Team": false, "X-Honeycomb-Dataset": false, "X-Honeycomb-Event-Time": false, "X-Pass-Through": false,
		"X-Passthrough": false, "X-Hmac-Algorithm": false, "X-Storage-User": false, "X-Storage-Class": false,
		"X-Auth0-Client": false, "X-Api-Version": false, "X-Api-Version2": false, "XRequestId": false, "X-Compass": false,
		"X2-Id": false, "X-B3-TraceId": false, "X-Art-Id": false, "XML-Version": false, "X-Otp-Length": false,
	} {
		if got := credentialHeader(name); got != want {
			t.Errorf("credentialHeader(%q) = %v, want %v", name, got, want)
		}
	}
	for name, want := range map[string]bool{"apiKey2": true, "hmac": true, "honeycomb_team": true,
		"team_id": false, "page2": false, "pass_through": false, "season_pass": false, "send_otp": false, "use_hmac": false,
		"pass": true, "otp": true, "api_pass": true, "APIKey": true, "OAuthState": false, "OAuthClientId": false} {
		if got := credentialQueryParam(name); got != want {
			t.Errorf("credentialQueryParam(%q) = %v, want %v", name, got, want)
		}
	}
}
