//go:build cgo

package warehouse

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// Every warehouse's source, as For returns it, leaves out the values its data exceptions quote,
// whether the error comes from describing the model, opening it or reading its rows; its SQL
// errors still quote the model's SQL.
func TestForHidesQuotedValues(t *testing.T) {
	ctx := context.Background()
	const secret = "alice@example.com"
	pg := &controlplane.Connection{Name: "pg", Postgres: &controlplane.PostgresConfig{URL: newWarehouse(t,
		"CREATE TABLE u (id int, email text)", "INSERT INTO u VALUES (1, '1'), (2, '"+secret+"')")}}
	myURL, db := warehousetest.NewMySQLDatabase(t)
	for _, f := range []string{"CREATE FUNCTION f(x text) RETURNS int DETERMINISTIC RETURN x",
		"CREATE FUNCTION fd(x text) RETURNS datetime DETERMINISTIC RETURN str_to_date(x, '%Y-%m-%d')"} {
		if _, err := db.Exec(f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("SET SESSION sql_mode = 'STRICT_ALL_TABLES'; CREATE TABLE u (id int, email text); INSERT INTO u VALUES (1, '1'), (2, '" + secret + "')"); err != nil {
		t.Fatal(err)
	}
	my := &controlplane.Connection{Name: "my", MySQL: &controlplane.MySQLConfig{URL: myURL}}
	path, _ := warehousetest.NewDuckDBFile(t, "CREATE TABLE u AS SELECT * FROM (VALUES (1, '1'), (2, '"+secret+"')) v(id, email); "+
		"CREATE TYPE mood AS ENUM ('happy')")
	duck := &controlplane.Connection{Name: "duck", DuckDB: &controlplane.DuckDBConfig{Database: path}}
	duckJSON := &controlplane.Connection{Name: "duck errors_as_json", DuckDB: &controlplane.DuckDBConfig{Database: path, InitSQL: "SET errors_as_json = true"}}
	for _, c := range []struct {
		conn      *controlplane.Connection
		query     string
		want, not string
	}{
		{pg, "select id, email::int as n from u", `integer: "[value not shown]" (SQLSTATE 22P02)`, secret},
		{pg, "select id, to_date(email, 'YYYY-MM-DD') as n from u", `invalid value "[value not shown]" for "[value not shown]"`, "alic"},
		{pg, "select id, email::regproc as n from u where id = 2", `schema "[value not shown]" does not exist (SQLSTATE 3F000)`, "alice"},
		{pg, "select id, current_setting(email) as n from u where id = 2", `parameter "[value not shown]" (SQLSTATE 42704)`, "alice"},
		{pg, "select id, convert_from(decode(md5(email), 'hex'), 'UTF8') as n from u where id = 2", `encoding "UTF8": [value not shown] (SQLSTATE 22021)`, "0x"},
		{pg, "select id, email::regtype as n from u where id = 2", `syntax error at or near "[value not shown]" (SQLSTATE 42601)`, "@"},
		{pg, "select id, pg_database_size(email) as n from u where id = 2", `database "[value not shown]" does not exist (SQLSTATE 3D000)`, "alice"},
		{pg, "select id, has_column_privilege('u', email, 'select') as n from u where id = 2", `column "[value not shown]" of relation`, "alice"},
		// SQL given as text is refused before it runs (pgRefusedCalls), so the value is never quoted.
		{pg, "select id, query_to_xml(email, true, true, '') as n from u where id = 2", "runs SQL given as text (query_to_xml)", "alice"},
		{pg, "select id, make_date(2020, 13, length(email)) as n from u where id = 2", "date field value out of range: [value not shown] (SQLSTATE 22008)", "2020-13"},
		{pg, "select id, make_time(length(email) + 10, 0, 0) as n from u where id = 2", "time field value out of range: [value not shown] (SQLSTATE 22008)", "27:00"},
		{pg, "select id, chr(length(email) * 100000) as n from u where id = 2", "too large for encoding: [value not shown] (SQLSTATE 54000)", "1700000"},
		{pg, "select id, ('2020-13-' || length(email))::date as n from u where id = 2", `date/time field value out of range: "[value not shown]" (SQLSTATE 22008)`, "2020-13"},
		{pg, "select id, 'nosuch'::regclass as n from u", `relation "nosuch" does not exist (SQLSTATE 42P01)`, "not shown"},
		{pg, "select id, emial from u", `column "emial" does not exist (SQLSTATE 42703)`, "not shown"},
		{pg, "select id, email from nosuch.u", `relation "nosuch.u" does not exist (SQLSTATE 42P01)`, "not shown"},
		{pg, "select id, email::nosuchtype from u", `type "nosuchtype" does not exist (SQLSTATE 42704)`, "not shown"},
		{pg, "select id, 'a' || 'b from u", `unterminated quoted string at or near "'b from u"`, "not shown"},
		{my, "select id, f(email) as n from u", "Incorrect integer value: '[value not shown]' for column", secret},
		{my, "select id, fd(email) as n from u", "Error 1411 (HY000): Incorrect datetime value: '[value not shown]' for function str_to_date", secret},
		{my, "select id, emial from u", "Unknown column 'emial' in", "not shown"},
		{my, "select id, 9223372036854775807 + id as n from u", "BIGINT value is out of range in '9223372036854775807 + `", "not shown"},
		{my, "select id, 'ab from u", "near ''ab from u", "not shown"},
		{duck, "select id, email::int as n from u", "Could not convert string '[value not shown]' to INT32", secret},
		{duck, "select id, strptime(email, '%Y') as n from u", `Could not parse string "[value not shown]"`, "alice"},
		{duck, "select id, (id * 1000)::decimal(4,2) as n from u", "Could not cast value [value not shown] to DECIMAL(4,2)", "000 to"},
		{duck, "select id, make_date(2020, 1, length(email) + 20) as n from u", "Date out of range: [value not shown]", "2020-1"},
		{duck, `select id, json_transform_strict('["' || email || '"]', '{"a":"VARCHAR"}') as n from u`, "but got ARRAY: [value not shown]", "alice"},
		{duck, `select id, ('{"b": ' || (id * 1000) || '}')::json::struct(a int) as n from u`, "Object [value not shown] has unknown key", "000}"},
		{duck, "select id, regexp_matches('x', '(' || email) as n from u where id = 2", "missing ): [value not shown]", "alice"},
		{duck, "select id, email::mood as n from u where id = 2", "Could not convert string '[value not shown]' to ENUM('happy')", "alice"},
		{duck, "select id, timezone(email, now()) as n from u where id = 2", "Unknown TimeZone '[value not shown]'", "alice"},
		{duck, "select id, now() at time zone email as n from u where id = 2", "Unknown TimeZone '[value not shown]'", "alice"},
		{duckJSON, "select id, timezone(email, now()) as n from u where id = 2", "Unknown TimeZone '[value not shown]'", "alice"},
		// DuckDB's other Not implemented errors quote the model's SQL, and say what it may hold.
		{duck, "select id, list_sort([id], 'FOO') as n from u", `Not implemented Error: Enum value: unrecognized value "FOO" for enum "OrderType"`, "not shown"},
		{duckJSON, "select id, list_sort([id], 'FOO') as n from u", `unrecognized value \"FOO\" for enum \"OrderType\"`, "not shown"},
		{duckJSON, "select id, email::int as n from u", `"exception_message":"Could not convert string '[value not shown]' to INT32`, secret},
		{duckJSON, "select id, emial from u", `Referenced column \"emial\" not found`, "not shown"},
		{duck, "select 1 as id from read_parquet('/tmp/backflow-no-such-file.parquet')", `No files found that match the pattern "/tmp/backflow-no-such-file.parquet"`, "not shown"},
		{duck, "select id, email::nosuchtype as n from u", "Type with name nosuchtype does not exist", "not shown"},
		{duck, "select id, emial from u", `Referenced column "emial" not found`, "not shown"},
	} {
		src, err := For(c.conn)
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Describe(ctx, c.query)
		if err == nil {
			var rows Stream
			if rows, err = Read(ctx, src, c.query, "id", nil, nil); err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), c.not) {
			t.Errorf("%s: %s: %v; want it to say %q, and not %q", c.conn.Name, c.query, err, c.want, c.not)
		}
	}
}

// The errors For's sources return keep what the callers classify them by (errors.Is): a statement
// timeout, a refused write, a canceled read, whether or not a value was hidden in them.
func TestForKeepsErrorIdentity(t *testing.T) {
	t.Parallel()
	myURL, _ := warehousetest.NewMySQLDatabase(t)
	path, _ := warehousetest.NewDuckDBFile(t, "CREATE TABLE u AS SELECT 1 AS id")
	const timeout = 300 * time.Millisecond
	for _, c := range []struct {
		conn        *controlplane.Connection
		slow, write string
	}{
		{&controlplane.Connection{Name: "pg", Postgres: &controlplane.PostgresConfig{URL: newWarehouse(t, "CREATE TABLE u AS SELECT 1 AS id"),
			StatementTimeout: timeout}}, "select 1 as id, pg_sleep(5) as n", "select 1 as id; delete from u"},
		{&controlplane.Connection{Name: "my", MySQL: &controlplane.MySQLConfig{URL: myURL, StatementTimeout: time.Second}},
			"select 1 as id, sleep(5) as n", "select 1 as id from dual for update"},
		// DuckDB's timeout bounds opening the database too: 300 ms failed the write case with a
		// timeout on a loaded machine (CI beside other tests), so it gets longer than an open.
		{&controlplane.Connection{Name: "duck", DuckDB: &controlplane.DuckDBConfig{Database: path, StatementTimeout: 5 * time.Second}},
			"select sum(i) as id from range(1000000000000) AS r(i)", "select 1 as id; delete from u"},
	} {
		src, err := For(c.conn)
		if err != nil {
			t.Fatal(err)
		}
		read := func(ctx context.Context, q string) error {
			if _, err := src.Describe(ctx, q); err != nil {
				return err
			}
			rows, err := Read(ctx, src, q, "id", nil, nil)
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			return err
		}
		if err := read(context.Background(), c.slow); !errors.Is(err, ErrStatementTimeout) {
			t.Errorf("%s: a read past its statement timeout: %v, want ErrStatementTimeout", c.conn.Name, err)
		}
		if err := read(context.Background(), c.write); !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("%s: SQL that writes: %v, want ErrNotReadOnly", c.conn.Name, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err = read(ctx, strings.Replace(c.slow, "5", "30", 1))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrStatementTimeout) {
			t.Errorf("%s: a read whose context ends: %v, want the context's error", c.conn.Name, err)
		}
	}
}

// TestForHidesDuckDBMultilineValues: a value that spans lines is hidden whole in DuckDB's errors:
// a CSV reader's original line (on the lines after "Original Line: " in DuckDB 1.4 and later,
// and a quoted field holding a line break, or a CRLF file's line, spans several), and the string
// a cast could not convert. Before, only the rest of the "Original Line: " line was hidden (with
// DuckDB 1.4, nothing), and of a value holding a line break only its first line.
func TestForHidesDuckDBMultilineValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	files := map[string]string{
		"quoted.csv": "id,n\n1,2\n2,\"alice\nmultiline, value\"\n",
		"crlf.csv":   "\xef\xbb\xbfid,n\r\n1,2\r\n2,\"alice\r\nsecond, line\"\r\n",
		"long.csv":   "id,n\n1,2\n2,\"alice\nmultiline, value\"\n",
		// A row whose lines read as DuckDB's own reason for it, quotes doubled and a lone '.
		"reason.csv":  "id,n\n1,2\n2,\"alice\nError when converting column second \nmultiline\"\n",
		"reason3.csv": "id,n,m\n1,2,3\n2,\"alice\nExpected Number of Columns: second\",\"x\nmultiline\"\n",
		"doubled.csv": "id,n\n1,2\n2,\"alice \"\"q\"\" second\nmultiline \"\" x\"\n",
		"single.csv":  "id,n\n1,2\n2,\"it's alice\nsecond\"\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := For(&controlplane.Connection{Name: "duck", DuckDB: &controlplane.DuckDBConfig{Database: ":memory:"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ query, want string }{
		{"select * from read_csv('" + dir + "/quoted.csv', columns={'id': 'INT', 'n': 'INT'}, header=true)",
			"Original Line: [value not shown]\nCould not convert string \"[value not shown]\" to 'INTEGER'\n\nColumn n is being converted as type INTEGER"},
		{"select * from read_csv('" + dir + "/reason.csv', columns={'id': 'INT', 'n': 'INT'}, header=true)",
			"Original Line: [value not shown]\nCould not convert string \"[value not shown]\" to 'INTEGER'\n\nColumn n is being converted as type INTEGER"},
		{"select * from read_csv('" + dir + "/reason3.csv', columns={'id': 'INT', 'n': 'INT', 'm': 'INT'}, header=true)",
			"Original Line: [value not shown]\nCould not convert string \"[value not shown]\" to 'INTEGER'\n\nColumn n is being converted as type INTEGER"},
		{"select * from read_csv('" + dir + "/doubled.csv', columns={'id': 'INT', 'n': 'INT'}, header=true)",
			"Original Line: [value not shown]\nCould not convert string \"[value not shown]\" to 'INTEGER'\n\nColumn n is being converted as type INTEGER"},
		{"select * from read_csv('" + dir + "/single.csv', columns={'id': 'INT', 'n': 'INT'}, header=true)",
			"Original Line: [value not shown]\nCould not convert string \"[value not shown]\" to 'INTEGER'\n\nColumn n is being converted as type INTEGER"},
		{"select * from read_csv('" + dir + "/crlf.csv', columns={'id': 'INT', 'n': 'INT'}, header=true)", "Original Line: [value not shown]\nCould not convert string \"[value not shown]\" to 'INTEGER'"},
		{"select * from read_csv('" + dir + "/long.csv', max_line_size=8)", "Original Line: [value not shown]\nMaximum line size of 8 bytes"},
		{"select id, concat(n, '!')::int as n from read_csv('" + dir + "/quoted.csv', all_varchar=true)", "Could not convert string '[value not shown]' to INT32"},
	} {
		_, err := src.Describe(ctx, c.query)
		if err == nil {
			var rows Stream
			if rows, err = Read(ctx, src, c.query, "id", nil, nil); err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "alice") ||
			strings.Contains(err.Error(), "multiline") || strings.Contains(err.Error(), "second") || strings.Contains(err.Error(), "q\"") {
			t.Errorf("%s: %v\nwant it to say %q, and no value", c.query, err, c.want)
		}
	}
}
