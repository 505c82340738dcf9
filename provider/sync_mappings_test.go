package provider

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

func TestAccSyncMappingTypes(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	const addr, ds = "backflow_sync.s", "data.backflow_sync.s"
	body := `behavior    = "update_or_create"
  primary_key = "unique_id"
  send_nulls  = false
  mappings = [
    { from = "unique_id", to = "id" },
    { from = "email", to = "email_sha256", hash = "sha256", normalize = ["trim", "lowercase"] },
    { metadata = "sync_run_id", to = "run" },
    { metadata = "operation", to = "op" },
  ]`
	cfg := e.config(e.syncBase(hook.URL), syncResource("s", "users", "active", body),
		`data "backflow_sync" "s" { name = backflow_sync.s.name }`)
	mapping := func(from, metadata, to, hash string, normalize ...string) knownvalue.Check {
		str := func(s string) knownvalue.Check {
			if s == "" {
				return knownvalue.Null()
			}
			return knownvalue.StringExact(s)
		}
		var norm knownvalue.Check = knownvalue.Null()
		if normalize != nil {
			var cs []knownvalue.Check
			for _, n := range normalize {
				cs = append(cs, knownvalue.StringExact(n))
			}
			norm = knownvalue.ListExact(cs)
		}
		return knownvalue.ObjectExact(map[string]knownvalue.Check{"from": str(from), "constant": knownvalue.Null(),
			"metadata": str(metadata), "to": str(to), "hash": str(hash), "normalize": norm})
	}
	want := knownvalue.ListExact([]knownvalue.Check{
		mapping("unique_id", "", "id", ""),
		mapping("email", "", "email_sha256", "sha256", "trim", "lowercase"),
		mapping("", "sync_run_id", "run", ""),
		mapping("", "operation", "op", ""),
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("mappings"), want),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("send_nulls"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("mappings"), want),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("send_nulls"), knownvalue.Bool(false)),
				},
				Check: func(*terraform.State) error {
					var mappings []byte
					var omit bool
					if err := e.cp.QueryRow(t.Context(), `SELECT mappings, omit_nulls FROM backflow.syncs`).Scan(&mappings, &omit); err != nil {
						return err
					}
					var got []controlplane.Mapping
					if err := json.Unmarshal(mappings, &got); err != nil {
						return err
					}
					want := []controlplane.Mapping{
						{From: "unique_id", To: "id"},
						{From: "email", To: "email_sha256", Hash: "sha256", Normalize: []string{"trim", "lowercase"}},
						{Metadata: "sync_run_id", To: "run"}, {Metadata: "operation", To: "op"},
					}
					if diff := cmp.Diff(want, got); diff != "" || !omit {
						return fmt.Errorf("stored omit_nulls = %v, mappings (-want +got):\n%s", omit, diff)
					}
					return nil
				},
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{
				PreConfig:          func() { e.execControlPlane(t, `UPDATE backflow.syncs SET omit_nulls = false`) },
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: func() {
					e.execControlPlane(t, `UPDATE backflow.syncs SET omit_nulls = true,
						mappings = jsonb_set(mappings, '{1,normalize}', '["trim"]')`)
				},
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: func() {
					e.execControlPlane(t, `UPDATE backflow.syncs SET mappings = jsonb_set(mappings, '{2,metadata}', '"sync_id"')`)
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(addr, tfjsonpath.New("mappings"), want)},
			},
			{
				// Omitted, send_nulls is true.
				Config: e.config(e.syncBase(hook.URL), syncResource("s", "users", "active", `behavior = "append"
  primary_key = "unique_id"`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("send_nulls"), knownvalue.Bool(true)),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// Mapping types the plan refuses, each with a message naming what is wrong and what is valid.
func TestAccSyncMappingTypesRefused(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	var steps []resource.TestStep
	for _, tc := range []struct{ mappings, pattern string }{
		{`[{ constant = "x", to = "c", hash = "sha256" }]`, "`hash` Needs a Column.*a constant or a metadata field cannot be hashed"},
		{`[{ metadata = "sync_id", to = "s", hash = "sha256" }]`, "`hash` Needs a Column"},
		{`[{ from = "email", to = "e", hash = "md5" }]`, `value must be one of: \["sha256"\]`},
		{`[{ from = "email", to = "e", hash = "sha256", normalize = ["upper"] }]`,
			`value must be one of: \["trim" "lowercase" "remove_spaces" "digits_only"\]`},
		{`[{ from = "email", to = "e", normalize = ["trim"] }]`, `mappings\[0\].hash.*must be specified`},
		{`[{ metadata = "sync_name", to = "s" }]`,
			`value must be one of: \["sync_run_id" "sync_run_at" "sync_id" "operation"\]`},
		{`[{ from = "email", metadata = "sync_id", to = "s" }]`, `Invalid Attribute Combination`},
		{`[{ to = "s" }]`, `Invalid Attribute Combination`},
		{`[{ from = "email", to = "x" }, { metadata = "operation", to = "x" }]`, `Duplicate Mapping Target`},
	} {
		steps = append(steps, resource.TestStep{
			Config: e.config(e.syncBase(hook.URL), syncResource("s", "users", "active", `behavior = "append"
  primary_key = "unique_id"
  mappings = `+tc.mappings)),
			PlanOnly:    true,
			ExpectError: expectErr(tc.pattern),
		})
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: protoV6ProviderFactories, Steps: steps})
}
