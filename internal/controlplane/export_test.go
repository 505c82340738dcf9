package controlplane

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// LedgerHashes's statement, for the test of its plan (ledger_lookup_test.go).
const LedgerLookupSQL = ledgerLookupSQL

// RejectedBefore's statement, for the test of its plan (ledger_lookup_test.go).
const RejectedBeforeSQL = rejectedBeforeSQL

// The migration lock, for a test that holds it while another caller migrates (migrate_test.go).
const MigrationLockID = migrationLockID

// MigrateWith applies ms as Migrate applies the embedded migrations (control plane only, under
// the migration lock), for tests that add a migration of their own (migrate_test.go).
func MigrateWith(ctx context.Context, pool *pgxpool.Pool, ms []Migration) (applied []int, err error) {
	err = withAdvisoryLock(ctx, pool, migrationLockID, "the migration lock", func(conn *pgx.Conn) error {
		applied, err = migrateControlPlane(ctx, conn, ms)
		return err
	})
	return applied, err
}

// DeleteOldRuns's and LastRunStart's statements, for the test of its plan (runs_retention_test.go).
var DeleteOldRunsSQL, LastRunStartSQL = deleteOldRunsSQL, lastRunStartSQL

// ListDeliveries's statement, for the test of its plans (deliveries_test.go).
var ListDeliveriesSQL = listDeliveriesSQL

// SetCleanupTimeout sets how long a rollback or an unlock after its caller's end waits for the
// control plane (cleanupTimeout), until the test ends.
func SetCleanupTimeout(t interface{ Cleanup(func()) }, d time.Duration) {
	old := cleanupTimeout
	cleanupTimeout = d
	t.Cleanup(func() { cleanupTimeout = old })
}

// Fenced runs fn in one of the lease's fenced transactions, for a test of a runner that stops
// in the middle of one (synclock_test.go).
func (l *SyncLease) Fenced(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return l.fenced(ctx, fn)
}

// SetFencedIdleTimeout shortens FencedIdleTimeout for t.
func SetFencedIdleTimeout(t interface{ Cleanup(func()) }, d time.Duration) {
	old := fencedIdleTimeout
	fencedIdleTimeout = d
	t.Cleanup(func() { fencedIdleTimeout = old })
}

// SealLegacy seals c's secrets as releases before sealedFor did: with the same additional
// data for every connection (rekey_test.go).
func (s *Store) SealLegacy(c *Connection) ([]byte, error) {
	_, _, plain, _, err := s.connectionParts(c)
	if err != nil {
		return nil, err
	}
	return s.sealer.Seal(plain, legacyConnectionSecretsAAD), nil
}

// SealFor is the sealed secrets UpdateConnection writes for c (rekey_test.go).
func (s *Store) SealFor(c *Connection) ([]byte, error) {
	kind, _, plain, tokenURL, err := s.connectionParts(c)
	if err != nil {
		return nil, err
	}
	return s.sealer.Seal(plain, sealedFor{c.ID, kind, tokenURL}.aad()), nil
}
