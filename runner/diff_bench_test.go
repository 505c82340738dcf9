package runner

import (
	"context"
	"fmt"
	"testing"

	"github.com/zeebo/xxh3"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// memSource is a model already encoded: rows in key order with their JSON objects.
type memSource struct {
	keys [][]byte
	objs [][]byte
	i    int
}

func (s *memSource) Columns() []controlplane.Column {
	return []controlplane.Column{{Name: "unique_id", Type: "text"}}
}
func (s *memSource) Next() bool                         { s.i++; return s.i <= len(s.keys) }
func (s *memSource) Key() ([]byte, bool)                { return s.keys[s.i-1], false }
func (s *memSource) AppendValue(b []byte, _ int) []byte { return append(b, s.objs[s.i-1]...) }
func (s *memSource) AppendObject(b []byte, _ []int, _ [][]byte) []byte {
	return append(b, s.objs[s.i-1]...)
}
func (s *memSource) Err() error { return nil }

// memLedger is a ledger in memory, in key order.
type memLedger struct {
	keys, hashes [][]byte
	i            int
}

func (l *memLedger) Next() bool   { l.i++; return l.i <= len(l.keys) }
func (l *memLedger) Key() []byte  { return l.keys[l.i-1] }
func (l *memLedger) Hash() []byte { return l.hashes[l.i-1] }
func (l *memLedger) Err() error   { return nil }

// benchModel returns n users-shaped records in key order and a ledger of them where every
// changeEvery-th hash differs (0: none).
func benchModel(n, changeEvery int) (*memSource, *memLedger) {
	src := &memSource{}
	led := &memLedger{}
	for i := range n {
		key := fmt.Appendf(nil, "user%09d@example.com", i)
		obj := fmt.Appendf(nil, `{"company":"Walsh and Sons %d","company_domain":"adams%d.co.uk","created_at":"2019-01-01T00:00:07",`+
			`"unique_id":"%s","first_name":"Alycia","full_name":"Alycia Adams","last_name":"Adams",`+
			`"role":"Regional Sales Manager","type":"paid user","user_id":"C4CA4238-A0B9-2382-0DCC-509A6F75849B","website":"http://adams%d.biz"}`,
			i%997, i%997, key, i%991)
		src.keys = append(src.keys, key)
		src.objs = append(src.objs, obj)
		h := xxh3.Hash128(obj).Bytes()
		if changeEvery > 0 && i%changeEvery == 0 {
			h[0]++
		}
		led.keys = append(led.keys, key)
		led.hashes = append(led.hashes, h[:])
	}
	return src, led
}

// BenchmarkHashRecord hashes one users-shaped record (about 330 bytes), as the diff does for
// every row it reads.
func BenchmarkHashRecord(b *testing.B) {
	src, _ := benchModel(1, 0)
	obj := src.objs[0]
	b.SetBytes(int64(len(obj)))
	var h [16]byte
	for b.Loop() {
		h = xxh3.Hash128(obj).Bytes()
	}
	_ = h
}

// BenchmarkLedgerCompare is the diff's merge of 100k encoded rows against the ledger: hashing
// each record and comparing keys and hashes, with nothing changed and with 1% changed (the
// changed records are handed to emit, which drops them). Reading and encoding rows are
// measured by the warehouse package's benchmarks.
func BenchmarkLedgerCompare(b *testing.B) {
	for _, c := range []struct {
		name        string
		changeEvery int
	}{{"unchanged", 0}, {"1pct", 100}} {
		b.Run(c.name, func(b *testing.B) {
			const n = 100000
			src, led := benchModel(n, c.changeEvery)
			m, err := newMapper(src.Columns(), nil, "unique_id")
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				src.i, led.i = 0, 0
				d := &differ{behavior: controlplane.BehaviorMirror, m: m, counts: new(Counters)}
				sent := 0
				if err := d.run(ctx, src, led, func(*record) error { sent++; return nil }); err != nil {
					b.Fatal(err)
				}
				want := 0
				if c.changeEvery > 0 {
					want = n / c.changeEvery
				}
				if sent != want {
					b.Fatalf("sent %d, want %d", sent, want)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
