package runner

import (
	"sync"
)

// batch is up to batch_size records of one operation, encoded once. Batches are pooled: their
// buffers are reused once the committer has taken what it needs from them.
type batch struct {
	op     string
	buf    []byte // the records' JSON objects, back to back
	ends   []int
	keys   []string
	hashes []byte // HashSize bytes per record; empty for deletes
	isNew  []bool // the key was not in the ledger
	recs   [][]byte
	seq    int32 // the batch's number within its run: its intent's
}

var batchPool sync.Pool

func newBatch(op string, size int) *batch {
	b, _ := batchPool.Get().(*batch)
	if b == nil {
		b = &batch{}
	}
	b.op = op
	if cap(b.ends) < size {
		b.ends = make([]int, 0, size)
		b.keys = make([]string, 0, size)
	}
	return b
}

func (b *batch) release() {
	if cap(b.buf) > 64<<20 {
		return // one huge batch should not pin its buffer
	}
	clear(b.keys)
	clear(b.recs)
	b.buf, b.ends, b.keys, b.hashes, b.recs = b.buf[:0], b.ends[:0], b.keys[:0], b.hashes[:0], b.recs[:0]
	b.isNew = b.isNew[:0]
	batchPool.Put(b)
}

func (b *batch) len() int { return len(b.ends) }

func (b *batch) add(r *record) {
	b.buf = append(b.buf, r.obj...)
	b.ends = append(b.ends, len(b.buf))
	b.keys = append(b.keys, string(r.key))
	if r.kind != kindDeleted {
		b.hashes = append(b.hashes, r.hash[:]...)
	}
	b.isNew = append(b.isNew, !r.stored)
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
