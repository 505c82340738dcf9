package runner

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

func i64(n int64) *int64     { return &n }
func f64(f float64) *float64 { return &f }

// A mirror model that suddenly returns no rows sends nothing under the default guard: the run is
// recorded blocked with the counts and how to proceed; --accept-guard then sends the deletes.
func TestGuardBlocksMassDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`DELETE FROM users`)
	if dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3); err != nil || dr.Mark || !strings.Contains(dr.Blocked, "delete 5 of the 5 keys") {
		t.Fatalf("the dry run does not say the run would be blocked: %+v, %v", dr, err)
	}
	for range 2 {
		run := f.run(controlplane.RunBlocked, RunOptions{})
		if got, _ := f.recv.Take("id"); len(got) != 0 {
			t.Fatalf("a blocked run sent %v", got)
		}
		if run.Counts.Deleted != 5 || run.Counts.Delivered != 0 || run.Counts.Failed != 0 ||
			!strings.Contains(run.Error, "delete 5 of the 5 keys") || !strings.Contains(run.Error, "--accept-guard") ||
			!strings.Contains(run.Error, "default guard") {
			t.Fatalf("blocked run: %+v %q", run.Counts, run.Error)
		}
	}
	if len(f.ledgerKeys()) != 5 {
		t.Fatalf("a blocked run moved the ledger: %v", f.ledgerKeys())
	}
	f.run(controlplane.RunSucceeded, RunOptions{AcceptGuard: true})
	got, _ := f.recv.Take("id")
	if diff := cmp.Diff([]string{"deleted 1", "deleted 10", "deleted 2", "deleted 3", "deleted 4"}, got); diff != "" {
		t.Errorf("--accept-guard sent (-want +got):\n%s", diff)
	}
}

// --accept-guard accepts what the blocked run showed, not whatever the warehouse holds by the
// time it is answered: a mirror blocked deleting 3 keys, whose model then lost 2 more, is blocked
// again (naming the blocked run and its 3), a canceled run between them notwithstanding;
// accepting that run sends its 5 deletes. Before, the accepted run deleted 5 records when the
// operator had looked at 3.
func TestAcceptGuardAcceptsWhatTheBlockedRunShowed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.sync.Guard = &controlplane.Guard{MaxDeleted: i64(1)}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`DELETE FROM users WHERE id IN (1, 2, 3)`)
	blocked := f.run(controlplane.RunBlocked, RunOptions{})
	if blocked.Counts.Deleted != 3 {
		t.Fatalf("blocked run counts %+v, want 3 deleted", blocked.Counts)
	}
	f.exec(`DELETE FROM users WHERE id IN (4, 10)`) // after the operator looked
	// A run canceled since (a daemon stopped) showed nothing to accept: it is passed over.
	if _, err := f.store.DB().Exec(f.ctx, `INSERT INTO backflow.sync_runs (sync_id, status, trigger, finished_at)
		VALUES ($1, 'canceled', 'schedule', now())`, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	again := f.run(controlplane.RunBlocked, RunOptions{AcceptGuard: true})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("--accept-guard of a run that deletes more than the blocked one showed sent %v", got)
	}
	if want := fmt.Sprintf("delete 5 records, more than the 3 of blocked run %d that --accept-guard accepts", blocked.ID); !strings.Contains(again.Error, want) {
		t.Errorf("blocked again with %q, want it to say %q", again.Error, want)
	}
	f.run(controlplane.RunSucceeded, RunOptions{AcceptGuard: true})
	got, _ := f.recv.Take("id")
	if diff := cmp.Diff([]string{"deleted 1", "deleted 10", "deleted 2", "deleted 3", "deleted 4"}, got); diff != "" {
		t.Errorf("--accept-guard of the second blocked run sent (-want +got):\n%s", diff)
	}
}

// Each bound at its boundary: reaching it passes, exceeding it blocks.
func TestGuardBoundaries(t *testing.T) {
	cases := []struct {
		name     string
		behavior string
		guard    controlplane.Guard
		ok, over string // SQL that reaches the bound, and SQL that then exceeds it
	}{
		{"max_deleted", controlplane.BehaviorMirror, controlplane.Guard{MaxDeleted: i64(2)},
			`DELETE FROM users WHERE id IN (1, 2)`, `DELETE FROM users WHERE id IN (3, 4, 10)`},
		{"max_deleted_percent", controlplane.BehaviorMirror, controlplane.Guard{MaxDeletedPercent: f64(40)},
			`DELETE FROM users WHERE id IN (1, 2)`, `DELETE FROM users WHERE id IN (3, 4)`},
		{"max_changed_percent", controlplane.BehaviorUpdateOrCreate, controlplane.Guard{MaxChangedPercent: f64(20)},
			`UPDATE users SET name = 'changed' WHERE id = 1`, `UPDATE users SET name = 'again' WHERE id IN (1, 2)`},
		{"min_model_rows", controlplane.BehaviorUpdateOrCreate, controlplane.Guard{MinModelRows: i64(4)},
			`DELETE FROM users WHERE id = 10`, `DELETE FROM users WHERE id = 4`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.behavior, nil)
			f.sync.Guard = &tc.guard
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Take("id")
			f.exec(tc.ok)
			f.run(controlplane.RunSucceeded, RunOptions{})
			if got, _ := f.recv.Take("id"); len(got) == 0 && tc.name != "min_model_rows" {
				t.Errorf("the run at the bound sent nothing")
			}
			f.exec(tc.over)
			run := f.run(controlplane.RunBlocked, RunOptions{})
			if got, _ := f.recv.Take("id"); len(got) != 0 {
				t.Errorf("the run over the bound sent %v", got)
			}
			if !strings.Contains(run.Error, tc.name) || strings.Contains(run.Error, "default guard") {
				t.Errorf("blocked run's error: %q", run.Error)
			}
		})
	}
}

// A guard set with no bound turns a mirror sync's default guard off.
func TestGuardTurnedOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.sync.Guard = &controlplane.Guard{}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`DELETE FROM users`)
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Errorf("sent %v, want the 5 deletes", got)
	}
}

// A guarded diff too large for the memory buffer spills to a file and is sent whole, exactly as
// checked: a model that changes between the check and the sending cannot slip past the guard
// (it is read once).
func TestGuardLargeDiffSpills(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	lowerGuardBuffer(t, 200) // a few records
	f.exec(`INSERT INTO users (id, email, name) SELECT i, 'u' || i || '@example.com', 'v1' FROM generate_series(11, 60) AS i`)
	f.run(controlplane.RunSucceeded, RunOptions{}) // a first run: the ledger was empty
	first, _ := f.recv.Take("id")
	f.exec(`UPDATE users SET name = 'v2' WHERE id > 30`)
	f.exec(`DELETE FROM users WHERE id > 50`)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	got, recs := f.recv.Take("id")
	if len(first) != 55 || run.Counts.Changed != 20 || run.Counts.Deleted != 10 || len(got) != 30 {
		t.Fatalf("first run sent %d, second %d (counts %+v)", len(first), len(got), run.Counts)
	}
	for _, r := range recs {
		if r.Op == "changed" && r.Data["name"] != "v2" {
			t.Errorf("record %v sent from the spilled diff is not the current version", r.Data)
		}
	}
	// The whole model is replaced by nothing while a guarded run reads: still one read, checked.
	f.exec(`DELETE FROM users`)
	f.run(controlplane.RunBlocked, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("a blocked run sent %v", got)
	}
}

// A guarded diff that cannot be spilled (TMPDIR full, read-only or gone) fails the run with an
// error that says where the file was to go and what to do, as the sort by key's does, sends
// nothing, and the run after TMPDIR is fixed sends the whole diff. Before, the run's error was
// "spill a guarded run's diff to a temporary file: open /tmp/x/backflow-guard-1: no such file
// or directory", naming neither TMPDIR nor a remedy.
func TestGuardSpillFailureSaysTMPDIR(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	lowerGuardBuffer(t, 200) // a few records
	f.exec(`INSERT INTO users (id, email, name) SELECT i, 'u' || i || '@example.com', 'v1' FROM generate_series(11, 60) AS i`)
	f.run(controlplane.RunSucceeded, RunOptions{}) // a first run: the ledger was empty, no guard
	f.recv.Take("id")
	f.exec(`UPDATE users SET name = 'v2'`)
	missing := t.TempDir() + "/missing"
	t.Setenv("TMPDIR", missing)
	run := f.run(controlplane.RunFailed, RunOptions{})
	for _, want := range []string{missing + " (TMPDIR sets it)", "point TMPDIR at a writable directory"} {
		if !strings.Contains(run.Error, want) {
			t.Errorf("the run's error does not say %q: %s", want, run.Error)
		}
	}
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("a run whose guarded diff could not be spilled sent %v", got)
	}
	t.Setenv("TMPDIR", t.TempDir())
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 55 {
		t.Errorf("the run after TMPDIR was fixed sent %d records, want the 55 changed", len(got))
	}
}

// A skip_existing sync's first run records the model's records as delivered without sending
// them; later runs send only what changed. --mark-delivered does the same for an existing sync.
func TestSkipExistingAndMarkDelivered(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.sync.Initial = controlplane.InitialSkipExisting
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	if dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3); err != nil || !dr.Mark || dr.Blocked != "" {
		t.Fatalf("the dry run does not say the run would mark: %+v, %v", dr, err)
	}
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("the skip_existing first run sent %v", got)
	}
	if run.Trigger != controlplane.TriggerMark || run.Counts.New != 5 || run.Counts.Delivered != 5 {
		t.Errorf("first run: trigger %s, counts %+v", run.Trigger, run.Counts)
	}
	if diff := cmp.Diff([]string{"1", "10", "2", "3", "4"}, f.ledgerKeys()); diff != "" {
		t.Errorf("ledger after marking (-want +got):\n%s", diff)
	}
	f.exec(`UPDATE users SET name = 'Ada L.' WHERE id = 1`)
	f.exec(`DELETE FROM users WHERE id = 2`)
	run = f.run(controlplane.RunSucceeded, RunOptions{})
	got, _ := f.recv.Take("id")
	if diff := cmp.Diff([]string{"changed 1", "deleted 2"}, got); diff != "" || run.Trigger != controlplane.TriggerManual {
		t.Errorf("second run (trigger %s) sent (-want +got):\n%s", run.Trigger, diff)
	}

	// --mark-delivered on an existing sync: the ledger becomes the model, nothing is sent.
	f.exec(`UPDATE users SET name = 'changed' WHERE id IN (3, 4)`)
	f.exec(`DELETE FROM users WHERE id = 10`)
	f.exec(`INSERT INTO users (id, email) VALUES (20, 'new@example.com')`)
	run = f.run(controlplane.RunSucceeded, RunOptions{MarkDelivered: true})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("--mark-delivered sent %v", got)
	}
	if run.Trigger != controlplane.TriggerMark || run.Counts.Changed != 2 || run.Counts.Deleted != 1 || run.Counts.New != 1 {
		t.Errorf("marking run: trigger %s, counts %+v", run.Trigger, run.Counts)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("the run after marking sent %v", got)
	}
}

func TestGuardCanTrip(t *testing.T) {
	def := (&controlplane.Sync{Behavior: controlplane.BehaviorMirror}).EffectiveGuard()
	for _, tc := range []struct {
		g           controlplane.Guard
		ledgerEmpty bool
		want        bool
	}{
		{def, true, false}, // a mirror sync's first run deletes nothing: no buffering
		{def, false, true},
		{controlplane.Guard{}, false, false},
		{controlplane.Guard{MinModelRows: i64(1)}, true, true},
		{controlplane.Guard{MinModelRows: i64(1)}, false, true},
		{controlplane.Guard{MaxChangedPercent: f64(10)}, true, false},
	} {
		if got := guardCanTrip(tc.g, tc.ledgerEmpty); got != tc.want {
			t.Errorf("guardCanTrip(%+v, empty=%v) = %v, want %v", tc.g, tc.ledgerEmpty, got, tc.want)
		}
	}
}

// A skip_existing sync marks only while every run so far marked: once a run that sends has
// started (here a --full run that failed part way), gone keys are deleted at the receiver, never
// dropped from the ledger without a word.
func TestSkipExistingStopsMarkingOnceARunSent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.sync.Initial = controlplane.InitialSkipExisting
	f.sync.Guard = &controlplane.Guard{}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.engine.MaxRetries = 1
	f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.N == 1 {
			return false // the first batch is delivered
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	f.run(controlplane.RunFailed, RunOptions{Full: true})
	sent, _ := f.recv.Take("id")
	f.recv.Handle(nil)
	f.exec(`DELETE FROM users`)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	got, _ := f.recv.Take("id")
	if run.Trigger == controlplane.TriggerMark || len(sent) == 0 || run.Counts.Deleted == 0 {
		t.Fatalf("after a failed full run: trigger %s, first sent %v, then %v (counts %+v)", run.Trigger, sent, got, run.Counts)
	}
	for _, s := range sent {
		want := "deleted " + strings.TrimPrefix(s, "changed ")
		if !slices.Contains(got, want) {
			t.Errorf("%s was delivered and is gone, but %q was not sent (sent %v)", s, want, got)
		}
	}
}

// min_model_rows counts the rows that could be sent: rows with a NULL key do not count.
func TestGuardMinModelRowsCountsValidRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.Guard = &controlplane.Guard{MinModelRows: i64(3)}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.useModel(`select case when id > 2 then null else id end as id, email from users`, "id", controlplane.BehaviorUpdateOrCreate)
	f.sync.Guard = &controlplane.Guard{MinModelRows: i64(3)}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	run := f.run(controlplane.RunBlocked, RunOptions{})
	if !strings.Contains(run.Error, "2 rows with a valid key") {
		t.Errorf("blocked run's error: %q", run.Error)
	}
}

// The command a blocked run's error says to run names the sync as a shell reads it back: a
// sync named with $( ) or backquotes (a name may hold them: names are printable text) was put
// in double quotes, where the shell runs them, so pasting the command ran what the name said.
// Read by sh, the suggested command's argument is the name, and nothing runs.
func TestBlockedRunCommandQuotesTheName(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	marker := t.TempDir() + "/ran"
	for _, name := range []string{
		"users $(touch " + marker + ")", "users `touch " + marker + "`", `it's "quoted" \ $HOME !x`, "Active users to webhook",
	} {
		f.sync.Name = name
		if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
			t.Fatal(err)
		}
		f.exec(`INSERT INTO users (id) VALUES (100) ON CONFLICT DO NOTHING`)
		f.run(controlplane.RunSucceeded, RunOptions{})
		f.exec(`DELETE FROM users`)
		run := f.run(controlplane.RunBlocked, RunOptions{})
		_, rest, _ := strings.Cut(run.Error, "`backflow-runner sync ")
		arg, _, ok := strings.Cut(rest, " --accept-guard`")
		if !ok {
			t.Fatalf("%q: no command in the error %q", name, run.Error)
		}
		out, err := exec.Command("sh", "-c", "printf '%s' "+arg).Output()
		if err != nil || string(out) != name {
			t.Errorf("%q: the command's argument %s reads back as %q (%v)", name, arg, out, err)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%q: the command's argument %s ran a command", name, arg)
		}
		f.exec(`INSERT INTO users (id, email) VALUES (1, 'a@example.com'), (2, 'b@example.com'), (3, 'c@example.com')`)
	}
}

// lowerGuardBuffer has guarded runs spill their diffs past n bytes for the rest of t (not in
// parallel with other tests: the bound is the package's).
func lowerGuardBuffer(t *testing.T, n int) {
	old := maxGuardBuffer
	maxGuardBuffer = n
	t.Cleanup(func() { maxGuardBuffer = old })
}

// A mirror whose key's text changed (its column altered from bigint to numeric(10,2): 1 is now
// 1.00) finds none of its keys delivered and every delivered key gone. The default guard stops
// it, and says what the counts show and what to do instead of --accept-guard, which would delete
// every record at the endpoint and create it again (in no set order: a receiver that reads 1 and
// 1.00 as one value may end without it). A model that lost its rows, or kept some keys, is not
// told so.
func TestGuardSaysWhenNoKeyIsInCommon(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`ALTER TABLE users ALTER COLUMN id TYPE numeric(10,2)`)
	const hint = "none of the model's 5 keys is among the 5 delivered before"
	if dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3); err != nil || !strings.Contains(dr.Blocked, hint) {
		t.Fatalf("the dry run does not say that no key is in common: %+v, %v", dr, err)
	}
	run := f.run(controlplane.RunBlocked, RunOptions{})
	for _, want := range []string{hint, "--mark-delivered --yes", "delete 5 of the 5 keys"} {
		if !strings.Contains(run.Error, want) {
			t.Errorf("blocked run's error %q does not say %q", run.Error, want)
		}
	}
	f.run(controlplane.RunSucceeded, RunOptions{MarkDelivered: true})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("--mark-delivered sent %v", got)
	}
	if diff := cmp.Diff([]string{"1.00", "10.00", "2.00", "3.00", "4.00"}, f.ledgerKeys()); diff != "" {
		t.Errorf("ledger after --mark-delivered (-want +got):\n%s", diff)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("the run after --mark-delivered sent %v", got)
	}

	// Some keys in common (4 of 5 rows replaced), and no rows at all: blocked, without the hint.
	f.exec(`DELETE FROM users WHERE id <> 1`)
	f.exec(`INSERT INTO users (id) VALUES (5), (6), (7), (8)`)
	if run := f.run(controlplane.RunBlocked, RunOptions{}); strings.Contains(run.Error, "none of the model's") {
		t.Errorf("a run that keeps a key says none is in common: %q", run.Error)
	}
	f.exec(`DELETE FROM users`)
	if run := f.run(controlplane.RunBlocked, RunOptions{}); strings.Contains(run.Error, "none of the model's") {
		t.Errorf("a run of an empty model says none of its keys is in common: %q", run.Error)
	}
}

// Two operators answer one blocked run with --accept-guard at once: the second waits for the
// sync's lock while the first sends. The second does not run without a guard: by the time it
// holds the lock the first one's success answered the blocked run, and a warehouse that lost
// more records since must block it. Before, the waiting run found no blocked run to accept and
// sent whatever it found (here 4 deletes past a guard of 1).
func TestAcceptGuardWhileWaitingAcceptsTheBlockedRunSeen(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.sync.Guard = &controlplane.Guard{MaxDeleted: i64(1)}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`DELETE FROM users WHERE id IN (1, 2)`)
	f.run(controlplane.RunBlocked, RunOptions{})

	held, err := f.store.AcquireSync(f.ctx, f.sync.ID, false, nil, 0) // the first operator's run
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	type result struct {
		run *controlplane.Run
		err error
	}
	done := make(chan result, 1)
	go func() {
		run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{AcceptGuard: true, Wait: true, OnWait: func() { close(waiting) }})
		done <- result{run, err}
	}()
	<-waiting
	// The first operator's run succeeds (as a recorded run: the ledger is left as it was), and
	// the warehouse loses two more records before the second run reads it.
	if _, err := f.store.DB().Exec(f.ctx, `INSERT INTO backflow.sync_runs (sync_id, status, trigger, finished_at)
		VALUES ($1, 'succeeded', 'manual', now())`, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	f.exec(`DELETE FROM users WHERE id IN (3, 4)`)
	held.Release()
	r := <-done
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("the waiting --accept-guard run sent %v past the blocked run it was shown (run %+v, %v)", got, r.run, r.err)
	}
	if r.run == nil || r.run.Status != controlplane.RunBlocked || !strings.Contains(r.run.Error, "more than max_deleted = 1") {
		t.Fatalf("the waiting --accept-guard run: %+v, %v; want it blocked by the guard, as the blocked run was answered", r.run, r.err)
	}
}

// The same with the first operator's run a real one: it sends the 2 deletes the blocked run
// showed (the ledger moves), the warehouse then loses 2 more, and the second operator's run,
// waiting since before, reads. The block was accepted once: the second run is checked by the
// guard, and its message says why. Before, it accepted the blocked run again and sent the 2 new
// deletes, which no run had shown, past a guard of 1 (4 deletes for one acceptance of 2):
//
//	the second --accept-guard run sent [deleted 3 deleted 4] (status succeeded, error "")
//
// A first run that fails (the endpoint down) leaves the block to the second, which sends it.
func TestAcceptGuardWaitingBehindAnAcceptThatSentIsGuarded(t *testing.T) {
	t.Parallel()
	for _, firstFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("first fails %v", firstFails), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, controlplane.BehaviorMirror, nil)
			f.sync.Guard = &controlplane.Guard{MaxDeleted: i64(1)}
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			f.engine.MaxRetries = 1
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Take("id")
			f.exec(`DELETE FROM users WHERE id IN (1, 2)`)
			blocked := f.run(controlplane.RunBlocked, RunOptions{})

			release, sending := make(chan struct{}), make(chan struct{})
			var once sync.Once
			f.recv.Gate(func(int) { // the first run holds the lock, sending, until release
				once.Do(func() { close(sending) })
				<-release
			})
			if firstFails {
				f.recv.Answer(http.StatusServiceUnavailable, "down")
			}
			type result struct {
				run *controlplane.Run
				err error
			}
			first, second := make(chan result, 1), make(chan result, 1)
			go func() {
				run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{AcceptGuard: true, Wait: true})
				first <- result{run, err}
			}()
			<-sending
			waiting := make(chan struct{})
			go func() {
				run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{AcceptGuard: true, Wait: true, OnWait: func() { close(waiting) }})
				second <- result{run, err}
			}()
			<-waiting
			if !firstFails {
				f.exec(`DELETE FROM users WHERE id IN (3, 4)`)
			}
			close(release)
			a := <-first
			f.recv.Gate(nil)
			f.recv.Answer(http.StatusOK, "")
			if a.run == nil {
				t.Fatalf("the first run: %v", a.err)
			}
			f.recv.Take("id")
			b := <-second
			got, _ := f.recv.Take("id")
			if b.run == nil {
				t.Fatalf("the second run: %v", b.err)
			}
			if !firstFails {
				if a.run.Status != controlplane.RunSucceeded {
					t.Fatalf("the first run: %+v, %v", a.run, a.err)
				}
				if len(got) != 0 || b.run.Status != controlplane.RunBlocked {
					t.Fatalf("the second --accept-guard run sent %v (status %s, error %q)", got, b.run.Status, b.run.Error)
				}
				for _, want := range []string{"the run would delete 2 records, more than max_deleted = 1",
					fmt.Sprintf("blocked run %d, which this --accept-guard run was to accept, was answered", blocked.ID)} {
					if !strings.Contains(b.run.Error, want) {
						t.Errorf("blocked with %q, want it to say %q", b.run.Error, want)
					}
				}
				return
			}
			// The first run failed: it did not answer the block, which the second sends.
			if a.run.Status != controlplane.RunFailed || b.run.Status != controlplane.RunSucceeded {
				t.Fatalf("first run %s (%v), second %s (%q), want failed then succeeded", a.run.Status, a.err, b.run.Status, b.run.Error)
			}
			if !slices.Equal(got, []string{"deleted 1", "deleted 2"}) {
				t.Errorf("the second --accept-guard run sent %v, want the 2 deletes of the blocked run", got)
			}
		})
	}
}

// A percentage that exceeds its bound by less than the one decimal a message shows is shown with
// the decimals that tell it from the bound: "(10%), more than max_deleted_percent = 10" read as
// a run blocked for nothing.
func TestGuardTripShowsThePercentageAboveItsBound(t *testing.T) {
	for _, c := range []struct {
		g    controlplane.Guard
		c    controlplane.RunCounts
		keys int64
		want string
	}{
		{controlplane.Guard{MaxDeletedPercent: f64(10)}, controlplane.RunCounts{Extracted: 2000, Deleted: 201}, 2001,
			"delete 201 of the 2001 keys delivered before it (10.04%), more than max_deleted_percent = 10"},
		{controlplane.Guard{MaxDeletedPercent: f64(0)}, controlplane.RunCounts{Extracted: 9999, Deleted: 1}, 10000,
			"delete 1 of the 10000 keys delivered before it (0.01%), more than max_deleted_percent = 0"},
		{controlplane.Guard{MaxChangedPercent: f64(50)}, controlplane.RunCounts{Extracted: 3001, Changed: 1501}, 3001,
			"change 1501 of the 3001 keys delivered before it (50.02%), more than max_changed_percent = 50"},
		{controlplane.Guard{MaxDeletedPercent: f64(10)}, controlplane.RunCounts{Extracted: 10, Deleted: 3}, 12,
			"delete 3 of the 12 keys delivered before it (25%), more than max_deleted_percent = 10"},
		{controlplane.Guard{MaxDeletedPercent: f64(33.3)}, controlplane.RunCounts{Extracted: 10, Deleted: 1}, 3,
			"delete 1 of the 3 keys delivered before it (33.33%), more than max_deleted_percent = 33.3"},
	} {
		if got := guardTrip(c.g, c.c, c.keys, false); !strings.Contains(got, c.want) {
			t.Errorf("guardTrip = %q, want it to say %q", got, c.want)
		}
	}
}

// An --accept-guard run that fails (the endpoint down) leaves the blocked run it accepted
// unanswered: the operator's retry accepts that same run, not whatever the warehouse holds by
// then. Before, the failed run was the newest, there was no blocked run to accept, and the retry
// ran with no guard at all: here it deleted 4 records past a guard of 1, where 2 were accepted.
func TestAcceptGuardRetriedAfterAFailedRunAcceptsTheSameBlockedRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.sync.Guard = &controlplane.Guard{MaxDeleted: i64(1)}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.engine.MaxRetries = 1
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`DELETE FROM users WHERE id IN (1, 2)`)
	blocked := f.run(controlplane.RunBlocked, RunOptions{})
	f.recv.Answer(http.StatusServiceUnavailable, "down")
	f.run(controlplane.RunFailed, RunOptions{AcceptGuard: true})
	f.recv.Answer(http.StatusOK, "")
	f.recv.Take("id")
	f.exec(`DELETE FROM users WHERE id IN (3, 4)`)
	again := f.run(controlplane.RunBlocked, RunOptions{AcceptGuard: true})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("the retried --accept-guard run sent %v past the blocked run it accepts", got)
	}
	if want := fmt.Sprintf("delete 4 records, more than the 2 of blocked run %d", blocked.ID); !strings.Contains(again.Error, want) {
		t.Errorf("blocked with %q, want it to say %q", again.Error, want)
	}
	// A run that succeeded since answers the block: --accept-guard then has none to accept.
	f.run(controlplane.RunSucceeded, RunOptions{AcceptGuard: true})
	if got, _ := f.recv.Take("id"); len(got) != 4 {
		t.Errorf("the accepting run sent %v, want the 4 deletes", got)
	}
}

// --accept-guard refuses what goes past the blocked run it accepts only where the guard would
// refuse it too: a record changed since a run blocked by its deletes (a live table) is what a
// run without --accept-guard sends under a guard without max_changed_percent. Before, every
// answer that found one more change than the blocked run was blocked again, naming a new blocked
// run to accept, which a table that changes every minute never lets succeed:
//
//	blocked "...: the run would change 1 records, more than the 0 of blocked run 2 that --accept-guard accepts ..."
//
// Changes past the blocked run's that max_changed_percent does refuse still block the answer.
func TestAcceptGuardRefusesOnlyWhatTheGuardRefuses(t *testing.T) {
	t.Parallel()
	for _, bounded := range []bool{false, true} {
		t.Run(fmt.Sprintf("max_changed_percent %v", bounded), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, controlplane.BehaviorMirror, nil)
			f.sync.Guard = &controlplane.Guard{MaxDeleted: i64(1)}
			if bounded {
				f.sync.Guard.MaxChangedPercent = f64(20)
			}
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Take("id")
			f.exec(`DELETE FROM users WHERE id IN (1, 2)`)
			blocked := f.run(controlplane.RunBlocked, RunOptions{})
			f.exec(`UPDATE users SET name = name || 'x' WHERE id IN (3, 10)`) // 2 of the 5 delivered: 40%
			if !bounded {
				f.run(controlplane.RunSucceeded, RunOptions{AcceptGuard: true})
				if got, _ := f.recv.Take("id"); !slices.Equal(got, []string{"changed 10", "changed 3", "deleted 1", "deleted 2"}) {
					t.Errorf("the accepting run sent %v, want the 2 deletes and the 2 changes", got)
				}
				return
			}
			again := f.run(controlplane.RunBlocked, RunOptions{AcceptGuard: true})
			if got, _ := f.recv.Take("id"); len(got) != 0 {
				t.Fatalf("the accepting run sent %v past max_changed_percent", got)
			}
			if want := fmt.Sprintf("change 2 records, more than the 0 of blocked run %d", blocked.ID); !strings.Contains(again.Error, want) {
				t.Errorf("blocked with %q, want it to say %q", again.Error, want)
			}
		})
	}
}

// --accept-guard accepts a blocked run, and nothing else: run again (from shell history) after
// the block was answered, or after a later run succeeded, it has nothing to accept, says so, and
// is guarded like any run. Before, it ran with no guard at all: a model that had lost every row
// had its deletes sent unchecked. The run it blocks is then the one the next --accept-guard
// accepts.
func TestAcceptGuardWithNothingBlockedIsGuarded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil) // the default guard: max_deleted_percent = 50
	nothing := 0
	accept := RunOptions{AcceptGuard: true, OnNothingToAccept: func() { nothing++ }}
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`DELETE FROM users WHERE id IN (1, 2, 3)`)
	f.run(controlplane.RunBlocked, RunOptions{})
	f.run(controlplane.RunSucceeded, accept) // accepted: 3 deletes
	if got, _ := f.recv.Take("id"); len(got) != 3 || nothing != 0 {
		t.Fatalf("accepting the blocked run sent %v (nothing to accept said %d times), want 3 deletes", got, nothing)
	}
	// The blocked run was answered: the old command, run again once the model lost most rows.
	f.exec(`DELETE FROM users`)
	again := f.run(controlplane.RunBlocked, accept)
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("--accept-guard with no blocked run to accept sent %v past the guard", got)
	}
	if nothing != 1 || !strings.Contains(again.Error, "delete 2 of the 2 keys") || !strings.Contains(again.Error, "--accept-guard") {
		t.Fatalf("blocked with %q (nothing to accept said %d times), want the guard's own message, said once", again.Error, nothing)
	}
	// A blocked run that a later run succeeded after is not accepted either.
	f.exec(`INSERT INTO users VALUES (4, 'di@example.com', 'Di', false, '2021-03-03 03:03:03'),
		(10, 'ed@example.com', 'Ed', true, '2022-04-04 04:04:04')`)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.exec(`DELETE FROM users`)
	f.run(controlplane.RunBlocked, accept)
	if got, _ := f.recv.Take("id"); len(got) != 0 || nothing != 2 {
		t.Fatalf("--accept-guard after a run succeeded sent %v (nothing to accept said %d times)", got, nothing)
	}
	// The next --accept-guard accepts exactly that blocked run.
	f.run(controlplane.RunSucceeded, accept)
	got, _ := f.recv.Take("id")
	if diff := cmp.Diff([]string{"deleted 10", "deleted 4"}, got); diff != "" || nothing != 2 {
		t.Errorf("--accept-guard of the blocked run sent (-want +got):\n%s(nothing to accept said %d times)", diff, nothing)
	}
}

// --accept-guard started with nothing blocked accepts nothing, also a run blocked while it waits
// for the sync's lock: the operator was shown no such run. Before, once it held the lock it
// looked again, found the run blocked meanwhile (here a scheduled run that would delete every
// record) and sent its deletes.
func TestAcceptGuardWithNothingBlockedDoesNotAcceptARunBlockedWhileItWaits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil) // the default guard: max_deleted_percent = 50
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")

	held, err := f.store.AcquireSync(f.ctx, f.sync.ID, false, nil, 0) // a scheduled run's
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	type result struct {
		run *controlplane.Run
		err error
	}
	done := make(chan result, 1)
	nothing := 0
	go func() {
		run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{AcceptGuard: true, Wait: true,
			OnWait: func() { close(waiting) }, OnNothingToAccept: func() { nothing++ }})
		done <- result{run, err}
	}()
	<-waiting
	// The model loses every row, and the scheduled run is blocked on it.
	f.exec(`DELETE FROM users`)
	if _, err := f.store.DB().Exec(f.ctx, `INSERT INTO backflow.sync_runs (sync_id, status, trigger, finished_at, deleted)
		VALUES ($1, 'blocked', 'schedule', now(), 5)`, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	held.Release()
	r := <-done
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("the --accept-guard run started with nothing blocked sent %v (run %+v, %v)", got, r.run, r.err)
	}
	if r.run == nil || r.run.Status != controlplane.RunBlocked || !strings.Contains(r.run.Error, "delete 5 of the 5 keys") || nothing != 1 {
		t.Fatalf("the --accept-guard run started with nothing blocked: %+v, %v (nothing to accept said %d times); "+
			"want it blocked by the guard, saying so once", r.run, r.err, nothing)
	}
}

// --accept-guard refuses a model that lost rows since the blocked run it accepts, below
// min_model_rows, whatever the run deletes: the rows are counted, not the deletes. Before, a
// model's lost rows were checked only through more deletes than the blocked run's, so a --full
// --accept-guard run (which deletes nothing) accepting a run blocked by its deletes, or a run
// whose model lost only rows the blocked run was to create, sent with a model under
// min_model_rows, a block no run had shown.
func TestAcceptGuardRefusesAModelThatLostRowsSince(t *testing.T) {
	t.Parallel()
	for _, full := range []bool{true, false} {
		t.Run(fmt.Sprintf("full %v", full), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, controlplane.BehaviorMirror, nil)
			f.sync.Guard = &controlplane.Guard{MaxDeleted: i64(1), MinModelRows: i64(4)}
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Take("id")
			// 2 deletes of the 5 delivered, 2 rows new: 5 rows, blocked by max_deleted.
			f.exec(`DELETE FROM users WHERE id IN (1, 2)`)
			f.exec(`INSERT INTO users VALUES (20, 'fa@example.com', 'Fa', true, '2023-01-01 00:00:00'),
				(21, 'gu@example.com', 'Gu', true, '2023-01-01 00:00:00')`)
			blocked := f.run(controlplane.RunBlocked, RunOptions{})
			if full {
				f.exec(`DELETE FROM users WHERE id IN (4, 10, 20, 21)`) // 1 row
			} else {
				f.exec(`DELETE FROM users WHERE id IN (20, 21)`) // 3 rows, the same 2 deletes
			}
			again := f.run(controlplane.RunBlocked, RunOptions{Full: full, AcceptGuard: true})
			if got, _ := f.recv.Take("id"); len(got) != 0 {
				t.Fatalf("the accepting run sent %v with the model under min_model_rows", got)
			}
			if want := fmt.Sprintf("than the 5 of blocked run %d", blocked.ID); !strings.Contains(again.Error, want) ||
				!strings.Contains(again.Error, "min_model_rows = 4") {
				t.Errorf("blocked with %q, want it to say %q and min_model_rows", again.Error, want)
			}
			// That block, shown, is accepted.
			f.run(controlplane.RunSucceeded, RunOptions{Full: full, AcceptGuard: true})
			if got, _ := f.recv.Take("id"); len(got) == 0 {
				t.Errorf("accepting the block shown sent nothing")
			}
		})
	}
}

// --accept-guard without --full of a --full run's block is refused before anything runs, naming
// the command that accepts it. Before, that run diffed, sent nothing the block held back,
// succeeded, and so answered the block: the `--full --accept-guard` its message named then
// found nothing to accept and was blocked again. The block stays, and the command named accepts
// it at once. A --full --accept-guard of a run's block is not refused (it sends every record).
func TestAcceptGuardOfTheOtherKindIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, nil)
	f.sync.Guard = &controlplane.Guard{MinModelRows: i64(10)}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	refused := func(opts RunOptions, want string) {
		t.Helper()
		run, err := f.engine.Run(f.ctx, f.sync.ID, opts)
		if run != nil || err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%+v: run %+v, error %v; want no run and an error saying %q", opts, run, err, want)
		}
		if got, _ := f.recv.Take("id"); len(got) != 0 {
			t.Fatalf("%+v sent %v", opts, got)
		}
	}
	f.run(controlplane.RunBlocked, RunOptions{}) // 5 rows, under min_model_rows
	f.run(controlplane.RunSucceeded, RunOptions{Full: true, AcceptGuard: true})
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Fatalf("--full --accept-guard sent %v, want the 5 records", got)
	}
	f.run(controlplane.RunBlocked, RunOptions{Full: true})
	refused(RunOptions{AcceptGuard: true}, fmt.Sprintf("`backflow-runner sync %q --full --accept-guard`", f.sync.Name))
	f.run(controlplane.RunSucceeded, RunOptions{Full: true, AcceptGuard: true})
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Errorf("--full --accept-guard sent %v, want the 5 records", got)
	}
	// A marking run takes the records as delivered whatever was blocked.
	f.run(controlplane.RunBlocked, RunOptions{Full: true})
	f.run(controlplane.RunSucceeded, RunOptions{AcceptGuard: true, MarkDelivered: true})
}

// acceptedTrip checks a run that deletes more than the blocked run by min_model_rows too, also
// when its model has more rows than the blocked run read: a blocked incremental read (3 rows)
// accepted by a full read that finds 5 rows of the 1000 delivered, under min_model_rows = 100.
func TestAcceptedTripMoreDeletesUnderMinModelRows(t *testing.T) {
	b := &controlplane.Run{ID: 7, Counts: controlplane.RunCounts{Extracted: 3, Changed: 3}}
	c := controlplane.RunCounts{Extracted: 5, Deleted: 995}
	g := controlplane.Guard{MinModelRows: i64(100), MaxChangedPercent: f64(10)}
	if why := acceptedTrip(b, c, g, 1000, false); !strings.Contains(why, "delete 995 records, more than the 0 of blocked run 7") {
		t.Errorf("acceptedTrip = %q, want it to refuse the 995 deletes", why)
	}
	// Within min_model_rows, the deletes are what the guard allows on its own.
	c.Extracted = 100
	if why := acceptedTrip(b, c, g, 1000, false); why != "" {
		t.Errorf("acceptedTrip = %q, want none", why)
	}
}
