package provider

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A sync whose first run recorded no intents and did not finish (controlplane.UnrecordedKeys)
// cannot become a mirror: the plan says so on `behavior`, and applies once the intent is gone (a
// run succeeded, or the next run adopted it).
func TestAccSyncBecomesMirrorAfterItsFirstRun(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	base := e.syncBase(hook.URL)
	body := func(behavior string) string {
		return `behavior    = "` + behavior + `"
  primary_key = "unique_id"`
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: e.config(base, syncResource("s", "Upserted", "active", body("update_or_create")))},
			{
				// What a first run that stopped short leaves.
				PreConfig: func() {
					if _, err := e.cp.Exec(t.Context(), `INSERT INTO backflow.sync_runs (sync_id, status, trigger) SELECT id, 'failed', 'manual' FROM backflow.syncs`); err != nil {
						t.Fatal(err)
					}
					if _, err := e.cp.Exec(t.Context(), `INSERT INTO backflow.sync_intents (sync_id, run_id, batch, keys)
						SELECT sync_id, id, $1, '' FROM backflow.sync_runs`, controlplane.UnrecordedKeys); err != nil {
						t.Fatal(err)
					}
				},
				Config:      e.config(base, syncResource("s", "Upserted", "active", body("mirror"))),
				ExpectError: regexp.MustCompile(`(?s)Sync Cannot Become a Mirror Yet.*cannot become a mirror yet.*Run the sync\s+once\s+more`),
			},
			{
				PreConfig: func() {
					if _, err := e.cp.Exec(t.Context(), `DELETE FROM backflow.sync_intents`); err != nil {
						t.Fatal(err)
					}
				},
				Config: e.config(base, syncResource("s", "Upserted", "active", body("mirror"))),
			},
		},
	})
}
