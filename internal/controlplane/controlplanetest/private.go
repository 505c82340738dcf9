package controlplanetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// PrivateCluster gives a test a throwaway Postgres cluster of its own, for tests that restart a
// server or need a second one: run calls scripts/ensure-postgres.sh for it (no args: start it,
// trying ports from port, and return its URL; "--stop": stop it), never with the shared server.
// The cluster is stopped and its directory removed at cleanup.
func PrivateCluster(t testing.TB, pattern string) (run func(port string, args ...string) (string, error)) {
	t.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatal(err)
	}
	// As root the cluster runs as the postgres user, who must reach the directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script, err := repoFile("scripts", "ensure-postgres.sh")
	if err != nil {
		t.Fatal(err)
	}
	run = func(port string, args ...string) (string, error) {
		c := exec.Command("bash", append([]string{script}, args...)...)
		c.Env = append(os.Environ(), "BACKFLOW_PG_DIR="+dir, "BACKFLOW_PG_PORT="+port,
			// Not the shared server of step 2, nor the one the tests were given.
			"BACKFLOW_PG_PROBE_URL=postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2",
			URLEnv+"=")
		var stderr strings.Builder
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil {
			return "", fmt.Errorf("scripts/ensure-postgres.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out)), nil
	}
	t.Cleanup(func() {
		_, _ = run("", "--stop")
		_ = os.RemoveAll(dir)
	})
	return run
}

// repoFile is the path of a file of the repository, found from the test's directory up to go.mod.
func repoFile(elem ...string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(append([]string{dir}, elem...)...), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}
