package main

import (
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// TestRunRefusesBlankAPIToken: a BACKFLOW_API_TOKEN of whitespace only (an empty file read into
// it) is no token: run refuses it, rather than logging the API as on and refusing every request.
func TestRunRefusesBlankAPIToken(t *testing.T) {
	w := newWorld(t, 1, "http://127.0.0.1:1", 10)
	w.env = append(w.env, runner.APITokenEnv+"= \n")
	c, out := w.start("run", "--listen", "127.0.0.1:0", "--poll-interval", "100ms")
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	select {
	case err := <-exited:
		if err == nil || !strings.Contains(out.String(), runner.APITokenEnv+" holds only whitespace") {
			t.Errorf("run with BACKFLOW_API_TOKEN=%q: %v\n%s", " \n", err, out)
		}
	case <-time.After(time.Minute): // a bound, not an assertion: it never stops by itself
		t.Errorf("run with BACKFLOW_API_TOKEN=%q still runs a minute on (it started and serves):\n%s", " \n", out)
	}
}
