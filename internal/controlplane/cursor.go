package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Incremental reads: a sync with a Cursor reads only the rows whose cursor is at or after the
// highest cursor value its last successful run read (its mark) minus its lookback, and the whole
// model every FullReadEvery. The runner decides which (runner/cursor.go); this file holds the
// settings' rules and the mark's storage.

// Defaults and bounds of a sync's cursor settings; the provider validates with these.
const (
	DefaultCursorLookback = 5 * time.Minute
	DefaultFullReadEvery  = 24 * time.Hour
	MinFullReadEvery      = time.Minute
)

// Read modes recorded with a cursor sync's runs.
const (
	ReadFull        = "full"
	ReadIncremental = "incremental"
)

// ParseCursorLookback reads a cursor_lookback: a Go duration, zero or more ("0s": no lookback).
// Empty is the default.
func ParseCursorLookback(s string) (time.Duration, error) {
	if s == "" {
		return DefaultCursorLookback, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("cursor_lookback %q is not a duration of zero or more, such as 5m or 1h", s)
	}
	return d, nil
}

// ParseFullReadEvery reads a full_read_every: a Go duration of at least MinFullReadEvery. Empty
// is the default.
func ParseFullReadEvery(s string) (time.Duration, error) {
	if s == "" {
		return DefaultFullReadEvery, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < MinFullReadEvery {
		return 0, fmt.Errorf("full_read_every %q is not a duration of at least %s, such as 24h or 6h", s, MinFullReadEvery)
	}
	return d, nil
}

// CursorState is what a sync's last successful run with a cursor left for the next one.
type CursorState struct {
	// Definition is a digest of the definition the mark is valid for (the runner computes it).
	Definition string
	// Mark is the highest cursor value read, as the warehouse prints it (its JSON text for
	// strings); empty with HasMark false when no row had a cursor value.
	Mark    string
	HasMark bool
	// FullReadAt is when the last successful full read started.
	FullReadAt time.Time
	// LedgerKeys is how many keys the ledger held after that run.
	LedgerKeys int64
	// ReadFrom holds the bounds (read_from) the incremental runs since the sync's last
	// successful one read from: runs that failed, were blocked or canceled, or stopped with
	// their runner. The mark has not moved since they read; cursor_lookback may have been
	// shortened, and their unconfirmed keys (intents, adopted or not) are resent only by a run
	// that reads them: the runner reads from no later than the lowest.
	ReadFrom []string
	// Columns are the model's columns (names and types, as the runner reads them) the run that
	// saved the mark read; nil for a mark saved by a release before 6 Dec 2026 (or rewritten by
	// one: see migration 020), which the model's described columns stand for.
	Columns []Column
}

// GetCursorState reads sync syncID's cursor state; nil when it has none.
func (s *Store) GetCursorState(ctx context.Context, syncID int64) (*CursorState, error) {
	var c CursorState
	var mark *string
	err := s.db.QueryRow(ctx, `SELECT definition, mark, full_read_at, ledger_keys, columns FROM backflow.sync_cursors
		WHERE sync_id = $1`, syncID).Scan(&c.Definition, &mark, &c.FullReadAt, &c.LedgerKeys, &c.Columns)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the cursor of sync %d: %w", syncID, err)
	}
	if mark != nil {
		c.Mark, c.HasMark = *mark, true
	}
	rows, err := s.db.Query(ctx, `SELECT DISTINCT r.read_from FROM backflow.sync_runs r WHERE r.sync_id = $1
		AND r.id > coalesce(`+newestRun("$1", "r.status = 'succeeded'")+`, 0) AND r.read_mode = 'incremental'
		AND r.read_from IS NOT NULL`, syncID)
	if err != nil {
		return nil, fmt.Errorf("read the runs of sync %d since its last success: %w", syncID, err)
	}
	if c.ReadFrom, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, fmt.Errorf("read the runs of sync %d since its last success: %w", syncID, err)
	}
	if len(c.ReadFrom) == 0 {
		c.ReadFrom = nil
	}
	return &c, nil
}

// FullReadOwed reports whether sync syncID's next run must read the whole model to resend keys
// that a run which read it whole may have delivered: a run adopted such intents (AdoptIntents
// left its mark in c, the sync's cursor state as just read) and no full read has succeeded
// since, or an outstanding intent was left by a run not known to have read incrementally (its
// read_mode is 'full', or none: a run of the sync before it had a cursor; a run records its read
// as soon as it plans it, SyncLease.RecordRead). Their keys can be outside an incremental read's
// range, and an unconfirmed key is resent only by a run that reads it. Intents of incremental
// runs are not, even of one that crashed: the next incremental read reads their rows again (the
// mark moves only with a successful run).
func (s *Store) FullReadOwed(ctx context.Context, syncID int64, c *CursorState) (bool, error) {
	if c != nil && c.FullReadAt.Equal(fullReadOwedAt) {
		return true, nil
	}
	var owed bool
	if err := s.db.QueryRow(ctx, `SELECT `+intentsOfFullReads, syncID).Scan(&owed); err != nil {
		return false, fmt.Errorf("read the intents of sync %d: %w", syncID, err)
	}
	return owed, nil
}

// intentsOfFullReads holds when sync $1 has an outstanding intent of a run not known to have read
// incrementally (see FullReadOwed).
const intentsOfFullReads = `EXISTS (SELECT 1 FROM backflow.sync_intents i LEFT JOIN backflow.sync_runs r ON r.id = i.run_id
	WHERE i.sync_id = $1 AND r.read_mode IS DISTINCT FROM 'incremental')`

// fullReadOwedAt is the last full read AdoptIntents records when it adopts intents of a run that
// read the whole model: the adopted keys are ledger rows now, no longer intents, and until a full
// read succeeds (saveCursor then records its start) FullReadOwed says so, whatever the ledger.
var fullReadOwedAt = time.Unix(0, 0).UTC()

// saveCursor stores a succeeded run's cursor state (Run.NextCursor), in the transaction that
// records its end (of run runID, which columns_run names).
func saveCursor(ctx context.Context, tx pgx.Tx, syncID, runID int64, c *CursorState) error {
	var mark *string
	if c.HasMark {
		mark = &c.Mark
	}
	var cols []byte
	if c.Columns != nil {
		var err error
		if cols, err = json.Marshal(c.Columns); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO backflow.sync_cursors (sync_id, definition, mark, full_read_at, ledger_keys, columns, columns_run)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sync_id) DO UPDATE SET definition = excluded.definition,
		mark = excluded.mark, full_read_at = excluded.full_read_at, ledger_keys = excluded.ledger_keys,
		columns = excluded.columns, columns_run = excluded.columns_run`,
		syncID, c.Definition, mark, c.FullReadAt, c.LedgerKeys, cols, runID)
	if err != nil {
		return fmt.Errorf("record the cursor of sync %d: %w", syncID, err)
	}
	return nil
}
