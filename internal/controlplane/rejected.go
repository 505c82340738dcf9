package controlplane

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// MaxRejectedBody is how much of a refusing response's body is kept.
const MaxRejectedBody = 1024

// Rejected is a record the destination refused with a 4xx, isolated by bisection. It stays out of
// the ledger, so the next run sends it again; a later success removes it.
type Rejected struct {
	Key        string
	RunID      int64 // 0 once its run is deleted
	Status     int
	Body       string // truncated to MaxRejectedBody bytes
	RejectedAt time.Time
}

// truncateBody cuts s to at most MaxRejectedBody bytes on a rune boundary, as Postgres text can
// hold it (storableText).
func truncateBody(s string) string {
	if len(s) > MaxRejectedBody {
		n := MaxRejectedBody
		for n > MaxRejectedBody-utf8.UTFMax && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return storableText(s)
}

func queueRejected(b *pgx.Batch, syncID, runID int64, rs []Rejected) {
	keys := make([]string, len(rs))
	statuses := make([]int32, len(rs))
	bodies := make([]string, len(rs))
	for i, r := range rs {
		keys[i], statuses[i], bodies[i] = r.Key, int32(r.Status), truncateBody(r.Body)
	}
	b.Queue(`INSERT INTO backflow.rejected_records (sync_id, key, run_id, status, body)
		SELECT $1, k, $2, s, b FROM unnest($3::text[], $4::int[], $5::text[]) AS t (k, s, b)
		ON CONFLICT (sync_id, key) DO UPDATE SET run_id = excluded.run_id, status = excluded.status,
			body = excluded.body, rejected_at = now()`, syncID, runID, keys, statuses, bodies)
}

// ListRejected returns a sync's rejected records by key.
func (s *Store) ListRejected(ctx context.Context, syncID int64) ([]Rejected, error) {
	rows, err := s.db.Query(ctx, `SELECT key, coalesce(run_id, 0), status, body, rejected_at
		FROM backflow.rejected_records WHERE sync_id = $1 ORDER BY key`, syncID)
	if err != nil {
		return nil, fmt.Errorf("list rejected records of sync %d: %w", syncID, err)
	}
	defer rows.Close()
	var out []Rejected
	for rows.Next() {
		var r Rejected
		if err := rows.Scan(&r.Key, &r.RunID, &r.Status, &r.Body, &r.RejectedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// HasRejected reports whether a sync has rejected records.
func (s *Store) HasRejected(ctx context.Context, syncID int64) (bool, error) {
	var ok bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM backflow.rejected_records WHERE sync_id = $1)`, syncID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("read the rejected records of sync %d: %w", syncID, err)
	}
	return ok, nil
}

// GetRejected returns the rejection of one key of a sync, or ErrNotFound.
func (s *Store) GetRejected(ctx context.Context, syncID int64, key string) (*Rejected, error) {
	var r Rejected
	r.Key = key
	err := s.db.QueryRow(ctx, `SELECT coalesce(run_id, 0), status, body, rejected_at
		FROM backflow.rejected_records WHERE sync_id = $1 AND key = $2`, syncID, key).Scan(&r.RunID, &r.Status, &r.Body, &r.RejectedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read the rejection of a key of sync %d: %w", syncID, err)
	}
	return &r, nil
}

// rejectedBeforeSQL is RejectedBefore's statement: one index probe per key, as ledgerLookupSQL's,
// whatever the planner believes of the sync's rejected records. A run that rejected many writes
// them just before the next one asks: with statistics that make the sync look small, a plain join
// of the keys with rejected_records is planned as a read of every rejected record of the sync
// into a hash table, for each batch (1.2 s a batch at a million rejected records).
const rejectedBeforeSQL = `SELECT d.k FROM unnest($2::text[]) AS d (k)
	CROSS JOIN LATERAL (SELECT 1 FROM backflow.rejected_records r
		WHERE r.sync_id = $1 AND r.key = d.k AND r.run_id IS DISTINCT FROM $3 LIMIT 1) r`

// RejectedBefore reports which of keys sync syncID holds as rejected by a run other than runID
// (an earlier one, or one since deleted): refused before, and not delivered since.
func (s *Store) RejectedBefore(ctx context.Context, syncID, runID int64, keys []string) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, rejectedBeforeSQL, syncID, keys, runID)
	if err != nil {
		return nil, fmt.Errorf("read the rejected records of sync %d: %w", syncID, err)
	}
	defer rows.Close()
	out := make(map[string]bool)
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}
