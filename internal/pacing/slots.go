package pacing

import (
	"time"
)

// slotQueue is the slots one runner leased and not yet used, and its reading of the timeline's
// clock. Pure logic on times the caller passes; Pacer guards it.
type slotQueue struct {
	blocks []block // leased, in the timeline's order and by its clock
	anchor anchor  // how the timeline's clock reads on this runner's
	rtt    time.Duration
	// leasing is not nil while a lease is in flight, and closed when it ends.
	leasing chan struct{}
}

type block struct {
	next     time.Time // by the timeline's clock
	left     int
	interval time.Duration
}

// anchor pairs a reading of the timeline's clock with this runner's clock at the middle of the
// lease's round trip. The timeline read its clock somewhere within that round trip, so the pair
// is off by at most half of it: the queue keeps the pair of the fastest recent lease (as NTP's
// clock filter does), and reads every slot through it.
type anchor struct {
	local, remote time.Time
	rtt           time.Duration
}

// anchorLife is how long the fastest lease's reading is kept when later leases are slower: the
// two clocks drift apart by microseconds over it.
const anchorLife = 10 * time.Second

// local is timeline time t on this runner's clock.
func (q *slotQueue) local(t time.Time) time.Time { return q.anchor.local.Add(t.Sub(q.anchor.remote)) }

// take returns the next leased slot, on this runner's clock, that is at most LateLimit behind
// now, giving up the ones that are further behind; false when none is left.
func (q *slotQueue) take(now time.Time) (time.Time, bool) {
	for len(q.blocks) > 0 {
		b := &q.blocks[0]
		at := q.local(b.next)
		if late := now.Sub(at) - LateLimit; late > 0 {
			skip := min(int((late+b.interval-1)/b.interval), b.left)
			b.next = b.next.Add(time.Duration(skip) * b.interval)
			b.left -= skip
			if b.left == 0 {
				q.blocks = q.blocks[1:]
			}
			continue
		}
		b.next = b.next.Add(b.interval)
		if b.left--; b.left == 0 {
			q.blocks = q.blocks[1:]
		}
		return at, true
	}
	return time.Time{}, false
}

// ahead is how far past now the leased slots reach.
func (q *slotQueue) ahead(now time.Time) time.Duration {
	if len(q.blocks) == 0 {
		return 0
	}
	b := q.blocks[len(q.blocks)-1]
	return q.local(b.next.Add(time.Duration(b.left) * b.interval)).Sub(now)
}

// lead is how far ahead of the timeline's now a lease should start, so that its first slots
// are not behind this runner by the time the answer arrives: twice the usual round trip.
func (q *slotQueue) lead() time.Duration { return min(2*q.rtt, blockTime/2) }

// granted adds lease l of n slots interval apart, asked at sent and answered at got (this
// runner's clock).
func (q *slotQueue) granted(l Lease, n int, interval time.Duration, sent, got time.Time) {
	rtt := got.Sub(sent)
	if q.rtt == 0 {
		q.rtt = rtt
	} else {
		q.rtt += (rtt - q.rtt) / 4
	}
	if a := q.anchor; a.local.IsZero() || rtt <= a.rtt || got.Sub(a.local) > anchorLife {
		q.anchor = anchor{local: sent.Add(rtt / 2), remote: l.Now, rtt: rtt}
	}
	q.blocks = append(q.blocks, block{next: l.First, left: n, interval: interval})
}
