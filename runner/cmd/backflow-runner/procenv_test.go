//go:build cgo && linux

package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestModelCannotReadTheRunnersSecrets: a DuckDB model runs inside the runner, with its file
// access, and read_text('/proc/self/environ') is a file like any other (models are now refused
// it: here init_sql reads it, as a way past that rule would). Before procenv.Scrub the record it
// made carried BACKFLOW_SECRET_KEY (which opens every connection's secrets) and
// BACKFLOW_DATABASE_URL to the webhook; now it carries the variables' names with their values
// blanked, and the rest of the environment as it was.
func TestModelCannotReadTheRunnersSecrets(t *testing.T) {
	hook := newHook(t)
	cw := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		// A model may not read /proc itself (refuseDuckPaths); init_sql, the connection owner's, may:
		// what it reads is what any way past that rule would read.
		Warehouse: &controlplane.Connection{Name: "lake", DuckDB: &controlplane.DuckDBConfig{Database: ":memory:",
			InitSQL: "CREATE TABLE env AS SELECT content FROM read_text('/proc/self/environ')"}},
		HookURL: hook.URL,
		Model:   &controlplane.Model{SQL: "select 1 as id, content from env"},
		Sync:    &controlplane.Sync{PrimaryKey: "id", BatchSize: 100},
	})
	const token = "api-token-5f0c2e91"
	w := &world{t: t, ctx: cw.Ctx, store: cw.Store, sync: cw.Sync, dest: cw.Destination,
		env: append(os.Environ(), controlplane.DatabaseURLEnv+"="+cw.URL, controlplane.SecretKeyEnv+"="+cw.Key,
			"BACKFLOW_API_TOKEN="+token, "BACKFLOW_TEST_MARKER=seen-3b7d")}
	if code, _, stderr := w.runCmd("sync", cw.Sync.Name); code != 0 {
		t.Fatalf("sync exited %d: %s", code, stderr)
	}
	var body []byte
	for _, r := range hook.Requests() {
		body = append(body, r.Body...)
	}
	if !bytes.Contains(body, []byte("BACKFLOW_SECRET_KEY=")) {
		t.Fatalf("the model's record does not hold the environment it read: %.300s", body)
	}
	for name, secret := range map[string]string{"BACKFLOW_SECRET_KEY": cw.Key, "BACKFLOW_DATABASE_URL": cw.URL,
		"BACKFLOW_API_TOKEN": token, "BACKFLOW_TEST_MARKER": "seen-3b7d"} {
		if bytes.Contains(body, []byte(secret)) {
			t.Errorf("a model read the runner's %s from /proc/self/environ and sent it", name)
		}
	}
}
