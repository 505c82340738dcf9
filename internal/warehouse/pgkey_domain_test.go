package warehouse

import (
	"context"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// deleteKeyJSON is the JSON a mirror's delete names the current row's key with, as the runner
// finds it (runner/engine.go openModel): what the read knows, else what the key column's type says.
func deleteKeyJSON(t *testing.T, src Source, rows Stream, keyCol controlplane.Column, key []byte) string {
	t.Helper()
	keyJSON, err := StreamKeyJSON(rows)
	if err != nil {
		t.Fatal(err)
	}
	if keyJSON == nil {
		keyJSON = src.KeyJSON(keyCol)
	}
	if keyJSON == nil { // the runner's own: its text as a string (these tests key on no number type)
		return string(appendString(nil, key))
	}
	return string(keyJSON(nil, key))
}

// deleteMatchesUpsert reads expr as a one-row model keyed on it and fails t unless a mirror's delete
// names its key as its upserts send it; it is the key column's type.
func deleteMatchesUpsert(t *testing.T, src Source, expr string) string {
	t.Helper()
	q := "SELECT " + expr + " AS k"
	cols, err := src.Describe(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	rows, err := src.Open(context.Background(), q, "k", nil)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("%s: no row: %v", expr, rows.Err())
	}
	key, _ := rows.Key()
	upsert := string(rows.AppendValue(nil, 0))
	if del := deleteKeyJSON(t, src, rows, cols[0], key); del != upsert {
		t.Errorf("%s (%s) key %s: a delete names it %s, its upserts %s", expr, cols[0].Type, key, del, upsert)
	}
	return cols[0].Type
}

// TestPostgresDomainArrayKeyJSON: a key that is an array of a domain (its type as the model's
// columns name it, "_djb", says nothing of the domain's base type) is named by a mirror's delete
// as its upserts name it: for domains over jsonb, json, bool, int4, numeric, float8, text,
// timestamptz, bytea, box (whose array's elements are separated by ';'), domains of domains,
// and arrays of a domain over an array type.
func TestPostgresDomainArrayKeyJSON(t *testing.T) {
	url := newWarehouse(t,
		"CREATE DOMAIN djb AS jsonb", "CREATE DOMAIN dj AS json", "CREATE DOMAIN db AS bool", "CREATE DOMAIN di AS int4",
		"CREATE DOMAIN dn AS numeric", "CREATE DOMAIN df AS float8", "CREATE DOMAIN dt AS text", "CREATE DOMAIN dz AS timestamptz",
		"CREATE DOMAIN dby AS bytea", "CREATE DOMAIN ddjb AS djb", "CREATE DOMAIN ddb AS db", "CREATE DOMAIN dddn AS dn",
		"CREATE DOMAIN dia AS int4[]", "CREATE DOMAIN djba AS jsonb[]", "CREATE DOMAIN dba AS bool[]",
		"CREATE DOMAIN dbox AS box", "CREATE DOMAIN dboxa AS box[]")
	src := NewPostgres(&controlplane.PostgresConfig{URL: url})
	for _, expr := range []string{
		`ARRAY['[1]', '{"a": "b c"}', '"s"', NULL]::djb[]`,
		`ARRAY['[1, 2]', '{"a":"b"}']::dj[]`,
		`ARRAY[true, false, NULL]::db[]`,
		`ARRAY[1, -2]::di[]`,
		`ARRAY[1.50, 'NaN']::dn[]`,
		`ARRAY[1e20, 0.1, 'Infinity']::df[]`,
		`ARRAY['a b', 'NULL', '"q"', '']::dt[]`,
		`ARRAY['2020-01-02 03:04:05.5+00']::dz[]`,
		`ARRAY['\x00ff']::dby[]`,
		`ARRAY['{"x": [true]}']::ddjb[]`,
		`ARRAY[true]::ddb[]`,
		`ARRAY[2.5]::dddn[]`,
		`'{"{1,2}","{3}",NULL}'::dia[]`,
		`'{"{[1],\"{\\\"a\\\": 1}\"}"}'::djba[]`,
		`'{"{t,f}"}'::dba[]`,
		`'{{"[1]"},{2}}'::djb[]`,
		// box's array delimiter is ';' (its text holds commas), box[]'s too, and so a domain's
		// over box[].
		`'{(1,1),(0,0);(2,2),(1,1)}'::dbox[]`,
		`'{"{(1,1),(0,0);(2,2),(1,1)}";NULL;"{}"}'::dboxa[]`,
	} {
		if typ := deleteMatchesUpsert(t, src, expr); !strings.HasPrefix(typ, "_d") {
			t.Errorf("%s: the column's type is %s", expr, typ)
		}
	}
}

// nested is n arrays one inside the other, the innermost empty: JSON n levels deep.
func nested(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// TestPostgresJSONDepthCountsTheArray: a json or jsonb value is sent as JSON when the whole
// value sent nests at most jsondepth.Value levels, the arrays around an array's element counted,
// and else as a string of its text; a mirror's delete names such a key as its upserts do. At
// Max-1, Max and Max+1 levels, for a value alone, an element of a json[] and jsonb[] of one and
// two dimensions, and of an array of a domain over jsonb[].
func TestPostgresJSONDepthCountsTheArray(t *testing.T) {
	url := newWarehouse(t, "CREATE DOMAIN djba AS jsonb[]")
	src := NewPostgres(&controlplane.PostgresConfig{URL: url})
	for _, c := range []struct {
		name string
		expr string // of the element, %[1]s its text
		dims int    // arrays around the element
	}{
		{"jsonb", "'%[1]s'::jsonb", 0},
		{"json", "'%[1]s'::json", 0},
		{"jsonb[]", "ARRAY['%[1]s'::jsonb]", 1},
		{"json[]", "ARRAY['%[1]s'::json, NULL]", 1},
		{"jsonb[][]", "ARRAY[ARRAY['%[1]s'::jsonb]]", 2},
		{"djba[]", "ARRAY[ARRAY['%[1]s'::jsonb]::djba]", 2},
	} {
		for _, n := range []int{jsondepth.Value - 2, jsondepth.Value - 1, jsondepth.Value, jsondepth.Value + 1} {
			elem := nested(n)
			q := "SELECT " + strings.ReplaceAll(c.expr, "%[1]s", elem) + " AS k"
			cols, err := src.Describe(context.Background(), q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			rows, err := src.Open(context.Background(), q, "k", nil)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if !rows.Next() {
				t.Fatalf("%s: no row: %v", c.name, rows.Err())
			}
			key, _ := rows.Key()
			upsert := string(rows.AppendValue(nil, 0))
			asJSON := n+c.dims <= jsondepth.Value
			if got := strings.Contains(upsert, `"[`); got == asJSON {
				t.Errorf("%s, an element %d levels deep in %d arrays: sent as a string: %v, want %v", c.name, n, c.dims, got, !asJSON)
			}
			if !jsondepth.Within([]byte(upsert), jsondepth.Value) {
				t.Errorf("%s, an element %d levels deep in %d arrays: sent deeper than %d levels", c.name, n, c.dims, jsondepth.Value)
			}
			if del := deleteKeyJSON(t, src, rows, cols[0], key); del != upsert {
				t.Errorf("%s, an element %d levels deep in %d arrays: a delete names the key otherwise than its upserts (%d and %d bytes)", c.name, n, c.dims, len(del), len(upsert))
			}
			rows.Close()
		}
	}
}

// TestPostgresArrayBoundsKeyJSON: an array key whose lower bound is not 1 ("[0:1]={1,2}", its
// text) is sent without its bounds, [1,2], and a mirror's delete names it so too (it named it
// "[0:1]={1,2}", a record the endpoint never had): of one and two dimensions, and inside an
// array of a domain over an array type.
func TestPostgresArrayBoundsKeyJSON(t *testing.T) {
	url := newWarehouse(t, "CREATE DOMAIN dia AS int4[]")
	src := NewPostgres(&controlplane.PostgresConfig{URL: url})
	for _, expr := range []string{`'[0:1]={1,2}'::int[]`, `'[2:3][0:0]={{t},{f}}'::bool[]`, `'[-1:-1]={"[1]"}'::jsonb[]`,
		`'{"[0:1]={1,2}","{3}"}'::dia[]`, `'[0:1][1:1]={{(1,1),(0,0)};{(2,2),(1,1)}}'::box[]`} {
		deleteMatchesUpsert(t, src, expr)
	}
}

// TestPostgresVectorAndRecordArrayKeyJSON: an int2vector key (text "1 2", its upserts [1,2]) was
// deleted as "1 2", inside an array and through a domain too; an anonymous record[] key (its
// upserts its text, "{\"(1,a)\"}") was deleted as the array ["(1,a)"]. A mirror never deleted
// them. oidvector, sent as its text, and a named composite's array, sent as an array, stay so.
func TestPostgresVectorAndRecordArrayKeyJSON(t *testing.T) {
	url := newWarehouse(t, "CREATE DOMAIN div AS int2vector", "CREATE TYPE pair AS (a int, b text)",
		"CREATE DOMAIN diva AS int2vector[]", "CREATE DOMAIN ddiv AS div", "CREATE SCHEMA zs", "CREATE TYPE zs.record AS (a int, b text)")
	src := NewPostgres(&controlplane.PostgresConfig{URL: url})
	for _, expr := range []string{`'1 2'::int2vector`, `'-3'::int2vector`, `''::int2vector`, `ARRAY['1 2'::int2vector]`,
		`ARRAY[''::int2vector, '5'::int2vector, NULL]`, `'1 2'::div`, `ARRAY['1 2'::div]`,
		`ARRAY[ROW(1,'a')]`, `ARRAY[ARRAY[ROW(1,'a b')]]`, `'3 4'::oidvector`, `ARRAY['3 4'::oidvector]`,
		`ARRAY[ROW(1,'a b')::pair]`,
		// Held under attack: bounds, a domain over int2vector[], a domain of a domain, two
		// dimensions, a NULL element, a catalog's int2vector, and a named type called record
		// (its array's name is _record too, but it is an array of a composite).
		`'[2:3]={"1 2","3"}'::int2vector[]`, `'[2:3]={"1 2","3"}'::diva`, `ARRAY['1 2'::int2vector, NULL]::diva`,
		`'1 2'::ddiv`, `ARRAY['1 2'::ddiv]`, `ARRAY[ARRAY['1 2'::int2vector],ARRAY['3'::int2vector]]`,
		`'  7   8 '::int2vector`, `(SELECT indkey FROM pg_index LIMIT 1)`, `ARRAY[ROW(1,'a b')::zs.record]`,
		`ARRAY[ROW(1,NULL)]`, `ARRAY[ROW(ROW(1,'x'),2)]`} {
		deleteMatchesUpsert(t, src, expr)
	}
}
