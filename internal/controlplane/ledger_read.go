package controlplane

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Unconfirmed reports whether a ledger hash says "may have been delivered, version unknown": one
// of the two markers a run gives the keys of a batch whose outcome was never recorded (see
// SyncLease.AdoptIntents and unconfirmedHash). Neither is HashSize bytes long, so neither equals
// a record's hash: such a key is resent while the model has it, and deleted (mirror) once it
// does not.
func Unconfirmed(hash []byte) bool { return len(hash) == 0 || UnconfirmedNew(hash) }

// UnconfirmedNew reports whether a ledger hash is the marker of an unconfirmed key that was not in
// the ledger before the request that may have delivered it (the one byte 0): the endpoint may
// never have had it, so it is resent as new (a request block's create), not as changed (its
// update, which an endpoint refuses for a record it does not have, on every run). A duplicate
// create is allowed; a record never delivered is not.
func UnconfirmedNew(hash []byte) bool { return len(hash) == 1 && hash[0] == 0 }

// The markers of unconfirmed keys, as the ledger stores them (non-nil: nil is a tombstone).
var (
	hashUnconfirmed    = []byte{}
	hashUnconfirmedNew = []byte{0}
)

// unconfirmedHash is the marker a key that may have been delivered gets, given what the ledger
// held for it before (found false: nothing, or a tombstone) and whether what may have been
// delivered is its deletion (deleted: an intent of a batch of deletes holds it):
// UnconfirmedNew's unless some version of it was delivered before, or may have been, and the
// endpoint cannot have deleted it since. After a delete that may have been applied the endpoint
// may no longer have the record, so a model that has it again creates it (a duplicate create is
// allowed) rather than updating what the endpoint may not have (refused on every run).
func unconfirmedHash(prev []byte, found, deleted bool) []byte {
	if !found || deleted || UnconfirmedNew(prev) {
		return hashUnconfirmedNew
	}
	return hashUnconfirmed
}

// LedgerRows streams a sync's ledger in key order (byte-wise, as COLLATE "C" sorts), holding one
// pooled connection until Close. It reads one snapshot, so commits made while it is read do not
// show up in it.
//
// The ledger is the merge of three key-ordered streams: pages (a first run's keys, packed a batch
// per row), per-key rows (what later runs changed), and the keys of outstanding intents (batches
// sent or about to be sent whose outcome is not recorded). A row overrides a page entry with the
// same key; a row with a NULL hash (a tombstone) hides it; an intent's key shows as unconfirmed
// whatever the others say, with the marker SyncLease.AdoptIntents would give it. Pages and rows
// come from one statement; intents are few (a run's batches in flight) and are read whole first.
type LedgerRows struct {
	tx   pgx.Tx
	rows pgx.Rows
	key  []byte
	hash []byte

	// The statement's current row (the lookahead), unless consumed: then rows.Next comes first.
	consumed   bool
	ended      bool
	headPage   bool   // the lookahead is a page (else a per-key row)
	lastRow    []byte // the key of the last per-key row consumed, if haveLastRow
	haveLastRw bool
	page       []byte // the current page's entries, copied
	pos        int    // the next entry's offset in page
	err        error

	// The pages-and-rows stream's current entry (bkey, bhash), valid when bvalid; unless bfetched,
	// it is to be advanced before use.
	bkey, bhash      []byte
	bvalid, bfetched bool
	intents          []intentKey // sorted, unique
	ii               int
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
	// Repeatable read: the intents and the ledger are read from one snapshot.
	tx, err := s.beginSnapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the ledger of sync %d: %w", syncID, err)
	}
	l := &LedgerRows{tx: tx, consumed: true}
	fail := func(err error) (*LedgerRows, error) {
		rctx, cancel := cleanupContext(ctx)
		defer cancel()
		_ = tx.Rollback(rctx)
		return nil, fmt.Errorf("read the ledger of sync %d: %w", syncID, err)
	}
	if l.intents, err = readIntentKeys(ctx, tx, syncID); err != nil {
		return fail(err)
	}
	// The primary keys' indexes are already in key order. Right after a run wrote a million keys
	// the table's statistics are stale and the planner picks a bitmap scan and a sort instead:
	// twice the time, all of it before the first key arrives, and on the CPU the warehouse's
	// sort needs at the same moment. Without sorts a merge of the index scans is the only plan
	// left. (The estimate may be large enough to trigger JIT compilation, which only adds time.)
	if _, err := tx.Exec(ctx, "SET LOCAL enable_sort = off; SET LOCAL jit = off"); err != nil {
		return fail(err)
	}
	if l.rows, err = tx.Query(ctx, ledgerQuery, syncID); err != nil {
		return fail(err)
	}
	return l, nil
}

// intentKey is a key of an outstanding intent; deleted: an intent of a batch of deletes holds it
// (see DeletesBatch).
type intentKey struct {
	key     []byte
	deleted bool
}

// readIntentKeys returns the keys of sync syncID's outstanding intents, sorted and unique (a key
// of several intents is deleted if one of them is of deletes).
func readIntentKeys(ctx context.Context, q querier, syncID int64) ([]intentKey, error) {
	rows, err := q.Query(ctx, `SELECT keys, batch < 0 FROM backflow.sync_intents WHERE sync_id = $1`, syncID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []intentKey
	for rows.Next() {
		raw := rows.RawValues()
		deleted := len(raw[1]) == 1 && (raw[1][0] == 1 || raw[1][0] == 't') // a bool, binary or text
		if err := decodeKeyList(raw[0], func(k []byte) {
			keys = append(keys, intentKey{key: bytes.Clone(k), deleted: deleted})
		}); err != nil {
			return nil, fmt.Errorf("an intent of sync %d is corrupt: %w", syncID, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(keys, func(a, b intentKey) int { return bytes.Compare(a.key, b.key) })
	out := keys[:0]
	for _, k := range keys {
		if n := len(out); n > 0 && bytes.Equal(out[n-1].key, k.key) {
			out[n-1].deleted = out[n-1].deleted || k.deleted
			continue
		}
		out = append(out, k)
	}
	return out, nil
}

// Next advances to the next entry.
func (l *LedgerRows) Next() bool {
	if !l.bfetched {
		l.bvalid, l.bfetched = l.nextBase(), true
	}
	if !l.bvalid && (l.err != nil || l.rows.Err() != nil) {
		// The statement failed (its session ended) or a page is corrupt: the ledger ends here,
		// intents and all, and Err says why. An entry past it would let the diff take every key
		// the statement did not return for one the ledger does not hold, and send it as new.
		return false
	}
	haveIntent := l.ii < len(l.intents)
	c := -1 // the base entry comes first
	switch {
	case !l.bvalid && !haveIntent:
		return false
	case !l.bvalid:
		c = 1
	case haveIntent:
		c = bytes.Compare(l.bkey, l.intents[l.ii].key)
	}
	if c < 0 {
		l.key, l.hash, l.bfetched = l.bkey, l.bhash, false
		return true
	}
	l.key, l.hash = l.intents[l.ii].key, unconfirmedHash(l.bhash, c == 0, l.intents[l.ii].deleted)
	l.ii++
	l.bfetched = c != 0 // the intent overrides the base entry of the same key
	return true
}

// nextBase advances the merge of pages and rows to its next entry (bkey, bhash).
func (l *LedgerRows) nextBase() bool {
	for l.err == nil {
		if l.consumed && !l.ended {
			l.consumed = false
			if !l.rows.Next() {
				l.ended = true
			} else {
				l.headPage = l.rows.RawValues()[2] != nil
			}
		}
		pk, ph, next, havePage, err := nextEntry(l.page, l.pos, HashSize)
		if err != nil {
			l.err, l.page = err, nil
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
				k, _, next, ok, err := nextEntry(l.page, 0, HashSize)
				if err == nil && ok && l.haveLastRw && bytes.Equal(k, l.lastRow) {
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
					l.bkey, l.bhash, l.pos = pk, ph, next
					return true
				case c == 0:
					l.pos = next // the row overrides the page's entry
				}
			}
			l.consumed = true
			l.lastRow, l.haveLastRw = append(l.lastRow[:0], rk...), true
			if raw[1] == nil {
				continue // a tombstone: the key was deleted
			}
			// An empty bytea arrives as an empty, non-nil slice: unconfirmed, not a tombstone.
			l.bkey, l.bhash = rk, raw[1]
			return true
		}
		l.bkey, l.bhash, l.pos = pk, ph, next
		return true
	}
	return false
}

// Key is the current entry's key; valid until Next.
func (l *LedgerRows) Key() []byte { return l.key }

// Hash is the current entry's hash (or a marker, see Unconfirmed); valid until Next.
func (l *LedgerRows) Hash() []byte { return l.hash }

// Err is the error that ended the stream, if any.
func (l *LedgerRows) Err() error {
	if err := l.rows.Err(); err != nil {
		return fmt.Errorf("read the ledger: %w", err)
	}
	if l.err != nil {
		return fmt.Errorf("read the ledger: a ledger page is corrupt: %w", l.err)
	}
	return nil
}

// Close releases the connection.
func (l *LedgerRows) Close() {
	l.rows.Close()
	// Read-only: ending it either way is the same; a broken connection (one that did not answer
	// in time, too) is dropped by the pool.
	ctx, cancel := cleanupContext(context.Background())
	defer cancel()
	_ = l.tx.Rollback(ctx)
}

// LedgerState says what a sync's ledger is made of.
type LedgerState struct {
	Rows  bool // it has per-key rows (tombstones included)
	Pages bool // it has pages
}

// Empty reports whether the ledger holds nothing at all.
func (st LedgerState) Empty() bool { return !st.Rows && !st.Pages }

// WriteMode is how a run writes the ledger it found in this state (the one place this is
// decided): a run that finds no pages (a first run, or one after a `test`, whose key is a row)
// writes its new keys as pages, one per delivered batch, since its batches cover disjoint key
// ranges (the model is read in key order), and the keys the ledger held as rows (rows override
// pages); a run that finds pages, even a few a first run left when it stopped, writes rows, with
// tombstones for deleted keys to hide them in the pages. clearRejected: the sync had rejected
// records when the run started.
func (st LedgerState) WriteMode(clearRejected bool) Delivered {
	return Delivered{ClearRejected: clearRejected, Pages: !st.Pages, Tombstones: st.Pages}
}

// ReadLedgerState reports whether a sync's ledger has per-key rows and whether it has pages.
// Outstanding intents count as rows: a run adopts them as rows before it reads the ledger.
func (s *Store) ReadLedgerState(ctx context.Context, syncID int64) (LedgerState, error) {
	var st LedgerState
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM backflow.sync_ledger WHERE sync_id = $1)
			OR EXISTS (SELECT 1 FROM backflow.sync_intents WHERE sync_id = $1),
		EXISTS (SELECT 1 FROM backflow.sync_ledger_pages WHERE sync_id = $1)`, syncID).Scan(&st.Rows, &st.Pages)
	if err != nil {
		return st, fmt.Errorf("read the ledger of sync %d: %w", syncID, err)
	}
	return st, nil
}
