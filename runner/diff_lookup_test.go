package runner

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// lookupModel is a partial diff of n users-shaped records against a lookup that finds every
// changeEvery-th key with a different hash and the others unchanged (0: none found: all new).
func lookupModel(t *testing.T, n, changeEvery int) (*differ, *memSource, *memLedger) {
	t.Helper()
	src, led := benchModel(n, changeEvery)
	m, err := newMapper(src.Columns(), nil, "unique_id")
	if err != nil {
		t.Fatal(err)
	}
	return &differ{behavior: controlplane.BehaviorUpdateOrCreate, m: m, counts: new(Counters)}, src, led
}

// ledgerLookup answers a lookup from led, as controlplane.Store.LedgerHashes does.
func ledgerLookup(led *memLedger, keys []string) ([][]byte, []bool) {
	hashes, found := make([][]byte, len(keys)), make([]bool, len(keys))
	for i, k := range keys {
		if j, ok := slices.BinarySearchFunc(led.keys, []byte(k), bytes.Compare); ok {
			hashes[i], found[i] = led.hashes[j], true
		}
	}
	return hashes, found
}

// TestPartialDiffLooksUpTwoChunksAtOnce: a partial diff (an incremental read) looks up the
// next chunk of keys while the one before it is still being looked up, and emits the changed
// records of every chunk once, in key order. The lookups here answer only once two are in flight
// at the same moment: one at a time (or one more than the queue allows) would never answer.
func TestPartialDiffLooksUpTwoChunksAtOnce(t *testing.T) {
	const n = 3*lookupChunkKeys + 100 // four chunks, the last one short
	d, src, led := lookupModel(t, n, 10)
	var inFlight, most, calls atomic.Int32
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	started := 0
	d.lookup = func(ctx context.Context, keys []string) ([][]byte, []bool, error) {
		calls.Add(1)
		now := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		// Every lookup but the last answers only once a later one has started, while it is
		// still in flight itself.
		mu.Lock()
		started++
		seq := started
		cond.Broadcast()
		timeout := time.AfterFunc(time.Minute, func() { mu.Lock(); started = -1 << 30; cond.Broadcast(); mu.Unlock() })
		defer timeout.Stop()
		for len(keys) == lookupChunkKeys && started == seq {
			cond.Wait()
		}
		timedOut := started < 0
		mu.Unlock()
		if timedOut {
			return nil, nil, errors.New("no later lookup started beside this one")
		}
		h, f := ledgerLookup(led, keys)
		return h, f, nil
	}
	var got []string
	err := d.run(context.Background(), src, nil, func(r *record) error {
		if r.kind != kindChanged {
			t.Errorf("record %s emitted as kind %d, want changed", r.key, r.kind)
		}
		got = append(got, string(r.key))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i < n; i += 10 {
		want = append(want, string(src.keys[i]))
	}
	if !slices.Equal(got, want) {
		t.Errorf("emitted %d records, want %d (every 10th key, in key order)", len(got), len(want))
	}
	if c := calls.Load(); c != 4 {
		t.Errorf("%d lookups, want 4 (chunks of %d keys)", c, lookupChunkKeys)
	}
	if m := most.Load(); m != lookupsInFlight {
		t.Errorf("at most %d lookups at once, want %d", m, lookupsInFlight)
	}
	if c := d.counts.Changed.Load(); c != int64(len(want)) {
		t.Errorf("changed counter %d, want %d", c, len(want))
	}
}

// TestPartialDiffSerialLookups: with serialLookups, one lookup at a time; and a failed lookup
// ends the diff with its error, emitting nothing of its chunk or the chunks after it.
func TestPartialDiffSerialLookups(t *testing.T) {
	const n = 3 * lookupChunkKeys
	d, src, led := lookupModel(t, n, 0)
	d.serialLookups = true
	var inFlight, most, calls atomic.Int32
	failAt := int32(2)
	d.lookup = func(ctx context.Context, keys []string) ([][]byte, []bool, error) {
		now := inFlight.Add(1)
		defer inFlight.Add(-1)
		if now > most.Load() {
			most.Store(now)
		}
		time.Sleep(time.Millisecond) // room for a second lookup to start, were it allowed to
		if calls.Add(1) == failAt {
			return nil, nil, errors.New("lookup refused")
		}
		h, f := ledgerLookup(led, keys)
		return h, f, nil
	}
	emitted := 0
	err := d.run(context.Background(), src, nil, func(r *record) error { emitted++; return nil })
	if err == nil || err.Error() != "lookup refused" {
		t.Fatalf("diff ended with %v, want the lookup's error", err)
	}
	if m := most.Load(); m != 1 {
		t.Errorf("%d lookups at once, want 1", m)
	}
	// The first chunk's keys are all unchanged (in the ledger with their hashes): nothing sent.
	if emitted != 0 {
		t.Errorf("%d records emitted, want 0", emitted)
	}
}
