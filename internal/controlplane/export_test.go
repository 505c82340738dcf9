package controlplane

// LedgerHashes's statement, for the test of its plan (ledger_lookup_test.go).
const LedgerLookupSQL = ledgerLookupSQL

// The migration lock, for a test that holds it while another caller migrates (migrate_test.go).
const MigrationLockID = migrationLockID
