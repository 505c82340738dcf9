package pacing

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// A request that waited for a slot of the concurrency while an answer said the quota is spent
// until a reset further than MaxRetryAfter is refused, as one that asks after it is: it slept
// to the reset (hours) holding its slot, and the run it belongs to with it, where the run fails
// at once on the QuotaError of its other requests.
func TestAcquireWaiterRefusedOnAQuotaSpentMeanwhile(t *testing.T) {
	t.Parallel()
	p := NewPacer(Limits{Mode: ModeAdaptive, MaxConcurrency: 1}, State{Concurrency: 1}, 0, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, _, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		done, _, err := p.Acquire(ctx)
		if err == nil {
			done(NotSent)
		}
		got <- err
	}()
	for queued := false; !queued; {
		p.mu.Lock()
		queued = len(p.waiting) == 1
		p.mu.Unlock()
	}
	h := http.Header{}
	h.Set("RateLimit-Remaining", "0")
	h.Set("RateLimit-Reset", "7200")
	first(Answer{Status: http.StatusOK, Latency: time.Millisecond, Header: h})
	if until := p.PauseUntil(); time.Until(until) <= MaxRetryAfter {
		t.Fatalf("the quota's pause ends %v: the test's headers were not read as a spent quota", until)
	}
	var q *QuotaError
	select {
	case err := <-got:
		if !errors.As(err, &q) {
			t.Fatalf("the waiter got %v, want a QuotaError", err)
		}
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("the waiter sleeps to the quota's reset (%v), holding its slot, instead of being refused: %v",
			time.Until(p.PauseUntil()).Round(time.Minute), <-got)
	}
}
