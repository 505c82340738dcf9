package warehouse

import (
	"context"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// TestDuckDBColumnNamedTwice: DuckDB compares names ignoring case, and renames a column named
// twice in the derived table a run reads ("a" and "a" became "a" and "a_1", "C" and "c" "C" and
// "c_1"), so the records carried a field the model never named; Postgres and MySQL refuse such a
// model. Now refused at describe, saying which names; names that differ otherwise are kept.
func TestDuckDBColumnNamedTwice(t *testing.T) {
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	for q, want := range map[string]string{
		`select 1 as a, 2 as a`:                              `returns the column "a" more than once`,
		`select 1 as "C", 2 as c`:                            `returns the columns "C" and "c", one name to DuckDB`,
		`select 1 as id, 2 as ID, 3 as Id`:                   `returns the columns "id" and "ID"`,
		`select * from (select 1 as k) x, (select 2 as K) y`: `returns the columns "k" and "K"`,
	} {
		cols, err := src.Describe(context.Background(), q)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, %v; want an error saying %s", q, cols, err, want)
		}
	}
	// Names DuckDB keeps apart (it folds the case of ASCII letters only), read as written.
	for _, names := range [][2]string{{"a", "a_1"}, {"É", "é"}, {"Straße", "STRASSE"}, {"\u212a", "k"} /* the Kelvin sign */, {"a b", "a_b"}, {"ß", "ss"}} {
		q := `select 1 as "` + names[0] + `", 2 as "` + names[1] + `"`
		if cols, err := src.Describe(context.Background(), q); err != nil || len(cols) != 2 || cols[0].Name != names[0] || cols[1].Name != names[1] {
			t.Errorf("%s: got %v, %v; want its two columns as named", q, cols, err)
		}
	}
}

// TestDuckDBColumnNamesHeld: models naming each column once, however DuckDB derives the names
// (a struct's fields, * with EXCLUDE or REPLACE, COLUMNS(*), UNPIVOT, a join USING its shared
// column, a UNION naming its columns differently on each side), are not refused; and a name
// repeated inside the model is renamed there, so the model's columns carry that name (docs).
func TestDuckDBColumnNamesHeld(t *testing.T) {
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	for q, want := range map[string]string{
		`select s.* from (select {'a': 1, 'b': 2} as s)`:                                      "a b",
		`select * exclude (b) from (select 1 as a, 2 as b, 3 as c)`:                           "a c",
		`select * replace (b + 1 as b) from (select 1 as a, 2 as b)`:                          "a b",
		`select columns(*) from (select 1 as a, 2 as b)`:                                      "a b",
		`unpivot (select 1 as a, 2 as b) on a, b into name n value v`:                         "n v",
		`select * from (select 1 as id, 2 as v) x join (select 1 as id, 3 as w) y using (id)`: "id v w",
		`select 1 as a union all select 2 as A`:                                               "a",
		`with t as (select 1 as a, 2 as a) select * from t`:                                   "a a_1",
		`select * from (values (1, 2)) v(a, A)`:                                               "a A_1",
	} {
		cols, err := src.Describe(context.Background(), q)
		var names []string
		for _, c := range cols {
			names = append(names, c.Name)
		}
		if err != nil || strings.Join(names, " ") != want {
			t.Errorf("%s: got %v, %v; want the columns %s", q, names, err, want)
		}
	}
}
