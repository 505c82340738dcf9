package controlplanetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemplatePerServer: a test may point this process at another server (a private one it
// restarts, as TestDaemonSurvivesControlPlaneRestart does); the migrated template made there
// must not be taken for the shared server's once it points back. Remembered once for the
// process, every later test failed: template database "backflow_tmpl_..." does not exist.
func TestTemplatePerServer(t *testing.T) {
	first, second := privateServer(t, "57432"), privateServer(t, "57532")
	t.Setenv(URLEnv, first)
	NewStore(t) // the template, made on the first server
	t.Setenv(URLEnv, second)
	NewStore(t) // the second server has none: it must make its own
}

// privateServer starts a throwaway Postgres (scripts/ensure-postgres.sh in a new directory, from
// port on), stopped at cleanup, and returns its URL.
func privateServer(t *testing.T, port string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "backflow-pg-template-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the cluster's owner (postgres, under root) reads it
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "..", "scripts", "ensure-postgres.sh"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		c := exec.Command("bash", append([]string{script}, args...)...)
		c.Env = append(os.Environ(), "BACKFLOW_PG_DIR="+dir, "BACKFLOW_PG_PORT="+port,
			"BACKFLOW_PG_PROBE_URL=postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2", URLEnv+"=")
		var stderr strings.Builder
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil {
			t.Fatalf("scripts/ensure-postgres.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	t.Cleanup(func() {
		run("--stop")
		_ = os.RemoveAll(dir)
	})
	return run()
}
