package runner

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

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
