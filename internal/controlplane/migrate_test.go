package controlplane_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
)

// TestMigrateAppliesRiverToo: the one migration entry point leaves River's tables in the
// control-plane schema with nothing of River's left to apply, even when more callers share a
// small pool than it has connections (a caller waiting for a migration lock holds no pool
// connection that the lock's holder needs).
func TestMigrateAppliesRiverToo(t *testing.T) {
	ctx := context.Background()
	dbURL := controlplanetest.NewDatabase(t)
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)

	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = controlplane.Migrate(ctx, pool)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("migrate %d: %v", i, err)
		}
	}

	var jobTable bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, controlplane.Schema+".river_job").Scan(&jobTable); err != nil {
		t.Fatal(err)
	}
	if !jobTable {
		t.Errorf("no %s.river_job after Migrate", controlplane.Schema)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: controlplane.Schema})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Versions) != 0 {
		t.Errorf("River migrations still pending after Migrate: %+v", res.Versions)
	}
}

// TestMigrateUpToDateTakesNoLock: on a control plane already at this binary's versions, Migrate
// returns without the migration lock (and the connection of its own that holds it), so it does
// not wait for another process that holds it.
func TestMigrateUpToDateTakesNoLock(t *testing.T) {
	ctx := context.Background()
	dbURL := controlplanetest.NewDatabase(t)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := controlplane.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	holder, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1)", controlplane.MigrationLockID); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute) // only ends the wait for a lock never released
	defer cancel()
	if applied, err := controlplane.Migrate(wctx, pool); err != nil || len(applied) != 0 {
		t.Fatalf("Migrate on an up-to-date control plane: applied %v, %v (it waited for the lock another session holds)", applied, err)
	}
}

// TestStorePing: Ping answers while the control plane does, and fails once the store is closed.
func TestStorePing(t *testing.T) {
	store, _, _ := controlplanetest.NewStore(t) // NewStore: Ping needs the store's pool
	if err := store.Ping(context.Background()); err != nil {
		t.Fatalf("ping an open store: %v", err)
	}
	store.Close()
	if err := store.Ping(context.Background()); err == nil {
		t.Errorf("ping a closed store: no error")
	}
}

// TestMigrateWithSchemaPrivilegesOnly: a role with the privileges docs/runner.md asks for (use
// the backflow schema and create tables in it, nothing on the database) migrates a control plane
// whose schema an administrator created, and a role that may only read and write its tables
// meets a newer schema with ErrSchemaTooNew, not "permission denied": Migrate creates the schema
// and its version table only when they are missing.
func TestMigrateWithSchemaPrivilegesOnly(t *testing.T) {
	ctx := context.Background()
	dbURL := controlplanetest.NewDatabase(t)
	admin, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	migrator, user := "backflow_migrator_"+hex.EncodeToString(b), "backflow_user_"+hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, `CREATE ROLE `+migrator+` LOGIN; CREATE ROLE `+user+` LOGIN;
		REVOKE CREATE ON DATABASE `+pgx.Identifier{dbName(t, dbURL)}.Sanitize()+` FROM PUBLIC;
		CREATE SCHEMA `+controlplane.Schema+`;
		GRANT USAGE, CREATE ON SCHEMA `+controlplane.Schema+` TO `+migrator+`;
		GRANT USAGE ON SCHEMA `+controlplane.Schema+` TO `+user+`;
		ALTER DEFAULT PRIVILEGES FOR ROLE `+migrator+` IN SCHEMA `+controlplane.Schema+`
			GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO `+user); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // before the database is dropped: the roles own objects in it
		c, err := pgx.Connect(context.Background(), dbURL)
		if err != nil {
			t.Errorf("drop the test roles: %v", err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), `DROP OWNED BY `+user+`; DROP OWNED BY `+migrator+`; DROP ROLE `+migrator+`; DROP ROLE `+user); err != nil {
			t.Errorf("drop the test roles: %v", err)
		}
	})
	as := func(role string) *pgxpool.Pool {
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.User(role)
		return controlplanetest.Pool(t, u.String())
	}
	if _, err := controlplane.Migrate(ctx, as(migrator)); err != nil {
		t.Fatalf("migrate as a role that may create tables in the schema only: %v", err)
	}
	// The role that may only read and write the tables (no privilege on their id sequences,
	// which identity columns do not need) writes and reads connections: one's id is known
	// before its secrets are sealed with it without calling nextval.
	key, err := controlplane.ParseKey(controlplanetest.NewKey(t))
	if err != nil {
		t.Fatal(err)
	}
	store := controlplane.New(as(user), key)
	for _, name := range []string{"first hook", "second hook"} {
		c := webhookConn(name)
		if err := store.CreateConnection(ctx, c); err != nil {
			t.Fatalf("create a connection as a role that may only read and write the tables: %v", err)
		}
		if got, err := store.GetConnection(ctx, c.ID); err != nil || got.Webhook.URL != c.Webhook.URL {
			t.Fatalf("read back %q: %+v, %v", name, got, err)
		}
	}
	if _, err := admin.Exec(ctx, `INSERT INTO backflow.schema_migrations (version, name) VALUES ($1, 'future')`,
		controlplane.LatestVersion()+1); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{migrator, user} {
		if _, err := controlplane.Migrate(ctx, as(role)); !errors.Is(err, controlplane.ErrSchemaTooNew) {
			t.Errorf("migrate a newer schema as %s: %v; want ErrSchemaTooNew", role, err)
		}
	}
}

func dbName(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// TestMigrationDoesNotStallTheControlPlane: a migration that alters a table another session is
// using (a runner of the previous release in a long read) waits for it, but does not keep the
// table's other users waiting behind it in the lock queue: it gives up its place after a bound
// and tries again, and is applied once that session is done.
func TestMigrationDoesNotStallTheControlPlane(t *testing.T) {
	ctx := context.Background()
	dbURL := controlplanetest.NewDatabase(t)
	pool := controlplanetest.Pool(t, dbURL)
	if _, err := controlplane.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	next := controlplane.LatestVersion() + 1
	ms := append(controlplane.Migrations(), controlplane.Migration{Version: next, Name: "probe",
		SQL: `ALTER TABLE backflow.syncs ADD COLUMN probe integer`})

	reader, err := pool.Begin(ctx) // the long read of an older runner
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback(ctx)
	if _, err := reader.Exec(ctx, `SELECT count(*) FROM backflow.syncs`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		applied []int
		err     error
	}
	done := make(chan result, 1)
	go func() {
		applied, err := controlplane.MigrateWith(ctx, pool, ms)
		done <- result{applied, err}
	}()
	waitForMigrationOnALock(t, ctx, pool, "timed out waiting for the migration to wait for the reader's lock")
	// Meanwhile the control plane keeps answering: a runner reads the syncs.
	for range 3 {
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Exec(ctx, `SET statement_timeout = '5s'`)
		if err == nil {
			var n int
			err = c.QueryRow(ctx, `SELECT count(*) FROM backflow.syncs`).Scan(&n)
		}
		c.Release()
		if err != nil {
			t.Fatalf("reading the syncs while a migration waits for a lock: %v", err)
		}
	}
	select {
	case r := <-done:
		t.Fatalf("the migration ended while the reader still holds its lock: %v, %v", r.applied, r.err)
	default:
	}
	if err := reader.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || len(r.applied) != 1 || r.applied[0] != next {
		t.Fatalf("migrate once the reader is done: applied %v, %v; want [%d]", r.applied, r.err, next)
	}
}

// TestRunLookupsMigrationMeetsLedgerCommits: migration 017 indexes sync_runs and
// rejected_records while runners of the previous release commit delivered batches, each in a
// transaction that writes rejected_records and then its run's counters (sync_runs). The
// migration takes the tables' locks in that order too: taken the other way round, the two waited
// for each other and Postgres ended one with "deadlock detected" (the migration, so the command
// that migrated failed, or the runner's commit).
func TestRunLookupsMigrationMeetsLedgerCommits(t *testing.T) {
	ctx := context.Background()
	dbURL := controlplanetest.NewDatabase(t)
	pool := controlplanetest.Pool(t, dbURL)
	var before []controlplane.Migration
	for _, m := range controlplane.Migrations() {
		if m.Version < 17 {
			before = append(before, m)
		}
	}
	if _, err := controlplane.MigrateWith(ctx, pool, before); err != nil {
		t.Fatal(err)
	}
	var syncID, runID int64
	err := pool.QueryRow(ctx, `WITH c AS (INSERT INTO backflow.connections (name, kind, sealed_secrets)
			VALUES ('wh', 'postgres', ''), ('hook', 'webhook', '') RETURNING id, name),
		m AS (INSERT INTO backflow.models (name, connection_id, sql) SELECT 'm', id, 'select 1' FROM c WHERE name = 'wh' RETURNING id),
		y AS (INSERT INTO backflow.syncs (name, model_id, destination_id, behavior, primary_key)
			SELECT 's', m.id, c.id, 'mirror', 'id' FROM m, c WHERE c.name = 'hook' RETURNING id)
		SELECT id FROM y`).Scan(&syncID)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO backflow.sync_runs (sync_id, status, trigger) VALUES ($1, 'running', 'manual')
		RETURNING id`, syncID).Scan(&runID); err != nil {
		t.Fatal(err)
	}

	// A runner's commit of a batch with a refused record (commitDeliveredTx), up to its counters.
	commit, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer commit.Rollback(ctx)
	if _, err := commit.Exec(ctx, `INSERT INTO backflow.rejected_records (sync_id, key, run_id, status, body)
		VALUES ($1, 'k', $2, 422, 'no')`, syncID, runID); err != nil {
		t.Fatal(err)
	}
	type result struct {
		applied []int
		err     error
	}
	done := make(chan result, 1)
	go func() {
		applied, err := controlplane.MigrateWith(ctx, pool, controlplane.Migrations())
		done <- result{applied, err}
	}()
	waitForMigrationOnALock(t, ctx, pool, "timed out waiting for the migration to wait for the commit's lock")
	// The commit goes on: its run's counters, then COMMIT.
	if _, err := commit.Exec(ctx, `UPDATE backflow.sync_runs SET delivered = 1 WHERE id = $1`, runID); err != nil {
		t.Errorf("the runner's commit during migration 017: %v", err)
	} else if err := commit.Commit(ctx); err != nil {
		t.Errorf("the runner's commit during migration 017: %v", err)
	}
	r := <-done
	if r.err != nil || len(r.applied) == 0 || r.applied[len(r.applied)-1] != controlplane.LatestVersion() {
		t.Errorf("migration 017 during a runner's commit: applied %v, %v", r.applied, r.err)
	}
}

// TestMigrationRetriedAfterADeadlock: a migration that locks two tables in the order opposite to
// another session's writes (deleting a sync deletes its runs, then its rejected records) can
// deadlock with it; Postgres ends one of the two, here the migration, which waited first. The
// migration is rolled back whole, as after a lock timeout, so it is tried again rather than
// failing the command that migrates.
func TestMigrationRetriedAfterADeadlock(t *testing.T) {
	ctx := context.Background()
	dbURL := controlplanetest.NewDatabase(t)
	pool := controlplanetest.Pool(t, dbURL)
	if _, err := controlplane.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	next := controlplane.LatestVersion() + 1
	ms := append(controlplane.Migrations(), controlplane.Migration{Version: next, Name: "probe",
		SQL: `CREATE INDEX probe_rejected ON backflow.rejected_records (status);
			CREATE INDEX probe_runs ON backflow.sync_runs (trigger)`})

	writer, err := pool.Begin(ctx) // deleting a sync: its runs first
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback(ctx)
	// The writer never checks for the deadlock itself: Postgres checks once, deadlock_timeout
	// after a session starts waiting, and aborts the session that finds the cycle. With the
	// default (1 s) for both, a loaded machine could let the migration's check pass before the
	// writer waits (no cycle yet) and the writer's find it: the writer failed, not the migration.
	// (The migration then ends by its lock timeout instead, and is retried all the same.)
	if _, err := writer.Exec(ctx, `SET LOCAL deadlock_timeout = '10min'`); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Exec(ctx, `DELETE FROM backflow.sync_runs WHERE sync_id = 0`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		applied []int
		err     error
	}
	done := make(chan result, 1)
	go func() {
		applied, err := controlplane.MigrateWith(ctx, pool, ms)
		done <- result{applied, err}
	}()
	waitForMigrationOnALock(t, ctx, pool, "timed out waiting for the migration to wait for the writer's lock")
	// Then its rejected records: the migration holds that table and waits for the runs.
	if _, err := writer.Exec(ctx, `DELETE FROM backflow.rejected_records WHERE sync_id = 0`); err != nil {
		t.Errorf("the writer: %v", err)
	} else if err := writer.Commit(ctx); err != nil {
		t.Errorf("the writer: %v", err)
	}
	r := <-done
	if r.err != nil || len(r.applied) != 1 || r.applied[0] != next {
		t.Errorf("migrate after a deadlock: applied %v, %v; want [%d]", r.applied, r.err, next)
	}
}

// TestMigrationStoppedHalfWayResumes: an upgrade from version 16 whose process is stopped while
// migration 018 waits for a lock on the ledger pages (a runner of the previous release reading
// them) leaves 017 applied and 018 not applied at all (rolled back whole, not half); the next
// binary to migrate applies 018 and the rest, and nothing twice.
func TestMigrationStoppedHalfWayResumes(t *testing.T) {
	ctx := context.Background()
	dbURL := controlplanetest.NewDatabase(t)
	pool := controlplanetest.Pool(t, dbURL)
	ms := controlplane.Migrations()
	if ms[15].Version != 16 || ms[17].Version != 18 {
		t.Fatalf("migrations are not numbered 1, 2, ...: %d, %d", ms[15].Version, ms[17].Version)
	}
	if _, err := controlplane.MigrateWith(ctx, pool, ms[:16]); err != nil {
		t.Fatal(err)
	}
	reader, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback(ctx)
	if _, err := reader.Exec(ctx, `SELECT count(*) FROM backflow.sync_ledger_pages`); err != nil {
		t.Fatal(err)
	}
	mctx, stop := context.WithCancel(ctx)
	type result struct {
		applied []int
		err     error
	}
	done := make(chan result, 1)
	go func() {
		applied, err := controlplane.Migrate(mctx, pool)
		done <- result{applied, err}
	}()
	waitForMigrationOnALock(t, ctx, pool, "timed out waiting for migration 018 to wait for the reader's lock")
	stop()
	r := <-done
	if r.err == nil || !slices.Equal(r.applied, []int{17}) {
		t.Fatalf("the stopped migration: applied %v, error %v; want [17] and an error", r.applied, r.err)
	}
	var version int
	if err := pool.QueryRow(ctx, `SELECT max(version) FROM backflow.schema_migrations`).Scan(&version); err != nil || version != 17 {
		t.Fatalf("schema version %d (%v) after the stop, want 17", version, err)
	}
	if err := reader.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var rest []int
	for _, m := range ms[17:] {
		rest = append(rest, m.Version)
	}
	applied, err := controlplane.Migrate(ctx, pool)
	if err != nil || !slices.Equal(applied, rest) {
		t.Fatalf("migrate again: applied %v, %v; want %v", applied, err, rest)
	}
	var n, distinct int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM backflow.schema_migrations`).Scan(&n, &distinct); err != nil ||
		n != controlplane.LatestVersion() || distinct != n {
		t.Fatalf("%d versions recorded (%d distinct, %v), want each of 1 to %d once", n, distinct, err, controlplane.LatestVersion())
	}
}

// waitForMigrationOnALock waits until a migration's session of pool's database waits for a lock;
// timedOut is the failure when it does not within a minute.
func waitForMigrationOnALock(t *testing.T, ctx context.Context, pool *pgxpool.Pool, timedOut string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for waiting := false; !waiting; time.Sleep(10 * time.Millisecond) {
		if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
			AND application_name = 'backflow migration' AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal(timedOut)
		}
	}
}

// TestMigrationSaysWhatItWaitsFor: a migration that waits for another session's lock (a long
// transaction on a table it alters) says so while it waits, naming that session, instead of
// trying again every second in silence for as long as the session lasts.
func TestMigrationSaysWhatItWaitsFor(t *testing.T) {
	ctx := context.Background()
	dbURL := controlplanetest.NewDatabase(t)
	pool := controlplanetest.Pool(t, dbURL)
	if _, err := controlplane.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	next := controlplane.LatestVersion() + 1
	ms := append(controlplane.Migrations(), controlplane.Migration{Version: next, Name: "probe",
		SQL: `ALTER TABLE backflow.sync_runs ADD COLUMN probe integer`})
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	var pid int64
	if err := holder.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, `LOCK TABLE backflow.sync_runs IN ACCESS SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	logs := new(lockedbuf.Buffer)
	defer func(l *slog.Logger) { slog.SetDefault(l) }(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	done := make(chan error, 1)
	go func() {
		_, err := controlplane.MigrateWith(ctx, pool, ms)
		done <- err
	}()
	controlplanetest.WaitFor(t, "the migration to say it waits for a lock", func() bool {
		return strings.Contains(logs.String(), "waits for locks")
	})
	for _, want := range []string{fmt.Sprintf("holder_pid=%d", pid), "backflow.sync_runs"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the migration waiting for a lock logs %q, which lacks %s", logs.String(), want)
		}
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("migrate once the lock is released: %v", err)
	}
}

// TestMigrationSaysItWaitsForAnotherMigrator: a process that finds another one migrating (it
// holds the migration lock) says that it waits for it, naming it, instead of waiting silent
// for as long as the other's migrations last; it migrates once the lock is free.
func TestMigrationSaysItWaitsForAnotherMigrator(t *testing.T) {
	ctx := context.Background()
	dbURL := controlplanetest.NewDatabase(t)
	pool := controlplanetest.Pool(t, dbURL)
	if _, err := controlplane.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	ms := append(controlplane.Migrations(), controlplane.Migration{Version: controlplane.LatestVersion() + 1,
		Name: "probe", SQL: `ALTER TABLE backflow.syncs ADD COLUMN probe integer`})
	other, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	var pid int64
	if err := other.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, `SELECT pg_advisory_lock($1)`, controlplane.MigrationLockID); err != nil {
		t.Fatal(err)
	}
	logs := new(lockedbuf.Buffer)
	defer func(l *slog.Logger) { slog.SetDefault(l) }(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	done := make(chan error, 1)
	go func() {
		_, err := controlplane.MigrateWith(ctx, pool, ms)
		done <- err
	}()
	controlplanetest.WaitFor(t, "the migration to say it waits for another migrator", func() bool {
		return strings.Contains(logs.String(), "another process is migrating")
	})
	if want := fmt.Sprintf("holder_pid=%d", pid); !strings.Contains(logs.String(), want) {
		t.Errorf("the migration waiting for another logs %q, which lacks %s", logs.String(), want)
	}
	if _, err := other.Exec(ctx, `SELECT pg_advisory_unlock($1)`, controlplane.MigrationLockID); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("migrate once the other is done: %v", err)
	}
}
