package runner

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A first run (empty ledger) of a sync that deletes nothing and has no cursor records no
// intents (controlplane.IntentsNeeded): every key it sends without recording it is missing from
// the ledger, which the next run reads as "send as new", as it would an adopted intent. A mirror,
// a sync with a cursor, and any run after the first record them. The receiver counts the sync's
// intents while each request is out.
func TestIntentsRecordedOnlyWhereNeeded(t *testing.T) {
	for _, tc := range []struct {
		name      string
		behavior  string
		cursor    bool
		secondRun bool // the intents of a run after the first, with the ledger holding keys
		want      bool
	}{
		{name: "update_or_create first run", behavior: controlplane.BehaviorUpdateOrCreate, want: false},
		{name: "append first run", behavior: controlplane.BehaviorAppend, want: false},
		{name: "mirror first run", behavior: controlplane.BehaviorMirror, want: true},
		{name: "cursor first run", behavior: controlplane.BehaviorUpdateOrCreate, cursor: true, want: true},
		{name: "update_or_create second run", behavior: controlplane.BehaviorUpdateOrCreate, secondRun: true, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f *fixture
			if tc.cursor {
				f = cursorFixture(t, tc.behavior)
			} else {
				f = newFixture(t, tc.behavior, nil)
			}
			if tc.secondRun {
				f.run(controlplane.RunSucceeded, RunOptions{})
				f.exec(`UPDATE users SET name = name || '!', updated_at = updated_at + interval '1 day'`)
			}
			var requests, withIntents atomic.Int32
			f.recv.Gate(func(int) {
				requests.Add(1)
				if f.keyIntents() > 0 {
					withIntents.Add(1)
				}
			})
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Gate(nil)
			if requests.Load() == 0 {
				t.Fatalf("run %+v sent nothing", run.Counts)
			}
			if got := withIntents.Load() > 0; got != tc.want {
				t.Errorf("%d of %d requests were out with intents recorded; want intents: %v", withIntents.Load(), requests.Load(), tc.want)
			}
			if n := f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1`, f.sync.ID); n != 0 {
				t.Errorf("%d intents left by a run that succeeded", n)
			}
		})
	}
}

// A first run without intents that is stopped while requests are out (taken by the endpoint
// after the run gave up, never recorded) and with batches never sent loses nothing: the next run
// sends every key the ledger does not hold as new, those the endpoint took included, and the
// receiver ends with every record.
func TestFirstRunWithoutIntentsStoppedLosesNothing(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.recv.KeyName = "id"
	f.exec(`INSERT INTO users (id, email, name) SELECT i, 'u' || i || '@example.com', 'U' || i FROM generate_series(11, 40) AS i`)
	stop := f.runWithTwoOut()
	time.Sleep(200 * time.Millisecond) // batches queue up behind them
	if n := f.keyIntents(); n != 0 {
		t.Errorf("%d intents recorded by a first run of an update_or_create sync, want none", n)
	}
	if n := f.unrecordedIntents(); n != 1 {
		t.Errorf("%d intents without keys while the first run is out, want 1 (controlplane.UnrecordedKeys)", n)
	}
	first := stop()
	if first.Status == controlplane.RunSucceeded {
		t.Fatalf("the stopped run succeeded: %+v", first.Counts)
	}
	if n := f.unrecordedIntents(); n != 1 {
		t.Errorf("%d intents without keys after the stopped first run, want 1", n)
	}
	recorded := int64(len(f.ledgerKeys()))
	f.recv.Take("id")
	second := f.run(controlplane.RunSucceeded, RunOptions{})
	if second.Counts.New != 35-recorded || second.Counts.Delivered != 35-recorded {
		t.Errorf("second run counts %+v: want the %d keys the stopped run did not record sent as new", second.Counts, 35-recorded)
	}
	view := f.recv.View()
	var missing []string
	for i := range 40 {
		id := i + 1
		if id > 4 && id < 10 {
			continue
		}
		rec, ok := view[fmt.Sprint(id)]
		if want := fmt.Sprint(map[int]string{1: "Ada", 2: "Bob", 3: "Cy", 4: "Di", 10: "Ed"}[id]); !ok ||
			id > 10 && rec["name"] != "U"+fmt.Sprint(id) || id <= 10 && rec["name"] != want {
			missing = append(missing, fmt.Sprintf("%d: %v", id, rec))
		}
	}
	if len(missing) > 0 {
		t.Errorf("after the next run the receiver lacks the current version of %d records: %v", len(missing), missing)
	}
	if got := len(f.ledgerKeys()); got != 35 {
		t.Errorf("ledger holds %d keys, want 35", got)
	}
}

// keyIntents counts the sync's intents that hold keys.
func (f *fixture) keyIntents() int64 {
	return f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1 AND batch <> $2`, f.sync.ID, controlplane.UnrecordedKeys)
}

// unrecordedIntents counts the sync's intents without keys (controlplane.UnrecordedKeys).
func (f *fixture) unrecordedIntents() int64 {
	return f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1 AND batch = $2`, f.sync.ID, controlplane.UnrecordedKeys)
}

// A sync whose first run recorded no intents and did not finish cannot become a mirror: the keys
// that run sent without recording them are not known, and a mirror would not delete those the
// model lost. Once a run has succeeded it can. Before, a first run killed with requests out, then
// the sync made a mirror and the records deleted from the warehouse, left them at the receiver.
func TestMirrorWaitsForAFirstRunWithoutIntents(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.recv.KeyName = "id"
	stop := f.runWithTwoOut()
	mirror := *f.sync
	mirror.Behavior = controlplane.BehaviorMirror
	if err := f.store.UpdateSync(f.ctx, &mirror); !errors.Is(err, controlplane.ErrUnrecordedKeys) {
		t.Errorf("made a mirror while its first run is out: %v, want ErrUnrecordedKeys", err)
	}
	stop()
	err := f.store.UpdateSync(f.ctx, &mirror)
	if !errors.Is(err, controlplane.ErrUnrecordedKeys) {
		t.Fatalf("made a mirror after its first run stopped short: %v, want ErrUnrecordedKeys", err)
	}
	t.Logf("refused: %v", err)
	f.run(controlplane.RunSucceeded, RunOptions{})
	if n := f.unrecordedIntents(); n != 0 {
		t.Errorf("%d intents without keys after a run succeeded", n)
	}
	if err := f.store.UpdateSync(f.ctx, &mirror); err != nil {
		t.Fatalf("made a mirror after a run succeeded: %v", err)
	}
	f.sync = &mirror
	f.exec(`DELETE FROM users`)
	f.run(controlplane.RunSucceeded, RunOptions{AcceptGuard: true})
	if v := f.recv.View(); len(v) != 0 {
		t.Errorf("the mirror left %d records at the receiver that the warehouse deleted: %v", len(v), v)
	}
}
