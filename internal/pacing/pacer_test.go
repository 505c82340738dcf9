package pacing

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPacerBoundsRequestsInFlight(t *testing.T) {
	p := NewPacer(Limits{MaxConcurrency: 3}, State{}, 0, nil)
	var inflight, most atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			done, _, err := p.Acquire(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			n := inflight.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			inflight.Add(-1)
			done(Answer{Status: 200})
		})
	}
	wg.Wait()
	if m := most.Load(); m > 3 {
		t.Errorf("%d requests in flight at once, want at most max_concurrency 3", m)
	}
}

// countingSource is a Timeline that counts the slots it granted.
type countingSource struct {
	*Timeline
	mu              sync.Mutex
	granted, leases int
}

func (c *countingSource) Lease(ctx context.Context, n int, interval, lead time.Duration) (Lease, error) {
	c.mu.Lock()
	c.granted += n
	c.leases++
	c.mu.Unlock()
	return c.Timeline.Lease(ctx, n, interval, lead)
}

// counts is what c granted so far: the slots and the leases. A lease ahead of need may still be
// on its way on the pacer's goroutine.
func (c *countingSource) counts() (granted, leases int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.granted, c.leases
}

func TestPacerLeasesSharedSlotsInBlocks(t *testing.T) {
	src := &countingSource{Timeline: NewTimeline(nil)}
	p := NewPacer(Limits{MaxRate: 5000, MaxConcurrency: 4}, State{}, 0, src)
	for range 250 {
		done, _, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		done(Answer{Status: 200})
	}
	// Blocks of 100 ms at 5000/s: 487 slots (spaced for the jitter); 250 requests lease one, and
	// the next ahead of need, not one each.
	per := int(blockTime / Interval(5000))
	if granted, leases := src.counts(); granted < per || leases > 25 {
		t.Errorf("%d slots leased in %d leases for 250 requests, want blocks of %d", granted, leases, per)
	}
}

func TestPacerStopsWaitingWhenCanceled(t *testing.T) {
	p := NewPacer(Limits{MaxConcurrency: 1}, State{}, 0, nil)
	done, _, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer done(NotSent)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := p.Acquire(ctx); err == nil {
		t.Error("Acquire with no free slot and a canceled context returned no error")
	}
}

// slowSource answers every lease after delay, as a distant control plane would.
type slowSource struct {
	*Timeline
	delay time.Duration
}

func (s slowSource) Lease(ctx context.Context, n int, interval, lead time.Duration) (Lease, error) {
	time.Sleep(s.delay)
	return s.Timeline.Lease(ctx, n, interval, lead)
}

// A pacer reports the round trip of its fastest lease, which the runner compares with
// MaxLeaseRoundTrip to warn that a shared limit may not hold.
func TestPacerLeaseRoundTrip(t *testing.T) {
	delay := 2 * MaxLeaseRoundTrip
	p := NewPacer(Limits{MaxRate: 5000, MaxConcurrency: 4}, State{}, 0, slowSource{NewTimeline(nil), delay})
	if got := p.LeaseRoundTrip(); got != 0 {
		t.Errorf("before any lease: %v, want 0", got)
	}
	for range 10 {
		done, _, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		done(Answer{Status: 200})
	}
	if got := p.LeaseRoundTrip(); got < delay {
		t.Errorf("leases answered after %v: round trip %v, want at least that (over MaxLeaseRoundTrip %v)", delay, got, MaxLeaseRoundTrip)
	}
}

// farSource is a control plane a round trip of 2 × oneWay away: the timeline reads its clock
// half way.
type farSource struct {
	*Timeline
	oneWay time.Duration
}

func (s farSource) Lease(ctx context.Context, n int, interval, lead time.Duration) (Lease, error) {
	if err := sleepUntil(ctx, time.Now, time.Now().Add(s.oneWay)); err != nil {
		return Lease{}, err
	}
	l, err := s.Timeline.Lease(ctx, n, interval, lead)
	if err != nil {
		return l, err
	}
	return l, sleepUntil(ctx, time.Now, time.Now().Add(s.oneWay))
}

// A runner whose control plane is far (a lease's round trip of 100 or 200 ms, another region)
// still sends: its leases start far enough ahead that their slots are not behind it when the
// answer arrives. They used to start at most 50 ms ahead, so every slot of a lease that took
// longer was behind the runner on arrival and given up, and the runner leased again, sending
// nothing while its run held the sync. (The limit itself is not at stake: slots given up are
// not used.) The timeout only ends the wait a stalled pacer would make.
func TestPacerProgressesWithAFarControlPlane(t *testing.T) {
	for _, oneWay := range []time.Duration{50 * time.Millisecond, 100 * time.Millisecond} {
		p := NewPacer(Limits{MaxRate: 100, MaxConcurrency: 4}, State{}, 0, farSource{NewTimeline(nil), oneWay})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		sent := 0
		for range 20 {
			done, _, err := p.Acquire(ctx)
			if err != nil {
				t.Errorf("lease round trip %v: after %d requests: %v", 2*oneWay, sent, err)
				break
			}
			sent++
			done(Answer{Status: 200})
		}
		cancel()
	}
}

// A rate lowered by SetLimits holds the requests of runs under way at once: the slots leased at
// the old rate (the block in the queue, the ones requests hold while they sleep to them, and a
// lease in flight) are not sent at the old rate after the change.
func TestLoweredRateHoldsSlotsLeasedBefore(t *testing.T) {
	for name, src := range map[string]TokenSource{"local": nil, "shared": NewTimeline(nil),
		"far": slowSource{NewTimeline(nil), 20 * time.Millisecond}} { // its leases are in flight longer
		p := NewPacer(Limits{MaxRate: 1000, MaxConcurrency: 64}, State{}, 0, src)
		ctx, cancel := context.WithCancel(context.Background())
		var mu sync.Mutex
		var sent []time.Time
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for ctx.Err() == nil {
					done, _, err := p.Acquire(ctx)
					if err != nil {
						return
					}
					mu.Lock()
					sent = append(sent, time.Now())
					mu.Unlock()
					done(Answer{Status: 200})
				}
			})
		}
		for {
			mu.Lock()
			n := len(sent)
			mu.Unlock()
			if n >= 300 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		p.SetLimits(Limits{MaxRate: 5, MaxConcurrency: 64}, State{}, 0)
		changed := time.Now()
		time.Sleep(1500 * time.Millisecond)
		cancel()
		wg.Wait()
		var after []time.Time
		for _, at := range sent {
			if !at.Before(changed) {
				after = append(after, at)
			}
		}
		// A request or two that took its slot just before the change may record it just after.
		if most := MostWithin(after, time.Second); most > 5+2 {
			t.Errorf("%s: %d requests within one second after the rate was lowered from 1000/s to 5/s", name, most)
		}
	}
}

// A run stopped while its requests sleep to their slots gives the slots back: at a low rate and a
// high concurrency its requests hold slots far ahead (16 s at 1/s and 16 in flight), and the next
// run on the pacer would otherwise wait until all of them had gone by unused. The slot the next
// run's first request gets says which it is, without timing the wait for it.
func TestStoppedRunGivesItsSlotsBack(t *testing.T) {
	for _, shared := range []bool{false, true} {
		var src TokenSource
		if shared {
			src = NewTimeline(nil)
		}
		p := NewPacer(Limits{MaxRate: 1, MaxConcurrency: 16}, State{}, 0, src)
		var mu sync.Mutex
		var sent []time.Time
		send := func(ctx context.Context) bool {
			done, _, err := p.Acquire(ctx)
			if err != nil {
				return false
			}
			mu.Lock()
			sent = append(sent, time.Now())
			mu.Unlock()
			done(Answer{Status: 200})
			return true
		}
		first, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for send(first) {
				}
			})
		}
		for {
			mu.Lock()
			n := len(sent)
			mu.Unlock()
			if n > 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // every request of the run takes its slot
		stop()
		wg.Wait()
		// The stopped run took its first slot 100 ms ago: a slot it gave back is at most the 1 s
		// of the rate ahead (one it held and did not give back would be 15 s ahead, after all of
		// them). A slower machine only brings the slots nearer.
		s, err := p.slot(context.Background(), Interval(1))
		if err != nil {
			t.Fatal(err)
		}
		if ahead := s.at.Sub(p.now()); ahead > 2*time.Second {
			t.Errorf("shared %v: the next run's first slot is %v ahead, want one the stopped run gave back (at most 1 s)",
				shared, ahead.Round(time.Millisecond))
		}
		p.qMu.Lock()
		p.q.giveBack(s)
		p.qMu.Unlock()
		// The slots given back keep to the rate.
		next, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		for send(next) {
		}
		cancel()
		mu.Lock()
		if most := MostWithin(sent, time.Second); most > 1 {
			t.Errorf("shared %v: %d requests within one second at 1 request/s", shared, most)
		}
		mu.Unlock()
	}
}
