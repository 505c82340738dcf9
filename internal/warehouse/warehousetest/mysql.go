package warehousetest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// MySQLURLEnv names the variable with the MySQL or MariaDB server tests use (a user that may
// create and drop databases); scripts/test.sh sets it from scripts/ensure-mariadb.sh.
const MySQLURLEnv = "BACKFLOW_TEST_MYSQL_URL"

// DefaultMySQLURL is used when MySQLURLEnv is unset.
const DefaultMySQLURL = "mysql://root@127.0.0.1:3306/"

// MySQLAdminURL is the server tests run against.
func MySQLAdminURL() string {
	if u := os.Getenv(MySQLURLEnv); u != "" {
		return u
	}
	return DefaultMySQLURL
}

// openMySQL opens rawURL (mysql://...) with the driver, multiple statements allowed: for
// fixtures only.
func openMySQL(t testing.TB, rawURL string) *sql.DB {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse %s: %v", MySQLURLEnv, err)
	}
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr = "tcp", u.Host
	if u.Port() == "" {
		cfg.Addr += ":3306"
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	if len(u.Path) > 1 {
		cfg.DBName = u.Path[1:]
	}
	cfg.MultiStatements = true
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sql.OpenDB(c)
}

// NewMySQLDatabase creates an empty utf8mb4 database on the test server for this test, drops it
// at cleanup, and returns its mysql:// URL and a handle on it (multiple statements allowed) for
// the test's fixtures. The test fails (never skips) when the server cannot be reached:
// `make test` starts one.
func NewMySQLDatabase(t testing.TB) (string, *sql.DB) {
	t.Helper()
	admin := openMySQL(t, MySQLAdminURL())
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "backflow_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"); err != nil {
		t.Fatalf("create a test database on the MySQL server (%s, or %s): %v; run the tests with `make test`, which starts one",
			MySQLURLEnv, DefaultMySQLURL, err)
	}
	u, _ := url.Parse(MySQLAdminURL())
	u.Path = "/" + name
	db := openMySQL(t, u.String())
	t.Cleanup(func() {
		_ = db.Close()
		admin := openMySQL(t, MySQLAdminURL())
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return u.String(), db
}
