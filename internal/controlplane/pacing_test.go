package controlplane_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
)

// Two runners leasing request slots of one connection at once share its rate: counted by the
// slots granted, no window of one second holds more than the rate, whatever the interleaving.
func TestLeaseSlotsHoldsTheRateAcrossClients(t *testing.T) {
	ctx := context.Background()
	store, dbURL, key := controlplanetest.NewStore(t) // NewStore: a second client must see the rows
	hook := webhookConn("Shared limit")
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	k, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Two clients as two runner processes: each its own pool.
	clients := []*controlplane.Store{store, controlplane.New(controlplanetest.Pool(t, dbURL), k)}

	const rate, block, leases = 100.0, 10, 30
	var mu sync.Mutex
	var slots []time.Time
	granted := make([]int, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for range leases {
				first, _, err := c.LeaseSlots(ctx, hook.ID, block, rate)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for j := range block {
					slots = append(slots, first.Add(time.Duration(float64(j)*float64(time.Second)/rate)))
				}
				granted[i] += block
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].Before(slots[j]) })
	// Every window [slot, slot+1s) holds at most rate slots: the limit holds across both.
	most := 0
	for i, s := range slots {
		n := sort.Search(len(slots), func(j int) bool { return !slots[j].Before(s.Add(time.Second)) }) - i
		most = max(most, n)
	}
	if most > int(rate) {
		t.Errorf("a one-second window holds %d slots granted to the two clients, want at most %v", most, rate)
	}
	if granted[0] != block*leases || granted[1] != block*leases {
		t.Errorf("granted %v slots, want %d each", granted, block*leases)
	}
	// The slots are back to back: the 600 granted span six seconds of the timeline, not less.
	if span := slots[len(slots)-1].Sub(slots[0]); span < time.Duration(float64(len(slots)-1)/rate*float64(time.Second))-time.Millisecond {
		t.Errorf("%d slots span %v, want at least %v at %v/s", len(slots), span, float64(len(slots)-1)/rate, rate)
	}
}

func TestLearnedPacingRoundTrip(t *testing.T) {
	ctx := context.Background()
	store, _ := controlplanetest.NewTxStore(t)
	hook := webhookConn("Learning")
	hook.Webhook.RateLimit = &controlplane.RateLimit{Mode: pacing.ModeAdaptive, MaxRequestsPerSecond: 500, MaxConcurrency: 32}
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	if st, err := store.LearnedPacing(ctx, hook.ID); err != nil || st != (pacing.State{}) {
		t.Fatalf("before any run: %+v, %v; want nothing learned", st, err)
	}
	if _, _, err := store.LeaseSlots(ctx, hook.ID, 5, 50); err != nil { // the row exists, nothing learned
		t.Fatal(err)
	}
	if st, err := store.LearnedPacing(ctx, hook.ID); err != nil || st != (pacing.State{}) {
		t.Fatalf("after a lease: %+v, %v; want nothing learned", st, err)
	}
	want := pacing.State{Rate: 187.5, Concurrency: 12}
	if err := store.SaveLearnedPacing(ctx, hook.ID, want); err != nil {
		t.Fatal(err)
	}
	if st, err := store.LearnedPacing(ctx, hook.ID); err != nil || st != want {
		t.Fatalf("learned %+v, %v; want %+v", st, err, want)
	}
	got, err := store.GetConnection(ctx, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l := got.Webhook.Pacing(); l != (pacing.Limits{Mode: pacing.ModeAdaptive, MaxRate: 500, MaxConcurrency: 32}) {
		t.Errorf("limits %+v after a round trip", l)
	}
}
