//go:build cgo

package warehouse

import (
	"context"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// Every warehouse's source, as For returns it, leaves out the values its data exceptions quote,
// whether the error comes from describing the model, opening it or reading its rows; its SQL
// errors still quote the model's SQL.
func TestForHidesQuotedValues(t *testing.T) {
	ctx := context.Background()
	const secret = "alice@example.com"
	pg := &controlplane.Connection{Name: "pg", Postgres: &controlplane.PostgresConfig{URL: newWarehouse(t,
		"CREATE TABLE u (id int, email text)", "INSERT INTO u VALUES (1, '1'), (2, '"+secret+"')")}}
	myURL, db := warehousetest.NewMySQLDatabase(t)
	if _, err := db.Exec("CREATE FUNCTION f(x text) RETURNS int DETERMINISTIC RETURN x"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("SET SESSION sql_mode = 'STRICT_ALL_TABLES'; CREATE TABLE u (id int, email text); INSERT INTO u VALUES (1, '1'), (2, '" + secret + "')"); err != nil {
		t.Fatal(err)
	}
	my := &controlplane.Connection{Name: "my", MySQL: &controlplane.MySQLConfig{URL: myURL}}
	path, _ := warehousetest.NewDuckDBFile(t, "CREATE TABLE u AS SELECT * FROM (VALUES (1, '1'), (2, '"+secret+"')) v(id, email)")
	duck := &controlplane.Connection{Name: "duck", DuckDB: &controlplane.DuckDBConfig{Database: path}}
	for _, c := range []struct {
		conn      *controlplane.Connection
		query     string
		want, not string
	}{
		{pg, "select id, email::int as n from u", `integer: "[value not shown]" (SQLSTATE 22P02)`, secret},
		{pg, "select id, to_date(email, 'YYYY-MM-DD') as n from u", `invalid value "[value not shown]" for "[value not shown]"`, "alic"},
		{pg, "select id, 'a' || 'b from u", `unterminated quoted string at or near "'b from u"`, "not shown"},
		{my, "select id, f(email) as n from u", "Incorrect integer value: '[value not shown]' for column", secret},
		{my, "select id, 'ab from u", "near ''ab from u", "not shown"},
		{duck, "select id, email::int as n from u", "Could not convert string '[value not shown]' to INT32", secret},
		{duck, "select id, strptime(email, '%Y') as n from u", `Could not parse string "[value not shown]"`, "alice"},
		{duck, "select id, emial from u", `Referenced column "emial" not found`, "not shown"},
	} {
		src, err := For(c.conn)
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Describe(ctx, c.query)
		if err == nil {
			var rows Stream
			if rows, err = Read(ctx, src, c.query, "id", nil, nil); err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), c.not) {
			t.Errorf("%s: %s: %v; want it to say %q, and not %q", c.conn.Name, c.query, err, c.want, c.not)
		}
	}
}
