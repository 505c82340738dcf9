package runner

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// expireFullRead makes a cursor sync's last full read older than its full_read_every, so that
// its next run reads the whole model.
func expireFullRead(t *testing.T, store *controlplane.Store, syncID int64) {
	t.Helper()
	if _, err := store.Pool().Exec(context.Background(), `UPDATE backflow.sync_cursors SET full_read_at = full_read_at - interval '25 hours'
		WHERE sync_id = $1`, syncID); err != nil {
		t.Fatal(err)
	}
}

// oneBatchCursorFixture is cursorFixture's sync with batches of 10: each run of its few records
// sends one request.
func oneBatchCursorFixture(t *testing.T, behavior string) *fixture {
	t.Helper()
	f := cursorFixture(t, behavior)
	f.sync.BatchSize = 10
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	return f
}

// cursorFixture is newFixture's sync with cursor = "updated_at" (and the model's columns
// stored, as the provider stores them).
func cursorFixture(t *testing.T, behavior string) *fixture {
	t.Helper()
	return cursorFixtureOfType(t, behavior, "")
}

// cursorFixtureOfType is cursorFixture with the cursor column users.updated_at of Postgres type
// typ ("": timestamp, as usersTable makes it).
func cursorFixtureOfType(t *testing.T, behavior, typ string) *fixture {
	t.Helper()
	f := newFixture(t, behavior, nil)
	if typ != "" {
		f.exec(`ALTER TABLE users ALTER COLUMN updated_at TYPE ` + typ)
	}
	f.describeModel()
	f.useCursor("updated_at")
	return f
}

// describeModel stores the model's columns as the warehouse describes them (a cursor's type is
// read from them).
func (f *fixture) describeModel() {
	f.t.Helper()
	cols, err := warehouse.Describe(f.ctx, &controlplane.PostgresConfig{URL: f.whURL}, f.model.Query())
	if err != nil {
		f.t.Fatal(err)
	}
	f.model.Columns = cols
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		f.t.Fatal(err)
	}
}

// useCursor makes column the sync's cursor.
func (f *fixture) useCursor(column string) {
	f.t.Helper()
	f.sync.Cursor = column
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		f.t.Fatal(err)
	}
}

// receiverState applies what the receiver accepted, in order, to state (key → record).
func receiverState(state map[string]map[string]any, got []webhooktest.Delivery) {
	for _, d := range got {
		k := jsonText(d.Data["id"])
		if d.Op == webhook.OpDeleted {
			delete(state, k)
		} else {
			state[k] = d.Data
		}
	}
}

// TestCursorRuns: late-arriving rows inside and outside the lookback, a cursor that goes
// backwards, NULL cursors, and the receiver's state equal to a full read's in the end.
func TestCursorRuns(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	state := map[string]map[string]any{}
	step := func(name string, wantMode, wantFrom string, want string, wantExtracted int64) {
		t.Helper()
		run := f.run(controlplane.RunSucceeded, RunOptions{})
		got, recs := f.recv.Take("id")
		receiverState(state, recs)
		if diff := cmp.Diff(lines(want), got); diff != "" {
			t.Errorf("%s: sent (-want +got):\n%s", name, diff)
		}
		if run.ReadMode != wantMode || run.ReadFrom != wantFrom || run.Counts.Extracted != wantExtracted {
			t.Errorf("%s: read %q from %q with %d extracted; want %q from %q with %d", name,
				run.ReadMode, run.ReadFrom, run.Counts.Extracted, wantMode, wantFrom, wantExtracted)
		}
		stored, err := f.store.GetRun(f.ctx, run.ID)
		if err != nil || stored.ReadMode != run.ReadMode || stored.ReadFrom != run.ReadFrom {
			t.Errorf("%s: stored run read %q from %q (%v)", name, stored.ReadMode, stored.ReadFrom, err)
		}
	}
	step("first run", controlplane.ReadFull, "", "changed 1\nchanged 10\nchanged 2\nchanged 3\nchanged 4", 5)
	// The mark is 2022-04-04 04:04:04: the read starts 5 minutes (the default lookback) before.
	from := "2022-04-04 03:59:04"
	step("nothing changed", controlplane.ReadIncremental, from, "", 1)

	f.exec(`INSERT INTO users VALUES (5, 'fay@example.com', 'Fay', true, '2023-01-01 00:00:00')`) // new, after the mark
	f.exec(`UPDATE users SET name = 'Bobby', updated_at = '2023-01-02 00:00:00' WHERE id = 2`)    // changed, cursor moved
	f.exec(`UPDATE users SET name = 'Cyrus', updated_at = '2022-04-04 04:01:00' WHERE id = 3`)    // arrived late, within the lookback
	f.exec(`UPDATE users SET name = 'Diane', updated_at = '2022-04-04 03:00:00' WHERE id = 4`)    // arrived late, outside the lookback
	f.exec(`UPDATE users SET name = 'Eddie', updated_at = '2018-01-01 00:00:00' WHERE id = 10`)   // its cursor went backwards
	f.exec(`INSERT INTO users VALUES (6, 'gus@example.com', 'Gus', false, NULL)`)                 // NULL cursor
	step("incremental", controlplane.ReadIncremental, from, "changed 2\nchanged 3\nchanged 5\nchanged 6", 4)
	// The mark moved to 2023-01-02; the NULL cursor is read by every run, and sent only once.
	step("nothing more", controlplane.ReadIncremental, "2023-01-01 23:55:00", "", 2)

	// A full read (full_read_every passed) finds what the cursor missed.
	expireFullRead(t, f.store, f.sync.ID)
	step("full read", controlplane.ReadFull, "", "changed 10\nchanged 4", 7)

	// The receiver holds what a full resend of the model holds.
	f.run(controlplane.RunSucceeded, RunOptions{Full: true})
	_, all := f.recv.Take("id")
	full := map[string]map[string]any{}
	receiverState(full, all)
	if diff := cmp.Diff(full, state); diff != "" {
		t.Errorf("the receiver's state after cursor runs differs from a full read's (-full +cursor):\n%s", diff)
	}
}

// TestCursorFailedRunKeepsMark: a failed run leaves the mark where it was, so the next run
// reads from the same value and sends what the failed one did not deliver.
func TestCursorFailedRunKeepsMark(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.engine.MaxRetries = 1
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	before, err := f.store.GetCursorState(f.ctx, f.sync.ID)
	if err != nil || before == nil || before.Mark != "2022-04-04 04:04:04" {
		t.Fatalf("cursor after the first run: %+v, %v", before, err)
	}
	f.exec(`UPDATE users SET name = 'Bobby', updated_at = '2023-01-02 00:00:00' WHERE id = 2`)
	f.recv.Handle(func(*webhooktest.Request, http.ResponseWriter) bool { panic(http.ErrAbortHandler) })
	f.run(controlplane.RunFailed, RunOptions{})
	after, err := f.store.GetCursorState(f.ctx, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	// It says where the failed run read from (the next one reads from no later).
	if after != nil && !cmp.Equal(after.ReadFrom, []string{"2022-04-04 03:59:04"}) {
		t.Errorf("the cursor after a failed run reads from %q; want [2022-04-04 03:59:04]", after.ReadFrom)
	} else if after != nil {
		after.ReadFrom = nil
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Fatalf("a failed run moved the cursor (-before +after):\n%s", diff)
	}
	f.recv.Handle(nil)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 2"}) || run.ReadFrom != "2022-04-04 03:59:04" {
		t.Fatalf("the run after the failed one read from %q and sent %v", run.ReadFrom, got)
	}
	if st, _ := f.store.GetCursorState(f.ctx, f.sync.ID); st.Mark != "2023-01-02 00:00:00" {
		t.Errorf("mark after the successful run = %q", st.Mark)
	}
}

// TestCursorReadsInFull: a --full resend, a changed definition and an emptied ledger each read
// the whole model.
func TestCursorReadsInFull(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorMirror)
	var logged lockedbuf.Buffer
	f.engine.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	f.run(controlplane.RunSucceeded, RunOptions{})
	if run := f.run(controlplane.RunSucceeded, RunOptions{Full: true}); run.ReadMode != controlplane.ReadFull {
		t.Errorf("--full read %q", run.ReadMode)
	}
	// The run's log says why it read every record, and where an incremental one starts.
	for _, want := range []string{`msg="reading the whole model" sync=`, `why="the sync has no cursor mark yet"`,
		`why="a full or marking run reads every record"`} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("the runs' log lacks %s:\n%s", want, logged.String())
		}
	}
	f.exec(`DELETE FROM users WHERE id = 3`)
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadIncremental || run.Counts.Deleted != 0 {
		t.Errorf("incremental run: read %q, counts %+v (no deletes)", run.ReadMode, run.Counts)
	}
	if !strings.Contains(logged.String(), `msg="reading the model incrementally"`) {
		t.Errorf("the incremental run's log lacks its read:\n%s", logged.String())
	}
	f.sync.Mappings = []controlplane.Mapping{{From: "id", To: "id"}, {From: "name", To: "name"}}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if run.ReadMode != controlplane.ReadFull || run.Counts.Deleted != 1 || run.Counts.Changed != 4 {
		t.Errorf("after a mappings change: read %q, counts %+v; want full, 4 changed, 1 deleted", run.ReadMode, run.Counts)
	}
}

func TestCursorValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind      warehouse.CursorKind
		json      string
		text      string
		ok        bool
		lessThan  string // a value (cursorText form) it sorts before
		notBefore string // one it does not
	}{
		{warehouse.CursorTime, `"2019-12-08 14:19:52"`, "2019-12-08 14:19:52", true, "2019-12-08 14:19:52.5", "2019-12-08 14:19:51.999"},
		{warehouse.CursorTime, `"2019-12-08T14:19:52.5Z"`, "2019-12-08 14:19:52.5", true, "2019-12-08 14:19:53", "2019-12-08 14:19:52"},
		{warehouse.CursorTime, `"infinity"`, "", false, "", ""},
		{warehouse.CursorTime, `null`, "", false, "", ""},
		{warehouse.CursorDate, `"2019-12-08"`, "2019-12-08", true, "2019-12-09", "2019-12-07"},
		// MySQL's zero dates and days that do not exist are no instant: not a mark.
		{warehouse.CursorTime, `"0000-00-00 00:00:00"`, "", false, "", ""},
		{warehouse.CursorTime, `"2020-05-00 00:00:00.5"`, "", false, "", ""},
		{warehouse.CursorTime, `"2020-02-30 00:00:00"`, "", false, "", ""},
		{warehouse.CursorTime, `"2020-02-29 23:59:59.123456789"`, "2020-02-29 23:59:59.123456789", true, "2020-03-01 00:00:00", "2020-02-29 23:59:59"},
		{warehouse.CursorTime, `"0000-01-01T00:00:00Z"`, "0000-01-01 00:00:00", true, "0001-01-01 00:00:00", ""},
		// Years 1 to 999 as every driver writes them (four digits); years outside 0 to 9999 as
		// appendYear writes them (Postgres BC, DuckDB after 9999), infinity: not a mark.
		{warehouse.CursorTime, `"0099-01-01 00:00:00.5"`, "0099-01-01 00:00:00.5", true, "0100-01-01 00:00:00", "0098-12-31 23:59:59"},
		{warehouse.CursorDate, `"0001-01-01"`, "0001-01-01", true, "0001-01-02", "0000-12-31"},
		{warehouse.CursorTime, `"+010000-01-01T00:00:00Z"`, "", false, "", ""},
		{warehouse.CursorTime, `"-000044-03-15 00:00:00"`, "", false, "", ""},
		{warehouse.CursorDate, `"+010000-01-01"`, "", false, "", ""},
		{warehouse.CursorDate, `"-infinity"`, "", false, "", ""},
		{warehouse.CursorDate, `"0000-00-00"`, "", false, "", ""},
		{warehouse.CursorDate, `"2020-05-00"`, "", false, "", ""},
		{warehouse.CursorDate, `"2019-02-29"`, "", false, "", ""},
		{warehouse.CursorDate, `"2020-13-01"`, "", false, "", ""},
		{warehouse.CursorInteger, `-12`, "-12", true, "-2", "-100"},
		{warehouse.CursorInteger, `9`, "9", true, "10", "-10"},
		{warehouse.CursorInteger, `true`, "", false, "", ""},
		{warehouse.CursorInteger, `"12"`, "", false, "", ""},
		{warehouse.CursorInteger, `1.5`, "", false, "", ""},
		{warehouse.CursorInteger, `-`, "", false, "", ""},
		{warehouse.CursorText, `"a\"b"`, `a"b`, true, "a#", "a!"},
		// NUL cannot be stored in the mark: the text before it, which sorts before the value.
		{warehouse.CursorText, `"a\u0000z"`, "a", true, "a\x00", ""},
		// A long value: its first 1024 bytes, at a character's start (é is 2 bytes).
		{warehouse.CursorText, `"` + strings.Repeat("é", 600) + `"`, strings.Repeat("é", 512), true, strings.Repeat("é", 513), ""},
	} {
		got, ok := cursorText(tc.kind, []byte(tc.json))
		if ok && !validMark(tc.kind, got) { // what the tracker asks of a new highest value
			got, ok = nil, false
		}
		if ok != tc.ok || string(got) != tc.text {
			t.Errorf("cursorText and validMark(%s, %s) = %q, %v; want %q, %v", tc.kind, tc.json, got, ok, tc.text, tc.ok)
		}
		if !ok {
			continue
		}
		if !cursorLess(tc.kind, got, []byte(tc.lessThan)) || cursorLess(tc.kind, got, []byte(tc.notBefore)) {
			t.Errorf("%s %q: want before %q and not before %q", tc.kind, got, tc.lessThan, tc.notBefore)
		}
	}
	for _, tc := range []struct {
		kind     warehouse.CursorKind
		mark     string
		lookback time.Duration
		want     string
	}{
		{warehouse.CursorTime, "2022-04-04 04:04:04.25", 5 * time.Minute, "2022-04-04 03:59:04.25"},
		{warehouse.CursorTime, "2022-04-04 00:01:00", time.Hour, "2022-04-03 23:01:00"},
		{warehouse.CursorDate, "2022-04-04", time.Minute, "2022-04-03"},
		{warehouse.CursorDate, "2022-04-04", 0, "2022-04-04"},
		{warehouse.CursorInteger, "40", time.Hour, "40"},
	} {
		if got, err := cursorBound(tc.kind, tc.mark, tc.lookback); err != nil || got != tc.want {
			t.Errorf("cursorBound(%s, %q, %s) = %q, %v; want %q", tc.kind, tc.mark, tc.lookback, got, err, tc.want)
		}
	}
}

// TestCursorPreviewAndGuards: a dry run reads as the next run would (incrementally: counts over
// the rows read, no deletes), and a guard's percentages and min_model_rows apply as guard.go says.
func TestCursorPreviewAndGuards(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorMirror)
	minRows, maxChanged := int64(5), 30.0
	f.sync.Guard = &controlplane.Guard{MinModelRows: &minRows, MaxChangedPercent: &maxChanged}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`UPDATE users SET name = 'Bobby', updated_at = '2023-01-02 00:00:00' WHERE id = 2`)
	f.exec(`DELETE FROM users WHERE id = 3`)
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := controlplane.RunCounts{Extracted: 2, Changed: 1} // rows 10 (within the lookback) and 2
	if dr.ReadMode != controlplane.ReadIncremental || dr.ReadFrom != "2022-04-04 03:59:04" || dr.Counts != want || dr.Blocked != "" {
		t.Errorf("dry run: read %q from %q, counts %+v, blocked %q; want incremental from 2022-04-04 03:59:04, %+v, not blocked "+
			"(min_model_rows applies to full reads)", dr.ReadMode, dr.ReadFrom, dr.Counts, dr.Blocked, want)
	}
	// 2 changed of the 5 keys delivered: 40%, over max_changed_percent.
	f.exec(`UPDATE users SET name = 'Ada L', updated_at = '2023-01-02 00:00:00' WHERE id = 1`)
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if run == nil || run.Status != controlplane.RunBlocked || !strings.Contains(err.Error(), "2 of the 5 keys") {
		t.Fatalf("incremental run over max_changed_percent: %+v, %v; want blocked, measured against 5 keys", run, err)
	}
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("a blocked run sent %v", got)
	}
	if st, _ := f.store.GetCursorState(f.ctx, f.sync.ID); st.Mark != "2022-04-04 04:04:04" {
		t.Errorf("a blocked run moved the mark to %q", st.Mark)
	}
	f.run(controlplane.RunSucceeded, RunOptions{AcceptGuard: true})
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 1", "changed 2"}) {
		t.Errorf("accepted run sent %v", got)
	}
}

// TestCursorDryRunCountsIntents: a dry run of a cursor sync's incremental read counts the keys
// of outstanding intents as the next run, which adopts them first, sends them: a key delivered
// before whose row did not change is resent as changed, a key that was new as new. (The dry run
// looks keys up without adopting the intents: a lookup that ignored them counted the first key
// as unchanged.) A mirror sync's incremental read deletes nothing, intents or not.
func TestCursorDryRunCountsIntents(t *testing.T) {
	t.Parallel()
	for _, behavior := range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorMirror} {
		t.Run(behavior, func(t *testing.T) {
			t.Parallel()
			f := oneBatchCursorFixture(t, behavior)
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Take("id")
			f.exec(`UPDATE users SET name = 'Eddie' WHERE id = 10`)                                       // changed, within the lookback
			f.exec(`INSERT INTO users VALUES (5, 'fay@example.com', 'Fay', true, '2023-01-01 00:00:00')`) // new, after the mark
			// An incremental run whose one request goes unanswered (one attempt) leaves an intent
			// for 10 (changed) and 5 (new); failed, it does not move the mark, so the next run
			// reads the same rows again, incrementally.
			unanswered(f)
			if run := f.run(controlplane.RunFailed, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
				t.Fatalf("the unanswered run read %q", run.ReadMode)
			}
			f.recv.Handle(nil)
			for key, wasAbsent := range map[string]bool{"10": false, "5": true} {
				k, err := f.store.LookupLedgerKey(f.ctx, f.sync.ID, key)
				if err != nil || k.Where != "intent" || k.WasAbsent != wasAbsent {
					t.Fatalf("key %s after the unanswered run: %+v, %v; want an intent's, absent before: %v", key, k, err, wasAbsent)
				}
			}
			// Gone: a mirror's incremental read does not delete it.
			f.exec(`DELETE FROM users WHERE id = 3`)

			dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
			if err != nil {
				t.Fatal(err)
			}
			want := controlplane.RunCounts{Extracted: 2, New: 1, Changed: 1} // the rows read: 10 (within the lookback) and 5
			wantKeys := map[string][]string{"new": {"5"}, "changed": {"10"}}
			if dr.ReadMode != controlplane.ReadIncremental || dr.Counts != want || !cmp.Equal(dr.SampleKeys, wantKeys) {
				t.Errorf("dry run: read %q (%s), counts %+v, keys %v; want incremental, %+v, %v",
					dr.ReadMode, dr.ReadWhy, dr.Counts, dr.SampleKeys, want, wantKeys)
			}
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			got, _ := f.recv.Take("id")
			if run.ReadMode != controlplane.ReadIncremental || run.Counts.Extracted != want.Extracted || run.Counts.New != want.New ||
				run.Counts.Changed != want.Changed || run.Counts.Deleted != 0 || !cmp.Equal(got, []string{"changed 10", "changed 5"}) {
				t.Errorf("the run after the dry run: read %q, counts %+v, sent %v; want what the dry run counted", run.ReadMode, run.Counts, got)
			}
		})
	}
}

// unanswered makes f's receiver answer no request within the engine's timeout, and the engine
// make one attempt per request.
func unanswered(f *fixture) {
	f.engine.MaxRetries = -1
	f.engine.Client = &http.Client{Timeout: 100 * time.Millisecond}
	f.recv.Handle(func(*webhooktest.Request, http.ResponseWriter) bool {
		time.Sleep(300 * time.Millisecond) // past the client's timeout: no answer
		return true
	})
}

// TestCursorFullRunIntents: the intents of a --full run that failed hold keys outside the
// cursor's range, which only a full read resends. The runs after it read in full (a dry run
// says so) until one succeeds, even when one of them fails too after adopting the intents; the
// receiver then has every record, and the next run reads incrementally again.
func TestCursorFullRunIntents(t *testing.T) {
	t.Parallel()
	for _, behavior := range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorMirror} {
		t.Run(behavior, func(t *testing.T) {
			t.Parallel()
			f := oneBatchCursorFixture(t, behavior)
			f.run(controlplane.RunSucceeded, RunOptions{})
			if got, _ := f.recv.Take("id"); len(got) != 5 {
				t.Fatalf("first run sent %v", got)
			}
			// Rows 1 to 4 are older than the mark minus the lookback: no incremental read sees them.
			// A --full resend goes unanswered; the receiver's state is counted from there.
			state := map[string]map[string]any{}
			unanswered(f)
			if run := f.run(controlplane.RunFailed, RunOptions{Full: true}); run.ReadMode != controlplane.ReadFull {
				t.Fatalf("--full read %q", run.ReadMode)
			}
			f.recv.Take("id")

			dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 0)
			if err != nil {
				t.Fatal(err)
			}
			if want := (controlplane.RunCounts{Extracted: 5, Changed: 5}); dr.ReadMode != controlplane.ReadFull ||
				!strings.Contains(dr.ReadWhy, "unconfirmed") || dr.Counts != want {
				t.Errorf("dry run: read %q (%s), counts %+v; want a full read of unconfirmed keys, %+v", dr.ReadMode, dr.ReadWhy, dr.Counts, want)
			}
			// The next run adopts the intents and is refused: the intents are gone, the keys stay
			// unconfirmed in the ledger, and the full read stays owed.
			f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			})
			if run := f.run(controlplane.RunFailed, RunOptions{}); run.ReadMode != controlplane.ReadFull {
				t.Errorf("the run after the unanswered --full read %q", run.ReadMode)
			}
			f.recv.Take("id")
			f.recv.Handle(nil)
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			got, delivered := f.recv.Take("id")
			receiverState(state, delivered)
			want := []string{"changed 1", "changed 10", "changed 2", "changed 3", "changed 4"}
			if run.ReadMode != controlplane.ReadFull || !cmp.Equal(got, want) || len(state) != 5 {
				t.Errorf("the run after the failed ones: read %q, sent %v, receiver has %d records; want full, %v, 5",
					run.ReadMode, got, len(state), want)
			}
			run = f.run(controlplane.RunSucceeded, RunOptions{})
			if got, _ := f.recv.Take("id"); run.ReadMode != controlplane.ReadIncremental || len(got) != 0 {
				t.Errorf("the run after the full read: read %q, sent %v; want incremental, nothing", run.ReadMode, got)
			}
		})
	}
}

// cursorValueSource is one column of cursor values, as a warehouse encodes them.
type cursorValueSource struct {
	memSource
	vals [][]byte
}

func (s *cursorValueSource) AppendValue(b []byte, _ int) []byte { return append(b, s.vals[s.i-1]...) }

// BenchmarkCursorObserve: what a cursor costs per row read (the tracker's encode, normalise and
// compare), for the time and integer kinds.
func BenchmarkCursorObserve(b *testing.B) {
	for _, kind := range []warehouse.CursorKind{warehouse.CursorTime, warehouse.CursorInteger} {
		b.Run(kind.String(), func(b *testing.B) {
			src := &cursorValueSource{}
			for i := range 4096 {
				v := fmt.Appendf(nil, `"2019-%02d-%02dT%02d:%02d:07.%06dZ"`, 1+i%12, 1+i%28, i%24, i%60, i)
				if kind == warehouse.CursorInteger {
					v = fmt.Appendf(nil, "%d", i*7919%100003)
				}
				src.keys, src.vals = append(src.keys, nil), append(src.vals, v)
			}
			t := &cursorTracker{kind: kind}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if src.i >= len(src.vals) {
					src.i = 0
				}
				src.Next()
				t.observe(src)
			}
		})
	}
}

// TestCursorRunThatLostItsLockReadsIncrementally: an incremental run whose sync another runner
// takes over after its batch was delivered records nothing more (its fenced commit and end
// fail), but it recorded what it reads when it planned its read, so the run after it knows that
// its intents hold keys of an incremental read: it reads incrementally again and resends them,
// instead of reading the whole model as it did for any run whose end was not recorded (a
// crash, a lost lock).
func TestCursorRunThatLostItsLockReadsIncrementally(t *testing.T) {
	t.Parallel()
	f := oneBatchCursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`UPDATE users SET name = 'Ed B', updated_at = '2022-04-04 05:00:00' WHERE id = 10`)

	// Before the delivered batch is committed, another runner takes the sync over: the lock's
	// session ends, and a new lease bumps the fence.
	var once sync.Once
	f.engine.beforeCommit = func(context.Context) {
		once.Do(func() {
			if _, err := f.store.Pool().Exec(f.ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE application_name = 'backflow-runner sync lock' AND datname = current_database()`); err != nil {
				t.Errorf("terminate the lock's session: %v", err)
			}
			other, err := f.store.AcquireSync(f.ctx, f.sync.ID, true, nil, 0)
			if err != nil {
				t.Errorf("take the sync over: %v", err)
				return
			}
			other.Release()
		})
	}
	lost, _ := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if lost == nil || !strings.Contains(lost.Error, "lock was lost") {
		t.Fatalf("run = %+v, want one that lost its lock", lost)
	}
	var status, mode string
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT status, coalesce(read_mode, 'NULL') FROM backflow.sync_runs WHERE id = $1`,
		lost.ID).Scan(&status, &mode); err != nil {
		t.Fatal(err)
	}
	if status != controlplane.RunRunning || mode != controlplane.ReadIncremental {
		t.Errorf("the lost run's stored status %q, read_mode %s; want running (no end recorded), %q", status, mode, controlplane.ReadIncremental)
	}
	f.engine.beforeCommit = nil
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 10"}) {
		t.Errorf("the lost run delivered %v, want [changed 10]", got)
	}
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	got, _ := f.recv.Take("id")
	if run.ReadMode != controlplane.ReadIncremental || !cmp.Equal(got, []string{"changed 10"}) {
		t.Errorf("the run after the lost one: read %q, sent %v; want incremental, [changed 10]", run.ReadMode, got)
	}
}

// TestCursorRemovedThenAddedBack: a sync whose cursor is removed keeps running (reading in full,
// writing its ledger under whatever definition it has then); when the cursor is set again, the
// mark it had before says nothing about what those runs delivered, so the next run reads in full,
// even when the definition is back to the one the mark was taken for.
func TestCursorRemovedThenAddedBack(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	m1 := []controlplane.Mapping{{From: "id", To: "id"}, {From: "name", To: "name"}}
	update := func(cursor string, mappings []controlplane.Mapping) {
		t.Helper()
		f.sync.Cursor, f.sync.Mappings = cursor, mappings
		if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
			t.Fatal(err)
		}
	}
	update("updated_at", m1)
	f.run(controlplane.RunSucceeded, RunOptions{})
	state := map[string]map[string]any{}
	_, recs := f.recv.Take("id")
	receiverState(state, recs)
	// Without the cursor, then with other mappings: every record is sent as `changed`.
	update("", m1)
	f.run(controlplane.RunSucceeded, RunOptions{})
	update("", []controlplane.Mapping{{From: "id", To: "id"}, {From: "name", To: "full_name"}})
	f.run(controlplane.RunSucceeded, RunOptions{})
	_, recs = f.recv.Take("id")
	receiverState(state, recs)
	// Back to the first definition, cursor included.
	update("updated_at", m1)
	checkReadInFullAsAFullRead(t, f, state, "the cursor was set again")
}

// TestCursorDefinitionChangedBackAfterAFailedRun: a run under other mappings that fails after
// some of its batches were delivered (and recorded) leaves the ledger holding records of those
// mappings; when the mappings are changed back, the mark of the first definition must not let
// the next run read incrementally past them.
func TestCursorDefinitionChangedBackAfterAFailedRun(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.engine.MaxRetries = 1
	m1 := []controlplane.Mapping{{From: "id", To: "id"}, {From: "name", To: "name"}}
	update := func(mappings []controlplane.Mapping) {
		t.Helper()
		f.sync.Mappings = mappings
		if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
			t.Fatal(err)
		}
	}
	update(m1)
	f.run(controlplane.RunSucceeded, RunOptions{})
	state := map[string]map[string]any{}
	_, recs := f.recv.Take("id")
	receiverState(state, recs)
	// Other mappings: the run's first request is accepted, the rest refused with a 503.
	update([]controlplane.Mapping{{From: "id", To: "id"}, {From: "name", To: "full_name"}})
	var n sync.Mutex
	seen := 0
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		n.Lock()
		defer n.Unlock()
		if seen++; seen == 1 {
			return false
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	f.run(controlplane.RunFailed, RunOptions{})
	f.recv.Handle(nil)
	_, recs = f.recv.Take("id")
	receiverState(state, recs)
	update(m1)
	checkReadInFullAsAFullRead(t, f, state, "the mappings were changed back")
}

// TestCursorMarkOfAnEarlierRelease: a mark an earlier release saved (its digest of the sync's
// definition has no model columns, legacyCursorDefinition) is read from after an upgrade when
// the model was not described again since the last full read, and read in full when it was (its
// columns may differ from those the mark was taken with).
func TestCursorMarkOfAnEarlierRelease(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	query := fixtureModelQuery(t, f)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	legacy := func() {
		t.Helper()
		setMarkDefinition(t, f, legacyCursorDefinition(f.sync, query))
	}
	legacy()
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
		t.Errorf("the first run on a mark of an earlier release read %q; want %q", run.ReadMode, controlplane.ReadIncremental)
	}
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
		t.Errorf("the second run on a mark of an earlier release read %q; want %q", run.ReadMode, controlplane.ReadIncremental)
	}
	// The model described again (by an apply) after the last full read: whether its columns
	// are the mark's is unknown.
	legacy()
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadFull {
		t.Errorf("the run on a mark of an earlier release, its model described since, read %q; want %q", run.ReadMode, controlplane.ReadFull)
	}
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
		t.Errorf("the run after it read %q; want %q", run.ReadMode, controlplane.ReadIncremental)
	}
	// A mark those releases kept but this one would not (a MySQL zero date): no bound to read
	// from, so the run reads in full rather than failing.
	legacy()
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.sync_cursors SET mark = '0000-00-00 00:00:00' WHERE sync_id = $1`,
		f.sync.ID); err != nil {
		t.Fatal(err)
	}
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadFull {
		t.Errorf("the run on a zero-date mark of an earlier release read %q; want %q", run.ReadMode, controlplane.ReadFull)
	}
}

// TestCursorSendNullsChangeReadsInFull: changing send_nulls changes the records of every row
// that has a NULL (README: "Changing it resends the records that have a NULL"), whatever its
// cursor, so the mark says nothing about the new records: the next run, and its dry run, read
// the whole model and resend them. (The cursor's digest of the definition left omit_nulls out:
// the run read incrementally from the mark and resent nothing; row 3, whose vip is NULL and
// whose cursor is far below the mark, kept its null until the next full_read_every.)
func TestCursorSendNullsChangeReadsInFull(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.sync.OmitNulls = true
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	if dr.ReadMode != controlplane.ReadFull || dr.Counts.Changed != 1 {
		t.Errorf("dry run after send_nulls changed: read %q (%s), counts %+v; want a full read, 1 changed", dr.ReadMode, dr.ReadWhy, dr.Counts)
	}
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	got, recs := f.recv.Take("id")
	if run.ReadMode != controlplane.ReadFull || !cmp.Equal(got, []string{"changed 3"}) {
		t.Errorf("run after send_nulls changed: read %q, sent %v; want a full read resending row 3", run.ReadMode, got)
	}
	if len(recs) == 1 {
		if _, has := recs[0].Data["vip"]; has {
			t.Errorf("row 3 was resent with its NULL vip: %v", recs[0].Data)
		}
	}
	// Back to sending nulls: the mark of the other setting does not hold either.
	f.sync.OmitNulls = false
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadFull {
		t.Errorf("run after send_nulls changed back: read %q; want full", run.ReadMode)
	}
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 3"}) {
		t.Errorf("run after send_nulls changed back sent %v; want row 3 again", got)
	}
}

// TestCursorSendNullsMarkOfAnEarlierRelease: a sync with send_nulls = false whose mark an earlier
// release saved (its digest without send_nulls) reads incrementally after an upgrade while the
// sync was not written since the last full read, and in full when it was (its send_nulls may
// have changed since the mark was taken).
func TestCursorSendNullsMarkOfAnEarlierRelease(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.sync.OmitNulls = true
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	query := fixtureModelQuery(t, f)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	earlier := func() {
		t.Helper()
		setMarkDefinition(t, f, definitionDigest(f.sync, f.model, query, false))
	}
	earlier()
	for i := range 2 {
		if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
			t.Errorf("run %d on a mark of an earlier release read %q; want %q", i+1, run.ReadMode, controlplane.ReadIncremental)
		}
	}
	earlier()
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadFull {
		t.Errorf("the run on a mark of an earlier release, the sync written since, read %q; want %q", run.ReadMode, controlplane.ReadFull)
	}
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
		t.Errorf("the run after it read %q; want %q", run.ReadMode, controlplane.ReadIncremental)
	}
}

// TestCursorDryRunOfAModelThatLostItsCursor: a model whose result no longer has the cursor column
// (the table altered in the warehouse, the model not applied since, so its stored columns still
// have it) fails its run on a full read; its dry run fails the same way. (It said the run would
// send the model's 5 records as new.)
func TestCursorDryRunOfAModelThatLostItsCursor(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorMirror)
	f.exec(`ALTER TABLE users DROP COLUMN updated_at`)
	const want = `the model lost its cursor column: its result has no column "updated_at"`
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 5)
	switch {
	case err == nil:
		t.Errorf("dry run: read %q, counts %+v; want the error %q", dr.ReadMode, dr.Counts, want)
	case !strings.Contains(err.Error(), want):
		t.Errorf("dry run: %v; want the error %q", err, want)
	}
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if run == nil || run.Status != controlplane.RunFailed || err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("run: %+v, %v; want failed with %q", run, err, want)
	}
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("the run sent %v", got)
	}
}

// TestCursorBlockedFullRunSaysFull: a --full run blocked by its guard says to send it with
// --full --accept-guard. (It said --accept-guard alone: that run of a cursor sync reads
// incrementally from the mark and resends nothing of what the --full run was blocked on; it is
// refused, naming --full --accept-guard.)
func TestCursorBlockedFullRunSaysFull(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorMirror)
	minRows := int64(10)
	f.sync.Guard = &controlplane.Guard{MinModelRows: &minRows}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.acceptBlocked(controlplane.RunSucceeded, RunOptions{}) // the first run's 5 rows, under min_model_rows
	f.recv.Take("id")
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{Full: true})
	want := fmt.Sprintf("send it once with `backflow-runner sync %q --full --accept-guard`", f.sync.Name)
	if run == nil || run.Status != controlplane.RunBlocked || err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("--full run of 5 rows under min_model_rows = 10: %v; want blocked, saying %q", err, want)
	}
	// --accept-guard alone (which would read incrementally) is refused, naming the command.
	if run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{AcceptGuard: true}); run != nil || err == nil || !strings.Contains(err.Error(), want[len("send it once with "):]) {
		t.Errorf("--accept-guard alone: run %+v, %v; want no run and an error naming %s", run, err, want)
	}
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("--accept-guard alone sent %v", got)
	}
	f.run(controlplane.RunSucceeded, RunOptions{Full: true, AcceptGuard: true})
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Errorf("--full --accept-guard sent %v; want the 5 records", got)
	}
}

// fixtureModelQuery is the query a run of f's sync reads its model with.
func fixtureModelQuery(t *testing.T, f *fixture) string {
	t.Helper()
	wc, err := f.store.GetConnection(f.ctx, f.model.ConnectionID)
	if err != nil {
		t.Fatal(err)
	}
	src, err := warehouse.For(wc)
	if err != nil {
		t.Fatal(err)
	}
	return modelQuery(src, f.model)
}

// setMarkDefinition stores definition as the one f's sync's cursor mark was saved under, as an
// earlier release computed it.
func setMarkDefinition(t *testing.T, f *fixture, definition string) {
	t.Helper()
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.sync_cursors SET definition = $2 WHERE sync_id = $1`,
		f.sync.ID, definition); err != nil {
		t.Fatal(err)
	}
}

// checkReadInFullAsAFullRead runs f's sync, which must read in full, and then a --full run: the
// receiver's state (state, updated by the first run) must equal what the full read sent. what
// names the change before the first run.
func checkReadInFullAsAFullRead(t *testing.T, f *fixture, state map[string]map[string]any, what string) {
	t.Helper()
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	_, recs := f.recv.Take("id")
	receiverState(state, recs)
	f.run(controlplane.RunSucceeded, RunOptions{Full: true})
	_, recs = f.recv.Take("id")
	full := map[string]map[string]any{}
	receiverState(full, recs)
	if diff := cmp.Diff(full, state); diff != "" || run.ReadMode != controlplane.ReadFull {
		t.Errorf("the run after %s read %q (want %q); the receiver's state differs from a full read's (-full +got):\n%s",
			what, run.ReadMode, controlplane.ReadFull, diff)
	}
}

// TestCursorWarehouseChangedReadsInFull: a model's warehouse connection changed in place to
// another database with the same table (a warehouse moved, restored from a backup) holds other
// rows below the mark: the next run reads in full, sending what differs from the ledger and
// (mirror) deleting what the new database lacks, and its dry run says so.
func TestCursorWarehouseChangedReadsInFull(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorMirror)
	f.run(controlplane.RunSucceeded, RunOptions{})
	state := map[string]map[string]any{}
	_, recs := f.recv.Take("id")
	receiverState(state, recs)
	// The other database: Bob as a backup holds him (another name, a cursor below the mark), Di
	// absent.
	other := controlplanetest.NewDatabase(t)
	db := controlplanetest.Pool(t, other)
	if _, err := db.Exec(f.ctx, usersTable+`;
		UPDATE users SET name = 'Robert' WHERE id = 2; DELETE FROM users WHERE id = 4`); err != nil {
		t.Fatal(err)
	}
	wc, err := f.store.GetConnection(f.ctx, f.model.ConnectionID)
	if err != nil {
		t.Fatal(err)
	}
	wc.Postgres.URL = other
	// A plan that changes the connection so previews the sync through it as planned (not stored
	// yet): a full read, which sends Robert and deletes Di.
	planned := *wc
	planned.UpdatedAt = time.Time{}
	if dr, err := f.engine.PreviewOn(f.ctx, f.sync, nil, &planned, false, 0); err != nil {
		t.Errorf("preview of the planned connection: %v", err)
	} else if dr.ReadMode != controlplane.ReadFull || dr.Counts.Changed != 1 || dr.Counts.Deleted != 1 {
		t.Errorf("preview of the planned connection: read %q (%q), counts %+v; want a full read, 1 changed and 1 deleted",
			dr.ReadMode, dr.ReadWhy, dr.Counts)
	}
	if err := f.store.UpdateConnection(f.ctx, wc); err != nil {
		t.Fatal(err)
	}
	if dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 0); err != nil {
		t.Errorf("dry run after the warehouse changed: %v", err)
	} else if dr.ReadMode != controlplane.ReadFull || !strings.Contains(dr.ReadWhy, "connection") {
		t.Errorf("dry run after the warehouse changed: read %q (%q); want a full read naming the connection",
			dr.ReadMode, dr.ReadWhy)
	}
	checkReadInFullAsAFullRead(t, f, state, "the warehouse connection changed")
	if state["2"]["name"] != "Robert" || state["4"] != nil {
		t.Errorf("the receiver holds Bob as %v and Di as %v; want Robert and no Di", state["2"], state["4"])
	}
	// The full read took a mark of the new database: the next run reads incrementally.
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
		t.Errorf("the run after the full read read %q, want %q", run.ReadMode, controlplane.ReadIncremental)
	}
}

// TestCursorMarkAtTheFirstInstant: every row's cursor the first instant Postgres has (Go's zero
// time.Time, .NET's DateTime.MinValue, "0001-01-01 00:00:00", written for "never updated"): the
// mark minus the lookback is before year 1, which Postgres refuses as a timestamp or a date. The
// next runs read in full (they read no less than from there) rather than fail until a full read.
func TestCursorMarkAtTheFirstInstant(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"timestamp", "timestamptz", "date"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			f := cursorFixtureOfType(t, controlplane.BehaviorMirror, typ)
			f.exec(`UPDATE users SET updated_at = '0001-01-01 00:00:00+00'`)
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Take("id")
			f.exec(`UPDATE users SET name = 'Bobby', updated_at = '2020-05-05' WHERE id = 2; DELETE FROM users WHERE id = 4`)
			run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
			if err != nil || run.Status != controlplane.RunSucceeded {
				t.Fatalf("the run after a mark of 0001-01-01: %v", err)
			}
			if got, _ := f.recv.Take("id"); !slices.Equal(got, []string{"changed 2", "deleted 4"}) || run.ReadMode != controlplane.ReadFull {
				t.Errorf("the run after a mark of 0001-01-01 read %q and sent %q; want a full read sending Bob's change and Di's delete",
					run.ReadMode, got)
			}
			// The mark moved to 2020-05-05: the next run reads incrementally.
			if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
				t.Errorf("the run after that read %q, want incremental", run.ReadMode)
			}
		})
	}
}

// TestCursorValueInTheFuture: one row's cursor in the future (a typo's year 2999). The mark a
// run saves leaves out the values above its start (a timestamptz's), above its start + 14 hours
// (a timestamp's, a local time in a zone up to UTC+14) or that date (a date's), so the next
// incremental read reads from the highest other value and finds Bob's change, made after the
// first run (written in UTC); it had read from 2998-12-31 23:55 and missed it until the next
// full read. The runs' log and the dry run name the row's value. A mark in the future that an
// earlier release saved makes the next run read in full.
func TestCursorValueInTheFuture(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		typ, now string // now: Bob's cursor value after the first run
		from     string // the mark (Ada's) minus the lookback
	}{
		{"timestamptz", "now()", "2022-04-04 03:59:04"},
		{"timestamp", "now() AT TIME ZONE 'UTC'", "2022-04-04 03:59:04"},
		{"date", "(now() AT TIME ZONE 'UTC')::date", "2022-04-03"},
	} {
		t.Run(c.typ, func(t *testing.T) {
			t.Parallel()
			f := cursorFixtureOfType(t, controlplane.BehaviorUpdateOrCreate, c.typ)
			var logged lockedbuf.Buffer
			f.engine.Logger = slog.New(slog.NewTextHandler(&logged, nil))
			f.exec(`SET TimeZone = 'UTC'; UPDATE users SET updated_at = (CASE id WHEN 1 THEN '2022-04-04 04:04:04+00' ELSE '2020-01-01 00:00:00+00' END)::timestamptz;
				INSERT INTO users VALUES (7, 'zed@example.com', 'Zed', false, '2999-01-01 00:00:00+00')`)
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Take("id")
			high := map[string]string{"date": "2999-01-01"}[c.typ]
			if high == "" {
				high = "2999-01-01 00:00:00"
			}
			// The dry run says so too.
			dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 0)
			if err != nil {
				t.Fatal(err)
			}
			if dr.FutureCursor != high || dr.MarkCap == "" {
				t.Errorf("dry run: future cursor %q, cap %q; want %q and the cap", dr.FutureCursor, dr.MarkCap, high)
			}
			f.exec(`UPDATE users SET name = 'Bobby', updated_at = ` + c.now + ` WHERE id = 2`)
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if got, _ := f.recv.Take("id"); !slices.Equal(got, []string{"changed 2"}) || run.ReadMode != controlplane.ReadIncremental ||
				run.ReadFrom != c.from {
				t.Errorf("the run after one with a cursor in 2999 read %q from %q and sent %q; want incremental from %q, sending Bob's change",
					run.ReadMode, run.ReadFrom, got, c.from)
			}
			// The row in the future is read by every run, and not sent again.
			if run.Counts.Extracted != 3 {
				t.Errorf("the incremental run read %d rows, want 3 (Ada's at the mark, Bob's and the one in the future)", run.Counts.Extracted)
			}
			if c.typ != "date" {
				high = `"` + high + `"`
			}
			high = "highest=" + high
			if n := strings.Count(logged.String(), "cursor value is in the future"); n != 2 || !strings.Contains(logged.String(), high) ||
				!strings.Contains(logged.String(), "cursor=updated_at") {
				t.Errorf("the runs' log says %d times that a cursor value is in the future, want 2 (once a run), naming %s:\n%s",
					n, high, logged.String())
			}

			// A mark an earlier release saved from that row: the next run reads in full.
			mark := map[string]string{"date": "2999-01-01"}[c.typ]
			if mark == "" {
				mark = "2999-01-01 00:00:00"
			}
			if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.sync_cursors SET mark = $1 WHERE sync_id = $2`, mark, f.sync.ID); err != nil {
				t.Fatal(err)
			}
			f.exec(`UPDATE users SET name = 'Cyd', updated_at = ` + c.now + ` WHERE id = 3`)
			if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadFull {
				t.Errorf("the run after a mark in 2999 read %q, want full", run.ReadMode)
			}
			if got, _ := f.recv.Take("id"); !slices.Equal(got, []string{"changed 3"}) {
				t.Errorf("the run after a mark in 2999 sent %q, want Cyd's change", got)
			}
			if !strings.Contains(logged.String(), `why="the cursor's mark `+mark+` is in the future`) {
				t.Errorf("the run's log does not say why it read in full:\n%s", logged.String())
			}
		})
	}
}

// TestCursorMarkCap: the cap of a run's start, per cursor kind (capTime), compared as instants.
func TestCursorMarkCap(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 5, 15, 23, 40, 987654321, time.FixedZone("UTC+2", 2*3600))
	for _, tc := range []struct {
		p        readPlan
		cap      string   // "": none
		above    []string // values above it
		notAbove []string
	}{
		{readPlan{kind: warehouse.CursorTime, instants: true}, "2026-12-05 13:23:40",
			[]string{"2026-12-05 13:23:40.000001", "2999-01-01 00:00:00", "9999-12-31 23:59:59.999999"},
			[]string{"2026-12-05 13:23:40", "2026-12-05 13:23:40.000000", "2026-12-05 13:23:39.999999999", "0001-01-01 00:00:00", "x"}},
		{readPlan{kind: warehouse.CursorTime}, "2026-12-06 03:23:40",
			[]string{"2026-12-06 03:23:41", "2999-01-01 00:00:00"},
			[]string{"2026-12-06 03:23:40.000", "2026-12-06 03:00:00"}},
		{readPlan{kind: warehouse.CursorDate}, "2026-12-06", []string{"2026-12-07", "9999-12-31"}, []string{"2026-12-06", "2026-12-05"}},
		{readPlan{kind: warehouse.CursorInteger}, "", nil, []string{"99999999999999999999"}},
		{readPlan{kind: warehouse.CursorText}, "", nil, []string{"zzz", "2999-01-01"}},
	} {
		if got := string(markCap(&tc.p, start)); got != tc.cap {
			t.Errorf("markCap(%s, instants %v) = %q, want %q", tc.p.kind, tc.p.instants, got, tc.cap)
		}
		if tc.cap != "" && !validMark(tc.p.kind, []byte(tc.cap)) {
			t.Errorf("the cap %q is no valid mark", tc.cap)
		}
		for _, v := range tc.above {
			if !aboveCap(&tc.p, []byte(v), start) {
				t.Errorf("%s %q: want above the cap %q", tc.p.kind, v, tc.cap)
			}
		}
		for _, v := range tc.notAbove {
			if aboveCap(&tc.p, []byte(v), start) {
				t.Errorf("%s %q: want not above the cap %q", tc.p.kind, v, tc.cap)
			}
		}
	}
	for _, tc := range []struct{ kind, typ string }{{"postgres", "timestamptz"}, {"postgres", "timestamp with time zone"},
		{"duckdb", "TIMESTAMP WITH TIME ZONE"}, {"mysql", "TIMESTAMP"}, {"mysql", "timestamp(6)"}} {
		if !warehouse.CursorInstants(tc.kind, tc.typ) {
			t.Errorf("CursorInstants(%s, %s) = false, want true", tc.kind, tc.typ)
		}
	}
	for _, tc := range []struct{ kind, typ string }{{"postgres", "timestamp"}, {"duckdb", "TIMESTAMP"}, {"duckdb", "timestamp_s"},
		{"mysql", "DATETIME"}, {"mysql", "datetime(6)"}, {"postgres", "date"}} {
		if warehouse.CursorInstants(tc.kind, tc.typ) {
			t.Errorf("CursorInstants(%s, %s) = true, want false", tc.kind, tc.typ)
		}
	}
}

// TestCursorRekeyKeepsIncremental: `backflow-runner rekey` re-seals every connection's secrets
// under a new key without changing what they say: the warehouse connection's updated_at stays,
// and a cursor sync's next run still reads incrementally (unchangedSinceFullRead).
func TestCursorRekeyKeepsIncremental(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	f.run(controlplane.RunSucceeded, RunOptions{})
	oldKey, err := controlplane.ParseKey(f.key)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := controlplane.ParseKey(controlplanetest.NewKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.RekeyConnections(f.ctx, oldKey, newKey); err != nil {
		t.Fatal(err)
	}
	f.store = controlplane.New(f.store.Pool(), newKey)
	f.engine = newTestEngine(f.store)
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
		t.Errorf("the run after a rekey read %q, want %q", run.ReadMode, controlplane.ReadIncremental)
	}
}

// TestCursorLookbackShrunkAfterACrashedRun: an incremental run whose requests went unanswered
// leaves intents for keys it read within its lookback (an hour); cursor_lookback is then shrunk
// (to 5m). The next run adopts those keys as unconfirmed, which only a run that reads them
// resends: it must read from as far back as the crashed run did, not from the mark minus the new
// lookback, which leaves the late row out until the next full read; and so must the run after it
// when that one fails too, after adopting them, without leaving intents (they are no intents any
// more).
func TestCursorLookbackShrunkAfterACrashedRun(t *testing.T) {
	t.Parallel()
	for _, crashAgain := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash again %v", crashAgain), func(t *testing.T) {
			t.Parallel()
			f := oneBatchCursorFixture(t, controlplane.BehaviorUpdateOrCreate)
			f.sync.CursorLookback = "1h"
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Take("id")
			f.exec(`INSERT INTO users VALUES (20, 'zed@example.com', 'Zed', true, '2022-04-04 03:30:00')`) // late, within the hour
			f.exec(`INSERT INTO users VALUES (5, 'fay@example.com', 'Fay', true, '2023-02-01 00:00:00')`)
			retries, client := f.engine.MaxRetries, f.engine.Client
			crash := func(what string) {
				unanswered(f)
				if run, _ := f.engine.Run(f.ctx, f.sync.ID, RunOptions{}); run == nil || run.Status != controlplane.RunFailed ||
					run.ReadMode != controlplane.ReadIncremental {
					t.Fatalf("%s: %+v; want failed, an incremental read", what, run)
				}
				f.engine.MaxRetries, f.engine.Client = retries, client
				f.recv.Handle(nil)
				f.recv.Take("id")
			}
			crash("the unanswered run")
			f.sync.CursorLookback = "5m"
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			if crashAgain {
				// It adopts the intents, and fails without leaving any: the endpoint refuses it (401).
				f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
					w.WriteHeader(http.StatusUnauthorized)
					return true
				})
				if run, _ := f.engine.Run(f.ctx, f.sync.ID, RunOptions{}); run == nil || run.Status != controlplane.RunFailed {
					t.Fatalf("the refused run after the lookback shrank: %+v; want failed", run)
				}
				var n int
				if err := f.store.Pool().QueryRow(f.ctx, `SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1`,
					f.sync.ID).Scan(&n); err != nil || n != 0 {
					t.Fatalf("the refused run left %d intents (%v); want none", n, err)
				}
				f.recv.Handle(nil)
				f.recv.Take("id")
			}
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			got, _ := f.recv.Take("id")
			slices.Sort(got)
			if !cmp.Equal(got, []string{"changed 20", "changed 5"}) {
				t.Errorf("the run after the lookback shrank (%s read from %q) sent %v; want both unconfirmed keys resent",
					run.ReadMode, run.ReadFrom, got)
			}
			// Then from the mark minus the new lookback.
			if run = f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadFrom != "2023-01-31 23:55:00" {
				t.Errorf("the run after that read from %q; want 2023-01-31 23:55:00", run.ReadFrom)
			}
		})
	}
}

// TestCursorEveryValueInTheFuture: a full read whose every cursor value is in the future (a
// sentinel 2999 on every row) keeps as its mark the earliest value a row written after the run's
// start can have, so that the next incremental read finds it. For a type without a time zone
// that is a local time as far west as UTC-12, not the cap (the start plus 14 hours), which the
// rows a writer in UTC writes next are below for 14 hours: they waited for the next full read.
func TestCursorEveryValueInTheFuture(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ typ, now string }{
		{"timestamptz", "now()"},
		{"timestamp", "now() AT TIME ZONE 'UTC'"},
		{"date", "(now() AT TIME ZONE 'UTC')::date"},
	} {
		t.Run(c.typ, func(t *testing.T) {
			t.Parallel()
			f := cursorFixtureOfType(t, controlplane.BehaviorUpdateOrCreate, c.typ)
			f.exec(`UPDATE users SET updated_at = '2999-01-01 00:00:00+00'`)
			f.run(controlplane.RunSucceeded, RunOptions{})
			f.recv.Take("id")
			f.exec(`UPDATE users SET name = 'Bobby', updated_at = ` + c.now + ` WHERE id = 2`)
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if got, _ := f.recv.Take("id"); !slices.Equal(got, []string{"changed 2"}) || run.ReadMode != controlplane.ReadIncremental {
				t.Errorf("the run after one whose every cursor was in 2999 read %q from %q and sent %q; want incremental, sending Bob's change",
					run.ReadMode, run.ReadFrom, got)
			}
		})
	}
}

// TestCursorTypeNamedOtherwise: a model described by a release that names a column's type
// otherwise than this runner reads it (as MySQL's BOOL and tinyint(1); here "boolean" for
// Postgres's bool) reads in full once (no mark), and then incrementally: the runs compare the
// columns they read with those the run that saved the mark read, not with the described ones,
// which made every run a full read until the next apply. A column retyped in the warehouse
// since the mark still makes the next run a full read (TestCursorColumnRetypedWithoutAnApply),
// and so does a mark without columns (a release before them) whose described columns differ.
func TestCursorTypeNamedOtherwise(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorUpdateOrCreate)
	renamed := false
	for i, c := range f.model.Columns {
		if c.Name == "vip" {
			f.model.Columns[i].Type, renamed = "boolean", c.Type != "boolean"
		}
	}
	if !renamed {
		t.Fatalf("the model's columns %+v have no vip other than boolean", f.model.Columns)
	}
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadFull {
		t.Fatalf("the first run read %q, want full", run.ReadMode)
	}
	for i := range 2 {
		if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
			t.Errorf("run %d after the first read %q, want incremental", i+2, run.ReadMode)
		}
	}
	// A mark without the columns read (saved by an earlier release, or rewritten by one since):
	// the described ones stand for them.
	if _, err := f.store.Pool().Exec(f.ctx, `UPDATE backflow.sync_cursors SET mark = mark WHERE sync_id = $1`, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	if st, err := f.store.GetCursorState(f.ctx, f.sync.ID); err != nil || st.Columns != nil {
		t.Fatalf("a mark rewritten without its columns: %+v, %v; want no columns", st, err)
	}
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadFull {
		t.Errorf("the run after the mark lost its columns read %q, want full (the described vip is boolean)", run.ReadMode)
	}
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadIncremental {
		t.Errorf("the run after that read %q, want incremental", run.ReadMode)
	}
}

// An incremental preview counts no deletes, yet the sync's runs read the whole model again once
// full_read_every has passed since the last full read, and then send them: a plan made minutes
// before that time showed "0 deleted" for a next run that deleted. The preview says when that
// is (DryRun.FullReadDue), which a run started then or later is not the one previewed.
func TestCursorPreviewSaysWhenAFullReadIsDue(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorMirror)
	f.sync.FullReadEvery = "1h"
	f.sync.Guard = &controlplane.Guard{}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	st, err := f.store.GetCursorState(f.ctx, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.exec(`DELETE FROM users WHERE id = 3`)
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	// To the second, rounded up: the time shown is not before the one the runs read in full at
	// (the last full read started at some fraction of a second). Before, it was cut to the
	// second, and a run started in the second before it was not "at that time or later".
	due := st.FullReadAt.Add(time.Hour)
	want := due.Truncate(time.Second)
	if !want.Equal(due) {
		want = want.Add(time.Second)
	}
	if shown, err := time.Parse(time.RFC3339, dr.FullReadDue); err != nil || shown.Before(due) {
		t.Errorf("full read due %q, before the full read is due (%s)", dr.FullReadDue, due.UTC().Format(time.RFC3339Nano))
	}
	if dr.ReadMode != controlplane.ReadIncremental || dr.Counts.Deleted != 0 || dr.FullReadDue != want.UTC().Format(time.RFC3339) || dr.FullReadEvery != "1h" {
		t.Fatalf("preview of an incremental read: %q, %d deleted, full read due %q (every %q); want incremental, 0 deleted, "+
			"due %s (every 1h)", dr.ReadMode, dr.Counts.Deleted, dr.FullReadDue, dr.FullReadEvery, want)
	}
	// Once it is due, the run is a full read, and deletes what the preview could not count.
	expireFullRead(t, f.store, f.sync.ID)
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.ReadMode != controlplane.ReadFull || run.Counts.Deleted != 1 {
		t.Fatalf("the run after full_read_every: %s, %d deleted; want a full read deleting 1", run.ReadMode, run.Counts.Deleted)
	}
	// A full read's preview has no such time.
	if dr, err = f.engine.DryRun(f.ctx, f.sync.ID, true, 3); err != nil || dr.FullReadDue != "" {
		t.Fatalf("a full dry run: full read due %q, %v; want none", dr.FullReadDue, err)
	}
}
