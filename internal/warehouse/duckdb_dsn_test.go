//go:build cgo

package warehouse

import (
	"context"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// TestDuckDBDatabaseRefusesUnsignedExtensions: database = ":memory:?allow_unsigned_extensions=true"
// (or a file's, which kept its other parameters) started DuckDB so that init_sql could LOAD an
// extension of anyone's, native code run inside the runner (and the provider, at plan time),
// with its files and secrets. DuckDB takes the setting only at start (init_sql cannot set it),
// so refusing it in database closes that. Every read refuses it, as the provider does at plan time.
func TestDuckDBDatabaseRefusesUnsignedExtensions(t *testing.T) {
	ctx := context.Background()
	for _, db := range []string{
		":memory:?allow_unsigned_extensions=true",
		"md:x?allow%5Funsigned%5Fextensions=1",
		t.TempDir() + "/lake.duckdb?threads=2&ALLOW_UNSIGNED_EXTENSIONS=true",
	} {
		if problem := DuckDBDatabaseProblem(db); !strings.Contains(problem, "allow_unsigned_extensions") {
			t.Errorf("%s: problem %q", db, problem)
		}
		_, err := NewDuckDB(&controlplane.DuckDBConfig{Database: db}).Describe(ctx, "select 1 as id")
		if err == nil || !strings.Contains(err.Error(), "allow_unsigned_extensions") {
			t.Errorf("%s: describe: %v", db, err)
		}
	}
	for _, db := range []string{":memory:", ":memory:?threads=2", "md:x", "/data/lake.duckdb?access_mode=read_only"} {
		if problem := DuckDBDatabaseProblem(db); problem != "" {
			t.Errorf("%s: problem %q", db, problem)
		}
	}
	// Nor can init_sql set it once DuckDB runs.
	_, err := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: "SET allow_unsigned_extensions = true"}).
		Describe(ctx, "select 1 as id")
	if err == nil {
		t.Error("init_sql set allow_unsigned_extensions")
	}
}
