package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// modifyPlan runs r's ModifyPlan for a plan of planned over state (nil: a create).
func modifyPlan(t *testing.T, r resource.ResourceWithModifyPlan, state, planned any) diag.Diagnostics {
	t.Helper()
	ctx := context.Background()
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	plan := tfsdk.Plan{Schema: sr.Schema}
	st := tfsdk.State{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)}
	d := plan.Set(ctx, planned)
	if state != nil {
		d.Append(st.Set(ctx, state)...)
	}
	if d.HasError() {
		t.Fatalf("build the request: %v", d)
	}
	resp := &resource.ModifyPlanResponse{Plan: plan}
	r.ModifyPlan(ctx, resource.ModifyPlanRequest{Plan: plan, State: st, Config: tfsdk.Config{Schema: sr.Schema, Raw: plan.Raw}}, resp)
	return resp.Diagnostics
}

func warnings(d diag.Diagnostics) []string {
	var out []string
	for _, w := range d.Warnings() {
		out = append(out, w.Summary()+": "+w.Detail())
	}
	return out
}

// A plan shows what the next run of a sync it creates or changes will send, computed from the
// planned definition, and what a model's new SQL makes its syncs send; never an error.
func TestPlanPreview(t *testing.T) {
	ctx := context.Background()
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Users: `CREATE TABLE users (id int PRIMARY KEY, email text, plan text);
		INSERT INTO users SELECT i, 'u' || i || '@example.com', 'free' FROM generate_series(1, 10) AS i`,
		HookURL: "http://127.0.0.1:1/x",
		Model: &controlplane.Model{Name: "users", SQL: "select * from users",
			Columns: []controlplane.Column{{Name: "id", Type: "int4"}, {Name: "email", Type: "text"}, {Name: "plan", Type: "text"}}},
	})
	store, m, hook, wh := w.Store, w.Model, w.Destination, w.WarehouseDB
	y := &controlplane.Sync{Name: "Users", ModelID: m.ID, DestinationID: hook.ID, Behavior: controlplane.BehaviorMirror,
		PrimaryKey: "id", BatchSize: 100, Guard: &controlplane.Guard{}}
	syncRes := &SyncResource{storeHolder{store: store}}
	asModel := func(y *controlplane.Sync) *syncModel {
		var s syncModel
		if d := s.fromSync(ctx, y); d.HasError() {
			t.Fatal(d)
		}
		return &s
	}

	// A new sync: everything is new.
	planned := asModel(y)
	planned.ID = types.Int64Unknown()
	got := warnings(modifyPlan(t, syncRes, nil, planned))
	if len(got) != 1 || !strings.Contains(got[0], `Backflow Preview: Sync "Users"`) ||
		!strings.Contains(got[0], "will send 10 new, 0 changed and 0 deleted records") || !strings.Contains(got[0], `new: ["1" "10" "2"]`) {
		t.Fatalf("create: %q", got)
	}

	// Stored and run once; then a plan that maps fewer columns changes every record.
	storeMarked(t, store, y)
	state := asModel(y)
	changed := *y
	changed.Mappings = []controlplane.Mapping{{From: "id", To: "id"}, {From: "email", To: "email"}}
	got = warnings(modifyPlan(t, syncRes, state, asModel(&changed)))
	if len(got) != 1 || !strings.Contains(got[0], "will send 0 new, 10 changed and 0 deleted records") {
		t.Fatalf("mapping change: %q", got)
	}
	// Nothing that changes what it sends: no preview. Preview off: none either.
	if got := warnings(modifyPlan(t, syncRes, state, state)); len(got) != 0 {
		t.Errorf("no change: %q", got)
	}
	off := &SyncResource{storeHolder{store: store, preview: previewSettings{mode: PreviewOff}}}
	if got := warnings(modifyPlan(t, off, state, asModel(&changed))); len(got) != 0 {
		t.Errorf("preview off: %q", got)
	}

	// The model's SQL changes in the plan: its sync's next run, with the planned SQL.
	modelRes := &ModelResource{storeHolder{store: store}}
	var ms modelModel
	if d := ms.fromModel(ctx, m); d.HasError() {
		t.Fatal(d)
	}
	mp := ms
	mp.SQL = types.StringValue("select * from users where id <= 7")
	got = warnings(modifyPlan(t, modelRes, &ms, &mp))
	if len(got) != 1 || !strings.Contains(got[0], "will send 0 new, 0 changed and 3 deleted records") ||
		!strings.Contains(got[0], `deleted: ["10" "8" "9"]`) {
		t.Fatalf("model SQL change: %q", got)
	}

	// A warehouse that cannot be read: a warning, not an error.
	if _, err := wh.Exec(ctx, `DROP TABLE users`); err != nil {
		t.Fatal(err)
	}
	d := modifyPlan(t, syncRes, state, asModel(&changed))
	if d.HasError() || len(d.Warnings()) != 1 || !strings.Contains(d.Warnings()[0].Summary(), "Backflow Preview Unavailable") {
		t.Errorf("unreadable warehouse: %v", d)
	}
}

// A sync that sends its primary key only hashed (e-mail addresses for ad matching) does not
// show the keys in plan output as they are: the plan would print what the sync hashes so as
// not to send it.
func TestPlanPreviewHashedKey(t *testing.T) {
	ctx := context.Background()
	w := emailUsersWorld(t, 3)
	syncRes := &SyncResource{storeHolder{store: w.Store}}
	behavior := controlplane.BehaviorMirror
	plan := func(mappings ...controlplane.Mapping) string {
		y := &controlplane.Sync{Name: "Audience", ModelID: w.Model.ID, DestinationID: w.Destination.ID,
			Behavior: behavior, PrimaryKey: "email", BatchSize: 100, Mappings: mappings}
		var s syncModel
		if d := s.fromSync(ctx, y); d.HasError() {
			t.Fatal(d)
		}
		s.ID = types.Int64Unknown()
		got := warnings(modifyPlan(t, syncRes, nil, &s))
		if len(got) != 1 || !strings.Contains(got[0], "will send 3 new, 0 changed and 0 deleted records") {
			t.Fatalf("preview: %q", got)
		}
		return got[0]
	}
	hashed := controlplane.Mapping{From: "email", To: "email_sha256", Hash: "sha256", Normalize: []string{"trim", "lowercase"}}
	got := plan(hashed, controlplane.Mapping{From: "id", To: "id"})
	if strings.Contains(got, "@example.com") || !strings.Contains(got, `Sample keys are not shown: the sync sends its primary key "email" only hashed`) {
		t.Errorf("key sent only hashed: %q", got)
	}
	// Sent as it is too, or every column as it is: the keys are what the destination receives anyway.
	if got := plan(hashed, controlplane.Mapping{From: "email", To: "email"}); !strings.Contains(got, `new: ["u1@example.com"`) {
		t.Errorf("key sent as it is too: %q", got)
	}
	if got := plan(); !strings.Contains(got, `new: ["u1@example.com"`) {
		t.Errorf("no mappings: %q", got)
	}
	// A key no mapping sends: a mirror sync sends it as it is in its deletes, so the plan shows
	// it; an update_or_create or append sync never sends it, so the plan does not either (a
	// sync keyed on a national id number that sends only names and e-mail addresses).
	id := controlplane.Mapping{From: "id", To: "id"}
	if got := plan(id); !strings.Contains(got, `new: ["u1@example.com"`) {
		t.Errorf("mirror, key not mapped (sent in its deletes): %q", got)
	}
	for _, behavior = range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorAppend} {
		got := plan(id)
		if strings.Contains(got, "@example.com") ||
			!strings.Contains(got, `Sample keys are not shown: the sync never sends its primary key "email"`) {
			t.Errorf("%s, key not mapped: %q", behavior, got)
		}
		if got := plan(hashed, id); strings.Contains(got, "@example.com") {
			t.Errorf("%s, key sent only hashed: %q", behavior, got)
		}
	}
}

// A plan writes nothing: its previews of a sync (with a cursor, its ledger, marks and intents
// read) and of a model's syncs work on a control plane and a warehouse whose sessions may only
// read.
func TestPlanPreviewWritesNothing(t *testing.T) {
	ctx := context.Background()
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Users: `CREATE TABLE users (id int PRIMARY KEY, email text, updated_at timestamp NOT NULL DEFAULT now());
		INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(1, 5) AS i`,
		HookURL: "http://127.0.0.1:1/x",
		Model: &controlplane.Model{Name: "users", SQL: "select * from users",
			Columns: []controlplane.Column{{Name: "id", Type: "int4"}, {Name: "email", Type: "text"}, {Name: "updated_at", Type: "timestamp"}}},
	})
	store, m := w.Store, w.Model
	y := &controlplane.Sync{Name: "Users", ModelID: m.ID, DestinationID: w.Destination.ID, Behavior: controlplane.BehaviorMirror,
		PrimaryKey: "id", BatchSize: 100, Cursor: "updated_at", Initial: controlplane.InitialSkipExisting}
	if err := store.CreateSync(ctx, y); err != nil {
		t.Fatal(err)
	}
	if _, err := (&runner.Engine{Store: store}).Run(ctx, y.ID, runner.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{w.URL, w.WarehouseURL} {
		cfg, err := pgx.ParseConfig(u)
		if err != nil {
			t.Fatal(err)
		}
		pool := controlplanetest.Pool(t, u)
		if _, err := pool.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s SET default_transaction_read_only = on`,
			pgx.Identifier{cfg.Database}.Sanitize())); err != nil {
			t.Fatal(err)
		}
	}
	store.Pool().Reset() // new sessions: read-only
	if err := store.Pool().QueryRow(ctx, `SELECT 1 FROM pg_settings WHERE name = 'default_transaction_read_only' AND setting = 'on'`).Scan(new(int)); err != nil {
		t.Fatalf("the control plane's sessions are not read-only: %v", err)
	}

	var s syncModel
	if d := s.fromSync(ctx, y); d.HasError() {
		t.Fatal(d)
	}
	cy := *y
	cy.Mappings = []controlplane.Mapping{{From: "id", To: "id"}, {From: "email", To: "email"}}
	var changed syncModel
	if d := changed.fromSync(ctx, &cy); d.HasError() {
		t.Fatal(d)
	}
	got := warnings(modifyPlan(t, &SyncResource{storeHolder{store: store}}, &s, &changed))
	if len(got) != 1 || !strings.Contains(got[0], `Backflow Preview: Sync "Users"`) || strings.Contains(got[0], "Unavailable") {
		t.Fatalf("sync plan on a read-only control plane: %q", got)
	}
	var ms modelModel
	if d := ms.fromModel(ctx, m); d.HasError() {
		t.Fatal(d)
	}
	mp := ms
	mp.SQL = types.StringValue("select * from users where id <= 3")
	got = warnings(modifyPlan(t, &ModelResource{storeHolder{store: store}}, &ms, &mp))
	if len(got) != 1 || !strings.Contains(got[0], `Backflow Preview: Sync "Users"`) || strings.Contains(got[0], "Unavailable") {
		t.Fatalf("model plan on a read-only control plane: %q", got)
	}
	// The test's premise: a write would have failed.
	if err := store.CreateSync(ctx, &controlplane.Sync{Name: "Other", ModelID: m.ID, DestinationID: w.Destination.ID,
		Behavior: controlplane.BehaviorMirror, PrimaryKey: "id", BatchSize: 100}); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a write to the read-only control plane: %v, want it refused", err)
	}
}

// A plan that changes how a sync with a cursor reads (full_read_every, cursor_lookback) shows its
// next run: a full_read_every shorter than the time since the last full read makes that run read
// the whole model, and send the deletes its incremental reads did not see.
func TestPlanPreviewReadPolicy(t *testing.T) {
	ctx := context.Background()
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Users: `CREATE TABLE users (id int PRIMARY KEY, email text, updated_at timestamp NOT NULL DEFAULT now());
		INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(1, 5) AS i`,
		HookURL: "http://127.0.0.1:1/x",
		Model: &controlplane.Model{Name: "users", SQL: "select * from users",
			Columns: []controlplane.Column{{Name: "id", Type: "int4"}, {Name: "email", Type: "text"}, {Name: "updated_at", Type: "timestamp"}}},
	})
	store := w.Store
	y := &controlplane.Sync{Name: "Users", ModelID: w.Model.ID, DestinationID: w.Destination.ID, Behavior: controlplane.BehaviorMirror,
		PrimaryKey: "id", BatchSize: 100, Cursor: "updated_at"}
	if err := store.CreateSync(ctx, y); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{controlplane.ReadFull, controlplane.ReadIncremental} {
		run, err := (&runner.Engine{Store: store}).Run(ctx, y.ID, runner.RunOptions{MarkDelivered: want == controlplane.ReadFull})
		if err != nil || run.ReadMode != want {
			t.Fatalf("run: read %q, %v; want %q", run.ReadMode, err, want)
		}
	}
	if _, err := w.WarehouseDB.Exec(ctx, `DELETE FROM users WHERE id = 5`); err != nil {
		t.Fatal(err)
	}
	// The last full read 2 hours ago, of a warehouse connection written before it.
	if _, err := store.Pool().Exec(ctx, `UPDATE backflow.sync_cursors SET full_read_at = now() - interval '2 hours' WHERE sync_id = $1`,
		y.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Pool().Exec(ctx, `UPDATE backflow.connections SET updated_at = now() - interval '3 hours'`); err != nil {
		t.Fatal(err)
	}
	var state, planned syncModel
	if d := state.fromSync(ctx, y); d.HasError() {
		t.Fatal(d)
	}
	py := *y
	py.FullReadEvery = "1h"
	if d := planned.fromSync(ctx, &py); d.HasError() {
		t.Fatal(d)
	}
	got := warnings(modifyPlan(t, &SyncResource{storeHolder{store: store}}, &state, &planned))
	if len(got) != 1 || !strings.Contains(got[0], "will send 0 new, 0 changed and 1 deleted records") ||
		!strings.Contains(got[0], "It reads the whole model (the last full read was") {
		t.Fatalf("full_read_every shortened: %q", got)
	}
	py = *y
	py.CursorLookback = "1h"
	if d := planned.fromSync(ctx, &py); d.HasError() {
		t.Fatal(d)
	}
	got = warnings(modifyPlan(t, &SyncResource{storeHolder{store: store}}, &state, &planned))
	if len(got) != 1 || !strings.Contains(got[0], "will send 0 new, 0 changed and 0 deleted records") ||
		!strings.Contains(got[0], "It reads incrementally") ||
		!regexp.MustCompile(`A run started at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ or later reads the whole model instead \(full_read_every = `).MatchString(got[0]) {
		t.Fatalf("cursor_lookback changed: %q", got)
	}
}

// With preview = "always", a sync the plan leaves as it is previews the run that follows, which
// reads incrementally on a mark a release before 5 Dec 2026 saved (its send_nulls = false left
// out of the mark's digest) when the sync was not written since the last full read: the preview
// said "full read", the planned sync having no time it was written.
func TestPlanPreviewAlwaysUnchangedSyncLegacyMark(t *testing.T) {
	ctx := context.Background()
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Users: `CREATE TABLE users (id int PRIMARY KEY, email text, updated_at timestamp NOT NULL DEFAULT now());
		INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM generate_series(1, 5) AS i`,
		HookURL: "http://127.0.0.1:1/x",
		Model: &controlplane.Model{Name: "users", SQL: "select * from users",
			Columns: []controlplane.Column{{Name: "id", Type: "int4"}, {Name: "email", Type: "text"}, {Name: "updated_at", Type: "timestamp"}}},
	})
	store := w.Store
	y := &controlplane.Sync{Name: "Users", ModelID: w.Model.ID, DestinationID: w.Destination.ID, Behavior: controlplane.BehaviorMirror,
		PrimaryKey: "id", BatchSize: 100, Cursor: "updated_at"}
	storeMarked(t, store, y)
	// The mark as an earlier release saved it for a sync with send_nulls = false: its digest
	// without omit_nulls; the sync, its model and its connection written before the full read.
	for _, q := range []string{
		`UPDATE backflow.syncs SET omit_nulls = true, updated_at = now() - interval '3 hours'`,
		`UPDATE backflow.models SET updated_at = now() - interval '3 hours'`,
		`UPDATE backflow.connections SET updated_at = now() - interval '3 hours'`,
		`UPDATE backflow.sync_cursors SET full_read_at = now() - interval '2 hours'`,
	} {
		if _, err := store.Pool().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	dr, err := (&runner.Engine{Store: store}).DryRun(ctx, y.ID, false, 3)
	if err != nil || dr.ReadMode != controlplane.ReadIncremental {
		t.Fatalf("dry run: read %q, %v; want %q", dr.ReadMode, err, controlplane.ReadIncremental)
	}
	stored, err := store.GetSync(ctx, y.ID)
	if err != nil {
		t.Fatal(err)
	}
	var state syncModel
	if d := state.fromSync(ctx, stored); d.HasError() {
		t.Fatal(d)
	}
	always := &SyncResource{storeHolder{store: store, preview: previewSettings{mode: PreviewAlways}}}
	got := warnings(modifyPlan(t, always, &state, &state))
	if len(got) != 1 || !strings.Contains(got[0], "It reads incrementally") {
		t.Fatalf("unchanged sync, preview = always: %q", got)
	}
	// A plan that changes the sync (its batch_size) writes it: the run after apply reads in full.
	planned := state
	planned.BatchSize = wholeNumberValue(50)
	got = warnings(modifyPlan(t, always, &state, &planned))
	if len(got) != 1 || !strings.Contains(got[0], "It reads the whole model") {
		t.Fatalf("changed sync, preview = always: %q", got)
	}
}

// The previews of one plan together read the warehouse for at most the provider's
// preview_budget: a model change previewed every sync of the model in turn, each reading the
// model again for up to preview_timeout (40 syncs of a slow model: 20 minutes of plan). Once the
// budget is used, the previews left say they were skipped, why, and how to see them.
func TestPlanPreviewBudget(t *testing.T) {
	ctx := context.Background()
	w := emailUsersWorld(t, 5)
	store, m := w.Store, w.Model
	for i := range 4 {
		y := &controlplane.Sync{Name: fmt.Sprintf("Users %d", i), ModelID: m.ID, DestinationID: w.Destination.ID,
			Behavior: controlplane.BehaviorMirror, PrimaryKey: "id", BatchSize: 100}
		if err := store.CreateSync(ctx, y); err != nil {
			t.Fatal(err)
		}
	}
	var ms modelModel
	if d := ms.fromModel(ctx, m); d.HasError() {
		t.Fatal(d)
	}
	mp := ms
	// Each read takes 3 s, the budget is 5 s: the first preview ends within it however slow the
	// machine (2 s to spare), and the second, left 2 s at most, is cut by the budget for sure.
	mp.SQL = types.StringValue("select u.* from users u, pg_sleep(3)")
	budget := &previewBudget{limit: 5 * time.Second}
	modelRes := &ModelResource{storeHolder{store: store, preview: previewSettings{timeout: 30 * time.Second, budget: budget}}}
	got := warnings(modifyPlan(t, modelRes, &ms, &mp))
	if len(got) != 4 || !strings.Contains(got[0], `Backflow Preview: Sync "Users 0"`) {
		t.Fatalf("previews: %q", got)
	}
	for _, g := range got[2:] {
		if !strings.Contains(g, "Backflow Preview Skipped") || !strings.Contains(g, "preview_budget") ||
			!strings.Contains(g, "--dry-run") {
			t.Errorf("a preview past the budget: %q", g)
		}
	}
	// That the plan's reads stop at the budget shows in what it says, not in how long it took:
	// the preview it ran out in was cut short by what was left of it, and the previews after it
	// did not read at all.
	if !strings.Contains(got[1], "preview_budget") {
		t.Errorf("the preview the budget ran out in: %q", got[1])
	}
}

// A preview the warehouse refuses over a value (a model casting a text column) does not print
// that value in the plan: Postgres quotes it in its error ("invalid input syntax for type
// integer: "<value>""), and plans are printed where the warehouse's data is not (CI logs, pull
// requests). The error says what failed and where, with the value left out.
func TestPlanPreviewHidesQuotedValue(t *testing.T) {
	ctx := context.Background()
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Users: `CREATE TABLE users (id int PRIMARY KEY, email text);
		INSERT INTO users VALUES (1, 'alice.secret@example.com')`,
		HookURL: "http://127.0.0.1:1/x",
		Model: &controlplane.Model{Name: "users", SQL: "select * from users",
			Columns: []controlplane.Column{{Name: "id", Type: "int4"}, {Name: "email", Type: "text"}}},
	})
	y := &controlplane.Sync{Name: "Users", ModelID: w.Model.ID, DestinationID: w.Destination.ID,
		Behavior: controlplane.BehaviorMirror, PrimaryKey: "id", BatchSize: 100}
	if err := w.Store.CreateSync(ctx, y); err != nil {
		t.Fatal(err)
	}
	var ms modelModel
	if d := ms.fromModel(ctx, w.Model); d.HasError() {
		t.Fatal(d)
	}
	mp := ms
	mp.SQL = types.StringValue(`select id, email::int AS "n" from users`)
	got := warnings(modifyPlan(t, &ModelResource{storeHolder{store: w.Store}}, &ms, &mp))
	if len(got) != 1 || !strings.Contains(got[0], `Backflow Preview Unavailable: Sync "Users"`) ||
		!strings.Contains(got[0], "invalid input syntax for type integer") || !strings.Contains(got[0], "SQLSTATE 22P02") {
		t.Fatalf("previews: %q", got)
	}
	if strings.Contains(got[0], "alice") || !strings.Contains(got[0], `integer: "[value not shown]"`) {
		t.Errorf("the plan prints the value the warehouse quoted: %q", got[0])
	}
}

// storeMarked stores sync y and records its model's records as delivered (--mark-delivered): a
// sync that has run once, whose next run sends only what changes.
func storeMarked(t *testing.T, store *controlplane.Store, y *controlplane.Sync) {
	t.Helper()
	ctx := context.Background()
	if err := store.CreateSync(ctx, y); err != nil {
		t.Fatal(err)
	}
	if _, err := (&runner.Engine{Store: store}).Run(ctx, y.ID, runner.RunOptions{MarkDelivered: true}); err != nil {
		t.Fatal(err)
	}
}

// emailUsersWorld is a world whose warehouse holds n users (id, and email u<id>@example.com),
// its model reading them all, and a webhook that does not answer.
func emailUsersWorld(t *testing.T, n int) *controlplanetest.World {
	return controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Users: fmt.Sprintf(`CREATE TABLE users (id int PRIMARY KEY, email text);
		INSERT INTO users SELECT i, 'u' || i || '@example.com' FROM generate_series(1, %d) AS i`, n),
		HookURL: "http://127.0.0.1:1/x",
		Model: &controlplane.Model{Name: "users", SQL: "select * from users",
			Columns: []controlplane.Column{{Name: "id", Type: "int4"}, {Name: "email", Type: "text"}}},
	})
}

// newSyncPlan is the plan of a new update_or_create sync "s" keyed on id, of model modelID to
// connection destID.
func newSyncPlan(t *testing.T, modelID, destID int64) *syncModel {
	var s syncModel
	if d := s.fromSync(context.Background(), &controlplane.Sync{Name: "s", ModelID: modelID, DestinationID: destID,
		Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "id", BatchSize: 100}); d.HasError() {
		t.Fatal(d)
	}
	s.ID = types.Int64Unknown()
	return &s
}

// A sync whose guard, initial or a mapping is known only after apply (it names another
// resource's attribute) is not previewed with a stand-in for it: an unknown max_changed_percent
// read as 0 said the next run "would be BLOCKED by its guard", an unknown initial read as
// send_all that it sends every record, though the apply may set neither so.
func TestPlanPreviewPartlyUnknownSync(t *testing.T) {
	ctx := context.Background()
	w := emailUsersWorld(t, 10)
	syncRes := &SyncResource{storeHolder{store: w.Store}}
	unavailable := func(what string, got []string) {
		t.Helper()
		if len(got) != 1 || !strings.Contains(got[0], `Backflow Preview Unavailable: Sync "s"`) ||
			!strings.Contains(got[0], "depends on values known only after apply") {
			t.Errorf("%s: %q, want the preview unavailable until apply", what, got)
		}
	}

	// A new sync whose initial is unknown: skip_existing would send nothing.
	planned := newSyncPlan(t, w.Model.ID, w.Destination.ID)
	planned.Initial = types.StringUnknown()
	unavailable("unknown initial", warnings(modifyPlan(t, syncRes, nil, planned)))

	// A new sync with a mapping whose name is unknown.
	planned = newSyncPlan(t, w.Model.ID, w.Destination.ID)
	mappings, d := types.ListValue(mappingType, []attr.Value{types.ObjectValueMust(mappingType.AttrTypes, map[string]attr.Value{
		"from": types.StringValue("email"), "to": types.StringUnknown(), "constant": types.StringNull(),
		"metadata": types.StringNull(), "hash": types.StringNull(), "normalize": types.ListNull(types.StringType),
	})})
	if d.HasError() {
		t.Fatal(d)
	}
	planned.Mappings = mappings
	unavailable("unknown mapping", warnings(modifyPlan(t, syncRes, nil, planned)))

	// A sync delivered once whose mappings change every record, with a guard known at apply.
	y := &controlplane.Sync{Name: "s", ModelID: w.Model.ID, DestinationID: w.Destination.ID,
		Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "id", BatchSize: 100}
	storeMarked(t, w.Store, y)
	var state syncModel
	if d := state.fromSync(ctx, y); d.HasError() {
		t.Fatal(d)
	}
	changed := *y
	changed.Mappings = []controlplane.Mapping{{From: "id", To: "id"}}
	var plan syncModel
	if d := plan.fromSync(ctx, &changed); d.HasError() {
		t.Fatal(d)
	}
	plan.Guard = types.ObjectValueMust(guardAttrTypes, map[string]attr.Value{
		"max_deleted": types.NumberNull(), "max_deleted_percent": types.Float64Null(),
		"max_changed_percent": types.Float64Unknown(), "min_model_rows": types.NumberNull(),
	})
	unavailable("unknown guard", warnings(modifyPlan(t, syncRes, &state, &plan)))
}

// A sync changed in a plan that also changes its model's SQL to one known only at apply is not
// previewed reading the model as stored: that is not what its next run reads.
func TestPlanPreviewModelKnownAtApply(t *testing.T) {
	ctx := context.Background()
	w := emailUsersWorld(t, 10)
	ps := previewSettings{models: &planned[controlplane.Model]{}, conns: &planned[controlplane.Connection]{},
		later: &planned[struct{}]{}, laterModels: &planned[struct{}]{}}
	modelRes := &ModelResource{storeHolder{store: w.Store, preview: ps}}
	syncRes := &SyncResource{storeHolder{store: w.Store, preview: ps}}
	y := &controlplane.Sync{Name: "s", ModelID: w.Model.ID, DestinationID: w.Destination.ID,
		Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "id", BatchSize: 100}
	storeMarked(t, w.Store, y)
	var ms modelModel
	if d := ms.fromModel(ctx, w.Model); d.HasError() {
		t.Fatal(d)
	}
	mp := ms
	mp.SQL = types.StringUnknown() // e.g. "select * from users where id < ${terraform_data.x.output}"
	if d := modifyPlan(t, modelRes, &ms, &mp); d.HasError() {
		t.Fatal(d)
	}
	var state, plan syncModel
	changed := *y
	changed.Mappings = []controlplane.Mapping{{From: "id", To: "id"}}
	if d := state.fromSync(ctx, y); d.HasError() {
		t.Fatal(d)
	}
	if d := plan.fromSync(ctx, &changed); d.HasError() {
		t.Fatal(d)
	}
	got := warnings(modifyPlan(t, syncRes, &state, &plan))
	if len(got) != 1 || !strings.Contains(got[0], `Backflow Preview Unavailable: Sync "s"`) ||
		!strings.Contains(got[0], "depends on values known only after apply") {
		t.Errorf("%q, want the preview unavailable until apply, not the model as stored", got)
	}
}

// A sync with no mappings whose request templates hash its key (an e-mail hashed for an ad
// audience) sends the key only hashed, as a `hash` mapping does: the plan does not show the
// keys either, nor when they send a part of it. A template that sends it whole and recognisably
// (as it is, url_encoded, downcased, upcased, appended to) does.
func TestPlanPreviewKeyHashedInRequest(t *testing.T) {
	ctx := context.Background()
	w := emailUsersWorld(t, 3)
	syncRes := &SyncResource{storeHolder{store: w.Store}}
	plan := func(req *controlplane.RequestSpec) string {
		y := &controlplane.Sync{Name: "Audience", ModelID: w.Model.ID, DestinationID: w.Destination.ID,
			Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "email", BatchSize: 100, Request: req}
		var s syncModel
		if d := s.fromSync(ctx, y); d.HasError() {
			t.Fatal(d)
		}
		s.ID = types.Int64Unknown()
		d := modifyPlan(t, syncRes, nil, &s)
		got := warnings(d)
		if len(got) != 1 || !strings.Contains(got[0], "will send 3 new, 0 changed and 0 deleted records") {
			t.Fatalf("preview: %q %v", got, d)
		}
		return got[0]
	}
	record := func(op controlplane.OperationRequest) *controlplane.RequestSpec {
		return &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord, New: &op}
	}
	for name, req := range map[string]*controlplane.RequestSpec{
		"body sha256":  record(controlplane.OperationRequest{Method: "POST", Body: `{"h": {{ record.email | sha256 | json }}}`}),
		"body part":    record(controlplane.OperationRequest{Method: "POST", Body: `{"user": {{ record.email | split: "@" | first | json }}}`}),
		"path sha256":  record(controlplane.OperationRequest{Method: "PUT", Path: `/members/{{ record.email | downcase | sha256 }}`}),
		"key left out": record(controlplane.OperationRequest{Method: "POST", Body: `{"id": {{ record.id }}}`}),
		"batch sha256": {Mode: controlplane.RequestModeBatch, New: &controlplane.OperationRequest{Method: "POST",
			Body: `[{% for r in records %}{% if forloop.index > 1 %},{% endif %}{{ r.email | sha256 | json }}{% endfor %}]`}},
	} {
		if got := plan(req); strings.Contains(got, "@example.com") ||
			!strings.Contains(got, `Sample keys are not shown: the sync's requests never carry its primary key "email" whole`) {
			t.Errorf("%s: %q", name, got)
		}
	}
	for name, req := range map[string]*controlplane.RequestSpec{
		"body as it is": record(controlplane.OperationRequest{Method: "POST", Body: `{"e": {{ record.email | json }}}`}),
		"body downcase": record(controlplane.OperationRequest{Method: "POST", Body: `{"e": {{ record.email | downcase | json }}}`}),
		"body upcase":   record(controlplane.OperationRequest{Method: "POST", Body: `{"e": {{ record.email | upcase | append: "!" | json }}}`}),
		"path":          record(controlplane.OperationRequest{Method: "PUT", Path: `/members/{{ record.email | url_encode }}`}),
		"batch": {Mode: controlplane.RequestModeBatch, New: &controlplane.OperationRequest{Method: "POST",
			Body: `{"emails": {{ records | map: "email" | json }}}`}},
	} {
		if got := plan(req); !strings.Contains(got, `new: ["u1@example.com"`) {
			t.Errorf("%s: %q", name, got)
		}
	}
}

// A model's or a warehouse connection's plan and the deletion of one of their syncs may be
// planned in either order: the preview of a deleted sync's next run is not shown, or the sync's
// own plan says it is deleted (previewOf, deletedSync).
func TestPreviewOfADeletedSyncEitherOrder(t *testing.T) {
	ps := previewSettings{shown: &planned[struct{}]{}, deleted: &planned[struct{}]{}}
	if !ps.previewOf(1) || !ps.deletedSync(1) {
		t.Error("the model planned first: its preview is shown, and the deletion must say it does not apply")
	}
	if ps.deletedSync(2) || ps.previewOf(2) {
		t.Error("the deletion planned first: the model must not preview the deleted sync")
	}
	for i := range 2 {
		if !ps.previewOf(3) {
			t.Errorf("a sync not deleted is previewed, by the model's or connection's plan %d", i+1)
		}
	}
}
