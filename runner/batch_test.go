package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
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

// A batch is bounded by the bytes of its records as well as by batch_size: wide records go in
// more, smaller requests, each carrying at most controlplane.MaxBatchBytes of records' JSON, every record
// exactly once, and a record wider than that goes alone. Bounded by batch_size alone, the twelve
// records went in one request of 4.5 MB. The envelope and a batch request's template
// (`{{ records | json }}`) send a batch's records as the runner encoded them.
func TestWideRecordsAreBatchedByBytes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		spec *controlplane.RequestSpec
	}{
		{"envelope", nil},
		{"batch request", &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
			New: &controlplane.OperationRequest{Method: "POST", Body: `{{ records | json }}`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
			// Ten records of a third of the bound less a little (three to a batch), one of
			// more than the bound, one narrow.
			f.exec(`CREATE TABLE wide (id bigint PRIMARY KEY, body text)`)
			f.exec(`INSERT INTO wide SELECT i, repeat('x', $1) FROM generate_series(1, 10) AS i
				UNION ALL VALUES (11, repeat('y', $2)), (12, 'z')`, controlplane.MaxBatchBytes/3-100, controlplane.MaxBatchBytes+1000)
			f.model.Table = "public.wide"
			if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
				t.Fatal(err)
			}
			f.sync.BatchSize, f.sync.Request = 1000, tc.spec
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if run.Counts.Delivered != 12 {
				t.Fatalf("delivered %d records, want 12", run.Counts.Delivered)
			}

			seen := map[float64]int{}
			reqs := f.recv.Requests()
			for _, q := range reqs {
				var recs []json.RawMessage
				if q.Envelope != nil {
					recs = q.Envelope.Data
				} else if err := json.Unmarshal(q.Body, &recs); err != nil {
					t.Fatalf("request %d: %v", q.N, err)
				}
				size := 0
				for _, r := range recs {
					size += len(r)
					var rec struct{ ID float64 }
					if err := json.Unmarshal(r, &rec); err != nil {
						t.Fatal(err)
					}
					seen[rec.ID]++
					if rec.ID == 11 && len(recs) != 1 {
						t.Errorf("request %d: the record wider than the bound went with %d others", q.N, len(recs)-1)
					}
				}
				if len(recs) > 1 && size > controlplane.MaxBatchBytes {
					t.Errorf("request %d: %d records of %d bytes of JSON, over the bound of %d", q.N, len(recs), size, controlplane.MaxBatchBytes)
				}
			}
			for id := 1.0; id <= 12; id++ {
				if seen[id] != 1 {
					t.Errorf("record %v sent %d times, want once", id, seen[id])
				}
			}
			// 3, 3, 3 and 1 of the ten, 11 alone, 12 with one of them or alone.
			if len(reqs) < 5 {
				t.Errorf("%d requests, want at least 5", len(reqs))
			}
		})
	}
}

// A full batch's envelope is within controlplane.MaxBatchBytes, the commas between its records
// and the envelope's other fields included, so an endpoint behind nginx's default
// client_max_body_size (1 MiB, answering 413 to a larger body) takes each request as it comes,
// whether the envelope is the default body or a batch request's (format "envelope"). Bounded by
// the records' JSON alone, 5,000 narrow records at batch_size 10000 made a body a little over
// 1 MiB: every full batch was answered 413 and split in two.
func TestFullBatchEnvelopeIsWithinTheBound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		spec *controlplane.RequestSpec
	}{
		{"envelope", nil},
		{"batch request", &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatEnvelope}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
			f.exec(`CREATE TABLE narrow (id bigint PRIMARY KEY, body text)`)
			f.exec(`INSERT INTO narrow SELECT i, repeat('x', 180) FROM generate_series(1, 12000) AS i`)
			f.model.Table = "public.narrow"
			if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
				t.Fatal(err)
			}
			f.sync.BatchSize, f.sync.Request = controlplane.MaxBatchSize, tc.spec
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var over []int
			f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
				if len(q.Body) <= controlplane.MaxBatchBytes {
					return false
				}
				mu.Lock()
				over = append(over, len(q.Body))
				mu.Unlock()
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				return true
			})
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if run.Counts.Delivered != 12000 {
				t.Errorf("delivered %d records, want 12000", run.Counts.Delivered)
			}
			if n := len(f.recv.Requests()); n < 3 {
				t.Errorf("%d requests accepted, want at least 3 (12,000 records of 200 bytes)", n)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(over) > 0 {
				t.Errorf("%d requests of %v bytes, over the bound of %d", len(over), over, controlplane.MaxBatchBytes)
			}
		})
	}
}
