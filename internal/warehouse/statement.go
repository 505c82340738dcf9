package warehouse

import "strings"

// A model's SQL is read as the derived table m of another query, (<the SQL>) AS m, which ends a
// statement where the SQL did not: "SELECT 1; -- the end" made "(SELECT 1; -- the end\n) AS m",
// a syntax error in every warehouse. The end of the statement (its last ';' and the blanks and
// comments after it) is left out of it, read as the warehouse reads the SQL, and so is a UTF-8
// byte order mark before it (which an editor may save at the start of a file, and which
// Postgres and MySQL take for a word). What else follows a ';' (another statement, or a
// MySQL comment the server runs, /*! ... */) is left in, for the warehouse to refuse.

// sqlLexicon is how a warehouse reads the parts of SQL that may hold a ';' that ends nothing.
type sqlLexicon struct {
	// mysql: MySQL's and MariaDB's, where # starts a comment, -- does only before a blank, a
	// /* */ comment does not nest, /*! */ and /*M! */ are SQL, "..." is a string (a name under
	// ANSI_QUOTES) and `...` a name; else Postgres's and DuckDB's, with nested /* */, "..." a name,
	// E'...' and $tag$...$tag$ strings.
	mysql bool
}

var (
	pgLexicon   = sqlLexicon{}
	duckLexicon = sqlLexicon{}
	myLexicon   = sqlLexicon{mysql: true}
)

// statement is query without a leading byte order mark and without the end of its statement
// (the last ';' outside strings and comments that nothing but blanks, ';' and comments follows,
// and those), or without trailing blanks and ';' when it has none. Whether a backslash escapes
// a quote in a string depends on the session (Postgres's standard_conforming_strings, MySQL's
// NO_BACKSLASH_ESCAPES and ANSI_QUOTES): the end is left out only when every reading finds it
// at the same place, so SQL that ends in a string is never cut inside it.
func (lx sqlLexicon) statement(query string) string {
	query = strings.TrimPrefix(query, "\ufeff")
	end := -1
	for i, backslash := range [][2]bool{{false, false}, {true, true}, {true, false}} {
		e := lx.statementEnd(query, backslash[0], backslash[1])
		if i > 0 && e != end {
			end = -1
			break
		}
		end = e
	}
	if end >= 0 {
		query = query[:end]
	}
	return strings.TrimRight(query, " \t\r\n\f\v;")
}

// statementEnd is where the end of query's statement starts (its ';'), -1 when it has none.
// backslash: a backslash escapes in '...' strings; dquote: in "..." ones (MySQL).
func (lx sqlLexicon) statementEnd(q string, backslash, dquote bool) int {
	end := -1
	for i := 0; i < len(q); {
		if j := lx.ignored(q, i); j != i {
			if j < 0 {
				return -1 // an unterminated comment: the warehouse says so
			}
			i = j
			continue
		}
		c := q[i]
		switch {
		case c == ';':
			if end < 0 {
				end = i
			}
			i++
			continue
		case c == '\'':
			i = quotedEnd(q, i, backslash) + 1
		case c == '"':
			i = quotedEnd(q, i, lx.mysql && dquote) + 1
		case c == '`' && lx.mysql:
			i = quotedEnd(q, i, false) + 1
		case (c == 'e' || c == 'E') && !lx.mysql && i+1 < len(q) && q[i+1] == '\'' && (i == 0 || !sqlWordByte(q[i-1])):
			i = quotedEnd(q, i+1, true) + 1
		case c == '$' && !lx.mysql && (i == 0 || !sqlWordByte(q[i-1])):
			// $tag$...$tag$ (a tag is a name, or nothing); $1 is a parameter.
			j := i + 1
			for j < len(q) && sqlWordByte(q[j]) && q[j] != '$' {
				j++
			}
			if j < len(q) && q[j] == '$' && (j == i+1 || q[i+1] < '0' || q[i+1] > '9') {
				tag := q[i : j+1]
				if k := strings.Index(q[j+1:], tag); k >= 0 {
					i = j + 1 + k + len(tag)
				} else {
					i = len(q)
				}
			} else {
				i++
			}
		default:
			i++
		}
		end = -1 // SQL after a ';': no end yet
	}
	return end
}

// ignored is the index after the blank or the comment that starts at q[i], i when none does, -1
// when a comment starts there and does not end.
func (lx sqlLexicon) ignored(q string, i int) int {
	c := q[i]
	switch {
	case c <= ' ':
		return i + 1
	case c == '-' && strings.HasPrefix(q[i:], "--") && (!lx.mysql || i+2 == len(q) || q[i+2] <= ' '), c == '#' && lx.mysql:
		return lx.lineCommentEnd(q, i)
	case strings.HasPrefix(q[i:], "/*") && !(lx.mysql && (strings.HasPrefix(q[i:], "/*!") || strings.HasPrefix(q[i:], "/*M!"))):
		return lx.commentEnd(q, i)
	}
	return i
}

// noStatement is severalStatements(0) when query holds nothing but blanks, ';' and comments that
// end, nil otherwise: read as the derived table of another query, such SQL was a syntax error
// "at end of input" (Postgres) or "near ') AS m LIMIT 0'" (MySQL and MariaDB); DuckDB's parser
// counts its statements itself.
func (lx sqlLexicon) noStatement(query string) error {
	query = strings.TrimPrefix(query, "\ufeff")
	for i := 0; i < len(query); {
		if query[i] == ';' {
			i++
			continue
		}
		j := lx.ignored(query, i)
		if j <= i {
			return nil // SQL, or a comment that does not end: the warehouse reads it
		}
		i = j
	}
	return severalStatements(0)
}

// lineCommentEnd is the index of the line end that ends the line comment (--, MySQL's #) at
// q[i:], len(q) when none does. Postgres's and DuckDB's lexers end it at a carriage return as at
// a newline (SQL saved with CR line ends: what follows is SQL they run); MySQL's and MariaDB's
// only at a newline.
func (lx sqlLexicon) lineCommentEnd(q string, i int) int {
	for i < len(q) && q[i] != '\n' && (lx.mysql || q[i] != '\r') {
		i++
	}
	return i
}

// commentEnd is the index after the /* */ comment at q[i:], nested in Postgres and DuckDB, -1
// when it does not end.
func (lx sqlLexicon) commentEnd(q string, i int) int {
	depth := 0
	for i < len(q) {
		switch {
		case strings.HasPrefix(q[i:], "/*") && (!lx.mysql || depth == 0):
			depth++
			i += 2
		case strings.HasPrefix(q[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return -1
}

// sqlWordByte: c may be part of a name or keyword.
func sqlWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
