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
	// cursor, when set, sees every row read (for the next mark).
	cursor *cursorTracker
	// lookup, when set, makes the diff partial (an incremental read: the model's rows are some
	// of its rows): each key read is looked up in the ledger, in chunks, instead of merging
	// the whole ledger, and keys not read are not deletions. run is then given no ledger.
	lookup func(ctx context.Context, keys []string) (hashes [][]byte, found []bool, err error)
	chunk  lookupChunk
}

// lookupChunk holds a partial diff's records until their keys are looked up.
type lookupChunk struct {
	arena []byte
	recs  []chunkRecord
	keys  []string
	obj   []byte // the record being emitted, with its metadata fields
}

type chunkRecord struct {
	keyEnd, objEnd int // key: arena[previous objEnd:keyEnd], object: arena[keyEnd:objEnd]
	hash           [controlplane.HashSize]byte
}

// Bounds of a lookup chunk: keys per ledger lookup, and bytes of records held.
const (
	lookupChunkKeys  = 4096
	lookupChunkBytes = 8 << 20
)

// classify decides what the diff sends for a model record given what the ledger holds for its
// key: its kind, or send false when nothing is sent. (The one rule, for the merge and the
// lookups alike.)
func (d *differ) classify(inLedger, unconfirmed, same bool) (kind int, send bool) {
	switch {
	case !inLedger:
		return kindNew, true
	case unconfirmed && d.behavior == controlplane.BehaviorAppend:
		return kindNew, true // its delivery was never confirmed: append sends it
	case d.full:
		return kindChanged, true
	case same || d.behavior == controlplane.BehaviorAppend:
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

// hold adds a record to the lookup chunk, and diffs the chunk once it is full.
func (d *differ) hold(ctx context.Context, key, obj []byte, hash [controlplane.HashSize]byte, emit func(*record) error) error {
	c := &d.chunk
	c.arena = append(c.arena, key...)
	keyEnd := len(c.arena)
	c.arena = append(c.arena, obj...)
	c.recs = append(c.recs, chunkRecord{keyEnd: keyEnd, objEnd: len(c.arena), hash: hash})
	if len(c.recs) >= lookupChunkKeys || len(c.arena) >= lookupChunkBytes {
		return d.diffChunk(ctx, emit)
	}
	return nil
}

// diffChunk looks the chunk's keys up in the ledger and emits what is to be sent.
func (d *differ) diffChunk(ctx context.Context, emit func(*record) error) error {
	c := &d.chunk
	if len(c.recs) == 0 {
		return nil
	}
	c.keys = c.keys[:0]
	start := 0
	for _, r := range c.recs {
		c.keys = append(c.keys, string(c.arena[start:r.keyEnd]))
		start = r.objEnd
	}
	hashes, found, err := d.lookup(ctx, c.keys)
	if err != nil {
		return err
	}
	var rec record
	start = 0
	for i, r := range c.recs {
		rec = record{stored: found[i], key: c.arena[start:r.keyEnd], hash: r.hash}
		obj := c.arena[r.keyEnd:r.objEnd]
		start = r.objEnd
		unconfirmed := found[i] && controlplane.Unconfirmed(hashes[i])
		kind, send := d.classify(found[i], unconfirmed, found[i] && !unconfirmed && bytes.Equal(hashes[i], r.hash[:]))
		if !send {
			continue
		}
		// The hash was taken without the metadata fields, which vary from run to run.
		c.obj = d.m.appendMetadata(append(c.obj[:0], obj...), kind)
		rec.obj = c.obj
		if err := d.emitKind(&rec, kind, emit); err != nil {
			return err
		}
	}
	c.arena, c.recs = c.arena[:0], c.recs[:0]
	return nil
}

func (d *differ) sample(reason string, key []byte, isNull bool, obj []byte) {
	if len(d.samples) >= maxInvalidSamples {
		return
	}
	s := invalidSample{Reason: reason}
	if !isNull {
		k := string(key)
		s.Key = &k
	}
	if obj != nil {
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
		havecur  bool
		curDup   bool
		ledValid bool
		delRec   record
		delObj   []byte
	)
	nextLedger := func() {
		d.ledgerKeys++
		ledValid = led.Next()
	}
	if led != nil {
		ledValid = led.Next()
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
		inLedger, same, unconfirmed := false, false, false
		if ledValid && bytes.Equal(led.Key(), curKey) {
			inLedger = true
			unconfirmed = controlplane.Unconfirmed(led.Hash())
			same = !unconfirmed && bytes.Equal(led.Hash(), cur.hash[:])
			nextLedger()
		}
		if curDup {
			return nil // a duplicated key is invalid: none of its rows go, and it is not a deletion
		}
		if d.lookup != nil {
			return d.hold(ctx, curKey, curObj, cur.hash, emit)
		}
		cur.stored = inLedger
		kind, send := d.classify(inLedger, unconfirmed, same)
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
		if isNull || len(key) > controlplane.MaxKeyBytes || bytes.IndexByte(key, 0) >= 0 {
			d.counts.Invalid.Add(1)
			if len(d.samples) < maxInvalidSamples {
				rowObj = d.m.appendRecord(rowObj[:0], src)
				switch {
				case isNull:
					d.sample("null key", nil, true, rowObj)
				case len(key) > controlplane.MaxKeyBytes:
					d.sample(fmt.Sprintf("key longer than %d bytes", controlplane.MaxKeyBytes), key[:64], false, rowObj)
				default:
					d.sample("key with a NUL byte", key[:min(len(key), 64)], false, rowObj)
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
					d.sample("duplicate key", curKey, false, nil)
				}
				d.counts.Invalid.Add(1)
				continue
			case c < 0:
				return fmt.Errorf("the warehouse returned the key %q after %q: the model's rows are not in key order", key, curKey)
			}
			if err := flush(); err != nil {
				return err
			}
		}
		curKey = append(curKey[:0], key...)
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
		return d.diffChunk(ctx, emit)
	}
	if err := advanceLedgerBelow(nil, true); err != nil {
		return err
	}
	if led != nil {
		return led.Err()
	}
	return nil
}
