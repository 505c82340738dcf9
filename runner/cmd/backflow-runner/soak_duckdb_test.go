//go:build cgo

package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// The database file's soak is a mirror's only, for time (every soak adds to `make test`'s): a
// mirror's checks hold an update_or_create's, and what else an update_or_create or a cursor does
// is the same over a database file as over a Parquet file.
func init() {
	soakWarehouses = append(soakWarehouses,
		soakKind{controlplane.KindDuckDB + "_parquet", []string{soakMirror, soakUpdateOrCreate, soakCursor},
			func() soakWarehouse { return &duckdbSoak{} }},
		soakKind{controlplane.KindDuckDB + "_file", []string{soakMirror}, func() soakWarehouse { return &duckdbFileSoak{} }})
}

const duckUsersTable = `CREATE TABLE users (unique_id BIGINT, email VARCHAR, first_name VARCHAR,
	version INTEGER NOT NULL DEFAULT 1, seq BIGINT NOT NULL)`

// duckdbSoak is a DuckDB warehouse as a data lake is one: a ":memory:" connection whose model
// reads a Parquet file. The test keeps the users in a DuckDB database of its own and writes
// them to the file after each change, to a temporary file renamed over it: a run, killed or
// not, reads one version of the file whole (the runner never opens the test's database, so
// no file lock is shared).
type duckdbSoak struct {
	t       *testing.T
	db      *sql.DB
	parquet string
}

func (d *duckdbSoak) newWorld(t *testing.T, n int, hookURL string, batchSize int) *world {
	t.Helper()
	d.t = t
	d.parquet = filepath.Join(t.TempDir(), "users.parquet")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one in-memory database, whatever the driver does per connection
	t.Cleanup(func() { _ = db.Close() })
	d.db = db
	d.exec(duckUsersTable)
	d.exec(`INSERT INTO users (unique_id, email, first_name, seq) VALUES ` + usersValues(1, n, 0))
	d.write()
	return newWorldOf(t, controlplanetest.WorldOpts{
		Warehouse: &controlplane.Connection{Name: controlplanetest.DefaultWarehouseName,
			DuckDB: &controlplane.DuckDBConfig{Database: ":memory:"}},
		Model: &controlplane.Model{SQL: fmt.Sprintf("select * from read_parquet('%s')", d.parquet)},
	}, hookURL, batchSize)
}

func (d *duckdbSoak) exec(q string) {
	d.t.Helper()
	if _, err := d.db.Exec(q); err != nil {
		d.t.Fatalf("warehouse: %s: %v", q, err)
	}
}

// write replaces the Parquet file with the users, atomically.
func (d *duckdbSoak) write() {
	d.t.Helper()
	tmp := d.parquet + ".tmp"
	d.exec(fmt.Sprintf("COPY users TO '%s' (FORMAT parquet)", tmp))
	if err := os.Rename(tmp, d.parquet); err != nil {
		d.t.Fatal(err)
	}
}

func (d *duckdbSoak) change(next int) {
	d.exec(fmt.Sprintf(`UPDATE users SET version = version + 1, seq = %d WHERE random() < 0.05`, next))
	d.exec(`DELETE FROM users WHERE random() < 0.02`)
	d.exec(`INSERT INTO users (unique_id, email, first_name, seq) VALUES ` + usersValues(next, 20, next))
	d.write()
}

func (d *duckdbSoak) versions() map[string]float64 {
	d.t.Helper()
	return scanVersions(d.t, d.db)
}

// duckdbFileSoak is a DuckDB database file, which the runner opens read-only. The test opens it
// writable only between runs, for each change, and closes it before the next run starts: DuckDB
// lets no reader open a file a writer holds.
type duckdbFileSoak struct {
	t    *testing.T
	path string
}

func (d *duckdbFileSoak) newWorld(t *testing.T, n int, hookURL string, batchSize int) *world {
	t.Helper()
	d.t = t
	d.path, _ = warehousetest.NewDuckDBFile(t,
		duckUsersTable,
		`INSERT INTO users (unique_id, email, first_name, seq) VALUES `+usersValues(1, n, 0))
	return newWorldOf(t, controlplanetest.WorldOpts{
		Warehouse: &controlplane.Connection{Name: controlplanetest.DefaultWarehouseName,
			DuckDB: &controlplane.DuckDBConfig{Database: d.path}},
		Model: &controlplane.Model{SQL: "select * from users"},
	}, hookURL, batchSize)
}

// open opens the database file writable; the caller closes it.
func (d *duckdbFileSoak) open() *sql.DB {
	d.t.Helper()
	db, err := sql.Open("duckdb", d.path)
	if err != nil {
		d.t.Fatal(err)
	}
	return db
}

func (d *duckdbFileSoak) change(next int) {
	d.t.Helper()
	db := d.open()
	defer db.Close()
	for _, q := range []string{fmt.Sprintf(`UPDATE users SET version = version + 1, seq = %d WHERE random() < 0.05`, next),
		`DELETE FROM users WHERE random() < 0.02`,
		`INSERT INTO users (unique_id, email, first_name, seq) VALUES ` + usersValues(next, 20, next)} {
		if _, err := db.Exec(q); err != nil {
			d.t.Fatalf("warehouse: %s: %v", q, err)
		}
	}
}

func (d *duckdbFileSoak) versions() map[string]float64 {
	d.t.Helper()
	db := d.open()
	defer db.Close()
	return scanVersions(d.t, db)
}
