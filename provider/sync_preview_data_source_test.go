package provider

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// The preview shows what the next run would send, read-only: a new sync would send every
// active user; after a run and a change in the warehouse, exactly the change.
func TestAccSyncPreviewDataSource(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	e.execWarehouse(t, `INSERT INTO users (unique_id, email, first_name) VALUES ('u2', 'bob@example.com', 'Bob'),
		('u3', 'cy@example.com', 'Cy'), ('u4', 'di@example.com', 'Di')`)
	base := e.syncBase(hook.URL) + syncResource("s", "Users", "all", `behavior = "mirror"
  primary_key = "unique_id"`)
	base += syncResource("c", "Users by email", "all", `behavior = "mirror"
  primary_key = "unique_id"
  cursor      = "email"`)
	base += syncResource("h", "Users hashed", "all", `behavior = "mirror"
  primary_key = "unique_id"
  mappings    = [{ from = "unique_id", to = "id_sha256", hash = "sha256" }]`)
	// The same without mappings: its request templates hash the key.
	base += syncResource("t", "Users hashed in requests", "all", `behavior = "mirror"
  primary_key = "unique_id"
  request = {
    new     = { method = "POST", path = "/members", body = `+hclString(`{"h": {{ record.unique_id | sha256 | json }}}`)+` }
    deleted = { method = "DELETE", path = "/members/{{ record.unique_id | sha256 }}" }
  }`)
	preview := `
data "backflow_sync_preview" "p" {
  sync = backflow_sync.s.id
}
data "backflow_sync_preview" "c" {
  sync = backflow_sync.c.id
}
data "backflow_sync_preview" "h" {
  sync = backflow_sync.h.id
}
data "backflow_sync_preview" "t" {
  sync = backflow_sync.t.id
}
`
	const p, c, h, tq = "data.backflow_sync_preview.p", "data.backflow_sync_preview.c", "data.backflow_sync_preview.h",
		"data.backflow_sync_preview.t"
	count := func(attr string, n int64) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(p, tfjsonpath.New(attr), knownvalue.Int64Exact(n))
	}
	keys := func(attr string, k ...string) statecheck.StateCheck {
		vals := make([]knownvalue.Check, len(k))
		for i, s := range k {
			vals[i] = knownvalue.StringExact(s)
		}
		return statecheck.ExpectKnownValue(p, tfjsonpath.New(attr), knownvalue.ListExact(vals))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(base, preview),
				ConfigStateChecks: []statecheck.StateCheck{
					count("extracted", 4), count("new", 4), count("changed", 0), count("deleted", 0),
					keys("new_samples", "u1", "u2", "u3"), keys("deleted_samples"),
					statecheck.ExpectKnownValue(p, tfjsonpath.New("blocked"), knownvalue.Null()),
					statecheck.ExpectKnownValue(p, tfjsonpath.New("mark"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(p, tfjsonpath.New("read_mode"), knownvalue.Null()),
					statecheck.ExpectKnownValue(p, tfjsonpath.New("read_why"), knownvalue.Null()),
					// A sync with a cursor says why its next run reads the whole model, as its dry run does.
					statecheck.ExpectKnownValue(c, tfjsonpath.New("read_mode"), knownvalue.StringExact("full")),
					statecheck.ExpectKnownValue(c, tfjsonpath.New("read_why"), knownvalue.StringExact("the sync has no cursor mark yet")),
					statecheck.ExpectKnownValue(c, tfjsonpath.New("read_from"), knownvalue.Null()),
					statecheck.ExpectKnownValue(c, tfjsonpath.New("full_read_due"), knownvalue.Null()),
					statecheck.ExpectKnownValue(p, tfjsonpath.New("no_key_in_common"), knownvalue.Null()),
					// A sync that sends its key only hashed: its counts, not the keys it hashes so as not
					// to send them (state and plans would show them), as the plan's preview leaves them out.
					statecheck.ExpectKnownValue(h, tfjsonpath.New("new"), knownvalue.Int64Exact(4)),
					statecheck.ExpectKnownValue(h, tfjsonpath.New("new_samples"), knownvalue.ListExact(nil)),
					statecheck.ExpectKnownValue(tq, tfjsonpath.New("new"), knownvalue.Int64Exact(4)),
					statecheck.ExpectKnownValue(tq, tfjsonpath.New("new_samples"), knownvalue.ListExact(nil)),
				},
			},
			{
				PreConfig: func() {
					for _, name := range []string{"Users", "Users by email"} {
						var y int64
						if err := e.cp.QueryRow(t.Context(), `SELECT id FROM backflow.syncs WHERE name = $1`, name).Scan(&y); err != nil {
							t.Fatal(err)
						}
						if _, err := (&runner.Engine{Store: e.store}).Run(t.Context(), y, runner.RunOptions{}); err != nil {
							t.Fatalf("run the sync %q: %v", name, err)
						}
					}
					e.execWarehouse(t, `UPDATE users SET first_name = 'Robert' WHERE unique_id = 'u2';
						DELETE FROM users WHERE unique_id = 'u4'`)
				},
				Config: e.config(base, preview),
				ConfigStateChecks: []statecheck.StateCheck{
					count("extracted", 3), count("new", 0), count("changed", 1), count("deleted", 1),
					keys("changed_samples", "u2"), keys("deleted_samples", "u4"),
					statecheck.ExpectKnownValue(c, tfjsonpath.New("read_mode"), knownvalue.StringExact("incremental")),
					statecheck.ExpectKnownValue(c, tfjsonpath.New("read_why"), knownvalue.Null()),
					// An incremental read's preview says when full_read_every (24h) makes runs read in full.
					statecheck.ExpectKnownValue(c, tfjsonpath.New("full_read_due"),
						knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))),
					statecheck.ExpectKnownValue(p, tfjsonpath.New("no_key_in_common"), knownvalue.Null()),
				},
			},
			{
				Config:      e.config(base, `data "backflow_sync_preview" "p" { sync = "no such sync" }`),
				ExpectError: regexp.MustCompile(`No Such Sync`),
			},
			{
				Config:      e.config(base, `data "backflow_sync_preview" "p" { sync = "no\u0000pe" }`),
				ExpectError: expectErr(`Invalid Name.*control character \(U\+0000`),
			},
			{Config: e.config(base)},
		},
	})
}
