package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
)

// How a webhook connection's requests prove who sends them, besides its headers: an OAuth2
// bearer token (client-credentials grant) or HTTP basic auth. Both set the Authorization header,
// so a connection has at most one of them and an Authorization header (CheckAuth).

// ErrTokenEndpoint: the OAuth2 token endpoint did not issue a token. The request was not sent;
// the run fails and its records stay pending.
var ErrTokenEndpoint = errors.New("the OAuth2 token endpoint did not issue a token")

// transientTokenError is an ErrTokenEndpoint that a later fetch may not get: the endpoint did
// not answer (a network error, a reset, the fetch's timeout) or answered 408, 429 or 5xx. A
// delivery retries it as it retries such an answer from the webhook itself (sendBatch); a 4xx
// (wrong credentials) or an answer without a usable token is not retried.
type transientTokenError struct {
	error
	retryAfter time.Duration // the endpoint's Retry-After, as a delivery reads it; 0 without one
}

func (e transientTokenError) Unwrap() error { return e.error }

// transientToken says whether err is a token fetch failure worth retrying.
func transientToken(err error) (retryAfter time.Duration, ok bool) {
	var te transientTokenError
	if !errors.As(err, &te) {
		return 0, false
	}
	return te.retryAfter, true
}

// CheckAuth says what is wrong with a connection's ways of authenticating, nil if nothing: at
// most one of an OAuth2 grant, basic auth and an Authorization header, since each sets that
// header.
func CheckAuth(headers map[string]string, oauth2, basicAuth bool) error {
	var set []string
	if oauth2 {
		set = append(set, "oauth2")
	}
	if basicAuth {
		set = append(set, "basic_auth")
	}
	for name := range headers {
		if strings.EqualFold(name, "Authorization") {
			set = append(set, "an Authorization header")
			break
		}
	}
	if len(set) > 1 {
		return fmt.Errorf("the connection sets %s: each sets the Authorization header, so keep only one of them",
			strings.Join(set, " and "))
	}
	return nil
}

// authorize sets the Authorization header of req from the endpoint's auth, if it has one.
func (e Endpoint) authorize(ctx context.Context, req *http.Request) error {
	if err := CheckAuth(e.Headers, e.OAuth2 != nil, e.BasicAuth != nil); err != nil {
		return err
	}
	switch {
	case e.BasicAuth != nil:
		req.SetBasicAuth(e.BasicAuth.Username, e.BasicAuth.Password)
	case e.OAuth2 != nil:
		v, err := e.OAuth2.Token(ctx)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", v)
	}
	return nil
}

// Token refresh: a cached token is replaced once less than a quarter of its lifetime, and at most
// maxRefreshMargin, is left, so that no request leaves with a token about to expire.
const maxRefreshMargin = time.Minute

// tokenFetchTimeout bounds a token request as a whole, answer's body included (the token is in
// it): a token endpoint that never answers, or drips its answer, fails the request it was for
// then, not at the client's 30 s timeout, with every other request to the connection waiting
// for the same fetch.
var tokenFetchTimeout = 10 * time.Second

// TokenSource gets and caches the bearer token of one connection's OAuth2 client-credentials
// grant. One TokenSource serves every request to the connection in a process (a runner keeps one
// per connection), so they share one token and one refresh. It is safe for concurrent use.
type TokenSource struct {
	cfg    clientcredentials.Config
	where  string       // the token URL's scheme and host, for errors
	client *http.Client // fetches tokens: the network policy applies to the token endpoint too
	// timeout is the given client's Timeout, which client (from unfollowed) leaves to the fetch's
	// context; 0: none.
	timeout time.Duration

	// now is the clock expiries are compared with; tests move it forward.
	now func() time.Time

	mu sync.Mutex // guards flight, header and refresh; never held during a fetch
	// flight is the fetch under way, nil when none is: concurrent callers wait for it and take
	// its outcome, its failure too (a token endpoint that does not answer is asked once for all
	// of them, not once more by each in turn).
	flight  *tokenFlight
	header  string    // "Bearer <token>"; "" when none is cached
	refresh time.Time // when to fetch the next one; zero: the token does not say when it expires
}

// NewTokenSource returns a TokenSource for grant c. A nil client means DefaultClient(): no
// redirects followed, every connection checked by the network policy.
func NewTokenSource(c *controlplane.OAuth2Config, client *http.Client) *TokenSource {
	if client == nil {
		client = defaultClient
	}
	params := url.Values{}
	for k, v := range c.Parameters {
		params.Set(k, v)
	}
	return &TokenSource{
		cfg: clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL,
			Scopes: c.Scopes, EndpointParams: params},
		where:   RedactedURL(c.TokenURL),
		client:  tokenClient(client),
		timeout: client.Timeout,
		now:     time.Now,
	}
}

// tokenFlight is one token fetch, which the callers that come while it is under way wait for.
type tokenFlight struct {
	done   chan struct{} // closed when the fetch ended, header and err set
	header string
	err    error
	// stopped: the fetch ended because its caller's context was done, which is not the token
	// endpoint's failure: a caller that waited for it fetches again.
	stopped bool
}

// Token returns the Authorization header value of a valid token ("Bearer ..."), fetching a new
// token when none is cached or the cached one is due for refresh. A failure is an error matching
// ErrTokenEndpoint that names the token URL's host, never the client secret. Callers that come
// while a fetch is under way wait for it and get its token or its failure.
//
// A caller waiting for another's fetch stops waiting, with ctx's error, when ctx is done.
func (t *TokenSource) Token(ctx context.Context) (string, error) {
	for {
		t.mu.Lock()
		if h, ok := t.cachedLocked(); ok {
			t.mu.Unlock()
			return h, nil
		}
		if f := t.flight; f != nil {
			t.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			if f.stopped {
				continue
			}
			return f.header, f.err
		}
		f := &tokenFlight{done: make(chan struct{}), stopped: true} // stopped until it returns
		t.flight = f
		t.mu.Unlock()
		return t.fly(ctx, f)
	}
}

// fly makes the fetch of flight f, whose callers wait for it.
func (t *TokenSource) fly(ctx context.Context, f *tokenFlight) (string, error) {
	defer func() {
		t.mu.Lock()
		t.flight = nil
		t.mu.Unlock()
		close(f.done)
	}()
	f.header, f.err = t.fetch(ctx)
	f.stopped = f.err != nil && ctx.Err() != nil
	return f.header, f.err
}

// fetch gets a new token from the endpoint and caches it; only the caller of a flight calls it.
func (t *TokenSource) fetch(ctx context.Context) (string, error) {
	now := t.now()
	limit := tokenFetchTimeout
	if t.timeout > 0 {
		limit = min(limit, t.timeout)
	}
	fetch, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	answer := &tokenAnswer{}
	tok, err := t.cfg.Token(context.WithValue(context.WithValue(fetch, tokenAnswerKey{}, answer), oauth2.HTTPClient, t.client))
	if err != nil && ctx.Err() == nil && fetch.Err() != nil {
		return "", transientTokenError{error: fmt.Errorf("%w: %s did not answer within %s (the request was not sent, and its records stay pending); "+
			"check the connection's oauth2 token_url, and that the token endpoint is up", ErrTokenEndpoint, t.where, limit)}
	}
	if err != nil {
		return "", t.fetchError(err, answer)
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("%w: %s answered without an access_token", ErrTokenEndpoint, t.where)
	}
	header := tok.Type() + " " + tok.AccessToken
	if err := CheckHeaderValue("Authorization", header); err != nil {
		// The HTTP client would refuse it on every attempt, which would look like a network error.
		return "", fmt.Errorf("%w: %s issued a token that cannot be sent (its access_token or token_type): %w",
			ErrTokenEndpoint, t.where, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.header = header
	t.refresh = time.Time{}
	// A token said to have expired already (a negative expires_in) is kept as one whose lifetime
	// is not said: refreshed at each request, it had every request wait for a fetch of its own,
	// and hammered the token endpoint. A 401 gets a new one (Invalidate).
	if !tok.Expiry.IsZero() && tok.Expiry.After(now) {
		margin := min(tok.Expiry.Sub(now)/4, maxRefreshMargin)
		t.refresh = tok.Expiry.Add(-margin)
	}
	return t.header, nil
}

// cachedLocked is the Authorization header value of the cached token, and whether there is one
// not yet due for refresh; t.mu is held.
func (t *TokenSource) cachedLocked() (string, bool) {
	if t.header != "" && (t.refresh.IsZero() || t.now().Before(t.refresh)) {
		return t.header, true
	}
	return "", false
}

// current is the Authorization header value of the cached token; "" when none is cached.
func (t *TokenSource) current() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.header
}

// Invalidate drops the cached token if it is still header, the Authorization a request was
// refused with (401), so that the next Token fetches a new one. A token another caller already
// replaced is kept: many requests refused with one stale token cause one refresh.
func (t *TokenSource) Invalidate(header string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.header == header {
		t.header = ""
	}
}

// fetchError explains a failed token request without the secret: where it went, and what the
// endpoint said (its OAuth2 error code and description, or the first bytes of its answer).
func (t *TokenSource) fetchError(err error, answer *tokenAnswer) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		said := ""
		// Each text is scrubbed whole, before it is cut to an excerpt: a secret the cut ends
		// inside, followed by the excerpt's "…", is no longer one the scrub finds by its start.
		excerpt := func(s string) string {
			return printableExcerpt(strings.NewReader(t.scrub(truncate(s, 4<<10))), checkBodyLimit)
		}
		switch {
		case re.ErrorCode != "":
			said = ": " + excerpt(re.ErrorCode)
			if re.ErrorDescription != "" {
				said += " (" + excerpt(re.ErrorDescription) + ")"
			}
		case len(re.Body) > 0:
			said = fmt.Sprintf(", body %q", excerpt(string(re.Body)))
		}
		status, code := "an error", 0
		if re.Response != nil {
			code = re.Response.StatusCode
			status = fmt.Sprintf("HTTP %d", code)
		}
		check := "the connection's oauth2 token_url, client_id and client_secret"
		if transientStatus(code) {
			check = "that the token endpoint is up"
		}
		err := fmt.Errorf("%w: %s answered %s%s; check %s (the request was not sent, and its records stay pending)",
			ErrTokenEndpoint, t.where, status, t.scrub(said), check)
		if transientStatus(code) {
			return transientTokenError{err, pacing.AnswerRetryAfter(re.Response.Header, time.Now(), pacing.MaxRetryAfter+time.Second)}
		}
		return err
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		// Not the transport's: the OAuth2 client could not use what the endpoint answered (not
		// JSON, no access_token, a field of the wrong type), which the next fetch would get too.
		said := ""
		if answer.status != 0 {
			said = fmt.Sprintf(" answered HTTP %d", answer.status)
			if b := answer.excerpt(); b != "" {
				said += fmt.Sprintf(", body %q,", printableExcerpt(strings.NewReader(t.scrub(b)), 2*checkBodyLimit))
			}
		}
		return fmt.Errorf("%w: %s%s without a token the runner can use (%s); check the connection's oauth2 token_url "+
			"(the request was not sent, and its records stay pending)", ErrTokenEndpoint, t.where, said, t.scrub(err.Error()))
	}
	// The transport's error can quote the token endpoint's answer, of any length (boundError),
	// and that answer can echo the client secret.
	cause := t.secrets().RedactError(err)
	wrapped := fmt.Errorf("%w: the request to %s failed (the request was not sent, and its records stay pending): %w",
		ErrTokenEndpoint, t.where, cause)
	if errors.Is(err, netpolicy.ErrRefused) || tlsRefused(err) != nil {
		// Refused by the network policy or the TLS handshake: every retry would be refused alike.
		return wrapped
	}
	return transientTokenError{error: wrapped}
}

// scrub replaces the client secret in what the token endpoint said (an answer may echo the
// request's form), even cut short or escaped, as Endpoint.Scrub does a connection's secrets.
func (t *TokenSource) scrub(s string) string { return t.secrets().Scrub(s) }

// secrets is the client secret as an Endpoint's secret, for Scrub and RedactError: as it is, as
// the token request's form writes it, and as its basic Authorization header carries it (the
// OAuth2 client sends the client ID and secret, each form-escaped, as HTTP basic auth first, and
// keeps doing so once that worked), which an answer that echoes the request's headers shows.
func (t *TokenSource) secrets() Endpoint {
	id, secret := t.cfg.ClientID, t.cfg.ClientSecret
	return Endpoint{Headers: map[string]string{
		"client_secret":         secret,
		"client_secret_escaped": url.QueryEscape(secret),
		"authorization":         "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret))),
	}, BasicAuth: &controlplane.BasicAuth{Username: id, Password: secret}}
}

// tokenAnswerKey is the key of a token fetch's context whose value is the *tokenAnswer its
// transport fills.
type tokenAnswerKey struct{}

// tokenAnswer is the last answer a token fetch got: its status and body, for the error of an
// answer the OAuth2 client could not take a token from. A fetch is one goroutine's.
type tokenAnswer struct {
	status int
	ctype  string
	body   []byte
}

// excerpt is the answer's body with the values of its token fields (access_token, refresh_token,
// id_token, ...) left out, when it is a JSON object or a form: an answer can hold a token the
// OAuth2 client could not read (a number), and the error goes to logs and the control plane.
func (a *tokenAnswer) excerpt() string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(a.body, &obj) == nil && obj != nil {
		for k := range obj {
			if tokenField(k) {
				obj[k] = json.RawMessage(`"(hidden)"`)
			}
		}
		if b, err := json.Marshal(obj); err == nil {
			return string(b)
		}
	}
	if formAnswer(a.ctype) {
		if vals, err := url.ParseQuery(string(a.body)); err == nil {
			for k := range vals {
				if tokenField(k) {
					vals[k] = []string{"(hidden)"}
				}
			}
			return vals.Encode()
		}
	}
	// An answer that does not parse whole (cut at tokenAnswerLimit, a trailing comma, a byte
	// order mark, a bad escape in a form) can still hold a live token: its token fields are
	// found in the raw text, as a JSON member or a form field.
	return truncate(hideTokenFields(string(a.body)), 4<<10)
}

// tokenField is whether a token answer's field named name may hold a token (access_token,
// refresh_token, id_token, ...): its name holds "token", but token_type.
func tokenField(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "token") && !strings.Contains(n, "token_type")
}

// tokenMember is a JSON member or a form field of a token answer that may not parse: its name,
// and what follows it up to its value (1: a JSON name, 3: a form name), and its value (2, 4),
// a JSON string possibly cut short or any other JSON value's first run of characters.
var tokenMember = regexp.MustCompile(`("[^"\\]*"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]*)|((?:^|&)[^&="{]*=)([^&]*)`)

// hideTokenFields is s, a token answer's raw text, with the values of its fields whose name
// holds "token" (but token_type) replaced by "(hidden)".
func hideTokenFields(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range tokenMember.FindAllStringSubmatchIndex(s, -1) {
		nameEnd, valStart, valEnd, quote := m[3], m[4], m[5], `"`
		if m[2] < 0 {
			nameEnd, valStart, valEnd, quote = m[7], m[8], m[9], ""
		}
		if !tokenField(s[m[0]:nameEnd]) {
			continue
		}
		b.WriteString(s[last:valStart])
		b.WriteString(quote + "(hidden)" + quote)
		last = valEnd
	}
	b.WriteString(s[last:])
	return b.String()
}

// formAnswer is whether a token answer of content type ctype is read as a form, as the OAuth2
// client reads it.
func formAnswer(ctype string) bool {
	mt, _, _ := mime.ParseMediaType(ctype)
	return mt == "application/x-www-form-urlencoded" || mt == "text/plain"
}

// tokenAnswerLimit is how much of a token answer is read, as the OAuth2 client reads it.
const tokenAnswerLimit = 1 << 20

// tokenClient is the client a TokenSource fetches with: client, following no redirect (a token
// endpoint's redirect fails the fetch as it came), through tokenTransport.
func tokenClient(client *http.Client) *http.Client {
	c := *unfollowed(client)
	c.Transport = tokenTransport{c.Transport}
	return &c
}

// tokenTransport reads each token answer whole, keeps it in the fetch's tokenAnswer, drops a
// byte order mark before a 2xx answer, and gives the OAuth2 client a JSON answer's expires_in as a whole number of seconds, the only form it
// reads: a fraction (3599.87, as a Python server's timedelta.total_seconds() writes it), an
// exponent or a number past its range failed the whole answer, and so every fetch and every run,
// with a usable token in it. One that is no number at all ("never", true) is left out: the
// token's lifetime is not said, and a 401 gets a new one.
type tokenTransport struct{ http.RoundTripper }

func (tt tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tt.RoundTripper.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, tokenAnswerLimit))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if a, ok := req.Context().Value(tokenAnswerKey{}).(*tokenAnswer); ok {
		*a = tokenAnswer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: body}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// A byte order mark before the answer (as some .NET and Windows servers write one) made
		// the OAuth2 client read no JSON, or a form whose first field is not access_token.
		body = bytes.TrimPrefix(body, []byte("\ufeff"))
		if !formAnswer(resp.Header.Get("Content-Type")) {
			body = wholeExpiresIn(body)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// wholeExpiresIn is body, a JSON token answer, with its expires_in written as the OAuth2 client
// reads it (see tokenTransport); body as it is when it is not a JSON object or its expires_in
// already reads.
func wholeExpiresIn(body []byte) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil || obj == nil {
		return body
	}
	raw, ok := obj["expires_in"]
	if !ok || string(raw) == "null" {
		return body
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if _, err := n.Int64(); err == nil {
			return body
		}
	}
	f, err := strconv.ParseFloat(string(n), 64)
	switch {
	case n == "" || err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(f):
		delete(obj, "expires_in")
	case f >= math.MaxInt32:
		obj["expires_in"] = json.RawMessage(strconv.Itoa(math.MaxInt32))
	case f <= math.MinInt32:
		obj["expires_in"] = json.RawMessage("-1")
	case f > 0 && f < 1:
		obj["expires_in"] = json.RawMessage("1") // 0 would read as a lifetime not said
	default:
		obj["expires_in"] = json.RawMessage(strconv.FormatInt(int64(math.Floor(f)), 10))
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return out
}
