// Package warehousetest holds warehouse fixtures shared by tests and benchmarks.
package warehousetest

import "fmt"

// UsersSQL creates and fills a table `users` with n rows shaped like the Census webhook guide's
// users: 11 columns, the key unique_id (an email). The bench and the warehouse benchmarks use it.
func UsersSQL(n int) []string {
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
		"VACUUM ANALYZE users",
	}
}
