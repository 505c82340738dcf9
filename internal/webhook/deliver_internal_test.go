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
