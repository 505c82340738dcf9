package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

const (
	testClientID     = "backflow-client"
	testClientSecret = "s3cret-client-value"
)

func newTokenServer(t *testing.T, expiresIn int) *webhooktest.TokenServer {
	return webhooktest.NewTokenServer(t, testClientID, testClientSecret, expiresIn)
}

// grant is the OAuth2 grant of ts's client.
func grant(ts *webhooktest.TokenServer) *controlplane.OAuth2Config {
	return &controlplane.OAuth2Config{TokenURL: ts.URL + "/oauth/token", ClientID: testClientID,
		ClientSecret: testClientSecret, Scopes: []string{"contacts:write", "contacts:read"},
		Parameters: map[string]string{"audience": "https://api.example.com"}}
}

// api answers 200 to requests carrying the token server's current token and 401 to others, and
// records the Authorization of each.
func newAPI(t *testing.T, ts *webhooktest.TokenServer) (*server, func() []string) {
	srv := newServer(t, func(w http.ResponseWriter, r request, n int) {
		if r.header.Get("Authorization") != ts.Current() {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	auths := func() []string {
		var out []string
		for _, r := range srv.seen() {
			out = append(out, r.header.Get("Authorization"))
		}
		return out
	}
	return srv, auths
}

func TestOAuth2TokenCachedAndRefreshedBeforeExpiry(t *testing.T) {
	ts := newTokenServer(t, 3600)
	api, auths := newAPI(t, ts)
	tokens := webhook.NewTokenSource(grant(ts), nil) // the default client: checked by the network policy
	offset := time.Duration(0)
	tokens.SetClock(func() time.Time { return time.Now().Add(offset) })
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: tokens}})
	ctx := context.Background()

	for range 3 {
		if _, err := d.Deliver(ctx, testMeta(), webhook.OpChanged, makeRecords(2)); err != nil {
			t.Fatal(err)
		}
	}
	if got := ts.Issued(); got != 1 {
		t.Fatalf("3 deliveries fetched %d tokens, want 1 (cached)", got)
	}
	form := ts.Forms()[0]
	if form["scope"] != "contacts:write contacts:read" || form["audience"] != "https://api.example.com" {
		t.Errorf("token request form = %v, want the scopes space-separated and the audience parameter", form)
	}

	offset = 59 * time.Minute // 60 s left, a minute's margin: refreshed before it expires
	if _, err := d.Deliver(ctx, testMeta(), webhook.OpChanged, makeRecords(1)); err != nil {
		t.Fatal(err)
	}
	if got := ts.Issued(); got != 2 {
		t.Fatalf("a token within a minute of its expiry was used: %d tokens fetched, want 2", got)
	}
	want := []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"}
	if got := auths(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Authorization of each request = %v, want %v", got, want)
	}
}

func TestOAuth2ShortLivedTokenRefreshedAtThreeQuarters(t *testing.T) {
	ts := newTokenServer(t, 20) // a quarter of 20 s, 5 s, is the margin (less than a minute)
	tokens := webhook.NewTokenSource(grant(ts), nil)
	offset := time.Duration(0)
	tokens.SetClock(func() time.Time { return time.Now().Add(offset) })
	ctx := context.Background()
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{{0, "Bearer tok-1"}, {10 * time.Second, "Bearer tok-1"}, {16 * time.Second, "Bearer tok-2"}} {
		offset = tc.at
		got, err := tokens.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("at +%v: %s, want %s", tc.at, got, tc.want)
		}
	}
}

// A token endpoint that says its token has already expired (expires_in negative) made every
// request fetch a new token, one at a time under the source's lock: a record-mode run of 10,000
// records asked the token endpoint 10,000 times (here 5 for 5 deliveries), which may well rate
// limit or lock the client out. Such a token is used, as one whose lifetime is not said
// (expires_in 0 or absent), until the API refuses it (401), which gets one new token.
func TestOAuth2TokenAlreadyExpiredIsNotFetchedPerRequest(t *testing.T) {
	ts := newTokenServer(t, -100)
	api, auths := newAPI(t, ts)
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: webhook.NewTokenSource(grant(ts), nil)}})
	for range 5 {
		if _, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1)); err != nil {
			t.Fatal(err)
		}
	}
	if got := ts.Issued(); got != 1 {
		t.Errorf("5 deliveries fetched %d tokens, want 1", got)
	}
	// Another client of the same grant rotates the token: tok-1 is refused from now on.
	if _, err := webhook.NewTokenSource(grant(ts), nil).Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1)); err != nil {
		t.Fatalf("after the API stopped taking the token: %v, want one new token and the request sent again", err)
	}
	if got := auths(); ts.Issued() != 3 || got[len(got)-1] != "Bearer tok-3" {
		t.Errorf("after a 401: %d tokens issued, the last request sent with %q; want 3 (ours, the rotation, our "+
			"refresh) and Bearer tok-3", ts.Issued(), got[len(got)-1])
	}
}

// A token revoked before its expiry (the server rotated it): the 401 forces exactly one refresh,
// and the request is sent again with the new token.
func TestOAuth2UnauthorizedForcesOneRefresh(t *testing.T) {
	ts := newTokenServer(t, 3600)
	api, auths := newAPI(t, ts)
	tokens := webhook.NewTokenSource(grant(ts), nil)
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: tokens}})
	ctx := context.Background()
	if _, err := d.Deliver(ctx, testMeta(), webhook.OpChanged, makeRecords(1)); err != nil {
		t.Fatal(err)
	}
	// Another client of the same grant rotates the token: tok-1 is refused from now on.
	if _, err := webhook.NewTokenSource(grant(ts), nil).Token(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := d.Deliver(ctx, testMeta(), webhook.OpChanged, makeRecords(3))
	if err != nil {
		t.Fatalf("after one refresh the request should succeed: %v", err)
	}
	if len(res.Delivered) != 3 || res.Requests[0].Attempts != 2 {
		t.Errorf("delivered %v in %d attempts, want 3 records in 2 attempts", res.Delivered, res.Requests[0].Attempts)
	}
	if got := ts.Issued(); got != 3 {
		t.Errorf("%d tokens issued, want 3 (ours, the rotation, our one refresh)", got)
	}
	want := []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-3"}
	if got := auths(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Authorization of each request = %v, want %v", got, want)
	}
}

// Many requests refused with one stale token share one refresh.
func TestOAuth2ConcurrentUnauthorizedShareOneRefresh(t *testing.T) {
	ts := newTokenServer(t, 3600)
	api, _ := newAPI(t, ts)
	tokens := webhook.NewTokenSource(grant(ts), nil)
	ctx := context.Background()
	if _, err := tokens.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := webhook.NewTokenSource(grant(ts), nil).Token(ctx); err != nil { // rotated: tok-1 revoked
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: tokens}})
			if _, err := d.Deliver(ctx, testMeta(), webhook.OpChanged, makeRecords(1)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := ts.Issued(); got != 3 {
		t.Errorf("%d tokens issued, want 3: 8 requests refused with one stale token refresh it once", got)
	}
}

// A second 401 after the refresh is the endpoint refusing the credentials: the run fails as it
// does without OAuth2, and no further token is fetched.
func TestOAuth2SecondUnauthorizedFails(t *testing.T) {
	ts := newTokenServer(t, 3600)
	api := newServer(t, func(w http.ResponseWriter, r request, n int) { w.WriteHeader(http.StatusUnauthorized) })
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: webhook.NewTokenSource(grant(ts), nil)}})
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2))
	if !errors.Is(err, webhook.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if len(res.Delivered)+len(res.Rejected) != 0 {
		t.Errorf("result %+v, want nothing delivered or rejected (the records stay pending)", res)
	}
	if got, n := ts.Issued(), len(api.seen()); got != 2 || n != 2 {
		t.Errorf("%d tokens, %d requests; want 2 and 2 (one refresh, one more attempt)", got, n)
	}
}

func TestOAuth2TokenEndpointFails(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		secret string
		want   string
	}{
		{"down", http.StatusServiceUnavailable, testClientSecret, "HTTP 503: temporarily_unavailable (the token service is down)"},
		{"wrong secret", 0, "not-the-secret", "HTTP 401: invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTokenServer(t, 3600)
			ts.SetFail(tc.status)
			api := newServer(t, func(w http.ResponseWriter, r request, n int) { w.WriteHeader(http.StatusOK) })
			g := grant(ts)
			g.ClientSecret = tc.secret
			d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: webhook.NewTokenSource(g, nil)}})
			res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2))
			if !errors.Is(err, webhook.ErrTokenEndpoint) {
				t.Fatalf("err = %v, want ErrTokenEndpoint", err)
			}
			msg := err.Error()
			host := strings.TrimPrefix(ts.URL, "http://")
			if !strings.Contains(msg, host) || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q should name the token endpoint %s and say %q", msg, host, tc.want)
			}
			if strings.Contains(msg, tc.secret) || strings.Contains(msg, "/oauth/token") {
				t.Errorf("error %q shows the client secret or the token URL's path", msg)
			}
			if len(api.seen()) != 0 || len(res.Delivered) != 0 {
				t.Errorf("%d requests sent, %d records delivered; want none (the records stay pending)",
					len(api.seen()), len(res.Delivered))
			}
		})
	}
}

func TestOAuth2TokenEndpointUnderNetworkPolicy(t *testing.T) {
	policyEnv(t, "true", "")
	ts := newTokenServer(t, 3600)
	_, err := webhook.NewTokenSource(grant(ts), nil).Token(context.Background())
	if !errors.Is(err, webhook.ErrTokenEndpoint) {
		t.Fatalf("err = %v, want ErrTokenEndpoint", err)
	}
	wantRefused(t, "token request", err, "127.0.0.1", netpolicy.AllowedNetworksEnv)
	if strings.Contains(err.Error(), "/oauth/token") || strings.Contains(err.Error(), testClientSecret) {
		t.Errorf("error %q shows the token URL's path or the secret", err)
	}
	if ts.Issued() != 0 {
		t.Errorf("the token endpoint was reached despite the policy")
	}
}

func TestBasicAuth(t *testing.T) {
	api := newServer(t, func(w http.ResponseWriter, r request, n int) { w.WriteHeader(http.StatusOK) })
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL,
		BasicAuth: &controlplane.BasicAuth{Username: "backflow", Password: "pa:ss wörd"}}}
	if _, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1)); err != nil {
		t.Fatal(err)
	}
	r := &http.Request{Header: api.seen()[0].header}
	if u, p, ok := r.BasicAuth(); !ok || u != "backflow" || p != "pa:ss wörd" {
		t.Errorf("basic auth = %q %q %v, want backflow and the password", u, p, ok)
	}
}

// Test on save authenticates both its HEAD and its test request.
func TestCheckUsesAuth(t *testing.T) {
	ts := newTokenServer(t, 3600)
	var mu sync.Mutex
	var seen []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusMethodNotAllowed) // so the test request follows the HEAD
	}))
	defer api.Close()
	e := webhook.Endpoint{URL: api.URL, OAuth2: webhook.NewTokenSource(grant(ts), nil)}
	err := webhook.Check(context.Background(), nil, e, "hook")
	var ce *webhook.CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("Check = %v, want a CheckError for the 405", err)
	}
	want := "[HEAD Bearer tok-1 POST Bearer tok-1]"
	if fmt.Sprint(seen) != want {
		t.Errorf("requests = %v, want %s", seen, want)
	}
}

func TestCheckAuth(t *testing.T) {
	for _, tc := range []struct {
		headers       map[string]string
		oauth2, basic bool
		want          string
	}{
		{nil, false, false, ""},
		{map[string]string{"Authorization": "Bearer x"}, false, false, ""},
		{nil, true, false, ""},
		{nil, false, true, ""},
		{map[string]string{"X-Key": "k"}, true, false, ""},
		{nil, true, true, "sets oauth2 and basic_auth"},
		{map[string]string{"authorization": "x"}, true, false, "sets oauth2 and an Authorization header"},
		{map[string]string{"Authorization": "x"}, false, true, "sets basic_auth and an Authorization header"},
	} {
		err := webhook.CheckAuth(tc.headers, tc.oauth2, tc.basic)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckAuth(%v, %v, %v) = %v, want %q", tc.headers, tc.oauth2, tc.basic, err, tc.want)
		}
	}
}

// A value the HTTP client cannot put in a header (an access_token with a line break, a stored
// content_type with one) made every attempt fail in the client before anything was sent, and
// each was retried and counted as an attempt that may have reached the endpoint: eight attempts,
// backoff between them, and a run error saying the webhook "got no response". The request is now
// refused when built, once, saying which value is wrong and never showing it; nothing is sent.
func TestUnsendableHeaderValueIsNotRetried(t *testing.T) {
	tok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"abc\r\nX-Injected: 1","token_type":"bearer","expires_in":3600}`)
	}))
	defer tok.Close()
	api := newServer(t, func(w http.ResponseWriter, r request, n int) { w.WriteHeader(http.StatusOK) })
	grant := &controlplane.OAuth2Config{TokenURL: tok.URL + "/oauth/token", ClientID: testClientID, ClientSecret: testClientSecret}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: webhook.NewTokenSource(grant, nil)}})
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2))
	if !errors.Is(err, webhook.ErrTokenEndpoint) || !strings.Contains(err.Error(), "access_token") ||
		strings.Contains(err.Error(), "abc") {
		t.Errorf("err = %v, want ErrTokenEndpoint about the access_token, without it", err)
	}
	if len(res.Requests) != 0 || res.MayHaveDelivered() || len(api.seen()) != 0 {
		t.Errorf("requests %+v, endpoint saw %d: want none", res.Requests, len(api.seen()))
	}

	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, Body: "x",
			ContentType: "text/plain\r\nX-Injected: 1"}}, webhook.Vars{})
	if err != nil {
		t.Fatal(err)
	}
	d = fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL}, Builder: rs})
	res, err = d.Deliver(context.Background(), testMeta(), controlplane.OpNew, makeRecords(1))
	if err == nil || !strings.Contains(err.Error(), "Content-Type") || !strings.Contains(err.Error(), "line break") {
		t.Errorf("err = %v, want the Content-Type refused for its line break", err)
	}
	if len(res.Requests) != 0 || res.MayHaveDelivered() || len(api.seen()) != 0 {
		t.Errorf("requests %+v, endpoint saw %d: want none", res.Requests, len(api.seen()))
	}
}

// The token a request carried is scrubbed from its answer even when another request refreshed
// the cached token meanwhile (a 401 on a concurrent batch): Scrub looked only at the token
// cached when the answer came, so the one echoed was kept.
func TestAnswerScrubbedOfTheTokenSentAfterARefresh(t *testing.T) {
	ts := newTokenServer(t, 3600)
	tokens := webhook.NewTokenSource(grant(ts), nil)
	api := newServer(t, func(w http.ResponseWriter, r request, n int) {
		sent := r.header.Get("Authorization")
		tokens.Invalidate(sent) // another batch was refused with it and fetched a new one
		if _, err := tokens.Token(context.Background()); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, "refused: authorization=%s", sent)
	})
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: tokens}, MaxRetries: -1})
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1))
	if err != nil || len(res.Rejected) != 1 {
		t.Fatalf("want one rejection: %v %+v", err, res)
	}
	if body := res.Rejected[0].Body; strings.Contains(body, "tok-1") || !strings.Contains(body, "refused") {
		t.Errorf("the rejection shows the token the request carried: %q", body)
	}
}

// The token request carries the client secret in its Authorization header (HTTP basic, as the
// OAuth2 client sends it first and keeps using once it worked), base64-encoded: a token endpoint
// whose error answer echoes the request's headers shows the secret in that form, which the error
// (bound for run errors, logs and notifications) must not keep any more than the secret itself.
func TestOAuth2TokenEndpointEchoOfBasicCredentialIsScrubbed(t *testing.T) {
	const secret = "s3cret client/value"
	for _, tc := range []struct {
		name string
		echo func(auth string) (ctype, body string)
	}{
		{"text", func(auth string) (string, string) {
			return "text/plain", auth + " refused"
		}},
		{"oauth2 error", func(auth string) (string, string) {
			return "application/json", `{"error":"server_error","error_description":"could not check ` + auth + `"}`
		}},
		// The secret itself, where the excerpt's bound cuts it.
		{"cut", func(string) (string, string) {
			return "application/json", `{"error":"server_error","error_description":"` + strings.Repeat("x", 50) +
				" " + secret + `"}`
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			fetches := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				fetches++
				n := fetches
				mu.Unlock()
				if n == 1 {
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprint(w, `{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}`)
					return
				}
				ctype, body := tc.echo(r.Header.Get("Authorization"))
				w.Header().Set("Content-Type", ctype)
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, body)
			}))
			t.Cleanup(srv.Close)
			ts := webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: srv.URL + "/oauth/token",
				ClientID: testClientID, ClientSecret: secret}, nil)
			now := time.Now()
			ts.SetClock(func() time.Time { return now })
			if _, err := ts.Token(context.Background()); err != nil {
				t.Fatal(err)
			}
			now = now.Add(2 * time.Hour)
			_, err := ts.Token(context.Background())
			if !errors.Is(err, webhook.ErrTokenEndpoint) {
				t.Fatalf("err = %v, want ErrTokenEndpoint", err)
			}
			req, _ := http.NewRequest("POST", srv.URL, nil)
			req.SetBasicAuth(url.QueryEscape(testClientID), url.QueryEscape(secret))
			basic := strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
			if msg := err.Error(); strings.Contains(msg, basic[:16]) || strings.Contains(msg, "s3cret") {
				t.Errorf("error %q shows the client secret, or its basic credential %q", msg, basic)
			}
		})
	}
}

// flakyTokenServer is a token endpoint whose first len(fails) requests fail as fails says
// (an HTTP status, or 0: the connection closed without an answer) and whose later requests get
// a token. Until a fetch worked, the OAuth2 client makes each fetch twice (the credentials in
// the Authorization header, then in the form): fetches repeats each failure for both.
func fetches(fails ...int) []int {
	var out []int
	for _, f := range fails {
		out = append(out, f, f)
	}
	return out
}

func flakyTokenServer(t *testing.T, fails ...int) (url string, requests func() int) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := n
		n++
		mu.Unlock()
		if i < len(fails) {
			if fails[i] == 0 {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(fails[i])
			fmt.Fprint(w, `{"error":"temporarily_unavailable"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok-ok","token_type":"bearer","expires_in":3600}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/oauth/token", func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func TestOAuth2TokenEndpointTransientFailureIsRetried(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fails []int
	}{
		{"503 once", fetches(http.StatusServiceUnavailable)},
		{"429 then 502", fetches(http.StatusTooManyRequests, http.StatusBadGateway)},
		{"connection closed once", fetches(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tokenURL, requests := flakyTokenServer(t, tc.fails...)
			api := newServer(t, func(w http.ResponseWriter, r request, n int) {
				if r.header.Get("Authorization") != "Bearer tok-ok" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			var retries []webhook.Retry
			d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: webhook.NewTokenSource(
				&controlplane.OAuth2Config{TokenURL: tokenURL, ClientID: testClientID, ClientSecret: testClientSecret}, nil)},
				OnRetry: func(r webhook.Retry) func() { retries = append(retries, r); return nil }})
			res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2))
			if err != nil {
				t.Fatalf("Deliver: %v; want the token fetch retried and the batch delivered", err)
			}
			if len(res.Delivered) != 2 || len(api.seen()) != 1 {
				t.Errorf("%d delivered in %d requests, want 2 in 1", len(res.Delivered), len(api.seen()))
			}
			if got := requests(); got != len(tc.fails)+1 {
				t.Errorf("%d token requests, want %d", got, len(tc.fails)+1)
			}
			if len(retries) != len(tc.fails)/2 {
				t.Fatalf("%d retries announced, want %d", len(retries), len(tc.fails)/2)
			}
			for _, r := range retries {
				if !errors.Is(r.Err, webhook.ErrTokenEndpoint) || strings.Contains(r.Cause(), testClientSecret) {
					t.Errorf("retry cause %q: want the token endpoint's failure, without the secret", r.Cause())
				}
			}
		})
	}
}

func TestOAuth2TokenEndpointRetriesAreBounded(t *testing.T) {
	tokenURL, requests := flakyTokenServer(t, fetches(503, 503, 503, 503)...)
	api := newServer(t, func(w http.ResponseWriter, r request, n int) { w.WriteHeader(http.StatusOK) })
	d := fast(&webhook.Deliverer{MaxRetries: 2, Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: webhook.NewTokenSource(
		&controlplane.OAuth2Config{TokenURL: tokenURL, ClientID: testClientID, ClientSecret: testClientSecret}, nil)}})
	_, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2))
	if !errors.Is(err, webhook.ErrTokenEndpoint) || !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), "tried 3 times") {
		t.Fatalf("err = %v, want ErrTokenEndpoint saying HTTP 503", err)
	}
	if got := requests(); got != 6 || len(api.seen()) != 0 {
		t.Errorf("%d token requests, %d sent; want 6 (3 fetches: MaxRetries 2) and none", got, len(api.seen()))
	}
}

func TestOAuth2TokenEndpointClientErrorIsNotRetried(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			tokenURL, requests := flakyTokenServer(t, fetches(status, status, status)...)
			api := newServer(t, func(w http.ResponseWriter, r request, n int) { w.WriteHeader(http.StatusOK) })
			d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: webhook.NewTokenSource(
				&controlplane.OAuth2Config{TokenURL: tokenURL, ClientID: testClientID, ClientSecret: testClientSecret}, nil)}})
			_, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2))
			if !errors.Is(err, webhook.ErrTokenEndpoint) || !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d", status)) {
				t.Fatalf("err = %v, want ErrTokenEndpoint saying HTTP %d", err, status)
			}
			if got := requests(); got != 2 {
				t.Errorf("%d token requests, want 2 (one fetch): bad credentials fail fast", got)
			}
		})
	}
}

func TestOAuth2TokenRetryStopsWhenCancelled(t *testing.T) {
	tokenURL, requests := flakyTokenServer(t, fetches(503, 503, 503)...)
	api := newServer(t, func(w http.ResponseWriter, r request, n int) { w.WriteHeader(http.StatusOK) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := &webhook.Deliverer{BaseBackoff: time.Hour, MaxBackoff: time.Hour, Endpoint: webhook.Endpoint{URL: api.URL,
		OAuth2: webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: tokenURL, ClientID: testClientID,
			ClientSecret: testClientSecret}, nil)},
		OnRetry: func(webhook.Retry) func() { cancel(); return nil }}
	_, err := d.Deliver(ctx, testMeta(), webhook.OpChanged, makeRecords(2))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the cancellation", err)
	}
	if got := requests(); got != 2 || len(api.seen()) != 0 {
		t.Errorf("%d token requests, %d sent; want 2 (one fetch) and none", got, len(api.seen()))
	}
}

// A try that failed at the token endpoint sent nothing: the request's log shows its HTTP
// attempts and when the first of them left, not the tries.
func TestOAuth2TokenRetryIsNotAnHTTPAttempt(t *testing.T) {
	tokenURL, _ := flakyTokenServer(t, fetches(http.StatusServiceUnavailable, http.StatusServiceUnavailable)...)
	api := newServer(t, func(w http.ResponseWriter, r request, n int) { w.WriteHeader(http.StatusOK) })
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: webhook.NewTokenSource(
		&controlplane.OAuth2Config{TokenURL: tokenURL, ClientID: testClientID, ClientSecret: testClientSecret}, nil)}})
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Requests) != 1 {
		t.Fatalf("%d requests logged, want 1", len(res.Requests))
	}
	if rq := res.Requests[0]; rq.Attempts != 1 || rq.SentAt.IsZero() || rq.Status != http.StatusOK {
		t.Errorf("request logged with %d attempts, sent at %v, status %d; want 1 attempt, its time, 200",
			rq.Attempts, rq.SentAt, rq.Status)
	}
}

// A token endpoint's Retry-After is waited for, as a webhook's is; one past the longest a run
// waits fails the run at once.
func TestOAuth2TokenEndpointRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		retryAfter string
		wantErr    bool
	}{{"1", false}, {"7200", true}} {
		t.Run(tc.retryAfter, func(t *testing.T) {
			var mu sync.Mutex
			n := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n++
				i := n
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				if i <= 2 { // the first fetch, credentials in the header then in the form
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(http.StatusTooManyRequests)
					fmt.Fprint(w, `{"error":"slow_down"}`)
					return
				}
				fmt.Fprint(w, `{"access_token":"tok-ok","token_type":"bearer","expires_in":3600}`)
			}))
			t.Cleanup(srv.Close)
			api := newServer(t, func(w http.ResponseWriter, r request, n int) { w.WriteHeader(http.StatusOK) })
			var waits []time.Duration
			d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: webhook.NewTokenSource(
				&controlplane.OAuth2Config{TokenURL: srv.URL, ClientID: testClientID, ClientSecret: testClientSecret}, nil)},
				OnRetry: func(r webhook.Retry) func() { waits = append(waits, r.Wait); return nil }})
			_, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1))
			mu.Lock()
			defer mu.Unlock()
			if tc.wantErr {
				if !errors.Is(err, webhook.ErrTokenEndpoint) || len(waits) != 0 || n != 2 {
					t.Errorf("err = %v after %d retries, %d token requests; want ErrTokenEndpoint at once", err, len(waits), n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(waits) != 1 || waits[0] < time.Second {
				t.Errorf("retry waits %v, want one of at least the Retry-After's 1s", waits)
			}
		})
	}
}

// A caller waiting for another caller's token fetch stops waiting when its own context is done:
// a run stopped while another run's fetch hangs on a slow token endpoint does not hang with it.
func TestOAuth2TokenWaitStopsWhenCancelled(t *testing.T) {
	defer webhook.SetTokenFetchTimeout(time.Hour)() // only release ends the hanging fetch
	entered, release := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok-1","token_type":"bearer","expires_in":3600}`)
	}))
	defer srv.Close()
	var once sync.Once
	unhang := func() { once.Do(func() { close(release) }) }
	defer unhang() // before srv.Close, which waits for the handler
	tokens := webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: srv.URL + "/oauth/token",
		ClientID: testClientID, ClientSecret: testClientSecret}, nil)

	first := make(chan error, 1)
	go func() {
		_, err := tokens.Token(context.Background())
		first <- err
	}()
	select {
	case <-entered:
	case <-time.After(time.Minute):
		t.Fatal("the first caller's token request never reached the endpoint")
	}

	for _, tc := range []struct {
		name   string
		cancel func(context.CancelFunc) // when the second caller's context is cancelled
	}{
		{"cancelled before it calls", func(cancel context.CancelFunc) { cancel() }},
		{"cancelled while it waits", func(cancel context.CancelFunc) { go cancel() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			second := make(chan error, 1)
			tc.cancel(cancel)
			go func() {
				_, err := tokens.Token(ctx)
				second <- err
			}()
			select {
			case err := <-second:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("second caller: err = %v, want its context's cancellation", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("the cancelled caller hung waiting for the other caller's token fetch")
			}
		})
	}

	unhang()
	select {
	case err := <-first:
		if err != nil {
			t.Errorf("first caller: %v, want the token", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the first caller hung after the token endpoint answered")
	}
	if h, err := tokens.Token(context.Background()); err != nil || h != "Bearer tok-1" {
		t.Errorf("after the fetch: %q, %v; want the fetched token, cached", h, err)
	}
}

// answeringTokenServer is a token endpoint that answers every request 200 with body, of content
// type ctype, and counts them.
func answeringTokenServer(t *testing.T, ctype, body string) (url string, requests func() int) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		w.Header().Set("Content-Type", ctype)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/oauth/token", func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// A token endpoint's expires_in that is not a whole number of seconds (3599.87, as a Python
// server's timedelta.total_seconds() writes it; a numeric string with a fraction; an exponent;
// one past int64) is read as what it says, and one that is no number at all as a lifetime not
// said: the token is usable either way. The OAuth2 client could not parse such an answer, so
// every fetch failed, was retried as if the endpoint were down, and every run failed.
func TestOAuth2TokenLifetimeInAnyNumberFormat(t *testing.T) {
	for _, tc := range []struct {
		expiresIn string
		refreshed bool // the token is due for refresh after an hour
	}{
		{`3599.87`, true}, {`"3599.5"`, true}, {`3.6e3`, true}, {`99999999999999999999`, false},
		{`"never"`, false}, {`true`, false}, {`{}`, false}, {`0.4`, true}, {`-2.5`, false},
		{`3600`, true}, {`"3600"`, true}, {`null`, false},
	} {
		t.Run(tc.expiresIn, func(t *testing.T) {
			tokenURL, requests := answeringTokenServer(t, "application/json; charset=utf-8",
				`{"access_token":"tok-ok","token_type":"Bearer","scope":"a b","expires_in":`+tc.expiresIn+`}`)
			now := time.Now()
			tokens := webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: tokenURL, ClientID: testClientID,
				ClientSecret: testClientSecret}, nil)
			tokens.SetClock(func() time.Time { return now })
			h, err := tokens.Token(context.Background())
			if err != nil || h != "Bearer tok-ok" {
				t.Fatalf("Token = %q, %v; want Bearer tok-ok", h, err)
			}
			if got := requests(); got != 1 {
				t.Errorf("%d token requests, want 1", got)
			}
			now = now.Add(time.Hour + time.Minute)
			if _, err := tokens.Token(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got, want := requests() == 2, tc.refreshed; got != want {
				t.Errorf("an hour on, refreshed: %v, want %v", got, want)
			}
		})
	}
}

// A token answer that starts with a byte order mark (as some .NET and Windows servers write
// one) gives its token, JSON or form: the OAuth2 client read no JSON from it, or a form whose
// first field was not access_token, and every fetch and every run failed.
func TestOAuth2TokenAnswerWithAByteOrderMark(t *testing.T) {
	for _, tc := range []struct{ ctype, body string }{
		{"application/json", "\ufeff" + `{"access_token":"tok-bom","token_type":"Bearer","expires_in":3600}`},
		{"application/x-www-form-urlencoded", "\ufeffaccess_token=tok-bom&token_type=bearer&expires_in=3600"},
		{"text/plain", "\ufeffaccess_token=tok-bom&token_type=bearer"},
	} {
		t.Run(tc.ctype, func(t *testing.T) {
			tokenURL, requests := answeringTokenServer(t, tc.ctype, tc.body)
			tokens := webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: tokenURL, ClientID: testClientID,
				ClientSecret: testClientSecret}, nil)
			h, err := tokens.Token(context.Background())
			if err != nil || h != "Bearer tok-bom" {
				t.Fatalf("Token = %q, %v; want Bearer tok-bom", h, err)
			}
			if got := requests(); got != 1 {
				t.Errorf("%d token requests, want 1", got)
			}
		})
	}
}

// A token endpoint that answers 200 without a token the runner can use (a login page, an answer
// without access_token) fails the fetch at once, saying what it answered: each such answer was
// retried as if the endpoint were down (eight fetches of two requests each, with backoff), and
// the error said only that the request failed.
func TestOAuth2TokenAnswerWithoutAUsableTokenIsNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		want, hidden      []string
	}{
		{"html", "text/html", "<html><body>Sign in</body></html>", []string{"HTTP 200", "Sign in"}, nil},
		{"no access_token", "application/json", `{"token_type":"bearer","expires_in":3600,"refresh_token":"rt-SECRET1"}`,
			[]string{"HTTP 200", "access_token", "expires_in"}, []string{"rt-SECRET1"}},
		{"numeric access_token", "application/json", `{"access_token":987654321012,"token_type":"bearer"}`,
			[]string{"HTTP 200", "cannot parse"}, []string{"987654321012"}},
		{"echoed secret", "application/json", `{"oops":"client_secret=` + testClientSecret + `"}`,
			[]string{"HTTP 200"}, []string{testClientSecret}},
		// Answers that do not parse whole still hide their token fields: the excerpt is of the
		// raw text then, which showed a live access token to the logs and the control plane.
		{"trailing comma", "application/json", `{"access_token":"at-SECRET2","token_type":"bearer","expires_in":3600,}`,
			[]string{"HTTP 200", "token_type", "bearer"}, []string{"at-SECRET2"}},
		{"byte order mark before no JSON", "application/json", "\ufeff" + `{"access_token":"at-SECRET3","token_type":"bearer",}`,
			[]string{"HTTP 200"}, []string{"at-SECRET3"}},
		{"cut at 1 MiB", "application/json", `{"Access_Token" : "at-SECRET4", "id_token":12345678, "pad":"` +
			strings.Repeat("x", 1<<20) + `"}`, []string{"HTTP 200"}, []string{"at-SECRET4", "12345678"}},
		{"form that does not parse", "text/plain", "access_token=at-SECRET5&token_type=bearer&bad=%zz",
			[]string{"HTTP 200", "token_type=bearer"}, []string{"at-SECRET5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tokenURL, requests := answeringTokenServer(t, tc.ctype, tc.body)
			api := newServer(t, func(w http.ResponseWriter, r request, n int) { w.WriteHeader(http.StatusOK) })
			d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: api.URL, OAuth2: webhook.NewTokenSource(
				&controlplane.OAuth2Config{TokenURL: tokenURL, ClientID: testClientID, ClientSecret: testClientSecret}, nil)}})
			_, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2))
			if !errors.Is(err, webhook.ErrTokenEndpoint) {
				t.Fatalf("err = %v, want ErrTokenEndpoint", err)
			}
			if got := requests(); got != 2 {
				t.Errorf("%d token requests, want 2 (one fetch, not retried): %v", got, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q should say %q", err, w)
				}
			}
			for _, h := range tc.hidden {
				if strings.Contains(err.Error(), h) {
					t.Errorf("error %q shows %q", err, h)
				}
			}
			if len(api.seen()) != 0 {
				t.Errorf("%d requests sent, want none", len(api.seen()))
			}
		})
	}
}

// Callers that wait for a token fetch that fails get its failure, as they would have got its
// token: each fetched again after it, one at a time, so that a token endpoint that never
// answers held the Nth request in flight for N fetch timeouts (8 in flight: a fetch every 10 s,
// a run that took half an hour to fail; 64 in adaptive mode).
func TestOAuth2CallersWaitingForAFailedFetchShareItsFailure(t *testing.T) {
	defer webhook.SetTokenFetchTimeout(200 * time.Millisecond)()
	var mu sync.Mutex
	requests := 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		select { // hangs past the fetch timeout
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	tokens := webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: srv.URL + "/oauth/token",
		ClientID: testClientID, ClientSecret: testClientSecret}, nil)
	const callers = 8
	errs := make(chan error, callers)
	for range callers {
		go func() {
			_, err := tokens.Token(context.Background())
			errs <- err
		}()
	}
	for range callers {
		if err := <-errs; !errors.Is(err, webhook.ErrTokenEndpoint) {
			t.Errorf("err = %v, want ErrTokenEndpoint", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if requests >= callers {
		t.Errorf("%d token requests for %d callers at once, want the callers that waited to share the failed fetch",
			requests, callers)
	}
}

// A caller whose run stops while it fetches a token does not fail the callers that wait for it:
// one of them fetches the token.
func TestOAuth2FetchStoppedWithItsCallerIsNotAFailure(t *testing.T) {
	defer webhook.SetTokenFetchTimeout(time.Hour)()
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			entered <- struct{}{}
			select { // the first request hangs until its caller stops
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok-2","token_type":"bearer","expires_in":3600}`)
	}))
	defer srv.Close()
	defer close(release)
	tokens := webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: srv.URL + "/oauth/token",
		ClientID: testClientID, ClientSecret: testClientSecret}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := tokens.Token(ctx)
		first <- err
	}()
	<-entered
	second := make(chan string, 1)
	go func() {
		h, err := tokens.Token(context.Background())
		if err != nil {
			h = err.Error()
		}
		second <- h
	}()
	time.Sleep(50 * time.Millisecond) // the second caller waits for the first's fetch
	cancel()
	if err := <-first; err == nil {
		t.Errorf("the stopped caller got a token")
	}
	if h := <-second; h != "Bearer tok-2" {
		t.Errorf("the waiting caller got %q, want Bearer tok-2 (a fetch of its own)", h)
	}
}
