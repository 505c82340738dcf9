package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestCommandGivesUpOnASilentControlPlane: a command (here `runs`) against a control plane that
// takes the connection and never answers (a hung server, a proxy in front of one that is gone)
// fails after controlplane.ConnectTimeout, saying so, instead of waiting for ever: a CI step or
// a cron job running it would hang.
func TestCommandGivesUpOnASilentControlPlane(t *testing.T) {
	t.Parallel()
	p, url := controlplanetest.NewStallProxy(t, controlplanetest.AdminURL())
	p.Stall()
	// A bound only for a test that would otherwise never end: long after ConnectTimeout.
	ctx, cancel := context.WithTimeout(context.Background(), 6*controlplane.ConnectTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"runs", "--database-url", url}, &stdout, &stderr)
	if code == 0 || ctx.Err() != nil {
		t.Fatalf("runs against a control plane that never answers: exit %d, stderr %q (the test's own bound ended: %v); "+
			"want it to give up by itself", code, stderr.String(), ctx.Err())
	}
	if !strings.Contains(stderr.String(), "timeout") {
		t.Errorf("stderr %q does not say it timed out", stderr.String())
	}
}
