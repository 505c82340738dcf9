package main

import (
	"testing"
)

// TestRecordsKeyNoLedgerCanHold: a --key that is not UTF-8 (an argument in
// another encoding, $'\xff') is a key no record has (the ledger, the rejections and the delivery
// log hold text, and a model's row with such a key is invalid, never sent): `records` says it
// is absent, as for any key the sync never had, not Postgres's "invalid byte sequence for
// encoding "UTF8"" as a failure (exit 1). Its valid neighbours are answered as before.
func TestRecordsKeyNoLedgerCanHold(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 2, "http://127.0.0.1:1/unused", 10)
	for _, key := range []string{"\xff", "caf\xe9", "\xc3", "é", "1"} {
		if a := w.record(key); a.Ledger != "absent" || a.Rejected != nil || len(a.Requests) != 0 {
			t.Errorf("records --key %q: %+v, want absent with no requests", key, a)
		}
	}
}
