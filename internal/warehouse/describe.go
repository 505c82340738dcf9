// Package warehouse reads models from source warehouses (Postgres first).
package warehouse

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Describe returns the columns of query's result by preparing it (the warehouse parses the query
// and names its result columns) and planning it (EXPLAIN, to refuse SQL that writes), without
// running it, in a read-only transaction with the connection's timeouts. SQL the warehouse
// rejects returns the warehouse's own message; SQL that is not a query that only reads returns
// ErrNotReadOnly; a lock or statement timeout returns ErrLockTimeout or ErrStatementTimeout.
func Describe(ctx context.Context, wh *controlplane.PostgresConfig, query string) ([]controlplane.Column, error) {
	conn, err := Connect(ctx, wh)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return DescribeConn(ctx, conn, query)
}

// DescribeConn is Describe on an open connection.
func DescribeConn(ctx context.Context, conn *Conn, query string) ([]controlplane.Column, error) {
	if err := pgLexicon.noStatement(query); err != nil {
		return nil, err
	}
	query = pgLexicon.statement(query)
	conn.send()
	sd, err := conn.pg.Prepare(ctx, "", query)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42601" && pe.Message == "cannot insert multiple commands into a prepared statement" {
			return nil, fmt.Errorf("%w, and one query: this SQL holds several statements separated by ';': %w", ErrNotReadOnly, err)
		}
		return nil, conn.rejected(err)
	}
	if err := conn.checkReadsOnly(ctx, query); err != nil {
		return nil, err
	}
	if len(sd.Fields) == 0 {
		return nil, fmt.Errorf("%w and returns rows: this SQL returns no columns (a command such as CREATE TABLE AS "+
			"or SELECT INTO, or a SELECT of no columns)", ErrNotReadOnly)
	}
	// A run reads the model as a derived table (open; the other warehouses describe it so):
	// SQL that prepares alone but not so would pass here and fail every run.
	conn.send()
	if _, err := conn.pg.Prepare(ctx, "", "SELECT * FROM "+wrapQuery(query)); err != nil {
		err = conn.rejected(err)
		if errors.Is(err, ErrInterrupted) { // not the derived table's fault either
			return nil, err
		}
		return nil, fmt.Errorf("the model's SQL runs alone but not as a run reads it, as the derived table m of "+
			"SELECT * FROM (<the SQL>) AS m (is it a statement such as EXPLAIN or SHOW, which is not a query?): %w", err)
	}
	cols := make([]controlplane.Column, len(sd.Fields))
	seen := make(map[string]bool, len(sd.Fields))
	for i, f := range sd.Fields {
		if seen[f.Name] {
			return nil, fmt.Errorf("the model's SQL returns the column %q more than once: give each column its own name (AS ...)", f.Name)
		}
		seen[f.Name] = true
		cols[i] = controlplane.Column{Name: f.Name, Type: typeName(ctx, conn, f.DataTypeOID)}
	}
	return cols, nil
}

// typeName names a Postgres type OID as the warehouse does (format_type), e.g. "text", "int8",
// "timestamptz", "_text" for arrays; unknown OIDs fall back to the catalog.
func typeName(ctx context.Context, conn *Conn, oid uint32) string {
	if t, ok := conn.pg.TypeMap().TypeForOID(oid); ok {
		return t.Name
	}
	var name string
	if err := conn.pg.QueryRow(ctx, "SELECT typname FROM pg_type WHERE oid = $1", oid).Scan(&name); err == nil {
		return name
	}
	return fmt.Sprintf("oid:%d", oid)
}
