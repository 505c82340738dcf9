package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// A webhook URL's token must never reach a diagnostic, even when the URL is malformed.
const malformedHookURL = "https://h:abc/x?token=s3cret"

func TestWebhookURLValidator(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080/hook", "https://hooks.example.com/x?token=s3cret",
		"http://[::1]:9000/", "https://h/a%20b?q=a+b%0A"} {
		if got := validateString(webhookURLValidator{}, types.StringValue(u)); got != nil {
			t.Errorf("%q: %v, want no diagnostics", u, got)
		}
	}
	for _, u := range []string{malformedHookURL, "ftp://example.com/x?token=s3cret", "https:///x?token=s3cret",
		"http://?token=s3cret", "s3cret", "https://h:0/?token=s3cret", "https://h/%zz?token=s3cret", "https://h:99999999999/?token=s3cret", "//h/x?token=s3cret",
		"https://exa mple.com/?token=s3cret",
		// Credentials before the host: IPv4, IPv6, names, a user without a password, an empty one.
		"https://user:s3cret@example.com/", "http://user:s3cret@[::1]:8080/", "http://user:s3cret@127.0.0.1/",
		"https://s3cret@example.com/", "https://@example.com/?token=s3cret",
		// Whitespace and control characters anywhere.
		"https://h/a b?token=s3cret", "https://h/?token=s3cret&a=b c", "https://h/\t?token=s3cret",
		"https://h/?token=s3cret\n", "https://h/?token=s3cret\x00", "https://h/\u00a0?token=s3cret",
		"https://h/\u2028?token=s3cret", " https://h/?token=s3cret",
		// A fragment: never sent, and it swallowed a request's path.
		"https://h/api#top?token=s3cret", "https://h/api?token=s3cret#", "https://h/#s3cret"} {
		resp := &validator.StringResponse{}
		webhookURLValidator{}.ValidateString(context.Background(),
			validator.StringRequest{Path: path.Root("url"), ConfigValue: types.StringValue(u)}, resp)
		if !resp.Diagnostics.HasError() {
			t.Errorf("%q: accepted, want Invalid Webhook URL", u)
			continue
		}
		for _, d := range resp.Diagnostics {
			if text := d.Summary() + d.Detail(); strings.Contains(text, "s3cret") || strings.Contains(text, u) {
				t.Errorf("%q: the diagnostic echoes the URL:\n%s", u, text)
			}
		}
	}
	if got := validateString(webhookURLValidator{}, types.StringUnknown()); got != nil {
		t.Errorf("unknown: %v, want no diagnostics", got)
	}
}

// The runner and test-on-save build requests from stored URLs, which the validator did not
// necessarily check (written by an older provider, or by hand): their errors hide the URL too.
func TestWebhookRequestErrorsHideURL(t *testing.T) {
	e := webhook.Endpoint{URL: malformedHookURL, Headers: map[string]string{"Authorization": "Bearer t0ken"}}
	_, err := e.NewRequest(context.Background(), webhook.NewMessageID(), []byte(`{}`))
	checkHidden(t, "NewRequest", err)
	checkHidden(t, "Check", webhook.Check(context.Background(), nil, e, "hook"))
}

func checkHidden(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error for a malformed URL", what)
	}
	for _, secret := range []string{"s3cret", "abc", "h:abc"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows %q from the URL: %v", what, secret, err)
		}
	}
	if !strings.Contains(err.Error(), "not a valid URL") {
		t.Errorf("%s: %v, want it to say the URL is not valid", what, err)
	}
}
