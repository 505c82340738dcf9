// Package controlplanetest gives tests a private Postgres database, created for the test and
// dropped when it ends.
package controlplanetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// URLEnv names the variable with the server tests use; its database is only used to create and
// drop per-test databases.
const URLEnv = "BACKFLOW_TEST_DATABASE_URL"

// DefaultURL is used when URLEnv is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL is the server tests run against.
func AdminURL() string {
	if u := os.Getenv(URLEnv); u != "" {
		return u
	}
	return DefaultURL
}

// NewDatabase creates an empty database for this test, drops it at cleanup, and returns its URL.
// The test fails (never skips) when Postgres cannot be reached: `make test` starts one.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("connect to the test Postgres (%s, or %s): %v; run the tests with `make test`, which starts one",
			URLEnv, DefaultURL, err)
	}
	defer admin.Close(ctx)
	sweepOnce.Do(func() { sweepAbandoned(ctx, admin) })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "backflow_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("parse %s: %v", URLEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

var sweepOnce sync.Once

// sweepAbandoned drops test databases left by runs that were killed before their cleanup ran:
// older than two hours and with nobody connected. Best effort: it needs a superuser to read the
// databases' creation time, and does nothing otherwise.
func sweepAbandoned(ctx context.Context, admin *pgx.Conn) {
	rows, err := admin.Query(ctx, `SELECT d.datname FROM pg_database d
		WHERE d.datname LIKE 'backflow\_test\_%'
		  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)
		  AND (pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification < now() - interval '2 hours'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, n := range names {
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)")
	}
}

// NewKey returns a fresh BACKFLOW_SECRET_KEY value.
func NewKey(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// NewStore opens a migrated Store on a fresh database; it returns the store, its URL and its key.
func NewStore(t testing.TB) (store *controlplane.Store, dbURL, key string) {
	t.Helper()
	dbURL = NewDatabase(t)
	key = NewKey(t)
	sealer, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	store, err = controlplane.Open(context.Background(), dbURL, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return store, dbURL, key
}

// Pool opens a pool on dbURL, closed at cleanup.
func Pool(t testing.TB, dbURL string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}
