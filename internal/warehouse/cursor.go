package warehouse

import (
	"fmt"
	"strings"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// CursorKind is how a cursor column's values compare: what kinds of model columns can be a
// sync's cursor (runner/cursor.go reads them).
type CursorKind int

// Cursor kinds. A time's values compare as instants (a timestamp without a time zone as written,
// as if in UTC), a date's as days, an integer's as numbers, a text's as the bytes of its UTF-8
// text (as the key order compares keys, whatever the column's collation).
const (
	CursorNone CursorKind = iota
	CursorTime
	CursorDate
	CursorInteger
	CursorText
)

func (k CursorKind) String() string {
	return [...]string{"none", "time", "date", "integer", "text"}[k]
}

// CursorKindOf says how values of a column of warehouse type typ (as Describe names it, in any
// warehouse) compare as a cursor; CursorNone for a type that cannot be one (floats, numerics,
// booleans, MySQL's TINYINT(1), json, arrays...: a float's rounding or a json's order is no
// high-water mark).
func CursorKindOf(typ string) CursorKind {
	if mysqlBool(typ) {
		// Read as a boolean, true for any value but 0 (mysql.go), so its values have no order to
		// keep a mark by.
		return CursorNone
	}
	t := strings.ToLower(strings.TrimSpace(typ))
	if i := strings.IndexByte(t, '('); i >= 0 { // datetime(6), varchar(255)
		t = strings.TrimSpace(t[:i])
	}
	switch t {
	case "timestamp", "timestamptz", "timestamp with time zone", "timestamp without time zone", "datetime",
		"timestamp_s", "timestamp_ms", "timestamp_ns":
		return CursorTime
	case "date":
		return CursorDate
	case "int2", "int4", "int8", "smallint", "integer", "int", "bigint", "tinyint", "mediumint",
		"unsigned tinyint", "unsigned smallint", "unsigned mediumint", "unsigned int", "unsigned bigint",
		"utinyint", "usmallint", "uinteger", "ubigint", "hugeint", "uhugeint":
		return CursorInteger
	case "text", "varchar", "character varying", "char", "bpchar", "character", "tinytext", "mediumtext", "longtext":
		return CursorText
	}
	return CursorNone
}

// CursorTypeNote explains, for a type CursorKindOf refuses although its name says integer, why:
// "" for every other type.
func CursorTypeNote(typ string) string {
	if mysqlBool(typ) {
		return " (MySQL's BOOL: it is read as a boolean, true for any value but 0)"
	}
	return ""
}

// mysqlBool reports whether typ, as Describe names it, is MySQL's BOOL (TINYINT(1)).
func mysqlBool(typ string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(typ)), "tinyint(1)")
}

// zoned reports whether a time column's type has a time zone (the bound is then given in UTC).
func zoned(typ string) bool {
	t := strings.ToLower(typ)
	return t == "timestamptz" || t == "timestamp with time zone"
}

// CursorInstants reports whether the values of a time cursor column of type typ (as Describe
// names it) in a warehouse of kind warehouseKind are instants, read in UTC: Postgres's and
// DuckDB's timestamptz, and MySQL's TIMESTAMP (the session's time_zone is UTC, mysql.go). The
// other time types (Postgres's timestamp, MySQL's DATETIME, DuckDB's TIMESTAMP and its _S, _MS
// and _NS) hold a local time in a zone no one states.
func CursorInstants(warehouseKind, typ string) bool {
	t := strings.ToLower(strings.TrimSpace(typ))
	if i := strings.IndexByte(t, '('); i >= 0 { // timestamp(6)
		t = strings.TrimSpace(t[:i])
	}
	return zoned(t) || warehouseKind == controlplane.KindMySQL && t == "timestamp"
}

// Since narrows a read to the rows whose Column is at or after From, and the rows where it is
// NULL (every read has those: a NULL cursor cannot be compared with a mark). Each driver pushes
// the condition into the query it sends, with From as a parameter, so that the warehouse scans
// less (with an index on the column, much less).
type Since struct {
	Column string
	Kind   CursorKind
	// From is the lower bound, inclusive: for CursorTime "2006-01-02 15:04:05.999999" in UTC,
	// for CursorDate "2006-01-02", for CursorInteger the number's digits, for CursorText the text.
	From string
}

// columnType returns the type of since's column among cols, or an error naming the columns.
func (s *Since) columnType(cols []controlplane.Column) (string, error) {
	names := make([]string, len(cols))
	for i, c := range cols {
		if c.Name == s.Column {
			if k := CursorKindOf(c.Type); k != s.Kind {
				return "", fmt.Errorf("the cursor column %q is now of type %s, which compares as %s, not %s: "+
					"apply the Terraform configuration again, which describes the model anew (the sync's next run "+
					"then reads the whole model)", s.Column, c.Type, k, s.Kind)
			}
			return c.Type, nil
		}
		names[i] = c.Name
	}
	return "", fmt.Errorf("the model lost its cursor column: its result has no column %q (it has %s); "+
		"add the column back to the model's SQL or change the sync's cursor", s.Column, strings.Join(names, ", "))
}
