package runner

import (
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Why a first run of a sync that deletes nothing records intents all the same: a first run of an
// update_or_create sync stopped while the endpoint takes two batches (answered after the run gave
// up), those records deleted from the warehouse, a run that succeeds, and then the sync made a
// mirror: the mirror's first run must delete them at the endpoint. Only the intents say they may
// have been delivered (the next run adopts them into the ledger); without them the endpoint keeps
// them for good. (A first run without intents was built, measured 0.6 core-s of control plane
// cheaper for 1M new records, and reverted for this.)
func TestMirrorDeletesWhatAKilledFirstRunDelivered(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.recv.KeyName = "id"
	f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 40) AS i`)
	f.runWithTwoOut()()
	took := f.recv.View()
	if len(took) == 0 {
		t.Fatal("the receiver took no record from the stopped run")
	}
	var ids []string
	for id := range took {
		ids = append(ids, id)
	}
	f.exec(`DELETE FROM users WHERE id::text = ANY ($1)`, ids)
	f.run(controlplane.RunSucceeded, RunOptions{})

	f.sync.Behavior = controlplane.BehaviorMirror
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{}) // a few of the keys delivered: within the default guard
	var stale []string
	for _, id := range ids {
		if _, ok := f.recv.View()[id]; ok {
			stale = append(stale, id)
		}
	}
	if len(stale) > 0 {
		t.Errorf("the mirror left at the receiver %d records the stopped first run delivered and the warehouse deleted: %v",
			len(stale), stale)
	}
	if n := len(f.recv.View()); n != 35-len(ids) {
		t.Errorf("receiver holds %d records, want %d", n, 35-len(ids))
	}
}
