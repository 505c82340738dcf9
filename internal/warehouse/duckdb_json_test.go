//go:build cgo

package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
)

// TestDuckDBStrictJSON: text DuckDB hands over as JSON (the JSON type, to_json's of a nested
// type read as text) is sent as strict JSON: NaN and infinities in place of values as the
// strings a DOUBLE's are, anything else that is not strict (trailing commas) as a string of the
// text, valid text as it is, byte for byte. Read through the driver, each value on its own.
func TestDuckDBStrictJSON(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	for _, c := range []struct{ expr, want string }{
		// Valid text, as it is.
		{`'["NaN is a word", 1]'::JSON`, `["NaN is a word", 1]`},
		{`' {"a" : [1, 2.5e10, true, null, "Infinity"]} '::JSON`, ` {"a" : [1, 2.5e10, true, null, "Infinity"]} `},
		{`'{"a":1}'::JSON`, `{"a":1}`},
		{`NULL::JSON`, `null`},
		// NaN and infinities, as strings.
		{`'[NaN, Infinity]'::JSON`, `["NaN", "Infinity"]`},
		{`['[-Infinity]'::JSON]`, `[["-Infinity"]]`},
		{`json_object('x', 'NaN'::DOUBLE)`, `{"x":"NaN"}`},
		{`to_json('NaN'::DOUBLE)`, `"NaN"`},
		{`'-Infinity'::JSON`, `"-Infinity"`},
		{`'["NaN is a word", NaN]'::JSON`, `["NaN is a word", "NaN"]`},
		{`'{"Infinity": -Infinity, "s": "-Infinity \" NaN [1,]"}'::JSON`, `{"Infinity": "-Infinity", "s": "-Infinity \" NaN [1,]"}`},
		{`'{"a":[{"b":[[{"c":NaN}, -inf]]}], "d": {"e": {"f": [Infinity]}}}'::JSON`,
			`{"a":[{"b":[[{"c":"NaN"}, "-Infinity"]]}], "d": {"e": {"f": ["Infinity"]}}}`},
		{`'[nan, inf, -inf, -NaN, INFINITY, Inf, nAn]'::JSON`, `["NaN", "Infinity", "-Infinity", "NaN", "Infinity", "Infinity", "NaN"]`},
		{`MAP {'a': 'NaN'::FLOAT}::JSON`, `{"a":"NaN"}`},
		{`'{"a":NaN}'::JSON -> 'a'`, `"NaN"`},
		// to_json's of a type the encoder reads as text (TIMETZ, a UNION).
		{`{'x': 'NaN'::DOUBLE, 't': '12:00:00+02'::TIMETZ}`, `{"x":"NaN","t":"12:00:00+02"}`},
		{`union_value(d := 'Infinity'::DOUBLE)::UNION(d DOUBLE, s VARCHAR)`, `{"d":"Infinity"}`},
		{`[{'x': '-Infinity'::DOUBLE, 'y': '1'::BIGNUM}]`, `[{"x":"-Infinity","y":1}]`},
		{`{'a': ['-inf'::DOUBLE], 'b': '01:02:03+00'::TIMETZ}`, `{"a":["-Infinity"],"b":"01:02:03+00"}`},
		// Not strict for another reason: the text as a string.
		{`'[1,]'::JSON`, `"[1,]"`},
		{`'{"a":1,}'::JSON`, `"{\"a\":1,}"`},
		{`'[NaN, 1,]'::JSON`, `"[NaN, 1,]"`},
		// A LIST of JSON: each element on its own.
		{`['[NaN]'::JSON, '{"a": 1}'::JSON, '[1,]'::JSON, '"NaN"'::JSON, NULL]`, `[["NaN"],{"a": 1},"[1,]","NaN",null]`},
		// TIME as DuckDB prints it, the end of the day too.
		{`TIME '24:00:00'`, `"24:00:00"`},
		{`[TIME '24:00:00', TIME '00:00:00', TIME '23:59:59.999999', TIME '12:00:00.5', TIME '00:00:00.000001']`,
			`["24:00:00","00:00:00","23:59:59.999999","12:00:00.5","00:00:00.000001"]`},
	} {
		objs, _ := readMySQL(t, src, "select 1 as id, "+c.expr+" as v", "id")
		if len(objs) != 1 {
			t.Fatalf("%s: %d rows", c.expr, len(objs))
		}
		if !json.Valid([]byte(objs[0])) {
			t.Errorf("%s: sent %s, not JSON", c.expr, objs[0])
			continue
		}
		got, okPrefix := strings.CutPrefix(objs[0], `{"id":1,"v":`)
		got, okSuffix := strings.CutSuffix(got, "}")
		if !okPrefix || !okSuffix || got != c.want {
			t.Errorf("%s: sent %s, want %s", c.expr, got, c.want)
		}
	}
}

// TestDuckDBTimeText: a TIME is sent as the text DuckDB prints for it, for random times and the
// ends of the day.
func TestDuckDBTimeText(t *testing.T) {
	t.Parallel()
	us := []int64{0, 1, 999999, 1000000, 86399999999, 86400000000, 43200500000}
	for range 200 {
		us = append(us, rand.Int64N(86400000001))
	}
	sel := make([]string, len(us))
	for i, u := range us {
		sel[i] = fmt.Sprintf("SELECT %d AS id, TIME '%02d:%02d:%02d.%06d' AS t", i, u/3600000000, u/60000000%60, u/1000000%60, u%1000000)
	}
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	objs, _ := readMySQL(t, src, "select id, t, CAST(t AS VARCHAR) AS text from ("+strings.Join(sel, " UNION ALL ")+")", "id")
	for _, o := range objs {
		m := decode(t, []byte(o)).(map[string]any)
		if m["t"] != m["text"] {
			t.Errorf("TIME %q sent as %q", m["text"], m["t"])
		}
	}
	if len(objs) != len(us) {
		t.Errorf("read %d times, want %d", len(objs), len(us))
	}
}

// TestDuckDBStrictJSONKeys: a JSON or TIME key's delete carries the JSON its upserts did (as
// TestDuckDBZonedKeys checks a TIMESTAMPTZ's), the JSON made strict as the value is.
func TestDuckDBStrictJSONKeys(t *testing.T) {
	t.Parallel()
	for typ, values := range map[string][]string{
		"JSON": {`[NaN, Infinity]`, `[1,]`, `{"a":1,}`, `{"x": -inf, "s": "NaN \""}`, `["NaN is a word", 1]`, ` {"b": 1,  "a": [2]}`, `3`},
		"TIME": {"24:00:00", "00:00:00", "12:00:00.5", "23:59:59.999999"},
	} {
		sel := make([]string, len(values))
		for i, v := range values {
			sel[i] = "SELECT " + strconv.Itoa(i) + " AS i, " + typ + " '" + strings.ReplaceAll(v, "'", "''") + "' AS k"
		}
		src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
		rows, err := Read(context.Background(), src, strings.Join(sel, " UNION ALL "), "k", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		col := rows.Columns()[1]
		keyJSON := src.KeyJSON(col)
		if keyJSON == nil {
			keyJSON = appendString // the runner's choice for a type whose JSON is a string of its text
		}
		n := 0
		for rows.Next() {
			n++
			k, _ := rows.Key()
			value := rows.AppendValue(nil, 1)
			if !json.Valid(value) {
				t.Errorf("%s key %q: value %s is not JSON", typ, k, value)
			}
			if got := keyJSON(nil, k); string(got) != string(value) {
				t.Errorf("%s key %q's JSON %s, its value's %s", typ, k, got, value)
			}
		}
		if err := rows.Err(); err != nil || n != len(values) {
			t.Errorf("%s: %d rows, %v", typ, n, err)
		}
		rows.Close()
	}
}

// TestAppendStrictJSON: the rewrite alone, on text DuckDB does not make too: a token only where
// a value stands, strings left as they are (escapes too), and text whose other faults the
// rewrite does not mend as a string.
func TestAppendStrictJSON(t *testing.T) {
	for in, want := range map[string]string{
		`[1, "a"]`:                        `[1, "a"]`,
		`NaN`:                             `"NaN"`,
		`-Infinity`:                       `"-Infinity"`,
		`-nan`:                            `"NaN"`,
		`[NaN,-INF,{"k":inf}]`:            `["NaN","-Infinity",{"k":"Infinity"}]`,
		`["a\"NaN", NaN, "\\", Inf]`:      `["a\"NaN", "NaN", "\\", "Infinity"]`,
		`{"NaN": NaN, "x\\": [-Inf]}`:     `{"NaN": "NaN", "x\\": ["-Infinity"]}`,
		"[\n\tNaN\r\n]":                   "[\n\t\"NaN\"\r\n]",
		`{NaN: 1}`:                        `"{NaN: 1}"`,
		`{"a": 1, NaN: 1}`:                `"{\"a\": 1, NaN: 1}"`,
		`[1 NaN]`:                         `"[1 NaN]"`,
		`[1NaN]`:                          `"[1NaN]"`,
		`[NaNa]`:                          `"[NaNa]"`,
		`[Infinit]`:                       `"[Infinit]"`,
		`[+Infinity]`:                     `"[+Infinity]"`,
		`[- Infinity]`:                    `"[- Infinity]"`,
		`[NaN`:                            `"[NaN"`,
		`["NaN`:                           `"[\"NaN"`,
		`["\`:                             `"[\"\\"`,
		`[1e5, -1.5E-3, NaN]`:             `[1e5, -1.5E-3, "NaN"]`,
		`[true, false, null, NaN]`:        `[true, false, null, "NaN"]`,
		`[True]`:                          `"[True]"`,
		`[1,]`:                            `"[1,]"`,
		`[NaN,]`:                          `"[NaN,]"`,
		`NaN NaN`:                         `"NaN NaN"`,
		``:                                `""`,
		`"\u00e9 NaN" `:                   `"\u00e9 NaN" `,
		`[["NaN", NaN], {"": -Infinity}]`: `[["NaN", "NaN"], {"": "-Infinity"}]`,
	} {
		got := appendStrictJSON([]byte("x"), []byte(in))
		if string(got) != "x"+want {
			t.Errorf("%q: %s, want %s", in, got[1:], want)
		}
		if !json.Valid(got[1:]) {
			t.Errorf("%q: %s is not JSON", in, got[1:])
		}
	}
}

// FuzzAppendStrictJSON: whatever the text, what is sent is JSON, and valid JSON is sent as it is.
func FuzzAppendStrictJSON(f *testing.F) {
	for _, s := range []string{`[NaN, Infinity]`, `{"a":-inf,}`, `["NaN", nan]`, `{"k": [1, 2.5e3, "\"", null]}`, `[1,]`, `"\\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := appendStrictJSON(nil, []byte(in))
		if !json.Valid(got) {
			t.Errorf("%q: %s is not JSON", in, got)
		}
		if json.Valid([]byte(in)) && string(got) != in {
			t.Errorf("%q, valid, sent as %s", in, got)
		}
	})
}

// TestDuckDBNestedOtherTypes: a UNION, and a LIST, STRUCT or MAP holding a TIMETZ, a BIT or a
// TIME_NS, is sent by the rules every other value follows, not as DuckDB's to_json writes it:
// a FLOAT its shortest digits (to_json: 0.10000000149011612), a BLOB base64 (to_json: "\\xFF"),
// a TIMESTAMPTZ RFC 3339 in UTC whatever the session's zone (to_json: "2020-01-01
// 09:00:00+09"), a date BC in ISO 8601's years (to_json: "0044-03-15 (BC)"). TIMETZ, BIT and
// TIME_NS themselves are the text DuckDB prints, as on their own.
func TestDuckDBNestedOtherTypes(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: "SET TimeZone = 'Asia/Tokyo'"})
	for _, c := range []struct{ expr, want string }{
		{`{'f': 0.1::FLOAT, 't': '12:00:00+02'::TIMETZ}`, `{"f":0.1,"t":"12:00:00+02"}`},
		{`{'b': '\xff'::BLOB, 'bits': '101'::BIT}`, `{"b":"/w==","bits":"101"}`},
		{`[{'tz': TIMESTAMPTZ '2020-01-01 00:00:00+00', 'd': DATE '0044-03-15 (BC)', 't': '12:00:00+00'::TIMETZ}]`,
			`[{"tz":"2020-01-01T00:00:00Z","d":"-000043-03-15","t":"12:00:00+00"}]`},
		{`union_value(b := '\xff'::BLOB)::UNION(b BLOB, i INT)`, `{"b":"/w=="}`},
		{`union_value(tz := TIMESTAMPTZ '2020-01-01 00:00:00.5+00')::UNION(i INT, tz TIMESTAMPTZ)`, `{"tz":"2020-01-01T00:00:00.5Z"}`},
		{`union_value(i := NULL::INT)::UNION(i INT, s VARCHAR)`, `{"i":null}`},
		{`[NULL::UNION(i INT, s VARCHAR), union_value(s := 'x')]`, `[null,{"s":"x"}]`},
		{`MAP {'k': '1'::BIT, 'l': NULL}`, `{"k":"1","l":null}`},
		{`MAP {'00:00:01+01'::TIMETZ: 1.5::DECIMAL(3,1)}`, `[{"key":"00:00:01+01","value":1.5}]`},
		{`['12:00:00.123456789'::TIME_NS, NULL]`, `["12:00:00.123456789",null]`},
		{`{'x': 'NaN'::DOUBLE, 't': '12:00:00+02'::TIMETZ}`, `{"x":"NaN","t":"12:00:00+02"}`},
		{`{'t': '24:00:00-15:59:59'::TIMETZ, 'u': '01:02:03.000001+00:00:01'::TIMETZ, 'v': '12:00:00.5-05:30'::TIMETZ}`,
			`{"t":"24:00:00-15:59:59","u":"01:02:03.000001+00:00:01","v":"12:00:00.5-05:30"}`},
		{`['0'::BIT, '111111111'::BIT, '0000000100000001'::BIT]`, `["0","111111111","0000000100000001"]`},
	} {
		objs, _ := readMySQL(t, src, "select 1 as id, "+c.expr+" as v", "id")
		if len(objs) != 1 {
			t.Fatalf("%s: %d rows", c.expr, len(objs))
		}
		got, okPrefix := strings.CutPrefix(objs[0], `{"id":1,"v":`)
		got, okSuffix := strings.CutSuffix(got, "}")
		if !okPrefix || !okSuffix || got != c.want || !json.Valid([]byte(objs[0])) {
			t.Errorf("%s: sent %s, want %s", c.expr, got, c.want)
		}
	}
}

// TestDuckDBOtherTypesText: a TIMETZ, a TIME_NS and a BIT, read from the vector, are the text
// DuckDB prints for them, for random values and the ends of their ranges.
func TestDuckDBOtherTypesText(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 12))
	values := map[string][]string{}
	clock := func(us int64) string {
		return fmt.Sprintf("%02d:%02d:%02d.%06d", us/3600e6, us/60e6%60, us/1e6%60, us%1e6)
	}
	for _, off := range []int64{0, 1, -1, 3600, -3600, 19800, -19800, 57599, -57599, 60, -45} {
		for _, us := range []int64{0, 86400e6, 43200500000, 1} {
			values["TIMETZ"] = append(values["TIMETZ"], clock(us)+offset(off))
		}
	}
	for range 300 {
		values["TIMETZ"] = append(values["TIMETZ"], clock(r.Int64N(86400e6+1))+offset(r.Int64N(2*57599+1)-57599))
		ns := r.Int64N(86400e9 + 1)
		if r.IntN(3) == 0 {
			ns -= ns % 1000
		}
		values["TIME_NS"] = append(values["TIME_NS"], fmt.Sprintf("%02d:%02d:%02d.%09d", ns/3600e9, ns/60e9%60, ns/1e9%60, ns%1e9))
		bits := make([]byte, 1+r.IntN(70))
		for i := range bits {
			bits[i] = byte('0' + r.IntN(2))
		}
		values["BIT"] = append(values["BIT"], string(bits))
	}
	values["TIME_NS"] = append(values["TIME_NS"], "00:00:00", "24:00:00", "00:00:00.000000001")
	values["BIT"] = append(values["BIT"], "0", "1", "00000000", "100000000")
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	for typ, vs := range values {
		sel := make([]string, len(vs))
		for i, v := range vs {
			sel[i] = fmt.Sprintf("SELECT %d AS id, %s '%s' AS v", i, typ, v)
		}
		objs, _ := readMySQL(t, src, "select id, v, CAST(v AS VARCHAR) AS text, [v] AS list from ("+strings.Join(sel, " UNION ALL ")+")", "id")
		for _, o := range objs {
			m := decode(t, []byte(o)).(map[string]any)
			if m["v"] != m["text"] || !cmp.Equal(m["list"], []any{m["text"]}) {
				t.Errorf("%s %q sent as %q, in a LIST as %v", typ, m["text"], m["v"], m["list"])
			}
		}
		if len(objs) != len(vs) {
			t.Errorf("%s: read %d values, want %d", typ, len(objs), len(vs))
		}
	}
}

// offset is a TIMETZ's offset of off seconds east of UTC, as SQL writes it: "+05:30:00".
func offset(off int64) string {
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%s%02d:%02d:%02d", sign, off/3600, off/60%60, off%60)
}

// TestDuckDBNestedZonedJSON: a TIMESTAMPTZ in a nested value holding a BIGNUM, at any depth (in a
// STRUCT, LIST, ARRAY, MAP key or value), is sent in UTC whatever TimeZone init_sql sets: as
// RFC 3339, as one alone is (TestDuckDBNestedBesideUnreadable); and in one the encoder cannot
// read from vectors (a MAP keyed on a BIGNUM), sent as the JSON to_json makes of it, as the
// text a UTC session writes: to_json writes the session's ("2020-01-02 08:49:05.5+05:45" in
// Asia/Kathmandu), so changing the zone sent every such record again.
func TestDuckDBNestedZonedJSON(t *testing.T) {
	t.Parallel()
	cases := []struct{ expr, want string }{
		{`{'at': TIMESTAMPTZ '2020-01-02 03:04:05.5+00', 'n': '1'::BIGNUM}`, `{"at":"2020-01-02T03:04:05.5Z","n":1}`},
		{`[{'at': TIMESTAMPTZ '0044-03-15 (BC) 12:00:00+00', 'n': '1'::BIGNUM}, NULL]`,
			`[{"at":"-000043-03-15T12:00:00Z","n":1},null]`},
		{`MAP {TIMESTAMPTZ '2020-01-02 03:04:05.5+00': '1'::BIGNUM}`, `[{"key":"2020-01-02T03:04:05.5Z","value":1}]`},
		{`{'a''b "c': [TIMESTAMPTZ 'infinity', NULL, TIMESTAMPTZ '-infinity'], 'n': '2'::BIGNUM,
			'm': MAP {'k': {'t': TIMESTAMPTZ '12345-01-02 03:04:05.5+00', 'n': '3'::BIGNUM}}}`,
			`{"a'b \"c":["infinity",null,"-infinity"],"n":2,"m":{"k":{"t":"+012345-01-02T03:04:05.5Z","n":3}}}`},
		{`{'x': [[TIMESTAMPTZ '1969-12-31 23:59:59.999999+00', NULL]::TIMESTAMPTZ[2]], 'n': '1'::BIGNUM}`,
			`{"x":[["1969-12-31T23:59:59.999999Z",null]],"n":1}`},
		{`NULL::STRUCT(ts TIMESTAMPTZ, n BIGNUM)`, `null`},
		{`{'at': NULL::TIMESTAMPTZ, 's': NULL::STRUCT(ts TIMESTAMPTZ), 'n': '1'::BIGNUM}`, `{"at":null,"s":null,"n":1}`},
		{`[]::STRUCT(ts TIMESTAMPTZ, n BIGNUM)[]`, `[]`},
		// Read as to_json's JSON.
		{`MAP {'1'::BIGNUM: [TIMESTAMPTZ '2020-01-02 03:04:05.5+00', NULL]}`, `{"1":["2020-01-02 03:04:05.5+00",null]}`},
		{`{'m': MAP {'1'::BIGNUM: {'t': TIMESTAMPTZ '0044-03-15 (BC) 12:00:00+00'}}}`, `{"m":{"1":{"t":"0044-03-15 (BC) 12:00:00+00"}}}`},
	}
	for _, init := range []string{"SET TimeZone = 'UTC'", "SET TimeZone = 'Asia/Kathmandu'", "SET TimeZone = 'America/St_Johns'"} {
		src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: init})
		for _, c := range cases {
			objs, _ := readMySQL(t, src, "select 1 as id, "+c.expr+" as v", "id")
			if len(objs) != 1 {
				t.Fatalf("%s: %d rows", c.expr, len(objs))
			}
			got, okPrefix := strings.CutPrefix(objs[0], `{"id":1,"v":`)
			got, okSuffix := strings.CutSuffix(got, "}")
			if !okPrefix || !okSuffix || got != c.want || !json.Valid([]byte(objs[0])) {
				t.Errorf("init_sql %s: %s: sent %s, want %s", init, c.expr, got, c.want)
			}
		}
	}
}

// TestDuckDBNestedBesideUnreadable: a LIST, STRUCT or MAP holding a value the encoder cannot
// read from vectors (a BIGNUM, VARIANT or GEOMETRY) sends every other value in it by the type
// table's rules, as that value alone or in another nested value is sent, whatever the session's
// zone; the BIGNUM, VARIANT or GEOMETRY as it is sent alone. Such a value was read whole as
// to_json's JSON: a BLOB beside it was "\xFF" (not base64), a FLOAT 0.10000000149011612, a
// TIMESTAMPTZ "2020-01-01 00:00:00+00", a date BC "0044-03-15 (BC)", a MAP of INTEGER keys an
// object, a JSON value rewritten ("2.50" became "2.5"). Where it cannot be read so (a MAP keyed
// on a BIGNUM, a UNION holding one) it is still to_json's JSON.
func TestDuckDBNestedBesideUnreadable(t *testing.T) {
	t.Parallel()
	beside := `'b': '\xff'::BLOB, 'r': 0.1::FLOAT, 'tz': TIMESTAMPTZ '2020-01-01 00:00:00+00', 'm': MAP {1: 2},
		'dbc': '0044-03-15 (BC)'::DATE, 'j': '[2.50]'::JSON`
	sent := `"b":"/w==","r":0.1,"tz":"2020-01-01T00:00:00Z","m":[{"key":1,"value":2}],"dbc":"-000043-03-15","j":[2.50]`
	cases := []struct{ expr, want string }{
		{`{` + beside + `}`, `{` + sent + `}`}, // nothing unreadable: the rules this test holds the others to
		{`{'n': '-12345678901234567890123456789'::BIGNUM, ` + beside + `}`, `{"n":-12345678901234567890123456789,` + sent + `}`},
		{`{'v': {'a': [1, 2]}::VARIANT, ` + beside + `}`, `{"v":{"a":[1,2]},` + sent + `}`},
		{`{'g': 'POINT(1 2)'::GEOMETRY, ` + beside + `}`, `{"g":"POINT (1 2)",` + sent + `}`},
		{`[{'n': [NULL, '1'::BIGNUM]::BIGNUM[2], ` + beside + `}, NULL]`, `[{"n":[null,1],` + sent + `},null]`},
		{`row('1'::BIGNUM, '\xff'::BLOB)`, `[1,"/w=="]`},
		{`MAP {'k': {'n': '1'::BIGNUM, 'b': '\xff'::BLOB}}`, `{"k":{"n":1,"b":"/w=="}}`},
		{`MAP {1: ['x'::VARIANT]}`, `[{"key":1,"value":["x"]}]`},
		{`NULL::STRUCT(n BIGNUM, b BLOB)`, `null`},
		// Not readable so: to_json's.
		{`MAP {'1'::BIGNUM: '\xff'::BLOB}`, `{"1":"\\xFF"}`},
		{`[union_value(n := '1'::BIGNUM)]`, `[{"n":1}]`},
	}
	for _, init := range []string{"SET TimeZone = 'UTC'", "SET TimeZone = 'Asia/Kathmandu'"} {
		src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: init})
		for _, c := range cases {
			objs, _ := readMySQL(t, src, "select 1 as id, "+c.expr+" as v", "id")
			if len(objs) != 1 {
				t.Fatalf("%s: %d rows", c.expr, len(objs))
			}
			got, okPrefix := strings.CutPrefix(objs[0], `{"id":1,"v":`)
			got, okSuffix := strings.CutSuffix(got, "}")
			if !okPrefix || !okSuffix || got != c.want || !json.Valid([]byte(objs[0])) {
				t.Errorf("init_sql %s: %s:\n sent %s\n want %s", init, c.expr, got, c.want)
			}
		}
	}
}

// TestDuckDBDeepJSON: JSON text nested deeper than encoding/json reads in a body (10,000 levels
// less the 3 of the envelope and record around a value, jsondepth.Value) is sent as a string of
// itself, as other text a strict parser refuses is; at jsondepth.Value levels and below it is
// sent as it is, its NaN as the string too. Before, text nested 10,001 levels deep was sent
// as it was, which encoding/json refuses, and text 12 million levels deep crashed the runner
// (and the provider's plan) with a stack overflow in the check of it, which no recover catches.
func TestDuckDBDeepJSON(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	deep := func(n int, inner string) string {
		return strings.Repeat("[", n) + inner + strings.Repeat("]", n)
	}
	for _, c := range []struct {
		depth  int
		inner  string
		string bool // sent as a string of the text
		want   string
	}{
		{depth: jsondepth.Value, want: deep(jsondepth.Value, "")},
		{depth: jsondepth.Value - 1, inner: "NaN", want: deep(jsondepth.Value-1, `"NaN"`)},
		{depth: jsondepth.Value + 1, string: true},
		{depth: jsondepth.Value + 1, inner: "NaN", string: true},
		{depth: jsondepth.Max, string: true},
	} {
		text := deep(c.depth, c.inner)
		objs, _ := readMySQL(t, src, fmt.Sprintf("select 1 as id, (repeat('[', %d) || '%s' || repeat(']', %d))::JSON as v", c.depth, c.inner, c.depth), "id")
		if len(objs) != 1 {
			t.Fatalf("depth %d: %d rows", c.depth, len(objs))
		}
		got := strings.TrimSuffix(strings.TrimPrefix(objs[0], `{"id":1,"v":`), "}")
		if !json.Valid([]byte(got)) {
			t.Errorf("depth %d %s: sent %.80s..., which encoding/json cannot read", c.depth, c.inner, got)
			continue
		}
		if c.string {
			var s string
			if err := json.Unmarshal([]byte(got), &s); err != nil || s != text {
				t.Errorf("depth %d %s: sent %.80s..., not a string of the text", c.depth, c.inner, got)
			}
		} else if got != c.want {
			t.Errorf("depth %d %s: sent %.80s..., want %.80s...", c.depth, c.inner, got, c.want)
		}
	}
	// 12 million levels, which DuckDB takes too, straight to the encoders of DuckDB's and
	// MySQL's JSON (a read of it through DuckDB takes half a minute).
	text := []byte(deep(12_000_000, ""))
	for name, f := range map[string]func(b, v []byte) []byte{"appendStrictJSON": appendStrictJSON, "appendJSONOrString": appendJSONOrString} {
		var s string
		if err := json.Unmarshal(f(nil, text), &s); err != nil || s != string(text) {
			t.Errorf("%s: 12 million levels not sent as a string of the text (%v)", name, err)
		}
	}
}
