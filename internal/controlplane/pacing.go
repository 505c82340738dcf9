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
//
// The slots are never closer than the connection's max_requests_per_second as stored now allows
// (pacing.Interval of it): a run paces at the limit its connection had when it started, and a
// limit lowered since holds that run too, and every other runner's. The lease then has fewer
// slots, further apart, spanning no more than asked (at least one).
func (s *Store) LeaseSlots(ctx context.Context, connID int64, n int, interval, lead time.Duration) (pacing.Lease, error) {
	if err := pacing.CheckLease(n, interval, lead); err != nil {
		return pacing.Lease{}, err
	}
	var l pacing.Lease
	var gotN int
	var gotInterval int64 // microseconds
	// s: the limit as Pacing reads it (rate_limit's, else the top-level field); g: the interval,
	// at least pacing.Interval of it, computed as it does (1 s + Jitter in nanoseconds over the
	// rate, truncated, then rounded up to a microsecond); b: the slots, spanning no more than asked.
	//
	// Asked again on another session when the control plane ended the one it was asked on
	// (onLiveSession), though the lease is no idempotent write: one that committed and whose
	// answer was lost is granted twice, the second after the first, and the first's slots go by
	// unused, as a dead runner's do (TestLeaseSlotsOfADeadRunnerExpire). Slots are granted once
	// each, never closer than the limit; the cost is the runners' throughput for one lease's
	// span (at most pacing.MaxLeaseSpan), where failing the lease would fail the run.
	err := s.onLiveSession(ctx, func() (bool, error) {
		return true, s.db.QueryRow(ctx, `WITH s AS (
			SELECT (SELECT CASE WHEN jsonb_typeof(c.config->'rate_limit') = 'object'
					THEN c.config->'rate_limit'->>'max_requests_per_second'
					ELSE c.config->>'max_requests_per_second' END::float8
				FROM backflow.connections c WHERE c.id = $1) AS rate
		), g AS (
			SELECT greatest($2::bigint, 1, coalesce(ceil(trunc($5::float8 / nullif(rate, 0)) / 1000)::bigint, 0)) AS iv FROM s
		), b AS (
			SELECT iv, greatest(1, least($3::bigint, $3::bigint * $2::bigint / iv)) AS n,
				greatest(1, least($3::bigint, $3::bigint * $2::bigint / iv)) * iv * interval '1 microsecond' AS span
			FROM g
		)
		INSERT INTO backflow.connection_pacing AS p (connection_id, next_slot)
			SELECT $1, clock_timestamp() + $4::interval + b.span FROM b
		ON CONFLICT (connection_id) DO UPDATE
			SET next_slot = greatest(p.next_slot, clock_timestamp() + $4::interval) + (SELECT span FROM b)
		RETURNING p.next_slot - (SELECT span FROM b), clock_timestamp(), (SELECT n FROM b), (SELECT iv FROM b)`,
			connID, interval.Microseconds(), n, pgtype.Interval{Microseconds: lead.Microseconds(), Valid: true},
			float64(time.Second+pacing.Jitter)).Scan(&l.First, &l.Now, &gotN, &gotInterval)
	})
	if err != nil {
		return pacing.Lease{}, fmt.Errorf("lease request slots of connection %d: %w", connID, refErr(err))
	}
	l.N, l.Interval = gotN, time.Duration(gotInterval)*time.Microsecond
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
	err := s.onLiveSession(ctx, func() (bool, error) { // a read: asked again on another session
		return true, s.db.QueryRow(ctx, `SELECT learned_rate, learned_concurrency FROM backflow.connection_pacing
			WHERE connection_id = $1`, connID).Scan(&rate, &conc)
	})
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
//
// Asked again on another session when the control plane ended the one it was asked on
// (execOnLiveSession): recording the same pace twice leaves what recording it once does.
func (s *Store) SaveLearnedPacing(ctx context.Context, connID int64, learnedFor time.Time, st pacing.State) error {
	err := s.execOnLiveSession(ctx, `INSERT INTO backflow.connection_pacing AS p
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

// forgetLearnedPacing drops what adaptive pacing learned about connection connID, and the hold of
// its notification events (HoldDestination): its URL changed, and the new endpoint's pace, and
// the pauses it asks for, are its own.
func forgetLearnedPacing(ctx context.Context, tx pgx.Tx, connID int64) error {
	_, err := tx.Exec(ctx, `UPDATE backflow.connection_pacing
		SET learned_rate = NULL, learned_concurrency = NULL, learned_at = NULL, hold_until = NULL WHERE connection_id = $1`, connID)
	if err != nil {
		return fmt.Errorf("forget the pacing learned for connection %d: %w", connID, err)
	}
	return nil
}
