package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

// warnTablesWithoutTransactions warns when mirror sync y's model m (nil: as the plan changes it,
// else as stored) reads MySQL or MariaDB tables of an engine without transactions
// (modelTablesWithoutTransactions, mirrorTablesWarning).
func warnTablesWithoutTransactions(ctx context.Context, store *controlplane.Store, ps previewSettings,
	m *controlplane.Model, y *controlplane.Sync, diags *diag.Diagnostics) {
	if m == nil {
		m = ps.models.get(y.ModelID)
	}
	if m == nil {
		var err error
		if m, err = store.GetModel(ctx, y.ModelID); err != nil {
			return
		}
	}
	mirrorTablesWarning(m, y, modelTablesWithoutTransactions(ctx, store, ps, m), diags)
}

// modelTablesWithoutTransactions lists the MySQL or MariaDB tables of an engine without
// transactions (MyISAM, Aria, MEMORY...) model m reads: a reload of such a table is applied
// statement by statement whatever START TRANSACTION says, so a run that overlaps it reads the
// table empty or partly loaded, and a mirror sends deleted for the rest (docs/warehouses.md).
// What cannot be checked (the model or its warehouse out of reach, which their own plans
// report) lists nothing.
func modelTablesWithoutTransactions(ctx context.Context, store *controlplane.Store, ps previewSettings, m *controlplane.Model) []string {
	conn := ps.conns.get(m.ConnectionID)
	if conn == nil {
		var err error
		if conn, err = store.GetConnection(ctx, m.ConnectionID); err != nil {
			return nil
		}
	}
	if conn.MySQL == nil {
		return nil
	}
	src, err := warehouse.For(conn)
	if err != nil {
		return nil
	}
	query := m.SQL
	if query == "" {
		query = src.TableQuery(m.Table)
	}
	timeout := ps.timeout
	if timeout <= 0 {
		timeout = DefaultPreviewTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tables, err := warehouse.TablesWithoutTransactions(cctx, src, query)
	if err != nil {
		return nil
	}
	return tables
}

// mirrorTablesWarning warns that mirror sync y's model m reads tables, of an engine without
// transactions (none: no warning). It is a warning, not a refusal: a table only ever appended
// to, or replaced by RENAME TABLE, is read whole.
func mirrorTablesWarning(m *controlplane.Model, y *controlplane.Sync, tables []string, diags *diag.Diagnostics) {
	if len(tables) == 0 {
		return
	}
	diags.AddWarning("Backflow Mirror Reads Tables Without Transactions: "+syncTitle(y.Name),
		fmt.Sprintf("The model %q reads %s, of an engine without transactions. Each run reads such a table as it is "+
			"when the run's statement starts, but a reload of it (DELETE then INSERT, or batches of INSERT, even "+
			"inside START TRANSACTION) is applied statement by statement: a run that overlaps one reads the table "+
			"empty or partly loaded, without an error, and this mirror sync then sends deleted for every record "+
			"missing (within its guard; the default one stops a run that deletes more than half). Publish such a "+
			"table whole (fill a new table, then RENAME TABLE t TO t_old, t_new TO t), or convert it to InnoDB "+
			"(ALTER TABLE t ENGINE=InnoDB), or use behavior = \"update_or_create\", which never deletes.",
			m.Name, strings.Join(tables, ", ")))
}
