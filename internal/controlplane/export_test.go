package controlplane

// LedgerHashes's statement, for the test of its plan (ledger_lookup_test.go).
const LedgerLookupSQL = ledgerLookupSQL
