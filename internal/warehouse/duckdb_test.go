//go:build cgo

package warehouse

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

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
			if r, err := s.Open(ctx, q, "id"); err == nil {
				r.Close()
				t.Errorf("%s: %q: opened without an error", name, q)
			}
		}
	}
	if r, err := src.Open(ctx, "select nextval('s') as id", "id"); err == nil {
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
	// With preserve_insertion_order off, DuckDB streams an ORDER BY's rows out of order: the
	// driver turns it back on after init_sql.
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: path, InitSQL: "SET preserve_insertion_order = false"})
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
	r, err := src.Open(context.Background(), slow, "id")
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
	r, err = long.Open(ctx, slow, "id")
	if err == nil {
		for r.Next() {
		}
		err = r.Err()
		r.Close()
	}
	if err == nil || errors.Is(err, ErrStatementTimeout) {
		t.Errorf("a read whose context was canceled: %v, want an error that is not ErrStatementTimeout", err)
	}
	if s, _ := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"}).Timeouts(); s != DefaultStatementTimeout {
		t.Errorf("default statement timeout %v, want %v", s, DefaultStatementTimeout)
	}
}
