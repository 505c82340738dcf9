package warehouse

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// countRows opens the model and counts its rows, or returns Open's or the read's error.
func countRows(ctx context.Context, url, query string) (int, error) {
	rows, err := Open(ctx, &controlplane.PostgresConfig{URL: url}, query, "id", nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

// A read that starts while another transaction reloads a table the model reads (TRUNCATE and
// INSERT, a new table renamed in its place as dbt does) takes its
// snapshot, waits for the reload's lock, and then would see the table empty: Postgres's
// TRUNCATE and table rewrites are not MVCC-safe. Before the fix each read returned 0 of the 1000
// rows without an error (620, for the truncated partition: 38% deleted, within a mirror's default
// guard), and a mirror would have deleted the rest.
func TestOpenTableReplacedWhileReadStarts(t *testing.T) {
	url := newWarehouse(t,
		"CREATE TABLE users (id int PRIMARY KEY, email text)",
		"INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 1000) g",
		"CREATE TABLE events (id int, at date) PARTITION BY RANGE (at)",
		"CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')",
		"CREATE TABLE events_2 PARTITION OF events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')",
		"INSERT INTO events SELECT g, DATE '2026-01-01' + (g % 50) FROM generate_series(1, 1000) g",
		"CREATE MATERIALIZED VIEW users_mv AS SELECT * FROM users",
		"CREATE VIEW users_v AS SELECT * FROM users",
	)
	ctx := context.Background()
	etl, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer etl.Close(ctx)
	watch, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)

	for _, tc := range []struct {
		name, model string
		reload      []string
		want        int // rows read when the reload replaced nothing; 0: the read must fail
	}{
		{"truncate", "SELECT * FROM users", []string{"TRUNCATE users", "INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 1000) g"}, 0},
		{"truncate through a view", "SELECT * FROM users_v", []string{"TRUNCATE users", "INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 1000) g"}, 0},
		{"one partition", "SELECT * FROM events", []string{"TRUNCATE events_2", "INSERT INTO events SELECT g, DATE '2026-01-01' + (g % 50) FROM generate_series(1, 1000) g WHERE g % 50 >= 31"}, 0},
		// Not replaced: the read sees the table as its snapshot does, all of it.
		{"delete and insert", "SELECT * FROM users", []string{"LOCK TABLE users IN ACCESS EXCLUSIVE MODE", "DELETE FROM users", "INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 1000) g"}, 1000},
		// REFRESH writes its rows frozen, seen by every snapshot.
		{"refresh", "SELECT * FROM users_mv", []string{"REFRESH MATERIALIZED VIEW users_mv"}, 1000},
		{"view replaced", "SELECT * FROM users_v", []string{"DROP VIEW users_v", "CREATE VIEW users_v AS SELECT * FROM users"}, 1000},
		{"view over a new table", "SELECT * FROM users_v", []string{"CREATE TABLE users_new AS SELECT * FROM users", "CREATE OR REPLACE VIEW users_v AS SELECT * FROM users_new"}, 0},
		// Last: it drops the views over users.
		{"dbt rename", "SELECT * FROM users", []string{"CREATE TABLE users_tmp AS SELECT * FROM users", "ALTER TABLE users RENAME TO users_backup",
			"ALTER TABLE users_tmp RENAME TO users", "DROP TABLE users_backup CASCADE"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := etl.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			for _, s := range tc.reload {
				if _, err := tx.Exec(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			type result struct {
				n   int
				err error
			}
			done := make(chan result, 1)
			go func() {
				n, err := countRows(ctx, url, tc.model)
				done <- result{n, err}
			}()
			// Commit once the read waits for the reload's lock, its snapshot taken.
			for waiting := false; !waiting; {
				if err := watch.QueryRow(ctx, "SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()").Scan(&waiting); err != nil {
					t.Fatal(err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if tc.want > 0 {
				if r.err != nil || r.n != tc.want {
					t.Fatalf("read %d rows, %v; want %d", r.n, r.err, tc.want)
				}
				return
			}
			if !errors.Is(r.err, ErrReplacedWhileRead) || !strings.Contains(r.err.Error(), "nothing was sent") {
				t.Fatalf("read %d rows, %v; want ErrReplacedWhileRead", r.n, r.err)
			}
			t.Log(r.err)
			// The next read sees the reloaded table whole.
			if n, err := countRows(ctx, url, tc.model); err != nil || n != 1000 {
				t.Fatalf("next read: %d rows, %v; want 1000", n, err)
			}
		})
	}
}
