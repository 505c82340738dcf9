package pacing

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// TokenSource is a connection's timeline of request slots (timeline.go): the control plane's,
// shared by every runner (controlplane.Store.SlotSource), or a Timeline in memory.
type TokenSource interface {
	// Lease grants n request slots interval apart, after every slot granted before and not
	// before lead from the timeline's now; or fewer slots further apart, no longer in all
	// (Lease.N, Lease.Interval), when the connection's limit is lower than interval says.
	Lease(ctx context.Context, n int, interval, lead time.Duration) (Lease, error)
}

const unsentAnswer = -1

// NotSent is the Answer to report to a Pacer's done when the request was finally not sent.
var NotSent = Answer{Status: unsentAnswer}

// Pacer enforces a connection's pacing in one runner process: a semaphore sized by the
// controller's concurrency, its pauses, and its rate, as slots of a timeline (timeline.go):
// the one every runner shares (a TokenSource), or this process's own. Safe for concurrent use;
// one Pacer serves every run to its connection in the process.
type Pacer struct {
	lim   Limits
	slots TokenSource
	now   func() time.Time

	mu       sync.Mutex
	ctl      *Controller
	inflight int
	changed  chan struct{} // closed when inflight falls, the concurrency may have risen, or a waiter left
	// waiting is the requests waiting for a free slot of the concurrency, in the order they
	// asked: served first come, first served (Acquire).
	waiting []uint64
	ticket  uint64 // the last waiter's

	qMu sync.Mutex
	q   slotQueue
}

// NewPacer makes the pacer of a connection with limits lim, starting from start (what earlier
// runs learned). shared, when not nil, is the timeline every runner leases the connection's
// slots from; nil paces this process alone, on a Timeline of its own. defaultConc is fixed
// mode's concurrency when lim sets none.
func NewPacer(lim Limits, start State, defaultConc int, shared TokenSource) *Pacer {
	p := &Pacer{lim: lim, slots: shared, now: time.Now, ctl: NewController(lim, start, defaultConc),
		changed: make(chan struct{})}
	if p.slots == nil {
		p.slots = NewTimeline(p.now)
	}
	p.q.floor = floor(lim)
	return p
}

// Limits are the pacer's settings.
func (p *Pacer) Limits() Limits {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lim
}

// SetLimits changes the pacer's settings (the connection's rate_limit changed) for every request
// from now on, those of runs under way included. An adaptive pacer that stays adaptive keeps what
// it learned, if it settled (clamped to the new bounds); otherwise it starts from start, as a new
// pacer would. A pause the endpoint asked for stays.
func (p *Pacer) SetLimits(lim Limits, start State, defaultConc int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if lim == p.lim {
		return
	}
	if p.ctl.Settled() && lim.Adaptive() {
		start = p.ctl.State()
	}
	ctl := NewController(lim, start, defaultConc)
	ctl.pauseUntil = p.ctl.pauseUntil
	p.lim, p.ctl = lim, ctl
	p.wake() // the concurrency may have risen
	// A lower max_requests_per_second holds the slots leased before it too: those in the queue,
	// those requests sleep to, and those of a lease in flight are given up, not sent at the old
	// rate (up to a block's worth of it, and the lease's).
	p.qMu.Lock()
	p.q.floor = floor(lim)
	p.qMu.Unlock()
}

// floor is the closest lim lets slots be (0: any).
func floor(lim Limits) time.Duration {
	if lim.MaxRate <= 0 {
		return 0
	}
	return Interval(lim.MaxRate)
}

// Learned is what the pacer's controller has learned (Controller.State), and whether it is worth
// starting the next run from (Controller.Settled).
func (p *Pacer) Learned() (State, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ctl.State(), p.ctl.Settled()
}

// Rate is the requests per second the pacer sends at now (0: not paced): Controller.Pace.
func (p *Pacer) Rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ctl.Pace(p.now())
}

// LeaseRoundTrip is the round trip of the fastest recent lease of slots, through which this
// runner reads the timeline's clock (0: none yet). Over MaxLeaseRoundTrip the limit shared with
// other runners is no longer held by construction.
func (p *Pacer) LeaseRoundTrip() time.Duration {
	p.qMu.Lock()
	defer p.qMu.Unlock()
	return p.q.anchor.rtt
}

// Concurrency is the most requests the pacer lets be in flight now.
func (p *Pacer) Concurrency() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ctl.Concurrency()
}

// MaxConcurrency is the most requests the pacer may ever let be in flight: how many workers
// a run needs.
func (p *Pacer) MaxConcurrency() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ctl.maxConc
}

// Acquire waits until one more request may start: a free slot of the concurrency, the end of a
// pause, and a slot of the rate. done must be called once with the request's answer (NotSent
// if it was not sent after all); waited is how long the request was held back.
func (p *Pacer) Acquire(ctx context.Context) (done func(Answer), waited time.Duration, err error) {
	start := p.now()
	p.mu.Lock()
	if wait := p.ctl.PauseUntil().Sub(start); wait > MaxRetryAfter {
		p.mu.Unlock()
		return nil, 0, &QuotaError{Wait: wait}
	}
	// First come, first served: a request that finds others waiting queues behind them, even
	// when a slot of the concurrency is free at that moment. Every waiter woke at once, and the
	// one that took a freed slot was whichever ran first: a run's delivery worker, going back
	// for its next request as soon as its last one was answered, took it ahead of a request
	// that had waited since (a failure notification, starved behind a sync at a low rate).
	// A request waits, so, for the requests in flight and those ahead of it, and no more.
	if p.inflight >= p.ctl.Concurrency() || len(p.waiting) > 0 {
		p.ticket++
		w := p.ticket
		p.waiting = append(p.waiting, w)
		for p.waiting[0] != w || p.inflight >= p.ctl.Concurrency() {
			ch := p.changed
			p.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				p.mu.Lock()
				p.waiting = slices.DeleteFunc(p.waiting, func(x uint64) bool { return x == w })
				p.wake() // the one behind it may be first now
				p.mu.Unlock()
				return nil, p.now().Sub(start), stopped(ctx)
			}
			p.mu.Lock()
		}
		p.waiting = p.waiting[1:]
		p.wake() // the next one may go too, when more than one slot is free
		// An answer while it waited may have said the quota is spent until a reset further
		// than MaxRetryAfter: refused as a request asking now is, not slept to the reset
		// (hours) holding its slot, and its run with it.
		if wait := p.ctl.PauseUntil().Sub(p.now()); wait > MaxRetryAfter {
			p.mu.Unlock()
			return nil, p.now().Sub(start), &QuotaError{Wait: wait}
		}
	}
	p.inflight++
	pause := p.ctl.PauseUntil()
	p.mu.Unlock()
	var once sync.Once
	done = func(a Answer) {
		once.Do(func() {
			p.mu.Lock()
			if a.Status != unsentAnswer {
				p.ctl.Observe(p.now(), a)
			}
			p.inflight--
			p.wake()
			p.mu.Unlock()
		})
	}
	if err := sleepUntil(ctx, p.now, pause); err != nil {
		done(NotSent)
		return nil, p.now().Sub(start), err
	}
	if err := p.rateSlot(ctx); err != nil {
		done(NotSent)
		return nil, p.now().Sub(start), err
	}
	return done, p.now().Sub(start), nil
}

// wake wakes the requests waiting for a slot of the concurrency; p.mu is held.
func (p *Pacer) wake() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// PauseUntil is when the pause the endpoint asked for ends (an adaptive connection's: a
// Retry-After, or a spent quota until its reset); zero or past: none.
func (p *Pacer) PauseUntil() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ctl.PauseUntil()
}

// rateSlot waits for the rate's next slot. A request that wakes more than LateLimit after its
// slot gives it up and takes the next: started late, it would crowd the slots after it.
func (p *Pacer) rateSlot(ctx context.Context) error {
	p.mu.Lock()
	r := p.ctl.Rate(p.now())
	p.mu.Unlock()
	if r <= 0 {
		return nil
	}
	interval := Interval(r)
	for {
		s, err := p.slot(ctx, interval)
		if err != nil {
			return err
		}
		if err := sleepUntil(ctx, p.now, s.at); err != nil {
			// Stopped before its slot: the next request (of this run or the next) takes it.
			p.qMu.Lock()
			p.q.giveBack(s)
			p.qMu.Unlock()
			return err
		}
		p.qMu.Lock()
		floor := p.q.floor
		p.qMu.Unlock()
		if s.interval < floor {
			// The limit was lowered while this request slept to its slot, leased at the old
			// rate: it takes one at the new rate.
			interval = max(interval, floor)
			continue
		}
		if p.now().Sub(s.at) <= LateLimit {
			return nil
		}
	}
}

// slot takes the next slot this runner leased (on its own clock), leasing a block when none is
// left. The request that takes a slot while less than half a block is left starts leasing the
// next block, on a goroutine, and goes at its slot, so that the runner's slots run on without a
// gap and its other requests never wait for a lease.
func (p *Pacer) slot(ctx context.Context, interval time.Duration) (leasedSlot, error) {
	for {
		p.qMu.Lock()
		now := p.now()
		if s, ok := p.q.take(now); ok {
			ahead := p.q.leasing == nil && p.q.ahead(now) < p.q.block()/2
			if ahead {
				p.q.leasing = make(chan struct{})
			}
			p.qMu.Unlock()
			if ahead {
				// On a goroutine of its own: this request goes at its slot, however soon (with a
				// far control plane it would miss a slot nearer than the round trip), and the
				// next block is on its way. Not this request's error: its slot is leased; a lease
				// that is needed and fails reports it below, to the request that waits for it.
				go func() { _ = p.lease(ctx, interval) }()
			}
			return s, nil
		}
		if ch := p.q.leasing; ch != nil {
			p.qMu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return leasedSlot{}, stopped(ctx)
			}
		}
		p.q.leasing = make(chan struct{})
		p.qMu.Unlock()
		if err := p.lease(ctx, interval); err != nil {
			return leasedSlot{}, err
		}
	}
}

// lease leases a block of slots interval apart, up to slotQueue.block's worth (slotQueue.size);
// p.q.leasing is set, and lease ends it.
func (p *Pacer) lease(ctx context.Context, interval time.Duration) error {
	p.qMu.Lock()
	interval = max(interval, p.q.floor)
	n := p.q.size(min(max(int(p.q.block()/interval), 1), MaxLeaseSlots))
	lead := p.q.lead()
	p.qMu.Unlock()
	sent := p.now()
	l, err := p.slots.Lease(ctx, n, interval, lead)
	got := p.now()
	p.qMu.Lock()
	defer p.qMu.Unlock()
	close(p.q.leasing)
	p.q.leasing = nil
	if err != nil {
		if ctx.Err() != nil {
			return stopped(ctx)
		}
		return err
	}
	if l.N > 0 && l.Interval > 0 {
		n, interval = l.N, l.Interval
	}
	p.q.granted(l, n, interval, sent, got)
	return nil
}

// QuotaError is Acquire refusing a request: the endpoint's rate-limit headers said nothing is
// left of its quota until a reset further than MaxRetryAfter. Waiting would hold the run (and
// its sync) that long, one request at a time; the run fails instead, its records pending, and
// runs of the connection in this process fail so until the reset.
type QuotaError struct {
	Wait time.Duration // until the reset
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("the webhook's rate-limit headers say none of its quota is left until a reset in %s, "+
		"more than the %s a run waits: nothing more is sent, and the records stay pending for the next run",
		e.Wait.Round(time.Second), MaxRetryAfter)
}

func stopped(ctx context.Context) error {
	return fmt.Errorf("webhook delivery stopped: %w", ctx.Err())
}

// sleepUntil waits until t or until ctx is done.
func sleepUntil(ctx context.Context, now func() time.Time, t time.Time) error {
	d := t.Sub(now())
	if d <= 0 {
		if ctx.Err() != nil {
			return stopped(ctx)
		}
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return stopped(ctx)
	}
}
