package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

func TestCheck(t *testing.T) {
	type seen struct {
		method string
		env    webhook.Envelope
	}
	for _, tc := range []struct {
		name        string
		headStatus  int
		postStatus  int
		wantMethods []string
		wantErr     string
	}{
		{"HEAD answered 200", 200, 500, []string{"HEAD"}, ""},
		{"HEAD refused, POST 200", 405, 200, []string{"HEAD", "POST"}, ""},
		{"POST 500", 405, 500, []string{"HEAD", "POST"}, `HTTP 500, want 200; first bytes of its body: "boom: database down"`},
		{"POST 201 is not 200", 404, 201, []string{"HEAD", "POST"}, "HTTP 201"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []seen
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var s seen
				s.method = r.Method
				if r.Method == http.MethodHead {
					w.WriteHeader(tc.headStatus)
				} else {
					body, _ := io.ReadAll(r.Body)
					if err := json.Unmarshal(body, &s.env); err != nil {
						t.Errorf("test body is not the envelope: %v: %s", err, body)
					}
					if r.Header.Get("Authorization") != "Bearer x" || r.Header.Get("Content-Type") != "application/json" {
						t.Errorf("headers: %v", r.Header)
					}
					w.WriteHeader(tc.postStatus)
					_, _ = io.WriteString(w, "boom: database down")
				}
				mu.Lock()
				got = append(got, s)
				mu.Unlock()
			}))
			defer srv.Close()
			err := webhook.Check(context.Background(), nil, webhook.Endpoint{URL: srv.URL + "/hook",
				Headers: map[string]string{"Authorization": "Bearer x"}}, "Webhook Test")
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Check: %v", err)
			}
			if tc.wantErr != "" {
				var ce *webhook.CheckError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Check: %v, want a CheckError saying %q", err, tc.wantErr)
				}
			}
			var methods []string
			for _, s := range got {
				methods = append(methods, s.method)
				if s.method == http.MethodPost {
					if s.env.Operation != "test" || len(s.env.Data) != 0 || s.env.ConnectionName != "Webhook Test" || s.env.APIVersion != 1 {
						t.Errorf("test envelope: %+v", s.env)
					}
				}
			}
			if strings.Join(methods, ",") != strings.Join(tc.wantMethods, ",") {
				t.Errorf("requests %v, want %v", methods, tc.wantMethods)
			}
		})
	}
}

func TestCheckUnreachableHidesURL(t *testing.T) {
	u := "http://" + webhooktest.ClosedAddr + "/secret-token-path"
	err := webhook.Check(context.Background(), nil, webhook.Endpoint{URL: u}, "x")
	if err == nil || strings.Contains(err.Error(), "secret-token-path") {
		t.Fatalf("Check on a closed server: %v (must fail without echoing the URL)", err)
	}
}

// A refusing answer to the test is shown short and printable: it lands in the apply's output.
func TestCheckBodyExcerpt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "\x1b[31mdenied\x1b[0m\r\n\n\t for\xffyou "+strings.Repeat("secret ", 100))
	}))
	defer srv.Close()
	err := webhook.Check(context.Background(), nil, webhook.Endpoint{URL: srv.URL}, "x")
	var ce *webhook.CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("Check: %v, want a CheckError", err)
	}
	want := "?[31mdenied?[0m for?you secret secret secret secret secret s…" // 64 bytes read
	if ce.Body != want {
		t.Errorf("CheckError.Body = %q, want %q", ce.Body, want)
	}
}
