// Package warehouse reads models from source warehouses (Postgres first).
package warehouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Defaults of a Postgres connection's zero StatementTimeout and LockTimeout. A run's read lasts
// as long as its delivery (rows stream as fast as the endpoint takes them), so the statement
// timeout is generous; waiting for a lock has no such reason.
const (
	DefaultStatementTimeout = time.Hour
	DefaultLockTimeout      = 10 * time.Second
)

// Connect opens one connection to a Postgres warehouse. Errors never echo the URL.
func Connect(ctx context.Context, wh *controlplane.PostgresConfig) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(wh.URL)
	if err != nil {
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			return nil, errors.New("the warehouse URL is not a valid Postgres URL (its text is not shown, it may hold a password)")
		}
		return nil, err
	}
	// Text values are copied into JSON as they come: ask for UTF-8 whatever the URL says.
	cfg.RuntimeParams["client_encoding"] = "UTF8"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the warehouse: %w", err)
	}
	return conn, nil
}

// Describe returns the columns of query's result by preparing it: the warehouse parses and plans
// the query and names its result columns without running it. SQL the warehouse rejects returns
// the warehouse's own message.
func Describe(ctx context.Context, wh *controlplane.PostgresConfig, query string) ([]controlplane.Column, error) {
	conn, err := Connect(ctx, wh)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return DescribeConn(ctx, conn, query)
}

// DescribeConn is Describe on an open connection.
func DescribeConn(ctx context.Context, conn *pgx.Conn, query string) ([]controlplane.Column, error) {
	sd, err := conn.Prepare(ctx, "", query)
	if err != nil {
		return nil, fmt.Errorf("the warehouse rejected the model's SQL: %w", err)
	}
	if len(sd.Fields) == 0 {
		return nil, errors.New("the model's SQL returns no columns: a model must be a query that returns rows")
	}
	cols := make([]controlplane.Column, len(sd.Fields))
	seen := make(map[string]bool, len(sd.Fields))
	for i, f := range sd.Fields {
		if seen[f.Name] {
			return nil, fmt.Errorf("the model's SQL returns the column %q more than once: give each column its own name (AS ...)", f.Name)
		}
		seen[f.Name] = true
		cols[i] = controlplane.Column{Name: f.Name, Type: TypeName(ctx, conn, f.DataTypeOID)}
	}
	return cols, nil
}

// TypeName names a Postgres type OID as the warehouse does (format_type), e.g. "text", "int8",
// "timestamptz", "_text" for arrays; unknown OIDs fall back to the catalog.
func TypeName(ctx context.Context, conn *pgx.Conn, oid uint32) string {
	if t, ok := conn.TypeMap().TypeForOID(oid); ok {
		return t.Name
	}
	var name string
	if err := conn.QueryRow(ctx, "SELECT typname FROM pg_type WHERE oid = $1", oid).Scan(&name); err == nil {
		return name
	}
	return fmt.Sprintf("oid:%d", oid)
}
