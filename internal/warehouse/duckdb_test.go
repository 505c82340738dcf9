//go:build cgo

package warehouse

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	bindings "github.com/duckdb/duckdb-go-bindings"
	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

func TestDuckDBValues(t *testing.T) {
	t.Parallel()
	path, _ := warehousetest.NewDuckDBFile(t, `CREATE TYPE mood AS ENUM ('sad', 'happy');
		CREATE TABLE t AS SELECT 1 AS id, (-128)::TINYINT AS ti, 65535::USMALLINT AS us, 18446744073709551615::UBIGINT AS ub,
		(-170141183460469231731687303715884105728)::HUGEINT AS hi, 12345678901234567890.0123456789::DECIMAL(30,10) AS d,
		1.5::FLOAT AS f, 'NaN'::DOUBLE AS nan, '-Infinity'::DOUBLE AS ninf, true AS b, 'é🙂"\' || chr(10) AS v,
		DATE '2019-12-08' AS dt, TIME '14:19:52.5' AS tm, TIMESTAMP '2019-12-08 14:19:52.5' AS ts,
		TIMESTAMPTZ '2019-12-08 09:19:52-05' AS tz, INTERVAL '1 month 2 days 3 seconds' AS iv,
		'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID AS u, '\x00\xFF\x10'::BLOB AS bl, [1, NULL, 3] AS l,
		[1, 2]::INTEGER[2] AS a, {'b': 2, 'a': 'x'} AS s, MAP {'k': 1} AS ms, MAP {1: 'one'} AS mi,
		'{"a": [1, 2.5, 12345678901234567890]}'::JSON AS j, 'happy'::mood AS e, NULL::INTEGER AS n`)
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: path})
	objs, keys := readMySQL(t, src, "select * from t", "id")
	if len(objs) != 1 || keys[0] != "1" {
		t.Fatalf("rows %v keys %v", objs, keys)
	}
	got := decode(t, []byte(objs[0]))
	want := map[string]any{"id": num("1"), "ti": num("-128"), "us": num("65535"), "ub": num("18446744073709551615"),
		"hi": num("-170141183460469231731687303715884105728"), "d": num("12345678901234567890.0123456789"),
		"f": num("1.5"), "nan": "NaN", "ninf": "-Infinity", "b": true, "v": "é🙂\"\\\n",
		"dt": "2019-12-08", "tm": "14:19:52.5", "ts": "2019-12-08 14:19:52.5", "tz": "2019-12-08T14:19:52Z",
		"iv": "1 month 2 days 00:00:03", "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "bl": "AP8Q",
		"l": []any{num("1"), nil, num("3")}, "a": []any{num("1"), num("2")}, "s": map[string]any{"a": "x", "b": num("2")},
		"ms": map[string]any{"k": num("1")}, "mi": []any{map[string]any{"key": num("1"), "value": "one"}},
		"j": map[string]any{"a": []any{num("1"), num("2.5"), num("12345678901234567890")}}, "e": "happy", "n": nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s\nsent: %s", diff, objs[0])
	}
}

// TestDuckDBFiles: models read a Parquet file and a CSV file the test writes.
func TestDuckDBFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	parquet, csv := filepath.Join(dir, "users.parquet"), filepath.Join(dir, "users.csv")
	path, _ := warehousetest.NewDuckDBFile(t,
		`COPY (SELECT 'user' || i || '@example.com' AS email, i AS n FROM range(1, 101) AS r(i)) TO '`+parquet+`' (FORMAT parquet)`,
		`COPY (SELECT 'user' || i || '@example.com' AS email, i AS n FROM range(1, 101) AS r(i)) TO '`+csv+`' (FORMAT csv, HEADER)`)
	for _, q := range []string{"select * from read_parquet('" + parquet + "')", "select * from read_csv('" + csv + "')"} {
		for _, db := range []string{path, ":memory:"} {
			src := NewDuckDB(&controlplane.DuckDBConfig{Database: db})
			objs, keys := readMySQL(t, src, q, "email")
			if len(objs) != 100 || objs[0] != `{"email":"user100@example.com","n":100}` {
				t.Fatalf("%s on %s: %d rows, first %v", q, db, len(objs), objs[:1])
			}
			if !sort.SliceIsSorted(keys, func(i, j int) bool { return keys[i] < keys[j] }) {
				t.Errorf("%s: keys not in byte order", q)
			}
		}
	}
}

// TestDuckDBEmptyRead: a model that returns no rows (an empty table, a filter that keeps none,
// an empty Parquet file; a run whose incremental read finds nothing new) is read as no rows, with
// a VARCHAR key and with one read as its text, from a table and from a file the read looks at.
func TestDuckDBEmptyRead(t *testing.T) {
	t.Parallel()
	parquet := filepath.Join(t.TempDir(), "none.parquet")
	path, _ := warehousetest.NewDuckDBFile(t, `CREATE TABLE t AS SELECT 'k' || i AS k, i AS v FROM range(10) AS r(i)`,
		`COPY (SELECT * FROM t WHERE false) TO '`+parquet+`' (FORMAT parquet)`)
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: path})
	for _, tc := range []struct{ query, key string }{
		{"select * from t where false", "k"},
		{"select * from t where false", "v"},
		{"select * from read_parquet('" + parquet + "')", "k"},
		{"select * from read_parquet('" + parquet + "')", "v"},
		{"select * from t where v > 100", "v"},
	} {
		rows, err := Read(context.Background(), src, tc.query, tc.key, nil, nil)
		if err != nil {
			t.Errorf("%s keyed on %s: %v; want no rows", tc.query, tc.key, err)
			continue
		}
		if rows.Next() {
			t.Errorf("%s keyed on %s: a row", tc.query, tc.key)
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s keyed on %s: %v", tc.query, tc.key, err)
		}
		rows.Close()
	}
}

func TestDuckDBKeyOrder(t *testing.T) {
	t.Parallel()
	keys := []string{"", " ", "  ", "\t", "A", "a", "B", "b", "Z", "z", "_", "-", "é", "É", "e\u0301", "日本", "𝄞", "🙂",
		"0", "00", "1", "10", "9", "-1", "a b", "a\nb", "a ", strings.Repeat("k", 1500), strings.Repeat("é", 1000)}
	var values []string
	for _, k := range keys {
		values = append(values, "('"+strings.ReplaceAll(k, "'", "''")+"')")
	}
	path, _ := warehousetest.NewDuckDBFile(t, "CREATE TABLE k AS SELECT * FROM (VALUES "+strings.Join(values, ", ")+") AS v(k)",
		"CREATE TABLE ki AS SELECT * FROM (VALUES (-10), (-2), (-1), (0), (1), (2), (9), (10), (11), (100), (NULL)) AS v(k)")
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: path, InitSQL: "SET default_collation = 'nocase'"})
	for _, table := range []string{"k", "ki"} {
		_, got := readMySQL(t, src, "select * from "+table, "k")
		if table == "ki" {
			if got[len(got)-1] != "<null>" {
				t.Errorf("the NULL key is not last: %q", got)
			}
			got = got[:len(got)-1]
		}
		want := append([]string(nil), got...)
		sort.Slice(want, func(i, j int) bool { return bytes.Compare([]byte(want[i]), []byte(want[j])) < 0 })
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: keys not in byte order (-want +got):\n%s", table, diff)
		}
	}
}

// TestDuckDBReadOnly: models that write are refused, by describe and by a run's read, on a
// database file (opened read-only) and on :memory: with a file attached read-write by init_sql
// (the model must be one SELECT); a SELECT that advances a sequence is refused on a file.
func TestDuckDBReadOnly(t *testing.T) {
	t.Parallel()
	path, _ := warehousetest.NewDuckDBFile(t, "CREATE TABLE t AS SELECT 1 AS id; CREATE SEQUENCE s")
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: path})
	attached := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: "ATTACH '" + path + "' AS f; USE f"})
	ctx := context.Background()
	for _, q := range []string{"delete from t", "insert into t values (2)", "create table x as select 1 as id",
		"update t set id = 2", "copy t to '/dev/null'", "select 1 as id; delete from t"} {
		for name, s := range map[string]*DuckDB{"file": src, "attached": attached} {
			_, err := s.Describe(ctx, q)
			if err == nil {
				t.Errorf("%s: %q: described without an error", name, q)
			} else if !strings.Contains(q, ";") && !errors.Is(err, ErrNotReadOnly) {
				t.Errorf("%s: %q: %v, want ErrNotReadOnly", name, q, err)
			}
			if r, err := s.Open(ctx, q, "id", nil); err == nil {
				r.Close()
				t.Errorf("%s: %q: opened without an error", name, q)
			}
		}
	}
	if r, err := src.Open(ctx, "select nextval('s') as id", "id", nil); err == nil {
		for r.Next() {
		}
		if r.Err() == nil {
			t.Errorf("a model advancing a sequence of a read-only file was read")
		}
		r.Close()
	}
	// The file is opened read-only: init_sql cannot write either.
	w := NewDuckDB(&controlplane.DuckDBConfig{Database: path, InitSQL: "INSERT INTO t VALUES (3)"})
	if err := w.Ping(ctx); err == nil || !strings.Contains(err.Error(), "init_sql") {
		t.Errorf("init_sql writing to a read-only file: %v", err)
	}
	objs, _ := readMySQL(t, src, "select * from t", "id")
	if diff := cmp.Diff([]string{`{"id":1}`}, objs); diff != "" {
		t.Errorf("the table changed (-want +got):\n%s", diff)
	}
}

// TestDuckDBStream: a model of more rows than a chunk holds (2048) streams every row once, in
// the key's byte order, duplicates side by side across chunks and NULL keys last.
func TestDuckDBStream(t *testing.T) {
	t.Parallel()
	path, _ := warehousetest.NewDuckDBFile(t, `CREATE TABLE t AS SELECT CASE WHEN i % 1000 = 999 THEN NULL ELSE 'k' || (i % 100000) END AS k,
		i AS v FROM range(300000) AS r(i)`)
	// DuckDB's own order does not matter (the runner sorts by key): with preserve_insertion_order
	// off it streams rows out of order. NULL keys stay last whatever default_null_order.
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: path,
		InitSQL: "SET preserve_insertion_order = false; SET default_null_order = 'nulls_first'"})
	objs, keys := readMySQL(t, src, "select * from t", "k")
	if len(objs) != 300000 {
		t.Fatalf("read %d rows, want 300000", len(objs))
	}
	seen := map[string]bool{}
	for _, o := range objs {
		if seen[o] {
			t.Fatalf("row read twice: %s", o)
		}
		seen[o] = true
	}
	nulls := 0
	for _, k := range keys {
		if k == "<null>" {
			nulls++
		}
	}
	if nulls != 300 || !slices.Equal(keys[len(keys)-300:], slices.Repeat([]string{"<null>"}, 300)) {
		t.Errorf("%d NULL keys, not all last", nulls)
	}
	nonNull := keys[:len(keys)-nulls]
	if !slices.IsSortedFunc(nonNull, func(a, b string) int { return bytes.Compare([]byte(a), []byte(b)) }) {
		t.Errorf("keys not in byte order")
	}
}

// TestDuckDBStatementTimeout: DuckDB has no statement_timeout; a read still running when the
// connection's timeout expires is interrupted and fails with ErrStatementTimeout (a read of
// 10^12 rows that would otherwise run for hours), while the end of the caller's own context
// is not reported as a timeout.
func TestDuckDBStatementTimeout(t *testing.T) {
	t.Parallel()
	const slow = "select sum(i) as id from range(1000000000000) AS r(i)"
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", StatementTimeout: 300 * time.Millisecond})
	if s, _ := src.Timeouts(); s != 300*time.Millisecond {
		t.Errorf("Timeouts() = %v", s)
	}
	r, err := src.Open(context.Background(), slow, "id", nil)
	if err == nil {
		for r.Next() {
		}
		err = r.Err()
		r.Close()
	}
	if !errors.Is(err, ErrStatementTimeout) || !strings.Contains(err.Error(), "statement_timeout") {
		t.Errorf("a read past the statement timeout: %v, want ErrStatementTimeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	long := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", StatementTimeout: time.Hour})
	time.AfterFunc(300*time.Millisecond, cancel)
	r, err = long.Open(ctx, slow, "id", nil)
	if err == nil {
		for r.Next() {
		}
		err = r.Err()
		r.Close()
	}
	if err == nil || errors.Is(err, ErrStatementTimeout) || !errors.Is(err, context.Canceled) {
		t.Errorf("a read whose context was canceled: %v, want context.Canceled, not ErrStatementTimeout", err)
	}
	// DuckDB's own word for a statement its caller stopped ("INTERRUPT Error: Interrupted!",
	// which a describe under load returned) carries the context's error, as the other
	// warehouses' errors do.
	done, stop := context.WithCancel(context.Background())
	stop()
	_, release, explain := long.bounded(done)
	release()
	if err := explain(errors.New("INTERRUPT Error: Interrupted!")); !errors.Is(err, context.Canceled) {
		t.Errorf("DuckDB's interrupt after the context ended: %v, want context.Canceled", err)
	}
	if s, _ := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"}).Timeouts(); s != DefaultStatementTimeout {
		t.Errorf("default statement timeout %v, want %v", s, DefaultStatementTimeout)
	}
}

// TestDuckDBStatementTimeoutWhilePreparing: DuckDB evaluates a model's constant expressions
// while it prepares the model, which the driver does not interrupt when its context ends: a
// model whose one row computes for hours (a lambda over a list of a million elements, each a
// sum over another million) held the plan's describe and the run's read until each prepare
// ended, whatever the statement timeout (26 s for each of them with a list of 20,000 under a
// 2 s timeout). Both now stop at the timeout.
func TestDuckDBStatementTimeoutWhilePreparing(t *testing.T) {
	t.Parallel()
	const slow = "select 1 as id, list_sum(list_transform(range(1000000), lambda x: " +
		"list_sum(list_transform(range(1000000), lambda y: x * y)))) as s"
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", StatementTimeout: 300 * time.Millisecond})
	for what, read := range map[string]func() error{
		"describe": func() error { _, err := src.Describe(context.Background(), slow); return err },
		"read": func() error {
			r, err := src.Open(context.Background(), slow, "id", nil)
			if err == nil {
				for r.Next() {
				}
				err = r.Err()
				r.Close()
			}
			return err
		},
	} {
		done := make(chan error, 1)
		go func() { done <- read() }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrStatementTimeout) {
				t.Errorf("%s past the statement timeout: %v, want ErrStatementTimeout", what, err)
			}
		case <-time.After(2 * time.Minute):
			t.Fatalf("%s hung two minutes past its statement timeout of 300ms (DuckDB preparing the model, not interrupted)", what)
		}
	}
}

// TestDuckDBVectorValues: the values the encoder reads from DuckDB's vectors, beyond
// TestDuckDBValues: every integer width, DECIMALs of each storage width, time units, nested
// types holding them, types read as text, and INTERVAL, UUID and DECIMAL exactly as DuckDB
// prints them.
func TestDuckDBVectorValues(t *testing.T) {
	t.Parallel()
	path, _ := warehousetest.NewDuckDBFile(t, `CREATE TYPE mood AS ENUM ('sad', 'happy');
		CREATE TABLE t AS SELECT 1 AS id, (-32768)::SMALLINT AS si, (-2147483648)::INTEGER AS i4, (-9223372036854775808)::BIGINT AS i8,
		255::UTINYINT AS ut, 4294967295::UINTEGER AS ui, 340282366920938463463374607431768211455::UHUGEINT AS uh,
		170141183460469231731687303715884105727::HUGEINT AS hmax, 5::HUGEINT AS hsmall, (-5)::HUGEINT AS hneg,
		(-12.05)::DECIMAL(4,2) AS d2, 0.005::DECIMAL(9,3) AS d4, (-123456789012.345678)::DECIMAL(18,6) AS d8,
		(-0.0000000000000000000000000001)::DECIMAL(38,28) AS d16, 42::DECIMAL(10,0) AS d0,
		'Infinity'::FLOAT AS finf, 'NaN'::DOUBLE AS dnan, 0.1::DOUBLE AS d01,
		'2019-12-08 14:19:52'::TIMESTAMP_S AS tss, '2019-12-08 14:19:52.123'::TIMESTAMP_MS AS tsms,
		'2019-12-08 14:19:52.123456789'::TIMESTAMP_NS AS tsns, TIME '00:00:00' AS midnight, DATE '1970-01-01' AS epoch,
		DATE '1969-12-31' AS before_epoch, '14:19:52+02'::TIMETZ AS ttz, '1010'::BIT AS bits,
		union_value(num := 2)::UNION(num INTEGER, str VARCHAR) AS un,
		[1.5::DECIMAL(5,2), NULL] AS ld, [['a'], [], NULL] AS ll, ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID] AS lu,
		{'z': [1, 2], 'a': {'n': NULL}, 'm': 'happy'::mood} AS st, MAP {1: [true], 2: NULL} AS mi,
		MAP {'k': {'x': 1}} AS ms, ['x', 'y']::VARCHAR[2] AS av, [[1, 2], [3, 4]]::INTEGER[2][2] AS aa,
		[TIMESTAMPTZ '2019-12-08 09:19:52-05'] AS ltz, TIMESTAMPTZ '2019-12-08 09:19:52.25-05' AS tz, ['{"a":1}'::JSON] AS lj, ['\xAA'::BLOB] AS lb,
		{'t': '14:19:52+02'::TIMETZ, 'n': 1} AS stz`,
		`CREATE TABLE iv AS SELECT * FROM (VALUES (INTERVAL '1 month 2 days 3 seconds'), (INTERVAL '14 months'),
		(INTERVAL '-1 year -2 days'), (INTERVAL '1.5 seconds'), (INTERVAL '0 seconds'), (INTERVAL '-3 hours -4 minutes -0.000001 seconds'),
		(INTERVAL '100 hours'), (INTERVAL '1 day 00:00:00.25'), (INTERVAL '12 months 1 day')) AS v(iv)`)
	// TIMESTAMPTZ is sent in UTC whatever the session's TimeZone.
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: path, InitSQL: "SET TimeZone = 'Asia/Tokyo'"})
	objs, _ := readMySQL(t, src, "select * from t", "id")
	if len(objs) != 1 {
		t.Fatalf("rows %v", objs)
	}
	got := decode(t, []byte(objs[0]))
	want := map[string]any{"id": num("1"), "si": num("-32768"), "i4": num("-2147483648"), "i8": num("-9223372036854775808"),
		"ut": num("255"), "ui": num("4294967295"), "uh": num("340282366920938463463374607431768211455"),
		"hmax": num("170141183460469231731687303715884105727"), "hsmall": num("5"), "hneg": num("-5"),
		"d2": num("-12.05"), "d4": num("0.005"), "d8": num("-123456789012.345678"), "d16": num("-0.0000000000000000000000000001"),
		"d0": num("42"), "finf": "Infinity", "dnan": "NaN", "d01": num("0.1"),
		"tss": "2019-12-08 14:19:52", "tsms": "2019-12-08 14:19:52.123", "tsns": "2019-12-08 14:19:52.123456789",
		"midnight": "00:00:00", "epoch": "1970-01-01", "before_epoch": "1969-12-31", "ttz": "14:19:52+02", "bits": "1010", "un": map[string]any{"num": num("2")},
		"ld": []any{num("1.50"), nil}, "ll": []any{[]any{"a"}, []any{}, nil}, "lu": []any{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		"st": map[string]any{"z": []any{num("1"), num("2")}, "a": map[string]any{"n": nil}, "m": "happy"},
		"mi": []any{map[string]any{"key": num("1"), "value": []any{true}}, map[string]any{"key": num("2"), "value": nil}},
		"ms": map[string]any{"k": map[string]any{"x": num("1")}}, "av": []any{"x", "y"},
		"aa": []any{[]any{num("1"), num("2")}, []any{num("3"), num("4")}}, "ltz": []any{"2019-12-08T14:19:52Z"}, "tz": "2019-12-08T14:19:52.25Z",
		"lj": []any{map[string]any{"a": num("1")}}, "lb": []any{"qg=="},
		"stz": map[string]any{"t": "14:19:52+02", "n": num("1")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s\nsent: %s", diff, objs[0])
	}
	if !strings.Contains(objs[0], `"st":{"z":[1,2],"a":{"n":null},"m":"happy"}`) {
		t.Errorf("a STRUCT's fields are not in their order: %s", objs[0])
	}
	// INTERVAL as DuckDB prints it.
	objs, _ = readMySQL(t, src, "select row_number() over () as id, iv, CAST(iv AS VARCHAR) AS text from iv", "id")
	for _, o := range objs {
		m := decode(t, []byte(o)).(map[string]any)
		if m["iv"] != m["text"] {
			t.Errorf("interval %q sent as %q", m["text"], m["iv"])
		}
	}
	if len(objs) != 9 {
		t.Errorf("read %d intervals, want 9", len(objs))
	}
}

// TestDuckDBZonedKeys: a TIMESTAMPTZ key's text is what a UTC session's cast writes, whatever
// the session's time zone (init_sql's, or the host's TZ), so that a mirror's delete carries the
// JSON its upserts did, and a runner moved to another zone finds the keys its ledger holds.
func TestDuckDBZonedKeys(t *testing.T) {
	values := []string{"2020-01-01 00:00:00+00", "2020-01-02 03:04:05.5+02", "2020-06-01 12:00:00.123456+00",
		"1969-12-31 23:59:59.999999+00", "0044-03-15 (BC) 12:00:00+00", "0001-01-01 (BC) 00:00:00.25+00",
		"12345-01-02 03:04:05.5+00", "1900-01-01 00:00:00+00", "infinity", "-infinity"}
	sel := make([]string, len(values))
	for i, v := range values {
		sel[i] = "SELECT " + strconv.Itoa(i) + " AS i, TIMESTAMPTZ '" + v + "' AS k"
	}
	model := strings.Join(sel, " UNION ALL ")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	utc := map[string]bool{} // the keys' text in a UTC session
	rs, err := db.Query("SELECT CAST(k AS VARCHAR) FROM (" + model + ")")
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var k string
		if err := rs.Scan(&k); err != nil {
			t.Fatal(err)
		}
		utc[k] = true
	}
	rs.Close()

	for _, c := range []struct{ tz, init string }{{"UTC", ""}, {"Europe/Berlin", ""}, {"UTC", "SET TimeZone = 'Asia/Tokyo'"},
		{"UTC", "SET TimeZone = 'America/St_Johns'"}} {
		t.Setenv("TZ", c.tz)
		src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: c.init})
		rows, err := Read(context.Background(), src, model, "k", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		col := rows.Columns()[1]
		n := 0
		for rows.Next() {
			n++
			k, _ := rows.Key()
			if !utc[string(k)] {
				t.Errorf("TZ %s, init_sql %q: key %q, not a UTC session's text (%v)", c.tz, c.init, k, slices.Sorted(maps.Keys(utc)))
			}
			if got, want := string(src.KeyJSON(col)(nil, k)), string(rows.AppendValue(nil, 1)); got != want {
				t.Errorf("TZ %s, init_sql %q: key %q's JSON %s, its value's %s", c.tz, c.init, k, got, want)
			}
		}
		if err := rows.Err(); err != nil || n != len(values) {
			t.Errorf("TZ %s, init_sql %q: %d rows, %v", c.tz, c.init, n, err)
		}
		rows.Close()
	}
}

// TestDuckDBRawConnection: the read takes the driver's connection handle (duckdb-go/v2 keeps it
// unexported and has no public API for it: duckConn.raw says why), by reflection. It must be
// the handle of the very connection init_sql ran on: a variable set through database/sql is
// read back through the C API. A driver upgrade that moves or renames the field fails here
// (and every DuckDB read fails with raw's message), not silently.
func TestDuckDBRawConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: "SET VARIABLE backflow_probe = 'through the driver'"})
	c, err := src.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	conn, err := c.raw()
	if err != nil {
		t.Fatalf("the driver's connection handle: %v", err)
	}
	s, err := startDuckStream(ctx, conn, "SELECT getvariable('backflow_probe')")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if fetched, err := s.next(); err != nil || !fetched {
		t.Fatalf("next: %v, %v", fetched, err)
	}
	typ, err := newDuckType(bindings.ColumnLogicalType(&s.res, 0))
	if err != nil {
		t.Fatal(err)
	}
	v := bindDuckVec(bindings.DataChunkGetVector(s.chunk, 0), typ)
	if got := string(v.appendJSON(nil, 0)); got != `"through the driver"` {
		t.Errorf("the variable read through the raw handle is %s: the handle is not the driver's connection", got)
	}
}

// TestDuckDBDefaults: every connection starts with Backflow's settings (duckDefaults): the memory
// limit a read starts with, one thread, no external file cache and no extension installed or
// loaded on demand; init_sql, which runs after them, can set each to something else.
func TestDuckDBDefaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	settings := func(initSQL string) string {
		t.Helper()
		c, err := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: initSQL}).connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		var got string
		if err := c.conn.QueryRowContext(ctx, `SELECT current_setting('memory_limit') || ', threads ' ||
			current_setting('threads') || ', external file cache ' || current_setting('enable_external_file_cache') ||
			', autoinstall ' || current_setting('autoinstall_known_extensions') ||
			', autoload ' || current_setting('autoload_known_extensions')`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got, want := settings(""), "122.0 MiB, threads 1, external file cache false, autoinstall false, autoload false"; got != want {
		t.Errorf("Backflow's settings: %s, want %s", got, want)
	}
	if got, want := settings("SET memory_limit = '1GB'; SET threads = 2; SET enable_external_file_cache = true; "+
		"SET autoinstall_known_extensions = true; SET autoload_known_extensions = true"),
		"953.6 MiB, threads 2, external file cache true, autoinstall true, autoload true"; got != want {
		t.Errorf("init_sql's settings: %s, want %s", got, want)
	}
}

// TestDuckDBMemoryGrows: a read that runs out of Backflow's memory_limit before its first row
// (here: the model's own ORDER BY; the runner sorts by key itself) starts again with four times
// the limit until it fits (here from 4 MB); a limit init_sql sets is left alone, and running out
// of it is an error that says what to do.
func TestDuckDBMemoryGrows(t *testing.T) {
	t.Parallel()
	path, _ := warehousetest.NewDuckDBFile(t, `CREATE TABLE t AS SELECT 'k' || i AS k, repeat('x', 100) || i AS pad
		FROM range(200000) AS r(i)`)
	src := &DuckDB{cfg: &controlplane.DuckDBConfig{Database: path}, startMB: 4}
	_, keys := readMySQL(t, src, "select * from t order by pad desc", "k")
	if len(keys) != 200000 || !slices.IsSorted(keys) {
		t.Errorf("read %d keys (sorted: %v), want 200000 in order", len(keys), slices.IsSorted(keys))
	}
	// init_sql that only mentions memory_limit (a comment) leaves the retry on.
	mention := &DuckDB{cfg: &controlplane.DuckDBConfig{Database: path, InitSQL: "-- we leave memory_limit alone\nSET threads = 1"}, startMB: 4}
	if _, keys := readMySQL(t, mention, "select * from t order by pad desc", "k"); len(keys) != 200000 {
		t.Errorf("with init_sql naming memory_limit in a comment: read %d keys, want 200000", len(keys))
	}
	own := &DuckDB{cfg: &controlplane.DuckDBConfig{Database: path, InitSQL: "SET memory_limit = '5MB'"}, startMB: 4}
	if _, err := own.Open(context.Background(), "select * from t order by pad desc", "k", nil); err == nil ||
		!errors.Is(err, errDuckOutOfMemory) || !strings.Contains(err.Error(), "memory_limit init_sql sets") {
		t.Errorf("init_sql's 5 MB: %v, want an out-of-memory error naming init_sql's memory_limit", err)
	}
}

// TestAppendDuckTimestamp: the fast formatter of TIMESTAMP and TIMESTAMPTZ writes what time.Format
// does in the years 1 to 9999 (at their edges, around 1970 and 2000, and for random instants),
// and beyond them, out to DuckDB's least and greatest instants, what appendYear says; TIMESTAMP_S
// and TIMESTAMP_MS write the same as the microseconds they are.
func TestAppendDuckTimestamp(t *testing.T) {
	values := []int64{0, -1, 1, 946684800 * 1000000, 946684800*1000000 - 1, -62135596800 * 1000000,
		-62135596800*1000000 + 1, 253402300800*1000000 - 1, 1575814792500000, 1575814792000000, 1575814792000001}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		values = append(values, r.Int64N(253402300800*1000000+62135596800*1000000)-62135596800*1000000)
	}
	for _, us := range values {
		tm := time.UnixMicro(us).UTC()
		for tz, layout := range map[bool]string{false: `"2006-01-02 15:04:05.999999999"`, true: `"2006-01-02T15:04:05.999999999Z"`} {
			if got, want := string(appendDuckTimestamp(nil, us, 1000000, tz)), tm.Format(layout); got != want {
				t.Fatalf("%d µs (tz %v): %s, want %s", us, tz, got, want)
			}
		}
		if got, want := string(appendDuckTimestamp(nil, tm.Unix(), 1, false)), string(appendDuckTimestamp(nil, tm.Unix()*1000000, 1000000, false)); got != want {
			t.Fatalf("%d s: %s, want %s", tm.Unix(), got, want)
		}
		if got, want := string(appendDuckTimestamp(nil, tm.UnixMilli(), 1000, false)), string(appendDuckTimestamp(nil, tm.UnixMilli()*1000, 1000000, false)); got != want {
			t.Fatalf("%d ms: %s, want %s", tm.UnixMilli(), got, want)
		}
	}
	for _, c := range []struct {
		us   int64
		tz   bool
		want string
	}{
		{-62135596800*1000000 - 1, false, `"0000-12-31 23:59:59.999999"`}, // 1 BC
		{253402300800 * 1000000, true, `"+010000-01-01T00:00:00Z"`},       // 10000
		{-9223372022400000000, false, `"-290308-12-22 00:00:00"`},         // DuckDB's least TIMESTAMP
		{9223372036854775806, true, `"+294247-01-10T04:00:54.775806Z"`},   // and greatest
	} {
		if got := string(appendDuckTimestamp(nil, c.us, 1000000, c.tz)); got != c.want {
			t.Errorf("%d µs (tz %v): %s, want %s", c.us, c.tz, got, c.want)
		}
	}
}

// TestDuckDBVarcharStrings: VARCHARs are encoded from DuckDB's strings in place (appendVarchar),
// inline up to 12 bytes and through a pointer beyond, exactly as appendString encodes the same
// bytes: every length from 0 to 40, plain, and with one character to escape or beyond ASCII at
// each position, in a table and in a Parquet file, NULLs among them.
func TestDuckDBVarcharStrings(t *testing.T) {
	t.Parallel()
	var want []*string // nil: NULL, every 100th row
	for n := range 41 {
		ss := []string{strings.Repeat("a", n)}
		for at := range n {
			for _, c := range []string{`"`, `\`, "\n", "\x01", "\x1f", "\x7f", "é", "🙂", "\u2028"} {
				ss = append(ss, strings.Repeat("a", at)+c+strings.Repeat("b", n-at-1))
			}
		}
		for _, s := range ss {
			if len(want)%100 == 0 {
				want = append(want, nil)
			}
			want = append(want, &s)
		}
	}
	list, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	path, dir := warehousetest.NewDuckDBFile(t)
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	parquet := filepath.Join(dir, "t.parquet")
	for _, q := range []string{
		"CREATE TABLE t AS SELECT i::INTEGER AS id, l[i + 1] AS v FROM (SELECT CAST(CAST(? AS JSON) AS VARCHAR[]) AS l), range(len(l)) AS r(i)",
		"COPY t TO '" + parquet + "' (FORMAT parquet)",
	} {
		var args []any
		if strings.Contains(q, "?") {
			args = append(args, string(list))
		}
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: path})
	for _, q := range []string{"select * from t", "select * from read_parquet('" + parquet + "')"} {
		objs, _ := readMySQL(t, src, q, "id")
		got, nulls := 0, 0
		for _, o := range objs {
			var row struct{ ID int }
			if err := json.Unmarshal([]byte(o), &row); err != nil || row.ID < 0 || row.ID >= len(want) {
				t.Fatalf("%s: %v: %s", q, err, o)
			}
			v := []byte("null")
			if s := want[row.ID]; s != nil {
				v = appendString(nil, []byte(*s))
				got++
			} else {
				nulls++
			}
			if wantObj := `{"id":` + strconv.Itoa(row.ID) + `,"v":` + string(v) + `}`; o != wantObj {
				t.Errorf("%s: sent %s, want %s", q, o, wantObj)
			}
		}
		if got+nulls != len(want) || nulls != (len(want)+99)/100 {
			t.Errorf("%s: %d strings and %d NULLs, want %d rows, every 100th NULL", q, got, nulls, len(want))
		}
	}
}

// TestDuckDBInitSQLErrorHidesIt: an init_sql that fails is reported without its text, wherever
// DuckDB quotes it (a parser error's LINE context, a file name, a literal left open), so that no
// plan, run record, log or notification shows the credentials it holds; the error still says
// that init_sql failed, and what kind of error it was.
func TestDuckDBInitSQLErrorHidesIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const secret = "AKIA-SECRET-8e51"
	for _, c := range []struct{ init, kind string }{
		{"SET threads = 1;\nCREATE SECRET s (TYPE s3, KEY_ID '" + secret + "', SECRET 'x') ; SELEC 1", "Parser Error"},
		{"CREATE SECRET s (TYPE s3, KEY_ID '" + secret + ")", "Parser Error"},
		{"ATTACH '" + filepath.Join(t.TempDir(), "none", secret+".duckdb") + "' AS x (READ_ONLY)", "IO Error"},
		{"SELECT * FROM \"missing_" + secret + "\"", "Catalog Error"},
	} {
		err := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: c.init}).Ping(ctx)
		if err == nil {
			t.Errorf("init_sql %q: no error", c.init)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, secret) || strings.Contains(msg, "SELEC 1") ||
			!strings.Contains(msg, "init_sql failed") || !strings.Contains(msg, c.kind) {
			t.Errorf("init_sql %q failed with:\n%s\nwant it said that init_sql failed (%s), without its text", c.init, msg, c.kind)
		}
	}
}

// TestDuckDBInitSQLErrorKeepsWords: a short literal or line of init_sql is left out of an error
// where it stands as a word, not inside the error's own words: with a literal 'x' in init_sql,
// a statement timeout read "conte[init_sql, not shown]t deadline e[init_sql, not shown]ceeded",
// and any error of DuckDB's was cut up so.
func TestDuckDBInitSQLErrorKeepsWords(t *testing.T) {
	t.Parallel()
	init := "SET TimeZone = 'UTC'; SELECT 'x' AS x, 'ab' AS y; LOAD json; SELECT * FROM missing_x_table"
	err := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: init}).Ping(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"init_sql failed", "Catalog Error", "does not exist", "Table with name " + hiddenText} {
		if !strings.Contains(msg, want) {
			t.Errorf("init_sql %q failed with:\n%s\nwant it to say %q", init, msg, want)
		}
	}
	// As a word, a literal is left out (a one-letter secret, SECRET 'x').
	err = hideInitSQL("CREATE SECRET s (TYPE s3, KEY_ID 'ab', SECRET 'x')", errors.New("Invalid secret x, key ab exists; ab-1, x.y"))
	if got, want := err.Error(), "Invalid secret "+hiddenText+", key "+hiddenText+" exists; "+hiddenText+"-1, "+hiddenText+".y"; got != want {
		t.Errorf("hid %q, want %q", got, want)
	}
}

// TestDuckDBNestedZonedKeys: a nested key holding a TIMESTAMPTZ (a LIST, ARRAY, STRUCT or MAP,
// at any depth) has the text a UTC session's VARCHAR cast writes, whatever TimeZone init_sql
// sets: before, it was the session's (['2020-01-02 08:49:05.5+05:45']), so changing the zone
// sent every record again and a mirror deleted the keys as the old zone wrote them.
func TestDuckDBNestedZonedKeys(t *testing.T) {
	t.Parallel()
	keys := []string{"[TIMESTAMPTZ '2020-01-02 03:04:05.5+00', NULL]", "[TIMESTAMPTZ 'infinity', TIMESTAMPTZ '0044-03-15 (BC) 12:00:00+00']",
		"[TIMESTAMPTZ '12345-01-02 03:04:05.5+00']", "[]"}
	for _, c := range []struct{ typ, key string }{{"TIMESTAMPTZ[]", "k"}, {"TIMESTAMPTZ[]", "[k]"},
		{"TIMESTAMPTZ[]", "{'at': k[1], 'l': k, 'n': 1}"}, {"TIMESTAMPTZ[]", "{'s': {'at': k[1]}, 'b': '1'::BIGNUM}"},
		{"TIMESTAMPTZ[]", "CASE WHEN len(k) > 0 THEN MAP {k[1]: k} END"}, {"TIMESTAMPTZ[]", "CASE WHEN len(k) > 1 THEN k::TIMESTAMPTZ[2] END"}} {
		sel := make([]string, len(keys))
		for i, k := range keys {
			sel[i] = "SELECT " + strconv.Itoa(i) + " AS i, " + k + "::" + c.typ + " AS k"
		}
		model := "SELECT i, " + c.key + " AS k FROM (" + strings.Join(sel, " UNION ALL ") + ")"
		texts := func(init string) []string {
			src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: init})
			rows, err := Read(context.Background(), src, model, "k", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				k, _ := rows.Key()
				out = append(out, string(k))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		// The VARCHAR casts of a UTC session, which ledgers hold.
		db, err := sql.Open("duckdb", "")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		var want []string
		if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
			t.Fatal(err)
		}
		rs, err := db.Query("SELECT CAST(k AS VARCHAR) FROM (" + model + ") WHERE k IS NOT NULL ORDER BY CAST(k AS VARCHAR) COLLATE c")
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var k string
			if err := rs.Scan(&k); err != nil {
				t.Fatal(err)
			}
			want = append(want, k)
		}
		rs.Close()
		db.Close()
		for _, init := range []string{"SET TimeZone = 'UTC'", "SET TimeZone = 'Asia/Kathmandu'", "SET TimeZone = 'America/St_Johns'"} {
			got := texts(init)
			slices.Sort(got)
			if diff := cmp.Diff(want, slices.DeleteFunc(got, func(s string) bool { return s == "" })); diff != "" {
				t.Errorf("key %s, init_sql %s: key texts (-UTC session's +read's):\n%s", c.key, init, diff)
			}
		}
	}
}
