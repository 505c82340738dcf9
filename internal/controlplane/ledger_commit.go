package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

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
	// PageEntries, when set, bounds a page's entries (the runner splits a batch's keys into
	// pages of at most this many): a sync with a cursor looks its keys up one by one
	// (LedgerHashes), and a lookup reads the key's whole page.
	PageEntries int
	// Tombstones: the sync's ledger has pages, so a deleted key that falls in a page's range is
	// hidden by a row with a NULL hash rather than only losing its row.
	Tombstones bool
	// Intents are the batches (numbers within the run) whose every record got a final answer
	// (delivered or rejected): their intents are deleted in the same transaction.
	Intents []int32
	// Narrowed are intents of batches cut short whose keys that may have been delivered are only
	// some of theirs: each intent is rewritten to hold just those keys (Packed), in the same
	// transaction, so the others (refused, or never sent) stay as the ledger had them.
	Narrowed []Intent
	// BeforeCommit, when set, is called once the ledger changes are written and before the run's
	// counters are (those come last: they lock the run's row until the commit). A caller that
	// writes several groups at once uses it to commit them in order; an error rolls back.
	BeforeCommit func(ctx context.Context) error

	copyBuf []byte // binary COPY data for NewKeys, reused
}

// Empty reports whether d changes nothing.
func (d *Delivered) Empty() bool {
	return len(d.NewKeys) == 0 && len(d.Keys) == 0 && len(d.Deleted) == 0 && len(d.Rejected) == 0 && len(d.Intents) == 0 &&
		len(d.Narrowed) == 0
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
	d.Intents = d.Intents[:0]
	clear(d.Narrowed)
	d.Narrowed = d.Narrowed[:0]
}

const upsertLedger = `INSERT INTO backflow.sync_ledger (sync_id, key, hash)
	SELECT $1, k, h FROM unnest($2::text[], $3::bytea[]) AS t (k, h)
	ON CONFLICT (sync_id, key) DO UPDATE SET hash = excluded.hash`

// commitDelivered moves a sync's ledger for a group of delivered batches and sets the run's
// counters, in one transaction that first checks the run's fence (see SyncLease.Commit): the
// ledger never runs ahead of, or behind, the run record. Delivered keys also leave
// rejected_records; refused ones enter it; the group's finished batches lose their intents.
func (s *Store) commitDelivered(ctx context.Context, f fence, run *Run, d *Delivered) error {
	err := s.commitDeliveredTx(ctx, f, run, d, false)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		// A "new" key is in the ledger after all (its run's snapshot was stale): upsert them all.
		err = s.commitDeliveredTx(ctx, f, run, d, true)
	}
	if err != nil {
		return fmt.Errorf("record delivered records in the ledger of sync %d: %w", f.syncID, err)
	}
	return nil
}

func (s *Store) commitDeliveredTx(ctx context.Context, f fence, run *Run, d *Delivered, upsertNew bool) error {
	syncID := f.syncID
	// Idempotent, so run again after a commit that failed with its session (Store.inTx): a new key
	// already in the ledger fails it with a unique violation, and commitDelivered then upserts (a
	// page already stored overlaps, and its keys are upserted as rows); the other writes upsert,
	// delete or set the run's counters to the values they hold.
	return s.inTx(ctx, s.db, true, func(tx pgx.Tx) error {
		if err := f.check(ctx, tx); err != nil {
			return err
		}
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
		if len(d.Intents) > 0 {
			b.Queue(`DELETE FROM backflow.sync_intents WHERE sync_id = $1 AND run_id = $2 AND batch = ANY ($3)`,
				syncID, run.ID, d.Intents)
		}
		for _, n := range d.Narrowed {
			b.Queue(`UPDATE backflow.sync_intents SET keys = $4 WHERE sync_id = $1 AND run_id = $2 AND batch = $3`,
				syncID, run.ID, n.Batch, n.Packed)
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(ctx, &b).Close(); err != nil {
				return err
			}
		}
		if d.BeforeCommit != nil {
			if err := waitInTx(ctx, tx, d.BeforeCommit); err != nil {
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
		// run's counters with it, and the keys are resent by a later run (at-least-once; their
		// intents are flushed). The run's final record is committed synchronously, which flushes
		// all of these before it.
		_, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off; "+setRunCounts(run.ID, run.Counts))
		return err
	})
}

// waitInTx calls wait (a Delivered's BeforeCommit, which may wait long for an earlier group's
// commit) while tx is open, and meanwhile sends tx a statement every third of fencedIdleTimeout:
// the server ends a fenced transaction idle that long (fence.check), which is meant for a runner
// that stopped answering, not for one that is waiting. A runner stopped or cut off while it waits
// sends nothing, and its transaction is still ended.
func waitInTx(ctx context.Context, tx pgx.Tx, wait func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- wait(ctx) }()
	tick := time.NewTicker(fencedIdleTimeout / 3)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			if _, err := tx.Exec(ctx, `SELECT`); err != nil {
				return err
			}
		}
	}
}

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
