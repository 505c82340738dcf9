package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A record whose rendered body is not JSON is rejected with where it broke, quoting what was
// rendered around it: a string the template writes as it is (an API key Terraform interpolated
// from a sensitive variable) was quoted too, into the run's rejected records, the delivery log and
// notifications. It is left out there as the plan's errors leave it out.
func TestRejectionHidesTemplateStrings(t *testing.T) {
	const key = "sk_live_ABCDEFGH12345"
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts?token=tok_98765432",
			Body: `{"api_key": "` + key + `", "name": {{ record.name }}}`}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	d := &Deliverer{Endpoint: Endpoint{URL: "http://127.0.0.1:1"}, Builder: rs, MaxRetries: -1}
	res, err := d.Deliver(context.Background(), &Meta{}, controlplane.OpNew, [][]byte{[]byte(`{"name":"Bob"}`)})
	if err != nil || len(res.Rejected) != 1 {
		t.Fatalf("want the record rejected: %v, %+v", err, res)
	}
	body := res.Rejected[0].Body
	if !strings.Contains(body, "not valid JSON") || !strings.Contains(body, "[template text]") {
		t.Errorf("rejection %q: want where the body broke, with the template's strings hidden", body)
	}
	if strings.Contains(body, key) || strings.Contains(body, "ABCDEFGH") {
		t.Errorf("rejection %q shows the template's string %q", body, key)
	}
}

// TestRefusalAnswerHidesTemplateStrings: an endpoint's refusal that echoes the request it got (the
// body the template rendered, its path's query) is kept for rejections, the delivery log and
// notifications without the strings the template writes as they are, as the plan's test request
// keeps it; an answer cut by its bound in the middle of one too.
func TestRefusalAnswerHidesTemplateStrings(t *testing.T) {
	const key = "sk_live_ABCDEFGH12345"
	for _, cut := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.WriteHeader(http.StatusUnprocessableEntity)
			answer := "invalid request " + r.URL.RawQuery + " " + string(b)
			if cut {
				answer = strings.Repeat("x", rejectionBodyLimit-len(`{"api_key": "sk_live_ABCD`)) + string(b)
			}
			_, _ = io.WriteString(w, answer)
		}))
		rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts?token=tok_98765432",
				Body: `{"api_key": "` + key + `", "name": {{ record.name | json }}}`}}, Vars{})
		if err != nil {
			t.Fatal(err)
		}
		d := &Deliverer{Endpoint: Endpoint{URL: srv.URL}, Builder: rs, MaxRetries: -1, Client: srv.Client()}
		res, err := d.Deliver(context.Background(), &Meta{}, controlplane.OpNew, [][]byte{[]byte(`{"name":"Bob"}`)})
		srv.Close()
		if err != nil || len(res.Rejected) != 1 {
			t.Fatalf("want the record rejected: %v, %+v", err, res)
		}
		body := res.Rejected[0].Body
		if strings.Contains(body, "ABCDEFGH") || strings.Contains(body, "98765432") || !strings.Contains(body, "[template text]") {
			t.Errorf("cut %v: rejection %q shows a template's string", cut, body)
		}
		if !cut && !strings.Contains(body, `"Bob"`) {
			t.Errorf("rejection %q: want the rest of the answer kept", body)
		}
	}
}

// A string literal in a Liquid tag is written as it is too ({{ "sk_live_..." | json }}, a
// default: '...'): a rejection quoting what the template rendered leaves it out as well.
func TestRejectionHidesTagLiterals(t *testing.T) {
	for _, body := range []string{
		`{"api_key": {{ "sk_live_ABCDEFGH12345" | json }}, "name": {{ record.name }}}`,
		`{"api_key": "{{ record.key | default: 'sk_live_ABCDEFGH12345' }}", "name": {{ record.name }}}`,
		"{\"api_key\": \"{%\n  if true %}sk_live_{% endif %}{{ 'ABCDEFGH12345' }}\", \"name\": {{ record.name }}}",
	} {
		rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: body}}, Vars{})
		if err != nil {
			t.Fatal(err)
		}
		d := &Deliverer{Endpoint: Endpoint{URL: "http://127.0.0.1:1"}, Builder: rs, MaxRetries: -1}
		res, err := d.Deliver(context.Background(), &Meta{}, controlplane.OpNew, [][]byte{[]byte(`{"name":"Bob"}`)})
		if err != nil || len(res.Rejected) != 1 {
			t.Fatalf("%s: want the record rejected: %v, %+v", body, err, res)
		}
		if got := res.Rejected[0].Body; strings.Contains(got, "ABCDEFGH") || !strings.Contains(got, "not valid JSON") {
			t.Errorf("%s: rejection %q shows the tag's string", body, got)
		}
	}
}

// A rejected path is quoted up to 200 bytes: a record's value (its length the warehouse's) can
// put that bound inside a query value the template writes, which the rejection must still leave
// out. It was hidden after the cut, when what was left of it no longer matched.
func TestRejectedPathCutInsideATemplateString(t *testing.T) {
	const token = "tok_98765432abcdef"
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.id }}?token=" + token}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	for n := 160; n <= 200; n++ {
		id := strings.Repeat("a", n) + "/b" // a slash a {{ }} writes: refused
		d := &Deliverer{Endpoint: Endpoint{URL: "http://127.0.0.1:1"}, Builder: rs, MaxRetries: -1}
		res, err := d.Deliver(context.Background(), &Meta{}, controlplane.OpNew, [][]byte{[]byte(`{"id":"` + id + `"}`)})
		if err != nil || len(res.Rejected) != 1 {
			t.Fatalf("want the record rejected: %v, %+v", err, res)
		}
		if body := res.Rejected[0].Body; strings.Contains(body, "tok_9876") {
			t.Errorf("id of %d bytes: rejection %q shows the start of the path's token", n+2, body)
		}
	}
}
