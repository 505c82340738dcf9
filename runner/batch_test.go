package runner

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A batch packs its keys once, as an intent and the delivery log store them, and a reused batch
// never writes over what an earlier use handed out: the delivery log keeps a batch's packed
// keys, and the ledger commit its keys, after the batch goes back to its pool.
func TestBatchPacksKeysOnceAndReuseKeepsThem(t *testing.T) {
	pool := newBatchPool(1)
	fill := func(prefix string, n int) (*batch, []string) {
		b := pool.get("changed", n, 0)
		var keys []string
		for i := range n {
			k := fmt.Sprintf("%s%03d", prefix, i)
			keys = append(keys, k)
			b.add(&record{kind: kindChanged, key: []byte(k), obj: []byte(`{"k":"` + k + `"}`)})
		}
		b.seal()
		return b, keys
	}
	b, keys := fill("b", 50)
	want, first, last := controlplane.PackKeys(nil, keys)
	if !bytes.Equal(b.packed, want) || b.first != first || b.last != last || !slices.Equal(b.keys, keys) {
		t.Fatalf("batch keys: packed %q (%q..%q), keys %q; want %q (%q..%q), %q", b.packed, b.first, b.last, b.keys, want, first, last, keys)
	}
	handedOut, keyOut := b.packed, b.keys[7]
	pool.put(b)

	again, keys2 := fill("a", 60)
	if again != b {
		t.Fatal("the pool did not give the batch back")
	}
	if !bytes.Equal(handedOut, want) || keyOut != keys[7] {
		t.Fatalf("reusing the batch changed what it handed out: packed %q, key %q", handedOut, keyOut)
	}
	want2, _, _ := controlplane.PackKeys(nil, keys2)
	if !bytes.Equal(again.packed, want2) || again.first != "a000" || again.last != "a059" || again.len() != 60 {
		t.Fatalf("reused batch: packed %q (%q..%q), %d records", again.packed, again.first, again.last, again.len())
	}
}

// BenchmarkBatch fills, seals and recycles batches of 1000 users-shaped records: what the
// producer does per record besides encoding it.
func BenchmarkBatch(b *testing.B) {
	src, _ := benchModel(1000, 0)
	pool := newBatchPool(1)
	var r record
	b.ReportAllocs()
	for b.Loop() {
		bt := pool.get("changed", 1000, 0)
		for i := range src.keys {
			r = record{kind: kindNew, key: src.keys[i], obj: src.objs[i]}
			bt.add(&r)
		}
		bt.seal()
		pool.put(bt)
	}
}
