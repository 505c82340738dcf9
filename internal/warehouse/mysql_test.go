package warehouse

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

func newMySQL(t *testing.T, setup string) *MySQL {
	t.Helper()
	url, db := warehousetest.NewMySQLDatabase(t)
	if setup != "" {
		if _, err := db.Exec(setup); err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	return NewMySQL(&controlplane.MySQLConfig{URL: url})
}

// readMySQL reads every row of query as JSON objects and keys.
func readMySQL(t *testing.T, src Source, query, key string) (objs []string, keys []string) {
	t.Helper()
	rows, err := Read(context.Background(), src, query, key, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols := rows.Columns()
	idx := make([]int, len(cols))
	names := make([][]byte, len(cols))
	for i, c := range cols {
		idx[i] = i
		names[i] = appendString(nil, []byte(c.Name))
	}
	for rows.Next() {
		objs = append(objs, string(rows.AppendObject(nil, idx, names)))
		k, null := rows.Key()
		if null {
			keys = append(keys, "<null>")
		} else {
			keys = append(keys, string(k))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return objs, keys
}

func TestMySQLValues(t *testing.T) {
	t.Parallel()
	src := newMySQL(t, `CREATE TABLE t (
		id int PRIMARY KEY, b tinyint(1), bo bool, bf boolean, bx tinyint(1), ti tinyint, tu tinyint unsigned, si smallint, mi mediumint,
		i int, iu int unsigned, bi bigint, bu bigint unsigned, d decimal(30,10), f float, db double,
		dt date, dtt datetime, dtf datetime(6), ts timestamp NULL, tsf timestamp(3) NULL, tm time, y year,
		c char(5), vc varchar(50), tx text, e enum('a','b'), s set('x','y','z'), s0 set('x','y'),
		bn binary(3), vb varbinary(10), bl blob, j json, bt bit(10), n int);
	SET time_zone = '+02:00';
	INSERT INTO t VALUES (1, 1, false, NULL, -3, -128, 255, -32768, -8388608, -2147483648, 4294967295,
		-9223372036854775808, 18446744073709551615, -12345678901234567890.0123456789, 1.5, -2.25e300,
		'2019-12-08', '2019-12-08 14:19:52', '2019-12-08 14:19:52.123456', '2019-12-08 16:19:52',
		'2019-12-08 16:19:52.5', '-838:59:59', 1999, 'ab', 'é🙂"\\\n', 'ÿ text', 'b', 'x,z', '',
		'a\0b', 0x00ff10, 0xdeadbeef, '{"a": [1, 2.5, null], "b": {"c": "🙂"}}', b'1000000001', NULL)`)
	objs, keys := readMySQL(t, src, "select * from t", "id")
	if len(objs) != 1 || keys[0] != "1" {
		t.Fatalf("rows %v keys %v", objs, keys)
	}
	got := decode(t, []byte(objs[0])).(map[string]any)
	want := map[string]any{
		"id": num("1"), "b": true, "bo": false, "bf": nil, "bx": true, "ti": num("-128"), "tu": num("255"), "si": num("-32768"), "mi": num("-8388608"),
		"i": num("-2147483648"), "iu": num("4294967295"), "bi": num("-9223372036854775808"), "bu": num("18446744073709551615"),
		"d": num("-12345678901234567890.0123456789"), "f": num("1.5"), "db": num("-2.25e+300"),
		"dt": "2019-12-08", "dtt": "2019-12-08 14:19:52", "dtf": "2019-12-08 14:19:52.123456",
		"ts": "2019-12-08T14:19:52Z", "tsf": "2019-12-08T14:19:52.500Z", "tm": "-838:59:59", "y": num("1999"),
		"c": "ab", "vc": "é🙂\"\\\n", "tx": "ÿ text", "e": "b", "s": []any{"x", "z"}, "s0": []any{},
		"bn": "YQBi", "vb": "AP8Q", "bl": "3q2+7w==", "bt": num("513"), "n": nil,
	}
	// A table read whole sends JSON nested on MySQL and MariaDB alike (MariaDB's JSON is a
	// LONGTEXT with a json_valid CHECK: the table's constraints say so).
	want["j"] = map[string]any{"a": []any{num("1"), num("2.5"), nil}, "b": map[string]any{"c": "🙂"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	for _, q := range []string{src.TableQuery("t"), "SELECT *  FROM `t`", "select * from t"} {
		objs, _ := readMySQL(t, src, q, "id")
		if j := decode(t, []byte(objs[0])).(map[string]any)["j"]; !cmp.Equal(j, want["j"]) {
			t.Errorf("%s: j = %#v, want nested JSON", q, j)
		}
	}
	cols, err := src.Describe(context.Background(), "select id, b, bu, ts, j from t")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]controlplane.Column{{Name: "id", Type: "int"}, {Name: "b", Type: "tinyint(1)"},
		{Name: "bu", Type: "unsigned bigint"}, {Name: "ts", Type: "timestamp"}, {Name: "j", Type: "json"}}, cols); diff != "" {
		t.Errorf("describe (-want +got):\n%s", diff)
	}
	if cols, err = src.Describe(context.Background(), src.TableQuery("t")); err != nil || !slices.Contains(cols, controlplane.Column{Name: "j", Type: "json"}) {
		t.Errorf("describe of the table: %v, %v: want j of type json", cols, err)
	}
}

// TestMariaDBJSONInSQL: on MariaDB, whose JSON type is LONGTEXT with a json_valid CHECK, a SQL
// model's column is nested JSON when the server traces it to such a column (through aliases,
// joins, derived tables, CTEs and views) or to a JSON function, and a string when it cannot
// (an expression over the column, a UNION): the cases docs/warehouses.md lists. On MySQL,
// JSON is a type of its own on the wire: the expressions' types are MySQL's, not asserted.
func TestMariaDBJSONInSQL(t *testing.T) {
	t.Parallel()
	wurl, fixtures := warehousetest.NewMySQLDatabase(t)
	if _, err := fixtures.Exec(`CREATE TABLE t (id int PRIMARY KEY, j json, tx longtext, bin longtext COLLATE utf8mb4_bin);
		CREATE TABLE u (id int PRIMARY KEY, j json);
		INSERT INTO t VALUES (1, '{"a": [1, 2.5]}', '{"not": "json"}', '[1]');
		INSERT INTO u VALUES (1, '[true]');
		CREATE VIEW v AS SELECT id, j AS vj FROM t;
		CREATE VIEW vt AS SELECT id, j FROM t UNION ALL SELECT id, j FROM u`); err != nil {
		t.Fatalf("setup: %v", err)
	}
	src := NewMySQL(&controlplane.MySQLConfig{URL: wurl})
	maria := newMySQLIsMariaDB(t, src)
	if maria {
		// Only MariaDB's JSON can hold text that is not JSON: its CHECK can be switched off.
		if _, err := fixtures.Exec(`CREATE TABLE bad (id int PRIMARY KEY, j json);
			SET SESSION check_constraint_checks = 0;
			INSERT INTO bad VALUES (1, 'not json at all'), (2, '["\\ud800", "\\\\ud800"]');
			SET SESSION check_constraint_checks = 1`); err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	nested := map[string]any{"a": []any{num("1"), num("2.5")}}
	for _, tc := range []struct {
		sql   string
		want  any
		maria bool // what MariaDB cannot tell: a string
	}{
		{"select id, j as x from t", nested, false},
		{"select a.id, a.j as x from t as a", nested, false},
		{"select t.id, u.j as x from t join u on u.id = t.id", []any{true}, false},
		{"select id, x from (select id, j as x from t) as d", nested, false},
		{"select id, x from (select id, j as x from t group by id, j) as d", nested, false},
		{"with c as (select id, j as x from t limit 5) select id, x from c", nested, false},
		{"select id, vj as x from v", nested, false},
		{"select id, json_object('k', id) as x from t", map[string]any{"k": num("1")}, false},
		{"select id, json_extract(j, '$.a') as x from t", []any{num("1"), num("2.5")}, false},
		{"select id, json_arrayagg(id) as x from t group by id", []any{num("1")}, false},
		{"select id, tx as x from t", `{"not": "json"}`, false},
		{"select id, bin as x from t", "[1]", false},
		{"select id, json_value(j, '$.a[0]') as x from t", "1", false},
		{"select id, coalesce(j, '{}') as x from t", `{"a": [1, 2.5]}`, true},
		{"select id, x from (select id, j as x from t union all select id + 1, j from u) as d where id = 1", `{"a": [1, 2.5]}`, true},
		{"select id, j as x from vt where id = 1 limit 1", `{"a": [1, 2.5]}`, true},
		// A derived table that is not one select, named as a base table the query also reads:
		// its column is not that table's JSON column.
		{"select u.id, u.j as x from (select id, tx as j from t union all select id, tx from t where 0) as u where u.id in (select id from u)",
			`{"not": "json"}`, false},
		{`select u.id, u.j as x from json_table('[{"id":1,"j":"hello"}]', '$[*]' columns(id int path '$.id', j varchar(50) path '$.j')) as u where u.id in (select id from u)`,
			"hello", false},
	} {
		objs, _ := readMySQL(t, src, tc.sql, "id")
		if len(objs) != 1 {
			t.Fatalf("%s: %d rows", tc.sql, len(objs))
		}
		got := decode(t, []byte(objs[0])).(map[string]any)["x"]
		if tc.maria && !maria {
			continue
		}
		if !cmp.Equal(tc.want, got) {
			t.Errorf("%s: x = %#v, want %#v", tc.sql, got, tc.want)
		}
	}
	if !maria {
		return
	}
	// A JSON column holding text that is not JSON (its CHECK was off when it was written) is
	// sent as a string, never as is.
	objs, _ := readMySQL(t, src, "select id, j as x from bad", "id")
	if got := decode(t, []byte(objs[0])).(map[string]any)["x"]; got != "not json at all" {
		t.Errorf("a JSON column holding text that is not JSON: x = %#v, want it as a string", got)
	}
	// Nor a lone UTF-16 surrogate's escape, which json_valid refuses too: "\ufffd", as a
	// Postgres json's is (appendJSONText).
	if want := `{"id":2,"x":["\ufffd", "\\ud800"]}`; len(objs) < 2 || objs[1] != want {
		t.Errorf("a JSON column holding a lone surrogate: sent %v, want %s", objs[1:], want)
	}
	// A user with SELECT but not SHOW VIEW: MariaDB will not EXPLAIN the view, so its JSON
	// column is a string, and the read still works.
	u, err := url.Parse(src.cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	user := "ro_" + strings.TrimPrefix(db, "backflow_test_")
	_, admin := warehousetest.NewMySQLDatabase(t)
	for _, q := range []string{"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'pw'", "GRANT SELECT ON " + db + ".* TO '" + user + "'@'%'"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP USER '" + user + "'@'%'") })
	u.User = url.UserPassword(user, "pw")
	ro := NewMySQL(&controlplane.MySQLConfig{URL: u.String()})
	objs, _ = readMySQL(t, ro, "select id, vj as x from v", "id")
	if got := decode(t, []byte(objs[0])).(map[string]any)["x"]; got != `{"a": [1, 2.5]}` {
		t.Errorf("a view without SHOW VIEW: x = %#v, want the JSON text as a string", got)
	}
}

func newMySQLIsMariaDB(t *testing.T, src *MySQL) bool {
	t.Helper()
	c, err := src.connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	return c.mariadb
}

// otherRows is a driver's rows of another shape than github.com/go-sql-driver/mysql's.
type otherRows struct{ columns []string }

func (r otherRows) Columns() []string                     { return r.columns }
func (otherRows) Close() error                            { return nil }
func (otherRows) Next([]driver.Value) error               { return io.EOF }
func (otherRows) ColumnTypeDatabaseTypeName(i int) string { return "TINYINT" }

// TestMySQLFieldsShape: the column lengths are read from the driver's rows by reflection
// (myFields says why); rows of any other shape are an error that names the driver, never
// lengths of 0 that would silently send TINYINT(1) as numbers.
func TestMySQLFieldsShape(t *testing.T) {
	if _, err := myFields(otherRows{columns: []string{"b"}}); err == nil || !strings.Contains(err.Error(), "github.com/go-sql-driver/mysql") {
		t.Errorf("myFields of rows of another shape: %v, want an error naming the driver", err)
	}
	src := newMySQL(t, "CREATE TABLE f (b tinyint(1), ti tinyint)")
	c, err := src.connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	var fields []myField
	err = c.conn.Raw(func(dc any) error {
		rows, err := dc.(driver.QueryerContext).QueryContext(context.Background(),
			"SELECT b, ti FROM f LIMIT 0", nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		fields, err = myFields(rows)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) != 2 || fields[0].length != 1 || fields[1].length <= 1 || fields[0].dbType != "TINYINT" {
		t.Errorf("fields %+v: want b a TINYINT of length 1, ti longer", fields)
	}
}

// TestMariaOrigins: result columns traced through EXPLAIN EXTENDED's note as MariaDB 10.11
// prints it (notes copied from the server), and the ones that cannot be traced left out.
func TestMariaOrigins(t *testing.T) {
	col := func(db, table, column string) mariaOrigin { return mariaOrigin{db: db, table: table, column: column} }
	fn := mariaOrigin{json: true}
	for _, tc := range []struct {
		note string
		want map[string]mariaOrigin
	}{
		{"select `d`.`t`.`doc` AS `doc`,`d`.`t`.`txt` AS `txt`,json_object('k',`d`.`t`.`id`) AS `jo`," +
			"json_extract(`d`.`t`.`doc`,'$.a') AS `je`,`d`.`u`.`doc` AS `ud`,concat(`d`.`t`.`doc`) AS `cd`,'a,b' AS `x, y`," +
			"json_value(`d`.`t`.`doc`,'$.a') AS `jv`,json_object('a',1) + 1 AS `sum` from `d`.`t` join `d`.`t` `u` " +
			"where multiple equal(`d`.`t`.`id`, `d`.`u`.`id`) limit 0",
			map[string]mariaOrigin{"doc": col("d", "t", "doc"), "txt": col("d", "t", "txt"), "jo": fn, "je": fn,
				"ud": col("d", "t", "doc")}},
		{"/* select#1 */ select `m`.`doc` AS `doc`,`m`.`c` AS `c` from (/* select#2 */ select `d`.`t`.`doc` AS `doc`," +
			"count(0) AS `c` from `d`.`t` group by `d`.`t`.`doc`) `m` limit 0",
			map[string]mariaOrigin{"doc": col("d", "t", "doc")}},
		// A UNION's columns merge two selects: not traced.
		{"/* select#1 */ select `m`.`doc` AS `doc` from (/* select#2 */ select `d`.`t`.`doc` AS `doc` from `d`.`t` " +
			"union all /* select#3 */ select `d`.`t`.`txt` AS `doc` from `d`.`t`) `m` limit 0", map[string]mariaOrigin{}},
		// A CTE, and a derived table inside it.
		{"/* select#1 */ select `m`.`j` AS `j` from (with c as (/* select#2 */ select `x`.`j` AS `j` from " +
			"(/* select#3 */ select `d`.`t`.`doc` AS `j` from `d`.`t` limit 5) `x`)/* select#4 */ select `c`.`j` AS `j` from `c` limit 2) `m` limit 0",
			map[string]mariaOrigin{"j": col("d", "t", "doc")}},
		// A model that starts with WITH (EXPLAIN of the model itself), and one that is a UNION.
		{"with c as (/* select#2 */ select `d`.`t`.`id` AS `id`,`d`.`t`.`doc` AS `x` from `d`.`t` limit 5)" +
			"/* select#1 */ select `c`.`id` AS `id`,`c`.`x` AS `x` from `c`",
			map[string]mariaOrigin{"id": col("d", "t", "id"), "x": col("d", "t", "doc")}},
		{"/* select#1 */ select `d`.`t`.`doc` AS `doc` from `d`.`t` union /* select#2 */ select `d`.`t`.`txt` AS `doc` from `d`.`t`", nil},
		// The same alias at two levels, or for two tables: not traced.
		{"/* select#1 */ select `m`.`j` AS `j` from (/* select#2 */ select `m`.`j` AS `j` from (/* select#3 */ select " +
			"`d`.`t`.`doc` AS `j` from `d`.`t` limit 1) `m` limit 1) `m` limit 0", map[string]mariaOrigin{}},
		{"select `d`.`a`.`j` AS `j` from `d`.`t` `a` join `d`.`u` `a`", map[string]mariaOrigin{}},
		// A view's columns, named by the alias alone.
		{"select `t`.`id` AS `id`,`t`.`j` AS `j`,json_object('k',`t`.`id`) AS `jf` from `d`.`types_t` `t`",
			map[string]mariaOrigin{"id": col("d", "types_t", "id"), "j": col("d", "types_t", "j"), "jf": fn}},
		// Names with backticks, dots and spaces.
		{"select `d``b`.`t.x`.`a b` AS `c``d` from `d``b`.`t.x`", map[string]mariaOrigin{"c`d": col("d`b", "t.x", "a b")}},
		{"", nil},
	} {
		if diff := cmp.Diff(tc.want, mariaOrigins(tc.note, '`'), cmp.AllowUnexported(mariaOrigin{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.note, diff)
		}
	}
}

// TestMySQLKeyOrder: keys come in the ledger's order (bytes of the key's text) whatever the
// column's collation (utf8mb4_general_ci ignores case and accents) or type (integers by text).
func TestMySQLKeyOrder(t *testing.T) {
	t.Parallel()
	keys := []string{"", " ", "  ", "\t", "A", "a", "B", "b", "Z", "z", "_", "-", "é", "É", "e\u0301", "日本", "𝄞", "🙂",
		"0", "00", "1", "10", "9", "-1", "a b", "a\nb", "a ", strings.Repeat("k", 1500), strings.Repeat("é", 1000)}
	url, db := warehousetest.NewMySQLDatabase(t)
	if _, err := db.Exec(`CREATE TABLE k (k varchar(2000), v int); CREATE TABLE ki (k bigint, v int);
		INSERT INTO ki VALUES (-10, 1), (-2, 1), (-1, 1), (0, 1), (1, 1), (2, 1), (9, 1), (10, 1), (11, 1), (100, 1),
		(9223372036854775807, 1), (-9223372036854775808, 1), (NULL, 1)`); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if _, err := db.Exec(`INSERT INTO k VALUES (?, 1)`, k); err != nil {
			t.Fatal(err)
		}
	}
	src := NewMySQL(&controlplane.MySQLConfig{URL: url})
	for _, table := range []string{"k", "ki"} {
		_, got := readMySQL(t, src, "select * from "+table, "k")
		nonNull := got
		if table == "ki" {
			if got[len(got)-1] != "<null>" {
				t.Errorf("%s: the NULL key is not last: %q", table, got)
			}
			nonNull = got[:len(got)-1]
		}
		want := append([]string(nil), nonNull...)
		sort.Slice(want, func(i, j int) bool { return bytes.Compare([]byte(want[i]), []byte(want[j])) < 0 })
		if diff := cmp.Diff(want, nonNull); diff != "" {
			t.Errorf("%s: keys not in byte order (-want +got):\n%s", table, diff)
		}
		if table == "k" {
			sort.Strings(keys)
			if diff := cmp.Diff(keys, want); diff != "" {
				t.Errorf("keys read differ from the keys written (-want +got):\n%s", diff)
			}
		}
	}
}

// TestMariaDBJSONOfBinary: a JSON function given a binary argument returns its JSON text in the
// binary character set (a BLOB on the wire); on MariaDB it is still nested JSON, and a string
// when the text is not UTF-8 (the argument's bytes are copied in as they are). A binary column
// is base64 as ever.
func TestMariaDBJSONOfBinary(t *testing.T) {
	t.Parallel()
	src := newMySQL(t, `CREATE TABLE t (id int PRIMARY KEY, name varchar(10), tok varbinary(16));
	INSERT INTO t VALUES (1, 'ann', 'abc'), (2, 'bob', 0xff00), (3, NULL, NULL)`)
	maria := newMySQLIsMariaDB(t, src)
	for _, tc := range []struct {
		sql  string
		typ  string
		want []string
	}{
		{"select id, JSON_OBJECT('name', name, 'tok', tok) as v from t", "json", []string{
			`{"id":1,"v":{"name": "ann", "tok": "abc"}}`,
			`{"id":2,"v":"{\"name\": \"bob\", \"tok\": \"\ufffd\\u0000\"}"}`,
			`{"id":3,"v":{"name": null, "tok": null}}`}},
		{"select id, JSON_ARRAY(tok) as v from t where id = 1", "json", []string{`{"id":1,"v":["abc"]}`}},
		{"select id, tok as v from t where id = 1", "varbinary", []string{`{"id":1,"v":"YWJj"}`}},
	} {
		objs, _ := readMySQL(t, src, tc.sql, "id")
		for _, o := range objs {
			if !json.Valid([]byte(o)) || !utf8.ValidString(o) {
				t.Errorf("%s: invalid JSON %q", tc.sql, o)
			}
		}
		if !maria {
			continue // MySQL's JSON functions return its JSON type, binary arguments as base64:type15:...
		}
		if diff := cmp.Diff(tc.want, objs); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.sql, diff)
		}
		cols, err := src.Describe(context.Background(), tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		if cols[1].Type != tc.typ {
			t.Errorf("%s: v is described as %q, want %q", tc.sql, cols[1].Type, tc.typ)
		}
	}
}

// TestMySQLBitKeys: a BIT key's text is its number in decimal, so keys are unique and never
// hold NUL (its raw bytes in utf8mb4 made 128 and 200 one key "?", and 65 "\x00A"), and a
// mirror's delete (KeyJSON) names it as its upserts sent it.
func TestMySQLBitKeys(t *testing.T) {
	t.Parallel()
	src := newMySQL(t, `CREATE TABLE b (id int PRIMARY KEY, k bit(16));
	INSERT INTO b VALUES (1, 65), (2, 128), (3, 63), (4, 200), (5, 0), (6, 65535), (7, 256), (8, NULL);
	CREATE TABLE b64 (id int PRIMARY KEY, k bit(64));
	INSERT INTO b64 VALUES (1, 18446744073709551615), (2, 0), (3, 9223372036854775808), (4, 1)`)
	for _, tc := range []struct {
		table string
		keys  []string
	}{
		{"b", []string{"0", "128", "200", "256", "63", "65", "65535", "<null>"}},
		{"b64", []string{"0", "1", "18446744073709551615", "9223372036854775808"}},
	} {
		cols, err := src.Describe(context.Background(), "select k, id from "+tc.table)
		if err != nil {
			t.Fatal(err)
		}
		if cols[0].Type != "bit" {
			t.Fatalf("%s: k is described as %q, want bit", tc.table, cols[0].Type)
		}
		keyJSON := src.KeyJSON(cols[0])
		objs, keys := readMySQL(t, src, "select k, id from "+tc.table, "k")
		if diff := cmp.Diff(tc.keys, keys); diff != "" {
			t.Errorf("%s: keys (-want +got):\n%s", tc.table, diff)
		}
		for i, k := range keys {
			if !json.Valid([]byte(objs[i])) {
				t.Errorf("%s: invalid JSON %s", tc.table, objs[i])
			}
			if k == "<null>" {
				continue
			}
			if strings.IndexByte(k, 0) >= 0 {
				t.Errorf("%s: key %q holds NUL", tc.table, k)
			}
			upsert := gjson.Get(objs[i], "k").Raw
			if del := string(keyJSON(nil, []byte(k))); del != upsert || upsert != k {
				t.Errorf("%s: key %q: the delete names %s, the upsert sent %s", tc.table, k, del, upsert)
			}
		}
	}
}

func TestMySQLReadOnly(t *testing.T) {
	t.Parallel()
	src := newMySQL(t, `CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 1);
		CREATE FUNCTION bump() RETURNS int MODIFIES SQL DATA DETERMINISTIC BEGIN UPDATE t SET v = v + 1; RETURN 1; END`)
	ctx := context.Background()
	for _, q := range []string{
		"delete from t", "update t set v = 2", "select * from t for update", "select * from t lock in share mode",
		"select * from t; delete from t", "select bump() as b",
	} {
		_, err := src.Describe(ctx, q)
		if err == nil {
			rows, oerr := src.Open(ctx, q, "b", nil)
			if oerr == nil {
				for rows.Next() {
				}
				oerr = rows.Err()
				rows.Close()
			}
			err = oerr
		}
		if err == nil {
			t.Errorf("%q: read without an error", q)
			continue
		}
		if strings.Contains(q, "bump") || strings.Contains(q, " for ") || strings.Contains(q, " lock ") {
			if !errors.Is(err, ErrNotReadOnly) {
				t.Errorf("%q: %v, want ErrNotReadOnly", q, err)
			}
		}
	}
	objs, _ := readMySQL(t, src, "select * from t", "id")
	if diff := cmp.Diff([]string{`{"id":1,"v":1}`}, objs); diff != "" {
		t.Errorf("the table changed (-want +got):\n%s", diff)
	}
	// Strings and comments that merely mention locking clauses are fine.
	if _, err := src.Describe(ctx, "select 'for update' as `for share`, id /* for update */ from t -- lock in share mode"); err != nil {
		t.Errorf("a query mentioning locking clauses in strings and comments: %v", err)
	}
}

func TestMySQLLockTimeout(t *testing.T) {
	t.Parallel()
	url, db := warehousetest.NewMySQLDatabase(t)
	if _, err := db.Exec(`CREATE TABLE t (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	locker, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	if _, err := locker.ExecContext(ctx, "LOCK TABLES t WRITE"); err != nil {
		t.Fatal(err)
	}
	src := NewMySQL(&controlplane.MySQLConfig{URL: url, LockTimeout: time.Second})
	_, err = src.Describe(ctx, "select * from t")
	if !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("describe of a locked table: %v, want ErrLockTimeout", err)
	}
	if !strings.Contains(err.Error(), "lock_timeout (1s)") {
		t.Errorf("the error does not name the timeout: %v", err)
	}
}

func TestMySQLURL(t *testing.T) {
	for _, bad := range []string{"postgres://u@h/db", "mysql://", "mysql:///db", "mysql://u:secret@h/db/x", "mysql://u:secret@h/db?tls=nonsense-secret"} {
		_, err := ParseMySQLURL(bad)
		if err == nil {
			t.Errorf("%q parsed", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: the error shows the URL: %v", bad, err)
		}
	}
	cfg, err := ParseMySQLURL("mysql://reader:p%40ss@db.example.com/analytics?tls=true")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.User != "reader" || cfg.Passwd != "p@ss" || cfg.Addr != "db.example.com:3306" || cfg.DBName != "analytics" || cfg.TLSConfig != "true" {
		t.Errorf("parsed %+v", cfg)
	}
	// A '/' in a parameter's value, which a URL's query may hold as it is: a zone's name, a
	// program's version. Percent-encoded or not, it is the same value.
	for _, q := range []string{"time_zone=%27Europe/Paris%27&loc=America/New_York&connectionAttributes=program_name:etl/2",
		"time_zone=%27Europe%2FParis%27&loc=America%2FNew_York&connectionAttributes=program_name:etl%2F2"} {
		cfg, err := ParseMySQLURL("mysql://reader:secret@db.example.com/analytics?" + q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if cfg.DBName != "analytics" || cfg.Addr != "db.example.com:3306" || cfg.Params["time_zone"] != "'Europe/Paris'" ||
			cfg.ConnectionAttributes != "program_name:etl/2" {
			t.Errorf("%s: parsed %+v", q, cfg)
		}
	}
	// A '+' in a parameter's value is a plus, as a URL's query holds it (an offset time zone):
	// the driver's decoding read it as a space, and the server refused the zone ' 05:30'.
	for _, q := range []string{"time_zone=%27+05:30%27", "time_zone=%27%2B05:30%27", "time_zone='+05:30'"} {
		cfg, err := ParseMySQLURL("mysql://reader:secret@db.example.com/analytics?" + q)
		if err != nil || cfg.Params["time_zone"] != "'+05:30'" {
			t.Errorf("%s: time_zone %q, %v; want '+05:30'", q, cfg.Params["time_zone"], err)
		}
	}
}

func TestMySQLStatementTimeout(t *testing.T) {
	t.Parallel()
	src := newMySQL(t, "")
	src.cfg.StatementTimeout = time.Second
	rows, err := src.Open(context.Background(),
		"SELECT count(*) AS c FROM information_schema.collations a, information_schema.collations b, "+
			"information_schema.collations c, information_schema.collations d", "c", nil)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if !errors.Is(err, ErrStatementTimeout) {
		t.Fatalf("a query longer than statement_timeout: %v, want ErrStatementTimeout", err)
	}
	if !strings.Contains(err.Error(), "(1s)") {
		t.Errorf("the error does not name the timeout: %v", err)
	}
}

// TestMySQLFloatDigits: a FLOAT is sent as the float it holds, its shortest digits, as a
// Postgres float4 or a DuckDB FLOAT is: the server's own text of it has six significant digits
// (123456789 stored as 123456792 is printed 123457000), which is not the value. As a key, its
// text is the value's too, so two FLOATs that print alike are two keys, and a delete names a key
// as its upserts did.
func TestMySQLFloatDigits(t *testing.T) {
	t.Parallel()
	values := []float32{16777217, 123456789, 123456780, 0.1, 1.1, 3.4e38, -3.3e38, 1.1754944e-38, 1e-45, -2.5, 0, 7654321.5, 0.000123456789}
	var inserts []string
	for i, v := range values {
		inserts = append(inserts, fmt.Sprintf("(%d, %s)", i, strconv.FormatFloat(float64(v), 'g', -1, 32)))
	}
	src := newMySQL(t, "CREATE TABLE f (id int, f float); INSERT INTO f VALUES "+strings.Join(inserts, ", "))
	objs, _ := readMySQL(t, src, "select id, f from f", "id")
	if len(objs) != len(values) {
		t.Fatalf("rows %v", objs)
	}
	for _, o := range objs {
		m := decode(t, []byte(o)).(map[string]any)
		i, _ := strconv.Atoi(string(m["id"].(json.Number)))
		if want := string(appendFloat(nil, float64(values[i]), 32)); string(m["f"].(json.Number)) != want {
			t.Errorf("FLOAT %v sent as %s, want %s", values[i], m["f"], want)
		}
	}
	// Keyed on the FLOAT: one key each, named by a delete as its upserts named it.
	cols, err := src.Describe(context.Background(), "select f, id from f")
	if err != nil {
		t.Fatal(err)
	}
	keyJSON := src.KeyJSON(cols[0])
	rows, err := Read(context.Background(), src, "select f, id from f", "f", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		key, _ := rows.Key()
		if seen[string(key)] {
			t.Errorf("two FLOATs have the key %q", key)
		}
		seen[string(key)] = true
		if del, upsert := string(keyJSON(nil, key)), string(rows.AppendValue(nil, 0)); del != upsert {
			t.Errorf("key %q: a delete names it %s, its upserts %s", key, del, upsert)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestMySQLSessionVariables: a URL's session variables (as a server's, a user's init_connect or
// my.cnf set them) change neither a read's records nor its keys: sql_select_limit, which capped
// the read itself (it returned the first row only, and a mirror deleted the others), and on
// MariaDB the sql_mode and old_mode flags MySQL does not have (ORACLE, MSSQL,
// EMPTY_STRING_IS_NULL, TIME_ROUND_FRACTIONAL, ZERO_DATE_TIME_CAST, UTF8_IS_UTF8MB3).
func TestMySQLSessionVariables(t *testing.T) {
	t.Parallel()
	src := newMySQL(t, `CREATE TABLE s (id int, ts timestamp(3) NULL, dt datetime(6), tm time(1), c char(4), vc varchar(10),
		dc decimal(10,3), f float, db double, vb varbinary(8), y year, bt bit(8), j json);
		INSERT INTO s VALUES (1, '2020-01-02 03:04:05.5', '2020-01-02 03:04:05.5', '03:04:05.5', 'ab', '', 1.5, 0.1, 0.1, 'ab', 2020, b'1', '{"a": [1.5, ""]}'),
		(2, NULL, '0000-00-00 00:00:00', '-838:59:59', '', 'é ', -0.001, 1e20, -2.25e300, '', 1901, b'11111111', '""'),
		(3, '2038-01-19 03:14:07.999', '9999-12-31 23:59:59.999999', '00:00:00', 'é', 'x', 0, 16777216, 1, NULL, NULL, NULL, NULL)`)
	url := src.cfg.URL
	settings := [][]string{{"sql_select_limit=1"}}
	if newMySQLIsMariaDB(t, src) {
		settings = append(settings, []string{"sql_mode='ORACLE'"}, []string{"sql_mode='MSSQL,EMPTY_STRING_IS_NULL,TIME_ROUND_FRACTIONAL'"},
			[]string{"old_mode='ZERO_DATE_TIME_CAST,UTF8_IS_UTF8MB3'", "sql_select_limit=2"})
	}
	for _, key := range []string{"id", "ts", "dt", "tm", "c", "vc", "dc", "f", "db", "vb", "y", "bt"} {
		wantObjs, wantKeys := readMySQL(t, src, "select * from s", key)
		if len(wantObjs) != 3 {
			t.Fatalf("key %s: %d rows, want 3", key, len(wantObjs))
		}
		for _, params := range settings {
			u := url + "?" + strings.Join(params, "&")
			if strings.Contains(url, "?") {
				u = url + "&" + strings.Join(params, "&")
			}
			objs, keys := readMySQL(t, NewMySQL(&controlplane.MySQLConfig{URL: u}), "select * from s", key)
			if diff := cmp.Diff(wantObjs, objs); diff != "" {
				t.Errorf("key %s, %v: records (-default +with them):\n%s", key, params, diff)
			}
			if diff := cmp.Diff(wantKeys, keys); diff != "" {
				t.Errorf("key %s, %v: keys (-default +with them):\n%s", key, params, diff)
			}
		}
	}
}

// TestMySQLUnsignedCursorBound: a BIGINT UNSIGNED cursor's bound above 2^63 compares as an
// exact integer: a read from 18446744073709550615 does not read 18446744073709548615, which a
// bound sent as a string (compared as a double, 2048 apart near 2^64) did.
func TestMySQLUnsignedCursorBound(t *testing.T) {
	t.Parallel()
	src := newMySQL(t, `CREATE TABLE cur (id int, c bigint unsigned);
		INSERT INTO cur VALUES (1, 18446744073709548615), (2, 18446744073709550615), (3, 18446744073709551615), (4, NULL)`)
	for _, tc := range []struct {
		from string
		want []string
	}{
		{"18446744073709550615", []string{"2", "3", "4"}},
		{"18446744073709551615", []string{"3", "4"}},
		{"9223372036854775808", []string{"1", "2", "3", "4"}},
	} {
		s, err := src.Open(context.Background(), "select id, c from cur", "id", &Since{Column: "c", Kind: CursorInteger, From: tc.from})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for s.Next() {
			k, _ := s.Key()
			got = append(got, string(k))
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		s.Close()
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("read from %s: keys %v, want %v", tc.from, got, tc.want)
		}
	}
}

// TestMySQLCancelStopsTheQuery: a read whose context is canceled (a preview's timeout, a run
// stopped or canceled) or that is closed before its end stops on the server too. The driver
// only drops its connection, and MySQL and MariaDB do not notice a client gone until they
// next write to it: a slow sort or scan went on for as long as it took, or until the
// statement timeout, after the runner had walked away.
func TestMySQLCancelStopsTheQuery(t *testing.T) {
	t.Parallel()
	url, db := warehousetest.NewMySQLDatabase(t)
	// The reads sleep 10 minutes, under a statement timeout as long: a query not stopped runs on,
	// and the waits below, far shorter but far longer than a stop takes, only end that hang.
	src := NewMySQL(&controlplane.MySQLConfig{URL: url, StatementTimeout: 10 * time.Minute})
	// running counts the server's statements that hold marker, other than this count's own.
	running := func(t *testing.T, marker string) int {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "+
			"AND COMMAND = 'Query' AND INSTR(INFO, CONCAT(?, ?)) > 0", marker[:4], marker[4:]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	stopped := func(t *testing.T, marker string) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Minute); running(t, marker) > 0; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the read's query %s still runs on the server 2m after the read was canceled: it was not stopped", marker)
			}
		}
	}
	started := func(t *testing.T, marker string) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); running(t, marker) == 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the read's query %s never started: hung a minute", marker)
			}
		}
	}

	t.Run("canceled", func(t *testing.T) {
		marker := "slow_canceled"
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			rows, err := Read(ctx, src, "SELECT 1 AS id, SLEEP(600) AS "+marker, "id", nil, nil)
			if err == nil {
				rows.Close()
			}
			done <- err
		}()
		started(t, marker)
		// Another session's statement, running meanwhile, is not stopped: SLEEP returns 1
		// when interrupted.
		other := make(chan error, 1)
		go func() {
			var interrupted int
			err := db.QueryRow("SELECT SLEEP(1)").Scan(&interrupted)
			if err == nil && interrupted != 0 {
				err = errors.New("interrupted")
			}
			other <- err
		}()
		time.Sleep(100 * time.Millisecond)
		cancel()
		err := <-done
		if err == nil {
			t.Fatal("a canceled read succeeded")
		}
		// The read's own caller ended it: not the model's SQL at fault.
		if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "rejected") {
			t.Errorf("canceled read: %v; want context.Canceled, not a rejected SQL", err)
		}
		stopped(t, marker)
		if err := <-other; err != nil {
			t.Errorf("another session's statement: %v", err)
		}
	})

	t.Run("closed", func(t *testing.T) {
		marker := "slow_closed"
		// The first row is larger than the server's network buffer, so it is sent before the
		// second is computed.
		if _, err := db.Exec("CREATE TABLE t (id int PRIMARY KEY, pad longtext)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO t VALUES (1, REPEAT('x', 1000000)), (2, '')"); err != nil {
			t.Fatal(err)
		}
		rows, err := src.Open(context.Background(), "SELECT id, pad, SLEEP(IF(id = 2, 600, 0)) AS "+marker+" FROM t", "id", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rows.Next() {
			t.Fatalf("no first row: %v", rows.Err())
		}
		started(t, marker)
		rows.Close()
		stopped(t, marker)
	})
}

// TestMySQLURLAllowAllFiles: allowAllFiles=true let the server the URL names answer any query
// with a LOAD DATA LOCAL INFILE request for a file of the runner's host (or the provider's, at
// plan time), which the driver then sent it: ~/.pgpass, the TLS keys, /proc/self/environ with
// BACKFLOW_SECRET_KEY. It is refused, at plan time and by the runner, without the URL.
func TestMySQLURLAllowAllFiles(t *testing.T) {
	for _, u := range []string{"mysql://u:secret@h/db?allowAllFiles=true", "mysql://u:secret@h/db?tls=true&allowAllFiles=1"} {
		_, err := ParseMySQLURL(u)
		if err == nil || !strings.Contains(err.Error(), "allowAllFiles") || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, err := ParseMySQLURL("mysql://u:secret@h/db?allowAllFiles=false"); err != nil {
		t.Error(err)
	}
}

// TestMySQLNotAQuery: a statement that is not a query (SHOW, CALL, SET, DO, HANDLER, LOAD DATA)
// is refused as one, naming its kind; a query with a mistake in it, and every form of a query,
// are not.
func TestMySQLNotAQuery(t *testing.T) {
	t.Parallel()
	src := newMySQL(t, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
	for _, c := range []struct{ sql, kind string }{
		{"SHOW TABLES", "SHOW"}, {"call p()", "CALL"}, {"SET @a = 1", "SET"}, {"DO SLEEP(0)", "DO"},
		{"HANDLER t OPEN", "HANDLER"}, {"LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t", "LOAD"},
		{"/* a comment */ show databases;", "SHOW"}, {"EXPLAIN SELECT 1", "EXPLAIN"},
	} {
		_, err := src.Describe(context.Background(), c.sql)
		if !errors.Is(err, ErrNotReadOnly) || !strings.Contains(err.Error(), "is a "+c.kind+" statement, not a query") {
			t.Errorf("%s: %v", c.sql, err)
		}
	}
	for _, q := range []string{"selct id from t", "select id frm t"} {
		if _, err := src.Describe(context.Background(), q); err == nil || errors.Is(err, ErrNotReadOnly) {
			t.Errorf("%s: %v, want the server's syntax error alone", q, err)
		}
	}
	for _, q := range []string{"select id from t", "  (select id from t)", "with c as (select id from t) select * from c",
		"values (1)", "/* c */ select id from t;", "table t"} {
		if _, err := src.Describe(context.Background(), q); err != nil && !(q == "table t" && strings.Contains(err.Error(), "1064")) {
			t.Errorf("%s: %v", q, err)
		}
	}
}
