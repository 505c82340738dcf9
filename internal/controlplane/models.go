package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Column is one column of a model's result, as the warehouse describes it.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Model is SQL (or a table) over a warehouse connection. Exactly one of SQL and Table is set.
type Model struct {
	ID           int64
	Name         string
	ConnectionID int64
	SQL          string
	Table        string // "schema.table" or "table"
	Columns      []Column
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Query is the SQL that reads the model: its own SQL, or every column of its table.
func (m *Model) Query() string {
	if m.SQL != "" {
		return m.SQL
	}
	return "SELECT * FROM " + QuoteTable(m.Table)
}

// SplitTable splits a table model's "schema.table" or "table"; a name without a schema is in
// defaultSchema (each warehouse has its own: warehouse.Source.SchemaAndTable). Both are empty
// for an empty name (an SQL model).
func SplitTable(name, defaultSchema string) (schema, table string) {
	if name == "" {
		return "", ""
	}
	if s, t, ok := strings.Cut(name, "."); ok {
		return s, t
	}
	return defaultSchema, name
}

// QuoteTable quotes "schema.table" or "table" as Postgres identifiers.
func QuoteTable(name string) string {
	return pgx.Identifier(strings.SplitN(name, ".", 2)).Sanitize()
}

// HasColumn reports whether the model's result has a column of that name.
func (m *Model) HasColumn(name string) bool {
	for _, c := range m.Columns {
		if c.Name == name {
			return true
		}
	}
	return false
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

const modelColumns = `id, name, connection_id, coalesce(sql, ''), coalesce(table_name, ''), columns, created_at, updated_at`

func scanModel(row pgx.Row) (*Model, error) {
	var m Model
	var cols []byte
	if err := row.Scan(&m.ID, &m.Name, &m.ConnectionID, &m.SQL, &m.Table, &cols, &m.CreatedAt, &m.UpdatedAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if err := json.Unmarshal(cols, &m.Columns); err != nil {
		return nil, fmt.Errorf("model %q: columns are not valid JSON: %w", m.Name, err)
	}
	return &m, nil
}

func checkModel(m *Model) error {
	if (m.SQL == "") == (m.Table == "") {
		return errors.New("a model needs exactly one of sql and table")
	}
	return nil
}

// CreateModel stores a new model.
func (s *Store) CreateModel(ctx context.Context, m *Model) error {
	if err := checkModel(m); err != nil {
		return err
	}
	cols, err := json.Marshal(nonNil(m.Columns))
	if err != nil {
		return err
	}
	// A transaction, not one statement: its INSERT answers the id before the commit, which a
	// lost answer to the commit leaves known (ErrOutcomeUnknown).
	return s.createTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO backflow.models (name, connection_id, sql, table_name, columns)
			VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at, updated_at`,
			m.Name, m.ConnectionID, nullable(m.SQL), nullable(m.Table), cols).Scan(&m.ID, &m.CreatedAt, &m.UpdatedAt)
		return refErr(nameTaken(err, "model", m.Name))
	})
}

// UpdateModel rewrites model m.ID.
func (s *Store) UpdateModel(ctx context.Context, m *Model) error {
	if err := checkModel(m); err != nil {
		return err
	}
	cols, err := json.Marshal(nonNil(m.Columns))
	if err != nil {
		return err
	}
	err = s.db.QueryRow(ctx, `UPDATE backflow.models SET name = $2, connection_id = $3, sql = $4,
		table_name = $5, columns = $6, updated_at = now() WHERE id = $1 RETURNING updated_at`,
		m.ID, m.Name, m.ConnectionID, nullable(m.SQL), nullable(m.Table), cols).Scan(&m.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("model %d: %w", m.ID, ErrNotFound)
	}
	return refErr(nameTaken(err, "model", m.Name))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// GetModel reads a model by id.
func (s *Store) GetModel(ctx context.Context, id int64) (*Model, error) {
	return scanModel(s.db.QueryRow(ctx, `SELECT `+modelColumns+` FROM backflow.models WHERE id = $1`, id))
}

// GetModelByName reads a model by name.
func (s *Store) GetModelByName(ctx context.Context, name string) (*Model, error) {
	return scanModel(s.db.QueryRow(ctx, `SELECT `+modelColumns+` FROM backflow.models WHERE name = $1`, name))
}

// DeleteModel deletes a model that no sync uses.
func (s *Store) DeleteModel(ctx context.Context, id int64) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var name string
		err := tx.QueryRow(ctx, `SELECT name FROM backflow.models WHERE id = $1 FOR UPDATE`, id).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("model %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		deps, err := dependents(ctx, tx, `SELECT 'sync', name FROM backflow.syncs WHERE model_id = $1 ORDER BY 2`, id)
		if err != nil {
			return err
		}
		if len(deps) > 0 {
			return &InUseError{Kind: "model", Name: name, Dependents: deps}
		}
		_, err = tx.Exec(ctx, `DELETE FROM backflow.models WHERE id = $1`, id)
		return err
	})
}
