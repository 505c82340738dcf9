package webhook_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

const headerSecret = "s3cr3t-value"

func TestCheckHeaders(t *testing.T) {
	for _, h := range []map[string]string{
		nil,
		{"Authorization": "Bearer " + headerSecret},
		{"X-Api-Key": headerSecret, "x-tenant": "acme", "Accept-Encoding": "identity", "Content-Encoding": "identity"},
		{"X-Empty": "", "X-Tab": "a\tb", "X-Utf8": "Grüße"},
		{"!#$%&'*+-.^_`|~09azAZ": "token chars"},
	} {
		if errs := webhook.CheckHeaders(h); errs != nil {
			t.Errorf("CheckHeaders(%q) = %v, want none", h, errs)
		}
	}
	for _, tc := range []struct {
		name, value string
		want        string
	}{
		{"", headerSecret, "empty name"},
		{"X Api Key", headerSecret, "a space at byte 2"},
		{" Authorization", headerSecret, "a space at byte 1"},
		{"X-Api-Key:", headerSecret, `':' at byte 10`},
		{"X-Api\x00Key", headerSecret, "control character 0x00"},
		{"X-Ä", headerSecret, "non-ASCII"},
		{"X-Api-Key", "Bearer " + headerSecret + "\r\nX-Injected: 1", "line break"},
		{"X-Api-Key", headerSecret + "\n", "line break"},
		{"X-Api-Key", headerSecret + "\r", "line break"},
		{"X-Api-Key", headerSecret + "\x00", "NUL"},
		{"X-Api-Key", headerSecret + "\x01", "control character 0x01"},
		{"X-Api-Key", headerSecret + "\x1b[2J", "control character 0x1B"},
		{"X-Api-Key", headerSecret + "\x7f", "control character 0x7F"},
		{"Transfer-Encoding", "chunked", "written by the HTTP client"},
		{"trailer", "x", "written by the HTTP client"},
		// Bodies are never compressed: a coding would make every request undecodable.
		{"Content-Encoding", "gzip", "sends bodies as they are"},
		{"content-encoding", "br", "sends bodies as they are"},
		// One value for every request: an API that honours it answers the later ones with the first's answer.
		{"Idempotency-Key", headerSecret, "same value on every request"},
		{"x-idempotency-key", headerSecret, "same value on every request"},
	} {
		errs := webhook.CheckHeaders(map[string]string{tc.name: tc.value})
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("CheckHeaders(%q: …) = %v, want one error containing %q", tc.name, errs, tc.want)
			continue
		}
		if strings.Contains(errs[0].Error(), headerSecret) {
			t.Errorf("CheckHeaders(%q: …) echoes the value: %v", tc.name, errs[0])
		}
	}
	// Every name the runner sets, in any letter case, is refused and the message lists them all.
	for _, name := range webhook.ReservedHeaders {
		for _, variant := range []string{name, strings.ToLower(name), strings.ToUpper(name), http.CanonicalHeaderKey(name)} {
			errs := webhook.CheckHeaders(map[string]string{variant: "x"})
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), "set by the runner") ||
				!strings.Contains(errs[0].Error(), strings.Join(webhook.ReservedHeaders, ", ")) {
				t.Errorf("CheckHeaders(%q) = %v, want it refused as set by the runner, naming what the runner sets", variant, errs)
			}
		}
	}
	// Two spellings of one header: only one would be sent.
	errs := webhook.CheckHeaders(map[string]string{"Authorization": "a", "authorization": "b", "X-Ok": "c"})
	if len(errs) != 1 || errs[0].Name != "authorization" || !strings.Contains(errs[0].Error(), `same header as "Authorization"`) {
		t.Errorf("CheckHeaders with a case-insensitive duplicate = %v", errs)
	}
}

// The list the provider validates against is exactly what a request carries from the runner: a
// raw capture of a signed request without configured headers shows nothing but ReservedHeaders
// (and Accept-Encoding, which net/http adds only when no header asks for an encoding).
func TestReservedHeadersAreWhatIsSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan []string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := textproto.NewReader(bufio.NewReader(conn))
		if _, err := r.ReadLine(); err != nil { // the request line
			return
		}
		h, err := r.ReadMIMEHeader()
		if err != nil {
			return
		}
		var names []string
		for k := range h {
			names = append(names, k)
		}
		got <- names
		_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
	}()
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: "http://" + ln.Addr().String() + "/hook",
		SigningSecret: newSecret(t)}, Client: &http.Client{Transport: &http.Transport{}}}
	if _, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1)); err != nil {
		t.Fatal(err)
	}
	names := <-got
	want := []string{"Accept-Encoding"}
	for _, n := range webhook.ReservedHeaders {
		want = append(want, textproto.CanonicalMIMEHeaderKey(n))
	}
	slices.Sort(names)
	slices.Sort(want)
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("headers of a request (-ReservedHeaders +sent):\n%s", diff)
	}
}

// A stored connection need not have passed the provider's validator (an older provider wrote it,
// or someone edited the row): the request builder refuses it at once, without sending or retrying,
// and says why without the values.
func TestStoredBadHeadersOrSecretRefused(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r request, n int) { hits.Add(1) })
	for _, tc := range []struct {
		name string
		e    webhook.Endpoint
		want string
	}{
		{"header name", webhook.Endpoint{URL: srv.URL, Headers: map[string]string{"X Api": headerSecret}}, "not a valid header name"},
		{"header value", webhook.Endpoint{URL: srv.URL, Headers: map[string]string{"X-Api": headerSecret + "\r\n"}}, "line break"},
		{"reserved header", webhook.Endpoint{URL: srv.URL, Headers: map[string]string{"content-type": "text/plain"}}, "set by the runner"},
		{"empty secret", webhook.Endpoint{URL: srv.URL, SigningSecret: "whsec_"}, "decodes to 0 bytes"},
		{"raw secret", webhook.Endpoint{URL: srv.URL, SigningSecret: headerSecret}, "must start with"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := &observer{}
			d := &webhook.Deliverer{Endpoint: tc.e, Observer: obs}
			_, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(2))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Deliver = %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), headerSecret) {
				t.Errorf("the error shows the secret: %v", err)
			}
			if errors.Is(err, webhook.ErrRetriesExhausted) || obs.requests.Load() != 0 || obs.retries.Load() != 0 {
				t.Errorf("%d requests and %d retries, want none: %v", obs.requests.Load(), obs.retries.Load(), err)
			}
			err = webhook.Check(context.Background(), nil, tc.e, "hook")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the endpoint got %d requests, want none", n)
	}
}
