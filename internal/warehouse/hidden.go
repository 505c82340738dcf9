package warehouse

import (
	"cmp"
	"errors"
	"regexp"
	"slices"
	"strings"

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

// duckConversionError starts the text of DuckDB's conversion errors.
const duckConversionError = "Conversion Error: "

// valueHidden stands in an error's text for a data value the warehouse quoted.
const valueHidden = "[value not shown]"

// HideQuotedValue returns err with the data value the warehouse quoted in its text left out: a
// Postgres data exception (SQLSTATE class 22: `invalid input syntax for type integer: "<value>"`,
// `value "<value>" is out of range for type integer`) or a DuckDB conversion error (`Could not
// convert string '<value>' to INT32`), which a model that casts a column fails on. What failed,
// and the error's code, stay; err is returned as it is when it quotes no value (a cut error
// still hides the value: its quotes are in its start and its end). For what prints an error
// where the warehouse's data is not shown: a plan. errors.Is and errors.As still see err.
func HideQuotedValue(err error) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	start, end, quote := -1, len(text), byte('"')
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && strings.HasPrefix(pe.Code, "22"):
		head, _, _ := strings.Cut(pe.Message, `"`)
		start = strings.Index(text, pe.Severity+": "+head)
		if e := strings.LastIndex(text, " (SQLSTATE "); e > start {
			end = e
		}
	case strings.Contains(text, duckConversionError):
		// DuckDB's reader returns its errors as text (its C API's): by their type's prefix.
		start, quote = strings.Index(text, duckConversionError), '\''
		if e := strings.Index(text[max(start, 0):], "\nLINE "); start >= 0 && e >= 0 {
			end = start + e // its context quotes the SQL, not a value
		}
	}
	if start < 0 {
		return err
	}
	region := text[start:end]
	q1, q2 := strings.IndexByte(region, quote), strings.LastIndexByte(region, quote)
	switch {
	case q1 < 0:
		return err
	case q2 == q1: // left open (cut): to the end of the message
		q2 = len(region)
	}
	return &textHidden{text: text[:start+q1+1] + valueHidden + text[start+q2:], err: err}
}
