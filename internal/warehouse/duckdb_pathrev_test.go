//go:build cgo && linux

package warehouse

import (
	"context"
	"errors"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// duckRefusedQueries fails t for each query Describe does not refuse as not read-only, and for
// each a read of it opens.
func duckRefusedQueries(t *testing.T, src *DuckDB, queries ...string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range queries {
		if _, err := src.Describe(ctx, q); !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("describe of %q: %v, want it refused as not read-only", q, err)
		}
		if r, err := src.Open(ctx, q, "id", nil); err == nil {
			r.Close()
			t.Errorf("a read of %q opened", q)
		}
	}
}

// TestDuckDBModelReadsNoProcessFileByFileURL: DuckDB reads file:/p and file://localhost/p as
// /p, so read_text('file:/proc/self/environ') sent the runner's environment.
func TestDuckDBModelReadsNoProcessFileByFileURL(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	duckRefusedQueries(t, src,
		"select content as id from read_text('file:/proc/self/environ')",
		"select content as id from read_text('FILE:/proc/self/environ')",
		"select content as id from read_text('file://localhost/proc/self/environ')",
		"select content as id from read_text('file://LOCALHOST/proc/self/environ')",
		"select content as id from read_text('file:file:/proc/self/environ')",
		"select content as id from read_text(['file:/sys/class/net/lo/address'])",
		"select * from 'file:/proc/self/environ'",
	)
}
