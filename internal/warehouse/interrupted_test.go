package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// A warehouse session ended while it prepared the model (a restart, an administrator ending
// sessions or canceling queries) was reported as "the warehouse rejected the model's SQL", which
// the provider showed as "Invalid Model Query: fix the query": a user debugged SQL that was fine.
// Here each describe waits on a table another session holds locked, and a third ends it.
func TestDescribeInterruptedIsNotARejectedSQL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	check := func(what string, err error) {
		t.Helper()
		if err == nil || !errors.Is(err, ErrInterrupted) || strings.Contains(err.Error(), "rejected the model's SQL") {
			t.Errorf("%s: %v; want ErrInterrupted, not a rejected SQL", what, err)
		}
	}

	url := newWarehouse(t, "CREATE TABLE u AS SELECT 1 AS id")
	for _, end := range []string{"pg_terminate_backend", "pg_cancel_backend"} {
		holder, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := holder.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE u IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		go func() {
			// End the session that waits for the lock (the describe's), as an administrator would.
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				var n int
				admin, err := pgx.Connect(ctx, url)
				if err != nil {
					return
				}
				_ = admin.QueryRow(ctx, `SELECT count(`+end+`(pid)) FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
				_ = admin.Close(ctx)
				if n > 0 {
					return
				}
			}
		}()
		src := NewPostgres(&controlplane.PostgresConfig{URL: url, LockTimeout: time.Minute})
		_, err = src.Describe(ctx, "select id from u")
		check("Postgres, "+end, err)
		_ = tx.Rollback(ctx)
		_ = holder.Close(ctx)
	}

	myURL, db := warehousetest.NewMySQLDatabase(t)
	if _, err := db.Exec("CREATE TABLE u (id int)"); err != nil {
		t.Fatal(err)
	}
	for _, end := range []string{"KILL CONNECTION", "KILL QUERY"} {
		holder, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := holder.ExecContext(ctx, "LOCK TABLES u WRITE"); err != nil {
			t.Fatal(err)
		}
		go func(db *sql.DB) {
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				var id int64
				err := db.QueryRowContext(ctx, `SELECT id FROM information_schema.processlist
					WHERE db = DATABASE() AND state LIKE '%metadata lock%' LIMIT 1`).Scan(&id)
				if err == nil {
					_, _ = db.ExecContext(ctx, end+" "+strconv.FormatInt(id, 10))
					return
				}
			}
		}(db)
		src := NewMySQL(&controlplane.MySQLConfig{URL: myURL, LockTimeout: time.Minute})
		_, err = src.Describe(ctx, "select id from u")
		check("MySQL, "+end, err)
		_, _ = holder.ExecContext(ctx, "UNLOCK TABLES")
		_ = holder.Close()
	}
}

// A model with a parameter ($1) is SQL the warehouse refuses: Postgres answers the describe's
// EXPLAIN, bound with no values, with a protocol violation (SQLSTATE 08P01), a code of the
// connection-exception class that ends no session. It was reported as ErrInterrupted, "the
// model's SQL was not at fault; try again", and the plan said to plan again, forever.
func TestDescribeParameterIsARejectedSQL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := newWarehouse(t, "CREATE TABLE u AS SELECT 1 AS id")
	src := NewPostgres(&controlplane.PostgresConfig{URL: url})
	for _, q := range []string{"select id from u where id = $1", "select $1::int as id"} {
		_, err := src.Describe(ctx, q)
		if err == nil || errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "rejected the model's SQL") {
			t.Errorf("%q: %v; want the warehouse's refusal of the SQL, not ErrInterrupted", q, err)
		}
	}
}

// A model calling a function whose shared library the warehouse no longer has (PostGIS upgraded
// on the server, "$libdir/postgis-2.5" gone) fails to plan with SQLSTATE 58P01, of the
// system-error class 58 that ends no session: trying again fails again until the warehouse's
// installation is fixed. It was reported as ErrInterrupted, "the model's SQL was not at fault;
// try again". (The function is made here with a library that exists, then pointed at one that
// does not, as an upgrade leaves it.)
func TestDescribeMissingLibraryIsARejectedSQL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := newWarehouse(t,
		`CREATE FUNCTION f(int) RETURNS int AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE C IMMUTABLE STRICT`,
		`UPDATE pg_proc SET probin = '$libdir/postgis-2.5' WHERE proname = 'f'`)
	src := NewPostgres(&controlplane.PostgresConfig{URL: url})
	for _, q := range []string{"select f(1) as id", "select f(x) as id from generate_series(1, 2) x"} {
		_, err := src.Describe(ctx, q)
		if err == nil || errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "rejected the model's SQL") ||
			!strings.Contains(err.Error(), "58P01") {
			t.Errorf("%q: %v; want the warehouse's refusal (58P01), not ErrInterrupted", q, err)
		}
	}
}

// The describe prepares the model twice, alone and as the derived table a run reads. A session
// ended at the second (the network cut here just after it left) was reported as ErrInterrupted
// under "the model's SQL runs alone but not as a run reads it ... (is there a comment after its
// last ';'?)": a fault of the SQL and "the model's SQL was not at fault" in one message.
func TestDescribeInterruptedAtItsDerivedTable(t *testing.T) {
	t.Parallel()
	url := newWarehouse(t, "CREATE TABLE u AS SELECT 1 AS id")
	proxy, proxied := controlplanetest.NewStallProxy(t, url)
	proxy.CutAfterSending("SELECT * FROM (")
	_, err := NewPostgres(&controlplane.PostgresConfig{URL: proxied}).Describe(context.Background(), "select id from u")
	if !errors.Is(err, ErrInterrupted) || strings.Contains(err.Error(), "not as a run reads it") {
		t.Errorf("%v; want ErrInterrupted, not a fault of the SQL", err)
	}
}

// A describe or read its caller ends (a Ctrl-C, the runner losing the sync's lock) was reported
// as "the warehouse rejected the model's SQL: context canceled", which sends an operator to the
// model's SQL. Here the model waits on a table another session holds locked, and the caller's
// context ends.
func TestCanceledReadIsNotARejectedSQL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := newWarehouse(t, "CREATE TABLE u AS SELECT 1 AS id")
	holder, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Close(ctx) })
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE u IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	src := NewPostgres(&controlplane.PostgresConfig{URL: url})
	for what, call := range map[string]func(context.Context) error{
		"describe": func(ctx context.Context) error { _, err := src.Describe(ctx, "SELECT id FROM u"); return err },
		"open": func(ctx context.Context) error {
			rows, err := src.Open(ctx, "SELECT id FROM u", "id", nil)
			if err == nil {
				rows.Close()
			}
			return err
		},
	} {
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond) // ends while the lock is awaited
		err := call(cctx)
		cancel()
		if err == nil || !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) ||
			strings.Contains(err.Error(), "rejected") {
			t.Errorf("%s ended by its caller: %v; want the context's error, not a rejected SQL", what, err)
		}
	}
}
