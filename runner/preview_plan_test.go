package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

// A plan's preview of a changed definition (Preview with the planned sync and model) is what the
// run after the apply finds: the same counts, and blocked exactly when the run is. One case per
// kind of change a plan makes; each starts from a sync delivered once (then, in some, a change in
// the warehouse) and previews, applies and runs the change.
func TestPreviewOfAPlannedChangeIsWhatTheRunSends(t *testing.T) {
	type change struct {
		name      string
		behavior  string
		cursor    bool                                // the sync has cursor = "updated_at" before the change
		before    string                              // warehouse SQL after the first run
		sync      func(y *controlplane.Sync)          // the planned sync
		model     func(m *controlplane.Model)         // the planned model (nil: unchanged)
		blocked   string                              // in the preview's Blocked and the run's error
		wantCount func(c controlplane.RunCounts) bool // a sanity check of the case itself
	}
	mirror, upsert := controlplane.BehaviorMirror, controlplane.BehaviorUpdateOrCreate
	cases := []change{
		{name: "mapping added", behavior: mirror, sync: func(y *controlplane.Sync) {
			y.Mappings = []controlplane.Mapping{{From: "email", To: "email"}, {From: "name", To: "name"}}
		}},
		{name: "mapping renamed", behavior: mirror, sync: func(y *controlplane.Sync) {
			y.Mappings = []controlplane.Mapping{{From: "email", To: "mail"}}
		}, wantCount: func(c controlplane.RunCounts) bool { return c.Changed == 5 }},
		{name: "constant changed", behavior: mirror, sync: func(y *controlplane.Sync) {
			s := "b"
			y.Mappings = []controlplane.Mapping{{From: "email", To: "email"}, {Constant: &s, To: "src"}}
		}},
		{name: "model SQL filters rows out", behavior: mirror, model: func(m *controlplane.Model) {
			m.Table, m.SQL = "", "select * from users where id <> 10 and id <> 4"
		}, wantCount: func(c controlplane.RunCounts) bool { return c.Deleted == 2 }},
		{name: "model SQL filters most rows out", behavior: mirror, model: func(m *controlplane.Model) {
			m.Table, m.SQL = "", "select * from users where id = 1"
		}, blocked: "delete 4 of the 5 keys"},
		{name: "model SQL changes a column's type", behavior: mirror, model: func(m *controlplane.Model) {
			m.Table, m.SQL = "", "select id, email, name, vip::text as vip, updated_at from users"
		}},
		{name: "update_or_create to mirror", behavior: upsert, before: `DELETE FROM users WHERE id = 4`,
			sync:      func(y *controlplane.Sync) { y.Behavior = mirror },
			wantCount: func(c controlplane.RunCounts) bool { return c.Deleted == 1 }},
		{name: "cursor added", behavior: mirror, before: `UPDATE users SET name = 'Adele' WHERE id = 1`,
			sync: func(y *controlplane.Sync) { y.Cursor = "updated_at" }},
		{name: "cursor removed", behavior: mirror, cursor: true, before: `DELETE FROM users WHERE id = 4`,
			sync: func(y *controlplane.Sync) { y.Cursor = "" }},
		{name: "omit_nulls", behavior: mirror, sync: func(y *controlplane.Sync) { y.OmitNulls = true }},
		{name: "batch size", behavior: mirror, before: `UPDATE users SET name = 'Adele' WHERE id = 1`,
			sync: func(y *controlplane.Sync) { y.BatchSize = 500 }},
		{name: "guard lowered", behavior: mirror, before: `DELETE FROM users WHERE id = 4`,
			sync:    func(y *controlplane.Sync) { n := int64(0); y.Guard = &controlplane.Guard{MaxDeleted: &n} },
			blocked: "more than max_deleted = 0"},
		{name: "guard raised", behavior: mirror, before: `DELETE FROM users WHERE id IN (1, 2, 3)`,
			sync: func(y *controlplane.Sync) { p := 80.0; y.Guard = &controlplane.Guard{MaxDeletedPercent: &p} }},
		{name: "paused, then resumed", behavior: mirror, before: `DELETE FROM users WHERE id = 4`,
			sync: func(y *controlplane.Sync) { y.Paused = false }},
		{name: "cursor sync, omit_nulls", behavior: mirror, cursor: true, before: `UPDATE users SET name = 'Adele', updated_at = '2030-01-01' WHERE id = 1`,
			sync: func(y *controlplane.Sync) { y.OmitNulls = true }},
		{name: "cursor sync, model SQL filters rows out", behavior: mirror, cursor: true, model: func(m *controlplane.Model) {
			m.Table, m.SQL = "", "select * from users where id <> 4"
		}, wantCount: func(c controlplane.RunCounts) bool { return c.Deleted == 1 }},
		{name: "cursor sync, guard lowered", behavior: mirror, cursor: true,
			before:  `UPDATE users SET email = 'x' || email, updated_at = '2030-01-01' WHERE id IN (1, 2, 3)`,
			sync:    func(y *controlplane.Sync) { p := 10.0; y.Guard = &controlplane.Guard{MaxChangedPercent: &p} },
			blocked: "more than max_changed_percent = 10"},
		{name: "cursor sync, lookback", behavior: mirror, cursor: true,
			before: `UPDATE users SET name = 'Adele', updated_at = '2022-04-04 04:00:00' WHERE id = 1`,
			sync:   func(y *controlplane.Sync) { y.CursorLookback = "1h" }},
		{name: "skip_existing on a sync that sent", behavior: mirror, before: `UPDATE users SET name = 'Adele' WHERE id = 1`,
			sync: func(y *controlplane.Sync) { y.Initial = controlplane.InitialSkipExisting }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.behavior, []controlplane.Mapping{{From: "email", To: "email"}, {From: "vip", To: "vip"},
				{From: "updated_at", To: "updated_at"}})
			f.describeModel()
			if tc.cursor {
				f.useCursor("updated_at")
			}
			f.run(controlplane.RunSucceeded, RunOptions{})
			if tc.before != "" {
				f.exec(tc.before)
			}
			if tc.name == "paused, then resumed" {
				f.sync.Paused = true
				if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
					t.Fatal(err)
				}
			}
			y, err := f.store.GetSync(f.ctx, f.sync.ID)
			if err != nil {
				t.Fatal(err)
			}
			// As the provider plans it: a definition not stored yet, written by the apply.
			y.UpdatedAt, y.CreatedAt = time.Time{}, time.Time{}
			var m *controlplane.Model
			if tc.sync != nil {
				tc.sync(y)
			}
			if tc.model != nil {
				c := *f.model
				c.UpdatedAt = time.Time{} // as the provider plans it, as y
				tc.model(&c)
				if c.Columns, err = warehouse.Describe(f.ctx, &controlplane.PostgresConfig{URL: f.whURL}, c.Query()); err != nil {
					t.Fatal(err)
				}
				m = &c
			}
			dr, err := f.engine.Preview(f.ctx, y, m, false, 3)
			if err != nil {
				t.Fatalf("preview: %v", err)
			}
			if err := f.store.UpdateSync(f.ctx, y); err != nil {
				t.Fatal(err)
			}
			if m != nil {
				if err := f.store.UpdateModel(f.ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			want := controlplane.RunSucceeded
			if tc.blocked != "" {
				want = controlplane.RunBlocked
			}
			run := f.run(want, RunOptions{})
			got := controlplane.RunCounts{Extracted: run.Counts.Extracted, Invalid: run.Counts.Invalid, New: run.Counts.New,
				Changed: run.Counts.Changed, Deleted: run.Counts.Deleted}
			pc := dr.Counts
			if pc != got || dr.ReadMode != run.ReadMode {
				t.Errorf("the preview showed %+v (read %q: %s), the run found %+v (read %q)", pc, dr.ReadMode, dr.ReadWhy,
					got, run.ReadMode)
			}
			if (dr.Blocked != "") != (tc.blocked != "") || !strings.Contains(dr.Blocked, tc.blocked) {
				t.Errorf("the preview's guard verdict %q, the run %s; want %q", dr.Blocked, run.Status, tc.blocked)
			}
			if dr.Mark != (run.Trigger == controlplane.TriggerMark) {
				t.Errorf("the preview marks: %v, the run's trigger %q", dr.Mark, run.Trigger)
			}
			if tc.wantCount != nil && !tc.wantCount(got) {
				t.Errorf("the case is not what it means to be: the run found %+v", got)
			}
		})
	}
}
