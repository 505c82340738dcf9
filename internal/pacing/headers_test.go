package pacing

import (
	"net/http"
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
