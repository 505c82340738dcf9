package runner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// sequence is a fixture with two parents (the fixture's sync a, and b) and a child c that runs
// after both, and a daemon that follows them.
type sequence struct {
	*fixture
	a, b, c *controlplane.Sync
	failB   atomic.Bool // while set, b's requests are answered 503, so its runs fail
}

func newSequence(t *testing.T) *sequence {
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	s := &sequence{fixture: f, a: f.sync}
	s.b = f.world.NewSync(controlplane.Sync{Name: "parent b", BatchSize: 10})
	s.c = f.world.NewSync(controlplane.Sync{Name: "child c", BatchSize: 10, After: []int64{s.b.ID, s.a.ID}})
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.Envelope.SyncConfigurationID == s.b.ID && s.failB.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	return s
}

// runParent runs parent y by hand and checks its outcome.
func (s *sequence) runParent(y *controlplane.Sync, want string) *controlplane.Run {
	s.t.Helper()
	run, _ := s.engine.Run(s.ctx, y.ID, RunOptions{Trigger: controlplane.TriggerManual})
	if run == nil || run.Status != want {
		s.t.Fatalf("run of %q = %+v, want %s", y.Name, run, want)
	}
	return run
}

// startDaemon runs a daemon until the test ends or stop is called.
func (s *sequence) startDaemon() (d *Daemon, stop func()) {
	ctx, cancel := context.WithCancel(s.ctx)
	d = &Daemon{Engine: s.engine, Logger: slog.New(slog.DiscardHandler), PollInterval: 20 * time.Millisecond,
		StopTimeout: 5 * time.Second, polled: make(chan struct{}, 1)}
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-errc; err != nil {
			s.t.Errorf("daemon: %v", err)
		}
	}
	s.t.Cleanup(stop)
	return d, stop
}

// passes waits for two whole scheduling passes of d that began after the call: what they would
// have queued is in the job table when this returns.
func passes(t *testing.T, d *Daemon) {
	t.Helper()
	for range 3 { // the first may have begun before the call
		select {
		case <-d.polled:
		case <-time.After(60 * time.Second):
			t.Fatal("the daemon stopped scheduling")
		}
	}
}

// childJobs counts the jobs ever queued for sync id.
func (s *sequence) childJobs(id int64) int {
	s.t.Helper()
	var n int
	if err := s.store.Pool().QueryRow(s.ctx, `SELECT count(*) FROM backflow.river_job
		WHERE kind = 'backflow_sync' AND (args->>'sync_id')::bigint = $1`, id).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func (s *sequence) childRuns() []*controlplane.Run {
	s.t.Helper()
	runs, err := s.store.ListRuns(s.ctx, s.c.ID, 10)
	if err != nil {
		s.t.Fatal(err)
	}
	return runs
}

// waitChildRun waits for the child's n-th run to succeed and checks it names parentRuns.
func (s *sequence) waitChildRun(n int, parentRuns ...int64) {
	s.t.Helper()
	controlplanetest.WaitFor(s.t, "the child to run after its parents", func() bool {
		runs := s.childRuns()
		return len(runs) >= n && runs[0].Status == controlplane.RunSucceeded
	})
	runs := s.childRuns()
	if len(runs) != n {
		s.t.Fatalf("the child ran %d times, want %d", len(runs), n)
	}
	slices.Sort(parentRuns)
	if got := runs[0]; got.Trigger != controlplane.TriggerAfter || !slices.Equal(got.ParentRuns, parentRuns) {
		s.t.Errorf("the child's run: trigger %q after runs %v, want %q after %v", got.Trigger, got.ParentRuns,
			controlplane.TriggerAfter, parentRuns)
	}
}

// TestSequenceWaitsForEveryParent: a child runs only once both parents succeeded since its last
// run; a failed parent holds it until that parent succeeds again, even when the other parent
// succeeded meanwhile; and the daemon finds a child due from the run records alone, after a
// restart.
func TestSequenceWaitsForEveryParent(t *testing.T) {
	t.Parallel()
	s := newSequence(t)
	d, stop := s.startDaemon()

	a1 := s.runParent(s.a, controlplane.RunSucceeded)
	passes(t, d)
	if n := s.childJobs(s.c.ID); n != 0 {
		t.Fatalf("the child was queued %d times with only one parent done", n)
	}
	s.failB.Store(true)
	s.runParent(s.b, controlplane.RunFailed)
	passes(t, d)
	if n := s.childJobs(s.c.ID); n != 0 {
		t.Fatalf("the child was queued %d times although parent b failed", n)
	}
	s.failB.Store(false)
	b2 := s.runParent(s.b, controlplane.RunSucceeded)
	s.waitChildRun(1, a1.ID, b2.ID)
	passes(t, d)
	if runs := s.childRuns(); len(runs) != 1 {
		t.Fatalf("the child ran %d times with no new parent success, want 1", len(runs))
	}

	// a succeeds again, b fails: b holds the child although a succeeded since its last run.
	s.exec(`UPDATE users SET name = name || '!' WHERE id = 1`) // so that b has something to send
	a3 := s.runParent(s.a, controlplane.RunSucceeded)
	s.failB.Store(true)
	s.runParent(s.b, controlplane.RunFailed)
	passes(t, d)
	if runs := s.childRuns(); len(runs) != 1 {
		t.Fatalf("the child ran %d times while parent b's last run failed, want 1", len(runs))
	}

	// b succeeds while no daemon runs; a daemon started afterwards finds the child due.
	stop()
	s.failB.Store(false)
	b5 := s.runParent(s.b, controlplane.RunSucceeded)
	s.startDaemon()
	s.waitChildRun(2, a3.ID, b5.ID)
}

// TestSequenceCycleRefused: the control plane refuses a sync that runs after itself, and parents
// that close a cycle, naming the syncs; a deleted parent leaves its children's parents.
func TestSequenceCycleRefused(t *testing.T) {
	t.Parallel()
	s := newSequence(t)
	s.a.After = []int64{s.a.ID}
	err := s.store.UpdateSync(s.ctx, s.a)
	if !errors.Is(err, controlplane.ErrCycle) || err.Error() != `sync "Active users to webhook" cannot run after itself: remove its own id from schedule.after` {
		t.Errorf("self-reference: %v", err)
	}
	s.b.After = []int64{s.c.ID}
	err = s.store.UpdateSync(s.ctx, s.b)
	if want := `schedule.after forms a cycle: sync "parent b" runs after "child c", "child c" after "parent b", ` +
		`so none of them would ever run: remove one of these parents`; !errors.Is(err, controlplane.ErrCycle) || err.Error() != want {
		t.Errorf("cycle: %v\nwant %s", err, want)
	}
	got, err := s.store.GetSync(s.ctx, s.b.ID)
	if err != nil || len(got.After) != 0 {
		t.Errorf("after the refused change, b runs after %v (%v), want nothing", got.After, err)
	}
	if err := s.store.DeleteSync(s.ctx, s.a.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.store.GetSync(s.ctx, s.c.ID); err != nil || !slices.Equal(got.After, []int64{s.b.ID}) {
		t.Errorf("after deleting parent a, c runs after %v (%v), want only b", got.After, err)
	}
}

// TestStatusPageShowsParents: the status page says a sync with parents runs after them, by name,
// instead of calling it manual.
func TestStatusPageShowsParents(t *testing.T) {
	t.Parallel()
	s := newSequence(t)
	base := serveStatus(t, s.store)
	for _, path := range []string{"/", "/syncs/" + strconv.FormatInt(s.c.ID, 10)} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := "after Active users to webhook, parent b"; !strings.Contains(string(body), want) {
			t.Errorf("GET %s lacks %q:\n%s", path, want, body)
		}
	}
}

// TestSequenceParentReplacedHoldsChild: Terraform replaces a parent (a new primary_key, model or
// destination) by deleting it, creating the new one, then writing the child's `after` with the new
// id. Between the deletion and that write (and for good when the apply fails in between: the new
// parent refused), the child must not run on its other parents alone: a child after a and b, b's
// latest run failed, ran as soon as b was deleted, because a had succeeded since its last run:
// out of the order the sequence exists for. The child is held until its `after` is written again.
func TestSequenceParentReplacedHoldsChild(t *testing.T) {
	t.Parallel()
	s := newSequence(t)
	d, _ := s.startDaemon()
	a1 := s.runParent(s.a, controlplane.RunSucceeded)
	b1 := s.runParent(s.b, controlplane.RunSucceeded)
	s.waitChildRun(1, a1.ID, b1.ID)

	s.exec(`UPDATE users SET name = name || '!' WHERE id = 1`)
	a2 := s.runParent(s.a, controlplane.RunSucceeded)
	s.failB.Store(true)
	s.runParent(s.b, controlplane.RunFailed) // b holds the child
	passes(t, d)

	// The replacement's first step: b is deleted.
	if err := s.store.DeleteSync(s.ctx, s.b.ID); err != nil {
		t.Fatal(err)
	}
	passes(t, d)
	if n := s.childJobs(s.c.ID); n != 1 {
		t.Fatalf("with parent b deleted (its latest run failed), the child was queued %d times, want once: "+
			"it ran after parent a alone (runs %d)", n, len(s.childRuns()))
	}
	base := serveStatus(t, s.store)
	for _, path := range []string{"/", "/syncs/" + strconv.FormatInt(s.c.ID, 10)} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := "held: parent parent b deleted; apply the sync's schedule.after again"; !strings.Contains(string(body), want) {
			t.Errorf("GET %s lacks %q:\n%s", path, want, body)
		}
	}

	// The apply goes on: the new b is created and the child's after written with its id.
	b := s.world.NewSync(controlplane.Sync{Name: "parent b", BatchSize: 10})
	s.c.After = []int64{s.a.ID, b.ID}
	if err := s.store.UpdateSync(s.ctx, s.c); err != nil {
		t.Fatal(err)
	}
	passes(t, d)
	if n := s.childJobs(s.c.ID); n != 1 {
		t.Fatalf("the child was queued %d times before the new parent b ran, want once", n)
	}
	bNew := s.runParent(b, controlplane.RunSucceeded)
	s.waitChildRun(2, a2.ID, bNew.ID)
}

// TestSequenceParentRemovedRunsChild: a parent removed on purpose holds the child only until its
// after is written without it: Terraform deletes the parent, then writes the child (seen with
// terraform 1.x), or the child was written first. Either way the child then runs after its other
// parents.
func TestSequenceParentRemovedRunsChild(t *testing.T) {
	t.Parallel()
	for _, childFirst := range []bool{false, true} {
		s := newSequence(t)
		s.startDaemon()
		s.c.After = []int64{s.a.ID}
		if childFirst {
			if err := s.store.UpdateSync(s.ctx, s.c); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.store.DeleteSync(s.ctx, s.b.ID); err != nil {
			t.Fatal(err)
		}
		if !childFirst {
			if err := s.store.UpdateSync(s.ctx, s.c); err != nil {
				t.Fatal(err)
			}
		}
		a1 := s.runParent(s.a, controlplane.RunSucceeded)
		s.waitChildRun(1, a1.ID)
	}
}
