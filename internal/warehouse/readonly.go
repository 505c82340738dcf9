package warehouse

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
)

// Models only read. This file is that guarantee: Connect is the only way this package reaches a
// warehouse, and everything it runs on the connection (describes at plan time, runs, tests, dry
// runs) runs in one READ ONLY transaction begun as the connection opens, each statement bounded
// by the warehouse connection's statement and lock timeouts. A function the model calls that
// writes fails instead of writing; a table locked by someone else fails the read after the lock
// timeout instead of blocking it. On top of that, SQL that is not a query that only reads
// (DELETE ... RETURNING, a data-modifying WITH, SELECT ... FOR UPDATE) is refused when described,
// with a message that says so, before anything runs.

// Defaults of a Postgres connection's zero StatementTimeout and LockTimeout. A run's read lasts
// as long as the warehouse takes to return every row (the runner sorts them before it sends
// any), which for a large model is long, so the statement timeout is generous; waiting for a
// lock has no such reason.
const (
	DefaultStatementTimeout = time.Hour
	DefaultLockTimeout      = 10 * time.Second
)

// Errors a read returns (wrapped, with the warehouse's own message) when the model's SQL is not a
// query that only reads, or when the read outlasted a timeout.
var (
	ErrNotReadOnly      = errors.New("a model must be a query that only reads")
	ErrLockTimeout      = errors.New("a table the model reads is locked")
	ErrStatementTimeout = errors.New("the warehouse stopped the model's query at the statement timeout")
	// ErrInterrupted: the warehouse ended the model's query or its session (a restart, an
	// administrator canceling or ending it, the network) while it prepared the model; not a fault
	// of the model's SQL.
	ErrInterrupted = errors.New("the warehouse ended the model's query or its session")
)

// interrupted is the error for err, a warehouse's answer to a statement, when it says the
// warehouse ended the query or its session rather than refused the model's SQL, nil otherwise:
// an error that is not the warehouse's own (not an E, its driver's error from the server: a
// closed socket, an EOF, the driver's invalid connection) unless the context ended, or one that
// ended says is the server ending it.
func interrupted[E error](err error, ended func(E) bool) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	if se, ok := errors.AsType[E](err); ok && !ended(se) {
		return nil
	}
	return fmt.Errorf("%w (a restart, an administrator canceling queries or ending sessions, or the network): "+
		"the model's SQL was not at fault; try again: %w", ErrInterrupted, err)
}

// severalStatements is the error for a model whose SQL the warehouse's own parser reads as n
// statements, when n is not one (nil when it is). Every warehouse refuses it before any of the
// SQL is prepared or run, at plan time (the provider's describe) and by every read alike.
func severalStatements(n int) error {
	switch {
	case n == 1:
		return nil
	case n == 0:
		return fmt.Errorf("%w, and one query: this SQL holds no statement (only blanks, ';' or comments)", ErrNotReadOnly)
	}
	return fmt.Errorf("%w, and one query: this SQL holds %d statements separated by ';' (nothing of it was run); "+
		"keep the one query that returns the rows to send (a DuckDB connection's settings, ATTACH and secrets "+
		"belong in its init_sql)", ErrNotReadOnly, n)
}

// Timeouts returns the statement and lock timeouts reads on wh use: its own, or the defaults.
func Timeouts(wh *controlplane.PostgresConfig) (statement, lock time.Duration) {
	statement, lock = wh.StatementTimeout, wh.LockTimeout
	if statement <= 0 {
		statement = DefaultStatementTimeout
	}
	if lock <= 0 {
		lock = DefaultLockTimeout
	}
	return statement, lock
}

// Conn is one connection to a Postgres warehouse, inside a READ ONLY transaction with the
// connection's statement and lock timeouts. Closing it rolls the transaction back.
type Conn struct {
	pg                            *pgx.Conn
	statementTimeout, lockTimeout time.Duration
	// sent is when the statement running last was sent (send): a cancel that comes a
	// statement timeout after it is the timeout's (timedOut).
	sent time.Time
}

// send notes that a statement is about to be sent to the warehouse.
func (c *Conn) send() { c.sent = time.Now() }

// timedOut reports whether a cancel (57014, query_canceled) is the statement timeout's rather
// than a cancel by pg_cancel_backend or an administrator. Postgres tells them apart only in the
// message's text, which is in the server's lc_messages language (English: "canceling statement
// due to statement timeout"); whatever the language, a statement the timeout ended had run for
// at least the timeout since it was sent (the server starts its timer on receiving it), while
// another cancel came before it. Seen late (rows read slowly after a cancel), an administrator's
// cancel on a server not in English can still be called the timeout's.
func (c *Conn) timedOut(pe *pgconn.PgError) bool {
	if strings.Contains(pe.Message, "statement timeout") {
		return true
	}
	return !c.sent.IsZero() && time.Since(c.sent) >= c.statementTimeout
}

// Connect opens a read-only connection to a Postgres warehouse. Errors never echo the URL.
func Connect(ctx context.Context, wh *controlplane.PostgresConfig) (*Conn, error) {
	cfg, err := ParsePostgresURL(wh.URL)
	if errors.Is(err, ErrPostgresURLRefused) || errors.Is(err, ErrPostgresURLOfAnotherForm) {
		return nil, err
	}
	if err != nil {
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			return nil, errors.New("the warehouse URL is not a valid Postgres URL (its text is not shown, it may hold a password)")
		}
		return nil, err
	}
	controlplane.BoundConnect(&cfg.Config)
	// Text values are copied into JSON as they come: ask for UTF-8 whatever the URL says.
	cfg.RuntimeParams["client_encoding"] = "UTF8"
	// The model's rows come in 8 KB chunks (Postgres's send buffer) as fast as the warehouse
	// makes them, and pgx reads into a buffer of that size: read what has arrived, up to 128 KiB,
	// in one system call instead of one per chunk.
	cfg.BuildFrontend = func(r io.Reader, w io.Writer) *pgproto3.Frontend {
		return pgproto3.NewFrontend(bufio.NewReaderSize(r, 128<<10), w)
	}
	pg, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the warehouse: %w", err)
	}
	c := &Conn{pg: pg}
	c.statementTimeout, c.lockTimeout = Timeouts(wh)
	// SET LOCAL inside the transaction rather than startup parameters: nothing in the URL (nor a
	// pooler that drops startup parameters) can undo them, and they end with the transaction.
	// Once a query has run, Postgres refuses to make the transaction read-write again, so the
	// model's SQL cannot either.
	// The output settings are pinned there too (pgtext.go says which, and why).
	// REPEATABLE READ whatever the warehouse's default_transaction_isolation: under SERIALIZABLE
	// a read-only transaction still takes predicate locks, which can make the warehouse's own
	// writers fail with serialization errors, and a hot standby refuses it outright.
	begin := fmt.Sprintf("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = %d; SET LOCAL lock_timeout = %d; %s",
		milliseconds(c.statementTimeout), milliseconds(c.lockTimeout), pgSessionOutput)
	if err := pg.PgConn().Exec(ctx, begin).Close(); err != nil {
		_ = pg.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("start a read-only transaction on the warehouse: %w", err)
	}
	return c, nil
}

// Close closes the connection; the warehouse rolls the transaction back.
func (c *Conn) Close(ctx context.Context) error { return c.pg.Close(ctx) }

// milliseconds rounds d up to whole milliseconds: Postgres reads 0 as "no timeout".
func milliseconds(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// planNode is the part of EXPLAIN (FORMAT JSON) a read check needs.
type planNode struct {
	NodeType  string     `json:"Node Type"`
	Operation string     `json:"Operation"`
	Relation  string     `json:"Relation Name"`
	Plans     []planNode `json:"Plans"`
}

// checkReadsOnly refuses query unless it is a query that only reads. The warehouse plans it
// (EXPLAIN, which runs nothing) and the plan says what it would do: a ModifyTable node is an
// INSERT, UPDATE, DELETE or MERGE, at the top or inside WITH; LockRows is FOR UPDATE or FOR
// SHARE. A statement EXPLAIN cannot plan (SHOW, CALL, EXPLAIN, COPY...) is not a query. query
// has been prepared already, so it is one statement the warehouse accepts.
func (c *Conn) checkReadsOnly(ctx context.Context, query string) error {
	// The extended protocol: one statement, whatever the text holds.
	c.send()
	res := c.pg.PgConn().ExecParams(ctx, "EXPLAIN (VERBOSE, FORMAT JSON)\n"+query, nil, nil, nil, nil).Read()
	if res.Err != nil {
		var pe *pgconn.PgError
		if errors.As(res.Err, &pe) && pe.Code == "42601" { // syntax_error: not a plannable query
			return fmt.Errorf("%w (SELECT, VALUES or TABLE, optionally with WITH): this SQL is a command the "+
				"warehouse cannot plan as a query: %w", ErrNotReadOnly, res.Err)
		}
		return c.rejected(res.Err)
	}
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return errors.New("the warehouse's EXPLAIN of the model's SQL returned no plan")
	}
	if err := json.Unmarshal(res.Rows[0][0], &plans); err != nil {
		return fmt.Errorf("read the warehouse's plan of the model's SQL: %w", err)
	}
	for i := range plans {
		if err := refuseWrites(&plans[i].Plan); err != nil {
			return err
		}
	}
	var verbose any
	if err := json.Unmarshal(res.Rows[0][0], &verbose); err != nil {
		return fmt.Errorf("read the warehouse's plan of the model's SQL: %w", err)
	}
	if err := refusePlanCalls(verbose); err != nil {
		return err
	}
	// The plan shows no LIMIT, OFFSET or FETCH count, no row of a VALUES list of several, no
	// window frame's offset (Postgres 15): `limit length(dblink_exec(...))` wrote, and
	// `values (pg_read_file(...)), (...)` sent the file. The SQL's own calls are read too.
	calls, err := pgSQLCalls(query, c.pg.PgConn().ParameterStatus("standard_conforming_strings") != "off")
	if err != nil {
		return err
	}
	return refuseCalls(calls)
}

// pgRefusedCalls are the functions a model may not call, as the expressions of a plan (EXPLAIN
// VERBOSE) name them ("pg_advisory_lock('42'::bigint)", "public.dblink_exec(...)"), each with
// what it does that the read-only transaction neither refuses nor undoes: %s is the name.
var pgRefusedCalls = []struct {
	call *regexp.Regexp
	does string
}{
	{pgCall(`pg_(try_)?advisory_(xact_)?lock(_shared)?`), "takes an advisory lock (%s), which other sessions wait " +
		"for while the model is read"},
	// Found on Postgres 15 with the extensions installed, each from a SELECT in a READ ONLY
	// transaction: dblink_exec(...) inserted rows, lo_export wrote a file on the server,
	// pg_create_physical_replication_slot left a slot that holds the server's WAL until dropped.
	{pgCall(`dblink\w*`), "runs SQL on another connection (%s), outside the read-only transaction, where it may write"},
	{pgCall(`lo_export|pg_file_(write|rename|unlink|sync)`), "writes a file of the warehouse server (%s)"},
	// As MySQL's LOAD_FILE, which the MySQL driver refuses: with the privilege (a superuser,
	// pg_read_server_files) they read any file of the server's, its configuration and
	// credentials, into the records sent; lo_import a file into a large object.
	{pgCall(`pg_read_(binary_)?file|pg_ls_\w*dir|pg_logdir_ls|pg_stat_file|lo_import`), "reads a file of the warehouse " +
		"server (%s); a model reads tables"},
	// The SQL they run is a literal of the plan, which this table never sees: through
	// query_to_xml('select dblink_exec(...)') dblink's insert ran, through
	// ts_stat('select to_tsvector(pg_read_file(...))') the file was read (Postgres 15).
	{pgCall(`query_to_xml\w*|ts_stat`), "runs SQL given as text (%s), whose calls the warehouse's plan does not " +
		"show (write that SQL as the model's own)"},
	{pgCall(`ts_rewrite`), "runs SQL given as text (%s of a query and a SELECT), whose calls the warehouse's " +
		"plan does not show (give it the rewrite's queries themselves)"},
	{pgCall(`pg_(terminate|cancel)_backend`), "ends or cancels another session's work (%s)"},
	{pgCall(`pg_(create|drop|copy)_\w*replication_slot|pg_replication_slot_advance|` +
		`pg_replication_origin_(create|drop|advance|session_setup|session_reset|xact_setup|xact_reset)`),
		"changes the server's replication state (%s), which outlives the read"},
	{pgCall(`pg_reload_conf|pg_rotate_logfile\w*|pg_switch_(wal|xlog)|pg_create_restore_point|pg_promote|` +
		`pg_(wal|xlog)_replay_(pause|resume)|pg_(start|stop)_backup|pg_backup_(start|stop)|pg_stat_reset\w*|` +
		`pg_log_backend_memory_contexts`), "acts on the warehouse server (%s), which outlives the read"},
}

// pgRefusedArgs are the functions of pgRefusedCalls refused only called with this many
// arguments: ts_rewrite(query, 'select ...') runs SQL, ts_rewrite of three queries does not.
var pgRefusedArgs = map[string]int{"ts_rewrite": 2}

// pgCall matches a call of a function whose name matches name, in an expression of a plan.
func pgCall(name string) *regexp.Regexp { return regexp.MustCompile(`(?i)\b(` + name + `)\(`) }

// refusePlanCalls refuses a plan (EXPLAIN (VERBOSE, FORMAT JSON)) whose expressions call a
// function of pgRefusedCalls, anywhere (a filter, an output, a subquery's, a FROM's function): a
// named lock, as MySQL's GET_LOCK, which the MySQL driver refuses, another connection, a file or
// the server's state, which the read-only transaction allows. A function that calls one is not
// seen. Quoted literals do not count.
func refusePlanCalls(plan any) error {
	switch v := plan.(type) {
	case string:
		return refuseCalls(pgWithoutLiterals(v))
	case []any:
		for _, x := range v {
			if err := refusePlanCalls(x); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, x := range v {
			if err := refusePlanCalls(x); err != nil {
				return err
			}
		}
	}
	return nil
}

// refuseCalls refuses an expression, without literals, that calls a function of pgRefusedCalls.
func refuseCalls(expr string) error {
	for _, r := range pgRefusedCalls {
		for _, m := range r.call.FindAllStringSubmatchIndex(expr, -1) {
			name := expr[m[2]:m[3]]
			if n, ok := pgRefusedArgs[strings.ToLower(name)]; !ok || pgArgs(expr[m[1]:]) == n {
				return fmt.Errorf("%w: this SQL "+r.does+"; remove it", ErrNotReadOnly, name)
			}
		}
	}
	return nil
}

// quotedEnd is the index in s of the quote that closes the quoted text (a string or a quoted
// name) that s[i], a quote, opens, len(s) when none does: a doubled quote inside is one, and,
// when backslash, a backslash escapes the byte after it. The lexers of the models' SQL
// (pgSQLCalls, mySQLWords) and of MariaDB's notes (mariaTokens) read quotes with it.
func quotedEnd(s string, i int, backslash bool) int {
	q := s[i]
	j := i + 1
	for ; j < len(s); j++ {
		if backslash && s[j] == '\\' && j+1 < len(s) {
			j++
			continue
		}
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			break
		}
	}
	return j
}

// undoubled is quoted text (a name) with each doubled quote q one.
func undoubled(text string, q byte) string {
	return strings.ReplaceAll(text, string([]byte{q, q}), string(q))
}

// pgSQLCalls is a model's SQL as refuseCalls reads it, as Postgres's lexer reads it: without
// comments (nested /* */ too), each string ('...', E'...', U&'...', $tag$...$tag$) a "0", a
// quoted name by its name ("pg_read_file"(...) and U&"\0070g_read_file"(...) call
// pg_read_file), blanks before a '(' dropped. scs is the session's standard_conforming_strings
// (off: a backslash escapes in '...' too). UESCAPE, which changes a U& name's escape, is refused.
func pgSQLCalls(sql string, scs bool) (string, error) {
	var b strings.Builder
	ident := func(c byte) bool {
		return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
	}
	// quoted is the end of the quoted text from sql[i] (a quote), and its text with each doubled
	// quote one (its text is read only of names, which have no backslash escapes).
	quoted := func(i int, backslash bool) (int, string) {
		j := quotedEnd(sql, i, backslash)
		return j + 1, undoubled(sql[i+1:j], sql[i])
	}
	name := func(n string) {
		for i := 0; i < len(n); i++ {
			if !ident(n[i]) {
				b.WriteString(" q ") // no function of pgRefusedCalls
				return
			}
		}
		b.WriteString(" " + n)
	}
	prevIdent := func(i int) bool { return i > 0 && ident(sql[i-1]) }
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case strings.HasPrefix(sql[i:], "--"):
			i = pgLexicon.lineCommentEnd(sql, i)
		case strings.HasPrefix(sql[i:], "/*"):
			depth := 0
			for i < len(sql) {
				if strings.HasPrefix(sql[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(sql[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			b.WriteByte(' ')
		case (c == 'u' || c == 'U') && !prevIdent(i) && strings.HasPrefix(sql[i+1:], "&\""):
			j, n := quoted(i+2, false)
			name(pgUnicodeName(n))
			i = j
		case (c == 'u' || c == 'U') && !prevIdent(i) && strings.HasPrefix(sql[i+1:], "&'"):
			j, _ := quoted(i+2, false)
			b.WriteString(" 0 ")
			i = j
		case (c == 'e' || c == 'E') && !prevIdent(i) && i+1 < len(sql) && sql[i+1] == '\'':
			j, _ := quoted(i+1, true)
			b.WriteString(" 0 ")
			i = j
		case c == '\'':
			j, _ := quoted(i, !scs)
			b.WriteString(" 0 ")
			i = j
		case c == '"':
			j, n := quoted(i, false)
			name(n)
			i = j
		case c == '$' && !prevIdent(i):
			// $tag$...$tag$ (a tag is a name, or nothing); $1 is a parameter.
			j := i + 1
			for j < len(sql) && ident(sql[j]) && sql[j] != '$' {
				j++
			}
			if j < len(sql) && sql[j] == '$' && (j == i+1 || sql[i+1] < '0' || sql[i+1] > '9') {
				tag := sql[i : j+1]
				end := strings.Index(sql[j+1:], tag)
				if end < 0 {
					i = len(sql)
				} else {
					i = j + 1 + end + len(tag)
				}
				b.WriteString(" 0 ")
				continue
			}
			b.WriteByte(c)
			i++
		case ident(c):
			j := i
			for j < len(sql) && ident(sql[j]) {
				j++
			}
			if strings.EqualFold(sql[i:j], "uescape") {
				return "", fmt.Errorf("%w: this SQL changes a Unicode name's or string's escape (UESCAPE), which "+
					"Backflow does not read; write the name or string without it", ErrNotReadOnly)
			}
			b.WriteString(sql[i:j])
			i = j
		case c == '(':
			out := strings.TrimRight(b.String(), " \t\r\n")
			b.Reset()
			b.WriteString(out)
			b.WriteByte('(')
			i++
		case c <= ' ':
			b.WriteByte(' ')
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return pgNamesNotCalled(b.String()), nil
}

// pgNamesNotCalled is calls, pgSQLCalls' reading of a model, with each name before a '(' that
// calls nothing made "q": an alias's column list (`generate_series(1, 2) AS ts_stat(n)`) and a
// WITH query's (`ts_stat(word, n) AS (SELECT ...)`), which named like a function of
// pgRefusedCalls were refused. After AS, or right after a ')' (`unnest(x) lo_import(n)`: no
// operator, so no expression goes on), a name is never called; a function in FROM with a
// column definition list (`dblink(...) AS (a int)`) is not a WITH query: its list does not
// start with SELECT, WITH, TABLE or '(' (VALUES may, a name there, but a FROM's call is a
// node of the plan, which refusePlanCalls reads).
func pgNamesNotCalled(calls string) string {
	ident := func(c byte) bool {
		return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
	}
	// word is the name at i and where it ends, after blanks.
	word := func(i int) (string, int) {
		for i < len(calls) && calls[i] == ' ' {
			i++
		}
		j := i
		for j < len(calls) && ident(calls[j]) {
			j++
		}
		return strings.ToLower(calls[i:j]), j
	}
	// next is the character at i, after blanks, and where it is.
	next := func(i int) (byte, int) {
		for i < len(calls) && calls[i] == ' ' {
			i++
		}
		if i == len(calls) {
			return 0, i
		}
		return calls[i], i
	}
	out := []byte(calls)
	prev := "" // the name or character before this one
	for i := 0; i < len(calls); {
		if !ident(calls[i]) {
			if calls[i] != ' ' {
				prev = string(calls[i])
			}
			i++
			continue
		}
		w, j := word(i)
		if j < len(calls) && calls[j] == '(' {
			notCalled := prev == "as" || prev == ")"
			if !notCalled {
				// The end of its parentheses, then AS [NOT] [MATERIALIZED] ( and a query.
				depth, k := 0, j
				for ; k < len(calls); k++ {
					if calls[k] == '(' {
						depth++
					} else if calls[k] == ')' {
						if depth--; depth == 0 {
							break
						}
					}
				}
				a, k := word(k + 1)
				if a == "as" {
					if n, e := word(k); n == "not" {
						k = e
					}
					if m, e := word(k); m == "materialized" {
						k = e
					}
					if c, e := next(k); c == '(' {
						q, _ := word(e + 1)
						c, _ = next(e + 1)
						notCalled = c == '(' || q == "select" || q == "with" || q == "values" || q == "table"
					}
				}
			}
			if notCalled {
				for k := i; k < j; k++ {
					out[k] = 'q'
				}
			}
		}
		prev = w
		i = j
	}
	return string(out)
}

// pgUnicodeName is a U&"..." name's text with its escapes (\XXXX, \+XXXXXX, \\) read; an
// escape it cannot read is left as it is.
func pgUnicodeName(n string) string {
	var b strings.Builder
	for i := 0; i < len(n); i++ {
		if n[i] != '\\' || i+1 == len(n) {
			b.WriteByte(n[i])
			continue
		}
		if n[i+1] == '\\' {
			b.WriteByte('\\')
			i++
			continue
		}
		digits, at := 4, i+1
		if n[i+1] == '+' {
			digits, at = 6, i+2
		}
		if at+digits <= len(n) {
			if r, err := strconv.ParseUint(n[at:at+digits], 16, 32); err == nil {
				b.WriteRune(rune(r))
				i = at + digits - 1
				continue
			}
		}
		b.WriteByte(n[i])
	}
	return b.String()
}

// pgArgs is the number of arguments of a call whose '(' ends before args, an expression of
// pgWithoutLiterals (no quote left to hide a parenthesis or a comma).
func pgArgs(args string) int {
	n, depth := 0, 0
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case '(', '[':
			depth++
		case ')', ']':
			if depth == 0 {
				return n
			}
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		default:
			if n == 0 && args[i] > ' ' {
				n = 1
			}
		}
	}
	return n
}

// pgWithoutLiterals is an expression as EXPLAIN VERBOSE writes it with each quoted literal
// ('...', E'...') and quoted name ("...") replaced by a blank.
func pgWithoutLiterals(expr string) string {
	var b strings.Builder
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		if c != '\'' && c != '"' {
			b.WriteByte(c)
			continue
		}
		escapes := c == '\'' && i > 0 && (expr[i-1] == 'E' || expr[i-1] == 'e')
		j := i + 1
		for ; j < len(expr); j++ {
			if escapes && expr[j] == '\\' {
				j++
				continue
			}
			if expr[j] == c {
				if j+1 < len(expr) && expr[j+1] == c {
					j++
					continue
				}
				break
			}
		}
		b.WriteByte(' ')
		i = j
	}
	return b.String()
}

func refuseWrites(n *planNode) error {
	switch n.NodeType {
	case "ModifyTable":
		what := map[string][2]string{"Insert": {"inserts rows into", "an INSERT"}, "Update": {"updates rows of", "an UPDATE"},
			"Delete": {"deletes rows of", "a DELETE"}, "Merge": {"merges rows into", "a MERGE"}}[n.Operation]
		if what[0] == "" {
			what = [2]string{"writes to", "a data-modifying statement"}
		}
		table := "a table"
		if n.Relation != "" {
			table = strconv.Quote(n.Relation)
		}
		if n.Operation != "Merge" { // MERGE cannot be inside WITH
			what[1] += ", on its own or inside WITH"
		}
		return fmt.Errorf("%w: this SQL %s %s (%s); write a SELECT that returns the rows to send instead",
			ErrNotReadOnly, what[0], table, what[1])
	case "LockRows":
		return fmt.Errorf("%w: this SQL locks the rows it reads (FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE or "+
			"FOR KEY SHARE); remove the locking clause", ErrNotReadOnly)
	}
	for i := range n.Plans {
		if err := refuseWrites(&n.Plans[i]); err != nil {
			return err
		}
	}
	return nil
}

// rejected is the error for the model's SQL the warehouse refused to prepare or plan.
func (c *Conn) rejected(err error) error {
	if e := c.explain(err); e != err {
		return e
	}
	if e := interrupted(err, pgEnded); e != nil {
		return e
	}
	return modelSQLRejected(err)
}

// modelSQLRejected is the error for the model's SQL a warehouse refused to prepare, plan or run.
// A context that ended (the caller's cancel, a lost lock, a timeout of the caller's) is no
// refusal: its error is returned as it is, which the caller tells apart.
func modelSQLRejected(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("the warehouse rejected the model's SQL: %w", err)
}

// pgEnded reports whether a Postgres error says the server ended the statement or its session
// rather than refused the statement: its connection exceptions (08, but a protocol violation,
// 08P01: a model with a parameter), a cancel (57014; a statement timeout is told apart before),
// its administrator or a crash ending the session (57P01-57P05), too many connections (53300) or
// a system error (58, but a file the SQL needs missing or there twice, 58P01 and 58P02: a
// function whose library is gone).
func pgEnded(pe *pgconn.PgError) bool {
	switch {
	case pe.Code == "08P01", pe.Code == "58P01", pe.Code == "58P02":
		return false
	case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "58"), pe.Code == "53300":
		return true
	case strings.HasPrefix(pe.Code, "57P"), pe.Code == "57014":
		return true
	}
	return false
}

// explain adds what to do to the warehouse errors the read guarantees cause, keeping the
// warehouse's own error in the chain. Other errors are returned as they are.
func (c *Conn) explain(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case pe.Code == "55P03": // lock_not_available
		return fmt.Errorf("%w by another session, which did not release it within the connection's lock_timeout "+
			"(%s): try again once that session is done (an ALTER TABLE, VACUUM FULL, REINDEX or LOCK TABLE holds such "+
			"locks), or raise lock_timeout: %w", ErrLockTimeout, FormatDuration(c.lockTimeout), err)
	case pe.Code == "57014" && c.timedOut(pe): // query_canceled
		return fmt.Errorf("%w (%s): make the query faster, or raise statement_timeout: %w",
			ErrStatementTimeout, FormatDuration(c.statementTimeout), err)
	case pe.Code == "25006": // read_only_sql_transaction
		return fmt.Errorf("%w: the model's SQL tried to write to the warehouse and the read-only transaction "+
			"refused it (does a function it calls write?): %w", ErrNotReadOnly, err)
	}
	return err
}

// FormatDuration writes d as a configuration would (time.Duration.String without zero units):
// 1h, 5m, 1m30s, 1h0m1s; the provider's schema descriptions and errors use it too.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// refuseMySQLLocks refuses SQL with a locking clause (FOR UPDATE, FOR SHARE, LOCK IN SHARE
// MODE), which a read-only transaction still runs (MariaDB refuses FOR UPDATE in one, not LOCK IN
// SHARE MODE; MySQL runs both), taking row locks that block the warehouse's writers for the whole
// read, GET_LOCK, which takes a named lock others may wait for, and LOAD_FILE. It reads the SQL as the
// server does: strings and comments are skipped, a quoted name is no keyword but calls the
// function it names when a '(' follows (`load_file`('/etc/passwd') read the file), /*! ... */ and MariaDB's
// /*M! ... */ are not comments, their text is read as if the markers were not there (so
// "for/*!*/update" is FOR UPDATE), and read as a comment too when the server may skip it (a
// version, /*!99999 ... */, above the server's, or /*M!, which MySQL skips), "--" starts a comment only before a blank or a control
// character, and a backslash escapes a quote in a string unless the session's sql_mode has
// NO_BACKSLASH_ESCAPES, and in a "..." string only (under ANSI_QUOTES "..." is a name, where a
// backslash is a character): sqlMode is the session's (refuseLocks asks it). A stored function
// that calls GET_LOCK is not seen.
func refuseMySQLLocks(query, sqlMode string) error {
	mode := strings.Split(strings.ToUpper(sqlMode), ",")
	words, maybe := mySQLWords(query, !slices.Contains(mode, "NO_BACKSLASH_ESCAPES"), slices.Contains(mode, "ANSI_QUOTES"))
	for i := range words {
		// at says whether the words w start here, read with every comment's text, or without a
		// comment the server may skip (maybe): `load_file` /*!99999 x */ (...) is a call of
		// LOAD_FILE to a server below version 9.99.99, and for /*!99999 x */ update FOR UPDATE.
		at := func(w ...string) bool {
			if words[i] != w[0] {
				return false
			}
			j := i + 1
			for _, next := range w[1:] {
				for j < len(words) && words[j] != next && maybe[j] {
					j++
				}
				if j == len(words) || words[j] != next {
					return false
				}
				j++
			}
			return true
		}
		// calls says whether the SQL calls the function name here: its name, or its name quoted
		// and then called (a column named `get_lock` is not refused).
		calls := func(name string) bool { return at(name) || at("`"+name, "(") }
		switch {
		case at("FOR", "UPDATE") || at("FOR", "SHARE") || at("LOCK", "IN", "SHARE", "MODE"):
			return fmt.Errorf("%w: this SQL locks the rows it reads (FOR UPDATE, FOR SHARE or LOCK IN SHARE MODE); "+
				"remove the locking clause", ErrNotReadOnly)
		case calls("GET_LOCK"):
			return fmt.Errorf("%w: this SQL takes a named lock (GET_LOCK), which other sessions wait for while the "+
				"model is read; remove it", ErrNotReadOnly)
		case calls("LOAD_FILE"):
			// With the FILE privilege it reads any file of the server's (its configuration, its
			// credentials) into the records sent.
			return fmt.Errorf("%w: this SQL reads a file of the warehouse server (LOAD_FILE); a model reads tables",
				ErrNotReadOnly)
		}
	}
	return nil
}

// refuseLocks is refuseMySQLLocks of query as the session reads it (its sql_mode says whether a
// backslash escapes a quote).
func (c *myConn) refuseLocks(ctx context.Context, query string) error {
	var mode string
	if err := c.conn.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read the session's sql_mode: %w", err)
	}
	return refuseMySQLLocks(query, mode)
}

// mySQLWords is query's words in upper case, outside strings and comments, a quoted name as
// "`" and the name in upper case, "" for a string and each other character on its own, as
// refuseMySQLLocks reads them (backslash: a backslash escapes the
// next character in a string; ansiQuotes: "..." is a name, not a string).
func mySQLWords(query string, backslash, ansiQuotes bool) (words []string, maybe []bool) {
	// maybe[k] says whether words[k] is in a comment the server reads or not as its version says:
	// /*!<version> ... */, and /*M! ... */, which MySQL does not read.
	inMaybe := false
	add := func(w string) {
		words = append(words, w)
		maybe = append(maybe, inMaybe)
	}
	word := func(c byte) bool {
		return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
	}
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := quotedEnd(query, i, backslash && (c == '\'' || c == '"' && !ansiQuotes))
			// A quoted name is "`" and the name, upper-cased: `load_file`('/etc/passwd') calls
			// LOAD_FILE as load_file(...) does (and "load_file"(...) under ANSI_QUOTES). A string
			// is "".
			if c == '`' || c == '"' && ansiQuotes {
				name := undoubled(query[i+1:j], c)
				add("`" + strings.ToUpper(name))
			} else {
				add("")
			}
			i = j + 1
		case c == '#' || c == '-' && strings.HasPrefix(query[i:], "--") && (i+2 == len(query) || query[i+2] <= ' '):
			for i < len(query) && query[i] != '\n' {
				i++
			}
		case strings.HasPrefix(query[i:], "/*!") || strings.HasPrefix(query[i:], "/*M!"):
			// An executable comment: its text is read; the marker and a version number are not.
			mariaDB := query[i+2] == 'M'
			i += strings.IndexByte(query[i:], '!') + 1
			version := i
			for i < len(query) && query[i] >= '0' && query[i] <= '9' {
				i++
			}
			inMaybe = mariaDB || i > version
		case strings.HasPrefix(query[i:], "*/"):
			i += 2 // the end of an executable comment
			inMaybe = false
		case strings.HasPrefix(query[i:], "/*"):
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				i = len(query)
			} else {
				i += end + 4
			}
		case word(c):
			j := i
			for j < len(query) && (word(query[j]) || query[j] >= '0' && query[j] <= '9') {
				j++
			}
			add(strings.ToUpper(query[i:j]))
			i = j
		default:
			if c > ' ' {
				add(string(c))
			}
			i++
		}
	}
	return words, maybe
}

// duckRefused are the DuckDB functions a model may not call, each with why: a model only reads
// the warehouse and sends rows, and a SELECT calling one of these writes, runs SQL that is not
// checked, or reads a credential of the connection or of the process reading it. init_sql, the
// user's own, may call any of them (a macro it defines may too).
var duckRefused = map[string]string{
	"checkpoint":       "writes the database's changes to its file",
	"force_checkpoint": "writes the database's changes to its file",
	"nextval":          "advances a sequence",
	"setval":           "sets a sequence's value",
	"dbgen":            "creates the TPC-H tables in a database (an attached one init_sql opened read-write too), replacing those of their names with overwrite",
	"dsdgen":           "creates the TPC-DS tables in a database (an attached one init_sql opened read-write too), replacing those of their names with overwrite",
	"sqlite_attach":    "attaches a database",
	"postgres_execute": "runs a statement on an attached Postgres database",
	"mysql_execute":    "runs a statement on an attached MySQL database",
	// DuckLake's maintenance functions, which write or delete a lake's files and snapshots.
	"ducklake_expire_snapshots":      "expires a DuckLake's snapshots",
	"ducklake_cleanup_old_files":     "deletes a DuckLake's files",
	"ducklake_delete_orphaned_files": "deletes a DuckLake's files",
	"ducklake_merge_adjacent_files":  "rewrites a DuckLake's files",
	"ducklake_rewrite_data_files":    "rewrites a DuckLake's files",
	"ducklake_flush_inlined_data":    "writes a DuckLake's files",
	"ducklake_add_data_files":        "adds files to a DuckLake",
	"ducklake_set_option":            "changes a DuckLake's options",
	"ducklake_set_commit_message":    "writes a DuckLake's commit message",
	"query":                          "runs SQL given as text, which Backflow cannot check: write that SQL in the model itself",
	"getenv":                         "reads the environment of the process that reads the model (which holds credentials)",
	"duckdb_settings":                "reads the connection's settings, credentials set by init_sql among them",
	"duckdb_secrets":                 "lists the connection's secrets",
	"duckdb_variables":               "lists init_sql's variables (SET VARIABLE) with their values, credentials among them",
	"duckdb_databases":               "lists the attached databases' paths, which for a Postgres, MySQL or MotherDuck database is its connection string, password or token included",
	"duckdb_views":                   "lists the views with their SQL, init_sql's among them (a connection string it wrote, password included)",
	"duckdb_functions":               "lists the macros with their SQL, init_sql's among them (a connection string it wrote, password included)",
	// Built-in macros over those (TestDuckDBRefusedMacrosAreEveryMacro).
	"pg_get_viewdef":       "reads a view's SQL (see duckdb_views), init_sql's among them (a connection string it wrote, password included)",
	"duckdb_logs_parsed":   "reads DuckDB's log (see duckdb_logs), which once init_sql turns it on holds init_sql's statements (a CREATE SECRET's key among them)",
	"database_list":        "lists the attached databases' paths (see duckdb_databases)",
	"show_databases":       "lists the attached databases (see duckdb_databases)",
	"which_secret":         "says which of the connection's secrets a path would use",
	"duckdb_logs":          "reads DuckDB's log, which once init_sql turns it on holds init_sql's statements (a CREATE SECRET's key among them)",
	"enable_logging":       "turns DuckDB's log on, into files too (storage_path)",
	"disable_logging":      "changes the connection's logging",
	"truncate_duckdb_logs": "deletes DuckDB's log",
	"enable_profiling":     "turns profiling on, into a file too (save_location)",
	"disable_profiling":    "changes the connection's profiling",
}

// duckSecretSetting says whether a DuckDB setting's name is that of a credential
// (s3_secret_access_key, motherduck_token, azure_storage_connection_string, ...).
func duckSecretSetting(name string) bool {
	name = strings.ToLower(name)
	for _, w := range []string{"secret", "token", "password", "key", "auth", "connection_string", "credential"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// refuseDuckFunctions refuses a DuckDB model whose SQL calls a function of duckRefused, or
// current_setting or getvariable of a credential (or of a name that is not a constant), anywhere: in a CTE, a
// subquery, a table function's argument. ast is DuckDB's own parse of the model
// (json_serialize_sql), so nothing in a string, a quoted name or a comment counts, and every
// call does.
func refuseDuckFunctions(ast string, paths duckPaths) error {
	var tree any
	if err := json.Unmarshal([]byte(ast), &tree); err != nil {
		return fmt.Errorf("read DuckDB's parse of the model's SQL: %w", err)
	}
	if m, ok := tree.(map[string]any); ok && m["error"] == true {
		return nil // not a SELECT: preparing it says what it is
	}
	err := eachDuckNode(tree, func(v map[string]any) error {
		if fn := duckRefusedView(v); fn != "" {
			return fmt.Errorf("%w: this SQL reads %s, which calls %s(), which %s; a model may not read it (init_sql may)",
				ErrNotReadOnly, duckViewName(v), fn, duckRefused[fn])
		}
		name, ok := v["function_name"].(string)
		if !ok {
			return nil
		}
		name = strings.ToLower(name)
		if why, refused := duckRefused[name]; refused {
			return fmt.Errorf("%w: this SQL calls %s(), which %s; a model may not call it (init_sql may)",
				ErrNotReadOnly, name, why)
		}
		if name == "query_table" {
			// query_table('pg_settings') reads a view as naming it does (duckRefusedView).
			tables, constant := duckQueryTableNames(v)
			if !constant {
				return fmt.Errorf("%w: this SQL calls query_table() with tables named by an expression Backflow "+
					"cannot check; name them as constants ('tbl' or ['a', 'b'])", ErrNotReadOnly)
			}
			for _, table := range tables {
				parts := strings.Split(table, ".")
				for i := range parts {
					parts[i] = strings.ToLower(strings.Trim(strings.TrimSpace(parts[i]), `"`))
				}
				schema := ""
				if len(parts) > 1 {
					schema = parts[len(parts)-2]
				}
				if fn := duckRefusedTable(schema, parts[len(parts)-1]); fn != "" {
					return fmt.Errorf("%w: this SQL reads %s through query_table(), which calls %s(), which %s; a model "+
						"may not read it (init_sql may)", ErrNotReadOnly, table, fn, duckRefused[fn])
				}
			}
		}
		if name == "current_setting" || name == "getvariable" {
			// init_sql's settings and variables (SET VARIABLE) may hold credentials.
			setting, constant := duckFirstStringArgument(v)
			if !constant || duckSecretSetting(setting) {
				what := map[bool]string{true: "setting", false: "variable"}[name == "current_setting"]
				return fmt.Errorf("%w: this SQL reads a %s that may be a credential (%s of %s); a model may only "+
					"read one named as a constant that is not a credential's name", ErrNotReadOnly, what, name,
					map[bool]string{true: strconv.Quote(setting), false: "a name that is not a constant"}[constant])
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return refuseDuckPaths(tree, paths)
}

// duckRefusedViews are DuckDB's built-in views, and SHOW statements, over a function of
// duckRefused, each with that function: a model that names one reads what the function would
// (pg_settings every setting's value, http_proxy_password and an extension's credentials among
// them; pragma_database_list and duckdb_databases, without parentheses, each attached
// database's path; SHOW VARIABLES init_sql's variables), whether it selects from it, SUMMARIZEs
// it or reads it through a subquery. TestDuckDBRefusedViewsAreEveryView checks that every
// built-in view over such a function is here.
var duckRefusedViews = map[string]string{
	"pg_settings":          "duckdb_settings",
	"duckdb_databases":     "duckdb_databases",
	"pragma_database_list": "duckdb_databases",
	"duckdb_settings":      "duckdb_settings",
	"duckdb_secrets":       "duckdb_secrets",
	"duckdb_variables":     "duckdb_variables",
	"duckdb_views":         "duckdb_views",
	"pg_views":             "duckdb_views",
	"duckdb_functions":     "duckdb_functions",
	"pg_proc":              "duckdb_functions",
	"duckdb_logs":          "duckdb_logs",
}

// duckRefusedSchemaViews are views of duckRefusedViews whose name alone is a common table's
// (information_schema.views' is "views"): refused when named with their schema, which they
// need (information_schema is not on DuckDB's search path).
var duckRefusedSchemaViews = map[string]string{"information_schema.views": "duckdb_views"}

// duckRefusedShows are the names DuckDB reads SHOW <name> as a function call for (SHOW_SPECIAL),
// each with the function: SHOW VARIABLES is duckdb_variables().
var duckRefusedShows = map[string]string{"variables": "duckdb_variables"}

// duckRefusedView is the function of duckRefused that node reads when it is a table named as one
// of duckRefusedViews (whatever its schema or catalog: system.main.pg_settings too), or a SHOW of
// duckRefusedShows; "" otherwise.
func duckRefusedView(node map[string]any) string {
	name, _ := node["table_name"].(string)
	switch node["type"] {
	case "BASE_TABLE":
		schema, _ := node["schema_name"].(string)
		return duckRefusedTable(schema, name)
	case "SHOW_REF":
		if node["show_type"] == "SHOW_SPECIAL" {
			return duckRefusedShows[strings.ToLower(strings.Trim(name, `"`))]
		}
	}
	return ""
}

// duckRefusedTable is the function of duckRefused that the table schema.name reads when it is
// one of duckRefusedViews or duckRefusedSchemaViews (names compared case-insensitively); "" otherwise.
func duckRefusedTable(schema, name string) string {
	if fn := duckRefusedSchemaViews[strings.ToLower(schema+"."+name)]; fn != "" {
		return fn
	}
	return duckRefusedViews[strings.ToLower(name)]
}

// duckViewName names the view or SHOW of duckRefusedView in an error.
func duckViewName(node map[string]any) string {
	name, _ := node["table_name"].(string)
	if node["type"] == "SHOW_REF" {
		return "SHOW " + strings.ToUpper(strings.Trim(name, `"`))
	}
	return name
}

// eachDuckNode calls visit with every object of DuckDB's parse of a model (json_serialize_sql),
// depth first, and returns the first error it returns.
func eachDuckNode(tree any, visit func(node map[string]any) error) error {
	switch v := tree.(type) {
	case map[string]any:
		if err := visit(v); err != nil {
			return err
		}
		for _, x := range v {
			if err := eachDuckNode(x, visit); err != nil {
				return err
			}
		}
	case []any:
		for _, x := range v {
			if err := eachDuckNode(x, visit); err != nil {
				return err
			}
		}
	}
	return nil
}

// duckAnyArguments are the table functions whose arguments may be any expression: they read no
// file (a date spine's generate_series(current_date - 7, current_date, INTERVAL 1 DAY)). Every
// other table function (read_csv, read_text, read_parquet, glob, an extension's scan...) may take
// only constants, whose strings refuseDuckPaths checks: a path the query computes
// ('/pr' || 'oc/self/environ') cannot be.
var duckAnyArguments = map[string]bool{"range": true, "generate_series": true, "unnest": true}

// duckPaths is where DuckDB reads a model's paths from beyond the process's own working
// directory and $HOME: init_sql's home_directory ("~"; "" is $HOME) and file_search_path (the
// directories a relative path is read from too), which duckConn.paths reads.
type duckPaths struct {
	home   string
	search []string
}

// refuseDuckPaths refuses a DuckDB model that reads a file under /proc, /sys or /dev, or a cloud
// instance's metadata service: DuckDB runs inside the runner (and, at plan time, the provider)
// with its file and network access, so read_text('/proc/self/environ') read the process's
// environment, read_text('/proc/*/environ') that of every process of its user (a CI job's
// secrets, at plan time), read_csv of such a file named its columns after its first line at plan
// time, and read_text('http://169.254.169.254/...') a cloud's credentials. tree is DuckDB's parse
// of the model (json_serialize_sql): every table function's string arguments and every table
// named by a path (FROM '/proc/self/environ') are checked (a table function's path is its first
// argument), and a table function other than duckAnyArguments' may take constants only.
func refuseDuckPaths(tree any, paths duckPaths) error {
	return eachDuckNode(tree, func(v map[string]any) error {
		switch v["type"] {
		case "TABLE_FUNCTION":
			fn, _ := v["function"].(map[string]any)
			name, _ := fn["function_name"].(string)
			if strings.EqualFold(name, "json_execute_serialized_sql") {
				// It runs the statements its argument, JSON, holds: a read_text('/proc/self/environ')
				// in it is not in the model's parse.
				return fmt.Errorf("%w: this SQL calls %s(), which runs SQL given as JSON, which Backflow "+
					"cannot check: write that SQL in the model itself", ErrNotReadOnly, name)
			}
			args, _ := fn["arguments"].([]any)
			for i, a := range args {
				arg, _ := a.(map[string]any)
				expr, _ := arg["expression"].(map[string]any)
				if duckAnyArguments[strings.ToLower(name)] {
					continue
				}
				strs, constant := duckConstantStrings(expr, nil)
				if !constant {
					return fmt.Errorf("%w: the arguments of %s() must be constants: a path the query computes "+
						"cannot be checked (see docs/warehouses.md, DuckDB)", ErrNotReadOnly, name)
				}
				for _, s := range strs {
					// The path (or list of paths) is the first argument; the others are options, but
					// a named one may be a path too (histogram_values(col_name := 'c', source :=
					// '<path>') reads source): an option that looks like one is checked.
					if i > 0 && !duckPathLike(s) {
						continue
					}
					if why := duckRefusedPath(s, paths); why != "" {
						return fmt.Errorf("%w: this SQL reads %q, %s; a model reads data files and tables only",
							ErrNotReadOnly, s, why)
					}
				}
			}
		case "BASE_TABLE":
			// A name that is a path (FROM '/proc/self/environ'); a table's name is not.
			if t, _ := v["table_name"].(string); strings.ContainsAny(t, `/\`) || strings.HasPrefix(t, "~") {
				if why := duckRefusedPath(t, paths); why != "" {
					return fmt.Errorf("%w: this SQL reads %q, %s; a model reads data files and tables only",
						ErrNotReadOnly, t, why)
				}
			}
		}
		return nil
	})
}

// duckPathLike says whether s, a table function's option, may be a path or URL: it holds a '/'
// or '\', or starts with '~' (a date format '%d/%m/%Y' does too, which is harmless: it is checked
// as a path relative to the process's directory).
func duckPathLike(s string) bool {
	return strings.ContainsAny(s, `/\`) || strings.HasPrefix(s, "~")
}

// duckConstantStrings appends the strings of expr to out when expr is a constant: a literal, a
// list, struct or map of constants, a cast of one, or a named parameter (header = true, which
// DuckDB's parse writes as a comparison with a column). false when it is not.
func duckConstantStrings(expr map[string]any, out []string) ([]string, bool) {
	switch expr["class"] {
	case "CONSTANT":
		if lit, _ := expr["literal"].(map[string]any); lit != nil {
			if text, ok := lit["text"].(string); ok && lit["kind"] == "STRING" {
				out = append(out, text)
			}
		}
		return out, true
	case "CAST":
		child, _ := expr["child"].(map[string]any)
		return duckConstantStrings(child, out)
	case "COMPARISON":
		left, _ := expr["left"].(map[string]any)
		right, _ := expr["right"].(map[string]any)
		if left["class"] != "COLUMN_REF" || right == nil {
			return out, false
		}
		return duckConstantStrings(right, out)
	case "FUNCTION":
		switch name, _ := expr["function_name"].(string); strings.ToLower(name) {
		case "list_value", "struct_pack", "row", "map", "-", "array_value":
		default:
			return out, false
		}
		args, _ := expr["arguments"].([]any)
		for _, a := range args {
			arg, _ := a.(map[string]any)
			e, _ := arg["expression"].(map[string]any)
			var ok bool
			if out, ok = duckConstantStrings(e, out); !ok {
				return out, false
			}
		}
		return out, true
	}
	return out, false
}

// duckRefusedPath says why a model may not read path ("" when it may): a local path (file:, ~
// and relative ones resolved as DuckDB does, against the process's directory) under /proc, /sys
// or /dev, or a pattern whose first directory is a wildcard (/*/self/environ), or an existing
// path that is a link to one; a URL of a link-local address or a cloud's metadata host.
func duckRefusedPath(p string, paths duckPaths) string {
	const local = "a path under /proc, /sys or /dev (the process's environment, its memory and the machine's devices)"
	lower := strings.ToLower(p)
	if i := strings.Index(lower, "://"); i > 0 && !strings.HasPrefix(lower, "file://") {
		// The host as Go reads the URL, and every host the authority may name as another reader
		// reads it (before or after a '@', the URL not being one Go can parse): each is checked.
		hosts := []string{}
		if u, err := url.Parse(p); err == nil {
			hosts = append(hosts, u.Hostname())
		}
		for _, ends := range []string{"/?#", `/?#\`} { // a backslash ends it to some readers
			auth := p[i+3:]
			if j := strings.IndexAny(auth, ends); j >= 0 {
				auth = auth[:j]
			}
			hosts = append(hosts, auth)
			if j := strings.LastIndexByte(auth, '@'); j >= 0 {
				hosts = append(hosts, auth[j+1:], auth[:strings.IndexByte(auth, '@')])
			}
		}
		for _, h := range hosts {
			if duckMetadataHost(h) {
				return "a cloud instance's metadata service (its credentials)"
			}
		}
		return ""
	}
	// DuckDB reads file:/p, file:///p and file://localhost/p as /p: every way a "file:" prefix
	// may be read is checked (file:p, file://<host>/p, in any case, prefixes repeated).
	if strings.HasPrefix(lower, "file:") {
		rest := p[len("file:"):]
		cands := []string{rest}
		if strings.HasPrefix(rest, "//") {
			cands = append(cands, rest[2:])
			if i := strings.IndexByte(rest[2:], '/'); i >= 0 {
				cands = append(cands, rest[2+i:])
			}
		}
		for _, c := range cands {
			if why := duckRefusedPath(c, paths); why != "" {
				return why
			}
		}
	}
	if strings.HasPrefix(p, "~") {
		if paths.home != "" {
			p = paths.home + p[1:]
		} else if home, err := os.UserHomeDir(); err == nil {
			p = home + p[1:]
		}
	}
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		// DuckDB reads a relative path from each directory of file_search_path too: with
		// init_sql's SET file_search_path = '/data', '../proc/self/environ' was /proc/self/environ.
		for _, dir := range paths.search {
			if !filepath.IsAbs(dir) && err == nil {
				dir = filepath.Join(wd, dir)
			}
			if why := duckRefusedPath(filepath.Join(dir, p), duckPaths{}); why != "" {
				return why + ", from file_search_path's " + dir
			}
		}
		if err == nil {
			p = filepath.Join(wd, p)
		}
	}
	// refused says why a model may not read p ("" when it may): where it is (local), or what it
	// is: a FIFO, a socket or a device outside /dev, a file DuckDB's read waits on forever (a
	// FIFO no process writes to hung the plan, and the run whatever its statement timeout:
	// DuckDB's interrupt does not end a wait inside open or read) or never reaches the end of.
	refused := func(p string) string {
		first, _, _ := strings.Cut(strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "/"), "/")
		if first == "proc" || first == "sys" || first == "dev" || strings.ContainsAny(first, "*?[{") {
			return local
		}
		if info, err := os.Stat(p); err == nil && !info.Mode().IsRegular() && !info.IsDir() {
			return "not a regular file but a FIFO, a socket or a device, which a read waits on forever " +
				"whatever the statement timeout, or never reaches the end of"
		}
		return ""
	}
	if why := refused(p); why != "" {
		return why
	}
	// The kernel follows links before "..": /var/run/../proc is /proc where /var/run links to
	// /run. The part before a pattern's first wildcard is resolved, the rest put back after it.
	fixed, rest := p, ""
	if i := strings.IndexAny(p, "*?[{"); i >= 0 {
		cut := strings.LastIndexByte(p[:i], '/')
		fixed, rest = p[:max(cut, 1)], p[cut+1:]
	}
	real, err := filepath.EvalSymlinks(fixed)
	if err == nil {
		if why := refused(filepath.Join(real, rest)); why != "" {
			return why + ", through a link"
		}
	}
	// A pattern reads every file it matches, through the links it meets: '/etc/mt*' read
	// /etc/mtab, a link to /proc/mounts. Each link the pattern may reach is resolved, and each
	// file it matches that is no regular file nor directory looked at.
	if err == nil && rest != "" {
		budget := duckGlobBudget
		if why := duckGlobReaches(real, strings.Split(rest, "/"), refused, &budget, 0); why == local {
			return local + ", through a link a pattern matches"
		} else if why != "" {
			return why + ", in a file the pattern matches"
		}
		if budget < 0 {
			return "a pattern matching too many files to check where they lead"
		}
	}
	return ""
}

// duckGlobBudget is how many directory entries duckGlobReaches looks at before it gives up
// (and the pattern is refused).
const duckGlobBudget = 1 << 20

// duckGlobReaches says why refused refuses a path a pattern's components comps, from directory
// dir, may reach ("" when none): a link (or a path through one), or a file that is no regular
// file nor directory, as DuckDB's glob would match them: *, ? and [...] within a component, **
// any number of directories. It matches more than DuckDB may (a component Go cannot read as a
// pattern matches every name), never less. budget counts the entries read; below zero the walk
// stopped before the end.
func duckGlobReaches(dir string, comps []string, refused func(string) string, budget *int, depth int) string {
	for len(comps) > 0 && comps[0] == "" {
		comps = comps[1:] // a doubled or trailing "/"
	}
	if len(comps) == 0 {
		return ""
	}
	if *budget < 0 || depth > 64 {
		*budget = -1
		return ""
	}
	comp := comps[0]
	if !strings.ContainsAny(comp, "*?[") {
		next := filepath.Join(dir, comp)
		if comp == "." || comp == ".." {
			return duckGlobReaches(next, comps[1:], refused, budget, depth+1)
		}
		return duckGlobEntry(next, comps[1:], refused, budget, depth)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	*budget -= len(entries)
	if comp == "**" {
		if why := duckGlobReaches(dir, comps[1:], refused, budget, depth+1); why != "" {
			return why
		}
	}
	for _, e := range entries {
		next := filepath.Join(dir, e.Name())
		if comp == "**" {
			// ** matches every file below dir: a link's target, or one that is no regular file
			// nor directory (a FIFO), is looked at; a regular file needs no look.
			if !e.IsDir() && !e.Type().IsRegular() {
				if why := duckGlobEntry(next, nil, refused, budget, depth); why != "" {
					return why
				}
			}
			if e.IsDir() {
				if why := duckGlobReaches(next, comps, refused, budget, depth+1); why != "" {
					return why
				}
			}
			continue
		}
		if ok, err := filepath.Match(comp, e.Name()); ok || err != nil {
			if why := duckGlobEntry(next, comps[1:], refused, budget, depth); why != "" {
				return why
			}
		}
	}
	return ""
}

// duckGlobEntry is duckGlobReaches for path, a name a pattern's component matched: why refused
// refuses path, its links resolved, else what the rest of the pattern from it reaches.
func duckGlobEntry(path string, comps []string, refused func(string) string, budget *int, depth int) string {
	info, err := os.Lstat(path)
	if err != nil {
		return ""
	}
	if info.Mode()&os.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return ""
		}
		path = real
	}
	if why := refused(path); why != "" {
		return why
	}
	return duckGlobReaches(path, comps, refused, budget, depth+1)
}

// duckMetadataHost says whether host (a URL's, with or without a port or brackets) names a
// cloud instance's metadata service: an address netpolicy always refuses (link-local
// 169.254.0.0/16 and fe80::/10, fd00:ec2::254, 100.100.100.200, ...), however written (an IPv4
// address as a C resolver reads it too: 2852039166, 0xA9FEA9FE, 0251.0376.0251.0376,
// 169.254.43518; IPv4-mapped or -compatible IPv6), or a metadata host name. A DNS name that
// resolves to one is not seen.
func duckMetadataHost(host string) bool {
	host = strings.ToLower(strings.TrimSpace(host))
	if strings.HasPrefix(host, "[") {
		host, _, _ = strings.Cut(host[1:], "]") // [v6]:port
	} else if strings.Count(host, ":") == 1 {
		host, _, _ = strings.Cut(host, ":") // host:port; more colons, a bare IPv6 address
	}
	host = strings.TrimSuffix(host, ".")
	if j := strings.IndexByte(host, '%'); j >= 0 {
		host = host[:j] // an IPv6 zone, or a %-escape
	}
	switch host {
	case "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal":
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		ip = duckInetAton(host)
	}
	if ip == nil {
		return false
	}
	if v4 := ip.To4(); v4 == nil && ip[0]|ip[1]|ip[2]|ip[3]|ip[4]|ip[5]|ip[6]|ip[7]|ip[8]|ip[9]|ip[10]|ip[11] == 0 {
		ip = net.IP(ip[12:16]) // IPv4-compatible ::a.b.c.d
	}
	addr, _ := netip.AddrFromSlice(ip)
	// The ranges webhooks may never reach either (netpolicy), in every form they take.
	return netpolicy.AlwaysRefused(addr.Unmap()) || ip.IsLinkLocalMulticast()
}

// duckInetAton reads s as the C library's inet_aton does (what a URL's host is resolved with):
// one to four parts, each decimal, octal (0...) or hex (0x...), the last filling the remaining
// bytes. nil when it is not such an address.
func duckInetAton(s string) net.IP {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return nil
	}
	var vals []uint64
	for _, part := range parts {
		base, digits := 10, part
		switch {
		case strings.HasPrefix(part, "0x"):
			base, digits = 16, part[2:]
			if digits == "" {
				digits = "0"
			}
		case len(part) > 1 && part[0] == '0':
			base, digits = 8, part[1:]
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil || part == "" {
			return nil
		}
		vals = append(vals, v)
	}
	var addr uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 255 {
			return nil
		}
		addr |= v << (24 - 8*i)
	}
	last := vals[len(vals)-1]
	if last >= 1<<(32-8*(len(vals)-1)) {
		return nil
	}
	addr |= last
	return net.IPv4(byte(addr>>24), byte(addr>>16), byte(addr>>8), byte(addr))
}

// duckFirstStringArgument is the first argument of a FUNCTION node of json_serialize_sql's
// output when it is a string constant.
func duckFirstStringArgument(fn map[string]any) (string, bool) {
	args, _ := fn["arguments"].([]any)
	if len(args) == 0 {
		return "", false
	}
	arg, _ := args[0].(map[string]any)
	expr, _ := arg["expression"].(map[string]any)
	if expr == nil {
		expr = arg // older serializations put the expression itself in the list
	}
	if expr["class"] != "CONSTANT" {
		return "", false
	}
	lit, _ := expr["literal"].(map[string]any)
	text, ok := lit["text"].(string)
	return text, ok && lit["kind"] == "STRING"
}

// duckQueryTableNames is the names of the tables a call of query_table reads (its first
// argument: a constant text, or a list of them), and whether they are all constants.
func duckQueryTableNames(fn map[string]any) ([]string, bool) {
	if name, ok := duckFirstStringArgument(fn); ok {
		return []string{name}, true
	}
	args, _ := fn["arguments"].([]any)
	if len(args) == 0 {
		return nil, false
	}
	arg, _ := args[0].(map[string]any)
	list, _ := arg["expression"].(map[string]any)
	if list == nil {
		list = arg
	}
	if list["class"] != "FUNCTION" || list["function_name"] != "list_value" {
		return nil, false
	}
	items, _ := list["arguments"].([]any)
	var names []string
	for _, item := range items {
		name, ok := duckFirstStringArgument(map[string]any{"arguments": []any{item}})
		if !ok {
			return nil, false
		}
		names = append(names, name)
	}
	return names, true
}

// duckReadOnlyFile is the DSN of a DuckDB database file opened read-only: its parameters with
// access_mode=READ_ONLY first (the driver takes a parameter's first value) and any other
// access_mode dropped, however its name is written. Before, a file with any parameter
// (lake.duckdb?threads=4, or ?access_mode=read_write) was opened read-write: init_sql could
// write to it, and DuckDB's write lock on the file kept its writers out while a model was read.
func duckReadOnlyFile(db string) string {
	path, params, _ := strings.Cut(db, "?")
	kept := []string{"access_mode=READ_ONLY"}
	for _, kv := range strings.Split(params, "&") {
		name, _, _ := strings.Cut(kv, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if strings.TrimSpace(kv) == "" || strings.EqualFold(strings.TrimSpace(name), "access_mode") {
			continue
		}
		kept = append(kept, kv)
	}
	return path + "?" + strings.Join(kept, "&")
}

// pgReplaced lists the tables this transaction has locked (those the model's describe planned:
// its tables and partitions, those of the views it reads) that its snapshot does not see as they
// are: a table truncated, reloaded into a new table put in its place (dbt's rename), rewritten by
// ALTER TABLE (or VACUUM FULL, CLUSTER) after the snapshot was taken. pg_class is read in the
// transaction's snapshot; pg_relation_filenode, pg_get_indexdef, pg_get_viewdef and the lock
// table as they are now. Indexes and views are left out: a read through either takes its rows
// from the tables, in the snapshot. So are materialized views: REFRESH writes its rows frozen,
// which every snapshot sees.
const pgReplaced = `SELECT l.relation::regclass::text
FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
  AND CASE WHEN c.oid IS NULL
    THEN pg_catalog.pg_get_indexdef(l.relation) IS NULL AND pg_catalog.pg_get_viewdef(l.relation) IS NULL
      AND pg_catalog.pg_relation_filenode(l.relation) IS NOT NULL
    ELSE c.relkind IN ('r', 't') AND c.relfilenode <> 0
      AND c.relfilenode IS DISTINCT FROM pg_catalog.pg_relation_filenode(l.relation) END
ORDER BY 1`

// checkNotReplaced fails a read that would see a table the model reads as empty because it was
// truncated or replaced between the moment the transaction's snapshot was taken and the moment
// the read locked the table. TRUNCATE and a table created (or rewritten) in place of another
// are not MVCC-safe: a REPEATABLE READ snapshot taken before they
// commit sees the new table empty, and a snapshot is taken before the locks, which wait for the
// reload's own. A run that started while an ETL reloaded a table (BEGIN; TRUNCATE; INSERT ...;
// COMMIT) read no rows from it without an error, and a mirror sent deleted for them. The run
// fails instead; the next one reads the reloaded table. Called once the model's relations are
// locked (after the describe's EXPLAIN), so none can be replaced after it.
func (c *Conn) checkNotReplaced(ctx context.Context) error {
	c.send()
	res := c.pg.PgConn().ExecParams(ctx, pgReplaced, nil, nil, nil, nil).Read()
	if res.Err != nil {
		return fmt.Errorf("check the model's tables on the warehouse: %w", c.explain(res.Err))
	}
	if len(res.Rows) == 0 {
		return nil
	}
	names := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		names[i] = string(r[0])
	}
	return fmt.Errorf("%w: %s was truncated or replaced (TRUNCATE, a new table renamed in its place, "+
		"a rewrite by ALTER TABLE, VACUUM FULL or CLUSTER) while this read started, which would read it as empty; "+
		"nothing was sent: the next run reads it as it is now", ErrReplacedWhileRead, strings.Join(names, ", "))
}

// ErrReplacedWhileRead is a read that found a table of the model truncated or replaced after
// its snapshot was taken (checkNotReplaced).
var ErrReplacedWhileRead = errors.New("a table the model reads changed under the read")
