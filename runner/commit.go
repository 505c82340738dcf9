package runner

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

type outcome struct {
	b      *batch
	res    webhook.Result
	err    error
	marked bool // recorded as delivered without being sent (RunOptions.MarkDelivered)
	unsent bool // not sent at all: the run was ending when its turn came
	// What reread made of the request block's answers (answers.go): the records sent again with
	// the other request (`changed` after a 409 to `new`, `new` after a 404 to `changed`), and how
	// many of res.Delivered are creates that became updates (updated), updates that became
	// creates (created), creates answered 409 (present) and deletes answered 404 (absent).
	again                             *resent
	updated, created, present, absent int
	// presentAt are the indexes of the present records: the endpoint holds some version of
	// each, maybe not this one, so the ledger records them with presentHash.
	presentAt []int
	// unproven: a record of this `deleted` batch (batch mode) was refused 404 on a route no
	// request of the run had got a 2xx on when reread read it (answers.recheck).
	unproven bool
	// stopped: the run was stopped (or lost its sync's lock) while the batch was out, so what
	// was neither delivered nor rejected was cut short, not refused: the next run sends it.
	stopped bool
}

// group is delivered work waiting for one ledger transaction, with the run's counters as they
// stood when it was complete.
type group struct {
	d      controlplane.Delivered
	hashes []byte // backing store of d.Hashes
	order  []int  // scratch: a batch's delivered indexes, sorted
	counts controlplane.RunCounts
	// records is what the group's outcomes add to backflow_records_total, counted once its
	// commit says whether the ledger recorded them (recordTally.count).
	records recordTally
	// prev is closed once the group before this one is committed (or failed); done, once this
	// one is. Groups are written concurrently but committed in order, so the run's counters and
	// the ledger move together, as if one transaction followed the other.
	prev, done chan struct{}
}

func (g *group) reset() {
	g.d.Reset()
	g.hashes = g.hashes[:0]
	g.records = recordTally{}
}

// recordTally is records of delivered batches by operation (changed, deleted) and outcome
// (delivered, rejected, failed), for backflow_records_total.
type recordTally [2][3]int

const (
	tallyDelivered = iota
	tallyRejected
	tallyFailed
)

// add counts o's records: what the endpoint took, refused, and did not take (unless the run
// was stopped while o was out: those are not failed, the next run sends them).
func (t *recordTally) add(o outcome) {
	if o.marked || o.unsent {
		return
	}
	op := 0
	if o.b.op == webhook.OpDeleted {
		op = 1
	}
	t[op][tallyDelivered] += len(o.res.Delivered)
	t[op][tallyRejected] += len(o.res.Rejected)
	if failed := o.b.len() - len(o.res.Delivered) - len(o.res.Rejected); failed > 0 && !o.stopped {
		t[op][tallyFailed] += failed
	}
}

// count adds t to m, and its failed records to c (Counters.failed). recorded says whether the
// ledger recorded t's records; when it did not, what the endpoint took or refused is resent by
// the next run, and the run record counts it failed (Run: "Delivered and rejected are what the
// ledger recorded"): so does the metric, but for a run that lost its sync's lock, whose answered
// records are cut short as a stop's are.
func (t *recordTally) count(m *Metrics, c *Counters, recorded, lockLost bool) {
	for op, name := range []string{webhook.OpChanged, webhook.OpDeleted} {
		n := t[op]
		switch {
		case recorded:
		case lockLost:
			n = [3]int{tallyFailed: n[tallyFailed]}
		default:
			n = [3]int{tallyFailed: n[tallyDelivered] + n[tallyRejected] + n[tallyFailed]}
		}
		c.failed.Add(int64(n[tallyFailed]))
		m.records(name, "delivered", n[tallyDelivered])
		m.records(name, "rejected", n[tallyRejected])
		m.records(name, "failed", n[tallyFailed])
	}
}

func (g *group) size() int {
	return len(g.d.NewKeys) + len(g.d.Keys) + len(g.d.Deleted) + len(g.d.Rejected) + len(g.d.Intents) + len(g.d.Narrowed)
}

// committers is how many groups are written to the control plane at once. Writing a group is
// mostly the server inserting index entries; two connections keep delivery from waiting on it.
const committers = 2

// errEarlierCommit stops a group whose predecessor failed to commit.
var errEarlierCommit = errors.New("an earlier group of delivered records could not be recorded")

// commit moves the ledger and the run's counters for delivered batches, grouping many
// batches per transaction. Groups are committed by several committers at once (in order), so
// delivery goes on while earlier groups are written. It commits what was delivered even when
// ctx is canceled (a graceful stop), and drains outcomes before returning; when a commit fails
// it calls onFail (to stop the run) and commits nothing more. Once the lease is lost it commits
// nothing more either: another runner may hold the sync by then, and what this one delivered
// stays pending (its intent stays too: a later run resends it). It returns the run's counters as the last
// successful commit wrote them: those are the ones the ledger agrees with. mode's ClearRejected,
// Pages and Tombstones are set on every group.
func (p *pipeline) commit(ctx context.Context, mode controlplane.Delivered, outcomes <-chan outcome, onFail func(error)) (controlplane.RunCounts, error) {
	e, run, counters, lockLost := p.e, p.run, p.counters, p.lease.Lost()
	every := e.CommitEvery
	if every <= 0 {
		every = DefaultCommitEvery
	}
	interval := e.CommitInterval
	if interval <= 0 {
		interval = DefaultCommitInterval
	}
	cctx := context.WithoutCancel(ctx)

	var (
		errMu     sync.Mutex
		commitErr error
		committed controlplane.RunCounts
	)
	loadErr := func() error {
		errMu.Lock()
		defer errMu.Unlock()
		return commitErr
	}
	setErr := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if commitErr == nil {
			commitErr = err
		}
	}
	isLost := func() bool {
		select {
		case <-lockLost:
			return true
		default:
			return false
		}
	}
	// A later group holds its connection while it waits for the earlier one's commit: with a
	// pool too small for the ledger read and two committers, the earlier one might never get one.
	n := committers
	if e.Store.MaxConns() < 4 {
		n = 1
	}
	free := make(chan *group, n+1)
	for range n + 1 {
		free <- &group{d: controlplane.Delivered{ClearRejected: mode.ClearRejected, Pages: mode.Pages, Tombstones: mode.Tombstones,
			PageEntries: mode.PageEntries}}
	}
	toCommit := make(chan *group, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range toCommit {
				if e.beforeCommit != nil {
					e.beforeCommit(ctx)
				}
				if loadErr() == nil && isLost() {
					setErr(p.lease.Err())
				}
				if loadErr() == nil {
					r := *run
					r.Counts = g.counts
					g.d.BeforeCommit = func(ctx context.Context) error {
						select {
						case <-g.prev:
						case <-ctx.Done():
							return ctx.Err()
						}
						if loadErr() != nil {
							return errEarlierCommit
						}
						// Checked again last: the lock may have been lost while this group
						// was written or waited for the one before it.
						if isLost() {
							return p.lease.Err()
						}
						return nil
					}
					tctx, cancel := context.WithTimeout(cctx, time.Minute)
					if err := p.lease.Commit(tctx, &r, &g.d); err != nil {
						setErr(err)
					} else {
						// Groups commit in order: this one is the latest committed so far.
						errMu.Lock()
						committed = g.counts
						errMu.Unlock()
						g.records.count(e.Metrics, counters, true, false)
						g.records = recordTally{}
					}
					cancel()
				}
				if err := loadErr(); err != nil {
					g.records.count(e.Metrics, counters, false, errors.Is(err, controlplane.ErrLockLost))
				}
				close(g.done)
				g.reset()
				free <- g
			}
		}()
	}

	cur := <-free
	last := make(chan struct{})
	close(last)
	handoff := func() {
		if cur.size() == 0 {
			// Nothing for the ledger: no record of it was delivered or refused.
			cur.records.count(e.Metrics, counters, true, false)
			cur.records = recordTally{}
			return
		}
		cur.counts = counters.snapshot()
		// The records that failed so far: what the record keeps if the run never ends it (its
		// runner killed, or the sync taken over), as a canceled run counts them (cutShortFailed).
		cur.counts.Failed = cutShortFailed(counters)
		cur.prev, cur.done = last, make(chan struct{})
		last = cur.done
		toCommit <- cur
		cur = <-free
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	failed := false
loop:
	for {
		select {
		case o, ok := <-outcomes:
			if !ok {
				break loop
			}
			if failed {
				// A commit failed: what is delivered now is resent by the next run.
				var t recordTally
				t.add(o)
				t.count(e.Metrics, counters, false, errors.Is(loadErr(), controlplane.ErrLockLost))
				p.putBack(o.b)
				continue
			}
			e.apply(cur, counters, o)
			p.pinRejected(cctx, o)
			p.putBack(o.b)
			if cur.size() >= every {
				handoff()
			}
		case <-tick.C:
			handoff()
		}
		if !failed && loadErr() == nil && isLost() {
			setErr(p.lease.Err())
		}
		if err := loadErr(); err != nil && !failed {
			failed = true
			onFail(err)
		}
	}
	if !failed {
		handoff()
	} else {
		// Applied, never handed off: not recorded.
		cur.records.count(e.Metrics, counters, false, errors.Is(loadErr(), controlplane.ErrLockLost))
	}
	close(toCommit)
	wg.Wait()
	errMu.Lock()
	defer errMu.Unlock()
	return committed, commitErr
}

// settleIntent decides what becomes of batch o.b's intent at g's commit: deleted, kept, or
// narrowed to the keys that may have been delivered without the ledger recording it. A record
// refused (a 4xx) after an attempt carrying it went unanswered is one of those: the unanswered
// attempt may have been applied (a retry answered 409 for a webhook-id the endpoint already
// processed, a DELETE retried and answered 404 because the first attempt deleted the record),
// so the refusal says nothing of what the endpoint holds, while the ledger keeps the version
// delivered before; the next run adopts the key as unconfirmed.
func (e *Engine) settleIntent(g *group, o outcome) {
	n := o.b.len()
	if len(o.res.Delivered) == n || !o.res.MayHaveDelivered() && !o.again.mayHaveDelivered() {
		g.d.Intents = append(g.d.Intents, o.b.seq)
		return
	}
	delivered := make([]bool, n)
	for _, i := range o.res.Delivered {
		delivered[i] = true
	}
	maybe := make([]bool, n)
	for _, rq := range o.res.Requests {
		if rq.Unanswered > 0 {
			for i := rq.First; i < rq.First+rq.Count && i < n; i++ {
				maybe[i] = true
			}
		}
	}
	if o.again != nil {
		for _, rq := range o.again.res.Requests {
			if rq.Unanswered > 0 {
				for _, i := range o.again.idx[rq.First : rq.First+rq.Count] {
					maybe[i] = true
				}
			}
		}
	}
	var keys []string
	for i := range n {
		if maybe[i] && !delivered[i] {
			keys = append(keys, o.b.keys[i])
		}
	}
	switch {
	case len(keys) == 0:
		g.d.Intents = append(g.d.Intents, o.b.seq)
	case len(keys) < n:
		packed, _, _ := controlplane.PackKeys(nil, keys)
		g.d.Narrowed = append(g.d.Narrowed, controlplane.Intent{Batch: o.b.seq, Packed: packed})
	}
	// else: every key may have been delivered; the intent stays as it is.
}

// pinRejected keeps in p.pin the lowest cursor value of the records (not deletes) the endpoint
// rejected in outcome o and before: the run's next mark goes no higher (nextCursor), so the next
// run, incremental or not, reads them again and retries them, as it does without a cursor,
// wherever their values are (above the mark the run started from, at it, in the lookback below
// it, or below that, a row a full read found changed). A value that cannot be a mark (validMark)
// pins nothing: no incremental read could read it. Nor does a record refused again by its retry:
// its key was rejected by an earlier run (p.hadRejected, and the control plane still holds that
// rejection) and its value is at or below the mark the run started from (p.pinAbove), so that
// row was there for the earlier run, which read it and pinned it once (or it is an old row a
// full read found refused again). Pinning it again would hold every later incremental read at
// it for as long as the endpoint refuses it; the next full read, or a change of its row, retries
// it. ctx is the commit's (it outlives a stop).
func (p *pipeline) pinRejected(ctx context.Context, o outcome) {
	if p.cursorKind == warehouse.CursorNone || o.b.op == webhook.OpDeleted {
		return
	}
	var retried []int // indexes of o.res.Rejected that may be retries refused again
	for i, r := range o.res.Rejected {
		v, ok := o.b.cursor(r.Index)
		if !ok || !validMark(p.cursorKind, v) || p.pin != nil && !cursorLess(p.cursorKind, v, p.pin) {
			continue
		}
		if p.hadRejected && (p.pinAbove == nil || !cursorLess(p.cursorKind, p.pinAbove, v)) {
			retried = append(retried, i)
			continue
		}
		p.pin = append(p.pin[:0:0], v...)
	}
	if len(retried) == 0 {
		return
	}
	keys := make([]string, len(retried))
	for j, i := range retried {
		keys[j] = o.b.keys[o.res.Rejected[i].Index]
	}
	// ctx outlives the run's (see commit): bounded as a commit is, so that a control plane that
	// stopped answering cannot hold the run for ever.
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	before, err := p.e.Store.RejectedBefore(rctx, p.sync.ID, p.run.ID, keys)
	if err != nil {
		// Pinned all the same: the next run reads more, never less.
		p.log.Warn("could not read which rejected records an earlier run rejected; they hold the next mark", "err", err)
	}
	for j, i := range retried {
		if before[keys[j]] {
			continue
		}
		if v, _ := o.b.cursor(o.res.Rejected[i].Index); p.pin == nil || cursorLess(p.cursorKind, v, p.pin) {
			p.pin = append(p.pin[:0:0], v...)
		}
	}
}

// presentHash is the ledger hash of a record an append sync's create found present (a 409 after
// an attempt that may have delivered it: answers.present): delivered, so append sends it no more,
// but in a version the run cannot know (the lost attempt's, perhaps an older one), so it equals
// no record's hash and the sync, made update_or_create or mirror, sends the record's current
// version as changed.
var presentHash = [controlplane.HashSize]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

func (e *Engine) apply(g *group, counters *Counters, o outcome) {
	// Its intent goes with the commit once every record of the batch is delivered, or when the
	// records not delivered cannot have reached the endpoint (every attempt carrying them
	// was refused, could not connect, or was never made): those keys stay as the ledger had them,
	// so a key never delivered is sent as new again. A batch cut short with requests the endpoint
	// did not answer keeps an intent for the keys those requests carried that were not
	// delivered since (refused ones included: see settleIntent), which the next run adopts as
	// unconfirmed. (A batch passed on without an intent,
	// as a run ends, has none to delete.)
	if o.b.intent {
		e.settleIntent(g, o)
	}
	b := o.b
	p := &g.d
	delivered := o.res.Delivered
	if p.Pages && b.op != webhook.OpDeleted {
		// A page holds its keys in order; a batch's keys are, by index, but the deliverer
		// reports indexes in no particular order.
		g.order = append(g.order[:0], delivered...)
		slices.Sort(g.order)
		delivered = g.order
	}
	newBefore := len(p.NewKeys)
	var present []bool
	if len(o.presentAt) > 0 {
		present = make([]bool, b.len())
		for _, i := range o.presentAt {
			present[i] = true
		}
	}
	for _, i := range delivered {
		if b.op == webhook.OpDeleted {
			p.Deleted = append(p.Deleted, b.keys[i])
			continue
		}
		n := len(g.hashes)
		g.hashes = append(g.hashes, b.hashes[i*controlplane.HashSize:(i+1)*controlplane.HashSize]...)
		h := g.hashes[n : n+controlplane.HashSize : n+controlplane.HashSize]
		if present != nil && present[i] {
			copy(h, presentHash[:])
		}
		if b.isNew[i] {
			p.NewKeys = append(p.NewKeys, b.keys[i])
			p.NewHashes = append(p.NewHashes, h)
		} else {
			p.Keys = append(p.Keys, b.keys[i])
			p.Hashes = append(p.Hashes, h)
		}
	}
	if p.Pages && len(p.NewKeys) > newBefore {
		for end := newBefore + p.PageEntries; p.PageEntries > 0 && end < len(p.NewKeys); end += p.PageEntries {
			p.PageEnds = append(p.PageEnds, end)
		}
		p.PageEnds = append(p.PageEnds, len(p.NewKeys))
	}
	for _, r := range o.res.Rejected {
		p.Rejected = append(p.Rejected, controlplane.Rejected{Key: b.keys[r.Index], Status: r.Status, Body: r.Body})
	}
	counters.Delivered.Add(int64(len(o.res.Delivered)))
	counters.Rejected.Add(int64(len(o.res.Rejected)))
	counters.Updated.Add(int64(o.updated))
	counters.Created.Add(int64(o.created))
	counters.Present.Add(int64(o.present))
	counters.Absent.Add(int64(o.absent))
	g.records.add(o)
	if e.Metrics != nil && !o.marked && !o.unsent {
		e.Metrics.answered(answerResentAfterConflict, o.updated)
		e.Metrics.answered(answerResentAfterNotFound, o.created)
		e.Metrics.answered(answerPresentOnConflict, o.present)
		e.Metrics.answered(answerAbsentOnDelete, o.absent)
	}
}
