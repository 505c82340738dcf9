// Package webhooktest is the one recording webhook endpoint the tests of every package use: a
// real local HTTP server that keeps each request it got and, for bodies that are Census
// envelopes, each record, and rebuilds the receiving side's view of the records.
package webhooktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// Request is one request as the receiver got it.
type Request struct {
	N      int // its sequence number, from 1
	Method string
	Path   string // with the query, as sent
	Header http.Header
	Body   []byte
	// Envelope is the body decoded, when it is a Census envelope (it has an "operation").
	Envelope *webhook.Envelope
}

// Delivery is one record of an envelope the receiver accepted.
type Delivery struct {
	Op   string
	Data map[string]any
}

// Handler may answer a request itself (returning true); otherwise the receiver accepts it with
// its Status and Body. It runs outside the receiver's lock and may block.
type Handler func(r *Request, w http.ResponseWriter) bool

// Receiver records what it is sent. Its zero value is not usable: call New.
type Receiver struct {
	*httptest.Server
	// KeyName is the record field View keys records by (default "unique_id").
	KeyName string

	mu       sync.Mutex
	status   int
	body     string
	handle   Handler
	n        int
	inFlight int
	overlaps int
	requests []Request
	got      []Delivery
	view     map[string]map[string]any
	answered chan struct{}
}

// New starts a receiver that answers 200 "ok" until told otherwise; the test closes it.
func New(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{KeyName: "unique_id", status: http.StatusOK, body: "ok",
		view: map[string]map[string]any{}, answered: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, hr *http.Request) {
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		return // the client hung up mid-request (a cancelled or killed run): nothing was received
	}
	req := Request{Method: hr.Method, Path: hr.URL.RequestURI(), Header: hr.Header.Clone(), Body: body}
	if bytes.Contains(body, []byte(`"operation"`)) {
		var env webhook.Envelope
		if json.Unmarshal(body, &env) == nil && env.Operation != "" {
			req.Envelope = &env
		}
	}
	r.mu.Lock()
	r.n++
	req.N = r.n
	r.inFlight++
	if r.inFlight > 1 {
		r.overlaps++
	}
	h, status, answer := r.handle, r.status, r.body
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.inFlight--
		r.mu.Unlock()
	}()
	if h != nil && h(&req, w) {
		return
	}
	r.mu.Lock()
	r.requests = append(r.requests, req)
	if status >= 200 && status < 300 && req.Envelope != nil {
		r.accept(req.Envelope)
	}
	r.mu.Unlock()
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	select {
	case r.answered <- struct{}{}:
	default:
	}
}

// accept records env's records and applies them to the view; r.mu is held.
func (r *Receiver) accept(env *webhook.Envelope) {
	for _, d := range env.Data {
		var m map[string]any
		_ = json.Unmarshal(d, &m)
		r.got = append(r.got, Delivery{Op: env.Operation, Data: m})
		k := fmt.Sprint(m[r.KeyName])
		if env.Operation == webhook.OpDeleted {
			delete(r.view, k)
		} else {
			r.view[k] = m
		}
	}
}

// Answer makes the receiver answer every request it accepts with status and body.
func (r *Receiver) Answer(status int, body string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.body = status, body
}

// Handle sets (nil: removes) a Handler that sees each request first.
func (r *Receiver) Handle(h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handle = h
}

// Gate sets (nil: removes) a function called with each request's number before the receiver
// answers it; it may block. It replaces any Handler.
func (r *Receiver) Gate(gate func(n int)) {
	if gate == nil {
		r.Handle(nil)
		return
	}
	r.Handle(func(q *Request, _ http.ResponseWriter) bool {
		gate(q.N)
		return false
	})
}

// Requests returns the requests accepted so far (those a Handler answered are not kept).
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// Envelopes returns the envelopes among the requests accepted so far.
func (r *Receiver) Envelopes() []webhook.Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []webhook.Envelope
	for _, q := range r.requests {
		if q.Envelope != nil {
			out = append(out, *q.Envelope)
		}
	}
	return out
}

// Seen is how many requests reached the receiver, answered by a Handler or not.
func (r *Receiver) Seen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// InFlight is how many requests the receiver is handling: arrived, and not yet answered and
// recorded (a Handler may still run for one whose client gave up on it).
func (r *Receiver) InFlight() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inFlight
}

// Overlaps is how many requests arrived while another was being answered.
func (r *Receiver) Overlaps() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.overlaps
}

// View returns a copy of what the receiving side holds: per key, the last record a 2xx
// envelope carried, without those deleted since, in arrival order.
func (r *Receiver) View() map[string]map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]map[string]any, len(r.view))
	for k, v := range r.view {
		out[k] = v
	}
	return out
}

// Answered receives a value after each answer the receiver gives itself, when someone listens.
func (r *Receiver) Answered() <-chan struct{} { return r.answered }

// Take returns and forgets the records accepted so far (the view stays), as "op key" strings
// sorted (the key by keyName, in JSON; nil for none), with the records themselves in arrival order.
func (r *Receiver) Take(keyName string) ([]string, []Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got, r.requests = nil, nil
	var out []string // nil when nothing was accepted
	for _, d := range got {
		b, _ := json.Marshal(d.Data[keyName])
		out = append(out, d.Op+" "+string(b))
	}
	sort.Strings(out)
	return out, got
}
