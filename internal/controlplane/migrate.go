package controlplane

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Schema is the Postgres schema that holds the whole control plane.
const Schema = "backflow"

// migrationLockID is the advisory lock taken while migrating, so that two binaries meeting an
// old schema at once apply each migration exactly once.
const migrationLockID int64 = 0x6261636b666c6f77 // "backflow"

//go:embed migrations/*.up.sql
var migrationFiles embed.FS

// Migration is one embedded, versioned SQL migration.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations in version order.
func Migrations() []Migration {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	var ms []Migration
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".up.sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic(fmt.Sprintf("controlplane: migration file %q is not named NNN_name.up.sql", e.Name()))
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			panic(err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms
}

// LatestVersion is the newest schema version this binary knows.
func LatestVersion() int {
	ms := Migrations()
	return ms[len(ms)-1].Version
}

// ErrSchemaTooNew means the control plane was migrated by a newer Backflow than this binary.
var ErrSchemaTooNew = errors.New("control-plane schema is newer than this binary")

// Migrate brings the control-plane schema up to the newest embedded version. It is idempotent and
// safe to call from many processes at once: the work happens under an advisory lock. It refuses to
// touch a schema newer than this binary knows.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (applied []int, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to the control plane: %w", err)
	}
	defer conn.Release()

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
		return nil, fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() {
		// A fresh context: the caller's may be cancelled, and the lock must not outlive us.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockID)
	}()

	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+Schema+`;
		CREATE TABLE IF NOT EXISTS `+Schema+`.schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
		return nil, fmt.Errorf("create the %s schema: %w", Schema, err)
	}

	var current int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+Schema+`.schema_migrations`).Scan(&current); err != nil {
		return nil, fmt.Errorf("read the schema version: %w", err)
	}
	latest := LatestVersion()
	if current > latest {
		return nil, fmt.Errorf("the control plane is at schema version %d, but this binary knows versions 1 to %d: "+
			"upgrade Backflow (provider and runner) to a release that knows version %d: %w", current, latest, current, ErrSchemaTooNew)
	}
	for _, m := range Migrations() {
		if m.Version <= current {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO `+Schema+`.schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("apply migration %03d_%s: %w", m.Version, m.Name, err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}
