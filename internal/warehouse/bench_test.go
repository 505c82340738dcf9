package warehouse

import (
	"context"
	"fmt"
	"strconv"
	"testing"
)

// usersSQL fills a table shaped like the Census guide's users (11 columns, the key unique_id).
func usersSQL(n int) []string {
	return []string{
		`CREATE TABLE users (
			company text, company_domain text, created_at timestamp, unique_id text PRIMARY KEY,
			first_name text, full_name text, last_name text, role text, type text, user_id text, website text)`,
		fmt.Sprintf(`INSERT INTO users
		SELECT c.company || ' ' || (g %% 997), lower(n.ln) || (g %% 997) || '.co.uk',
			timestamp '2019-01-01' + g * interval '7 seconds',
			lower(n.fn) || '.' || lower(n.ln) || g || '@example.com',
			n.fn, n.fn || ' ' || n.ln, n.ln,
			(ARRAY['International Mobility Assistant','Regional Sales Manager','Chief Data Officer','Support Engineer'])[1 + g %% 4],
			(ARRAY['free user','paid user','trial user'])[1 + g %% 3],
			upper(md5(g::text)::uuid::text),
			'http://' || lower(n.ln) || (g %% 991) || '.biz'
		FROM generate_series(1, %d) g,
			LATERAL (SELECT (ARRAY['Walsh and Sons','Stehr-Weber','Adams LLC','Kuhn Group','Gislason Inc'])[1 + g %% 5] AS company) c,
			LATERAL (SELECT (ARRAY['Alycia','Bob','Chen','Dolores','Émile','Fatima','Gus'])[1 + g %% 7] AS fn,
				(ARRAY['Adams','Smith','Okafor','Nguyen','García','Müller','Kowalski','Brown','Ito','Silva','Haddad'])[1 + (g / 7) %% 11] AS ln) n`, n),
		"ANALYZE users",
	}
}

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
	url := newWarehouse(b, usersSQL(1000)...)
	rows, err := Open(context.Background(), url, "SELECT * FROM users", "unique_id")
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
	url := newWarehouse(b, usersSQL(max(b.N, 1))...)
	cols, names := usersNames()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	rows, err := Open(context.Background(), url, "SELECT * FROM users", "unique_id")
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		buf = rows.AppendObject(buf[:0], cols, names)
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
