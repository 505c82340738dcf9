//go:build linux && amd64

package warehouse

import (
	"encoding/binary"
	"math"
	"syscall"
	"testing"
)

// TestSortBufRecordOver4GBMinus4: a record whose JSON is within 4 bytes of 4 GB (its length
// prefix is 4 bytes more) is measured and sliced in 64 bits; in 32 bits its length wrapped to a
// few bytes and the record was cut short. The buffer is a reserved, untouched mapping: no memory
// is used for it.
func TestSortBufRecordOver4GBMinus4(t *testing.T) {
	size := int(math.MaxUint32) + 64
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		t.Fatalf("reserve %d bytes of address space: %v", size, err)
	}
	defer func() { _ = syscall.Munmap(mem) }()
	const off = 8
	n := uint32(math.MaxUint32 - 2) // the record's length, after its prefix
	binary.LittleEndian.PutUint32(mem[off:], n)
	b := &sortBuf{data: mem}
	e := sortEntry{off: off}
	b.readLength(&e)
	if want := uint64(n) + lenSize; e.p0 != want {
		t.Errorf("readLength = %d, want %d", e.p0, want)
	}
	if got, want := len(b.record(e)), int(n)+lenSize; got != want {
		t.Errorf("record is %d bytes, want %d", got, want)
	}
}
