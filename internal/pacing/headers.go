package pacing

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Quota is what an endpoint said about its rate limit in an answer's headers. Unknown parts are
// negative.
type Quota struct {
	Limit     float64       // requests allowed per window
	Remaining float64       // requests left in the current window
	Reset     time.Duration // until the window resets
	Window    time.Duration // the policy's window, when stated
}

func (q Quota) known() bool { return q.Limit >= 0 || q.Remaining >= 0 || q.Reset >= 0 || q.Window >= 0 }

// ParseQuota reads the rate-limit headers an endpoint may send, in the forms in use:
//   - the IETF draft's fields (draft-ietf-httpapi-ratelimit-headers): RateLimit-Limit,
//     RateLimit-Remaining, RateLimit-Reset, the combined RateLimit ("limit=100, remaining=50,
//     reset=30", or the later draft's `"default";r=50;t=30`, parameters in any order; with several
//     policies the tightest counts, a spent one first) and RateLimit-Policy ("100;w=60" or
//     `"default";q=100;w=60`; with several policies the tightest counts; one whose quota unit
//     `qu` is not "requests", content bytes or concurrent requests, is not a rate and is ignored);
//   - the common X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset, whose reset is
//     delta seconds, or a Unix time in seconds or milliseconds (GitHub's form) when it is that large;
//     either is bounded at a day.
//
// It reports ok false when the answer carries none of them. now, the runner's clock, converts
// Unix-time resets when the answer has no Date (AnswerNow).
func ParseQuota(h http.Header, now time.Time) (q Quota, ok bool) {
	q = Quota{Limit: -1, Remaining: -1, Reset: -1, Window: -1}
	now = AnswerNow(h, now)
	if len(h) == 0 {
		return q, false
	}
	if v := get(h, "Ratelimit"); v != "" {
		// The older draft's "limit=100, remaining=50, reset=30" spreads one quota over the list;
		// the later draft's `"burst";r=0;t=5, "daily";r=99;t=3600` lists a quota per policy, and
		// the tightest counts (a spent one before any with room), whatever their order.
		var best *Quota
		for _, item := range strings.Split(v, ",") {
			one := Quota{Limit: -1, Remaining: -1, Reset: -1, Window: -1}
			policy := false
			for _, param := range strings.Split(item, ";") {
				k, val, found := strings.Cut(strings.TrimSpace(param), "=")
				if !found {
					continue
				}
				switch n := number(val); strings.ToLower(strings.TrimSpace(k)) {
				case "limit", "q":
					one.Limit = n
				case "remaining":
					one.Remaining = remaining(val)
				case "r":
					one.Remaining, policy = remaining(val), true
				case "reset":
					one.Reset = seconds(n)
				case "t":
					one.Reset = seconds(n)
				}
			}
			switch {
			case policy && one.Remaining >= 0:
				if best == nil || tighter(one, *best) {
					best = &one
				}
			default:
				if one.Limit >= 0 {
					q.Limit = one.Limit
				}
				if one.Remaining >= 0 {
					q.Remaining = one.Remaining
				}
				if one.Reset >= 0 {
					q.Reset = one.Reset
				}
			}
		}
		if best != nil {
			q.Remaining, q.Reset = best.Remaining, best.Reset
			if best.Limit >= 0 {
				q.Limit = best.Limit
			}
		}
	}
	if v := get(h, "Ratelimit-Policy"); v != "" {
		best := -1.0
		for _, policy := range strings.Split(v, ",") {
			limit, window, unit := -1.0, -1.0, "requests"
			for i, item := range strings.Split(policy, ";") {
				item = strings.TrimSpace(item)
				k, val, found := strings.Cut(item, "=")
				switch {
				case !found && i == 0:
					limit = number(item) // the older draft's bare "100;w=60"
				case k == "q":
					limit = number(val)
				case k == "w":
					window = number(val)
				case k == "qu":
					unit = strings.Trim(val, `"`)
				}
			}
			// A quota of content bytes or of concurrent requests is not a rate of requests.
			if unit == "requests" && limit >= 0 && window > 0 && (best < 0 || limit/window < best) {
				best = limit / window
				q.Limit, q.Window = limit, seconds(window)
			}
		}
	}
	for _, names := range fieldNames {
		if q.Limit < 0 {
			q.Limit = number(get(h, names[0]))
		}
		if q.Remaining < 0 {
			q.Remaining = remaining(get(h, names[1]))
		}
		if q.Reset < 0 {
			if n := number(get(h, names[2])); n >= 0 {
				// A Unix time is bounded as delta seconds are: read against a Date far from it
				// (an endpoint's broken clock, or a hostile one), it was decades of nothing left,
				// every run of the connection in the process failing until it restarted.
				switch {
				case n > 1e12: // Unix milliseconds (bounded: a float past int64 converts to anything)
					q.Reset = seconds(max(time.UnixMilli(int64(min(n, 1e18))).Sub(now).Seconds(), 0))
				case n > 1e9: // Unix seconds
					q.Reset = seconds(max(time.Unix(int64(n), 0).Sub(now).Seconds(), 0))
				default:
					q.Reset = seconds(n)
				}
			}
		}
	}
	return q, q.known()
}

// tighter reports whether quota a leaves less room than b: a spent one (the later reset first
// among spent ones), else the fewer requests per second until its reset.
func tighter(a, b Quota) bool {
	switch {
	case a.Remaining == 0 && b.Remaining == 0:
		return a.Reset > b.Reset
	case a.Remaining == 0 || b.Remaining == 0:
		return a.Remaining == 0
	}
	perSecond := func(x Quota) float64 {
		if x.Reset <= 0 {
			return math.Inf(1)
		}
		return x.Remaining / x.Reset.Seconds()
	}
	return perSecond(a) < perSecond(b)
}

// fieldNames are the separate fields' names, canonical (as net/http stores them), so reading
// them allocates nothing: limit, remaining, reset.
var fieldNames = [2][3]string{
	{"Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset"},
	{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"},
}

// get is h.Get for a canonical name, without canonicalizing it again.
func get(h http.Header, canonical string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// number parses a non-negative decimal; -1 when v is not one.
func number(v string) float64 {
	v = strings.Trim(strings.TrimSpace(v), `"`)
	if v == "" {
		return -1
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// remaining parses a remaining count: below zero (an endpoint counting requests over its quota)
// is none left, 0; -1 when v is not a number.
func remaining(v string) float64 {
	v = strings.Trim(strings.TrimSpace(v), `"`)
	n, err := strconv.ParseFloat(v, 64)
	switch {
	case v == "" || err != nil || math.IsNaN(n):
		return -1
	case n < 0:
		return 0
	}
	return n
}

func seconds(n float64) time.Duration {
	if n < 0 {
		return -1
	}
	return time.Duration(min(n, 86400) * float64(time.Second))
}

// AnswerNow is the now that the times an answer with header h states (a Retry-After date, a
// rate limit's reset as a Unix time) are relative to: its Date, the endpoint's clock as it
// answered, when it has a valid one; else local, the runner's clock. The endpoint's clock is not
// the runner's: read against the runner's, a Retry-After date from an endpoint whose clock is
// behind was past, and the retry went at once, refused again; from one ahead it waited the skew
// too. Date is to the second, and a little older than the answer: the wait read so is at most a
// second longer.
func AnswerNow(h http.Header, local time.Time) time.Time {
	if t, err := http.ParseTime(get(h, "Date")); err == nil {
		return t
	}
	return local
}

// AnswerRetryAfter is RetryAfter of the Retry-After of an answer with header h, whose date is
// read against the answer's Date (AnswerNow; local when it has none).
func AnswerRetryAfter(h http.Header, local time.Time, maxWait time.Duration) time.Duration {
	return RetryAfter(get(h, "Retry-After"), AnswerNow(h, local), maxWait)
}

// RetryAfter reads a Retry-After header: delay-seconds or an HTTP date; 0 when absent, invalid or
// past. It is capped at max.
func RetryAfter(v string, now time.Time, maxWait time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxWait/time.Second) {
			return maxWait
		}
		return time.Duration(secs) * time.Second
	}
	if errors.Is(err, strconv.ErrRange) && v[0] != '-' {
		// Delay-seconds past int64 (99999999999999999999): longer than any bound, not invalid.
		return maxWait
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxWait)
	}
	return 0
}
