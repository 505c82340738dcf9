package runner

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"
	"sync"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// answers says how a sync's `request` block reads the refusals that say the endpoint already is,
// or is not, as the run believes (docs/destinations.md, "Answers that mean done"): a 409 Conflict
// to a record's `new` request (it already holds the record), a 404 Not Found to a record's
// `changed` request (it no longer holds it) and a 404 to its `deleted` request (it does not
// hold it). The envelope (no `request` block) has none: its 409s and 404s stay rejections.
type answers struct {
	// swap: a record whose `new` request is answered 409 is sent at once with the `changed`
	// request, and one whose `changed` request on a path naming it is answered 404 is sent at
	// once with the `new` request; that second answer decides, and is never read again
	// (update_or_create and mirror, when `new` and `changed` are given and are not the same
	// request).
	swap bool
	// present: a 409 to the `new` request of a record that may have been delivered already (the
	// ledger holds it as unconfirmed, or a request of this run carrying it went unanswered)
	// delivers it (append, which only creates).
	present bool
	// batch: the request block is in batch mode, where a 404 to a `deleted` request delivers
	// its record only on a route the run proved exists (provenRoute).
	batch bool

	mu     sync.Mutex
	proven map[route]bool // the routes a request of the run got a 2xx on
}

// route is a request's method and rendered path (webhook.Request.Method and Path).
type route struct{ method, path string }

// prove records the routes of res's requests that got a 2xx.
func (a *answers) prove(res *webhook.Result) {
	if a == nil || !a.batch {
		return
	}
	for i := range res.Requests {
		if rq := &res.Requests[i]; rq.OK() {
			a.mu.Lock()
			if a.proven == nil {
				a.proven = map[route]bool{}
			}
			a.proven[route{rq.Method, rq.Path}] = true
			a.mu.Unlock()
		}
	}
}

// provenRoute reports whether record i of res was refused by a one-record request on a route a
// request of the run got a 2xx on: with the same method and the same rendered path, earlier in
// the run or within the same delivery (a part of its batch that bisection split off). A 404 to
// that request says the endpoint lacks the record, not the route.
func (a *answers) provenRoute(res *webhook.Result, i int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, rq := range res.Requests {
		if rq.First == i && rq.Count == 1 && rq.Status == http.StatusNotFound && a.proven[route{rq.Method, rq.Path}] {
			return true
		}
	}
	return false
}

// answersFor is how sync y's answers are read; nil without a `request` block.
func answersFor(y *controlplane.Sync) *answers {
	spec := y.Request
	if spec == nil {
		return nil
	}
	a := &answers{batch: spec.Mode == controlplane.RequestModeBatch}
	switch y.Behavior {
	case controlplane.BehaviorAppend:
		a.present = true
	case controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorMirror:
		a.swap = spec.New != nil && spec.Changed != nil && !reflect.DeepEqual(*spec.New, *spec.Changed)
	}
	return a
}

// resent is the records of a batch that were sent again with the other request of answers.swap
// (op: `changed` after a 409 to `new`, `new` after a 404 to `changed`): idx are their indexes in
// the batch, and res is what Deliver reported of them (its indexes are into idx).
type resent struct {
	op  string
	idx []int
	res webhook.Result
}

// mayHaveDelivered reports whether a request of the second sending went unanswered.
func (r *resent) mayHaveDelivered() bool { return r != nil && r.res.MayHaveDelivered() }

// reread reads o's refusals by the sync's answers (p.answers): a 404 to a `deleted` request
// whose path names the record delivers it (the endpoint does not hold it: what the delete
// wanted); a 409 to a `new` request sends the record again with `changed` (answers.swap) or,
// for a record that may have been delivered already, delivers it (answers.present); a 404 to a
// `changed` request whose path names the record sends it again with `new` (answers.swap).
// The second request's answer is final: a record sent again is never sent a third time in the
// run; a 409 to a retry of a second `new` request after an attempt of it went unanswered
// delivers the record (that attempt created it, its answer lost). Records that cannot be sent
// again because the run is ending are neither delivered nor rejected: they stay pending. ctx is
// the run's.
func (p *pipeline) reread(ctx context.Context, o *outcome) {
	a, b, res := p.answers, o.b, &o.res
	if a == nil || o.marked {
		return
	}
	a.prove(res)
	if len(res.Rejected) == 0 {
		return
	}
	keep := res.Rejected[:0]
	var swapped []int
	for _, r := range res.Rejected {
		switch {
		case b.op == controlplane.OpDeleted && r.Status == http.StatusNotFound &&
			(namesRecord(res, r.Index) || a.batch && a.provenRoute(res, r.Index)):
			res.Delivered = append(res.Delivered, r.Index)
			o.absent++
		case b.op == controlplane.OpDeleted && r.Status == http.StatusNotFound && a.batch:
			// No request of the run got a 2xx on its route yet: one may later in the run
			// (recheck).
			o.unproven = true
			keep = append(keep, r)
		case b.op == controlplane.OpNew && r.Status == http.StatusConflict && a.present && mayHaveBeenDelivered(b, res, r.Index):
			res.Delivered = append(res.Delivered, r.Index)
			o.present++
			o.presentAt = append(o.presentAt, r.Index)
		case b.op == controlplane.OpNew && r.Status == http.StatusConflict && a.swap,
			b.op == controlplane.OpChanged && r.Status == http.StatusNotFound && a.swap && namesRecord(res, r.Index):
			swapped = append(swapped, r.Index)
		default:
			keep = append(keep, r)
		}
	}
	res.Rejected = keep
	if len(swapped) == 0 || o.err != nil || ctx.Err() != nil {
		return // the run is ending: the records are sent again by the next run
	}
	// The second request is not a batch's first attempt: like a retry, it is sent only while the
	// run still holds the sync (webhook.Deliverer.Fence). Else the records stay pending.
	if p.dl.Fence != nil {
		if o.err = p.dl.Fence(ctx); o.err != nil {
			return
		}
	}
	recs := b.records()
	sub := make([][]byte, len(swapped))
	for j, i := range swapped {
		sub[j] = recs[i]
	}
	again := &resent{op: controlplane.OpChanged, idx: swapped}
	if b.op == controlplane.OpChanged {
		again.op = controlplane.OpNew
	}
	again.res, o.err = p.dl.Deliver(ctx, p.meta, again.op, sub)
	a.prove(&again.res)
	for _, j := range again.res.Delivered {
		res.Delivered = append(res.Delivered, swapped[j])
	}
	if again.op == controlplane.OpChanged {
		o.updated += len(again.res.Delivered)
	} else {
		o.created += len(again.res.Delivered)
	}
	for _, r := range again.res.Rejected {
		if again.op == controlplane.OpNew && r.Status == http.StatusConflict && carriedUnanswered(&again.res, r.Index) {
			// The create's own first attempt was applied, its answer lost: the retry finds the
			// record it created.
			res.Delivered = append(res.Delivered, swapped[r.Index])
			o.created++
			continue
		}
		r.Index = swapped[r.Index]
		res.Rejected = append(res.Rejected, r)
	}
	o.again = again
}

// recheck delivers the records of `deleted` batch o that reread left rejected with a 404 on a
// route no request of the run had got a 2xx on (o.unproven), if one has since: the deliverer
// holds such a batch's outcome back until the run's last batch is sent (or until it holds
// too many), so that the order the batches were sent in does not decide.
func (a *answers) recheck(o *outcome) {
	if !o.unproven {
		return
	}
	res := &o.res
	keep := res.Rejected[:0]
	for _, r := range res.Rejected {
		if r.Status == http.StatusNotFound && a.provenRoute(res, r.Index) {
			res.Delivered = append(res.Delivered, r.Index)
			o.absent++
			continue
		}
		keep = append(keep, r)
	}
	res.Rejected = keep
}

// namesRecord reports whether record i was refused by a request of its own whose path names it by
// its key (Built.KeyPath): a request for that record's resource, not for a collection or for a
// resource another of its fields picks.
func namesRecord(res *webhook.Result, i int) bool {
	for _, rq := range res.Requests {
		if rq.First == i && rq.Count == 1 && rq.KeyPath {
			return true
		}
	}
	return false
}

// carriedUnanswered reports whether a request of a delivery carrying record i went unanswered.
func carriedUnanswered(res *webhook.Result, i int) bool {
	for _, rq := range res.Requests {
		if rq.Unanswered > 0 && rq.First <= i && i < rq.First+rq.Count {
			return true
		}
	}
	return false
}

// mayHaveBeenDelivered reports whether record i of a `new` batch b may have been delivered before
// its create was answered: the ledger holds its key, unconfirmed (a new record is sent with a
// key the ledger holds only when its delivery was never confirmed), or a request of this
// delivery carrying it went unanswered.
func mayHaveBeenDelivered(b *batch, res *webhook.Result, i int) bool {
	return !b.isNew[i] || carriedUnanswered(res, i)
}

// logAnswers says, at a run's end, how many of its records a `request` block's answers
// delivered (answers.go): they are counted delivered like the others, and a run record has no
// counter of its own for them.
func logAnswers(log *slog.Logger, c *Counters) {
	if n := c.Updated.Load(); n > 0 {
		log.Info("creates answered 409 Conflict were sent again with the changed request and delivered",
			"records", n)
	}
	if n := c.Created.Load(); n > 0 {
		log.Info("updates answered 404 Not Found were sent again with the new request and delivered",
			"records", n)
	}
	if n := c.Present.Load(); n > 0 {
		log.Info("creates answered 409 Conflict after an attempt that may have delivered them count as delivered",
			"records", n)
	}
	if n := c.Absent.Load(); n > 0 {
		log.Warn("deletes found the record already absent (404 Not Found) and count as delivered; "+
			"if every delete of the sync gets 404, check its deleted request's path",
			"records", n)
	}
}
