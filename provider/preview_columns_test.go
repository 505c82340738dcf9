package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// A plan that changes only a model's columns (a column added to the table it reads: its SQL is
// the same) writes them at apply, and a sync with a cursor, whose mark is valid for the model's
// columns as stored, then reads its whole model once: a mirror sends the deletes its incremental
// reads missed. The plan showed no preview of that run, and a sync changed in the same plan was
// previewed with the model as stored, reading incrementally, where its run read in full.
func TestAccPlanPreviewModelColumnsChange(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	e.execWarehouse(t, `INSERT INTO users (unique_id, email, first_name) VALUES ('u2', 'bob@example.com', 'Bob'),
		('u3', 'cy@example.com', 'Cy')`)
	d := newTFDir(t)
	base := e.syncBase(hook.URL)
	sync := func(body string) string {
		return syncResource("s", "Users", "all", `behavior    = "mirror"
  primary_key = "unique_id"
  cursor      = "created_at"
  mappings    = [{ from = "email", to = "email" }]`+body)
	}
	d.apply(e.config(base, sync("")))
	var id int64
	if err := e.cp.QueryRow(t.Context(), `SELECT id FROM backflow.syncs WHERE name = 'Users'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	run := func(step, wantMode string) {
		t.Helper()
		r, err := (&runner.Engine{Store: e.store}).Run(t.Context(), id, runner.RunOptions{})
		if err != nil || r.ReadMode != wantMode {
			t.Fatalf("%s: run read %q, %v; want %q", step, r.ReadMode, err, wantMode)
		}
	}
	run("first run", "full")
	run("second run", "incremental")
	// A column added to the table the model reads: the next run sees it and reads in full once
	// (its mark is saved with the columns it read); the model as stored does not have it yet.
	e.execWarehouse(t, `ALTER TABLE users ADD COLUMN nickname text`)
	run("the run after the column is added", "full")
	run("the run after that", "incremental")
	// u3 deleted, which incremental reads do not see.
	e.execWarehouse(t, `DELETE FROM users WHERE unique_id = 'u3'`)

	got := previews(d.plan(e.config(base, sync(""))))
	if len(got) != 1 || !strings.Contains(got[0], "will send 0 new, 0 changed and 1 deleted records") ||
		!strings.Contains(got[0], "It reads the whole model") {
		t.Fatalf("the model's columns change (a column added to its table): want one preview of the full read "+
			"that deletes u3, got %q", got)
	}
	// The same plan renames the warehouse connection, which makes the sync read in full too: the
	// connection's plan previews it, and the model's does not again.
	renamed := strings.Replace(base, `name     = "warehouse"`, `name     = "warehouse (renamed)"`, 1)
	if renamed == base {
		t.Fatal("the test's base configuration no longer has the warehouse name it changes")
	}
	got = previews(d.plan(e.config(renamed, sync(""))))
	if len(got) != 1 || !strings.Contains(got[0], "will send 0 new, 0 changed and 1 deleted records") {
		t.Fatalf("the model's columns change and its warehouse connection is renamed: want one preview, got %q", got)
	}
	// The same plan changes the sync too: its own preview reads the model as planned.
	var ofSync []string
	for _, p := range previews(d.plan(e.config(base, sync("\n  guard = { max_deleted_percent = 100 }")))) {
		if !strings.Contains(p, "with the model as planned and the sync as stored") {
			ofSync = append(ofSync, p)
		}
	}
	if len(ofSync) != 1 || !strings.Contains(ofSync[0], "will send 0 new, 0 changed and 1 deleted records") {
		t.Fatalf("the model's columns and the sync's guard change: want the sync's own preview of the full read "+
			"that deletes u3, got %q", ofSync)
	}

	d.apply(e.config(base, sync("")))
	r, err := (&runner.Engine{Store: e.store}).Run(t.Context(), id, runner.RunOptions{})
	if err != nil || r.ReadMode != "full" || r.Counts.Deleted != 1 {
		t.Fatalf("the run after the apply: read %q, %+v, %v; want the full read that deletes u3", r.ReadMode, r.Counts, err)
	}
	// Columns as stored: a plan changes nothing, and previews nothing.
	if got := previews(d.plan(e.config(base, sync("")))); len(got) != 0 {
		t.Fatalf("nothing changes: %q", got)
	}
	if err := d.tf.Destroy(t.Context(), tfexec.Reattach(d.reattach)); err != nil {
		t.Fatalf("destroy: %v", err)
	}
}

// A plan that deletes a sync (its resource left the configuration) and changes what it reads (its
// model's columns, its model's SQL, its warehouse connection) previewed the sync's next run by the
// model's or the connection's plan: "will send ... 1 deleted records" of a sync that runs no more.
func TestAccPlanPreviewOfADeletedSync(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	e.execWarehouse(t, `INSERT INTO users (unique_id, email, first_name) VALUES ('u2', 'bob@example.com', 'Bob'),
		('u3', 'cy@example.com', 'Cy')`)
	d := newTFDir(t)
	base := e.syncBase(hook.URL)
	sync := syncResource("s", "Users", "all", `behavior    = "mirror"
  primary_key = "unique_id"
  cursor      = "created_at"
  mappings    = [{ from = "email", to = "email" }]`)
	d.apply(e.config(base, sync))
	var id int64
	if err := e.cp.QueryRow(t.Context(), `SELECT id FROM backflow.syncs WHERE name = 'Users'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := (&runner.Engine{Store: e.store}).Run(t.Context(), id, runner.RunOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.execWarehouse(t, `ALTER TABLE users ADD COLUMN nickname text`)
	e.execWarehouse(t, `DELETE FROM users WHERE unique_id = 'u3'`)
	// Without the sync: no preview of its next run, or one the sync's own says does not apply.
	check := func(what, hcl string) {
		t.Helper()
		got := previews(d.plan(hcl))
		var runs, deleted int
		for _, p := range got {
			if strings.Contains(p, "will send") {
				runs++
			}
			if strings.Contains(p, "The plan deletes the sync") {
				deleted++
			}
		}
		if runs > deleted {
			t.Errorf("%s, the sync deleted in the same plan: want no preview of its next run (or one the sync's own "+
				"says does not apply), got %q", what, got)
		}
	}
	check("the model's columns change", e.config(base))
	renamed := strings.Replace(base, `name     = "warehouse"`, `name     = "warehouse (renamed)"`, 1)
	check("the warehouse connection is renamed", e.config(renamed))
	check("the model's table changes", e.config(strings.Replace(base, `table = "users"`, `sql = "select * from users"`, 1)))
	// Kept, the sync is previewed as before.
	if got := previews(d.plan(e.config(base, sync))); len(got) != 1 || !strings.Contains(got[0], "1 deleted records") {
		t.Errorf("the sync kept: want its preview, got %q", got)
	}
	if err := d.tf.Destroy(t.Context(), tfexec.Reattach(d.reattach)); err != nil {
		t.Fatalf("destroy: %v", err)
	}
}
