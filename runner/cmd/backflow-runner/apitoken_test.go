package main

import (
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
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

// TestRunWarnsOfAnOpenStatusPageBeyondLoopback: a daemon that listens beyond loopback without
// BACKFLOW_API_TOKEN (`--listen :9464`, as a container's health checks need) serves its status
// page, sync errors and endpoints' answers included, to whoever reaches the address by IP: its
// Host check stops web pages, not hosts. It said nothing of it; it warns now, and only then.
func TestRunWarnsOfAnOpenStatusPageBeyondLoopback(t *testing.T) {
	w := newWorld(t, 1, "http://127.0.0.1:1", 10)
	var env []string
	for _, e := range w.env {
		if !strings.HasPrefix(e, runner.APITokenEnv+"=") {
			env = append(env, e)
		}
	}
	for _, c := range []struct {
		listen, token string
		warns         bool
	}{
		{"0.0.0.0:0", "", true},
		{"127.0.0.1:0", "", false},
		{":0", "", true}, // every address, IPv6's too
		{"[::1]:0", "", false},
		{"localhost:0", "", false},
		{"127.0.0.2:0", "", false}, // all of 127/8 is loopback
		{"0.0.0.0:0", "a-long-random-token", false},
	} {
		w.env = env
		if c.token != "" {
			w.env = append(append([]string(nil), env...), runner.APITokenEnv+"="+c.token)
		}
		d, out := w.start("run", "--listen", c.listen, "--poll-interval", "1h")
		controlplanetest.WaitFor(t, "the daemon to listen", func() bool { return strings.Contains(out.String(), `"runner started"`) })
		_ = d.Process.Kill()
		_ = d.Wait()
		if warned := strings.Contains(out.String(), "the status page answers without a token"); warned != c.warns {
			t.Errorf("run --listen %s with a token %t: warned of an open status page %t, want %t\n%s", c.listen, c.token != "", warned,
				c.warns, out)
		}
	}
}
