//go:build cgo

package warehouse

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"

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

func TestDuckDBReadOnly(t *testing.T) {
	t.Parallel()
	path, _ := warehousetest.NewDuckDBFile(t, "CREATE TABLE t AS SELECT 1 AS id")
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: path})
	ctx := context.Background()
	for _, q := range []string{"delete from t", "insert into t values (2)", "create table x as select 1 as id", "select 1 as id; delete from t"} {
		_, err := src.Describe(ctx, q)
		if err == nil {
			t.Errorf("%q: described without an error", q)
		} else if !strings.Contains(q, ";") && !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("%q: %v, want ErrNotReadOnly", q, err)
		}
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

// TestDuckDBPages: read in pages, the keys come out as one ordered read gives them, with a
// key's duplicates straddling pages (and more of them than a page holds) and NULL keys last.
func TestDuckDBPages(t *testing.T) {
	t.Parallel()
	path, _ := warehousetest.NewDuckDBFile(t, `CREATE TABLE t AS SELECT * FROM (VALUES ('a', 1), ('b', 1), ('c', 1), ('c', 2),
		('c', 3), ('c', 4), ('c', 5), ('c', 6), ('c', 7), ('d', 1), ('', 1), (NULL, 1), (NULL, 2), ('e', 1), ('e', 2)) AS v(k, v)`)
	want := []string{"", "a", "b", "c", "c", "c", "c", "c", "c", "c", "d", "e", "e", "<null>", "<null>"}
	for _, page := range []int{1, 2, 3, 4, 5, 7, 100} {
		src := &DuckDB{cfg: &controlplane.DuckDBConfig{Database: path}, pageRows: page}
		objs, keys := readMySQL(t, src, "select * from t", "k")
		if diff := cmp.Diff(want, keys); diff != "" {
			t.Errorf("pages of %d: keys (-want +got):\n%s", page, diff)
		}
		// Which rows of a duplicated key a page skips depends on the order DuckDB gives rows of
		// one key, which no query fixes; the runner never sends such a key (it is invalid), and
		// counts its rows, which paging keeps. Rows of other keys are read exactly once.
		var single []string
		for i, o := range objs {
			if k := keys[i]; k != "c" && k != "e" && k != "<null>" {
				single = append(single, o)
			}
		}
		if diff := cmp.Diff([]string{`{"k":"","v":1}`, `{"k":"a","v":1}`, `{"k":"b","v":1}`, `{"k":"d","v":1}`}, single); diff != "" {
			t.Errorf("pages of %d: rows (-want +got):\n%s", page, diff)
		}
	}
}
