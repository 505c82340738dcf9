package warehouse

import (
	"cmp"
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// hiddenText stands in an error's text for what a connection keeps secret.
const hiddenText = "[init_sql, not shown]"

// textHidden is an error whose text leaves out what the connection it came from keeps secret;
// errors.Is and errors.As still see the original.
type textHidden struct {
	text string
	err  error
}

func (e *textHidden) Error() string { return e.text }
func (e *textHidden) Unwrap() error { return e.err }

// initSQLLiteral is a quoted literal of SQL ('...' or "..."), or a quote left open to the end of
// its line.
var initSQLLiteral = regexp.MustCompile(`'[^'\n]*'?|"[^"\n]*"?`)

// hideInitSQL returns err with the text of initSQL (a DuckDB connection's init_sql, which holds
// credentials: CREATE SECRET, SET s3_secret_access_key) left out, wherever DuckDB quoted it: the
// "LINE n: ..." context of its parser errors (and the caret line under it), whole lines of it,
// its quoted literals, and its words of 8 characters or more (a key given bare, or a literal
// cut by DuckDB's "..."). err is returned as it is when nothing needs hiding. Every error
// DuckDB returns for init_sql goes through it, so that no plan, run record, log line or
// notification shows it.
func hideInitSQL(initSQL string, err error) error {
	if err == nil || strings.TrimSpace(initSQL) == "" {
		return err
	}
	lines := strings.Split(err.Error(), "\n")
	out := lines[:0:0]
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "LINE ") {
			out = append(out, hiddenText)
			if i+1 < len(lines) && strings.Trim(lines[i+1], " ^") == "" {
				i++ // the caret line under it
			}
			continue
		}
		out = append(out, lines[i])
	}
	text := strings.Join(out, "\n")
	var parts []string
	for _, l := range strings.FieldsFunc(initSQL, func(r rune) bool { return r == '\n' || r == ';' }) {
		if l = strings.TrimSpace(l); len(l) >= 4 {
			parts = append(parts, l)
		}
	}
	for _, lit := range initSQLLiteral.FindAllString(initSQL, -1) {
		if lit = strings.Trim(lit, `'"`); lit != "" {
			parts = append(parts, lit)
		}
	}
	for _, w := range strings.FieldsFunc(initSQL, func(r rune) bool { return strings.ContainsRune(" \t\r\n,;()='\"", r) }) {
		if len(w) >= 8 {
			parts = append(parts, w)
		}
	}
	// The longest first, so that a part of a longer one does not break it up; in any case, as
	// DuckDB folds unquoted names to lower case and a function of init_sql may change a
	// literal's (upper('...') was shown as written in upper case).
	slices.SortFunc(parts, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	if len(parts) > 0 {
		quoted := make([]string, len(parts))
		for i, p := range parts {
			quoted[i] = regexp.QuoteMeta(p)
		}
		text = regexp.MustCompile("(?i)"+strings.Join(quoted, "|")).ReplaceAllLiteralString(text, hiddenText)
	}
	if text == err.Error() {
		return err
	}
	return &textHidden{text: text, err: err}
}

// valueHidden stands in an error's text for a data value the warehouse quoted.
const valueHidden = "[value not shown]"

// The rule, one home per warehouse: a value of the warehouse's data that the warehouse quotes in
// an error (a model that casts a text column fails on "alice@example.com") is customer data, and
// errors go where the data does not: plans, run records, the status page, notifications to
// Slack or a webhook, logs. So every error a driver returns (Describe, Open, Ping, a stream's
// Err and Close) goes through its warehouse's function below, applied once by For: what failed
// (the type, the column, the row, DuckDB's LINE context of the SQL) and the error's code stay,
// each quoted value gives way to valueHidden. Only the warehouses' data exceptions are touched:
// Postgres's and MySQL's SQLSTATE class 22, DuckDB's Conversion, Invalid Input and Out of Range
// errors. Errors about the SQL (a syntax error, an unknown column) quote the model's SQL, which is
// configuration, and stay whole. errors.Is and errors.As still see the original error.

// hidePostgresValues is the rule for Postgres: the quoted values of a data exception
// (`invalid input syntax for type integer: "<value>"`, `value "<value>" is out of range for type
// integer`, `invalid value "<value>" for "<format>"`).
func hidePostgresValues(err error) error {
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) || !strings.HasPrefix(pe.Code, "22") {
		return err
	}
	return replaceMessage(err, pe.Message, hideQuoted(pe.Message, '"', namePrefixes))
}

// namePrefixes introduce a name, not a value, quoted in a data exception: MySQL's `Incorrect
// integer value: '<value>' for column 'n' at row 1`, DuckDB's `Error when converting column "n"`.
var namePrefixes = []string{"column ", "function "}

// hideMySQLValues is the rule for MySQL and MariaDB: the quoted values of a data exception
// (`Incorrect integer value: '<value>' for column 'n' at row 1`, `Truncated incorrect DOUBLE
// value: '<value>'`), which a stored function the model calls fails with in strict mode; the
// column's and the function's names stay.
func hideMySQLValues(err error) error {
	var me *mysql.MySQLError
	if err == nil || !errors.As(err, &me) || string(me.SQLState[:2]) != "22" {
		return err
	}
	return replaceMessage(err, me.Message, hideQuoted(me.Message, '\'', namePrefixes))
}

// duckDataErrors start the text of DuckDB's data exceptions. DuckDB returns its errors as text
// (its C API's): they are known by their type's prefix.
var duckDataErrors = []string{"Conversion Error: ", "Invalid Input Error: ", "Out of Range Error: "}

// duckUnquotedValue is a value DuckDB names without quotes: `Type INT64 with value 99999999999
// can't be cast`, `Overflow in multiplication of INT32 (2147483647 * 2)!`.
var duckUnquotedValue = regexp.MustCompile(`(with value )(.+?)( can't be cast)|(Overflow in [a-z]+ of [A-Za-z0-9_]+ \()(.*)(\)!)`)

// duckValueLine starts a line of a DuckDB data exception that is a value of the data: a CSV
// reader's "Original Line: 2,alice@example.com".
const duckValueLine = "Original Line: "

// hideDuckDBValues is the rule for DuckDB: the values of a data exception, quoted (`Could not
// convert string '<value>' to INT32`, `invalid date field format: "<value>"`, `Input:
// "<value>"`) or not (`with value <value> can't be cast`), a CSV reader's original line, and the
// line a caret points into (a strptime's value); its other lines (what it expected, a CSV
// reader's column, file and options) stay, as does the LINE context, which quotes the model's SQL.
func hideDuckDBValues(err error) error {
	if err == nil {
		return err
	}
	text := err.Error()
	start := -1
	for _, p := range duckDataErrors {
		if i := strings.Index(text, p); i >= 0 && (start < 0 || i < start) {
			start = i
		}
	}
	if start < 0 {
		return err
	}
	end := len(text)
	if e := strings.Index(text[start:], "\nLINE "); e >= 0 {
		end = start + e
	}
	lines := strings.Split(text[start:end], "\n")
	out := lines[:0:0]
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case i+1 < len(lines) && strings.Contains(lines[i+1], "^") && strings.Trim(lines[i+1], " ^") == "":
			l, i = valueHidden, i+1 // the caret line under it goes too
		case strings.HasPrefix(l, duckValueLine):
			l = duckValueLine + valueHidden
		default:
			l = hideQuoted(hideQuoted(l, '\'', namePrefixes), '"', namePrefixes)
			l = duckUnquotedValue.ReplaceAllString(l, "${1}${4}"+valueHidden+"${3}${6}")
		}
		out = append(out, l)
	}
	msg := strings.Join(out, "\n")
	if msg == text[start:end] {
		return err
	}
	return &textHidden{text: text[:start] + msg + text[end:], err: err}
}

// replaceMessage returns err with message, where its text has it, in place of the warehouse's
// original one; where it has not (a wrapper that reworded it), every quoted value of its text
// gives way.
func replaceMessage(err error, original, message string) error {
	if message == original {
		return err
	}
	text := err.Error()
	if i := strings.LastIndex(text, original); i >= 0 {
		text = text[:i] + message + text[i+len(original):]
	} else {
		text = hideQuoted(hideQuoted(text, '"', nil), '\'', nil)
	}
	return &textHidden{text: text, err: err}
}

// hideQuoted returns msg with each value it quotes with quote given way to valueHidden, and the
// text between the values as it is; a value after one of keep ("column ") is a name and stays.
// Warehouses quote a value without escaping the quotes in it, so a quote opens a value where it
// starts a word (after the start, a space, '(', ':' or '='), and closes it where it ends one
// (before the end, a space or punctuation): the value runs to the last such closing quote before
// the next quote that opens another (`invalid value "<value>" for "YYYY"`), and a quote that
// opens one and is never closed (a message cut short) runs to the end. A value after ": " is
// the last thing of its message but for a name (`integer: "<value>"`, `value: '<value>' for
// column 'n' at row 1`): it runs to the message's last quote, or to the last quote before
// " for " and a name, whatever quotes and spaces it holds.
func hideQuoted(msg string, quote byte, keep []string) string {
	opens := func(i int) bool { return i == 0 || strings.IndexByte(" (:=,", msg[i-1]) >= 0 }
	closes := func(i int) bool { return i == len(msg)-1 || strings.IndexByte(" ,.;:)!]", msg[i+1]) >= 0 }
	var b strings.Builder
	last := 0 // msg[:last] is written
	for i := 0; i < len(msg); i++ {
		if msg[i] != quote || !opens(i) {
			continue
		}
		end := -1
		for j := i + 1; j < len(msg); j++ {
			if msg[j] != quote {
				continue
			}
			if closes(j) {
				end = j
			} else if end >= 0 && opens(j) {
				break
			}
		}
		if strings.HasSuffix(msg[:i], ": ") {
			last := -1
			for _, k := range keep {
				last = max(last, strings.LastIndex(msg, string(quote)+" for "+k))
			}
			if last < 0 && msg[len(msg)-1] == quote {
				last = len(msg) - 1
			}
			if last > i {
				end = last
			}
		}
		kept := false
		for _, k := range keep {
			kept = kept || strings.HasSuffix(msg[:i], k)
		}
		if end < 0 {
			end = len(msg)
		}
		if !kept {
			b.WriteString(msg[last : i+1])
			b.WriteString(valueHidden)
			last = end
		}
		i = end
	}
	b.WriteString(msg[last:])
	return b.String()
}
