package controlplane

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// HashSize is the size of a ledger hash: a 128-bit hash of the mapped record.
const HashSize = 16

// LedgerRows streams a sync's ledger in key order (byte-wise, as COLLATE "C" sorts), holding one
// pooled connection until Close. The statement reads one snapshot, so commits made while it is
// read do not show up in it.
type LedgerRows struct {
	tx   pgx.Tx
	rows pgx.Rows
	key  []byte
	hash []byte
}

// ReadLedger starts streaming the ledger of sync syncID.
func (s *Store) ReadLedger(ctx context.Context, syncID int64) (*LedgerRows, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("read the ledger of sync %d: %w", syncID, err)
	}
	// The primary key's index is already in key order. Right after a run wrote a million keys
	// the table's statistics are stale and the planner picks a bitmap scan and a sort instead:
	// twice the time, all of it before the first key arrives, and on the CPU the warehouse's
	// sort needs at the same moment. Without sorts the index scan is the only plan left.
	if _, err := tx.Exec(ctx, "SET LOCAL enable_sort = off"); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("read the ledger of sync %d: %w", syncID, err)
	}
	rows, err := tx.Query(ctx, `SELECT key, hash FROM backflow.sync_ledger WHERE sync_id = $1 ORDER BY key`, syncID)
	if err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("read the ledger of sync %d: %w", syncID, err)
	}
	return &LedgerRows{tx: tx, rows: rows}, nil
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
func (l *LedgerRows) Close() {
	l.rows.Close()
	// Read-only: ending it either way is the same; a broken connection is dropped by the pool.
	_ = l.tx.Rollback(context.Background())
}

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
	// BeforeCommit, when set, is called once the ledger changes are written and before the run's
	// counters are (those come last: they lock the run's row until the commit). A caller that
	// writes several groups at once uses it to commit them in order; an error rolls back.
	BeforeCommit func(ctx context.Context) error

	copyBuf []byte // binary COPY data for NewKeys, reused
}

// Empty reports whether d changes nothing.
func (d *Delivered) Empty() bool {
	return len(d.NewKeys) == 0 && len(d.Keys) == 0 && len(d.Deleted) == 0 && len(d.Rejected) == 0
}

// Reset empties d, keeping its capacity.
func (d *Delivered) Reset() {
	clear(d.Hashes)
	clear(d.NewHashes)
	clear(d.NewKeys)
	clear(d.Keys)
	clear(d.Deleted)
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

// appendLedgerCopy encodes rows (syncID, key, hash) in COPY's binary format: cheaper to build
// than pgx's generic CopyFrom (no []any per row, no encode plans) and to parse for the server.
func appendLedgerCopy(buf []byte, syncID int64, keys []string, hashes [][]byte) []byte {
	buf = append(buf, "PGCOPY\n\xff\r\n\x00"...)
	buf = binary.BigEndian.AppendUint32(buf, 0) // flags
	buf = binary.BigEndian.AppendUint32(buf, 0) // header extension
	for i, k := range keys {
		buf = binary.BigEndian.AppendUint16(buf, 3)
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, uint64(syncID))
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(k)))
		buf = append(buf, k...)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(hashes[i])))
		buf = append(buf, hashes[i]...)
	}
	return binary.BigEndian.AppendUint16(buf, 0xffff) // trailer: -1
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
				d.copyBuf = appendLedgerCopy(d.copyBuf[:0], syncID, d.NewKeys, d.NewHashes)
				if _, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(d.copyBuf),
					`COPY backflow.sync_ledger (sync_id, key, hash) FROM STDIN (FORMAT binary)`); err != nil {
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
					b.Queue(`DELETE FROM backflow.rejected_records r USING unnest($2::text[]) AS d (k)
						WHERE r.sync_id = $1 AND r.key = d.k`, syncID, keys)
				}
			}
		}
		if len(d.Deleted) > 0 {
			// One index probe per key, whatever the statistics say. Right after a run wrote a
			// million keys they are stale, and `key = ANY ($2)` or a join with unnest get planned
			// as a read of every index entry of the sync, filtered: 0.3 s per thousand keys at 1M
			// rows instead of 0.03 s. The scalar subquery is an equality on the primary key, which
			// is always an index lookup; the rows are then deleted by their ctid. (The estimate
			// is large enough to trigger JIT compilation, which would only add time.)
			b.Queue(`SET LOCAL jit = off`)
			b.Queue(`DELETE FROM backflow.sync_ledger WHERE ctid = ANY (ARRAY(
				SELECT (SELECT l.ctid FROM backflow.sync_ledger l WHERE l.sync_id = $1 AND l.key = d.k)
				FROM unnest($2::text[]) AS d (k)))`, syncID, d.Deleted)
		}
		if len(d.Rejected) > 0 {
			queueRejected(&b, syncID, run.ID, d.Rejected)
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(ctx, &b).Close(); err != nil {
				return err
			}
		}
		if d.BeforeCommit != nil {
			if err := d.BeforeCommit(ctx); err != nil {
				return err
			}
		}
		// Not waiting for the WAL flush is safe here: a commit lost to a server crash takes the
		// run's counters with it, and the keys are resent by a later run (at-least-once). The
		// run's final record is committed synchronously, which flushes all of these before it.
		_, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off;
			UPDATE backflow.sync_runs SET extracted = `+itoa(c.Extracted)+`, invalid = `+itoa(c.Invalid)+
			`, new = `+itoa(c.New)+`, changed = `+itoa(c.Changed)+`, deleted = `+itoa(c.Deleted)+
			`, delivered = `+itoa(c.Delivered)+`, rejected = `+itoa(c.Rejected)+`, failed = `+itoa(c.Failed)+
			` WHERE id = `+itoa(run.ID))
		return err
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// HasRejected reports whether a sync has rejected records.
func (s *Store) HasRejected(ctx context.Context, syncID int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM backflow.rejected_records WHERE sync_id = $1)`, syncID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("read the rejected records of sync %d: %w", syncID, err)
	}
	return ok, nil
}
