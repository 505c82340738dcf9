package runner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

// mapper builds the JSON object a record is sent as, from the sync's mappings. A mapper is used
// by one goroutine at a time (it keeps scratch buffers).
//
// What the diff compares (the ledger's hash) is the object appendRecord builds: columns, hashed
// columns and constants. Metadata fields (controlplane.MetadataFields) describe the run, so they
// are left out of it and added by appendMetadata when the record is sent; otherwise every run
// would see every record changed.
type mapper struct {
	fields []field // columns and constants, in the mappings' order
	metas  []field // metadata fields, in the mappings' order: sent after the others
	// plain is set when every field is a column sent as it is: the warehouse's AppendObject does it all.
	plain   bool
	cols    []int
	names   [][]byte
	keyName []byte // the quoted name the key is sent under in `deleted` operations
	// keyJSON, when set, is how a deleted key of the key column's type is sent: as a JSON number
	// for a number type, or as the warehouse's driver says (warehouse.Source.KeyJSON: a timestamp
	// with a time zone, a boolean, a binary value).
	keyJSON warehouse.KeyJSON
	// keyCol is the key column, as the model's result describes it.
	keyCol controlplane.Column
	// keyField is the key column's mapping when it hashes the key; nil otherwise.
	keyField *field
	// omitNulls leaves a field whose value is null out of the object (send_nulls = false).
	omitNulls bool

	run     runMeta
	scratch []byte
}

type field struct {
	name      []byte // quoted
	col       int    // -1 for a constant or a metadata field
	constant  []byte // JSON
	metadata  string // controlplane.Metadata*
	hash      string // controlplane.HashSHA256 or ""
	normalize []string
}

// runMeta is what metadata fields send, for the run the mapper serves.
type runMeta struct {
	id     int64 // 0: not a run (a test or a dry run): sync_run_id is null
	at     []byte
	syncID int64
}

func quote(s string) []byte {
	b, _ := json.Marshal(s) // strings always marshal
	return b
}

// keyName is the name records carry their key under: the name the key column is mapped to, or
// its own when it is not mapped (newMapper's keyName, unquoted).
func keyName(mappings []controlplane.Mapping, primaryKey string) string {
	name := primaryKey
	for _, mp := range mappings {
		if mp.From == primaryKey && mp.Constant == nil && mp.Metadata == "" {
			name = mp.To
		}
	}
	return name
}

// newMapper resolves mappings against the model's current columns. nil mappings send every
// column under its own name. The control plane may hold mappings no provider checked (written by
// an older one, or by hand), so their enums are checked here too.
func newMapper(cols []controlplane.Column, mappings []controlplane.Mapping, primaryKey string) (*mapper, error) {
	idx := make(map[string]int, len(cols))
	for i, c := range cols {
		idx[c.Name] = i
	}
	keyCol, ok := idx[primaryKey]
	if !ok {
		return nil, fmt.Errorf("the model has no column %q, the sync's primary_key: %w", primaryKey, errModelColumns(cols))
	}
	m := &mapper{plain: true, keyName: quote(keyName(mappings, primaryKey)), keyCol: cols[keyCol]}
	if numericType(cols[keyCol].Type) {
		m.keyJSON = warehouse.NumberKeyJSON
	}
	m.setRun(0, time.Now(), 0)
	keyIdx := -1 // the key column's mapping, when it hashes the key
	if mappings == nil {
		for i, c := range cols {
			m.fields = append(m.fields, field{name: quote(c.Name), col: i})
		}
	} else {
		for _, mp := range mappings {
			f := field{name: quote(mp.To), col: -1, hash: mp.Hash, normalize: mp.Normalize}
			if err := checkMappingTypes(mp); err != nil {
				return nil, err
			}
			switch {
			case mp.Metadata != "":
				f.metadata = mp.Metadata
				m.metas = append(m.metas, f)
				continue
			case mp.Constant != nil:
				f.constant = quote(*mp.Constant)
				m.plain = false
			default:
				i, ok := idx[mp.From]
				if !ok {
					return nil, fmt.Errorf("a mapping reads the column %q, which the model no longer has: %w", mp.From, errModelColumns(cols))
				}
				f.col = i
				m.plain = m.plain && f.hash == ""
			}
			m.fields = append(m.fields, f)
			// Deletes carry the key under the name the key column is mapped to (keyName: its
			// last mapping), hashed when that mapping hashes it: a key mapped twice, hashed and
			// as it is, is sent as the mapping whose name it goes under says.
			if mp.From == primaryKey && mp.Constant == nil {
				keyIdx = -1
				if f.hash != "" {
					keyIdx = len(m.fields) - 1
				}
			}
		}
	}
	for _, f := range m.fields {
		m.cols = append(m.cols, f.col)
		m.names = append(m.names, f.name)
	}
	if keyIdx >= 0 {
		m.keyField = &m.fields[keyIdx]
	}
	return m, nil
}

// checkMappingTypes refuses a mapping whose hash, normalize or metadata the runner does not know.
func checkMappingTypes(mp controlplane.Mapping) error {
	if mp.Metadata != "" && !slices.Contains(controlplane.MetadataFields, mp.Metadata) {
		return fmt.Errorf("the mapping to %q sends the metadata field %q, which this runner does not know; the fields are %s",
			mp.To, mp.Metadata, strings.Join(controlplane.MetadataFields, ", "))
	}
	if mp.Hash != "" && !slices.Contains(controlplane.HashAlgorithms, mp.Hash) {
		return fmt.Errorf("the mapping to %q hashes with %q, which this runner does not know; the algorithms are %s",
			mp.To, mp.Hash, strings.Join(controlplane.HashAlgorithms, ", "))
	}
	for _, n := range mp.Normalize {
		if !slices.Contains(controlplane.Normalizations, n) {
			return fmt.Errorf("the mapping to %q normalizes with %q, which this runner does not know; the normalizations are %s",
				mp.To, n, strings.Join(controlplane.Normalizations, ", "))
		}
	}
	return nil
}

// setOmitNulls makes the mapper leave null fields out (the sync's send_nulls = false).
func (m *mapper) setOmitNulls(omit bool) {
	m.omitNulls = omit
	if omit {
		m.plain = false
	}
}

// setRun sets what metadata fields send: the run's id (0 when not a run), start and sync.
func (m *mapper) setRun(id int64, at time.Time, syncID int64) {
	m.run = runMeta{id: id, at: quote(at.UTC().Format(time.RFC3339)), syncID: syncID}
}

func errModelColumns(cols []controlplane.Column) error {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return fmt.Errorf("the model's columns are %s; fix the sync or the model", strings.Join(names, ", "))
}

func isNull(v []byte) bool { return string(v) == "null" }

// appendRecord appends the current row's mapped object, without its metadata fields.
func (m *mapper) appendRecord(buf []byte, src source) []byte {
	if m.plain {
		return src.AppendObject(buf, m.cols, m.names)
	}
	buf = append(buf, '{')
	n := 0
	for i := range m.fields {
		f := &m.fields[i]
		start := len(buf)
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, f.name...)
		buf = append(buf, ':')
		if f.col < 0 {
			buf = append(buf, f.constant...)
			n++
			continue
		}
		at := len(buf)
		buf = src.AppendValue(buf, f.col)
		switch {
		case isNull(buf[at:]):
			if m.omitNulls {
				buf = buf[:start]
				continue
			}
		case f.hash != "":
			buf = m.appendHash(buf[:at], buf[at:], f)
		}
		n++
	}
	return append(buf, '}')
}

// appendHash appends, as a JSON string, the hex SHA-256 of a value's text normalized by f. The
// text of a value is what the record would carry: a string's characters (unquoted, unescaped),
// else its JSON as sent: 42, 3.50, true, a timestamp's string as the README's encoding writes it,
// nested JSON as its text. v may alias buf's spare capacity.
func (m *mapper) appendHash(buf, v []byte, f *field) []byte {
	text := v
	if len(v) >= 2 && v[0] == '"' {
		if bytes.IndexByte(v, '\\') < 0 {
			text = v[1 : len(v)-1]
		} else {
			var s string
			_ = json.Unmarshal(v, &s) // the warehouse encodes valid JSON strings
			text = []byte(s)
		}
	}
	return m.appendHashText(buf, text, f)
}

// appendHashText appends, as a JSON string, the hex SHA-256 of text normalized by f. text may
// alias buf's spare capacity.
func (m *mapper) appendHashText(buf, text []byte, f *field) []byte {
	m.scratch = normalize(append(m.scratch[:0], text...), f.normalize)
	sum := sha256.Sum256(m.scratch)
	buf = append(buf, '"')
	buf = hex.AppendEncode(buf, sum[:])
	return append(buf, '"')
}

// normalize applies steps (controlplane.Normalizations) to b in order.
func normalize(b []byte, steps []string) []byte {
	for _, s := range steps {
		switch s {
		case controlplane.NormalizeTrim:
			b = bytes.TrimSpace(b)
		case controlplane.NormalizeLowercase:
			b = bytes.ToLower(b)
		case controlplane.NormalizeRemoveSpace:
			b = bytes.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, b)
		case controlplane.NormalizeDigitsOnly:
			b = bytes.Map(func(r rune) rune {
				if r < '0' || r > '9' {
					return -1
				}
				return r
			}, b)
		}
	}
	return b
}

// appendMetadata adds the metadata fields to obj (a record built by appendRecord or
// appendDeleted, ending in '}'), for a record of kind.
func (m *mapper) appendMetadata(obj []byte, kind int) []byte {
	if len(m.metas) == 0 {
		return obj
	}
	obj = obj[:len(obj)-1]
	for _, f := range m.metas {
		if obj[len(obj)-1] != '{' {
			obj = append(obj, ',')
		}
		obj = append(obj, f.name...)
		obj = append(obj, ':')
		switch f.metadata {
		case controlplane.MetadataSyncRunID:
			if m.run.id == 0 {
				obj = append(obj, "null"...)
			} else {
				obj = strconv.AppendInt(obj, m.run.id, 10)
			}
		case controlplane.MetadataSyncRunAt:
			obj = append(obj, m.run.at...)
		case controlplane.MetadataSyncID:
			obj = strconv.AppendInt(obj, m.run.syncID, 10)
		case controlplane.MetadataOperation:
			obj = append(obj, '"')
			obj = append(obj, kindNames[kind]...)
			obj = append(obj, '"')
		}
	}
	return append(obj, '}')
}

// numericType reports whether a column of type typ (as a warehouse's describe names it:
// Postgres's "int8" or "numeric", MySQL's "unsigned bigint" or "decimal", DuckDB's "hugeint" or
// "decimal(18,3)") is sent as a JSON number, so that a deleted key goes out as the number its
// upserts carried. (A value that is not a JSON number, such as a float's NaN, stays a string, as
// it is sent.)
func numericType(typ string) bool {
	t := strings.ToLower(strings.TrimSpace(typ))
	if t == "tinyint(1)" { // MySQL's BOOL: sent as true or false
		return false
	}
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(t, "unsigned "), " unsigned"))
	switch t {
	case "int", "int1", "int2", "int4", "int8", "integer", "tinyint", "smallint", "mediumint", "bigint",
		"hugeint", "utinyint", "usmallint", "uinteger", "ubigint", "uhugeint",
		"numeric", "decimal", "real", "float", "float4", "float8", "double", "double precision", "year":
		return true
	}
	return false
}

// appendDeleted appends the object a `deleted` operation carries: the key under its mapped name.
// The ledger keeps only the key's text, so its JSON is rebuilt from that: as the warehouse's
// driver says for the types whose JSON is not their text (keyJSON: a timestamp with a time zone,
// a boolean, a binary value), a number when the key column is a number type (and the text is a
// valid JSON number), else a string. A key whose mapping hashes it is sent hashed: the digest of
// its canonical text, which for text and integer keys is the text its records' digest was made of.
func (m *mapper) appendDeleted(buf []byte, key []byte) []byte {
	buf = append(buf, '{')
	buf = append(buf, m.keyName...)
	buf = append(buf, ':')
	switch {
	case m.keyField != nil:
		buf = m.appendHashText(buf, key, m.keyField)
	case m.keyJSON != nil:
		buf = m.keyJSON(buf, key)
	default:
		b, _ := json.Marshal(string(key))
		buf = append(buf, b...)
	}
	return append(buf, '}')
}
