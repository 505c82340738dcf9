package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

const (
	// receiverBodyLimit is far above any sane batch; it only stops a runaway client.
	receiverBodyLimit = 64 << 20
	// signatureTolerance is the Standard Webhooks default window for webhook-timestamp.
	signatureTolerance = 5 * time.Minute
)

// ReceiverStats counts what a Receiver has seen.
type ReceiverStats struct {
	Requests      int // every request, HEAD included
	Envelopes     int // well-formed envelopes answered 200
	Records       int // records in those envelopes
	BadSignatures int // requests answered 401
}

// Receiver is the handler behind `backflow-runner receive`: a webhook endpoint for trying syncs out
// that prints every request it gets.
type Receiver struct {
	secret string
	now    func() time.Time

	mu    sync.Mutex // serializes writes to out so concurrent requests do not interleave
	out   io.Writer
	stats ReceiverStats
}

// NewReceiver returns a handler that answers 200 to every well-formed request and prints each to
// out: time, method, path, webhook-id, signature status, operation, record count and the indented
// JSON body. With a secret, a missing or bad signature is answered 401. HEAD is answered 200 so
// a connection's test_on_save passes against it.
func NewReceiver(out io.Writer, secret string) *Receiver {
	return &Receiver{out: out, secret: secret, now: time.Now}
}

// Stats returns the counts so far.
func (r *Receiver) Stats() ReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := r.now()
	stamp := now.UTC().Format(time.RFC3339)
	switch req.Method {
	case http.MethodHead:
		r.print(func(s *ReceiverStats) { s.Requests++ }, "%s HEAD %s → 200\n", stamp, req.URL.Path)
		w.WriteHeader(http.StatusOK)
		return
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		r.print(func(s *ReceiverStats) { s.Requests++ }, "%s %s %s → 405 (send POST, PUT or PATCH)\n",
			stamp, req.Method, req.URL.Path)
		w.Header().Set("Allow", "HEAD, POST, PUT, PATCH")
		http.Error(w, "send the webhook with POST, PUT or PATCH", http.StatusMethodNotAllowed)
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, receiverBodyLimit))
	if err != nil {
		r.print(func(s *ReceiverStats) { s.Requests++ }, "%s %s %s → 400 (reading the body: %v)\n",
			stamp, req.Method, req.URL.Path, err)
		http.Error(w, "the request body could not be read", http.StatusBadRequest)
		return
	}

	id := req.Header.Get(HeaderID)
	if id == "" {
		id = "(none)"
	}
	sigStatus, sigOK := r.checkSignature(req.Header, body, now)

	var env Envelope
	envErr := json.Unmarshal(body, &env)
	if envErr == nil && env.Operation == "" {
		envErr = errors.New(`no "operation"`)
	}

	status := http.StatusOK
	switch {
	case !sigOK:
		status = http.StatusUnauthorized
	case envErr != nil:
		status = http.StatusBadRequest
	}

	var text bytes.Buffer
	fmt.Fprintf(&text, "%s %s %s webhook-id=%s signature=%s", stamp, req.Method, req.URL.Path, id, sigStatus)
	if envErr != nil {
		fmt.Fprintf(&text, " not a webhook envelope (%v)", envErr)
	} else {
		fmt.Fprintf(&text, " operation=%s records=%d", env.Operation, len(env.Data))
	}
	fmt.Fprintf(&text, " → %d\n", status)
	if err := json.Indent(&text, body, "", "  "); err != nil {
		text.Write(body)
	}
	text.WriteString("\n\n")
	r.print(func(s *ReceiverStats) {
		s.Requests++
		switch status {
		case http.StatusUnauthorized:
			s.BadSignatures++
		case http.StatusOK:
			s.Envelopes++
			s.Records += len(env.Data)
		}
	}, "%s", text.Bytes())

	switch status {
	case http.StatusUnauthorized:
		http.Error(w, "webhook signature missing or not valid for this secret", status)
	case http.StatusBadRequest:
		http.Error(w, "the body is not a webhook envelope", status)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// checkSignature says how the request is signed and whether it is acceptable.
func (r *Receiver) checkSignature(h http.Header, body []byte, now time.Time) (string, bool) {
	signed := h.Get(HeaderSignature) != ""
	switch {
	case r.secret == "" && signed:
		return "signed (not checked: no --secret)", true
	case r.secret == "":
		return "unsigned", true
	case !signed:
		return "BAD SIGNATURE (none sent)", false
	}
	if err := Verify(r.secret, h, body, now, signatureTolerance); err != nil {
		return fmt.Sprintf("BAD SIGNATURE (%v)", err), false
	}
	return "verified", true
}

// print updates the stats and writes one request's text as a unit.
func (r *Receiver) print(update func(*ReceiverStats), format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	update(&r.stats)
	fmt.Fprintf(r.out, format, args...)
}
