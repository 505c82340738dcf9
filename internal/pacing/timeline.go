package pacing

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// A connection's rate is enforced on a timeline of request slots (a generic cell rate algorithm):
// every slot granted is at least one interval after the slot granted before it, whoever it went
// to, so no window of the timeline holds more slots than its length over the interval, however
// many runners lease them. Runners lease blocks of slots (a round trip per block, not per
// request); a request starts at its slot, or gives it up.
//
// Between a slot and the request's arrival at the endpoint lie the runner's reading of the
// timeline's clock (off by at most half its best lease round trip), how late its goroutine
// wakes, and the network. Slots are spaced so that this spread, up to Jitter, cannot put more
// than the rate into any second at the endpoint: interval = (1 s + Jitter) / rate. A request that
// would start more than LateLimit after its slot gives the slot up; the rest of Jitter is for the
// clock reading and the network. docs/destinations.md states this to users.
const (
	// Jitter is the spread between slots and arrivals the spacing absorbs: a rate of r puts slots
	// (1 s + Jitter)/r apart, so any one second of arrivals whose delays differ by at most Jitter
	// holds at most r requests. It costs Jitter/(1 s + Jitter), 2.4 %, of the rate.
	Jitter = 25 * time.Millisecond
	// LateLimit is how late after its slot a request may still start.
	LateLimit = 15 * time.Millisecond
	// MaxLeaseRoundTrip is the round trip to the timeline (the control plane) that the rest of
	// Jitter allows: a runner reads the timeline's clock through its fastest lease, off by up to
	// half of it. Past it, runners sharing a limit may together exceed it by a few requests a
	// second; the runner warns (Pacer.LeaseRoundTrip).
	MaxLeaseRoundTrip = Jitter - LateLimit

	// blockTime is how much of the timeline a runner leases at once: a round trip every 100 ms
	// per runner, short enough that runners interleave finely and that a runner which stops
	// wastes little of it. A runner leases the next block while half of the current one is left.
	blockTime = 100 * time.Millisecond
	// MaxLeaseSlots and MaxLeaseSpan bound one lease (a lease of one slot is as long as its rate
	// says); MaxLeaseLead how far ahead it may start.
	MaxLeaseSlots = 1000
	MaxLeaseSpan  = time.Minute
	MaxLeaseLead  = time.Second
)

// Interval is the spacing of the slots of rate requests per second: (1 s + Jitter)/rate, rounded
// up to a microsecond (the control plane's resolution, so block boundaries are exact there too).
func Interval(rate float64) time.Duration {
	d := time.Duration(float64(time.Second+Jitter) / rate)
	return (d + time.Microsecond - 1).Truncate(time.Microsecond)
}

// CheckLease says what is wrong with a lease of n slots interval apart starting at least lead
// from now: the bounds every TokenSource enforces.
func CheckLease(n int, interval, lead time.Duration) error {
	switch {
	case n < 1 || n > MaxLeaseSlots:
		return fmt.Errorf("lease %d request slots: between 1 and %d at once", n, MaxLeaseSlots)
	case interval <= 0 || n > 1 && time.Duration(n)*interval > MaxLeaseSpan:
		return fmt.Errorf("lease %d request slots %v apart: a lease spans at most %v", n, interval, MaxLeaseSpan)
	case lead < 0 || lead > MaxLeaseLead:
		return fmt.Errorf("lease request slots %v ahead: at most %v", lead, MaxLeaseLead)
	}
	return nil
}

// Lease is a block of slots granted on a timeline: the first slot and the time it was granted,
// both by the timeline's clock, and how many slots how far apart. The control plane may grant
// fewer slots further apart than asked, never more or closer: when the connection's limit as it
// holds it now is lower than the one the asking runner's run started with.
type Lease struct {
	First, Now time.Time
	N          int           // 0: as many as asked
	Interval   time.Duration // 0: as asked
}

// Timeline is a connection's timeline in one process (a runner with --local-pacing): the
// control plane's (controlplane.Store.LeaseSlots) in memory, with the same rule.
type Timeline struct {
	now  func() time.Time
	mu   sync.Mutex
	next time.Time
}

// NewTimeline returns an empty timeline on clock now (nil: time.Now).
func NewTimeline(now func() time.Time) *Timeline {
	if now == nil {
		now = time.Now
	}
	return &Timeline{now: now}
}

// Lease grants n slots interval apart, from the end of every slot granted before or from now +
// lead, whichever is later.
func (t *Timeline) Lease(_ context.Context, n int, interval, lead time.Duration) (Lease, error) {
	if err := CheckLease(n, interval, lead); err != nil {
		return Lease{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	first := t.next
	if at := now.Add(lead); first.Before(at) {
		first = at
	}
	t.next = first.Add(time.Duration(n) * interval)
	return Lease{First: first, Now: now, N: n, Interval: interval}, nil
}

// MostWithin is the most of times ts that fall within one window [t, t+w): how a limit of that
// many requests per w is checked against arrivals or slots. ts is sorted if it is not.
func MostWithin(ts []time.Time, w time.Duration) int {
	if !slices.IsSortedFunc(ts, time.Time.Compare) {
		ts = slices.SortedFunc(slices.Values(ts), time.Time.Compare)
	}
	most, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}
