package webhook

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// An endpoint that echoes the request it refused (its headers, its URL) put the connection's
// secrets into the rejection's body, which runs, the delivery log, the status page and
// notifications show: they are scrubbed from every answer kept, even cut short at the bound.
func TestAnswersAreScrubbedOfTheConnectionsSecrets(t *testing.T) {
	const token, key, pass, secret = "sk_live_SECRET123", "q-KEY-4567", "hunter2-pass", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
	var echo func(r *http.Request) string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(echo(r)))
	}))
	defer srv.Close()
	basic := base64.StdEncoding.EncodeToString([]byte("u:" + pass))
	eps := map[string]struct {
		ep      Endpoint
		secrets []string
	}{
		"headers and signing secret": {Endpoint{URL: srv.URL + "/hook?api_key=" + key, Headers: map[string]string{"Authorization": "Bearer " + token},
			SigningSecret: "whsec_" + secret}, []string{token, key, secret, token[:len(token)-7]}},
		"basic auth": {Endpoint{URL: srv.URL + "/hook", BasicAuth: &controlplane.BasicAuth{Username: "u", Password: pass}},
			[]string{pass, basic, basic[:len(basic)-7]}},
	}
	for name, c := range eps {
		ep := c.ep
		for _, cut := range []int{0, 7} {
			echo = func(r *http.Request) string {
				s := "refused: url=" + r.URL.String() + " sig=" + r.Header.Get("Webhook-Signature") + " whsec_" + secret + " " + r.Header.Get("Authorization")
				return s[:len(s)-cut] // cut: the answer ends inside the secret
			}
			d := &Deliverer{Client: srv.Client(), Endpoint: ep, MaxRetries: -1, BaseBackoff: time.Millisecond}
			res, err := d.Deliver(context.Background(), &Meta{}, OpChanged, [][]byte{[]byte(`{"id":1}`)})
			var body string
			switch {
			case len(res.Rejected) == 1:
				body = res.Rejected[0].Body
			case err != nil:
				var de *DeliveryError
				if errors.As(err, &de) {
					body = de.Body
				}
			}
			if body == "" || !strings.Contains(body, "refused") {
				t.Fatalf("%s: no answer kept (%v, %+v)", name, err, res)
			}
			for _, s := range c.secrets {
				if strings.Contains(body, s) {
					t.Errorf("%s (cut %d): the kept answer shows a secret of the connection: %q", name, cut, body)
				}
			}
		}
	}
}

// An endpoint echoes the request in its own encoding: JSON that escapes '/' (PHP) or '=' and
// '<' (Gson, encoding/json) as \u00XX, or percent-encoding; a secret so written was kept as is,
// and base64 padding escaped left the basic auth credential to decode. The bound can also cut
// an escape in half.
func TestScrubEncodedForms(t *testing.T) {
	const token = "ab/cd+ef=gh<ij"
	basic := base64.StdEncoding.EncodeToString([]byte("u:hunter2-pass")) // ends with '='
	ep := Endpoint{URL: "https://h/hook?k=v%20al%2bue", Headers: map[string]string{"Authorization": "Bearer " + token},
		BasicAuth: nil}
	bep := Endpoint{URL: "https://h/hook", BasicAuth: &controlplane.BasicAuth{Username: "u", Password: "hunter2-pass"}}
	for _, c := range []struct {
		ep     Endpoint
		answer string
		leaks  []string
	}{
		{ep, `{"auth":"Bearer ab\/cd+ef=gh\u003cij"}`, []string{`ab\/cd`, `gh\u003cij`}},
		{ep, `auth=Bearer%20ab%2Fcd%2Bef%3Dgh%3Cij`, []string{`ab%2Fcd`, `ef%3Dgh`}},
		{ep, `{"auth":"ab\u002fcd\u002bef\u003dgh\u003cij"}`, []string{`ab\u002fcd`}},
		{ep, `{"url":"/hook?k=v%20al%2bue"}`, []string{`v%20al%2bue`}},
		{ep, `{"auth":"Bearer ab\/cd+ef\u00`, []string{`ab\/cd`}},
		{bep, `{"authorization":"Basic ` + strings.ReplaceAll(basic, "=", `\u003d`) + `"}`, []string{basic[:len(basic)-2]}},
	} {
		got := c.ep.Scrub(c.answer)
		for _, l := range c.leaks {
			if strings.Contains(got, l) {
				t.Errorf("Scrub(%q) = %q: still shows %q", c.answer, got, l)
			}
		}
		if !strings.Contains(got, scrubbed) {
			t.Errorf("Scrub(%q) = %q: nothing replaced", c.answer, got)
		}
	}
	// Text that only looks escaped, with no secret in it, is kept as it is.
	for _, s := range []string{`{"path":"a\/b","pct":"100%","u":"\u00e9t\u00e9"}`, `x%2`, `trailing \`} {
		if got := ep.Scrub(s); got != s {
			t.Errorf("Scrub(%q) = %q, want it unchanged", s, got)
		}
	}
}

// A hook URL carries its token in the path (Slack's /services/T.../B.../XXXX, Discord's
// /api/webhooks/ID/TOKEN): an endpoint's "Cannot POST /services/..." page echoed it into runs,
// the delivery log and notifications. And an HTML page escapes what it echoes (&#x2F;, &#47;,
// &amp;): a secret so written was kept, the OAuth2 client secret a token endpoint echoed too.
func TestScrubURLPathAndHTMLForms(t *testing.T) {
	slack := Endpoint{URL: "https://hooks.example.com/services/T0ABCDEF1/B0ABCDEF2/abcdEFGHijklMNOPqrstUVWX"}
	discord := Endpoint{URL: "https://discord.example.com/api/webhooks/112233445566778899/AbC-dEf_GhIjKlMnOpQrStUvWxYz0123456789"}
	bearer := Endpoint{URL: "https://h/hook", Headers: map[string]string{"Authorization": "Bearer sk_live/SECRET+123=&x"}}
	client := Endpoint{Headers: map[string]string{"client_secret": "cs/9f8e7d6c5b4a"}} // as the token endpoint's errors are scrubbed
	for _, c := range []struct {
		ep     Endpoint
		answer string
		leaks  []string
		keeps  string
	}{
		{slack, "<pre>Cannot POST /services/T0ABCDEF1/B0ABCDEF2/abcdEFGHijklMNOPqrstUVWX</pre>",
			[]string{"T0ABCDEF1", "B0ABCDEF2", "abcdEFGHijklMNOPqrstUVWX"}, "Cannot POST /services/"},
		{slack, `{"error":"no hook \/services\/T0ABCDEF1\/B0ABCDEF2\/abcdEFGHijklMNOPqrstUVWX"}`,
			[]string{"T0ABCDEF1", "abcdEFGHijklMNOPqrstUVWX"}, `no hook \/services\/`},
		{discord, "404 /api/webhooks/112233445566778899/AbC-dEf_GhIjKlMnOpQrStUvWxYz0123456789",
			[]string{"AbC-dEf_GhIjKlMnOpQrStUvWxYz0123456789"}, "404 /api/webhooks/"},
		{bearer, "<p>Bearer sk_live&#x2F;SECRET&#43;123&#61;&amp;x refused</p>", []string{"SECRET"}, "refused</p>"},
		{bearer, "<p>got sk_live&#47;SECRET&#x2b;123&#x3D;&amp;x", []string{"SECRET"}, "<p>got "},
		{bearer, "<p>got sk_live&#47;SECRET&#x2b;12", []string{"SECRET"}, "<p>got "}, // cut at the bound
		{client, "invalid client_secret cs&#x2F;9f8e7d6c5b4a", []string{"9f8e7d6c5b4a"}, "invalid client_secret"},
	} {
		got := c.ep.Scrub(c.answer)
		for _, l := range c.leaks {
			if strings.Contains(got, l) {
				t.Errorf("Scrub(%q) = %q: still shows %q", c.answer, got, l)
			}
		}
		if !strings.Contains(got, c.keeps) || !strings.Contains(got, scrubbed) {
			t.Errorf("Scrub(%q) = %q: want %q kept and a secret replaced", c.answer, got, c.keeps)
		}
	}
	// Words, versions and ids of a connection's path are not tokens; HTML text stays as it is.
	ep := Endpoint{URL: "https://h/api/v2/contacts/import?team=data", Headers: map[string]string{"Authorization": "Bearer sk_live_SECRET123"}}
	for _, s := range []string{"Cannot POST /api/v2/contacts/import", "Tom &amp; Jerry &#x2F; &lt;b&gt;", "a &", "x &am"} {
		if got := ep.Scrub(s); got != s {
			t.Errorf("Scrub(%q) = %q, want it unchanged", s, got)
		}
	}
	// Nor are words joined by hyphens or underscores, however long; a long token still is.
	ep = Endpoint{URL: "https://h/v1/customer-subscriptions/incoming_webhook_events/Tok-3n_AbCdEfGhIjKlMn"}
	for _, s := range []string{`{"error": "no route /v1/customer-subscriptions/incoming_webhook_events"}`, "customer-subscriptions are paused"} {
		if got := ep.Scrub(s); got != s {
			t.Errorf("Scrub(%q) = %q, want it unchanged", s, got)
		}
	}
	if got := ep.Scrub("Cannot POST Tok-3n_AbCdEfGhIjKlMn"); strings.Contains(got, "AbCdEfGh") {
		t.Errorf("Scrub kept the path's token: %q", got)
	}
}

// BenchmarkScrub is what scrubbing costs per answer kept (a refusal's); a 2xx's answer is not
// read or scrubbed, since nothing keeps it.
func BenchmarkScrub(b *testing.B) {
	ep := Endpoint{URL: "https://h/hook?api_key=q-KEY-4567&team=data", Headers: map[string]string{
		"Authorization": "Bearer sk_live_SECRET123", "X-Api-Version": "2024-01-01"}, SigningSecret: "whsec_c2VjcmV0c2VjcmV0"}
	answer := strings.Repeat(`{"ok":true,"id":"0f8fad5b-d9cb-469f-a165-70867728950e","url":"https:\/\/h\/x"}`, 14)[:1024]
	b.ReportAllocs()
	for b.Loop() {
		_ = ep.Scrub(answer)
	}
}

// Short values, the values of standard headers that say how a request is written (Content-Type,
// User-Agent: "application/vnd.api+json" was replaced in every answer naming the format) and the
// parts of a header that is not an Authorization's credential are not secrets of their own: "X-Debug: true" does not replace every true of a JSON answer, nor
// "Accept: text/plain, application/json" the media types an error names; a whole header value
// and a credential after a known scheme still are.
func TestScrubKeepsOrdinaryText(t *testing.T) {
	ep := Endpoint{URL: "https://h/hook?v=2&format=json", Headers: map[string]string{
		"X-Debug": "true", "X-Accept": "text/plain, application/json", "X-Api-Key": "Token abcdef123456",
		"Content-Type": "application/vnd.api+json", "User-Agent": "acme-sync/2.0 (data team)"}}
	answer := `{"ok": true, "error": "Content-Type must be application/json, not application/vnd.api+json", "v": 2, ` +
		`"format": "json", "agent": "acme-sync/2.0 (data team)"}`
	if got := ep.Scrub(answer); got != answer {
		t.Errorf("Scrub changed ordinary text:\n got %s\nwant %s", got, answer)
	}
	if got := ep.Scrub("you sent abcdef123456 and text/plain, application/json"); strings.Contains(got, "abcdef123456") ||
		strings.Contains(got, "text/plain, application/json") {
		t.Errorf("Scrub kept a secret: %s", got)
	}
}
