package warehouse

import (
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"

	"context"
	"strconv"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

var usersColumns = []string{"company", "company_domain", "created_at", "unique_id", "first_name", "full_name",
	"last_name", "role", "type", "user_id", "website"}

func usersNames() ([]int, [][]byte) {
	cols := make([]int, len(usersColumns))
	names := make([][]byte, len(usersColumns))
	for i, c := range usersColumns {
		cols[i] = i
		names[i] = strconv.AppendQuote(nil, c)
	}
	return cols, names
}

// BenchmarkEncodeRow measures decoding and encoding one users row from its wire bytes to a JSON
// object, without the network.
func BenchmarkEncodeRow(b *testing.B) {
	url := newWarehouse(b, warehousetest.UsersSQL(1000)...)
	rows, err := Open(context.Background(), &controlplane.PostgresConfig{URL: url}, "SELECT * FROM users", "unique_id", nil)
	if err != nil {
		b.Fatal(err)
	}
	var captured [][][]byte
	for rows.Next() {
		row := make([][]byte, len(rows.vals))
		for i, v := range rows.vals {
			if v != nil {
				row[i] = append([]byte{}, v...)
			}
		}
		captured = append(captured, row)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	rows.Close()
	cols, names := usersNames()
	buf := make([]byte, 0, 4096)
	var bytes int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows.vals = captured[i%len(captured)]
		buf = rows.AppendObject(buf[:0], cols, names)
		bytes += len(buf)
	}
	b.StopTimer()
	b.SetBytes(int64(bytes / max(b.N, 1)))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkStreamUsers measures reading a users table from Postgres ordered by key and encoding
// every row (b.N rows in the table), the warehouse's sort included.
func BenchmarkStreamUsers(b *testing.B) {
	url := newWarehouse(b, warehousetest.UsersSQL(max(b.N, 1))...)
	cols, names := usersNames()
	b.ReportAllocs()
	b.ResetTimer()
	rows, err := Open(context.Background(), &controlplane.PostgresConfig{URL: url}, "SELECT * FROM users", "unique_id", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	drainRows(b, rows, cols, names, true)
}

// drainRows reads rows to their end (encoding each row's object when encode is set), stops the
// timer, checks that b.N rows came, and reports rows/s.
func drainRows(b *testing.B, rows Stream, cols []int, names [][]byte, encode bool) {
	b.Helper()
	buf := make([]byte, 0, 4096)
	n := 0
	for rows.Next() {
		if encode {
			buf = rows.AppendObject(buf[:0], cols, names)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if n != b.N {
		b.Fatalf("read %d rows, want %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
