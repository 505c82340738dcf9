package pacing

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestParseQuota(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name   string
		header http.Header
		want   Quota
		ok     bool
	}{
		{"none", http.Header{"Content-Type": {"application/json"}}, Quota{-1, -1, -1, -1}, false},
		{"IETF separate fields", http.Header{"Ratelimit-Limit": {"100"}, "Ratelimit-Remaining": {"40"}, "Ratelimit-Reset": {"30"}},
			Quota{100, 40, 30 * time.Second, -1}, true},
		{"IETF combined field", http.Header{"Ratelimit": {"limit=100, remaining=50, reset=5"}},
			Quota{100, 50, 5 * time.Second, -1}, true},
		{"IETF later draft", http.Header{"Ratelimit": {`"default";r=7;t=2`}, "Ratelimit-Policy": {`"default";q=600;w=60`}},
			Quota{600, 7, 2 * time.Second, time.Minute}, true},
		{"policy, tightest of several", http.Header{"Ratelimit-Policy": {"100;w=1, 1000;w=3600"}},
			Quota{1000, -1, -1, time.Hour}, true},
		{"X- with delta reset", http.Header{"X-Ratelimit-Limit": {"5000"}, "X-Ratelimit-Remaining": {"4999"}, "X-Ratelimit-Reset": {"60"}},
			Quota{5000, 4999, time.Minute, -1}, true},
		{"X- with a Unix-time reset (GitHub)", http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1800000090"}},
			Quota{-1, 0, 90 * time.Second, -1}, true},
		{"X- with a Unix-milliseconds reset", http.Header{"X-Ratelimit-Reset": {"1800000001500"}},
			Quota{-1, -1, 1500 * time.Millisecond, -1}, true},
		// Several policies in one RateLimit field: the tightest counts, whichever comes last.
		{"RateLimit, a spent policy before one with room", http.Header{"Ratelimit": {`"daily";r=0;t=3600, "burst";r=50;t=5`}},
			Quota{-1, 0, time.Hour, -1}, true},
		{"RateLimit, a spent policy after one with room", http.Header{"Ratelimit": {`"burst";r=50;t=5, "daily";r=0;t=3600`}},
			Quota{-1, 0, time.Hour, -1}, true},
		{"RateLimit, the slower of two with room", http.Header{"Ratelimit": {`"a";r=100;t=10, "b";r=20;t=10`}},
			Quota{-1, 20, 10 * time.Second, -1}, true},
		{"RateLimit, params in another order", http.Header{"Ratelimit": {`"b";t=10;r=20, "a";pk=:cHJvamVjdA==:;t=10;r=100`}},
			Quota{-1, 20, 10 * time.Second, -1}, true},
		{"policy, params in another order", http.Header{"Ratelimit-Policy": {`"x";w=60;q=600`}},
			Quota{600, -1, -1, time.Minute}, true},
		// A quota of bytes or of concurrent requests is not a rate of requests.
		{"policy of another unit", http.Header{"Ratelimit-Policy": {`"bytes";q=1000000;qu="content-bytes";w=1, "req";q=100;w=10`}},
			Quota{100, -1, -1, 10 * time.Second}, true},
		{"policy of another unit only", http.Header{"Ratelimit-Policy": {`"c";q=5;w=1;qu="concurrent-requests"`}},
			Quota{-1, -1, -1, -1}, false},
		// Over the quota: some endpoints count below zero. Nothing is left.
		{"X- negative remaining", http.Header{"X-Ratelimit-Remaining": {"-3"}, "X-Ratelimit-Reset": {"20"}},
			Quota{-1, 0, 20 * time.Second, -1}, true},
		{"RateLimit negative remaining", http.Header{"Ratelimit": {`"default";r=-1;t=20`}},
			Quota{-1, 0, 20 * time.Second, -1}, true},
		{"garbage", http.Header{"X-Ratelimit-Remaining": {"lots"}, "Ratelimit": {"nonsense"}}, Quota{-1, -1, -1, -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseQuota(tc.header, now)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseQuota = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"2", 2 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"99999999", MaxRetryAfter},
		{"99999999999999999999", MaxRetryAfter}, // past int64: longer than the bound, not invalid
		{"-99999999999999999999", 0},
		{"1.5", 0},
		{"Fri, 31 Dec 9999 23:59:59 GMT", MaxRetryAfter},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := RetryAfter(tc.header, now, MaxRetryAfter); got != tc.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

// A rate limit's reset given as a Unix time is on the endpoint's clock: it is read against the
// answer's Date, not the runner's clock (here an hour ahead of the endpoint's, which read the
// reset as past: no wait at all).
func TestQuotaResetOnTheEndpointsClock(t *testing.T) {
	endpoint := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := http.Header{"Date": {endpoint.Format(http.TimeFormat)}, "X-Ratelimit-Remaining": {"0"},
		"X-Ratelimit-Reset": {strconv.FormatInt(endpoint.Add(40*time.Second).Unix(), 10)}}
	q, ok := ParseQuota(h, endpoint.Add(time.Hour))
	if !ok || q.Reset != 40*time.Second {
		t.Errorf("ParseQuota(%v) = %+v, %v; want a reset in 40s", h, q, ok)
	}
}

// A Unix-time reset read against a Date far from it (an endpoint whose Date is broken, or
// hostile) is bounded as a delta reset is, a day: unbounded, decades of nothing left made every
// run of the connection in the process fail until it restarted (QuotaError).
func TestQuotaResetAgainstAFarDateIsBounded(t *testing.T) {
	local := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, date := range []string{"Sat, 01 Jan 2000 00:00:00 GMT", "Mon, 01 Jan 0001 00:00:00 GMT"} {
		for _, reset := range []string{strconv.FormatInt(local.Add(time.Minute).Unix(), 10),
			strconv.FormatInt(local.Add(time.Minute).UnixMilli(), 10)} {
			h := http.Header{"Date": {date}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {reset}}
			if q, ok := ParseQuota(h, local); !ok || q.Reset > 24*time.Hour {
				t.Errorf("ParseQuota(%v) = %+v, %v; want a reset of at most a day", h, q, ok)
			}
		}
	}
}
