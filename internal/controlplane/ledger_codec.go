package controlplane

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// The packed formats of the ledger, encoders beside their decoders:
//
//   - a page's entries (sync_ledger_pages.entries): (uvarint key length, key, HashSize-byte hash)
//     repeated, keys strictly ascending by bytes;
//   - an intent's keys (sync_intents.keys): (uvarint key length, key) repeated;
//   - rows for COPY ... (FORMAT binary) into sync_ledger and sync_ledger_pages.

// HashSize is the size of a ledger hash: a 128-bit hash of the mapped record.
const HashSize = 16

// MaxKeyBytes is the longest key (its text, in bytes) the ledger stores: a btree index entry must
// fit in a third of an 8 kB page, and the ledger indexes keys. A record whose key is longer is
// invalid: counted, sampled, never sent.
const MaxKeyBytes = 2048

// StorableKey reports whether the ledger can hold key: at most MaxKeyBytes, and no NUL byte
// (Postgres text holds none; MySQL's and DuckDB's can). A record whose key is not is invalid.
func StorableKey(key []byte) bool {
	return len(key) <= MaxKeyBytes && bytes.IndexByte(key, 0) < 0
}

var errCorruptEntry = errors.New("a packed ledger entry runs past its end")

// appendEntry appends one packed entry: the key and, for pages, its hash.
func appendEntry[K ~string | ~[]byte](buf []byte, key K, hash []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(key)))
	buf = append(buf, key...)
	return append(buf, hash...)
}

// nextEntry decodes the entry at pos of a packed buffer whose entries carry hashSize-byte hashes
// (0 for intents): its key, its hash, and where the next entry begins. ok is false at the end.
func nextEntry(buf []byte, pos, hashSize int) (key, hash []byte, next int, ok bool, err error) {
	if pos >= len(buf) {
		return nil, nil, pos, false, nil
	}
	n, w := binary.Uvarint(buf[pos:])
	start := pos + w
	if w <= 0 || n > uint64(len(buf)-start) || len(buf)-start-int(n) < hashSize {
		return nil, nil, pos, false, errCorruptEntry
	}
	end := start + int(n)
	return buf[start:end:end], buf[end : end+hashSize : end+hashSize], end + hashSize, true, nil
}

// appendKeyList packs keys as an intent stores them.
func appendKeyList(buf []byte, keys []string) []byte {
	for _, k := range keys {
		buf = appendEntry(buf, k, nil)
	}
	return buf
}

// AppendPackedKey appends key to keys packed as PackKeys packs them (an intent's, a
// delivery-log row's), for a caller that packs keys one by one.
func AppendPackedKey(buf, key []byte) []byte { return appendEntry(buf, key, nil) }

// decodeKeyList calls fn with each key packed in buf; the slices alias buf.
func decodeKeyList(buf []byte, fn func(key []byte)) error {
	for pos := 0; ; {
		k, _, next, ok, err := nextEntry(buf, pos, 0)
		if err != nil || !ok {
			return err
		}
		fn(k)
		pos = next
	}
}

var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00") // signature, flags, extension

// appendLedgerCopy encodes rows (syncID, key, hash) in COPY's binary format: cheaper to build
// than pgx's generic CopyFrom (no []any per row, no encode plans) and to parse for the server.
func appendLedgerCopy(buf []byte, syncID int64, keys []string, hashes [][]byte) []byte {
	buf = slices.Grow(buf, len(copyHeader)+2+len(keys)*(2+4+8+4+4+HashSize)+keyBytes(keys))
	buf = append(buf, copyHeader...)
	for i, k := range keys {
		buf = binary.BigEndian.AppendUint16(buf, 3)
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, uint64(syncID))
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(k)))
		buf = append(buf, k...)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(hashes[i])))
		buf = append(buf, hashes[i]...)
	}
	return binary.BigEndian.AppendUint16(buf, 0xffff) // trailer: -1
}

// A COPY buffer is grown once, to what it will hold (at most), before it is filled: grown by
// its appends, a group's buffer of pages was copied about five times over into new memory
// (runtime.growslice under appendPagesCopy: 5% of a 1M first run's runner CPU).

// keyBytes is the length of keys together.
func keyBytes(keys []string) int {
	n := 0
	for _, k := range keys {
		n += len(k)
	}
	return n
}

// pagesCopySize is at least what appendPagesCopy appends for d.
func pagesCopySize(d *Delivered) int {
	n := len(copyHeader) + 2 + keyBytes(d.NewKeys) + len(d.NewKeys)*(binary.MaxVarintLen64+HashSize)
	start := 0
	for _, end := range d.PageEnds {
		if end > start && end <= len(d.NewKeys) {
			n += 2 + 4 + 8 + 4 + len(d.NewKeys[start]) + 4 + len(d.NewKeys[end-1]) + 4
			start = end
		}
	}
	return n
}

// appendPagesCopy encodes d's pages as rows (syncID, first_key, last_key, entries) in COPY's
// binary format.
func appendPagesCopy(buf []byte, syncID int64, d *Delivered) ([]byte, error) {
	buf = slices.Grow(buf, pagesCopySize(d))
	buf = append(buf, copyHeader...)
	start := 0
	for _, end := range d.PageEnds {
		if end < start || end > len(d.NewKeys) {
			return nil, fmt.Errorf("page ends %v do not fit %d new keys", d.PageEnds, len(d.NewKeys))
		}
		if end == start {
			continue
		}
		keys, hashes := d.NewKeys[start:end], d.NewHashes[start:end]
		start = end
		first, last := keys[0], keys[len(keys)-1]
		buf = binary.BigEndian.AppendUint16(buf, 4)
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, uint64(syncID))
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(first)))
		buf = append(buf, first...)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(last)))
		buf = append(buf, last...)
		lenAt := len(buf)
		buf = binary.BigEndian.AppendUint32(buf, 0) // the entries' length, set below
		for i, k := range keys {
			if i > 0 && keys[i-1] >= k {
				// Readers merge pages by key: a page out of order would corrupt the ledger.
				// Where, not which keys: a run's error leaves the model's data out (a sync may
				// withhold its keys), as the differ's order check does.
				return nil, fmt.Errorf("a ledger page's keys are not in order: new key %d does not sort after the one "+
					"before it (the keys are not shown)", start-len(keys)+i)
			}
			if len(hashes[i]) != HashSize {
				return nil, fmt.Errorf("new key %d has a %d-byte hash, want %d", start-len(keys)+i, len(hashes[i]), HashSize)
			}
			buf = appendEntry(buf, k, hashes[i])
		}
		binary.BigEndian.PutUint32(buf[lenAt:], uint32(len(buf)-lenAt-4))
	}
	if start != len(d.NewKeys) {
		return nil, fmt.Errorf("page ends %v do not cover %d new keys", d.PageEnds, len(d.NewKeys))
	}
	return binary.BigEndian.AppendUint16(buf, 0xffff), nil // trailer: -1
}
