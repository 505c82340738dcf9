package runner

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// backflow_runs_total has a series for every status a run ends with, at 0 before the first run,
// blocked included: an alert on blocked runs (the guard held a run back) works from the start,
// as one on failed runs does.
func TestRunsTotalHasEveryEndStatus(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.runFinished(controlplane.RunSucceeded)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		if mf.GetName() == "backflow_runs_total" {
			for _, s := range mf.GetMetric() {
				got = append(got, s.GetLabel()[0].GetValue())
			}
		}
	}
	sort.Strings(got)
	want := []string{controlplane.RunBlocked, controlplane.RunCanceled, controlplane.RunFailed, controlplane.RunSucceeded}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backflow_runs_total's statuses (-want +got):\n%s", diff)
	}
}

// The records of batches a stop cut short are not counted as failed: nothing refused them, they
// were sent without an answer or not sent at all, and the next run sends them. A graceful stop
// (SIGTERM) with two requests out counted both batches' records in
// backflow_records_total{outcome="failed"}, which alerts watch. Records the endpoint did not
// take (a 503 on every attempt) still count.
func TestStopIsNotFailedRecords(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	reg := prometheus.NewRegistry()
	f.engine.Metrics = NewMetrics(reg)
	records := func() map[string]float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			if mf.GetName() != "backflow_records_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "outcome" {
						got[l.GetValue()] += m.GetCounter().GetValue()
					}
				}
			}
		}
		return got
	}
	f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 40) AS i`)
	release := make(chan struct{})
	var out atomic.Int32
	f.recv.Gate(func(int) { out.Add(1); <-release }) // taken, answered after the run stopped
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan *controlplane.Run)
	go func() { r, _ := f.engine.Run(ctx, f.sync.ID, RunOptions{}); done <- r }()
	controlplanetest.WaitFor(t, "two requests out", func() bool { return out.Load() == 2 })
	cancel()
	run := <-done
	close(release)
	f.recv.Gate(nil)
	if run.Status != controlplane.RunCanceled {
		t.Fatalf("run %s, want canceled", run.Status)
	}
	if got := records(); got["failed"] != 0 || got["delivered"] != 0 {
		t.Errorf("backflow_records_total after a stop: %v; want nothing failed, nothing delivered", got)
	}
	// `runs` and the status page show the run's record: it says the same (it said failed N, all
	// the new records the stop left pending).
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c := stored.Counts; c.Failed != 0 || c.Delivered != 0 || c.New == 0 || run.Counts != c {
		t.Errorf("the canceled run's record counts %+v (returned %+v); want some new, none delivered, none failed", c, run.Counts)
	}

	f.engine.MaxRetries = -1
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	f.run(controlplane.RunFailed, RunOptions{})
	if got := records(); got["failed"] == 0 {
		t.Errorf("backflow_records_total after a run refused with 503: %v; want records failed", got)
	}
}

// recordsByOutcome is backflow_records_total summed over operations, by outcome, without the
// outcomes at 0.
func recordsByOutcome(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	return counterBy(t, reg, "backflow_records_total", "outcome")
}

// counterBy is counter name's values summed by the value of its label, without those at 0.
func counterBy(t *testing.T, reg *prometheus.Registry, name, label string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if v := m.GetCounter().GetValue(); l.GetName() == label && v != 0 {
					got[l.GetValue()] += v
				}
			}
		}
	}
	return got
}

// A run whose ledger write failed counts as delivered only what the ledger recorded (runs,
// the status page and notifications show those counters): backflow_records_total says the same.
// Records that got a 2xx in a group whose commit failed are resent by the next run: the run
// record counts them failed, and the metric counted them delivered, so that the metric showed
// every record sent as delivered and none failed for a failed run whose record said fewer
// delivered and the rest failed.
func TestRecordsTotalAgreesWithRunAfterCommitFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	reg := prometheus.NewRegistry()
	f.engine.Metrics = NewMetrics(reg)
	f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 60) AS i`)
	if _, err := f.store.Pool().Exec(f.ctx, `
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
	sent, _ := f.recv.Take("id")
	got := recordsByOutcome(t, reg)
	// Every record the endpoint took is counted: delivered if the ledger recorded it, else
	// failed (with those of requests the failure cut short, which the endpoint may not have
	// seen; the records the run never sent are not in the metric, as for any failed run).
	if got["delivered"] != float64(run.Counts.Delivered) || got["rejected"] != float64(run.Counts.Rejected) ||
		got["failed"] < float64(int64(len(sent))-run.Counts.Delivered) {
		t.Errorf("backflow_records_total after a run whose commit failed: %v; the run's counts %+v, %d records taken by the endpoint; "+
			"want delivered %d, rejected %d, failed at least %d", got, run.Counts, len(sent), run.Counts.Delivered, run.Counts.Rejected,
			int64(len(sent))-run.Counts.Delivered)
	}
}

// runsByStatus is backflow_runs_total by status, without the statuses at 0.
func runsByStatus(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	return counterBy(t, reg, "backflow_runs_total", "status")
}

// A run whose sync another runner took over ends as that runner records it: canceled (the
// taking runner closes it, Engine.Run's AbandonRuns), which `runs` and the status page show and
// which causes no notification. backflow_runs_total counted it under the status the losing
// runner had worked out and could not record (failed), so an alert on failed runs fired for a
// run every other place shows as canceled.
//
// The taking runner bumps the fence (AcquireSync), then closes the run (AbandonRuns): the losing
// run may end between the two, as soon as any of its fenced writes (intents, a commit) finds the
// fence moved, without waiting for the answer of the request whose handler took the sync over.
// Its record says running until AbandonRuns: the test reads it once the takeover is done. It read
// it as soon as the run returned, and once found it running (a run whose intents of a later batch
// were recorded after the bump, under load). Both orders are tried: the run taken over while it
// waits for its answer, and the run ended before the taking runner closes it.
func TestRunsTotalCountsATakenOverRunAsItsRecord(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// closedAfterEnd: the taking runner closes the run only once the run returned; the
		// requests after the one that took the sync over are answered 200 once the fence moved,
		// so the run learns of the loss from its next commit.
		closedAfterEnd bool
	}{
		{name: "closed while it waits for an answer"},
		{name: "closed after it ended", closedAfterEnd: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
			reg := prometheus.NewRegistry()
			f.engine.Metrics = NewMetrics(reg)
			if tc.closedAfterEnd {
				// Enough batches that requests are answered, and commits written, after the fence
				// moved.
				f.exec(`INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(11, 40) AS i`)
			}
			var taker atomic.Bool
			bumped, ended, taken := make(chan struct{}), make(chan struct{}), make(chan struct{})
			f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
				if !taker.CompareAndSwap(false, true) {
					if tc.closedAfterEnd {
						<-bumped
						return false // 200
					}
					<-taken // not answered before the takeover
					w.WriteHeader(http.StatusServiceUnavailable)
					return true
				}
				defer close(taken)
				// Another runner takes the sync (its fence moves on) and closes the run left running.
				if _, err := f.store.Pool().Exec(context.Background(),
					`UPDATE backflow.sync_fences SET token = token + 1 WHERE sync_id = $1`, f.sync.ID); err != nil {
					t.Errorf("bump the fence: %v", err)
				}
				close(bumped)
				if tc.closedAfterEnd {
					<-ended
				}
				if _, err := f.store.AbandonRuns(context.Background(), f.sync.ID, "taken over by the test"); err != nil {
					t.Errorf("abandon the run: %v", err)
				}
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			})
			run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
			close(ended)
			if run == nil || !errors.Is(err, controlplane.ErrLockLost) {
				t.Fatalf("run %+v, %v; want it stopped by the lost lock", run, err)
			}
			// The fence moved (the run lost its lock): the taking runner closes the run.
			<-taken
			stored, err := f.store.GetRun(f.ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Status != controlplane.RunCanceled {
				t.Fatalf("the stored run is %s, want canceled (closed by the runner that took the sync)", stored.Status)
			}
			if diff := cmp.Diff(map[string]float64{stored.Status: 1}, runsByStatus(t, reg)); diff != "" {
				t.Errorf("backflow_runs_total for a run taken over (-its record +metric):\n%s", diff)
			}
			// The takeover cut the run short (the 503 was not retried: the fence had moved on;
			// what was answered 200 after it is not recorded, and resent by the next run): nothing
			// failed, in its record (`runs`, the status page), in its own account (its log line,
			// `sync`'s output) and in backflow_records_total alike, whatever it left pending.
			if got := recordsByOutcome(t, reg)["failed"]; run.Counts.Failed != 0 || stored.Counts.Failed != 0 || got != 0 || run.Counts.New == 0 {
				t.Errorf("the taken-over run counts %d failed (counts %+v), its record %d; backflow_records_total counts %v; want none failed",
					run.Counts.Failed, run.Counts, stored.Counts.Failed, got)
			}
		})
	}
}
