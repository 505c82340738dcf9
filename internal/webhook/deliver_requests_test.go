package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// ignoreRequests leaves Result.Requests out of comparisons that are about the records.
var ignoreRequests = cmpopts.IgnoreFields(webhook.Result{}, "Requests")

// Result.Requests lists every request a Deliver made, one per webhook-id: a retried batch once
// with its attempts, each half of a bisection with the records it carried, the refusals with
// the start of their answer, and the one that ended the delivery.
func TestDeliverReportsRequests(t *testing.T) {
	records := makeRecords(4)
	records[2] = []byte(`{"unique_id":2,"poison":true}`)
	attempts := map[string]int{}
	srv := newServer(t, func(w http.ResponseWriter, r request, _ int) {
		id := r.header.Get("webhook-id")
		attempts[id]++
		switch {
		case bytes.Contains(r.body, []byte("poison")):
			http.Error(w, "bad record", http.StatusUnprocessableEntity)
		case attempts[id] == 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}})
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, records)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		First, Count, Attempts, Status int
		Body                           string
	}
	var got []row
	ids := map[string]bool{}
	for _, r := range res.Requests {
		got = append(got, row{r.First, r.Count, r.Attempts, r.Status, r.Body})
		if !messageID.MatchString(r.WebhookID) || ids[r.WebhookID] || r.SentAt.IsZero() || r.Latency <= 0 || r.Err != "" {
			t.Errorf("request %+v: want a fresh webhook-id, a start, a latency and no error", r)
		}
		ids[r.WebhookID] = true
	}
	// [0-3] refused; [0 1] retried once then delivered; [2 3] refused; [2] refused; [3] retried once.
	want := []row{{0, 4, 1, 422, "bad record\n"}, {0, 2, 2, 200, ""}, {2, 2, 1, 422, "bad record\n"},
		{2, 1, 1, 422, "bad record\n"}, {3, 1, 2, 200, ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	// A request that never got an answer: its error, no status.
	d = fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: "http://127.0.0.1:1/hook"}, MaxRetries: 1})
	res, err = d.Deliver(context.Background(), testMeta(), webhook.OpDeleted, records[:1])
	if !errors.Is(err, webhook.ErrRetriesExhausted) {
		t.Fatalf("Deliver to a closed port: %v", err)
	}
	if len(res.Requests) != 1 || res.Requests[0].Attempts != 2 || res.Requests[0].Status != 0 || res.Requests[0].Err == "" {
		t.Errorf("requests to a closed port: %+v", res.Requests)
	}
}

// OnRetry sees each retry before its wait (attempt n of the most, the cause, the wait) and says
// when the wait ended; a network error names the method, scheme, host and port, never the path.
func TestDeliverOnRetry(t *testing.T) {
	var calls []webhook.Retry
	waited := 0
	srv := newServer(t, func(w http.ResponseWriter, _ request, n int) {
		if n <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}, OnRetry: func(r webhook.Retry) func() {
		calls = append(calls, r)
		return func() { waited++ }
	}})
	if _, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(3)); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || waited != 2 {
		t.Fatalf("OnRetry called %d times, waits ended %d times; want 2 and 2: %+v", len(calls), waited, calls)
	}
	for i, r := range calls {
		if r.Attempt != i+1 || r.MaxAttempts != webhook.DefaultMaxRetries+1 || r.Status != 503 || r.Records != 3 ||
			r.Cause() != "HTTP 503 Service Unavailable" || r.WebhookID != calls[0].WebhookID {
			t.Errorf("retry %d: %+v (cause %q)", i, r, r.Cause())
		}
	}

	calls = nil
	d = fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: "http://127.0.0.1:1/hooks/t0ken?k=s3cret"}, MaxRetries: 1,
		OnRetry: func(r webhook.Retry) func() { calls = append(calls, r); return nil }})
	_, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1))
	if err == nil || len(calls) != 1 || calls[0].Status != 0 {
		t.Fatalf("Deliver to a closed port: %v, retries %+v", err, calls)
	}
	for _, text := range []string{err.Error(), calls[0].Cause()} {
		if !strings.Contains(text, "POST http://127.0.0.1:1/…: dial tcp") || strings.Contains(text, "t0ken") ||
			strings.Contains(text, "s3cret") {
			t.Errorf("error text %q: want the method, scheme, host and port, and no path or query", text)
		}
	}
	if n := strings.Count(err.Error(), "connection refused"); n != 1 {
		t.Errorf("the cause is repeated %d times: %s", n, err)
	}
}

// Record mode with RecordConcurrency sends a batch's records that many at once, and reports each
// as sequential sending did: a refused record rejected alone, the others delivered, every request
// listed. After an error no record is started, and those in flight are still listed.
func TestDeliverRecordsConcurrently(t *testing.T) {
	var mu sync.Mutex
	inflight, most := 0, 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inflight++
		most = max(most, inflight)
		if inflight == 3 {
			close(release)
		}
		mu.Unlock()
		select {
		case <-release:
		case <-time.After(time.Minute):
			t.Errorf("hung: a request waited a minute for three in flight")
		}
		mu.Lock()
		inflight--
		mu.Unlock()
		switch r.URL.Path {
		case "/c/4":
			http.Error(w, "bad record", http.StatusUnprocessableEntity)
		case "/c/7":
			http.Error(w, "no", http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "PUT", Path: "/c/{{ record.unique_id }}"}}, webhook.Vars{})
	if err != nil {
		t.Fatal(err)
	}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}, Builder: rs, RecordConcurrency: 3})
	res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, makeRecords(7))
	if err != nil {
		t.Fatal(err)
	}
	if most != 3 || !slices.Equal(sorted(res.Delivered), []int{0, 1, 2, 3, 5, 6}) || len(res.Rejected) != 1 ||
		res.Rejected[0].Index != 4 || len(res.Requests) != 7 {
		t.Errorf("at most %d in flight, delivered %v, rejected %+v, %d requests; want 3, all but 4, 4, 7",
			most, sorted(res.Delivered), res.Rejected, len(res.Requests))
	}

	// Record 7 is refused for the credentials: the run stops, and nothing after the records in
	// flight then is sent.
	res, err = d.Deliver(context.Background(), testMeta(), controlplane.OpNew, makeRecords(40))
	if !errors.Is(err, webhook.ErrUnauthorized) {
		t.Fatalf("Deliver: %v, want ErrUnauthorized", err)
	}
	seen := map[int]bool{}
	for _, r := range res.Requests {
		seen[r.First] = true
	}
	for _, i := range res.Delivered {
		if !seen[i] {
			t.Errorf("record %d delivered without a request listed", i)
		}
	}
	if len(res.Requests) >= 40 || !seen[7] || len(res.Delivered)+len(res.Rejected) != len(res.Requests)-1 {
		t.Errorf("%d requests, %d delivered, %d rejected: want fewer than 40, record 7's listed, all but it answered",
			len(res.Requests), len(res.Delivered), len(res.Rejected))
	}
}

// In record mode, once a record's request fails the delivery (a 401, 403, 3xx or 410 to a path
// the same for every record), no other request of the batch is sent: neither the records
// waiting for the pacer nor a retry. Their records stay pending, and the failure is returned.
func TestDeliverRecordsStopAfterAFailure(t *testing.T) {
	for _, tc := range []struct {
		status int
		kind   error
	}{
		{http.StatusUnauthorized, webhook.ErrUnauthorized},
		{http.StatusForbidden, webhook.ErrUnauthorized},
		{http.StatusGone, webhook.ErrGone},
		{http.StatusMultipleChoices, webhook.ErrRedirect},
		{http.StatusFound, webhook.ErrRedirect},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			var mu sync.Mutex
			var paths []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				paths = append(paths, r.URL.RawQuery)
				mu.Unlock()
				if tc.status == http.StatusFound {
					w.Header().Set("Location", "https://elsewhere.example/c")
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
				New: &controlplane.OperationRequest{Method: "POST", Path: "/c"}}, webhook.Vars{})
			if err != nil {
				t.Fatal(err)
			}
			// One request in flight on the connection; four records of the batch taken at once,
			// three of them waiting for the pacer when the first is answered.
			pacer := pacing.NewPacer(pacing.Limits{MaxConcurrency: 1}, pacing.State{}, 1, nil)
			d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}, Builder: rs, Pacer: pacer,
				RecordConcurrency: 4})
			res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, makeRecords(8))
			if !errors.Is(err, tc.kind) {
				t.Fatalf("Deliver: %v, want %v", err, tc.kind)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(paths) != 1 || len(res.Requests) != 1 || len(res.Delivered) != 0 || len(res.Rejected) != 0 {
				t.Errorf("%d requests sent after HTTP %d, %d listed, delivered %v, rejected %+v: want the one answered %d, "+
					"and no other", len(paths), tc.status, len(res.Requests), res.Delivered, res.Rejected, tc.status)
			}
		})
	}

	// A record being retried when another's request fails is not sent again: it ends listed,
	// its last answer kept, and the run's failure is the other's.
	t.Run("retry", func(t *testing.T) {
		answered := make(chan struct{}) // record 0's first attempt was answered
		var once sync.Once
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/c/1" {
				select {
				case <-answered:
				case <-time.After(time.Minute):
					t.Error("hung: record 1's request waited a minute for record 0's answer")
				}
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			once.Do(func() { close(answered) })
		}))
		defer srv.Close()
		rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "PUT", Path: "/c/{{ record.unique_id }}"}}, webhook.Vars{})
		if err != nil {
			t.Fatal(err)
		}
		d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}, Builder: rs, RecordConcurrency: 2,
			MaxRetries: 1000})
		res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, makeRecords(2))
		if !errors.Is(err, webhook.ErrUnauthorized) {
			t.Fatalf("Deliver: %v, want the 401", err)
		}
		var zero *webhook.Request
		for i := range res.Requests {
			if res.Requests[i].First == 0 {
				zero = &res.Requests[i]
			}
		}
		if zero == nil || zero.Attempts > 1000 || !strings.Contains(zero.Err, "another record's request") ||
			len(res.Delivered)+len(res.Rejected) != 0 {
			t.Errorf("record 0's request: %+v, delivered %v, rejected %+v: want it stopped after record 1's 401, "+
				"its record pending", zero, res.Delivered, res.Rejected)
		}
	})
}

// countingPacer counts the slots its pacer gave.
type countingPacer struct {
	webhook.Pacer
	given atomic.Int32
}

func (p *countingPacer) Acquire(ctx context.Context) (func(pacing.Answer), time.Duration, error) {
	done, waited, err := p.Pacer.Acquire(ctx)
	if err == nil {
		p.given.Add(1)
	}
	return done, waited, err
}

// slotBuilder fails the test when a request's body is built before the pacer gave it a slot.
type slotBuilder struct {
	webhook.Builder
	t      *testing.T
	pacer  *countingPacer
	builds atomic.Int32
}

func (b *slotBuilder) Build(buf []byte, meta *webhook.Meta, op string, records [][]byte) (webhook.Built, error) {
	if n, given := b.builds.Add(1), b.pacer.given.Load(); n > given {
		b.t.Errorf("body %d built with %d pacer slots given: a record's body waits for the pacer", n, given)
	}
	return b.Builder.Build(buf, meta, op, records)
}

// The records of a batch sent at once are built once the pacer lets each go: built before, each
// batch sent at once (a runner sends the pacer's most) held that many bodies waiting, its most
// squared on the connection (64 × 64 pooled buffers of 64 KiB on an adaptive connection).
func TestDeliverRecordsBuiltOnceThePacerLetsThemGo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "PUT", Path: "/c/{{ record.unique_id }}"}}, webhook.Vars{})
	if err != nil {
		t.Fatal(err)
	}
	pacer := &countingPacer{Pacer: pacing.NewPacer(pacing.Limits{MaxConcurrency: 2}, pacing.State{}, 2, nil)}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}, Pacer: pacer, RecordConcurrency: 8,
		Builder: &slotBuilder{Builder: rs, t: t, pacer: pacer}})
	res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, makeRecords(20))
	if err != nil || !slices.Equal(sorted(res.Delivered), upTo(20)) || len(res.Requests) != 20 {
		t.Errorf("Deliver: %v, delivered %v, %d requests: want all 20", err, sorted(res.Delivered), len(res.Requests))
	}
}
