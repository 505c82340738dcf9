package warehouse

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// TablesWithoutTransactions lists the tables a model reads whose engine has no transactions
// (MyISAM, Aria, MEMORY, CSV, MERGE...), as "db.table (ENGINE)", on a MySQL or MariaDB
// warehouse (nil for the others, whose every table is transactional). A read of such a table is
// one statement, so it is whole as of its start, but a reload of the table (DELETE then INSERT,
// even in one transaction) is applied statement by statement: a run that overlaps it reads the
// table empty or partly loaded, without an error, and a mirror sync sends deleted for the rest
// (docs/warehouses.md, "A table reloaded while a run reads it"). The tables are those the
// server's resolved query names (the note of EXPLAIN, EXTENDED on MariaDB): views it merged are
// seen through; a view it does not merge is not, nor is a MyISAM or MEMORY table of at most one
// row, which the optimizer reads while it plans and leaves out (a "system" table), or a table it
// finds it need not read (a LEFT JOIN no column of which is used, on MariaDB).
func TablesWithoutTransactions(ctx context.Context, src Source, query string) ([]string, error) {
	if h, ok := src.(*valuesHidden); ok {
		tables, err := TablesWithoutTransactions(ctx, h.Source, query)
		return tables, h.hide(err)
	}
	m, ok := src.(*MySQL)
	if !ok {
		return nil, nil
	}
	c, err := m.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.close()
	// The describe refuses what is not one query that only reads, before EXPLAIN runs the model
	// alone.
	if _, _, err := c.describe(ctx, query); err != nil {
		return nil, err
	}
	note, quote, err := c.explainNote(ctx, query)
	if err != nil || note == "" {
		return nil, err
	}
	var where []string
	var args []any
	seen := map[[2]string]bool{}
	toks := mariaTokens(note, quote)
	for i := 1; i+2 < len(toks); i++ {
		// A table is `db`.`table` after FROM or JOIN (MySQL and MariaDB print every join so,
		// commas included); a column is named in three parts, or in two after anything else.
		if !(toks[i-1].is("from") || toks[i-1].is("join")) || !toks[i].ident || toks[i+1].text != "." ||
			!toks[i+2].ident || i+3 < len(toks) && toks[i+3].text == "." {
			continue
		}
		t := [2]string{toks[i].text, toks[i+2].text}
		if !seen[t] {
			seen[t] = true
			where = append(where, "(t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ?)")
			args = append(args, t[0], t[1])
		}
	}
	if len(where) == 0 {
		return nil, nil
	}
	rows, err := c.conn.QueryContext(ctx, `SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.ENGINE
		FROM information_schema.TABLES t JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE
		WHERE t.TABLE_TYPE <> 'SYSTEM VIEW' AND e.TRANSACTIONS <> 'YES' AND (`+strings.Join(where, " OR ")+`)
		ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME`, args...)
	if err != nil {
		return nil, fmt.Errorf("read the engines of the model's tables from information_schema: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var db, table, engine string
		if err := rows.Scan(&db, &table, &engine); err != nil {
			return nil, fmt.Errorf("read the engines of the model's tables from information_schema: %w", err)
		}
		out = append(out, fmt.Sprintf("%s.%s (%s)", db, table, engine))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the engines of the model's tables from information_schema: %w", err)
	}
	return out, nil
}

// explainNote is the model as the server resolved it: the note (1003) of EXPLAIN EXTENDED
// (MariaDB) or EXPLAIN (MySQL, and a server that no longer takes EXTENDED), "" when the server
// gives none (a view the user may not SHOW VIEW). On MariaDB it explains the model as it is,
// not as a derived table, whose WITH clause MariaDB leaves out of the note: the model must be
// known to be one query that only reads (describe ran it wrapped). On MySQL it explains the
// model as every read runs it, a derived table, where optimizer hints that set the statement's
// timeouts (/*+ SET_VAR(lock_wait_timeout=...) */, MAX_EXECUTION_TIME) do not apply. quote is
// the character names are quoted with in the note (and in CHECK clauses): '"' under ANSI_QUOTES
// (the URL's or the server's sql_mode), else '`'. Either way without the statement's end
// (myLexicon.statement), as every read runs it.
func (c *myConn) explainNote(ctx context.Context, query string) (note string, quote byte, err error) {
	query = myLexicon.statement(query)
	explain, q := "EXPLAIN ", "SELECT * FROM "+wrapQuery(query)
	if c.mariadb {
		explain, q = "EXPLAIN EXTENDED ", query
	}
	_, err = c.conn.ExecContext(ctx, explain+q)
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == erParse && c.mariadb {
		_, err = c.conn.ExecContext(ctx, "EXPLAIN "+q)
	}
	if err != nil {
		if errors.As(err, &me) && me.Number == erViewNoExplain {
			return "", '`', nil
		}
		return "", 0, fmt.Errorf("explain the model: %w", c.rejected(err))
	}
	rows, err := c.conn.QueryContext(ctx, "SHOW WARNINGS")
	if err != nil {
		return "", 0, fmt.Errorf("explain the model (SHOW WARNINGS): %w", err)
	}
	for rows.Next() {
		var level, message string
		var code int
		if err := rows.Scan(&level, &code, &message); err != nil {
			_ = rows.Close()
			return "", 0, fmt.Errorf("explain the model (SHOW WARNINGS): %w", err)
		}
		if code == 1003 {
			note = message
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return "", 0, fmt.Errorf("explain the model (SHOW WARNINGS): %w", err)
	}
	if note == "" {
		return "", '`', nil
	}
	var ansi bool
	if err := c.conn.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode LIKE '%ANSI_QUOTES%'").Scan(&ansi); err != nil {
		return "", 0, fmt.Errorf("explain the model (sql_mode): %w", err)
	}
	if ansi {
		return note, '"', nil
	}
	return note, '`', nil
}
