package warehouse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/tempfile"
)

// The key order (source.go) made by the runner instead of the warehouse, whose own sort costs
// several times reading the model (Postgres's ORDER BY ... COLLATE "C", MySQL's filesort of an
// expression, DuckDB's sort under the memory limit Backflow gives it). Every driver reads the
// model in whatever order the warehouse returns it and passes the rows through sortByKey: each row is encoded to JSON once, column by
// column, into a buffer of SortBufferBytes; a full buffer is sorted by key and written to a
// temporary file (a run, after the runs before it), and the runs are merged as the rows are
// read. Memory stays at the buffers and the runs' read buffers (runReadBudget between them up to
// 1024 runs, 12 GB of JSON; minRunReadBytes each beyond); the disk holds the model's JSON once
// (in os.TempDir(), which TMPDIR sets), in one file removed as soon as it is created, so nothing
// is left behind even by a runner that is killed (on Windows, where an open file cannot be
// removed, it is removed when the sort closes), and a model of any size holds one file
// descriptor.

// SortBufferBytes is the memory the runner's sort by key fills before it writes a sorted run to
// disk: two buffers of half of it each, one filled while the other is sorted and written. (With
// 32 MB, a DuckDB first run of 10M rows peaked at 202 MB, over the 200 MB the runner aims at.)
const SortBufferBytes = 24 << 20

// A sorted record, in a buffer and in a run file: its length (of what follows), then the key's
// length + 1 (0: a NULL key) and the key, then for each column its JSON's length and the JSON;
// each length 4 bytes, little-endian (a model's value is far below 4 GB, and fixed lengths are
// written in place and read without decoding).
const lenSize = 4

// sortEntry is one record of a buffer: its key's first 16 bytes, big-endian (zero-padded), so
// that most comparisons touch no memory but the entry, and where the record is.
type sortEntry struct {
	p0, p1 uint64
	off    uint32 // of the record's length prefix in the buffer
	klen   int32  // -1: NULL key
}

// entryBytes is what an entry adds to a buffer's memory: as much as the record of a narrow
// model's row (a short key and a number), so a buffer counts both.
const entryBytes = int(unsafe.Sizeof(sortEntry{}))

func prefixOf(key []byte) (p0, p1 uint64) {
	var b [16]byte
	copy(b[:], key)
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

// sortKey is a key as the merge compares it: its bytes (nil and null for NULL) and their first
// 16 bytes, big-endian and zero-padded (prefixOf), so that most comparisons read no memory but
// the prefixes.
type sortKey struct {
	p0, p1 uint64
	key    []byte
	null   bool
}

// compare orders a and b by their bytes, NULL keys last.
func (a *sortKey) compare(b *sortKey) int {
	if c := comparePrefixes(a.p0, a.p1, a.null, b.p0, b.p1, b.null); c != 0 || a.null {
		return c
	}
	return compareTails(a.key, b.key)
}

// comparePrefixes orders two keys by their first 16 bytes (prefixOf), NULL keys last; 0 when
// those are equal, and the rest of the keys decides (compareTails) unless both are NULL.
func comparePrefixes(ap0, ap1 uint64, aNull bool, bp0, bp1 uint64, bNull bool) int {
	switch {
	case aNull || bNull:
		if aNull == bNull {
			return 0
		}
		if aNull {
			return 1
		}
		return -1
	case ap0 != bp0:
		if ap0 < bp0 {
			return -1
		}
		return 1
	case ap1 != bp1:
		if ap1 < bp1 {
			return -1
		}
		return 1
	}
	return 0
}

// compareTails orders two keys whose prefixes are equal: by the bytes after them when both are
// that long, else by all of them (a zero-padded prefix can equal a longer key's).
func compareTails(a, b []byte) int {
	if len(a) >= 16 && len(b) >= 16 {
		return bytes.Compare(a[16:], b[16:])
	}
	return bytes.Compare(a, b)
}

// sortBuf is one buffer of encoded records and their entries.
type sortBuf struct {
	data    []byte
	entries []sortEntry
}

// sort orders b's entries by key, NULL keys last. It reads no key's bytes in the buffer while
// it sorts: entries are sorted by a radix sort of their prefixes (p0, p1: 16 bytes of the key)
// and how far the key reaches past them (sortWindow), and each group of entries whose keys are
// equal so far and go on is sorted again by the keys' next 16 bytes, loaded into its prefixes
// once per entry (a buffer of emails sharing a long name holds many keys equal in their first 16
// bytes, whose comparisons read the buffer at random). The prefixes are overwritten: the
// buffer's order is all that is kept.
func (b *sortBuf) sort() {
	es := b.entries
	// NULL keys last, among themselves in any order (they are equal).
	n := 0
	for i, e := range es {
		if e.klen >= 0 {
			es[n], es[i] = e, es[n]
			n++
		}
	}
	b.sortFrom(es[:n], 0)
}

// sortFrom sorts es, whose keys (none NULL) are equal in their first at bytes and whose
// prefixes hold their bytes from at (prefixOf).
func (b *sortBuf) sortFrom(es []sortEntry, at int32) {
	for {
		end := at + 16
		sortWindow(es, 0, at)
		// Each group of two or more equal prefixes whose keys go on is sorted by their next
		// bytes; the last one by this loop, the others by a call.
		var group []sortEntry
		for i := 0; i < len(es); {
			j := i + 1
			if es[i].klen > end {
				for j < len(es) && es[j].p0 == es[i].p0 && es[j].p1 == es[i].p1 {
					j++
				}
				if j-i > 1 {
					if group != nil {
						b.sortFrom(b.loadPrefixes(group, end), end)
					}
					group = es[i:j]
				}
			}
			i = j
		}
		if group == nil {
			return
		}
		es, at = b.loadPrefixes(group, end), end
	}
}

// A window is 16 bytes of keys equal before them, in the entries' prefixes, and each key's
// length class: how many of its bytes are in the window, or 17 when it goes on past it. Keys
// sort by the window's bytes, then by the class: a key that ends in the window is before a
// longer key of the same bytes (whose next bytes are as zero as the padding), and keys of class
// 17 with the same bytes are equal so far (the next window decides).
const windowDigits = 17 // 16 bytes, then the length class

// digit is e's window digit d (0-15: a byte of the prefixes, 16: the length class); at is where
// the window starts in the key.
func digit(e *sortEntry, d int, at int32) int {
	switch {
	case d < 8:
		return int(e.p0 >> (56 - 8*d) & 0xff)
	case d < 16:
		return int(e.p1 >> (56 - 8*(d-8)) & 0xff)
	}
	return int(lengthClass(e, at))
}

// lengthClass is e's length class in the window at at: how many of its key's bytes are in it,
// or 17 when the key goes on past it.
func lengthClass(e *sortEntry, at int32) int32 { return min(e.klen-at, 17) }

// windowLess orders x and y by their window (digit by digit).
func windowLess(x, y *sortEntry, at int32) bool {
	if x.p0 != y.p0 {
		return x.p0 < y.p0
	}
	if x.p1 != y.p1 {
		return x.p1 < y.p1
	}
	return lengthClass(x, at) < lengthClass(y, at)
}

// smallSort is where sortWindow sorts by comparisons instead of by digits.
const smallSort = 24

// sortWindow sorts es by their window from digit d on (the digits before it equal): a most
// significant digit first radix sort in place, which skips the digits all of es share and sorts
// a few entries by insertion.
func sortWindow(es []sortEntry, d int, at int32) {
	for len(es) > smallSort {
		// Skip to the first byte some entries differ in.
		if d < 16 {
			var x0, x1 uint64
			f := &es[0]
			for i := range es {
				x0 |= es[i].p0 ^ f.p0
				x1 |= es[i].p1 ^ f.p1
			}
			switch {
			case x0 != 0:
				d = max(d, bits.LeadingZeros64(x0)/8)
			case x1 != 0:
				d = max(d, 8+bits.LeadingZeros64(x1)/8)
			default:
				d = 16
			}
		}
		if d >= windowDigits {
			return
		}
		var count [256]int
		lo, hi := 255, 0
		for i := range es {
			v := digit(&es[i], d, at)
			count[v]++
			lo, hi = min(lo, v), max(hi, v)
		}
		// American flag sort: each entry swapped straight into its digit's bucket. Only the
		// digits from lo to hi are looked at (a few, in a small bucket of keys like emails).
		var next, end [256]int
		n, largest := 0, lo
		for v := lo; v <= hi; v++ {
			next[v] = n
			n += count[v]
			end[v] = n
			if count[v] > count[largest] {
				largest = v
			}
		}
		for v := lo; v <= hi; v++ {
			for next[v] < end[v] {
				e := es[next[v]]
				for w := digit(&e, d, at); w != v; w = digit(&e, d, at) {
					es[next[w]], e = e, es[next[w]]
					next[w]++
				}
				es[next[v]] = e
				next[v]++
			}
		}
		if d == windowDigits-1 {
			return // the length class is the last digit
		}
		// Each bucket by the digits after d: the largest by this loop, the others by a call.
		n = 0
		var rest []sortEntry
		for v := lo; v <= hi; v++ {
			c := count[v]
			if v == largest {
				rest = es[n : n+c]
			} else if c > 1 {
				sortWindow(es[n:n+c], d+1, at)
			}
			n += c
		}
		if rest == nil {
			return
		}
		es, d = rest, d+1
	}
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && windowLess(&es[j], &es[j-1], at); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// loadPrefixes sets the prefixes of es to their keys' bytes from at (each key longer than at).
func (b *sortBuf) loadPrefixes(es []sortEntry, at int32) []sortEntry {
	for i := range es {
		es[i].p0, es[i].p1 = prefixOf(b.key(es[i])[at:])
	}
	return es
}

// key is e's key (not NULL), in the buffer: after the record's and the key's lengths.
func (b *sortBuf) key(e sortEntry) []byte {
	at := e.off + 2*lenSize
	return b.data[at : at+uint32(e.klen)]
}

// record returns the whole encoded record of e, its length prefix included.
func (b *sortBuf) record(e sortEntry) []byte {
	n := int(binary.LittleEndian.Uint32(b.data[e.off:]))
	return b.data[e.off : int(e.off)+lenSize+n] // in int: a record may be up to 4 GB - 1
}

// sortByKey reads in to its end (rows in any order; it is closed before sortByKey returns) and
// returns the same rows as a Stream in the key order. ctx ends the read; fetched, when not nil,
// is set to the rows read so far every 1024 rows and at the end.
func sortByKey(ctx context.Context, in Stream, fetched *atomic.Int64) (Stream, error) {
	s, err := sortByKeyIn(ctx, in, SortBufferBytes/2, fetched)
	if err != nil {
		return nil, err // not a Stream holding a nil *sortedStream
	}
	return s, nil
}

// sortByKeyIn is sortByKey with buffers of bufBytes (tests make many runs of a few rows).
func sortByKeyIn(ctx context.Context, in Stream, bufBytes int, fetched *atomic.Int64) (*sortedStream, error) {
	s := &sortedStream{cols: in.Columns(), bufBytes: bufBytes, fetched: fetched}
	s.keyJSON, s.keyJSONErr = StreamKeyJSON(in)
	err := s.fill(ctx, in)
	if cerr := in.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// sortedStream is sortByKey's result: the runs, merged.
type sortedStream struct {
	cols     []controlplane.Column
	bufBytes int
	fetched  *atomic.Int64  // rows read so far, for progress (nil: not counted)
	file     *tempfile.File // the runs, one after the other (nil: none was written)
	w        *bufio.Writer
	ends     []int64    // where each run in file ends
	longest  int        // the longest record written to file, its length prefix included
	runs     []*sortRun // a heap by current key while merging
	err      error
	cur      sortedRow
	moved    bool // Next has returned a row: the top run is to move on first
	// keyJSON and keyJSONErr: the read stream's (StreamKeyJSON).
	keyJSON    KeyJSON
	keyJSONErr error
}

func (s *sortedStream) streamKeyJSON() (KeyJSON, error) { return s.keyJSON, s.keyJSONErr }

// sortedRow is the current row: its key and its columns' JSON.
type sortedRow struct {
	sortKey
	vals [][]byte
}

// parse splits an encoded record (without its length) into r.
func (r *sortedRow) parse(rec []byte, ncols int) error {
	if len(rec) < lenSize {
		return errCorruptRun
	}
	k := int(binary.LittleEndian.Uint32(rec))
	rec = rec[lenSize:]
	if k == 0 {
		r.sortKey = sortKey{null: true}
	} else if k-1 > len(rec) {
		return errCorruptRun
	} else {
		r.key, r.null, rec = rec[:k-1], false, rec[k-1:]
		r.p0, r.p1 = prefixOf(r.key)
	}
	r.vals = r.vals[:0]
	for range ncols {
		if len(rec) < lenSize {
			return errCorruptRun
		}
		n := int(binary.LittleEndian.Uint32(rec))
		if n > len(rec)-lenSize {
			return errCorruptRun
		}
		r.vals = append(r.vals, rec[lenSize:lenSize+n])
		rec = rec[lenSize+n:]
	}
	return nil
}

var errCorruptRun = errors.New("the runner's sort by key read back a record it did not write (its temporary file is corrupt)")

// fill reads every row of in into buffers, sorting each full one into a run; the last buffer
// stays in memory as a run of its own. A full buffer is sorted and written by a goroutine while
// the next fills.
func (s *sortedStream) fill(ctx context.Context, in Stream) error {
	ncols := len(s.cols)
	bufs := [2]*sortBuf{{}, {}}
	cur := 0
	var pending chan error
	wait := func() error {
		if pending == nil {
			return nil
		}
		err := <-pending
		pending = nil
		return err
	}
	n := 0
	for ; in.Next(); n++ {
		if n&1023 == 0 {
			if ctx.Err() != nil {
				_ = wait()
				return ctx.Err()
			}
			if s.fetched != nil {
				s.fetched.Store(int64(n))
			}
		}
		b := bufs[cur]
		if b.data == nil {
			// Both buffers at their full size from the start: growing them by doubling would
			// copy and collect several times their size. (Pages untouched cost no memory.)
			b.data = make([]byte, 0, s.bufBytes+64<<10)
		}
		key, null := in.Key()
		e := sortEntry{off: uint32(len(b.data)), klen: -1}
		b.data = binary.LittleEndian.AppendUint32(b.data, 0) // the record's length, set below
		if null {
			b.data = binary.LittleEndian.AppendUint32(b.data, 0)
		} else {
			b.data = binary.LittleEndian.AppendUint32(b.data, uint32(len(key))+1)
			e.klen = int32(len(key))
			e.p0, e.p1 = prefixOf(key)
			b.data = append(b.data, key...)
		}
		for c := range ncols {
			at := len(b.data)
			b.data = in.AppendValue(append(b.data, 0, 0, 0, 0), c)
			binary.LittleEndian.PutUint32(b.data[at:], uint32(len(b.data)-at-lenSize))
		}
		if size := len(b.data) - int(e.off) - lenSize; size > math.MaxUint32 {
			_ = wait()
			return fmt.Errorf("a row of the model holds %d bytes of JSON; the runner's sort by key takes rows below 4 GB", size)
		}
		binary.LittleEndian.PutUint32(b.data[e.off:], uint32(len(b.data))-e.off-lenSize)
		b.entries = append(b.entries, e)
		if len(b.data)+len(b.entries)*entryBytes >= s.bufBytes {
			if err := wait(); err != nil {
				return err
			}
			pending = make(chan error, 1)
			go func(b *sortBuf) { pending <- s.spill(b) }(b)
			cur ^= 1
			next := bufs[cur]
			next.data, next.entries = next.data[:0], next.entries[:0]
		}
	}
	if err := wait(); err != nil {
		return err
	}
	if err := in.Err(); err != nil {
		return err
	}
	if s.fetched != nil {
		s.fetched.Store(int64(n))
	}
	last := bufs[cur]
	last.sort()
	s.runs = append(s.runs, &sortRun{mem: last})
	s.w = nil
	// The runs' read buffers share runReadBudget: a model of many runs reads each in smaller
	// pieces rather than holding more memory.
	size := min(runReadBytes, max(minRunReadBytes, runReadBudget/max(len(s.ends), 1)))
	var start int64
	for _, end := range s.ends {
		s.runs = append(s.runs, &sortRun{r: bufio.NewReaderSize(io.NewSectionReader(s.file, start, end-start), size), longest: s.longest})
		start = end
	}
	// Each run at its first record, the runs a heap by it.
	live := s.runs[:0]
	for _, r := range s.runs {
		if err := r.next(ncols); err != nil {
			return err
		}
		if !r.done {
			live = append(live, r)
		}
	}
	s.runs = live
	for i := len(s.runs)/2 - 1; i >= 0; i-- {
		s.down(i)
	}
	return nil
}

// spill sorts b and writes it to the end of the runs' file. Only the goroutine fill starts
// calls it, one at a time, so s.file, s.w and s.ends have one writer.
func (s *sortedStream) spill(b *sortBuf) error {
	b.sort()
	if s.file == nil {
		f, err := tempfile.Create("backflow-sort-*")
		if err != nil {
			return diskErr(err)
		}
		s.file, s.w = f, bufio.NewWriterSize(f, 256<<10)
	}
	end := int64(0)
	if n := len(s.ends); n > 0 {
		end = s.ends[n-1]
	}
	// The records are scattered in the buffer: each one's length is read a few records ahead
	// (into its entry's p0, unused once sorted), so that its memory is on its way while the
	// records before it are copied.
	es := b.entries
	for i := range min(spillAhead, len(es)) {
		b.readLength(&es[i])
	}
	for i := range es {
		if j := i + spillAhead; j < len(es) {
			b.readLength(&es[j])
		}
		e := &es[i]
		rec := b.data[e.off : uint64(e.off)+e.p0]
		s.longest = max(s.longest, len(rec))
		if _, err := s.w.Write(rec); err != nil {
			return diskErr(err)
		}
		end += int64(len(rec))
	}
	if err := s.w.Flush(); err != nil {
		return diskErr(err)
	}
	s.ends = append(s.ends, end)
	return nil
}

// spillAhead is how many records ahead of the one it writes spill reads a record's length.
const spillAhead = 8

// readLength sets e.p0 to the length of e's whole record, its length prefix included.
func (b *sortBuf) readLength(e *sortEntry) {
	e.p0 = lenSize + uint64(binary.LittleEndian.Uint32(b.data[e.off:])) // in 64 bits: a record may be up to 4 GB - 1
}

func diskErr(err error) error {
	return tempfile.Explain("the runner sorts the model's rows by key in a temporary file as large as the rows' JSON", err)
}

// sortRun is one sorted run: the last buffer, in memory, or a section of the runs' file read
// back.
type sortRun struct {
	mem     *sortBuf
	i       int
	r       *bufio.Reader
	discard int    // bytes of the current record still in r's buffer (read with Peek)
	rec     []byte // a record larger than r's buffer, copied
	longest int    // the longest record the runs hold: a longer length read back is corrupt
	row     sortedRow
	done    bool
}

// runReadBytes is a run's read buffer, while the runs are few enough that runReadBudget holds
// them all at this size (at most minRunReadBytes each beyond): a record that fits is read in place.
const (
	runReadBytes    = 64 << 10
	minRunReadBytes = 4 << 10
	runReadBudget   = 4 << 20
)

// next moves the run to its next record.
func (r *sortRun) next(ncols int) error {
	if r.mem != nil {
		if r.i >= len(r.mem.entries) {
			r.done = true
			return nil
		}
		rec := r.mem.record(r.mem.entries[r.i])
		r.i++
		return r.row.parse(rec[lenSize:], ncols)
	}
	if r.discard > 0 {
		if _, err := r.r.Discard(r.discard); err != nil {
			return diskErr(err)
		}
		r.discard = 0
	}
	head, err := r.r.Peek(lenSize)
	if err == io.EOF && len(head) == 0 {
		r.done = true
		return nil
	}
	if err != nil {
		if err == io.EOF {
			return errCorruptRun
		}
		return diskErr(err)
	}
	n := lenSize + int(binary.LittleEndian.Uint32(head))
	if n > r.longest {
		return errCorruptRun // not up to 4 GB allocated to find out
	}
	if n <= r.r.Size() {
		rec, err := r.r.Peek(n)
		if err != nil {
			if err == io.EOF {
				return errCorruptRun
			}
			return diskErr(err)
		}
		r.discard = n
		return r.row.parse(rec[lenSize:], ncols)
	}
	if cap(r.rec) < n {
		r.rec = make([]byte, n)
	}
	r.rec = r.rec[:n]
	if _, err := io.ReadFull(r.r, r.rec); err != nil {
		if err == io.ErrUnexpectedEOF {
			return errCorruptRun
		}
		return diskErr(err)
	}
	return r.row.parse(r.rec[lenSize:], ncols)
}

func (r *sortRun) less(o *sortRun) bool { return r.row.compare(&o.row.sortKey) < 0 }

// Columns returns the model's columns.
func (s *sortedStream) Columns() []controlplane.Column { return s.cols }

// Next moves to the next row in key order: the smallest current row of the runs, which are kept
// as a binary heap (s.runs[0] is the smallest). The first call takes the row fill left at the
// top; each later one moves the top run on first.
func (s *sortedStream) Next() bool {
	if s.err != nil || len(s.runs) == 0 {
		return false
	}
	if s.moved {
		top := s.runs[0]
		if err := top.next(len(s.cols)); err != nil {
			s.err = err
			return false
		}
		if top.done {
			last := len(s.runs) - 1
			s.runs[0] = s.runs[last]
			s.runs = s.runs[:last]
			if last == 0 {
				return false
			}
		}
		s.down(0)
	}
	s.moved = true
	s.cur = s.runs[0].row
	return true
}

// down restores the heap below i.
func (s *sortedStream) down(i int) {
	h := s.runs
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].less(h[l]) {
			m = r
		}
		if !h[m].less(h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// Key returns the current row's key.
func (s *sortedStream) Key() ([]byte, bool) { return s.cur.key, s.cur.null }

// AppendValue appends column col's JSON.
func (s *sortedStream) AppendValue(buf []byte, col int) []byte {
	return append(buf, s.cur.vals[col]...)
}

// AppendObject appends {"name":value,...} for the given columns.
func (s *sortedStream) AppendObject(buf []byte, cols []int, names [][]byte) []byte {
	return appendObject(s, buf, cols, names)
}

// Err returns the error that ended the merge, if any.
func (s *sortedStream) Err() error { return s.err }

// Close closes the runs' file (already removed from the disk).
func (s *sortedStream) Close() error {
	if s.file != nil {
		_ = s.file.Close()
	}
	s.file, s.w, s.runs = nil, nil, nil
	return nil
}
