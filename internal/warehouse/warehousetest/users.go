// Package warehousetest holds warehouse fixtures shared by tests, benchmarks and scripts.
package warehousetest

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

// usersFixture is users.sql, the one copy of the users fixture; scripts/demo.sh runs the same
// file with psql.
//
//go:embed users.sql
var usersFixture string

// rowsVar is the psql variable in users.sql that says how many users to make.
const rowsVar = ":rows"

// UsersSQL creates and fills a table public.users with n rows shaped like the Census webhook
// guide's users (users.sql): 11 columns, the key unique_id (an email). The bench and the warehouse
// benchmarks use it. The statements are to run in order on one connection.
func UsersSQL(n int) []string {
	if c := strings.Count(usersFixture, rowsVar); c != 1 {
		panic(fmt.Sprintf("warehousetest: users.sql names %s %d times, want once", rowsVar, c))
	}
	return []string{
		strings.Replace(usersFixture, rowsVar, strconv.Itoa(n), 1),
		"VACUUM ANALYZE public.users",
	}
}
