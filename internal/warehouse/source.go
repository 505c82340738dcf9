package warehouse

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// The key order, stated once for every driver: Open returns a model's rows ordered by the bytes
// of the key's canonical text, ascending (what bytes.Compare says), rows whose key is NULL
// last. The canonical text is what Stream.Key returns: the text the warehouse prints for the key
// (Postgres's ::text, MySQL's CAST(... AS CHAR) in utf8mb4, DuckDB's ::VARCHAR), so an integer
// key 10 sorts before 9 ("1" < "9"). It is the order of the control plane's ledger
// (`key text COLLATE "C"`), which the runner merges the model against: a driver that sorts any
// other way (by number, by a collation) makes the runner resend records and, for mirror syncs,
// delete them. Every driver reads the model unsorted and Read passes its rows through sortByKey
// (extsort.go), which sorts them in the runner by the key's bytes, whatever the column's type or
// collation: the warehouses' own sorts cost them several times the read; the conformance suite
// (runner/conformance_test.go) checks the order per driver with keys that collations get wrong.

// Source is one warehouse connection as Backflow reads it: each driver (postgres_source.go,
// mysql.go, duckdb.go) implements it, and For picks the driver by the connection's kind. Every
// read runs in a read-only transaction (or a read-only database) with the connection's
// statement and lock timeouts; SQL that writes is refused with ErrNotReadOnly.
type Source interface {
	// Describe returns the columns of query's result without reading it to completion. SQL the
	// warehouse rejects returns an error carrying the warehouse's message.
	Describe(ctx context.Context, query string) ([]controlplane.Column, error)
	// Open streams query's rows in the warehouse's order, with the key's canonical text as
	// Stream.Key (Read sorts them). keyColumn must be a column of the result. since, when set,
	// narrows the read to the rows at or after a cursor value (see Since).
	Open(ctx context.Context, query, keyColumn string, since *Since) (Stream, error)
	// Ping connects and starts a read: the connection test.
	Ping(ctx context.Context) error
	// TableQuery is the SQL that reads every column of table ("schema.table" or "table").
	TableQuery(table string) string
	// SchemaAndTable is a table model's schema and table as webhooks receive them
	// (schema_name, table_name): a table named without its schema is in the warehouse's
	// default one (Postgres: public; MySQL: the URL's database; DuckDB: main), and the schema
	// is empty (null) when the warehouse cannot say. Both are empty for "" (an SQL model).
	SchemaAndTable(table string) (schema, name string)
	// OneKeyedRow narrows query to at most one row whose keyColumn is not NULL.
	OneKeyedRow(query, keyColumn string) string
	// Timeouts are the statement and lock timeouts reads use (zero: none applies).
	Timeouts() (statement, lock time.Duration)
	// KeyJSON says how a key of column col is sent when only its canonical text is known (a
	// mirror's delete): nil when as a JSON string of the text (or, for a number, the text).
	KeyJSON(col controlplane.Column) KeyJSON
}

// Read opens query on src and returns its rows in the key order above: the driver streams them in
// the warehouse's order, and the runner sorts them (sortByKey, extsort.go), so Read returns only
// once the warehouse has sent its last row. fetched, when not nil, counts the rows read so far
// while that goes on (every 1024 rows, and all of them at the end): the progress of a long read.
func Read(ctx context.Context, src interface {
	Open(ctx context.Context, query, keyColumn string, since *Since) (Stream, error)
}, query, keyColumn string, since *Since, fetched *atomic.Int64) (Stream, error) {
	in, err := src.Open(ctx, query, keyColumn, since)
	if err != nil {
		return nil, err
	}
	return sortByKey(ctx, in, fetched)
}

// Stream is a model's result, streamed. Values are encoded to JSON by the README's
// rules straight into the caller's buffer; the bytes Key returns are valid until Next.
type Stream interface {
	// Columns returns the model's columns.
	Columns() []controlplane.Column
	// Next advances to the next row; false at the end or on an error (see Err).
	Next() bool
	// Key returns the current row's key as its canonical text.
	Key() (key []byte, isNull bool)
	// AppendValue appends the JSON encoding of column col of the current row to buf.
	AppendValue(buf []byte, col int) []byte
	// AppendObject appends {"name":value,...} for the given columns; names[i] is the quoted
	// JSON name of cols[i], without the colon.
	AppendObject(buf []byte, cols []int, names [][]byte) []byte
	// Err returns the error that ended the iteration, if any.
	Err() error
	// Close stops reading and releases the connection.
	Close() error
}

// appendObject is every Stream's AppendObject: {"name":value,...} for cols, each value from
// s.AppendValue.
func appendObject(s Stream, buf []byte, cols []int, names [][]byte) []byte {
	buf = append(buf, '{')
	for i, c := range cols {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, names[i]...)
		buf = append(buf, ':')
		buf = s.AppendValue(buf, c)
	}
	return append(buf, '}')
}

// drivers maps a connection kind to the driver that reads it: a new warehouse is one file
// that registers itself here (in its init) and a line in the conformance suite.
var drivers = map[string]registered{}

// registered is a warehouse driver: how to open it, and its rule for the data values its errors
// quote (hidden.go).
type registered struct {
	open       func(*controlplane.Connection) Source
	hideValues func(error) error
}

func register(kind string, open func(*controlplane.Connection) Source, hideValues func(error) error) {
	if _, dup := drivers[kind]; dup {
		panic("warehouse: driver registered twice for " + kind)
	}
	drivers[kind] = registered{open, hideValues}
}

// Kinds lists the connection kinds this build can read from, sorted.
func Kinds() []string {
	out := make([]string, 0, len(drivers))
	for k := range drivers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// For returns the source of a warehouse connection, by its kind, whose errors leave out the data
// values the warehouse quotes in them (hidden.go states the rule). A webhook connection, or a kind
// this build has no driver for, is an error that says so.
func For(c *controlplane.Connection) (Source, error) {
	kind := c.Kind()
	if d, ok := drivers[kind]; ok {
		return &valuesHidden{Source: d.open(c), hide: d.hideValues}, nil
	}
	if kind == controlplane.KindWebhook {
		return nil, fmt.Errorf("connection %q is a webhook connection, not a warehouse: a model reads from a %s connection",
			c.Name, strings.Join(Kinds(), ", "))
	}
	return nil, fmt.Errorf("connection %q is a %q connection, which this build of Backflow cannot read (it reads %s)",
		c.Name, kind, strings.Join(Kinds(), ", "))
}

// selectTable is the query of a table model: all of "schema.table" or "table", each part quoted
// as an identifier by quote.
func selectTable(table string, quote func(string) string) string {
	parts := strings.SplitN(table, ".", 2)
	for i, p := range parts {
		parts[i] = quote(p)
	}
	return "SELECT * FROM " + strings.Join(parts, ".")
}

// wrapQuery makes query a derived table m of a SELECT: newlines around it, since it may end with
// a -- comment.
func wrapQuery(query string) string {
	return "(\n" + trimQuery(query) + "\n) AS m"
}

// valuesHidden is a driver's Source whose errors go through its warehouse's hideValues: the one
// place every error a warehouse returns passes, whatever then shows, stores or sends it.
type valuesHidden struct {
	Source
	hide func(error) error
}

func (s *valuesHidden) Describe(ctx context.Context, query string) ([]controlplane.Column, error) {
	cols, err := s.Source.Describe(ctx, query)
	return cols, s.hide(err)
}

func (s *valuesHidden) Open(ctx context.Context, query, keyColumn string, since *Since) (Stream, error) {
	st, err := s.Source.Open(ctx, query, keyColumn, since)
	if err != nil {
		return nil, s.hide(err)
	}
	return &streamValuesHidden{Stream: st, hide: s.hide}, nil
}

func (s *valuesHidden) Ping(ctx context.Context) error { return s.hide(s.Source.Ping(ctx)) }

// streamValuesHidden is a Stream of valuesHidden.
type streamValuesHidden struct {
	Stream
	hide func(error) error
}

func (s *streamValuesHidden) streamKeyJSON() (KeyJSON, error) { return StreamKeyJSON(s.Stream) }

func (s *streamValuesHidden) Err() error   { return s.hide(s.Stream.Err()) }
func (s *streamValuesHidden) Close() error { return s.hide(s.Stream.Close()) }

// HasKey says, when the model's result columns cols have no column keyColumn, that the model
// lost its key column, naming the columns it has, each quoted as the key is: a name may hold a
// comma or a blank (a CSV whose delimiter DuckDB no longer finds has one column named "id,v").
// nil when it has the column.
func HasKey(cols []controlplane.Column, keyColumn string) error {
	names := make([]string, len(cols))
	for i, c := range cols {
		if c.Name == keyColumn {
			return nil
		}
		names[i] = strconv.Quote(c.Name)
	}
	return fmt.Errorf("the model lost its key column: its result has no column %q (it has %s); "+
		"add the column back to the model's SQL or change the sync's primary_key", keyColumn, strings.Join(names, ", "))
}
