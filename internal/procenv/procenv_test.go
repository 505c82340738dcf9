package procenv

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// TestScrub runs this test binary again with secrets in its environment: after Scrub,
// /proc/self/environ shows none of their values (and still shows the others), while os.Getenv
// still returns them all.
func TestScrub(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/self/environ is Linux's")
	}
	if os.Getenv("PROCENV_CHILD") == "1" {
		if err := Scrub(Secret); err != nil {
			t.Fatal(err)
		}
		environ, err := os.ReadFile("/proc/self/environ")
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"key-9f3a71c2", "postgres://u:pw-4e1b@cp/db", "tfvar-77c0"} {
			if bytes.Contains(environ, []byte(secret)) {
				t.Errorf("/proc/self/environ still shows %q", secret)
			}
		}
		if !bytes.Contains(environ, []byte("PROCENV_OTHER=stays-5d2e")) {
			t.Errorf("/proc/self/environ lost a variable that is not a secret: %q", environ)
		}
		if os.Getenv("BACKFLOW_SECRET_KEY") != "key-9f3a71c2" || os.Getenv("BACKFLOW_DATABASE_URL") != "postgres://u:pw-4e1b@cp/db" {
			t.Errorf("os.Getenv lost the values: %q, %q", os.Getenv("BACKFLOW_SECRET_KEY"), os.Getenv("BACKFLOW_DATABASE_URL"))
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestScrub$", "-test.v")
	cmd.Env = append(os.Environ(), "PROCENV_CHILD=1", "BACKFLOW_SECRET_KEY=key-9f3a71c2",
		"BACKFLOW_DATABASE_URL=postgres://u:pw-4e1b@cp/db", "TF_VAR_token=tfvar-77c0", "PROCENV_OTHER=stays-5d2e", "BACKFLOW_EMPTY=")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestScrub")) {
		t.Fatalf("the child: %v\n%s", err, out)
	}
}

func TestSecret(t *testing.T) {
	for name, want := range map[string]bool{"BACKFLOW_SECRET_KEY": true, "BACKFLOW_DATABASE_URL": true, "TF_VAR_x": true,
		"AWS_SECRET_ACCESS_KEY": false, "HOME": false, "BACKFLOW": false} {
		if got := Secret(name); got != want {
			t.Errorf("Secret(%q) = %v, want %v", name, got, want)
		}
	}
}
