package controlplane

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// Schema is the Postgres schema that holds the whole control plane.
const Schema = "backflow"

// The advisory locks taken while migrating, so that binaries meeting an old schema at once apply
// each migration exactly once: one for the control plane's migrations, one for the job queue's
// (River's). They stay two keys because runners of earlier releases take River's lock alone.
const (
	migrationLockID      int64 = 0x6261636b666c6f77 // "backflow"
	riverMigrationLockID int64 = 0x62666c7772697672 // "bflwrivr"
)

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
func LatestVersion() int { return latestVersion() }

// latestVersion reads the embedded migrations once: every sync's lock checks it (AcquireSync).
var latestVersion = sync.OnceValue(func() int {
	ms := Migrations()
	return ms[len(ms)-1].Version
})

// ErrSchemaTooNew means the control plane was migrated by a newer Backflow than this binary.
var ErrSchemaTooNew = errors.New("control-plane schema is newer than this binary")

// schemaTooNew is the error of a binary that knows versions 1 to latest meeting a control plane at
// version current, above latest.
func schemaTooNew(current, latest int) error {
	return fmt.Errorf("the control plane is at schema version %d, but this binary knows versions 1 to %d: "+
		"upgrade Backflow (provider and runner) to a release that knows version %d: %w", current, latest, current, ErrSchemaTooNew)
}

// CheckSchema returns an error wrapping ErrSchemaTooNew when a newer Backflow migrated the
// control plane past the versions this binary knows since it was opened (Open refuses such a
// schema; a daemon started before the upgrade meets it later), nil otherwise. One read of the
// version table.
func (s *Store) CheckSchema(ctx context.Context) error {
	current, err := schemaVersion(ctx, s.db)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	if latest := LatestVersion(); current > latest {
		return schemaTooNew(current, latest)
	}
	return nil
}

// schemaVersion is the newest migration recorded in the version table (0: none).
func schemaVersion(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}) (int, error) {
	var v int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+Schema+`.schema_migrations`).Scan(&v)
	return v, err
}

// Migrate brings the control-plane schema up to the newest embedded version, then the job queue's
// (River's) tables in it. It is the one migration entry point: the provider (through Open), every
// runner command and `backflow-runner migrate` call it. It is idempotent and safe to call from many
// processes at once: each part runs under its advisory lock, unless both are already current
// (upToDate). It refuses to touch a schema newer
// than this binary knows. applied lists the control-plane versions it applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (applied []int, err error) {
	if upToDate(ctx, pool) {
		return nil, nil
	}
	err = withAdvisoryLock(ctx, pool, migrationLockID, "the migration lock", func(conn *pgx.Conn) error {
		applied, err = migrateControlPlane(ctx, conn, Migrations())
		return err
	})
	if err != nil {
		return applied, err
	}
	err = withAdvisoryLock(ctx, pool, riverMigrationLockID, "the job-queue migration lock", func(*pgx.Conn) error {
		return migrateRiver(ctx, pool)
	})
	return applied, err
}

// upToDate reports whether both schemas are already at the newest versions this binary knows,
// read on a pool connection: the common case (every runner command and every
// provider configure call Migrate) then opens no connection of its own and takes no lock, which
// cost two connections and about ten statements, some 50 to 80 ms, before each run. Migrations
// only move forward, so a schema seen at the newest version stays there. Anything else (a
// database never migrated, whose tables are not there yet, an older or newer schema, River's
// table shaped otherwise) is not up to date: Migrate then takes the locks and decides.
func upToDate(ctx context.Context, pool *pgxpool.Pool) bool {
	river, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: Schema})
	if err != nil {
		return false
	}
	all := river.AllVersions()
	if len(all) == 0 {
		return false
	}
	var ok bool
	err = pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL`,
		Schema+".schema_migrations", Schema+".river_migration").Scan(&ok)
	if err != nil || !ok {
		return false
	}
	var current, riverCurrent *int
	err = pool.QueryRow(ctx, `SELECT (SELECT max(version) FROM `+Schema+`.schema_migrations),
		(SELECT max(version) FROM `+Schema+`.river_migration WHERE line = 'main')`).Scan(&current, &riverCurrent)
	return err == nil && current != nil && riverCurrent != nil &&
		*current == LatestVersion() && *riverCurrent == all[len(all)-1].Version
}

// withAdvisoryLock runs fn on a connection of its own that holds the session-level advisory lock
// key, and unlocks it after. The connection is opened with the pool's settings but outside the
// pool: callers waiting for the lock hold no pool connection that the holder's fn may need.
func withAdvisoryLock(ctx context.Context, pool *pgxpool.Pool, key int64, lockName string, fn func(conn *pgx.Conn) error) error {
	cfg := pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "backflow migration"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to the control plane: %w", redactErr(err))
	}
	// A fresh context: the caller's may be cancelled, and the lock must not outlive us (closing
	// the session frees it too, should the unlock not be answered in time).
	defer func() {
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	// Another process that holds the lock is migrating: say so before waiting for it, which
	// lasts as long as its migrations do (a migration behind another session's lock waits for
	// that too), instead of waiting silent.
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		return fmt.Errorf("take %s: %w", lockName, err)
	}
	if !got {
		var pid int64
		var app string
		_ = conn.QueryRow(ctx, `SELECT l.pid, coalesce(a.application_name, '')
			FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE `+advisoryHeld("$1")+` LIMIT 1`, key).Scan(&pid, &app)
		slog.Default().Info("waiting for "+lockName+": another process is migrating the control plane; "+
			"this one goes on once it is done", "holder_pid", pid, "holder_application", app)
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
			return fmt.Errorf("take %s: %w", lockName, err)
		}
	}
	defer func() {
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		_, _ = conn.Exec(cctx, "SELECT pg_advisory_unlock($1)", key)
	}()
	return fn(conn)
}

// migrationLockTimeout bounds how long one attempt of a migration waits for a table's lock, and
// migrationRetryWait how long it then lets the others run before the next attempt. A migration
// that alters a table waits for every transaction using it (a runner still on the previous
// release, reading the ledger of a long run); while it waits in the lock queue, every new
// statement on that table waits behind it, so without a bound the runners and `terraform plan`
// would stall until the longest of those transactions ends.
var (
	migrationLockTimeout = 2 * time.Second
	migrationRetryWait   = time.Second
)

// migrateControlPlane applies the migrations of ms (in version order; the embedded ones but in
// tests) that conn's database lacks, each in a transaction of its own. A migration whose locks
// are not granted within migrationLockTimeout, or that Postgres ended to break a deadlock (it
// locks tables one after the other, and a session writing them in the other order can be
// waiting for it), is rolled back and tried again, until ctx ends.
func migrateControlPlane(ctx context.Context, conn *pgx.Conn, ms []Migration) (applied []int, err error) {
	// Create the schema and the version table only when they are missing: CREATE ... IF NOT
	// EXISTS checks its privilege first, so a role that may only create tables in the schema (or
	// only read and write them) would fail "permission denied for database" on a schema that is
	// there, before the version check could say the schema is newer than this binary.
	var haveSchema, haveTable bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1), to_regclass($2) IS NOT NULL`,
		Schema, Schema+".schema_migrations").Scan(&haveSchema, &haveTable); err != nil {
		return nil, fmt.Errorf("look for the %s schema: %w", Schema, err)
	}
	if !haveSchema {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+Schema); err != nil {
			return nil, fmt.Errorf("create the %s schema: %w", Schema, err)
		}
	}
	if !haveTable {
		if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+Schema+`.schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return nil, fmt.Errorf("create the %s schema's version table: %w", Schema, err)
		}
	}

	current, err := schemaVersion(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("read the schema version: %w", err)
	}
	latest := ms[len(ms)-1].Version
	if current > latest {
		return nil, schemaTooNew(current, latest)
	}
	for _, m := range ms {
		if m.Version <= current {
			continue
		}
		if err := applyMigration(ctx, conn, m); err != nil {
			return applied, fmt.Errorf("apply migration %03d_%s: %w", m.Version, m.Name, err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// applyMigration applies m and records it, in one transaction, retrying while its locks are not
// granted within migrationLockTimeout (see there) or it is ended by a deadlock.
func applyMigration(ctx context.Context, conn *pgx.Conn, m Migration) error {
	var noticed time.Time // when the wait was last reported
	for {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, migrationLockTimeout.Milliseconds())); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO `+Schema+`.schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "55P03" && pgErr.Code != "40P01" { // lock_not_available, deadlock_detected
			return err
		}
		if noticed.IsZero() || time.Since(noticed) >= migrationWaitNoticeEvery {
			noticed = time.Now()
			noticeMigrationWait(ctx, conn, m)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for other sessions' locks on the control plane's tables: %w", ctx.Err())
		case <-time.After(migrationRetryWait):
		}
	}
}

// migrationWaitNoticeEvery is how often a migration that waits for other sessions' locks says so.
const migrationWaitNoticeEvery = 30 * time.Second

// noticeMigrationWait warns (on slog's default logger: the runner's own, stderr otherwise) that
// migration m waits for locks other sessions hold, naming the session with the oldest
// transaction that holds a lock on the schema's tables, the likeliest to be in its way. Without
// it, a migration behind a long transaction (a session idle in transaction, a LOCK TABLE) was
// tried again every second for as long as that lasted, and `migrate`, or any command that
// migrates, printed nothing.
func noticeMigrationWait(ctx context.Context, conn *pgx.Conn, m Migration) {
	msg := fmt.Sprintf("migration %03d_%s waits for locks other sessions hold on the control plane's tables "+
		"(a long transaction, a LOCK TABLE); it is tried again every %s until they are released", m.Version, m.Name, migrationRetryWait)
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var (
		pid           int64
		app, user, st string
		age           float64
		tables        string
	)
	err := conn.QueryRow(qctx, `SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''),
			coalesce(a.state, ''), coalesce(extract(epoch FROM now() - a.xact_start)::float8, 0),
			string_agg(DISTINCT l.relation::regclass::text, ', ')
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
			AND l.relation IN (SELECT c.oid FROM pg_class c WHERE c.relnamespace = $1::regnamespace)
		GROUP BY 1, 2, 3, 4, 5, a.xact_start
		ORDER BY a.xact_start NULLS LAST
		LIMIT 1`, Schema).Scan(&pid, &app, &user, &st, &age, &tables)
	if err != nil {
		slog.Default().Warn(msg)
		return
	}
	slog.Default().Warn(msg+"; the oldest transaction holding a lock on them is the holder's (end it, or "+
		"SELECT pg_terminate_backend(holder_pid), if it is stuck)",
		"holder_pid", pid, "holder_application", app, "holder_user", user, "holder_state", st,
		"holder_transaction_age", (time.Duration(age) * time.Second).String(), "holder_tables", tables)
}

// migrateRiver applies River's migrations to its tables in the control-plane schema. River's
// migrator runs on the pool, not on the lock's connection: some of its migrations cannot share
// one transaction. Its warnings go to slog's default logger (the runner's own, in its format;
// stderr otherwise), as stdout is the commands' output; its info lines are left out.
func migrateRiver(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{
		Schema: Schema,
		Logger: slog.New(warningsOnly{slog.Default().Handler()}),
	})
	if err != nil {
		return fmt.Errorf("prepare the job-queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply the job-queue (River) migrations: %w", err)
	}
	return nil
}

// warningsOnly is a slog handler that keeps only warnings and errors.
type warningsOnly struct{ slog.Handler }

func (h warningsOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}
func (h warningsOnly) WithAttrs(as []slog.Attr) slog.Handler {
	return warningsOnly{h.Handler.WithAttrs(as)}
}
func (h warningsOnly) WithGroup(name string) slog.Handler {
	return warningsOnly{h.Handler.WithGroup(name)}
}
