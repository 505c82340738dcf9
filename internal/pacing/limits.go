// Package pacing decides how fast requests go to one webhook connection: a fixed rate and
// concurrency, or an adaptive controller that finds what the endpoint sustains (controller.go),
// enforced in a runner by a Pacer (pacer.go) whose rate may be shared by every runner through
// the control plane (TokenSource).
package pacing

import (
	"fmt"
	"strings"
)

// Modes of a connection's rate_limit.
const (
	// ModeFixed sends at most MaxRate requests per second with at most MaxConcurrency in flight,
	// whatever the endpoint answers (retries still honour Retry-After).
	ModeFixed = "fixed"
	// ModeAdaptive starts from what earlier runs learned and raises rate and concurrency while
	// answers are fast and 2xx, backing off on 429, 503, errors and rising latency, within
	// MaxRate and MaxConcurrency.
	ModeAdaptive = "adaptive"
)

// Modes lists the modes, for validators and descriptions.
var Modes = []string{ModeFixed, ModeAdaptive}

// Bounds of the settings.
const (
	// MaxRequestsPerSecond is the highest max_requests_per_second a webhook connection may set. A
	// runner at full speed sends far fewer requests than this (batches of up to 10,000 records, a
	// few dozen in flight); a higher value is a typo (1e12 for 1e2) that would read as "not paced".
	MaxRequestsPerSecond = 10000
	// MaxConcurrency is the highest max_concurrency a connection may set.
	MaxConcurrency = 256
	// DefaultAdaptiveConcurrency bounds requests in flight in adaptive mode when max_concurrency
	// is unset.
	DefaultAdaptiveConcurrency = 64
)

// Limits are a connection's pacing settings.
type Limits struct {
	Mode string // ModeFixed or ModeAdaptive; "": ModeFixed
	// MaxRate is the most requests per second; 0: none (adaptive mode then stops at
	// MaxRequestsPerSecond).
	MaxRate float64
	// MaxConcurrency is the most requests in flight; 0: the runner's --concurrency (fixed) or
	// DefaultAdaptiveConcurrency (adaptive).
	MaxConcurrency int
}

// Adaptive reports whether l is in adaptive mode.
func (l Limits) Adaptive() bool { return l.Mode == ModeAdaptive }

// Validate says what is wrong with l, in the words of the Terraform attributes.
func (l Limits) Validate() error {
	switch {
	case l.Mode != "" && l.Mode != ModeFixed && l.Mode != ModeAdaptive:
		return fmt.Errorf("rate_limit.mode %q is not one of %s", l.Mode, strings.Join(Modes, ", "))
	case l.MaxRate < 0 || l.MaxRate > MaxRequestsPerSecond:
		return fmt.Errorf("max_requests_per_second %g is outside 1 to %d", l.MaxRate, MaxRequestsPerSecond)
	case l.MaxConcurrency < 0 || l.MaxConcurrency > MaxConcurrency:
		return fmt.Errorf("rate_limit.max_concurrency %d is outside 1 to %d", l.MaxConcurrency, MaxConcurrency)
	}
	return nil
}

// State is what a controller learned: the starting point of the next run to the connection.
type State struct {
	Rate        float64 // requests per second; 0: none learned
	Concurrency int
}

// Describe says a pace as the CLI and the status page show it: "187 requests/s, 14 in flight",
// or "not paced, 4 in flight" when rate is 0.
func Describe(rate float64, concurrency int) string {
	if rate <= 0 {
		return fmt.Sprintf("not paced, %d in flight", concurrency)
	}
	if rate < 10 {
		return fmt.Sprintf("%.1f requests/s, %d in flight", rate, concurrency)
	}
	return fmt.Sprintf("%.0f requests/s, %d in flight", rate, concurrency)
}
