package warehouse

import (
	"context"
	"fmt"
	"strings"
)

// MariaDB's JSON columns. MariaDB's JSON type is LONGTEXT with a CHECK (json_valid(column))
// constraint, and JSON functions return LONGTEXT too: the protocol says "LONGTEXT" for both
// unless the client asks for MariaDB's extended metadata ("format=json"), which
// github.com/go-sql-driver/mysql cannot. So the server is asked where each result column comes
// from: EXPLAIN EXTENDED of the model prints the query as MariaDB resolved it (SHOW WARNINGS,
// note 1003), derived tables and views merged, each select item an expression with its columns
// named in full (`db`.`table or alias`.`column`) followed by AS `name`. A result column is
// JSON when its item is
//   - a column of a base table whose CHECK constraint is exactly json_valid(`column`) (read
//     from information_schema, as before), through any number of derived tables or views
//     MariaDB merged or materialized, or
//   - a call of a JSON function whose result is JSON text (mariaJSONFunctions).
// Anything else cannot be known and is a string: an expression over a JSON column (CASE, IF,
// COALESCE, CONCAT, a UNION's column, a window or a subquery), a view MariaDB could not EXPLAIN
// (the SHOW VIEW privilege), a recursive CTE's column. docs/warehouses.md says so.

// mariaJSONFunctions return JSON text (or NULL) whatever their arguments.
var mariaJSONFunctions = map[string]bool{
	"json_array": true, "json_arrayagg": true, "json_array_append": true, "json_array_insert": true,
	"json_array_intersect": true, "json_compact": true, "json_detailed": true, "json_pretty": true,
	"json_extract": true, "json_insert": true, "json_keys": true, "json_loose": true, "json_merge": true,
	"json_merge_patch": true, "json_merge_preserve": true, "json_normalize": true, "json_object": true,
	"json_objectagg": true, "json_object_filter_keys": true, "json_object_to_array": true, "json_query": true,
	"json_remove": true, "json_replace": true, "json_set": true,
}

// MariaDB's errors EXPLAIN EXTENDED may answer: a view the user may not SHOW
// (ER_VIEW_NO_EXPLAIN), and a syntax error (ER_PARSE_ERROR).
const (
	erViewNoExplain = 1345
	erParse         = 1064
)

// mariaJSONColumns returns which of the model's result columns hold JSON on MariaDB (nil on
// MySQL, whose JSON type is its own on the wire).
func (c *myConn) mariaJSONColumns(ctx context.Context, query string) (map[string]bool, error) {
	if !c.mariadb {
		return nil, nil
	}
	// The model itself, not wrapped as a derived table: MariaDB leaves a derived table's WITH
	// clause out of the note. The model is already known to be one SELECT (describe ran it
	// wrapped).
	note, quote, err := c.explainNote(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("find the model's JSON columns: %w", err)
	}
	origins := mariaOrigins(note, quote)
	out := map[string]bool{}
	checked := map[[2]string]map[string]bool{} // (db, table) -> its JSON columns
	for name, o := range origins {
		if o.json {
			out[name] = true
			continue
		}
		t := [2]string{o.db, o.table}
		if _, ok := checked[t]; !ok {
			if checked[t], err = c.mariaTableJSON(ctx, o.db, o.table, quote); err != nil {
				return nil, err
			}
		}
		if checked[t][o.column] {
			out[name] = true
		}
	}
	return out, nil
}

// mariaTableJSON returns the JSON columns of a table: LONGTEXT with the CHECK constraint
// json_valid(`column`) that MariaDB's JSON type is.
func (c *myConn) mariaTableJSON(ctx context.Context, db, table string, quote byte) (map[string]bool, error) {
	rows, err := c.conn.QueryContext(ctx, `SELECT c.COLUMN_NAME, k.CHECK_CLAUSE
		FROM information_schema.COLUMNS c JOIN information_schema.CHECK_CONSTRAINTS k
		  ON k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
		WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ?
		  AND c.DATA_TYPE = 'longtext' AND k.CHECK_CLAUSE LIKE 'json\_valid(%'`, db, table)
	if err != nil {
		return nil, fmt.Errorf("read the table's JSON columns from information_schema: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var col, clause string
		if err := rows.Scan(&col, &clause); err != nil {
			return nil, fmt.Errorf("read the table's JSON columns from information_schema: %w", err)
		}
		q := string(quote)
		if clause == "json_valid("+q+strings.ReplaceAll(col, q, q+q)+q+")" {
			out[col] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the table's JSON columns from information_schema: %w", err)
	}
	return out, nil
}

// mariaOrigin is where a result column comes from: a base table's column, or (json) a JSON
// function's result.
type mariaOrigin struct {
	db, table, column string
	json              bool
}

// mariaOrigins reads EXPLAIN EXTENDED's note: the outer select's items, each traced to a table
// column (through derived tables, by their aliases) or a JSON function. Columns whose origin
// cannot be told are left out.
func mariaOrigins(note string, quote byte) map[string]mariaOrigin {
	toks := mariaTokens(note, quote)
	top := mariaSelect(toks)
	if top == nil {
		return nil
	}
	// Table references in FROM clauses: `db`.`table`, then `alias` unless it has none (MariaDB
	// prints no AS there). Columns name them `db`.`alias`.`column`, or `alias`.`column` (a
	// view's). A name that stands for two tables is not traced (an empty table below).
	refs := mariaRefs{full: map[[2]string]string{}, short: map[string][2]string{}}
	for i := 0; i+2 < len(toks); i++ {
		if !toks[i].ident || toks[i+1].text != "." || !toks[i+2].ident || (i > 0 && toks[i-1].text == ".") ||
			(i+3 < len(toks) && toks[i+3].text == ".") {
			continue
		}
		as := toks[i+2].text
		if i+3 < len(toks) && toks[i+3].ident {
			as = toks[i+3].text
		}
		refs.add(toks[i].text, as, toks[i+2].text)
	}
	out := map[string]mariaOrigin{}
	for name, item := range mariaSelectItems(top, 0) {
		if o, ok := mariaTrace(toks, item, refs, 0); ok {
			out[name] = o
		}
	}
	return out
}

// mariaRefs are the note's tables by the names its columns use for them.
type mariaRefs struct {
	full  map[[2]string]string // (db, alias) -> table
	short map[string][2]string // alias -> (db, table)
}

// add records that alias (the table's own name when it has none) in db is table; a second,
// different table for the same name makes it stand for none.
func (r mariaRefs) add(db, alias, table string) {
	k := [2]string{db, alias}
	if t, ok := r.full[k]; ok && t != table {
		table = ""
	}
	r.full[k] = table
	v := [2]string{db, table}
	if old, ok := r.short[alias]; ok && old != v || table == "" {
		v = [2]string{}
	}
	r.short[alias] = v
}

// mariaTrace traces one select item (its expression's tokens).
func mariaTrace(toks, item []mariaToken, refs mariaRefs, depth int) (mariaOrigin, bool) {
	switch {
	case len(item) == 5 && item[0].ident && item[1].text == "." && item[2].ident && item[3].text == "." && item[4].ident:
		table := refs.full[[2]string{item[0].text, item[2].text}]
		if table == "" {
			return mariaOrigin{}, false
		}
		return mariaOrigin{db: item[0].text, table: table, column: item[4].text}, true
	case len(item) == 3 && item[0].ident && item[1].text == "." && item[2].ident && depth < 16:
		// A table's column by its alias alone (as a view's columns are printed), or a derived
		// table's (or a CTE's) column: its definition, "(select ...) `alias`" or "alias as
		// (select ...)", is in the note; its item of that name. Not both.
		table, isTable := refs.short[item[0].text]
		def, defined := mariaDerived(toks, item[0].text)
		switch {
		case isTable && !defined && table[1] != "":
			return mariaOrigin{db: table[0], table: table[1], column: item[2].text}, true
		case isTable || def == nil:
			// Both a table and a derived table of that name, or a derived table that is not one
			// select (a UNION, JSON_TABLE, a nested parenthesis): not known.
			return mariaOrigin{}, false
		}
		inner, ok := mariaSelectItems(def, 0)[item[2].text]
		if !ok {
			return mariaOrigin{}, false
		}
		return mariaTrace(toks, inner, refs, depth+1)
	case len(item) >= 3 && !item[0].ident && mariaJSONFunctions[strings.ToLower(item[0].text)] && item[1].text == "(" &&
		item[len(item)-1].text == ")" && mariaMatch(item, 1) == len(item)-1:
		return mariaOrigin{json: true}, true
	}
	return mariaOrigin{}, false
}

// mariaDerived returns the tokens of the one select that defines derived table (or CTE) alias,
// and whether anything in the note defines alias at all. def is nil when nothing does, when
// more than one thing does (the same alias at two levels), or when the definition is not one
// select (a UNION, whose columns' types merge several selects; JSON_TABLE; a nested
// parenthesis): with defined set, the alias is then not a table's, and its columns are unknown.
func mariaDerived(toks []mariaToken, alias string) (def []mariaToken, defined bool) {
	var found []mariaToken
	for i, t := range toks {
		var open int
		switch {
		case t.text == ")" && i+1 < len(toks) && toks[i+1].ident && toks[i+1].text == alias:
			open = mariaMatch(toks, i)
		case t.text == alias && i+2 < len(toks) && toks[i+1].is("as") && toks[i+2].text == "(":
			open = i + 2
		default:
			continue
		}
		defined = true
		if open < 0 {
			return nil, true
		}
		close := mariaMatch(toks, open)
		if close < 0 {
			return nil, true
		}
		d := mariaSelect(toks[open+1 : close])
		if d == nil || found != nil {
			return nil, true
		}
		found = d
	}
	return found, defined
}

// mariaSelect returns the select of a query's tokens, after its WITH clause if it has one (the
// CTEs are found by their own aliases); nil when it is not one select (a UNION, EXCEPT or
// INTERSECT, whose columns' types merge several selects).
func mariaSelect(q []mariaToken) []mariaToken {
	if len(q) > 0 && q[0].is("with") {
		j := mariaTop(q, func(t mariaToken) bool { return t.is("select") })
		if j < 0 {
			return nil
		}
		q = q[j:]
	}
	if len(q) == 0 || !q[0].is("select") ||
		mariaTop(q, func(t mariaToken) bool { return t.is("union") || t.is("except") || t.is("intersect") }) >= 0 {
		return nil
	}
	return q
}

// mariaTop is the index of the first token of q outside any parentheses for which match is
// true, or -1.
func mariaTop(q []mariaToken, match func(mariaToken) bool) int {
	depth := 0
	for i, t := range q {
		switch {
		case t.text == "(":
			depth++
		case t.text == ")":
			depth--
		case depth == 0 && match(t):
			return i
		}
	}
	return -1
}

// mariaSelectItems splits the select list that starts at toks[start] ("select") into its
// items by name (the AS `name` MariaDB prints after each).
func mariaSelectItems(toks []mariaToken, start int) map[string][]mariaToken {
	out := map[string][]mariaToken{}
	i := start + 1
	for i < len(toks) && (toks[i].is("distinct") || toks[i].is("all") || toks[i].is("straight_join") ||
		toks[i].is("sql_no_cache") || toks[i].is("sql_cache") || toks[i].is("high_priority")) {
		i++
	}
	itemStart, depth := i, 0
	for ; i <= len(toks); i++ {
		end := i == len(toks)
		if !end {
			switch t := toks[i]; {
			case t.text == "(":
				depth++
				continue
			case t.text == ")":
				depth--
				if depth >= 0 {
					continue
				}
				end = true
			case depth > 0:
				continue
			case t.is("from"):
				end = true
			case t.text != ",":
				continue
			}
		}
		item := toks[itemStart:i]
		if n := len(item); n >= 3 && item[n-2].is("as") && item[n-1].ident {
			if _, dup := out[item[n-1].text]; !dup {
				out[item[n-1].text] = item[:n-2]
			}
		}
		if end {
			break
		}
		itemStart = i + 1
	}
	return out
}

// mariaMatch is the index of the parenthesis that matches toks[at]: the ")" that closes a "(",
// the "(" that a ")" closes; -1 when there is none.
func mariaMatch(toks []mariaToken, at int) int {
	step, in, out := 1, "(", ")"
	if toks[at].text == ")" {
		step, in, out = -1, ")", "("
	}
	depth := 0
	for i := at; i >= 0 && i < len(toks); i += step {
		switch toks[i].text {
		case in:
			depth++
		case out:
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// mariaToken is a token of the note: a name quoted with backticks (ident, unquoted text), a
// word, a string literal (its quoted text), or one character of punctuation.
type mariaToken struct {
	text  string
	ident bool
}

func (t mariaToken) is(word string) bool { return !t.ident && strings.EqualFold(t.text, word) }

// mariaTokens splits the note as MariaDB prints it: names in quote (backticks, or double quotes
// under ANSI_QUOTES; doubled inside),
// strings in single quotes (backslash escapes), comments /* ... */ dropped.
func mariaTokens(s string, quote byte) []mariaToken {
	var toks []mariaToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
			i++
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return toks
			}
			i += end + 4
		case c == quote:
			j := quotedEnd(s, i, false)
			toks = append(toks, mariaToken{text: undoubled(s[i+1:j], quote), ident: true})
			i = j + 1
		case c == '\'' || c == '"':
			j := quotedEnd(s, i, true)
			toks = append(toks, mariaToken{text: s[i:min(j+1, len(s))]})
			i = j + 1
		case c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80:
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '$' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' ||
				s[j] >= '0' && s[j] <= '9' || s[j] >= 0x80) {
				j++
			}
			toks = append(toks, mariaToken{text: s[i:j]})
			i = j
		default:
			toks = append(toks, mariaToken{text: s[i : i+1]})
			i++
		}
	}
	return toks
}
