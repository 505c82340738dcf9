package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// lockedBuffer is the receiver's output, read while the server may still be writing.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestReceiverVerifiesAndPrints(t *testing.T) {
	secret := newSecret(t)
	out := &lockedBuffer{}
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
			out := &lockedBuffer{}
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
