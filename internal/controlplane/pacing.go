package controlplane

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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

// LeaseSlots reserves n request slots, 1/rps apart, on connection connID's timeline that every
// runner shares: after every slot granted before, and not before now. It returns the first
// slot's time and how long from now it is, both by the control plane's clock.
func (s *Store) LeaseSlots(ctx context.Context, connID int64, n int, rps float64) (first time.Time, delay time.Duration, err error) {
	if n < 1 || rps <= 0 {
		return time.Time{}, 0, fmt.Errorf("lease %d request slots at %g/s: need at least one slot at a positive rate", n, rps)
	}
	span := float64(n) / rps
	var delaySecs float64
	err = s.db.QueryRow(ctx, `WITH t AS (SELECT clock_timestamp() AS now, make_interval(secs => $2) AS span)
		INSERT INTO backflow.connection_pacing AS p (connection_id, next_slot)
		SELECT $1, t.now + t.span FROM t
		ON CONFLICT (connection_id) DO UPDATE
			SET next_slot = greatest(p.next_slot, (SELECT now FROM t)) + (SELECT span FROM t)
		RETURNING p.next_slot - (SELECT span FROM t),
			extract(epoch FROM p.next_slot - (SELECT span FROM t) - (SELECT now FROM t))::float8`,
		connID, span).Scan(&first, &delaySecs)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("lease request slots of connection %d: %w", connID, refErr(err))
	}
	return first, time.Duration(delaySecs * float64(time.Second)), nil
}

// SlotSource is connection connID's shared timeline as a pacing.TokenSource.
func (s *Store) SlotSource(connID int64) pacing.TokenSource { return slotSource{s, connID} }

type slotSource struct {
	s      *Store
	connID int64
}

func (t slotSource) Lease(ctx context.Context, n int, rps float64) (time.Duration, error) {
	_, delay, err := t.s.LeaseSlots(ctx, t.connID, n, rps)
	return delay, err
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
// run of any sync to it.
func (s *Store) SaveLearnedPacing(ctx context.Context, connID int64, st pacing.State) error {
	_, err := s.db.Exec(ctx, `INSERT INTO backflow.connection_pacing AS p
			(connection_id, learned_rate, learned_concurrency, learned_at)
		VALUES ($1, $2, $3, now())
		ON CONFLICT (connection_id) DO UPDATE
			SET learned_rate = $2, learned_concurrency = $3, learned_at = now()`,
		connID, st.Rate, st.Concurrency)
	if err != nil {
		return fmt.Errorf("record the pacing learned for connection %d: %w", connID, refErr(err))
	}
	return nil
}
