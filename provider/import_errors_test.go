package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestAccImportErrorsSayWhy: an import that finds nothing says why, and imports nothing. The
// name of a row of another kind (a model's name imported as a connection) says which kind has
// it; an id imported under another key than the control plane's said "Import by the numeric id
// or the exact name", as if the id were wrong, when the key was.
func TestAccImportErrorsSayWhy(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.config(e.warehouseConnection("wh", "Import warehouse"), `
resource "backflow_model" "users" {
  name          = "Import users"
  connection_id = backflow_connection.wh.id
  table         = "public.users"
}
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				ResourceName: "backflow_connection.wh", ImportState: true, ImportStateId: "Import users",
				ExpectError: expectErr(`Cannot Import Connection.*No connection with the id or name "Import users".*` +
					`The control plane has a model of that name: import it into a backflow_model resource`),
			},
			{
				ResourceName: "backflow_connection.wh", ImportState: true, ImportStateId: "name:Import users",
				ExpectError: expectErr(`The control plane has a model of that name`),
			},
			{
				// The valid neighbours: by name, and a model by its name.
				ResourceName: "backflow_connection.wh", ImportState: true, ImportStateVerify: true,
				ImportStateIdFunc: importByName("backflow_connection.wh"),
			},
			{
				ResourceName: "backflow_model.users", ImportState: true, ImportStateVerify: true,
				ImportStateId: "Import users",
			},
		},
	})
}

// TestAccImportWrongKey: importing under another key than the control plane's says the key is
// wrong (and how to fix it), and imports nothing.
func TestAccImportWrongKey(t *testing.T) {
	e := newTestEnv(t)
	if err := e.store.CreateConnection(context.Background(), &controlplane.Connection{Name: "Import warehouse",
		Postgres: &controlplane.PostgresConfig{URL: e.whURL}}); err != nil {
		t.Fatal(err)
	}
	otherKey := controlplanetest.NewKey(t)
	t.Cleanup(func() { closeStore(e.cpURL, otherKey) })
	cfg := func(key string) string {
		return fmt.Sprintf("provider \"backflow\" {\n  database_url = %q\n  secret_key   = %q\n}\n", e.cpURL, key) +
			e.warehouseConnection("wh", "Import warehouse") + `
import {
  to = backflow_connection.wh
  id = "Import warehouse"
}
`
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      cfg(otherKey),
				PlanOnly:    true,
				ExpectError: expectErr(`Cannot Decrypt Connection Secrets.*secret_key`),
			},
			{Config: cfg(e.key)}, // the right key imports it
		},
	})
}
