package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// An incremental diff looks its chunks' keys up lookupsAhead at a time while it reads on, and
// still emits what is to be sent in the order read, with each record classified by its own
// chunk's answer.
func TestIncrementalLookupsRunAhead(t *testing.T) {
	n := lookupChunkKeys*5 + 7
	src, led := benchModel(n, 3) // every third key's hash differs: changed
	m, err := newMapper(src.Columns(), nil, "unique_id")
	if err != nil {
		t.Fatal(err)
	}
	index := make(map[string]int, n)
	for i, k := range led.keys {
		index[string(k)] = i
	}
	var (
		mu                   sync.Mutex
		inFlight, most, seen int
		both                 = make(chan struct{}) // closed once two lookups were under way at once
	)
	lookup := func(ctx context.Context, keys []string) ([][]byte, []bool, error) {
		mu.Lock()
		inFlight++
		seen++
		if inFlight > most {
			most = inFlight
		}
		if inFlight == 2 && most == 2 {
			close(both)
		}
		mu.Unlock()
		// The first lookup answers only once a second one is under way (or gives up): one at a
		// time, the diff would wait here for the whole timeout.
		select {
		case <-both:
		case <-time.After(10 * time.Second):
		}
		hashes, found := make([][]byte, len(keys)), make([]bool, len(keys))
		for i, k := range keys {
			j, ok := index[k]
			if ok && j%5 != 4 { // every fifth key is not in the ledger: new
				hashes[i], found[i] = led.hashes[j], true
			}
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		return hashes, found, nil
	}
	d := &differ{behavior: controlplane.BehaviorUpdateOrCreate, m: m, counts: new(Counters), lookup: lookup}
	var got []string
	start := time.Now()
	err = d.run(context.Background(), src, nil, func(r *record) error {
		got = append(got, fmt.Sprintf("%s %s", kindNames[r.kind], r.key))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if most != lookupsAhead {
		t.Errorf("at most %d lookups were under way at once, want %d", most, lookupsAhead)
	}
	if took := time.Since(start); took > 9*time.Second {
		t.Errorf("the first lookup was alone until it gave up (%v)", took)
	}
	if want := (n + lookupChunkKeys - 1) / lookupChunkKeys; seen != want {
		t.Errorf("%d lookups, want %d (one per chunk)", seen, want)
	}
	var want []string
	for i, k := range src.keys {
		switch {
		case i%5 == 4:
			want = append(want, "new "+string(k))
		case i%3 == 0:
			want = append(want, "changed "+string(k))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("emitted %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d emitted as %q, want %q", i, got[i], want[i])
		}
	}
}

// A lookup that fails ends the diff with its error, after the lookups still under way have
// ended (their context canceled): none is left running with the chunks' buffers.
func TestIncrementalLookupFails(t *testing.T) {
	src, _ := benchModel(lookupChunkKeys*4, 0)
	m, err := newMapper(src.Columns(), nil, "unique_id")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	running, calls := 0, 0
	boom := errors.New("the control plane went away")
	lookup := func(ctx context.Context, keys []string) ([][]byte, []bool, error) {
		mu.Lock()
		running++
		calls++
		first := calls == 1
		mu.Unlock()
		defer func() { mu.Lock(); running--; mu.Unlock() }()
		if first {
			return nil, nil, boom
		}
		<-ctx.Done() // the others wait until the diff gives up on them
		return nil, nil, ctx.Err()
	}
	d := &differ{behavior: controlplane.BehaviorUpdateOrCreate, m: m, counts: new(Counters), lookup: lookup}
	err = d.run(context.Background(), src, nil, func(*record) error { return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("the diff ended with %v, want the lookup's error", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if running != 0 {
		t.Errorf("%d lookups still running after the diff returned", running)
	}
}
