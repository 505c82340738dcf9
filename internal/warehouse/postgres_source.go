package warehouse

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
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
	return fmt.Sprintf("SELECT * FROM %s WHERE m.%s IS NOT NULL LIMIT 1", wrapQuery(query), pgx.Identifier{keyColumn}.Sanitize())
}

func (p *Postgres) Timeouts() (statement, lock time.Duration) { return Timeouts(p.cfg) }

// pgNumberTypes are the Postgres types sent as JSON numbers that KeyJSON leaves to the runner
// (their text is their JSON), named here for an array's elements.
var pgNumberTypes = map[string]bool{"int2": true, "int4": true, "int8": true, "numeric": true}

// KeyJSON of a Postgres key column: timestamptz, bool, bytea, inet, json, jsonb, float4, float8
// (and date and timestamp BC or past 9999) and arrays of any type differ from their text.
func (p *Postgres) KeyJSON(col controlplane.Column) KeyJSON {
	if elemType, ok := strings.CutPrefix(col.Type, "_"); ok { // an array of elemType
		elem := p.KeyJSON(controlplane.Column{Type: elemType})
		switch {
		case elemType == "bool": // an array prints its booleans as t and f
			elem = func(dst, v []byte) []byte {
				switch string(v) {
				case "t":
					return append(dst, "true"...)
				case "f":
					return append(dst, "false"...)
				}
				return appendString(dst, v)
			}
		case elem != nil:
		case pgNumberTypes[elemType]:
			elem = NumberKeyJSON
		default:
			elem = appendString
		}
		return pgArrayKeyJSON(elem)
	}
	switch col.Type {
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
