package warehouse

import "testing"

// TestSQLStatement: the end of a model's statement (its last ';' and the blanks and comments
// after it) and a byte order mark before it are left out as each warehouse reads the SQL;
// nothing else is: not a ';' or a comment in a string, a name or a dollar-quoted string, not
// what follows a ';' that is SQL (another statement, MySQL's /*! */), not an unterminated
// comment, and not when a backslash's reading (which the session's settings choose) decides
// where a string ends.
func TestSQLStatement(t *testing.T) {
	for _, c := range []struct {
		lx       sqlLexicon
		in, want string
	}{
		{pgLexicon, "select 1; -- c", "select 1"},
		{pgLexicon, "select 1;  /* c */", "select 1"},
		{pgLexicon, "select 1 /* c */ ;", "select 1 /* c */"},
		{pgLexicon, "select 1 -- c", "select 1 -- c"},
		{pgLexicon, "select 1; ;\n-- a\n/* b /* nested */ */\n", "select 1"},
		{pgLexicon, "\ufeffselect 1;", "select 1"},
		{pgLexicon, "select 1 \ufeff", "select 1 \ufeff"},
		{pgLexicon, "select ';' -- c", "select ';' -- c"},
		{pgLexicon, "select '; -- c'", "select '; -- c'"},
		{pgLexicon, `select "a;" -- c`, `select "a;" -- c`},
		{pgLexicon, "select $$; -- $$", "select $$; -- $$"},
		{pgLexicon, "select $x$; -- $x$;", "select $x$; -- $x$"},
		{pgLexicon, "select $1; -- c", "select $1"},
		{pgLexicon, "select E'\\'; -- '", "select E'\\'; -- '"},
		{pgLexicon, "select 1; select 2; -- c", "select 1; select 2"},
		{pgLexicon, "select 1; /* unterminated", "select 1; /* unterminated"},
		{pgLexicon, "select 1; # c", "select 1; # c"},
		// A line comment ends at a carriage return (SQL saved with CR line ends) in Postgres and
		// DuckDB, only at a newline in MySQL and MariaDB.
		{pgLexicon, "select 1 -- c\r, 'a\n; --'", "select 1 -- c\r, 'a\n; --'"},
		{pgLexicon, "select 1; -- c\rselect 2", "select 1; -- c\rselect 2"},
		{pgLexicon, "select 1; -- c\r-- d\r", "select 1"},
		{duckLexicon, "select 1; -- c\rselect 2", "select 1; -- c\rselect 2"},
		{myLexicon, "select 1; -- c\rselect 2", "select 1"},
		{myLexicon, "select 1 # c\r, 2\n;", "select 1 # c\r, 2"},
		// A backslash ends a string or not as standard_conforming_strings says: left as it is.
		{pgLexicon, "select 'a\\'; -- b'", "select 'a\\'; -- b'"},
		{pgLexicon, "select 'a\\', '; -- x'", "select 'a\\', '; -- x'"},
		{myLexicon, "select 1; -- c", "select 1"},
		{myLexicon, "select 1; # c", "select 1"},
		{myLexicon, "select 1;--", "select 1"},
		{myLexicon, "select 1;--c", "select 1;--c"},
		{myLexicon, "select 1;  /* c */", "select 1"},
		{myLexicon, "select 1; /*! select 2 */", "select 1; /*! select 2 */"},
		{myLexicon, "select 1; /*M! select 2 */", "select 1; /*M! select 2 */"},
		{myLexicon, "select 1; /* a /* b */ */", "select 1; /* a /* b */ */"},
		{myLexicon, "select `a;` from t; -- c", "select `a;` from t"},
		{myLexicon, `select "; -- x"; -- c`, `select "; -- x"`},
		{myLexicon, "\ufeffselect 1 # c", "select 1 # c"},
		{myLexicon, "select 'a\\', '; -- x'", "select 'a\\', '; -- x'"},
		{myLexicon, "select 'it''s'; -- c", "select 'it''s'"},
		{duckLexicon, "select 1; -- c", "select 1"},
		{duckLexicon, "select [1, 2]; /* c */", "select [1, 2]"},
	} {
		if got := c.lx.statement(c.in); got != c.want {
			t.Errorf("%+v %q: %q, want %q", c.lx, c.in, got, c.want)
		}
	}
}
