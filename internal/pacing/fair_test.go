package pacing

import (
	"context"
	"testing"
)

// A request waiting for a slot of the concurrency is served before one that asks after it. Every
// waiter was woken when a request ended, and a run's delivery worker, asking for its next request
// as soon as its last one was answered, took the freed slot ahead of a request that had waited
// since: a failure notification waited behind a sync's ten workers at one request per second for
// a minute and more, and was never sent.
func TestAcquireServesWaitersInTurn(t *testing.T) {
	t.Parallel()
	p := NewPacer(Limits{MaxConcurrency: 1}, State{}, 0, nil)
	ctx := context.Background()
	worker, _, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The notification asks while the worker's request is in flight, and waits.
	notified := make(chan func(Answer), 1)
	go func() {
		done, _, err := p.Acquire(ctx)
		if err != nil {
			t.Error(err)
		}
		notified <- done
	}()
	for queued := false; !queued; {
		p.mu.Lock()
		queued = len(p.waiting) == 1
		p.mu.Unlock()
	}
	// The worker's request is answered and the worker asks for its next slot at once: it is
	// served once the notification, which asked first, has had its turn.
	worker(Answer{Status: 200})
	wctx, cancel := context.WithCancel(ctx)
	var notification func(Answer)
	go func() {
		notification = <-notified
		cancel()
	}()
	again, _, err := p.Acquire(wctx)
	if err == nil {
		again(NotSent)
		t.Fatal("the worker's next request took the freed slot ahead of the notification that waited for it")
	}
	<-wctx.Done()
	notification(Answer{Status: 200})
	// Stopped while waiting, a request leaves the queue: the one behind it is not held.
	if done, _, err := p.Acquire(ctx); err != nil {
		t.Fatal(err)
	} else {
		done(NotSent)
	}
}
