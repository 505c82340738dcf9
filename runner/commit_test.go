package runner

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// checkCountsMatchLedger fails unless the stored run's delivered count is the ledger's size (the
// ledger was empty before the run) and failed counts the rest of what the run had to send.
func checkCountsMatchLedger(t *testing.T, f *fixture, run *controlplane.Run) {
	t.Helper()
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	n, err := controlplanetest.LedgerCount(f.ctx, f.store, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := stored.Counts
	if c.Delivered != n {
		t.Errorf("run says %d delivered, the ledger holds %d keys (counts %+v)", c.Delivered, n, c)
	}
	pending := c.New + c.Changed + c.Deleted - c.Delivered - c.Rejected
	switch {
	case pending <= 0:
		t.Errorf("nothing left to send (counts %+v): the test proves nothing", c)
	case stored.Status == controlplane.RunCanceled:
		// Cut short: what the stop left is pending, sent by the next run, not failed (nothing
		// refused it), as backflow_records_total counts it.
		if c.Failed != 0 {
			t.Errorf("failed = %d for a canceled run, want 0 (counts %+v)", c.Failed, c)
		}
	case c.Failed != pending:
		t.Errorf("failed = %d, want %d (counts %+v)", c.Failed, pending, c)
	}
	if stored.Counts != run.Counts {
		t.Errorf("stored counts %+v differ from returned %+v", stored.Counts, run.Counts)
	}
}

// TestCommitFailureCountsMatchLedger makes one group's ledger write fail: the run fails, and its
// counters are those of the last commit, so they agree with the ledger.
func TestCommitFailureCountsMatchLedger(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 60) AS i`)
	if _, err := f.store.Pool().Exec(f.ctx, `
		CREATE FUNCTION backflow.refuse_key_40() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.key = '40' THEN RAISE EXCEPTION 'key 40 refused by the test'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_key_40 BEFORE INSERT ON backflow.sync_ledger
			FOR EACH ROW EXECUTE FUNCTION backflow.refuse_key_40();
		-- A first run writes pages: refuse the one that holds key 40.
		CREATE FUNCTION backflow.refuse_page_40() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.first_key <= '40' AND NEW.last_key >= '40' THEN RAISE EXCEPTION 'key 40 refused by the test'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_page_40 BEFORE INSERT ON backflow.sync_ledger_pages
			FOR EACH ROW EXECUTE FUNCTION backflow.refuse_page_40()`); err != nil {
		t.Fatal(err)
	}
	run := f.run(controlplane.RunFailed, RunOptions{})
	if !strings.Contains(run.Error, "refused by the test") {
		t.Errorf("error = %q", run.Error)
	}
	checkCountsMatchLedger(t, f, run)
	for _, k := range f.ledgerKeys() {
		if k == "40" {
			t.Errorf("key 40 is in the ledger")
		}
	}
}

// TestLostLockCommitsNothing loses the sync's lock while delivered records wait for their
// commit: they are not committed (another runner may hold the sync by then) and stay pending.
func TestLostLockCommitsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.engine.lockCheck = 20 * time.Millisecond
	var once sync.Once
	f.engine.beforeCommit = func(ctx context.Context) {
		once.Do(func() {
			var killed bool
			err := f.store.Pool().QueryRow(f.ctx, `SELECT bool_or(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE application_name = 'backflow-runner sync lock' AND datname = current_database()`).Scan(&killed)
			if err != nil || !killed {
				t.Errorf("terminate the lock's session: %v %v", killed, err)
			}
		})
		select {
		case <-ctx.Done(): // the lock's loss was noticed
		case <-time.After(time.Minute): // only ends a hang: nothing else ends this wait
			t.Error("the run hung a minute before its commit: it did not notice its lock was lost")
		}
	}
	run := f.run(controlplane.RunFailed, RunOptions{})
	if !strings.Contains(run.Error, "lock was lost") {
		t.Errorf("error = %q", run.Error)
	}
	if keys := f.ledgerKeys(); len(keys) != 0 {
		t.Errorf("ledger moved after the lock was lost: %v", keys)
	}
	checkCountsMatchLedger(t, f, run)

	// The records stayed pending: the next run sends them all.
	f.engine.beforeCommit = nil
	f.recv.Take("id")
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Errorf("next run sent %v, want all 5", got)
	}
}

// TestCanceledRunMessage: a canceled run says how what it did not deliver gets sent; for a full
// run that takes another full run, since an incremental one skips unchanged records.
func TestCanceledRunMessage(t *testing.T) {
	t.Parallel()
	for _, full := range []bool{false, true} {
		f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
		ctx, cancel := context.WithCancel(f.ctx)
		f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
			cancel()
			w.WriteHeader(503)
			return true
		})
		run, err := f.engine.Run(ctx, f.sync.ID, RunOptions{Full: full})
		cancel()
		if run == nil || run.Status != controlplane.RunCanceled || err == nil {
			t.Fatalf("full=%v: run %+v, err %v; want canceled", full, run, err)
		}
		want := "sent by the next run"
		if full {
			want = "run the sync again with --full"
		}
		if !strings.Contains(err.Error(), want) || run.Error != err.Error() {
			t.Errorf("full=%v: error %q (recorded %q), want it to say %q", full, err, run.Error, want)
		}
		if full && strings.Contains(err.Error(), "sent by the next run") {
			t.Errorf("full run's error %q says the next run sends the rest", err)
		}
		checkCountsMatchLedger(t, f, run)
	}
}
