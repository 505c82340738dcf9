package runner

import (
	"context"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// How the delivery log is written: rows wait for a group of deliveryLogEvery, or for
// deliveryLogInterval, and each group is one COPY. A run sends one request per batch (more with
// bisection), so at batch_size 1000 a million records make a thousand rows.
const (
	deliveryLogEvery    = 128
	deliveryLogInterval = time.Second
)

// deliveryLog writes a run's requests to the control plane's delivery log (see
// controlplane.WriteDeliveries), in groups, on a goroutine of its own: the senders only hand rows
// over. The log is not part of the ledger's guarantees, so it is written outside the fenced
// commits; but a run that lost its lease writes no more of it, since another runner may be
// running the sync by then. Rows still waiting when a runner is killed are lost with it.
type deliveryLog struct {
	p    *pipeline
	in   chan controlplane.Delivery
	done chan struct{}
}

// newDeliveryLog starts the run's writer; nil when the engine keeps no log (whose add and close
// do nothing).
func newDeliveryLog(p *pipeline) *deliveryLog {
	if p.e.NoDeliveryLog {
		return nil
	}
	l := &deliveryLog{p: p, in: make(chan controlplane.Delivery, deliveryLogEvery/2), done: make(chan struct{})}
	go l.run()
	return l
}

// add hands over the requests of operation op that Deliver reported in res for records of batch
// b: the batch's own (idx nil), or those of b's records idx (res's indexes are into idx).
func (l *deliveryLog) add(b *batch, op string, res *webhook.Result, idx []int) {
	if l == nil {
		return
	}
	for i := range res.Requests {
		r := &res.Requests[i]
		// One buffer per row waits for the writer, not a string per key: the batch's packed keys
		// (its intent's), or for a part that bisection split off, its keys packed here.
		packed, first, last := b.packed, b.first, b.last
		var keys []string // the request's keys, when they are needed
		switch {
		case idx != nil:
			keys = make([]string, r.Count)
			for j := range keys {
				keys[j] = b.keys[idx[r.First+j]]
			}
			packed, first, last = controlplane.PackKeys(nil, keys)
		case r.First != 0 || r.Count != b.len():
			keys = b.keys[r.First : r.First+r.Count]
			packed, first, last = controlplane.PackKeys(nil, keys)
		}
		body, errText := r.Body, r.Err
		if l.p.keyWithheld && (body != "" || errText != "") {
			// An answer, or why there was none, may quote the keys of the request's records.
			if keys == nil {
				keys = b.keys[r.First : r.First+r.Count]
			}
			body, errText = withholdKeys(body, keys), withholdKeys(errText, keys)
		}
		l.in <- controlplane.Delivery{
			SyncID: l.p.sync.ID, RunID: l.p.run.ID, WebhookID: r.WebhookID, Operation: op, Records: r.Count,
			SentAt: r.SentAt, Attempts: r.Attempts, Status: r.Status, Latency: r.Latency, Body: body, Error: errText,
			Packed: packed, FirstKey: first, LastKey: last,
		}
	}
}

// close writes what is left and waits for it.
func (l *deliveryLog) close() {
	if l == nil {
		return
	}
	close(l.in)
	<-l.done
}

func (l *deliveryLog) run() {
	defer close(l.done)
	var pending []controlplane.Delivery
	tick := time.NewTicker(deliveryLogInterval)
	defer tick.Stop()
	lost := false
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if !lost {
			select {
			case <-l.p.lease.Lost():
				lost = true
				l.p.log.Warn("the rest of this run's delivery log is not written: the sync's lock was lost")
			default:
			}
		}
		if !lost {
			// Written even when the run is stopping: what it sent is worth knowing then most.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := l.p.e.Store.WriteDeliveries(ctx, pending); err != nil {
				l.p.log.Warn("could not write the delivery log; the run goes on", "requests", len(pending), "err", err)
			}
			cancel()
		}
		clear(pending)
		pending = pending[:0]
	}
	for {
		select {
		case d, ok := <-l.in:
			if !ok {
				flush()
				return
			}
			pending = append(pending, d)
			if len(pending) >= deliveryLogEvery {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}
