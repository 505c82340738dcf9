package runner

import (
	"context"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

// modelSource is a model's warehouse as runs, dry runs and tests read it. internal/warehouse's
// drivers satisfy it; warehouse.For picks one by the connection's kind, so nothing here knows
// which warehouse it reads. Open's rows satisfy source (diff.go) in the key order the ledger
// has (warehouse.Source states the rule).
type modelSource interface {
	Describe(ctx context.Context, query string) ([]controlplane.Column, error)
	Open(ctx context.Context, query, keyColumn string, since *warehouse.Since) (warehouse.Stream, error)
	TableQuery(table string) string
	SchemaAndTable(table string) (schema, name string)
	OneKeyedRow(query, keyColumn string) string
	KeyJSON(col controlplane.Column) warehouse.KeyJSON
}

// modelQuery is the SQL that reads model m on src: its own SQL, or its table in src's dialect.
func modelQuery(src modelSource, m *controlplane.Model) string {
	if m.SQL != "" {
		return m.SQL
	}
	return src.TableQuery(m.Table)
}
