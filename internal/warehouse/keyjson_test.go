package warehouse

import (
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

func col(typ string) controlplane.Column { return controlplane.Column{Name: "k", Type: typ} }

// keyJSONCase is a key's text and the JSON a KeyJSON makes of it.
type keyJSONCase struct {
	f         KeyJSON
	key, want string
}

func checkKeyJSON(t *testing.T, cases []keyJSONCase) {
	t.Helper()
	for _, tc := range cases {
		if got := string(tc.f(nil, []byte(tc.key))); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.key, got, tc.want)
		}
	}
}

// The DuckDB rows are in keyjson_duckdb_test.go, a cgo build's.
func TestKeyJSONHelpers(t *testing.T) {
	t.Parallel()
	checkKeyJSON(t, []keyJSONCase{
		{zonedKeyJSON, "2020-01-02 03:04:05+00", `"2020-01-02T03:04:05Z"`},
		{zonedKeyJSON, "2020-01-02 03:04:05.123456+00", `"2020-01-02T03:04:05.123456Z"`},
		{zonedKeyJSON, "2020-01-02 03:04:05+00:00", `"2020-01-02T03:04:05Z"`},
		{zonedKeyJSON, "2020-01-02 03:04:05.500", `"2020-01-02T03:04:05.500Z"`}, // MySQL, a UTC session
		{zonedKeyJSON, "infinity", `"infinity"`},
		{zonedKeyJSON, "2020-01-02 03:04:05+02", `"2020-01-02 03:04:05+02"`}, // not UTC: as is
		{zonedKeyJSON, "0044-03-15 00:00:00+00 BC", `"0044-03-15 00:00:00+00 BC"`},
		{zonedKeyJSON, "12345-01-02 03:04:05+00", `"12345-01-02T03:04:05Z"`}, // its year is the caller's to rewrite
		{(&Postgres{}).KeyJSON(col("timestamptz")), "0044-03-15 00:00:00+00 BC", `"-000043-03-15T00:00:00Z"`},
		{(&Postgres{}).KeyJSON(col("timestamptz")), "12345-01-02 03:04:05.5+00", `"+012345-01-02T03:04:05.5Z"`},
		{(&Postgres{}).KeyJSON(col("timestamptz")), "-infinity", `"-infinity"`},
		{(&Postgres{}).KeyJSON(col("timestamp")), "0001-01-01 00:00:00 BC", `"0000-01-01 00:00:00"`},
		{(&Postgres{}).KeyJSON(col("timestamp")), "2020-01-01 00:00:00", `"2020-01-01 00:00:00"`},
		{(&Postgres{}).KeyJSON(col("date")), "0044-03-15 BC", `"-000043-03-15"`},
		{(&Postgres{}).KeyJSON(col("date")), "294276-01-01", `"+294276-01-01"`},
		{(&Postgres{}).KeyJSON(col("date")), "infinity", `"infinity"`},
		{boolKeyJSON, "true", `true`},
		{boolKeyJSON, "false", `false`},
		{boolKeyJSON, "t", `"t"`},
		{base64KeyJSON, "ab", `"YWI="`},
		{(&Postgres{}).KeyJSON(col("bytea")), `\xff00`, `"/wA="`},
		{(&Postgres{}).KeyJSON(col("bytea")), `abc`, `"abc"`},
		{(&MySQL{}).KeyJSON(col("tinyint(1)")), "0", `false`},
		{(&MySQL{}).KeyJSON(col("tinyint(1)")), "-3", `true`},
		{escapedBlobKeyJSON, `\xfF`, `"/w=="`},
		{escapedBlobKeyJSON, `a\x4`, `"YVx4NA=="`}, // not an escape: as is
		{escapedBlobKeyJSON, `\xZZ`, `"XHhaWg=="`},
		{escapedBlobKeyJSON, ``, `""`},
		{(&Postgres{}).KeyJSON(col("inet")), `10.0.0.1/32`, `"10.0.0.1"`},
		{(&Postgres{}).KeyJSON(col("inet")), `10.0.0.0/24`, `"10.0.0.0/24"`},
		{(&Postgres{}).KeyJSON(col("inet")), `::ffff:10.0.0.1/128`, `"::ffff:10.0.0.1"`},
		{(&Postgres{}).KeyJSON(col("inet")), `::1/32`, `"::1/32"`},
		{(&Postgres{}).KeyJSON(col("jsonb")), `{"a": [1]}`, `{"a": [1]}`},
		{rawKeyJSON, `{"a": `, `"{\"a\": "`},                           // not JSON: a string
		{(&MySQL{}).KeyJSON(col("bit")), "513", `513`},                 // a BIT key's text is its number (mysql.go)
		{(&MySQL{}).KeyJSON(col("bit")), "\x02\x01", `"\u0002\u0001"`}, // an earlier version's text, its bytes: not digits
		{(&Postgres{}).KeyJSON(col("_int4")), `{1,NULL,-3}`, `[1,null,-3]`},
		{(&Postgres{}).KeyJSON(col("_int4")), `{}`, `[]`},
		{(&Postgres{}).KeyJSON(col("_int4")), `{{1},{2}}`, `[[1],[2]]`},
		{(&Postgres{}).KeyJSON(col("_int4")), `[0:1]={1,2}`, `[1,2]`}, // explicit bounds: left out, as upserts leave them
		{(&Postgres{}).KeyJSON(col("_int4")), `{1,2`, `"{1,2"`},       // not an array's text
		{(&Postgres{}).KeyJSON(col("_int4")), `{1,2}x`, `"{1,2}x"`},
		{(&Postgres{}).KeyJSON(col("_text")), `{"a\"b\\",NULL,"NULL",x}`, `["a\"b\\",null,"NULL","x"]`},
		{(&Postgres{}).KeyJSON(col("_text")), `{"unterminated}`, `"{\"unterminated}"`},
		{(&Postgres{}).KeyJSON(col("_bool")), `{t,f}`, `[true,false]`},
		{(&Postgres{}).KeyJSON(col("float8")), "1e+20", `100000000000000000000`},
		{(&Postgres{}).KeyJSON(col("float8")), "1e-07", `1e-7`},
		{(&Postgres{}).KeyJSON(col("float8")), "-0", `-0`},
		{(&Postgres{}).KeyJSON(col("float8")), "NaN", `"NaN"`},
		{(&Postgres{}).KeyJSON(col("float4")), "1e+20", `100000000000000000000`},
		{(&Postgres{}).KeyJSON(col("float4")), "3.4028235e+38", `3.4028235e+38`},
		{floatKeyJSON(64), "x", `"x"`},
		// MySQL's key text is its value's text: the key is sent as the column's codec sends it.
		{(&MySQL{}).KeyJSON(col("float")), "1e20", `100000000000000000000`},
		{(&MySQL{}).KeyJSON(col("double")), "0.0000001", `1e-7`},
		{(&MySQL{}).KeyJSON(col("double")), "-2.25e300", `-2.25e+300`},
		{(&MySQL{}).KeyJSON(col("unsigned double")), "1e20", `100000000000000000000`},
		{(&MySQL{}).KeyJSON(col("set")), "x,z", `["x","z"]`},
		{(&MySQL{}).KeyJSON(col("year")), "0000", `0`},
		{(&MySQL{}).KeyJSON(col("timestamp")), "0000-00-00 00:00:00", `"0000-00-00 00:00:00"`},
		{(&MySQL{}).KeyJSON(col("longblob")), "ab", `"YWI="`},
	})
}
