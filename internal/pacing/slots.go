package pacing

import (
	"slices"
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
	// lastSize and lastUsed are how many slots the last finished block had, and how many of them
	// were used, not given up; lastSize 0: no block finished yet.
	lastSize, lastUsed int
	// floor is the closest slots may be: the interval of the pacer's max_requests_per_second (0:
	// none). Slots of a block leased closer (before the limit was lowered) are given up.
	floor time.Duration
}

type block struct {
	next     time.Time // by the timeline's clock
	size     int
	left     int
	used     int
	interval time.Duration
	// givenBack: a slot a request took and gave back (giveBack), not a lease.
	givenBack bool
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

// leasedSlot is a slot a request took: when, on this runner's clock and by the timeline's, and
// the interval of its block.
type leasedSlot struct {
	at, remote time.Time
	interval   time.Duration
}

// take returns the next leased slot that is at most LateLimit behind now, giving up the ones that
// are further behind and those of blocks closer than the floor; false when none is left.
func (q *slotQueue) take(now time.Time) (leasedSlot, bool) {
	for len(q.blocks) > 0 {
		b := &q.blocks[0]
		if b.interval < q.floor {
			q.blocks = q.blocks[1:]
			continue
		}
		at := q.local(b.next)
		if late := now.Sub(at) - LateLimit; late > 0 {
			skip := min(int((late+b.interval-1)/b.interval), b.left)
			b.next = b.next.Add(time.Duration(skip) * b.interval)
			b.left -= skip
			if b.left == 0 {
				q.finish()
			}
			continue
		}
		s := leasedSlot{at: at, remote: b.next, interval: b.interval}
		b.next = b.next.Add(b.interval)
		b.used++
		if b.left--; b.left == 0 {
			q.finish()
		}
		return s, true
	}
	return leasedSlot{}, false
}

// giveBack returns slot s, taken and not used (its request was stopped before it), for the next
// request to take: a block of its own, in the timeline's order. It was granted to this runner,
// so the spacing of the timeline holds whoever takes it.
func (q *slotQueue) giveBack(s leasedSlot) {
	i := 0
	for i < len(q.blocks) && !q.blocks[i].next.After(s.remote) {
		i++
	}
	q.blocks = slices.Insert(q.blocks, i, block{next: s.remote, size: 1, left: 1, interval: s.interval, givenBack: true})
}

// finish drops the first block, used up or given up.
func (q *slotQueue) finish() {
	if b := q.blocks[0]; !b.givenBack {
		q.lastSize, q.lastUsed = b.size, b.used
	}
	q.blocks = q.blocks[1:]
}

// size is how many slots to lease, full being 100 ms of the rate. A block is as big as what the
// runner used of its last one, and twice that when it used it all: a runner whose requests go
// at the rate leases whole blocks, and one that cannot use its slots (its requests held back by
// their concurrency or its pipeline, or the runner stalled) leases no more than it uses, so
// that it does not hold the timeline the others share while its slots go by unused.
func (q *slotQueue) size(full int) int {
	switch {
	case q.lastSize == 0:
		return full
	case q.lastUsed == q.lastSize:
		return min(2*q.lastSize, full)
	}
	return min(max(q.lastUsed, 1), full)
}

// ahead is how far past now the leased slots reach.
func (q *slotQueue) ahead(now time.Time) time.Duration {
	if len(q.blocks) == 0 {
		return 0
	}
	b := q.blocks[len(q.blocks)-1]
	return q.local(b.next.Add(time.Duration(b.left) * b.interval)).Sub(now)
}

// block is how much of the timeline to lease at once: blockTime, or six round trips when the
// control plane is far. The next block is leased while half of one is left, and is granted from
// the end of this one unless that is less than the lead from the timeline's now: half a block
// must outlast the lease's round trip and its lead, or every block would start after a gap.
func (q *slotQueue) block() time.Duration { return min(max(blockTime, 6*q.rtt), MaxLeaseSpan) }

// lead is how far ahead of the timeline's now a lease should start, so that its first slots
// are not behind this runner by the time the answer arrives: twice the usual round trip (the
// answer arrives about half of one after the timeline read its clock). Not capped below that:
// a runner whose every lease came back behind it would give every slot up and send nothing.
// On an idle timeline the lead is a gap no runner gets slots in, up to twice the round trip
// once per idle spell: a far control plane costs throughput, never the limit.
func (q *slotQueue) lead() time.Duration { return min(2*q.rtt, MaxLeaseLead) }

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
	q.blocks = append(q.blocks, block{next: l.First, size: n, left: n, interval: interval})
}
