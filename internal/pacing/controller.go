package pacing

import (
	"math"
	"net/http"
	"time"
)

// Answer is what one request to the endpoint got.
type Answer struct {
	Status  int // 0: no response (a network error or a timeout)
	Latency time.Duration
	Header  http.Header // may be nil
}

// Tuning of the adaptive controller. The numbers are chosen for what the bench's endpoints and
// common APIs do (a token bucket answering 429 with Retry-After, a slow endpoint that queues);
// docs/runner.md explains them to users.
const (
	// DefaultStartRate and DefaultStartConcurrency are where an adaptive connection starts when no
	// run has learned anything about it yet: polite to any endpoint, and ramped up within seconds.
	DefaultStartRate        = 10
	DefaultStartConcurrency = 4
	// MaxRetryAfter bounds a Retry-After or a rate-limit reset: an endpoint asking for hours would
	// otherwise hold a run hostage; past this the run fails and the next one retries (a reset
	// with nothing remaining: the Pacer refuses requests until it, with a QuotaError).
	MaxRetryAfter = time.Hour

	minRate = 0.5 // requests per second an adaptive connection never goes below
	// backoff is the multiplicative decrease on congestion, applied to the rate the endpoint
	// was actually answering at. Gentler than TCP's ½ because the rate it applies to is
	// measured, not guessed: a token bucket's admitted rate is its limit.
	backoff = 0.9
	// latencyBackoff shrinks concurrency when latency rises: the endpoint is queueing.
	latencyBackoff = 0.75
	// slowStartGain is how much the rate grows per 2xx before the first congestion: one request
	// requests per second more per answer doubles the rate about every 0.35 s of its own answers.
	slowStartGain = 2.0
	// recoverShare is how much of the gap back to the last good rate each 2xx closes.
	recoverShare = 0.02
	recoverTo    = 0.95
	// probeShare is how fast the rate probes past the last good rate: this share of it per
	// second, doubling every probeDoubling without congestion (up to 2⁶), so a limit that was
	// raised is found within a minute, while one that was not costs one 429 now and then. Each
	// congestion found at or above the last one (less plateau) halves the probing (down to
	// 1/16): the limit is known better each time, so it is probed less often. Congestion well
	// below it (the limit fell) starts probing afresh.
	probeShare    = 0.03
	probeDoubling = 10 * time.Second
	plateau       = 0.05
	// shortRetryAfter: a Retry-After up to this is the smallest wait the header can say (one
	// second), which token buckets send to mean "slow down": the refused request waits it (the
	// Deliverer's retry), the cut slows the others. A longer one says the quota is spent: every
	// request of the connection waits it.
	shortRetryAfter = time.Second
	// Latency is "rising" when its moving average exceeds risingFactor × the lowest seen plus
	// risingMargin; the lowest is forgotten after baseLifetime, as endpoints change.
	risingFactor = 2.0
	risingMargin = 20 * time.Millisecond
	baseLifetime = 30 * time.Second
	ewmaWeight   = 0.2
	// concHeadroom: concurrency is rate × latency (Little's law) with this much headroom, plus one.
	concHeadroom = 1.25
)

// Controller decides a connection's rate and concurrency from the answers its requests get. It is
// pure logic (the caller passes the time), so tests script answers on a fake clock. It is not
// safe for concurrent use; Pacer guards it.
//
// The algorithm is AIMD in rate, as TCP's congestion control (and CUBIC's return to the last good
// rate): AIMD is the scheme that converges to a fair share when several clients (runners, or
// other users of the endpoint's quota) back off on the same signal, and it needs no model of the
// endpoint. It starts with an exponential slow start; on the first 429, 503, network error or
// rise in latency it sets the rate to 0.9 × the rate the endpoint was answering 2xx at in the
// last 500 ms (for a token bucket, about its limit), then climbs back to 0.95 × that rate in
// about a second and probes above it slowly. Concurrency follows the rate by Little's law (rate × latency),
// and is cut by a quarter when latency rises, so a slow endpoint gets enough requests in
// flight and a queueing one fewer. A Retry-After longer than a second pauses every request of
// the connection (a shorter one delays the refused request's retry only: see shortRetryAfter); the
// RateLimit headers set the rate outright when they state a policy, and cap it to what is
// left of the window when they state a remaining count.
type Controller struct {
	adaptive bool
	maxRate  float64 // adaptive: the ceiling; fixed: the rate (0: none)
	maxConc  int

	rate      float64
	conc      int
	concCap   float64 // lowered when latency rises, regrown by one per window of answers
	slowStart bool
	lastGood  float64   // the rate answered at when congestion was last seen
	lastCut   time.Time // when the rate was last cut
	probe     float64   // the probing's scale: 1, halved on each congestion at the same rate
	probeFrom time.Time // when probing past lastGood started
	// okSinceCut is whether a request sent after the last cut was answered 2xx; answered whether
	// any request was.
	okSinceCut, answered bool

	pauseUntil time.Time
	policy     float64 // the rate a RateLimit-Policy stated; 0: none
	quotaRate  float64 // from the RateLimit headers: what is left of the window, spread evenly
	quotaUntil time.Time

	base, ewma float64 // latency in seconds: the lowest seen, and its moving average
	baseAt     time.Time
	ok         window // 2xx answers
}

// NewController makes the controller for a connection with limits lim, starting from what an
// earlier run learned (zero: nothing). defaultConc is fixed mode's concurrency when lim sets none.
func NewController(lim Limits, start State, defaultConc int) *Controller {
	c := &Controller{adaptive: lim.Adaptive(), maxRate: lim.MaxRate, maxConc: lim.MaxConcurrency, probe: 1}
	if !c.adaptive {
		if c.maxConc <= 0 {
			c.maxConc = max(defaultConc, 1)
		}
		c.rate, c.conc = c.maxRate, c.maxConc
		return c
	}
	if c.maxRate <= 0 {
		c.maxRate = MaxRequestsPerSecond
	}
	if c.maxConc <= 0 {
		c.maxConc = DefaultAdaptiveConcurrency
	}
	c.concCap = float64(c.maxConc)
	c.rate, c.conc, c.slowStart = DefaultStartRate, DefaultStartConcurrency, true
	if start.Rate > 0 {
		// Learned: go straight to it and probe from there, without a slow start's overshoot.
		c.rate, c.slowStart, c.lastGood = start.Rate, false, start.Rate
	}
	if start.Concurrency > 0 {
		c.conc = start.Concurrency
	}
	c.rate = min(max(c.rate, minRate), c.maxRate)
	c.conc = min(max(c.conc, 1), c.maxConc)
	return c
}

// Rate is the requests per second to send at now; 0: not paced.
func (c *Controller) Rate(now time.Time) float64 {
	if c.quotaRate > 0 && now.Before(c.quotaUntil) {
		return max(min(c.rate, c.quotaRate), minRate)
	}
	return c.rate
}

// Concurrency is the most requests to have in flight.
func (c *Controller) Concurrency() int { return c.conc }

// PauseUntil is when requests may start again after a Retry-After or an exhausted quota.
func (c *Controller) PauseUntil() time.Time { return c.pauseUntil }

// Pace is the rate requests actually go at now, as far as the controller can tell: its rate,
// or less when concurrency is what holds them back (concurrency / latency). Adaptive mode lets
// its rate run up to twice what is answered, so the rate alone would overstate a slow endpoint.
func (c *Controller) Pace(now time.Time) float64 {
	r := c.Rate(now)
	if c.adaptive && c.ewma > 0 {
		r = min(r, float64(c.conc)/c.ewma)
	}
	return r
}

// Settled reports whether the controller's state is worth starting the next run from: it met
// congestion or a stated policy (so its rate is near the endpoint's), or it reached its
// ceilings. A controller still in its slow start (a run of a few requests) has learned nothing a
// fresh start would not find as fast; one that was answered no 2xx (and no policy) learned nothing.
func (c *Controller) Settled() bool {
	return c.adaptive && (c.answered || c.policy > 0) && (!c.slowStart || c.conc >= c.maxConc || c.rate >= c.maxRate)
}

// State is what the controller learned, to start the next run from: its pace and concurrency.
func (c *Controller) State() State {
	if c.adaptive && c.inEpisode() && c.lastGood*backoff > c.rate {
		// Ended in an outage: its cuts are not the endpoint's pace, the rate before it is (where
		// its first cut went), with the concurrency that rate needs.
		r := c.lastGood * backoff
		conc := c.conc
		if c.ewma > 0 {
			conc = max(conc, int(min(math.Ceil(r*c.ewma*concHeadroom)+1, c.concCap, float64(c.maxConc))))
		}
		return State{Rate: r, Concurrency: conc}
	}
	r := c.rate
	if c.adaptive && c.ewma > 0 {
		r = min(r, float64(c.conc)/c.ewma)
	}
	return State{Rate: r, Concurrency: c.conc}
}

// inEpisode reports whether the rate was cut and no request sent since was answered 2xx.
func (c *Controller) inEpisode() bool { return !c.lastCut.IsZero() && !c.okSinceCut }

// Observe learns from one answer received at now.
func (c *Controller) Observe(now time.Time, a Answer) {
	if !c.adaptive {
		return
	}
	if c.probeFrom.IsZero() {
		c.probeFrom = now
	}
	c.quota(now, a.Header)
	lat := a.Latency.Seconds()
	switch {
	case a.Status == http.StatusTooManyRequests || a.Status == http.StatusServiceUnavailable:
		if ra := AnswerRetryAfter(a.Header, now, MaxRetryAfter); ra > shortRetryAfter && now.Add(ra).After(c.pauseUntil) {
			c.pauseUntil = now.Add(ra)
		}
		c.cut(now, false)
	case a.Status == 0 || a.Status >= 500 || a.Status == http.StatusRequestTimeout:
		c.cut(now, false)
	case a.Status >= 200 && a.Status < 300:
		c.ok.add(now)
		c.answered = true
		if now.Add(-a.Latency).After(c.lastCut) {
			c.okSinceCut = true // sent after the cut: not the news from before it
		}
		if c.latency(now, lat) {
			c.cut(now, true)
		} else {
			c.grow(now)
		}
	}
	c.follow(now)
}

// latency records a 2xx's latency and reports whether latency is rising.
func (c *Controller) latency(now time.Time, lat float64) bool {
	if c.ewma == 0 {
		c.ewma = lat
	} else {
		c.ewma += ewmaWeight * (lat - c.ewma)
	}
	if c.base == 0 || lat < c.base || now.Sub(c.baseAt) > baseLifetime {
		c.base, c.baseAt = min(lat, c.ewma), now
	}
	return c.ewma > risingFactor*c.base+risingMargin.Seconds()
}

// cut is a congestion signal: the rate drops to backoff × what was answered (at least half the rate), once per round
// trip (the answers to requests already in flight carry the same news).
func (c *Controller) cut(now time.Time, latency bool) {
	if !c.lastCut.IsZero() && now.Sub(c.lastCut) < max(time.Duration(2*c.ewma*float64(time.Second)), 200*time.Millisecond) {
		return
	}
	answered := c.ok.rate(now, windowBuckets/2)
	good := max(min(c.rate, answered), c.rate/2, minRate)
	// Cuts with no 2xx between them are one episode (an outage, a burst of 503s or 429s): each
	// cuts the rate, but the last good rate stays the one answered before it began, the rate to
	// climb back to when 2xx return (and a limit that fell meets congestion again on the way,
	// with 2xx before it: a new episode, learning the lower rate).
	if !c.inEpisode() {
		if c.lastGood > 0 && good >= (1-plateau)*c.lastGood {
			c.probe = max(c.probe/2, 1.0/16)
		} else {
			c.probe = 1
		}
		c.lastGood = good
	}
	c.rate = max(good*backoff, minRate)
	c.okSinceCut = false
	c.slowStart = false
	c.lastCut, c.probeFrom = now, now
	if latency {
		c.concCap = max(float64(c.conc)*latencyBackoff, 1)
		// The latency backed off from is the new baseline: a rise that this cut relieves falls
		// back (and the lowest latency seen is the base again), one that is the endpoint's own
		// (it got slower whatever is sent) is not cut for again until it rises further.
		c.base, c.baseAt = c.ewma, now
	}
}

// grow raises the rate after a good answer, when the rate is what holds requests back (it never
// runs far ahead of what is answered).
func (c *Controller) grow(now time.Time) {
	c.concCap = min(c.concCap+1/c.concCap, float64(c.maxConc))
	ceiling := c.maxRate
	if c.policy > 0 {
		ceiling = min(ceiling, c.policy)
	}
	if c.rate >= ceiling || c.rate > 2*c.ok.rate(now, windowBuckets)+DefaultStartRate {
		return
	}
	switch {
	case c.slowStart:
		c.rate += slowStartGain
	case c.rate < c.lastGood*recoverTo*(1-recoverShare):
		c.rate += (c.lastGood*recoverTo - c.rate) * recoverShare
	default:
		doublings := min(now.Sub(c.probeFrom)/probeDoubling, 6)
		c.rate += c.lastGood * probeShare * c.probe * float64(int(1)<<doublings) / c.rate
	}
	c.rate = min(c.rate, ceiling)
}

// follow sets concurrency from rate and latency (Little's law, with headroom).
func (c *Controller) follow(now time.Time) {
	if c.ewma == 0 {
		return
	}
	need := math.Ceil(c.Rate(now)*c.ewma*concHeadroom) + 1
	c.conc = int(min(need, c.concCap, float64(c.maxConc)))
	c.conc = max(c.conc, 1)
}

// quota applies the RateLimit headers of an answer.
func (c *Controller) quota(now time.Time, h http.Header) {
	q, ok := ParseQuota(h, now)
	if !ok {
		return
	}
	if q.Limit > 0 && q.Window > 0 {
		// A stated policy: its rate is the endpoint's sustainable rate, no need to search. It
		// keeps the floor every other path keeps: an endpoint stating a request a day (or 1e-300
		// a second) would otherwise space slots a day apart (or overflow the interval), holding
		// every runner's requests to the connection; one that means it answers 429 instead.
		policy := min(max(q.Limit/q.Window.Seconds(), minRate), c.maxRate)
		// Set at once when first stated (a run starting from what an earlier one learned
		// included) or changed; stated again, it caps the rate but does not undo a cut.
		stated := policy != c.policy
		c.policy = policy
		if c.slowStart || c.rate > policy || stated {
			c.rate, c.lastGood, c.slowStart = policy, policy, false
		}
	}
	switch {
	case q.Remaining == 0 && q.Reset > 0:
		// Not capped: a reset past MaxRetryAfter makes the Pacer refuse requests (QuotaError)
		// until it, instead of sending one an hour.
		if until := now.Add(q.Reset); until.After(c.pauseUntil) {
			c.pauseUntil = until
		}
	case q.Remaining > 0 && q.Reset > 0:
		c.quotaRate, c.quotaUntil = q.Remaining/q.Reset.Seconds(), now.Add(q.Reset)
	}
}

// window counts events in the last second, in buckets of 50 ms.
type window struct {
	stamp [windowBuckets]int64
	count [windowBuckets]int32
}

const (
	windowBuckets = 20
	bucketWidth   = 50 * time.Millisecond
)

func (w *window) add(now time.Time) {
	t := now.UnixNano() / int64(bucketWidth)
	i := t % windowBuckets
	if w.stamp[i] != t {
		w.stamp[i], w.count[i] = t, 0
	}
	w.count[i]++
}

// rate is the events per second over the last n buckets (the current one partly elapsed).
func (w *window) rate(now time.Time, n int) float64 {
	ns := now.UnixNano()
	t := ns / int64(bucketWidth)
	var sum int32
	for k := range int64(n) {
		i := (t - k) % windowBuckets
		if w.stamp[i] == t-k {
			sum += w.count[i]
		}
	}
	span := time.Duration(n-1)*bucketWidth + time.Duration(ns%int64(bucketWidth))
	return float64(sum) / span.Seconds()
}
