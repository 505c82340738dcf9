package pacing

import (
	"net/http"
	"strconv"
	"time"
)

// endpoint is a simulated endpoint on a fake clock: a token bucket (limit per second, burst;
// 0: unlimited) answering 429 with Retry-After: 1 beyond it, after latency, or queueing when
// more than servers requests are in flight (latency grows with the queue).
type endpoint struct {
	limit, burst float64
	latency      time.Duration
	servers      int  // 0: unlimited
	down         bool // answers 503 at once, as a restarting endpoint's proxy does

	tokens float64
	last   time.Time
}

func (e *endpoint) answer(now time.Time, inflight int) Answer {
	if e.down {
		return Answer{Status: http.StatusServiceUnavailable, Latency: 5 * time.Millisecond}
	}
	lat := e.latency
	if e.servers > 0 && inflight > e.servers {
		lat = lat * time.Duration(inflight) / time.Duration(e.servers)
	}
	if e.limit > 0 {
		if e.last.IsZero() {
			e.tokens = e.burst
		} else {
			e.tokens = min(e.burst, e.tokens+now.Sub(e.last).Seconds()*e.limit)
		}
		e.last = now
		if e.tokens < 1 {
			h := http.Header{}
			h.Set("Retry-After", strconv.Itoa(1))
			return Answer{Status: 429, Latency: lat, Header: h}
		}
		e.tokens--
	}
	return Answer{Status: 200, Latency: lat}
}

type simResult struct {
	sent, ok, limited int
	maxInflight       int
	final             State
}

// simulate drives a controller against e for d of fake time, in steps of 1 ms: a request
// starts when a slot of concurrency is free, the pause is over and the rate allows (a bucket of
// one, as the Pacer's limiter); its answer arrives after its latency.
func simulate(c *Controller, e *endpoint, d time.Duration) simResult {
	return simulateTrace(c, e, d, nil)
}

func simulateTrace(c *Controller, e *endpoint, d time.Duration, second func(now time.Time, r simResult)) simResult {
	var r simResult
	type pending struct {
		at time.Time
		a  Answer
	}
	var inflight []pending
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	next := t0
	for now := t0; now.Before(t0.Add(d)); now = now.Add(time.Millisecond) {
		if second != nil && now.Sub(t0)%time.Second == 0 {
			second(now, r)
		}
		kept := inflight[:0]
		for _, p := range inflight {
			if !p.at.After(now) {
				c.Observe(now, p.a)
			} else {
				kept = append(kept, p)
			}
		}
		inflight = kept
		for len(inflight) < c.Concurrency() && !now.Before(c.PauseUntil()) && !now.Before(next) {
			a := e.answer(now, len(inflight)+1)
			r.sent++
			if a.Status == 429 {
				r.limited++
			} else {
				r.ok++
			}
			inflight = append(inflight, pending{now.Add(a.Latency), a})
			r.maxInflight = max(r.maxInflight, len(inflight))
			if rt := c.Rate(now); rt > 0 {
				if next.Before(now.Add(-time.Millisecond)) {
					next = now.Add(-time.Millisecond)
				}
				next = next.Add(time.Duration(float64(time.Second) / rt))
			}
		}
	}
	r.final = c.State()
	return r
}
