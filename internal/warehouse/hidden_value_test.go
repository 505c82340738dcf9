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
		{"postgres, no value", hidePostgresValues, pg("42P01", `relation "users" does not exist`),
			`ERROR: relation "users" does not exist (SQLSTATE 42P01)`, "not shown"},
		{"postgres syntax error", hidePostgresValues, pg("42601", `unterminated quoted string at or near "'b from u"`),
			`at or near "'b from u" (SQLSTATE 42601)`, "not shown"},
		{"mysql stored function", hideMySQLValues, my(1366, "22007", "Incorrect integer value: 'alice@example.com' for column ``.``.`f(email)` at row 0"),
			"Error 1366 (22007): Incorrect integer value: '[value not shown]' for column ``.``.`f(email)` at row 0", "alice"},
		{"mysql column name kept", hideMySQLValues, my(1366, "22007", "Incorrect integer value: 'al'ice' for column 'n' at row 1"),
			"Incorrect integer value: '[value not shown]' for column 'n' at row 1", "ice"},
		{"mysql quote and space in the value", hideMySQLValues, my(1366, "22007", "Incorrect integer value: 'a' lice 'x' for column 'n' at row 1"),
			"Incorrect integer value: '[value not shown]' for column 'n' at row 1", "lice"},
		{"mysql truncated", hideMySQLValues, my(1292, "22007", "Truncated incorrect DOUBLE value: 'secret'"),
			"Error 1292 (22007): Truncated incorrect DOUBLE value: '[value not shown]'", "secret"},
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
			"CSV Error on Line: 3\nOriginal Line: [value not shown]\nError when converting column \"n\". Could not convert string \"[value not shown]\" to '[value not shown]'\n\nColumn n is being converted as type INTEGER", "alice"},
		{"duckdb overflow", hideDuckDBValues, duck("Out of Range Error: Overflow in multiplication of INT32 (2147483647 * 2)!"),
			"Overflow in multiplication of INT32 ([value not shown])!", "2147483647"},
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
