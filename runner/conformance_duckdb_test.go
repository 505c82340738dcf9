//go:build cgo

package runner

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// DuckDB in the conformance suite (cgo builds only, as the driver). Its fixtures are written
// through a connection of their own, opened and closed around each statement: the runner opens
// the file read-only, which DuckDB allows only while no writer holds it.
func init() {
	conformanceWarehouses = append(conformanceWarehouses, conformanceWarehouse{
		name: controlplane.KindDuckDB,
		open: func(t *testing.T) (*controlplane.Connection, func(string, ...any)) {
			path, _ := warehousetest.NewDuckDBFile(t)
			// A default collation that is not byte order: the key order must not follow it.
			return &controlplane.Connection{Name: "warehouse", DuckDB: &controlplane.DuckDBConfig{Database: path,
					InitSQL: "SET default_collation = 'nocase'"}},
				func(q string, args ...any) {
					t.Helper()
					db, err := sql.Open("duckdb", path)
					if err != nil {
						t.Fatal(err)
					}
					defer db.Close()
					if _, err := db.Exec(q, args...); err != nil {
						t.Fatalf("warehouse: %s: %v", q, err)
					}
				}
		},
		items: `CREATE TABLE items (id BIGINT, name VARCHAR, v INTEGER);
			INSERT INTO items VALUES (1, 'n1', 1), (2, 'n2', 1), (3, 'n3', 1), (4, 'n4', 1), (5, 'n5', 1),
			(NULL, 'null', 1), (7, 'dup a', 1), (7, 'dup b', 1)`,
		textKeys:  `CREATE TABLE k (k VARCHAR, v INTEGER)`,
		insertKey: `INSERT INTO k VALUES (?, 1)`,
		keyIs:     `k = ?`,
		intKeys: `CREATE TABLE ki (k BIGINT, v INTEGER);
			INSERT INTO ki VALUES (-10, 1), (-2, 1), (-1, 1), (0, 1), (1, 1), (2, 1), (9, 1), (10, 1), (11, 1), (99, 1),
			(100, 1), (1000, 1), (9223372036854775807, 1), (-9223372036854775808, 1)`,
		types: `CREATE TABLE types AS SELECT 1 AS id, (-128)::TINYINT AS ti, 18446744073709551615::UBIGINT AS ub,
			(-170141183460469231731687303715884105728)::HUGEINT AS hi, 12345678901234567890.0123456789::DECIMAL(30,10) AS d,
			1.5::DOUBLE AS f, 'Infinity'::DOUBLE AS inf, true AS b, 'é🙂"\' || chr(10) AS v, DATE '2019-12-08' AS dt,
			TIMESTAMP '2019-12-08 14:19:52.5' AS ts, TIMESTAMPTZ '2019-12-08 09:19:52-05' AS tz,
			'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID AS u, '\x00\xFF\x10'::BLOB AS bl, [1, NULL, 3] AS l,
			{'a': 'x', 'b': 2} AS s, MAP {'k': 1} AS m, '{"a": [1, 2.5, null]}'::JSON AS j, NULL::INTEGER AS n,
			'infinity'::DATE AS di, '-infinity'::TIMESTAMP AS tsi, 'infinity'::TIMESTAMPTZ AS tzi,
			'infinity'::TIMESTAMP_S AS tssi, '-infinity'::TIMESTAMP_MS AS tsmi, 'infinity'::TIMESTAMP_NS AS tsni,
			'0044-03-15 (BC)'::DATE AS dbc, '12345-01-01'::DATE AS d5, '0044-03-15 (BC) 12:00:00.5'::TIMESTAMP AS tsbc,
			'0001-12-31 (BC) 23:59:59'::TIMESTAMP_S AS tss, '12345-01-02 03:04:05.25'::TIMESTAMP_MS AS tsm,
			'12345-01-02 03:04:05.5+00'::TIMESTAMPTZ AS tz5, '2019-12-08 14:19:52.123456789'::TIMESTAMP_NS AS tsn,
			['0044-03-15 (BC)'::DATE, '2019-12-08'] AS ld, {'at': '12345-01-02 03:04:05'::TIMESTAMP} AS st,
			'[NaN, -Infinity, "NaN"]'::JSON AS jn, '[1,]'::JSON AS jc, {'x': 'NaN'::DOUBLE, 't': '12:00:00+02'::TIMETZ} AS sn,
			TIME '24:00:00' AS t24`,
		wantTypes: map[string]any{"id": num("1"), "ti": num("-128"), "ub": num("18446744073709551615"),
			"hi": num("-170141183460469231731687303715884105728"), "d": num("12345678901234567890.0123456789"),
			"f": num("1.5"), "inf": "Infinity", "b": true, "v": "é🙂\"\\\n", "dt": "2019-12-08",
			"ts": "2019-12-08 14:19:52.5", "tz": "2019-12-08T14:19:52Z", "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
			"bl": "AP8Q", "l": []any{num("1"), nil, num("3")}, "s": map[string]any{"a": "x", "b": num("2")},
			"m": map[string]any{"k": num("1")}, "j": map[string]any{"a": []any{num("1"), num("2.5"), nil}}, "n": nil,
			"di": "infinity", "tsi": "-infinity", "tzi": "infinity", "tssi": "infinity", "tsmi": "-infinity", "tsni": "infinity",
			// Years outside 0000-9999 as ISO 8601's expanded form, as Postgres's are written.
			"dbc": "-000043-03-15", "d5": "+012345-01-01", "tsbc": "-000043-03-15 12:00:00.5", "tss": "0000-12-31 23:59:59",
			"tsm": "+012345-01-02 03:04:05.25", "tz5": "+012345-01-02T03:04:05.5Z", "tsn": "2019-12-08 14:19:52.123456789",
			"ld": []any{"-000043-03-15", "2019-12-08"}, "st": map[string]any{"at": "+012345-01-02 03:04:05"},
			// JSON that is not strict: NaN and infinities as strings, else the text as a string.
			"jn": []any{"NaN", "-Infinity", "NaN"}, "jc": "[1,]", "sn": map[string]any{"x": "NaN", "t": "12:00:00+02"},
			"t24": "24:00:00"},
		schema: func(*controlplane.Connection) string { return "main" },
		big: fmt.Sprintf(`CREATE TABLE big AS SELECT i AS id, repeat('x', 4000) AS pad FROM range(1, %d) AS r(i);
			CREATE TABLE fail (fail_at INTEGER); INSERT INTO fail VALUES (%d)`, bigRows+1, bigRows/2),
		// The runner reads the whole model before the first row is sent (it sorts DuckDB's rows
		// by key), so a read that ends midway fails before any is sent: error() on the row in fail.
		failModel:  "select b.*, CASE WHEN b.id = (SELECT max(fail_at) FROM fail) THEN error('the model failed') END AS x FROM big AS b",
		addColumn:  `ALTER TABLE items ADD COLUMN extra VARCHAR DEFAULT 'x'`,
		dropColumn: `ALTER TABLE items DROP COLUMN extra`,
		dropKey:    `ALTER TABLE items DROP COLUMN id`,
		numberKeys: []string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
			"UBIGINT", "UHUGEINT", "DECIMAL(10,2)", "FLOAT", "DOUBLE"},

		keyTypesKept:    [][2]string{{"INTEGER", "BIGINT"}, {"INTEGER", "HUGEINT"}, {"INTEGER", "DECIMAL(10,0)"}, {"FLOAT", "DOUBLE"}},
		keyTypesAltered: [][2]string{{"INTEGER", "DOUBLE"}, {"DECIMAL(10,1)", "DECIMAL(10,2)"}},

		otherKeys: [][3]string{{"TIMESTAMPTZ", "'2020-01-02 03:04:05.5+02'", "'2021-01-01 00:00:00+00'"},
			{"BOOLEAN", "false", "true"}, {"BLOB", `'\xFF\x00\x5C\x27"x\x7F'::BLOB`, "'abc'::BLOB"},
			{"JSON", `'{"b": 1,  "a": [2]}'`, "'3'"}, {"JSON", `'[NaN, -Infinity]'`, "'3'"}, {"JSON", `'[1,]'`, "'3'"},
			{"TIME", "'24:00:00'", "'12:00:00'"},
			{"DOUBLE", "1e20", "1"}, {"DOUBLE", "1e-7", "1"}, {"DOUBLE", "0.0", "1"}, {"DOUBLE", "'nan'", "1"}, {"DOUBLE", "'-inf'", "1"},
			{"FLOAT", "1e20", "1"}, {"FLOAT", "0.1", "1"},
			// DuckDB prints a DECIMAL whose width is its scale without the zero before the point
			// (".5000", "-.5000"), which is no JSON number.
			{"TIMESTAMPTZ_NS", "'2020-01-02 03:04:05.123456789+02'", "'2021-01-01 00:00:00+00'"},
			{"VARIANT", "{'a': [1.5::VARIANT, 'x', TIMESTAMPTZ '2020-01-02 03:04:05+00']}::VARIANT", "'y'::VARIANT"},
			{"DECIMAL(4,4)", "0.5", "0.25"}, {"DECIMAL(38,38)", "-0.5", "0.25"}, {"DECIMAL(18,18)", "0", "0.25"},
			{"TIMESTAMPTZ", "'12345-01-02 03:04:05.5+00'", "'2021-01-01 00:00:00+00'"},
			{"DATE", "'0044-03-15 (BC)'", "'2020-01-01'"}, {"DATE", "'0001-01-01 (BC)'", "'2020-01-01'"},
			{"TIMESTAMP", "'0044-03-15 (BC) 12:00:00.5'", "'2020-01-01'"},
			{"DATE", "'12345-01-01'", "'2020-01-01'"}, {"TIMESTAMP_S", "'0044-03-15 (BC) 12:00:00'", "'2020-01-01'"},
			{"TIMESTAMP_MS", "'12345-01-02 03:04:05.25'", "'2020-01-01'"}, {"TIMESTAMPTZ", "'0044-03-15 (BC) 12:00:00+00'", "'2020-01-01'"},
			{"BIGNUM", "'-123456789012345678901234567890123456789012'", "1"},
			{"DATE", "'infinity'", "'2020-01-01'"}, {"TIMESTAMP", "'-infinity'", "'2020-01-01'"},
			{"TIMESTAMPTZ", "'infinity'", "'2020-01-01'"}, {"TIMESTAMP_NS", "'infinity'", "'2020-01-01'"}},
		sessionTable: `SET TimeZone = 'UTC';
			CREATE TABLE ss AS SELECT * FROM (VALUES
			(1, TIMESTAMPTZ '2020-01-02 03:04:05.5+00', TIMESTAMP '2020-01-02 03:04:05.5', DATE '2020-01-02', TIME '03:04:05.5',
			'03:04:05.5+02'::TIMETZ, INTERVAL '1 year 2 months 3 days 04:05:06.5', 0.1::FLOAT, 0.1::DOUBLE, 1.5::DECIMAL(10,3),
			'\x01\xFF'::BLOB, [TIMESTAMPTZ '2020-01-02 03:04:05.5+00', NULL], {'at': TIMESTAMPTZ '2020-01-02 03:04:05.5+00'},
			[TIMESTAMPTZ '2020-01-02 03:04:05.5+00']::TIMESTAMPTZ[1], '12:00:00'::TIME_NS,
			{'at': TIMESTAMPTZ '2020-01-02 03:04:05.5+00', 'n': '1'::BIGNUM}, '2020-01-02 03:04:05.123456789+00'::TIMESTAMPTZ_NS,
			TIMESTAMPTZ '2020-01-02 03:04:05.5+00'::VARIANT, ['POINT(1 2)'::GEOMETRY]),
			(2, TIMESTAMPTZ '0044-03-15 (BC) 12:00:00+00', TIMESTAMP '0044-03-15 (BC) 12:00:00', DATE '0044-03-15 (BC)', TIME '24:00:00',
			'00:00:00-05:30'::TIMETZ, INTERVAL '-1 day 02:03:04', 1.0000001::FLOAT, 1.0000000000000002::DOUBLE, -0.001::DECIMAL(10,3),
			''::BLOB, [TIMESTAMPTZ '12345-01-01 00:00:00+00'], {'at': TIMESTAMPTZ '1999-12-31 23:30:00+00'},
			[TIMESTAMPTZ '1999-12-31 23:30:00+00']::TIMESTAMPTZ[1], '23:59:59.999999999'::TIME_NS,
			{'at': TIMESTAMPTZ '0044-03-15 (BC) 12:00:00+00', 'n': '2'::BIGNUM}, '1677-09-22 00:00:00+00'::TIMESTAMPTZ_NS,
			{'at': [TIMESTAMPTZ '1999-12-31 23:30:00+00']}::VARIANT, ['LINESTRING(0 0, 1 1)'::GEOMETRY, NULL]),
			(3, 'infinity'::TIMESTAMPTZ, '-infinity'::TIMESTAMP, 'infinity'::DATE, TIME '00:00:00', '23:59:59+15:59'::TIMETZ,
			INTERVAL '0 seconds', 1::FLOAT, 1::DOUBLE, 0::DECIMAL(10,3), '\x00'::BLOB, []::TIMESTAMPTZ[], {'at': NULL::TIMESTAMPTZ},
			['infinity'::TIMESTAMPTZ]::TIMESTAMPTZ[1], '00:00:00'::TIME_NS,
			{'at': NULL::TIMESTAMPTZ, 'n': '3'::BIGNUM}, 'infinity'::TIMESTAMPTZ_NS, 'x'::VARIANT, []::GEOMETRY[]))
			AS t(id, tz, ts, d, t, ttz, iv, f, db, dc, bl, tzl, st, tza, tn, sb, tzn, vr, gl)`,
		// sb holds a BIGNUM, so it is read as to_json's JSON, its TIMESTAMPTZ in UTC; tzl, st, tza
		// and sb as keys: a LIST, STRUCT or ARRAY holding a TIMESTAMPTZ, its text in UTC. tzn: a
		// TIMESTAMPTZ_NS, as a TIMESTAMPTZ; vr: a VARIANT holding a TIMESTAMPTZ, its JSON in UTC; gl:
		// a LIST of GEOMETRY, read as to_json's JSON, each GEOMETRY its text whatever
		// json_geometry_format.
		sessionKeys: []string{"id", "tz", "ts", "d", "t", "ttz", "iv", "f", "db", "dc", "bl", "tn", "tzl", "st", "tza", "sb", "tzn",
			"vr", "gl"},
		upsertSessionKeys: []string{"tzl", "st", "tza", "sb", "gl"},
		sessions: []sessionChange{duckInit("SET TimeZone = 'America/New_York'"), duckInit("SET TimeZone = 'Asia/Kathmandu'"),
			duckInit("SET Calendar = 'japanese'"), duckInit("SET TimeZone = 'Pacific/Kiritimati'; SET Calendar = 'buddhist'"),
			duckInit("SET default_collation = 'nocase.noaccent'"), duckInit("SET TimeZone = 'Europe/Paris'; SET Calendar = 'islamic'"),
			duckInit("SET default_order = 'DESC'; SET default_null_order = 'nulls_first'"),
			duckInit("SET threads = 8; SET preserve_insertion_order = false"),
			duckInit("SET integer_division = true; SET errors_as_json = true"),
			duckInit("SET json_geometry_format = 'GEOJSON'")},
		cursors: `CREATE TABLE cur AS SELECT i::BIGINT AS id, 1 AS v, ('2020-01-0' || i || ' 00:00:00+00')::TIMESTAMPTZ AS ts,
			(i * 10)::BIGINT AS n, 'a0' || i AS s FROM range(1, 5) AS r(i);
			INSERT INTO cur VALUES (5, 1, NULL, NULL, NULL)`,
	})
}

// duckConformance is DuckDB's conformanceWarehouse.
func duckConformance(t *testing.T) conformanceWarehouse {
	t.Helper()
	for _, w := range conformanceWarehouses {
		if w.name == controlplane.KindDuckDB {
			return w
		}
	}
	t.Fatal("DuckDB is not in the conformance suite")
	return conformanceWarehouse{}
}

// TestDuckDBMirrorRefusesNestedKey: a LIST, ARRAY, STRUCT, MAP or UNION key's text is DuckDB's
// cast of it, which a mirror's delete sent as a string ("{'a': 1, 'b': NULL}") where its upserts
// sent JSON ({"a":1,"b":null}): the endpoint kept every record deleted from the model. A mirror
// sync keyed so fails, saying why, and sends nothing; an update_or_create sync, which sends no
// deletes, runs as before.
func TestDuckDBMirrorRefusesNestedKey(t *testing.T) {
	w := duckConformance(t)
	for _, k := range [][3]string{{"STRUCT(a INTEGER, b VARCHAR)", "{'a': 1, 'b': NULL}", "{'a': 2, 'b': 'x'}"},
		{"INTEGER[]", "[1, 2]", "[]"}, {"INTEGER[2]", "[1, 2]", "[3, 4]"}, {"MAP(VARCHAR, INTEGER)", "MAP {'k': 1}", "MAP {}"},
		{"UNION(n INTEGER, s VARCHAR)", "1::UNION(n INTEGER, s VARCHAR)", "'x'::UNION(n INTEGER, s VARCHAR)"},
		{"STRUCT(t TIMESTAMPTZ)[]", "[{'t': TIMESTAMPTZ '2020-01-02 03:04:05+00'}]", "[]"}} {
		t.Run(k[0], func(t *testing.T) {
			c := newConformance(t, w)
			c.exec("CREATE TABLE nk (id " + k[0] + ", v INTEGER)")
			c.exec("INSERT INTO nk VALUES (" + k[1] + ", 1), (" + k[2] + ", 2)")
			c.model("select * from nk", "id", controlplane.BehaviorMirror, 2)
			_, err := c.run(controlplane.RunFailed)
			if err == nil || !strings.Contains(err.Error(), `its key column "id" is a DuckDB `) ||
				!strings.Contains(err.Error(), "a mirror's deletes have only the key's text") {
				t.Errorf("the mirror run's error does not say its key cannot be deleted: %v", err)
			}
			if got := c.sent("id"); len(got) != 0 {
				t.Errorf("the mirror run sent %v", got)
			}
			c.model("select * from nk", "id", controlplane.BehaviorUpdateOrCreate, 2)
			c.run(controlplane.RunSucceeded)
			if got := c.sent("id"); len(got) != 2 {
				t.Errorf("the update_or_create run sent %v, want both records", got)
			}
		})
	}
}

// TestDuckDBMirrorFilesChangedDuringRun: keys that move from one file of a model's pattern to
// another, each file published whole by a rename, while a mirror's run reads the files. Before 6
// Dec 2026 the run read the first file old and the last new, held neither version of the moved
// keys, succeeded and sent `deleted` for each (1000 keys both versions hold). Now a run whose
// files changed while it read them fails, naming the file, and sends nothing; the next run sends
// what changed. A run that read every file before the renames landed (a slow machine) sends
// nothing either, and the next one the same changes.
func TestDuckDBMirrorFilesChangedDuringRun(t *testing.T) {
	w := duckConformance(t)
	// DuckDB computes up to streaming_buffer_size ahead of the rows handed over (976 KB by
	// default, all of these files): a small one keeps the read in the first file while the test
	// renames, as a larger file's read is.
	w.open = func(t *testing.T) (*controlplane.Connection, func(string, ...any)) {
		return &controlplane.Connection{Name: "warehouse", DuckDB: &controlplane.DuckDBConfig{Database: ":memory:",
			InitSQL: "SET streaming_buffer_size = '16KB'"}}, nil
	}
	c := newConformance(t, w)
	dir := t.TempDir()
	files, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	write := func(name, cond string, v int) {
		t.Helper()
		if _, err := files.Exec(fmt.Sprintf(`COPY (SELECT i AS id, %d AS v FROM range(60000) AS r(i) WHERE %s)
			TO '%s' (FORMAT parquet, ROW_GROUP_SIZE 2048)`, v, cond, filepath.Join(dir, name))); err != nil {
			t.Fatal(err)
		}
	}
	write("part-1.parquet", "i < 20000", 1)
	write("part-2.parquet", "i BETWEEN 20000 AND 39999", 1)
	write("part-3.parquet", "i BETWEEN 40000 AND 59999", 1)
	c.model(fmt.Sprintf("select id, v from read_parquet('%s/part-*.parquet')", dir), "id", controlplane.BehaviorMirror, 5000)
	c.run(controlplane.RunSucceeded)
	if got := len(c.sent("id")); got != 60000 {
		t.Fatalf("the first run sent %d records, want 60000", got)
	}
	// The next version moves keys 40000-40999 from part-3 to part-1 (and every record's v is 2).
	write("next-3", "i BETWEEN 41000 AND 59999", 2)
	write("next-1", "i < 20000 OR i BETWEEN 40000 AND 40999", 2)
	counters := new(Counters)
	done := make(chan struct{})
	var run *controlplane.Run
	go func() {
		defer close(done)
		run, err = c.engine.Run(c.ctx, c.sync.ID, RunOptions{Counters: counters})
	}()
	for counters.Fetched.Load() == 0 { // the first 1024 rows are read: the read is in part-1
		select {
		case <-done:
			t.Fatalf("the run ended before it read a row: %v", err)
		case <-time.After(100 * time.Microsecond):
		}
	}
	for _, f := range []string{"3", "1"} {
		if err := os.Rename(filepath.Join(dir, "next-"+f), filepath.Join(dir, "part-"+f+".parquet")); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	t.Logf("the run whose files changed while it read them: %s (%v)", run.Status, err)
	sent := c.sent("id")
	switch {
	case run.Status == controlplane.RunFailed:
		if !errors.Is(err, warehouse.ErrFileChanged) || !strings.Contains(err.Error(), `part-1.parquet" was replaced by another file`) {
			t.Errorf("the run failed with %v, want it to say part-1.parquet was replaced", err)
		}
	case run.Status != controlplane.RunSucceeded:
		t.Fatalf("the run's status is %s (%v)", run.Status, err)
	}
	if len(sent) != 0 {
		deleted := slices.DeleteFunc(slices.Clone(sent), func(s string) bool { return !strings.HasPrefix(s, "deleted ") })
		t.Fatalf("the run whose files changed while it read them (%s) sent %d records, %d of them deletes (%v ...)",
			run.Status, len(sent), len(deleted), deleted[:min(3, len(deleted))])
	}
	c.run(controlplane.RunSucceeded)
	sent = c.sent("id")
	if len(sent) != 40000 || slices.ContainsFunc(sent, func(s string) bool { return !strings.HasPrefix(s, "changed ") }) {
		t.Errorf("the next run sent %d records (%v ...), want the 40000 records of version 2, none deleted", len(sent), sent[:min(3, len(sent))])
	}
}
