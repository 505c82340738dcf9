package controlplane

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Sync behaviors.
const (
	BehaviorUpdateOrCreate = "update_or_create"
	BehaviorAppend         = "append"
	BehaviorMirror         = "mirror"
)

// Batch size bounds and default: the CHECK constraint and the default of syncs.batch_size
// (migrations/001_initial.up.sql) say the same; the provider validates with these.
const (
	MinBatchSize     = 1
	MaxBatchSize     = 10000
	DefaultBatchSize = 100
)

// MaxBatchBytes bounds a batch by the bytes of its records' JSON as well as by batch_size: a
// batch ends before a record that would take it past this, and a record wider than it goes
// alone. A batch is one request's body (the envelope, a batch request), and the runner holds a
// few dozen of a run's batches at once between its stages, each beside its encoded body while
// it is sent: bounded by records alone, 1000 records of 200 KB made batches of 200 MB, and a run
// of 3,000 of them peaked at 2.3 GB. 1 MiB keeps a run's batches at the default concurrency near
// 40 MB, well within the runner's 200 MB, and a body within the limits endpoints commonly set
// (nginx's default client_max_body_size is 1 MiB, API gateways' 1 to 10 MB), where a larger one
// would cost a 413 and a split: an envelope's commas and other fields count too (the runner's
// pipeline.batchRoom). Records narrower than 1 KiB still go batch_size to a request at
// batch_size 1000 (the bench's are 222 bytes); wider ones go in more, smaller requests, which
// the pacer counts as any other. Fixed, not an attribute: batch_size is the knob users have for
// fewer records per request, and no endpoint needs larger bodies to be correct.
const MaxBatchBytes = 1 << 20

// Backfill policies: what a sync's first run does with the records the model already has.
const (
	InitialSendAll      = "send_all"      // send them all
	InitialSkipExisting = "skip_existing" // record them as delivered without sending them
)

// Initials lists every backfill policy, the default first.
var Initials = []string{InitialSendAll, InitialSkipExisting}

// Behaviors lists every behavior, in the order the docs present them.
var Behaviors = []string{BehaviorUpdateOrCreate, BehaviorAppend, BehaviorMirror}

// Mapping sends a model column (From), a constant or a metadata field (mappings.go) under the
// name To. Exactly one of From, Constant and Metadata is set. Hash (with Normalize, applied
// first) only goes with From: the value's text is sent as its hex digest.
type Mapping struct {
	From      string   `json:"from,omitempty"`
	Constant  *string  `json:"constant,omitempty"`
	Metadata  string   `json:"metadata,omitempty"`
	To        string   `json:"to"`
	Hash      string   `json:"hash,omitempty"`
	Normalize []string `json:"normalize,omitempty"`
}

// Sync sends a model's records to a webhook connection.
type Sync struct {
	ID            int64
	Name          string
	ModelID       int64
	DestinationID int64
	Behavior      string
	PrimaryKey    string
	Mappings      []Mapping // nil: every column under its own name
	ScheduleEvery string    // a Go duration such as "15m"; empty with ScheduleCron empty: manual
	ScheduleCron  string    // five-field cron, UTC
	BatchSize     int
	// OmitNulls: a field whose value is NULL is left out of the record instead of sent as null
	// (the provider's omit_nulls = false). The zero value keeps the default, nulls sent.
	OmitNulls bool
	// Guard is the guard the sync's definition sets; nil: none set (see EffectiveGuard).
	Guard *Guard
	// Initial is the backfill policy (InitialSendAll when empty).
	Initial string
	// After lists the sync's parents (schedule.after), by id, ascending: the sync runs once each
	// has succeeded since its own last run (see sequences.go). Empty: no parents.
	After []int64
	// Request is what each operation sends; nil: the Census envelope (see request.go).
	Request *RequestSpec
	// Cursor is the model column incremental reads filter on (empty: every run reads the whole
	// model); CursorLookback and FullReadEvery are Go durations, empty for their defaults (see
	// cursor.go).
	Cursor         string
	CursorLookback string
	FullReadEvery  string
	Paused         bool
	PausedReason   string
	// KeepPause, for UpdateSync with Paused false: a pause the sync got since the caller read it
	// (the runner's, PauseForGone) and its reason are kept rather than undone. The provider sets it
	// when its plan does not change paused: an apply planned before the runner paused the sync did
	// not mean to resume it.
	KeepPause bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

const syncColumns = `id, name, model_id, destination_id, behavior, primary_key, mappings,
	coalesce(schedule_every, ''), coalesce(schedule_cron, ''), batch_size, omit_nulls, guard, initial, paused, coalesce(paused_reason, ''),
	created_at, updated_at, request, coalesce(cursor_column, ''), coalesce(cursor_lookback, ''), coalesce(full_read_every, ''), ` + afterColumn

func scanSync(row pgx.Row) (*Sync, error) {
	var s Sync
	var mappings, guard, request []byte
	err := row.Scan(&s.ID, &s.Name, &s.ModelID, &s.DestinationID, &s.Behavior, &s.PrimaryKey, &mappings,
		&s.ScheduleEvery, &s.ScheduleCron, &s.BatchSize, &s.OmitNulls, &guard, &s.Initial, &s.Paused, &s.PausedReason, &s.CreatedAt, &s.UpdatedAt,
		&request, &s.Cursor, &s.CursorLookback, &s.FullReadEvery, &s.After)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if mappings != nil {
		if err := json.Unmarshal(mappings, &s.Mappings); err != nil {
			return nil, fmt.Errorf("sync %q: mappings are not valid JSON: %w", s.Name, err)
		}
	}
	if guard != nil {
		s.Guard = new(Guard)
		if err := json.Unmarshal(guard, s.Guard); err != nil {
			return nil, fmt.Errorf("sync %q: guard is not valid JSON: %w", s.Name, err)
		}
	}
	if request != nil {
		s.Request = new(RequestSpec)
		if err := json.Unmarshal(request, s.Request); err != nil {
			return nil, fmt.Errorf("sync %q: request is not valid JSON: %w", s.Name, err)
		}
	}
	return &s, nil
}

// syncArgs encodes a sync's JSON columns: mappings, guard and request (NULL when nil).
func syncArgs(s *Sync) (mappings, guard, request []byte, err error) {
	if s.Mappings != nil {
		if mappings, err = json.Marshal(s.Mappings); err != nil {
			return nil, nil, nil, err
		}
	}
	if s.Guard != nil {
		if guard, err = json.Marshal(s.Guard); err != nil {
			return nil, nil, nil, err
		}
	}
	if s.Request != nil {
		if request, err = json.Marshal(s.Request); err != nil {
			return nil, nil, nil, err
		}
	}
	return mappings, guard, request, nil
}

// refErr explains a foreign-key violation.
func refErr(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return fmt.Errorf("a referenced connection or model does not exist (%s): %w", pgErr.ConstraintName, ErrNotFound)
	}
	return err
}

// CreateSync stores a new sync.
func (s *Store) CreateSync(ctx context.Context, y *Sync) error {
	y.Initial = cmp.Or(y.Initial, InitialSendAll)
	mappings, guard, request, err := syncArgs(y)
	if err != nil {
		return err
	}
	return s.createTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO backflow.syncs (name, model_id, destination_id, behavior, primary_key,
		mappings, schedule_every, schedule_cron, batch_size, paused, guard, initial, omit_nulls, request, cursor_column, cursor_lookback, full_read_every)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id, created_at, updated_at`,
			y.Name, y.ModelID, y.DestinationID, y.Behavior, y.PrimaryKey, mappings, nullable(y.ScheduleEvery),
			nullable(y.ScheduleCron), y.BatchSize, y.Paused, guard, y.Initial, y.OmitNulls, request,
			nullable(y.Cursor), nullable(y.CursorLookback), nullable(y.FullReadEvery)).Scan(&y.ID, &y.CreatedAt, &y.UpdatedAt)
		if err != nil {
			return refErr(nameTaken(err, "sync", y.Name))
		}
		return setAfter(ctx, tx, y)
	})
}

// UpdateSync rewrites sync y.ID. Unpausing clears the reason the runner paused it; but with
// y.KeepPause, a pause is kept (and y.Paused says so).
func (s *Store) UpdateSync(ctx context.Context, y *Sync) error {
	y.Initial = cmp.Or(y.Initial, InitialSendAll)
	mappings, guard, request, err := syncArgs(y)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		err = tx.QueryRow(ctx, `UPDATE backflow.syncs SET name = $2, model_id = $3, destination_id = $4,
		behavior = $5, primary_key = $6, mappings = $7, schedule_every = $8, schedule_cron = $9, batch_size = $10,
		paused = $11 OR ($19 AND paused), paused_reason = CASE WHEN $11 OR ($19 AND paused) THEN paused_reason END, guard = $12,
		initial = $13, omit_nulls = $14, request = $15, cursor_column = $16, cursor_lookback = $17, full_read_every = $18, updated_at = now()
		WHERE id = $1 RETURNING paused, coalesce(paused_reason, ''), updated_at`,
			y.ID, y.Name, y.ModelID, y.DestinationID, y.Behavior, y.PrimaryKey, mappings, nullable(y.ScheduleEvery),
			nullable(y.ScheduleCron), y.BatchSize, y.Paused, guard, y.Initial, y.OmitNulls, request,
			nullable(y.Cursor), nullable(y.CursorLookback), nullable(y.FullReadEvery), y.KeepPause).Scan(&y.Paused, &y.PausedReason, &y.UpdatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("sync %d: %w", y.ID, ErrNotFound)
		}
		if err != nil {
			return refErr(nameTaken(err, "sync", y.Name))
		}
		return setAfter(ctx, tx, y)
	})
}

// GetSync reads a sync by id.
func (s *Store) GetSync(ctx context.Context, id int64) (*Sync, error) {
	return scanSync(s.db.QueryRow(ctx, `SELECT `+syncColumns+` FROM backflow.syncs WHERE id = $1`, id))
}

// GetSyncByName reads a sync by name.
func (s *Store) GetSyncByName(ctx context.Context, name string) (*Sync, error) {
	return scanSync(s.db.QueryRow(ctx, `SELECT `+syncColumns+` FROM backflow.syncs WHERE name = $1`, name))
}

// ListSyncs returns every sync, by id.
func (s *Store) ListSyncs(ctx context.Context) ([]*Sync, error) {
	rows, err := s.db.Query(ctx, `SELECT `+syncColumns+` FROM backflow.syncs ORDER BY id`)
	return collect(rows, err, scanSync)
}

// PauseSync pauses a sync and records why (the runner does this on a 410).
func (s *Store) PauseSync(ctx context.Context, id int64, reason string) error {
	_, err := s.db.Exec(ctx, `UPDATE backflow.syncs SET paused = true, paused_reason = $2, updated_at = now() WHERE id = $1`, id, reason)
	return err
}

// PauseForGone pauses the lease's sync y after its destination dest answered 410 Gone to a run,
// recording why, as PauseSync does; but only if the lease still holds the sync and neither y nor
// dest was written since the run read them (their updated_at are those the run read): a 410 to
// a request built from a definition that a terraform apply has changed since (the connection's
// url moved off an endpoint that was then retired, the sync's request path changed) says
// nothing of the endpoint the next run sends to, and pausing for it would stop a sync that works.
// It reports whether it paused the sync. One statement, which locks the sync's row before it
// reads the fence (without holding it), in the order DeleteSync takes them: a fenced transaction
// (the fence held, then the sync's row) could deadlock with a deletion of the sync.
func (l *SyncLease) PauseForGone(ctx context.Context, y *Sync, dest *Connection, reason string) (bool, error) {
	tag, err := l.store.db.Exec(ctx, `UPDATE backflow.syncs SET paused = true, paused_reason = $2, updated_at = now()
		WHERE id = $1 AND updated_at = $3
			AND EXISTS (SELECT FROM backflow.connections c WHERE c.id = $4 AND c.updated_at = $5)
			AND EXISTS (SELECT FROM backflow.sync_fences f WHERE f.sync_id = $1 AND f.token = $6)`,
		y.ID, reason, y.UpdatedAt, dest.ID, dest.UpdatedAt, l.fence.token)
	if err != nil {
		return false, fmt.Errorf("pause sync %q: %w", y.Name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// DeleteSync deletes a sync with its runs, ledger and rejected records, and removes it from the
// parents (schedule.after) of the syncs that run after it, which are held until their after is
// written again (SequenceStates): Terraform replaces a parent by deleting it, then writes its
// children's after with the new one's id.
//
// It takes the sync's fence first, as a run's fenced writes do (SyncLease.fenced), and so waits
// for the one in flight: deleting the sync first locked its row and its runs, then waited for the
// fence that a run's commit held while it waited in turn for its run's row, a deadlock that
// Postgres broke by failing the deletion (a terraform destroy, or the replacement of a sync, while
// it ran). The run's next fenced write finds the fence gone, and the run stops.
func (s *Store) DeleteSync(ctx context.Context, id int64) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT FROM backflow.sync_fences WHERE sync_id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		// Its children are held until their after is written again (see migration 024). A child
		// whose row another transaction holds FOR UPDATE (its deletion, or a rename: the name is a
		// key) is waited for: one deleted is then left out (its row gone, it is not locked, and the
		// foreign key check does not fail this deletion), one that stays is held. Skipping it
		// (SKIP LOCKED) left a child whose rename or deletion rolled back unheld.
		if _, err := tx.Exec(ctx, `INSERT INTO backflow.sync_after_held (sync_id, parent_id, parent_name)
			SELECT c.id, p.id, p.name FROM backflow.sync_after a
				JOIN backflow.syncs p ON p.id = a.parent_id JOIN backflow.syncs c ON c.id = a.sync_id
			WHERE a.parent_id = $1 FOR KEY SHARE OF c
			ON CONFLICT DO NOTHING`, id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM backflow.syncs WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("sync %d: %w", id, ErrNotFound)
		}
		return nil
	})
}
