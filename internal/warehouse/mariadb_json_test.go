package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// cutWarnings is a MariaDB session whose SHOW WARNINGS fails before its first row (its statement
// killed: KILL QUERY), the session staying open: EXPLAIN and every other statement succeed.
type cutWarnings struct{}

func (cutWarnings) Connect(context.Context) (driver.Conn, error) { return cutWarnings{}, nil }
func (cutWarnings) Driver() driver.Driver                        { return nil }
func (cutWarnings) Prepare(string) (driver.Stmt, error)          { return nil, errors.New("not prepared") }
func (cutWarnings) Close() error                                 { return nil }
func (cutWarnings) Begin() (driver.Tx, error)                    { return nil, errors.New("no transaction") }
func (cutWarnings) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return driver.RowsAffected(0), nil
}

func (cutWarnings) QueryContext(_ context.Context, query string, _ []driver.NamedValue) (driver.Rows, error) {
	if query == "SHOW WARNINGS" {
		return &warningRows{err: &mysql.MySQLError{Number: 1317, Message: "Query execution was interrupted"}}, nil
	}
	return &warningRows{cols: []string{"v"}, vals: [][]driver.Value{{int64(0)}}}, nil // sql_mode LIKE ...: false
}

type warningRows struct {
	cols []string
	vals [][]driver.Value
	err  error // after vals
}

func (r *warningRows) Columns() []string {
	if r.cols == nil {
		return []string{"Level", "Code", "Message"}
	}
	return r.cols
}
func (r *warningRows) Close() error { return nil }
func (r *warningRows) Next(dest []driver.Value) error {
	if len(r.vals) == 0 {
		if r.err != nil {
			return r.err
		}
		return io.EOF
	}
	copy(dest, r.vals[0])
	r.vals = r.vals[1:]
	return nil
}

// TestMariaDBJSONWarningsCut: a SHOW WARNINGS that fails (its statement killed) fails the
// search for the model's JSON columns. It ended as if it had no note: no column was found JSON,
// and a model's JSON columns were read as strings, every record sent again as changed, with its
// JSON as a string.
func TestMariaDBJSONWarningsCut(t *testing.T) {
	ctx := context.Background()
	db := sql.OpenDB(cutWarnings{})
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &myConn{db: db, conn: conn, mariadb: true}
	cols, err := c.mariaJSONColumns(ctx, "select json_object('a', 1) as j")
	if err == nil || !strings.Contains(err.Error(), "Query execution was interrupted") {
		t.Errorf("the JSON columns are %v, error %v; want SHOW WARNINGS's error", cols, err)
	}
}
