//go:build cgo

package warehouse

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	bindings "github.com/duckdb/duckdb-go-bindings"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// DuckDB is the DuckDB driver, over github.com/duckdb/duckdb-go/v2 (cgo: a build without cgo
// has no duckdb kind). Models read Parquet, CSV and JSON files, local or remote, through
// DuckDB's own functions (read_parquet('...')), or the tables of a DuckDB file.
//
// Models only read: a database file is opened with access_mode READ_ONLY (so init_sql may load
// extensions, create secrets and ATTACH ... (READ_ONLY), not create tables); ":memory:" and
// "md:" databases are opened as they are. In every case the model must be one SELECT (DuckDB
// says so when it prepares it), and it is only run as a derived table of a SELECT. DuckDB has no
// statement_timeout setting: every read (describe, ping, a run's read) runs under a context
// with the connection's statement timeout, whose expiry interrupts the query
// (duckdb_interrupt, which the driver calls when a query's context ends); DuckDB has no lock
// waits, so there is no lock timeout.
//
// Values: every integer width (HUGEINT, UHUGEINT, UBIGINT too) and DECIMAL exact JSON numbers;
// FLOAT and DOUBLE numbers, NaN and ±Infinity the strings "NaN", "Infinity", "-Infinity";
// BOOLEAN; VARCHAR and ENUM strings; DATE "2019-12-08"; TIMESTAMP (and _S, _MS, _NS)
// "2019-12-08 14:19:52" (fraction only when present); TIMESTAMPTZ (and _NS) RFC 3339 in UTC; TIME
// "14:19:52"; INTERVAL as DuckDB prints it ("1 month 2 days 00:00:03"); UUID its text; BLOB
// base64; LIST and ARRAY arrays; STRUCT objects, fields in their order (an unnamed one,
// row(1, 'x'), an array, as to_json writes it); MAP an object when its keys are strings, else an
// array of {"key", "value"} objects; JSON nested as stored (inside a LIST or STRUCT too);
// TIMETZ, TIME_NS and BIT the string DuckDB prints; a UNION {"member": value}; a VARIANT the JSON
// to_json makes of it (its text is in the session's zone). A column of any
// other type is sent as the string DuckDB prints, BIGNUM as a number;
// a LIST, ARRAY, STRUCT or MAP holding such a type (or a VARIANT) with each such value as it is
// sent alone and the others by these rules (duckReadableNested), or, holding one in a MAP's key
// or a UNION, as the JSON DuckDB's to_json makes of it, each TIMESTAMPTZ in it as a UTC session
// writes it (duckUTCNested) (duckdb_vector.go reads the others from the result's vectors). JSON's text and to_json's are sent strict
// (appendStrictJSON): DuckDB's JSON may hold NaN and infinities (to_json writes a DOUBLE's so),
// sent as the strings "NaN", "Infinity", "-Infinity", and trailing commas, for which the text is
// sent as a string. A TIME of 24:00:00 is "24:00:00", as DuckDB prints it (appendDuckTime).
//
// The model is read once, as a streaming result of DuckDB's C API (open says why not through
// database/sql), and DuckDB's own memory is limited to DuckDBMemoryLimitMB unless init_sql sets
// memory_limit: the sort by key spills to disk past it, and a sort that still runs out starts
// again with four times the limit (Open).
//
// Key order: the runner sorts the rows by their key's text (duckKeyText: its VARCHAR cast, a
// TIMESTAMPTZ's in UTC) in byte order, whatever the database's default_collation (source.go
// states the rule).
type DuckDB struct {
	cfg     *controlplane.DuckDBConfig
	startMB int // memory_limit reads start with; 0: DuckDBMemoryLimitMB (tests set less)
}

func init() {
	register(controlplane.KindDuckDB, func(c *controlplane.Connection) Source { return &DuckDB{cfg: c.DuckDB} }, hideDuckDBValues)
}

// NewDuckDB returns the source of a DuckDB database.
func NewDuckDB(cfg *controlplane.DuckDBConfig) *DuckDB { return &DuckDB{cfg: cfg} }

func (d *DuckDB) Timeouts() (statement, lock time.Duration) {
	statement, _ = Timeouts(&controlplane.PostgresConfig{StatementTimeout: d.cfg.StatementTimeout})
	return statement, 0
}

// bounded is ctx limited by the statement timeout, and explain, which turns an error the limit
// caused into ErrStatementTimeout, and an error that came after ctx itself ended into one that
// wraps ctx's error; others are left as they are.
func (d *DuckDB) bounded(ctx context.Context) (context.Context, context.CancelFunc, func(error) error) {
	statement, _ := d.Timeouts()
	qctx, cancel := context.WithTimeout(ctx, statement)
	return qctx, cancel, func(err error) error {
		if err != nil && ctx.Err() == nil && errors.Is(qctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w (%s): make the query faster, or raise the connection's statement_timeout: %w",
				ErrStatementTimeout, FormatDuration(statement), err)
		}
		// The caller's context ended: DuckDB says only "INTERRUPT Error: Interrupted!" (under
		// "the warehouse rejected the model's SQL"), which callers must tell from a refusal, as
		// they do the other warehouses' errors (errors.Is(err, context.Canceled)).
		if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			return fmt.Errorf("the read was stopped (%w) before DuckDB answered: %w", context.Cause(ctx), err)
		}
		return err
	}
}

func (d *DuckDB) TableQuery(table string) string {
	return selectTable(table, quoteDuck)
}

// SchemaAndTable: a table named alone is in DuckDB's default schema, main (unless init_sql
// changes the search path, which Backflow does not read: it says main).
func (d *DuckDB) SchemaAndTable(table string) (schema, name string) {
	return controlplane.SplitTable(table, "main")
}

func (d *DuckDB) OneKeyedRow(query, keyColumn string) string {
	return fmt.Sprintf("SELECT * FROM %s WHERE m.%s IS NOT NULL LIMIT 1", wrapQuery(duckLexicon.statement(query)), quoteDuck(keyColumn))
}

func quoteDuck(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

// quoteDuckString is s as a DuckDB string literal.
func quoteDuckString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// duckDSN is the database as the driver opens it: a file read-only.
func (d *DuckDB) duckDSN() string {
	db := d.cfg.Database
	if db == "" || strings.HasPrefix(db, ":memory:") || strings.HasPrefix(db, "md:") || strings.HasPrefix(db, "motherduck:") {
		return db
	}
	return duckReadOnlyFile(db)
}

type duckConn struct {
	db   *sql.DB
	conn *sql.Conn
	// setsMemory: init_sql changed DuckDB's memory_limit (read before and after it runs), which
	// Backflow then leaves alone. init_sql that sets the very limit Backflow started with is
	// taken for Backflow's own: a read that runs out of it may start again with more.
	setsMemory bool
}

func (d *DuckDB) connect(ctx context.Context) (*duckConn, error) {
	return d.connectWith(ctx, DuckDBMemoryLimitMB)
}

// connectWith connects with DuckDB's memory_limit at limitMB (unless init_sql sets it).
func (d *DuckDB) connectWith(ctx context.Context, limitMB int) (*duckConn, error) {
	if problem := DuckDBDatabaseProblem(d.cfg.Database); problem != "" {
		return nil, errors.New("the DuckDB database is refused: it " + problem)
	}
	initSQL := d.cfg.InitSQL
	var setsMemory bool
	connector, err := duckdb.NewConnector(d.duckDSN(), func(execer driver.ExecerContext) error {
		if _, err := execer.ExecContext(ctx, duckDefaults(limitMB), nil); err != nil {
			return fmt.Errorf("set DuckDB's memory limit: %w", err)
		}
		if strings.TrimSpace(initSQL) != "" {
			before, err := duckMemoryLimit(ctx, execer)
			if err != nil {
				return err
			}
			if _, err := execer.ExecContext(ctx, initSQL, nil); err != nil {
				return fmt.Errorf("the connection's init_sql failed (its text is not shown, it may hold secrets): %w", hideInitSQL(initSQL, err))
			}
			after, err := duckMemoryLimit(ctx, execer)
			if err != nil {
				return err
			}
			setsMemory = before != after
		}
		return nil
	})
	if err != nil {
		return nil, duckOpenError(err)
	}
	db := sql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		_ = connector.Close()
		return nil, duckOpenError(err)
	}
	return &duckConn{db: db, conn: conn, setsMemory: setsMemory}, nil
}

// duckOpenError is err, which opening the database returned. A database file another process
// holds open for writing cannot be opened, read-only too (DuckDB's lock on the file): DuckDB says
// which process holds it, and this says what it means for runs.
func duckOpenError(err error) error {
	if strings.Contains(err.Error(), "Could not set lock on file") {
		return fmt.Errorf("open the DuckDB database: another process has the database file open for writing, and DuckDB "+
			"lets no other process read it meanwhile: this read fails, and the next one reads the file once that process "+
			"has closed it (have it close the file between writes, or write a copy and rename it into place): %w", err)
	}
	return fmt.Errorf("open the DuckDB database: %w", err)
}

// duckMemoryLimit reads DuckDB's memory_limit on a connection being set up.
func duckMemoryLimit(ctx context.Context, execer driver.ExecerContext) (string, error) {
	q, ok := execer.(driver.QueryerContext)
	if !ok {
		return "", errors.New("the DuckDB driver's connection cannot be queried while it is set up")
	}
	rows, err := q.QueryContext(ctx, "SELECT current_setting('memory_limit')", nil)
	if err != nil {
		return "", fmt.Errorf("read DuckDB's memory_limit: %w", err)
	}
	defer rows.Close()
	v := make([]driver.Value, 1)
	if err := rows.Next(v); err != nil {
		return "", fmt.Errorf("read DuckDB's memory_limit: %w", err)
	}
	return fmt.Sprint(v[0]), nil
}

func (c *duckConn) close() {
	_ = c.conn.Close()
	_ = c.db.Close()
}

func (d *DuckDB) Ping(ctx context.Context) error {
	ctx, cancel, explain := d.bounded(ctx)
	defer cancel()
	c, err := d.connect(ctx)
	if err != nil {
		return explain(err)
	}
	c.close()
	return nil
}

func (d *DuckDB) Describe(ctx context.Context, query string) ([]controlplane.Column, error) {
	ctx, cancel, explain := d.bounded(ctx)
	defer cancel()
	c, err := d.connect(ctx)
	if err != nil {
		return nil, explain(err)
	}
	defer c.close()
	cols, _, err := c.describe(ctx, query)
	return cols, explain(err)
}

// describe checks that query is one SELECT (DuckDB prepares it and says what it is), then
// reads the columns of its result with LIMIT 0. ast is DuckDB's parse of query (parse), which a
// read looks at the model's files in (modelFiles).
func (c *duckConn) describe(ctx context.Context, query string) (cols []controlplane.Column, ast string, err error) {
	query = duckLexicon.statement(query)
	// The driver's PrepareContext runs every statement but the last: count them first.
	if err := c.oneStatement(query); err != nil {
		return nil, "", err
	}
	// Its functions, from DuckDB's parse (nothing bound nor run yet).
	if ast, err = c.parse(ctx, query); err != nil {
		return nil, "", err
	}
	paths, err := c.paths(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := refuseDuckFunctions(ast, paths); err != nil {
		return nil, "", err
	}
	cols, err = c.columns(ctx, query)
	return cols, ast, err
}

// columns reads the columns of query's result, once describe has checked it is one SELECT that
// calls no function refused.
func (c *duckConn) columns(ctx context.Context, query string) ([]controlplane.Column, error) {
	conn, err := c.raw()
	if err != nil {
		return nil, err
	}
	err = c.conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("the DuckDB driver cannot prepare statements")
		}
		var st driver.Stmt
		err := interruptible(ctx, conn, func() (err error) {
			st, err = pc.PrepareContext(ctx, query)
			return err
		})
		if err != nil {
			return modelSQLRejected(err)
		}
		defer st.Close()
		ds, ok := st.(*duckdb.Stmt)
		if !ok {
			return nil
		}
		t, err := ds.StatementType()
		if err != nil {
			return err
		}
		if t != duckdb.STATEMENT_TYPE_SELECT {
			return fmt.Errorf("%w (one SELECT, optionally with WITH): this SQL is a statement of another kind (%s)",
				ErrNotReadOnly, duckStatementName(t))
		}
		return duckUniqueNames(ds)
	})
	if err != nil {
		return nil, err
	}
	rows, err := c.conn.QueryContext(ctx, "SELECT * FROM "+wrapQuery(query)+" LIMIT 0")
	if err != nil {
		return nil, modelSQLRejected(err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]controlplane.Column, len(types))
	seen := map[string]bool{}
	for i, t := range types {
		if seen[t.Name()] {
			return nil, fmt.Errorf("the model's SQL returns the column %q more than once: give each column its own name (AS ...)", t.Name())
		}
		seen[t.Name()] = true
		cols[i] = controlplane.Column{Name: t.Name(), Type: strings.ToLower(t.DatabaseTypeName())}
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		return nil, modelSQLRejected(err)
	}
	return cols, c.nameTypes(ctx, query, cols)
}

// duckUniqueNames refuses a model whose result names a column twice, as DuckDB compares names:
// ignoring the case of ASCII letters (not of others: "É" and "é" are two names). A run reads the model as a derived table, where DuckDB renames the second
// ("a" and "A" become "a" and "A_1"), so its records would carry a field the model never named.
func duckUniqueNames(st *duckdb.Stmt) error {
	n, err := st.ColumnCount()
	if err != nil {
		return err
	}
	seen := make(map[string]string, n)
	for i := range n {
		name, err := st.ColumnName(i)
		if err != nil {
			return err
		}
		folded := strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}, name)
		switch first, ok := seen[folded]; {
		case !ok:
			seen[folded] = name
		case first == name:
			return fmt.Errorf("the model's SQL returns the column %q more than once: give each column its own name (AS ...)", name)
		default:
			return fmt.Errorf("the model's SQL returns the columns %q and %q, one name to DuckDB, which ignores case in "+
				"names (a read would send the second renamed): give each column its own name (AS ...)", first, name)
		}
	}
	return nil
}

// parse is DuckDB's parse of query, as JSON (json_serialize_sql): nothing bound nor run.
func (c *duckConn) parse(ctx context.Context, query string) (string, error) {
	var ast string
	if err := c.conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(?) AS VARCHAR)", query).Scan(&ast); err != nil {
		return "", modelSQLRejected(err)
	}
	return ast, nil
}

// paths is where the connection reads a model's paths from, as init_sql set it (duckPaths).
func (c *duckConn) paths(ctx context.Context) (duckPaths, error) {
	var p duckPaths
	var search string
	if err := c.conn.QueryRowContext(ctx, "SELECT current_setting('home_directory'), current_setting('file_search_path')").
		Scan(&p.home, &search); err != nil {
		return p, fmt.Errorf("read the connection's home_directory and file_search_path: %w", err)
	}
	for _, dir := range strings.Split(search, ",") {
		// As written and without blanks around it: each is checked, whichever DuckDB reads.
		for _, d := range []string{dir, strings.TrimSpace(dir)} {
			if d != "" && !slices.Contains(p.search, d) {
				p.search = append(p.search, d)
			}
		}
	}
	return p, nil
}

// nameTypes names the types the database/sql driver has no name for (TIMESTAMPTZ_NS, TIME_NS:
// it says ""), as DuckDB's DESCRIBE does ("timestamptz_ns"): KeyJSON picks a key's JSON by its
// type's name.
func (c *duckConn) nameTypes(ctx context.Context, query string, cols []controlplane.Column) error {
	if !slices.ContainsFunc(cols, func(c controlplane.Column) bool { return c.Type == "" }) {
		return nil
	}
	rows, err := c.conn.QueryContext(ctx, "SELECT column_type FROM (DESCRIBE SELECT * FROM "+wrapQuery(query)+")")
	if err != nil {
		return modelSQLRejected(err)
	}
	defer rows.Close()
	for i := 0; rows.Next(); i++ {
		var typ string
		if err := rows.Scan(&typ); err != nil {
			return err
		}
		if i < len(cols) && cols[i].Type == "" {
			cols[i].Type = strings.ToLower(typ)
		}
	}
	return rows.Err()
}

func duckStatementName(t duckdb.StmtType) string {
	switch t {
	case duckdb.STATEMENT_TYPE_INSERT:
		return "INSERT"
	case duckdb.STATEMENT_TYPE_UPDATE:
		return "UPDATE"
	case duckdb.STATEMENT_TYPE_DELETE:
		return "DELETE"
	case duckdb.STATEMENT_TYPE_CREATE:
		return "CREATE"
	case duckdb.STATEMENT_TYPE_EXPLAIN:
		return "EXPLAIN"
	case duckdb.STATEMENT_TYPE_PREPARE:
		return "PREPARE"
	case duckdb.STATEMENT_TYPE_EXECUTE:
		return "EXECUTE"
	case duckdb.STATEMENT_TYPE_ALTER:
		return "ALTER"
	case duckdb.STATEMENT_TYPE_TRANSACTION:
		return "a transaction's BEGIN, COMMIT or ROLLBACK"
	case duckdb.STATEMENT_TYPE_COPY:
		return "COPY"
	case duckdb.STATEMENT_TYPE_ANALYZE:
		return "ANALYZE"
	case duckdb.STATEMENT_TYPE_VARIABLE_SET, duckdb.STATEMENT_TYPE_SET:
		return "SET, RESET or USE"
	case duckdb.STATEMENT_TYPE_CREATE_FUNC:
		return "CREATE FUNCTION"
	case duckdb.STATEMENT_TYPE_DROP:
		return "DROP"
	case duckdb.STATEMENT_TYPE_EXPORT:
		return "EXPORT DATABASE"
	case duckdb.STATEMENT_TYPE_PRAGMA:
		return "PRAGMA"
	case duckdb.STATEMENT_TYPE_VACUUM:
		return "VACUUM or ANALYZE"
	case duckdb.STATEMENT_TYPE_CALL:
		return "CALL or CHECKPOINT"
	case duckdb.STATEMENT_TYPE_LOAD:
		return "INSTALL or LOAD"
	case duckdb.STATEMENT_TYPE_ATTACH:
		return "ATTACH"
	case duckdb.STATEMENT_TYPE_DETACH:
		return "DETACH"
	case duckdb.STATEMENT_TYPE_MULTI:
		// PIVOT without IN (...) creates an ENUM of the values it finds before its query.
		return "several statements in one: a PIVOT without IN (...) creates a type of its values first; " +
			"name them: PIVOT ... ON col IN ('a', 'b')"
	}
	return "type " + strconv.Itoa(int(t))
}

// Open reads the model under one statement timeout for the whole read, as Postgres's does
// for its one query, in DuckDB's order (Read sorts the rows by key: DuckDB's own sort, under
// a memory limit a runner can afford, spilled and merged at several times the cost of the read,
// and its memory grew with the model). When a model (its own joins, aggregates or ORDER BY) runs
// out of Backflow's memory_limit before the first row, the read starts again with four times
// the limit, up to DuckDBMaxMemoryLimitMB, rather than failing (init_sql that sets memory_limit
// decides alone).
func (d *DuckDB) Open(ctx context.Context, query, keyColumn string, since *Since) (Stream, error) {
	qctx, cancel, explain := d.bounded(ctx)
	for limit := d.memoryLimitMB(); ; limit = min(limit*4, DuckDBMaxMemoryLimitMB) {
		c, err := d.connectWith(qctx, limit)
		if err != nil {
			cancel()
			return nil, explain(err)
		}
		r, err := c.open(qctx, query, keyColumn, since)
		if err != nil {
			c.close()
			if errors.Is(err, errDuckOutOfMemory) {
				if limit < DuckDBMaxMemoryLimitMB && !c.setsMemory {
					continue
				}
				how := fmt.Sprintf("memory_limit %d MB", limit)
				if c.setsMemory {
					how = "the memory_limit init_sql sets"
				}
				err = fmt.Errorf("%w (%s): %s", err, how, duckOutOfMemoryHint(err))
			}
			cancel()
			return nil, explain(err)
		}
		r.cancel, r.explain = cancel, explain
		return r, nil
	}
}

// memoryLimitMB is the memory_limit reads start with.
func (d *DuckDB) memoryLimitMB() int { return cmp.Or(d.startMB, DuckDBMemoryLimitMB) }

// errDuckOutOfMemory: DuckDB ran out of its memory_limit.
var errDuckOutOfMemory = errors.New("DuckDB ran out of memory")

// duckOutOfMemory: err is DuckDB's "Out of Memory Error: ...", or the same error as JSON,
// {"exception_type":"Out of Memory", ...}, as init_sql's SET errors_as_json = true writes it.
func duckOutOfMemory(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Out of Memory Error") || strings.Contains(msg, `"exception_type":"Out of Memory"`)
}

// duckOutOfMemoryHint says what to do about a read that ran out of DuckDB's memory_limit: set a
// higher one, or, when DuckDB could not spill what did not fit either (its temp_directory full:
// the disk's free space, or max_temp_directory_size), make room there.
func duckOutOfMemoryHint(err error) string {
	if strings.Contains(err.Error(), "max_temp_directory_size") {
		return fmt.Sprintf("DuckDB spills what does not fit its memory_limit to its temp_directory, %s unless init_sql sets "+
			"another (TMPDIR sets where it is), and that is full: free space there, point TMPDIR at a directory with room "+
			"for it, or set a higher memory_limit in the connection's init_sql", duckTempDirectory())
	}
	return "set a higher memory_limit in the connection's init_sql"
}

// open runs the model once as a streaming result, in DuckDB's order: DuckDB hands the rows over
// chunk by chunk, which are encoded from the chunk's memory (duckdb_vector.go). The database/sql driver materializes
// every result before its first row, so the read goes through DuckDB's C API on the same
// connection (duckRawConn).
func (c *duckConn) open(ctx context.Context, query, keyColumn string, since *Since) (*duckRows, error) {
	query = duckLexicon.statement(query)
	cols, ast, err := c.describe(ctx, query)
	if err != nil {
		return nil, err
	}
	if err := HasKey(cols, keyColumn); err != nil {
		return nil, err
	}
	where, sinceArgs, err := duckSince(cols, since)
	if err != nil {
		return nil, err
	}
	conn, err := c.raw()
	if err != nil {
		return nil, err
	}
	// Types the encoder cannot read from a vector are read as DuckDB prints them: a scalar
	// (BIGNUM, ...) as its text; a nested type holding one with each such value in it made one
	// the encoder reads as that value alone is sent (duckReadableNested), else (a MAP key or a
	// UNION member holding one) as the JSON DuckDB's to_json makes of it. A VARIANT is read as
	// to_json's JSON too: its text is in the session's TimeZone (one holding a TIMESTAMPTZ), its
	// JSON in UTC.
	plain := make([]string, len(cols))
	for i, col := range cols {
		plain[i] = "m." + quoteDuck(col.Name)
	}
	var types []*duckType
	var ids []bindings.Type
	var utc, readable []string
	err = interruptible(ctx, conn, func() (err error) {
		types, ids, utc, readable, err = duckResultTypes(conn, plain, "SELECT "+strings.Join(plain, ", ")+" FROM "+wrapQuery(query)+" LIMIT 0")
		return err
	})
	if err != nil {
		return nil, err
	}
	list := make([]string, 0, len(cols)+1)
	keyAt := -1
	for i, t := range types {
		switch {
		case t != nil:
			list = append(list, plain[i])
		case readable[i] != "":
			list = append(list, readable[i])
		case duckNested(ids[i]):
			list = append(list, "CAST(to_json("+utc[i]+") AS VARCHAR)")
		case ids[i] == bindings.TypeVariant:
			list = append(list, "CAST(to_json("+plain[i]+") AS VARCHAR)")
		default:
			list = append(list, "CAST("+plain[i]+" AS VARCHAR)")
		}
		if cols[i].Name == keyColumn {
			keyAt = i
		}
	}
	// The rows come in DuckDB's order and the runner sorts them (sortByKey): a VARCHAR key (the
	// usual one) is read as it is; any other is read as its text too, an extra last column (a
	// nested one's with its TIMESTAMPTZs in UTC: duckUTCNested).
	k := "m." + quoteDuck(keyColumn)
	nestedKey := -1 // duckRows.nestedKey
	if t := types[keyAt]; t == nil || t.id != bindings.TypeVarchar || t.raw {
		if k = duckKeyText(k, ids[keyAt]); duckNested(ids[keyAt]) {
			k = "CAST(" + utc[keyAt] + " AS VARCHAR)"
			nestedKey = keyAt
		}
		list = append(list, k)
		keyAt = len(cols)
	}
	q := "SELECT " + strings.Join(list, ", ") + " FROM " + wrapQuery(query) + " WHERE " + where
	// The files the read opens, looked at again once it has ended (duckFiles).
	files, err := c.modelFiles(ctx, ast)
	if err != nil {
		return nil, err
	}
	s, err := startDuckStream(ctx, conn, q, sinceArgs...)
	if err != nil {
		return nil, err
	}
	// The first chunk is fetched here: a model that sorts or aggregates does so before it,
	// which is when it may run out of memory (Open then tries again with more).
	first, err := s.next()
	if err != nil && err != io.EOF {
		s.close()
		if err = c.ended(ctx, files, err); duckOutOfMemory(err) {
			return nil, fmt.Errorf("%w: %w", errDuckOutOfMemory, err)
		}
		return nil, fmt.Errorf("read the model from the warehouse: %w", err)
	}
	r := &duckRows{c: c, s: s, ctx: ctx, files: files, cols: cols, key: keyAt, nestedKey: nestedKey,
		types: make([]*duckType, len(list)), vecs: make([]duckVec, len(list)), primed: first, done: err == io.EOF}
	for i := range r.types {
		// The result's column types, read before a read of no rows closes it below.
		var terr error
		if r.types[i], terr = newDuckType(bindings.ColumnLogicalType(&s.res, bindings.IdxT(i))); terr != nil {
			s.close()
			return nil, fmt.Errorf("column %q: %w", cols[min(i, len(cols)-1)].Name, terr)
		}
		if i < len(cols) && types[i] == nil && readable[i] == "" {
			// Read as text: to_json's JSON and BIGNUM's digits as they are, the others strings.
			r.types[i].raw, r.types[i].number = duckNested(ids[i]) || ids[i] == bindings.TypeVariant, ids[i] == bindings.TypeBigNum
		}
	}
	if err == io.EOF { // no rows: the files are looked at now (the result closed first: ended)
		s.close()
		if err := c.ended(ctx, files, io.EOF); err != io.EOF {
			return nil, fmt.Errorf("read the model from the warehouse: %w", err)
		}
	}
	return r, nil
}

// duckKeyText is the text of key column k (of type id) as the ledger keeps it: its VARCHAR cast,
// which for a TIMESTAMPTZ is written in the session's time zone and calendar (init_sql's
// TimeZone and Calendar, else the host's zone and the Gregorian calendar): so a TIMESTAMPTZ's is
// made in UTC, as a UTC session writes it ("2020-01-02 03:04:05.5+00"), which KeyJSON turns into
// the value's JSON and which does not change with the zone the runner runs in, from its
// microseconds since 1970 (make_timestamp(epoch_us(k))): timezone('UTC', k) follows Calendar
// (SET Calendar = 'japanese' made 2020 the year 0002).
//
// A TIMESTAMPTZ_NS's is made so from its nanoseconds (make_timestamp_ns(epoch_ns(k))), which
// are NULL for ±infinity (isinf does not take one): then its VARCHAR cast, "infinity". A
// VARIANT's is its JSON (to_json), as its value is sent: its cast is in the session's zone. A
// FLOAT's or DOUBLE's NaN is "nan", with its sign bit set too (its cast says "-nan"): DuckDB
// takes every NaN for the same value, and each is sent as "NaN", so two are one key twice (a
// duplicate), not two records the receiver cannot tell apart.
func duckKeyText(k string, id bindings.Type) string {
	switch id {
	case bindings.TypeTimestampTZ:
		return "CASE WHEN isinf(" + k + ") THEN CAST(" + k + " AS VARCHAR) ELSE CAST(make_timestamp(epoch_us(" + k + ")) AS VARCHAR) || '+00' END"
	case bindings.TypeTimestampTZNS:
		return "coalesce(CAST(make_timestamp_ns(epoch_ns(" + k + ")) AS VARCHAR) || '+00', CAST(" + k + " AS VARCHAR))"
	case bindings.TypeVariant:
		return "CAST(to_json(" + k + ") AS VARCHAR)"
	case bindings.TypeFloat, bindings.TypeDouble:
		return "CASE WHEN isnan(" + k + ") THEN 'nan' ELSE CAST(" + k + " AS VARCHAR) END"
	}
	return "CAST(" + k + " AS VARCHAR)"
}

// duckUnnamedStruct: a STRUCT of lt whose fields have no names, as row(1, 'x') makes.
func duckUnnamedStruct(lt bindings.LogicalType) bool {
	n := bindings.StructTypeChildCount(lt)
	for i := range n {
		if bindings.StructTypeChildName(lt, i) != "" {
			return false
		}
	}
	return n > 0
}

func duckNested(id bindings.Type) bool {
	switch id {
	case bindings.TypeList, bindings.TypeArray, bindings.TypeStruct, bindings.TypeMap, bindings.TypeUnion:
		return true
	}
	return false
}

// duckResultTypes prepares q, whose columns are exprs, and returns its columns' types and type
// ids; the type is nil for one the encoder cannot read from a vector. utc[i], for a nested
// column, is exprs[i] with its TIMESTAMPTZs written in UTC (duckUTCNested): what to_json is
// given for one the encoder cannot read, and what a nested key's text is cast from. readable[i],
// for a nested column the encoder cannot read, is exprs[i] made one it reads
// (duckReadableNested), or "" when it cannot be.
func duckResultTypes(conn bindings.Connection, exprs []string, q string) (types []*duckType, ids []bindings.Type, utc, readable []string, err error) {
	var st bindings.PreparedStatement
	if bindings.Prepare(conn, q, &st) == bindings.StateError {
		err := errors.New(bindings.PrepareError(st))
		bindings.DestroyPrepare(&st)
		return nil, nil, nil, nil, modelSQLRejected(err)
	}
	defer bindings.DestroyPrepare(&st)
	n := bindings.PreparedStatementColumnCount(st)
	types, ids, utc, readable = make([]*duckType, n), make([]bindings.Type, n), make([]string, n), make([]string, n)
	for i := range n {
		ids[i] = bindings.PreparedStatementColumnType(st, i)
		if t, err := newDuckType(bindings.PreparedStatementColumnLogicalType(st, i)); err == nil {
			types[i] = t
		}
		if int(i) < len(exprs) && duckNested(ids[i]) {
			lt := bindings.PreparedStatementColumnLogicalType(st, i)
			utc[i], _ = duckUTCNested(exprs[i], lt, 1)
			if types[i] == nil {
				if e, _, ok := duckReadableNested(exprs[i], lt, 1); ok {
					readable[i] = e
				}
			}
			bindings.DestroyLogicalType(&lt)
		}
	}
	return types, ids, utc, readable, nil
}

// duckReadableNested returns expr, a LIST, ARRAY, STRUCT or MAP of type lt, with each value in
// it (at any depth) of a type the encoder cannot read from a vector replaced by one it reads
// and sends as that value alone is sent: a BIGNUM by its digits as JSON (an exact number), a
// VARIANT by its to_json (as JSON), a GEOMETRY by its text (WKT); whether it changed anything;
// and false when it cannot (such a value in a MAP's key or in a UNION). Every other value in it
// is then read from vectors and sent by the type table's rules, as it is outside the nested
// value: read whole as to_json's JSON, a BLOB beside a BIGNUM was "\xFF" (not base64), a FLOAT
// 0.10000000149011612, a TIMESTAMPTZ not RFC 3339, a date BC "0044-03-15 (BC)", a MAP of
// INTEGER keys an object. depth names the lambdas' variables (e1, e2, ...), as duckUTCNested's.
func duckReadableNested(expr string, lt bindings.LogicalType, depth int) (string, bool, bool) {
	v := "e" + strconv.Itoa(depth)
	switch bindings.GetTypeId(lt) {
	case bindings.TypeBigNum:
		return "CAST(CAST(" + expr + " AS VARCHAR) AS JSON)", true, true
	case bindings.TypeVariant:
		return "to_json(" + expr + ")", true, true
	case bindings.TypeGeometry:
		return "CAST(" + expr + " AS VARCHAR)", true, true
	case bindings.TypeAny, bindings.TypeInvalid, bindings.TypeStringLiteral, bindings.TypeIntegerLiteral:
		return expr, false, false
	case bindings.TypeList, bindings.TypeArray:
		var child bindings.LogicalType
		if bindings.GetTypeId(lt) == bindings.TypeList {
			child = bindings.ListTypeChildType(lt)
		} else {
			child = bindings.ArrayTypeChildType(lt)
		}
		defer bindings.DestroyLogicalType(&child)
		e, changed, ok := duckReadableNested(v, child, depth+1)
		if !ok || !changed {
			return expr, false, ok
		}
		return "list_transform(" + expr + ", lambda " + v + ": " + e + ")", true, true
	case bindings.TypeStruct:
		return duckStructRewritten(expr, lt, func(field string, child bindings.LogicalType) (string, bool, bool) {
			return duckReadableNested(field, child, depth)
		})
	case bindings.TypeMap:
		key, value := bindings.MapTypeKeyType(lt), bindings.MapTypeValueType(lt)
		defer bindings.DestroyLogicalType(&key)
		defer bindings.DestroyLogicalType(&value)
		// A key made text would make the MAP an object (of string keys), not what its type says.
		if _, changed, ok := duckReadableNested("k", key, depth+1); !ok || changed {
			return expr, false, false
		}
		val, changed, ok := duckReadableNested("struct_extract("+v+", 'value')", value, depth+1)
		if !ok || !changed {
			return expr, false, ok
		}
		return "CASE WHEN " + expr + " IS NULL THEN NULL ELSE map_from_entries(list_transform(map_entries(" + expr +
			"), lambda " + v + ": {'key': struct_extract(" + v + ", 'key'), 'value': " + val + "})) END", true, true
	case bindings.TypeUnion:
		n := bindings.UnionTypeMemberCount(lt)
		for i := range n {
			m := bindings.UnionTypeMemberType(lt, i)
			_, changed, ok := duckReadableNested("m", m, depth+1)
			bindings.DestroyLogicalType(&m)
			if !ok || changed {
				return expr, false, false
			}
		}
	}
	return expr, false, true
}

// duckStructRewritten is expr, a STRUCT of type lt, made again of its fields each as rewrite
// returns it (given the field's expression and type), when rewrite changed any; expr itself
// when none changed, or when rewrite could not (its third result false). An unnamed STRUCT
// (row(1, 'x')), whose fields have no names, is read and made by position: struct_extract(s, 1)
// and row(...); a named one by name, with struct_pack.
func duckStructRewritten(expr string, lt bindings.LogicalType,
	rewrite func(field string, child bindings.LogicalType) (string, bool, bool)) (string, bool, bool) {
	n := bindings.StructTypeChildCount(lt)
	unnamed := duckUnnamedStruct(lt)
	fields, changed := make([]string, n), false
	for i := range n {
		child := bindings.StructTypeChildType(lt, i)
		name := bindings.StructTypeChildName(lt, i)
		field := quoteDuckString(name)
		if unnamed {
			field = strconv.Itoa(int(i) + 1)
		}
		e, ch, ok := rewrite("struct_extract("+expr+", "+field+")", child)
		bindings.DestroyLogicalType(&child)
		if !ok {
			return expr, false, false
		}
		if !unnamed {
			e = quoteDuck(name) + " := " + e
		}
		fields[i], changed = e, changed || ch
	}
	if !changed {
		return expr, false, true
	}
	ctor := "struct_pack("
	if unnamed {
		ctor = "row("
	}
	return "CASE WHEN " + expr + " IS NULL THEN NULL ELSE " + ctor + strings.Join(fields, ", ") + ") END", true, true
}

// duckUTCNested returns expr, of type lt, with every TIMESTAMPTZ in it (in a LIST, ARRAY,
// STRUCT or MAP, at any depth) replaced by its text in UTC as duckKeyText writes it, and
// whether it held one. to_json writes a TIMESTAMPTZ as its VARCHAR cast, in the session's
// TimeZone and Calendar ("2020-01-02 08:49:05.5+05:45" in Asia/Kathmandu): a nested value the
// encoder cannot read from vectors (one holding a BIGNUM, ...) is given to to_json so, and its
// JSON is what a UTC session writes ("2020-01-02 03:04:05.5+00") whatever init_sql SETs. A
// VARIANT (or TIMESTAMPTZ_NS) in it is replaced so too, and a GEOMETRY by its text (WKT,
// "POINT (1 2)", as one is sent alone), which to_json writes as init_sql's json_geometry_format
// says (GeoJSON objects with 'GEOJSON'). A UNION is left as it is. depth names the lambdas'
// variables (e1, e2, ...).
func duckUTCNested(expr string, lt bindings.LogicalType, depth int) (string, bool) {
	v := "e" + strconv.Itoa(depth)
	switch bindings.GetTypeId(lt) {
	case bindings.TypeTimestampTZ, bindings.TypeTimestampTZNS:
		return duckKeyText(expr, bindings.GetTypeId(lt)), true
	case bindings.TypeGeometry:
		return "CAST(" + expr + " AS VARCHAR)", true
	case bindings.TypeVariant:
		// Its JSON, which is in UTC (its VARCHAR cast is in the session's zone), nested as
		// JSON in to_json's.
		return "to_json(" + expr + ")", true
	case bindings.TypeList, bindings.TypeArray:
		var child bindings.LogicalType
		if bindings.GetTypeId(lt) == bindings.TypeList {
			child = bindings.ListTypeChildType(lt)
		} else {
			child = bindings.ArrayTypeChildType(lt)
		}
		defer bindings.DestroyLogicalType(&child)
		if e, ok := duckUTCNested(v, child, depth+1); ok {
			return "list_transform(" + expr + ", lambda " + v + ": " + e + ")", true
		}
	case bindings.TypeStruct:
		e, changed, _ := duckStructRewritten(expr, lt, func(field string, child bindings.LogicalType) (string, bool, bool) {
			e, changed := duckUTCNested(field, child, depth)
			return e, changed, true
		})
		return e, changed
	case bindings.TypeMap:
		key, value := bindings.MapTypeKeyType(lt), bindings.MapTypeValueType(lt)
		defer bindings.DestroyLogicalType(&key)
		defer bindings.DestroyLogicalType(&value)
		// struct_extract, not v.key: a model's column named as the variable (e1) would be
		// read instead of it (its field key, or a binder error).
		k, kok := duckUTCNested("struct_extract("+v+", 'key')", key, depth+1)
		val, vok := duckUTCNested("struct_extract("+v+", 'value')", value, depth+1)
		if kok || vok {
			return "CASE WHEN " + expr + " IS NULL THEN NULL ELSE map_from_entries(list_transform(map_entries(" + expr +
				"), lambda " + v + ": {'key': " + k + ", 'value': " + val + "})) END", true
		}
	}
	return expr, false
}

// raw is the connection's DuckDB handle, for the C API. duckdb-go/v2 (v2.20000.0) has no public
// way to it or to a streaming result: its database/sql rows are a materialized result
// (duckdb_pending_prepared, not the streaming variant), Conn.Raw hands over the *duckdb.Conn
// whose handle is an unexported field, and its Arrow reader needs the duckdb_arrow build tag
// and Apache Arrow's module. So the field is read (by reflection, nothing written) while c
// holds the connection, which no one else uses until c closes it. A driver version that moved
// it fails here, with this message, in TestDuckDBRawConnection (which also checks the handle
// is the connection init_sql ran on) and in every DuckDB test: never a silent fallback.
func (c *duckConn) raw() (bindings.Connection, error) {
	var conn bindings.Connection
	err := c.conn.Raw(func(dc any) error {
		v := reflect.ValueOf(dc)
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() == reflect.Struct {
			if f := v.FieldByName("conn"); f.IsValid() && f.CanAddr() && f.Type() == reflect.TypeFor[bindings.Connection]() {
				conn = *(*bindings.Connection)(unsafe.Pointer(f.UnsafeAddr()))
			}
		}
		if conn.Ptr == nil {
			return errors.New("this version of the DuckDB driver (github.com/duckdb/duckdb-go/v2) does not keep its " +
				"connection where Backflow looks for it: Backflow was built with a driver it was not tested with")
		}
		return nil
	})
	return conn, err
}

// interruptible runs fn, which prepares a statement on conn, with the end of ctx interrupting it
// (duckdb_interrupt), and does not start it once ctx has ended. DuckDB evaluates a model's
// constant expressions while it prepares it, and the driver interrupts its queries when their
// context ends but not its PrepareContext: a model whose one row computes for long (a lambda
// over a large list) ran each prepare to its end, 26 s under a statement_timeout of 2 s, one
// after the other (a describe and a read prepare the model several times).
func interruptible(ctx context.Context, conn bindings.Connection, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	wait := interruptOnDone(ctx, conn)
	err := fn()
	wait() // no interrupt may outlive fn: the next statement would be the one interrupted
	return err
}

// interruptOnDone makes the end of ctx interrupt what runs on conn (duckdb_interrupt) until the
// wait it returns is called; wait returns once no interrupt runs or will run on conn, which may
// then run another statement or be closed. Call wait once.
func interruptOnDone(ctx context.Context, conn bindings.Connection) (wait func()) {
	stopped := make(chan struct{}) // closed once an interrupt that started has returned
	stop := context.AfterFunc(ctx, func() {
		defer close(stopped)
		bindings.Interrupt(conn)
	})
	return func() {
		if !stop() {
			<-stopped
		}
	}
}

// duckStream is a streaming result of DuckDB's C API, with the chunk being read.
type duckStream struct {
	conn      bindings.Connection
	res       bindings.Result
	chunk     bindings.DataChunk
	size, row uint64
	// wait makes sure no interrupt is running or will run on the connection, which may be closed
	// next (interruptOnDone).
	wait   func()
	closed bool
}

// startDuckStream runs q as a streaming result. The end of ctx interrupts it (duckdb_interrupt)
// while it runs or is read.
func startDuckStream(ctx context.Context, conn bindings.Connection, q string, args ...string) (*duckStream, error) {
	s := &duckStream{conn: conn, wait: interruptOnDone(ctx, conn)}
	var st bindings.PreparedStatement
	if bindings.Prepare(conn, q, &st) == bindings.StateError {
		err := errors.New(bindings.PrepareError(st))
		bindings.DestroyPrepare(&st)
		s.close()
		return nil, modelSQLRejected(err)
	}
	defer bindings.DestroyPrepare(&st)
	for i, a := range args {
		if bindings.BindVarchar(st, bindings.IdxT(i+1), a) == bindings.StateError {
			s.close()
			return nil, fmt.Errorf("bind the cursor's value: %s", bindings.PrepareError(st))
		}
	}
	var pending bindings.PendingResult
	if bindings.PendingPreparedStreaming(st, &pending) == bindings.StateError {
		err := errors.New(bindings.PendingError(pending))
		bindings.DestroyPending(&pending)
		s.close()
		return nil, modelSQLRejected(err)
	}
	state := bindings.ExecutePending(pending, &s.res)
	bindings.DestroyPending(&pending)
	if state == bindings.StateError {
		err := errors.New(bindings.ResultError(&s.res))
		bindings.DestroyResult(&s.res)
		s.closed = true
		s.wait()
		return nil, modelSQLRejected(err)
	}
	return s, nil
}

// next moves to the next row, fetching a chunk when the current one is read; false at the end
// or on an error.
func (s *duckStream) next() (fetched bool, err error) {
	if s.row+1 < s.size {
		s.row++
		return false, nil
	}
	for {
		if s.chunk.Ptr != nil {
			bindings.DestroyDataChunk(&s.chunk)
			s.chunk.Ptr = nil
		}
		s.chunk = bindings.FetchChunk(s.res)
		if s.chunk.Ptr == nil {
			s.size, s.row = 0, 0
			if msg := bindings.ResultError(&s.res); msg != "" {
				return false, errors.New(msg)
			}
			return false, io.EOF
		}
		if s.size = uint64(bindings.DataChunkGetSize(s.chunk)); s.size > 0 {
			s.row = 0
			return true, nil
		}
	}
}

func (s *duckStream) close() {
	if s.closed {
		return
	}
	s.closed = true
	if s.chunk.Ptr != nil {
		bindings.DestroyDataChunk(&s.chunk)
	}
	bindings.DestroyResult(&s.res)
	s.wait()
}

// duckRows streams a DuckDB model in DuckDB's order.
type duckRows struct {
	c       *duckConn
	s       *duckStream
	ctx     context.Context // the read's, under which its files are looked at again at its end
	files   *duckFiles
	cancel  context.CancelFunc
	explain func(error) error // names a statement timeout
	cols    []controlplane.Column
	types   []*duckType // the columns', then the key's text unless the key is a VARCHAR column
	vecs    []duckVec   // the current chunk's vectors
	key     int         // the vector of the key's text
	// nestedKey: the key column, when it is a LIST, ARRAY, STRUCT, MAP or UNION (streamKeyJSON); else -1.
	nestedKey int
	primed    bool // the first chunk is fetched and not yet read
	err       error
	done      bool
	closed    bool
}

func (r *duckRows) Columns() []controlplane.Column { return r.cols }

func (r *duckRows) Next() bool {
	if r.done {
		return false
	}
	fetched, err := true, error(nil)
	if r.primed { // the first chunk, fetched by open
		r.primed = false
	} else {
		fetched, err = r.s.next()
	}
	if err != nil {
		r.s.close()
		err = r.c.ended(r.ctx, r.files, err)
	}
	if err != nil {
		r.done = true
		if err != io.EOF {
			if duckOutOfMemory(err) {
				err = fmt.Errorf("%w: %s", err, duckOutOfMemoryHint(err))
			}
			r.err = fmt.Errorf("read the model from the warehouse: %w", r.explain(err))
		}
		return false
	}
	if fetched {
		for i, t := range r.types {
			r.vecs[i] = bindDuckVec(bindings.DataChunkGetVector(r.s.chunk, bindings.IdxT(i)), t)
		}
	}
	return true
}

// Key is the key's bytes in the chunk, valid until Next (the next chunk is fetched there).
func (r *duckRows) Key() ([]byte, bool) {
	v := &r.vecs[r.key]
	if v.null(r.s.row) {
		return nil, true
	}
	return v.bytes(r.s.row), false
}

// streamKeyJSON: a nested key's text is DuckDB's cast of it (['a', NULL], {'a': 1}), while its
// records carry its JSON (["a",null], {"a":1}), which that text does not always say (a string
// and a number print alike): a mirror's deletes, which have only the text, cannot name such a
// key, and so a mirror sync cannot key on one (the runner fails its runs, saying so).
func (r *duckRows) streamKeyJSON() (KeyJSON, error) {
	if r.nestedKey >= 0 {
		col := r.cols[r.nestedKey]
		return nil, fmt.Errorf("its key column %q is a DuckDB %s: a mirror's deletes have only the key's text, DuckDB's VARCHAR cast of it, "+
			"and cannot name the record as its upserts did (as JSON): key the sync on a column of text instead, such as CAST(to_json(%s) AS VARCHAR)",
			col.Name, col.Type, quoteDuck(col.Name))
	}
	return nil, nil
}

func (r *duckRows) AppendValue(buf []byte, col int) []byte {
	return r.vecs[col].appendJSON(buf, r.s.row)
}

func (r *duckRows) AppendObject(buf []byte, cols []int, names [][]byte) []byte {
	return appendObject(r, buf, cols, names)
}

func (r *duckRows) Err() error { return r.err }

func (r *duckRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed, r.done = true, true
	r.s.close()
	r.cancel()
	r.c.close()
	return nil
}

// duckSince is the condition of a read narrowed by since (nil: "true") and its argument, cast
// to the column's type; DuckDB pushes it into the scan of a Parquet file (row groups whose
// statistics exclude it are skipped).
func duckSince(cols []controlplane.Column, since *Since) (string, []string, error) {
	if since == nil {
		return "true", nil, nil
	}
	typ, err := since.columnType(cols)
	if err != nil {
		return "", nil, err
	}
	c := "m." + quoteDuck(since.Column)
	from := since.From
	bound := "CAST(? AS " + strings.ToUpper(typ) + ")"
	switch {
	case since.Kind == CursorText:
		c, bound = c+" COLLATE c", "?"
	case since.Kind == CursorTime && zoned(typ):
		from += "+00"
	}
	return fmt.Sprintf("(%s >= %s OR %s IS NULL)", c, bound, "m."+quoteDuck(since.Column)), []string{from}, nil
}

// duckDefaults run on every connection before init_sql (which may change them): DuckDB takes up
// to 80% of the machine's memory by default, for its buffers and caches, and a thread per core,
// each with buffers of its own. With a limit, the sort by key spills to temp_directory. Reading
// 1M of the bench's users from Parquet (222 bytes a row), 96 MB and 1 thread kept DuckDB's part
// of the process near 125 MB; 96 MB with 2 threads, or 80 MB, ran out of memory, and 10M users
// need more than 192 MB (Open quadruples the limit when the sort runs out). init_sql that
// raises threads should raise memory_limit too. The limit is 128 MB, not 96: at 96 a scan of
// those users kept DuckDB's buffer pool at its limit, where each new buffer evicts and purges
// DuckDB's allocator (jemalloc, MADV_DONTNEED: 165-320 MB returned to the kernel and faulted back
// in per run), which on a VM whose page faults cost 8 µs made a run with nothing changed 1.68 s
// instead of 1.47 s (medians of five alternated pairs; 25-30 thousand faults instead of 37-66),
// and its peak memory no higher (142-146 MB against 143-163).
//
// The external file cache is off: it keeps the bytes of the files a query reads (Parquet, CSV)
// for a later query of the same database instance, and each read opens an instance of its own
// (connectWith), so the cache only ever cost the copy into it. On a 2-core VM whose page faults
// cost about 8 µs, reading 1M of the bench's users from Parquet took 20-40 thousand faults
// instead of 40-60 thousand, and a run with nothing changed 1.35 s instead of 1.58 s (median of
// five, alternated).
//
// Extensions are not installed on demand: a model that calls a function of a known extension not
// installed (read_xlsx, sqlite_scan, ...) made DuckDB download and load it, at plan time too
// (native code from the network, written under the user's ~/.duckdb). Nor loaded on demand: one
// that anything on the runner's host installed (postgres, sqlite, mysql) was loaded for a model
// that named its function, whose own connection string could then reach what the host reaches
// (postgres_scan('host=/var/run/postgresql ...'): a local server by its socket, which a
// warehouse URL may not name). init_sql installs and loads what the connection needs (INSTALL
// httpfs; LOAD httpfs), or sets these back.
func duckDefaults(limitMB int) string {
	return fmt.Sprintf("SET memory_limit = '%dMB'; SET threads = %d; SET enable_external_file_cache = false; "+
		"SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; SET temp_directory = '%s'",
		limitMB, DuckDBThreads, strings.ReplaceAll(duckTempDirectory(), "'", "''"))
}

// duckTempDirectory is the temp_directory Backflow gives DuckDB: in the system's temporary
// directory, with the runner's own scratch files (TMPDIR sets it).
func duckTempDirectory() string { return filepath.Join(os.TempDir(), "backflow-duckdb") }

// DuckDB's memory_limit and threads on Backflow's connections, unless init_sql sets others; a
// read whose sort runs out of memory starts again with four times the limit, up to
// DuckDBMaxMemoryLimitMB.
const (
	DuckDBMemoryLimitMB    = 128
	DuckDBMaxMemoryLimitMB = 1536
	DuckDBThreads          = 1
)

// appendDuckTimestamp writes a TIMESTAMP (perSecond 1000000), TIMESTAMP_S (1), TIMESTAMP_MS
// (1000) or, tz true, a TIMESTAMPTZ (1000000), counted in those units since 1970, as
// appendTimestamp writes Postgres's: the same text, its year as appendYear says. It splits the
// count into days without multiplying it into microseconds or moving it to Postgres's epoch of
// 2000, either of which could overflow near DuckDB's least instant. DuckDB's infinities are
// handled before it.
func appendDuckTimestamp(b []byte, v, perSecond int64, tz bool) []byte {
	days, rem := splitDays(v, 86400*perSecond)
	return appendDayMicros(b, days, rem*(1000000/perSecond), tz)
}

// appendDuckDate writes a DATE (days since 1970-01-01) as appendDate writes Postgres's.
func appendDuckDate(b []byte, days int32) []byte {
	if days == math.MaxInt32 || days == -math.MaxInt32 {
		return appendInfinity(b, days > 0)
	}
	return appendDateDays(b, int64(days))
}

// appendDuckTime writes a TIME (microseconds since midnight, 0 to 24 hours) as DuckDB prints
// it, as a JSON string: "14:19:52", the fraction only when there is one ("14:19:52.5"), and
// the end of the day "24:00:00", which a time.Time would wrap to 00:00:00.
func appendDuckTime(b []byte, us int64) []byte { return appendDuckClock(b, us, 1000000) }

// appendDuckClock writes a time of day of units since midnight, perSecond of them a second, as
// a JSON string: hours, minutes, seconds, and the fraction without its trailing zeros when
// there is one.
func appendDuckClock(b []byte, units, perSecond int64) []byte {
	b = append(b, '"')
	secs, frac := units/perSecond, units%perSecond
	b = append2(b, int(secs/3600))
	b = append(b, ':')
	b = append2(b, int(secs/60%60))
	b = append(b, ':')
	b = append2(b, int(secs%60))
	if frac != 0 {
		b = append(b, '.')
		for p := perSecond / 10; frac != 0; p /= 10 {
			b = append(b, byte('0'+frac/p))
			frac %= p
		}
	}
	return append(b, '"')
}

// appendDuckFormat writes t in UTC with a time layout, as a JSON string: a TIMESTAMP_NS, whose
// nanoseconds appendTimestamp has no room for and whose years (1677 to 2262) are the four digits
// appendYear writes too.
func appendDuckFormat(b []byte, t time.Time, layout string) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, layout)
	return append(b, '"')
}

// KeyJSON of a DuckDB key column: TIMESTAMPTZ, BOOLEAN, BLOB, JSON, FLOAT, DOUBLE, BIGNUM and
// DECIMAL (and dates and timestamps BC or past 9999) differ from their text.
func (d *DuckDB) KeyJSON(col controlplane.Column) KeyJSON {
	if strings.HasPrefix(col.Type, "decimal") {
		return duckDecimalKeyJSON
	}
	switch col.Type {
	case "float":
		return duckFloatKeyJSON(32)
	case "double":
		return duckFloatKeyJSON(64)
	case "bignum", "varint":
		return NumberKeyJSON
	case "date", "timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns":
		return func(dst, key []byte) []byte { return appendString(dst, yearKey(key, " (BC)")) }
	case "timestamptz", "timestamptz_ns":
		return func(dst, key []byte) []byte { return zonedKeyJSON(dst, yearKey(key, " (BC)")) }
	case "boolean":
		return boolKeyJSON
	case "blob":
		return escapedBlobKeyJSON
	case "json", "variant":
		return appendStrictJSON // as its value is sent: DuckDB's JSON text need not be strict
	}
	return nil
}

// oneStatement refuses query unless DuckDB's parser reads it as one statement, without
// preparing or running any of it (the driver's PrepareContext runs all of a query's statements
// but the last, so a model "COPY t TO 'x.csv'; SELECT 1" wrote its file while it was described).
func (c *duckConn) oneStatement(query string) error {
	conn, err := c.raw()
	if err != nil {
		return err
	}
	var stmts bindings.ExtractedStatements
	n := bindings.ExtractStatements(conn, query, &stmts)
	defer bindings.DestroyExtracted(&stmts)
	if n == 0 {
		if msg := bindings.ExtractStatementsError(stmts); msg != "" {
			return fmt.Errorf("the warehouse rejected the model's SQL: %s", msg)
		}
	}
	return severalStatements(int(n))
}

// duckDecimalKeyJSON: a DECIMAL's text as the encoder writes the value, an exact JSON number.
// DuckDB prints a DECIMAL whose width is its scale (DECIMAL(4,4), DECIMAL(38,38)) without the
// zero before the point, ".5000" and "-.5000", which is no JSON number: the zero is put back,
// 0.5000 and -0.5000, as its upserts carried it. Other text is as NumberKeyJSON says.
func duckDecimalKeyJSON(dst, key []byte) []byte {
	sign, digits := "", string(key)
	if d, ok := strings.CutPrefix(digits, "-"); ok {
		sign, digits = "-", d
	}
	if len(digits) > 1 && digits[0] == '.' {
		key = []byte(sign + "0" + digits)
	}
	return NumberKeyJSON(dst, key)
}

// duckFloatKeyJSON: a FLOAT's or DOUBLE's text as floatKeyJSON says, and DuckDB's "-nan" (a NaN
// with its sign bit set, -('nan'::DOUBLE), which Go's ParseFloat does not read) as "NaN", as
// the encoder writes every NaN.
func duckFloatKeyJSON(bits int) KeyJSON {
	f := floatKeyJSON(bits)
	return func(dst, key []byte) []byte {
		if strings.EqualFold(string(key), "-nan") {
			key = key[1:]
		}
		return f(dst, key)
	}
}
