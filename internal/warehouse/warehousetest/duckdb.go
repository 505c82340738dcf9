//go:build cgo

package warehousetest

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// NewDuckDBFile creates a DuckDB database file in the test's temporary directory, runs setup on
// it (statements separated by ';' in one string are fine) with a writable connection that is
// closed before it returns, and returns the file's path and the directory (for Parquet or CSV
// files the test writes beside it).
func NewDuckDBFile(t testing.TB, setup ...string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "warehouse.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range setup {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("duckdb setup: %s: %v", s, err)
		}
	}
	return path, dir
}
