package webhook

import (
	"testing"
	"time"
)

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

// TestRedactLocation: a redirect's Location as a run's error shows it, its host and nothing after.
func TestRedactLocation(t *testing.T) {
	for loc, want := range map[string]string{
		"":                             "",
		"https://other.example/a?t=s3": "https://other.example/…",
		"//other.example/a?t=s3":       "//other.example/…",
		"/elsewhere":                   "a relative location on the same host",
		"/offers/50%off":               "a location that is not a valid URL",
	} {
		if got := redactLocation(loc); got != want {
			t.Errorf("redactLocation(%q) = %q, want %q", loc, got, want)
		}
	}
}
