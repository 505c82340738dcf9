package runner

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// SampleRecord is the record the sync y would send for a row of a model with columns cols, each
// column holding a sample value of its type, built by the same mapper a run uses (so whatever the
// mappings add is in it); and the record a `deleted` request carries for its key. Plan-time
// checks render request templates against them.
func SampleRecord(cols []controlplane.Column, y *controlplane.Sync) (record, deleted []byte, err error) {
	return SampleRecordOf("", cols, y)
}

// SampleRecordOf is SampleRecord for a model of a warehouse of kind (controlplane.KindPostgres,
// KindMySQL, KindDuckDB; "" when unknown), whose values the sample's follow where the type's
// name alone cannot tell: a `timestamp` is sent without a zone by Postgres and DuckDB, and in
// RFC 3339 by MySQL (its TIMESTAMP is in UTC).
func SampleRecordOf(kind string, cols []controlplane.Column, y *controlplane.Sync) (record, deleted []byte, err error) {
	return sampleRecordWithKey(kind, cols, y, nil)
}

// sampleRecordWithKey is SampleRecordOf with the key column's value key (JSON) when it is set.
func sampleRecordWithKey(kind string, cols []controlplane.Column, y *controlplane.Sync, key []byte) (record, deleted []byte, err error) {
	m, err := newMapper(cols, y.Mappings, y.PrimaryKey)
	if err != nil {
		return nil, nil, err
	}
	src := &sampleSource{cols: cols}
	for _, c := range cols {
		v := sampleValue(kind, c)
		if c.Name == y.PrimaryKey {
			if key != nil {
				v = key
			}
			src.key = v
		}
		src.values = append(src.values, v)
	}
	// Metadata fields as a run fills them, so that templates may name them.
	m.run = runMeta{id: 1, at: []byte(sampleInstant), syncID: max(y.ID, 1)}
	record = m.appendMetadata(m.appendRecord(nil, src), kindNew)
	// A run's delete names the key as its upserts did (a driver's KeyJSON): here, the sample value.
	m.keyJSON = func(dst, _ []byte) []byte { return append(dst, src.key...) }
	return record, m.appendMetadata(m.appendDeleted(nil, nil), kindDeleted), nil
}

// A sample record's times as JSON (webhook.SampleTime): a timestamp with a zone, one without,
// a date.
var (
	sampleInstant = strconv.Quote(webhook.SampleTime.Format(time.RFC3339))
	sampleLocal   = strconv.Quote(webhook.SampleTime.Format(time.DateTime))
	sampleDay     = strconv.Quote(webhook.SampleTime.Format(time.DateOnly))
)

// sampleValue is a JSON value of column c's type, as a warehouse of kind ("" when unknown) would
// encode one.
func sampleValue(kind string, c controlplane.Column) []byte {
	t := strings.ToLower(c.Type)
	switch {
	case strings.HasPrefix(t, "_") || strings.HasSuffix(t, "]"):
		// Postgres's arrays (_int4, text[]), DuckDB's LIST (INTEGER[]) and ARRAY (INTEGER[3]).
		elem := strings.TrimPrefix(t, "_")
		if i := strings.LastIndexByte(elem, '['); i >= 0 {
			elem = elem[:i]
		}
		if shapeUnknown(elem) {
			return []byte("[" + webhook.SampleObject + "]")
		}
		return []byte(`["sample"]`)
	case shapeUnknown(t):
		return []byte(webhook.SampleObject)
	case strings.Contains(t, "bool") || t == "bit" || t == "tinyint(1)": // MySQL's BOOL is TINYINT(1), sent as a boolean
		return []byte("true")
	case strings.Contains(t, "interval") || strings.Contains(t, "range") || strings.Contains(t, "point"):
		// Named with "int" but not integers: a run sends them as text ("1 year 2 mons ...").
	case strings.Contains(t, "int"):
		return []byte("42")
	case t == "year": // MySQL's YEAR: a number
		return []byte(strconv.Itoa(webhook.SampleTime.Year()))
	case t == "datetime": // MySQL's DATETIME, without a zone, as Postgres's timestamp
		return []byte(sampleLocal)
	case strings.Contains(t, "numeric") || strings.Contains(t, "decimal") || strings.Contains(t, "float") ||
		strings.Contains(t, "double") || t == "real":
		return []byte("12.5")
	case strings.Contains(t, "timestamp") && !strings.Contains(t, "tz") && !strings.Contains(t, "with time zone") &&
		(kind == controlplane.KindPostgres || kind == controlplane.KindDuckDB):
		return []byte(sampleLocal)
	case strings.Contains(t, "timestamp"):
		return []byte(sampleInstant)
	case t == "date":
		return []byte(sampleDay)
	case t == "uuid":
		return []byte(`"123e4567-e89b-12d3-a456-426614174000"`)
	}
	b, _ := json.Marshal(webhook.SampleText(c.Name))
	return b
}

// shapeUnknown reports whether a value of type t (lower case) is JSON whose shape the plan cannot
// know: json, jsonb, and DuckDB's STRUCT and MAP (whose type names hold their fields' types, so
// "struct(a integer)" must not be taken for an integer).
func shapeUnknown(t string) bool {
	return strings.HasPrefix(t, "struct") || strings.HasPrefix(t, "map") || strings.Contains(t, "json")
}

// sampleSource is one row of sample values: a source for the mapper.
type sampleSource struct {
	cols   []controlplane.Column
	values [][]byte
	key    []byte
}

func (s *sampleSource) Columns() []controlplane.Column { return s.cols }
func (s *sampleSource) Next() bool                     { return false }
func (s *sampleSource) Key() ([]byte, bool)            { return s.key, false }
func (s *sampleSource) Err() error                     { return nil }
func (s *sampleSource) AppendValue(buf []byte, col int) []byte {
	return append(buf, s.values[col]...)
}

func (s *sampleSource) AppendObject(buf []byte, cols []int, names [][]byte) []byte {
	buf = append(buf, '{')
	for i, c := range cols {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(append(append(buf, names[i]...), ':'), s.values[c]...)
	}
	return append(buf, '}')
}
