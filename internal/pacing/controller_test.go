package pacing

import (
	"net/http"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestAdaptiveFindsAHiddenLimit(t *testing.T) {
	// The bench's case (a): a token bucket of 200/s behind 50 ms of latency.
	e := &endpoint{limit: 200, burst: 20, latency: 50 * time.Millisecond}
	c := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
	r := simulate(c, e, 30*time.Second)
	t.Logf("sent %d, 2xx %d (%.1f/s), 429 %d (%.2f%%), learned %+v", r.sent, r.ok, float64(r.ok)/30, r.limited,
		100*float64(r.limited)/float64(r.sent), r.final)
	if rate := float64(r.ok) / 30; rate < 0.9*200 {
		t.Errorf("2xx rate %.1f/s over 30 s, want at least 90%% of the hidden 200/s", rate)
	}
	if share := float64(r.limited) / float64(r.sent); share > 0.02 {
		t.Errorf("%.2f%% of requests answered 429, want at most 2%%", 100*share)
	}
	if r.final.Rate > 210 || r.final.Rate < 170 {
		t.Errorf("learned rate %.1f, want near the hidden 200/s", r.final.Rate)
	}
}

func TestAdaptiveFillsASlowEndpoint(t *testing.T) {
	// The bench's case (b): no limit, 200 ms per request. Fixed concurrency 4 gets 20/s.
	e := &endpoint{latency: 200 * time.Millisecond}
	c := NewController(Limits{Mode: ModeAdaptive, MaxConcurrency: 40}, State{}, 0)
	r := simulate(c, e, 20*time.Second)
	t.Logf("sent %d (%.1f/s), max in flight %d, learned %+v", r.sent, float64(r.sent)/20, r.maxInflight, r.final)
	if rate := float64(r.ok) / 20; rate < 5*20 {
		t.Errorf("throughput %.1f/s, want at least 5 × fixed concurrency 4's 20/s", rate)
	}
	if r.maxInflight > 40 {
		t.Errorf("%d requests in flight, want at most max_concurrency 40", r.maxInflight)
	}
}

func TestAdaptiveBacksOffWhenLatencyRises(t *testing.T) {
	// An endpoint with 8 servers: more in flight only queues (latency grows).
	e := &endpoint{latency: 20 * time.Millisecond, servers: 8}
	c := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
	r := simulate(c, e, 20*time.Second)
	t.Logf("sent %d, max in flight %d, learned %+v", r.sent, r.maxInflight, r.final)
	if r.final.Concurrency > 20 {
		t.Errorf("learned concurrency %d against 8 servers, want it held near them (latency rises past 8)", r.final.Concurrency)
	}
	if rate := float64(r.sent) / 20; rate < 0.6*400 {
		t.Errorf("throughput %.1f/s, want most of the 400/s 8 servers give", rate)
	}
}

func TestFixedModeIgnoresAnswers(t *testing.T) {
	c := NewController(Limits{Mode: ModeFixed, MaxRate: 30}, State{Rate: 500, Concurrency: 50}, 4)
	h := http.Header{"Retry-After": {"10"}, "Ratelimit-Policy": {"5;w=1"}}
	for i := range 100 {
		c.Observe(t0.Add(time.Duration(i)*time.Millisecond), Answer{Status: 429, Latency: time.Second, Header: h})
	}
	if c.Rate(t0) != 30 || c.Concurrency() != 4 || !c.PauseUntil().IsZero() {
		t.Errorf("fixed mode: rate %v, concurrency %d, pause %v; want 30, 4 and none whatever the answers",
			c.Rate(t0), c.Concurrency(), c.PauseUntil())
	}
}

func TestA429BurstCutsOnceAndPauses(t *testing.T) {
	c := NewController(Limits{Mode: ModeAdaptive}, State{Rate: 100, Concurrency: 10}, 0)
	now := t0
	for range 200 { // a second of 2xx at 100/s
		now = now.Add(10 * time.Millisecond)
		c.Observe(now, Answer{Status: 200, Latency: 50 * time.Millisecond})
	}
	before := c.Rate(now)
	h := http.Header{"Retry-After": {"2"}}
	for range 10 { // the answers of every request in flight, within one round trip
		now = now.Add(time.Millisecond)
		c.Observe(now, Answer{Status: 429, Latency: 50 * time.Millisecond, Header: h})
	}
	after := c.Rate(now)
	if after > before*backoff+0.5 || after < before*backoff*backoff {
		t.Errorf("after a burst of 429s the rate went from %.1f to %.1f, want one cut by %.1f", before, after, backoff)
	}
	if want := now.Add(2 * time.Second); !c.PauseUntil().Equal(want) {
		t.Errorf("pause until %v, want %v (Retry-After: 2 from the last 429)", c.PauseUntil(), want)
	}
	// Retry-After: 1 is a token bucket's "slow down": the refused request's retry waits it, the
	// others go on at the cut rate.
	short := NewController(Limits{Mode: ModeAdaptive}, State{Rate: 100, Concurrency: 10}, 0)
	short.Observe(t0, Answer{Status: 429, Header: http.Header{"Retry-After": {"1"}}})
	if !short.PauseUntil().IsZero() || short.Rate(t0) >= 100 {
		t.Errorf("after a 429 with Retry-After: 1: pause until %v, rate %.1f; want no pause and a cut", short.PauseUntil(), short.Rate(t0))
	}
	// A second burst a round trip later cuts again.
	now = now.Add(time.Second)
	c.Observe(now, Answer{Status: 503, Latency: 50 * time.Millisecond})
	if got := c.Rate(now); got >= after {
		t.Errorf("a 503 a second later left the rate at %.1f, want below %.1f", got, after)
	}
}

func TestRecoveryStopsNearTheLastGoodRate(t *testing.T) {
	c := NewController(Limits{Mode: ModeAdaptive}, State{Rate: 200, Concurrency: 12}, 0)
	now := t0
	for range 200 {
		now = now.Add(5 * time.Millisecond)
		c.Observe(now, Answer{Status: 200, Latency: 50 * time.Millisecond})
	}
	c.Observe(now, Answer{Status: 429, Latency: 50 * time.Millisecond})
	good := c.lastGood
	for range 400 { // two seconds of 2xx
		now = now.Add(5 * time.Millisecond)
		c.Observe(now, Answer{Status: 200, Latency: 50 * time.Millisecond})
	}
	if r := c.Rate(now); r < 0.95*good || r > 1.05*good {
		t.Errorf("two seconds after a cut from %.1f the rate is %.1f, want back near it (within 5%%)", good, r)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	t.Run("a policy sets the rate", func(t *testing.T) {
		c := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
		c.Observe(t0, Answer{Status: 200, Latency: 10 * time.Millisecond,
			Header: http.Header{"Ratelimit-Policy": {`"default";q=600;w=60`}}})
		if r := c.Rate(t0); r != 10 {
			t.Errorf("rate %.2f after RateLimit-Policy q=600;w=60, want 10", r)
		}
	})
	t.Run("a policy of bytes is not a rate of requests", func(t *testing.T) {
		c := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
		c.Observe(t0, Answer{Status: 200, Latency: 10 * time.Millisecond,
			Header: http.Header{"Ratelimit-Policy": {`"upload";q=10000000;w=1;qu="content-bytes"`}}})
		if r := c.Rate(t0); r > DefaultStartRate+slowStartGain {
			t.Errorf("rate %.2f after a policy of 10 MB a second, want the slow start's (at most %g)", r, DefaultStartRate+slowStartGain)
		}
	})
	t.Run("a spent policy listed first still pauses", func(t *testing.T) {
		c := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
		c.Observe(t0, Answer{Status: 200, Header: http.Header{"Ratelimit": {`"minute";r=0;t=40, "second";r=9;t=1`}}})
		if want := t0.Add(40 * time.Second); !c.PauseUntil().Equal(want) {
			t.Errorf("pause until %v, want %v (the spent policy's reset)", c.PauseUntil(), want)
		}
	})
	t.Run("a policy above max_requests_per_second is capped", func(t *testing.T) {
		c := NewController(Limits{Mode: ModeAdaptive, MaxRate: 50}, State{}, 0)
		c.Observe(t0, Answer{Status: 200, Header: http.Header{"Ratelimit-Policy": {"1000;w=1"}}})
		if r := c.Rate(t0); r != 50 {
			t.Errorf("rate %.2f, want max_requests_per_second 50", r)
		}
	})
	t.Run("nothing remaining pauses until the reset", func(t *testing.T) {
		c := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
		c.Observe(t0, Answer{Status: 200, Header: http.Header{"X-Ratelimit-Remaining": {"0"},
			"X-Ratelimit-Reset": {"7"}}})
		if want := t0.Add(7 * time.Second); !c.PauseUntil().Equal(want) {
			t.Errorf("pause until %v, want %v", c.PauseUntil(), want)
		}
	})
	t.Run("what remains is spread over the window", func(t *testing.T) {
		c := NewController(Limits{Mode: ModeAdaptive}, State{Rate: 100}, 0)
		c.Observe(t0, Answer{Status: 200, Header: http.Header{"Ratelimit": {"limit=1000, remaining=20, reset=10"}}})
		if r := c.Rate(t0.Add(time.Second)); r != 2 {
			t.Errorf("rate %.2f with 20 requests left for 10 s, want 2", r)
		}
		if r := c.Rate(t0.Add(11 * time.Second)); r < 99 {
			t.Errorf("rate %.2f after the window reset, want the controller's own again", r)
		}
	})
}

func TestBounds(t *testing.T) {
	e := &endpoint{latency: 100 * time.Millisecond}
	c := NewController(Limits{Mode: ModeAdaptive, MaxRate: 150, MaxConcurrency: 8}, State{}, 0)
	r := simulate(c, e, 10*time.Second)
	if r.final.Rate > 150 || r.maxInflight > 8 {
		t.Errorf("rate %.1f and %d in flight, want at most max_requests_per_second 150 and max_concurrency 8", r.final.Rate, r.maxInflight)
	}
	if got := float64(r.sent) / 10; got < 60 {
		t.Errorf("throughput %.1f/s, want near 8 in flight / 100 ms = 80/s", got)
	}
}

func TestStartsFromWhatWasLearned(t *testing.T) {
	c := NewController(Limits{Mode: ModeAdaptive, MaxConcurrency: 32}, State{Rate: 180, Concurrency: 40}, 0)
	if c.Rate(t0) != 180 || c.Concurrency() != 32 {
		t.Errorf("start: rate %.1f, concurrency %d; want the learned 180 and 40 capped to max_concurrency 32", c.Rate(t0), c.Concurrency())
	}
	fresh := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
	if fresh.Rate(t0) != DefaultStartRate || fresh.Concurrency() != DefaultStartConcurrency {
		t.Errorf("fresh start: rate %.1f, concurrency %d", fresh.Rate(t0), fresh.Concurrency())
	}
}

func BenchmarkObserve(b *testing.B) {
	c := NewController(Limits{Mode: ModeAdaptive}, State{Rate: 200, Concurrency: 12}, 0)
	ok := Answer{Status: 200, Latency: 50 * time.Millisecond}
	limited := Answer{Status: 429, Latency: 50 * time.Millisecond, Header: http.Header{"Retry-After": {"1"}}}
	now := t0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now = now.Add(5 * time.Millisecond)
		if i%100 == 99 {
			c.Observe(now, limited)
		} else {
			c.Observe(now, ok)
		}
	}
}

func BenchmarkObserveWithHeaders(b *testing.B) {
	c := NewController(Limits{Mode: ModeAdaptive}, State{Rate: 200, Concurrency: 12}, 0)
	a := Answer{Status: 200, Latency: 50 * time.Millisecond, Header: http.Header{
		"X-Ratelimit-Limit": {"1000"}, "X-Ratelimit-Remaining": {"500"}, "X-Ratelimit-Reset": {"30"}}}
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(5 * time.Millisecond)
		c.Observe(now, a)
	}
}

func TestOnlyASettledStateIsWorthKeeping(t *testing.T) {
	c := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
	now := t0
	for range 3 { // a run of three requests: still in its slow start
		now = now.Add(100 * time.Millisecond)
		c.Observe(now, Answer{Status: 200, Latency: 50 * time.Millisecond})
	}
	if c.Settled() {
		t.Errorf("settled after 3 answers in slow start (rate %.1f), want not: the next run should search afresh", c.Rate(now))
	}
	c.Observe(now, Answer{Status: 429})
	if !c.Settled() {
		t.Error("not settled after a 429, want settled: the rate is near the endpoint's")
	}
	// A run whose every answer was a 503 or a network error learned nothing about the rate the
	// endpoint sustains: the next run searches afresh (or from what was learned before), not
	// from where this one's cuts left it.
	for _, start := range []State{{}, {Rate: 150, Concurrency: 6}} {
		c := NewController(Limits{Mode: ModeAdaptive}, start, 0)
		now := t0
		for range 30 {
			now = now.Add(300 * time.Millisecond)
			c.Observe(now, Answer{Status: 503, Latency: 5 * time.Millisecond})
			c.Observe(now, Answer{Status: 0})
		}
		if c.Settled() {
			t.Errorf("from %+v: settled after only 503s and network errors (state %+v), want not", start, c.State())
		}
	}
	if NewController(Limits{Mode: ModeFixed, MaxRate: 5}, State{}, 4).Settled() {
		t.Error("fixed mode settled, want never: it learns nothing")
	}
}

// An endpoint that gets slow for a while (400 ms instead of 20 ms) and then fast again: the
// controller backs off while it is slow and climbs back to the endpoint's limit after. It used
// to read the slow spell as ever-rising latency (above twice the lowest seen until that aged out),
// cutting once per round trip down to the floor, and then probe up from there at a share of that
// floor: a connection with a limit of 200/s sent 1 request a second for a minute after.
func TestAdaptiveRecoversAfterLatencyFalls(t *testing.T) {
	for _, e := range []*endpoint{
		{limit: 200, burst: 20, latency: 20 * time.Millisecond},
		{latency: 20 * time.Millisecond},
	} {
		c := NewController(Limits{Mode: ModeAdaptive, MaxRate: 300}, State{}, 0)
		var before, after int
		simulateTrace(c, e, 85*time.Second, func(now time.Time, r simResult) {
			switch now.Sub(t0) {
			case 20 * time.Second:
				e.latency = 400 * time.Millisecond
			case 35 * time.Second:
				e.latency = 20 * time.Millisecond
			case 75 * time.Second:
				before = r.ok
			}
			after = r.ok
		})
		ceiling := 300.0
		if e.limit > 0 {
			ceiling = e.limit
		}
		// 40 s after the endpoint is fast again, over the next 10 s.
		if rate := float64(after-before) / 10; rate < 0.75*ceiling {
			t.Errorf("limit %v: 2xx %.1f/s 40 s after the latency fell back, want at least 75%% of %v/s (rate now %.1f, concurrency %d)",
				e.limit, rate, ceiling, c.Rate(t0.Add(85*time.Second)), c.Concurrency())
		}
	}
}

// An endpoint that answers 503 for two seconds (a deploy) and then as before: the controller
// cuts while it does, and climbs back to the limit it had found once 2xx return. Each cut of the
// burst used to record the halved rate as the last good one, so the rate ended at the floor and
// probed up from there at a share of it: under one request a second half a minute later.
func TestAdaptiveRecoversAfterA503Burst(t *testing.T) {
	e := &endpoint{limit: 200, burst: 20, latency: 20 * time.Millisecond}
	c := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
	var before, after int
	simulateTrace(c, e, 40*time.Second, func(now time.Time, r simResult) {
		switch now.Sub(t0) {
		case 20 * time.Second:
			e.down = true
		case 22 * time.Second:
			e.down = false
		case 30 * time.Second:
			before = r.ok
		}
		after = r.ok
	})
	// From 8 s after the burst, over the next 10 s.
	if rate := float64(after-before) / 10; rate < 0.85*e.limit {
		t.Errorf("2xx %.1f/s after a 2 s burst of 503s, want at least 85%% of the %v/s found before it (rate now %.1f)",
			rate, e.limit, c.Rate(t0.Add(40*time.Second)))
	}
}

// A run that ends during an outage (its last batch failed on 503s, say) stores what it learned
// for the next run: the rate the endpoint sustained before the outage, not the floor the
// outage's cuts reached, or the next run (an hour later, the endpoint long back) starts there and
// probes up at a share of it.
func TestLearnedStateSurvivesAnOutageAtTheEnd(t *testing.T) {
	e := &endpoint{limit: 200, burst: 20, latency: 20 * time.Millisecond}
	c := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
	first := simulateTrace(c, e, 22*time.Second, func(now time.Time, _ simResult) {
		e.down = now.Sub(t0) >= 20*time.Second
	})
	if !c.Settled() {
		t.Fatal("the first run did not settle")
	}
	e = &endpoint{limit: 200, burst: 20, latency: 20 * time.Millisecond} // back, on a fresh clock
	next := NewController(Limits{Mode: ModeAdaptive}, first.final, 0)
	var before, after int
	simulateTrace(next, e, 15*time.Second, func(now time.Time, r simResult) {
		if now.Sub(t0) == 5*time.Second {
			before = r.ok
		}
		after = r.ok
	})
	if rate := float64(after-before) / 10; rate < 0.85*e.limit {
		t.Errorf("the next run, from %+v: 2xx %.1f/s over its seconds 5 to 15, want at least 85%% of the %v/s found before the outage",
			first.final, rate, e.limit)
	}
}

// A stated RateLimit-Policy sets the rate at once: the first one a run sees (it starts from what
// an earlier run learned, say 50/s, and the endpoint now states 100/s), and one that changes.
// Answers stating the same policy again do not undo a cut (congestion below the policy: other
// clients share the quota).
func TestAStatedPolicySetsTheRate(t *testing.T) {
	policy := func(p string) Answer {
		return Answer{Status: 200, Latency: 10 * time.Millisecond, Header: http.Header{"Ratelimit-Policy": {p}}}
	}
	c := NewController(Limits{Mode: ModeAdaptive}, State{Rate: 50, Concurrency: 4}, 0)
	c.Observe(t0, policy("100;w=1"))
	if r := c.Rate(t0); r != 100 {
		t.Errorf("started from a learned 50/s, the endpoint states 100/s: rate %.1f, want 100", r)
	}
	c.Observe(t0, policy("300;w=1"))
	if r := c.Rate(t0); r != 300 {
		t.Errorf("the policy rose to 300/s: rate %.1f, want 300", r)
	}
	now := t0.Add(time.Second)
	c.Observe(now, Answer{Status: 429})
	cut := c.Rate(now)
	c.Observe(now, policy("300;w=1"))
	if r := c.Rate(now); r != cut {
		t.Errorf("the same policy after a 429: rate %.1f, want the cut's %.1f kept", r, cut)
	}
}
