package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// verifyStandardWebhooks checks a request the way a receiver using any Standard Webhooks library
// would, written from the spec rather than with the package's own Signature or Verify, so a bug
// shared by signer and verifier cannot hide.
func verifyStandardWebhooks(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("secret is not whsec_ + base64: %v", err)
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q is not Unix seconds", ts)
	}
	if d := time.Since(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("webhook-timestamp %d is %v from now", sec, d)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, entry := range strings.Split(sigs, " ") {
		version, sig, ok := strings.Cut(entry, ",")
		if ok && version == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("no v1 signature in %q matches", sigs)
}

func newSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// request is what a test server saw.
type request struct {
	at     time.Time
	method string
	path   string
	header http.Header
	body   []byte
	env    webhook.Envelope
}

// server is a loopback webhook endpoint whose answer to each request is chosen by respond.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
}

func newServer(t *testing.T, respond func(w http.ResponseWriter, r request, n int)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the request body: %v", err)
		}
		req := request{at: time.Now(), method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body}
		if err := json.Unmarshal(body, &req.env); err != nil {
			t.Errorf("request body is not an envelope: %v: %s", err, body)
		}
		s.mu.Lock()
		s.requests = append(s.requests, req)
		n := len(s.requests)
		s.mu.Unlock()
		respond(w, req, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) seen() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// observer counts what the Deliverer reports.
type observer struct {
	requests, retries, waits atomic.Int64
	mu                       sync.Mutex
	statuses                 []int
}

func (o *observer) Request(status int, err error, d time.Duration) {
	o.requests.Add(1)
	o.mu.Lock()
	o.statuses = append(o.statuses, status)
	o.mu.Unlock()
}
func (o *observer) Retry()                        { o.retries.Add(1) }
func (o *observer) RateLimitWait(d time.Duration) { o.waits.Add(1) }

func testMeta() *webhook.Meta {
	return &webhook.Meta{
		SyncRunAt:      time.Date(2021, 8, 31, 23, 3, 29, 0, time.UTC),
		ConnectionName: "Webhook Test",
		ModelName:      "active users",
		SyncID:         1234,
		SyncName:       "Active users to webhook",
	}
}

func makeRecords(n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = []byte(fmt.Sprintf(`{"unique_id":%d,"first_name":"user %d"}`, i, i))
	}
	return recs
}

func sorted(xs []int) []int {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs
}

func upTo(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

// fast makes retries nearly immediate so failure paths stay quick.
func fast(d *webhook.Deliverer) *webhook.Deliverer {
	d.BaseBackoff, d.MaxBackoff = time.Millisecond, 2*time.Millisecond
	return d
}

var messageID = regexp.MustCompile(`^msg_[0-9a-f]{24}$`)

func TestDeliverEnvelopeAndHeaders(t *testing.T) {
	tableMeta := testMeta()
	tableMeta.SchemaName, tableMeta.TableName = "public", "users"
	for _, tc := range []struct {
		name     string
		meta     *webhook.Meta
		op       string
		method   string
		records  [][]byte
		wantBody string
	}{
		{
			name: "changed from a SQL model", meta: testMeta(), op: webhook.OpChanged,
			records: [][]byte{[]byte(`{"unique_id":"a1","first_name":"Alycia"}`), []byte(`{"unique_id":"b2","n":1.50}`)},
			wantBody: `{"api_version":1,"operation":"changed","sync_run_at":"2021-08-31T23:03:29Z",` +
				`"connection_name":"Webhook Test","model_name":"active users","schema_name":null,"table_name":null,` +
				`"sync_configuration_id":1234,"sync_configuration_name":"Active users to webhook",` +
				`"data":[{"unique_id":"a1","first_name":"Alycia"},{"unique_id":"b2","n":1.50}]}`,
		},
		{
			name: "deleted from a table model, by PUT", meta: tableMeta, op: webhook.OpDeleted, method: http.MethodPut,
			records: [][]byte{[]byte(`{"id":7}`)},
			wantBody: `{"api_version":1,"operation":"deleted","sync_run_at":"2021-08-31T23:03:29Z",` +
				`"connection_name":"Webhook Test","model_name":"active users","schema_name":"public","table_name":"users",` +
				`"sync_configuration_id":1234,"sync_configuration_name":"Active users to webhook",` +
				`"data":[{"id":7}]}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) { w.WriteHeader(http.StatusAccepted) })
			secret := newSecret(t)
			obs := &observer{}
			d := &webhook.Deliverer{
				Endpoint: webhook.Endpoint{URL: srv.URL + "/hooks/in", Method: tc.method, SigningSecret: secret,
					Headers: map[string]string{"Authorization": "Bearer t0ken"}},
				Observer: obs,
			}
			res, err := d.Deliver(context.Background(), tc.meta, tc.op, tc.records)
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if diff := cmp.Diff(webhook.Result{Delivered: upTo(len(tc.records))}, res, ignoreRequests); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			got := srv.seen()
			if len(got) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(got))
			}
			r := got[0]
			if diff := cmp.Diff(tc.wantBody, string(r.body)); diff != "" {
				t.Errorf("envelope bytes (-want +got):\n%s", diff)
			}
			wantMethod := tc.method
			if wantMethod == "" {
				wantMethod = http.MethodPost
			}
			if r.method != wantMethod || r.path != "/hooks/in" {
				t.Errorf("request %s %s, want %s /hooks/in", r.method, r.path, wantMethod)
			}
			for k, want := range map[string]string{
				"Content-Type":  "application/json",
				"User-Agent":    "backflow/" + webhook.Version,
				"Authorization": "Bearer t0ken",
			} {
				if got := r.header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if id := r.header.Get("webhook-id"); !messageID.MatchString(id) {
				t.Errorf("webhook-id %q, want msg_ and 24 hex digits", id)
			}
			if err := verifyStandardWebhooks(secret, r.header, r.body); err != nil {
				t.Errorf("signature: %v", err)
			}
			if obs.requests.Load() != 1 || obs.retries.Load() != 0 || obs.waits.Load() != 0 {
				t.Errorf("observer saw %d requests, %d retries, %d waits; want 1, 0, 0",
					obs.requests.Load(), obs.retries.Load(), obs.waits.Load())
			}
		})
	}
}

func TestDeliverRetriesTransientFailures(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ request, n int) {
		if n <= 2 {
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	secret := newSecret(t)
	obs := &observer{}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL, SigningSecret: secret}, Observer: obs})
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(5))
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if diff := cmp.Diff(upTo(5), sorted(res.Delivered)); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	got := srv.seen()
	if len(got) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(got))
	}
	for i, r := range got {
		if id := r.header.Get("webhook-id"); id != got[0].header.Get("webhook-id") {
			t.Errorf("attempt %d has webhook-id %q, attempt 1 had %q: retries must reuse it", i+1, id, got[0].header.Get("webhook-id"))
		}
		if !bytes.Equal(r.body, got[0].body) {
			t.Errorf("attempt %d body differs from attempt 1", i+1)
		}
		if err := verifyStandardWebhooks(secret, r.header, r.body); err != nil {
			t.Errorf("attempt %d signature: %v", i+1, err)
		}
	}
	if obs.retries.Load() != 2 {
		t.Errorf("observer saw %d retries, want 2", obs.retries.Load())
	}
	if diff := cmp.Diff([]int{500, 500, 200}, obs.statuses); diff != "" {
		t.Errorf("observed statuses (-want +got):\n%s", diff)
	}
}

// deliverAfter429 delivers a record to an endpoint that answers its first request 429 with the
// headers set sets, and the next 200. It returns the waits the deliverer chose before its
// retries, as OnRetry is told them (the wait itself is sleep's, whatever it is asked), and the
// endpoint.
func deliverAfter429(t *testing.T, set func(h http.Header)) ([]time.Duration, *server) {
	t.Helper()
	srv := newServer(t, func(w http.ResponseWriter, _ request, n int) {
		if n == 1 {
			set(w.Header())
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	var waits []time.Duration
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL},
		OnRetry: func(r webhook.Retry) func() { waits = append(waits, r.Wait); return nil }})
	if _, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1)); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	return waits, srv
}

func TestDeliverHonoursRetryAfter(t *testing.T) {
	waits, srv := deliverAfter429(t, func(h http.Header) { h.Set("Retry-After", "2") })
	got := srv.seen()
	if len(got) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(got))
	}
	if len(waits) != 1 || waits[0] < 2*time.Second {
		t.Errorf("waits before the retries: %v, want one of at least the 2s of Retry-After", waits)
	}
	if got[0].header.Get("webhook-id") != got[1].header.Get("webhook-id") {
		t.Errorf("retry changed the webhook-id")
	}
}

func TestDeliverRetriesExhausted(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) {
		http.Error(w, "upstream down", http.StatusServiceUnavailable)
	})
	obs := &observer{}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/s3cr3t-path?token=abc",
		Headers: map[string]string{"Authorization": "Bearer hdr-secret"}}, MaxRetries: 3, Observer: obs})
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(4))
	if !errors.Is(err, webhook.ErrRetriesExhausted) {
		t.Fatalf("Deliver: %v, want ErrRetriesExhausted", err)
	}
	var de *webhook.DeliveryError
	if !errors.As(err, &de) || de.Status != 503 || de.Attempts != 4 {
		t.Fatalf("Deliver: %#v, want a DeliveryError with status 503 after 4 attempts", err)
	}
	for _, want := range []string{"503", "4 attempts", "upstream down"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	for _, secret := range []string{"s3cr3t", "token", "hdr-secret", srv.URL} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q leaks %q", err, secret)
		}
	}
	if len(res.Delivered) != 0 || len(res.Rejected) != 0 {
		t.Errorf("result %+v, want nothing delivered or rejected", res)
	}
	if n := len(srv.seen()); n != 4 {
		t.Errorf("server saw %d requests, want 4 (1 + 3 retries)", n)
	}
	if obs.retries.Load() != 3 {
		t.Errorf("observer saw %d retries, want 3", obs.retries.Load())
	}
}

func TestDeliverUnreachableEndpoint(t *testing.T) {
	u := "http://" + webhooktest.ClosedAddr + "/s3cr3t-path"
	obs := &observer{}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: u}, MaxRetries: 2, Observer: obs})
	_, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2))
	var de *webhook.DeliveryError
	if !errors.Is(err, webhook.ErrRetriesExhausted) || !errors.As(err, &de) || de.Status != 0 || de.Attempts != 3 {
		t.Fatalf("Deliver to a closed port: %v, want ErrRetriesExhausted after 3 attempts with no status", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q leaks the URL", err)
	}
	if diff := cmp.Diff([]int{0, 0, 0}, obs.statuses); diff != "" {
		t.Errorf("observed statuses (-want +got):\n%s", diff)
	}
}

func TestDeliverBisectsRefusedRecords(t *testing.T) {
	longReason := strings.Repeat("x", 3000)
	for _, tc := range []struct {
		name string
		n    int
		bad  []int
	}{
		{"one bad record among 10", 10, []int{6}},
		{"first and last of 9", 9, []int{0, 8}},
		{"all of 3", 3, []int{0, 1, 2}},
		{"a single bad record", 1, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			records := makeRecords(tc.n)
			for _, i := range tc.bad {
				records[i] = []byte(fmt.Sprintf(`{"unique_id":%d,"email":"not an email"}`, i))
			}
			var mu sync.Mutex
			accepted := map[string]int{} // unique_id → times accepted
			srv := newServer(t, func(w http.ResponseWriter, r request, _ int) {
				if bytes.Contains(r.body, []byte("not an email")) {
					http.Error(w, "invalid email "+longReason, http.StatusUnprocessableEntity)
					return
				}
				mu.Lock()
				for _, rec := range r.env.Data {
					var v struct {
						ID json.Number `json:"unique_id"`
					}
					_ = json.Unmarshal(rec, &v)
					accepted[v.ID.String()]++
				}
				mu.Unlock()
				w.WriteHeader(http.StatusOK)
			})
			d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}}
			res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, records)
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			var good []int
			for i := range tc.n {
				if !slices.Contains(tc.bad, i) {
					good = append(good, i)
				}
			}
			if diff := cmp.Diff(good, sorted(res.Delivered)); diff != "" {
				t.Errorf("delivered (-want +got):\n%s", diff)
			}
			var rejected []int
			for _, rj := range res.Rejected {
				rejected = append(rejected, rj.Index)
				if rj.Status != http.StatusUnprocessableEntity || len(rj.Body) != 1024 || !strings.HasPrefix(rj.Body, "invalid email") {
					t.Errorf("rejection %d: status %d, %d body bytes starting %.20q; want 422 and the first 1024 bytes",
						rj.Index, rj.Status, len(rj.Body), rj.Body)
				}
			}
			if diff := cmp.Diff(tc.bad, sorted(rejected)); diff != "" {
				t.Errorf("rejected (-want +got):\n%s", diff)
			}
			for _, i := range good {
				if c := accepted[strconv.Itoa(i)]; c != 1 {
					t.Errorf("record %d accepted %d times, want once", i, c)
				}
			}
			ids := map[string]bool{}
			for _, r := range srv.seen() {
				id := r.header.Get("webhook-id")
				if ids[id] {
					t.Errorf("webhook-id %s used for two different batches", id)
				}
				ids[id] = true
			}
		})
	}
}

func TestDeliverPartialResultOnError(t *testing.T) {
	records := makeRecords(4)
	records[3] = []byte(`{"unique_id":3,"poison":true}`)
	srv := newServer(t, func(w http.ResponseWriter, r request, _ int) {
		switch {
		case bytes.Contains(r.body, []byte("poison")) && len(r.env.Data) == 4:
			http.Error(w, "bad batch", http.StatusBadRequest)
		case bytes.Contains(r.body, []byte("poison")):
			http.Error(w, "gone", http.StatusGone)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}}
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, records)
	if !errors.Is(err, webhook.ErrGone) {
		t.Fatalf("Deliver: %v, want ErrGone", err)
	}
	if diff := cmp.Diff(webhook.Result{Delivered: []int{0, 1}}, res, ignoreRequests); diff != "" {
		t.Errorf("partial result (-want +got):\n%s", diff)
	}
}

func TestDeliverRedirectIsNotFollowed(t *testing.T) {
	var targetHits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer target.Close()
	srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) {
		w.Header().Set("Location", target.URL+"/new-s3cr3t?token=abc")
		w.WriteHeader(http.StatusMovedPermanently)
	})
	obs := &observer{}
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}, Observer: obs}
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(3))
	if !errors.Is(err, webhook.ErrRedirect) {
		t.Fatalf("Deliver: %v, want ErrRedirect", err)
	}
	if !strings.Contains(err.Error(), "301") || !strings.Contains(err.Error(), strings.TrimPrefix(target.URL, "http://")) {
		t.Errorf("error %q should name the status and where it redirects", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "token") {
		t.Errorf("error %q leaks the redirect's path or query", err)
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("redirect target got %d requests, want none", n)
	}
	if n := len(srv.seen()); n != 1 || obs.retries.Load() != 0 {
		t.Errorf("server saw %d requests and %d retries, want 1 and 0", n, obs.retries.Load())
	}
	if len(res.Delivered) != 0 {
		t.Errorf("delivered %v, want none", res.Delivered)
	}
}

func TestDeliverGone(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) {
		http.Error(w, "this hook was deleted", http.StatusGone)
	})
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}}
	_, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(3))
	if !errors.Is(err, webhook.ErrGone) || !strings.Contains(err.Error(), "the endpoint answered 410 Gone") {
		t.Fatalf("Deliver: %v, want ErrGone saying the endpoint answered 410 Gone", err)
	}
	if n := len(srv.seen()); n != 1 {
		t.Errorf("server saw %d requests, want 1: 410 is neither retried nor bisected", n)
	}
}

// TestDeliverUnauthorizedIsNotBisected: 401 and 403 refuse the credentials, not the records, so
// the batch is neither bisected nor rejected record by record: Deliver fails with ErrUnauthorized.
func TestDeliverUnauthorizedIsNotBisected(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) {
				http.Error(w, "bad token "+strings.Repeat("y", 2000), status)
			})
			obs := &observer{}
			d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL,
				Headers: map[string]string{"Authorization": "Bearer s3cr3t-token"}}, Observer: obs}
			res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(8))
			if !errors.Is(err, webhook.ErrUnauthorized) {
				t.Fatalf("Deliver: %v, want ErrUnauthorized", err)
			}
			var de *webhook.DeliveryError
			if !errors.As(err, &de) || de.Status != status || len(de.Body) != 1024 || !strings.HasPrefix(de.Body, "bad token") {
				t.Errorf("error %#v: want a *DeliveryError with status %d and the first 1024 bytes of the body", err, status)
			}
			if !strings.Contains(err.Error(), "refused the credentials") || !strings.Contains(err.Error(), "headers") ||
				!strings.Contains(err.Error(), strconv.Itoa(status)) {
				t.Errorf("error %q should say the destination refused the credentials and to check the headers", err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q leaks the connection's headers", err)
			}
			if len(res.Delivered) != 0 || len(res.Rejected) != 0 {
				t.Errorf("result %+v: want nothing delivered or rejected (the records stay pending)", res)
			}
			if n := len(srv.seen()); n != 1 || obs.retries.Load() != 0 {
				t.Errorf("server saw %d requests and %d retries, want 1 and 0: not bisected, not retried", n, obs.retries.Load())
			}
		})
	}
}

func TestDeliverPacing(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) { w.WriteHeader(http.StatusOK) })
	obs := &observer{}
	const calls = 6
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}, Pacer: pacing.NewPacer(pacing.Limits{MaxRate: 5, MaxConcurrency: calls}, pacing.State{}, 0, nil), Observer: obs}
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			if _, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2)); err != nil {
				t.Errorf("Deliver: %v", err)
			}
		})
	}
	wg.Wait()
	if n := len(srv.seen()); n != calls {
		t.Errorf("server saw %d requests, want %d", n, calls)
	}
	// With one token at a time, only the first request goes straight through; allow one more in
	// case a goroutine started after a token had refilled.
	if w := obs.waits.Load(); w < calls-2 {
		t.Errorf("observer saw %d pacer waits for %d requests at 5/s, want at least %d", w, calls, calls-2)
	}
}

func TestDeliverConcurrently(t *testing.T) {
	secret := newSecret(t)
	var badSigs atomic.Int64
	srv := newServer(t, func(w http.ResponseWriter, r request, n int) {
		if err := verifyStandardWebhooks(secret, r.header, r.body); err != nil {
			badSigs.Add(1)
		}
		switch {
		case n%5 == 0:
			http.Error(w, "flaky", http.StatusBadGateway)
		case bytes.Contains(r.body, []byte(`"refuse":true`)):
			http.Error(w, "refused", http.StatusBadRequest)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	obs := &observer{}
	const workers, batches = 8, 15
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL, SigningSecret: secret}, Observer: obs,
		Pacer: pacing.NewPacer(pacing.Limits{}, pacing.State{}, workers, nil)})
	meta := testMeta() // shared, as one run's batches share it
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for b := range batches {
				records := makeRecords(20)
				records[(w+b)%20] = []byte(`{"unique_id":-1,"refuse":true}`)
				res, err := d.Deliver(context.Background(), meta, webhook.OpChanged, records)
				if err != nil {
					t.Errorf("Deliver: %v", err)
					return
				}
				if len(res.Delivered) != 19 || len(res.Rejected) != 1 || res.Rejected[0].Index != (w+b)%20 {
					t.Errorf("worker %d batch %d: %d delivered, rejected %+v", w, b, len(res.Delivered), res.Rejected)
				}
			}
		})
	}
	wg.Wait()
	if n := badSigs.Load(); n != 0 {
		t.Errorf("%d requests had a bad signature", n)
	}
	if obs.retries.Load() == 0 {
		t.Errorf("no retries observed, want some for the 502s")
	}
}

func TestDeliverStopsOnCancel(t *testing.T) {
	t.Run("while the request is in flight", func(t *testing.T) {
		release := make(chan struct{})
		arrived := make(chan struct{}, 1)
		srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) {
			arrived <- struct{}{}
			<-release
		})
		defer close(release) // before the server's Close, which waits for the handler
		ctx, cancel := context.WithCancel(context.Background())
		done := deliverAsync(ctx, &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}})
		<-arrived
		cancel()
		expectCanceled(t, done)
	})
	t.Run("while backing off", func(t *testing.T) {
		arrived := make(chan struct{}, 1)
		srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) {
			w.Header().Set("Retry-After", "3600")
			http.Error(w, "later", http.StatusServiceUnavailable)
			arrived <- struct{}{}
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := deliverAsync(ctx, &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}})
		<-arrived
		cancel()
		expectCanceled(t, done)
	})
	t.Run("while paced", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) { w.WriteHeader(http.StatusOK) })
		lim := pacing.NewPacer(pacing.Limits{MaxRate: 1.0 / 3600, MaxConcurrency: 1}, pacing.State{}, 0, nil)
		if done, _, err := lim.Acquire(context.Background()); err != nil { // spend the only token: the next request would wait an hour
			t.Fatal(err)
		} else {
			done(pacing.NotSent)
		}
		ctx, cancel := context.WithCancel(context.Background())
		obs := &observer{}
		done := deliverAsync(ctx, &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}, Pacer: lim, Observer: obs})
		cancel()
		expectCanceled(t, done)
		if n := len(srv.seen()); n != 0 {
			t.Errorf("server saw %d requests, want none", n)
		}
	})
}

type deliverOutcome struct {
	res webhook.Result
	err error
}

func deliverAsync(ctx context.Context, d *webhook.Deliverer) <-chan deliverOutcome {
	done := make(chan deliverOutcome, 1)
	go func() {
		res, err := d.Deliver(ctx, testMeta(), webhook.OpChanged, makeRecords(3))
		done <- deliverOutcome{res, err}
	}()
	return done
}

func expectCanceled(t *testing.T, done <-chan deliverOutcome) {
	t.Helper()
	select {
	case out := <-done:
		if !errors.Is(out.err, context.Canceled) {
			t.Errorf("Deliver: %v, want context.Canceled", out.err)
		}
		if len(out.res.Delivered) != 0 {
			t.Errorf("delivered %v after cancel, want none", out.res.Delivered)
		}
	case <-time.After(time.Minute):
		t.Fatal("Deliver hung a minute after its context was canceled")
	}
}

// A Retry-After given as an HTTP date is on the endpoint's clock: it is read against the
// answer's Date (that clock's now), not the runner's. Read against the runner's, an endpoint
// whose clock was behind it by more than the wait asked for a date already past, and the
// runner retried at once, each retry refused again, until the run failed; one ahead of it
// held the retry back by its skew (up to the bound, and past it the run failed).
func TestDeliverRetryAfterDateOnTheEndpointsClock(t *testing.T) {
	behind := time.Now().Add(-time.Hour)
	waits, _ := deliverAfter429(t, func(h http.Header) {
		h.Set("Date", behind.UTC().Format(http.TimeFormat))
		h.Set("Retry-After", behind.Add(3*time.Second).UTC().Format(http.TimeFormat))
	})
	// The deliverer sleeps the wait: 3 s keeps the test short, and is not the 0 s a Retry-After
	// date read against the runner's clock (an hour after it) gives.
	if len(waits) != 1 || waits[0] < 2*time.Second {
		t.Errorf("waits before the retries: %v, want one of the 3s its Retry-After date is after its Date", waits)
	}
}
