package warehouse

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// usersWithCleanup is a warehouse whose users table has 3 rows, a function that deletes them,
// cleanup(), and one declared IMMUTABLE that advances a sequence, bump(), which the planner calls
// while planning (Postgres itself refuses DELETE in a non-volatile function, not nextval).
var usersWithCleanup = []string{
	"CREATE TABLE users (id int PRIMARY KEY, email text)",
	"INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x'), (3, 'c@x')",
	"CREATE FUNCTION cleanup() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN DELETE FROM users; RETURN true; END $$",
	"CREATE SEQUENCE counter",
	"CREATE FUNCTION bump() RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT nextval('counter') $$",
}

// countUsers counts the users table from outside the reader.
func countUsers(t *testing.T, whURL string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), whURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// readAll opens query and reads it to the end, returning the first error.
func readAll(ctx context.Context, wh *controlplane.PostgresConfig, query, key string) error {
	rows, err := Open(ctx, wh, query, key, nil)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// withParams adds runtime parameters to a Postgres URL, as a user could.
func withParams(t *testing.T, raw string, kv ...string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// A model whose SQL calls a function that writes can be described (nothing runs) but never
// writes: the read fails in its read-only transaction, and the table keeps its rows. Settings in
// the URL and in the SQL cannot make the transaction read-write.
func TestModelCannotWrite(t *testing.T) {
	whURL := newWarehouse(t, usersWithCleanup...)
	ctx := context.Background()
	loose := withParams(t, whURL, "default_transaction_read_only", "off")
	for _, u := range []string{whURL, loose} {
		wh := &controlplane.PostgresConfig{URL: u}
		cols, err := Describe(ctx, wh, "select * from users where cleanup()")
		if err != nil || len(cols) != 2 {
			t.Errorf("describe: %v, %v", cols, err)
		}
		for _, q := range []string{
			"select * from users where cleanup()",
			"select * from users where set_config('transaction_read_only', 'off', true) = 'off' and cleanup()",
			"select u.* from users u, lateral (select cleanup()) c",
		} {
			err := readAll(ctx, wh, q, "id")
			if err == nil {
				t.Errorf("%s: read without an error", q)
			} else if !strings.Contains(err.Error(), "read-only transaction") && !strings.Contains(err.Error(), "read-write mode") {
				t.Errorf("%s: %v", q, err)
			}
		}
		// An IMMUTABLE function that writes runs while the warehouse plans: the describe's own
		// read-only transaction refuses it.
		_, err = Describe(ctx, wh, "select * from users where id < bump()")
		if !errors.Is(err, ErrNotReadOnly) || !strings.Contains(err.Error(), "cannot execute nextval() in a read-only transaction") {
			t.Errorf("describe with a folded function: %v", err)
		}
		if err := readAll(ctx, wh, "select * from users where id < bump()", "id"); !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("read with a folded function: %v", err)
		}
	}
	if n := countUsers(t, whURL); n != 3 {
		t.Fatalf("users has %d rows after the reads, want 3: a read wrote", n)
	}
	conn, err := pgx.Connect(ctx, whURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var called bool
	if err := conn.QueryRow(ctx, "SELECT is_called FROM counter").Scan(&called); err != nil || called {
		t.Errorf("the sequence moved (%v, %v): a describe wrote", called, err)
	}
}

// SQL that is not a query that only reads is refused when described, with a message that says
// what it would do, and nothing in it runs.
func TestRefuseSQLThatWrites(t *testing.T) {
	whURL := newWarehouse(t, usersWithCleanup...)
	wh := &controlplane.PostgresConfig{URL: whURL}
	ctx := context.Background()
	tests := []struct{ sql, want string }{
		{"delete from users returning *", `deletes rows of "users" (a DELETE`},
		{"DELETE FROM users", `deletes rows of "users"`},
		{"update users set email = 'x' returning id, email", `updates rows of "users" (an UPDATE`},
		{"insert into users values (4, 'd@x') returning *", `inserts rows into "users" (an INSERT`},
		{"insert into users select id + 10, email from users returning id", `inserts rows into "users"`},
		{"with d as (delete from users returning *) select * from d", `deletes rows of "users"`},
		{"with d as (update users set email = 'x' returning *) select 1 as n", `updates rows of "users"`},
		{"with a as (select 1 as n), d as (insert into users values (5, 'e@x') returning id) select * from a",
			`inserts rows into "users"`},
		{"merge into users u using (select 1 as id) s on u.id = s.id when matched then delete", `merges rows into "users"`},
		{"select * from users for update", "locks the rows it reads"},
		{"select * from (select * from users for share) s", "locks the rows it reads"},
		{"with x as (select * from users for no key update skip locked) select * from x", "locks the rows it reads"},
		{"select 1 as n; delete from users", "one query: this SQL holds several statements"},
		{"show timezone", "cannot plan as a query"},
		{"explain select * from users", "cannot plan as a query"},
		{"select * into copied from users", "returns no columns"},
		{"create table copied as select * from users", "returns no columns"},
		// An advisory lock, which others wait for while the model is read (MySQL's GET_LOCK is
		// refused so): the read-only transaction allowed it.
		{"select * from users where pg_advisory_lock(42) is not null", "takes an advisory lock (pg_advisory_lock)"},
		{"select id, pg_try_advisory_xact_lock_shared(id) as l from users", "pg_try_advisory_xact_lock_shared"},
		{"select * from users where id in (select id from users where PG_CATALOG.pg_advisory_lock(1, id) is null)",
			"pg_advisory_lock"},
		{"with l as (select pg_advisory_xact_lock(7)) select u.* from users u, l", "pg_advisory_xact_lock"},
		// A line comment ends at a carriage return: the call after it is SQL (in a LIMIT, which
		// the plan does not show).
		{"select * from users -- c\r limit pg_try_advisory_lock(42)::int + 1", "pg_try_advisory_lock"},
	}
	for _, tt := range tests {
		_, err := Describe(ctx, wh, tt.sql)
		if !errors.Is(err, ErrNotReadOnly) || !strings.HasPrefix(err.Error(), "a model must be a query that only reads") ||
			!strings.Contains(err.Error(), tt.want) {
			t.Errorf("Describe(%q) = %v, want ErrNotReadOnly with %q", tt.sql, err, tt.want)
		}
		if err := readAll(ctx, wh, tt.sql, "id"); !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("Open(%q) = %v, want ErrNotReadOnly", tt.sql, err)
		}
	}
	for _, q := range []string{
		"values (1, 'a')", "table users", "(select id from users)", "select * from users; ",
		"with x as (select * from users) select * from x", "with recursive r(id) as (select 1 union all select id + 1 from r where id < 3) select * from r",
		"select id, email from users where email <> 'pg_advisory_lock(1)' and email <> E'it\\'s pg_advisory_lock('",
		`select id, email as "pg_advisory_lock(" from users`, "select id, pg_advisory_unlock_all() as u from users",
	} {
		if _, err := Describe(ctx, wh, q); err != nil {
			t.Errorf("Describe(%q): %v", q, err)
		}
	}
	if n := countUsers(t, whURL); n != 3 {
		t.Fatalf("users has %d rows, want 3: refused SQL wrote", n)
	}
	conn, err := pgx.Connect(ctx, whURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var copied bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('copied') IS NOT NULL").Scan(&copied); err != nil || copied {
		t.Errorf("table copied exists: %v (%v)", copied, err)
	}
}

// lockUsers holds an ACCESS EXCLUSIVE lock on users until the test ends.
func lockUsers(t *testing.T, whURL string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, whURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
}

// within runs f and fails the test if it has not returned by a deadline far longer than any
// timeout involved (it then leaves f running: the test has failed anyway).
func within(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s still waiting after 2 minutes", what)
		return nil
	}
}

// A locked table ends a describe or a read with a clear error once the lock timeout has passed,
// even when the URL asks for no lock timeout.
func TestLockTimeout(t *testing.T) {
	whURL := newWarehouse(t, usersWithCleanup...)
	lockUsers(t, whURL)
	ctx := context.Background()
	wh := &controlplane.PostgresConfig{URL: withParams(t, whURL, "lock_timeout", "0"), LockTimeout: time.Second}
	err := within(t, "describe of a locked table", func() error {
		_, err := Describe(ctx, wh, "select * from users")
		return err
	})
	if !errors.Is(err, ErrLockTimeout) || !strings.Contains(err.Error(), "lock_timeout (1s)") ||
		!strings.Contains(err.Error(), "lock timeout (SQLSTATE 55P03)") {
		t.Errorf("describe of a locked table: %v", err)
	}
	err = within(t, "read of a locked table", func() error { return readAll(ctx, wh, "table users", "id") })
	if !errors.Is(err, ErrLockTimeout) {
		t.Errorf("read of a locked table: %v", err)
	}
	// Tables the model does not read are not waited for.
	if err := within(t, "read of another table", func() error {
		return readAll(ctx, wh, "select 1 as id", "id")
	}); err != nil {
		t.Errorf("read of another table: %v", err)
	}
}

func TestStatementTimeout(t *testing.T) {
	whURL := newWarehouse(t)
	ctx := context.Background()
	wh := &controlplane.PostgresConfig{URL: withParams(t, whURL, "statement_timeout", "0"), StatementTimeout: 200 * time.Millisecond}
	err := within(t, "a slow read", func() error {
		return readAll(ctx, wh, "select g as id, pg_sleep(30) from generate_series(1, 2) g", "id")
	})
	if !errors.Is(err, ErrStatementTimeout) || !strings.Contains(err.Error(), "(200ms)") {
		t.Errorf("slow read: %v", err)
	}
}

// TestStatementTimeoutInAnyLanguage: a server whose lc_messages is not English says "canceling
// statement due to statement timeout" in its own language, with the same SQLSTATE (57014) as a
// cancel by an administrator. Such a timeout was reported as an interrupted session ("try again"),
// which fails the same way every time, instead of "raise statement_timeout".
func TestStatementTimeoutInAnyLanguage(t *testing.T) {
	// German (de.po of Postgres 15); this machine's servers have no other locale to test with.
	timeout := &pgconn.PgError{Severity: "FEHLER", Code: "57014", Message: "storniere Anfrage wegen Zeitüberschreitung der Anfrage"}
	cancel := &pgconn.PgError{Severity: "FEHLER", Code: "57014", Message: "storniere Anfrage wegen Benutzeraufforderung"}
	c := &Conn{statementTimeout: 200 * time.Millisecond, sent: time.Now().Add(-300 * time.Millisecond)}
	if err := c.rejected(timeout); !errors.Is(err, ErrStatementTimeout) || !strings.Contains(err.Error(), "raise statement_timeout") {
		t.Errorf("a cancel %s after the statement was sent, its timeout 200ms: %v; want ErrStatementTimeout", time.Since(c.sent), err)
	}
	c.send()
	if err := c.rejected(cancel); errors.Is(err, ErrStatementTimeout) || !errors.Is(err, ErrInterrupted) {
		t.Errorf("a cancel right after the statement was sent, its timeout 200ms: %v; want ErrInterrupted", err)
	}
	// English text says which it is, however long the statement ran.
	english := &pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}
	if err := c.rejected(english); !errors.Is(err, ErrStatementTimeout) {
		t.Errorf("an English statement timeout: %v; want ErrStatementTimeout", err)
	}
}

func TestTimeoutsDefaults(t *testing.T) {
	s, l := Timeouts(&controlplane.PostgresConfig{})
	if s != DefaultStatementTimeout || l != DefaultLockTimeout {
		t.Errorf("Timeouts(zero) = %v, %v", s, l)
	}
	s, l = Timeouts(&controlplane.PostgresConfig{StatementTimeout: time.Minute, LockTimeout: time.Second})
	if s != time.Minute || l != time.Second {
		t.Errorf("Timeouts(1m, 1s) = %v, %v", s, l)
	}
	for d, want := range map[time.Duration]string{time.Hour: "1h", 10 * time.Second: "10s", 90 * time.Second: "1m30s",
		2 * time.Minute: "2m", 1500 * time.Millisecond: "1.5s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	if milliseconds(time.Microsecond) != 1 || milliseconds(time.Second) != 1000 {
		t.Error("milliseconds rounds a timeout to 0, which Postgres reads as none")
	}
}

// SQL a warehouse describes is SQL a run reads, whatever follows the query: a run reads the
// model as a derived table (wrapQuery), and Postgres's describe prepared it alone, so "...; --
// done" passed the plan and failed every run. The end of a statement (its ';' and the blanks and
// comments after it) and a byte order mark before it are left out (sqlLexicon.statement), in
// every warehouse: such SQL is described and read. Another statement after a ';' is refused,
// saying so.
// DuckDB's case is in readonly_duckdb_test.go, a cgo build's.
func TestDescribedSQLIsRead(t *testing.T) {
	t.Parallel()
	checkDescribedSQLIsRead(t, map[string]Source{
		"postgres": NewPostgres(&controlplane.PostgresConfig{URL: newWarehouse(t, usersWithCleanup...)}),
		"mysql":    newMySQL(t, `CREATE TABLE users (id int PRIMARY KEY, email text); INSERT INTO users VALUES (1, 'a@x')`),
	})
}

// checkDescribedSQLIsRead is TestDescribedSQLIsRead's check of each source, by its name, which
// reads a table users (id, email).
func checkDescribedSQLIsRead(t *testing.T, sources map[string]Source) {
	t.Helper()
	ctx := context.Background()
	for name, src := range sources {
		queries := []string{
			"select id, email from users; -- done",
			"select id, email from users -- done",
			"select id, email from users;\n/* the end */",
			"select id, email from users /* a */ ;  \n",
			"select id, email from users; /* a */ -- b",
			"select id, email from users;  /* c */",
			"select id, email from users; ; -- a\n-- b\n",
			"select id, email from users where email <> ';' -- done",
			"select id, email from users where email <> '; -- x';",
			"\ufeffselect id, email from users",
			"\ufeff select id, email from users; -- done",
		}
		if name != "mysql" {
			// Postgres and DuckDB end a line comment at a carriage return: the ';' is in a string.
			queries = append(queries, "select id, email -- c\r, 'a\n; --' as s from users")
		}
		for _, q := range queries {
			_, err := src.Describe(ctx, q)
			if err != nil {
				t.Errorf("%s: %q refused: %v", name, q, err)
				continue
			}
			rows, err := src.Open(ctx, q, "id", nil)
			if err == nil {
				n := 0
				for rows.Next() {
					n++
				}
				err = rows.Err()
				rows.Close()
				if err == nil && n == 0 {
					t.Errorf("%s: %q read no rows", name, q)
				}
			}
			if err != nil {
				t.Errorf("%s: %q was described, then its read failed: %v", name, q, err)
			}
		}
		for _, q := range []string{
			"select id, email from users; select 2 as id",
			"select id, email from users; select 2 as id; -- done",
		} {
			if _, err := src.Describe(ctx, q); err == nil || !strings.Contains(err.Error(), "statements separated by ';'") {
				t.Errorf("%s: %q refused without saying why: %v", name, q, err)
			}
		}
		// SQL of no statement: said so, as DuckDB's parser says (Postgres said "syntax error at end
		// of input", MySQL "near ') AS m LIMIT 0'").
		for _, q := range []string{" ; -- nothing", "-- only a comment", "/* a */ ;\n-- b\n;", "\ufeff;"} {
			_, err := src.Describe(ctx, q)
			if err == nil || !errors.Is(err, ErrNotReadOnly) || !strings.Contains(err.Error(), "holds no statement") {
				t.Errorf("%s: %q described: %v, want \"holds no statement\"", name, q, err)
			}
			if rows, err := src.Open(ctx, q, "id", nil); err == nil || !strings.Contains(err.Error(), "holds no statement") {
				if err == nil {
					rows.Close()
				}
				t.Errorf("%s: %q read: %v, want \"holds no statement\"", name, q, err)
			}
		}
	}
}

// TestRefuseCallsOutsideTheTransaction: functions the READ ONLY transaction lets a SELECT call
// and does not undo are refused from the plan, at plan time and by every read: dblink_exec (an
// installed dblink) inserted rows through its own connection, lo_export wrote a file of the
// server, a replication slot outlived the read, pg_cancel_backend reached other sessions; and, as
// MySQL's LOAD_FILE, pg_read_file and lo_import read the server's files into the records. The
// calls here are harmless ones of each kind, but dblink's, which writes without the check.
func TestRefuseCallsOutsideTheTransaction(t *testing.T) {
	t.Parallel()
	whURL := newWarehouse(t, usersWithCleanup...)
	wh := &controlplane.PostgresConfig{URL: whURL}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, whURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION dblink"); err != nil {
		// Not installed on this server: a function of that name stands in for it.
		if _, err := conn.Exec(ctx, "CREATE FUNCTION dblink_exec(text, text) RETURNS text LANGUAGE sql AS $$ SELECT $2 $$"); err != nil {
			t.Fatal(err)
		}
	}
	insert := "dblink_exec(" + quoteLiteral(whURL) + ", 'INSERT INTO users VALUES (66, ''z@x'')')"
	tests := []struct{ sql, want string }{
		{"select id, " + insert + " as x from users", "runs SQL on another connection (dblink_exec)"},
		{"select * from users where " + insert + " is not null", "dblink_exec"},
		{"select id, lo_export(0, '/nonexistent/backflow') as x from users", "writes a file of the warehouse server (lo_export)"},
		{"select id, pg_read_file('/etc/hostname') as x from users", "reads a file of the warehouse server (pg_read_file)"},
		{"select id, lo_get(lo_import('/etc/hostname')) as x from users", "reads a file of the warehouse server (lo_import)"},
		{"select u.id, f from users u, pg_ls_dir('/') f", "reads a file of the warehouse server (pg_ls_dir)"},
		{"select id, pg_catalog.pg_cancel_backend(0) as x from users", "ends or cancels another session's work (pg_cancel_backend)"},
		{"select id from users where id in (select 1 where pg_drop_replication_slot('backflow_no_such_slot') is null)",
			"changes the server's replication state (pg_drop_replication_slot)"},
		{"with r as (select pg_rotate_logfile() as r) select u.* from users u, r", "acts on the warehouse server (pg_rotate_logfile)"},
		// SQL given as text, which the plan shows as a literal: each of these ran it, the calls
		// above among them (dblink_exec's insert, pg_read_file's file).
		{"select id, query_to_xml(" + quoteLiteral("select "+insert) + ", true, false, '') as x from users",
			"runs SQL given as text (query_to_xml)"},
		{"select u.id, s.word as x from users u, ts_stat('select to_tsvector(pg_read_file(''/etc/hostname''))') s",
			"runs SQL given as text (ts_stat)"},
		{"select id, ts_rewrite('a'::tsquery, 'select ''a''::tsquery, ''b''::tsquery from pg_ls_dir(''/'')') as x from users",
			"runs SQL given as text (ts_rewrite of a query and a SELECT)"},
		{"select id, pg_catalog.query_to_xmlschema('select 1', true, false, '') as x from users", "query_to_xmlschema"},
		// Where EXPLAIN VERBOSE shows no expression: LIMIT, OFFSET, FETCH, a VALUES list of
		// several rows, a window's frame offset. The insert ran, and the VALUES sent the file.
		{"select id from users limit 10 + length(" + insert + ")", "dblink_exec"},
		{"select id from users order by id offset length(pg_read_file('/etc/hostname')) - 100", "pg_read_file"},
		{"select * from (values (1, pg_read_file('/etc/hostname')), (2, 'x')) v(id, x)", "pg_read_file"},
		{"select id, sum(id) over (order by id rows between length(\"pg_read_file\" /* */ ('/etc/hostname')) preceding and current row) as x from users",
			"pg_read_file"},
		{"select id from users fetch first length(U&\"\\0070g_read_file\"('/etc/hostname')) rows only", "pg_read_file"},
	}
	for _, tt := range tests {
		_, err := Describe(ctx, wh, tt.sql)
		if !errors.Is(err, ErrNotReadOnly) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Describe(%q) = %v, want ErrNotReadOnly with %q", tt.sql, err, tt.want)
		}
		if err := readAll(ctx, wh, tt.sql, "id"); !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("Open(%q) = %v, want ErrNotReadOnly", tt.sql, err)
		}
	}
	if n := countUsers(t, whURL); n != 3 {
		t.Errorf("users has %d rows, want 3: a model wrote through dblink_exec", n)
	}
	for _, q := range []string{"select id, 'dblink_exec(1)' as x, pg_backend_pid() as p from users", `select id as "lo_export(" from users`,
		"select id, 'pg_read_file(1)' as \"dblink(\", $$lo_import($$ as y /* lo_export( */ from users -- pg_ls_dir(\n limit 2",
		"select id, $q$ ' $q$ as x from users limit 1 + length('it''s lo_export(')",
		// ts_rewrite of three queries runs no SQL.
		"select id, ts_rewrite(to_tsquery('a & b'), 'a'::tsquery, ('c' || id)::tsquery) as x from users",
		// Column lists of a WITH query and of an alias, named as a refused function.
		"with ts_stat(id, n) as (select id, 1 from users) select id, n from ts_stat",
		"select id, n from users, generate_series(1, 2) as lo_import(n)",
		"select id, n from users, generate_series(1, 2) dblink_n(n)"} {
		if _, err := Describe(ctx, wh, q); err != nil {
			t.Errorf("Describe(%q): %v", q, err)
		}
	}
}

// quoteLiteral is s as a Postgres string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// TestReadIsRepeatableReadUnderASerializableDefault: a warehouse whose default isolation is
// SERIALIZABLE (ALTER DATABASE ... SET default_transaction_isolation) reads the model in
// REPEATABLE READ: a SERIALIZABLE read-only transaction takes predicate locks that can fail the
// warehouse's writers, and a hot standby refuses it.
func TestReadIsRepeatableReadUnderASerializableDefault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	whURL := newWarehouse(t, "CREATE TABLE users (id int PRIMARY KEY)", "INSERT INTO users VALUES (1)")
	u, err := url.Parse(whURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, whURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()+
		" SET default_transaction_isolation = 'serializable'"); err != nil {
		t.Fatal(err)
	}
	rows, err := Open(ctx, &controlplane.PostgresConfig{URL: whURL},
		"select id, current_setting('transaction_isolation') as iso from users", "id", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("no row: %v", rows.Err())
	}
	if got := string(rows.AppendValue(nil, 1)); got != `"repeatable read"` {
		t.Errorf("the read ran in %s, want \"repeatable read\"", got)
	}
}

// TestRefusePlanCallsArguments: a call is read from EXPLAIN VERBOSE's expressions as the server
// writes them, ts_rewrite refused in its form that runs a SELECT only, whatever its arguments
// hold (nested calls, brackets, literals with commas), and adminpack's pg_logdir_ls (a log
// directory's listing, as pg_ls_logdir) with the other readers of the server's files.
func TestRefusePlanCallsArguments(t *testing.T) {
	for expr, refused := range map[string]bool{
		"ts_rewrite('a'::tsquery, 'select 1, 2'::text)":                                       true,
		"ts_rewrite(to_tsquery('a & b'::text), ('x'::text || (t.q)::text))":                   true,
		"ts_rewrite(to_tsquery('a & b'::text), 'a'::tsquery, (('c'::text || t.id))::tsquery)": false,
		"ts_rewrite(t.q, (ARRAY['a'::tsquery, 'b'::tsquery])[1], t.r)":                        false,
		"TS_REWRITE(t.q, t.sql)": true,
		"pg_logdir_ls()":         true,
	} {
		err := refusePlanCalls(map[string]any{"Output": []any{expr}})
		if got := errors.Is(err, ErrNotReadOnly); got != refused {
			t.Errorf("refusePlanCalls(%q) = %v, want refused %v", expr, err, refused)
		}
	}
}

// TestPgSQLCalls: the model's own SQL is read as Postgres's lexer reads it, the session's
// standard_conforming_strings deciding what a backslash does in '...'.
func TestPgSQLCalls(t *testing.T) {
	for _, tt := range []struct {
		sql     string
		scs     bool
		refused bool
	}{
		{`select 'a\'' , pg_read_file('/etc/hostname'), '' as x`, false, true},
		{`select 'a\'' , pg_read_file('/etc/hostname'), '' as x`, true, false},
		{`select E'a\'' , pg_read_file('/etc/hostname'), '' as x`, true, true},
		{`select e'\\' as x, lo_import ('/etc/hostname')`, true, true},
		{`select /* /* */ pg_read_file( */ 1 as x`, true, false},
		{`select $a$ $b$ pg_read_file( $a$ as x, $1`, true, false},
		{`select pg_catalog . "pg_read_file" -- x` + "\n" + `('/etc/hostname') as x`, true, true},
		{`select U&"\0070g_ls_dir"('/') as x`, true, true},
		{`select U&"\+000070g_ls_dir"('/') as x`, true, true},
		{`select "pg_read_file" as x, "lo_export(" from t`, true, false},
		{`select a$b, x$1 from t where dblink_x is null`, true, false},
		// A WITH query's or an alias's column list calls nothing; a call stays one.
		{`with ts_stat(word, n) as (select 'a', 1) select * from ts_stat`, true, false},
		{`with a as (select 1), dblink_usage (id) as not materialized ((select 1)) select * from dblink_usage`, true, false},
		{`with recursive lo_import(n) as materialized (values (1) union all select n + 1 from lo_import where n < 3) select n from lo_import`, true, false},
		{`select n from generate_series(1, 2) as ts_stat(n), lateral (select 1) AS "lo_import" (x)`, true, false},
		{`select x from dblink('c', 'select 1') as (x int)`, true, true},
		{`select t.n from users u cross join lateral unnest(u.tags) dblink_tags(n)`, true, false},
		{`select (1) + dblink_exec('c', 'insert')`, true, true},
		{`select x from t where (a) in (dblink_exec('c', 'insert'))`, true, true},
		{`select ts_stat('select 1') as x, 1 as y`, true, true},
		{`select 1 as x from t limit length(lo_import('/etc/hostname')) as`, true, true},
		{"select 1 as x -- c\r from t limit length(lo_import('/etc/hostname'))", true, true},
		{"select 1 as x -- c\n from t -- limit length(lo_import('/etc/hostname'))", true, false},
	} {
		calls, err := pgSQLCalls(tt.sql, tt.scs)
		if err == nil {
			err = refuseCalls(calls)
		}
		if got := errors.Is(err, ErrNotReadOnly); got != tt.refused {
			t.Errorf("%q (standard_conforming_strings %v): %v (read as %q), want refused %v", tt.sql, tt.scs, err, calls, tt.refused)
		}
	}
	if _, err := pgSQLCalls(`select U&"d!0061t!+000061" UESCAPE '!' as x`, true); !errors.Is(err, ErrNotReadOnly) {
		t.Errorf("UESCAPE: %v, want ErrNotReadOnly", err)
	}
}
