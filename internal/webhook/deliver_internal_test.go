package webhook

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
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
		{"99999999", maxRetryAfter},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := parseRetryAfter(tc.header, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestBackoffStaysWithinItsCeiling(t *testing.T) {
	d := &Deliverer{BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for n := range 70 {
		limit := min(100*time.Millisecond<<min(n, 20), time.Second)
		for range 50 {
			if b := d.backoff(n); b < 0 || b > limit {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, b, limit)
			}
		}
	}
	var zero Deliverer // defaults
	if b := zero.backoff(100); b < 0 || b > DefaultMaxBackoff {
		t.Fatalf("default backoff(100) = %v, want within [0, %v]", b, DefaultMaxBackoff)
	}
}
