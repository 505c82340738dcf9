package runner

import (
	"context"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// TestReplicasScheduleOnce runs two daemons on one control plane: an `every` sync runs once
// (not once per replica), a manual sync never.
func TestReplicasScheduleOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.ScheduleEvery = "1h"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	manual := &controlplane.Sync{Name: "manual", ModelID: f.model.ID, DestinationID: f.dest.ID,
		Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "id", BatchSize: 10}
	if err := f.store.CreateSync(f.ctx, manual); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	errs := make(chan error, 2)
	for range 2 {
		d := &Daemon{Engine: f.engine, PollInterval: 20 * time.Millisecond, StopTimeout: 5 * time.Second}
		go func() { errs <- d.Run(ctx) }()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) > 0 && runs[0].Status == controlplane.RunSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the every sync did not run")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Let both replicas poll many more times.
	time.Sleep(500 * time.Millisecond)
	cancel()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("daemon: %v", err)
		}
	}
	if runs, _ := f.store.ListRuns(f.ctx, f.sync.ID, 10); len(runs) != 1 {
		t.Errorf("the every-1h sync ran %d times across two replicas, want 1", len(runs))
	}
	if runs, _ := f.store.ListRuns(f.ctx, manual.ID, 10); len(runs) != 0 {
		t.Errorf("the manual sync ran %d times", len(runs))
	}
	if got, _ := f.recv.take("id"); len(got) != 5 {
		t.Errorf("delivered %v, want the 5 users once", got)
	}
}
