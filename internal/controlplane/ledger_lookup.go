package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// KeyState is what a sync's ledger says about one key: the merged view LedgerRows streams, for
// a single key.
type KeyState string

// Key states.
const (
	// KeyConfirmed: delivered, and the ledger holds the hash of the version delivered.
	KeyConfirmed KeyState = "confirmed"
	// KeyUnconfirmed: may have been delivered, version unknown (see Unconfirmed): the next run
	// resends it (as new when LedgerKey.WasAbsent), or deletes it (mirror) if the model lost it.
	KeyUnconfirmed KeyState = "unconfirmed"
	// KeyAbsent: not in the ledger: never delivered, deleted (mirror), or only rejected.
	KeyAbsent KeyState = "absent"
)

// LedgerKey is one key's entry in a sync's ledger.
type LedgerKey struct {
	State KeyState
	Hash  []byte // for KeyConfirmed
	// Where says what decided the state: "intent" (a batch sent or about to be sent whose
	// outcome is not recorded), "row", "tombstone", "page", or "" for a key found nowhere.
	Where string
	// WasAbsent, for KeyUnconfirmed: the key was not in the ledger before the requests that may
	// have delivered it (UnconfirmedNew), so the next run sends it as new.
	WasAbsent bool
}

// LookupLedgerKey says what sync syncID's ledger holds for key, by the rules LedgerRows merges
// with: an outstanding intent makes it unconfirmed whatever the rest says (the rest says with
// which marker); else a row overrides a page entry and a tombstone hides it. It reads one
// snapshot.
func (s *Store) LookupLedgerKey(ctx context.Context, syncID int64, key string) (LedgerKey, error) {
	var out LedgerKey
	err := pgx.BeginFunc(ctx, snapshots{s},
		func(tx pgx.Tx) error {
			where, hash, found, err := lookUpLedgerKey(ctx, tx, syncID, key)
			if err != nil {
				return err
			}
			intents, err := readIntentKeySet(ctx, tx, syncID)
			if err != nil {
				return err
			}
			var intent bool
			if hash, found, intent = intents.adopted(key, hash, found); intent {
				where = "intent"
			}
			out = LedgerKey{State: KeyAbsent, Where: where}
			if found {
				out = ledgerKeyOf(hash, where)
			}
			return nil
		})
	if err != nil {
		return LedgerKey{}, fmt.Errorf("read a key of the ledger of sync %d: %w", syncID, err)
	}
	return out, nil
}

// lookUpLedgerKey says what tx's snapshot of the ledger's rows and pages holds for key: found
// and its hash (or marker), and where it was decided (see LedgerKey.Where).
func lookUpLedgerKey(ctx context.Context, tx pgx.Tx, syncID int64, key string) (where string, hash []byte, found bool, err error) {
	var tomb bool
	err = tx.QueryRow(ctx, `SELECT hash IS NULL, coalesce(hash, '') FROM backflow.sync_ledger
		WHERE sync_id = $1 AND key = $2`, syncID, key).Scan(&tomb, &hash)
	switch {
	case err == nil && tomb:
		return "tombstone", nil, false, nil
	case err == nil:
		return "row", hash, true, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return "", nil, false, err
	}
	// The one page that could hold it: the last to start at or before it.
	var entries []byte
	err = tx.QueryRow(ctx, `SELECT entries FROM backflow.sync_ledger_pages
		WHERE sync_id = $1 AND first_key <= $2 ORDER BY first_key DESC LIMIT 1`, syncID, key).Scan(&entries)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	if hash, found, err = findInPage(entries, key); found {
		where = "page"
	}
	return where, hash, found, err
}

// findInPage returns key's hash (a copy) in a page's packed entries, which are in key order.
func findInPage(entries []byte, key string) (hash []byte, ok bool, err error) {
	for pos := 0; ; {
		k, h, next, more, err := nextEntry(entries, pos, HashSize)
		if err != nil {
			return nil, false, fmt.Errorf("a ledger page is corrupt: %w", err)
		}
		if !more || string(k) > key {
			return nil, false, nil
		}
		if string(k) == key {
			return bytes.Clone(h), true, nil
		}
		pos = next
	}
}

func ledgerKeyOf(hash []byte, where string) LedgerKey {
	if Unconfirmed(hash) {
		return LedgerKey{State: KeyUnconfirmed, Where: where, WasAbsent: UnconfirmedNew(hash)}
	}
	return LedgerKey{State: KeyConfirmed, Hash: hash, Where: where}
}

// ledgerLookupSQL is LedgerHashes's statement: for each key (in the order given, i), what a
// ledger row says of it (present, and hash: NULL for a tombstone), or else the entries of the
// page that could hold it, sent only for the first of consecutive keys in the same page (page
// names it for the others). Each is one index probe per key, whatever the statistics say (see
// commitDeliveredTx): the LIMIT 1 in each LATERAL keeps the planner from turning it into a join
// that reads every row or page of the sync, which it did with statistics taken before a first
// run wrote its pages (at 1M keys, 42,000 pages read and hashed for 4,000 keys: 475 ms instead of
// 77 ms), and a sync's ledger only grows. A page's heap tuple is read once per key: the probe
// that finds it also returns its entries (until a vacuum marks the pages all-visible, the index
// alone cannot say the page is there).
const ledgerLookupSQL = `SELECT d.i, l.present, l.hash, p.first_key,
		CASE WHEN p.first_key IS DISTINCT FROM lag(p.first_key) OVER (ORDER BY d.i) THEN p.entries END
	FROM unnest($2::text[]) WITH ORDINALITY AS d (k, i)
	LEFT JOIN LATERAL (SELECT true AS present, l.hash FROM backflow.sync_ledger l
		WHERE l.sync_id = $1 AND l.key = d.k LIMIT 1) l ON true
	LEFT JOIN LATERAL (SELECT p.first_key, p.entries FROM backflow.sync_ledger_pages p
		WHERE l.present IS NULL AND p.sync_id = $1 AND p.first_key <= d.k COLLATE "C"
		ORDER BY p.first_key DESC LIMIT 1) p ON true
	ORDER BY d.i`

// LedgerHashes says what sync syncID's ledger holds for each of keys, by the rules LedgerRows
// merges with, in one snapshot: found[i] reports whether keys[i] is in the ledger, hashes[i] its
// hash (or a marker: see Unconfirmed). Outstanding intents are not consulted: a run adopts them
// before it reads (SyncLease.AdoptIntents), and its own are for keys it has already looked up; a
// read that does not adopt them (a dry run) overlays them (IntentKeys.Overlay). It is what an
// incremental read diffs against: an index probe per key, instead of the whole ledger. Keys in
// key order cost the least (a page shared by consecutive keys is sent once).
func (s *Store) LedgerHashes(ctx context.Context, syncID int64, keys []string) (hashes [][]byte, found []bool, err error) {
	err = pgx.BeginFunc(ctx, snapshots{s},
		func(tx pgx.Tx) error {
			hashes, found, err = lookUpLedger(ctx, tx, syncID, keys)
			return err
		})
	if err != nil {
		return nil, nil, fmt.Errorf("read keys of the ledger of sync %d: %w", syncID, err)
	}
	return hashes, found, nil
}

// lookUpLedger is LedgerHashes's lookup within tx (AdoptIntents's too); jit stays off in tx after it.
func lookUpLedger(ctx context.Context, tx pgx.Tx, syncID int64, keys []string) (hashes [][]byte, found []bool, err error) {
	hashes, found = make([][]byte, len(keys)), make([]bool, len(keys))
	// A statement of 4,096 keys is estimated above jit_above_cost: compiling it took about 20 ms
	// of the 66 to 76 ms it ran with its pages cached.
	if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
		return nil, nil, err
	}
	rows, err := tx.Query(ctx, ledgerLookupSQL, syncID, keys)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var entries []byte // of the last page read
	for rows.Next() {
		var i int64
		var present *bool
		var hash, pageEntries []byte
		var page *string
		if err := rows.Scan(&i, &present, &hash, &page, &pageEntries); err != nil {
			return nil, nil, err
		}
		i--
		if pageEntries != nil {
			entries = pageEntries
		}
		switch {
		case present != nil && hash != nil: // a row: confirmed, or a marker (see Unconfirmed)
			hashes[i], found[i] = hash, true
		case present != nil: // a tombstone
		case page != nil: // no row: the page before it may hold it
			if hashes[i], found[i], err = findInPage(entries, keys[i]); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return hashes, found, nil
}

// IntentKeys are the keys of a sync's outstanding intents, as a read that does not adopt them (a
// dry run, a plan's preview: they write nothing) overlays them on its lookups (Overlay), to see
// the ledger as a run sees it once SyncLease.AdoptIntents has run. LedgerRows merges them itself.
type IntentKeys struct {
	keys    []string // sorted, unique
	deleted []bool   // parallel to keys: an intent of a batch of deletes holds the key
}

// ReadIntentKeys reads the keys of sync syncID's outstanding intents, once: intents are few (a
// run's batches in flight), and a lookup that read them again would cost every chunk of keys a
// statement more. Intents recorded or adopted later (by a run going on meanwhile) are not seen.
func (s *Store) ReadIntentKeys(ctx context.Context, syncID int64) (IntentKeys, error) {
	ik, err := readIntentKeySet(ctx, s.db, syncID)
	if err != nil {
		return IntentKeys{}, fmt.Errorf("read the intents of sync %d: %w", syncID, err)
	}
	return ik, nil
}

func readIntentKeySet(ctx context.Context, q querier, syncID int64) (IntentKeys, error) {
	raw, err := readIntentKeys(ctx, q, syncID)
	if err != nil {
		return IntentKeys{}, err
	}
	ik := IntentKeys{keys: make([]string, len(raw)), deleted: make([]bool, len(raw))}
	for i, k := range raw {
		ik.keys[i], ik.deleted[i] = string(k.key), k.deleted // byte-wise order, as readIntentKeys sorted them
	}
	return ik, nil
}

// Overlay makes a lookup's answer for keys (LedgerHashes's hashes and found, changed in place)
// what it is once the intents are adopted (see adopted).
func (ik IntentKeys) Overlay(keys []string, hashes [][]byte, found []bool) {
	if len(ik.keys) == 0 {
		return
	}
	for i, k := range keys {
		hashes[i], found[i], _ = ik.adopted(k, hashes[i], found[i])
	}
}

// adopted is what the ledger holds for key once the intents are adopted, given what it holds
// before (hash, found): an intent's key (intent) is unconfirmed whatever it held, with the marker
// SyncLease.AdoptIntents gives it (unconfirmedHash); any other key is as it was.
func (ik IntentKeys) adopted(key string, hash []byte, found bool) (_ []byte, _ bool, intent bool) {
	i, ok := slices.BinarySearch(ik.keys, key)
	if !ok {
		return hash, found, false
	}
	return unconfirmedHash(hash, found, ik.deleted[i]), true, true
}
