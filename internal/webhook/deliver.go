package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
)

// Delivery defaults (docs/design.md, "Delivery rules").
const (
	DefaultMaxRetries  = 7
	DefaultBaseBackoff = 500 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second

	// rejectionBodyLimit is how much of a refusing response is kept with a rejected record.
	rejectionBodyLimit = 1 << 10
	// drainLimit is how much of a response body is read past the snippet so the connection can be
	// reused; a larger body costs a new connection, not memory.
	drainLimit = 64 << 10
	// answerBodyWait is how long an answer's body is read for after its headers (Do): a slower
	// body costs a new connection, and a refusal keeps what came of it.
	answerBodyWait = time.Second
	// maxAnswerHeader bounds the headers of an answer the default client reads.
	maxAnswerHeader = 1 << 20
	// maxPooledBuffer keeps one huge batch from pinning its buffer in the pool forever.
	maxPooledBuffer = 16 << 20
)

// Sentinels a caller matches with errors.Is to decide what a failed delivery means for the sync.
var (
	// ErrRetriesExhausted: the endpoint kept failing (network, timeout, 408, 429, 5xx); the records
	// stay pending and the next run resends them.
	ErrRetriesExhausted = errors.New("webhook retries exhausted")
	// ErrRedirect: the endpoint answered 3xx, which is never followed.
	ErrRedirect = errors.New("webhook answered a redirect")
	// ErrGone: the endpoint answered 410; the sync should be paused.
	ErrGone = errors.New("webhook endpoint is gone")
	// ErrUnauthorized: the endpoint answered 401 or 403, refusing the request's credentials; the
	// records stay pending and the run fails.
	ErrUnauthorized = errors.New("webhook refused the credentials")
	// ErrAddressRefused: the network policy (package netpolicy) refused the address the webhook's
	// host resolved to. Retrying cannot help, so the run fails at once; the records stay pending.
	ErrAddressRefused = errors.New("webhook address refused by the network policy")
	// ErrCertificate: the webhook's TLS certificate was refused (not signed by a trusted
	// authority, not for the URL's host, expired or not yet valid). Nothing was sent, and every
	// retry would be refused the same way until the certificate or the URL is fixed, so the run
	// fails at once and its records stay pending.
	ErrCertificate = errors.New("webhook TLS certificate refused")
	// ErrHandshake: the webhook's endpoint answered the TLS handshake in plain HTTP (an https://
	// URL on an http port), or refused it with an alert that a retry does not change (no TLS
	// version or cipher in common, a client certificate required, a host name it does not serve).
	// Nothing was sent, so the run fails at once and its records stay pending.
	ErrHandshake = errors.New("webhook TLS handshake refused")
	// ErrWaitTooLong: the endpoint asked (Retry-After) to wait longer than pacing.MaxRetryAfter
	// before a retry. The run fails at once instead of holding the sync that long; the records stay
	// pending for the next run.
	ErrWaitTooLong = errors.New("webhook asked to wait too long before a retry")
)

// Observer receives delivery metrics. All methods may be called concurrently.
type Observer interface {
	// Request is called after every HTTP attempt; status is 0 when err (already free of the URL) is
	// a network error or timeout.
	Request(status int, err error, d time.Duration)
	// Retry is called each time a retry is scheduled.
	Retry()
	// RateLimitWait is called with the time a request had to wait for the pacer, when it waited.
	RateLimitWait(d time.Duration)
}

// Pacer paces a connection's requests (pacing.Pacer is the one Backflow uses).
type Pacer interface {
	// Acquire waits until one more request may start; done must be called once with what the
	// request got (pacing.NotSent when it was not sent); waited is how long it was held back.
	Acquire(ctx context.Context) (done func(pacing.Answer), waited time.Duration, err error)
}

// Deliverer sends batches of records to one endpoint. Its fields must not change once Deliver has
// been called; Deliver may then be called from several goroutines at once.
type Deliverer struct {
	Endpoint Endpoint
	// Builder builds each request's body, method and path; nil: EnvelopeBuilder, the Census
	// envelope of each batch.
	Builder Builder
	// Client defaults to DefaultClient(): a 30 s timeout, no redirects followed, and every
	// connection checked by the network policy. A client given here should not follow redirects
	// either (CheckRedirect: NoRedirects), and is only checked by the policy if its transport
	// dials with netpolicy.Control.
	Client *http.Client
	// Pacer paces every HTTP attempt, retries included, and learns from its answer; share one
	// among the Deliverers and goroutines that talk to the same connection. nil: not paced.
	Pacer Pacer
	// RecordConcurrency is how many of the records given to one Deliver may be in flight at once
	// when the Builder sends one request per record (PerRecord); 0 or 1: one after the other. A
	// runner sets it to the pacer's most, which then bounds what is in flight on the connection:
	// otherwise a run's batch of batch_size records went one request at a time, whatever the
	// concurrency, and a run of fewer records than batch_size × concurrency sent below it.
	RecordConcurrency int
	// MaxRetries is how many times a batch is retried after its first attempt: 0 means
	// DefaultMaxRetries, a negative value means never.
	MaxRetries int
	// BaseBackoff and MaxBackoff shape the exponential backoff with full jitter before retry n:
	// a random wait in [0, min(MaxBackoff, BaseBackoff·2ⁿ)], raised to Retry-After when the
	// endpoint sent one. Zero means DefaultBaseBackoff and DefaultMaxBackoff.
	BaseBackoff, MaxBackoff time.Duration
	Observer                Observer // may be nil
	// Fence, when set, is called before every request that is not a batch's first attempt (a
	// retry, or a half of a batch being bisected): an error stops the delivery without sending.
	// A runner checks there that it still holds the sync, so that a run that lost it starts no
	// request (its first attempts are checked when their intents are recorded).
	Fence func(ctx context.Context) error
	// FenceFirst, when set, is called before a batch's first attempt (once it holds its pacer
	// slot, right before the request is built): an error stops the delivery without sending. A
	// runner checks there that it was lately known to hold the sync, so that a runner that did
	// not run for a while (paused) starts no request after the sync was taken over.
	FenceFirst func(ctx context.Context) error
	// OnRetry, when set, is called each time a failed attempt is to be retried, before the wait;
	// the function it returns (may be nil) is called when the wait ends. Calls may be concurrent.
	OnRetry func(r Retry) (waited func())
}

// Retry is a failed attempt about to be retried, as OnRetry sees it.
type Retry struct {
	WebhookID   string
	Records     int
	Attempt     int           // the attempt that failed, from 1
	MaxAttempts int           // how many attempts a request gets at most
	Status      int           // its HTTP status; 0 when it got no response
	Err         error         // for Status 0: why (the URL's secret parts removed)
	Wait        time.Duration // before the next attempt
}

// Cause says why the attempt failed: "HTTP 503 Service Unavailable" or the network error.
func (r Retry) Cause() string {
	if r.Status == 0 {
		if r.Err == nil {
			return "no response"
		}
		return r.Err.Error()
	}
	return fmt.Sprintf("HTTP %d %s", r.Status, http.StatusText(r.Status))
}

// Rejection is one record the endpoint refused on its own (a 4xx other than 408, 410 and 429, or
// a 410 or 300 to a path naming the record: Built.RecordPath), or whose request could not be built (a
// template that failed for it: Status 0, never sent).
type Rejection struct {
	Index  int    // into the records given to Deliver
	Status int    // the HTTP status of the refusal; 0: its request could not be built
	Body   string // the first KiB of the response body, or why its request could not be built
}

// Result says what became of the records given to Deliver. Records in neither list were not
// delivered (Deliver returned an error before reaching them) and stay pending.
type Result struct {
	Delivered []int // indexes of records whose batch got a 2xx, in no particular order
	Rejected  []Rejection
	// Requests are the requests Deliver made, in the order they ended: one per webhook-id (the
	// batch, then the halves bisection split off), each with all its attempts. A request that
	// was never attempted (the run stopped first) is not listed.
	Requests []Request
}

// Request is one request Deliver made under one webhook-id, retries included: what the delivery
// log records.
type Request struct {
	WebhookID string
	// First and Count say which records it carried: indexes [First, First+Count) of the
	// records given to Deliver.
	First, Count int
	SentAt       time.Time     // when its first attempt started
	Attempts     int           // HTTP attempts made
	Status       int           // the last attempt's HTTP status; 0 when it got no response
	Latency      time.Duration // the last attempt's, from sending it to its answer (or error)
	Body         string        // the first KiB of the last answer when it was not a 2xx
	Err          string        // why the last attempt got no response (free of the URL), or why sending stopped
	// Unanswered counts the attempts that may have reached the endpoint and got no answer (a
	// timeout, a connection lost or a run stopped while the request was out), or an answer that
	// does not say the records were not taken (TakenAfterAll: a 500, or a gateway's 502 or 504,
	// may come after the server or the gateway's backend took them, a 303 or a 302 after the
	// server handled the request): the endpoint may have taken
	// its records. Attempts that never left (no connection could be made, or the endpoint's
	// certificate was not trusted) do not count.
	Unanswered int
	// RecordPath: the request is one record's and its path names that record's resource
	// (Built.RecordPath), so a 404 or a 410 to it is about that record.
	RecordPath bool
	// KeyPath: the request is one record's and its path names it by its key (Built.KeyPath), so
	// a 404 to it says the endpoint lacks that record.
	KeyPath bool
	// Method and Path are the request's as built (Built.Method and Built.Path; "" when the
	// request could not be built): its route, which a 2xx proves exists.
	Method, Path string
}

// TakenAfterAll reports whether an answer with status may come after the endpoint took the
// request's records: a 5xx other than 503, a 302 or a 303. A 500 says the server failed while
// handling the request, perhaps after applying some of it; a 502 or a 504 comes from a gateway
// whose backend may have applied it before its answer was lost or late; a 303 (See Other) is a
// server's answer to a request it handled, pointing at the result (Post/Redirect/Get), and a 302
// is answered as one by many. A 503 (the server is unavailable), a 4xx, 429 included, and the
// other redirects (301, 307, 308: the resource is elsewhere, ask there) say the request was not
// handled.
func TakenAfterAll(status int) bool {
	return status >= 500 && status <= 599 && status != http.StatusServiceUnavailable ||
		status == http.StatusFound || status == http.StatusSeeOther
}

// MayHaveDelivered reports whether a record that is neither delivered nor rejected may have
// reached the endpoint all the same: some request got no answer to an attempt. When it is false,
// the records not delivered were not taken (each attempt was answered with a refusal, or never
// left), so they are as undelivered as before the run.
func (r *Result) MayHaveDelivered() bool {
	for i := range r.Requests {
		if r.Requests[i].Unanswered > 0 {
			return true
		}
	}
	return false
}

// notSent reports whether err, from a client's Do, means the request never left: no connection
// to the endpoint could be made (a dial error, the network policy refused the address, or the
// TLS handshake failed for good — the endpoint's certificate was not trusted, the endpoint refused
// the handshake, or answered it in plain HTTP — which happens before any byte of the request is
// written).
func notSent(err error) bool {
	var op *net.OpError
	return errors.Is(err, netpolicy.ErrRefused) || errors.As(err, &op) && op.Op == "dial" || tlsRefused(err) != nil
}

// tlsRefused returns, for err from a client's Do, the kind of a TLS handshake that failed for a
// reason that lasts as long as the endpoint or the URL does, unlike a handshake cut short or
// timed out (a network error): ErrCertificate for the endpoint's certificate refused (not signed
// by a trusted authority, not for the URL's host, expired or not yet valid), ErrHandshake for the
// endpoint answering in plain HTTP or refusing the handshake with an alert that says why
// (handshakeAlerts). It returns nil for any other error.
func tlsRefused(err error) error {
	var cert *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &cert) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) {
		return ErrCertificate
	}
	if errors.Is(err, http.ErrSchemeMismatch) {
		return ErrHandshake
	}
	// A received alert is a net.OpError "remote error" around crypto/tls's unexported alert type,
	// whose text is tls.AlertError's for the same code.
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil {
		for _, a := range handshakeAlerts {
			if op.Err.Error() == a.Error() {
				return ErrHandshake
			}
		}
	}
	return nil
}

// handshakeAlerts are the TLS alerts an endpoint sends when it refuses the handshake for a reason
// a retry does not change: no version or cipher in common, a client certificate required or
// refused, a host name it does not serve, access denied. (internal_error, a decode error or a
// close are left to be retried as network errors.)
var handshakeAlerts = []tls.AlertError{
	40,  // handshake_failure
	42,  // bad_certificate
	43,  // unsupported_certificate
	44,  // certificate_revoked
	45,  // certificate_expired
	46,  // certificate_unknown
	48,  // unknown_ca
	49,  // access_denied
	70,  // protocol_version
	71,  // insufficient_security
	112, // unrecognized_name
	116, // certificate_required
	120, // no_application_protocol
}

// tlsError is err (redacted: it names the URL's scheme, host and port, and what failed), when
// tlsRefused, as an error matching its kind that says what to fix; nil otherwise.
func tlsError(err error) error {
	switch tlsRefused(err) {
	case ErrCertificate:
		return fmt.Errorf("%w: %w; fix the endpoint's certificate (the authority that signed it, the host "+
			"names it covers, its dates), or the connection's url if it names the wrong host", ErrCertificate, err)
	case ErrHandshake:
		if errors.Is(err, http.ErrSchemeMismatch) {
			return fmt.Errorf("%w: %w; the url's port serves plain HTTP, not HTTPS: use the endpoint's HTTPS "+
				"port in the connection's url", ErrHandshake, err)
		}
		return fmt.Errorf("%w: %w; the endpoint refused Backflow's TLS handshake (it may require a client "+
			"certificate, a TLS version or cipher Backflow does not offer, or another host name): check the "+
			"connection's url and what the endpoint requires", ErrHandshake, err)
	}
	return nil
}

// OK reports whether the request got a 2xx.
func (r *Request) OK() bool { return r.Status >= 200 && r.Status < 300 }

// DeliveryError is a batch that could not be delivered. It wraps one of ErrRetriesExhausted,
// ErrRedirect, ErrGone, ErrUnauthorized, ErrAddressRefused, ErrCertificate, ErrHandshake or ErrWaitTooLong, and the last
// network error if there was one. It never holds the endpoint's URL or headers.
type DeliveryError struct {
	Kind     error  // ErrRetriesExhausted, ErrRedirect, ErrGone, ErrUnauthorized, ErrAddressRefused, ErrCertificate, ErrHandshake or ErrWaitTooLong
	Status   int    // the last HTTP status; 0 when the last attempt got no response
	Attempts int    // HTTP attempts made for the batch
	Body     string // the first KiB of the last response body
	Location string // for ErrRedirect: the redirect's scheme and host only (its path may hold a token)
	// RetryAfter is, for ErrWaitTooLong, the Retry-After header's value (its first 64 bytes).
	RetryAfter string
	Err        error // the last network error, URL removed; nil when there was a response
}

func (e *DeliveryError) Error() string {
	switch e.Kind {
	case ErrGone:
		return fmt.Sprintf("the endpoint answered 410 Gone: it says it no longer accepts deliveries, so the "+
			"sync is paused; fix the connection's url and unpause the sync (response body: %q)", e.Body)
	case ErrUnauthorized:
		return fmt.Sprintf("the webhook answered HTTP %d: the destination refused the credentials, so nothing "+
			"more was sent and the records stay pending; check the connection's credentials (its headers and the "+
			"token or key they carry, its oauth2 or basic_auth block) and the signing secret (response body: %q)", e.Status, e.Body)
	case ErrAddressRefused:
		// e.Err names the refused address and the setting that allows it.
		return fmt.Sprintf("the batch was not sent, and its records stay pending: %v", e.Err)
	case ErrCertificate, ErrHandshake:
		// e.Err names the host (scheme, host and port of the URL) and what failed.
		return fmt.Sprintf("the batch was not sent, and its records stay pending: %v", e.Err)
	case ErrWaitTooLong:
		return fmt.Sprintf("the webhook answered HTTP %d asking to wait more than the %s a run waits before a retry "+
			"(Retry-After: %q): the run stops and its records stay pending for the next run (response body: %q)",
			e.Status, pacing.MaxRetryAfter, e.RetryAfter, e.Body)
	case ErrRedirect:
		if e.Location == "" {
			// No Location: not a redirect to follow, and the body is all that says what the
			// endpoint meant (a 300 Multiple Choices lists the resources the path matched).
			return fmt.Sprintf("the webhook answered HTTP %d %s without a Location, which a delivery cannot take as "+
				"done: the records stay pending; check the connection's url and the request's path (response body: %q)",
				e.Status, http.StatusText(e.Status), e.Body)
		}
		if TakenAfterAll(e.Status) {
			// Post/Redirect/Get: the endpoint may have applied the batch before pointing
			// elsewhere; its records are sent again next run.
			return fmt.Sprintf("the webhook answered HTTP %d redirecting to %s, and redirects are not followed: "+
				"the endpoint may have applied the batch (a %d is a server's answer to a request it handled), so "+
				"its records stay pending and are sent again next run; have the endpoint answer 2xx, or set the "+
				"connection's url to the final address if it moved", e.Status, e.Location, e.Status)
		}
		return fmt.Sprintf("the webhook answered HTTP %d redirecting to %s, and redirects are not followed: "+
			"set the connection's url to the final address", e.Status, e.Location)
	}
	var last string
	if e.Status == 0 {
		last = fmt.Sprintf("got no response (%v)", e.Err)
	} else {
		last = fmt.Sprintf("answered HTTP %d with body %q", e.Status, e.Body)
	}
	return fmt.Sprintf("the webhook failed all %d attempts of a batch; the last one %s; its records "+
		"stay pending for the next run: %v", e.Attempts, last, e.Kind)
}

func (e *DeliveryError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// defaultClient is shared so connections to an endpoint are reused across Deliverers; its transport
// keeps more idle connections per host than http.DefaultTransport's two, since a sync posts to one
// host from several goroutines.
//
// Its dialer checks every connection with the network policy (netpolicy.Control) on the resolved
// address, just before connecting, so whoever writes a webhook URL cannot make Backflow call a
// metadata service or (when the operator refuses private networks) another internal service,
// whether by IP literal or by a name that resolves, or re-resolves, to it. Through a proxy
// (HTTPS_PROXY and friends) the address dialled is the proxy's: netpolicy.ProxyFromEnvironment
// refuses refused IP literals before choosing one, and names are left to the proxy's own rules.
var defaultClient = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	// An answer's headers are read whole before anything judges them: net/http's default limit
	// is 10 MiB a response, 640 MiB for the 64 requests an adaptive connection has in flight
	// (2.5 GiB at max_concurrency 256), for an endpoint that pads them. No webhook's answer
	// needs more than a few KiB; one over the limit is no answer (the records may have been
	// taken: retried, intent kept).
	t.MaxResponseHeaderBytes = maxAnswerHeader
	// The same timeouts as http.DefaultTransport's dialer.
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: netpolicy.Control}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return wholeBodyConn{c}, nil
	}
	t.Proxy = netpolicy.ProxyFromEnvironment
	t.TLSClientConfig = &tls.Config{GetClientCertificate: noClientCertificate}
	return &http.Client{Timeout: 30 * time.Second, CheckRedirect: NoRedirects, Transport: t}
}()

// DefaultClient is the client requests to webhooks use when none is given: a 30 s timeout, no
// redirects followed, connections checked by the network policy. It is shared; do not modify it.
func DefaultClient() *http.Client { return defaultClient }

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// Deliver sends records (each a JSON object) of operation op (controlplane.OpNew, OpChanged or
// OpDeleted; the envelope says "changed" for new records), in requests the Builder builds — one
// per batch, or one per record — as docs/design.md "Delivery rules" says: 2xx delivers them all;
// network errors, timeouts, 408, 429 and 5xx are retried with the same webhook-id; a 3xx, a 401,
// a 403 or a 410 stops (but a 410 or 300 to a path naming the record, Built.RecordPath, refuses
// that record alone); any other 4xx splits the batch in halves, each a new batch with a new
// webhook-id, until the refused records stand alone and are rejected. Records whose request cannot
// be built are rejected the same way, without a request. On error the Result still lists what was
// delivered or rejected before it. No records, no request.
func (d *Deliverer) Deliver(ctx context.Context, meta *Meta, op string, records [][]byte) (Result, error) {
	var res Result
	if len(records) == 0 {
		return res, nil
	}
	if d.builder().PerRecord() {
		err := d.deliverRecords(ctx, meta, op, records, &res)
		return res, err
	}
	err := d.deliverRange(ctx, meta, op, records, 0, &res, false, nil, nil)
	return res, err
}

// halt stops the requests of one Deliver's records once one of them failed (deliverRecords): a
// request waiting for the pacer, or to be retried, is then not sent. The failing request sets it
// before it gives its pacer slot back, so no request the slot lets go is sent after the failure.
type halt struct{ stopped atomic.Bool }

// errHalted ends a record's request that another record's failure stopped before it was sent
// (halt); Deliver returns the failure, never this.
var errHalted = errors.New("webhook delivery stopped: another record's request of the batch failed, so no more were sent")

// deliverRecords sends each record in a request of its own, up to RecordConcurrency of them at
// once (the Pacer bounds what is in flight on the connection). A record is taken, and its body
// built, once the pacer lets its request go: taken before, each of the RecordConcurrency records
// of each of the batches sent at once held a body while waiting. After an error no more records
// are started; those in flight end, and are listed, before the first error is returned.
func (d *Deliverer) deliverRecords(ctx context.Context, meta *Meta, op string, records [][]byte, res *Result) error {
	width := min(max(d.RecordConcurrency, 1), len(records))
	if width == 1 {
		for i := range records {
			if err := d.deliverRange(ctx, meta, op, records[i:i+1], i, res, false, nil, nil); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
		stop  halt
	)
	// take takes the next record to send (look: only says whether there is one); false: none
	// is left, or one failed.
	take := func(look bool) (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || stop.stopped.Load() || next == len(records) {
			return 0, false
		}
		if look {
			return next, true
		}
		next++
		return next - 1, true
	}
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil && !errors.Is(err, errHalted) {
			first = err
		}
	}
	for range width {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// A record is taken once the pacer lets its request go.
				if _, more := take(true); !more {
					return
				}
				paced, err := d.pace(ctx)
				if err != nil {
					fail(err)
					return
				}
				i, more := take(false)
				if !more {
					paced(pacing.NotSent)
					return
				}
				var one Result
				err = d.deliverRange(ctx, meta, op, records[i:i+1], i, &one, false, &stop, paced)
				mu.Lock()
				res.Delivered = append(res.Delivered, one.Delivered...)
				res.Rejected = append(res.Rejected, one.Rejected...)
				res.Requests = append(res.Requests, one.Requests...)
				mu.Unlock()
				if err != nil {
					fail(err)
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func (d *Deliverer) builder() Builder {
	if d.Builder == nil {
		return EnvelopeBuilder{}
	}
	return d.Builder
}

// deliverRange delivers records, which start at index base of the caller's slice.
// bisected: records are a half of a batch being bisected. stop, when not nil, is the halt of
// the records sent alongside these. held, when not nil, is the pacer slot its first attempt
// already holds (Pacer.Acquire's done).
func (d *Deliverer) deliverRange(ctx context.Context, meta *Meta, op string, records [][]byte, base int, res *Result, bisected bool,
	stop *halt, held func(pacing.Answer)) error {
	bp := bufPool.Get().(*[]byte)
	if need := bodySizeHint(records); cap(*bp) < need && need <= maxPooledBuffer {
		// Sized once: the pool is emptied by garbage collections, and a body grown by appends
		// would be copied several times on its way to a batch's size.
		*bp = make([]byte, 0, need)
	}
	built, berr := d.builder().Build((*bp)[:0], meta, op, records)
	var out outcome
	var err error
	rq := Request{First: base, Count: len(records)}
	if berr != nil {
		// Building depends only on the records, so a retry would fail the same way: the records
		// are refused as a 4xx would refuse them, and bisection finds which.
		msg := berr.Error()
		if rs, ok := d.builder().(*Requests); ok {
			msg = hideStrings(msg, rs.hidden) // it may quote what a template wrote as it is
		}
		out = outcome{refused: -1, body: truncate(msg, rejectionBodyLimit), bodyFree: true}
		if held != nil {
			held(pacing.NotSent)
		}
	} else {
		rq.RecordPath, rq.KeyPath = built.RecordPath, built.KeyPath
		rq.Method, rq.Path = built.Method, built.Path
		out, err = d.sendBatch(ctx, &built, &rq, bisected, stop, held)
	}
	switch body := built.Body; {
	case body == nil:
		bufPool.Put(bp) // nothing was built in it
	case out.bodyFree && cap(body) <= maxPooledBuffer:
		*bp = body[:0]
		bufPool.Put(bp)
	}
	if rq.Attempts > 0 {
		var de *DeliveryError
		if err != nil && rq.Err == "" && !errors.As(err, &de) {
			rq.Err = err.Error() // stopped while waiting to retry: the last answer is recorded
		}
		res.Requests = append(res.Requests, rq)
	}
	if err != nil {
		return err
	}
	if out.refused == 0 {
		for i := range records {
			res.Delivered = append(res.Delivered, base+i)
		}
		return nil
	}
	if len(records) == 1 {
		res.Rejected = append(res.Rejected, Rejection{Index: base, Status: max(out.refused, 0), Body: out.body})
		return nil
	}
	// A refusal is about the batch's content, so halving finds the culprits in about
	// 2·k·log₂(n) requests for k bad records among n, and the good ones still go through.
	half := len(records) / 2
	if err := d.deliverRange(ctx, meta, op, records[:half], base, res, true, stop, nil); err != nil {
		return err
	}
	return d.deliverRange(ctx, meta, op, records[half:], base+half, res, true, stop, nil)
}

// bodySizeHint is about the size of a body that carries records: their bytes, a comma each, and
// room for the envelope (or a template's text) around them.
func bodySizeHint(records [][]byte) int {
	n := 1 << 10
	for _, r := range records {
		n += len(r) + 1
	}
	return n
}

// errTextLimit bounds the text of a transport error an attempt keeps.
const errTextLimit = 1 << 10

// answerError is a transport error with its text bounded and scrubbed; errors.Is and errors.As
// still see the error it wraps.
type answerError struct {
	text string
	err  error
}

func (e *answerError) Error() string { return e.text }
func (e *answerError) Unwrap() error { return e.err }

// boundError keeps err's text to errTextLimit bytes, with the connection's secrets replaced
// (Scrub; sent are the Authorization values the request carried). net/http quotes the answer in
// some of its errors (`malformed HTTP response "…"`, `malformed MIME header: missing colon:
// "…"`), up to the whole of its headers: an endpoint's words, of any length, possibly echoing
// the request's credentials, bound for logs, run errors, the delivery log and notifications.
func (e Endpoint) boundError(err error, sent ...string) error {
	if err == nil {
		return nil
	}
	// Scrubbed before it is cut to the bound: cut first, a secret the cut fell inside ended with
	// the cut's "…", and the scrub, which finds a cut secret by its start at the end, missed it.
	// The text is scrubbed up to a few times the bound (cut there without a mark, so a secret the
	// first cut falls inside is found by its start).
	return &answerError{text: cutText(e.Scrub(truncate(err.Error(), 4*errTextLimit), sent...), errTextLimit), err: err}
}

// cutText cuts s to at most n bytes on a rune boundary, marking the cut with "…".
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// A rune cut in two is invalid UTF-8, which ToValidUTF8 drops.
	return strings.ToValidUTF8(s[:n-len("…")], "") + "…"
}

// truncate cuts s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// outcome is how a batch ended when sendBatch returned no error.
type outcome struct {
	refused  int    // the 4xx (or 300) status that refused the batch; 0 when it was delivered, -1 when it could not be built
	body     string // the first KiB of the refusing response
	bodyFree bool   // the transport is done with the request body, so its buffer may be reused
}

// sendBatch posts body until it is delivered, refused, or fails for good. Every attempt carries the
// same webhook-id so the endpoint can deduplicate, and a fresh signature timestamp. It fills rq
// with the request's identity and its last attempt. fenceFirst: the first attempt is checked
// with Fence too. stop, when not nil, is set when it returns an error, before its pacer slot is
// given back, and once set no attempt of it is sent (errHalted). held, when not nil, is the
// pacer slot the first attempt holds already.
func (d *Deliverer) sendBatch(ctx context.Context, built *Built, rq *Request, fenceFirst bool, stop *halt,
	held func(pacing.Answer)) (_ outcome, ferr error) {
	body := built.Body
	client := d.Client
	if client == nil {
		client = defaultClient
	}
	maxRetries := d.MaxRetries
	if maxRetries == 0 {
		maxRetries = DefaultMaxRetries
	} else if maxRetries < 0 {
		maxRetries = 0
	}
	id := NewMessageID()
	rq.WebhookID = id
	var open atomic.Int32 // request bodies the transport has not closed yet
	refreshed := false    // the OAuth2 token was refreshed after a 401
	// sent counts the HTTP attempts; attempt counts the tries, which include those that failed
	// before sending, at the OAuth2 token endpoint.
	sent := 0
	// release gives back the pacer slot of the attempt answered last, with what it learned: on
	// return, after stop is set, so that a request the slot lets go sees it.
	var release func()
	defer func() {
		if ferr != nil && stop != nil {
			stop.stopped.Store(true)
		}
		if release != nil {
			release()
		}
	}()
	for attempt := 1; ; attempt++ {
		paced, err := held, error(nil)
		if held == nil {
			paced, err = d.pace(ctx)
		}
		held = nil
		if err != nil {
			return outcome{bodyFree: open.Load() == 0}, err
		}
		if stop != nil && stop.stopped.Load() {
			paced(pacing.NotSent)
			return outcome{bodyFree: open.Load() == 0}, errHalted
		}
		fence := d.FenceFirst
		if attempt > 1 || fenceFirst {
			fence = d.Fence
		}
		if fence != nil {
			if err := fence(ctx); err != nil {
				paced(pacing.NotSent)
				return outcome{bodyFree: open.Load() == 0}, err
			}
		}
		req, err := d.Endpoint.BuildRequest(ctx, id, built)
		if err != nil {
			paced(pacing.NotSent)
			tokenRetryAfter, transient := transientToken(err)
			if !transient || ctx.Err() != nil || tokenRetryAfter > pacing.MaxRetryAfter {
				return outcome{bodyFree: open.Load() == 0}, err
			}
			if attempt > maxRetries {
				return outcome{bodyFree: open.Load() == 0}, fmt.Errorf("%w (tried %d times)", err, attempt)
			}
			// The OAuth2 token endpoint failed in a way a later fetch may not (no answer, 408,
			// 429, 5xx): the batch, not sent, is tried again after the same backoff as a failed
			// attempt (at least the endpoint's Retry-After; one past MaxRetryAfter fails the run
			// now), within the same number of attempts.
			if serr := d.retryWait(ctx, id, rq.Count, attempt, maxRetries, 0, err, tokenRetryAfter); serr != nil {
				return outcome{bodyFree: open.Load() == 0}, serr
			}
			continue
		}
		// The transport may still be reading the body after Do returns (when the server answers
		// before reading it all); tracking closes keeps the pooled buffer from being reused then.
		// An empty body stays http.NoBody, which net/http sends with Content-Length: 0 (a body
		// of unknown length would go chunked, which some endpoints refuse with 411).
		if len(body) > 0 {
			req.Body = newTrackedBody(body, &open)
			req.GetBody = func() (io.ReadCloser, error) { return newTrackedBody(body, &open), nil }
		}

		start := time.Now()
		sent++
		if sent == 1 {
			rq.SentAt = start
		}
		// The status and headers decide; the body is read only for a refusal's first KiB and to
		// reuse the connection, so an endpoint that drips it (or never sends it) is given up on
		// after answerBodyWait instead of holding the request until the client's timeout.
		resp, answered, err := Do(client, req)
		elapsed := time.Since(start)
		switch {
		case err == nil && (resp.StatusCode < 100 || resp.StatusCode > 599):
			// net/http takes any three digits as a status, 000 and 999 included (and refuses
			// "2000" or "-01" as malformed). None is an HTTP answer: as for a malformed one, the
			// request got no answer it can be judged by, and the endpoint may have taken it. A
			// status 0 would otherwise read as "no response" with no error to say why.
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
			resp.Body.Close()
			err = &url.Error{Op: req.Method, URL: req.URL.String(),
				Err: fmt.Errorf("malformed HTTP status code %03d: not between 100 and 599", resp.StatusCode)}
			resp = nil
		}
		var status int
		var snippet string
		var retryAfter time.Duration
		var location string
		var header http.Header
		if err != nil {
			err = d.Endpoint.RedactError(err, req.Header.Get("Authorization"))
		} else {
			status, header = resp.StatusCode, resp.Header
			if status < 200 || status >= 300 {
				// Only a refusal's answer is kept: a 2xx's is drained unread, off the hot path.
				snippet = d.Endpoint.Scrub(AnswerSnippet(resp, rejectionBodyLimit), req.Header.Get("Authorization"))
				if rs, ok := d.builder().(*Requests); ok {
					// An endpoint that prints the request it refused echoes what a template wrote.
					snippet = hideAnswer(snippet, rs.hidden)
				}
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
			resp.Body.Close()
			// Read with room past the bound, to tell an endpoint that asks for more than it.
			retryAfter = pacing.AnswerRetryAfter(resp.Header, time.Now(), pacing.MaxRetryAfter+time.Second)
			// The endpoint writes it: the connection's secrets it may echo are scrubbed, as from its body.
			location = d.Endpoint.Scrub(redactLocation(resp.Header.Get("Location")), req.Header.Get("Authorization"))
		}
		answered()
		answer := pacing.Answer{Status: status, Latency: elapsed, Header: header}
		if err != nil && ctx.Err() != nil {
			answer = pacing.NotSent // stopped, not an answer: nothing to learn from it
		}
		release = func() { paced(answer) }
		rq.Attempts, rq.Status, rq.Latency, rq.Body, rq.Err = sent, status, elapsed, "", ""
		if err != nil {
			rq.Err = err.Error()
			if !notSent(err) {
				rq.Unanswered++
			}
		} else if status < 200 || status >= 300 {
			rq.Body = snippet
			if TakenAfterAll(status) {
				rq.Unanswered++
			}
		}
		if d.Observer != nil {
			d.Observer.Request(status, err, elapsed)
		}
		if err != nil && ctx.Err() != nil {
			return outcome{bodyFree: open.Load() == 0}, fmt.Errorf("webhook delivery stopped: %w", ctx.Err())
		}
		switch {
		case err != nil && errors.Is(err, netpolicy.ErrRefused):
			// The address, not the endpoint, is the problem: every retry would be refused the same
			// way, so the run fails now with the policy's message.
			return outcome{bodyFree: open.Load() == 0}, &DeliveryError{Kind: ErrAddressRefused,
				Attempts: sent, Err: err}
		case err != nil && tlsRefused(err) != nil:
			// As for a refused address, every retry would be refused the same way.
			return outcome{bodyFree: open.Load() == 0}, &DeliveryError{Kind: tlsRefused(err),
				Attempts: sent, Err: tlsError(err)}
		case err != nil:
			// Network errors and timeouts: retried below.
		case status >= 200 && status < 300:
			return outcome{bodyFree: open.Load() == 0}, nil
		case status == http.StatusMultipleChoices && built.RecordPath:
			// A path naming one record that names several resources at the endpoint (Salesforce's
			// upsert by an external id held by more than one of its records), which applied
			// nothing: that record is refused alone, as a 4xx refuses it. Failing the run as a
			// redirect would fail every run on the same record.
			return outcome{refused: status, body: snippet, bodyFree: open.Load() == 0}, nil
		case status >= 300 && status < 400:
			return outcome{bodyFree: open.Load() == 0}, &DeliveryError{Kind: ErrRedirect, Status: status,
				Attempts: sent, Body: snippet, Location: location}
		case status == http.StatusGone && !built.RecordPath:
			return outcome{bodyFree: open.Load() == 0}, &DeliveryError{Kind: ErrGone, Status: status,
				Attempts: sent, Body: snippet}
		case status == http.StatusUnauthorized && d.Endpoint.OAuth2 != nil && !refreshed:
			// The token was revoked or rotated before its expiry: one new token and, at once, one
			// more attempt; a second 401 is handled as below.
			refreshed = true
			d.Endpoint.OAuth2.Invalidate(req.Header.Get("Authorization"))
			release()
			release = nil
			continue
		case status == http.StatusUnauthorized, status == http.StatusForbidden:
			// Deviation from the design contract ("other 4xx: the batch is split in halves"): 401 and 403 are
			// about the request's credentials, not the records, so every half would be refused too.
			// Bisecting would send each record alone and mark them all rejected, and the run would
			// "succeed" having delivered nothing. Failing the run keeps the records pending and says
			// what to fix.
			return outcome{bodyFree: open.Load() == 0}, &DeliveryError{Kind: ErrUnauthorized, Status: status,
				Attempts: sent, Body: snippet}
		case transientStatus(status) && retryAfter > pacing.MaxRetryAfter:
			return outcome{bodyFree: open.Load() == 0}, &DeliveryError{Kind: ErrWaitTooLong, Status: status,
				Attempts: sent, Body: snippet, RetryAfter: truncate(header.Get("Retry-After"), 64)}
		case transientStatus(status):
			// Retried below.
		case status >= 400:
			return outcome{refused: status, body: snippet, bodyFree: open.Load() == 0}, nil
		}
		if attempt > maxRetries {
			return outcome{bodyFree: open.Load() == 0}, &DeliveryError{Kind: ErrRetriesExhausted,
				Status: status, Attempts: sent, Body: snippet, Err: err}
		}
		release()
		release = nil
		if serr := d.retryWait(ctx, id, rq.Count, attempt, maxRetries, status, err, retryAfter); serr != nil {
			return outcome{bodyFree: open.Load() == 0}, serr
		}
	}
}

// transientStatus is whether an answer's status may not be the next attempt's: 408, 429 or a
// 5xx. A delivery retries it, from the webhook or from its OAuth2 token endpoint (transientTokenError).
func transientStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// retryWait counts and announces a retry of a batch's attempt, which failed with status or err,
// and waits the backoff before it (at least retryAfter), or until ctx is done.
func (d *Deliverer) retryWait(ctx context.Context, id string, records, attempt, maxRetries, status int, err error,
	retryAfter time.Duration) error {
	if d.Observer != nil {
		d.Observer.Retry()
	}
	wait := max(d.backoff(attempt-1), retryAfter)
	var waited func()
	if d.OnRetry != nil {
		waited = d.OnRetry(Retry{WebhookID: id, Records: records, Attempt: attempt, MaxAttempts: maxRetries + 1,
			Status: status, Err: err, Wait: wait})
	}
	serr := sleep(ctx, wait)
	if waited != nil {
		waited()
	}
	return serr
}

// Do sends req with client as deliveries do, and returns the answer, whose body may be read
// for answerBodyWait after its headers came: then req's context is cancelled, and reading the
// rest fails (what was read is kept). An endpoint that sends a status and then drips its body,
// or never sends it, would otherwise hold the request until the client's timeout. done must be
// called once the body has been read or closed, whatever err is.
//
// With DefaultClient, a request that got no answer on a connection whose TLS handshake asked for
// a client certificate says so in its error (Backflow sends none): a TLS 1.2 endpoint refusing
// the handshake for it sends only "handshake failure", and in TLS 1.3 the endpoint refuses after
// the handshake, its alert often lost to the connection reset that follows (the error names the
// reset, not the alert, and the attempt is retried).
//
// A redirect is never followed, and is returned as it came whatever its Location; a 101 is an
// error (see unfollowed).
func Do(client *http.Client, req *http.Request) (resp *http.Response, done func(), err error) {
	asked := new(atomic.Bool)
	parent, stop := context.WithValue(req.Context(), clientCertAskedKey{}, asked), context.CancelFunc(func() {})
	if client.Timeout > 0 {
		// Applied here, as the client would: the client from unfollowed has none.
		parent, stop = context.WithTimeout(parent, client.Timeout)
	}
	ctx, cancel := context.WithCancel(parent)
	resp, err = unfollowed(client).Do(req.WithContext(ctx))
	if resp != nil {
		if v, ok := resp.Header[heldLocation]; ok {
			delete(resp.Header, heldLocation)
			resp.Header["Location"] = v
		}
	}
	var ue *url.Error
	if err != nil && parent.Err() != nil && req.Context().Err() == nil && errors.As(err, &ue) {
		// As net/http says it of its own Client.Timeout, and still a timeout (ue.Timeout()).
		ue.Err = clientTimeout{fmt.Errorf("%w (no answer within the client's timeout of %s)", ue.Err, client.Timeout)}
	}
	if err != nil && asked.Load() && closedOrRefused(err) && errors.As(err, &ue) {
		ue.Err = fmt.Errorf("%w (the endpoint asked for a client certificate in the TLS handshake and Backflow "+
			"sends none: an endpoint that requires one closes the connection this way)", ue.Err)
	}
	timer := time.AfterFunc(answerBodyWait, cancel)
	return resp, func() { timer.Stop(); cancel(); stop() }, err
}

// clientTimeout is the error of a request Do's client timeout ended: a timeout, as net/http's
// own Client.Timeout error is (*url.Error's Timeout reads it from its Err, which a wrapped error
// alone would hide).
type clientTimeout struct{ error }

func (e clientTimeout) Unwrap() error { return e.error }
func (clientTimeout) Timeout() bool   { return true }
func (clientTimeout) Temporary() bool { return true }

// heldLocation is the header a client from unfollowed keeps a redirect's Location in.
const heldLocation = "Backflow-Unfollowed-Location"

// unfollowed is client, which should not follow redirects (CheckRedirect: NoRedirects), made to
// return what net/http's client would otherwise act on, or wait on, as the endpoint's answer (or
// as no answer): every request to a webhook (Do) and to its OAuth2 token endpoint (TokenSource)
// is sent with it.
//
//   - A redirect is returned as it came. net/http's client parses the Location of a 301, 302,
//     303, 307 or 308 before it asks CheckRedirect whether to follow it, and one that does not
//     parse (a "%" that starts no escape, a port that is not a number) made the answer an error,
//     "failed to parse Location header" quoting it: a redirect the endpoint answered was taken
//     for no answer, retried as a network error up to the batch's attempts, and its records kept
//     as perhaps taken; a token endpoint's was retried too. Its transport moves a 3xx's Location
//     aside (heldLocation), so the client, seeing none, returns the answer; Do puts it back.
//   - A 1xx final answer is an error. net/http reads past informational answers but returns a
//     101 (Switching Protocols), whose body is the connection itself, handed over: neither the
//     request's context, nor the client's timeout, nor answerBodyWait reaches it, and reading it
//     (a test's or a notification's answer, a token endpoint's) waited for whatever the endpoint
//     sent next, for as long as it kept the connection open; a token fetch blocked so kept every
//     later fetch of its connection waiting. No upgrade is ever asked for, so it answers nothing.
//
// Its Timeout is 0: the caller's context applies client's (Do's, a token fetch's), since net/http
// times out a request through a transport it does not know with a goroutine and a timer of its
// own per request.
func unfollowed(client *http.Client) *http.Client {
	if _, ok := client.Transport.(asAnswered); ok {
		return client
	}
	c := *client
	c.Timeout = 0
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = asAnswered{rt}
	return &c
}

// asAnswered is the transport of a client from unfollowed.
type asAnswered struct{ http.RoundTripper }

func (a asAnswered) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.RoundTripper.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode >= 100 && resp.StatusCode < 200:
		resp.Body.Close()
		return nil, fmt.Errorf("HTTP %d as the final answer to a request that asked for no upgrade", resp.StatusCode)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		if v, ok := resp.Header["Location"]; ok {
			delete(resp.Header, "Location")
			resp.Header[heldLocation] = v
		}
	}
	return resp, nil
}

// closedOrRefused is whether err, from a client's Do, is the way an endpoint refusing a missing
// client certificate makes a request fail: a handshake refused with an alert, or the connection
// closed or reset under it. A timeout, a stopped request, an answer too large or malformed are
// not (the hint would send whoever reads the error after a certificate an endpoint that merely
// asks for one does not need).
func closedOrRefused(err error) bool {
	var ne net.Error
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	if kind := tlsRefused(err); kind != nil {
		return kind == ErrHandshake && !errors.Is(err, http.ErrSchemeMismatch)
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		strings.Contains(err.Error(), "server closed idle connection") // net/http's errServerClosedIdle
}

// clientCertAskedKey is the request context's key for the flag DefaultClient's TLS handshakes set
// when the endpoint asks for a client certificate.
type clientCertAskedKey struct{}

// noClientCertificate is DefaultClient's answer to an endpoint asking for a client certificate:
// none, as without the callback, noted in the handshake's context for Do.
func noClientCertificate(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	if asked, ok := cri.Context().Value(clientCertAskedKey{}).(*atomic.Bool); ok {
		asked.Store(true)
	}
	return &tls.Certificate{}, nil
}

// backoff is the full-jitter wait before retry n (0-based).
func (d *Deliverer) backoff(n int) time.Duration {
	base, ceiling := d.BaseBackoff, d.MaxBackoff
	if base <= 0 {
		base = DefaultBaseBackoff
	}
	if ceiling <= 0 {
		ceiling = DefaultMaxBackoff
	}
	limit := base
	for i := 0; i < n && limit < ceiling; i++ {
		limit *= 2
	}
	return rand.N(min(limit, ceiling) + 1)
}

// pace waits for the pacer and returns the function that gives it the request's answer.
func (d *Deliverer) pace(ctx context.Context) (func(pacing.Answer), error) {
	if d.Pacer == nil {
		return func(pacing.Answer) {}, nil
	}
	done, waited, err := d.Pacer.Acquire(ctx)
	if waited > 0 && d.Observer != nil {
		d.Observer.RateLimitWait(waited)
	}
	return done, err
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("webhook delivery stopped: %w", ctx.Err())
	}
}

// redactLocation keeps a redirect target's scheme and host: enough to see an http→https or domain
// move, without the path or query where webhook URLs carry their tokens.
func redactLocation(loc string) string {
	if loc == "" {
		return ""
	}
	u, err := url.Parse(loc)
	switch {
	case err != nil:
		return "a location that is not a valid URL"
	case u.Host == "":
		return "a relative location on the same host"
	}
	// A host name has at most 253 characters: a longer one is an endpoint's padding, cut
	// (the Location header can run to the limit of an answer's headers). It is kept printable:
	// url.Parse lets through a host's non-ASCII characters, controls that reorder or hide the text
	// around them (U+202E) among them.
	scheme := cutText(u.Scheme, 16) + ":" // "//host/x": the request's scheme
	if u.Scheme == "" {
		scheme = ""
	}
	return scheme + "//" + printableExcerpt(strings.NewReader(u.Host), 260) + "/…"
}

// trackedBody is a request body that counts itself open until the transport closes it.
type trackedBody struct {
	bytes.Reader
	open   *atomic.Int32
	closed atomic.Bool
}

func newTrackedBody(b []byte, open *atomic.Int32) *trackedBody {
	open.Add(1)
	t := &trackedBody{open: open}
	t.Reset(b)
	return t
}

func (t *trackedBody) Close() error {
	if t.closed.CompareAndSwap(false, true) {
		t.open.Add(-1)
	}
	return nil
}
