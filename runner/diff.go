package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/zeebo/xxh3"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Kinds of records the diff finds.
const (
	kindNew = iota
	kindChanged
	kindDeleted
)

// kindNames name the kinds as previews show them.
var kindNames = [...]string{kindNew: "new", kindChanged: "changed", kindDeleted: "deleted"}

// source is the model's rows as the engine reads them; *warehouse.Rows satisfies it.
type source interface {
	Columns() []controlplane.Column
	Next() bool
	Key() (key []byte, isNull bool)
	AppendValue(buf []byte, col int) []byte
	AppendObject(buf []byte, cols []int, names [][]byte) []byte
	Err() error
}

// ledger is the sync's ledger streamed in key order; *controlplane.LedgerRows satisfies it.
type ledger interface {
	Next() bool
	Key() []byte
	Hash() []byte
	Err() error
}

// record is one record the diff decided to send. Its slices are valid only during the emit call.
type record struct {
	kind   int
	stored bool // the ledger has an entry for the key (confirmed or not)
	key    []byte
	obj    []byte
	hash   [controlplane.HashSize]byte
	// cursor is the row's cursor value (cursorTracker.row), nil when the sync has no cursor or
	// the row has no value that can be a mark.
	cursor []byte
}

// maxInvalidSamples bounds the samples kept in a run record.
const maxInvalidSamples = 10

// maxSampleRecord bounds the JSON of a sample's record: a longer one is sampled as a string of
// its start (sampleRecord). The samples go into the run record's jsonb, which holds at most
// 256 MB: ten rows of a warehouse's large text values kept whole kept the run's end from being
// recorded (the run stayed running).
const maxSampleRecord = 4 << 10

// invalidSample is one entry of a run's invalid_samples.
type invalidSample struct {
	Reason string          `json:"reason"`
	Key    *string         `json:"key"`
	Record json.RawMessage `json:"record,omitempty"`
}

// differ merges the model (ordered by key) with the ledger (same order) and decides what to send.
type differ struct {
	behavior string
	full     bool
	m        *mapper
	counts   *Counters // what the diff saw: extracted, invalid, new, changed, deleted
	samples  []invalidSample
	// ledgerKeys counts the ledger's entries the diff went through: the keys delivered before
	// the run (what guards measure percentages against).
	ledgerKeys int64
	// inCommon counts, of a whole diff (no lookup), the model's keys found among those ledger
	// entries, whether or not their delivery was confirmed: a key that may have been delivered
	// (a `test` record, a batch sent without an answer) is counted new, yet it is the same key
	// (keyTextChanged).
	inCommon int64
	// withhold: the sync never sends its key as it is (KeyWithheld), so invalid samples show
	// neither it nor a field holding it.
	withhold bool
	// cursor, when set, sees every row read (for the next mark).
	cursor *cursorTracker
	// lookup, when set, makes the diff partial (an incremental read: the model's rows are some
	// of its rows): each key read is looked up in the ledger, in chunks, instead of merging
	// the whole ledger, and keys not read are not deletions. run is then given no ledger.
	lookup  func(ctx context.Context, keys []string) (hashes [][]byte, found []bool, err error)
	lookups lookupQueue
	// serialLookups keeps one lookup going at a time (a control-plane pool too small for two
	// beside the run's other connections).
	serialLookups bool
}

// A partial diff holds records in chunks until their keys are looked up. A full chunk's lookup
// starts at once, in its own goroutine, and the diff goes on filling the next chunk; it emits a
// chunk's records once its lookup has answered, in the order the chunks were filled (key order).
// lookupsInFlight chunks are looked up at once at most: the control plane answers two on two
// cores in about the time of one, and at 0.1% of 10M rows changed the lookups are a third of the
// run.
type lookupQueue struct {
	cur     *lookupChunk   // being filled
	pending []*lookupChunk // being looked up, or looked up and not yet emitted: oldest first
	free    []*lookupChunk
	obj     []byte // the record being emitted, with its metadata fields
}

// lookupChunk is a chunk of records and, once its lookup has answered (done is closed), what the
// ledger holds for each.
type lookupChunk struct {
	arena  []byte
	recs   []chunkRecord
	keys   []string
	hashes [][]byte
	found  []bool
	err    error
	done   chan struct{}
}

type chunkRecord struct {
	// key: arena[previous objEnd:keyEnd], cursor value: arena[keyEnd:cursorEnd], object:
	// arena[cursorEnd:objEnd]
	keyEnd, cursorEnd, objEnd int
	hasCursor                 bool
	hash                      [controlplane.HashSize]byte
}

// Bounds of a lookup chunk: keys per ledger lookup, and bytes of records held; and how many
// chunks are looked up at once.
const (
	lookupChunkKeys  = 4096
	lookupChunkBytes = 8 << 20
	lookupsInFlight  = 2
)

// classify decides what the diff sends for a model record whose hash is hash given what the
// ledger holds for its key (inLedger, and its hash stored): its kind, or send false when nothing
// is sent. (The one rule, for the merge and the lookups alike.)
func (d *differ) classify(inLedger bool, stored []byte, hash *[controlplane.HashSize]byte) (kind int, send bool) {
	switch {
	case !inLedger:
		return kindNew, true
	case controlplane.UnconfirmedNew(stored):
		// It may have been delivered, and was not before: the endpoint may never have had it, so
		// it is created (a duplicate create is allowed) rather than updated (an update of a
		// record it does not have may be refused on every run).
		return kindNew, true
	case controlplane.Unconfirmed(stored) && d.behavior == controlplane.BehaviorAppend:
		return kindNew, true // its delivery was never confirmed: append sends it
	case d.full || controlplane.Unconfirmed(stored):
		return kindChanged, true
	case bytes.Equal(stored, hash[:]) || d.behavior == controlplane.BehaviorAppend:
		return 0, false
	}
	return kindChanged, true
}

// emitKind counts and emits r as kind.
func (d *differ) emitKind(r *record, kind int, emit func(*record) error) error {
	r.kind = kind
	if kind == kindNew {
		d.counts.New.Add(1)
	} else {
		d.counts.Changed.Add(1)
	}
	return emit(r)
}

// hold adds a record to the chunk being filled, and starts its lookup once it is full.
func (d *differ) hold(ctx context.Context, key, cursor, obj []byte, hash [controlplane.HashSize]byte, emit func(*record) error) error {
	q := &d.lookups
	c := q.cur
	if c == nil {
		if n := len(q.free); n > 0 {
			c, q.free = q.free[n-1], q.free[:n-1]
		} else {
			c = new(lookupChunk)
		}
		q.cur = c
	}
	c.arena = append(c.arena, key...)
	keyEnd := len(c.arena)
	c.arena = append(c.arena, cursor...)
	cursorEnd := len(c.arena)
	c.arena = append(c.arena, obj...)
	c.recs = append(c.recs, chunkRecord{keyEnd: keyEnd, cursorEnd: cursorEnd, objEnd: len(c.arena), hasCursor: cursor != nil, hash: hash})
	if len(c.recs) >= lookupChunkKeys || len(c.arena) >= lookupChunkBytes {
		return d.startLookup(ctx, emit)
	}
	return nil
}

// startLookup starts the lookup of the chunk being filled, after emitting the oldest chunks
// until fewer than lookupsInFlight are pending.
func (d *differ) startLookup(ctx context.Context, emit func(*record) error) error {
	q := &d.lookups
	c := q.cur
	if c == nil {
		return nil
	}
	q.cur = nil
	c.keys = c.keys[:0]
	start := 0
	for _, r := range c.recs {
		c.keys = append(c.keys, string(c.arena[start:r.keyEnd]))
		start = r.objEnd
	}
	c.done = make(chan struct{})
	go func() {
		defer close(c.done)
		c.hashes, c.found, c.err = d.lookup(ctx, c.keys)
	}()
	q.pending = append(q.pending, c)
	width := lookupsInFlight
	if d.serialLookups {
		width = 1
	}
	for len(q.pending) >= width {
		if err := d.emitLookedUp(emit); err != nil {
			return err
		}
	}
	return nil
}

// finishLookups looks up the chunk being filled and emits every pending chunk, in order.
func (d *differ) finishLookups(ctx context.Context, emit func(*record) error) error {
	if err := d.startLookup(ctx, emit); err != nil {
		return err
	}
	for len(d.lookups.pending) > 0 {
		if err := d.emitLookedUp(emit); err != nil {
			return err
		}
	}
	return nil
}

// emitLookedUp waits for the oldest pending chunk's lookup and emits what is to be sent of it.
// (A lookup ends soon after the run's context does: the wait needs no other way out.)
func (d *differ) emitLookedUp(emit func(*record) error) error {
	q := &d.lookups
	c := q.pending[0]
	<-c.done
	if c.err != nil {
		return c.err
	}
	q.pending = q.pending[1:]
	var rec record
	start := 0
	for i, r := range c.recs {
		found, hash := c.found[i], c.hashes[i]
		rec = record{stored: found, key: c.arena[start:r.keyEnd], hash: r.hash}
		if r.hasCursor {
			rec.cursor = c.arena[r.keyEnd:r.cursorEnd:r.cursorEnd]
		}
		obj := c.arena[r.cursorEnd:r.objEnd]
		start = r.objEnd
		kind, send := d.classify(found, hash, &r.hash)
		if !send {
			continue
		}
		// The hash was taken without the metadata fields, which vary from run to run.
		q.obj = d.m.appendMetadata(append(q.obj[:0], obj...), kind)
		rec.obj = q.obj
		if err := d.emitKind(&rec, kind, emit); err != nil {
			return err
		}
	}
	c.arena, c.recs, c.hashes, c.found = c.arena[:0], c.recs[:0], nil, nil
	q.free = append(q.free, c)
	return nil
}

// sample keeps an invalid record's sample: its key's first show bytes (all of it when show is
// 0) and its record. For a sync whose key KeyWithheld withholds (d.withhold), both show
// "(withheld)" in its place, as a preview's sample records do.
func (d *differ) sample(reason string, key []byte, show int, isNull bool, obj []byte) {
	if len(d.samples) >= maxInvalidSamples {
		return
	}
	s := invalidSample{Reason: reason}
	if !isNull {
		k := string(key)
		if show > 0 {
			k = string(key[:min(len(key), show)])
		}
		if d.withhold {
			k = withheldValue
		}
		s.Key = &k
	}
	if obj != nil {
		if d.withhold && !isNull {
			obj = withholdSample(obj, key) // before it is cut: a cut record is a string
		}
		s.Record = sampleRecord(obj)
	}
	d.samples = append(d.samples, s)
}

// sampleRecord is a record's JSON as a sample keeps it: whole up to maxSampleRecord bytes, and
// else a JSON string of its first maxSampleRecord bytes (at a character's start) and "…".
func sampleRecord(obj []byte) json.RawMessage {
	if len(obj) <= maxSampleRecord {
		return append(json.RawMessage(nil), obj...)
	}
	b, _ := json.Marshal(string(cutAtRune(obj, maxSampleRecord)) + "…")
	return b
}

// run streams src against led (nil: an empty ledger) and calls emit for each record to send.
// emit returning an error stops the diff.
func (d *differ) run(ctx context.Context, src source, led ledger, emit func(*record) error) error {
	var (
		cur      record // the pending model row: sent only once the next key shows it is not duplicated
		curKey   []byte
		curObj   []byte
		curCur   = make([]byte, 0, 32) // its cursor value, when curCurOK (never nil: "" is a value)
		curCurOK bool
		havecur  bool
		curDup   bool
		ledValid bool
		ledErr   error // what ended the ledger's stream early, once it did
		delRec   record
		delObj   []byte
	)
	// A ledger whose stream fails (its session ended: a statement timeout, a terminated backend,
	// a failover) must stop the diff at once: every model key past it would look new, and be
	// sent though delivered before and unchanged (an append sync's keys sent twice).
	readLedger := func() {
		if ledValid = led.Next(); !ledValid {
			ledErr = led.Err()
		}
	}
	nextLedger := func() {
		d.ledgerKeys++
		readLedger()
	}
	if led != nil {
		readLedger()
	}
	// advanceLedgerBelow passes the ledger's keys below key (all of them: all), which the model
	// does not have. (An empty key is a key like any other: "all" is not spelt nil.)
	advanceLedgerBelow := func(key []byte, all bool) error {
		for ledValid && (all || bytes.Compare(led.Key(), key) < 0) {
			if d.behavior == controlplane.BehaviorMirror && !d.full {
				delObj = d.m.appendMetadata(d.m.appendDeleted(delObj[:0], led.Key()), kindDeleted)
				delRec = record{kind: kindDeleted, stored: true, key: led.Key(), obj: delObj}
				d.counts.Deleted.Add(1)
				if err := emit(&delRec); err != nil {
					return err
				}
			}
			nextLedger()
		}
		return nil
	}
	flush := func() error {
		if !havecur {
			return nil
		}
		havecur = false
		if err := advanceLedgerBelow(curKey, false); err != nil {
			return err
		}
		if ledErr != nil {
			return ledErr
		}
		inLedger := ledValid && bytes.Equal(led.Key(), curKey)
		var stored []byte
		if inLedger {
			stored = led.Hash()
		}
		kind, send := d.classify(inLedger, stored, &cur.hash) // before Next: stored is the ledger's
		if inLedger {
			d.inCommon++
			nextLedger()
		}
		if curDup {
			return nil // a duplicated key is invalid: none of its rows go, and it is not a deletion
		}
		var cursor []byte
		if curCurOK {
			cursor = curCur[:len(curCur):len(curCur)]
		}
		if d.lookup != nil {
			return d.hold(ctx, curKey, cursor, curObj, cur.hash, emit)
		}
		cur.stored, cur.cursor = inLedger, cursor
		if !send {
			return nil
		}
		// The hash was taken without the metadata fields, which vary from run to run.
		curObj = d.m.appendMetadata(curObj, kind)
		cur.key, cur.obj = curKey, curObj
		return d.emitKind(&cur, kind, emit)
	}

	var rowObj []byte
	for n := 0; src.Next(); n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		d.counts.Extracted.Add(1)
		if d.cursor != nil {
			d.cursor.observe(src)
		}
		key, isNull := src.Key()
		// The ledger keeps keys as Postgres text, which holds at most MaxKeyBytes (its index's
		// limit) and no NUL byte (MySQL's and DuckDB's text can hold one): such a key would fail
		// the commit of every run that changes it, so it is invalid, like a NULL one.
		if isNull || !controlplane.StorableKey(key) {
			d.counts.Invalid.Add(1)
			if len(d.samples) < maxInvalidSamples {
				rowObj = d.m.appendRecord(rowObj[:0], src)
				switch {
				case isNull:
					d.sample("null key", nil, 0, true, rowObj)
				case len(key) > controlplane.MaxKeyBytes:
					d.sample(fmt.Sprintf("key longer than %d bytes", controlplane.MaxKeyBytes), key, 64, false, rowObj)
				default:
					d.sample("key with a NUL byte", key, 64, false, rowObj)
				}
			}
			continue
		}
		if havecur {
			switch c := bytes.Compare(key, curKey); {
			case c == 0:
				if !curDup {
					curDup = true
					d.counts.Invalid.Add(1) // the first row of the key, found invalid only now
					d.sample("duplicate key", curKey, 0, false, nil)
				}
				d.counts.Invalid.Add(1)
				continue
			case c < 0:
				// Not the keys themselves: they are the model's data, and a run's error goes where
				// the data does not (docs/warehouses.md, "Errors leave the data out").
				return fmt.Errorf("the warehouse returned the model's row %d with a key that sorts before the key of the row before it "+
					"(byte by byte; the keys are not shown, they are the model's data): the model's rows are not in key order", n+1)
			}
			if err := flush(); err != nil {
				return err
			}
		}
		curKey = append(curKey[:0], key...)
		curCurOK = d.cursor != nil && d.cursor.rowOK
		if curCurOK {
			curCur = append(curCur[:0], d.cursor.row...)
		}
		curObj = d.m.appendRecord(curObj[:0], src)
		cur.hash = xxh3.Hash128(curObj).Bytes()
		havecur, curDup = true, false
	}
	if err := src.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if d.lookup != nil {
		return d.finishLookups(ctx, emit)
	}
	if err := advanceLedgerBelow(nil, true); err != nil {
		return err
	}
	if led != nil {
		return led.Err()
	}
	return nil
}
