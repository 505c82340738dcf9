package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// pipeline is one run's stages, connected by bounded channels so that reading, recording
// intents, sending and committing overlap:
//
//	produce (diff → batches) → recordIntents → deliver (conc workers) → commit (ledger groups)
//
// A batch is sent only once its intent is recorded; its outcome is committed with the ledger.
type pipeline struct {
	e        *Engine
	lease    *controlplane.SyncLease
	sync     *controlplane.Sync
	run      *controlplane.Run
	counters *Counters
	log      *slog.Logger
	meta     *webhook.Meta
	dl       *webhook.Deliverer
	destName string
	dest     *controlplane.Connection // as the run read it (pauseForGone)
	conc     int                      // delivery workers: the most requests the pacer may let be in flight
	size     int                      // records per batch
	mark     bool                     // record the batches as delivered without sending them (RunOptions.MarkDelivered)
	// splitNew: new and changed records go in batches of their own (the sync's request has one
	// request per operation); else both go in "changed" batches, as the envelope says.
	splitNew bool
	answers  *answers // how the request block's 409s and 404s are read; nil for the envelope
	dlog     *deliveryLog
	batches  batchPool
	inFlight byteGate // the bytes of the batches sealed and not yet back in batches
	// cursorKind is how the sync's cursor compares (CursorNone without one); pin the lowest
	// cursor value of the records rejected so far (pinRejected), nil for none; pinAbove the mark
	// the run started from (nil: none), at or below which a record an earlier run rejected pins
	// nothing; hadRejected: the sync had rejected records when the run started.
	cursorKind  warehouse.CursorKind
	pin         []byte
	pinAbove    []byte
	hadRejected bool
	// keyWithheld: the sync never sends its key as it is (KeyWithheld), so the answers of its
	// rejected records, the delivery log's answers and errors, and the error that ends the run
	// are recorded without it (withholdText, withholdKeys, withholdErr).
	keyWithheld bool
	// gone decides once whether a 410 pauses the sync; goneNotPaused says why it did not ("": it did).
	gone          sync.Once
	goneNotPaused string
}

// execute runs the stages and returns the run's counters as last committed and the error that
// ended the run. diff emits the records to send: the differ's run over the model and the ledger,
// or a guarded run's buffer of it. mode says how the ledger is written (controlplane.Delivered).
func (p *pipeline) execute(ctx context.Context, diff func(context.Context, func(*record) error) error,
	mode controlplane.Delivered) (controlplane.RunCounts, error) {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	p.dl.OnRetry = p.onRetry
	// Batches queued between stages: enough to keep the workers busy, bounded so that a
	// high max_concurrency does not hold more batches in memory than a few dozen.
	queue := min(p.conc, maxQueuedBatches)
	produced := make(chan *batch, queue)
	toSend := make(chan *batch, queue)
	outcomes := make(chan outcome, queue)
	// Enough for every batch that can be between the stages at once.
	p.batches = newBatchPool(3*queue + p.conc + maxIntentGroup)

	prodErr := make(chan error, 1)
	go func() {
		defer close(produced)
		err := p.produce(runCtx, diff, produced)
		if err != nil {
			cancel(err)
		}
		prodErr <- err
	}()
	go func() {
		defer close(toSend)
		p.recordIntents(runCtx, produced, toSend, cancel)
	}()
	p.dlog = newDeliveryLog(p)
	go func() {
		defer close(outcomes)
		p.deliver(ctx, runCtx, toSend, outcomes, cancel)
	}()
	committed, commitErr := p.commit(ctx, mode, outcomes, func(err error) { cancel(err) })
	perr := <-prodErr
	p.dlog.close() // the senders are done: outcomes is closed

	if ctx.Err() != nil {
		return committed, context.Cause(ctx)
	}
	if cause := context.Cause(runCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		return committed, cause
	}
	if commitErr != nil {
		return committed, commitErr
	}
	return committed, perr
}

// batchOps are the operations of batches by kind: the envelope's, or with splitNew the request
// spec's.
var (
	envelopeBatchOps = [...]string{kindNew: webhook.OpChanged, kindChanged: webhook.OpChanged, kindDeleted: webhook.OpDeleted}
	requestBatchOps  = [...]string{kindNew: controlplane.OpNew, kindChanged: controlplane.OpChanged, kindDeleted: controlplane.OpDeleted}
)

// produce runs the diff and groups the records to send into batches of one operation each, of
// batch_size records, or fewer when their JSON would pass controlplane.MaxBatchBytes (batch.full,
// batchRoom).
func (p *pipeline) produce(ctx context.Context, diff func(context.Context, func(*record) error) error, out chan<- *batch) error {
	var open [3]*batch // by operation's kind: new (when split), changed, deleted
	bufHint := 0       // the largest batch's records so far, and an eighth more
	ops := envelopeBatchOps
	if p.splitNew {
		ops = requestBatchOps
	}
	room := p.batchRoom()
	send := func(b *batch) error {
		b.seal()
		// A record wider than MaxBatchBytes, alone in its batch, does not make every later batch
		// start with its size.
		const most = controlplane.MaxBatchBytes + controlplane.MaxBatchBytes/8
		bufHint = min(max(bufHint, len(b.buf)+len(b.buf)/8), most)
		if err := p.inFlight.acquire(ctx, b); err != nil {
			return err
		}
		select {
		case out <- b:
			return nil
		case <-ctx.Done():
			p.inFlight.release(b)
			return context.Cause(ctx)
		}
	}
	err := diff(ctx, func(r *record) error {
		i, op := r.kind, ops[r.kind]
		if i == kindNew && !p.splitNew {
			i = kindChanged
		}
		if open[i] != nil && open[i].full(p.size, room, len(r.obj)) {
			// Sealed before r joins it: r would take it past MaxBatchBytes.
			b := open[i]
			open[i] = nil
			if err := send(b); err != nil {
				return err
			}
		}
		if open[i] == nil {
			open[i] = p.batches.get(op, p.size, bufHint)
		}
		open[i].add(r)
		if open[i].full(p.size, room, 1) {
			b := open[i]
			open[i] = nil
			return send(b)
		}
		return nil
	})
	for _, b := range open {
		if err == nil && b != nil {
			err = send(b)
		}
	}
	return err
}

// batchRoom is the bytes a batch's records' JSON may take, a comma between each two included
// (batch.full): controlplane.MaxBatchBytes, less the rest of the envelope (its operation, the
// run's metadata, the brackets around the records), so that a full batch's envelope is within
// the bound too, and an endpoint whose limit is 1 MiB (nginx's default client_max_body_size) does
// not answer 413 to it and have it split. A batch request's body is what its template makes of
// the records (format "envelope" is that envelope), and is left the same room.
func (p *pipeline) batchRoom() int {
	if p.meta == nil {
		return controlplane.MaxBatchBytes
	}
	// "changed" is as long as "deleted".
	return controlplane.MaxBatchBytes - len(p.meta.AppendEnvelope(nil, webhook.OpChanged, nil))
}

// maxQueuedBatches bounds each queue between the pipeline's stages.
const maxQueuedBatches = 16

// maxIntentGroup bounds how many batches' intents are recorded by one statement.
const maxIntentGroup = 16

// recordIntents durably records each batch's keys before passing the batch on to be sent (see
// controlplane.SyncLease.RecordIntents), grouping the batches that are ready into one statement.
// When recording fails the run is canceled, and the batches passed on are not sent.
func (p *pipeline) recordIntents(ctx context.Context, in <-chan *batch, out chan<- *batch, cancel context.CancelCauseFunc) {
	var (
		pending []*batch
		intents []controlplane.Intent
		buf     []byte
		seq     int32
	)
	for b := range in {
		pending = append(pending[:0], b)
	more:
		for len(pending) < maxIntentGroup {
			select {
			case b, ok := <-in:
				if !ok {
					break more
				}
				pending = append(pending, b)
			default:
				break more
			}
		}
		if ctx.Err() == nil && !p.mark { // marking sends nothing: nothing may have been delivered
			intents = intents[:0]
			for _, b := range pending {
				b.seq = seq
				if b.op == webhook.OpDeleted {
					b.seq = controlplane.DeletesBatch(seq) // its keys may be gone from the endpoint
				}
				seq++
				intents = append(intents, controlplane.Intent{Batch: b.seq, Packed: b.packed})
			}
			var err error
			if buf, err = p.lease.RecordIntents(ctx, p.run.ID, intents, buf); err != nil && ctx.Err() == nil {
				cancel(err)
			}
			for _, b := range pending {
				b.intent = err == nil
			}
		}
		for _, b := range pending {
			out <- b // the workers drain what a canceled run passes on
		}
	}
}

// deliver sends batches with conc workers and reports each outcome; the pacer decides how many
// of them have a request in flight. Once runCtx ends it sends
// nothing more: what is left stays pending. A 410 pauses the sync.
func (p *pipeline) deliver(ctx, runCtx context.Context, in <-chan *batch, out chan<- outcome, cancel context.CancelCauseFunc) {
	var wg sync.WaitGroup
	var heldMu sync.Mutex
	var held []outcome
	for range p.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range in {
				if runCtx.Err() != nil {
					// Drained: the run is ending; these records stay pending, and their intent
					// goes with the next commit (nothing of them was sent).
					out <- outcome{b: b, unsent: true}
					continue
				}
				o := outcome{b: b, marked: p.mark}
				if p.mark {
					o.res.Delivered = make([]int, b.len())
					for i := range o.res.Delivered {
						o.res.Delivered[i] = i
					}
				} else {
					o.res, o.err = p.dl.Deliver(runCtx, p.meta, b.op, b.records())
				}
				p.dlog.add(b, b.op, &o.res, nil) // withholds the keys itself
				p.reread(runCtx, &o)
				if p.keyWithheld {
					for i := range o.res.Rejected {
						r := &o.res.Rejected[i]
						r.Body = withholdText(r.Body, b.keys[r.Index])
					}
					// The run's error, which quotes the answer it ended on, is stored, logged,
					// shown and sent in notifications.
					o.err = withholdErr(o.err, b.keys)
				}
				if o.again != nil {
					p.dlog.add(b, o.again.op, &o.again.res, o.again.idx)
				}
				if err := o.err; err != nil && runCtx.Err() == nil {
					if errors.Is(err, webhook.ErrGone) {
						err = p.pauseForGone(ctx, err)
					}
					cancel(fmt.Errorf("deliver to %q: %w", p.destName, err))
				}
				// A batch whose retries the sync's takeover stopped (its fence moved on) is
				// cut short as a stopped run's is: not refused, the next run sends it.
				o.stopped = ctx.Err() != nil || p.lease.Err() != nil
				if o.unproven {
					// Held back until the run's last batch is sent: a 2xx on the same route
					// later in the run delivers its deletes answered 404 (answers.recheck).
					// Its bytes are released, or the run's later batches might wait for it.
					p.inFlight.release(b)
					heldMu.Lock()
					held = append(held, o)
					var release []outcome
					if len(held) > maxHeldOutcomes {
						release = held[:1:1]
						held = held[1:]
					}
					heldMu.Unlock()
					for _, o := range release {
						p.answers.recheck(&o)
						out <- o
					}
					continue
				}
				out <- o
			}
		}()
	}
	wg.Wait()
	for _, o := range held {
		p.answers.recheck(&o)
		out <- o
	}
}

// pauseForGone pauses the sync after its destination answered 410 Gone (err), unless the sync or
// its destination connection changed since the run read them (controlplane.SyncLease.PauseForGone):
// then, or when the sync could not be paused, it returns an error that says the sync is not paused.
// The first 410 of the run decides, once: the requests in flight at that moment are usually
// answered 410 together, and a second pause would find the sync written since the run read it
// (by the first) and say, wrongly, that it is not paused.
func (p *pipeline) pauseForGone(ctx context.Context, err error) error {
	p.gone.Do(func() {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		paused, perr := p.lease.PauseForGone(pctx, p.sync, p.dest, err.Error())
		switch {
		case perr != nil:
			p.log.Error("could not pause the sync after a 410", "err", perr)
			p.goneNotPaused = "it could not be paused (" + perr.Error() + ")"
		case !paused:
			p.log.Warn("the destination answered 410 Gone, but the sync or its destination connection changed since the run "+
				"started: the sync is not paused, and its next run sends as they are now", "err", err)
			p.goneNotPaused = "the sync or its destination connection changed since the run started " +
				"(a terraform apply), so the next run sends as they are now"
		}
	})
	if p.goneNotPaused == "" {
		return err
	}
	return &goneNotPausedError{err: err, why: p.goneNotPaused}
}

// goneNotPausedError is a 410 Gone that did not pause the sync (pipeline.pauseForGone): its text
// says so instead of the webhook package's "so the sync is paused"; errors.Is still sees
// webhook.ErrGone.
type goneNotPausedError struct {
	err error
	why string
}

func (e *goneNotPausedError) Error() string {
	var body string
	if de := (*webhook.DeliveryError)(nil); errors.As(e.err, &de) {
		body = de.Body
	}
	return fmt.Sprintf("the endpoint answered 410 Gone to a request of this run, which it built from the sync and its "+
		"destination connection as they were when it started; the sync is not paused: %s; the records stay pending "+
		"(response body: %q)", e.why, body)
}

func (e *goneNotPausedError) Unwrap() error { return e.err }

// maxHeldOutcomes bounds the outcomes the deliverer holds back for answers.recheck: beyond it,
// the oldest is read as it stands and committed.
const maxHeldOutcomes = 64
