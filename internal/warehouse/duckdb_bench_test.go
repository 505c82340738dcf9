//go:build cgo

package warehouse

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// duckUsersParquet writes n users shaped like warehousetest's users fixture (the bench's, which
// it writes as Parquet from Postgres's CSV: the same 11 columns and types, the same values
// for the same i) as a Parquet file in dir, with DuckDB alone.
func duckUsersParquet(b *testing.B, dir string, n int) string {
	b.Helper()
	path := filepath.Join(dir, "users.parquet")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	q := `COPY (
WITH words AS (
    SELECT
        ['Alycia','Bernard','Chioma','Dmitri','Elena','Farid','Grace','Hiroshi','Ines','Jamal',
         'Kirsten','Luis','Mei','Nikolai','Olga','Priya','Quentin','Rosa','Sven','Tomasz',
         'Ursula','Viktor','Wanjiru','Xavier','Yara','Zoltan'] AS firsts,
        ['Adams','Baker','Castillo','Dubois','Eriksen','Fischer','Garcia','Haddad','Ivanova',
         'Johnson','Kowalski','Lindqvist','Moreau','Nakamura','Okafor','Patel','Quinn','Rossi',
         'Schmidt','Tanaka','Urquhart','Varga','Walsh','Yilmaz','Zhang'] AS lasts,
        ['Walsh and Sons','Stehr Weber','Acme Analytics','Blue Harbor Labs','Cobalt Freight',
         'Delta Orchards','Evergreen Health','Foxglove Studio','Granite Payments',
         'Helix Robotics','Ironwood Legal','Juniper Travel','Kestrel Energy','Lumen Schools',
         'Meridian Foods','Northwind Traders','Orbit Media','Pinecrest Realty'] AS companies,
        ['.co.uk','.com','.io','.biz','.net','.de'] AS tlds,
        ['International Mobility Assistant','Account Executive','Data Engineer',
         'Head of Growth','Customer Success Manager','Product Designer','VP Engineering',
         'Marketing Analyst','Operations Lead','Founder','Support Specialist',
         'Solutions Architect'] AS roles
),
people AS (
    SELECT i,
           firsts[1 + (i * 7) % len(firsts)] AS first_name,
           lasts[1 + (i * 11) % len(lasts)] AS last_name,
           companies[1 + (i * 5) % len(companies)] AS company,
           tlds[1 + (i * 3) % len(tlds)] AS tld,
           roles[1 + (i * 13) % len(roles)] AS role
    FROM words, range(1, ` + strconv.Itoa(n+1) + `) AS r(i)
)
SELECT company,
       regexp_replace(lower(company), '[^a-z]', '', 'g') || tld AS company_domain,
       TIMESTAMP '2019-01-01 08:00:00' + (i % 3000) * INTERVAL '17 hours 23 minutes 7 seconds' AS created_at,
       lower(first_name) || '.' || lower(last_name) || i || '@' || regexp_replace(lower(company), '[^a-z]', '', 'g') || tld AS unique_id,
       first_name,
       first_name || ' ' || last_name AS full_name,
       last_name,
       role,
       CASE WHEN i % 10 = 0 THEN 'churned user'
            WHEN i % 3 = 0 THEN 'paid user'
            WHEN i % 7 = 0 THEN 'trial user'
            ELSE 'free user' END AS type,
       upper(md5('user' || i)::UUID::VARCHAR) AS user_id,
       'http://' || regexp_replace(lower(last_name), '[^a-z]', '', 'g') || 'and' ||
           regexp_replace(lower(company), '[^a-z]', '', 'g') || tld AS website
FROM people) TO '` + path + `' (FORMAT parquet)`
	if _, err := db.Exec(q); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkDuckDBStreamUsers measures reading b.N users from a Parquet file through DuckDB:
// "fetch" only moves through the rows (DuckDB's scan and the chunks' handover), "encode"
// also encodes every row to JSON (the driver's Open, in DuckDB's order), "sorted" is what a run
// reads (Read: the runner's sort by key, then every row's JSON from it). ns/op is per row.
func BenchmarkDuckDBStreamUsers(b *testing.B) {
	for _, mode := range []string{"fetch", "encode", "sorted"} {
		b.Run(mode, func(b *testing.B) {
			path := duckUsersParquet(b, b.TempDir(), max(b.N, 1))
			src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
			query := "select * from read_parquet('" + path + "')"
			cols, names := usersNames()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			var rows Stream
			var err error
			if mode == "sorted" {
				rows, err = Read(ctx, src, query, "unique_id", nil, nil)
			} else {
				rows, err = src.Open(ctx, query, "unique_id", nil)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer rows.Close()
			drainRows(b, rows, cols, names, mode != "fetch")
		})
	}
}

// BenchmarkDuckDBEncodeChunk measures encoding alone, as the runner's sort by key reads a row
// (its key, then each column's JSON, each after a 4-byte length): one chunk of users (2048 rows)
// from the Parquet file stays fetched while its rows are encoded over and over. ns/op is per
// row.
func BenchmarkDuckDBEncodeChunk(b *testing.B) {
	path := duckUsersParquet(b, b.TempDir(), 2048)
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	s, err := src.Open(context.Background(), "select * from read_parquet('"+path+"')", "unique_id", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rows := s.(*duckRows)
	if !rows.Next() {
		b.Fatal(rows.Err())
	}
	size := rows.s.size
	ncols := len(rows.Columns())
	buf := make([]byte, 0, 4096)
	var bytes int
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		rows.s.row = uint64(i) % size
		key, _ := rows.Key()
		buf = append(buf[:0], key...)
		for c := range ncols {
			buf = rows.AppendValue(append(buf, 0, 0, 0, 0), c)
		}
		bytes += len(buf)
	}
	b.StopTimer()
	b.SetBytes(int64(bytes / max(b.N, 1)))
}
