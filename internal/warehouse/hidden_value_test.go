package warehouse

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// Each warehouse's rule leaves out the data values the warehouse quoted in a data exception, each
// on its own, and keeps the text between them (what failed, the column, the row, the code,
// DuckDB's context of the SQL); an error about the SQL, which quotes the model's SQL (a name, a
// literal), is as it is.
func TestHideValues(t *testing.T) {
	pg := func(code, msg string) error {
		return fmt.Errorf("read the model %q: %w", "users", &pgconn.PgError{Severity: "ERROR", Code: code, Message: msg})
	}
	my := func(number uint16, state, msg string) error {
		e := &mysql.MySQLError{Number: number, Message: msg}
		copy(e.SQLState[:], state)
		return fmt.Errorf("read the model %q: %w", "users", e)
	}
	pgErr := func(e *pgconn.PgError) error { return fmt.Errorf("read the model %q: %w", "users", e) }
	duck := func(msg string) error { return fmt.Errorf("read the model: %w", errors.New(msg)) }
	for _, c := range []struct {
		name      string
		hide      func(error) error
		err       error
		want, not string
	}{
		{"postgres cast", hidePostgresValues, pg("22P02", `invalid input syntax for type integer: "alice@example.com"`),
			`read the model "users": ERROR: invalid input syntax for type integer: "[value not shown]" (SQLSTATE 22P02)`, "alice"},
		{"postgres quote in the value", hidePostgresValues, pg("22P02", `invalid input syntax for type integer: "a"lice"`),
			`integer: "[value not shown]" (SQLSTATE 22P02)`, "lice"},
		{"postgres quote and space in the value", hidePostgresValues, pg("22P02", `invalid input syntax for type integer: "a" lice "x"`),
			`ERROR: invalid input syntax for type integer: "[value not shown]" (SQLSTATE 22P02)`, "lice"},
		{"postgres out of range", hidePostgresValues, pg("22003", `value "99999999999" is out of range for type integer`),
			`ERROR: value "[value not shown]" is out of range for type integer (SQLSTATE 22003)`, "9999"},
		{"postgres two values, the text between kept", hidePostgresValues, pg("22007", `invalid value "alic" for "YYYY"`),
			`ERROR: invalid value "[value not shown]" for "[value not shown]" (SQLSTATE 22007)`, "alic"},
		{"postgres, no value", hidePostgresValues, pgErr(&pgconn.PgError{Severity: "ERROR", Code: "42P01", Message: `relation "users" does not exist`, Position: 15}),
			`ERROR: relation "users" does not exist (SQLSTATE 42P01)`, "not shown"},
		{"postgres name a value gives", hidePostgresValues, pg("3F000", `schema "alice@example" does not exist`),
			`ERROR: schema "[value not shown]" does not exist (SQLSTATE 3F000)`, "alice"},
		{"postgres name the SQL gives", hidePostgresValues, pgErr(&pgconn.PgError{Severity: "ERROR", Code: "42P01", Message: `relation "users" does not exist`, Position: 19}),
			`ERROR: relation "users" does not exist (SQLSTATE 42P01)`, "not shown"},
		{"postgres name a function's body gives", hidePostgresValues, pgErr(&pgconn.PgError{Severity: "ERROR", Code: "42P01", Message: `relation "users" does not exist`, Where: "PL/pgSQL function f() line 3 at SQL statement"}),
			`ERROR: relation "users" does not exist (SQLSTATE 42P01)`, "not shown"},
		{"postgres connection's setting", hidePostgresValues, pgErr(&pgconn.PgError{Severity: "FATAL", Code: "42704", Message: `unrecognized configuration parameter "nosuch"`}),
			`FATAL: unrecognized configuration parameter "nosuch" (SQLSTATE 42704)`, "not shown"},
		{"postgres connection's database", hidePostgresValues, pgErr(&pgconn.PgError{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: "3D000", Message: `database "analytcs" does not exist`}),
			`FATAL: database "analytcs" does not exist (SQLSTATE 3D000)`, "not shown"},
		{"postgres encoding's bytes", hidePostgresValues, pg("22021", `invalid byte sequence for encoding "UTF8": 0xe9 0x80`),
			`ERROR: invalid byte sequence for encoding "UTF8": [value not shown] (SQLSTATE 22021)`, "0xe9"},
		{"postgres syntax error", hidePostgresValues, pgErr(&pgconn.PgError{Severity: "ERROR", Code: "42601", Message: `unterminated quoted string at or near "'b from u"`, Position: 17}),
			`at or near "'b from u" (SQLSTATE 42601)`, "not shown"},
		{"mysql stored function", hideMySQLValues, my(1366, "22007", "Incorrect integer value: 'alice@example.com' for column ``.``.`f(email)` at row 0"),
			"Error 1366 (22007): Incorrect integer value: '[value not shown]' for column ``.``.`f(email)` at row 0", "alice"},
		{"mysql column name kept", hideMySQLValues, my(1366, "22007", "Incorrect integer value: 'al'ice' for column 'n' at row 1"),
			"Incorrect integer value: '[value not shown]' for column 'n' at row 1", "ice"},
		{"mysql quote and space in the value", hideMySQLValues, my(1366, "22007", "Incorrect integer value: 'a' lice 'x' for column 'n' at row 1"),
			"Incorrect integer value: '[value not shown]' for column 'n' at row 1", "lice"},
		{"mysql truncated", hideMySQLValues, my(1292, "22007", "Truncated incorrect DOUBLE value: 'secret'"),
			"Error 1292 (22007): Truncated incorrect DOUBLE value: '[value not shown]'", "secret"},
		{"mysql HY000 (Oracle MySQL's 1366)", hideMySQLValues, my(1366, "HY000", "Incorrect integer value: 'alice@example.com' for column 'n' at row 1"),
			"Error 1366 (HY000): Incorrect integer value: '[value not shown]' for column 'n' at row 1", "alice"},
		{"mysql str_to_date", hideMySQLValues, my(1411, "HY000", "Incorrect datetime value: 'alice@example.com' for function str_to_date"),
			"Error 1411 (HY000): Incorrect datetime value: '[value not shown]' for function str_to_date", "alice"},
		{"mysql GROUP BY's temporary table", hideMySQLValues, my(1062, "23000", "Duplicate entry 'alice@example.com1' for key 'group_key'"),
			"Error 1062 (23000): Duplicate entry '[value not shown]' for key 'group_key'", "alice"},
		{"mysql out of range in an expression", hideMySQLValues, my(1690, "22003", "BIGINT value is out of range in '(9223372036854775807 + `db`.`u`.`id`)'"),
			"Error 1690 (22003): BIGINT value is out of range in '(9223372036854775807 + `db`.`u`.`id`)'", "not shown"},
		{"mysql syntax error", hideMySQLValues, my(1064, "42000", "You have an error in your SQL syntax; check the manual near ''ab from dual' at line 2"),
			"near ''ab from dual' at line 2", "not shown"},
		{"duckdb conversion", hideDuckDBValues, duck("Conversion Error: Could not convert string 'alice' to INT32 when casting from source column email\n\nLINE 1: select email::int from 'users'"),
			"Could not convert string '[value not shown]' to INT32 when casting from source column email\n\nLINE 1: select email::int from 'users'", "alice"},
		{"duckdb json", hideDuckDBValues, duck(`Conversion Error: Malformed JSON at byte 0 of input: unexpected character.  Input: "alice" when casting from source column email`),
			`Input: "[value not shown]" when casting from source column email`, "alice"},
		{"duckdb unquoted", hideDuckDBValues, duck("Conversion Error: Type INT64 with value 99999999999 can't be cast because the value is out of range for the destination type INT32\n\nLINE 2: select 1"),
			"Type INT64 with value [value not shown] can't be cast because", "9999"},
		{"duckdb strptime", hideDuckDBValues, duck("Invalid Input Error: Could not parse string \"alice\" according to format specifier \"%Y\"\nalice\n^\nError: Expected a number"),
			"Could not parse string \"[value not shown]\" according to format specifier \"[value not shown]\"\n[value not shown]\nError: Expected a number", "alice"},
		{"duckdb csv", hideDuckDBValues, duck("Conversion Error: CSV Error on Line: 3\nOriginal Line: 2,alice\nError when converting column \"n\". Could not convert string \"alice\" to 'INTEGER'\n\nColumn n is being converted as type INTEGER"),
			"CSV Error on Line: 3\nOriginal Line: [value not shown]\nCould not convert string \"[value not shown]\" to 'INTEGER'\n\nColumn n is being converted as type INTEGER", "alice"},
		{"duckdb enum", hideDuckDBValues, duck("Conversion Error: Could not convert string 'alice' to ENUM('happy') when casting from source column email"),
			"Could not convert string '[value not shown]' to ENUM('happy') when casting", "alice"},
		{"duckdb overflow", hideDuckDBValues, duck("Out of Range Error: Overflow in multiplication of INT32 (2147483647 * 2)!"),
			"Overflow in multiplication of INT32 ([value not shown])!", "2147483647"},
		{"duckdb cast", hideDuckDBValues, duck("Conversion Error: Could not cast value 1000 to DECIMAL(4,2)\n\nLINE 2: select (id * 1000)::decimal(4,2)"),
			"Could not cast value [value not shown] to DECIMAL(4,2)\n\nLINE 2: select (id * 1000)::decimal(4,2)", "1000 to"},
		{"duckdb make_date", hideDuckDBValues, duck("Conversion Error: Date out of range: 2020-1-37"), "Date out of range: [value not shown]", "2020"},
		{"duckdb interval", hideDuckDBValues, duck("Out of Range Error: Interval value 200000000 years out of range"),
			"Interval value [value not shown] out of range", "2000"},
		{"duckdb regexp", hideDuckDBValues, duck("Invalid Input Error: invalid escape sequence: \\q@example.com"), "Invalid Input Error: invalid escape sequence: [value not shown]", "example"},
		{"duckdb unhex", hideDuckDBValues, duck("Invalid Input Error: Invalid input for hex digit: l"), "hex digit: [value not shown]", "digit: l"},
		{"duckdb errors_as_json", hideDuckDBValues, duck(`{"exception_type":"Conversion","exception_message":"Could not convert string 'al\"ice' to INT32 when casting from source column email","location":"[69,5]","position":"69"} after`),
			`{"exception_type":"Conversion","exception_message":"Could not convert string '[value not shown]' to INT32 when casting from source column email","location":"[69,5]","position":"69"} after`, "alice"},
		{"duckdb errors_as_json binder error", hideDuckDBValues, duck(`Binder Error: {"exception_type":"Binder","exception_message":"Referenced column \"emial\" not found in FROM clause!","name":"emial"}`),
			`Binder Error: {"exception_type":"Binder","exception_message":"Referenced column \"emial\" not found in FROM clause!","name":"emial"}`, "not shown"},
		{"duckdb binder error", hideDuckDBValues, duck("Binder Error: Referenced column \"emial\" not found in FROM clause!\nCandidate bindings: \"email\""),
			"Referenced column \"emial\" not found in FROM clause!\nCandidate bindings: \"email\"", "not shown"},
	} {
		got := c.hide(c.err)
		if !strings.Contains(got.Error(), c.want) || strings.Contains(got.Error(), c.not) {
			t.Errorf("%s: %q; want it to say %q, and not %q", c.name, got, c.want, c.not)
		}
		if !errors.Is(got, c.err) {
			t.Errorf("%s: errors.Is no longer sees the error", c.name)
		}
	}
}
