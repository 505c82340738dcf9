package pacing

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Requests that stop while they wait (some as they are served), with the concurrency changed
// under them: every one is served or leaves, and the queue ends empty, no slot lost.
func TestAcquireQueueSurvivesStopsAndLimitChanges(t *testing.T) {
	p := NewPacer(Limits{MaxConcurrency: 2}, State{}, 0, nil)
	var wg sync.WaitGroup
	var got, canceled atomic.Int64
	stop := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p.SetLimits(Limits{MaxConcurrency: 1 + i%4}, State{}, 0)
			time.Sleep(50 * time.Microsecond)
		}
	}()
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				ctx, cancel := context.WithCancel(context.Background())
				if rand.IntN(3) == 0 {
					go cancel()
				}
				done, _, err := p.Acquire(ctx)
				if err != nil {
					canceled.Add(1)
					cancel()
					continue
				}
				got.Add(1)
				if rand.IntN(2) == 0 {
					time.Sleep(time.Duration(rand.IntN(20)) * time.Microsecond)
				}
				done(Answer{Status: 200})
				cancel()
			}
		}()
	}
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(60 * time.Second):
		close(stop)
		p.mu.Lock()
		t.Fatalf("stuck: inflight %d waiting %v conc %d", p.inflight, p.waiting, p.ctl.Concurrency())
	}
	close(stop)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight != 0 || len(p.waiting) != 0 {
		t.Fatalf("after: inflight %d waiting %v", p.inflight, p.waiting)
	}
	if got.Load() == 0 {
		t.Fatal("no request was served")
	}
}

// A waiter at the head whose context ends: the next is served when a slot frees.
func TestAcquireHeadStoppedServesNext(t *testing.T) {
	p := NewPacer(Limits{MaxConcurrency: 1}, State{}, 0, nil)
	hold, _, _ := p.Acquire(context.Background())
	c1, cancel1 := context.WithCancel(context.Background())
	r1 := make(chan error, 1)
	go func() { _, _, err := p.Acquire(c1); r1 <- err }()
	waitQ := func(n int) {
		for {
			p.mu.Lock()
			l := len(p.waiting)
			p.mu.Unlock()
			if l == n {
				return
			}
			time.Sleep(time.Microsecond)
		}
	}
	waitQ(1)
	r2 := make(chan func(Answer), 1)
	go func() { d, _, _ := p.Acquire(context.Background()); r2 <- d }()
	waitQ(2)
	hold(NotSent)
	cancel1()
	<-r1
	select {
	case d := <-r2:
		d(NotSent)
	case <-time.After(10 * time.Second):
		t.Fatal("second waiter never served")
	}
}
