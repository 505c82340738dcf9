//go:build cgo

package warehouse

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// duckNumberType: the DuckDB types the runner sends a key of as a JSON number when the driver's
// KeyJSON says nothing (runner/mapper.go's numericType).
func duckNumberType(typ string) bool {
	t, _, _ := strings.Cut(typ, "(")
	switch t {
	case "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint", "uinteger", "ubigint",
		"uhugeint", "decimal", "float", "double":
		return true
	}
	return false
}

// duckDeleteJSON is the JSON a mirror's delete carries for a key of col whose text is key, as
// the runner makes it: the driver's KeyJSON, else a number type's digits, else a string.
func duckDeleteJSON(src *DuckDB, col controlplane.Column, key []byte) []byte {
	if f := src.KeyJSON(col); f != nil {
		return f(nil, key)
	}
	if duckNumberType(col.Type) {
		return NumberKeyJSON(nil, key)
	}
	return appendString(nil, key)
}

// TestDuckDBKeyJSONIsTheValue: for a key of every scalar type at its edges, the JSON a mirror's
// delete carries (KeyJSON of the key's text) is the JSON the record's upserts carried (the
// value), byte for byte, and both are strict JSON.
func TestDuckDBKeyJSONIsTheValue(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	for _, e := range []string{
		// A DECIMAL whose width is its scale: DuckDB prints ".5000", "-.5000".
		"0.5::DECIMAL(4,4)", "-0.5::DECIMAL(4,4)", "0::DECIMAL(4,4)", "-0.5::DECIMAL(9,9)", "0.5::DECIMAL(18,18)",
		"-0.00000000000000000000000000000000000001::DECIMAL(38,38)", "0::DECIMAL(38,38)", "0.5::DECIMAL(5,4)",
		"-0.0::DECIMAL(3,2)", "-9999999999999999999999999999999999999.9::DECIMAL(38,1)",
		// A NaN with its sign bit set: DuckDB prints "-nan".
		"-('nan'::DOUBLE)", "-('nan'::FLOAT)", "'nan'::DOUBLE", "'-inf'::FLOAT", "-0.0::DOUBLE", "-0.0::FLOAT",
		"4.9e-324::DOUBLE", "1.7976931348623157e308::DOUBLE", "1e-45::FLOAT", "3.4028235e38::FLOAT", "1e-7::DOUBLE",
		"123456789012345678::DOUBLE",
		"170141183460469231731687303715884105727::HUGEINT", "(-170141183460469231731687303715884105728)::HUGEINT",
		"340282366920938463463374607431768211455::UHUGEINT", "'-123456789012345678901234567890'::BIGNUM",
		"'290309-12-22 (BC)'::DATE", "'5881580-07-10'::DATE", "'-infinity'::DATE",
		"'290309-12-22 (BC) 00:00:00'::TIMESTAMP", "'294247-01-10 04:00:54.775806'::TIMESTAMP",
		"'290309-12-22 (BC) 00:00:00'::TIMESTAMP_S", "'294247-01-10 04:00:54.775'::TIMESTAMP_MS",
		"'2262-04-11 23:47:16.854775806'::TIMESTAMP_NS", "'290309-12-22 (BC) 00:00:00+00'::TIMESTAMPTZ",
		"'294247-01-10 04:00:54.775806+00'::TIMESTAMPTZ", "'-infinity'::TIMESTAMPTZ",
		"'2020-01-01 00:00:00.123456789+00'::TIMESTAMPTZ_NS", "'1677-09-22 00:00:00+00'::TIMESTAMPTZ_NS",
		"'infinity'::TIMESTAMPTZ_NS", "'-infinity'::TIMESTAMPTZ_NS",
		"'00:00:00+15:59:59'::TIMETZ", "'24:00:00-15:59:59'::TIMETZ", "'23:59:59.999999999'::TIME_NS", "TIME '24:00:00'",
		"INTERVAL '-1 year 2 months -3 days 04:05:06'", "to_microseconds(-9223372036854775808)", "to_months(-2147483648)",
		"'00000000-0000-0000-0000-000000000000'::UUID", "'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID",
		"'101010101'::BIT", "''::BLOB", `'\x00\x5C\x27\xFF'::BLOB`, "true", "'a' || chr(0) || 'b'", "chr(8232) || chr(1)",
		`'{"a":1e400, "b": "\ud83d\ude00"}'::JSON`, "'[NaN, 1]'::JSON",
	} {
		rows, err := Read(context.Background(), src, "SELECT "+e+" AS k", "k", nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		col := rows.Columns()[0]
		for rows.Next() {
			val := rows.AppendValue(nil, 0)
			key, null := rows.Key()
			if null {
				t.Errorf("%s: a NULL key", e)
				continue
			}
			del := duckDeleteJSON(src, col, key)
			if !json.Valid(val) || !json.Valid(del) || string(del) != string(val) {
				t.Errorf("%s (%s, text %q): upserts carry %s, a delete %s", e, col.Type, key, val, del)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		rows.Close()
	}
}

// TestDuckDBUnnamedStruct: an unnamed STRUCT (row(1, 'x')), whose fields have no names, is sent
// as an array, as to_json writes it (an object's fields all named "" would be one field to a
// receiver's parser), at any depth; one holding a TIMESTAMPTZ is read as a key and inside a value
// read as to_json's JSON, its text in UTC whatever the session's zone.
func TestDuckDBUnnamedStruct(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: "SET TimeZone = 'Asia/Kathmandu'"})
	for _, c := range []struct{ expr, value, key string }{
		{"row(1, 'x')", `[1,"x"]`, "(1, x)"},
		{"[row(1, NULL), NULL]", `[[1,null],null]`, "[(1, NULL), NULL]"},
		{"{'a': row(2, [row(3)])}", `{"a":[2,[[3]]]}`, "{'a': (2, [(3,)])}"},
		{"MAP {'k': row(true, 1.5)}", `{"k":[true,1.5]}`, "{k=(true, 1.5)}"},
		{"row(TIMESTAMPTZ '2020-01-01 00:00:00+00', 1)", `["2020-01-01T00:00:00Z",1]`, "('2020-01-01 00:00:00+00', 1)"},
		{"[row(TIMESTAMPTZ '2020-01-01 00:00:00+00')]", `[["2020-01-01T00:00:00Z"]]`, "[('2020-01-01 00:00:00+00',)]"},
		// Holding a BIGNUM: its TIMESTAMPTZ as one alone is sent, in UTC.
		{"{'n': '1'::BIGNUM, 'r': row(TIMESTAMPTZ '2020-01-01 00:00:00+00', 2)}", `{"n":1,"r":["2020-01-01T00:00:00Z",2]}`,
			"{'n': 1, 'r': ('2020-01-01 00:00:00+00', 2)}"},
		{"row('1'::BIGNUM, 'x')", `[1,"x"]`, "(1, x)"},
	} {
		rows, err := Read(context.Background(), src, "SELECT "+c.expr+" AS k, "+c.expr+" AS v", "k", nil, nil)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		for rows.Next() {
			key, _ := rows.Key()
			for col := range 2 {
				if v := rows.AppendValue(nil, col); string(v) != c.value || !json.Valid(v) {
					t.Errorf("%s: sent %s, want %s", c.expr, v, c.value)
				}
			}
			if string(key) != c.key {
				t.Errorf("%s: key text %q, want %q", c.expr, key, c.key)
			}
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", c.expr, err)
		}
		rows.Close()
	}
}

// TestDuckDBZonedNanoseconds: a TIMESTAMPTZ_NS is sent as a TIMESTAMPTZ is, RFC 3339 in UTC (with
// its nanoseconds), and its key's text is written in UTC, whatever the session's TimeZone and
// Calendar: neither changes between runs in other zones. Its type is named (a key's delete
// carries the value's JSON by it).
func TestDuckDBZonedNanoseconds(t *testing.T) {
	t.Parallel()
	q := `SELECT * FROM (VALUES ('2020-01-01 00:00:00.123456789+00'::TIMESTAMPTZ_NS, 1),
		('1677-09-22 00:00:00+00'::TIMESTAMPTZ_NS, 2), ('infinity'::TIMESTAMPTZ_NS, 3), (NULL::TIMESTAMPTZ_NS, 4)) AS t(k, id)`
	wantValues := []string{`"1677-09-22T00:00:00Z"`, `"2020-01-01T00:00:00.123456789Z"`, `"infinity"`, "null"}
	wantKeys := []string{"1677-09-22 00:00:00+00", "2020-01-01 00:00:00.123456789+00", "infinity", ""}
	for _, init := range []string{"SET TimeZone = 'UTC'", "SET TimeZone = 'Asia/Kathmandu'",
		"SET TimeZone = 'America/New_York'; SET Calendar = 'japanese'"} {
		src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: init})
		rows, err := Read(context.Background(), src, q, "k", nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", init, err)
		}
		if typ := rows.Columns()[0].Type; typ != "timestamptz_ns" {
			t.Errorf("%s: type %q, want timestamptz_ns", init, typ)
		}
		var values, keys []string
		for rows.Next() {
			key, null := rows.Key()
			v := rows.AppendValue(nil, 0)
			values, keys = append(values, string(v)), append(keys, string(key))
			if del := duckDeleteJSON(src, rows.Columns()[0], key); !null && string(del) != string(v) {
				t.Errorf("%s: upserts carry %s, a delete %s", init, v, del)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if diff := cmp.Diff(wantValues, values); diff != "" {
			t.Errorf("%s: values (-want +got):\n%s", init, diff)
		}
		if diff := cmp.Diff(wantKeys, keys); diff != "" {
			t.Errorf("%s: keys (-want +got):\n%s", init, diff)
		}
	}
}

// TestDuckDBVariant: a VARIANT is sent as the JSON DuckDB's to_json makes of it, and that JSON is
// its key's text, whatever the session's TimeZone: its VARCHAR cast writes a TIMESTAMPTZ in it in
// the session's zone, to_json in UTC. A nested key holding one has its JSON in its text. A
// key's delete carries the value's JSON.
func TestDuckDBVariant(t *testing.T) {
	t.Parallel()
	q := `SELECT * FROM (VALUES (1, 'x'::VARIANT), (2, 1.5::VARIANT), (3, TIMESTAMPTZ '2020-01-01 00:00:00+00'::VARIANT),
		(4, {'a': [TIMESTAMPTZ '2020-01-01 00:00:00+00', NULL]}::VARIANT), (5, 'nan'::DOUBLE::VARIANT), (6, NULL::VARIANT)) AS t(id, v)`
	want := map[string]string{
		"1": `"x"`, "2": `1.5`, "3": `"2020-01-01 00:00:00+00"`, "4": `{"a":["2020-01-01 00:00:00+00",null]}`, "5": `"NaN"`, "6": "null",
	}
	wantKeys := []string{`"2020-01-01 00:00:00+00"`, `"x"`, `1.5`, `NaN`, `{"a":["2020-01-01 00:00:00+00",null]}`, "<null>"}
	wantNested := []string{`["2020-01-01 00:00:00+00"]`, `["x"]`, "[1.5]", "[NULL]", "[NaN]",
		`[{"a":["2020-01-01 00:00:00+00",null]}]`}
	for _, init := range []string{"SET TimeZone = 'UTC'", "SET TimeZone = 'Asia/Kathmandu'"} {
		src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: init})
		objs, keys := readMySQL(t, src, "SELECT v, id FROM ("+q+")", "v")
		for i, o := range objs {
			var row struct {
				V  json.RawMessage
				ID json.Number
			}
			if err := json.Unmarshal([]byte(o), &row); err != nil {
				t.Fatalf("%s: %s: %v", init, o, err)
			}
			if string(row.V) != want[row.ID.String()] {
				t.Errorf("%s: id %s sent %s, want %s", init, row.ID, row.V, want[row.ID.String()])
			}
			if keys[i] != "<null>" {
				if del := duckDeleteJSON(src, controlplane.Column{Name: "v", Type: "variant"}, []byte(keys[i])); string(del) != string(row.V) {
					t.Errorf("%s: upserts carry %s, a delete %s", init, row.V, del)
				}
			}
		}
		if diff := cmp.Diff(wantKeys, keys); diff != "" {
			t.Errorf("%s: keys (-want +got):\n%s", init, diff)
		}
		_, nested := readMySQL(t, src, "SELECT [v] AS l FROM ("+q+")", "l")
		if diff := cmp.Diff(wantNested, nested); diff != "" {
			t.Errorf("%s: nested keys (-want +got):\n%s", init, diff)
		}
	}
}

// TestDuckDBMemoryGrowsWithErrorsAsJSON: init_sql's errors_as_json writes DuckDB's errors as
// JSON ({"exception_type":"Out of Memory", ...}); a read that runs out of Backflow's own
// memory_limit still starts again with more.
func TestDuckDBMemoryGrowsWithErrorsAsJSON(t *testing.T) {
	t.Parallel()
	path, _ := warehousetest.NewDuckDBFile(t, `CREATE TABLE t AS SELECT 'k' || i AS k, repeat('x', 100) || i AS pad
		FROM range(200000) AS r(i)`)
	src := &DuckDB{cfg: &controlplane.DuckDBConfig{Database: path, InitSQL: "SET errors_as_json = true"}, startMB: 4}
	rows, err := Read(context.Background(), src, "select * from t order by pad desc", "k", nil, nil)
	if err != nil {
		t.Fatalf("with errors_as_json: %v", err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil || n != 200000 {
		t.Errorf("with errors_as_json: read %d rows (%v), want 200000", n, err)
	}
	rows.Close()
}

// TestDuckDBTempDirectoryFull: a model that runs out of DuckDB's memory_limit spills to its
// temp_directory; when that is full too (its disk, or max_temp_directory_size) the error says
// so and where it is, not only "set a higher memory_limit". Before, it said: "DuckDB ran out of
// memory: Out of Memory Error: failed to offload data block of size 64.0 KiB (26.9 MiB/27.0 MiB
// used). This limit was set by the 'max_temp_directory_size' setting. ... (the memory_limit
// init_sql sets): set a higher memory_limit in the connection's init_sql", though the disk was
// what had run out (TMPDIR on a 30 MB tmpfs).
func TestDuckDBTempDirectoryFull(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:",
		InitSQL: "SET memory_limit = '20MB'; SET max_temp_directory_size = '1MB'"})
	rows, err := Read(context.Background(), src, "select 'k' || i as k, repeat('x', 100) || i as pad from range(400000) as r(i) order by pad desc", "k", nil, nil)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err == nil {
		t.Fatal("a model larger than memory_limit and max_temp_directory_size together was read")
	}
	for _, want := range []string{"temp_directory", filepath.Join(os.TempDir(), "backflow-duckdb"), "TMPDIR", "memory_limit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
}

// TestDuckDBNaNKeys: a NaN with its sign bit set (DuckDB prints "-nan") is the same key as NaN:
// both are sent as "NaN", and DuckDB takes them for one value, so the two rows are one key
// twice (the runner reports a duplicate) rather than two records the receiver cannot tell apart.
func TestDuckDBNaNKeys(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	for _, typ := range []string{"DOUBLE", "FLOAT"} {
		_, keys := readMySQL(t, src, "SELECT * FROM (VALUES ('nan'::"+typ+", 1), (-('nan'::"+typ+"), 2), (1.5, 3)) AS t(k, v)", "k")
		if diff := cmp.Diff([]string{"1.5", "nan", "nan"}, keys); diff != "" {
			t.Errorf("%s keys (-want +got):\n%s", typ, diff)
		}
	}
}

// TestDuckDBNestedGeometry: a GEOMETRY inside a LIST, STRUCT or MAP is sent as its text (WKT),
// as one alone is, whatever init_sql's json_geometry_format (to_json writes GeoJSON objects with
// 'GEOJSON'); and a key holding one has the same text.
func TestDuckDBNestedGeometry(t *testing.T) {
	t.Parallel()
	q := `SELECT 'POINT(1 2)'::GEOMETRY AS g, ['POINT(1 2)'::GEOMETRY] AS l, {'g': 'LINESTRING(0 0, 1 1)'::GEOMETRY, 'n': '1'::BIGNUM} AS s,
		MAP {'k': 'POINT(3 4)'::GEOMETRY} AS m`
	want := `{"g":"POINT (1 2)","l":["POINT (1 2)"],"s":{"g":"LINESTRING (0 0, 1 1)","n":1},"m":{"k":"POINT (3 4)"}}`
	for _, init := range []string{"", "SET json_geometry_format = 'GEOJSON'"} {
		src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: init})
		objs, _ := readMySQL(t, src, q, "g")
		if len(objs) != 1 || objs[0] != want {
			t.Errorf("init_sql %q: sent %v, want %s", init, objs, want)
		}
		for key, text := range map[string]string{"l": "['POINT (1 2)']", "s": "{'g': 'LINESTRING (0 0, 1 1)', 'n': 1}"} {
			if _, keys := readMySQL(t, src, q, key); len(keys) != 1 || keys[0] != text {
				t.Errorf("init_sql %q: key %s's text %v, want %q", init, key, keys, text)
			}
		}
	}
}

// TestDuckDBNestedRewriteColumnNames: the expressions that write a nested key's TIMESTAMPTZs in
// UTC (and a nested value read as to_json's) name lambda variables e1, e2, ...; a model's columns
// of those names are not read in their place: a MAP's entries were read as e1.key, which bound
// to a column e1 holding a STRUCT with a field key (a wrong key's text, silently) or failed.
func TestDuckDBNestedRewriteColumnNames(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: "SET TimeZone = 'Asia/Kathmandu'"})
	// A column e1 with fields key and value: the MAP key's text was made from them.
	_, keys := readMySQL(t, src, `SELECT {'key': 'zzz', 'value': [TIMESTAMPTZ '1999-01-01 00:00:00+00']} AS e1,
		MAP {'k': [TIMESTAMPTZ '2020-01-01 00:00:00+00']} AS mk`, "mk")
	if want := []string{"{k=['2020-01-01 00:00:00+00']}"}; !slices.Equal(keys, want) {
		t.Errorf("key text %q, want %q", keys, want)
	}
	// A column e1 without them, inside a value read as to_json's (the read failed), or made one
	// the encoder reads (duckReadableNested, whose lambdas name e1, e2 too).
	q := `SELECT 1 AS e1, {'m': MAP {'k': TIMESTAMPTZ '2020-01-01 00:00:00+00'}, 'n': '1'::BIGNUM, 'l': MAP {'k': ['2'::BIGNUM]}} AS sb,
		{'m': MAP {'k': TIMESTAMPTZ '2020-01-01 00:00:00+00'}, 'j': MAP {'3'::BIGNUM: [1]}} AS sj`
	rows, err := Read(context.Background(), src, q, "e1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		if v, want := rows.AppendValue(nil, 1), `{"m":{"k":"2020-01-01T00:00:00Z"},"n":1,"l":{"k":[2]}}`; string(v) != want {
			t.Errorf("sent %s, want %s", v, want)
		}
		if v, want := rows.AppendValue(nil, 2), `{"m":{"k":"2020-01-01 00:00:00+00"},"j":{"3":[1]}}`; string(v) != want {
			t.Errorf("sent %s, want %s", v, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
