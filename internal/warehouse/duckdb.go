//go:build cgo

package warehouse

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

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
// says so when it prepares it), and it is only run as a derived table of a SELECT. Reads are
// bounded by the default statement timeout (DefaultStatementTimeout); DuckDB has no lock waits.
//
// Values: every integer width (HUGEINT, UBIGINT too) and DECIMAL exact JSON numbers; FLOAT and
// DOUBLE numbers, NaN and ±Infinity the strings "NaN", "Infinity", "-Infinity"; BOOLEAN; VARCHAR
// and ENUM strings; DATE "2019-12-08"; TIMESTAMP "2019-12-08 14:19:52" (fraction only when
// present); TIMESTAMPTZ RFC 3339 in UTC; TIME "14:19:52"; INTERVAL, UUID, TIMETZ and BIT as
// DuckDB prints them; BLOB base64; LIST and ARRAY arrays; STRUCT objects (fields sorted by name:
// the driver does not keep their order); MAP an object when its keys are strings, else an array
// of {"key", "value"} objects; JSON nested as stored.
//
// The driver materializes a query's result before the first row is read (it has no streaming
// interface), so the model is read in pages of its key order (duckPageRows), and DuckDB's own
// memory is limited to DuckDBMemoryLimit unless init_sql sets memory_limit.
//
// Key order: ORDER BY the key CAST AS VARCHAR COLLATE c, byte order whatever the database's
// default_collation (source.go states the rule).
type DuckDB struct {
	cfg      *controlplane.DuckDBConfig
	pageRows int // rows per page of a read; 0: duckPageRows (tests set it small)
}

func init() {
	register(controlplane.KindDuckDB, func(c *controlplane.Connection) Source { return &DuckDB{cfg: c.DuckDB} })
}

// NewDuckDB returns the source of a DuckDB database.
func NewDuckDB(cfg *controlplane.DuckDBConfig) *DuckDB { return &DuckDB{cfg: cfg} }

func (d *DuckDB) Timeouts() (statement, lock time.Duration) { return DefaultStatementTimeout, 0 }

func (d *DuckDB) TableQuery(table string) string {
	parts := strings.SplitN(table, ".", 2)
	for i, p := range parts {
		parts[i] = quoteDuck(p)
	}
	return "SELECT * FROM " + strings.Join(parts, ".")
}

// SchemaAndTable: a table named alone is in DuckDB's default schema, main (unless init_sql
// changes the search path, which Backflow does not read: it says main).
func (d *DuckDB) SchemaAndTable(table string) (schema, name string) {
	return controlplane.SplitTable(table, "main")
}

func (d *DuckDB) OneKeyedRow(query, keyColumn string) string {
	return fmt.Sprintf("SELECT * FROM %s WHERE m.%s IS NOT NULL LIMIT 1", wrapQuery(query), quoteDuck(keyColumn))
}

func quoteDuck(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

// duckDSN is the database as the driver opens it: a file read-only.
func (d *DuckDB) duckDSN() string {
	db := d.cfg.Database
	if db == "" || db == ":memory:" || strings.HasPrefix(db, "md:") || strings.HasPrefix(db, "motherduck:") || strings.Contains(db, "?") {
		return db
	}
	return db + "?access_mode=READ_ONLY"
}

type duckConn struct {
	db   *sql.DB
	conn *sql.Conn
}

func (d *DuckDB) connect(ctx context.Context) (*duckConn, error) {
	initSQL := d.cfg.InitSQL
	connector, err := duckdb.NewConnector(d.duckDSN(), func(execer driver.ExecerContext) error {
		if _, err := execer.ExecContext(ctx, duckDefaults, nil); err != nil {
			return fmt.Errorf("set DuckDB's memory limit: %w", err)
		}
		if strings.TrimSpace(initSQL) == "" {
			return nil
		}
		if _, err := execer.ExecContext(ctx, initSQL, nil); err != nil {
			return fmt.Errorf("the connection's init_sql failed (its text is not shown, it may hold secrets): %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open the DuckDB database: %w", err)
	}
	db := sql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		_ = connector.Close()
		return nil, fmt.Errorf("open the DuckDB database: %w", err)
	}
	return &duckConn{db: db, conn: conn}, nil
}

func (c *duckConn) close() {
	_ = c.conn.Close()
	_ = c.db.Close()
}

func (d *DuckDB) Ping(ctx context.Context) error {
	c, err := d.connect(ctx)
	if err != nil {
		return err
	}
	c.close()
	return nil
}

func (d *DuckDB) Describe(ctx context.Context, query string) ([]controlplane.Column, error) {
	c, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.close()
	cols, _, err := c.describe(ctx, query)
	return cols, err
}

// describe checks that query is one SELECT (DuckDB prepares it and says what it is), then
// reads the columns of its result with LIMIT 0.
func (c *duckConn) describe(ctx context.Context, query string) ([]controlplane.Column, []string, error) {
	query = trimQuery(query)
	err := c.conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("the DuckDB driver cannot prepare statements")
		}
		st, err := pc.PrepareContext(ctx, query)
		if err != nil {
			return fmt.Errorf("the warehouse rejected the model's SQL: %w", err)
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
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	rows, err := c.conn.QueryContext(ctx, "SELECT * FROM "+wrapQuery(query)+" LIMIT 0")
	if err != nil {
		return nil, nil, fmt.Errorf("the warehouse rejected the model's SQL: %w", err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, err
	}
	cols := make([]controlplane.Column, len(types))
	dbTypes := make([]string, len(types))
	seen := map[string]bool{}
	for i, t := range types {
		if seen[t.Name()] {
			return nil, nil, fmt.Errorf("the model's SQL returns the column %q more than once: give each column its own name (AS ...)", t.Name())
		}
		seen[t.Name()] = true
		dbTypes[i] = t.DatabaseTypeName()
		cols[i] = controlplane.Column{Name: t.Name(), Type: strings.ToLower(dbTypes[i])}
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("the warehouse rejected the model's SQL: %w", err)
	}
	return cols, dbTypes, nil
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
	}
	return "type " + strconv.Itoa(int(t))
}

func (d *DuckDB) Open(ctx context.Context, query, keyColumn string) (Stream, error) {
	c, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.open(ctx, query, keyColumn, cmp.Or(d.pageRows, duckPageRows))
	if err != nil {
		c.close()
		return nil, err
	}
	return r, nil
}

// duckAsText are the types read as DuckDB prints them (the driver's Go values lose
// exactness or form): JSON (the driver decodes it into floats), DECIMAL, UUID, INTERVAL, TIMETZ
// and BIT.
func duckAsText(dbType string) bool {
	switch {
	case dbType == "JSON", dbType == "UUID", dbType == "INTERVAL", dbType == "TIMETZ", dbType == "BIT",
		strings.HasPrefix(dbType, "DECIMAL"):
		return true
	}
	return false
}

func (c *duckConn) open(ctx context.Context, query, keyColumn string, pageRows int) (*duckRows, error) {
	cols, dbTypes, err := c.describe(ctx, query)
	if err != nil {
		return nil, err
	}
	if err := hasKey(cols, keyColumn); err != nil {
		return nil, err
	}
	list := make([]string, 0, len(cols)+1)
	codecs := make([]duckCodec, len(cols))
	for i, col := range cols {
		e := "m." + quoteDuck(col.Name)
		codecs[i] = duckCodecFor(dbTypes[i])
		if duckAsText(dbTypes[i]) {
			e = "CAST(" + e + " AS VARCHAR)"
		}
		list = append(list, e)
	}
	k := "m." + quoteDuck(keyColumn)
	list = append(list, "CAST("+k+" AS VARCHAR)")
	statement, _ := (&DuckDB{}).Timeouts()
	qctx, cancel := context.WithTimeout(ctx, statement)
	// One snapshot for every page.
	if _, err := c.conn.ExecContext(qctx, "BEGIN TRANSACTION"); err != nil {
		cancel()
		return nil, fmt.Errorf("start a transaction on the warehouse: %w", err)
	}
	r := &duckRows{c: c, ctx: qctx, cancel: cancel, cols: cols, codecs: codecs, vals: make([]any, len(cols)+1),
		pageRows: pageRows, statement: statement,
		selectFrom: "SELECT " + strings.Join(list, ", ") + " FROM " + wrapQuery(query),
		keyText:    "CAST(" + k + " AS VARCHAR) COLLATE c", keyIsNull: k + " IS NULL"}
	r.dest = make([]any, len(r.vals))
	for i := range r.vals {
		r.dest[i] = &r.vals[i]
	}
	if err := r.openPage(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// duckDefaults run on every connection before init_sql (which may change them): DuckDB takes up
// to 80% of the machine's memory by default, for its buffers and caches, which the runner
// shares with nothing. With a limit, sorts spill to temp_directory instead.
var duckDefaults = fmt.Sprintf("SET memory_limit = '%s'; SET temp_directory = '%s'",
	DuckDBMemoryLimit, strings.ReplaceAll(filepath.Join(os.TempDir(), "backflow-duckdb"), "'", "''"))

// DuckDBMemoryLimit is DuckDB's memory_limit on Backflow's connections, unless init_sql sets
// another.
const DuckDBMemoryLimit = "128MB"

// duckPageRows is how many rows one page of a DuckDB read holds. The driver materializes a
// query's whole result before its first row, so the model is read in pages of its key order
// (each a query: the key's text at or after the last page's last key, ordered, LIMIT), which
// bounds memory by the page instead of the model, at the cost of evaluating the model once per
// page (DuckDB keeps only the page's rows while it does: a top-N).
const duckPageRows = 100000

// duckRows reads a DuckDB model page by page in key order, then its NULL keys.
type duckRows struct {
	c          *duckConn
	ctx        context.Context
	cancel     context.CancelFunc
	rows       *sql.Rows // the current page
	cols       []controlplane.Column
	codecs     []duckCodec
	vals       []any
	dest       []any
	key        []byte
	err        error
	done       bool
	closed     bool
	statement  time.Duration
	selectFrom string // SELECT columns..., key text FROM (model) AS m
	keyText    string // the key's text, byte order
	keyIsNull  string
	pageRows   int
	nulls      bool   // reading the NULL keys (the last query)
	started    bool   // a page of non-NULL keys was asked for
	last       string // the last key read
	seen       int    // rows read with key last: the next page skips them
	skip       int    // rows of the current page still to skip
	limit      int    // the current page's LIMIT
	fetched    int    // rows the current page returned
}

// openPage asks for the next page: the first of non-NULL keys, the next one from the last key
// (whose rows already read are skipped: rows of one key may straddle pages), or the NULL keys.
// Skipping counts rows: which rows of a duplicated key are skipped depends on the order DuckDB
// gives them, but such a key is invalid as a whole and only its row count matters.
func (r *duckRows) openPage() error {
	var (
		q    string
		args []any
	)
	switch {
	case r.nulls:
		q = r.selectFrom + " WHERE " + r.keyIsNull
	case !r.started:
		r.started, r.limit = true, r.pageRows
		q = fmt.Sprintf("%s WHERE NOT %s ORDER BY %s LIMIT %d", r.selectFrom, r.keyIsNull, r.keyText, r.limit)
	default:
		r.limit, r.skip = r.seen+r.pageRows, r.seen
		q = fmt.Sprintf("%s WHERE NOT %s AND %s >= ? ORDER BY %s LIMIT %d", r.selectFrom, r.keyIsNull, r.keyText, r.keyText, r.limit)
		args = []any{r.last}
	}
	r.fetched = 0
	rows, err := r.c.conn.QueryContext(r.ctx, q, args...)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%w (%s): make the query faster: %w", ErrStatementTimeout, FormatDuration(r.statement), err)
		}
		return fmt.Errorf("the warehouse rejected the model's SQL: %w", err)
	}
	r.rows = rows
	return nil
}

func (r *duckRows) Columns() []controlplane.Column { return r.cols }

func (r *duckRows) Next() bool {
	for !r.done {
		if r.rows.Next() {
			if err := r.rows.Scan(r.dest...); err != nil {
				r.fail(err)
				return false
			}
			r.fetched++
			if r.skip > 0 {
				r.skip--
				continue
			}
			if !r.nulls {
				if k, _ := r.vals[len(r.cols)].(string); k == r.last && r.seen > 0 {
					r.seen++
				} else {
					r.last, r.seen = k, 1
				}
			}
			return true
		}
		if err := r.rows.Err(); err != nil {
			r.fail(err)
			return false
		}
		_ = r.rows.Close()
		switch {
		case r.nulls:
			r.done = true
			return false
		case r.fetched < r.limit:
			r.nulls = true // the non-NULL keys are all read
		}
		if err := r.openPage(); err != nil {
			r.err = fmt.Errorf("read the model from the warehouse: %w", err)
			r.done = true
			return false
		}
	}
	return false
}

func (r *duckRows) fail(err error) {
	r.err = fmt.Errorf("read the model from the warehouse: %w", err)
	r.done = true
}

func (r *duckRows) Key() ([]byte, bool) {
	s, ok := r.vals[len(r.cols)].(string)
	if !ok {
		return nil, true
	}
	r.key = append(r.key[:0], s...)
	return r.key, false
}

func (r *duckRows) AppendValue(buf []byte, col int) []byte {
	return r.codecs[col].appendJSON(buf, r.vals[col])
}

func (r *duckRows) AppendObject(buf []byte, cols []int, names [][]byte) []byte {
	buf = append(buf, '{')
	for i, c := range cols {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, names[i]...)
		buf = append(buf, ':')
		buf = r.codecs[c].appendJSON(buf, r.vals[c])
	}
	return append(buf, '}')
}

func (r *duckRows) Err() error { return r.err }

func (r *duckRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed, r.done = true, true
	r.cancel()
	if r.rows != nil {
		_ = r.rows.Close()
	}
	r.c.close()
	return nil
}

// duckCodec is how a column's Go value (from the driver) becomes JSON; most values say it by
// their Go type, the column's type settles what the Go type cannot.
type duckCodec uint8

const (
	duckAny         duckCodec = iota // by the value's Go type
	duckRawJSON                      // JSON read as text: emitted as is
	duckNumber                       // DECIMAL read as text: an exact number
	duckDate                         // DATE: time.Time → "2006-01-02"
	duckTimestamp                    // TIMESTAMP: naive
	duckTimestamptz                  // TIMESTAMPTZ: RFC 3339, UTC
	duckTime                         // TIME: "15:04:05[.ffffff]"
)

func duckCodecFor(dbType string) duckCodec {
	switch {
	case dbType == "JSON":
		return duckRawJSON
	case strings.HasPrefix(dbType, "DECIMAL"):
		return duckNumber
	case dbType == "DATE":
		return duckDate
	case dbType == "TIMESTAMP", dbType == "TIMESTAMP_S", dbType == "TIMESTAMP_MS", dbType == "TIMESTAMP_NS":
		return duckTimestamp
	case dbType == "TIMESTAMPTZ":
		return duckTimestamptz
	case dbType == "TIME":
		return duckTime
	}
	return duckAny
}

func (c duckCodec) appendJSON(b []byte, v any) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	switch c {
	case duckRawJSON:
		if s, ok := v.(string); ok {
			return append(b, s...)
		}
	case duckNumber:
		if s, ok := v.(string); ok {
			return appendDigits(b, []byte(s))
		}
	case duckDate, duckTimestamp, duckTimestamptz, duckTime:
		if t, ok := v.(time.Time); ok {
			return appendDuckTime(b, t, c)
		}
	}
	return appendDuckValue(b, v)
}

func appendDuckTime(b []byte, t time.Time, c duckCodec) []byte {
	t = t.UTC()
	b = append(b, '"')
	switch c {
	case duckDate:
		b = t.AppendFormat(b, "2006-01-02")
	case duckTimestamp:
		b = t.AppendFormat(b, "2006-01-02 15:04:05.999999999")
	case duckTimestamptz:
		b = t.AppendFormat(b, "2006-01-02T15:04:05.999999999Z")
	case duckTime:
		b = t.AppendFormat(b, "15:04:05.999999999")
	}
	return append(b, '"')
}

// appendDuckValue encodes a value by its Go type, as the driver returns it.
func appendDuckValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case int8:
		return strconv.AppendInt(b, int64(x), 10)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case *big.Int:
		return x.Append(b, 10)
	case float32:
		return appendFloat(b, float64(x), 32)
	case float64:
		return appendFloat(b, x, 64)
	case string:
		return appendString(b, []byte(x))
	case []byte:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, x)
		return append(b, '"')
	case time.Time:
		// Inside a LIST or STRUCT the column type does not say which: the most that is known.
		return appendDuckTime(b, x, duckTimestamptz)
	case duckdb.Decimal:
		return appendDigits(b, []byte(x.String()))
	case *duckdb.UUID:
		return appendString(b, []byte(x.String()))
	case duckdb.Interval:
		return appendString(b, []byte(fmt.Sprintf("P%dM%dDT%gS", x.Months, x.Days, float64(x.Micros)/1e6)))
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendDuckValue(b, e)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, []byte(k))
			b = append(b, ':')
			b = appendDuckValue(b, x[k])
		}
		return append(b, '}')
	case duckdb.OrderedMap:
		return appendDuckMap(b, x)
	case duckdb.Union:
		return appendDuckValue(b, x.Value)
	}
	return appendString(b, []byte(fmt.Sprint(v)))
}

// appendDuckMap writes a MAP as an object when every key is a string, else as an array of
// {"key", "value"} objects; in the map's order either way.
func appendDuckMap(b []byte, m duckdb.OrderedMap) []byte {
	keys, values := m.Keys(), m.Values()
	strKeys := true
	for _, k := range keys {
		if _, ok := k.(string); !ok {
			strKeys = false
			break
		}
	}
	if strKeys {
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, []byte(k.(string)))
			b = append(b, ':')
			b = appendDuckValue(b, values[i])
		}
		return append(b, '}')
	}
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = appendDuckValue(b, k)
		b = append(b, `,"value":`...)
		b = appendDuckValue(b, values[i])
		b = append(b, '}')
	}
	return append(b, ']')
}
