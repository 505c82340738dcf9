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
//
// The ledger is the merge of two key-ordered streams read by one statement: pages (a first run's
// keys, packed a batch per row) and per-key rows (what later runs changed). A row overrides a
// page entry with the same key; a row with a NULL hash (a tombstone) hides it. One page is held
// decoded at a time.
type LedgerRows struct {
	tx   pgx.Tx
	rows pgx.Rows
	key  []byte
	hash []byte

	// The statement's current row (the lookahead), unless consumed: then rows.Next comes first.
	consumed bool
	ended    bool
	headPage bool   // the lookahead is a page (else a per-key row)
	lastRow  []byte // the key of the last per-key row consumed
	page     []byte // the current page's entries, copied
	pos      int    // the next entry's offset in page
	err      error
}

// ledgerQuery reads rows and pages merged in key order. The sync_id condition stays outside the
// union: written inside each branch, the planner does not see that both index scans are already
// in key order and sorts instead of merging.
const ledgerQuery = `SELECT key, hash, entries FROM (
	SELECT sync_id, key, hash, NULL::bytea AS entries FROM backflow.sync_ledger
	UNION ALL
	SELECT sync_id, first_key, NULL::bytea, entries FROM backflow.sync_ledger_pages
) l WHERE sync_id = $1 ORDER BY sync_id, key`

// ReadLedger starts streaming the ledger of sync syncID.
func (s *Store) ReadLedger(ctx context.Context, syncID int64) (*LedgerRows, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("read the ledger of sync %d: %w", syncID, err)
	}
	// The primary keys' indexes are already in key order. Right after a run wrote a million keys
	// the table's statistics are stale and the planner picks a bitmap scan and a sort instead:
	// twice the time, all of it before the first key arrives, and on the CPU the warehouse's
	// sort needs at the same moment. Without sorts a merge of the index scans is the only plan
	// left. (The estimate may be large enough to trigger JIT compilation, which only adds time.)
	if _, err := tx.Exec(ctx, "SET LOCAL enable_sort = off; SET LOCAL jit = off"); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("read the ledger of sync %d: %w", syncID, err)
	}
	rows, err := tx.Query(ctx, ledgerQuery, syncID)
	if err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("read the ledger of sync %d: %w", syncID, err)
	}
	return &LedgerRows{tx: tx, rows: rows, consumed: true}, nil
}

// pageEntry decodes the current page's entry at pos: its key, its hash, and where the next begins.
func (l *LedgerRows) pageEntry() (key, hash []byte, next int, ok bool) {
	if l.pos >= len(l.page) {
		return nil, nil, 0, false
	}
	n, w := binary.Uvarint(l.page[l.pos:])
	start := l.pos + w
	if w <= 0 || n > uint64(len(l.page)-start) || len(l.page)-start-int(n) < HashSize {
		l.err = errors.New("a ledger page is corrupt: an entry runs past its end")
		l.page = nil
		return nil, nil, 0, false
	}
	end := start + int(n)
	return l.page[start:end:end], l.page[end : end+HashSize : end+HashSize], end + HashSize, true
}

// Next advances to the next entry.
func (l *LedgerRows) Next() bool {
	for l.err == nil {
		if l.consumed && !l.ended {
			l.consumed = false
			if !l.rows.Next() {
				l.ended = true
			} else {
				l.headPage = l.rows.RawValues()[2] != nil
			}
		}
		pk, ph, next, havePage := l.pageEntry()
		if l.err != nil {
			return false
		}
		switch {
		case l.ended:
			if !havePage {
				return false
			}
		case l.headPage:
			// Pages do not overlap: every entry left in the current one sorts before this page.
			if !havePage {
				l.page = append(l.page[:0], l.rows.RawValues()[2]...)
				l.pos, l.consumed = 0, true
				// A row sorted just before the page it overrides when both have the same key.
				if k, _, next, ok := l.pageEntry(); ok && l.lastRow != nil && bytes.Equal(k, l.lastRow) {
					l.pos = next
				}
				continue
			}
		default:
			// Raw values: text and bytea arrive as their bytes in the binary format; no copy.
			raw := l.rows.RawValues()
			rk := raw[0]
			if havePage {
				switch c := bytes.Compare(pk, rk); {
				case c < 0:
					l.key, l.hash, l.pos = pk, ph, next
					return true
				case c == 0:
					l.pos = next // the row overrides the page's entry
				}
			}
			l.consumed = true
			l.lastRow = append(l.lastRow[:0], rk...)
			if raw[1] == nil {
				continue // a tombstone: the key was deleted
			}
			l.key, l.hash = rk, raw[1]
			return true
		}
		l.key, l.hash, l.pos = pk, ph, next
		return true
	}
	return false
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
	if l.err != nil {
		return fmt.Errorf("read the ledger: %w", l.err)
	}
	return nil
}

// Close releases the connection.
func (l *LedgerRows) Close() {
	l.rows.Close()
	// Read-only: ending it either way is the same; a broken connection is dropped by the pool.
	_ = l.tx.Rollback(context.Background())
}

// LedgerState says what a sync's ledger is made of.
type LedgerState struct {
	Rows  bool // it has per-key rows (tombstones included)
	Pages bool // it has pages
}

// Empty reports whether the ledger holds nothing at all.
func (st LedgerState) Empty() bool { return !st.Rows && !st.Pages }

// ReadLedgerState reports whether a sync's ledger has per-key rows and whether it has pages.
func (s *Store) ReadLedgerState(ctx context.Context, syncID int64) (LedgerState, error) {
	var st LedgerState
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM backflow.sync_ledger WHERE sync_id = $1),
		EXISTS (SELECT 1 FROM backflow.sync_ledger_pages WHERE sync_id = $1)`, syncID).Scan(&st.Rows, &st.Pages)
	if err != nil {
		return st, fmt.Errorf("read the ledger of sync %d: %w", syncID, err)
	}
	return st, nil
}

// LedgerPageCount is how many pages a sync's ledger has.
func (s *Store) LedgerPageCount(ctx context.Context, syncID int64) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM backflow.sync_ledger_pages WHERE sync_id = $1`, syncID).Scan(&n)
	return n, err
}

// LedgerRowCount is how many per-key rows (tombstones included) a sync's ledger has.
func (s *Store) LedgerRowCount(ctx context.Context, syncID int64) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM backflow.sync_ledger WHERE sync_id = $1`, syncID).Scan(&n)
	return n, err
}

// LedgerCount is how many keys a sync's ledger holds: pages and rows merged, tombstones dropped.
func (s *Store) LedgerCount(ctx context.Context, syncID int64) (int64, error) {
	l, err := s.ReadLedger(ctx, syncID)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	var n int64
	for l.Next() {
		n++
	}
	return n, l.Err()
}

// LedgerEntries returns a sync's whole ledger as key → hash (pages and rows merged, tombstones
// dropped); for tests and small ledgers only.
func (s *Store) LedgerEntries(ctx context.Context, syncID int64) (map[string][]byte, error) {
	l, err := s.ReadLedger(ctx, syncID)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	out := make(map[string][]byte)
	for l.Next() {
		out[string(l.Key())] = bytes.Clone(l.Hash())
	}
	return out, l.Err()
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
	// Pages writes NewKeys as ledger pages instead of per-key rows: NewKeys[PageEnds[i-1]:
	// PageEnds[i]] is page i (from 0). Only for a run that found its sync's ledger empty, whose
	// pages are then each one batch's keys: sorted by key bytes within a page, and no two pages
	// overlapping. Rows written later override page entries.
	Pages    bool
	PageEnds []int
	// Tombstones: the sync's ledger has pages, so a deleted key that falls in a page's range is
	// hidden by a row with a NULL hash rather than only losing its row.
	Tombstones bool
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
	d.NewKeys, d.NewHashes, d.PageEnds = d.NewKeys[:0], d.NewHashes[:0], d.PageEnds[:0]
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

// appendPagesCopy encodes d's pages as rows (syncID, first_key, last_key, entries) in COPY's
// binary format.
func appendPagesCopy(buf []byte, syncID int64, d *Delivered) ([]byte, error) {
	buf = append(buf, "PGCOPY\n\xff\r\n\x00"...)
	buf = binary.BigEndian.AppendUint32(buf, 0) // flags
	buf = binary.BigEndian.AppendUint32(buf, 0) // header extension
	start := 0
	for _, end := range d.PageEnds {
		if end < start || end > len(d.NewKeys) {
			return nil, fmt.Errorf("page ends %v do not fit %d new keys", d.PageEnds, len(d.NewKeys))
		}
		if end == start {
			continue
		}
		keys, hashes := d.NewKeys[start:end], d.NewHashes[start:end]
		start = end
		first, last := keys[0], keys[len(keys)-1]
		buf = binary.BigEndian.AppendUint16(buf, 4)
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, uint64(syncID))
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(first)))
		buf = append(buf, first...)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(last)))
		buf = append(buf, last...)
		lenAt := len(buf)
		buf = binary.BigEndian.AppendUint32(buf, 0) // the entries' length, set below
		for i, k := range keys {
			if i > 0 && keys[i-1] >= k {
				// Readers merge pages by key: a page out of order would corrupt the ledger.
				return nil, fmt.Errorf("a ledger page's keys are not in order: %q before %q", keys[i-1], k)
			}
			if len(hashes[i]) != HashSize {
				return nil, fmt.Errorf("key %q has a %d-byte hash, want %d", k, len(hashes[i]), HashSize)
			}
			buf = binary.AppendUvarint(buf, uint64(len(k)))
			buf = append(buf, k...)
			buf = append(buf, hashes[i]...)
		}
		binary.BigEndian.PutUint32(buf[lenAt:], uint32(len(buf)-lenAt-4))
	}
	if start != len(d.NewKeys) {
		return nil, fmt.Errorf("page ends %v do not cover %d new keys", d.PageEnds, len(d.NewKeys))
	}
	return binary.BigEndian.AppendUint16(buf, 0xffff), nil // trailer: -1
}

func (s *Store) commitDelivered(ctx context.Context, syncID int64, run *Run, d *Delivered, upsertNew bool) error {
	c := run.Counts
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var b pgx.Batch
		writePages := false
		if len(d.NewKeys) > 0 {
			switch {
			case upsertNew:
				// Also for pages: as rows, they override whatever pages say about these keys.
				b.Queue(upsertLedger, syncID, d.NewKeys, d.NewHashes)
			case d.Pages:
				writePages = true // after BeforeCommit: see writePages
			default:
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
			if d.Tombstones {
				// A key in a page's range is hidden by a tombstone. The scalar subquery finds the
				// one page that could hold it (the last to start at or before it): an index probe.
				b.Queue(`INSERT INTO backflow.sync_ledger (sync_id, key, hash)
					SELECT $1, d.k, NULL FROM unnest($2::text[]) AS d (k)
					WHERE (SELECT p.last_key FROM backflow.sync_ledger_pages p
						WHERE p.sync_id = $1 AND p.first_key <= d.k COLLATE "C"
						ORDER BY p.first_key DESC LIMIT 1) >= d.k COLLATE "C"
					ON CONFLICT (sync_id, key) DO UPDATE SET hash = NULL`, syncID, d.Deleted)
			}
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
		// Pages are written last, under a per-sync transaction lock, after BeforeCommit: the
		// groups before this one have committed, so this lock never waits on a group of the
		// same run (which would deadlock on the ordered commits).
		if writePages {
			if err := writeLedgerPages(ctx, tx, syncID, d); err != nil {
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

// pagesLockKey serialises the page writes of one sync, so the overlap check sees every page
// committed before it. It is not the sync's run lock (SyncLockKey), which the runner holds on
// another connection for the whole run.
func pagesLockKey(syncID int64) int64 { return SyncLockKey(syncID) ^ (1 << 61) }

// writeLedgerPages stores d's new keys as pages, or as rows when a page would overlap one
// already stored. Overlap is only possible when two runs overlapped (a lock lost mid-run);
// readers need pages that never overlap, and rows override pages.
func writeLedgerPages(ctx context.Context, tx pgx.Tx, syncID int64, d *Delivered) error {
	overlap, err := pagesOverlap(ctx, tx, syncID, d)
	if err != nil {
		return err
	}
	if overlap {
		_, err := tx.Exec(ctx, upsertLedger, syncID, d.NewKeys, d.NewHashes)
		return err
	}
	if d.copyBuf, err = appendPagesCopy(d.copyBuf[:0], syncID, d); err != nil {
		return err
	}
	_, err = tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(d.copyBuf),
		`COPY backflow.sync_ledger_pages (sync_id, first_key, last_key, entries) FROM STDIN (FORMAT binary)`)
	return err
}

// pagesOverlap reports whether any of d's pages overlaps a page already stored. Stored pages do
// not overlap each other, so for each new page it is enough to look at the last stored page that
// starts at or before the new page's last key: an index probe per page.
func pagesOverlap(ctx context.Context, tx pgx.Tx, syncID int64, d *Delivered) (bool, error) {
	var firsts, lasts []string
	start := 0
	for _, end := range d.PageEnds {
		if end > start && end <= len(d.NewKeys) {
			firsts, lasts = append(firsts, d.NewKeys[start]), append(lasts, d.NewKeys[end-1])
		}
		start = end
	}
	var overlap bool
	err := tx.QueryRow(ctx, `SELECT pg_advisory_xact_lock($4), EXISTS (
		SELECT 1 FROM unnest($2::text[], $3::text[]) AS n (f, l)
		WHERE (SELECT p.last_key FROM backflow.sync_ledger_pages p
			WHERE p.sync_id = $1 AND p.first_key <= n.l COLLATE "C"
			ORDER BY p.first_key DESC LIMIT 1) >= n.f COLLATE "C")`,
		syncID, firsts, lasts, pagesLockKey(syncID)).Scan(nil, &overlap)
	return overlap, err
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
