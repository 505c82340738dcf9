//go:build cgo

package warehouse

import (
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// TestDescribedSQLIsRead's case for DuckDB, whose driver is in cgo builds only.
func TestDuckDBDescribedSQLIsRead(t *testing.T) {
	t.Parallel()
	duckPath, _ := warehousetest.NewDuckDBFile(t, "CREATE TABLE users AS SELECT 1 AS id, 'a@x' AS email")
	checkDescribedSQLIsRead(t, map[string]Source{"duckdb": NewDuckDB(&controlplane.DuckDBConfig{Database: duckPath})})
}
