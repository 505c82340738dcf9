package controlplane_test

import (
	"context"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestOpenGivesUpOnASilentServer: a control plane that takes the connection and never answers (a
// hung server, or a proxy in front of one that is gone) fails Open after ConnectTimeout (its URL
// sets no connect_timeout), instead of holding the command that opens it for as long as its
// context, which has no end in a CLI command.
func TestOpenGivesUpOnASilentServer(t *testing.T) {
	t.Parallel()
	p, url := controlplanetest.NewStallProxy(t, controlplanetest.AdminURL())
	p.Stall()
	// A bound only for a test that would otherwise never end: long after ConnectTimeout.
	ctx, cancel := context.WithTimeout(context.Background(), 6*controlplane.ConnectTimeout)
	defer cancel()
	_, err := controlplane.Open(ctx, url, nil)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("Open of a server that never answers: %v (the test's own bound ended: %v); want it to give up by itself", err, ctx.Err())
	}
	if !strings.Contains(err.Error(), "timeout") {
		t.Errorf("error %q does not say it timed out", err)
	}
}
