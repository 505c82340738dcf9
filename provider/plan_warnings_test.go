package provider

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// tfDir is a working directory in which a test drives the real Terraform (or OpenTofu) CLI
// against this provider served from the test process, as terraform-plugin-testing does, for what
// its TestSteps cannot check: the warnings a plan prints.
type tfDir struct {
	t        *testing.T
	tf       *tfexec.Terraform
	dir      string
	reattach tfexec.ReattachInfo
}

// newTFDir serves the provider in the test process (the CLI reattaches to it) and prepares an
// empty working directory for the CLI named by TF_ACC_TERRAFORM_PATH.
func newTFDir(t *testing.T) *tfDir {
	t.Helper()
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH is not set: scripts/test.sh sets it to the CLI it finds or builds")
	}
	host := os.Getenv("TF_ACC_PROVIDER_HOST")
	if host == "" {
		host = "registry.terraform.io"
	}
	ns := os.Getenv("TF_ACC_PROVIDER_NAMESPACE")
	if ns == "" {
		ns = "backflowhq"
	}
	addr := host + "/" + ns + "/backflow"

	ctx, cancel := context.WithCancel(context.Background())
	cfgCh := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go func() {
		err := tf6server.Serve(addr, providerserver.NewProtocol6(New("test")()),
			tf6server.WithDebug(ctx, cfgCh, closed), tf6server.WithLoggingSink(t),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()))
		if err != nil {
			t.Errorf("serve the provider: %v", err)
		}
	}()
	var cfg *plugin.ReattachConfig
	select {
	case cfg = <-cfgCh:
	case <-closed:
		cancel()
		t.Fatal("the provider server stopped before it started")
	}
	t.Cleanup(func() { cancel(); <-closed })

	dir := t.TempDir()
	tf, err := tfexec.NewTerraform(dir, bin)
	if err != nil {
		t.Fatal(err)
	}
	d := &tfDir{t: t, tf: tf, dir: dir, reattach: tfexec.ReattachInfo{addr: {
		Protocol: string(cfg.Protocol), ProtocolVersion: cfg.ProtocolVersion, Pid: cfg.Pid, Test: cfg.Test,
		Addr: tfexec.ReattachConfigAddr{Network: cfg.Addr.Network(), String: cfg.Addr.String()},
	}}}
	return d
}

// write replaces the configuration with hcl (after a required_providers block naming this
// provider) and runs init the first time.
func (d *tfDir) write(hcl string) {
	d.t.Helper()
	head := "terraform {\n  required_providers {\n    backflow = { source = \"backflowhq/backflow\" }\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(d.dir, "main.tf"), []byte(head+hcl), 0o600); err != nil {
		d.t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d.dir, ".terraform")); os.IsNotExist(err) {
		if err := d.tf.Init(d.t.Context(), tfexec.Reattach(d.reattach)); err != nil {
			d.t.Fatalf("init: %v", err)
		}
	}
}

func (d *tfDir) apply(hcl string) {
	d.t.Helper()
	d.write(hcl)
	if err := d.tf.Apply(d.t.Context(), tfexec.Reattach(d.reattach)); err != nil {
		d.t.Fatalf("apply: %v", err)
	}
}

// planDiag is one diagnostic of a plan's machine-readable output.
type planDiag struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Address  string `json:"address"`
}

// plan plans hcl (nothing is applied) and returns the plan's diagnostics; a failed plan fails
// the test.
func (d *tfDir) plan(hcl string) []planDiag {
	d.t.Helper()
	diags, err := d.tryPlan(hcl)
	if err != nil {
		d.t.Fatalf("plan: %v\n%+v", err, diags)
	}
	return diags
}

// tryPlan plans hcl (nothing is applied) and returns the plan's diagnostics and its error.
func (d *tfDir) tryPlan(hcl string) ([]planDiag, error) {
	d.t.Helper()
	d.write(hcl)
	var out bytes.Buffer
	_, planErr := d.tf.PlanJSON(d.t.Context(), &out, tfexec.Reattach(d.reattach))
	var diags []planDiag
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		var line struct {
			Type       string    `json:"type"`
			Diagnostic *planDiag `json:"diagnostic"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Type == "diagnostic" && line.Diagnostic != nil {
			diags = append(diags, *line.Diagnostic)
		}
	}
	if err := sc.Err(); err != nil {
		d.t.Fatal(err)
	}
	return diags, planErr
}

// previews keeps the Backflow preview warnings among diags, as "summary: detail".
func previews(diags []planDiag) []string {
	var got []string
	for _, d := range diags {
		if d.Severity == "warning" && strings.HasPrefix(d.Summary, "Backflow Preview") {
			got = append(got, d.Summary+": "+d.Detail)
		}
	}
	return got
}

// What a plan prints, with the real CLI: for each case of the review issue, the preview warning
// with its exact counts, or none.
func TestAccPlanPreviewWarnings(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	e.execWarehouse(t, `INSERT INTO users (unique_id, email, first_name) VALUES ('u2', 'bob@example.com', 'Bob'),
		('u3', 'cy@example.com', 'Cy')`)
	d := newTFDir(t)
	// A second warehouse connection and a second webhook, for plans that replace the sync.
	base := e.syncBase(hook.URL) + e.warehouseConnection("w2", "warehouse 2") +
		webhookConnection("hook2", "Webhook 2", hook.URL+"/2", "")
	sync := func(mappings string) string {
		return syncResource("s", "Users", "all", `behavior    = "mirror"
  primary_key = "unique_id"
  mappings    = `+mappings)
	}
	oneMapping := `[{ from = "email", to = "email" }]`
	twoMappings := `[{ from = "email", to = "email" }, { from = "first_name", to = "first_name" }]`
	expect := func(step string, got []string, want ...string) {
		t.Helper()
		if len(got) != 1 {
			t.Fatalf("%s: want one preview warning, got %d: %q", step, len(got), got)
		}
		for _, w := range want {
			if !strings.Contains(got[0], w) {
				t.Fatalf("%s: the preview warning lacks %q:\n%s", step, w, got[0])
			}
		}
	}

	// The connections and models first: a sync planned with its model is previewed.
	d.apply(e.config(base))

	// A new sync: every row of the model is new.
	expect("new sync", previews(d.plan(e.config(base, sync(oneMapping)))),
		`Backflow Preview: Sync "Users"`, "will send 3 new, 0 changed and 0 deleted records",
		"The model returned 3 rows (0 invalid)", `new: ["u1" "u2" "u3"]`)
	d.apply(e.config(base, sync(oneMapping)))
	if got := previews(d.plan(e.config(base, sync(oneMapping)))); len(got) != 0 {
		t.Fatalf("nothing changed in the configuration, yet a preview: %q", got)
	}

	// Delivered once; then a mapping change changes every record.
	var id int64
	if err := e.cp.QueryRow(t.Context(), `SELECT id FROM backflow.syncs WHERE name = 'Users'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := (&runner.Engine{Store: e.store}).Run(t.Context(), id, runner.RunOptions{}); err != nil {
		t.Fatalf("run the sync: %v", err)
	}
	expect("mapping change", previews(d.plan(e.config(base, sync(twoMappings)))),
		"will send 0 new, 3 changed and 0 deleted records", `changed: ["u1" "u2" "u3"]`)
	// A paused sync runs only once resumed: the preview says so before what that run would send.
	expect("paused", previews(d.plan(e.config(base, sync(twoMappings+"\n  paused = true")))),
		"The sync is paused: no run sends anything until `paused = false` is applied",
		"Once resumed, its next run (as the warehouse is now) will send 0 new, 3 changed and 0 deleted records")

	// A plan that replaces the sync (a new primary_key or destination, or a model replaced by a
	// new connection_id) previews the new sync, whose ledger is empty: all 3 records new, none
	// deleted, not the old ledger's keys as deleted (a mirror sync: blocked by its default guard).
	replacedBy := func(why string) []string {
		return []string{"The plan replaces the sync (" + why + ")", "will send 3 new, 0 changed and 0 deleted records"}
	}
	expect("primary_key change", previews(d.plan(e.config(base, strings.Replace(sync(oneMapping),
		`primary_key = "unique_id"`, `primary_key = "email"`, 1)))), replacedBy("its primary_key changes")...)
	expect("destination change", previews(d.plan(e.config(base, strings.Replace(sync(oneMapping),
		"backflow_connection.hook.id", "backflow_connection.hook2.id", 1)))), replacedBy("its destination_id changes")...)
	moved := strings.Replace(base, "connection_id = backflow_connection.w.id\n  table", "connection_id = backflow_connection.w2.id\n  table", 1)
	if moved == base {
		t.Fatal("the test's base configuration no longer has the table model it moves")
	}
	var fromModel, fromSync []string
	for _, p := range previews(d.plan(e.config(moved, sync(oneMapping)))) {
		if strings.Contains(p, "Preview Unavailable") { // the sync's own: its model_id is unknown until apply
			fromSync = append(fromSync, p)
		} else {
			fromModel = append(fromModel, p)
		}
	}
	expect("model connection change", fromModel, replacedBy("its model is replaced: the model's connection_id changes")...)
	expect("model connection change, the sync's plan", fromSync, "The plan replaces the sync (its model_id changes)",
		"known only after apply")

	// The warehouse connection's url changes in place, to a database where u2 and u3 are gone:
	// nothing else in the plan changes, yet the sync's next run reads there. The connection's plan
	// shows that run: the mirror sync's default guard blocks its 2 deletes of 3.
	other := controlplanetest.NewDatabase(t)
	if _, err := controlplanetest.Pool(t, other).Exec(t.Context(), `CREATE TABLE users (unique_id text PRIMARY KEY,
		email text NOT NULL, first_name text, active boolean NOT NULL DEFAULT true, created_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO users (unique_id, email, first_name) VALUES ('u1', 'alycia@example.com', 'Alycia')`); err != nil {
		t.Fatal(err)
	}
	elsewhere := strings.Replace(base, fmt.Sprintf("url = %q", e.whURL), fmt.Sprintf("url = %q", other), 1)
	if elsewhere == base {
		t.Fatal("the test's base configuration no longer has the warehouse url it changes")
	}
	expect("warehouse url change", previews(d.plan(e.config(elsewhere, sync(oneMapping)))),
		`Backflow Preview: Sync "Users"`, "would be BLOCKED by its guard", "delete 2 of the 3 keys delivered before it",
		"The model returned 1 rows (0 invalid)", "as the plan changes the connection", `deleted: ["u2" "u3"]`)

	// The model's SQL changes in the same plan (table → a query without u3): the mirror sync's
	// next run, with the planned SQL, deletes u3.
	narrowed := strings.Replace(base, `table = "users"`, `sql = "select * from users where unique_id <> 'u3'"`, 1)
	if narrowed == base {
		t.Fatal("the test's base configuration no longer has the table model it narrows")
	}
	expect("model SQL change", previews(d.plan(e.config(narrowed, sync(oneMapping)))),
		"will send 0 new, 0 changed and 1 deleted records", `deleted: ["u3"]`)

	// The model's SQL and the sync change in the same plan: the sync's preview counts both (its
	// model as planned); the model's counts the sync as stored, and says so.
	ofSync := func(got []string) []string {
		var out []string
		for _, p := range got {
			if !strings.Contains(p, "the sync as stored") {
				out = append(out, p)
			}
		}
		return out
	}
	expect("model SQL and mappings change", ofSync(previews(d.plan(e.config(narrowed, sync(twoMappings))))),
		"will send 0 new, 2 changed and 1 deleted records", "The model returned 2 rows", `changed: ["u1" "u2"]`, `deleted: ["u3"]`)
	// A guard the plan sets is the one the previewed run meets.
	expect("guard change", ofSync(previews(d.plan(e.config(narrowed, sync(oneMapping+"\n  guard = { max_deleted = 0 }"))))),
		"would be BLOCKED by its guard", "the run would delete 1 records, more than max_deleted = 0")

	// preview = "off": no preview, whatever changes.
	off := strings.Replace(e.provider(), "provider \"backflow\" {\n", "provider \"backflow\" {\n  preview = \"off\"\n", 1)
	if got := previews(d.plan(off + base + sync(twoMappings))); len(got) != 0 {
		t.Fatalf(`preview = "off", yet a preview: %q`, got)
	}

	// preview = "always": each sync once, whether anything changed or not (its own preview, or
	// its model's of it when the model changes and the sync does not).
	always := strings.Replace(e.provider(), "provider \"backflow\" {\n", "provider \"backflow\" {\n  preview = \"always\"\n", 1)
	expect(`preview = "always", nothing changed`, previews(d.plan(always+base+sync(oneMapping))),
		`Backflow Preview: Sync "Users"`, "will send 0 new, 0 changed and 0 deleted records")
	expect(`preview = "always", model SQL changed`, previews(d.plan(always+narrowed+sync(oneMapping))),
		`Backflow Preview: Sync "Users"`, "will send 0 new, 0 changed and 1 deleted records", `deleted: ["u3"]`)

	// preview_budget: the previews of the plan together read for at most that long; the one
	// the budget runs out in says so, and how to see it.
	budget := strings.Replace(e.provider(), "provider \"backflow\" {\n", "provider \"backflow\" {\n  preview_budget = \"1ms\"\n", 1)
	expect("preview_budget used", previews(d.plan(budget+narrowed+sync(oneMapping))),
		`Backflow Preview Cut Short: Sync "Users"`, "the provider's preview_budget of 1ms", "`backflow-runner sync \"Users\" --dry-run` computes it after apply")

	// A warehouse the preview cannot read: a warning, and the plan goes on.
	e.execWarehouse(t, `ALTER TABLE users RENAME TO users_moved`)
	diags := d.plan(e.config(base, sync(twoMappings)))
	expect("unreadable warehouse", previews(diags), `Backflow Preview Unavailable: Sync "Users"`, `relation "users" does not exist`)
	notRefreshed := 0
	for _, dg := range diags {
		if dg.Severity == "error" {
			t.Fatalf("an unreadable warehouse failed the plan: %s: %s", dg.Summary, dg.Detail)
		}
		if strings.HasPrefix(dg.Summary, "Backflow Model Not Refreshed") {
			notRefreshed++
		}
	}
	if notRefreshed != 2 { // both models read the moved table
		t.Fatalf("want a warning for each of the 2 models the plan could not refresh, got %d: %+v", notRefreshed, diags)
	}
	e.execWarehouse(t, `ALTER TABLE users_moved RENAME TO users`)
	if err := d.tf.Destroy(t.Context(), tfexec.Reattach(d.reattach)); err != nil {
		t.Fatalf("destroy: %v", err)
	}
}

// What the next run sends is what the plan shows, also when the plan resumes a paused sync (it
// then sends everything that changed while it was paused), and when it changes the warehouse
// connection's url in place together with a sync or a model that reads it: their own previews
// read through the connection as planned, as their next runs will.
func TestAccPlanPreviewResumedAndMovedWarehouse(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	e.execWarehouse(t, `INSERT INTO users (unique_id, email, first_name) VALUES ('u2', 'bob@example.com', 'Bob'),
		('u3', 'cy@example.com', 'Cy')`)
	d := newTFDir(t)
	base := e.syncBase(hook.URL)
	sync := func(body string) string {
		return syncResource("s", "Users", "all", `behavior    = "mirror"
  primary_key = "unique_id"
  mappings    = [{ from = "email", to = "email" }]`+body)
	}
	d.apply(e.config(base, sync("")))
	var id int64
	if err := e.cp.QueryRow(t.Context(), `SELECT id FROM backflow.syncs WHERE name = 'Users'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := (&runner.Engine{Store: e.store}).Run(t.Context(), id, runner.RunOptions{}); err != nil {
		t.Fatalf("run the sync: %v", err)
	}
	one := func(step string, got []string, want ...string) {
		t.Helper()
		if len(got) != 1 {
			t.Fatalf("%s: want one preview warning, got %d: %q", step, len(got), got)
		}
		for _, w := range want {
			if !strings.Contains(got[0], w) {
				t.Fatalf("%s: the preview warning lacks %q:\n%s", step, w, got[0])
			}
		}
	}

	// Paused, u1 changes meanwhile; the plan that resumes it shows what its next run sends.
	d.apply(e.config(base, sync("\n  paused = true")))
	e.execWarehouse(t, `UPDATE users SET email = 'alycia@example.org' WHERE unique_id = 'u1'`)
	one("resumed", previews(d.plan(e.config(base, sync("")))),
		`Backflow Preview: Sync "Users"`, "Its next run will send 0 new, 1 changed and 0 deleted records", `changed: ["u1"]`)
	d.apply(e.config(base, sync("")))

	// The warehouse url moves to a database that has only u1, and the same plan changes the
	// sync's mappings: the sync's own preview is its next run's, which reads the new database
	// (u2 and u3 deleted: blocked by the mirror's default guard), not the old one.
	other := controlplanetest.NewDatabase(t)
	if _, err := controlplanetest.Pool(t, other).Exec(t.Context(), `CREATE TABLE users (unique_id text PRIMARY KEY,
		email text NOT NULL, first_name text, active boolean NOT NULL DEFAULT true, created_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO users (unique_id, email, first_name) VALUES ('u1', 'alycia@example.com', 'Alycia')`); err != nil {
		t.Fatal(err)
	}
	elsewhere := strings.Replace(base, fmt.Sprintf("url = %q", e.whURL), fmt.Sprintf("url = %q", other), 1)
	if elsewhere == base {
		t.Fatal("the test's base configuration no longer has the warehouse url it changes")
	}
	var ofSync, ofModel []string
	split := func(got []string) {
		ofSync, ofModel = nil, nil
		for _, p := range got {
			switch {
			case strings.Contains(p, "as the plan changes the connection, and the sync's ledger"): // the connection's own
			case strings.Contains(p, "with the model as planned and the sync as stored"):
				ofModel = append(ofModel, p)
			default:
				ofSync = append(ofSync, p)
			}
		}
	}
	all := previews(d.plan(e.config(elsewhere, sync("\n  send_nulls = false"))))
	split(all)
	one("warehouse url and sync change, the sync's preview", ofSync, "with the planned definition",
		"The model returned 1 rows (0 invalid)", "through its warehouse connection as the plan changes it",
		"would be BLOCKED by its guard", "delete 2 of the 3 keys delivered before it")

	// The same with the model's SQL: the model's preview of its sync reads the new database too.
	narrowed := strings.Replace(elsewhere, `table = "users"`, `sql = "select * from users where unique_id <> 'u3'"`, 1)
	if narrowed == elsewhere {
		t.Fatal("the test's base configuration no longer has the table model it narrows")
	}
	split(previews(d.plan(e.config(narrowed, sync("")))))
	one("warehouse url and model SQL change, the model's preview", ofModel,
		"The model returned 1 rows (0 invalid)", "through its warehouse connection as the plan changes it",
		"would be BLOCKED by its guard", "delete 2 of the 3 keys delivered before it")

	// preview = "always": each sync once, through the connection as planned (the connection's
	// preview of it, which reaches the syncs no resource of the plan has too).
	always := strings.Replace(e.provider(), "provider \"backflow\" {\n", "provider \"backflow\" {\n  preview = \"always\"\n", 1)
	one(`preview = "always", warehouse url change`, previews(d.plan(always+elsewhere+sync(""))),
		"as the plan changes the connection", "The model returned 1 rows (0 invalid)",
		"delete 2 of the 3 keys delivered before it")

	// A sync with a cursor, caught up by an incremental read; u3 deleted since, which incremental
	// reads do not see. A plan that only renames the warehouse connection writes it: the next run
	// reads the whole model, and deletes u3. The plan says so.
	withCursor := sync("\n  cursor = \"created_at\"")
	d.apply(e.config(base, withCursor))
	for i, want := range []string{"full", "incremental"} {
		run, err := (&runner.Engine{Store: e.store}).Run(t.Context(), id, runner.RunOptions{})
		if err != nil || run.ReadMode != want {
			t.Fatalf("run %d of the sync with a cursor: read %q, %v; want %q", i+1, run.ReadMode, err, want)
		}
	}
	e.execWarehouse(t, `DELETE FROM users WHERE unique_id = 'u3'`)
	renamed := strings.Replace(base, `name     = "warehouse"`, `name     = "warehouse (renamed)"`, 1)
	if renamed == base {
		t.Fatal("the test's base configuration no longer has the warehouse name it changes")
	}
	one("warehouse renamed, a sync with a cursor", previews(d.plan(e.config(renamed, withCursor))),
		"will send 0 new, 0 changed and 1 deleted records", "It reads the whole model (the model's warehouse connection changed",
		`deleted: ["u3"]`)
	d.apply(e.config(renamed, sync("")))
	if got := previews(d.plan(e.config(strings.Replace(renamed, "(renamed)", "(renamed again)", 1), sync("")))); len(got) != 0 {
		t.Fatalf("warehouse renamed, a sync without a cursor (it reads in full anyway): %q", got)
	}
	if err := d.tf.Destroy(t.Context(), tfexec.Reattach(d.reattach)); err != nil {
		t.Fatalf("destroy: %v", err)
	}
}

// A sync whose name is known only after apply (another resource's attribute) is previewed, or
// said to be unpreviewable, under a title that says so: it was `Sync ""`, a name it does not have.
func TestAccPlanPreviewNameKnownAtApply(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	d := newTFDir(t)
	base := e.syncBase(hook.URL)
	d.apply(e.config(base))
	later := `
resource "terraform_data" "later" {
  input = { name = "Users named later", key = "unique_id" }
}
`
	for _, key := range []string{`"unique_id"`, `terraform_data.later.output.key`} {
		got := previews(d.plan(e.config(base, later, `
resource "backflow_sync" "s" {
  name           = terraform_data.later.output.name
  model_id       = backflow_model.all.id
  destination_id = backflow_connection.hook.id
  behavior       = "update_or_create"
  primary_key    = `+key+`
}
`)))
		if len(got) != 1 || strings.Contains(got[0], `Sync ""`) || !strings.Contains(got[0], "Sync (its name known after apply)") {
			t.Fatalf("primary_key = %s, the name known after apply: want one preview titled for a name known after apply, got %q", key, got)
		}
	}
	// A refusal at plan names it so too.
	diags, err := d.tryPlan(e.config(base, later, `
resource "backflow_sync" "s" {
  name           = terraform_data.later.output.name
  model_id       = backflow_model.all.id
  destination_id = backflow_connection.hook.id
  behavior       = "update_or_create"
  primary_key    = "unique_id"
  schedule       = { after = [987654321] }
}
`))
	var refused []string
	for _, g := range diags {
		if g.Severity == "error" {
			refused = append(refused, g.Summary+": "+g.Detail)
		}
	}
	if err == nil || len(refused) != 1 || !strings.Contains(refused[0], "The sync (its name known after apply) runs after sync 987654321") {
		t.Fatalf("a parent that does not exist, the name known after apply: want it refused naming the sync so, got %v %q", err, refused)
	}
}
