package controlplanetest

import "testing"

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

// privateServer starts a throwaway Postgres (PrivateCluster), from port on, and returns its URL.
func privateServer(t *testing.T, port string) string {
	t.Helper()
	url, err := PrivateCluster(t, "backflow-pg-template-")(port)
	if err != nil {
		t.Fatal(err)
	}
	return url
}
