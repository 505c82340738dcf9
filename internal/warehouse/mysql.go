package warehouse

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// MySQL is the MySQL and MariaDB driver, over github.com/go-sql-driver/mysql.
//
// Models only read: every connection sets its session's statement and lock timeouts
// (max_statement_time on MariaDB, max_execution_time on MySQL; innodb_lock_wait_timeout and
// lock_wait_timeout) and starts a READ ONLY transaction before anything else runs; the model is
// only ever run as a derived table of a SELECT (so it can be nothing but a query), multiple
// statements are off in the driver, and locking clauses are refused before it runs.
//
// Values: the session's time_zone is UTC ('+00:00'), so TIMESTAMP columns (stored in UTC) are
// sent as RFC 3339 in UTC, "2019-12-08T14:19:52Z"; DATETIME has no time zone and is sent as
// written, "2019-12-08 14:19:52" (fraction only when the column has one), like Postgres's
// timestamp. TINYINT(1), which BOOL and BOOLEAN are, is a boolean (0 false, any other value
// true, as MySQL's IF and WHERE read it); other integers of every width, signed or not (BIGINT
// UNSIGNED too), DECIMAL and YEAR are exact JSON numbers; FLOAT and DOUBLE numbers; BIT a
// number (its bits as an unsigned integer); CHAR, VARCHAR, TEXT and ENUM strings (read as
// utf8mb4); SET an array of strings; BINARY, VARBINARY, BLOB, GEOMETRY and VECTOR base64; JSON nested
// (MySQL's JSON type; MariaDB's, a LONGTEXT with a json_valid CHECK, and JSON functions'
// results, where the server says a column comes from one: mariadb_json.go); DATE and TIME
// strings.
//
// Key order: the model is read unsorted with the key's text in utf8mb4 cast to BINARY as an extra
// column (a BIT key's: its number in decimal), whose bytes Read sorts the rows by, whatever the
// column's collation (source.go states the rule).
type MySQL struct{ cfg *controlplane.MySQLConfig }

func init() {
	register(controlplane.KindMySQL, func(c *controlplane.Connection) Source { return &MySQL{cfg: c.MySQL} }, hideMySQLValues)
	// The driver logs connection errors to stderr itself; they are returned too, and the
	// runner logs them once, with the run.
	_ = mysql.SetLogger(log.New(io.Discard, "", 0))
}

// NewMySQL returns the source of a MySQL or MariaDB warehouse.
func NewMySQL(cfg *controlplane.MySQLConfig) *MySQL { return &MySQL{cfg: cfg} }

// errMySQLURL never shows the URL: it may hold a password.
var errMySQLURL = errors.New("the warehouse URL is not a valid MySQL URL of the form " +
	"mysql://user:password@host:3306/database?param=value (its text is not shown, it may hold a password)")

// myDSNAddress matches an address written as the Go driver's DSN writes one: unix(/path),
// tcp(host:3306) (mysqlDSNAddress reads it from the URL).
var myDSNAddress = regexp.MustCompile(`(?i)^(unix|tcp|tcp4|tcp6)\(`)

// mysqlDSNAddress is the kind of address ("unix", "tcp"...) of a URL whose address is written as
// the Go driver's DSN writes one (mysql://user@unix(/path)/db, mysql://user@tcp(host:3306)/db),
// "" for another. The address starts after the URL's last '@' before its first '/', '?' or '#',
// as a URL's user information ends there: a password or user name with an '@' or "tcp(" in it
// (mysql://app:a@tcp(x@host/db) is no address.
func mysqlDSNAddress(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || !strings.EqualFold(scheme, "mysql") {
		return ""
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if m := myDSNAddress.FindStringSubmatch(rest); m != nil {
		return strings.ToLower(m[1])
	}
	return ""
}

// dsnQuery encodes what a URL's query holds as it is and the driver's DSN would read otherwise.
var dsnQuery = strings.NewReplacer("/", "%2F", "+", "%2B")

// ParseMySQLURL reads mysql://user:password@host[:port]/database?params into the driver's
// configuration; the params are the driver's (tls=true, ...). Errors never echo the URL.
func ParseMySQLURL(raw string) (*mysql.Config, error) {
	if kind := mysqlDSNAddress(raw); kind != "" {
		// The driver's DSN form of an address, user@unix(/path) or user@tcp(host:port), which a
		// URL does not take: its '/' read as the database's ("percent-encode a '/'") said nothing
		// of why. A socket is refused as a Postgres URL's is.
		if kind == "unix" {
			return nil, fmt.Errorf("%w: it names a Unix socket, unix(...): the local server of the host Backflow runs on, "+
				"which may let its system user in without a password; name the warehouse's host name or address "+
				"(mysql://user:password@host:3306/database)", errMySQLURL)
		}
		return nil, fmt.Errorf("%w: write the address as a URL's, host:port, not as the driver's DSN writes it, "+
			"%s(host:port)", errMySQLURL, kind)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "mysql" || u.Host == "" || u.Opaque != "" || u.Fragment != "" {
		return nil, errMySQLURL
	}
	db := strings.TrimPrefix(u.Path, "/")
	if strings.Contains(db, "/") || strings.Contains(u.EscapedPath(), "@") {
		// An '@' after the host: a password's '/' not percent-encoded ended the host early
		// (mysql://app:2024/pw@db read as the host app:2024 and the database pw@db).
		return nil, fmt.Errorf("%w: percent-encode a '/' or '@' in the user name, password or database (%%2F, %%40)", errMySQLURL)
	}
	// The driver's DSN ends its address at its last '/', so a '/' the query holds as it is
	// (?time_zone=%27Europe/Paris%27, which a URL may) is given to it encoded, as it decodes a
	// parameter's value; and it decodes a value as a form's, a '+' as a space, so a '+' (an
	// offset zone, time_zone='+05:30') is given to it encoded too.
	cfg, err := mysql.ParseDSN("/?" + dsnQuery.Replace(u.RawQuery))
	if err != nil {
		// The driver's message quotes the parameter's value, which may be a secret.
		return nil, fmt.Errorf("%w: a parameter after '?' is not one the MySQL driver (github.com/go-sql-driver/mysql) "+
			"knows, or its value is invalid", errMySQLURL)
	}
	if cfg.AllowAllFiles {
		// The driver then sends the server any file of the host it asks for (LOAD DATA LOCAL
		// INFILE), in answer to any query: the server is whoever the configuration names.
		return nil, errors.New("the warehouse URL is refused: allowAllFiles=true would let the server read any file of " +
			"the host Backflow runs on (LOAD DATA LOCAL INFILE); remove it (its text is not shown, it may hold a password)")
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "3306")
	}
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", host, db
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	// Values are read as the server prints them (text), one statement at a time, and columns
	// are named as the model names them: columnsWithAlias=true named each "m.<name>" (the
	// derived table the model runs as), which lost every model its key column and renamed
	// every field of its records.
	cfg.ParseTime, cfg.MultiStatements, cfg.Loc, cfg.ColumnsWithAlias = false, false, time.UTC, false
	if cfg.Timeout <= 0 { // none, 0 or negative: as a Postgres URL's connect_timeout=0
		cfg.Timeout = 10 * time.Second
	}
	return cfg, nil
}

func (m *MySQL) Timeouts() (statement, lock time.Duration) {
	return Timeouts(&controlplane.PostgresConfig{StatementTimeout: m.cfg.StatementTimeout, LockTimeout: m.cfg.LockTimeout})
}

func (m *MySQL) TableQuery(table string) string {
	return selectTable(table, quoteMySQL)
}

// SchemaAndTable: MySQL's schemas are its databases, so a table named alone is in the URL's
// database (none: the schema is unknown).
func (m *MySQL) SchemaAndTable(table string) (schema, name string) {
	db := ""
	if cfg, err := ParseMySQLURL(m.cfg.URL); err == nil {
		db = cfg.DBName
	}
	return controlplane.SplitTable(table, db)
}

func (m *MySQL) OneKeyedRow(query, keyColumn string) string {
	return fmt.Sprintf("SELECT * FROM %s WHERE m.%s IS NOT NULL LIMIT 1", wrapQuery(myLexicon.statement(query)), quoteMySQL(keyColumn))
}

func quoteMySQL(ident string) string { return "`" + strings.ReplaceAll(ident, "`", "``") + "`" }

// myConn is one MySQL session in a READ ONLY transaction with the timeouts set.
type myConn struct {
	db                            *sql.DB
	conn                          *sql.Conn
	statementTimeout, lockTimeout time.Duration
	mariadb                       bool
	// id is the session's CONNECTION_ID(), which killQuery stops; unwatch stops the kill of a
	// canceled context (context.AfterFunc), and killed is closed once that kill, when it ran,
	// is over.
	id      uint64
	unwatch func() bool
	killed  chan struct{}
	// abandoned: a read was closed before the server ended its statement; close ends the
	// session on the server.
	abandoned bool
}

// myKillTimeout bounds killQuery: connecting to the server and its KILL QUERY.
const myKillTimeout = 5 * time.Second

func (m *MySQL) connect(ctx context.Context) (*myConn, error) {
	cfg, err := ParseMySQLURL(m.cfg.URL)
	if err != nil {
		return nil, err
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, errMySQLURL
	}
	db := sql.OpenDB(connector)
	c := &myConn{db: db}
	c.statementTimeout, c.lockTimeout = m.Timeouts()
	// The driver's timeout bounds only the dial: a server (or a proxy in front of one that is
	// gone) that took the connection and never answered held the plan or the run for as long
	// as its context, which a run's has no end. It bounds the whole connect here, up to the
	// read-only transaction, as a Postgres warehouse's connect_timeout does.
	cctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	silent := func(err error) error {
		if cctx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("the server took the connection but did not answer within %s (the URL's timeout=, 10s when it sets none): is it up, and is the address a MySQL server's?: %w", cfg.Timeout, err)
		}
		return err
	}
	if c.conn, err = db.Conn(cctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to the warehouse: %w", silent(err))
	}
	var version string
	if err := c.conn.QueryRowContext(cctx, "SELECT VERSION(), CONNECTION_ID()").Scan(&version, &c.id); err != nil {
		c.close()
		return nil, fmt.Errorf("connect to the warehouse: %w", silent(err))
	}
	// A canceled context makes the driver drop its connection, and nothing more: MySQL and
	// MariaDB see a client gone only when they next write to it, so a sort or a scan went on
	// until it sent its first rows, or until the statement timeout, after the read had ended.
	c.killed = make(chan struct{})
	c.unwatch = context.AfterFunc(ctx, func() {
		defer close(c.killed)
		c.killQuery()
	})
	statement := fmt.Sprintf("max_execution_time = %d", milliseconds(c.statementTimeout))
	if c.mariadb = strings.Contains(strings.ToLower(version), "mariadb"); c.mariadb {
		statement = fmt.Sprintf("max_statement_time = %.3f", float64(milliseconds(c.statementTimeout))/1000)
	}
	lock := int64(math.Ceil(c.lockTimeout.Seconds()))
	for _, s := range []string{
		"SET NAMES utf8mb4",
		fmt.Sprintf("SET SESSION time_zone = '+00:00', SESSION %s, SESSION innodb_lock_wait_timeout = %d, SESSION lock_wait_timeout = %d, %s",
			statement, lock, lock, mysqlAllRows),
		// The only sql_mode that changes how a value is printed, not what the model means: a
		// CHAR's trailing blanks, which PAD_CHAR_TO_FULL_LENGTH keeps (MariaDB; MySQL before 9).
		// Whatever else the URL's or the server's sql_mode holds stays, so the model's SQL reads
		// as it does for its users (ANSI_QUOTES, PIPES_AS_CONCAT, ...).
		mysqlNoCharPadding,
		// SERIALIZABLE (a server's, user's or URL's default) makes InnoDB read every row as LOCK
		// IN SHARE MODE, which kept the warehouse's writers out of what a run read until it ended.
		"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
		"START TRANSACTION READ ONLY",
	} {
		if _, err := c.conn.ExecContext(cctx, s); err != nil {
			c.close()
			return nil, fmt.Errorf("start a read-only transaction on the warehouse: %w", silent(err))
		}
	}
	return c, nil
}

// mysqlAllRows lifts sql_select_limit, which a server (SET GLOBAL, my.cnf), a user's
// init_connect, the client's --safe-updates or the URL may set: it caps every top-level SELECT
// without a LIMIT, the read's too, which then returned the model's first rows and nothing else
// (a mirror deleted the others). It never applies inside the model (a derived table), so this
// changes nothing the model's SQL means. Its largest value, as DEFAULT is the server's own,
// which may be the cap.
const mysqlAllRows = "SESSION sql_select_limit = 18446744073709551615"

// mysqlNoCharPadding takes PAD_CHAR_TO_FULL_LENGTH out of the session's sql_mode: without it a
// CHAR(10) 'ab' is read "ab", as under the default sql_mode, and its key text is "ab" too.
const mysqlNoCharPadding = "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), " +
	"',PAD_CHAR_TO_FULL_LENGTH,', ','))"

func (c *myConn) close() {
	canceled := c.unwatch != nil && !c.unwatch()
	if canceled {
		<-c.killed // the context was canceled: its kill runs, on c.db
	}
	_ = c.conn.Close()
	if canceled || c.abandoned {
		// A statement the driver sent just as the context was canceled can reach the server
		// after the first kill found the session idle, and then runs on: end the session, which
		// the driver has dropped, whatever it runs by now.
		c.kill("KILL CONNECTION")
	}
	_ = c.db.Close()
}

// killQuery stops the statement the session runs, if any, from a connection of its own, after
// the session's read was canceled or closed before its end. It is called only while the
// session is open (between connect and close), so the id is this session's, and KILL QUERY
// stops a statement and leaves the session (dropped by the driver already) as it is. It needs
// no privilege: a user may kill its own sessions' statements. It is bounded by myKillTimeout;
// its errors (a server out of reach, a statement over already) change nothing the read
// returns, and are logged at debug.
func (c *myConn) killQuery() { c.kill("KILL QUERY") }

// kill sends kill (KILL QUERY, or KILL CONNECTION once the driver has dropped the session) for
// this session's id, as killQuery says.
func (c *myConn) kill(kill string) {
	ctx, cancel := context.WithTimeout(context.Background(), myKillTimeout)
	defer cancel()
	if _, err := c.db.ExecContext(ctx, fmt.Sprintf("%s %d", kill, c.id)); err != nil {
		slog.Debug("stop a canceled read's statement on the MySQL server", "connection_id", c.id, "error", err)
	}
}

func (m *MySQL) Ping(ctx context.Context) error {
	c, err := m.connect(ctx)
	if err != nil {
		return err
	}
	c.close()
	return nil
}

func (m *MySQL) Describe(ctx context.Context, query string) ([]controlplane.Column, error) {
	c, err := m.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.close()
	cols, _, err := c.describe(ctx, query)
	return cols, err
}

// describe runs the model as a derived table with LIMIT 0, which MySQL and MariaDB answer with
// the result's columns without executing the query. It returns the columns and each one's codec.
func (c *myConn) describe(ctx context.Context, query string) ([]controlplane.Column, []myCodec, error) {
	if err := myLexicon.noStatement(query); err != nil {
		return nil, nil, err
	}
	query = myLexicon.statement(query)
	if err := c.refuseLocks(ctx, query); err != nil {
		return nil, nil, err
	}
	var fields []myField
	err := c.conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("the MySQL driver cannot run queries on a connection")
		}
		rows, err := qc.QueryContext(ctx, "SELECT * FROM "+wrapQuery(query)+" LIMIT 0", nil)
		if err != nil {
			if e := notAQuery(query, err); e != nil {
				return e
			}
			return c.rejected(err)
		}
		defer rows.Close()
		fields, err = myFields(rows)
		if err != nil {
			return err
		}
		dest := make([]driver.Value, len(fields))
		for {
			if err := rows.Next(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return c.rejected(err)
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if len(fields) == 0 {
		return nil, nil, fmt.Errorf("%w and returns rows: this SQL returns no columns", ErrNotReadOnly)
	}
	jsonCols, err := c.mariaJSONColumns(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	cols := make([]controlplane.Column, len(fields))
	codecs := make([]myCodec, len(fields))
	for i, f := range fields {
		codecs[i] = myCodecFor(f.dbType, f.length)
		typ := strings.ToLower(f.dbType)
		switch {
		case codecs[i] == myBool:
			typ = "tinyint(1)"
		case codecs[i] == myString && jsonCols[f.name]:
			codecs[i], typ = myJSON, "json"
		case codecs[i] == myBinary && jsonCols[f.name]:
			// A JSON function given a binary argument (JSON_OBJECT('tok', a_varbinary)) returns
			// its JSON text in the binary character set: a BLOB on the wire.
			codecs[i], typ = myJSONBytes, "json"
		}
		cols[i] = controlplane.Column{Name: f.name, Type: typ}
	}
	return cols, codecs, nil
}

// notAQuery is the error for SQL the server could not read as a derived table (err, a syntax
// error) when its first word is one of myStatements (SHOW, CALL, SET, DO, HANDLER, LOAD DATA,
// ...): it says so, rather than only the syntax error near the wrapping's ") AS m", which names
// neither the statement nor what a model must be. nil otherwise (a query with a mistake in it,
// "selct": the server's own message says where).
func notAQuery(query string, err error) error {
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != erParse {
		return nil
	}
	words, _ := mySQLWords(query, true, false)
	if len(words) == 0 {
		return nil
	}
	if first := words[0]; myStatements[first] {
		return fmt.Errorf("%w: the model's SQL is a %s statement, not a query; a model is one SELECT (or WITH ... "+
			"SELECT, or VALUES) that returns the records to send: %w", ErrNotReadOnly, first, err)
	}
	if slices.Contains(words, ";") { // the statement's own end is not in query (myLexicon.statement)
		return fmt.Errorf("%w, and one query: this SQL holds several statements separated by ';' (nothing of it was run); "+
			"keep the one query that returns the rows to send: %w", ErrNotReadOnly, err)
	}
	return nil
}

// myStatements are the first words of MySQL's and MariaDB's statements that are not queries.
var myStatements = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`ALTER ANALYZE BACKUP BEGIN BINLOG CACHE CALL CHANGE CHECK CHECKSUM COMMIT CREATE
		DEALLOCATE DELETE DESC DESCRIBE DO DROP EXECUTE EXPLAIN FLUSH GET GRANT HANDLER HELP INSERT INSTALL KILL LOAD
		LOCK OPTIMIZE PREPARE PURGE RELEASE RENAME REPAIR REPLACE RESET RESIGNAL REVOKE ROLLBACK SAVEPOINT SET SHOW
		SHUTDOWN SIGNAL START TRUNCATE UNINSTALL UNLOCK UPDATE USE XA`) {
		myStatements[w] = true
	}
}

// myField is a result column as the protocol describes it.
type myField struct {
	name, dbType string
	length       uint64 // the column's display length: 1 for TINYINT(1) and BOOL
}

// myFields reads the columns of a result of github.com/go-sql-driver/mysql. The protocol's
// column length (1 for TINYINT(1), which MySQL and MariaDB use for BOOL) is what tells a
// boolean from a small integer, and the driver keeps it without exposing it: in v1.10.2 its
// ColumnTypeLength is commented out, DatabaseTypeName says "TINYINT" for both, and
// ColumnTypePrecisionScale answers only for DECIMAL. So it is read from the driver's rows by
// reflection: a read of a field, nothing written. A driver version that moves it fails here,
// loudly (TestMySQLFieldsShape, TestMySQLValues), rather than sending booleans as numbers.
func myFields(rows driver.Rows) ([]myField, error) {
	names := rows.Columns()
	typer, ok := rows.(driver.RowsColumnTypeDatabaseTypeName)
	if !ok {
		return nil, errors.New("the MySQL driver does not report column types")
	}
	cols := reflect.ValueOf(rows)
	for cols.Kind() == reflect.Pointer {
		cols = cols.Elem()
	}
	if cols.Kind() == reflect.Struct {
		if rs := cols.FieldByName("rs"); rs.IsValid() {
			cols = rs.FieldByName("columns")
		}
	}
	if cols.Kind() != reflect.Slice || cols.Len() != len(names) {
		return nil, errors.New("this version of the MySQL driver (github.com/go-sql-driver/mysql) keeps its columns " +
			"where Backflow does not look for them: Backflow was built with a driver it was not tested with")
	}
	out := make([]myField, len(names))
	for i, n := range names {
		l := cols.Index(i).FieldByName("length")
		if !l.IsValid() || !l.CanUint() {
			return nil, errors.New("this version of the MySQL driver (github.com/go-sql-driver/mysql) does not keep " +
				"column lengths where Backflow looks for them: Backflow was built with a driver it was not tested with")
		}
		out[i] = myField{name: n, dbType: typer.ColumnTypeDatabaseTypeName(i), length: l.Uint()}
	}
	return out, nil
}

// MySQL and MariaDB error numbers the read guarantees cause.
const (
	myLockWaitTimeout    = 1205 // ER_LOCK_WAIT_TIMEOUT: row and metadata locks
	myReadOnlyTx         = 1792 // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
	myQueryTimeout       = 3024 // MySQL: ER_QUERY_TIMEOUT (max_execution_time)
	mariaStatementTimout = 1969 // MariaDB: ER_STATEMENT_TIMEOUT (max_statement_time)
)

func (c *myConn) rejected(err error) error {
	if e := c.explain(err); e != err {
		return e
	}
	if e := interrupted(err, myEnded); e != nil {
		return e
	}
	return modelSQLRejected(err)
}

// MySQL and MariaDB error numbers of a query or session ended by the server.
const (
	myServerShutdown   = 1053 // ER_SERVER_SHUTDOWN
	myQueryInterrupted = 1317 // ER_QUERY_INTERRUPTED: KILL QUERY
	myConnectionKilled = 1927 // MariaDB: ER_CONNECTION_KILLED
	myClientInterrupt  = 4031 // MySQL 8: ER_CLIENT_INTERACTION_TIMEOUT (the session was ended)
)

// myEnded reports whether a MySQL or MariaDB error says the server ended the statement or its
// session rather than refused the statement: shutting down, or killing the query or the session
// (a statement timeout is told apart before).
func myEnded(me *mysql.MySQLError) bool {
	switch me.Number {
	case myServerShutdown, myQueryInterrupted, myConnectionKilled, myClientInterrupt:
		return true
	}
	return false
}

func (c *myConn) explain(err error) error {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return err
	}
	switch me.Number {
	case myLockWaitTimeout:
		return fmt.Errorf("%w by another session, which did not release it within the connection's lock_timeout "+
			"(%s): try again once that session is done (an ALTER TABLE, OPTIMIZE TABLE or LOCK TABLES holds such "+
			"locks), or raise lock_timeout: %w", ErrLockTimeout, FormatDuration(c.lockTimeout), err)
	case myQueryTimeout, mariaStatementTimout:
		return fmt.Errorf("%w (%s): make the query faster, or raise statement_timeout: %w",
			ErrStatementTimeout, FormatDuration(c.statementTimeout), err)
	case myReadOnlyTx:
		return fmt.Errorf("%w: the model's SQL tried to write to the warehouse and the read-only transaction "+
			"refused it (does a function it calls write?): %w", ErrNotReadOnly, err)
	}
	return err
}

func (m *MySQL) Open(ctx context.Context, query, keyColumn string, since *Since) (Stream, error) {
	c, err := m.connect(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.open(ctx, query, keyColumn, since)
	if err != nil {
		c.close()
		return nil, err
	}
	return r, nil
}

func (c *myConn) open(ctx context.Context, query, keyColumn string, since *Since) (*myRows, error) {
	query = myLexicon.statement(query)
	cols, codecs, err := c.describe(ctx, query)
	if err != nil {
		return nil, err
	}
	if err := HasKey(cols, keyColumn); err != nil {
		return nil, err
	}
	where, args, err := mySince(cols, since)
	if err != nil {
		return nil, err
	}
	// The key's text form, in utf8mb4 whatever the column's character set: its bytes are what
	// the runner sorts by. It is read as an extra last column (by position: no name can collide).
	k := "m." + quoteMySQL(keyColumn)
	keyText := fmt.Sprintf("CAST(CONVERT(%s USING utf8mb4) AS BINARY)", k)
	keyCol := slices.IndexFunc(cols, func(c controlplane.Column) bool { return c.Name == keyColumn })
	switch codecs[keyCol] {
	case myBool:
		// A BOOL is sent as true for every value but 0 (1, 2, -1): its key is what is sent,
		// "1" or "0", so two rows sent with the same key are one key (a duplicate), never two
		// records a receiver cannot tell apart (a mirror's delete of one, true, named both).
		keyText = fmt.Sprintf("CAST(CONVERT(%s <> 0 USING utf8mb4) AS BINARY)", k)
	case myBit:
		// A BIT's text is its raw bytes, which utf8mb4 cannot hold (b'10000000' and b'11001000'
		// both become "?") and which are NUL for a small value: its key is its number, in
		// decimal, as its upserts send it.
		keyText = fmt.Sprintf("CAST(%s AS UNSIGNED)", k)
	case myFloat32:
		// A FLOAT's text has six significant digits (mySelectList): its key is the value's.
		keyText = fmt.Sprintf("CAST(CONVERT(CAST(%s AS DOUBLE) USING utf8mb4) AS BINARY)", k)
	}
	wrapped := fmt.Sprintf("SELECT %s, %s FROM %s%s", mySelectList(cols, codecs), keyText, wrapQuery(query), where)
	qctx, cancel := context.WithCancel(ctx)
	rows, err := c.conn.QueryContext(qctx, wrapped, args...)
	if err != nil {
		cancel()
		return nil, c.rejected(err)
	}
	if n, _ := rows.Columns(); len(n) != len(cols)+1 {
		cancel()
		_ = rows.Close()
		return nil, errors.New("the model's SQL returned other columns when read than when described: it changed while being read; try again")
	}
	r := &myRows{c: c, rows: rows, cancel: cancel, cols: cols, raw: make([]sql.RawBytes, len(cols)+1)}
	r.dest = make([]any, len(r.raw))
	for i := range r.raw {
		r.dest[i] = &r.raw[i]
	}
	r.codecs = codecs
	if codecs[keyCol] == myBinary || codecs[keyCol] == myJSONBytes {
		r.binaryKey = keyCol
	} else {
		r.binaryKey = -1
	}
	return r, nil
}

// mySelectList is the model's columns as a read selects them: m.*, unless a column is a FLOAT,
// whose text MySQL and MariaDB print with six significant digits (a FLOAT holding 123456792 is
// "123457000", 16777216 "16777200"): that one is read as a DOUBLE, whose text has the float's
// exact value ("0.10000000149011612" for 0.1), and sent as the float it is (myFloat32: 0.1).
func mySelectList(cols []controlplane.Column, codecs []myCodec) string {
	if !slices.Contains(codecs, myFloat32) {
		return "m.*"
	}
	list := make([]string, len(cols))
	for i, c := range cols {
		list[i] = "m." + quoteMySQL(c.Name)
		if codecs[i] == myFloat32 {
			list[i] = "CAST(" + list[i] + " AS DOUBLE)"
		}
	}
	return strings.Join(list, ", ")
}

// mySince is the WHERE clause of a read narrowed by since (nil: none) and its argument. The
// session's time_zone is UTC, so a time bound given in UTC compares right with TIMESTAMP and
// DATETIME alike; a text cursor compares as the key does, by its utf8mb4 bytes.
func mySince(cols []controlplane.Column, since *Since) (string, []any, error) {
	if since == nil {
		return "", nil, nil
	}
	if _, err := since.columnType(cols); err != nil {
		return "", nil, err
	}
	c := "m." + quoteMySQL(since.Column)
	cmp := c + " >= ?"
	var arg any = since.From
	switch since.Kind {
	case CursorText:
		cmp = fmt.Sprintf("CAST(CONVERT(%s USING utf8mb4) AS BINARY) >= CAST(CONVERT(? USING utf8mb4) AS BINARY)", c)
	case CursorInteger:
		if n, err := strconv.ParseInt(since.From, 10, 64); err == nil {
			arg = n
		} else if u, err := strconv.ParseUint(since.From, 10, 64); err == nil {
			arg = u // a BIGINT UNSIGNED mark above 2^63: an integer, not a string to convert
		}
	}
	return fmt.Sprintf(" WHERE (%s OR %s IS NULL)", cmp, c), []any{arg}, nil
}

// myRows streams a MySQL result. The driver reads rows off the socket as Next asks for them
// (nothing is buffered client-side); the values are the text protocol's bytes.
type myRows struct {
	c      *myConn
	rows   *sql.Rows
	cancel context.CancelFunc
	cols   []controlplane.Column
	codecs []myCodec
	raw    []sql.RawBytes
	dest   []any
	err    error
	done   bool
	closed bool
	// ended: the server ended the statement (its last row read, or its error).
	ended bool
	// binaryKey is the key column when its value is bytes (BINARY, VARBINARY, BLOB,
	// GEOMETRY, MariaDB's JSON of a binary argument), else -1: see Key.
	binaryKey int
}

func (r *myRows) Columns() []controlplane.Column { return r.cols }

func (r *myRows) Next() bool {
	if r.done {
		return false
	}
	if r.rows.Next() {
		if err := r.rows.Scan(r.dest...); err != nil {
			r.err = fmt.Errorf("read the model from the warehouse: %w", err)
			r.done = true
			return false
		}
		return true
	}
	r.done, r.ended = true, true
	if err := r.rows.Err(); err != nil {
		r.err = fmt.Errorf("read the model from the warehouse: %w", r.c.explain(err))
	}
	return false
}

// Key is the key's text, which the ledger keeps as Postgres text: a key whose text is not
// UTF-8 has none (NULL: the row is invalid, never sent). MariaDB's utf8mb4 holds the bytes of
// a UTF-16 surrogate (0xEDA080, which CONVERT keeps): such a key went to the ledger, whose
// Postgres text refuses it, and its upserts sent U+FFFD for each byte, two such keys the same
// string. A
// binary key has a text only when its bytes are that text: MySQL's CONVERT makes other bytes
// NULL, MariaDB's replaced each by '?', so 0xFF alone was sent under the key "?", its upserts
// naming it "/w==" (base64) and a mirror's delete "Pw==", and 0xFF and '?' were one key.
func (r *myRows) Key() ([]byte, bool) {
	v := r.raw[len(r.cols)]
	if v == nil || !utf8.Valid(v) || r.binaryKey >= 0 && !bytes.Equal(r.raw[r.binaryKey], v) {
		return nil, true
	}
	return v, false
}

func (r *myRows) AppendValue(buf []byte, col int) []byte {
	return r.codecs[col].appendJSON(buf, r.raw[col])
}

func (r *myRows) AppendObject(buf []byte, cols []int, names [][]byte) []byte {
	return appendObject(r, buf, cols, names)
}

func (r *myRows) Err() error { return r.err }

// Close stops reading. Canceling the query's context makes the driver drop the connection
// instead of draining the rows left; the server, which would go on computing them until it
// next wrote to the connection, is told to stop the statement when it has not ended.
func (r *myRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed, r.done = true, true
	r.cancel()
	_ = r.rows.Close()
	if !r.ended {
		r.c.killQuery()
		r.c.abandoned = true
	}
	r.c.close()
	return nil
}

// myCodec is how one column's text-protocol value becomes JSON.
type myCodec uint8

const (
	myString    myCodec = iota // CHAR, VARCHAR, TEXT, ENUM, DATE, DATETIME, TIME, and unknown types
	myNumber                   // integers, DECIMAL, YEAR: the digits as they come
	myBool                     // TINYINT(1) and BOOL: 0 false, any other number true
	myFloat                    // FLOAT, DOUBLE
	myFloat32                  // FLOAT
	myTimestamp                // TIMESTAMP, in the session's UTC: RFC 3339
	myJSON                     // JSON: as is
	myBinary                   // BINARY, VARBINARY, BLOB, GEOMETRY, VECTOR: base64
	myBit                      // BIT: an unsigned number
	mySet                      // SET: an array of strings
	myJSONBytes                // MariaDB's JSON text in a binary string: as myJSON
)

// myCodecFor is the codec of a column of that type and display length.
func myCodecFor(dbType string, length uint64) myCodec {
	if strings.TrimPrefix(dbType, "UNSIGNED ") == "TINYINT" && length == 1 {
		return myBool
	}
	switch strings.TrimPrefix(dbType, "UNSIGNED ") {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "DECIMAL", "YEAR":
		return myNumber
	case "DOUBLE":
		return myFloat
	case "FLOAT":
		return myFloat32
	case "TIMESTAMP":
		return myTimestamp
	case "JSON":
		return myJSON
	case "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB", "GEOMETRY", "VECTOR":
		// MySQL 9's VECTOR is its floats' bytes on the wire, which as a string were U+FFFD
		// and stray characters: base64, as the bytes they are.
		return myBinary
	case "BIT":
		return myBit
	case "SET":
		return mySet
	}
	return myString
}

func (c myCodec) appendJSON(b, v []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	switch c {
	case myNumber:
		return appendDigits(b, v)
	case myBool:
		return strconv.AppendBool(b, string(v) != "0")
	case myFloat, myFloat32:
		bits := 64
		if c == myFloat32 {
			bits = 32
		}
		f, err := strconv.ParseFloat(string(v), bits)
		if err != nil {
			return appendString(b, v)
		}
		return appendFloat(b, f, bits)
	case myTimestamp:
		// "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; the zero timestamp is left as MySQL prints it.
		if len(v) >= 19 && v[10] == ' ' && string(v[:4]) != "0000" {
			b = append(b, '"')
			b = append(b, v[:10]...)
			b = append(b, 'T')
			b = append(b, v[11:]...)
			return append(b, 'Z', '"')
		}
		return appendString(b, v)
	case myJSON, myJSONBytes:
		// MariaDB's JSON is text with a json_valid CHECK that a session can switch off
		// (check_constraint_checks=0), and a SQL model's column is JSON by inference
		// (mariadb_json.go): text that is not valid JSON is sent as a string, never as is.
		// A record must be UTF-8, and MariaDB's JSON text need not be: a binary argument's
		// bytes are copied into it as they are (0xFF too), and its utf8mb4 holds a UTF-16
		// surrogate's bytes (0xEDA080), which json_valid takes. Such a value is a string, its
		// bad bytes U+FFFD (the text went out nested, bytes and all).
		if !utf8.Valid(v) {
			return appendString(b, v)
		}
		return appendJSONOrString(b, v)
	case myBinary:
		return appendScalar(b, v, kBytea)
	case myBit:
		var n uint64
		for _, x := range v {
			n = n<<8 | uint64(x)
		}
		return strconv.AppendUint(b, n, 10)
	case mySet:
		b = append(b, '[')
		if len(v) > 0 {
			for i, s := range strings.Split(string(v), ",") {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, []byte(s))
			}
		}
		return append(b, ']')
	}
	return appendString(b, v)
}

// appendDigits appends an exact number the server printed ("-12", "0.50", "2019") as a JSON
// number: leading zeros (YEAR's "0000") are dropped, anything else unexpected is a string.
func appendDigits(b, v []byte) []byte {
	s := v
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	for len(s) > 1 && s[0] == '0' && s[1] != '.' {
		s = s[1:]
	}
	if len(s) == 0 {
		return appendString(b, v)
	}
	dot := false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return appendString(b, v)
		}
	}
	if neg {
		b = append(b, '-')
	}
	return append(b, s...)
}

// KeyJSON of a MySQL or MariaDB key column. The key's text (CONVERT ... USING utf8mb4) is the
// bytes its value came as in the text protocol (keys whose bytes are not UTF-8 are invalid), so
// its delete names it as the column's codec sent its upserts: TIMESTAMP, TINYINT(1), the binary
// types, JSON, SET, FLOAT and DOUBLE (as their shortest digits: "1e20" is
// 100000000000000000000), YEAR ("0000" is 0) all differ from their text. A BIT key's text is its
// number in decimal (open), so it is that number (a key text read by an earlier version, the
// BIT's raw bytes, is not digits: a string).
func (m *MySQL) KeyJSON(col controlplane.Column) KeyJSON {
	var c myCodec
	switch col.Type {
	case "tinyint(1)":
		c = myBool
	case "json": // MariaDB's JSON included (describe names it so)
		c = myJSON
	default:
		c = myCodecFor(strings.ToUpper(col.Type), 0)
	}
	switch c {
	case myString:
		return nil
	case myBit:
		return appendDigits
	}
	return func(dst, key []byte) []byte { return c.appendJSON(dst, key) }
}
