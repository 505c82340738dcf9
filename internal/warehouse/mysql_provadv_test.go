package warehouse

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// TestMySQLLockingClausesHidden: a locking clause or GET_LOCK is refused however it is written:
// inside MySQL's and MariaDB's executable comments (/*! */, /*!50000 */, /*M! */), split by an
// empty one (for/*!*/update, which the server reads as FOR UPDATE), after a "--" comment ended
// by a tab or a newline, or after a string that ends at a backslash under NO_BACKSLASH_ESCAPES
// (the session's sql_mode says whether a backslash escapes a quote).
// MariaDB runs LOCK IN SHARE MODE in a read-only transaction (shared row locks, which block
// writers for the whole read), and MySQL FOR UPDATE too.
func TestMySQLLockingClausesHidden(t *testing.T) {
	for _, q := range []string{
		"select * from t /*M! lock in share mode */",
		"select * from t /*M!100000 lock in share mode */",
		"select * from t lock/*!*/in share mode",
		"select * from t for/*!*/update",
		"select * from t for/*!50000*/update",
		"select * from t /*!50000for update*/",
		"select * from t for --\tx\nupdate",
		"select * from t for --\nupdate",
		"select * from t for --\r\nshare",
		"select * from t for#x\nupdate",
		"select get_lock('x', 0) as id",
		"select GET_LOCK /* */ ('x', 0) as id",
		"select id from t where 1 = /*!get_lock*/('x', 0)",
		"select load_file('/etc/mysql/debian.cnf') as id",
		"select /*!load_file*/('/etc/passwd') as id",
		"select `load_file`('/etc/passwd') as id",
		"select `LOAD_FILE` /* */ ('/etc/passwd') as id",
		"select `get_lock`('x', 0) as id",
		"select /*!`get_lock`*/('x', 0) as id",
		// A version the server is below makes the comment one: the server read `load_file`(...)
		// and FOR UPDATE, the check "`load_file` x (" and FOR X UPDATE.
		"select `load_file` /*!99999 x */ ('/etc/passwd') as id",
		"select `get_lock` /*M!999999 x */ /*!10000 ( */ 'x', 0) as id",
		"select * from t for /*!99999 x */ update",
		"select * from t lock /*M!999999 x */ in /*!99999 ( */ share mode",
	} {
		for _, mode := range []string{"", "NO_BACKSLASH_ESCAPES", "ANSI_QUOTES", "ansi_quotes,NO_BACKSLASH_ESCAPES"} {
			if err := refuseMySQLLocks(q, mode); !errors.Is(err, ErrNotReadOnly) {
				t.Errorf("%q (sql_mode %s): %v, want ErrNotReadOnly", q, mode, err)
			}
		}
	}
	// Under NO_BACKSLASH_ESCAPES a backslash ends nothing: the string is '\', and the clause
	// after it is read; otherwise it is inside the string, and nothing is refused.
	for _, q := range []string{`select '\' as a, id from t for update -- '`, `select "\" as a, id from t lock in share mode -- "`} {
		if err := refuseMySQLLocks(q, "STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES"); !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("%q under NO_BACKSLASH_ESCAPES: %v, want ErrNotReadOnly", q, err)
		}
		if err := refuseMySQLLocks(q, "STRICT_TRANS_TABLES"); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
	// Under ANSI_QUOTES "..." is a name, in which a backslash escapes nothing.
	if q := `select 1 as "a\", id from t for update -- "`; !errors.Is(refuseMySQLLocks(q, "ANSI_QUOTES"), ErrNotReadOnly) {
		t.Errorf("%q under ANSI_QUOTES: not refused", q)
	}
	// Under ANSI_QUOTES "load_file"(...) is a call of LOAD_FILE too; otherwise a string.
	if q := `select "load_file"('/etc/passwd') as id`; !errors.Is(refuseMySQLLocks(q, "ANSI_QUOTES"), ErrNotReadOnly) {
		t.Errorf("%q under ANSI_QUOTES: not refused", q)
	}
	if err := refuseMySQLLocks(`select 'don\'t' as a, 'for update' as b`, ""); err != nil {
		t.Errorf("an escaped quote before a string mentioning a locking clause: %v", err)
	}
	for _, q := range []string{
		"select 'for update' as `for share`, id /* for update */ from t -- lock in share mode",
		"select 'it''s for update' as a, \"lock in share mode\" as b",
		"select 1 as id --x\n, 2 as for_update",
		"select id, 'get_lock' as get_locked from t # get_lock(",
		"select 10--1 as id",
		"select `get_lock`, `load_file` as `for`, `update` from t",
		"select `for` `update` from t",
		"select `load_file` /*!99999 x */, 1 as id from t",
	} {
		for _, mode := range []string{"", "NO_BACKSLASH_ESCAPES", "ANSI_QUOTES"} {
			if err := refuseMySQLLocks(q, mode); err != nil {
				t.Errorf("%q (sql_mode %s): %v", q, mode, err)
			}
		}
	}
}

// TestMySQLLockingClausesHiddenOnTheServer: the server does read the hidden clauses (so the
// read would have locked rows) and the describe refuses them before they run.
func TestMySQLLockingClausesHiddenOnTheServer(t *testing.T) {
	t.Parallel()
	src := newMySQL(t, `CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)`)
	ctx := context.Background()
	for _, q := range []string{"select * from t /*M! lock in share mode */", "select * from t lock/*!*/in share mode",
		"select get_lock('backflow-test', 0) as id", "select load_file('/etc/passwd') as id",
		"select `load_file`('/etc/passwd') as id", "select `get_lock`('backflow-test', 0) as id",
		"select `load_file` /*!99999 x */ ('/etc/passwd') as id", "select * from t lock /*!99999 x */ in share mode"} {
		_, err := src.Describe(ctx, q)
		if !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("%q: %v, want ErrNotReadOnly", q, err)
		}
	}
	// The session's sql_mode says how a backslash reads: under NO_BACKSLASH_ESCAPES (from the URL
	// here) the string is '\' and the server runs the clause after it.
	noEscapes := NewMySQL(&controlplane.MySQLConfig{URL: src.cfg.URL + "?sql_mode=%27NO_BACKSLASH_ESCAPES%27"})
	q := `select '\' as a, id from t lock in share mode -- '`
	if _, err := noEscapes.Describe(ctx, q); !errors.Is(err, ErrNotReadOnly) {
		t.Errorf("%q under NO_BACKSLASH_ESCAPES: %v, want ErrNotReadOnly", q, err)
	}
	if _, err := src.Describe(ctx, q); err != nil {
		t.Errorf("%q: %v", q, err)
	}
	ansi := NewMySQL(&controlplane.MySQLConfig{URL: src.cfg.URL + "?sql_mode=%27ANSI_QUOTES%27"})
	q = `select 1 as "a\", id from t lock in share mode -- "`
	if _, err := ansi.Describe(ctx, q); !errors.Is(err, ErrNotReadOnly) {
		t.Errorf("%q under ANSI_QUOTES: %v, want ErrNotReadOnly", q, err)
	}
}

// TestMySQLURLSlashInPassword: a password holding a '/' not percent-encoded ended the URL's host
// early: mysql://app:2024/Summer!@db.internal was the host "app:2024" (the user, the password's
// first digits as the port) and the database "Summer!@db.internal" (the rest of it), which the
// connection's errors then showed ("dial tcp ...:2024", "Unknown database 'Summer!@...'") and a
// table model's envelope sent as schema_name. It is refused, without showing it.
func TestMySQLURLSlashInPassword(t *testing.T) {
	for _, u := range []string{"mysql://app:2024/Summer!@db.internal", "mysql://app:2024/Summer!@db.internal:3306",
		"mysql://app:2024/Summer@db.internal/shop", "mysql://app:2024/Summer!@db.internal?tls=true"} {
		cfg, err := ParseMySQLURL(u)
		if err == nil {
			t.Errorf("%q parsed: host %q, database %q", u, cfg.Addr, cfg.DBName)
			continue
		}
		if strings.Contains(err.Error(), "2024") || strings.Contains(err.Error(), "Summer") {
			t.Errorf("%q: the error shows the password: %v", u, err)
		}
	}
	cfg, err := ParseMySQLURL("mysql://app:2024%2FSummer!@db.internal/my%40db")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Passwd != "2024/Summer!" || cfg.Addr != "db.internal:3306" || cfg.DBName != "my@db" {
		t.Errorf("parsed %+v", cfg)
	}
}

// TestMySQLSerializableReadLocksNothing: a session whose default isolation is SERIALIZABLE (the
// server's, the user's, or the URL's, as here) reads in REPEATABLE READ: under SERIALIZABLE,
// InnoDB read every row of the model as LOCK IN SHARE MODE, so a writer waited for the whole read
// ("Lock wait timeout exceeded" after its innodb_lock_wait_timeout).
func TestMySQLSerializableReadLocksNothing(t *testing.T) {
	t.Parallel()
	url, db := warehousetest.NewMySQLDatabase(t)
	if _, err := db.Exec(`CREATE TABLE t (id int PRIMARY KEY, v int) ENGINE=InnoDB; INSERT INTO t VALUES (1, 1), (2, 2)`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	variable := "transaction_isolation" // MySQL; MariaDB 10.11 knows tx_isolation only
	if newMySQLIsMariaDB(t, NewMySQL(&controlplane.MySQLConfig{URL: url})) {
		variable = "tx_isolation"
	}
	src := NewMySQL(&controlplane.MySQLConfig{URL: url + "?" + variable + "=%27SERIALIZABLE%27"})
	r, err := src.Open(ctx, "select * from t", "id", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Next() {
		t.Fatalf("no row: %v", r.Err())
	}
	writer, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if _, err := writer.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.ExecContext(ctx, "UPDATE t SET v = v + 1 WHERE id = 1"); err != nil {
		t.Errorf("a write to a row the open read holds: %v", err)
	}
}

// TestMySQLGivesUpOnASilentServer: a MySQL server that takes the connection and never answers (a
// hung server, a proxy in front of one that is gone) fails the connect after the URL's timeout
// (10 s when it sets none), as a Postgres warehouse's does after its connect_timeout, instead of
// holding the plan, the test_on_save or the run for as long as its context: the driver's timeout
// bounded only the dial, which the proxy answers, not the server's handshake it then waited for.
func TestMySQLGivesUpOnASilentServer(t *testing.T) {
	t.Parallel()
	p, u := controlplanetest.NewStallProxy(t, warehousetest.MySQLAdminURL())
	p.Stall()
	if strings.Contains(u, "?") {
		u += "&timeout=300ms"
	} else {
		u += "?timeout=300ms"
	}
	// A bound only for a test that would otherwise never end: long after the URL's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m := NewMySQL(&controlplane.MySQLConfig{URL: u})
	for name, call := range map[string]func() error{
		"Ping":     func() error { return m.Ping(ctx) },
		"Describe": func() error { _, err := m.Describe(ctx, "SELECT 1 AS id"); return err },
	} {
		err := call()
		if err == nil || ctx.Err() != nil {
			t.Fatalf("%s on a server that never answers: %v (the test's own bound ended: %v); want it to give up by itself", name, err, ctx.Err())
		}
		if !strings.Contains(err.Error(), "connect to the warehouse") || !strings.Contains(err.Error(), "timeout") {
			t.Errorf("%s: error %q does not say the connect timed out", name, err)
		}
		if testing.Verbose() {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestMySQLURLDriverAddress: an address written as the Go driver's DSN writes it, unix(/path)
// or tcp(host:port), was refused as "percent-encode a '/' ... in the database", which said
// nothing of why. A Unix socket is refused saying so (as a Postgres URL's is), tcp(...) saying
// how a URL writes the address; neither shows the URL. A URL of host:port is still read.
func TestMySQLURLDriverAddress(t *testing.T) {
	for u, want := range map[string]string{
		"mysql://root@unix(/var/run/mysqld/mysqld.sock)/shop":    "Unix socket",
		"mysql://app:s3cret@unix(/tmp/mysql.sock)/":              "Unix socket",
		"mysql://app:s3cret@UNIX(/tmp/mysql.sock)/shop?tls=true": "Unix socket",
		"mysql://app:s3cret@tcp(db.internal:3306)/shop":          "host:port",
		"mysql://app:p@ss@tcp(db.internal:3306)/shop":            "host:port",
		"mysql://unix(/tmp/mysql.sock)/shop":                     "Unix socket",
	} {
		_, err := ParseMySQLURL(u)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", u, err, want)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "mysqld.sock")) {
			t.Errorf("%q: the error shows the URL: %v", u, err)
		}
	}
	for _, u := range []string{"mysql://app:pw@db.internal:3306/shop", "mysql://app:unix(x)@db.internal/shop",
		"mysql://app:pw@unix.example.com/shop",
		// An '@' or "unix(" in a password or user name (the URL's user information ends at its
		// last '@'), a host named unix or tcp, parentheses in the database's name.
		"mysql://app:a@unix(@db.internal/shop", "mysql://app:a@tcp(x@db.internal:3306/shop",
		"mysql://unix(:pw@db.internal/shop", "mysql://tcp(x@db.internal/shop", "mysql://app:pw@unix/shop",
		"mysql://app:pw@tcp:3306/db(1)", "mysql://app:pw@[::1]:3306/unix(x)"} {
		if _, err := ParseMySQLURL(u); err != nil {
			t.Errorf("%q: %v", u, err)
		}
	}
}
