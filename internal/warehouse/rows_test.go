package warehouse

import (
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"

	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	neturl "net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
)

// newWarehouse creates a warehouse database whose sessions run in a non-UTC time zone (so
// timestamptz output proves it is converted), runs setup in it, and returns its URL.
func newWarehouse(t testing.TB, setup ...string) string {
	t.Helper()
	url := controlplanetest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	setup = append([]string{"ALTER DATABASE " + db + " SET timezone TO 'America/New_York'"}, setup...)
	for _, s := range setup {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return url
}

// decode parses JSON as a receiver would, keeping numbers exact.
func decode(t *testing.T, b []byte) any {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

type num = json.Number

func TestEncodeTypes(t *testing.T) {
	url := newWarehouse(t,
		"CREATE EXTENSION citext",
		"CREATE EXTENSION hstore",
		"CREATE TYPE mood AS ENUM ('sad', 'happy')",
		"CREATE DOMAIN posint AS int4 CHECK (VALUE > 0)",
		"CREATE DOMAIN email AS text",
		"CREATE DOMAIN ints AS int8[]",
		"CREATE DOMAIN arrd AS int[]",
		"CREATE DOMAIN tarr AS text[]",
		"CREATE DOMAIN arrd2 AS arrd[]",
		"CREATE DOMAIN nums AS numeric[]",
		"CREATE DOMAIN boxes AS box[]",
		"CREATE DOMAIN moods AS mood[]",
		"CREATE DOMAIN jd AS jsonb",
		"CREATE DOMAIN jd2 AS jd",
		"CREATE DOMAIN js AS json",
		"CREATE DOMAIN jds AS jd[]",
	)
	tests := []struct {
		expr string
		want any
		raw  string // when set, the exact bytes expected
	}{
		{expr: "1::int2", want: num("1")},
		{expr: "(-32768)::int2", want: num("-32768")},
		{expr: "(-2147483648)::int4", want: num("-2147483648")},
		{expr: "9223372036854775807::int8", want: num("9223372036854775807")},
		{expr: "'12345678901234567890.123456789'::numeric", want: num("12345678901234567890.123456789")},
		{expr: "'1.50'::numeric", raw: "1.50"},
		{expr: "'-0.000001'::numeric", raw: "-0.000001"},
		{expr: "'NaN'::numeric", want: "NaN"},
		{expr: "'Infinity'::numeric", want: "Infinity"},
		{expr: "'-Infinity'::numeric", want: "-Infinity"},
		{expr: "0.1::float8", raw: "0.1"},
		{expr: "1e6::float8", raw: "1000000"},
		{expr: "1e300::float8", raw: "1e+300"},
		{expr: "1.5e-7::float8", raw: "1.5e-7"},
		{expr: "'-0'::float8", raw: "-0"},
		{expr: "1.1::float4", raw: "1.1"},
		{expr: "'NaN'::float8", want: "NaN"},
		{expr: "'Infinity'::float8", want: "Infinity"},
		{expr: "'-Infinity'::float8", want: "-Infinity"},
		{expr: "'NaN'::float4", want: "NaN"},
		{expr: "'-Infinity'::float4", want: "-Infinity"},
		{expr: `E'a"b\\c\nd\te\x01é€😀'::text`, want: "a\"b\\c\nd\te\x01é€😀"},
		{expr: `'a plain ascii string longer than sixteen bytes'::text`, raw: `"a plain ascii string longer than sixteen bytes"`},
		{expr: `'</script>&'::text`, raw: `"</script>&"`},
		{expr: "'héllo'::varchar(10)", want: "héllo"},
		{expr: "'ab'::char(4)", want: "ab  "},
		{expr: "'pg'::name", want: "pg"},
		{expr: "'MiXeD'::citext", want: "MiXeD"},
		{expr: "'happy'::mood", want: "happy"},
		{expr: "7::posint", want: num("7")},
		{expr: "'a@b.c'::email", want: "a@b.c"},
		{expr: "true", want: true},
		{expr: "false", want: false},
		{expr: "'2019-12-08'::date", raw: `"2019-12-08"`},
		{expr: "'infinity'::date", want: "infinity"},
		{expr: "'-infinity'::date", want: "-infinity"},
		{expr: "'0044-03-15 BC'::date", want: "-000043-03-15"}, // ISO 8601 years: encode.go's appendYear
		{expr: "'1999-12-31'::date", want: "1999-12-31"},
		{expr: "'2000-02-29'::date", want: "2000-02-29"},
		{expr: "'2019-12-08 14:19:52'::timestamp", raw: `"2019-12-08 14:19:52"`},
		{expr: "'2019-12-08 14:19:52.123456'::timestamp", want: "2019-12-08 14:19:52.123456"},
		{expr: "'2019-12-08 14:19:52.1'::timestamp", want: "2019-12-08 14:19:52.1"},
		{expr: "'1969-07-20 20:17:40.000001'::timestamp", want: "1969-07-20 20:17:40.000001"},
		{expr: "'infinity'::timestamp", want: "infinity"},
		{expr: "'-infinity'::timestamptz", want: "-infinity"},
		{expr: "'2019-12-08 09:19:52-05'::timestamptz", raw: `"2019-12-08T14:19:52Z"`},
		// No offset: read in the session's zone (New York), still written in UTC.
		{expr: "'2019-07-08 10:19:52.5'::timestamptz", want: "2019-07-08T14:19:52.5Z"},
		{expr: "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", want: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{expr: `'{"a": [1, 2.5, "x"], "b": null, "n": 12345678901234567890}'::json`,
			want: map[string]any{"a": []any{num("1"), num("2.5"), "x"}, "b": nil, "n": num("12345678901234567890")}},
		{expr: `'{"z": {"y": [true, {"x": "é"}]}, "a": 1}'::jsonb`,
			want: map[string]any{"z": map[string]any{"y": []any{true, map[string]any{"x": "é"}}}, "a": num("1")}},
		{expr: `'"just a string"'::jsonb`, want: "just a string"},
		{expr: `'\xdeadbeef'::bytea`, raw: `"3q2+7w=="`},
		{expr: `''::bytea`, raw: `""`},
		{expr: "NULL::int4", want: nil},
		{expr: "NULL::text", want: nil},
		{expr: "NULL::int4[]", want: nil},
		{expr: "'{1,NULL,3}'::int4[]", want: []any{num("1"), nil, num("3")}},
		{expr: "'{{1,2},{3,4},{5,NULL}}'::int8[]", want: []any{[]any{num("1"), num("2")}, []any{num("3"), num("4")}, []any{num("5"), nil}}},
		{expr: "'[0:1]={7,8}'::int2[]", want: []any{num("7"), num("8")}},
		{expr: "'{}'::int4[]", raw: "[]"},
		{expr: `'{"a b",NULL,"c\"d","NULL",é}'::text[]`, want: []any{"a b", nil, `c"d`, "NULL", "é"}},
		{expr: `'{x,y}'::varchar[]`, want: []any{"x", "y"}},
		{expr: `'{1.50,NaN,-0.001,12345678901234567890.123456789,0,Infinity}'::numeric[]`,
			raw: `[1.50,"NaN",-0.001,12345678901234567890.123456789,0,"Infinity"]`},
		{expr: `'{0.5,NaN,-Infinity,NULL}'::float8[]`, want: []any{num("0.5"), "NaN", "-Infinity", nil}},
		{expr: `'{0.25}'::float4[]`, want: []any{num("0.25")}},
		{expr: `ARRAY[true,false,NULL]`, want: []any{true, false, nil}},
		{expr: `ARRAY['2019-12-08'::date, 'infinity']`, want: []any{"2019-12-08", "infinity"}},
		{expr: `ARRAY['2019-12-08 14:19:52.25'::timestamp]`, want: []any{"2019-12-08 14:19:52.25"}},
		{expr: `ARRAY['2019-12-08 09:19:52-05'::timestamptz]`, want: []any{"2019-12-08T14:19:52Z"}},
		{expr: `ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid]`, want: []any{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}},
		{expr: `ARRAY['{"a":[1,{"b":null}]}'::jsonb, NULL]`, want: []any{map[string]any{"a": []any{num("1"), map[string]any{"b": nil}}}, nil}},
		{expr: `ARRAY['{"a": 1}'::json]`, want: []any{map[string]any{"a": num("1")}}},
		{expr: `ARRAY['\xdeadbeef'::bytea, NULL]`, want: []any{"3q2+7w==", nil}},
		{expr: `ARRAY['sad'::mood, NULL, 'happy']`, want: []any{"sad", nil, "happy"}},
		{expr: `ARRAY['A'::citext, 'b c']`, want: []any{"A", "b c"}},
		{expr: `ARRAY[1, 2]::posint[]`, want: []any{num("1"), num("2")}},
		{expr: `'{1,2}'::ints`, want: []any{num("1"), num("2")}},
		{expr: `'{{"(1,1)","(2,2)"}}'::point[]`, want: []any{[]any{"(1,1)", "(2,2)"}}},
		{expr: `ARRAY['(1,1),(0,0)'::box, '(3,3),(2,2)']`, want: []any{"(1,1),(0,0)", "(3,3),(2,2)"}},
		// Arrays of a domain over an array type: each element is an array of its own, sent by
		// Postgres as a whole binary array (or quoted text) in the element's place.
		{expr: `'{"{1,2}","{3}",NULL}'::arrd[]`, raw: `[[1,2],[3],null]`},
		{expr: `'{"{}","{{1,2},{3,4}}"}'::arrd[]`, raw: `[[],[[1,2],[3,4]]]`},
		{expr: `'{{"{1}","{2,NULL}"},{NULL,"[0:0]={5}"}}'::arrd[]`, raw: `[[[1],[2,null]],[null,[5]]]`},
		{expr: `ARRAY['{a,"b c"}'::tarr]`, raw: `[["a","b c"]]`},
		{expr: `'{"{\"x\\\"y\",NULL}","{}"}'::tarr[]`, raw: `[["x\"y",null],[]]`},
		{expr: `ARRAY[ARRAY['{1}'::arrd, '{2,3}']::arrd2, NULL::arrd2]`, raw: `[[[1],[2,3]],null]`},
		{expr: `ARRAY['{1.50,NaN}'::nums]`, raw: `[[1.50,"NaN"]]`},
		{expr: `ARRAY['{(1,1),(0,0);(3,3),(2,2)}'::boxes, NULL::boxes]`, raw: `[["(1,1),(0,0)","(3,3),(2,2)"],null]`},
		{expr: `ARRAY['{sad,NULL}'::moods, '{happy}'::moods]`, raw: `[["sad",null],["happy"]]`},
		{expr: `'{"{\"a b\",c}"}'::tarr[]`, raw: `[["a b","c"]]`},
		// json and jsonb elements, directly or through domains, are nested JSON.
		{expr: `ARRAY['{"a": 1}']::jd[]`, raw: `[{"a": 1}]`},
		{expr: `ARRAY['[1, "x"]'::jd2, NULL::jd2]`, raw: `[[1, "x"],null]`},
		{expr: `ARRAY['{"b":  2}'::js]`, raw: `[{"b":  2}]`},
		{expr: `'{{"{\"a\": 1}","2"}}'::jd[]`, raw: `[[{"a": 1},2]]`},
		{expr: `ARRAY[ARRAY['{"a": 1}'::jd, 'null']::jds]`, raw: `[[{"a": 1},null]]`},
		{expr: `'{"a": 1}'::jd`, raw: `{"a": 1}`},
		{expr: `'[1,5)'::int4range`, want: "[1,5)"},
		{expr: `'1 day 02:00:00'::interval`, want: "1 day 02:00:00"},
		{expr: `'14:19:52'::time`, want: "14:19:52"},
		{expr: `'a=>1'::hstore`, want: `"a"=>"1"`},
		{expr: `ROW(1, 'a')`, want: "(1,a)"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			rows, err := Open(ctx, &controlplane.PostgresConfig{URL: url}, "SELECT 1 AS k, "+tt.expr+" AS v", "k", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			if !rows.Next() {
				t.Fatalf("no row: %v", rows.Err())
			}
			got := rows.AppendValue(nil, 1)
			if tt.raw != "" && string(got) != tt.raw {
				t.Errorf("got %s, want %s", got, tt.raw)
			}
			v := decode(t, got)
			if tt.raw == "" || tt.want != nil {
				if diff := cmp.Diff(tt.want, v); diff != "" {
					t.Errorf("%s: (-want +got)\n%s", got, diff)
				}
			}
			if rows.Next() {
				t.Fatal("more than one row")
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Binary numerics (inside arrays) are printed by hand: they must match Postgres's own text.
func TestNumericBinaryMatchesText(t *testing.T) {
	url := newWarehouse(t)
	values := []string{"0", "0.0", "0.000", "1", "-1", "10000", "9999.9999", "0.00001234", "1e-20", "-0.5",
		"100000000", "1.000", "2.5e10", "123456789012345678901234567890.000000000000000000001",
		"0.1", "12.34", "1234.5678", "12345.678901", "99999999", "0.0001", "0.00010", "1e100", "-1e-100"}
	var exprs []string
	for _, v := range values {
		exprs = append(exprs, "'"+v+"'::numeric")
	}
	q := fmt.Sprintf("SELECT 1 AS k, ARRAY[%s] AS a, ARRAY[%s]::text[] AS t", strings.Join(exprs, ","), strings.Join(exprs, ","))
	rows, err := Open(context.Background(), &controlplane.PostgresConfig{URL: url}, q, "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatal(rows.Err())
	}
	var got []json.Number
	d := json.NewDecoder(bytes.NewReader(rows.AppendValue(nil, 1)))
	d.UseNumber()
	if err := d.Decode(&got); err != nil {
		t.Fatal(err)
	}
	var want []string
	if err := json.Unmarshal(rows.AppendValue(nil, 2), &want); err != nil {
		t.Fatal(err)
	}
	gotS := make([]string, len(got))
	for i, n := range got {
		gotS[i] = string(n)
	}
	if diff := cmp.Diff(want, gotS); diff != "" {
		t.Errorf("(-postgres +ours)\n%s", diff)
	}
}

func TestAppendObject(t *testing.T) {
	url := newWarehouse(t)
	rows, err := Open(context.Background(), &controlplane.PostgresConfig{URL: url},
		`SELECT 'a@b.c' AS "Email", 42 AS n, NULL::text AS missing, '{"x":1}'::jsonb AS j;`, "Email", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	wantCols := []string{"Email:text", "n:int4", "missing:text", "j:jsonb"}
	var gotCols []string
	for _, c := range rows.Columns() {
		gotCols = append(gotCols, c.Name+":"+c.Type)
	}
	if diff := cmp.Diff(wantCols, gotCols); diff != "" {
		t.Errorf("columns (-want +got)\n%s", diff)
	}
	if !rows.Next() {
		t.Fatal(rows.Err())
	}
	got := rows.AppendObject([]byte("prefix"), []int{0, 1, 2, 3}, [][]byte{[]byte(`"email"`), []byte(`"n"`), []byte(`"m"`), []byte(`"j"`)})
	want := `prefix{"email":"a@b.c","n":42,"m":null,"j":{"x": 1}}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	key, isNull := rows.Key()
	if string(key) != "a@b.c" || isNull {
		t.Errorf("key %q null=%v", key, isNull)
	}
}

func readKeys(t *testing.T, url, query, key string) []string {
	t.Helper()
	rows, err := Read(context.Background(), NewPostgres(&controlplane.PostgresConfig{URL: url}), query, key, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		k, isNull := rows.Key()
		if isNull {
			keys = append(keys, "<NULL>")
			continue
		}
		keys = append(keys, string(k))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestOrderByKeyText(t *testing.T) {
	url := newWarehouse(t,
		"CREATE TABLE ints (id int, v text)",
		"INSERT INTO ints SELECT g, 'v' FROM generate_series(1, 12) g",
		"INSERT INTO ints VALUES (NULL, 'null key')",
		"CREATE TABLE texts (\"Key\" text COLLATE \"en-x-icu\")",
		"INSERT INTO texts VALUES ('b'), ('B'), (NULL), ('a'), ('A'), ('é'), ('_'), ('Z'), ('aa')",
	)
	got := readKeys(t, url, "SELECT * FROM ints ORDER BY id DESC", "id")
	want := []string{"1", "10", "11", "12", "2", "3", "4", "5", "6", "7", "8", "9", "<NULL>"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("int keys (-want +got)\n%s", diff)
	}
	got = readKeys(t, url, "SELECT * FROM texts", "Key")
	want = []string{"A", "B", "Z", "_", "a", "aa", "b", "é", "<NULL>"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("text keys (-want +got)\n%s", diff)
	}
	got = readKeys(t, url, `SELECT "Key"::varchar(5) AS k, 1 AS n FROM texts`, "k")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("varchar keys (-want +got)\n%s", diff)
	}
	// bpchar's text form drops the padding: it goes through the text helper column.
	got = readKeys(t, url, `SELECT "Key"::char(3) AS k FROM texts`, "k")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("char keys (-want +got)\n%s", diff)
	}
	got = readKeys(t, url, `SELECT k::uuid FROM (VALUES ('B0000000-0000-0000-0000-000000000000'), ('a0000000-0000-0000-0000-000000000000'), ('10000000-0000-0000-0000-000000000000')) v(k)`, "k")
	want = []string{"10000000-0000-0000-0000-000000000000", "a0000000-0000-0000-0000-000000000000", "b0000000-0000-0000-0000-000000000000"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("uuid keys (-want +got)\n%s", diff)
	}
}

func TestOpenErrors(t *testing.T) {
	url := newWarehouse(t, "CREATE TABLE users (id int, email text)")
	ctx := context.Background()
	_, err := Open(ctx, &controlplane.PostgresConfig{URL: url}, "SELECT email FROM users", "id", nil)
	if err == nil || !strings.Contains(err.Error(), `lost its key column: its result has no column "id"`) {
		t.Errorf("missing key column: got %v", err)
	}
	_, err = Open(ctx, &controlplane.PostgresConfig{URL: url}, "SELEC id FROM users", "id", nil)
	if err == nil || !strings.Contains(err.Error(), `syntax error at or near "SELEC"`) {
		t.Errorf("bad SQL: got %v", err)
	}
	_, err = Open(ctx, &controlplane.PostgresConfig{URL: url}, "SELECT id FROM nope", "id", nil)
	if err == nil || !strings.Contains(err.Error(), `relation "nope" does not exist`) {
		t.Errorf("missing table: got %v", err)
	}
	_, err = Open(ctx, &controlplane.PostgresConfig{URL: "postgres://postgres:hunter2@127.0.0.1:1/x?sslmode=disable"}, "SELECT 1", "k", nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("unreachable warehouse: got %v", err)
	}

	// An error while rows stream ends the iteration with the warehouse's message.
	rows, err := Open(ctx, &controlplane.PostgresConfig{URL: url}, "SELECT g AS k, 1 / (g - 5000) AS v FROM generate_series(1, 10000) g", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
	}
	if err := rows.Err(); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("error mid-stream: got %v", err)
	}
}

func TestCloseEarly(t *testing.T) {
	url := newWarehouse(t)
	rows, err := Open(context.Background(), &controlplane.PostgresConfig{URL: url}, "SELECT g AS k, repeat('x', 100) AS v FROM generate_series(1, 200000) g -- trailing comment", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10 && rows.Next(); i++ {
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
}

// Reading a large result must not hold it in memory (the reader; the sort by key that follows
// it holds its buffers, extsort_test.go).
func TestStreamingMemory(t *testing.T) {
	url := newWarehouse(t)
	const n = 200000
	// About 60 MB of JSON in total; a collected result would blow the bound below.
	rows, err := Open(context.Background(), &controlplane.PostgresConfig{URL: url},
		fmt.Sprintf("SELECT md5(g::text) || '@example.com' AS k, repeat(md5(g::text), 8) AS v, g AS n, now() AS t FROM generate_series(1, %d) g", n), "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	var buf []byte
	count := 0
	for rows.Next() {
		buf = rows.AppendObject(buf[:0], []int{0, 1, 2, 3}, [][]byte{[]byte(`"k"`), []byte(`"v"`), []byte(`"n"`), []byte(`"t"`)})
		count++
		if count%10000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("read %d rows, want %d", count, n)
	}
	const bound = 16 << 20
	if peak > base+bound {
		t.Errorf("heap in use grew from %d to %d bytes while streaming; want under %d more", base, peak, bound)
	}
}

func TestCancelWhileStreaming(t *testing.T) {
	url := newWarehouse(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rows, err := Open(ctx, &controlplane.PostgresConfig{URL: url}, "SELECT g AS k FROM generate_series(1, 1000000) g", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if n++; n == 100 {
			cancel()
		}
	}
	if err := rows.Err(); err == nil {
		t.Errorf("read %d rows after the context was canceled and got no error", n)
	}
	if n == 1000000 {
		t.Error("the cancel did not stop the stream")
	}
}

// TestPostgresZonedKeyJSON: a timestamptz key's text (its ::text, which Postgres writes in the
// session's time zone, the database's default unless the URL sets another) names, in a
// mirror's delete, the JSON its upserts carried: RFC 3339 in UTC, whatever that zone; in an
// array too. Zones with a half-hour offset and New York's local mean time before 1883 (an
// offset with seconds, -04:56:02) included.
func TestPostgresZonedKeyJSON(t *testing.T) {
	values := []string{"2020-01-02 03:04:05.5+00", "2020-07-01 00:00:00+00", "2019-12-31 23:30:00+00",
		"1850-06-01 12:00:00.000001+00", "1969-12-31 23:59:59.999999+00", "0044-03-15 02:00:00+00 BC",
		"0001-01-01 00:00:00+00", "12345-01-01 00:00:00+00", "294276-12-31 23:59:59.999999+00", "infinity", "-infinity"}
	for _, zone := range []string{"America/New_York", "Asia/Kolkata", "Pacific/Kiritimati", "UTC"} {
		t.Run(zone, func(t *testing.T) {
			url := newWarehouse(t, fmt.Sprintf(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %%I SET timezone TO %%L', current_database(), '%s'); END $$`, zone))
			src := NewPostgres(&controlplane.PostgresConfig{URL: url})
			var rowsSQL []string
			for _, v := range values {
				rowsSQL = append(rowsSQL, fmt.Sprintf("('%s'::timestamptz)", v))
			}
			for _, q := range []string{
				"SELECT k FROM (VALUES " + strings.Join(rowsSQL, ", ") + ") AS v(k)",
				"SELECT ARRAY[k, NULL] AS k FROM (VALUES " + strings.Join(rowsSQL, ", ") + ") AS v(k)",
			} {
				cols, err := src.Describe(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				keyJSON := src.KeyJSON(cols[0])
				rows, err := Open(context.Background(), &controlplane.PostgresConfig{URL: url}, q, "k", nil)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for rows.Next() {
					n++
					key, _ := rows.Key()
					upsert := string(rows.AppendValue(nil, 0))
					if del := string(keyJSON(nil, key)); del != upsert {
						t.Errorf("%s key %q: a delete names it %s, its upserts %s", cols[0].Type, key, del, upsert)
					}
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				rows.Close()
				if n != len(values) {
					t.Fatalf("read %d rows, want %d", n, len(values))
				}
			}
		})
	}
}

// TestPostgresKeyTextIsPostgresText: the key text the runner writes for the types whose ::text
// follows the session's TimeZone or IntervalStyle (a timestamptz, an interval, a tstzrange or
// tstzmultirange, arrays of them: pgtext.go) is, byte for byte, Postgres's ::text of the value in
// a session with the default settings (UTC, ISO, postgres) — the text ledgers hold — and stays
// so in a session with other ones; the record's JSON does not change either.
func TestPostgresKeyTextIsPostgresText(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var zoned, intervals []string
	for range 300 {
		// Instants from 4713 BC to 294276 AD, microseconds included.
		us := rng.Int64N(int64(290000*365.25*86400)) - int64(4700*365.25*86400)
		zoned = append(zoned, fmt.Sprintf("to_timestamp(0) + %d * interval '1 second' + %d * interval '1 microsecond'", us/1000, rng.Int64N(1000000)))
		intervals = append(intervals, fmt.Sprintf("make_interval(months => %d, days => %d) + %d * interval '1 microsecond'",
			rng.Int64N(2000)-1000, rng.Int64N(2000)-1000, rng.Int64N(1<<50)-1<<49))
	}
	for _, s := range []string{"'infinity'", "'-infinity'", "'0044-03-15 12:00:00.5+00 BC'", "'0001-01-01 00:00:00+00'",
		"'12345-06-07 08:09:10.000001+00'", "'1969-12-31 23:59:59.999999+00'"} {
		zoned = append(zoned, s+"::timestamptz")
	}
	for _, s := range []string{"'0'", "'1 mon'", "'-1 mon'", "'1 year -1 mon'", "'-1 days +02:03:04'", "'1 day -00:00:00.000001'",
		"'-1 years -2 mons +3 days -04:05:06.000001'", "'178000000 years'", "'-2147483648 days'", "'2562047788:00:54.775807'",
		"'-2562047788:00:54.775807'", "'100 hours'"} {
		intervals = append(intervals, s+"::interval")
	}
	var rows []string
	for i := range zoned {
		z, iv := zoned[i], intervals[i%len(intervals)]
		rows = append(rows, fmt.Sprintf("(%d, %s, %s)", i, z, iv))
	}
	for i := len(zoned); i < len(intervals); i++ {
		rows = append(rows, fmt.Sprintf("(%d, %s, %s)", i, zoned[0], intervals[i]))
	}
	table := "CREATE TABLE v AS SELECT id, z, iv, ARRAY[z, NULL, z] AS za, ARRAY[[iv], [NULL::interval]] AS iva, " +
		"CASE WHEN id % 3 = 0 THEN 'empty'::tstzrange WHEN z < '2000-01-01' THEN tstzrange(z, NULL, '(]') ELSE tstzrange('1999-01-01', z, '[)') END AS r, " +
		"CASE WHEN id % 3 = 0 THEN '{}'::tstzmultirange ELSE tstzmultirange(tstzrange(NULL, '0044-03-15 BC'), tstzrange(z, NULL)) END AS mr, " +
		"'[3:4]={1 day,NULL}'::interval[] AS ivb FROM (VALUES " + strings.Join(rows, ", ") + ") AS t(id, z, iv)"
	url := newWarehouse(t, table)
	cols := []string{"z", "iv", "za", "iva", "r", "mr", "ivb"}
	read := func(url, col string) (keys, values, texts map[string]string) { return readKeyValueText(t, url, col) }
	with := func(param, value string) string { return withURLParam(t, url, param, value) }
	other := with("options", "-c TimeZone=Asia/Kathmandu -c IntervalStyle=sql_standard -c DateStyle=SQL,DMY")
	for _, col := range cols {
		keys, values, texts := read(with("TimeZone", "UTC"), col)
		if len(keys) != len(rows) {
			t.Fatalf("%s: read %d rows, want %d", col, len(keys), len(rows))
		}
		for id, k := range keys {
			if k != texts[id] {
				t.Errorf("%s id %s: key %q, Postgres's ::text in UTC %q", col, id, k, texts[id])
			}
		}
		otherKeys, otherValues, _ := read(other, col)
		for id := range keys {
			if otherKeys[id] != keys[id] {
				t.Errorf("%s id %s: key %q in a session in Asia/Kathmandu, sql_standard, SQL; %q in UTC", col, id, otherKeys[id], keys[id])
			}
			if otherValues[id] != values[id] {
				t.Errorf("%s id %s: value %s in a session in Asia/Kathmandu, sql_standard, SQL; %s in UTC", col, id, otherValues[id], values[id])
			}
		}
	}
}

// TestPostgresZonedCompositeText: the types the runner reads as their text that hold a
// timestamptz or an interval inside (pgzoned.go) — a composite with such a field at any depth,
// through domains and arrays, an array of such composites, a range type of the model's own over
// timestamptz or interval — are read, key and value, as Postgres prints them in a session in UTC
// with IntervalStyle postgres, in a session with other settings too; their other fields' texts
// (quotes, backslashes, commas, blanks, empty strings, NULLs, "NULL") are kept as printed.
func TestPostgresZonedCompositeText(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	texts := []string{"", "NULL", `a"b`, `a\b`, "(x)", "a,b", " lead", "tab\t", "é🙂", "{}", "[1,2]", `""`}
	lit := func(s string) string {
		return "E'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
	}
	var rows []string
	for i := range 200 {
		us := rng.Int64N(int64(290000*365.25*86400)) - int64(4700*365.25*86400)
		tz := fmt.Sprintf("(to_timestamp(0) + %d * interval '1 second' + %d * interval '1 microsecond')", us/1000, rng.Int64N(1000000))
		iv := fmt.Sprintf("(make_interval(months => %d, days => %d) + %d * interval '1 microsecond')",
			rng.Int64N(2000)-1000, rng.Int64N(2000)-1000, rng.Int64N(1<<40)-1<<39)
		txt := lit(texts[i%len(texts)])
		if i%7 == 3 {
			txt, tz = "NULL", "NULL::timestamptz"
		}
		inner := fmt.Sprintf("ROW(%s, %s)::inner_t", tz, txt)
		c := fmt.Sprintf("ROW(%d, %s, %s, %s, %s, ARRAY[%s, NULL], tstzrange(%s, NULL), '\\x00ff'::bytea, ARRAY[%s, NULL, ROW(NULL, NULL)::inner_t], '2020-01-02 03:04:05'::timestamp)::outer_t",
			i, txt, iv, tz, inner, tz, tz, inner)
		if i%11 == 5 {
			c = "NULL::outer_t"
		}
		r := fmt.Sprintf("tzr(least(%s, '2000-01-01'), '2000-01-02', '[)')", tz)
		ri := fmt.Sprintf("ivr(%s, NULL)", iv)
		if i%5 == 0 {
			r, ri = "'empty'::tzr", "'(,)'::ivr"
		}
		rows = append(rows, fmt.Sprintf("(%d, %s, %s, %s, ROW(%d, %s)::plain_t)", i, c, r, ri, i, txt))
	}
	url := newWarehouse(t,
		`CREATE TYPE inner_t AS (at timestamptz, "odd, name" text)`,
		`CREATE DOMAIN tz_d AS timestamptz`,
		`CREATE TYPE outer_t AS (n int, s text, iv interval, tz tz_d, inn inner_t, tza timestamptz[], r tstzrange, b bytea, inns inner_t[], ts timestamp)`,
		`CREATE DOMAIN outer_d AS outer_t`,
		`CREATE TYPE tzr AS RANGE (subtype = timestamptz)`,
		`CREATE TYPE ivr AS RANGE (subtype = interval)`,
		`CREATE TYPE plain_t AS (n int, s text)`,
		"CREATE TABLE v AS SELECT id, c, c::outer_d AS d, ARRAY[c, NULL, c] AS ca, array_fill(NULL::outer_t, ARRAY[1], ARRAY[0]) || c AS cb, r, ri, "+
			"tzr_multirange(r) AS mr, p FROM (VALUES "+strings.Join(rows, ", ")+") AS t(id, c, r, ri, p)")
	other := withURLParam(t, url, "options", "-c TimeZone=Pacific/Chatham -c IntervalStyle=iso_8601 -c DateStyle=SQL,DMY")
	// Anonymous records: their fields' types are known from each value only (here built-in
	// types, and anonymous records of them).
	from := "(SELECT *, ROW(id, (c).tz::timestamptz, (c).iv, (c).s, ROW((c).tza, (p).s, (c).r)) AS anon, " +
		"ARRAY[ROW((c).tz::timestamptz, (c).s), NULL] AS anona FROM v) AS v"
	for _, col := range []string{"c", "d", "ca", "cb", "r", "ri", "mr", "p", "anon", "anona"} {
		keys, values, texts := readKeyValueText(t, withURLParam(t, url, "TimeZone", "UTC"), col, from)
		if len(keys) != len(rows) {
			t.Fatalf("%s: read %d rows, want %d", col, len(keys), len(rows))
		}
		for id, k := range keys {
			if k != texts[id] {
				t.Errorf("%s id %s: key %q, Postgres's ::text in UTC %q", col, id, k, texts[id])
			}
		}
		otherKeys, otherValues, _ := readKeyValueText(t, other, col, from)
		for id := range keys {
			if otherKeys[id] != keys[id] {
				t.Errorf("%s id %s: key %q in a session in Pacific/Chatham, iso_8601, SQL; %q in UTC", col, id, otherKeys[id], keys[id])
			}
			if otherValues[id] != values[id] {
				t.Errorf("%s id %s: value %s in a session in Pacific/Chatham, iso_8601, SQL; %s in UTC", col, id, otherValues[id], values[id])
			}
		}
	}
}

// readKeyValueText reads column col of table v (or of from, when given) and its id, keyed on
// col: each row's key, the value's JSON and Postgres's ::text of the value, by id.
func readKeyValueText(t *testing.T, url, col string, from ...string) (keys, values, texts map[string]string) {
	t.Helper()
	keys, values, texts = map[string]string{}, map[string]string{}, map[string]string{}
	q := fmt.Sprintf("SELECT id::text AS id, %s, %s::text AS text FROM %s", col, col, append(from, "v")[0])
	r, err := Open(context.Background(), &controlplane.PostgresConfig{URL: url}, q, col, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var id, text string
		if err := json.Unmarshal(r.AppendValue(nil, 0), &id); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(r.AppendValue(nil, 2), &text); err != nil {
			t.Fatal(err)
		}
		k, _ := r.Key()
		keys[id], values[id], texts[id] = string(k), string(r.AppendValue(nil, 1)), text
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return keys, values, texts
}

// withURLParam returns url with the query parameter param set to value.
func withURLParam(t *testing.T, url, param, value string) string {
	t.Helper()
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(param, value)
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads a '+' as itself
	return u.String()
}

// TestPostgresAnonymousRecordNotSendableInBinary: an anonymous ROW(...) holding a timestamptz and
// a field of a type with no binary send function (aclitem; an extension's such as seg) is read,
// as its text, rather than failing the read: its fields' types are known only once Postgres sends
// a value, and it refuses to send one in binary (pgzoned.go reads anonymous records so).
func TestPostgresAnonymousRecordNotSendableInBinary(t *testing.T) {
	url := newWarehouse(t,
		`CREATE TABLE t AS SELECT * FROM (VALUES (1, '2020-01-01 10:00:00+05'::timestamptz), (2, NULL)) AS t(id, at)`)
	from := "(SELECT id, ROW(at, 'postgres=r/postgres'::aclitem, 'a b') AS c, " +
		"ARRAY[ROW(at, 'postgres=r/postgres'::aclitem), NULL] AS ca, ROW(at, id) AS ok FROM t) AS v"
	for _, col := range []string{"c", "ca", "ok"} {
		keys, values, texts := readKeyValueText(t, withURLParam(t, url, "TimeZone", "UTC"), col, from)
		if len(keys) != 2 {
			t.Fatalf("%s: read %d rows, want 2", col, len(keys))
		}
		for id, k := range keys {
			if k != texts[id] {
				t.Errorf("%s id %s: key %q, Postgres's ::text %q", col, id, k, texts[id])
			}
			if want, _ := json.Marshal(texts[id]); values[id] != string(want) {
				t.Errorf("%s id %s: value %s, want %s", col, id, values[id], want)
			}
		}
	}
}

// TestPostgresAnonymousRecordOfOtherBuiltins: an anonymous ROW(...) holding a timestamptz and
// fields of built-in types the runner reads as their text (xml, box, box[], inet, tsvector,
// int4range, macaddr, bit, timetz, ...) or an array of anonymous records (cn) is written in UTC
// too, as docs/warehouses.md says of an anonymous record of built-in types; it kept the whole
// session's text.
func TestPostgresAnonymousRecordOfOtherBuiltins(t *testing.T) {
	url := newWarehouse(t,
		`CREATE TABLE t AS SELECT * FROM (VALUES (1, '2020-01-01 10:00:00+05'::timestamptz), (2, NULL)) AS t(id, at)`)
	from := "(SELECT id, ROW(at, 'a b'::xml, '(1,1),(0,0)'::box, '{(1,1),(0,0);(2,2),(1,1)}'::box[], '1.2.3.4/8'::inet, " +
		"'foo bar'::tsvector, '[1,3)'::int4range, '{[1,2)}'::int4multirange, '08:00:2b:01:02:03'::macaddr, B'101', " +
		"'12:00+05'::timetz, '1 2'::oidvector, '(1,2)'::point, '{a,b}'::varchar[]) AS c, " +
		"ARRAY[ROW(at, '(1,1),(0,0)'::box), NULL] AS ca, ROW(ARRAY[ROW(at, 'a b'), NULL], id) AS cn FROM t) AS v"
	utc := withURLParam(t, url, "TimeZone", "UTC")
	other := withURLParam(t, url, "options", "-c TimeZone=Pacific/Chatham -c IntervalStyle=iso_8601 -c DateStyle=SQL,DMY")
	for _, col := range []string{"c", "ca", "cn"} {
		keys, values, texts := readKeyValueText(t, utc, col, from)
		otherKeys, otherValues, _ := readKeyValueText(t, other, col, from)
		if len(keys) != 2 || len(otherKeys) != 2 {
			t.Fatalf("%s: read %d and %d rows, want 2", col, len(keys), len(otherKeys))
		}
		for id, k := range keys {
			if k != texts[id] {
				t.Errorf("%s id %s: key %q, Postgres's ::text in UTC %q", col, id, k, texts[id])
			}
			if otherKeys[id] != k || otherValues[id] != values[id] {
				t.Errorf("%s id %s: key %q value %s in a session in Pacific/Chatham; %q %s in UTC", col, id, otherKeys[id], otherValues[id], k, values[id])
			}
		}
	}
}

// TestPostgresDeepJSONIsAString: Postgres's json and jsonb take values nested deeper than JSON
// parsers do (Go's encoding/json stops at 10,000 levels); such a value was sent as it is, a body
// a receiver's parser refuses whole, while a mirror's delete of it as a key named it as a string.
// Both are now the string of its text, as DuckDB's and MySQL's are.
func TestPostgresDeepJSONIsAString(t *testing.T) {
	t.Parallel()
	url := newWarehouse(t)
	src := NewPostgres(&controlplane.PostgresConfig{URL: url})
	deep := strings.Repeat("[", jsondepth.Value+1) + strings.Repeat("]", jsondepth.Value+1)
	shallow := strings.Repeat("[", jsondepth.Value) + strings.Repeat("]", jsondepth.Value)
	for _, typ := range []string{"json", "jsonb"} {
		q := fmt.Sprintf("SELECT k::%s AS k FROM (VALUES ('%s'), ('%s')) AS v(k)", typ, deep, shallow)
		cols, err := src.Describe(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		keyJSON := src.KeyJSON(cols[0])
		rows, err := Open(context.Background(), &controlplane.PostgresConfig{URL: url}, q, "k", nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
			key, _ := rows.Key()
			upsert := rows.AppendValue(nil, 0)
			if !json.Valid(upsert) {
				t.Errorf("%s of %d bytes: sent as JSON no parser takes", typ, len(key))
			}
			if del := keyJSON(nil, key); !bytes.Equal(del, upsert) {
				t.Errorf("%s of %d bytes: a delete names it differently from its upserts", typ, len(key))
			}
			var s string
			if want := len(key) == len(deep); want != (json.Unmarshal(upsert, &s) == nil) {
				t.Errorf("%s of %d bytes: sent as a string %v, want %v", typ, len(key), !want, want)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if n != 2 {
			t.Errorf("%s: %d rows, want 2", typ, n)
		}
	}
}
