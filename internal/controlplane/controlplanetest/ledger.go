package controlplanetest

import (
	"bytes"
	"context"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// LedgerPageCount is how many pages a sync's ledger has.
func LedgerPageCount(ctx context.Context, s *controlplane.Store, syncID int64) (int64, error) {
	var n int64
	err := s.DB().QueryRow(ctx, `SELECT count(*) FROM backflow.sync_ledger_pages WHERE sync_id = $1`, syncID).Scan(&n)
	return n, err
}

// LedgerRowCount is how many per-key rows (tombstones and unconfirmed keys included) a sync's
// ledger has.
func LedgerRowCount(ctx context.Context, s *controlplane.Store, syncID int64) (int64, error) {
	var n int64
	err := s.DB().QueryRow(ctx, `SELECT count(*) FROM backflow.sync_ledger WHERE sync_id = $1`, syncID).Scan(&n)
	return n, err
}

// LedgerCount is how many keys a sync's ledger holds as confirmed deliveries: pages and rows
// merged, tombstones and unconfirmed keys (outstanding intents included) dropped.
func LedgerCount(ctx context.Context, s *controlplane.Store, syncID int64) (int64, error) {
	l, err := s.ReadLedger(ctx, syncID)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	var n int64
	for l.Next() {
		if !controlplane.Unconfirmed(l.Hash()) {
			n++
		}
	}
	return n, l.Err()
}

// LedgerEntries returns a sync's confirmed deliveries as key → hash (pages and rows merged,
// tombstones and unconfirmed keys dropped).
func LedgerEntries(ctx context.Context, s *controlplane.Store, syncID int64) (map[string][]byte, error) {
	l, err := s.ReadLedger(ctx, syncID)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	out := make(map[string][]byte)
	for l.Next() {
		if !controlplane.Unconfirmed(l.Hash()) {
			out[string(l.Key())] = bytes.Clone(l.Hash())
		}
	}
	return out, l.Err()
}
