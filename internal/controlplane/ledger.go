package controlplane

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// HashSize is the size of a ledger hash: a 128-bit hash of the mapped record.
const HashSize = 16

// LedgerRows streams a sync's ledger in key order (byte-wise, as COLLATE "C" sorts), holding one
// pooled connection until Close. The statement reads one snapshot, so commits made while it is
// read do not show up in it.
type LedgerRows struct {
	rows pgx.Rows
	key  []byte
	hash []byte
}

// ReadLedger starts streaming the ledger of sync syncID.
func (s *Store) ReadLedger(ctx context.Context, syncID int64) (*LedgerRows, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, hash FROM backflow.sync_ledger WHERE sync_id = $1 ORDER BY key`, syncID)
	if err != nil {
		return nil, fmt.Errorf("read the ledger of sync %d: %w", syncID, err)
	}
	return &LedgerRows{rows: rows}, nil
}

// Next advances to the next entry.
func (l *LedgerRows) Next() bool {
	if !l.rows.Next() {
		return false
	}
	// Raw values: text and bytea arrive as their bytes in the binary format; no copy per row.
	raw := l.rows.RawValues()
	l.key, l.hash = raw[0], raw[1]
	return true
}

// Key is the current entry's key; valid until Next.
func (l *LedgerRows) Key() []byte { return l.key }

// Hash is the current entry's hash; valid until Next.
func (l *LedgerRows) Hash() []byte { return l.hash }

// Err is the error that ended the stream, if any.
func (l *LedgerRows) Err() error {
	if err := l.rows.Err(); err != nil {
		return fmt.Errorf("read the ledger: %w", err)
	}
	return nil
}

// Close releases the connection.
func (l *LedgerRows) Close() { l.rows.Close() }

// LedgerCount is how many keys a sync's ledger holds.
func (s *Store) LedgerCount(ctx context.Context, syncID int64) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM backflow.sync_ledger WHERE sync_id = $1`, syncID).Scan(&n)
	return n, err
}

// LedgerEntries returns a sync's whole ledger as key → hash; for tests and small ledgers only.
func (s *Store) LedgerEntries(ctx context.Context, syncID int64) (map[string][]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, hash FROM backflow.sync_ledger WHERE sync_id = $1`, syncID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string][]byte)
	for rows.Next() {
		var k string
		var h []byte
		if err := rows.Scan(&k, &h); err != nil {
			return nil, err
		}
		out[k] = h
	}
	return out, rows.Err()
}

// Delivered is what one group of delivered batches changes: keys whose records got a 2xx (with
// their new hashes), keys whose deletion got a 2xx, and records the destination refused.
type Delivered struct {
	// NewKeys were not in the ledger when the run read it (the run holds the sync's lock, so
	// nothing else adds them): a plain insert, cheaper than an upsert.
	NewKeys   []string
	NewHashes [][]byte // HashSize bytes each, parallel to NewKeys
	// Keys were in the ledger, with another hash.
	Keys     []string
	Hashes   [][]byte
	Deleted  []string
	Rejected []Rejected
	// ClearRejected removes delivered keys from rejected_records; a run of a sync that had none
	// when it started can skip that.
	ClearRejected bool
}

// Empty reports whether d changes nothing.
func (d *Delivered) Empty() bool {
	return len(d.NewKeys) == 0 && len(d.Keys) == 0 && len(d.Deleted) == 0 && len(d.Rejected) == 0
}

// Reset empties d, keeping its capacity.
func (d *Delivered) Reset() {
	clear(d.Hashes)
	clear(d.NewHashes)
	d.NewKeys, d.NewHashes = d.NewKeys[:0], d.NewHashes[:0]
	d.Keys, d.Hashes, d.Deleted, d.Rejected = d.Keys[:0], d.Hashes[:0], d.Deleted[:0], d.Rejected[:0]
}

const upsertLedger = `INSERT INTO backflow.sync_ledger (sync_id, key, hash)
	SELECT $1, k, h FROM unnest($2::text[], $3::bytea[]) AS t (k, h)
	ON CONFLICT (sync_id, key) DO UPDATE SET hash = excluded.hash`

// CommitDelivered moves a sync's ledger for a group of delivered batches and sets the run's
// counters, in one transaction: the ledger never runs ahead of, or behind, the run record.
// Delivered keys also leave rejected_records; refused ones enter it.
func (s *Store) CommitDelivered(ctx context.Context, syncID int64, run *Run, d *Delivered) error {
	err := s.commitDelivered(ctx, syncID, run, d, false)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		// A "new" key is in the ledger after all (its run's snapshot was stale): upsert them all.
		err = s.commitDelivered(ctx, syncID, run, d, true)
	}
	if err != nil {
		return fmt.Errorf("record delivered records in the ledger of sync %d: %w", syncID, err)
	}
	return nil
}

func (s *Store) commitDelivered(ctx context.Context, syncID int64, run *Run, d *Delivered, upsertNew bool) error {
	c := run.Counts
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var b pgx.Batch
		if len(d.NewKeys) > 0 {
			if upsertNew {
				b.Queue(upsertLedger, syncID, d.NewKeys, d.NewHashes)
			} else {
				// COPY is the cheapest way in for rows known to be new.
				i := 0
				src := pgx.CopyFromFunc(func() ([]any, error) {
					if i == len(d.NewKeys) {
						return nil, nil
					}
					i++
					return []any{syncID, d.NewKeys[i-1], d.NewHashes[i-1]}, nil
				})
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{Schema, "sync_ledger"}, []string{"sync_id", "key", "hash"}, src); err != nil {
					return err
				}
			}
		}
		if len(d.Keys) > 0 {
			b.Queue(upsertLedger, syncID, d.Keys, d.Hashes)
		}
		if d.ClearRejected {
			for _, keys := range [][]string{d.NewKeys, d.Keys, d.Deleted} {
				if len(keys) > 0 {
					b.Queue(`DELETE FROM backflow.rejected_records WHERE sync_id = $1 AND key = ANY ($2::text[])`, syncID, keys)
				}
			}
		}
		if len(d.Deleted) > 0 {
			b.Queue(`DELETE FROM backflow.sync_ledger WHERE sync_id = $1 AND key = ANY ($2::text[])`, syncID, d.Deleted)
		}
		if len(d.Rejected) > 0 {
			queueRejected(&b, syncID, run.ID, d.Rejected)
		}
		b.Queue(`UPDATE backflow.sync_runs SET extracted = $2, invalid = $3, new = $4, changed = $5, deleted = $6,
			delivered = $7, rejected = $8, failed = $9 WHERE id = $1`, run.ID,
			c.Extracted, c.Invalid, c.New, c.Changed, c.Deleted, c.Delivered, c.Rejected, c.Failed)
		return tx.SendBatch(ctx, &b).Close()
	})
}

// HasRejected reports whether a sync has rejected records.
func (s *Store) HasRejected(ctx context.Context, syncID int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM backflow.rejected_records WHERE sync_id = $1)`, syncID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("read the rejected records of sync %d: %w", syncID, err)
	}
	return ok, nil
}
