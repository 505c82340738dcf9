package webhook_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// rawServer is an endpoint that answers with raw bytes on the connection: what net/http's server
// would never send (a status of 000, a 1xx storm, a header of megabytes, a reset mid-answer).
// Each request is read whole (headers and body) before answer runs; the connection is closed
// when it returns.
type rawServer struct {
	url      string
	requests atomic.Int64
	headers  chan http.Header // of each request, when not full
}

func newRawServer(t *testing.T, answer func(c net.Conn, n int)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{url: "http://" + ln.Addr().String() + "/hook", headers: make(chan http.Header, 64)}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				go func() { <-stop; c.Close() }()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				select {
				case s.headers <- req.Header:
				default:
				}
				answer(c, int(s.requests.Add(1)))
			}()
		}
	}()
	return s
}

// hostileEndpoint is a connection with every kind of credential, to check none leaks.
func hostileEndpoint(url string) webhook.Endpoint {
	return webhook.Endpoint{URL: url, SigningSecret: "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTEyMzQ1Njc4",
		Headers: map[string]string{"Authorization": "Bearer s3cr3t-bearer-token", "X-Api-Key": "s3cr3t-api-key-value"}}
}

func deliverTo(t *testing.T, url string, client *http.Client) (webhook.Result, error) {
	t.Helper()
	d := fast(&webhook.Deliverer{Endpoint: hostileEndpoint(url), MaxRetries: 2, Client: client})
	return d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1))
}

// oneConnectionEach is the default client without keep-alive, for a rawServer that closes the
// connection after its answer without saying so (Connection: close): the default client keeps it
// idle, and a retry sent on it before the close is seen fails with no answer (an unanswered
// attempt the test did not mean, and a request the server never counts).
var oneConnectionEach = func() *http.Client {
	c := *webhook.DefaultClient()
	t := c.Transport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	c.Transport = t
	return &c
}()

// untimed is the default client without its 30 s timeout: a request it sends waits for as long
// as the endpoint makes it, so that a bound of Backflow's own is all that can end the wait.
var untimed = func() *http.Client {
	c := *webhook.DefaultClient()
	c.Timeout = 0
	return &c
}()

// hangLimit ends a wait that, without the bound a test is about, would last for ever (a body
// never given up on): far above any time the bounded wait takes, it stops the test from hanging,
// and never fails one for being slow. untilHung gives a context that ends then, and hung says
// whether it did.
const hangLimit = time.Minute

func untilHung(t *testing.T) (ctx context.Context, hung func() bool) {
	ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
	t.Cleanup(cancel)
	return ctx, func() bool { return ctx.Err() != nil }
}

// answer writes raw as the answer.
func answer(raw string) func(c net.Conn, n int) {
	return func(c net.Conn, _ int) { _, _ = io.WriteString(c, raw) }
}

// endless answers status with a chunked body of 1 GiB, or until the client hangs up.
func endless(status string) func(c net.Conn, n int) {
	chunk := fmt.Sprintf("%x\r\n%s\r\n", 32<<10, strings.Repeat("x", 32<<10))
	return func(c net.Conn, _ int) {
		fmt.Fprintf(c, "HTTP/1.1 %s\r\nTransfer-Encoding: chunked\r\n\r\n", status)
		for range 1 << 15 {
			if _, err := io.WriteString(c, chunk); err != nil {
				return
			}
		}
	}
}

// bomb is 200 MiB of zeros compressed by compress (gzip or deflate).
func bomb(t *testing.T, encoding string) []byte {
	var buf bytes.Buffer
	var w io.WriteCloser
	if encoding == "gzip" {
		w, _ = gzip.NewWriterLevel(&buf, gzip.BestCompression)
	} else {
		w, _ = flate.NewWriter(&buf, flate.BestCompression)
	}
	zero := make([]byte, 1<<20)
	for range 200 {
		if _, err := w.Write(zero); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// allocated is how many bytes f allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// checkNoSecret fails when s holds one of hostileEndpoint's credentials.
func checkNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{"s3cr3t", "c2VjcmV0LXNpZ25pbmcta2V5"} {
		if strings.Contains(s, secret) {
			t.Errorf("%s %.300q holds a credential (%s)", what, s, secret)
		}
	}
}

// A status outside 100 to 599 is no HTTP answer. net/http takes any three digits (000, 099, 600,
// 999) and refuses others ("2000", "-01") as malformed; both are now the same: the attempt got
// no answer (status 0 with the reason), is retried, and the records may have been taken (the
// endpoint read the whole request), so the runner keeps their intent. Status 000 used to read as
// "got no response (<nil>)" with nothing unanswered: records the endpoint may have taken counted
// as certainly not.
func TestHostileStatusOutOfRange(t *testing.T) {
	for _, code := range []string{"000", "099", "600", "999", "2000", "-01"} {
		s := newRawServer(t, answer("HTTP/1.1 "+code+" Odd\r\nContent-Length: 2\r\n\r\nok"))
		res, err := deliverTo(t, s.url, nil)
		if !errors.Is(err, webhook.ErrRetriesExhausted) || len(res.Delivered)+len(res.Rejected) != 0 {
			t.Errorf("status %s: %v, result %+v; want the retries exhausted and nothing delivered or rejected", code, err, res)
			continue
		}
		rq := res.Requests[0]
		if rq.Status != 0 || !strings.Contains(rq.Err, "malformed HTTP status code") || rq.Unanswered != rq.Attempts ||
			!res.MayHaveDelivered() || s.requests.Load() != 3 {
			t.Errorf("status %s: request %+v (may have delivered: %v, %d requests); want status 0, a malformed "+
				"status error, every attempt unanswered, 3 requests", code, rq, res.MayHaveDelivered(), s.requests.Load())
		}
		if strings.Contains(err.Error(), "<nil>") {
			t.Errorf("status %s: error %q does not say why", code, err)
		}
	}
}

// Retry-After, whatever its value: delay-seconds or a date over the bound (1 h) fail the run at
// once (ErrWaitTooLong), a value past int64 included (it used to read as absent, so the batch
// was retried at once, as often as the retries allow); an invalid one is ignored (the backoff
// applies); the value quoted in the error is cut to 64 bytes.
func TestHostileRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		value   string
		tooLong bool
	}{
		{"99999999999999999999", true},
		{strings.Repeat("9", 64<<10), true},
		{"1000000000000", true},
		{"3601", true},
		{"Fri, 31 Dec 9999 23:59:59 GMT", true},
		{"-5", false},
		{"-99999999999999999999", false},
		{"1.5", false},
		{"1e9", false},
		{"garbage", false},
		{"Thu, 01 Jan 1970 00:00:00 GMT", false},
		{"0", false},
	} {
		s := newRawServer(t, answer("HTTP/1.1 503 Busy\r\nRetry-After: "+tc.value+"\r\nContent-Length: 0\r\n\r\n"))
		res, err := deliverTo(t, s.url, oneConnectionEach)
		v := tc.value[:min(len(tc.value), 30)]
		if len(res.Delivered)+len(res.Rejected) != 0 || res.MayHaveDelivered() {
			t.Errorf("Retry-After %q: result %+v, want nothing taken", v, res)
		}
		var de *webhook.DeliveryError
		switch {
		case tc.tooLong && (!errors.Is(err, webhook.ErrWaitTooLong) || s.requests.Load() != 1):
			t.Errorf("Retry-After %q: %.200v after %d requests, want ErrWaitTooLong after 1", v, err, s.requests.Load())
		case tc.tooLong && (!errors.As(err, &de) || len(de.RetryAfter) > 64 || len(err.Error()) > 1000):
			t.Errorf("Retry-After %q: error %.200q: want the value cut to 64 bytes", v, err)
		case !tc.tooLong && (!errors.Is(err, webhook.ErrRetriesExhausted) || s.requests.Load() != 3):
			t.Errorf("Retry-After %q: %.200v after %d requests, want the retries exhausted after 3", v, err, s.requests.Load())
		}
	}
}

// An answer's body is read only so far: a 2xx's is drained up to 64 KiB and never kept, a
// refusal keeps its first KiB; a body of a gibibyte (chunked, never ending) or a gzip or deflate
// bomb costs neither memory nor the outcome.
func TestHostileAnswerBodies(t *testing.T) {
	gz, fl := bomb(t, "gzip"), bomb(t, "deflate")
	for _, tc := range []struct {
		name      string
		answer    func(c net.Conn, n int)
		delivered bool
		rejected  bool
	}{
		{"endless 200", endless("200 OK"), true, false},
		{"endless 400", endless("400 Bad Request"), false, true},
		{"endless 503", endless("503 Service Unavailable"), false, false},
		{"gzip bomb 400", func(c net.Conn, _ int) {
			fmt.Fprintf(c, "HTTP/1.1 400 Bad\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", len(gz))
			_, _ = c.Write(gz)
		}, false, true},
		{"gzip bomb 200", func(c net.Conn, _ int) {
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", len(gz))
			_, _ = c.Write(gz)
		}, true, false},
		{"deflate bomb 400", func(c net.Conn, _ int) {
			fmt.Fprintf(c, "HTTP/1.1 400 Bad\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n", len(fl))
			_, _ = c.Write(fl)
		}, false, true},
		{"2xx saying error", answer("HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n{\"error\":\"everything is down\"}"), true, false},
		{"HTTP/1.0 close-delimited 200", answer("HTTP/1.0 200 OK\r\n\r\n{\"error\":\"nope\"}"), true, false},
		{"HTTP/1.0 close-delimited 400", answer("HTTP/1.0 400 Bad Request\r\n\r\nbad record"), false, true},
		{"header of 512 KiB on a 200", func(c net.Conn, _ int) {
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Big: %s\r\nContent-Length: 0\r\n\r\n", strings.Repeat("a", 512<<10))
		}, true, false},
		{"100 Continue storm", func(c net.Conn, _ int) {
			for range 1000 {
				if _, err := io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
					return
				}
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		}, true, false},
		{"103 Early Hints", answer("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newRawServer(t, tc.answer)
			var res webhook.Result
			var err error
			alloc := allocated(func() { res, err = deliverTo(t, s.url, nil) })
			switch {
			case tc.delivered && (err != nil || len(res.Delivered) != 1 || s.requests.Load() != 1):
				t.Errorf("%v, result %+v after %d requests: want it delivered by the one 2xx", err, res, s.requests.Load())
			case tc.rejected && (err != nil || len(res.Rejected) != 1 || res.Rejected[0].Status != 400 || len(res.Rejected[0].Body) > 1024):
				t.Errorf("%v, result %+v: want it rejected by the 400, with at most 1 KiB of its body", err, res)
			case !tc.delivered && !tc.rejected && (!errors.Is(err, webhook.ErrRetriesExhausted) || len(res.Delivered) != 0):
				t.Errorf("%.300v, result %+v: want the retries exhausted, nothing delivered", err, res)
			}
			var de *webhook.DeliveryError
			if errors.As(err, &de) && len(de.Body) > 1024 {
				t.Errorf("error keeps %d bytes of the body, want at most 1 KiB", len(de.Body))
			}
			for _, rq := range res.Requests {
				if len(rq.Body) > 1024 || len(rq.Err) > 1024 {
					t.Errorf("delivery log entry keeps %d bytes of body and %d of error", len(rq.Body), len(rq.Err))
				}
			}
			// A header is read whole (up to 1 MiB); the rest costs a little over what is read
			// of a body.
			if limit := uint64(32 << 20); alloc > limit {
				t.Errorf("delivering allocated %d MiB, want at most %d", alloc>>20, limit>>20)
			}
		})
	}
}

// An endpoint that answers nothing usable after reading the whole request (a reset, a close,
// headers over the default client's 1 MiB (net/http's default was 10 MiB a response: 640 MiB
// for an adaptive connection's 64 requests in flight), two Content-Lengths, garbage, an answer that never comes
// or stops in its headers) may have taken the records: every attempt counts unanswered, so the
// run keeps the batch's intent, and the retries end with the records pending. One that stops in
// the body of a 2xx has answered: delivered; in the body of a 400, refused with what came.
func TestHostileConnections(t *testing.T) {
	short := &http.Client{Timeout: time.Second, CheckRedirect: webhook.NoRedirects,
		Transport: webhook.DefaultClient().Transport}
	stall := func(raw string) func(c net.Conn, n int) {
		return func(c net.Conn, _ int) {
			_, _ = io.WriteString(c, raw)
			_, _ = c.Read(make([]byte, 1)) // until the client gives up, or the test ends
		}
	}
	for _, tc := range []struct {
		name   string
		answer func(c net.Conn, n int)
		client *http.Client
		want   string // "unanswered", "delivered" or "rejected"
	}{
		{"reset after the request", func(c net.Conn, _ int) { _ = c.(*net.TCPConn).SetLinger(0) }, nil, "unanswered"},
		{"closed after the request", func(net.Conn, int) {}, nil, "unanswered"},
		{"header of 2 MiB", func(c net.Conn, _ int) {
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 2<<20))
		}, nil, "unanswered"},
		{"headers of 2 MiB in many lines", func(c net.Conn, _ int) {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			line := "X-H: " + strings.Repeat("b", 1000) + "\r\n"
			for range 2 << 10 {
				if _, err := io.WriteString(c, line); err != nil {
					return
				}
			}
			_, _ = io.WriteString(c, "\r\n")
		}, nil, "unanswered"},
		{"two Content-Lengths", answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nokokok"), nil, "unanswered"},
		{"not HTTP", answer("SSH-2.0-OpenSSH_9.6\r\n\r\n"), nil, "unanswered"},
		{"never answers", stall(""), short, "unanswered"},
		{"stalls in the headers", stall("HTTP/1.1 200 OK\r\nX-A: b\r\n"), short, "unanswered"},
		{"101 to a POST", answer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"), nil, "unanswered"},
		{"101 to a POST, then silence", stall("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"), nil, "unanswered"},
		{"stalls in a 200's body", stall("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"), short, "delivered"},
		{"stalls in a 400's body", stall("HTTP/1.1 400 Bad Request\r\nContent-Length: 100\r\n\r\nabc"), short, "rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newRawServer(t, tc.answer)
			res, err := deliverTo(t, s.url, tc.client)
			switch tc.want {
			case "unanswered":
				if !errors.Is(err, webhook.ErrRetriesExhausted) || !res.MayHaveDelivered() || len(res.Delivered) != 0 ||
					res.Requests[0].Unanswered != 3 || s.requests.Load() != 3 {
					t.Errorf("%.300v, result %+v after %d requests: want 3 attempts, all unanswered, the retries "+
						"exhausted and the records maybe delivered", err, res, s.requests.Load())
				}
				if err != nil {
					checkNoSecret(t, "error", err.Error())
				}
			case "delivered":
				if err != nil || len(res.Delivered) != 1 || s.requests.Load() != 1 {
					t.Errorf("%v, result %+v: want it delivered", err, res)
				}
			case "rejected":
				if err != nil || len(res.Rejected) != 1 || res.Rejected[0].Body != "abc" {
					t.Errorf("%v, result %+v: want it rejected with the body that came, \"abc\"", err, res)
				}
			}
		})
	}
}

// Redirects are never followed, whatever their target (another host, http from https, a
// metadata address, the URL itself): the target gets nothing, so none of the request's
// credentials (Authorization, the API key header, the signature) reach it; the batch is not
// delivered, whatever the target would answer; the run fails naming the target's scheme and host
// only. An OAuth2 token endpoint that redirects does not get its client secret followed either.
func TestHostileRedirects(t *testing.T) {
	var targetHits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer target.Close()
	for _, tc := range []struct {
		name     string
		tls      bool
		location func(self string) string
	}{
		{"another host", false, func(string) string { return target.URL + "/s3cr3t-path?token=s3cr3t" }},
		{"http from https", true, func(string) string { return target.URL + "/hook" }},
		{"metadata address", false, func(string) string { return "http://169.254.169.254/latest/meta-data/" }},
		{"itself", false, func(self string) string { return self }},
		{"relative", false, func(string) string { return "/elsewhere" }},
		// net/http's client parses these before it asks CheckRedirect: one that does not parse
		// was an error, "got no response", retried as a network error.
		{"not a URL (a port)", false, func(string) string { return "http://evil.example:s3cr3t-api-key-value/" }},
		{"not a URL (an escape)", false, func(string) string { return "/offers/50%off" }},
		// The host is shown: not the connection's secrets an endpoint echoes in it, nor characters
		// that reorder or hide the text around them.
		{"secret in the host", false, func(string) string { return "http://s3cr3t-api-key-value.evil.example/" }},
		{"bidi control in the host", false, func(string) string { return "http://a\u202eelpmaxe.b/" }},
	} {
		for _, code := range []int{301, 302, 303, 307, 308} {
			var hits atomic.Int64
			var self string
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Location", tc.location(self))
				w.WriteHeader(code)
			})
			srv := httptest.NewUnstartedServer(h)
			if tc.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			self = srv.URL + "/hook"
			client := webhook.DefaultClient()
			if tc.tls {
				client = srv.Client()
				client.CheckRedirect = webhook.NoRedirects
			}
			res, err := deliverTo(t, self, client)
			// A 302 or a 303 may answer a request the server handled (Post/Redirect/Get): the
			// records may have been taken; after another redirect they were not.
			taken := code == http.StatusFound || code == http.StatusSeeOther
			if !errors.Is(err, webhook.ErrRedirect) || len(res.Delivered)+len(res.Rejected) != 0 || res.MayHaveDelivered() != taken ||
				hits.Load() != 1 {
				t.Errorf("%s, %d: %v, result %+v, %d requests: want ErrRedirect after one request, nothing delivered, "+
					"maybe taken %v", tc.name, code, err, res, hits.Load(), taken)
			}
			if err != nil {
				checkNoSecret(t, "error", err.Error())
				if strings.ContainsRune(err.Error(), '\u202e') {
					t.Errorf("%s, %d: the error %q holds a bidirectional control", tc.name, code, err)
				}
			}
			srv.Close()
		}
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("redirect target got %d requests, want none", n)
	}

	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/token", http.StatusTemporaryRedirect)
	}))
	defer tokens.Close()
	srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) { w.WriteHeader(http.StatusOK) })
	ts := webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: tokens.URL, ClientID: "id",
		ClientSecret: "s3cr3t-client-secret"}, nil)
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL, OAuth2: ts}, MaxRetries: 1})
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1))
	if err == nil || len(res.Delivered) != 0 || len(srv.seen()) != 0 || targetHits.Load() != 0 {
		t.Errorf("token endpoint redirecting: %v, result %+v, %d deliveries, %d at the target: want a failure, nothing sent",
			err, res, len(srv.seen()), targetHits.Load())
	}
	if err != nil {
		checkNoSecret(t, "error", err.Error())
	}

	// A token endpoint redirecting to a Location that does not parse answered all the same: the
	// fetch fails at once, as for any 3xx, rather than as a network error retried (two requests:
	// the OAuth2 client tries the credentials in the form after a refusal of them in a header).
	var tokenHits atomic.Int64
	badTokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenHits.Add(1)
		w.Header().Set("Location", "/token/50%off")
		w.WriteHeader(http.StatusFound)
	}))
	defer badTokens.Close()
	ts = webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: badTokens.URL, ClientID: "id",
		ClientSecret: "s3cr3t-client-secret"}, nil)
	d = fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL, OAuth2: ts}, MaxRetries: 2})
	res, err = d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1))
	if !errors.Is(err, webhook.ErrTokenEndpoint) || !strings.Contains(err.Error(), "HTTP 302") || len(res.Delivered) != 0 ||
		len(srv.seen()) != 0 || tokenHits.Load() > 2 {
		t.Errorf("token endpoint redirecting to a Location that does not parse: %v, result %+v, %d deliveries, "+
			"%d token requests: want the 302 failing the fetch at once, nothing sent", err, res, len(srv.seen()), tokenHits.Load())
	}
}

// A refusal that echoes the request (its credentials among it) is kept without them.
func TestHostileEchoIsScrubbed(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r request, _ int) {
		w.WriteHeader(http.StatusBadRequest)
		for k, v := range r.header {
			fmt.Fprintf(w, "%s: %s\n", k, strings.Join(v, ","))
		}
	})
	res, err := deliverTo(t, srv.URL, nil)
	if err != nil || len(res.Rejected) != 1 {
		t.Fatalf("%v, result %+v: want the record rejected", err, res)
	}
	checkNoSecret(t, "rejection", res.Rejected[0].Body)
	checkNoSecret(t, "delivery log", res.Requests[0].Body)
	if !strings.Contains(res.Rejected[0].Body, "[secret]") {
		t.Errorf("rejection %q: want the credentials replaced with [secret]", res.Rejected[0].Body)
	}
}

// An adaptive connection whose endpoint says, with each 2xx, that none of its quota is left until
// a reset a day away: the batch it answered is delivered, and the next is not sent; the delivery
// fails at once (pacing.QuotaError), its records pending, instead of waiting an hour per batch.
func TestHostileQuotaSpent(t *testing.T) {
	for _, reset := range []string{"86400", "99999999999", "1e308"} {
		srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", reset)
			w.WriteHeader(http.StatusOK)
		})
		d := &webhook.Deliverer{Endpoint: hostileEndpoint(srv.URL),
			Pacer: pacing.NewPacer(pacing.Limits{Mode: pacing.ModeAdaptive}, pacing.State{}, 0, nil)}
		res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1))
		if err != nil || len(res.Delivered) != 1 {
			t.Fatalf("reset %s: first batch: %v, %+v; want it delivered", reset, err, res)
		}
		// The refusal is at once; the timeout only ends the wait a pacer without it would make.
		ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
		res, err = d.Deliver(ctx, testMeta(), webhook.OpChanged, makeRecords(1))
		cancel()
		var qe *pacing.QuotaError
		if !errors.As(err, &qe) || len(res.Delivered) != 0 || res.MayHaveDelivered() || len(srv.seen()) != 1 {
			t.Errorf("reset %s: second batch: %v, %+v after %d requests; want a QuotaError, nothing sent",
				reset, err, res, len(srv.seen()))
		}
		srv.Close()
	}
}

// net/http quotes the answer in some errors (`malformed HTTP response "…"`, `malformed MIME
// header: missing colon: "…"`, `multiple Content-Length headers; got […]`), up to the whole of its
// headers. What an attempt keeps of such an error (the run's error, the delivery log, the retry
// log, notifications) is bounded to 1 KiB and has the connection's secrets replaced: it used to
// be the endpoint's line in full, 500 KB here, with the bearer token it echoed.
func TestHostileErrorTextIsBounded(t *testing.T) {
	echo := "Bearer s3cr3t-bearer-token " + strings.Repeat("x", 500_000)
	for _, raw := range []string{
		"SSH-" + echo + "\r\n\r\n",
		"HTTP/1.1 " + strings.Repeat("9", 500_000) + " X\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 7" + strings.Repeat("7", 500_000) + "\r\n\r\n",
		"HTTP/1.1 200 OK\r\n" + echo + "\r\n\r\n",
	} {
		s := newRawServer(t, func(c net.Conn, _ int) { _, _ = io.WriteString(c, raw) })
		var retries []webhook.Retry
		d := fast(&webhook.Deliverer{Endpoint: hostileEndpoint(s.url), MaxRetries: 1,
			OnRetry: func(r webhook.Retry) func() { retries = append(retries, r); return nil }})
		res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1))
		if !errors.Is(err, webhook.ErrRetriesExhausted) || !res.MayHaveDelivered() {
			t.Errorf("%.40q: %.300v; want the retries exhausted, maybe delivered", raw, err)
			continue
		}
		if n := len(err.Error()); n > 2<<10 {
			t.Errorf("%.40q: the run's error is %d bytes, want at most 2 KiB", raw, n)
		}
		checkNoSecret(t, "error", err.Error())
		for _, rq := range res.Requests {
			if len(rq.Err) > 1<<10 {
				t.Errorf("%.40q: the delivery log's error is %d bytes, want at most 1 KiB", raw, len(rq.Err))
			}
			checkNoSecret(t, "delivery log error", rq.Err)
		}
		for _, r := range retries {
			if c := r.Cause(); len(c) > 1<<10 {
				t.Errorf("%.40q: a retry's cause is %d bytes, want at most 1 KiB", raw, len(c))
			} else {
				checkNoSecret(t, "retry cause", c)
			}
		}
	}
}

// The same for a token endpoint's answer: what a failed token request says is bounded, without
// the client secret the answer echoed, whether net/http could not read the answer or the answer
// is an OAuth2 error whose code runs for megabytes.
func TestHostileTokenEndpointErrorIsBounded(t *testing.T) {
	const secret = "s3cr3t-client-secret"
	for _, raw := range []string{
		"HTTP/1.1 200 OK\r\n" + secret + strings.Repeat("x", 500_000) + "\r\n\r\n",
		"SSH-" + secret + strings.Repeat("x", 500_000) + "\r\n\r\n",
		func() string {
			body := `{"error":"` + secret + strings.Repeat("x", 500_000) + `"}`
			return fmt.Sprintf("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		}(),
	} {
		s := newRawServer(t, func(c net.Conn, _ int) { _, _ = io.WriteString(c, raw) })
		ts := webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: s.url, ClientID: "id", ClientSecret: secret}, nil)
		_, err := ts.Token(context.Background())
		if err == nil {
			t.Fatalf("%.40q: got a token", raw)
		}
		if n := len(err.Error()); n > 2<<10 {
			t.Errorf("%.40q: the error is %d bytes, want at most 2 KiB", raw, n)
		}
		checkNoSecret(t, "token error", err.Error())
	}
}

// A connection's test (test_on_save, printed in Terraform's output) that gets an unreadable
// answer says so in at most a few KiB, without the credentials the answer echoed.
func TestHostileCheckErrorIsBounded(t *testing.T) {
	s := newRawServer(t, func(c net.Conn, _ int) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nBearer s3cr3t-bearer-token"+strings.Repeat("x", 500_000)+"\r\n\r\n")
	})
	err := webhook.Check(context.Background(), nil, hostileEndpoint(s.url), "hostile")
	if err == nil {
		t.Fatal("the test passed")
	}
	if n := len(err.Error()); n > 2<<10 {
		t.Errorf("the test's error is %d bytes, want at most 2 KiB", n)
	}
	checkNoSecret(t, "test error", err.Error())
}

// A redirect's Location is shown as its scheme and host, which an endpoint can pad to the limit
// of its headers: what the run's error keeps of them is cut.
func TestHostileRedirectLocationIsBounded(t *testing.T) {
	for _, loc := range []string{
		"http://" + strings.Repeat("a", 500_000) + ".example/",
		strings.Repeat("h", 500_000) + "://example.com/",
	} {
		srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) {
			w.Header().Set("Location", loc)
			w.WriteHeader(http.StatusFound)
		})
		_, err := deliverTo(t, srv.URL, nil)
		if !errors.Is(err, webhook.ErrRedirect) {
			t.Fatalf("%v, want ErrRedirect", err)
		}
		if n := len(err.Error()); n > 1<<10 {
			t.Errorf("%.30q: the run's error is %d bytes, want at most 1 KiB", loc, n)
		}
		srv.Close()
	}
}

// An answer whose status and headers come at once and whose body then drips (or never comes)
// held its request until the client's 30 s timeout: the status decides, and the body is read
// only to keep the first KiB of a refusal and to reuse the connection. A record-mode run of
// 10,000 records to such an endpoint took about 21 hours at a concurrency of 4. The body is now
// read for at most a second after the headers: the 2xx delivers its record, the 4xx rejects it
// with what came of its body. The client here has no timeout, so that without the bound the
// delivery waits for the body until hangLimit, and the test says so.
func TestHostileSlowAnswerBody(t *testing.T) {
	for _, tc := range []struct {
		status, body string
		delivered    bool
	}{
		{"200 OK", "ok", true},
		{"422 Unprocessable Entity", "invalid email", false},
	} {
		s := newRawServer(t, func(c net.Conn, _ int) {
			fmt.Fprintf(c, "HTTP/1.1 %s\r\nContent-Length: 100000\r\n\r\n%s", tc.status, tc.body)
			_, _ = io.Copy(io.Discard, c) // until the client hangs up
		})
		ctx, hung := untilHung(t)
		d := fast(&webhook.Deliverer{Endpoint: hostileEndpoint(s.url), MaxRetries: 2, Client: untimed})
		res, err := d.Deliver(ctx, testMeta(), webhook.OpChanged, makeRecords(1))
		if hung() {
			t.Fatalf("%s: the delivery hung %v on an answer's dripping body, which was not given up on", tc.status, hangLimit)
		}
		switch {
		case err != nil:
			t.Errorf("%s: %v", tc.status, err)
		case tc.delivered && len(res.Delivered) != 1:
			t.Errorf("%s: result %+v, want the record delivered", tc.status, res)
		case !tc.delivered && (len(res.Rejected) != 1 || res.Rejected[0].Body != tc.body):
			t.Errorf("%s: result %+v, want the record rejected with %q", tc.status, res, tc.body)
		}
		if n := s.requests.Load(); n != 1 {
			t.Errorf("%s: %d requests, want 1", tc.status, n)
		}
	}
}

// The requests outside deliveries give up on a slow answer too: test_on_save's (Check) reads a
// refusal's first bytes for at most a second after its headers, as a delivery does, and an
// OAuth2 token request, which needs its whole answer, is bounded as a whole (10 s; shortened
// here). Each waited for the client's 30 s timeout. Check is given a client without a timeout,
// which without the bound waits until hangLimit; the token request's error says which bound
// ended it (the client's timeout would end it with an error of its own).
func TestHostileSlowAnswerOutsideDeliveries(t *testing.T) {
	dripping := newRawServer(t, func(c net.Conn, _ int) {
		fmt.Fprintf(c, "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 100000\r\n\r\nupstream")
		_, _ = io.Copy(io.Discard, c) // until the client hangs up
	})
	ctx, hung := untilHung(t)
	err := webhook.Check(ctx, untimed, webhook.Endpoint{URL: dripping.url}, "x")
	if hung() {
		t.Fatalf("Check hung %v on an answer's dripping body, which was not given up on", hangLimit)
	}
	var ce *webhook.CheckError
	if !errors.As(err, &ce) || ce.Status != 500 || ce.Body != "upstream" {
		t.Errorf("Check: %v, want a CheckError with status 500 and the body's first bytes", err)
	}

	defer webhook.SetTokenFetchTimeout(time.Second)()
	for _, answer := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"access_token\": \"abc", // a body that stops
		"", // no answer at all
	} {
		tokens := newRawServer(t, func(c net.Conn, _ int) {
			fmt.Fprint(c, answer)
			_, _ = io.Copy(io.Discard, c)
		})
		ts := webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: tokens.url, ClientID: "id", ClientSecret: "s3cret-value"}, nil)
		_, err := ts.Token(context.Background())
		if !errors.Is(err, webhook.ErrTokenEndpoint) || !strings.Contains(err.Error(), "did not answer within 1s") ||
			!strings.Contains(err.Error(), strings.TrimSuffix(tokens.url, "/hook")) {
			t.Errorf("token answer %.20q: %v, want ErrTokenEndpoint saying the endpoint did not answer within 1s, naming it", answer, err)
		}
	}
}

// A 101 Switching Protocols to a request that asked for no upgrade is no answer, wherever it is
// sent from. net/http hands the connection over as the answer's body, which neither the
// request's context, nor the client's timeout, nor the second Do gives a body reach: a test
// (test_on_save, `backflow-runner test`) or a notification reading it waited for as long as the
// endpoint kept the connection open, for ever if it wished; a token fetch, past its own timeout,
// with every later fetch of its connection waiting for it. The endpoint here keeps it for
// hangLimit.
func TestHostileUpgradeOutsideDeliveries(t *testing.T) {
	var held atomic.Bool
	upgraded := newRawServer(t, func(c net.Conn, _ int) {
		fmt.Fprint(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
		_ = c.SetReadDeadline(time.Now().Add(hangLimit))
		var ne net.Error
		if _, err := io.Copy(io.Discard, c); errors.As(err, &ne) && ne.Timeout() {
			held.Store(true) // the client never hung up
		}
	})
	ctx, _ := untilHung(t)
	err := webhook.Check(ctx, nil, webhook.Endpoint{URL: upgraded.url}, "x")
	if held.Load() {
		t.Fatalf("Check waited %v on a 101's connection", hangLimit)
	}
	if err == nil || !strings.Contains(err.Error(), "101") {
		t.Errorf("Check: %v, want an error saying the endpoint answered 101", err)
	}
	// As a notification and `backflow-runner test` read an answer.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, upgraded.url, strings.NewReader("{}"))
	resp, done, err := webhook.Do(webhook.DefaultClient(), req)
	if err == nil {
		_ = webhook.AnswerSnippet(resp, 256)
		resp.Body.Close()
	}
	done()
	if held.Load() {
		t.Fatalf("reading the answer to Do waited %v on a 101's connection", hangLimit)
	}
	if err == nil || !strings.Contains(err.Error(), "101") {
		t.Errorf("Do: %v, want an error saying the endpoint answered 101", err)
	}

	// A token endpoint's: its fetch's timeout did not reach the connection either, and every
	// later fetch of the connection waited for that one.
	defer webhook.SetTokenFetchTimeout(time.Second)()
	ts := webhook.NewTokenSource(&controlplane.OAuth2Config{TokenURL: upgraded.url, ClientID: "id",
		ClientSecret: "s3cret-value"}, nil)
	_, err = ts.Token(ctx)
	if held.Load() {
		t.Fatalf("a token fetch waited %v on a 101's connection", hangLimit)
	}
	if !errors.Is(err, webhook.ErrTokenEndpoint) || !strings.Contains(err.Error(), "101") {
		t.Errorf("token fetch: %v, want ErrTokenEndpoint saying the endpoint answered 101", err)
	}
}

// Bytes an endpoint sends on a connection between requests (here a 204 with a body that echoes
// the request) are logged by net/http's Transport with the standard log package, quoted up to
// 4 KiB: the runner's and the provider's logs got the connection's credentials as the endpoint
// echoed them. HideUnsolicitedAnswers keeps the line without them.
func TestHostileUnsolicitedBytesAreNotLogged(t *testing.T) {
	var logged lockedbuf.Buffer
	defer log.SetOutput(log.Writer())
	log.SetOutput(&logged)
	webhook.HideUnsolicitedAnswers()
	log.Print("another line") // written as it is
	s := newRawServer(t, func(c net.Conn, _ int) {
		_, _ = io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\nyour request: Authorization: Bearer s3cr3t-bearer-token\r\n")
	})
	if res, err := deliverTo(t, s.url, nil); err != nil || len(res.Delivered) != 1 {
		t.Fatalf("Deliver: %v, %+v: want the record delivered by the 204", err, res)
	}
	// net/http logs when its connection's reader finds the bytes, after the answer was read.
	for deadline := time.Now().Add(hangLimit); !strings.Contains(logged.String(), "idle HTTP channel"); {
		if time.Now().After(deadline) {
			t.Fatalf("net/http logged nothing in %v: %q", hangLimit, logged.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	checkNoSecret(t, "the standard log", logged.String())
	if !strings.Contains(logged.String(), "another line\n") {
		t.Errorf("the standard log %q lost another line", logged.String())
	}
}

// The bound can fall inside a secret the answer echoed: what is kept of the error must not end
// with the secret's first bytes (followed by the "…" of the cut), whichever byte the cut falls
// on. The error used to be cut first and scrubbed after, when the cut secret no longer ended it.
func TestHostileErrorTextCutInsideASecret(t *testing.T) {
	for pad := 860; pad <= 920; pad += 3 {
		raw := "HTTP/1.1 200 OK\r\n" + strings.Repeat("x", pad) + " Bearer s3cr3t-bearer-token\r\n\r\n"
		s := newRawServer(t, func(c net.Conn, _ int) { _, _ = io.WriteString(c, raw) })
		d := fast(&webhook.Deliverer{Endpoint: hostileEndpoint(s.url), MaxRetries: -1, Client: oneConnectionEach})
		res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1))
		if err == nil {
			t.Fatalf("pad %d: delivered", pad)
		}
		for _, text := range []string{err.Error(), res.Requests[0].Err} {
			if i := strings.Index(text, "Bearer s3cr3t"); i >= 0 {
				t.Errorf("pad %d: %q holds the start of the bearer token", pad, text[i:])
			}
		}
	}
}
