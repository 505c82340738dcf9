package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// The conformance suite: what every warehouse driver must do, run against a real server of
// each (and a real local receiver). Adding a warehouse is a driver file in internal/warehouse
// and one entry in conformanceWarehouses.

// conformanceWarehouse is one warehouse as the suite drives it: how to get an empty database,
// and the few statements whose dialect differs.
type conformanceWarehouse struct {
	name string
	// open makes an empty warehouse database for one test (dropped at its end): the connection
	// that reads it, and exec, which runs fixture SQL on it.
	open func(t *testing.T) (*controlplane.Connection, func(sql string, args ...any))
	// items creates items(id, name, v) with no primary key (NULL and duplicate ids are rows
	// like any other), filled with ids 1 to 5 ("n1".."n5", v 1), a NULL id and id 7 twice.
	items string
	// textKeys creates k(k, v) with a text key column whose collation is not byte order where
	// the warehouse has one; insertKey inserts one key (one placeholder) with v 1; keyIs is the
	// condition that the key k is exactly the placeholder's value, byte for byte.
	textKeys, insertKey, keyIs string
	// intKeys creates ki(k, v) with an integer key column and fills it.
	intKeys string
	// types creates and fills table types with one row of every value type the warehouse has,
	// keyed by id 1; wantTypes is that row as a receiver decodes it (numbers as json.Number).
	types     string
	wantTypes map[string]any
	// schema is the schema_name webhooks receive for the table model "types" of connection c:
	// the warehouse's default schema.
	schema func(c *controlplane.Connection) string
	// big creates big(id, pad) with ids 1 to bigRows, each row over 4 kB (more than socket buffers hold).
	big string
	// failModel is a model over big that fails midway through the read: big also holds a table
	// fail(fail_at) naming the id to fail on.
	failModel string
	// addColumn adds items.extra (text, 'x' in every row); dropColumn drops it; dropKey drops
	// items.id.
	addColumn, dropColumn, dropKey string
	// cursors creates cur(id, v, ts, n, s): ts a timestamp with a time zone where the warehouse
	// has one, n an integer, s a text, with ids 1 to 4 (ts '2020-01-0<id> 00:00:00', n id*10,
	// s 'a0<id>') and id 5 with NULL in all three.
	cursors string
	// numberKeys are the warehouse's types of a column sent as a JSON number, each tried as a
	// key: a mirror's delete must name the record as its upserts did (3, not "3").
	numberKeys []string
	// otherKeys are key types whose JSON is not a string of their text (a timestamp with a time
	// zone, a boolean, a binary value, a float's digits), each with two values as SQL literals,
	// the first the one deleted: its delete must carry the very JSON its upsert did.
	otherKeys [][3]string
	// keyTypesKept and keyTypesAltered are changes of a key column's type (from, to), each made
	// between two runs of a mirror by recreating kt(id, v) with the same rows (ids 1, 2, 3, 10):
	// the kept keep every key's text (the second run sends nothing), the altered change it (the
	// default guard blocks the run, saying that no key is in common). docs/warehouses.md ("Keys
	// are their text") lists them.
	keyTypesKept, keyTypesAltered [][2]string
	// sessionTable creates ss(id, ...) with a few rows of every type whose text a session setting
	// may change, each column's values distinct; sessionKeys are its columns each tried as a
	// key; sessions are the session settings a user or DBA may change, each applied (after
	// the previous one) between two runs that must send nothing: conformSessions.
	sessionTable string
	sessionKeys  []string
	sessions     []sessionChange
	// upsertSessionKeys are the sessionKeys a mirror sync cannot key on (a DuckDB LIST or STRUCT,
	// whose text does not say its JSON): synced by update_or_create, whose runs send a record
	// whose key's text changed as a new one.
	upsertSessionKeys []string
}

const bigRows = 10000

var conformanceWarehouses = []conformanceWarehouse{
	{
		name: controlplane.KindPostgres,
		open: func(t *testing.T) (*controlplane.Connection, func(string, ...any)) {
			url := controlplanetest.NewDatabase(t)
			pool := controlplanetest.Pool(t, url)
			return &controlplane.Connection{Name: "warehouse", Postgres: &controlplane.PostgresConfig{URL: url}},
				func(sql string, args ...any) {
					t.Helper()
					if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
						t.Fatalf("warehouse: %s: %v", sql, err)
					}
				}
		},
		items: `CREATE TABLE items (id bigint, name text, v int);
			INSERT INTO items VALUES (1, 'n1', 1), (2, 'n2', 1), (3, 'n3', 1), (4, 'n4', 1), (5, 'n5', 1),
			(NULL, 'null', 1), (7, 'dup a', 1), (7, 'dup b', 1)`,
		textKeys:  `CREATE TABLE k (k text COLLATE "und-x-icu", v int)`,
		insertKey: `INSERT INTO k VALUES ($1, 1)`,
		keyIs:     `k = $1`,
		intKeys: `CREATE TABLE ki (k bigint, v int);
			INSERT INTO ki SELECT i, 1 FROM unnest(array[-10, -2, -1, 0, 1, 2, 9, 10, 11, 99, 100, 1000,
			9223372036854775807, -9223372036854775808]) AS i`,
		types: `CREATE TABLE types (id int, b boolean, i2 smallint, i8 bigint, n numeric, f8 float8, nan float8,
			t text, j jsonb, a int[], ba bytea, d date, ts timestamp, tz timestamptz, u uuid, nul text);
			SET timezone TO 'America/New_York';
			INSERT INTO types VALUES (1, true, -32768, -9223372036854775808, 12345678901234567890.0123456789, 1.5,
			'NaN', 'é🙂"\' || E'\n', '{"a": [1, 2.5, null]}', '{1,NULL,3}', '\x00ff10', '2019-12-08',
			'2019-12-08 14:19:52.5', '2019-12-08 09:19:52-05', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL)`,
		wantTypes: map[string]any{"id": num("1"), "b": true, "i2": num("-32768"), "i8": num("-9223372036854775808"),
			"n": num("12345678901234567890.0123456789"), "f8": num("1.5"), "nan": "NaN", "t": "é🙂\"\\\n",
			"j": map[string]any{"a": []any{num("1"), num("2.5"), nil}}, "a": []any{num("1"), nil, num("3")},
			"ba": "AP8Q", "d": "2019-12-08", "ts": "2019-12-08 14:19:52.5", "tz": "2019-12-08T14:19:52Z",
			"u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "nul": nil},
		schema: func(*controlplane.Connection) string { return "public" },
		big: fmt.Sprintf(`CREATE TABLE big AS SELECT i AS id, repeat('x', 4000) AS pad FROM generate_series(1, %d) AS i;
			CREATE TABLE fail (fail_at int); INSERT INTO fail VALUES (%d)`, bigRows, bigRows/2),
		// A division by zero on the row in fail (by a column: a constant would fail the plan).
		failModel:  "select b.*, CASE WHEN b.id = (SELECT max(fail_at) FROM fail) THEN 1 / (b.id - b.id) END AS x FROM big AS b",
		addColumn:  `ALTER TABLE items ADD COLUMN extra text DEFAULT 'x'`,
		dropColumn: `ALTER TABLE items DROP COLUMN extra`,
		dropKey:    `ALTER TABLE items DROP COLUMN id`,
		numberKeys: []string{"smallint", "int", "bigint", "numeric", "numeric(10,2)", "real", "double precision"},

		keyTypesKept:    [][2]string{{"int", "bigint"}, {"int", "numeric"}, {"smallint", "numeric(10,0)"}},
		keyTypesAltered: [][2]string{{"numeric(10,1)", "numeric(10,2)"}, {"int", "numeric(10,2)"}},

		otherKeys: [][3]string{{"timestamptz", "'2020-01-02 03:04:05.5+02'", "'2021-01-01 00:00:00+00'"},
			{"boolean", "false", "true"}, {"bytea", `'\xff00'`, "'abc'"}, {"inet", "'10.0.0.1'", "'10.1.0.0/16'"},
			{"inet NOT NULL", "'::1'", "'10.0.0.2/32'"}, {"jsonb", `'{"b": [1, "x"], "a": null}'`, `'"s"'`}, {"json", `'{"b": 1,  "a": 2}'`, "'2'"},
			{"double precision", "'1e20'", "1"}, {"double precision", "'1e-7'", "1"}, {"double precision", "'-0'", "1"},
			{"double precision", "'-Infinity'", "1"}, {"real", "'1e20'", "1"}, {"real", "'0.1'", "1"},
			{"date", "'0044-03-15 BC'", "'2020-01-01'"}, {"date", "'0001-01-01 BC'", "'2020-01-01'"}, {"date", "'12345-01-01'", "'2020-01-01'"},
			{"timestamp", "'0044-03-15 12:00:00.5 BC'", "'2020-01-01'"}, {"timestamp", "'12345-01-01 00:00:00.5'", "'2020-01-01'"},
			{"timestamptz", "'0044-03-15 12:00+00 BC'", "'2020-01-01'"}, {"timestamptz", "'12345-01-01 00:00+00'", "'2020-01-01'"},
			{"int[]", "'{1,-2,NULL}'", "'{3}'"}, {"int[]", "'{{1,2},{3,4}}'", "'{}'"},
			{"text[]", `'{"a b","x,y","NULL","","q\"\\z",plain}'`, "'{c}'"}, {"numeric[]", "'{1.50,NaN,-0.0}'", "'{1}'"},
			{"bool[]", "'{t,f}'", "'{t}'"}, {"timestamptz[]", "'{\"2020-01-02 03:04:05.5+02\"}'", "'{}'"},
			{"bytea[]", `ARRAY['\x01ff'::bytea, 'a']`, "'{}'"}, {"jsonb[]", `ARRAY['{"a": [1]}'::jsonb, '2']`, "'{}'"},
			{"float8[]", "'{1e20,-Infinity}'", "'{}'"},
			// Sent padded to its length, a character(n)'s ::text drops the blanks.
			{"character(5)", "'é'", "'b'"}, {"char(3)", "'a b'", "'c'"}, {"character(1)", "'x'", "'y'"}},
		sessionTable: `SET timezone TO 'UTC';
			CREATE TYPE sc AS (at timestamptz, iv interval, s text, a timestamptz[]);
			CREATE TABLE ss (id int, tz timestamptz, ts timestamp, d date, t time, ttz timetz, iv interval, f4 real,
			f8 float8, n numeric, ba bytea, m money, tza timestamptz[], tsa timestamp[], da date[], iva interval[],
			f4a real[], f8a float8[], baa bytea[], ma money[], ttza timetz[], tr tstzrange, dr daterange, pt point, tra tstzrange[], tmr tstzmultirange,
			tx text, rc regclass, rt regtype, co sc, coa sc[]);
			INSERT INTO ss VALUES
			(1, '2020-01-02 03:04:05.5+00', '2020-01-02 03:04:05.5', '2020-01-02', '03:04:05.5', '03:04:05.5+02',
			'1 year 2 mons 3 days 04:05:06.5', 0.1, 0.1, 1.50, '\x01ff', 12.34, '{"2020-01-02 03:04:05.5+00",NULL}',
			'{"2020-01-02 03:04:05.5"}', '{2020-01-02}', '{"1 day","-02:00:00"}', '{0.1}', '{0.1,1e20}', '{"\\x01ff"}',
			'{12.34}', '{"03:04:05+02"}', '[2020-01-01 00:00+00,2020-01-02 00:00+00)', '[2020-01-01,2020-01-05)', '(0.1,2)',
			'{"[2020-01-01 00:00+00,2020-01-02 00:00+00)",empty}', '{[2020-01-01 00:00+00,2020-01-02 00:00+00),[2020-01-03 00:00+00,)}', 'é', 'ss', 'timestamptz',
			ROW('2020-01-02 03:04:05.5+00', '1 year 2 mons 3 days 04:05:06.5', 'a, b', '{"2020-01-02 03:04:05.5+00",NULL}'),
			ARRAY[ROW('0044-03-15 12:00:00+00 BC', '-1 days +02:03:04', '', NULL)::sc, NULL]),
			(2, '0044-03-15 12:00:00+00 BC', '0044-03-15 12:00:00 BC', '0044-03-15 BC', '24:00:00', '00:00:00-05:30',
			'-1 days +02:03:04', 1.0000001, 1.0000000000000002, -0.001, '\x', -1234567.89, '{"0044-03-15 12:00:00+00 BC"}',
			'{"0044-03-15 12:00:00 BC"}', '{"0044-03-15 BC",12345-01-01}', '{"-1 days +02:03:04"}', '{1.0000001}',
			'{1.0000000000000002}', '{"\\x"}', '{-1234567.89}', '{"00:00:00-05:30"}', '[1999-12-31 23:30+00,)', 'empty', '(1.0000000000000002,-3)',
			'{"(,2020-01-01 12:00+00]"}', '{}', 'a b', 'pg_class', 'interval',
			ROW('infinity', '-1 years -2 mons +3 days -04:05:06.000001', 'q"\z', '{}'), '{}'),
			(3, 'infinity', '-infinity', 'infinity', '00:00:00', '23:59:59.999999+14', '-1 years -2 mons +3 days -04:05:06.000001',
			1, 1, 0, '\x00', 0, '{infinity,-infinity}', '{infinity}', '{-infinity}', '{"1 year 2 mons"}', '{1}', '{1}', '{"\\x00"}',
			'{0}', '{}', '(,infinity]', '[2020-01-01,infinity)', '(1,1)', '{}', '{(,infinity]}', '', 'pg_catalog.pg_type', 'text[]',
			ROW(NULL, NULL, NULL, NULL), ARRAY[ROW('2021-06-01 00:00+00', '1 day', '(x)', '{infinity}')::sc])`,
		sessionKeys: []string{"id", "tz", "ts", "d", "t", "ttz", "iv", "f4", "f8", "n", "ba", "m", "tza", "tsa", "da",
			"iva", "f4a", "f8a", "baa", "ma", "ttza", "tr", "dr", "tra", "tmr", "tx", "rc", "rt", "co", "coa"},
		// Each setting alone (the database's default, or the URL's), some together; every change
		// is from the one before it. lc_monetary: this server has only C locales, which print
		// money alike.
		sessions: []sessionChange{pgDatabase("timezone", "America/New_York"),
			pgParams("URL TimeZone=Asia/Kolkata", "TimeZone=Asia/Kolkata"),
			pgDatabase("datestyle", "SQL, DMY"),
			pgParams("URL options -c TimeZone=Pacific/Kiritimati, DateStyle=Postgres,MDY", "options=-c TimeZone=Pacific/Kiritimati -c DateStyle=Postgres,MDY"),
			pgParams("URL DateStyle=German, TimeZone=Europe/Paris, IntervalStyle=iso_8601", "DateStyle=German", "TimeZone=Europe/Paris", "IntervalStyle=iso_8601"),
			pgDatabase("intervalstyle", "sql_standard"),
			pgParams("URL IntervalStyle=postgres_verbose, extra_float_digits=-15", "IntervalStyle=postgres_verbose", "extra_float_digits=-15"),
			pgDatabase("extra_float_digits", "0"), pgDatabase("bytea_output", "escape"), pgDatabase("lc_monetary", "C.UTF-8"),
			pgParams("URL options with all of them", "options=-c TimeZone=Asia/Kathmandu -c DateStyle=SQL,YMD -c IntervalStyle=sql_standard "+
				"-c extra_float_digits=-4 -c bytea_output=escape -c lc_monetary=POSIX"),
			pgDatabase("quote_all_identifiers", "on"), pgDatabase("standard_conforming_strings", "off"),
			pgDatabase("client_encoding", "LATIN1"), pgParams("URL options -c client_encoding=LATIN1", "options=-c client_encoding=LATIN1"),
			pgDatabase("lc_numeric", "C"), pgDatabase("lc_time", "C"), pgDatabase("xmloption", "document")},
		cursors: `CREATE TABLE cur (id bigint, v int, ts timestamptz, n bigint, s text COLLATE "und-x-icu");
			INSERT INTO cur SELECT i, 1, ('2020-01-0' || i || ' 00:00:00+00')::timestamptz, i * 10, 'a0' || i FROM generate_series(1, 4) AS i;
			INSERT INTO cur VALUES (5, 1, NULL, NULL, NULL)`,
	},
	{
		name: controlplane.KindMySQL,
		open: func(t *testing.T) (*controlplane.Connection, func(string, ...any)) {
			url, db := warehousetest.NewMySQLDatabase(t)
			return &controlplane.Connection{Name: "warehouse", MySQL: &controlplane.MySQLConfig{URL: url}},
				func(sql string, args ...any) {
					t.Helper()
					if _, err := db.Exec(sql, args...); err != nil {
						t.Fatalf("warehouse: %s: %v", sql, err)
					}
				}
		},
		items: `CREATE TABLE items (id bigint, name varchar(100), v int);
			INSERT INTO items VALUES (1, 'n1', 1), (2, 'n2', 1), (3, 'n3', 1), (4, 'n4', 1), (5, 'n5', 1),
			(NULL, 'null', 1), (7, 'dup a', 1), (7, 'dup b', 1)`,
		textKeys:  `CREATE TABLE k (k varchar(3000) COLLATE utf8mb4_general_ci, v int)`,
		insertKey: `INSERT INTO k VALUES (?, 1)`,
		keyIs:     `CAST(k AS BINARY) = CAST(? AS BINARY)`, // the column's collation ignores case and trailing blanks
		intKeys: `CREATE TABLE ki (k bigint, v int);
			INSERT INTO ki VALUES (-10, 1), (-2, 1), (-1, 1), (0, 1), (1, 1), (2, 1), (9, 1), (10, 1), (11, 1), (99, 1),
			(100, 1), (1000, 1), (9223372036854775807, 1), (-9223372036854775808, 1)`,
		// types is a view over the table (MariaDB's JSON columns are traced through it) that adds
		// two JSON functions' results.
		types: `CREATE TABLE types_t (id int, bo bool, t1 tinyint(1), ti tinyint, bu bigint unsigned, i bigint,
			d decimal(30,10), f float, db double, dt date, dtt datetime(6), ts timestamp(3) NULL, tm time, y year,
			vc varchar(50), tx text, e enum('a','b'), s set('x','y','z'), vb varbinary(10), bl blob, bt bit(12),
			j json, nul int);
			CREATE VIEW types AS SELECT t.*, json_object('k', t.id) AS jf, json_extract(t.j, '$.a') AS ja FROM types_t AS t;
			SET time_zone = '-05:00';
			INSERT INTO types_t VALUES (1, true, 0, -128, 18446744073709551615, -9223372036854775808,
			12345678901234567890.0123456789, 1.5, -2.25e300, '2019-12-08', '2019-12-08 14:19:52.5',
			'2019-12-08 09:19:52.5', '-838:59:59', 2019, 'é🙂"\\\n', '日本', 'b', 'x,z', 0x00ff10, 0xdeadbeef,
			b'100000000001', '{"a": [1, 2.5, null]}', NULL)`,
		wantTypes: map[string]any{"id": num("1"), "bo": true, "t1": false, "ti": num("-128"), "bu": num("18446744073709551615"),
			"i": num("-9223372036854775808"), "d": num("12345678901234567890.0123456789"), "f": num("1.5"),
			"db": num("-2.25e+300"), "dt": "2019-12-08", "dtt": "2019-12-08 14:19:52.500000",
			"ts": "2019-12-08T14:19:52.500Z", "tm": "-838:59:59", "y": num("2019"), "vc": "é🙂\"\\\n", "tx": "日本",
			"e": "b", "s": []any{"x", "z"}, "vb": "AP8Q", "bl": "3q2+7w==", "bt": num("2049"),
			"j": map[string]any{"a": []any{num("1"), num("2.5"), nil}}, "nul": nil,
			"jf": map[string]any{"k": num("1")}, "ja": []any{num("1"), num("2.5"), nil}},
		schema: func(c *controlplane.Connection) string {
			cfg, err := warehouse.ParseMySQLURL(c.MySQL.URL)
			if err != nil {
				panic(err)
			}
			return cfg.DBName
		},
		big: fmt.Sprintf(`CREATE TABLE big (id int, pad varchar(4000));
			CREATE TABLE digits (x int); INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
			INSERT INTO big SELECT n, repeat('x', 4000) FROM (SELECT 1 + a.x + 10 * b.x + 100 * c.x + 1000 * d.x + 10000 * e.x AS n
			FROM digits a, digits b, digits c, digits d, digits e) AS s WHERE n <= %d;
			CREATE TABLE fail (fail_at int); INSERT INTO fail VALUES (%d)`, bigRows, bigRows/2),
		// The runner sorts MySQL's rows by key, reading the whole model before it sends any: a
		// scalar subquery of two rows fails the read on the row in fail, as the server streams it.
		failModel:  "select b.*, CASE WHEN b.id = (SELECT max(fail_at) FROM fail) THEN (SELECT 1 UNION ALL SELECT 2) END AS x FROM big AS b",
		addColumn:  `ALTER TABLE items ADD COLUMN extra varchar(10) DEFAULT 'x'`,
		dropColumn: `ALTER TABLE items DROP COLUMN extra`,
		dropKey:    `ALTER TABLE items DROP COLUMN id`,
		numberKeys: []string{"tinyint", "smallint", "mediumint", "int", "int unsigned", "bigint", "bigint unsigned",
			"decimal(10,2)", "float", "double", "year"},

		keyTypesKept:    [][2]string{{"int", "bigint"}, {"int", "decimal(10,0)"}, {"int(5) zerofill", "int(5) unsigned zerofill"}},
		keyTypesAltered: [][2]string{{"int", "int(5) zerofill"}, {"int(5) zerofill", "int(8) zerofill"}, {"decimal(10,1)", "decimal(10,2)"}},

		otherKeys: [][3]string{{"timestamp(3) NULL", "'2020-01-02 03:04:05.5'", "'2021-01-01 00:00:00'"},
			{"bool", "false", "true"}, {"varbinary(4)", "'ab'", "'cd'"}, {"blob", "'ab'", "'cd'"},
			{"json", `'{"b": 1,  "a": [2]}'`, "'3'"}, {"bit(8)", "b'01000001'", "b'00000101'"}, {"bit(16)", "b'0111111101000001'", "b'0100001001000011'"},
			{"float", "1e20", "1"}, {"double", "1e-7", "1"}, {"double", "-2.25e300", "1"}, {"set('x','y','z')", "'x,z'", "'y'"},
			{"year", "0", "2020"}, {"longblob", "'ab'", "'cd'"}, {"bit(64)", "0x4142434445464748", "0x4142434445464749"}},
		sessionTable: `SET time_zone = '+00:00';
			CREATE TABLE ss (id int, ts timestamp(3) NULL, dt datetime(6), d date, tm time(1), c char(10), vc varchar(10),
			dc decimal(10,3), f float, db double, vb varbinary(8), y year, e enum('a','b'), bt bit(8), j json);
			INSERT INTO ss VALUES
			(1, '2020-01-02 03:04:05.5', '2020-01-02 03:04:05.5', '2020-01-02', '03:04:05.5', 'ab', 'ab ', 1.5, 0.1, 0.1, 'ab', 2020, 'a', b'1', '{"a": 1}'),
			(2, '1970-01-01 00:00:01', '0000-00-00 00:00:00', '0000-00-00', '-838:59:59', 'é', 'é', -0.001, 1e20, 1.0000000000000002, '', 1901, 'b', b'11111111', '[1.5, "x"]'),
			(3, '2038-01-19 03:14:07.999', '9999-12-31 23:59:59.999999', '9999-12-31', '838:59:59', '', '', 0, 16777216, -2.25e300, 'a b', 2155, NULL, b'0', 'null')`,
		sessionKeys: []string{"id", "ts", "dt", "d", "tm", "c", "vc", "dc", "f", "db", "vb", "y", "bt"},
		sessions: []sessionChange{mysqlParams("URL time_zone='-05:00'", "time_zone='-05:00'"),
			mysqlParams("URL time_zone='+09:30'", "time_zone='+09:30'"),
			mysqlParams("URL sql_mode='PAD_CHAR_TO_FULL_LENGTH'", "sql_mode='PAD_CHAR_TO_FULL_LENGTH'"),
			mysqlParams("URL charset=latin1", "charset=latin1"), mysqlParams("URL collation=utf8mb4_bin", "collation=utf8mb4_bin"),
			mysqlParams("URL div_precision_increment=0", "div_precision_increment=0"),
			mysqlParams("URL sql_select_limit=2", "sql_select_limit=2"),
			mysqlParams("URL sql_mode NO_BACKSLASH_ESCAPES,REAL_AS_FLOAT,PIPES_AS_CONCAT", "sql_mode='NO_BACKSLASH_ESCAPES,REAL_AS_FLOAT,PIPES_AS_CONCAT'"),
			mysqlParams("URL sql_mode ANSI,HIGH_NOT_PRECEDENCE,NO_ZERO_DATE", "sql_mode='ANSI,HIGH_NOT_PRECEDENCE,NO_ZERO_DATE'"),
			mysqlParams("URL lc_time_names=de_DE", "lc_time_names='de_DE'"),
			mysqlParams("URL character_set_results=latin1", "character_set_results=latin1"),
			mysqlParams("URL collation_connection=utf8mb4_bin", "collation_connection='utf8mb4_bin'"),
			mysqlParams("URL time_zone=SYSTEM", "time_zone='SYSTEM'"),
			mysqlParams("URL autocommit=0, sql_auto_is_null=1", "autocommit=0", "sql_auto_is_null=1"),
			mysqlParams("URL with all of them", "time_zone='+13:00'", "sql_mode='PAD_CHAR_TO_FULL_LENGTH,ANSI_QUOTES'", "charset=latin1",
				"div_precision_increment=30")},
		cursors: `CREATE TABLE cur (id bigint, v int, ts timestamp(6) NULL, n bigint, s varchar(10) COLLATE utf8mb4_general_ci);
			INSERT INTO cur VALUES (1, 1, '2020-01-01 00:00:00', 10, 'a01'), (2, 1, '2020-01-02 00:00:00', 20, 'a02'),
			(3, 1, '2020-01-03 00:00:00', 30, 'a03'), (4, 1, '2020-01-04 00:00:00', 40, 'a04'), (5, 1, NULL, NULL, NULL)`,
	},
}

// conformance is one test's control plane, warehouse, receiver and sync.
type conformance struct {
	world  *controlplanetest.World
	t      *testing.T
	ctx    context.Context
	store  *controlplane.Store
	exec   func(string, ...any)
	w      conformanceWarehouse
	wc     *controlplane.Connection
	dest   *controlplane.Connection
	recv   *webhooktest.Receiver
	engine *Engine
	sync   *controlplane.Sync
	n      int
}

func newConformance(t *testing.T, w conformanceWarehouse) *conformance {
	t.Helper()
	c := &conformance{t: t, w: w, recv: newReceiver(t)}
	wc, exec := w.open(t)
	c.world = controlplanetest.NewWorld(t, controlplanetest.WorldOpts{Warehouse: wc, HookURL: c.recv.URL + "/hook"})
	c.ctx, c.store, c.exec, c.wc, c.dest = c.world.Ctx, c.world.Store, exec, c.world.Warehouse, c.world.Destination
	c.engine = newTestEngine(c.store)
	return c
}

// model points the sync at a new model (sql) keyed by key with behavior.
func (c *conformance) model(sql, key, behavior string, batch int) {
	c.t.Helper()
	c.modelOf(&controlplane.Model{SQL: sql}, key, behavior, batch)
}

// modelOf is model for a model of any kind (m.SQL or m.Table).
func (c *conformance) modelOf(m *controlplane.Model, key, behavior string, batch int) {
	c.t.Helper()
	c.n++
	m.Name = fmt.Sprintf("model %d", c.n)
	stored := c.world.NewModel(*m)
	c.sync = c.world.NewSync(controlplane.Sync{Name: "sync of " + m.Name, ModelID: stored.ID,
		Behavior: behavior, PrimaryKey: key, BatchSize: batch})
}

func (c *conformance) run(wantStatus string) (*controlplane.Run, error) {
	c.t.Helper()
	run, err := c.engine.Run(c.ctx, c.sync.ID, RunOptions{})
	if run == nil {
		c.t.Fatalf("run not recorded: %v", err)
	}
	if run.Status != wantStatus {
		c.t.Fatalf("run status %s (error %v), want %s", run.Status, err, wantStatus)
	}
	return run, err
}

// sent returns what the receiver accepted since the last call, as sorted "op key" strings.
func (c *conformance) sent(key string) []string {
	got, _ := c.recv.Take(key)
	if got == nil {
		got = []string{}
	}
	return got
}

// exactKeys returns, for each record the receiver accepted since the last call, its operation
// and the JSON of its field key as sent (numbers with their digits, objects with sorted keys),
// and its field v's JSON: a receiver keyed on the value tells 1e+20 from 100000000000000000000.
func (c *conformance) exactKeys(key string) [][2]string {
	var out [][2]string
	for _, e := range c.recv.Envelopes() {
		for _, r := range e.Data {
			d := json.NewDecoder(bytes.NewReader(r))
			d.UseNumber()
			var m map[string]any
			if err := d.Decode(&m); err != nil {
				c.t.Fatalf("invalid record %s: %v", r, err)
			}
			k, _ := json.Marshal(m[key])
			v, _ := json.Marshal(m["v"])
			out = append(out, [2]string{e.Operation + " " + string(k), string(v)})
		}
	}
	c.recv.Take("")
	return out
}

// rawRecords returns the records the receiver accepted since the last call, as the bytes sent.
func (c *conformance) rawRecords() []json.RawMessage {
	var out []json.RawMessage
	for _, e := range c.recv.Envelopes() {
		out = append(out, e.Data...)
	}
	c.recv.Take("")
	return out
}

func TestConformance(t *testing.T) {
	for _, w := range conformanceWarehouses {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			t.Run("behaviors", func(t *testing.T) { t.Parallel(); conformBehaviors(t, w) })
			t.Run("values", func(t *testing.T) { t.Parallel(); conformValues(t, w) })
			t.Run("key order", func(t *testing.T) { t.Parallel(); conformKeyOrder(t, w) })
			t.Run("fails mid-stream", func(t *testing.T) { t.Parallel(); conformMidStream(t, w) })
			t.Run("columns change", func(t *testing.T) { t.Parallel(); conformColumns(t, w) })
			t.Run("cursor", func(t *testing.T) { t.Parallel(); conformCursor(t, w) })
			t.Run("cursor types", func(t *testing.T) { t.Parallel(); conformCursorTypes(t, w) })
			t.Run("cursor in the future", func(t *testing.T) { t.Parallel(); conformCursorInTheFuture(t, w) })
			t.Run("number keys", func(t *testing.T) { t.Parallel(); conformNumberKeys(t, w) })
			t.Run("other keys", func(t *testing.T) { t.Parallel(); conformOtherKeys(t, w) })
			t.Run("key types change", func(t *testing.T) { t.Parallel(); conformKeyTypes(t, w) })
			t.Run("session settings", func(t *testing.T) { t.Parallel(); conformSessions(t, w) })
		})
	}
}

// conformBehaviors: each behavior over four rounds (first run; an insert, an update and a
// delete; nothing changed; every row deleted, which a mirror's guard stops) sends exactly its delta. A NULL key and a duplicated key are invalid,
// counted, never sent.
func conformBehaviors(t *testing.T, w conformanceWarehouse) {
	for _, behavior := range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorAppend, controlplane.BehaviorMirror} {
		t.Run(behavior, func(t *testing.T) {
			c := newConformance(t, w)
			c.exec(w.items)
			c.model("select * from items", "id", behavior, 2)
			run, _ := c.run(controlplane.RunSucceeded)
			if diff := cmp.Diff([]string{"changed 1", "changed 2", "changed 3", "changed 4", "changed 5"}, c.sent("id")); diff != "" {
				t.Errorf("first run (-want +got):\n%s", diff)
			}
			if run.Counts.Extracted != 8 || run.Counts.Invalid != 3 || run.Counts.New != 5 {
				t.Errorf("first run counts %+v: want 8 extracted, 3 invalid (a NULL key, a key twice), 5 new", run.Counts)
			}
			c.exec(`INSERT INTO items VALUES (6, 'n6', 1)`)
			c.exec(`UPDATE items SET v = 2 WHERE id = 2`)
			c.exec(`DELETE FROM items WHERE id = 3`)
			c.run(controlplane.RunSucceeded)
			want := map[string][]string{
				controlplane.BehaviorUpdateOrCreate: {"changed 2", "changed 6"},
				controlplane.BehaviorAppend:         {"changed 6"},
				controlplane.BehaviorMirror:         {"changed 2", "changed 6", "deleted 3"},
			}[behavior]
			if diff := cmp.Diff(want, c.sent("id")); diff != "" {
				t.Errorf("after an insert, an update and a delete (-want +got):\n%s", diff)
			}
			c.run(controlplane.RunSucceeded)
			if got := c.sent("id"); len(got) != 0 {
				t.Errorf("a run with nothing changed sent %v", got)
			}
			// A model that returns no rows is read as none: nothing to send, and for a mirror every
			// key to delete, which its default guard (max_deleted_percent 50) stops.
			c.exec(`DELETE FROM items`)
			if behavior != controlplane.BehaviorMirror {
				c.run(controlplane.RunSucceeded)
			} else if _, err := c.run(controlplane.RunBlocked); err == nil || !strings.Contains(err.Error(), "delete 5 of the 5 keys") {
				t.Errorf("a mirror whose model returns no rows: %v; want its guard to stop the deletion of the 5 keys", err)
			}
			if got := c.sent("id"); len(got) != 0 {
				t.Errorf("after every row was deleted, sent %v", got)
			}
		})
	}
}

// conformNumberKeys: a key of each of the warehouse's number types is sent as the same JSON
// number by a mirror's upserts and by its delete.
func conformNumberKeys(t *testing.T, w conformanceWarehouse) {
	for _, typ := range w.numberKeys {
		t.Run(typ, func(t *testing.T) {
			c := newConformance(t, w)
			c.exec("CREATE TABLE nk (id " + typ + ", v int)")
			c.exec("INSERT INTO nk VALUES (3, 1)")
			c.exec("INSERT INTO nk VALUES (4, 1)")
			c.model("select * from nk", "id", controlplane.BehaviorMirror, 2)
			c.run(controlplane.RunSucceeded)
			first := c.sent("id") // sorted: the 3 first
			if len(first) != 2 || strings.Contains(first[0], `"`) {
				t.Fatalf("first run sent %v, want two keys sent as numbers", first)
			}
			c.exec("DELETE FROM nk WHERE v = 1 AND id < 4")
			c.run(controlplane.RunSucceeded)
			if diff := cmp.Diff([]string{"deleted" + strings.TrimPrefix(first[0], "changed")}, c.sent("id")); diff != "" {
				t.Errorf("the delete does not name the key as its upsert did (-want +got):\n%s", diff)
			}
		})
	}
}

// conformOtherKeys: a key of a type whose JSON is not a string of its text is sent by a mirror's
// delete as its upsert sent it.
func conformOtherKeys(t *testing.T, w conformanceWarehouse) {
	for _, k := range w.otherKeys {
		t.Run(k[0], func(t *testing.T) {
			c := newConformance(t, w)
			c.exec("CREATE TABLE ok (id " + k[0] + ", v int)")
			c.exec("INSERT INTO ok VALUES (" + k[1] + ", 1)")
			c.exec("INSERT INTO ok VALUES (" + k[2] + ", 2)")
			c.model("select * from ok", "id", controlplane.BehaviorMirror, 2)
			c.run(controlplane.RunSucceeded)
			var upserted string
			for _, d := range c.exactKeys("id") {
				if d[1] == "1" {
					_, upserted, _ = strings.Cut(d[0], " ")
				}
			}
			if upserted == "" {
				t.Fatal("the first run did not send the first key")
			}
			c.exec("DELETE FROM ok WHERE v = 1")
			c.run(controlplane.RunSucceeded)
			var got []string
			for _, d := range c.exactKeys("id") {
				got = append(got, d[0])
			}
			if diff := cmp.Diff([]string{"deleted " + upserted}, got); diff != "" {
				t.Errorf("the delete does not name the key as its upsert did (-want +got):\n%s", diff)
			}
		})
	}
}

// conformKeyTypes: a change of the key column's type between two runs of a mirror that keeps
// every key's text sends nothing; one that changes it deletes nothing: the default guard blocks
// the run, and says that none of the model's keys was delivered before.
func conformKeyTypes(t *testing.T, w conformanceWarehouse) {
	try := func(from, to string, kept bool) {
		t.Run(from+" to "+to, func(t *testing.T) {
			c := newConformance(t, w)
			fill := func(typ string) {
				c.exec("CREATE TABLE kt (id " + typ + ", v int)")
				c.exec("INSERT INTO kt VALUES (1, 1), (2, 1), (3, 1), (10, 1)")
			}
			fill(from)
			c.model("select * from kt", "id", controlplane.BehaviorMirror, 2)
			c.run(controlplane.RunSucceeded)
			if got := c.sent("id"); len(got) != 4 {
				t.Fatalf("first run sent %v", got)
			}
			c.exec("DROP TABLE kt")
			fill(to)
			if kept {
				c.run(controlplane.RunSucceeded)
			} else if _, err := c.run(controlplane.RunBlocked); err == nil ||
				!strings.Contains(err.Error(), "none of the model's 4 keys is among the 4 delivered before") {
				t.Errorf("a change of the key's text: %v; want the guard to say that no key is in common", err)
			}
			if got := c.sent("id"); len(got) != 0 {
				t.Errorf("after the key column's type changed, sent %v", got)
			}
		})
	}
	for _, k := range w.keyTypesKept {
		try(k[0], k[1], true)
	}
	for _, k := range w.keyTypesAltered {
		try(k[0], k[1], false)
	}
}

// conformValues: one row of every value type of a table model reaches the receiver as the
// README says, in JSON a strict parser accepts, with the table's schema and name in the envelope.
func conformValues(t *testing.T, w conformanceWarehouse) {
	c := newConformance(t, w)
	c.exec(w.types)
	c.modelOf(&controlplane.Model{Table: "types"}, "id", controlplane.BehaviorUpdateOrCreate, 10)
	c.run(controlplane.RunSucceeded)
	for _, e := range c.recv.Envelopes() {
		if e.SchemaName == nil || *e.SchemaName != w.schema(c.wc) || e.TableName == nil || *e.TableName != "types" {
			t.Errorf("envelope schema_name %v, table_name %v; want %q, \"types\"", deref(e.SchemaName), deref(e.TableName), w.schema(c.wc))
		}
	}
	recs := c.rawRecords()
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1", len(recs))
	}
	if !json.Valid(recs[0]) {
		t.Fatalf("invalid JSON: %s", recs[0])
	}
	d := json.NewDecoder(bytes.NewReader(recs[0]))
	d.UseNumber()
	var got map[string]any
	if err := d.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w.wantTypes, got); diff != "" {
		t.Errorf("values (-want +got):\n%s\nsent: %s", diff, recs[0])
	}
}

// conformKeyOrder: keys collations get wrong, and integers (ordered by their text), are read in
// the ledger's order: a second run sends nothing, and one change and one removal are exactly
// what the next run sends. A key longer than the ledger stores is invalid, and so is one with a
// NUL byte where the warehouse's text can hold one.
func conformKeyOrder(t *testing.T, w conformanceWarehouse) {
	for _, table := range []string{"k", "ki"} {
		t.Run(table, func(t *testing.T) {
			c := newConformance(t, w)
			changed, removed := `""`, `"a"`
			if table == "k" {
				c.exec(w.textKeys)
				for _, k := range append(oddKeys, "a ", strings.Repeat("x", controlplane.MaxKeyBytes+1)) {
					c.exec(w.insertKey, k)
				}
				if w.name != controlplane.KindPostgres {
					// Text that Postgres's cannot hold, and so neither can the ledger: invalid.
					c.exec(w.insertKey, "a\x00b")
				}
			} else {
				c.exec(w.intKeys)
				changed, removed = "10", "-1"
			}
			c.model("select * from "+table, "k", controlplane.BehaviorMirror, 3)
			first, _ := c.run(controlplane.RunSucceeded)
			// The run's record (its samples of invalid keys included) is stored as it ended.
			if stored, err := c.store.GetRun(c.ctx, first.ID); err != nil || stored.Status != controlplane.RunSucceeded ||
				stored.Counts.Invalid != first.Counts.Invalid {
				t.Fatalf("stored first run: %+v, %v; want it succeeded with %d invalid", stored, err, first.Counts.Invalid)
			}
			sent := c.sent("k")
			wantInvalid := int64(0)
			if table == "k" {
				wantInvalid = 1
				if w.name != controlplane.KindPostgres {
					wantInvalid = 2
				}
			}
			if first.Counts.Invalid != wantInvalid || int64(len(sent)) != first.Counts.Extracted-wantInvalid {
				t.Fatalf("first run: counts %+v, sent %d", first.Counts, len(sent))
			}
			if got := c.sent("k"); len(got) != 0 {
				t.Fatalf("sent after the run: %v", got)
			}
			again, _ := c.run(controlplane.RunSucceeded)
			if got := c.sent("k"); len(got) != 0 {
				t.Fatalf("a run with nothing changed sent %v (counts %+v)", got, again.Counts)
			}
			var ck, rk any
			_ = json.Unmarshal([]byte(changed), &ck)
			_ = json.Unmarshal([]byte(removed), &rk)
			c.exec("UPDATE "+table+" SET v = 2 WHERE "+w.keyIs, ck)
			c.exec("DELETE FROM "+table+" WHERE "+w.keyIs, rk)
			c.run(controlplane.RunSucceeded)
			if diff := cmp.Diff([]string{"changed " + changed, "deleted " + removed}, c.sent("k")); diff != "" {
				t.Errorf("after one change and one removal (-want +got):\n%s", diff)
			}
			c.run(controlplane.RunSucceeded)
			if got := c.sent("k"); len(got) != 0 {
				t.Errorf("the run after that sent %v", got)
			}
		})
	}
}

// conformMidStream: the warehouse fails the read midway. The runner sorts the rows by key, so it
// has read the whole model before it sends any: the run fails and sends nothing, and the next
// run sends every record once.
func conformMidStream(t *testing.T, w conformanceWarehouse) {
	c := newConformance(t, w)
	c.exec(w.big)
	c.model(w.failModel, "id", controlplane.BehaviorUpdateOrCreate, 25)
	_, err := c.run(controlplane.RunFailed)
	if err == nil || !strings.Contains(err.Error(), "read the model") {
		t.Errorf("the run's error does not say the read failed: %v", err)
	}
	if first := c.sent("id"); len(first) != 0 {
		t.Fatalf("the run whose read failed sent %d records, want none", len(first))
	}
	c.exec(`DELETE FROM fail`)
	c.run(controlplane.RunSucceeded)
	second := c.sent("id")
	all := map[string]int{}
	for _, s := range second {
		all[s]++
	}
	if len(all) != bigRows || len(second) != bigRows {
		t.Errorf("the next run sent %d records, %d distinct, want each of the %d once", len(second), len(all), bigRows)
	}
	c.run(controlplane.RunSucceeded)
	if got := c.sent("id"); len(got) != 0 {
		t.Errorf("a run with nothing changed sent %d records", len(got))
	}
}

// conformColumns: a column added or dropped between runs changes every record (update_or_create
// resends them all); a model that lost the key column fails the run, sending nothing.
func conformColumns(t *testing.T, w conformanceWarehouse) {
	c := newConformance(t, w)
	c.exec(w.items)
	c.exec(`DELETE FROM items WHERE id IS NULL OR id = 7`)
	c.model("select * from items", "id", controlplane.BehaviorMirror, 2)
	c.run(controlplane.RunSucceeded)
	all := []string{"changed 1", "changed 2", "changed 3", "changed 4", "changed 5"}
	if diff := cmp.Diff(all, c.sent("id")); diff != "" {
		t.Fatalf("first run (-want +got):\n%s", diff)
	}
	c.exec(w.addColumn)
	c.run(controlplane.RunSucceeded)
	sent, recs := c.recv.Take("id")
	if diff := cmp.Diff(all, sent); diff != "" {
		t.Errorf("after a column was added (-want +got):\n%s", diff)
	}
	for _, r := range recs {
		if r.Data["extra"] != "x" {
			t.Errorf("record without the new column: %v", r.Data)
		}
	}
	c.exec(w.dropColumn)
	c.run(controlplane.RunSucceeded)
	if diff := cmp.Diff(all, c.sent("id")); diff != "" {
		t.Errorf("after the column was dropped (-want +got):\n%s", diff)
	}
	c.exec(w.dropKey)
	// The columns it has are named as the key is, quoted: a CSV whose delimiter DuckDB no longer
	// finds (a file cut in its last row) has one column named "id,v", which unquoted read as two.
	_, err := c.run(controlplane.RunFailed)
	if err == nil || !strings.Contains(err.Error(), `lost its key column: its result has no column "id" (it has "name", "v")`) {
		t.Errorf("a model without its key column: %v", err)
	}
	if _, err := c.engine.Test(c.ctx, c.sync.ID); err == nil || !strings.Contains(err.Error(), `(it has "name", "v")`) {
		t.Errorf("a test of a model without its key column: %v", err)
	}
	if got := c.sent("id"); len(got) != 0 {
		t.Errorf("a run whose model lost its key sent %v", got)
	}
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// num is a JSON number as a receiver decoding with UseNumber sees it.
type num = json.Number
