package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// In record mode every record is a request of its own, with everything a batch gets: retries
// under one webhook-id, a signature of the body sent, a 4xx rejecting that record only, and a
// record that cannot be rendered rejected without a request.
func TestDeliverRecordMode(t *testing.T) {
	const secret = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
	var mu sync.Mutex
	var got []string
	tries := map[string]int{}
	srv := webhooktest.New(t)
	srv.Handle(func(r *webhooktest.Request, w http.ResponseWriter) bool {
		if err := webhook.Verify(secret, r.Header, r.Body, time.Now(), time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		id := r.Header.Get("webhook-id")
		tries[id]++
		got = append(got, r.Method+" "+r.Path+" "+r.Header.Get("X-Op")+" "+string(r.Body))
		switch {
		case strings.Contains(string(r.Body), "user 1"):
			http.Error(w, "no such user", http.StatusUnprocessableEntity)
		case strings.Contains(string(r.Body), "user 2") && tries[id] == 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		default:
			return false
		}
		return true
	})
	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/users/{{ record.unique_id }}",
			Body:    `{"name": {% if record.unique_id == 3 %}{{ record.first_name }}{% else %}{{ record.first_name | json }}{% endif %}}`,
			Headers: map[string]string{"X-Op": "{{ not rendered }}"}}}, webhook.Vars{})
	if err != nil {
		t.Fatal(err)
	}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/api", SigningSecret: secret}, Builder: rs})
	res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpChanged, makeRecords(4))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`PATCH /api/users/0 {{ not rendered }} {"name": "user 0"}`,
		`PATCH /api/users/1 {{ not rendered }} {"name": "user 1"}`,
		`PATCH /api/users/2 {{ not rendered }} {"name": "user 2"}`,
		`PATCH /api/users/2 {{ not rendered }} {"name": "user 2"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 2}, sorted(res.Delivered)); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if len(res.Rejected) != 2 || res.Rejected[0].Index != 1 || res.Rejected[0].Status != 422 ||
		res.Rejected[1].Index != 3 || res.Rejected[1].Status != 0 || !strings.Contains(res.Rejected[1].Body, "not valid JSON") {
		t.Errorf("rejected %+v", res.Rejected)
	}
	if len(res.Requests) != 3 || res.Requests[2].Attempts != 2 || res.Requests[2].First != 2 || res.Requests[2].Count != 1 {
		t.Errorf("requests %+v", res.Requests)
	}
}

// In batch mode a template renders `records`; a refused batch is bisected and each half rendered
// again.
func TestDeliverBatchTemplateBisects(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := webhooktest.New(t)
	srv.Handle(func(r *webhooktest.Request, w http.ResponseWriter) bool {
		mu.Lock()
		got = append(got, string(r.Body))
		mu.Unlock()
		if strings.Contains(string(r.Body), "user 2") {
			http.Error(w, "bad", http.StatusBadRequest)
			return true
		}
		return false
	})
	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
		New: &controlplane.OperationRequest{Method: "POST", Body: `{"n": {{ records | size }}, "names": [{% for r in records %}{{ r.first_name | json }}{% unless forloop.last %},{% endunless %}{% endfor %}]}`}}, webhook.Vars{})
	if err != nil {
		t.Fatal(err)
	}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL}, Builder: rs})
	res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, makeRecords(4))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"n": 4, "names": ["user 0","user 1","user 2","user 3"]}`,
		`{"n": 2, "names": ["user 0","user 1"]}`,
		`{"n": 2, "names": ["user 2","user 3"]}`,
		`{"n": 1, "names": ["user 2"]}`,
		`{"n": 1, "names": ["user 3"]}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("bodies (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 1, 3}, sorted(res.Delivered)); diff != "" || len(res.Rejected) != 1 || res.Rejected[0].Index != 2 {
		t.Errorf("delivered %v rejected %+v", res.Delivered, res.Rejected)
	}
}

// Built.KeyPath: a record's path names it when it depends on its key (Vars.Key), not merely on
// the record: a path picked by another field (the run's id, an account) does not name it.
func TestBuiltKeyPath(t *testing.T) {
	record := []byte(`{"email":"a@example.com","account":7,"run_id":42}`)
	for _, tc := range []struct {
		path, key       string
		record, keyPath bool
	}{
		{"/contacts/{{ record.email | url_encode }}", "email", true, true},
		{"/accounts/{{ record.account }}/contacts/{{ record.email | url_encode }}", "email", true, true},
		{"/accounts/{{ record.account }}/contacts", "email", true, false},
		{"/contacts?run={{ record.run_id }}", "email", true, false},
		{"/contacts", "email", false, false},
		{"/accounts/{{ record.account }}", "", true, true}, // the key unknown: RecordPath
	} {
		rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			Changed: &controlplane.OperationRequest{Method: "PATCH", Path: tc.path}}, webhook.Vars{Key: tc.key})
		if err != nil {
			t.Fatal(err)
		}
		b, err := rs.Build(nil, nil, controlplane.OpChanged, [][]byte{record})
		if err != nil {
			t.Fatal(err)
		}
		if b.RecordPath != tc.record || b.KeyPath != tc.keyPath {
			t.Errorf("%s (key %q): RecordPath %v, KeyPath %v; want %v, %v", tc.path, tc.key, b.RecordPath, b.KeyPath, tc.record, tc.keyPath)
		}
	}
}
