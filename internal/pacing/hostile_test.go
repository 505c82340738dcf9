package pacing

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"
)

// An endpoint's RateLimit-Policy is its word, and a broken or hostile endpoint can say anything:
// a policy of a request a day, or 1e-300 requests a second. The rate it sets never goes below
// the floor every other path of the controller keeps (minRate): below it, a slot's interval is
// a day (the connection's shared timeline then holds every runner's requests that long), or
// overflows to a negative duration that the timeline refuses.
func TestHostilePolicyKeepsTheFloor(t *testing.T) {
	for _, policy := range []string{"1;w=86400", "1e-300;w=1", "0.0000001;w=86400", `"d";q=1;w=1e308`} {
		c := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
		c.Observe(t0, Answer{Status: 200, Latency: 10 * time.Millisecond,
			Header: http.Header{"Ratelimit-Policy": {policy}}})
		r := c.Rate(t0)
		if r < minRate || math.IsNaN(r) {
			t.Errorf("RateLimit-Policy %q: rate %g, want at least %g", policy, r, minRate)
		}
		if iv := Interval(r); iv <= 0 || iv > Interval(minRate) {
			t.Errorf("RateLimit-Policy %q: interval %v, want in (0, %v]", policy, iv, Interval(minRate))
		}
		// A ceiling below the floor still wins: the user's max_requests_per_second.
		c = NewController(Limits{Mode: ModeAdaptive, MaxRate: 0.2}, State{}, 0)
		c.Observe(t0, Answer{Status: 200, Header: http.Header{"Ratelimit-Policy": {policy}}})
		if r := c.Rate(t0); r != 0.2 {
			t.Errorf("RateLimit-Policy %q, max_requests_per_second 0.2: rate %g, want 0.2", policy, r)
		}
	}
	// Through a Pacer: requests still start after such a policy (its timeline refuses a
	// negative interval, and a day-long one would hold them a day).
	p := NewPacer(Limits{Mode: ModeAdaptive}, State{}, 0, nil)
	for i := range 4 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		done, _, err := p.Acquire(ctx)
		cancel()
		if err != nil {
			t.Fatalf("request %d after RateLimit-Policy 1e-300;w=1: %v", i, err)
		}
		done(Answer{Status: 200, Latency: time.Millisecond, Header: http.Header{"Ratelimit-Policy": {"1e-300;w=1"}}})
	}
}

// Malformed rate-limit headers (NaN, Inf, negative, huge, garbage) are ignored or bounded: the
// rate stays a positive number (a pause past MaxRetryAfter: TestQuotaResetTooFar).
func TestHostileQuotaHeaders(t *testing.T) {
	for _, h := range []http.Header{
		{"Ratelimit-Remaining": {"NaN"}, "Ratelimit-Reset": {"NaN"}, "Ratelimit-Limit": {"NaN"}},
		{"Ratelimit-Remaining": {"Inf"}, "Ratelimit-Reset": {"-Inf"}},
		{"Ratelimit-Remaining": {"-1"}, "Ratelimit-Reset": {"-30"}},
		{"Ratelimit-Remaining": {"1e308"}, "Ratelimit-Reset": {"1e-9"}},
		{"Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"1e308"}},
		{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"99999999999"}},      // Unix seconds, year 5138
		{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"9999999999999999"}}, // Unix ms
		{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1000000001"}},       // Unix seconds, 2001: past
		{"X-Ratelimit-Remaining": {"1"}, "X-Ratelimit-Reset": {"99999999999"}},
		{"Ratelimit": {"remaining=0, reset=garbage, limit=;;;==,"}},
		{"Ratelimit": {`"d";r=0;t=1e400`}},
		{"Ratelimit-Policy": {"NaN;w=NaN, Inf;w=0, -1;w=-1, ;;;"}},
		{"Ratelimit-Policy": {"Inf;w=1"}},
	} {
		c := NewController(Limits{Mode: ModeAdaptive}, State{}, 0)
		c.Observe(t0, Answer{Status: 200, Latency: 10 * time.Millisecond, Header: h})
		r := c.Rate(t0.Add(time.Second))
		if !(r >= minRate) || math.IsInf(r, 0) {
			t.Errorf("%v: rate %g, want a finite rate of at least %g", h, r, minRate)
		}
		if c.Concurrency() < 1 {
			t.Errorf("%v: concurrency %d", h, c.Concurrency())
		}
	}
}

// A remaining count of 0 with a reset past MaxRetryAfter (a day, a Unix time in year 5138) used
// to pause the connection for MaxRetryAfter, one hour, after each answer that said so: a run of
// N batches to an endpoint that always says it took N hours, holding its sync. The Pacer now
// refuses requests until the reset (QuotaError), so the run fails as for a Retry-After over the
// bound, its records pending; a reset within the bound still pauses and then goes on.
func TestQuotaResetTooFar(t *testing.T) {
	for _, h := range []http.Header{
		{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"99999999999"}},
		{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1e308"}},
		{"Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"86400"}},
		{"Ratelimit": {`"default";r=0;t=3601`}},
	} {
		p := NewPacer(Limits{Mode: ModeAdaptive}, State{}, 0, nil)
		done, _, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		done(Answer{Status: 200, Latency: time.Millisecond, Header: h})
		// The refusal is at once; the timeout (a minute, far above any load's delay) only ends the
		// wait a pacer without it would make.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, _, err = p.Acquire(ctx)
		cancel()
		var qe *QuotaError
		if !errors.As(err, &qe) || qe.Wait <= MaxRetryAfter {
			t.Errorf("%v: the next request got %v, want a QuotaError for a wait over %v", h, err, MaxRetryAfter)
		}
	}
	// Within the bound: a pause, then the request goes (a 1 s reset, not an hour, to keep it short).
	p := NewPacer(Limits{Mode: ModeAdaptive}, State{}, 0, nil)
	done, _, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done(Answer{Status: 200, Latency: time.Millisecond, Header: http.Header{"Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"1"}}})
	if _, _, err := p.Acquire(context.Background()); err != nil {
		t.Errorf("request after a reset of 1 s: %v", err)
	}
}
