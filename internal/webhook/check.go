package webhook

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
)

// Version is reported in the User-Agent; goreleaser sets it through the binaries' main packages.
var Version = "dev"

// UserAgent is the User-Agent header of every request.
func UserAgent() string { return "backflow/" + Version }

// Endpoint is where and how requests go.
type Endpoint struct {
	URL           string
	Method        string // POST (default), PUT or PATCH
	Headers       map[string]string
	SigningSecret string
	// At most one of these (CheckAuth): basic auth, or the token source of an OAuth2 grant,
	// shared by every request to the connection.
	BasicAuth *controlplane.BasicAuth
	OAuth2    *TokenSource
}

// EndpointFor is the endpoint of a webhook connection w. tokens is the token source of its OAuth2
// grant (NewTokenSource), nil when it has none; a process shares one per connection.
func EndpointFor(w *controlplane.WebhookConfig, tokens *TokenSource) Endpoint {
	return Endpoint{URL: w.URL, Method: w.Method, Headers: w.Headers, SigningSecret: w.SigningSecret,
		BasicAuth: w.BasicAuth, OAuth2: tokens}
}

// NewRequest builds a request for body (JSON) with Backflow's headers; id is the webhook-id.
func (e Endpoint) NewRequest(ctx context.Context, id string, body []byte) (*http.Request, error) {
	return e.BuildRequest(ctx, id, &Built{Body: body, ContentType: "application/json"})
}

// BuildRequest builds the request b says, with the connection's headers, b's, and Backflow's.
func (e Endpoint) BuildRequest(ctx context.Context, id string, b *Built) (*http.Request, error) {
	method := cmp.Or(b.Method, e.Method, http.MethodPost)
	body := b.Body
	u := e.URL
	if b.Path != "" {
		u = JoinURL(baseWithEscapedPath(u), b.Path)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, buildError("build the webhook request", err)
	}
	// The connection's headers first: setHeaders refuses any that the lines below set (ReservedHeaders).
	if err := setHeaders(req.Header, e.Headers); err != nil {
		return nil, err
	}
	if len(b.Headers) > 0 {
		if errs := CheckHeaders(b.Headers); len(errs) > 0 {
			return nil, fmt.Errorf("the sync's request headers cannot be sent: %w", errs[0])
		}
		for k, v := range b.Headers {
			req.Header.Set(k, v)
		}
	}
	if err := e.authorize(ctx, req); err != nil {
		return nil, err
	}
	if b.ContentType != "" {
		// Checked as the connection's headers are (a stored request need not have been): the HTTP
		// client would refuse it on every attempt, which would look like a network error.
		if err := CheckHeaderValue("Content-Type", b.ContentType); err != nil {
			return nil, fmt.Errorf("the sync's request content_type cannot be sent: %w", err)
		}
		req.Header.Set("Content-Type", b.ContentType)
	}
	req.Header.Set("User-Agent", UserAgent())
	if e.SigningSecret != "" {
		if err := Sign(req.Header, e.SigningSecret, id, time.Now(), body); err != nil {
			return nil, fmt.Errorf("the connection's signing secret cannot sign the request: %w", err)
		}
	} else {
		req.Header.Set(HeaderID, id)
	}
	return req, nil
}

// NewMessageID returns a fresh webhook-id ("msg_" and 24 hex digits).
func NewMessageID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "msg_" + hex.EncodeToString(b)
}

// NoRedirects makes a client return 3xx responses instead of following them.
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// BodySnippet reads at most n bytes of a response body, for error messages.
func BodySnippet(r io.Reader, n int) string {
	b, _ := io.ReadAll(io.LimitReader(r, int64(n)))
	return string(b)
}

// checkBodyLimit is how much of a refusing answer to a test a CheckError keeps.
//
// The excerpt helps fix a real endpoint ("invalid token"), but a failed test_on_save prints it in
// the apply's output, which whoever runs Terraform reads: a URL pointed at an internal service
// would otherwise show that service's answer. The network policy refuses the worst targets
// (metadata services) before any request; the excerpt is also kept to a few dozen bytes (the
// first words of an error, not a document full of credentials) and to printable characters
// (so an answer cannot rewrite the terminal).
const checkBodyLimit = 64

// AnswerExcerpt is what a failed test shown in Terraform's output keeps of an answer's body: its
// first checkBodyLimit bytes, printable (see checkBodyLimit).
func AnswerExcerpt(body string) string {
	return printableExcerpt(strings.NewReader(body), checkBodyLimit)
}

// CheckError is a test-on-save that the endpoint did not answer with 200.
type CheckError struct {
	Method string
	Status int
	Body   string // at most checkBodyLimit bytes of the body, printable, whitespace runs as one space
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("the webhook answered the test %s with HTTP %d, want 200; first bytes of its body: %q",
		e.Method, e.Status, e.Body)
}

// Check tests an endpoint as Census does on save: a HEAD, and if that is not answered 200, a POST
// (or the endpoint's method) of the envelope with operation "test" and empty data. Anything but
// 200 is an error carrying the status and the first bytes of the body. A nil client means
// DefaultClient(), whose connections the network policy checks; an address the policy refuses
// is an error matching netpolicy.ErrRefused, and nothing is sent.
func Check(ctx context.Context, client *http.Client, e Endpoint, connectionName string) error {
	if client == nil {
		client = defaultClient
	}
	// The test request is built first so that headers or a signing secret the runner would refuse
	// fail the check before anything is sent, whatever the HEAD answers.
	meta := Meta{SyncRunAt: time.Now(), ConnectionName: connectionName}
	body := meta.AppendEnvelope(nil, OpTest, nil)
	req, err := e.NewRequest(ctx, NewMessageID(), body)
	if err != nil {
		return err
	}
	head, err := http.NewRequestWithContext(ctx, http.MethodHead, e.URL, nil)
	if err != nil {
		return buildError("build the webhook test request", err)
	}
	if err := setHeaders(head.Header, e.Headers); err != nil {
		return err
	}
	if err := e.authorize(ctx, head); err != nil {
		return err
	}
	head.Header.Set("User-Agent", UserAgent())
	resp, done, err := Do(client, head)
	defer done()
	if errors.Is(err, netpolicy.ErrRefused) {
		// The test request would go to the same address.
		return fmt.Errorf("the webhook test request was not sent: %w", e.RedactError(err, head.Header.Get("Authorization")))
	}
	if err != nil && tlsRefused(err) != nil {
		// The test request would be refused the same way.
		return fmt.Errorf("the webhook test request was not sent: %w", tlsError(e.RedactError(err, head.Header.Get("Authorization"))))
	}
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
	}
	resp, done, err = Do(client, req)
	defer done()
	if err != nil {
		return fmt.Errorf("the webhook test request could not be sent: %w", e.RedactError(err, req.Header.Get("Authorization")))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		answer := e.Scrub(AnswerSnippet(resp, checkBodyLimit+1), req.Header.Get("Authorization"))
		return &CheckError{Method: req.Method, Status: resp.StatusCode, Body: printableExcerpt(strings.NewReader(answer), checkBodyLimit)}
	}
	return nil
}

// printableExcerpt reads at most n bytes of r and keeps them printable: whitespace runs become
// one space, other control characters and invalid UTF-8 become '?', and "…" marks a body cut
// short.
func printableExcerpt(r io.Reader, n int) string {
	b, _ := io.ReadAll(io.LimitReader(r, int64(n)+1))
	cut := len(b) > n
	if cut {
		b = b[:n]
	}
	var sb strings.Builder
	space := false
	for len(b) > 0 {
		c, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case unicode.IsSpace(c):
			space = true
			continue
		case c == utf8.RuneError && size <= 1, !unicode.IsPrint(c):
			c = '?'
		}
		if space && sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		space = false
		sb.WriteRune(c)
	}
	if cut {
		sb.WriteString("…")
	}
	return sb.String()
}

// RedactURL strips the secret parts of the URL from an HTTP client error: webhook URLs carry
// tokens in their path, query or userinfo. What is left says where the request went: its method
// and the URL's scheme, host and port ("POST https://api.example.com/…: dial tcp …").
func RedactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", strings.ToUpper(ue.Op), RedactedURL(ue.URL), ue.Err)
	}
	return err
}

// RedactError is RedactURL(err) with its text bounded and the connection's secrets replaced
// (sent: the Authorization values the request carried): what a request that got no answer may
// show, as net/http's error can quote the endpoint's answer at any length.
func (e Endpoint) RedactError(err error, sent ...string) error {
	return e.boundError(RedactURL(err), sent...)
}

// RedactedURL is the part of a webhook URL that may be shown: scheme, host and port, then "/…".
func RedactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the webhook URL"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// buildError reports a request that could not be built. A URL that does not parse yields a
// *url.Error whose text quotes the URL (and its inner error can quote parts of it, such as the
// port), so that case gets a fixed message instead: webhook URLs are secret.
func buildError(what string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: the webhook URL is not a valid URL (its text is not shown: it may hold a token); "+
			"it must be an http:// or https:// URL with a host", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}
