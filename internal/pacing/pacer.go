package pacing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// TokenSource grants request slots on a connection's timeline shared by every runner (the
// control plane implements it: controlplane.Store.LeaseTokens).
type TokenSource interface {
	// Lease reserves n request slots spaced 1/rps apart after every slot already granted to
	// anyone, and returns how long from now the first one starts.
	Lease(ctx context.Context, n int, rps float64) (time.Duration, error)
}

// blockTime is how much of the shared timeline a runner leases at once: enough that a lease is
// a round trip every 100 ms per runner, short enough that the runners interleave finely.
const (
	blockTime    = 100 * time.Millisecond
	maxBlockSize = 1000
	unsentAnswer = -1
)

// NotSent is the Answer to report to a Pacer's done when the request was finally not sent.
var NotSent = Answer{Status: unsentAnswer}

// Pacer enforces a connection's pacing in one runner process: a semaphore sized by the
// controller's concurrency, its pauses, and its rate, either locally (an x/time/rate limiter)
// or on the timeline every runner shares (a TokenSource). Safe for concurrent use; one Pacer
// serves every run to its connection in the process.
type Pacer struct {
	lim    Limits
	shared TokenSource
	now    func() time.Time

	mu       sync.Mutex
	ctl      *Controller
	inflight int
	changed  chan struct{} // closed when inflight falls or the concurrency may have risen
	local    *rate.Limiter

	tokMu       sync.Mutex
	tokNext     time.Time
	tokLeft     int
	tokInterval time.Duration
}

// NewPacer makes the pacer of a connection with limits lim, starting from start (what earlier
// runs learned). shared, when not nil, coordinates the rate with every other runner; nil paces
// this process alone. defaultConc is fixed mode's concurrency when lim sets none.
func NewPacer(lim Limits, start State, defaultConc int, shared TokenSource) *Pacer {
	return &Pacer{lim: lim, shared: shared, now: time.Now, ctl: NewController(lim, start, defaultConc),
		changed: make(chan struct{}), local: rate.NewLimiter(rate.Inf, 1)}
}

// Limits are the settings the pacer was made with.
func (p *Pacer) Limits() Limits { return p.lim }

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
	for p.inflight >= p.ctl.Concurrency() {
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, p.now().Sub(start), stopped(ctx)
		}
		p.mu.Lock()
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
			close(p.changed)
			p.changed = make(chan struct{})
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

// rateSlot waits for the rate's next slot.
func (p *Pacer) rateSlot(ctx context.Context) error {
	p.mu.Lock()
	r := p.ctl.Rate(p.now())
	p.mu.Unlock()
	if r <= 0 {
		return nil
	}
	if p.shared != nil {
		at, err := p.sharedSlot(ctx, r)
		if err != nil {
			return err
		}
		return sleepUntil(ctx, p.now, at)
	}
	if p.local.Limit() != rate.Limit(r) {
		p.local.SetLimit(rate.Limit(r))
	}
	res := p.local.Reserve()
	if !res.OK() {
		return errors.New("the webhook's pacer admits no requests")
	}
	if err := sleepUntil(ctx, p.now, p.now().Add(res.Delay())); err != nil {
		res.Cancel()
		return err
	}
	return nil
}

// sharedSlot takes the next slot of the blocks this runner leased on the shared timeline,
// leasing a block when none is left. Slots more than one interval in the past are dropped:
// spent late they would crowd the other runners' slots after them.
func (p *Pacer) sharedSlot(ctx context.Context, r float64) (time.Time, error) {
	p.tokMu.Lock()
	defer p.tokMu.Unlock()
	if p.tokLeft > 0 {
		if late := p.now().Sub(p.tokNext); late > p.tokInterval {
			skip := min(int(late/p.tokInterval), p.tokLeft)
			p.tokLeft -= skip
			p.tokNext = p.tokNext.Add(time.Duration(skip) * p.tokInterval)
		}
	}
	if p.tokLeft == 0 {
		n := min(max(int(r*blockTime.Seconds()), 1), maxBlockSize)
		delay, err := p.shared.Lease(ctx, n, r)
		if err != nil {
			if ctx.Err() != nil {
				return time.Time{}, stopped(ctx)
			}
			return time.Time{}, fmt.Errorf("lease request slots from the control plane: %w", err)
		}
		p.tokNext, p.tokLeft = p.now().Add(delay), n
		p.tokInterval = time.Duration(float64(time.Second) / r)
	}
	at := p.tokNext
	p.tokNext = at.Add(p.tokInterval)
	p.tokLeft--
	return at, nil
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
