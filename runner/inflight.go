package runner

import (
	"context"
	"sync"
)

// maxBytesInFlight bounds the records' JSON of the batches a run holds from sealing them to
// committing them (byteGate), whatever the concurrency. A batch holds up to
// controlplane.MaxBatchBytes, and at max_concurrency 64 up to 128 batches are alive at once
// between the stages (pipeline.execute's queues, the intents' group, one per worker), each in
// flight beside its encoded body: a sync of 3,000 records of 200 KB to an endpoint answering in
// 200 ms peaked at 288 MB at --concurrency 64 without this bound, 154 MB with it (and 155 MB at
// 256). 32 MiB is about what the default concurrency (4) holds of batches of 1 MiB, so that is
// held back no more than before (105 MB either way). Batches of narrow records are well under it
// (1000 of the bench's 222-byte users make 222 KB: 147 such batches fit). Wide records have fewer
// requests in flight than a high concurrency allows: about 30 of 1 MiB.
const maxBytesInFlight = 32 << 20

// byteGate bounds the bytes of a run's batches in flight to maxBytesInFlight: produce acquires a
// batch's bytes before passing it on, and they are released once the batch is back in its pool,
// or held back for answers.recheck (a held outcome may wait for every batch after it to be sent).
// A batch wider than the bound goes when nothing else is in flight.
type byteGate struct {
	mu    sync.Mutex
	held  int
	freed chan struct{} // closed once bytes are released; nil when no one waits
}

// acquire waits until b's bytes fit under the bound (or nothing is in flight), and takes them.
func (g *byteGate) acquire(ctx context.Context, b *batch) error {
	n := len(b.buf)
	for {
		g.mu.Lock()
		if g.held == 0 || g.held+n <= maxBytesInFlight {
			g.held += n
			g.mu.Unlock()
			b.gated = n
			return nil
		}
		if g.freed == nil {
			g.freed = make(chan struct{})
		}
		freed := g.freed
		g.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// release gives back the bytes b took, if it holds any.
func (g *byteGate) release(b *batch) {
	if b.gated == 0 {
		return
	}
	g.mu.Lock()
	g.held -= b.gated
	if g.freed != nil {
		close(g.freed)
		g.freed = nil
	}
	g.mu.Unlock()
	b.gated = 0
}

// putBack returns a batch the run is done with to its pool, and its bytes to the run's gate.
func (p *pipeline) putBack(b *batch) {
	p.inFlight.release(b)
	p.batches.put(b)
}
