package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
)

const (
	// receiverBodyLimit is far above any sane batch; it only stops a runaway client.
	receiverBodyLimit = 64 << 20
	// signatureTolerance is the Standard Webhooks default window for webhook-timestamp.
	signatureTolerance = 5 * time.Minute
)

// ReceiverStats counts what a Receiver has seen.
type ReceiverStats struct {
	Requests      int `json:"requests"`       // every request, HEAD included
	Envelopes     int `json:"envelopes"`      // well-formed envelopes answered 200
	Records       int `json:"records"`        // records in those envelopes
	BadSignatures int `json:"bad_signatures"` // requests answered 401
}

// ReceiverStatsPath is where a Receiver answers GET with its counts, as JSON: ReceiverStats and
// records_by_operation (records in envelopes answered 200, by operation).
const ReceiverStatsPath = "/stats"

// receiverStatsJSON is what GET ReceiverStatsPath answers.
type receiverStatsJSON struct {
	ReceiverStats
	RecordsByOperation map[string]int `json:"records_by_operation"`
}

// Signature statuses of a ReceivedRequest.
const (
	SignatureVerified  = "verified"  // signed with the receiver's secret
	SignatureUnsigned  = "unsigned"  // no signature, and the receiver has no secret
	SignatureUnchecked = "unchecked" // signed, but the receiver has no secret to check it with
	SignatureBad       = "bad"       // missing or not valid for the receiver's secret: answered 401
)

// ReceivedRequest is one request as a JSON receiver (NewJSONReceiver) prints it: one JSON object
// per line.
type ReceivedRequest struct {
	Time      time.Time `json:"time"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	WebhookID string    `json:"webhook_id,omitempty"`
	// Signature is one of the Signature* statuses; empty for requests that carry no webhook (HEAD,
	// other methods, unreadable bodies).
	Signature      string `json:"signature,omitempty"`
	SignatureError string `json:"signature_error,omitempty"` // why a signature is bad
	Operation      string `json:"operation,omitempty"`
	Records        int    `json:"records"`
	Status         int    `json:"status"`          // the status the receiver answered
	Error          string `json:"error,omitempty"` // why a request was refused, other than its signature
	// Body is the request's body when it is JSON: as it is when it nests less than jsondepth.Max
	// levels, so that the line does not pass them, else a string of its text.
	Body json.RawMessage `json:"body,omitempty"`
}

// Receiver is the handler behind `backflow-runner receive`: a webhook endpoint for trying syncs out
// that prints every request it gets.
type Receiver struct {
	secret  string
	now     func() time.Time
	json    bool
	compact bool // one line per request, no body

	mu    sync.Mutex // serializes writes to out so concurrent requests do not interleave
	out   io.Writer
	stats ReceiverStats
	byOp  map[string]int
}

// NewReceiver returns a handler that answers 200 to every well-formed request and prints each to
// out: time, method, path, webhook-id, signature status, operation, record count and the indented
// JSON body. With a secret, a missing or bad signature is answered 401. HEAD is answered 200 so
// a connection's test_on_save passes against it. GET ReceiverStatsPath answers the counts so far.
func NewReceiver(out io.Writer, secret string) *Receiver {
	return &Receiver{out: out, secret: secret, now: time.Now, byOp: map[string]int{}}
}

// NewCompactReceiver is NewReceiver printing one line per request, without its body: for a
// receiver in the background, whose output should not bury a terminal.
func NewCompactReceiver(out io.Writer, secret string) *Receiver {
	r := NewReceiver(out, secret)
	r.compact = true
	return r
}

// NewJSONReceiver is NewReceiver printing each request as a ReceivedRequest: one JSON object per
// line, for scripts.
func NewJSONReceiver(out io.Writer, secret string) *Receiver {
	r := NewReceiver(out, secret)
	r.json = true
	return r
}

// Stats returns the counts so far.
func (r *Receiver) Stats() ReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

func (r *Receiver) serveStats(w http.ResponseWriter) {
	r.mu.Lock()
	resp := receiverStatsJSON{ReceiverStats: r.stats, RecordsByOperation: maps.Clone(r.byOp)}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := r.now()
	stamp := now.UTC().Format(time.RFC3339)
	rec := ReceivedRequest{Time: now.UTC(), Method: req.Method, Path: req.URL.Path}
	switch req.Method {
	case http.MethodHead:
		rec.Status = http.StatusOK
		r.print(rec, "%s HEAD %s → 200\n", stamp, req.URL.Path)
		w.WriteHeader(http.StatusOK)
		return
	case http.MethodGet:
		if req.URL.Path == ReceiverStatsPath {
			r.serveStats(w)
			return
		}
		fallthrough
	default:
		rec.Status, rec.Error = http.StatusMethodNotAllowed, "send POST, PUT or PATCH"
		r.print(rec, "%s %s %s → 405 (send POST, PUT or PATCH)\n", stamp, req.Method, req.URL.Path)
		w.Header().Set("Allow", "HEAD, POST, PUT, PATCH")
		http.Error(w, "send the webhook with POST, PUT or PATCH", http.StatusMethodNotAllowed)
		return
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, receiverBodyLimit))
	if err != nil {
		rec.Status, rec.Error = http.StatusBadRequest, fmt.Sprintf("reading the body: %v", err)
		r.print(rec, "%s %s %s → 400 (reading the body: %v)\n", stamp, req.Method, req.URL.Path, err)
		http.Error(w, "the request body could not be read", http.StatusBadRequest)
		return
	}

	rec.WebhookID = req.Header.Get(HeaderID)
	id := rec.WebhookID
	if id == "" {
		id = "(none)"
	}
	sig := r.checkSignature(req.Header, body, now)
	rec.Signature, rec.SignatureError = sig.status, sig.err

	var env Envelope
	envErr := json.Unmarshal(body, &env)
	if envErr == nil && env.Operation == "" {
		envErr = errors.New(`no "operation"`)
	}

	status := http.StatusOK
	switch {
	case sig.status == SignatureBad:
		status = http.StatusUnauthorized
	case envErr != nil:
		status = http.StatusBadRequest
	}
	rec.Status = status
	if envErr != nil {
		rec.Error = fmt.Sprintf("not a webhook envelope (%v)", envErr)
	} else {
		rec.Operation, rec.Records = env.Operation, len(env.Data)
	}

	var text bytes.Buffer
	if r.json {
		var compact bytes.Buffer
		if json.Compact(&compact, body) == nil {
			rec.Body = compact.Bytes()
			if !jsondepth.Within(rec.Body, jsondepth.Max-1) {
				// The line's object is one level more: a body of Max levels (an envelope
				// holding a value of jsondepth.Value) would make a line encoding/json refuses.
				rec.Body, _ = json.Marshal(compact.String())
			}
		}
	} else {
		fmt.Fprintf(&text, "%s %s %s webhook-id=%s signature=%s", stamp, req.Method, req.URL.Path, id, sig.text())
		if envErr != nil {
			fmt.Fprintf(&text, " not a webhook envelope (%v)", envErr)
		} else {
			fmt.Fprintf(&text, " operation=%s records=%d", env.Operation, len(env.Data))
		}
		fmt.Fprintf(&text, " → %d\n", status)
		if !r.compact {
			if err := json.Indent(&text, body, "", "  "); err != nil {
				text.Write(body)
			}
			text.WriteString("\n\n")
		}
	}
	r.print(rec, "%s", text.Bytes())

	switch status {
	case http.StatusUnauthorized:
		http.Error(w, "webhook signature missing or not valid for this secret", status)
	case http.StatusBadRequest:
		http.Error(w, "the body is not a webhook envelope", status)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// signatureCheck is how a request is signed: a Signature* status and, for a bad one, why.
type signatureCheck struct{ status, err string }

// text is the status as the text output shows it.
func (c signatureCheck) text() string {
	switch c.status {
	case SignatureUnchecked:
		return "signed (not checked: no --secret)"
	case SignatureBad:
		return fmt.Sprintf("BAD SIGNATURE (%s)", c.err)
	}
	return c.status
}

// checkSignature says how the request is signed and whether it is acceptable.
func (r *Receiver) checkSignature(h http.Header, body []byte, now time.Time) signatureCheck {
	signed := h.Get(HeaderSignature) != ""
	switch {
	case r.secret == "" && signed:
		return signatureCheck{status: SignatureUnchecked}
	case r.secret == "":
		return signatureCheck{status: SignatureUnsigned}
	case !signed:
		return signatureCheck{status: SignatureBad, err: "none sent"}
	}
	if err := Verify(r.secret, h, body, now, signatureTolerance); err != nil {
		return signatureCheck{status: SignatureBad, err: err.Error()}
	}
	return signatureCheck{status: SignatureVerified}
}

// print counts one request and writes it as a unit: rec as a JSON line for a JSON receiver, the
// text (format and args) otherwise.
func (r *Receiver) print(rec ReceivedRequest, format string, args ...any) {
	var line []byte
	if r.json {
		var err error
		if line, err = json.Marshal(rec); err != nil {
			// Only Body could fail, and it holds compacted JSON.
			panic(err)
		}
		line = append(line, '\n')
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Requests++
	switch {
	case rec.Status == http.StatusUnauthorized:
		r.stats.BadSignatures++
	case rec.Status == http.StatusOK && rec.Operation != "":
		r.stats.Envelopes++
		r.stats.Records += rec.Records
		r.byOp[rec.Operation] += rec.Records
	}
	if r.json {
		_, _ = r.out.Write(line)
		return
	}
	fmt.Fprintf(r.out, format, args...)
}
