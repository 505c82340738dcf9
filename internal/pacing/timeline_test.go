package pacing

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// A Timeline never grants slots closer than the interval of the fastest lease, to any number of
// leasers at any rates: any window holds at most its length over that interval, plus one.
func TestTimelineSpacesEverySlot(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := NewTimeline(func() time.Time { return now })
	rng := rand.New(rand.NewPCG(1, 2))
	rates := []float64{200, 150, 37.5, 199.9}
	var slots []time.Time
	for range 2000 {
		now = now.Add(time.Duration(rng.IntN(int(60 * time.Millisecond))))
		interval := Interval(rates[rng.IntN(len(rates))])
		n := 1 + rng.IntN(25)
		l, err := tl.Lease(context.Background(), n, interval, time.Duration(rng.IntN(int(5*time.Millisecond))))
		if err != nil {
			t.Fatal(err)
		}
		if l.First.Before(l.Now) {
			t.Fatalf("a lease starts at %v, before now %v", l.First, l.Now)
		}
		for i := range n {
			slots = append(slots, l.First.Add(time.Duration(i)*interval))
		}
	}
	fastest := Interval(200)
	for i := 1; i < len(slots); i++ {
		if gap := slots[i].Sub(slots[i-1]); gap < fastest {
			t.Fatalf("slots %d and %d are %v apart, want at least %v", i-1, i, gap, fastest)
		}
	}
	if most := MostWithin(slots, time.Second+Jitter); most > 200 {
		t.Errorf("a window of %v holds %d slots, want at most 200", time.Second+Jitter, most)
	}
}

// Runners on one timeline, simulated on a fake clock as Pacers work: each runner its own clock
// (off from the timeline's by up to a minute) and four workers; lease round trips of 0.2 to 8 ms
// (the timeline reads its clock anywhere within them), the next block leased while half of one
// is left; workers whose timers wake up to 3 ms late, and that are up to 40 ms late one time in fifty; and one runner that dies holding
// a lease. Counted at the requests' real start times: no second holds more than the rate, and
// together the runners send more than 90 % of it (what the dead runner held and the slots given
// up cost little).
func TestRunnersOnOneTimelineHoldTheRate(t *testing.T) {
	const rate, secs = 200, 20
	for _, runners := range []int{2, 3, 8} {
		for seed := range uint64(4) {
			starts := simulateRunners(t, runners, seed, rate, secs*time.Second, time.Millisecond, true)
			if most := MostWithin(starts, time.Second); most > rate {
				t.Errorf("%d runners, seed %d: %d requests started in one second, want at most %d", runners, seed, most, rate)
			}
			// The rate with the jitter's spacing is 195/s; 90 % of 200 is 180.
			if perS := float64(len(starts)) / secs; perS < 0.9*rate {
				t.Errorf("%d runners, seed %d: %.1f requests/s, want more than %v", runners, seed, perS, 0.9*rate)
			}
		}
	}
}

// Runners whose concurrency holds them below the rate (four requests in flight of 25 to 75 ms:
// about 80 requests/s a runner) share the timeline without wasting much of it: a runner leases
// about what it uses, not 100 ms of the whole rate each time, so the other's requests go in
// between. Two of them send well over one runner's 80 requests/s together (about 130 of their
// 160; whole blocks each time gave 98).
func TestRunnersBelowTheRateShareTheTimeline(t *testing.T) {
	const rate, secs = 200, 20
	for seed := range uint64(4) {
		starts := simulateRunners(t, 2, seed, rate, secs*time.Second, 50*time.Millisecond, false)
		if most := MostWithin(starts, time.Second); most > rate {
			t.Errorf("seed %d: %d requests started in one second, want at most %d", seed, most, rate)
		}
		if perS := float64(len(starts)) / secs; perS < 120 {
			t.Errorf("seed %d: %.1f requests/s, want more than 120", seed, perS)
		}
	}
}

type simEvent struct {
	at time.Time // by the timeline's clock
	fn func(now time.Time)
}

type simEvents []simEvent

func (h simEvents) Len() int           { return len(h) }
func (h simEvents) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h simEvents) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *simEvents) Push(x any)        { *h = append(*h, x.(simEvent)) }
func (h *simEvents) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

type simRunner struct {
	offset  time.Duration // its clock minus the timeline's
	q       slotQueue
	leasing bool
	waiting []func(now time.Time) // workers waiting for the lease in flight
	dying   bool                  // dies when its next lease is granted, holding it
	dead    bool
}

// simulateRunners runs runners of four workers at rate for d, each request taking about work
// before its worker takes the next slot, and returns the times the requests started (by the
// timeline's clock), sorted.
func simulateRunners(t *testing.T, runners int, seed uint64, rate float64, d, work time.Duration, oneDies bool) []time.Time {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 14))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock time.Time
	tl := NewTimeline(func() time.Time { return clock })
	interval := Interval(rate)
	full := int(blockTime / interval)
	var starts []time.Time
	var events simEvents
	at := func(t time.Time, fn func(time.Time)) { heap.Push(&events, simEvent{t, fn}) }

	lease := func(r *simRunner, now time.Time) {
		r.leasing = true
		rtt := time.Duration(200+rng.IntN(7800)) * time.Microsecond
		lead, n := r.q.lead(), r.q.size(full)
		at(now.Add(time.Duration(rng.Float64()*float64(rtt))), func(grant time.Time) {
			clock = grant
			l, err := tl.Lease(context.Background(), n, interval, lead)
			if err != nil {
				t.Fatal(err)
			}
			at(now.Add(rtt), func(got time.Time) {
				r.q.granted(l, n, interval, now.Add(r.offset), got.Add(r.offset))
				r.leasing = false
				if r.dying {
					r.dead = true
				}
				waiting := r.waiting
				r.waiting = nil
				for _, w := range waiting {
					w(got)
				}
			})
		})
	}
	worker := func(r *simRunner) func(now time.Time) {
		var next func(now time.Time)
		next = func(now time.Time) {
			if r.dead {
				return
			}
			local := now.Add(r.offset)
			s, ok := r.q.take(local)
			if !ok {
				r.waiting = append(r.waiting, next)
				if !r.leasing {
					lease(r, now)
				}
				return
			}
			if !r.leasing && r.q.ahead(local) < blockTime/2 {
				lease(r, now)
			}
			wake := max(s.at.Sub(local), 0)
			if wake > 0 { // a timer
				wake += time.Duration(rng.IntN(int(3 * time.Millisecond)))
			}
			if rng.IntN(50) == 0 {
				wake += time.Duration(rng.IntN(int(40 * time.Millisecond)))
			}
			at(now.Add(wake), func(now time.Time) {
				if now.Add(r.offset).Sub(s.at) > LateLimit {
					next(now) // woke too late: the slot is given up
					return
				}
				starts = append(starts, now)
				at(now.Add(work/2+time.Duration(rng.Int64N(int64(work)))), next) // the request's own work
			})
		}
		return next
	}
	var rs []*simRunner
	for range runners {
		r := &simRunner{offset: time.Duration(rng.Int64N(int64(2*time.Minute))) - time.Minute}
		rs = append(rs, r)
		for range 4 {
			at(t0.Add(time.Duration(rng.IntN(int(50*time.Millisecond)))), worker(r))
		}
	}
	if oneDies {
		at(t0.Add(2*time.Second), func(time.Time) { rs[len(rs)-1].dying = true })
	}
	for events.Len() > 0 {
		e := heap.Pop(&events).(simEvent)
		if e.at.After(t0.Add(d)) {
			break
		}
		e.fn(e.at)
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	return starts
}

// BenchmarkSlotTake is what a request costs the runner on the timeline between leases: the next
// leased slot, read on the runner's clock.
func BenchmarkSlotTake(b *testing.B) {
	now := time.Now()
	var q slotQueue
	interval := Interval(MaxRequestsPerSecond)
	lease := Lease{First: now, Now: now}
	for b.Loop() {
		if _, ok := q.take(now); !ok {
			q.granted(lease, MaxLeaseSlots, interval, now, now)
		}
	}
}
