package warehouse

import (
	"context"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestConnectURLOfAnotherForm: a warehouse URL that does not start with postgres:// (SQLAlchemy's
// postgresql+psycopg://) is read by pgx as key=value settings, and the one named after the URL up
// to "?sslmode" went to the server, whose refusal quoted it, password and all, into the run's
// error (the runs list, the status page, notifications). It is refused before connecting,
// without the URL.
func TestConnectURLOfAnotherForm(t *testing.T) {
	t.Setenv("PGHOST", "127.0.0.1") // where the keyword/value string would connect
	const pw = "s3cr3tPW"
	u := "postgresql+psycopg://postgres:" + pw + "@127.0.0.1:5432/postgres?sslmode=disable"
	c, err := Connect(context.Background(), &controlplane.PostgresConfig{URL: u})
	if err == nil {
		_ = c.Close(context.Background())
		t.Fatalf("%s: connected", u)
	}
	if strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "not a valid Postgres URL") {
		t.Errorf("%s: %v", u, err)
	}
}

// TestConnectGivesUpOnASilentServer: a warehouse that takes the connection and never answers (a
// hung server, a proxy in front of one that is gone) fails the connect after
// controlplane.ConnectTimeout (its URL sets no connect_timeout), instead of holding the plan or
// the run for as long as its context, which a run's has no end.
func TestConnectGivesUpOnASilentServer(t *testing.T) {
	t.Parallel()
	p, url := controlplanetest.NewStallProxy(t, controlplanetest.AdminURL())
	p.Stall()
	// A bound only for a test that would otherwise never end: long after ConnectTimeout.
	ctx, cancel := context.WithTimeout(context.Background(), 6*controlplane.ConnectTimeout)
	defer cancel()
	c, err := Connect(ctx, &controlplane.PostgresConfig{URL: url})
	if err == nil || ctx.Err() != nil {
		if c != nil {
			c.Close(ctx)
		}
		t.Fatalf("Connect to a server that never answers: %v (the test's own bound ended: %v); want it to give up by itself", err, ctx.Err())
	}
	if !strings.Contains(err.Error(), "timeout") {
		t.Errorf("error %q does not say it timed out", err)
	}
}
