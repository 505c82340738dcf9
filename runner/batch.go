package runner

import (
	"unsafe"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// batch is up to batch_size records of one operation, and up to controlplane.MaxBatchBytes of
// their JSON (batch.full), encoded once. Its keys are packed once too, as intents and the
// delivery log store them (controlplane.PackKeys), as the records are added: the packed keys are
// the batch's intent and its delivery-log row, and its keys (as strings) are substrings of them.
// Batches are reused through their pipeline's batchPool once the committer has taken what it
// needs from them.
type batch struct {
	op     string
	buf    []byte // the records' JSON objects, back to back
	ends   []int
	hashes []byte // HashSize bytes per record; empty for deletes
	isNew  []bool // the key was not in the ledger
	// cursors are the records' cursor values back to back (record.cursor), cursorEnds each
	// one's end, -1 for a record without one; empty for a sync without a cursor.
	cursors    []byte
	cursorEnds []int
	recs       [][]byte
	seq        int32 // the batch's number within its run: its intent's
	intent     bool  // its intent was recorded (seq names it); false for a batch the run passed on without one
	gated      int   // the bytes it holds of its run's byteGate

	// packed are the keys packed in order, keyAt each key's start and end in packed. packed is
	// never written once the batch is sealed: the delivery log keeps it, so a batch gets a new
	// one each time it is reused.
	packed []byte
	keyAt  []int32
	// keys, set by seal: the keys, substrings of one string copied from packed; first and last
	// the least and greatest of them by bytes.
	keys        []string
	first, last string
	packedHint  int // the size of the last packed keys: the next batch's usually fit in a little more
}

// batchPool keeps a pipeline's batches for reuse, with their buffers grown to a batch's size. A
// sync.Pool would be emptied by every garbage collection, and a run collects often: each batch
// taken from it would grow its buffers again.
type batchPool chan *batch

func newBatchPool(n int) batchPool { return make(batchPool, n) }

// get returns a batch for up to size records, from the pool or new. A new batch's buffer holds
// bufHint bytes of records before it grows (the size of the batches filled before it), so it is
// not grown by doubling, with a copy each time, to a batch's size.
func (bp batchPool) get(op string, size, bufHint int) *batch {
	var b *batch
	select {
	case b = <-bp:
	default:
		b = &batch{buf: make([]byte, 0, bufHint), ends: make([]int, 0, size), keys: make([]string, 0, size),
			hashes: make([]byte, 0, size*controlplane.HashSize), isNew: make([]bool, 0, size), keyAt: make([]int32, 0, 2*size)}
	}
	b.op, b.seq, b.intent = op, 0, false
	b.packed = make([]byte, 0, b.packedHint+b.packedHint/8)
	return b
}

// put keeps b for reuse, unless the pool is full or b's buffers are huge.
func (bp batchPool) put(b *batch) {
	clear(b.keys)
	clear(b.recs)
	b.buf, b.ends, b.keys, b.hashes, b.recs = b.buf[:0], b.ends[:0], b.keys[:0], b.hashes[:0], b.recs[:0]
	b.isNew, b.keyAt, b.cursors, b.cursorEnds = b.isNew[:0], b.keyAt[:0], b.cursors[:0], b.cursorEnds[:0]
	// packed belongs to the delivery log now: only its size is kept.
	b.packedHint = max(b.packedHint, len(b.packed))
	b.packed, b.first, b.last = nil, "", ""
	if cap(b.buf) > 2*controlplane.MaxBatchBytes || bp == nil {
		return // a record wider than MaxBatchBytes, alone in its batch, should not pin its buffer
	}
	select {
	case bp <- b:
	default:
	}
}

func (b *batch) len() int { return len(b.ends) }

// full reports whether b, a batch of at most size records, takes no record of next bytes of JSON
// more: it holds size records, or its records' JSON with the next one's, and a comma between
// each two, would pass room (pipeline.batchRoom). An empty batch takes any record, however wide.
func (b *batch) full(size, room, next int) bool {
	return b.len() >= size || b.len() > 0 && len(b.buf)+b.len()+next > room
}

func (b *batch) add(r *record) {
	b.buf = append(b.buf, r.obj...)
	b.ends = append(b.ends, len(b.buf))
	b.packed = controlplane.AppendPackedKey(b.packed, r.key)
	b.keyAt = append(b.keyAt, int32(len(b.packed)-len(r.key)), int32(len(b.packed)))
	if r.kind != kindDeleted {
		b.hashes = append(b.hashes, r.hash[:]...)
	}
	b.isNew = append(b.isNew, !r.stored)
	if r.cursor != nil {
		for len(b.cursorEnds) < len(b.ends)-1 {
			b.cursorEnds = append(b.cursorEnds, -1)
		}
		b.cursors = append(b.cursors, r.cursor...)
		b.cursorEnds = append(b.cursorEnds, len(b.cursors))
	}
}

// cursor is record i's cursor value; ok false when it has none.
func (b *batch) cursor(i int) (v []byte, ok bool) {
	if i >= len(b.cursorEnds) || b.cursorEnds[i] < 0 {
		return nil, false
	}
	start := 0
	for j := i - 1; j >= 0; j-- {
		if b.cursorEnds[j] >= 0 {
			start = b.cursorEnds[j]
			break
		}
	}
	return b.cursors[start:b.cursorEnds[i]], true
}

// seal sets the batch's keys once every record is added.
func (b *batch) seal() {
	// The keys are substrings of packed itself, not of a copy: packed is never written once the
	// batch is sealed (a reused batch gets a new one), so the strings never change.
	s := unsafe.String(unsafe.SliceData(b.packed), len(b.packed))
	for i := 0; i < len(b.keyAt); i += 2 {
		k := s[b.keyAt[i]:b.keyAt[i+1]]
		b.keys = append(b.keys, k)
		if i == 0 || k < b.first {
			b.first = k
		}
		if i == 0 || k > b.last {
			b.last = k
		}
	}
}

func (b *batch) records() [][]byte {
	b.recs = b.recs[:0]
	start := 0
	for _, end := range b.ends {
		b.recs = append(b.recs, b.buf[start:end:end])
		start = end
	}
	return b.recs
}
