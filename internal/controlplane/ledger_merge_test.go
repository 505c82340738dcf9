package controlplane

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// fakeRows is a ledger statement's result: (key, hash, entries) raw values, then err (nil: the
// result's end).
type fakeRows struct {
	pgx.Rows // methods the merge does not call
	rows     [][][]byte
	i        int
	err      error
}

func (r *fakeRows) Close() {}
func (r *fakeRows) Err() error {
	if r.i > len(r.rows) {
		return r.err
	}
	return nil
}
func (r *fakeRows) CommandTag() pgconn.CommandTag                { return pgconn.CommandTag{} }
func (r *fakeRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (r *fakeRows) Next() bool                                   { r.i++; return r.i <= len(r.rows) }
func (r *fakeRows) Scan(...any) error                            { return nil }
func (r *fakeRows) Values() ([]any, error)                       { return nil, nil }
func (r *fakeRows) RawValues() [][]byte                          { return r.rows[r.i-1] }
func (r *fakeRows) Conn() *pgx.Conn                              { return nil }

// page builds a page row from "key:hash" entries; row a per-key row ("key:hash", or "key:" for a
// tombstone).
func page(entries ...string) [][]byte {
	var b []byte
	for _, e := range entries {
		k, h, _ := strings.Cut(e, ":")
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = append(b, make([]byte, HashSize)...)
		b[len(b)-HashSize] = h[0]
	}
	first, _, _ := strings.Cut(entries[0], ":")
	return [][]byte{[]byte(first), nil, b}
}

func row(e string) [][]byte {
	k, h, _ := strings.Cut(e, ":")
	if h == "" {
		return [][]byte{[]byte(k), nil, nil}
	}
	hash := make([]byte, HashSize)
	hash[0] = h[0]
	return [][]byte{[]byte(k), hash, nil}
}

// The merge does not depend on whether a row or a page comes first when the row's key is the
// page's first key: the statement sorts only by key, so either order may arrive.
func TestLedgerMergeTies(t *testing.T) {
	cases := []struct {
		name string
		rows [][][]byte
		want string
	}{
		{"row before page", [][][]byte{row("a:1"), row("b:2"), page("b:p", "c:p"), row("d:3")}, "a1 b2 cp d3"},
		{"page before row", [][][]byte{row("a:1"), page("b:p", "c:p"), row("b:2"), row("d:3")}, "a1 b2 cp d3"},
		{"tombstone before page", [][][]byte{row("b:"), page("b:p", "c:p")}, "cp"},
		{"tombstone after page", [][][]byte{page("b:p", "c:p"), row("b:")}, "cp"},
		{"tombstones inside", [][][]byte{page("b:p", "c:p", "d:p"), row("c:"), row("d:"), page("e:p")}, "bp ep"},
		{"override inside, rows between", [][][]byte{page("b:p", "d:p", "f:p"), row("c:1"), row("d:2"), row("e:3"), page("g:p"), row("h:4")},
			"bp c1 d2 e3 fp gp h4"},
		{"rows only", [][][]byte{row("a:1"), row("b:"), row("c:3")}, "a1 c3"},
		{"pages only", [][][]byte{page("a:p", "b:p"), page("c:p")}, "ap bp cp"},
		{"nothing", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := &LedgerRows{rows: &fakeRows{rows: tc.rows}, consumed: true}
			var got []string
			for l.Next() {
				got = append(got, fmt.Sprintf("%s%c", l.Key(), l.Hash()[0]))
			}
			if err := l.Err(); err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("merged %q, want %q", g, tc.want)
			}
		})
	}
}

// A page cut short is an error, not a silently shorter ledger.
func TestLedgerMergeCorruptPage(t *testing.T) {
	p := page("a:p", "b:p")
	p[2] = p[2][:len(p[2])-1]
	l := &LedgerRows{rows: &fakeRows{rows: [][][]byte{p}}, consumed: true}
	n := 0
	for l.Next() {
		n++
	}
	if l.Err() == nil || n != 1 {
		t.Errorf("read %d entries, err %v; want 1 and an error", n, l.Err())
	}
}

// TestLedgerEndsAtItsStatementsError: a ledger whose statement fails mid-stream (its session
// ended) ends there, with that error, before the intents beyond: an entry after the failure
// would let the diff take the keys the statement did not return for absent from the ledger.
func TestLedgerEndsAtItsStatementsError(t *testing.T) {
	cut := errors.New("canceling statement due to statement timeout (SQLSTATE 57014)")
	l := &LedgerRows{rows: &fakeRows{rows: [][][]byte{row("a:1"), row("b:2")}, err: cut}, consumed: true,
		intents: []intentKey{{key: []byte("z")}}}
	var got []string
	for l.Next() {
		got = append(got, string(l.Key()))
	}
	if strings.Join(got, " ") != "a b" || !errors.Is(l.Err(), cut) {
		t.Errorf("read %q, then %v; want a and b, then the statement's error", got, l.Err())
	}
}
