package warehouse

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
)

// Postgres is the Postgres driver: the Source over this package's Connect, Describe and Open
// (readonly.go holds its read-only guarantee, rows.go its reader).
type Postgres struct{ cfg *controlplane.PostgresConfig }

func init() {
	register(controlplane.KindPostgres, func(c *controlplane.Connection) Source { return &Postgres{cfg: c.Postgres} }, hidePostgresValues)
}

// NewPostgres returns the source of a Postgres warehouse.
func NewPostgres(cfg *controlplane.PostgresConfig) *Postgres { return &Postgres{cfg: cfg} }

func (p *Postgres) Describe(ctx context.Context, query string) ([]controlplane.Column, error) {
	return Describe(ctx, p.cfg, query)
}

func (p *Postgres) Open(ctx context.Context, query, keyColumn string, since *Since) (Stream, error) {
	r, err := Open(ctx, p.cfg, query, keyColumn, since)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (p *Postgres) Ping(ctx context.Context) error {
	c, err := Connect(ctx, p.cfg)
	if err != nil {
		return err
	}
	return c.Close(context.WithoutCancel(ctx))
}

func (p *Postgres) TableQuery(table string) string {
	return "SELECT * FROM " + controlplane.QuoteTable(table)
}

func (p *Postgres) SchemaAndTable(table string) (schema, name string) {
	return controlplane.SplitTable(table, "public")
}

func (p *Postgres) OneKeyedRow(query, keyColumn string) string {
	return fmt.Sprintf("SELECT * FROM %s WHERE m.%s IS NOT NULL LIMIT 1", wrapQuery(pgLexicon.statement(query)), pgx.Identifier{keyColumn}.Sanitize())
}

func (p *Postgres) Timeouts() (statement, lock time.Duration) { return Timeouts(p.cfg) }

// pgNumberTypes are the Postgres types sent as JSON numbers that KeyJSON leaves to the runner
// (their text is their JSON), named here for an array's elements.
var pgNumberTypes = map[string]bool{"int2": true, "int4": true, "int8": true, "numeric": true}

// KeyJSON of a Postgres key column: timestamptz, bool, bytea, inet, json, jsonb, float4, float8
// (and date and timestamp BC or past 9999) and arrays of any type differ from their text. An
// array of a domain's type ("_djb") does not say the domain's base type: its read does
// (pgKeyTypeOf, Rows.streamKeyJSON).
func (p *Postgres) KeyJSON(col controlplane.Column) KeyJSON {
	return pgKeyType{name: col.Type}.keyJSON()
}

// pgKeyType is what a key's JSON depends on in its Postgres type: an array's element type
// (elem), else the type's name, a domain's base type's through every domain ("jsonb" for a
// domain over a domain over jsonb). name "_x" with no elem is an array of x.
type pgKeyType struct {
	name string
	elem *pgKeyType
	// delim separates the elements of an array of this type (its typdelim), 0 for ',' or, for
	// box and box[] (a domain over box[] takes its ';'), which pgx names, ';'.
	delim byte
	// vector: an int2vector, whose text is its elements separated by blanks ("1 2"), no braces;
	// its upserts read it as the array it is ([1,2]).
	vector bool
}

// arrayDelim is what separates the elements of an array of t in its text.
func (t pgKeyType) arrayDelim() byte {
	switch {
	case t.delim != 0:
		return t.delim
	case t.name == "box" || t.name == "_box":
		return ';'
	}
	return ','
}

// element is an array's element type, ok false when t is no array.
func (t pgKeyType) element() (e pgKeyType, ok bool) {
	if t.vector || t.name == "_record" {
		// _record, an anonymous record[], is a pseudo-type's array (pg_type's category 'P',
		// not 'A'): a read sends its text.
		return pgKeyType{}, false
	}
	if t.elem != nil {
		return *t.elem, true
	}
	name, ok := strings.CutPrefix(t.name, "_")
	return pgKeyType{name: name}, ok
}

// keyJSON is the JSON of a key of type t from its text, nil where the runner's own (its text
// as a string, or a number type's as a number) is the JSON its upserts carried.
func (t pgKeyType) keyJSON() KeyJSON {
	if t.vector {
		elem := t.elem.elemKeyJSON()
		return func(dst, key []byte) []byte { return appendPGVectorKey(dst, key, elem, 0) }
	}
	if e, ok := t.element(); ok {
		return pgArrayKeyJSON(e.elemKeyJSON(), e.arrayDelim())
	}
	switch t.name {
	case "float4":
		return floatKeyJSON(32)
	case "float8":
		return floatKeyJSON(64)
	case "inet":
		return inetKeyJSON
	case "json", "jsonb":
		return rawKeyJSON
	case "timestamptz":
		return pgZonedKeyJSON
	case "date", "timestamp":
		// A year BC, or past 9999, is written otherwise than Postgres prints it.
		return pgDateKeyJSON
	case "bool":
		return boolKeyJSON
	case "bytea":
		// bytea's text is \x and its bytes in hex.
		return func(dst, key []byte) []byte {
			if digits, ok := strings.CutPrefix(string(key), `\x`); ok {
				if raw, err := hex.DecodeString(digits); err == nil {
					return base64KeyJSON(dst, raw)
				}
			}
			return appendString(dst, key)
		}
	}
	return nil
}

// elemKeyJSON is the JSON of an element of type t from its text in an array's.
func (t pgKeyType) elemKeyJSON() elemKeyJSON {
	if t.vector { // an array of int2vector: {"1 2",3}
		elem := t.elem.elemKeyJSON()
		return func(dst, v []byte, depth int) []byte { return appendPGVectorKey(dst, v, elem, depth) }
	}
	if e, ok := t.element(); ok { // an array of a domain over an array type
		inner, delim := e.elemKeyJSON(), e.arrayDelim()
		return func(dst, v []byte, depth int) []byte { return appendPGArrayKey(dst, v, inner, delim, depth) }
	}
	switch {
	case t.name == "bool": // an array prints its booleans as t and f
		return func(dst, v []byte, _ int) []byte {
			switch string(v) {
			case "t":
				return append(dst, "true"...)
			case "f":
				return append(dst, "false"...)
			}
			return appendString(dst, v)
		}
	case t.name == "json" || t.name == "jsonb":
		return func(dst, v []byte, depth int) []byte { return jsonKeyJSON(dst, v, jsondepth.Value-depth) }
	case pgNumberTypes[t.name]:
		return func(dst, v []byte, _ int) []byte { return NumberKeyJSON(dst, v) }
	}
	if k := t.keyJSON(); k != nil {
		return func(dst, v []byte, _ int) []byte { return k(dst, v) }
	}
	return func(dst, v []byte, _ int) []byte { return appendString(dst, v) }
}

// pgKeyTypeOf is the pgKeyType of type oid as a read looks it up (codecsFor's types): through
// domains to their base types, through arrays to their elements, to a type pgx knows by name.
// Another (an enum, citext) has the name "": its text is its JSON.
func pgKeyTypeOf(oid uint32, types map[uint32]pgType, m *pgtype.Map, depth int) pgKeyType {
	if t, ok := m.TypeForOID(oid); ok {
		return pgKeyType{name: t.Name}
	}
	t, ok := types[oid]
	switch {
	case !ok || depth > 8:
	case t.domain:
		return pgKeyTypeOf(t.base, types, m, depth+1)
	case t.array:
		e := pgKeyTypeOf(t.elem, types, m, depth+1)
		if oid == int2vectorOID && resolve(oid, types, depth).kind == kArray { // read as binary
			return pgKeyType{elem: &e, vector: true}
		}
		return pgKeyType{elem: &e, delim: t.delim}
	}
	return pgKeyType{delim: t.delim}
}
