// Package controlplanetest builds what tests of the control plane's users need: a private
// Postgres database created for the test and dropped when it ends (NewDatabase, NewStore), a
// store over a transaction rolled back when it ends (NewTxStore), a control plane with a
// warehouse, connections, a model and a sync (NewWorld), and the one wait (WaitFor).
package controlplanetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
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
	return newDatabase(t, "")
}

// NewDatabaseEncoded is NewDatabase with the server encoding given (such as "WIN1252"), and the
// C collation (other encodings than the server's default need one).
func NewDatabaseEncoded(t testing.TB, encoding string) string {
	t.Helper()
	return newDatabase(t, "", " ENCODING '"+encoding+"' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
}

// newDatabase creates a database for this test, a copy of template when it is not empty, and
// options (the rest of CREATE DATABASE) added.
func newDatabase(t testing.TB, template string, options ...string) string {
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
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	create += strings.Join(options, "")
	if _, err := admin.Exec(ctx, create); err != nil {
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
	return databaseURL(name)
}

// databaseURL is the URL of database name on the test server.
func databaseURL(name string) string {
	u, err := url.Parse(AdminURL())
	if err != nil {
		panic(fmt.Sprintf("controlplanetest: %s is not a URL: %v", URLEnv, err))
	}
	u.Path = "/" + name
	return u.String()
}

var sweepOnce sync.Once

// sweepAbandoned drops test databases left by runs that were killed before their cleanup ran
// (older than two hours) and templates of older schemas (older than a day), with nobody connected. Best effort: it needs a superuser to read the
// databases' creation time, and does nothing otherwise.
func sweepAbandoned(ctx context.Context, admin *pgx.Conn) {
	rows, err := admin.Query(ctx, `SELECT d.datname FROM pg_database d
		WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)
		  AND ((d.datname LIKE 'backflow\_test\_%'
		        AND (pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification < now() - interval '2 hours')
		    OR (d.datname LIKE 'backflow\_tmpl\_%'
		        AND (pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification < now() - interval '1 day'))`)
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
// The database is a copy of a template migrated once per schema (see migratedTemplate): copying
// costs a fraction of migrating. A test that needs no commit is faster on NewTxStore.
func NewStore(t testing.TB) (store *controlplane.Store, dbURL, key string) {
	t.Helper()
	return newStore(t, 0)
}

// newStore is NewStore with a pool of at most maxConns connections, set in the URL too
// (pool_max_conns); 0 leaves pgx's default.
func newStore(t testing.TB, maxConns int) (store *controlplane.Store, dbURL, key string) {
	t.Helper()
	tmpl, err := migratedTemplate()
	if err != nil {
		t.Fatalf("prepare the migrated template database: %v", err)
	}
	dbURL = newDatabase(t, tmpl)
	if maxConns > 0 {
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("pool_max_conns", strconv.Itoa(maxConns))
		u.RawQuery = q.Encode()
		dbURL = u.String()
	}
	key = NewKey(t)
	sealer, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Open migrates too: a no-op on a copy of the template.
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

var (
	templateMu sync.Mutex
	templates  = map[string]string{} // by server (AdminURL)
)

// migratedTemplate returns the name of a database holding the schema this binary migrates to
// (the control plane's and River's), creating it once per schema on the test server: the server
// AdminURL names now, since a test may point this process at another one (a private server it
// restarts). Remembered once for the process, a template made on that server was looked for on
// the shared one afterwards: every later test failed "template database ... does not exist".
func migratedTemplate() (string, error) {
	server := AdminURL()
	templateMu.Lock()
	defer templateMu.Unlock()
	if name, ok := templates[server]; ok {
		return name, nil
	}
	name, err := migratedCopy(context.Background(), "")
	if err != nil {
		return "", err
	}
	templates[server] = name
	return name, nil
}

// migratedCopy returns the name of a database holding the schema this binary migrates to,
// creating it when it does not exist. Its name is a hash of the embedded migrations and River's
// version, then suffix, so a schema change makes a new one (sweepAbandoned drops those unused for
// a day); an advisory lock keeps concurrent test binaries from racing. Suffix "" is the template
// NewStore copies; any other suffix names a copy of it (NewTxStore's shared database).
func migratedCopy(ctx context.Context, suffix string) (string, error) {
	h := sha256.New()
	for _, m := range controlplane.Migrations() {
		fmt.Fprintf(h, "%d\n%s\n", m.Version, m.SQL)
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if strings.HasPrefix(d.Path, "github.com/riverqueue/river") {
				fmt.Fprintf(h, "%s %s\n", d.Path, d.Version)
			}
		}
	}
	tmpl := "backflow_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]
	if suffix != "" {
		if _, err := migratedTemplate(); err != nil {
			return "", err
		}
	}
	name := tmpl + suffix
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return "", err
	}
	defer admin.Close(ctx)
	const lockKey = 0x62667470_6c746d70 // "bftpltmp"
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return "", err
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock($1)", int64(lockKey)) //nolint:errcheck // the session ends right after
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_new"
	_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
	if suffix != "" {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+building+" TEMPLATE "+tmpl); err != nil {
			return "", err
		}
	} else {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+building); err != nil {
			return "", err
		}
		store, err := controlplane.Open(ctx, databaseURL(building), nil)
		if err != nil {
			return "", fmt.Errorf("migrate the template: %w", err)
		}
		store.Close()
	}
	// Renamed once complete: a database is never seen half made.
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
		return "", err
	}
	return name, nil
}
