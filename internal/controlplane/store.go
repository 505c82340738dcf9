// Package controlplane is the Postgres control plane shared by the Terraform provider and the
// runner: the schema (embedded, versioned migrations) and a typed store over it.
package controlplane

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// MaxNameLength is the most characters the provider lets a name (of a connection, model, sync or
// notification) have: names are unique through B-tree indexes, whose entries Postgres caps at
// 2704 bytes, and this many characters of 4 bytes each fit. A longer name failed the apply with
// "index row size ... exceeds btree version 4 maximum 2704".
const MaxNameLength = 500

// Sentinel errors callers match with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrNameTaken = errors.New("name already taken")
	ErrInUse     = errors.New("still in use")
)

// InUseError is returned when deleting something that other definitions still use.
type InUseError struct {
	Kind       string   // "connection" or "model"
	Name       string   // what was to be deleted
	Dependents []string // e.g. `model "active users"`, `sync "Users to CRM"`, `notification "Failures"`
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%s %q is still used by %s: delete or repoint those first",
		e.Kind, e.Name, strings.Join(e.Dependents, ", "))
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// DB is what the store's statements run on: a *pgxpool.Pool in production, or a pgx.Tx for
// tests that roll everything back (controlplanetest.NewTxStore). A transaction the store
// begins on a pgx.Tx is a savepoint of it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Store is the typed access to the control plane.
type Store struct {
	db DB
	// pool is db when it is a pool: what needs sessions of its own (the sync locks, River,
	// health checks) needs one. It is nil on a store over a transaction.
	pool   *pgxpool.Pool
	sealer *Sealer
}

// errNoPool is what a store over a transaction answers for what needs a session of its own.
var errNoPool = errors.New("a store over a transaction has no pool: sync locks, River and Ping need one")

// New wraps db: a pool, or (in tests) a transaction, on which the store can neither lock syncs
// nor serve River. The sealer may be nil for callers that never touch secrets; those that do
// then get ErrNoSecretKey.
func New(db DB, sealer *Sealer) *Store {
	pool, _ := db.(*pgxpool.Pool)
	return &Store{db: db, pool: pool, sealer: sealer}
}

// HasBadSettingName reports whether a setting pgx would send the server at connect has a name no
// Postgres setting has (they are letters, digits, _ and .). pgx reads a string that is not a
// postgres:// URL as key=value settings and sends those it does not know to the server, whose
// refusal quotes the name: for "postgresql+psycopg://user:PASSWORD@host/db?sslmode=disable" the
// name is the URL up to "?sslmode", password and all. Check a parsed config with it before
// connecting, and refuse it with BadSettingNameProblem.
func HasBadSettingName(params map[string]string) bool {
	for k := range params {
		if k == "" || strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") != "" {
			return true
		}
	}
	return false
}

// BadSettingNameProblem says why a URL HasBadSettingName refuses is refused, without its text.
const BadSettingNameProblem = "it does not start with postgres:// or postgresql://, so it is read as key=value settings, " +
	"and one setting's name is not a name (a URL of another form, such as postgresql+psycopg:// or jdbc:postgresql://?); " +
	"its form is postgres://user:password@host:port/database?option=value (the URL is not shown, it may hold a password)"

// Open connects to the control plane at url, applies pending migrations and returns a Store.
func Open(ctx context.Context, url string, sealer *Sealer) (*Store, error) {
	// A URL read from a file (the provider's file()) keeps its final newline: it is not part of it.
	url = strings.TrimSpace(url)
	if url == "" {
		return nil, fmt.Errorf("no control-plane database: set %s (or the provider's database_url) "+
			"to a Postgres URL such as postgres://user@host:5432/db", DatabaseURLEnv)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("the control-plane URL is not a valid Postgres URL: %w", redactErr(err))
	}
	if HasBadSettingName(cfg.ConnConfig.RuntimeParams) {
		return nil, errors.New("the control-plane URL is not a valid Postgres URL: " + BadSettingNameProblem)
	}
	BoundConnect(&cfg.ConnConfig.Config)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the control plane: %w", err)
	}
	if _, err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return New(pool, sealer), nil
}

// Pool is the underlying connection pool (nil on a store over a transaction), for tests that
// need sessions of their own on the store's database. Production code goes through the store's
// methods (Ping, RiverDriver, ...).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// onConn runs fn on one connection: one of the pool's, or the store's transaction's (whose
// statements then run in it).
func (s *Store) onConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	if s.pool != nil {
		c, err := s.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer c.Release()
		return fn(c.Conn())
	}
	if tx, ok := s.db.(pgx.Tx); ok {
		return fn(tx.Conn())
	}
	return fmt.Errorf("the store's database is a %T, neither a pool nor a transaction", s.db)
}

// DB is what the store's statements run on, for tests that inspect or change rows behind the
// store's back: on a store over a transaction, only that transaction sees its rows.
func (s *Store) DB() DB { return s.db }

// Ping checks that the control plane answers (health checks).
func (s *Store) Ping(ctx context.Context) error {
	if s.pool == nil {
		return errNoPool
	}
	return s.pool.Ping(ctx)
}

// Now is the control plane's clock: the one clock every time a decision compares is on (a
// schedule's slots, a retention's cutoff, a notification's retry), since the times it compares
// them with are the control plane's (now() of the runs it records). A runner's own clock can be
// minutes or hours off (a VM resumed from suspend, NTP not yet synced).
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := s.db.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("read the control plane's clock: %w", err)
	}
	return t, nil
}

// RiverDriver is the driver River's client runs on: the store's pool, whose migrations (Migrate)
// created River's tables in the control-plane schema.
func (s *Store) RiverDriver() *riverpgxv5.Driver { return riverpgxv5.New(s.pool) }

// ConnectTimeout bounds making a connection to a Postgres server, the control plane's or a
// warehouse's (TCP, TLS and the login), whose URL sets no connect_timeout: without it a server,
// or a proxy or load balancer in front of it, that takes the connection and never answers held a
// command (`runs`, `trigger`), a plan or a run for ever, pgx waiting as long as its context, which
// has no end there. 10 s, as the MySQL driver's dial timeout (warehouse.NewMySQL).
var ConnectTimeout = 10 * time.Second

// BoundConnect gives cfg ConnectTimeout unless its URL set a connect_timeout.
func BoundConnect(cfg *pgconn.Config) {
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = ConnectTimeout
	}
}

// cleanupTimeout bounds a control-plane call that ends something once its caller's context may
// have ended (a rollback, an unlock): without a deadline, such a call on a control plane that
// stopped answering (a hung server, a network that drops packets) waited for ever, and with it
// the run that made it, and a daemon's stop (SIGTERM) that waited for that run.
var cleanupTimeout = 10 * time.Second

// cleanupContext is the context of such a call: ctx's values, not its end, and cleanupTimeout.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// Close closes the pool; a store over a transaction leaves it to its owner.
func (s *Store) Close() {
	if s.pool != nil {
		s.pool.Close()
	}
}

// snapshotOptions is a read-only transaction that reads one snapshot, for reads that must agree
// (the intents and the ledger).
var snapshotOptions = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// beginSnapshot begins a snapshotOptions transaction; on a store over a transaction, a
// savepoint, which reads that transaction's snapshot.
func (s *Store) beginSnapshot(ctx context.Context) (pgx.Tx, error) {
	if s.pool == nil {
		return s.db.Begin(ctx)
	}
	return s.pool.BeginTx(ctx, snapshotOptions)
}

// snapshots begins beginSnapshot transactions, for pgx.BeginFunc.
type snapshots struct{ s *Store }

func (b snapshots) Begin(ctx context.Context) (pgx.Tx, error) { return b.s.beginSnapshot(ctx) }

func (s *Store) needSealer() error {
	if s.sealer == nil {
		return fmt.Errorf("%w: it is needed to read or write connection secrets; "+
			"set it to 32 random bytes in base64, as `openssl rand -base64 32` prints", ErrNoSecretKey)
	}
	return nil
}

// redactErr drops the text of URL parse errors, which can echo a password.
func redactErr(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("cannot parse the connection string (its text is not shown, it may hold a password)")
	}
	return err
}

// nameTaken turns a unique violation on name into ErrNameTaken. One on the id (the table's
// primary key, "<table>_pkey") is not about the name: a new row's id, from the table's id
// sequence, was taken by a row that sequence did not count (inserted with its own id, or
// restored without the sequence's value), and the name is free.
func nameTaken(err error, kind, name string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && strings.HasSuffix(pgErr.ConstraintName, "_pkey") {
		table := strings.TrimSuffix(pgErr.ConstraintName, "_pkey")
		return fmt.Errorf("the id the control plane gave the new %s %q is already another row's: the id sequence of "+
			"backflow.%s is behind that table (a row inserted with its own id, or restored without the sequence's value); "+
			"set it past the largest id (SELECT setval(pg_get_serial_sequence('backflow.%s', 'id'), max(id)) FROM "+
			"backflow.%s) and try again: %w", kind, name, table, table, table, err)
	}
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("a %s named %q already exists: choose another name or import the existing one: %w",
			kind, name, ErrNameTaken)
	}
	return err
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// dependents lists the names of models, syncs and notifications that use a connection or model.
func dependents(ctx context.Context, q querier, query string, id int64) ([]string, error) {
	rows, err := q.Query(ctx, query, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var kind, name string
		err := r.Scan(&kind, &name)
		return fmt.Sprintf("%s %q", kind, name), err
	})
}

// collect scans every row of a query with scan; err is the query's own error.
func collect[T any](rows pgx.Rows, err error, scan func(pgx.Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
}

// MaxConns is the most connections the store's pool opens at once.
func (s *Store) MaxConns() int32 { return s.pool.Config().MaxConns }
