package runner

import (
	"fmt"
	"slices"
	"strings"

	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

// conformanceWarehouseNamed is the conformance suite's warehouse of that kind.
func conformanceWarehouseNamed(t *testing.T, name string) conformanceWarehouse {
	t.Helper()
	for _, w := range conformanceWarehouses {
		if w.name == name {
			return w
		}
	}
	t.Skipf("no %s warehouse in this build", name)
	return conformanceWarehouse{}
}

// cursorCase is a table cur(id, v, c) whose c is a sync's cursor, and the changes made to it
// between runs; each run must leave the receiver with every key's current v.
type cursorCase struct {
	name     string
	create   string   // creates and fills cur(id, v, c)
	lookback string   // the sync's cursor_lookback ("" the default)
	steps    []string // run after the first run, one per run (each may be several statements)
	init     string   // DuckDB: init_sql added to the connection's
	params   []string // MySQL: URL parameters (name=value) added to the connection's
}

// modelState reads the whole model: each key's v as JSON.
func (c *conformance) modelState(query string) map[string]string {
	c.t.Helper()
	src, err := warehouse.For(c.wc)
	if err != nil {
		c.t.Fatal(err)
	}
	s, err := src.Open(c.ctx, query, "id", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	defer s.Close()
	id, v := -1, -1
	for i, col := range s.Columns() {
		switch col.Name {
		case "id":
			id = i
		case "v":
			v = i
		}
	}
	out := map[string]string{}
	for s.Next() {
		out[string(s.AppendValue(nil, id))] = string(s.AppendValue(nil, v))
	}
	if err := s.Err(); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// runCursorCase runs cc on w: a first run, then a run after each step, each checked against
// a full read of the model.
func runCursorCase(t *testing.T, w conformanceWarehouse, cc cursorCase) {
	c := newConformance(t, w)
	if cc.init != "" || cc.params != nil {
		conn := *c.wc
		if cc.init != "" {
			cfg := *conn.DuckDB
			cfg.InitSQL += "; " + cc.init
			conn.DuckDB = &cfg
		} else {
			cfg := *conn.MySQL
			conn.MySQL = &cfg
			mysqlParams("", cc.params...).apply(&conn, nil)
		}
		if err := c.store.UpdateConnection(c.ctx, &conn); err != nil {
			t.Fatal(err)
		}
		c.wc = &conn
	}
	c.exec(cc.create)
	const query = "select id, v, c from cur"
	c.model(query, "id", controlplane.BehaviorUpdateOrCreate, 100)
	c.describe()
	c.sync.Cursor, c.sync.CursorLookback = "c", cc.lookback
	if err := c.store.UpdateSync(c.ctx, c.sync); err != nil {
		t.Fatal(err)
	}
	state, records := map[string]string{}, map[string]string{}
	check := func(step string) {
		t.Helper()
		run, _ := c.run(controlplane.RunSucceeded)
		_, recs := c.recv.Take("id")
		for _, d := range recs {
			k, rec := jsonText(d.Data["id"]), jsonText(d.Data)
			if records[k] == rec {
				t.Errorf("%s: a %s read from %q sent %s again, unchanged", step, run.ReadMode, run.ReadFrom, rec)
			}
			state[k], records[k] = jsonText(d.Data["v"]), rec
		}
		want := c.modelState(query)
		for k, v := range want {
			if state[k] != v {
				t.Errorf("%s: after a %s read from %q the receiver has %s's v = %s, want %s", step, run.ReadMode, run.ReadFrom, k, state[k], v)
			}
		}
	}
	check("first run")
	for i, s := range cc.steps {
		c.exec(s)
		check("step " + string(rune('1'+i)) + " (" + s + ")")
	}
}

func TestCursorAttackMySQL(t *testing.T) {
	t.Parallel()
	w := conformanceWarehouseNamed(t, controlplane.KindMySQL)
	text := func(coll string) []string {
		return []string{
			`INSERT INTO cur VALUES (3, 1, 'b ')`,
			`UPDATE cur SET v = 2 WHERE id = 3; INSERT INTO cur VALUES (4, 1, 'b ')`, // ties at the mark
			`INSERT INTO cur VALUES (5, 1, 'ß')`,
			`UPDATE cur SET v = 3, c = 'ß' WHERE id = 1; INSERT INTO cur VALUES (7, 1, 'ß')`,
			`INSERT INTO cur VALUES (8, 1, '🙂'); UPDATE cur SET v = 4, c = 'ÿ' WHERE id = 2`,
			`UPDATE cur SET v = 5, c = '🙂' WHERE id = 2`,
		}
	}
	cases := []cursorCase{
		{name: "general_ci", create: `CREATE TABLE cur (id int, v int, c varchar(20) COLLATE utf8mb4_general_ci);
			INSERT INTO cur VALUES (1, 1, 'a'), (2, 1, 'B')`, steps: text("general_ci")},
		{name: "unicode_ci", create: `CREATE TABLE cur (id int, v int, c varchar(20) COLLATE utf8mb4_unicode_ci);
			INSERT INTO cur VALUES (1, 1, 'a'), (2, 1, 'B')`, steps: text("unicode_ci")},
		{name: "char general_ci", create: `CREATE TABLE cur (id int, v int, c char(20) COLLATE utf8mb4_general_ci);
			INSERT INTO cur VALUES (1, 1, 'a'), (2, 1, 'B')`, steps: text("char")},
		// 'a' sorts after 'Z' by bytes, before it in the collation: a read compared by the
		// collation would miss it.
		{name: "general_ci case", create: `CREATE TABLE cur (id int, v int, c varchar(20) COLLATE utf8mb4_general_ci);
			INSERT INTO cur VALUES (1, 1, 'A'), (2, 1, 'Z')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 'a')`, `UPDATE cur SET v = 2, c = 'b' WHERE id = 1`}},
		{name: "latin1", create: `CREATE TABLE cur (id int, v int, c varchar(20) CHARACTER SET latin1);
			INSERT INTO cur VALUES (1, 1, 'a'), (2, 1, 'B')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 'b ')`, `INSERT INTO cur VALUES (4, 1, 'é'), (5, 1, 'b ')`,
			`UPDATE cur SET v = 2, c = 'é' WHERE id = 1`, `UPDATE cur SET v = 3, c = 'ÿ' WHERE id = 2`}},
		{name: "URL charset, interpolateParams, NO_BACKSLASH_ESCAPES", params: []string{"charset=latin1", "interpolateParams=true",
			"sql_mode='NO_BACKSLASH_ESCAPES,ANSI_QUOTES'", "time_zone='+09:00'", "collation_connection=latin1_swedish_ci"},
			create: `CREATE TABLE cur (id int, v int, c varchar(20) COLLATE utf8mb4_general_ci);
			INSERT INTO cur VALUES (1, 1, 'a\\'), (2, 1, 'B''')`, steps: []string{
				`INSERT INTO cur VALUES (3, 1, 'a\\')`, `UPDATE cur SET v = 2 WHERE id = 3; INSERT INTO cur VALUES (4, 1, '£')`,
				`INSERT INTO cur VALUES (5, 1, '£'), (6, 1, 'é')`, `UPDATE cur SET v = 3, c = '🙂' WHERE id = 1`}},
		{name: "datetime URL time_zone", lookback: "0s", params: []string{"time_zone='-05:00'", "interpolateParams=true"},
			create: `CREATE TABLE cur (id int, v int, c datetime(3));
			INSERT INTO cur VALUES (1, 1, '2020-01-01 00:00:00'), (2, 1, '2020-01-02 00:00:00.5')`, steps: []string{
				`INSERT INTO cur VALUES (3, 1, '2020-01-02 00:00:00.5')`, `UPDATE cur SET v = 2, c = '2020-01-02 00:00:00.501' WHERE id = 1`}},
		{name: "datetime(0) fractional lookback", lookback: "1.5s", create: `CREATE TABLE cur (id int, v int, c datetime);
			INSERT INTO cur VALUES (1, 1, '2020-01-01 00:00:00'), (2, 1, '2020-01-02 00:00:02')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02 00:00:01')`, `UPDATE cur SET v = 2, c = '2020-01-02 00:00:02' WHERE id = 1`}},
		{name: "datetime(6)", lookback: "0s", create: `CREATE TABLE cur (id int, v int, c datetime(6));
			INSERT INTO cur VALUES (1, 1, '2020-01-01 00:00:00.5'), (2, 1, '2020-01-01 00:00:00.000001')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-01 00:00:00.5')`,
			`UPDATE cur SET v = 2 WHERE id = 3; INSERT INTO cur VALUES (4, 1, '2020-01-01 00:00:00.500001')`,
			`UPDATE cur SET v = 3, c = '2020-01-01 00:00:00.500001' WHERE id = 2`}},
		{name: "timestamp", lookback: "0s", create: `SET time_zone = '-05:00'; CREATE TABLE cur (id int, v int, c timestamp(3) NULL);
			INSERT INTO cur VALUES (1, 1, '2020-03-08 01:59:59.999'), (2, 1, '2020-11-01 01:30:00')`, steps: []string{
			`SET time_zone = '-05:00'; INSERT INTO cur VALUES (3, 1, '2020-11-01 01:30:00')`,
			`SET time_zone = '+09:00'; UPDATE cur SET v = 2, c = '2020-11-01 15:30:00' WHERE id = 1`,
			`SET time_zone = 'SYSTEM'; INSERT INTO cur VALUES (4, 1, '2021-01-01 00:00:00')`}},
		// Written by a session in a zone whose clock goes back an hour (EDT to EST) with
		// CURRENT_TIMESTAMP: a TIMESTAMP holds the instant, so it still grows.
		{name: "timestamp across a clock change", lookback: "5m", create: `CREATE TABLE cur (id int, v int,
			c timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP);
			SET time_zone = '-04:00'; SET timestamp = UNIX_TIMESTAMP('2020-11-01 01:50:00'); INSERT INTO cur (id, v) VALUES (1, 1), (2, 1)`,
			steps: []string{`SET time_zone = '-05:00'; SET timestamp = UNIX_TIMESTAMP('2020-11-01 01:10:00'); INSERT INTO cur (id, v) VALUES (3, 1);
				UPDATE cur SET v = 2 WHERE id = 1`}},
		{name: "date", lookback: "1m", create: `CREATE TABLE cur (id int, v int, c date);
			INSERT INTO cur VALUES (1, 1, '2020-01-01'), (2, 1, '2020-01-02')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02')`, `UPDATE cur SET v = 2 WHERE id = 3`,
			`UPDATE cur SET v = 3, c = '2020-01-03' WHERE id = 1`}},
		{name: "zero datetime", create: `SET SESSION sql_mode = ''; CREATE TABLE cur (id int, v int, c datetime);
			INSERT INTO cur VALUES (1, 1, '0000-00-00 00:00:00'), (2, 1, NULL)`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-01 00:00:00')`, `UPDATE cur SET v = 2, c = '2020-01-02 00:00:00' WHERE id = 1`}},
		{name: "zero date", create: `SET SESSION sql_mode = ''; CREATE TABLE cur (id int, v int, c date);
			INSERT INTO cur VALUES (1, 1, '0000-00-00'), (2, 1, '2020-05-00')`, steps: []string{
			`SET SESSION sql_mode = ''; INSERT INTO cur VALUES (3, 1, '2020-05-00')`, `UPDATE cur SET v = 2, c = '2020-05-01' WHERE id = 1`}},
		{name: "bigint unsigned", create: `CREATE TABLE cur (id int, v int, c bigint unsigned);
			INSERT INTO cur VALUES (1, 1, 9223372036854775808), (2, 1, 18446744073709551614)`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 18446744073709551614)`, `UPDATE cur SET v = 2 WHERE id = 3`,
			`UPDATE cur SET v = 3, c = 18446744073709551615 WHERE id = 1`, `UPDATE cur SET v = 4 WHERE id = 1`}},
		{name: "negative", create: `CREATE TABLE cur (id int, v int, c bigint);
			INSERT INTO cur VALUES (1, 1, -10), (2, 1, -5)`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, -5)`, `UPDATE cur SET v = 2, c = -1 WHERE id = 1`, `UPDATE cur SET v = 3, c = 0 WHERE id = 2`}},
		{name: "bigint edges", create: `CREATE TABLE cur (id int, v int, c bigint);
			INSERT INTO cur VALUES (1, 1, -9223372036854775808), (2, 1, 9223372036854775806)`, steps: []string{
			`INSERT INTO cur VALUES (4, 1, 9223372036854775806)`, `UPDATE cur SET v = 3, c = 9223372036854775807 WHERE id = 1`}},
		{name: "datetime(6) far future", lookback: "0s", create: `CREATE TABLE cur (id int, v int, c datetime(6));
			INSERT INTO cur VALUES (1, 1, '9999-12-31 23:59:59.999999'), (2, 1, '2020-01-01 00:00:00.000001')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-01 00:00:00.000001')`, `UPDATE cur SET v = 2, c = '2020-01-01 00:00:00.000002' WHERE id = 1`}},
		{name: "timestamp(6) range ends", lookback: "0s", create: `SET time_zone = '+00:00'; CREATE TABLE cur (id int, v int, c timestamp(6) NULL);
			INSERT INTO cur VALUES (1, 1, '2038-01-19 03:14:07.999999'), (2, 1, '1970-01-01 00:00:01.000001')`, steps: []string{
			`SET time_zone = '+00:00'; INSERT INTO cur VALUES (3, 1, '1970-01-01 00:00:01.000001')`,
			`SET time_zone = '+00:00'; UPDATE cur SET v = 2, c = '2020-01-01 00:00:00.000002' WHERE id = 1`}},
	}
	for _, cc := range cases {
		t.Run(cc.name, func(t *testing.T) {
			t.Parallel()
			runCursorCase(t, w, cc)
		})
	}
}

func TestCursorAttackDuckDB(t *testing.T) {
	t.Parallel()
	w := conformanceWarehouseNamed(t, controlplane.KindDuckDB)
	times := func(typ string) []string {
		return []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02 00:00:00.5')`,
			`UPDATE cur SET v = 2 WHERE id = 3; INSERT INTO cur VALUES (4, 1, '2020-01-02 00:00:00.5')`,
			`UPDATE cur SET v = 3, c = '2020-01-02 00:00:01' WHERE id = 1`,
			`UPDATE cur SET v = 4, c = '2020-01-02 00:00:01.000001' WHERE id = 2`,
		}
	}
	var cases []cursorCase
	for _, typ := range []string{"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"} {
		cases = append(cases, cursorCase{name: typ + " fractional lookback", lookback: "1.0000005s", create: `CREATE TABLE cur (id INT, v INT, c ` + typ + `);
			INSERT INTO cur VALUES (1, 1, '2020-01-01 00:00:00'), (2, 1, '2020-01-02 00:00:02')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02 00:00:01')`, `UPDATE cur SET v = 2, c = '2020-01-02 00:00:02' WHERE id = 1`}})
		cases = append(cases, cursorCase{name: typ, lookback: "0s", create: `CREATE TABLE cur (id INT, v INT, c ` + typ + `);
			INSERT INTO cur VALUES (1, 1, '2020-01-01 00:00:00'), (2, 1, '2020-01-02 00:00:00.5')`, steps: times(typ)})
	}
	for _, init := range []string{"SET TimeZone = 'America/New_York'", "SET TimeZone = 'Asia/Kathmandu'; SET Calendar = 'japanese'"} {
		cases = append(cases, cursorCase{name: "TIMESTAMPTZ " + init, lookback: "0s", init: init,
			create: `CREATE TABLE cur (id INT, v INT, c TIMESTAMPTZ);
			INSERT INTO cur VALUES (1, 1, '2020-01-01 00:00:00+00'), (2, 1, '2020-01-02 00:00:00.5+00')`, steps: []string{
				`INSERT INTO cur VALUES (3, 1, '2020-01-02 00:00:00.5+00')`,
				`UPDATE cur SET v = 2 WHERE id = 3; INSERT INTO cur VALUES (4, 1, '2020-01-01 19:00:00.5-05')`,
				`UPDATE cur SET v = 3, c = '2020-01-02 05:45:01+05:45' WHERE id = 1`}})
	}
	cases = append(cases,
		cursorCase{name: "DATE", lookback: "1m", create: `CREATE TABLE cur (id INT, v INT, c DATE);
			INSERT INTO cur VALUES (1, 1, '2020-01-01'), (2, 1, '2020-01-02')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02')`, `UPDATE cur SET v = 2 WHERE id = 3`,
			`UPDATE cur SET v = 3, c = '2020-01-03' WHERE id = 1`}},
		cursorCase{name: "HUGEINT", create: `CREATE TABLE cur (id INT, v INT, c HUGEINT);
			INSERT INTO cur VALUES (1, 1, -170141183460469231731687303715884105728), (2, 1, 170141183460469231731687303715884105726)`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 170141183460469231731687303715884105726)`, `UPDATE cur SET v = 2 WHERE id = 3`,
			`UPDATE cur SET v = 3, c = 170141183460469231731687303715884105727 WHERE id = 1`}},
		cursorCase{name: "UBIGINT", create: `CREATE TABLE cur (id INT, v INT, c UBIGINT);
			INSERT INTO cur VALUES (1, 1, 9223372036854775808), (2, 1, 18446744073709551614)`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 18446744073709551614)`, `UPDATE cur SET v = 2 WHERE id = 3`,
			`UPDATE cur SET v = 3, c = 18446744073709551615 WHERE id = 1`}},
		cursorCase{name: "VARCHAR nocase", create: `CREATE TABLE cur (id INT, v INT, c VARCHAR);
			INSERT INTO cur VALUES (1, 1, 'a'), (2, 1, 'B')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 'b ')`,
			`UPDATE cur SET v = 2 WHERE id = 3; INSERT INTO cur VALUES (4, 1, 'b ')`,
			`INSERT INTO cur VALUES (5, 1, 'ß')`,
			`UPDATE cur SET v = 3, c = 'ß' WHERE id = 1; INSERT INTO cur VALUES (7, 1, 'ß')`,
			`INSERT INTO cur VALUES (8, 1, '🙂'); UPDATE cur SET v = 4, c = 'ÿ' WHERE id = 2`}},
		cursorCase{name: "VARCHAR nocase.noaccent", init: "SET default_collation = 'nocase.noaccent'",
			create: `CREATE TABLE cur (id INT, v INT, c VARCHAR);
			INSERT INTO cur VALUES (1, 1, 'a'), (2, 1, 'B')`, steps: []string{
				`INSERT INTO cur VALUES (3, 1, 'é')`,
				`UPDATE cur SET v = 2 WHERE id = 3; INSERT INTO cur VALUES (4, 1, 'é')`,
				`UPDATE cur SET v = 3, c = 'ê' WHERE id = 1`}},
		// 'a' sorts after 'Z' by bytes, before it without case: a read compared by the collation
		// would miss it.
		cursorCase{name: "VARCHAR COLLATE NOCASE column", create: `CREATE TABLE cur (id INT, v INT, c VARCHAR COLLATE NOCASE);
			INSERT INTO cur VALUES (1, 1, 'A'), (2, 1, 'Z')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 'a')`, `UPDATE cur SET v = 2, c = 'b' WHERE id = 1`}},
		cursorCase{name: "VARCHAR default collation nocase", create: `CREATE TABLE cur (id INT, v INT, c VARCHAR);
			INSERT INTO cur VALUES (1, 1, 'A'), (2, 1, 'Z')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 'a')`, `UPDATE cur SET v = 2, c = 'b' WHERE id = 1`}},
		cursorCase{name: "TIMESTAMP_NS nanoseconds", lookback: "0s", create: `CREATE TABLE cur (id INT, v INT, c TIMESTAMP_NS);
			INSERT INTO cur VALUES (1, 1, '2020-01-01 00:00:00'), (2, 1, '2020-01-02 00:00:00.123456789')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02 00:00:00.123456789')`,
			`UPDATE cur SET v = 2 WHERE id = 3; INSERT INTO cur VALUES (4, 1, '2020-01-02 00:00:00.12345679')`,
			`UPDATE cur SET v = 3, c = '2020-01-02 00:00:00.123456790' WHERE id = 1`}},
		cursorCase{name: "TIMESTAMP infinity", create: `CREATE TABLE cur (id INT, v INT, c TIMESTAMP);
			INSERT INTO cur VALUES (1, 1, '2020-01-01'), (2, 1, 'infinity'), (5, 1, '-infinity')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02')`, `UPDATE cur SET v = 2, c = 'infinity' WHERE id = 1`,
			`UPDATE cur SET v = 3 WHERE id = 2`, `UPDATE cur SET v = 3, c = '2020-01-03' WHERE id = 5`}},
		cursorCase{name: "TIMESTAMPTZ infinity", create: `CREATE TABLE cur (id INT, v INT, c TIMESTAMPTZ);
			INSERT INTO cur VALUES (1, 1, '2020-01-01'), (2, 1, 'infinity'), (5, 1, '-infinity')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02')`, `UPDATE cur SET v = 2, c = 'infinity' WHERE id = 1`, `UPDATE cur SET v = 3 WHERE id = 2`}},
		cursorCase{name: "DATE infinity", create: `CREATE TABLE cur (id INT, v INT, c DATE);
			INSERT INTO cur VALUES (1, 1, '2020-01-01'), (2, 1, 'infinity')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02')`, `UPDATE cur SET v = 2, c = '2020-01-03' WHERE id = 1`}},
		cursorCase{name: "TIMESTAMP BC and year 12000", create: `CREATE TABLE cur (id INT, v INT, c TIMESTAMP);
			INSERT INTO cur VALUES (1, 1, '0044-03-15 (BC) 12:00:00'), (2, 1, '2020-01-01'), (5, 1, '12000-01-01')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02')`, `UPDATE cur SET v = 2, c = '2020-01-03' WHERE id = 1`, `UPDATE cur SET v = 3 WHERE id = 5`}},
		cursorCase{name: "UHUGEINT", create: `CREATE TABLE cur (id INT, v INT, c UHUGEINT);
			INSERT INTO cur VALUES (1, 1, 0), (2, 1, 340282366920938463463374607431768211454)`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 340282366920938463463374607431768211454)`,
			`UPDATE cur SET v = 2, c = 340282366920938463463374607431768211455 WHERE id = 1`, `UPDATE cur SET v = 3 WHERE id = 1`}},
		cursorCase{name: "BIGINT edges", create: `CREATE TABLE cur (id INT, v INT, c BIGINT);
			INSERT INTO cur VALUES (1, 1, -9223372036854775808), (2, 1, -1)`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, -1)`, `UPDATE cur SET v = 2, c = 0 WHERE id = 1`,
			`UPDATE cur SET v = 3, c = 9223372036854775807 WHERE id = 2`}},
		cursorCase{name: "USMALLINT", create: `CREATE TABLE cur (id INT, v INT, c USMALLINT);
			INSERT INTO cur VALUES (1, 1, 0), (2, 1, 65534)`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 65534)`, `UPDATE cur SET v = 2, c = 65535 WHERE id = 1`}},
	)
	for _, cc := range cases {
		t.Run(cc.name, func(t *testing.T) {
			t.Parallel()
			runCursorCase(t, w, cc)
		})
	}
}

// TestCursorColumnTypeChanged: the cursor column's type changes in the warehouse (the model's
// SQL does not) and the model is described again, as an apply does: the mark, a value of the
// old type, says nothing about the new one, so the next run reads the whole model.
func TestCursorColumnTypeChanged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ wh, create, alter, alterDuck string }{
		{controlplane.KindMySQL, `CREATE TABLE cur (id int, v int, c datetime);
			INSERT INTO cur VALUES (1, 1, '2020-01-01 00:00:00'), (2, 1, '2020-01-02 00:00:00')`,
			`ALTER TABLE cur MODIFY c bigint; UPDATE cur SET v = 2, c = 5 WHERE id = 1`, ""},
		{controlplane.KindMySQL, `CREATE TABLE cur (id int, v int, c datetime);
			INSERT INTO cur VALUES (1, 1, '2020-01-01 00:00:00'), (2, 1, '2020-01-02 00:00:00')`,
			`ALTER TABLE cur MODIFY c varchar(30); UPDATE cur SET v = 2, c = '1' WHERE id = 1`, ""},
		{controlplane.KindMySQL, `CREATE TABLE cur (id int, v int, c bigint);
			INSERT INTO cur VALUES (1, 1, 10), (2, 1, 20)`,
			`ALTER TABLE cur MODIFY c varchar(30); UPDATE cur SET v = 2, c = '100' WHERE id = 1`, ""},
		{controlplane.KindDuckDB, `CREATE TABLE cur (id INT, v INT, c VARCHAR);
			INSERT INTO cur VALUES (1, 1, 'a'), (2, 1, 'b')`,
			`ALTER TABLE cur ALTER c TYPE TIMESTAMP USING '2020-01-01'; UPDATE cur SET v = 2, c = '2021-01-01' WHERE id = 1`, ""},
		{controlplane.KindDuckDB, `CREATE TABLE cur (id INT, v INT, c BIGINT);
			INSERT INTO cur VALUES (1, 1, 10), (2, 1, 20)`,
			`ALTER TABLE cur ALTER c TYPE VARCHAR; UPDATE cur SET v = 2, c = '100' WHERE id = 1`, ""},
	} {
		t.Run(tc.wh+" "+tc.alter, func(t *testing.T) {
			t.Parallel()
			c := newConformance(t, conformanceWarehouseNamed(t, tc.wh))
			c.exec(tc.create)
			const query = "select id, v, c from cur"
			c.model(query, "id", controlplane.BehaviorUpdateOrCreate, 100)
			c.describe()
			c.sync.Cursor = "c"
			if err := c.store.UpdateSync(c.ctx, c.sync); err != nil {
				t.Fatal(err)
			}
			c.run(controlplane.RunSucceeded)
			c.sent("id")
			c.exec(tc.alter)
			// Not described again: the run refuses to read with the old type's mark, and says what to do.
			_, err := c.run(controlplane.RunFailed)
			if err == nil || !strings.Contains(err.Error(), "apply") {
				t.Errorf("run with the model's old columns: %v; want an error saying to apply", err)
			}
			c.describe()
			run, _ := c.run(controlplane.RunSucceeded)
			if sent := c.sent("id"); !slices.Contains(sent, "changed 1") || run.ReadMode != controlplane.ReadFull {
				t.Errorf("run after the type change read %q from %q, sent %q; want a full read that sends changed 1", run.ReadMode, run.ReadFrom, sent)
			}
		})
	}
}

// TestCursorMySQLBoolean: a TINYINT(1) column (MySQL's BOOL) is read as a boolean, true for any
// value but 0, so it cannot be a cursor: as one, every mark was "true", which MySQL compares as
// 0, and the rows with a negative value were never read again.
func TestCursorMySQLBoolean(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"tinyint(1)", "bool", "tinyint(1) unsigned"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			c := newConformance(t, conformanceWarehouseNamed(t, controlplane.KindMySQL))
			c.exec(`CREATE TABLE cur (id int, v int, c ` + typ + `); INSERT INTO cur VALUES (1, 1, 1), (2, 1, 0)`)
			c.model("select id, v, c from cur", "id", controlplane.BehaviorUpdateOrCreate, 100)
			c.describe()
			c.sync.Cursor = "c"
			if err := c.store.UpdateSync(c.ctx, c.sync); err != nil {
				t.Fatal(err)
			}
			if _, err := c.run(controlplane.RunFailed); err == nil || !strings.Contains(err.Error(), "BOOL: it is read as a boolean") {
				t.Errorf("run with a %s cursor: %v; want it refused", typ, err)
			}
			if k := warehouse.CursorKindOf(typ); typ != "bool" && k != warehouse.CursorNone {
				t.Errorf("CursorKindOf(%q) = %s, want none", typ, k)
			}
		})
	}
}

// TestCursorAttackParquet: a DuckDB model over a glob of Parquet files, files added and
// rewritten between runs, cursors of several types (the bound is pushed into the scan, whose
// row groups' statistics may skip them). A HUGEINT is written to Parquet as a DOUBLE, which the
// run refuses as a cursor.
func TestCursorAttackParquet(t *testing.T) {
	t.Parallel()
	w := conformanceWarehouseNamed(t, controlplane.KindDuckDB)
	for _, typ := range []string{"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMPTZ", "DATE", "VARCHAR", "UBIGINT", "INTEGER"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			val := func(i int) string { // the i-th cursor value, increasing
				switch typ {
				case "VARCHAR":
					return fmt.Sprintf("'k%03d'", i)
				case "UBIGINT":
					return fmt.Sprintf("%d::UBIGINT + 9223372036854775807", i)
				case "INTEGER":
					return fmt.Sprintf("%d", i-50)
				}
				return fmt.Sprintf("TIMESTAMP '2020-01-01 00:00:00.123456' + INTERVAL (%d) DAY", i)
			}
			file := func(name string, rows ...[3]int) string { // id, v, cursor index
				var sel []string
				for _, r := range rows {
					sel = append(sel, fmt.Sprintf("SELECT %d AS id, %d AS v, (%s)::%s AS c", r[0], r[1], val(r[2]), typ))
				}
				return fmt.Sprintf("COPY (%s) TO '%s/%s.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2)", strings.Join(sel, " UNION ALL "), dir, name)
			}
			runCursorCase(t, w, cursorCase{name: typ, lookback: "0s", create: file("a", [3]int{1, 1, 1}, [3]int{2, 1, 2}, [3]int{3, 1, 3}, [3]int{4, 1, 4}) + ";" +
				fmt.Sprintf("CREATE VIEW cur AS SELECT id, v, c FROM read_parquet('%s/*.parquet')", dir),
				steps: []string{
					file("b", [3]int{5, 1, 4}, [3]int{6, 1, 5}),                                   // a tie at the mark, a new one
					file("a", [3]int{1, 2, 6}, [3]int{2, 1, 2}, [3]int{3, 1, 3}, [3]int{4, 2, 5}), // rewritten: 1 and 4 moved
					file("c", [3]int{7, 1, 6}, [3]int{8, 1, 7}, [3]int{9, 1, 7}) + ";" + file("b", [3]int{5, 1, 4}, [3]int{6, 3, 7}),
				}})
		})
	}
}

// TestCursorMySQLBooleanOfAnEarlierRelease: a TINYINT(1) cursor a release before 5 Dec 2026 ran
// (its model described before 3 Dec 2026, the column named "tinyint"; its mark "true", which
// MySQL compares as 0, under that release's digest): the runs after the upgrade read the whole
// model and keep no mark, instead of reading from "true" and missing the rows below 0.
func TestCursorMySQLBooleanOfAnEarlierRelease(t *testing.T) {
	t.Parallel()
	c := newConformance(t, conformanceWarehouseNamed(t, controlplane.KindMySQL))
	c.exec(`CREATE TABLE cur (id int, v int, c tinyint(1)); INSERT INTO cur VALUES (1, 1, 1), (2, 1, 0)`)
	const query = "select id, v, c from cur"
	c.model(query, "id", controlplane.BehaviorUpdateOrCreate, 100)
	m, err := c.store.GetModel(c.ctx, c.sync.ModelID)
	if err != nil {
		t.Fatal(err)
	}
	m.Columns = []controlplane.Column{{Name: "id", Type: "int"}, {Name: "v", Type: "int"}, {Name: "c", Type: "tinyint"}}
	if err := c.store.UpdateModel(c.ctx, m); err != nil {
		t.Fatal(err)
	}
	c.sync.Cursor = "c"
	if err := c.store.UpdateSync(c.ctx, c.sync); err != nil {
		t.Fatal(err)
	}
	if run, _ := c.run(controlplane.RunSucceeded); run.ReadMode != controlplane.ReadFull {
		t.Fatalf("first run read %q", run.ReadMode)
	}
	c.sent("id")
	if _, err := c.store.Pool().Exec(c.ctx, `UPDATE backflow.sync_cursors SET definition = $2, mark = 'true' WHERE sync_id = $1`,
		c.sync.ID, legacyCursorDefinition(c.sync, query)); err != nil {
		t.Fatal(err)
	}
	c.exec(`UPDATE cur SET v = 2, c = -1 WHERE id = 2`)
	for i := range 2 {
		run, _ := c.run(controlplane.RunSucceeded)
		if run.ReadMode != controlplane.ReadFull {
			t.Errorf("run %d after the upgrade read %q from %q; want a full read", i+1, run.ReadMode, run.ReadFrom)
		}
		if got, want := c.sent("id"), []string{"changed 2"}; i == 0 && !slices.Equal(got, want) {
			t.Errorf("run %d after the upgrade sent %q, want %q", i+1, got, want)
		}
	}
}
