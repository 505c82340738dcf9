package controlplane

// LedgerHashes's statements, for the test of their plans (ledger_lookup_test.go).
const (
	LedgerLookupSQL = ledgerLookupSQL
	LedgerPagesSQL  = ledgerPagesSQL
)
