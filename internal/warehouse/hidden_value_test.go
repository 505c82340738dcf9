package warehouse

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// cut is an error whose text is cut in its middle, as the runner bounds a long one.
type cut struct {
	text string
	err  error
}

func (e *cut) Error() string { return e.text }
func (e *cut) Unwrap() error { return e.err }

// HideQuotedValue leaves out the data value a warehouse quoted in its error, whole or cut, and
// keeps the rest (what failed, the model's name, the code, DuckDB's context of the SQL); an
// error that quotes no value (a relation's name) is as it is.
func TestHideQuotedValue(t *testing.T) {
	pg := func(code, msg string) error {
		return fmt.Errorf("read the model %q: %w", "users", &pgconn.PgError{Severity: "ERROR", Code: code, Message: msg})
	}
	long := pg("22P02", `invalid input syntax for type integer: "alice`+strings.Repeat("x", 100)+`"`)
	for _, c := range []struct {
		name      string
		err       error
		want, not string
	}{
		{"postgres cast", pg("22P02", `invalid input syntax for type integer: "alice@example.com"`),
			`read the model "users": ERROR: invalid input syntax for type integer: "[value not shown]" (SQLSTATE 22P02)`, "alice"},
		{"postgres quote in the value", pg("22P02", `invalid input syntax for type integer: "a"lice"`),
			`integer: "[value not shown]" (SQLSTATE 22P02)`, "lice"},
		{"postgres out of range", pg("22003", `value "99999999999" is out of range for type integer`),
			`ERROR: value "[value not shown]" is out of range for type integer (SQLSTATE 22003)`, "9999"},
		{"postgres cut", &cut{text: long.Error()[:80] + "… (40 bytes left out) …" + long.Error()[len(long.Error())-30:], err: long},
			`integer: "[value not shown]" (SQLSTATE 22P02)`, "alice"},
		{"postgres, no value", pg("42P01", `relation "users" does not exist`),
			`ERROR: relation "users" does not exist (SQLSTATE 42P01)`, "not shown"},
		{"duckdb conversion", fmt.Errorf("read the model: %w",
			errors.New("Conversion Error: Could not convert string 'alice' to INT32\n\nLINE 1: select email::int from 'users'")),
			"Could not convert string '[value not shown]' to INT32\n\nLINE 1: select email::int from 'users'", "alice"},
	} {
		got := HideQuotedValue(c.err)
		if !strings.Contains(got.Error(), c.want) || strings.Contains(got.Error(), c.not) {
			t.Errorf("%s: %q; want it to say %q, and not %q", c.name, got, c.want, c.not)
		}
		if !errors.Is(got, c.err) {
			t.Errorf("%s: errors.Is no longer sees the error", c.name)
		}
	}
}
