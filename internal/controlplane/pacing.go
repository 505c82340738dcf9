package controlplane

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
)

// RateLimit is a webhook connection's rate_limit: pacing.Limits as the control plane stores them.
type RateLimit struct {
	Mode                 string `json:"mode"` // pacing.ModeFixed or pacing.ModeAdaptive
	MaxRequestsPerSecond int64  `json:"max_requests_per_second,omitempty"`
	MaxConcurrency       int64  `json:"max_concurrency,omitempty"`
}

// Pacing is how requests to the webhook are paced: rate_limit when set, else the top-level
// max_requests_per_second as fixed mode.
func (w *WebhookConfig) Pacing() pacing.Limits {
	if r := w.RateLimit; r != nil {
		mode := r.Mode
		if mode == "" {
			mode = pacing.ModeFixed
		}
		return pacing.Limits{Mode: mode, MaxRate: float64(r.MaxRequestsPerSecond), MaxConcurrency: int(r.MaxConcurrency)}
	}
	return pacing.Limits{Mode: pacing.ModeFixed, MaxRate: float64(w.MaxRequestsPerSecond)}
}

// LeaseSlots grants n request slots, interval apart, on connection connID's timeline that every
// runner shares (pacing.TokenSource): after every slot granted before, and not before lead from
// the control plane's now. The lease's times are the control plane's clock: the first slot, and
// its clock when it granted them (read after the row lock is taken, so within the caller's round
// trip whatever it waited for).
func (s *Store) LeaseSlots(ctx context.Context, connID int64, n int, interval, lead time.Duration) (pacing.Lease, error) {
	if err := pacing.CheckLease(n, interval, lead); err != nil {
		return pacing.Lease{}, err
	}
	span := pgtype.Interval{Microseconds: (time.Duration(n) * interval).Microseconds(), Valid: true}
	ahead := pgtype.Interval{Microseconds: lead.Microseconds(), Valid: true}
	var l pacing.Lease
	err := s.db.QueryRow(ctx, `INSERT INTO backflow.connection_pacing AS p (connection_id, next_slot)
		VALUES ($1, clock_timestamp() + $3::interval + $2::interval)
		ON CONFLICT (connection_id) DO UPDATE
			SET next_slot = greatest(p.next_slot, clock_timestamp() + $3::interval) + $2::interval
		RETURNING p.next_slot - $2::interval, clock_timestamp()`, connID, span, ahead).Scan(&l.First, &l.Now)
	if err != nil {
		return pacing.Lease{}, fmt.Errorf("lease request slots of connection %d: %w", connID, refErr(err))
	}
	return l, nil
}

// SlotSource is connection connID's shared timeline as a pacing.TokenSource.
func (s *Store) SlotSource(connID int64) pacing.TokenSource { return slotSource{s, connID} }

type slotSource struct {
	s      *Store
	connID int64
}

func (t slotSource) Lease(ctx context.Context, n int, interval, lead time.Duration) (pacing.Lease, error) {
	return t.s.LeaseSlots(ctx, t.connID, n, interval, lead)
}

// LearnedPacing is what adaptive pacing learned about connection connID (zero: nothing yet).
func (s *Store) LearnedPacing(ctx context.Context, connID int64) (pacing.State, error) {
	var rate *float64
	var conc *int32
	err := s.db.QueryRow(ctx, `SELECT learned_rate, learned_concurrency FROM backflow.connection_pacing
		WHERE connection_id = $1`, connID).Scan(&rate, &conc)
	if errors.Is(err, pgx.ErrNoRows) {
		return pacing.State{}, nil
	}
	if err != nil {
		return pacing.State{}, fmt.Errorf("read the pacing learned for connection %d: %w", connID, err)
	}
	var st pacing.State
	if rate != nil {
		st.Rate = *rate
	}
	if conc != nil {
		st.Concurrency = int(*conc)
	}
	return st, nil
}

// SaveLearnedPacing records what adaptive pacing learned about connection connID, for the next
// run of any sync to it. learnedFor is the connection's UpdatedAt as the run read it: when the
// connection changed since (its URL may now be another endpoint's), nothing is recorded.
func (s *Store) SaveLearnedPacing(ctx context.Context, connID int64, learnedFor time.Time, st pacing.State) error {
	_, err := s.db.Exec(ctx, `INSERT INTO backflow.connection_pacing AS p
			(connection_id, learned_rate, learned_concurrency, learned_at)
		SELECT $1, $2, $3, now() FROM backflow.connections c WHERE c.id = $1 AND c.updated_at = $4
		ON CONFLICT (connection_id) DO UPDATE
			SET learned_rate = $2, learned_concurrency = $3, learned_at = now()
			WHERE EXISTS (SELECT FROM backflow.connections c WHERE c.id = $1 AND c.updated_at = $4)`,
		connID, st.Rate, st.Concurrency, learnedFor)
	if err != nil {
		return fmt.Errorf("record the pacing learned for connection %d: %w", connID, refErr(err))
	}
	return nil
}

// forgetLearnedPacing drops what adaptive pacing learned about connection connID: its URL
// changed, and the new endpoint's pace is its own.
func forgetLearnedPacing(ctx context.Context, tx pgx.Tx, connID int64) error {
	_, err := tx.Exec(ctx, `UPDATE backflow.connection_pacing
		SET learned_rate = NULL, learned_concurrency = NULL, learned_at = NULL WHERE connection_id = $1`, connID)
	if err != nil {
		return fmt.Errorf("forget the pacing learned for connection %d: %w", connID, err)
	}
	return nil
}
