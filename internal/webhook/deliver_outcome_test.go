package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// MayHaveDelivered tells records the endpoint may have taken (a request it did not answer) from
// records it did not (every attempt refused, or none could connect): the runner keeps intents only
// for the first.
func TestResultMayHaveDelivered(t *testing.T) {
	refusing := newServer(t, func(w http.ResponseWriter, _ request, _ int) {
		http.Error(w, "upstream down", http.StatusServiceUnavailable)
	})
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer hanging.Close()
	defer close(release)
	// The default client does not trust the test server's certificate: the TLS handshake fails
	// before any byte of the request is sent.
	untrusted := httptest.NewTLSServer(http.NotFoundHandler())
	defer untrusted.Close()

	for _, tc := range []struct {
		name   string
		url    string
		client *http.Client
		want   bool
		kind   error
	}{
		{"every attempt answered 503", refusing.URL, nil, false, webhook.ErrRetriesExhausted},
		{"no connection could be made", "http://" + webhooktest.ClosedAddr, nil, false, webhook.ErrRetriesExhausted},
		{"the certificate was not trusted", untrusted.URL, nil, false, webhook.ErrCertificate}, // not retried
		{"attempts that timed out", hanging.URL, &http.Client{Timeout: 50 * time.Millisecond}, true, webhook.ErrRetriesExhausted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: tc.url}, Client: tc.client, MaxRetries: 1})
			res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, makeRecords(3))
			if !errors.Is(err, tc.kind) {
				t.Fatalf("Deliver: %v, want %v", err, tc.kind)
			}
			if len(res.Delivered)+len(res.Rejected) != 0 {
				t.Fatalf("result %+v: want nothing delivered or rejected", res)
			}
			if got := res.MayHaveDelivered(); got != tc.want {
				t.Errorf("MayHaveDelivered = %v, want %v (requests %+v)", got, tc.want, res.Requests)
			}
			// Do applies the client's timeout itself, and says so as net/http would.
			if tc.client != nil && !strings.Contains(err.Error(), "no answer within the client's timeout of 50ms") {
				t.Errorf("Deliver: %v, want it to say no answer came within the client's timeout", err)
			}
		})
	}
}

// A request the client's timeout ended is a timeout, as net/http's Client.Timeout made it: its
// *url.Error says Timeout() (what a caller tells a timeout by), and it matches
// context.DeadlineExceeded, the wording saying which timeout it was.
func TestDoClientTimeoutIsATimeout(t *testing.T) {
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)
	client := *webhook.DefaultClient()
	client.Timeout = 50 * time.Millisecond
	req, _ := http.NewRequest(http.MethodPost, hanging.URL, strings.NewReader("{}"))
	_, done, err := webhook.Do(&client, req)
	done()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("Do: %v (%T), want a net.Error whose Timeout() is true", err, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || err == nil || !strings.Contains(err.Error(), "no answer within the client's timeout of 50ms") {
		t.Errorf("Do: %v, want context.DeadlineExceeded saying the client's timeout ended it", err)
	}
}

// A POST with no body (format none) carries Content-Length: 0, as net/http sends an empty body,
// not a chunked one of unknown length (which endpoints may refuse with 411).
func TestDeliverEmptyBodyHasContentLength(t *testing.T) {
	var mu sync.Mutex
	var lengths []int64
	var encodings [][]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		lengths = append(lengths, r.ContentLength)
		encodings = append(encodings, r.TransferEncoding)
	}))
	defer srv.Close()
	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/subscribe/{{ record.unique_id }}", Format: controlplane.FormatNone}}, webhook.Vars{})
	if err != nil {
		t.Fatal(err)
	}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}, Builder: rs})
	res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, makeRecords(2))
	if err != nil || len(res.Delivered) != 2 {
		t.Fatalf("Deliver: %v, %+v: want both delivered", err, res)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range lengths {
		if lengths[i] != 0 || len(encodings[i]) != 0 {
			t.Errorf("request %d: Content-Length %d, Transfer-Encoding %v; want 0 and none", i, lengths[i], encodings[i])
		}
	}
}

// A record whose path renders to something no URL can carry (a control character, a bare %) is
// refused alone, with status 0, and never sent; the records beside it are delivered and the
// delivery goes on.
func TestDeliverUnbuildablePathRefusesTheRecordAlone(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		paths = append(paths, r.URL.EscapedPath())
	}))
	defer srv.Close()
	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "PUT", Path: "/c/{{ record.name }}", Body: `{"n": {{ record.name | json }}}`}}, webhook.Vars{})
	if err != nil {
		t.Fatal(err)
	}
	records := [][]byte{[]byte(`{"name":"ok1"}`), []byte(`{"name":"50% off"}`), []byte(`{"name":"a\r\nb"}`),
		[]byte(`{"name":"x\u0000y"}`), []byte(`{"name":"tab\tin"}`), []byte(`{"name":"ok2"}`)}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}, Builder: rs})
	res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, records)
	if err != nil {
		t.Fatalf("Deliver: %v, want the bad records refused and the rest delivered", err)
	}
	if got := sorted(res.Delivered); !slices.Equal(got, []int{0, 5}) {
		t.Errorf("delivered %v, want [0 5]", got)
	}
	var refused []int
	for _, r := range res.Rejected {
		refused = append(refused, r.Index)
		if r.Status != 0 || !strings.Contains(r.Body, "not a valid URL path") || !strings.Contains(r.Body, "url_encode") {
			t.Errorf("rejection %+v: want status 0 and why, naming url_encode", r)
		}
	}
	if slices.Sort(refused); !slices.Equal(refused, []int{1, 2, 3, 4}) {
		t.Errorf("refused %v, want [1 2 3 4]", refused)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(paths, []string{"/c/ok1", "/c/ok2"}) && !slices.Equal(paths, []string{"/c/ok2", "/c/ok1"}) {
		t.Errorf("endpoint saw %v, want only the two good records", paths)
	}
}

// url_encode escapes a dot segment, which would otherwise name another path once resolved.
func TestPercentEncodeDotSegments(t *testing.T) {
	for in, want := range map[string]string{".": "%2E", "..": "%2E%2E", "...": "...", "a..b": "a..b", ".a": ".a", "": ""} {
		if got := webhook.PercentEncode(in); got != want {
			t.Errorf("PercentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

// A path segment that is a dot segment once percent-decoded (%2E%2E, %2e., what url_encode makes
// of a value ".."), or once a ;parameter is cut off (..;x, which Tomcat reads as ..), is refused
// as a plain ".." is: servers decode the path before resolving it (Go's own server hands the
// handler /api/contacts/../items for /api/contacts/%2E%2E/items, nginx resolves it to
// /api/items before choosing a location or proxying), so the request would reach another
// resource than the one it names: DELETE /api/contacts/%2E%2E/items deletes /api/items. The
// record is refused alone (status 0, the reason naming the segment), never sent; the others
// go on, and a value that only contains dots (a..b, ...) or is .. in the query is sent.
func TestDeliverEncodedDotSegmentIsRefused(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		paths = append(paths, r.URL.Path+"?"+r.URL.RawQuery)
	}))
	defer srv.Close()
	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		Deleted: &controlplane.OperationRequest{Method: "DELETE",
			Path: "/contacts/{{ record.id | url_encode }}/items/{{ record.raw }}?q={{ record.id | url_encode }}"}}, webhook.Vars{})
	if err != nil {
		t.Fatal(err)
	}
	records := [][]byte{
		[]byte(`{"id":"ok","raw":"r"}`),              // 0: sent
		[]byte(`{"id":"..","raw":"r"}`),              // 1: %2E%2E
		[]byte(`{"id":".","raw":"r"}`),               // 2: %2E
		[]byte(`{"id":"ok","raw":"%2e%2E"}`),         // 3: encoded by hand, mixed case
		[]byte(`{"id":"ok","raw":".%2e"}`),           // 4: half encoded
		[]byte(`{"id":"ok","raw":"..;x"}`),           // 5: a dot segment with a ;parameter
		[]byte(`{"id":"ok","raw":"%2E;x"}`),          // 6
		[]byte(`{"id":"a..b","raw":"..."}`),          // 7: sent
		[]byte(`{"id":"../admin","raw":"r"}`),        // 8: ..%2Fadmin, which nginx decodes to ../admin
		[]byte(`{"id":"a/./b","raw":"r"}`),           // 9
		[]byte(`{"id":"..\\x","raw":"r"}`),           // 10: ..%5Cx, a backslash is a separator to some servers
		[]byte(`{"id":"dir/file.txt","raw":"v1.0"}`), // 11: sent
	}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/api"}, Builder: rs})
	res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpDeleted, records)
	if err != nil {
		t.Fatalf("Deliver: %v, want the bad records refused and the rest delivered", err)
	}
	if got := sorted(res.Delivered); !slices.Equal(got, []int{0, 7, 11}) {
		t.Errorf("delivered %v, want [0 7 11]", got)
	}
	var refused []int
	for _, r := range res.Rejected {
		refused = append(refused, r.Index)
		if r.Status != 0 || !strings.Contains(r.Body, "segment") || !strings.Contains(r.Body, "another path") {
			t.Errorf("rejection %+v: want status 0 and why, naming the segment", r)
		}
	}
	if slices.Sort(refused); !slices.Equal(refused, []int{1, 2, 3, 4, 5, 6, 8, 9, 10}) {
		t.Errorf("refused %v, want [1 2 3 4 5 6 8 9 10]", refused)
	}
	mu.Lock()
	slices.Sort(paths)
	if want := []string{"/api/contacts/a..b/items/...?q=a..b", "/api/contacts/dir/file.txt/items/v1.0?q=dir%2Ffile.txt",
		"/api/contacts/ok/items/r?q=ok"}; !slices.Equal(paths, want) {
		t.Errorf("endpoint saw %q, want %q", paths, want)
	}
	mu.Unlock()

	errs := webhook.CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "PUT", Path: "/c/%2E%2E/{{ record.name | url_encode }}"}}, webhook.Vars{},
		[]byte(`{"name":"n"}`), []byte(`{"name":"n"}`))
	if len(errs) != 1 || errs[0].Field != "path" {
		t.Errorf("plan check of path /c/%%2E%%2E/...: %v, want one error on the path", errs)
	}
}

// A Retry-After longer than a run waits (pacing.MaxRetryAfter) ends the delivery at once, saying
// so, instead of holding the sync for hours; the records stay pending.
func TestDeliverRetryAfterTooLong(t *testing.T) {
	for _, ra := range []string{"7200", time.Now().Add(3 * time.Hour).UTC().Format(http.TimeFormat)} {
		srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) {
			w.Header().Set("Retry-After", ra)
			http.Error(w, "come back tomorrow", http.StatusTooManyRequests)
		})
		d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}})
		res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, makeRecords(2))
		if !errors.Is(err, webhook.ErrWaitTooLong) {
			t.Fatalf("Retry-After %q: Deliver: %v, want ErrWaitTooLong", ra, err)
		}
		if n := len(srv.seen()); n != 1 {
			t.Errorf("Retry-After %q: %d requests, want 1", ra, n)
		}
		if msg := err.Error(); !strings.Contains(msg, pacing.MaxRetryAfter.String()) || !strings.Contains(msg, "pending") {
			t.Errorf("error %q: want the bound and that the records stay pending", msg)
		}
		if len(res.Delivered)+len(res.Rejected) != 0 || res.MayHaveDelivered() {
			t.Errorf("result %+v: want nothing taken", res)
		}
		srv.Close()
	}
}

// A value put in a path without url_encode must not send the request elsewhere than the path
// says: a '#' would cut the path there (a fragment is never sent, so /c/a#b went to /c/a), and a
// "." or ".." segment would be resolved by the endpoint or a proxy (/api/c/../../admin is
// /admin, out of the connection's URL). Such a record is refused alone, status 0, never sent;
// escaped, the same values pass. The plan-time check refuses such a path too.
func TestDeliverPathCannotLeaveItsSegments(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		paths = append(paths, r.URL.EscapedPath())
	}))
	defer srv.Close()
	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "PUT", Path: "/c/{{ record.name }}?v={{ record.v }}"}}, webhook.Vars{})
	if err != nil {
		t.Fatal(err)
	}
	records := [][]byte{[]byte(`{"name":"ok1","v":"1"}`), []byte(`{"name":"a#b","v":"1"}`),
		[]byte(`{"name":"../../admin","v":"1"}`), []byte(`{"name":"..","v":"1"}`), []byte(`{"name":"x/./y","v":"1"}`),
		[]byte(`{"name":"ok2","v":"1#x"}`), []byte(`{"name":"a..b.c","v":"../x"}`)}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/api"}, Builder: rs})
	res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, records)
	if err != nil {
		t.Fatalf("Deliver: %v, want the bad records refused and the rest delivered", err)
	}
	if got := sorted(res.Delivered); !slices.Equal(got, []int{0, 6}) {
		t.Errorf("delivered %v, want [0 6]", got)
	}
	var refused []int
	for _, r := range res.Rejected {
		refused = append(refused, r.Index)
		if r.Status != 0 || !strings.Contains(r.Body, "url_encode") {
			t.Errorf("rejection %+v: want status 0 and why, naming url_encode", r)
		}
	}
	if slices.Sort(refused); !slices.Equal(refused, []int{1, 2, 3, 4, 5}) {
		t.Errorf("refused %v, want [1 2 3 4 5]", refused)
	}
	mu.Lock()
	slices.Sort(paths)
	if !slices.Equal(paths, []string{"/api/c/a..b.c", "/api/c/ok1"}) {
		t.Errorf("endpoint saw %v, want only the two good records", paths)
	}
	mu.Unlock()

	for _, p := range []string{"/c/{{ record.name }}#top", "/c/../{{ record.name }}"} {
		errs := webhook.CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "PUT", Path: p}}, webhook.Vars{}, []byte(`{"name":"n"}`), []byte(`{"name":"n"}`))
		if len(errs) != 1 || errs[0].Field != "path" {
			t.Errorf("plan check of path %q: %v, want one error on the path", p, errs)
		}
	}
}

// In record mode, a 410 to a request whose path names the record (DELETE /contacts/7) says that
// record's resource is gone, not the endpoint: the record is refused alone, as a 404 would refuse
// it, and the others go on. Before, it paused the sync, and since the record stayed pending every
// run paused it again. A 410 to a path that does not depend on the record (or to a batch) still
// says the endpoint is gone.
func TestDeliverGoneRecordResource(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/api/contacts/2" || r.URL.Path == "/api/list" {
			http.Error(w, "gone", http.StatusGone)
		}
	}))
	defer srv.Close()
	records := [][]byte{[]byte(`{"id":1}`), []byte(`{"id":2}`), []byte(`{"id":3}`)}
	deliver := func(path string) (webhook.Result, error) {
		rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: path}}, webhook.Vars{SyncID: 9})
		if err != nil {
			t.Fatal(err)
		}
		d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/api"}, Builder: rs})
		return d.Deliver(context.Background(), testMeta(), controlplane.OpDeleted, records)
	}
	res, err := deliver("/contacts/{{ record.id | url_encode }}")
	if err != nil {
		t.Fatalf("Deliver: %v, want the gone record refused alone", err)
	}
	if got := sorted(res.Delivered); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("delivered %v, want [0 2]", got)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Index != 1 || res.Rejected[0].Status != http.StatusGone {
		t.Errorf("rejected %+v, want record 1 with 410", res.Rejected)
	}
	// The same path for every record (sync.id is the run's, not the record's): the endpoint is gone.
	for _, p := range []string{"/list", "/list{% if sync.id == 0 %}x{% endif %}"} {
		if _, err := deliver(p); !errors.Is(err, webhook.ErrGone) {
			t.Errorf("path %q answered 410: %v, want ErrGone", p, err)
		}
	}
}

// In record mode, a 300 Multiple Choices to a request whose path names the record says that path
// names several resources: Salesforce answers an upsert by external id (PATCH
// /sobjects/Contact/Ext_Id__c/{{ record.id }}) so when the id is on more than one of its records,
// and applies nothing. It is about that record: the record is refused alone with the answer (the
// list of the matches), and the others go on. Before, it failed the run as a redirect, and since
// the record stayed pending every run failed on it. Other 3xx, and a 300 to a path the same for
// every record, still fail the run: they say where the route went.
func TestDeliverMultipleChoicesForOneRecord(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/contacts/2", "/api/list":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusMultipleChoices)
			_, _ = w.Write([]byte(`["/sobjects/Contact/003A","/sobjects/Contact/003B"]`))
		case "/api/moved/2":
			w.Header().Set("Location", "https://elsewhere.example/contacts/2")
			w.WriteHeader(http.StatusMovedPermanently)
		}
	}))
	defer srv.Close()
	records := [][]byte{[]byte(`{"id":1}`), []byte(`{"id":2}`), []byte(`{"id":3}`)}
	deliver := func(path string) (webhook.Result, error) {
		rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "PATCH", Path: path, Body: `{"id": {{ record.id }}}`}},
			webhook.Vars{SyncID: 9})
		if err != nil {
			t.Fatal(err)
		}
		d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/api"}, Builder: rs})
		return d.Deliver(context.Background(), testMeta(), controlplane.OpNew, records)
	}
	res, err := deliver("/contacts/{{ record.id | url_encode }}")
	if err != nil {
		t.Fatalf("Deliver: %v, want the record with several matches refused alone", err)
	}
	if got := sorted(res.Delivered); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("delivered %v, want [0 2]", got)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Index != 1 || res.Rejected[0].Status != http.StatusMultipleChoices ||
		!strings.Contains(res.Rejected[0].Body, "003B") {
		t.Errorf("rejected %+v, want record 1 with 300 and the matches", res.Rejected)
	}
	for _, tc := range []struct{ path, says string }{
		// Without a Location, the run's error says what the endpoint answered, not a redirect.
		{"/list", `HTTP 300 Multiple Choices without a Location, which a delivery cannot take as done: the records ` +
			`stay pending; check the connection's url and the request's path (response body: "[\"/sobjects/Contact/003A\",`},
		{"/moved/{{ record.id | url_encode }}", "HTTP 301 redirecting to https://elsewhere.example/…"},
	} {
		if _, err := deliver(tc.path); !errors.Is(err, webhook.ErrRedirect) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("path %q answered 3xx: %v, want ErrRedirect saying %s", tc.path, err, tc.says)
		}
	}
}

// A rendered path is sent as rendered, each byte a URL cannot carry as it is percent-encoded:
// Go's client wrote a query's bytes into the request line unescaped (a value "x HTTP/1.0" sent
// "POST /api/c?q=x HTTP/1.0 HTTP/1.1", which Go's server refuses with 400, so the record was
// rejected for the endpoint's answer, and another server may read as HTTP/1.0), and when a
// path held a byte to escape (a space, a non-ASCII letter, in the template, a value or the
// connection's URL) it escaped the decoded path, so the %2F that url_encode made of a value's
// slash was sent as a slash: /contacts/a%2Fb/notes/x y went as /contacts/a/b/notes/x%20y, another
// resource. A bare % in the query is sent as %25.
func TestDeliverPathSentAsRendered(t *testing.T) {
	var mu sync.Mutex
	var uris []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		uris = append(uris, r.RequestURI)
	}))
	defer srv.Close()
	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "PUT",
			Path: "/contacts/{{ record.id | url_encode }}/{{ record.title }}?q={{ record.q }}&n=é"}}, webhook.Vars{})
	if err != nil {
		t.Fatal(err)
	}
	records := [][]byte{
		[]byte(`{"id":"a/b","title":"x y","q":"1"}`),
		[]byte(`{"id":"c","title":"t","q":"x HTTP/1.0"}`),
		[]byte(`{"id":"d/e","title":"zoë","q":"50% \"off\" <b>{|}^` + "`" + `\\"}`),
	}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/données?k=1"}, Builder: rs})
	res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, records)
	if err != nil {
		t.Fatal(err)
	}
	if got := sorted(res.Delivered); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("delivered %v, rejected %+v; want all three delivered", got, res.Rejected)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(uris)
	want := []string{
		"/donn%C3%A9es/contacts/a%2Fb/x%20y?k=1&q=1&n=%C3%A9",
		"/donn%C3%A9es/contacts/c/t?k=1&q=x%20HTTP/1.0&n=%C3%A9",
		"/donn%C3%A9es/contacts/d%2Fe/zo%C3%AB?k=1&q=50%25%20%22off%22%20%3Cb%3E%7B%7C%7D%5E%60%5C&n=%C3%A9",
	}
	if !slices.Equal(uris, want) {
		t.Errorf("endpoint saw\n%q\nwant\n%q", uris, want)
	}
}

// Characters that some servers (and the frameworks and proxies before them) turn into a dot or a
// separator after Unicode normalisation (NFKC, or a best-fit mapping to ASCII): fullwidth and
// small full stops, the one and two dot leaders, fullwidth solidus and reverse solidus, division
// and fraction slashes. A segment they make a dot segment of, raw or percent-encoded (what
// url_encode makes of them), is refused as ".." is; an ordinary non-ASCII key is sent.
func TestDeliverUnicodeDotSegmentIsRefused(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		paths = append(paths, r.URL.EscapedPath())
	}))
	defer srv.Close()
	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		Deleted: &controlplane.OperationRequest{Method: "DELETE",
			Path: "/contacts/{{ record.id | url_encode }}/items/{{ record.raw }}"}}, webhook.Vars{})
	if err != nil {
		t.Fatal(err)
	}
	records := [][]byte{
		[]byte(`{"id":"café/notes","raw":"r"}`),           // 0: sent
		[]byte(`{"id":"\uff0e\uff0e","raw":"r"}`),         // 1: fullwidth full stops
		[]byte(`{"id":"\ufe52.","raw":"r"}`),              // 2: a small full stop and a dot
		[]byte(`{"id":"\u2024\u2024","raw":"r"}`),         // 3: one dot leaders
		[]byte(`{"id":"\u2025","raw":"r"}`),               // 4: a two dot leader
		[]byte(`{"id":"..\uff0fadmin","raw":"r"}`),        // 5: a fullwidth solidus
		[]byte(`{"id":"..\u2215admin","raw":"r"}`),        // 6: a division slash
		[]byte(`{"id":"a\u2044..","raw":"r"}`),            // 7: a fraction slash
		[]byte(`{"id":"..\uff3cadmin","raw":"r"}`),        // 8: a fullwidth reverse solidus
		[]byte(`{"id":"ok","raw":"\uff0e\uff0e"}`),        // 9: raw, not encoded
		[]byte(`{"id":"ok","raw":"\u2025\u2215x"}`),       // 10: raw
		[]byte(`{"id":"ok","raw":"%EF%BC%8E%EF%BC%8E"}`),  // 11: encoded by hand
		[]byte(`{"id":"ok","raw":"x%E2%88%95%E2%80%A5"}`), // 12
		[]byte(`{"id":"a\uff0eb","raw":"\u2025x"}`),       // 13: sent: dots in a name, not a segment of dots
		[]byte(`{"id":"日本/ü","raw":"naïve"}`),             // 14: sent
	}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/api"}, Builder: rs})
	res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpDeleted, records)
	if err != nil {
		t.Fatalf("Deliver: %v, want the bad records refused and the rest delivered", err)
	}
	if got := sorted(res.Delivered); !slices.Equal(got, []int{0, 13, 14}) {
		t.Errorf("delivered %v, want [0 13 14]", got)
	}
	var refused []int
	for _, r := range res.Rejected {
		refused = append(refused, r.Index)
		if r.Status != 0 || !strings.Contains(r.Body, "segment") || !strings.Contains(r.Body, "another path") {
			t.Errorf("rejection %+v: want status 0 and why, naming the segment", r)
		}
	}
	if slices.Sort(refused); !slices.Equal(refused, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}) {
		t.Errorf("refused %v, want [1 ... 12]", refused)
	}
	mu.Lock()
	slices.Sort(paths)
	if want := []string{"/api/contacts/%E6%97%A5%E6%9C%AC%2F%C3%BC/items/na%C3%AFve",
		"/api/contacts/a%EF%BC%8Eb/items/%E2%80%A5x", "/api/contacts/caf%C3%A9%2Fnotes/items/r"}; !slices.Equal(paths, want) {
		t.Errorf("endpoint saw %q, want %q", paths, want)
	}
	mu.Unlock()

	errs := webhook.CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "PUT", Path: "/c/\uff0e\uff0e/{{ record.name | url_encode }}"}}, webhook.Vars{},
		[]byte(`{"name":"n"}`), []byte(`{"name":"n"}`))
	if len(errs) != 1 || errs[0].Field != "path" {
		t.Errorf("plan check of path /c/\uff0e\uff0e/...: %v, want one error on the path", errs)
	}
}
