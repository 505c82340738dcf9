package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

func TestReceiverVerifiesAndPrints(t *testing.T) {
	secret := newSecret(t)
	out := &lockedbuf.Buffer{}
	recv := webhook.NewReceiver(out, secret)
	srv := httptest.NewServer(recv)
	defer srv.Close()

	if err := webhook.Check(context.Background(), nil, webhook.Endpoint{URL: srv.URL + "/in", SigningSecret: secret}, "Webhook Test"); err != nil {
		t.Fatalf("test_on_save against the receiver: %v", err)
	}
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/in", SigningSecret: secret}}
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2))
	if err != nil || len(res.Delivered) != 2 {
		t.Fatalf("Deliver to the receiver: %+v, %v", res, err)
	}

	printed := out.String()
	for _, want := range []string{
		"HEAD /in → 200",
		"POST /in webhook-id=msg_",
		"signature=verified operation=changed records=2 → 200",
		"\n{\n  \"api_version\": 1,\n  \"operation\": \"changed\",",
		`"first_name": "user 1"`,
	} {
		if !strings.Contains(printed, want) {
			t.Errorf("output lacks %q:\n%s", want, printed)
		}
	}
	if strings.Contains(printed, secret) {
		t.Errorf("output shows the signing secret")
	}
	if diff := cmp.Diff(webhook.ReceiverStats{Requests: 2, Envelopes: 1, Records: 2}, recv.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// signIndependently signs as the Standard Webhooks spec says, without the package's code.
func signIndependently(secret, id string, ts int64, body []byte) string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestReceiverAnswers(t *testing.T) {
	secret := newSecret(t)
	body := testMeta().AppendEnvelope(nil, webhook.OpChanged, makeRecords(3))
	now := time.Now().Unix()
	for _, tc := range []struct {
		name       string
		secret     string
		method     string
		body       []byte
		headers    map[string]string
		wantStatus int
		wantOut    string
	}{
		{"good signature", secret, "POST", body, map[string]string{"webhook-id": "msg_1", "webhook-timestamp": strconv.FormatInt(now, 10),
			"webhook-signature": "v0,old " + signIndependently(secret, "msg_1", now, body)}, 200, "signature=verified operation=changed records=3"},
		{"signature by another secret", secret, "POST", body, map[string]string{"webhook-id": "msg_1", "webhook-timestamp": strconv.FormatInt(now, 10),
			"webhook-signature": signIndependently(newSecret(t), "msg_1", now, body)}, 401, "BAD SIGNATURE"},
		{"tampered body", secret, "POST", append([]byte(" "), body...), map[string]string{"webhook-id": "msg_1", "webhook-timestamp": strconv.FormatInt(now, 10),
			"webhook-signature": signIndependently(secret, "msg_1", now, body)}, 401, "BAD SIGNATURE"},
		{"stale timestamp", secret, "POST", body, map[string]string{"webhook-id": "msg_1", "webhook-timestamp": strconv.FormatInt(now-3600, 10),
			"webhook-signature": signIndependently(secret, "msg_1", now-3600, body)}, 401, "BAD SIGNATURE"},
		{"unsigned with a secret", secret, "POST", body, map[string]string{"webhook-id": "msg_1"}, 401, "BAD SIGNATURE (none sent)"},
		{"unsigned without a secret", "", "PATCH", body, map[string]string{"webhook-id": "msg_1"}, 200, "PATCH / webhook-id=msg_1 signature=unsigned operation=changed records=3 → 200"},
		{"not JSON", "", "POST", []byte("hello"), nil, 400, "not a webhook envelope"},
		{"GET", "", "GET", nil, nil, 405, "GET / → 405"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := &lockedbuf.Buffer{}
			srv := httptest.NewServer(webhook.NewReceiver(out, tc.secret))
			defer srv.Close()
			req, err := http.NewRequest(tc.method, srv.URL, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("output lacks %q:\n%s", tc.wantOut, out.String())
			}
		})
	}
}

// TestJSONReceiver: a JSON receiver prints one JSON object per request, what a script needs to
// count what it got: operation, records, signature status and the status it answered.
func TestJSONReceiver(t *testing.T) {
	secret := newSecret(t)
	out := &lockedbuf.Buffer{}
	srv := httptest.NewServer(webhook.NewJSONReceiver(out, secret))
	defer srv.Close()

	ep := webhook.Endpoint{URL: srv.URL + "/in", SigningSecret: secret}
	if err := webhook.Check(context.Background(), nil, ep, "Webhook Test"); err != nil {
		t.Fatalf("test_on_save against the receiver: %v", err)
	}
	d := &webhook.Deliverer{Endpoint: ep}
	if res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2)); err != nil || len(res.Delivered) != 2 {
		t.Fatalf("Deliver to the receiver: %+v, %v", res, err)
	}
	resp, err := http.Post(srv.URL+"/in", "application/json", strings.NewReader(`{"operation":"deleted","data":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	var got []webhook.ReceivedRequest
	for _, l := range lines {
		var r webhook.ReceivedRequest
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		got = append(got, r)
	}
	if len(got) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(got), out.String())
	}
	want := []webhook.ReceivedRequest{
		{Method: "HEAD", Path: "/in", Status: 200},
		{Method: "POST", Path: "/in", Signature: webhook.SignatureVerified, Operation: "changed", Records: 2, Status: 200},
		{Method: "POST", Path: "/in", Signature: webhook.SignatureBad, SignatureError: "none sent", Operation: "deleted", Status: 401},
	}
	ignore := cmpopts.IgnoreFields(webhook.ReceivedRequest{}, "Time", "WebhookID", "Body")
	if diff := cmp.Diff(want, got, ignore); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(got[1].WebhookID, "msg_") || !strings.Contains(string(got[1].Body), `"first_name":"user 1"`) {
		t.Errorf("the delivery's line lacks its webhook-id or body: %+v", got[1])
	}
	if strings.Contains(out.String(), secret) {
		t.Errorf("output shows the signing secret")
	}
}

// TestReceiverStatsEndpoint: GET /stats answers the counts as JSON, records by operation too;
// it is not counted itself, and GET elsewhere is still refused.
func TestReceiverStatsEndpoint(t *testing.T) {
	srv := httptest.NewServer(webhook.NewReceiver(io.Discard, ""))
	defer srv.Close()
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/hook"}}
	for op, n := range map[string]int{webhook.OpChanged: 3, webhook.OpDeleted: 1} {
		if res, err := d.Deliver(context.Background(), testMeta(), op, makeRecords(n)); err != nil || len(res.Delivered) != n {
			t.Fatalf("Deliver %s: %+v, %v", op, res, err)
		}
	}
	for range 2 {
		resp, err := http.Get(srv.URL + webhook.ReceiverStatsPath)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /stats: %d, %v", resp.StatusCode, err)
		}
		want := map[string]any{"requests": 2.0, "envelopes": 2.0, "records": 4.0, "bad_signatures": 0.0,
			"records_by_operation": map[string]any{"changed": 3.0, "deleted": 1.0}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
	}
	resp, err := http.Get(srv.URL + "/hook")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /hook: %d, want 405", resp.StatusCode)
	}
}

// The compact receiver prints one line per request, without the body.
func TestCompactReceiver(t *testing.T) {
	secret := newSecret(t)
	out := &lockedbuf.Buffer{}
	srv := httptest.NewServer(webhook.NewCompactReceiver(out, secret))
	defer srv.Close()
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/in", SigningSecret: secret}}
	for range 2 {
		if _, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(3)); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("printed %d lines, want one per request:\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		if !strings.Contains(l, "signature=verified operation=changed records=3 → 200") || strings.Contains(l, "first_name") {
			t.Errorf("line %q", l)
		}
	}
}

// TestJSONReceiverDeepBody: an envelope holding a value of jsondepth.Value levels nests
// jsondepth.Max, which the receiver reads; its --json line puts that body in an object of its
// own, one level more, and a script reading the lines with encoding/json refused the line, so the
// request went uncounted. The line carries such a body as a string of its text, and a body within
// the bound as JSON.
func TestJSONReceiverDeepBody(t *testing.T) {
	out := &lockedbuf.Buffer{}
	srv := httptest.NewServer(webhook.NewJSONReceiver(out, ""))
	defer srv.Close()
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/in"}}
	deep := strings.Repeat("[", jsondepth.Value) + strings.Repeat("]", jsondepth.Value)
	records := [][]byte{[]byte(`{"id":1,"v":` + deep + `}`), []byte(`{"id":2,"v":[[1]]}`)}
	for _, r := range records {
		if res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, [][]byte{r}); err != nil || len(res.Delivered) != 1 {
			t.Fatalf("Deliver: %+v, %v", res, err)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	for i, l := range lines {
		var r webhook.ReceivedRequest
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d (%d bytes) is not JSON encoding/json reads: %v", i+1, len(l), err)
		}
		if r.Status != 200 || r.Records != 1 {
			t.Errorf("line %d: %+v, want 200 and 1 record", i+1, r)
		}
		var body any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("line %d: body %v", i+1, err)
		}
		if _, isText := body.(string); isText != (i == 0) {
			t.Errorf("line %d: body as a string of its text: %v, want %v", i+1, isText, i == 0)
		}
	}
}
