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

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
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
