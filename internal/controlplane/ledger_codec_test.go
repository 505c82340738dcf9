package controlplane

import (
	"fmt"
	"strings"
	"testing"
)

// A group's COPY data is built in one allocation of at most the size reserved for it: grown by
// its appends, a buffer of 50,000 keys was reallocated (and copied) dozens of times.
func TestCopyBuffersGrowOnce(t *testing.T) {
	d := &Delivered{Pages: true}
	for i := range 50000 {
		d.NewKeys = append(d.NewKeys, fmt.Sprintf("user%07d@acme%d.example.com", i, i%1000))
		d.NewHashes = append(d.NewHashes, make([]byte, HashSize))
		if (i+1)%1000 == 0 {
			d.PageEnds = append(d.PageEnds, i+1)
		}
	}
	var pages, rows []byte
	if n := testing.AllocsPerRun(3, func() {
		var err error
		if pages, err = appendPagesCopy(nil, 7, d); err != nil {
			t.Fatal(err)
		}
	}); n != 1 {
		t.Errorf("appendPagesCopy allocated %v times, want once", n)
	}
	if size := pagesCopySize(d); len(pages) > size {
		t.Errorf("appendPagesCopy appended %d bytes, more than the %d reserved", len(pages), size)
	}
	if n := testing.AllocsPerRun(3, func() { rows = appendLedgerCopy(nil, 7, d.NewKeys, d.NewHashes) }); n != 1 {
		t.Errorf("appendLedgerCopy allocated %v times, want once", n)
	}
	if want := len(copyHeader) + 2 + len(d.NewKeys)*(2+4+8+4+4+HashSize) + keyBytes(d.NewKeys); len(rows) != want {
		t.Errorf("appendLedgerCopy appended %d bytes, want %d", len(rows), want)
	}
}

// The errors of a ledger page that cannot be written say where, not which keys: they end a run,
// whose error is stored, shown, logged and sent in notifications, and a sync's keys may be
// what it withholds (runner.KeyWithheld), as the model's data stays out of run errors.
func TestPagesCopyErrorsLeaveTheKeysOut(t *testing.T) {
	for _, d := range []*Delivered{
		{Pages: true, NewKeys: []string{"b@example.com", "a@example.com"}, NewHashes: [][]byte{make([]byte, HashSize), make([]byte, HashSize)}, PageEnds: []int{2}},
		{Pages: true, NewKeys: []string{"a@example.com", "b@example.com"}, NewHashes: [][]byte{make([]byte, HashSize), {1}}, PageEnds: []int{2}},
	} {
		_, err := appendPagesCopy(nil, 7, d)
		if err == nil || strings.Contains(err.Error(), "@example.com") {
			t.Errorf("appendPagesCopy of keys %q: %v; want an error without the keys", d.NewKeys, err)
		}
	}
}
