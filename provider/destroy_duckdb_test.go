//go:build cgo

package provider

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// TestAccDestroyWhenGone's DuckDB case: the database file deleted.
func TestAccDestroyWhenGoneDuckDB(t *testing.T) {
	path, dir := warehousetest.NewDuckDBFile(t, "CREATE TABLE users AS SELECT 'u1' AS unique_id, 'alycia@example.com' AS email")
	testDestroyWhenGone(t, goneWorld{
		block: "duckdb = { database = %q }", url: path, dead: filepath.Join(dir, "elsewhere", "lake.duckdb"),
		gone: func() {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		},
	}, true)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the deleted database file is back after plans and destroy (stat: %v)", err)
	}
}
