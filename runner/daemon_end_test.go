package runner

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/riverqueue/river"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A job whose run's end cannot be written (the control plane went away at that moment) is not
// completed with its run left "running" for ever: it is snoozed, and worked again once the
// control plane is back, which closes the old run's record and records a new run.
func TestJobWhoseRunEndIsNotRecordedIsWorkedAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	// The run's end (its status leaving running) is refused, as a control plane that is down
	// would refuse it.
	if _, err := f.store.Pool().Exec(f.ctx, `
		CREATE FUNCTION backflow.refuse_run_end() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF OLD.status = 'running' AND NEW.status <> 'running' THEN RAISE EXCEPTION 'run end refused by the test'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_run_end BEFORE UPDATE ON backflow.sync_runs
			FOR EACH ROW EXECUTE FUNCTION backflow.refuse_run_end()`); err != nil {
		t.Fatal(err)
	}
	jr := jobRunner{engine: f.engine, log: slog.New(slog.DiscardHandler)}
	err := jr.runJob(f.ctx, f.sync.ID, RunOptions{Trigger: controlplane.TriggerSchedule})
	var snooze *river.JobSnoozeError
	if !errors.As(err, &snooze) {
		t.Fatalf("runJob = %v, want the job snoozed (worked again)", err)
	}
	runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
	if err != nil || len(runs) != 1 || runs[0].Status != controlplane.RunRunning {
		t.Fatalf("runs %+v, %v: want the one run still recorded running", runs, err)
	}
	if _, err := f.store.Pool().Exec(f.ctx, `DROP TRIGGER refuse_run_end ON backflow.sync_runs`); err != nil {
		t.Fatal(err)
	}
	if err := jr.runJob(f.ctx, f.sync.ID, RunOptions{Trigger: controlplane.TriggerSchedule}); err != nil {
		t.Fatalf("runJob again = %v", err)
	}
	runs, err = f.store.ListRuns(f.ctx, f.sync.ID, 10)
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs %+v, %v: want two", runs, err)
	}
	for _, r := range runs {
		if r.Status == controlplane.RunRunning || r.FinishedAt.IsZero() {
			t.Errorf("run %d left %s", r.ID, r.Status)
		}
	}
}
