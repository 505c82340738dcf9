package webhook_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

func compress(t *testing.T, coding, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&b)
	case "deflate":
		w = zlib.NewWriter(&b)
	case "empty":
		return nil
	case "raw-deflate":
		w, _ = flate.NewWriter(&b, flate.DefaultCompression)
	default:
		return []byte(s)
	}
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A refusal answered compressed is kept decoded: a connection header Accept-Encoding (as many
// APIs' documentation recommends) makes the endpoint compress its answers, and net/http decodes
// only those it asked to be compressed. Kept raw, the rejection showed compressed bytes, in which
// neither a reader nor the scrub of the connection's secrets finds anything.
func TestDeliverDecodesACompressedRefusal(t *testing.T) {
	const token = "tok_3f9a8b7c6d5e4f30"
	const answer = `{"success":false,"errors":["email is invalid"],"echo":"` + token + `"}`
	for _, tc := range []struct {
		coding, header string // what the endpoint compresses with, and its Content-Encoding
		want           string
	}{
		{"gzip", "gzip", `{"success":false,"errors":["email is invalid"],"echo":"[secret]"}`},
		{"gzip", "x-gzip", `{"success":false,"errors":["email is invalid"],"echo":"[secret]"}`},
		{"deflate", "deflate", `{"success":false,"errors":["email is invalid"],"echo":"[secret]"}`},
		{"raw-deflate", "deflate", `{"success":false,"errors":["email is invalid"],"echo":"[secret]"}`},
		{"", "br", "(the answer's body is br-encoded (Content-Encoding), which Backflow does not decode: " +
			"remove the Accept-Encoding header that asks for it from the connection's headers)"},
		// An empty body labeled gzip (nginx does so) is an empty body.
		{"empty", "gzip", ""},
		{"empty", "deflate", ""},
		{"", "gzip", "(the answer's body is gzip-encoded (Content-Encoding) and does not decode: gzip: invalid header)"},
	} {
		t.Run(tc.coding+"/"+tc.header, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", tc.header)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = w.Write(compress(t, tc.coding, answer))
			}))
			defer srv.Close()
			rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
				New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: `{"n": {{ record.name | json }}}`}},
				webhook.Vars{})
			if err != nil {
				t.Fatal(err)
			}
			ep := webhook.Endpoint{URL: srv.URL, Headers: map[string]string{"Accept-Encoding": tc.header, "X-Api-Token": token}}
			d := fast(&webhook.Deliverer{Endpoint: ep, Builder: rs})
			res, err := d.Deliver(context.Background(), testMeta(), controlplane.OpNew, [][]byte{[]byte(`{"name":"a"}`)})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rejected) != 1 || res.Rejected[0].Body != tc.want {
				t.Errorf("rejected %+v, want its body %q", res.Rejected, tc.want)
			}

			// The connection's test_on_save keeps the same answer's first words.
			err = webhook.Check(context.Background(), nil, webhook.Endpoint{URL: srv.URL, Headers: ep.Headers}, "c")
			var ce *webhook.CheckError
			if !errors.As(err, &ce) || !strings.HasPrefix(tc.want, strings.TrimSuffix(ce.Body, "…")) {
				t.Errorf("Check: %v, want the start of %q", err, tc.want)
			}
		})
	}
}

// repeated repeats one piece of an encoded stream for ever, counting what was read of it.
type repeated struct {
	piece []byte
	at    int
	read  int
}

func (e *repeated) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], e.piece[e.at:])
		n += c
		e.at = (e.at + c) % len(e.piece)
	}
	e.read += n
	return n, nil
}

// What AnswerSnippet reads of an encoded answer is bounded, not only what it decodes: an answer
// that decodes to nothing (empty gzip members, empty deflate blocks) was read for as long as it
// came (a second for a delivery, which its Do bounds; for ever for another caller).
func TestAnswerSnippetBoundsWhatItReads(t *testing.T) {
	var member bytes.Buffer
	w := gzip.NewWriter(&member)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		coding string
		piece  []byte
	}{
		{"gzip", member.Bytes()},
		{"deflate", []byte{0, 0, 0, 0xff, 0xff}}, // an empty stored block, not the last
	} {
		t.Run(tc.coding, func(t *testing.T) {
			body := &repeated{piece: tc.piece}
			resp := &http.Response{Header: http.Header{"Content-Encoding": {tc.coding}}, Body: io.NopCloser(body)}
			got := make(chan string, 1)
			go func() { got <- webhook.AnswerSnippet(resp, 1024) }()
			select {
			case s := <-got:
				if body.read > 1<<20 {
					t.Errorf("AnswerSnippet read %d bytes of the answer (%q): want at most 1 MiB", body.read, s)
				}
			case <-time.After(time.Minute):
				t.Fatalf("hung: AnswerSnippet read an answer that decodes to nothing for a minute")
			}
		})
	}
}
