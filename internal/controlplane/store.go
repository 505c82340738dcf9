// Package controlplane is the Postgres control plane shared by the Terraform provider and the
// runner: the schema (embedded, versioned migrations) and a typed store over it.
package controlplane

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

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
	Dependents []string // e.g. `model "active users"`, `sync "Users to CRM"`
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%s %q is still used by %s: delete or repoint those first",
		e.Kind, e.Name, strings.Join(e.Dependents, ", "))
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// Store is the typed access to the control plane.
type Store struct {
	pool   *pgxpool.Pool
	sealer *Sealer
}

// New wraps a pool. The sealer may be nil for callers that never touch secrets; those that do
// then get ErrNoSecretKey.
func New(pool *pgxpool.Pool, sealer *Sealer) *Store {
	return &Store{pool: pool, sealer: sealer}
}

// Open connects to the control plane at url, applies pending migrations and returns a Store.
func Open(ctx context.Context, url string, sealer *Sealer) (*Store, error) {
	if url == "" {
		return nil, fmt.Errorf("no control-plane database: set %s (or the provider's database_url) "+
			"to a Postgres URL such as postgres://user@host:5432/db", DatabaseURLEnv)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("the control-plane URL is not a valid Postgres URL: %w", redactErr(err))
	}
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

// Pool is the underlying connection pool, for tests that inspect or break the database behind
// the store's back. Production code goes through the store's methods (Ping, RiverDriver, ...).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the control plane answers (health checks).
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// RiverDriver is the driver River's client runs on: the store's pool, whose migrations (Migrate)
// created River's tables in the control-plane schema.
func (s *Store) RiverDriver() *riverpgxv5.Driver { return riverpgxv5.New(s.pool) }

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

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

// nameTaken turns a unique violation on name into ErrNameTaken.
func nameTaken(err error, kind, name string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("a %s named %q already exists: choose another name or import the existing one: %w",
			kind, name, ErrNameTaken)
	}
	return err
}

// ParseRef tells whether ref is a numeric id; otherwise it is a name.
func ParseRef(ref string) (id int64, isID bool) {
	id, err := strconv.ParseInt(ref, 10, 64)
	return id, err == nil && id > 0
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// dependents lists the names of models and syncs that use a connection or model.
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

// lookup reads by id when ref is all digits and such a row exists, else by name.
func lookup[T any](ctx context.Context, kind, ref string,
	byID func(context.Context, int64) (T, error), byName func(context.Context, string) (T, error)) (T, error) {
	if id, ok := ParseRef(ref); ok {
		v, err := byID(ctx, id)
		if !errors.Is(err, ErrNotFound) {
			return v, err
		}
	}
	v, err := byName(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return v, fmt.Errorf("no %s has the id or name %q: %w", kind, ref, ErrNotFound)
	}
	return v, err
}

// LookupConnection reads a connection by id (all digits) or else by name.
func (s *Store) LookupConnection(ctx context.Context, ref string) (*Connection, error) {
	return lookup(ctx, "connection", ref, s.GetConnection, s.GetConnectionByName)
}

// LookupModel reads a model by id (all digits) or else by name.
func (s *Store) LookupModel(ctx context.Context, ref string) (*Model, error) {
	return lookup(ctx, "model", ref, s.GetModel, s.GetModelByName)
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
