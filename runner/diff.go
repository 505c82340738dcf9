package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/zeebo/xxh3"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Kinds of records the diff finds.
const (
	kindNew = iota
	kindChanged
	kindDeleted
)

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

// mapper builds the JSON object a record is sent as, from the sync's mappings.
type mapper struct {
	fields []field
	// plain is set when every field is a column: the warehouse's AppendObject does it all.
	plain   bool
	cols    []int
	names   [][]byte
	keyName []byte // the quoted name the key is sent under in `deleted` operations
	// keyNumeric: the key column is a number type, so a deleted key goes out as a JSON number.
	keyNumeric bool
}

type field struct {
	name     []byte // quoted
	col      int    // -1 for a constant
	constant []byte // JSON
}

func quote(s string) []byte {
	b, _ := json.Marshal(s) // strings always marshal
	return b
}

// newMapper resolves mappings against the model's current columns. nil mappings send every
// column under its own name.
func newMapper(cols []controlplane.Column, mappings []controlplane.Mapping, primaryKey string) (*mapper, error) {
	idx := make(map[string]int, len(cols))
	for i, c := range cols {
		idx[c.Name] = i
	}
	keyCol, ok := idx[primaryKey]
	if !ok {
		return nil, fmt.Errorf("the model has no column %q, the sync's primary_key: %w", primaryKey, errModelColumns(cols))
	}
	m := &mapper{plain: true, keyName: quote(primaryKey)}
	switch strings.ToLower(cols[keyCol].Type) {
	case "int2", "int4", "int8", "smallint", "integer", "bigint", "numeric", "decimal":
		m.keyNumeric = true
	}
	if mappings == nil {
		for i, c := range cols {
			m.fields = append(m.fields, field{name: quote(c.Name), col: i})
		}
	} else {
		for _, mp := range mappings {
			if mp.Constant != nil {
				m.fields = append(m.fields, field{name: quote(mp.To), col: -1, constant: quote(*mp.Constant)})
				m.plain = false
				continue
			}
			i, ok := idx[mp.From]
			if !ok {
				return nil, fmt.Errorf("a mapping reads the column %q, which the model no longer has: %w", mp.From, errModelColumns(cols))
			}
			m.fields = append(m.fields, field{name: quote(mp.To), col: i})
			// Deletes carry the key under the name the key column is mapped to; unmapped, its own.
			if mp.From == primaryKey {
				m.keyName = quote(mp.To)
			}
		}
	}
	for _, f := range m.fields {
		m.cols = append(m.cols, f.col)
		m.names = append(m.names, f.name)
	}
	return m, nil
}

func errModelColumns(cols []controlplane.Column) error {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return fmt.Errorf("the model's columns are %s; fix the sync or the model", strings.Join(names, ", "))
}

// appendRecord appends the current row's mapped object.
func (m *mapper) appendRecord(buf []byte, src source) []byte {
	if m.plain {
		return src.AppendObject(buf, m.cols, m.names)
	}
	buf = append(buf, '{')
	for i, f := range m.fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, f.name...)
		buf = append(buf, ':')
		if f.col < 0 {
			buf = append(buf, f.constant...)
		} else {
			buf = src.AppendValue(buf, f.col)
		}
	}
	return append(buf, '}')
}

// appendDeleted appends the object a `deleted` operation carries: the key under its mapped name.
// The ledger keeps only the key's text, so its JSON is rebuilt from that: a number when the key
// column is a number type (and the text is a valid JSON number), else a string. A key column of
// another type that a destination expects as a non-string (a boolean, say) is sent as a string.
func (m *mapper) appendDeleted(buf []byte, key []byte) []byte {
	buf = append(buf, '{')
	buf = append(buf, m.keyName...)
	buf = append(buf, ':')
	if m.keyNumeric && json.Valid(key) && len(key) > 0 && (key[0] == '-' || key[0] >= '0' && key[0] <= '9') {
		buf = append(buf, key...)
	} else {
		b, _ := json.Marshal(string(key))
		buf = append(buf, b...)
	}
	return append(buf, '}')
}

// record is one record the diff decided to send. Its slices are valid only during the emit call.
type record struct {
	kind int
	key  []byte
	obj  []byte
	hash [controlplane.HashSize]byte
}

// maxInvalidSamples bounds the samples kept in a run record.
const maxInvalidSamples = 10

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
		s.Record = append(json.RawMessage(nil), obj...)
	}
	d.samples = append(d.samples, s)
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
	if led != nil {
		ledValid = led.Next()
	}
	advanceLedgerBelow := func(key []byte) error {
		for ledValid && (key == nil || bytes.Compare(led.Key(), key) < 0) {
			if d.behavior == controlplane.BehaviorMirror && !d.full {
				delObj = d.m.appendDeleted(delObj[:0], led.Key())
				delRec = record{kind: kindDeleted, key: led.Key(), obj: delObj}
				d.counts.Deleted.Add(1)
				if err := emit(&delRec); err != nil {
					return err
				}
			}
			ledValid = led.Next()
		}
		return nil
	}
	flush := func() error {
		if !havecur {
			return nil
		}
		havecur = false
		if err := advanceLedgerBelow(curKey); err != nil {
			return err
		}
		inLedger, same := false, false
		if ledValid && bytes.Equal(led.Key(), curKey) {
			inLedger = true
			same = bytes.Equal(led.Hash(), cur.hash[:])
			ledValid = led.Next()
		}
		if curDup {
			return nil // a duplicated key is invalid: none of its rows go, and it is not a deletion
		}
		switch {
		case !inLedger:
			cur.kind = kindNew
		case d.full:
			cur.kind = kindChanged
		case same || d.behavior == controlplane.BehaviorAppend:
			return nil
		default:
			cur.kind = kindChanged
		}
		if cur.kind == kindNew {
			d.counts.New.Add(1)
		} else {
			d.counts.Changed.Add(1)
		}
		cur.key, cur.obj = curKey, curObj
		return emit(&cur)
	}

	var rowObj []byte
	for n := 0; src.Next(); n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		d.counts.Extracted.Add(1)
		key, isNull := src.Key()
		if isNull {
			d.counts.Invalid.Add(1)
			if len(d.samples) < maxInvalidSamples {
				rowObj = d.m.appendRecord(rowObj[:0], src)
				d.sample("null key", nil, true, rowObj)
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
	if err := advanceLedgerBelow(nil); err != nil {
		return err
	}
	if led != nil {
		return led.Err()
	}
	return nil
}
