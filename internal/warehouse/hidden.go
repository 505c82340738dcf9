package warehouse

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
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
