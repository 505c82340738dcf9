package controlplane_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// A connection the server refuses for what it was asked (a database that does not exist, a role
// or password it does not take) is not the control plane being away: asking again, as a run's
// end is asked for 30 s and a run's writes once per pool connection, gets the same refusal (and
// a password refused that often can lock the role out, with an auth-failure limiter in front).
func TestUnreachableIsNotARefusedConnection(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u, err := url.Parse(controlplanetest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/backflow_no_such_database"
	c, err := pgx.Connect(ctx, u.String())
	if err == nil {
		_ = c.Close(ctx)
		t.Fatal("connected to a database that does not exist")
	}
	if controlplane.Unreachable(err) {
		t.Errorf("a connection refused for a database that does not exist counts as unreachable (asked again): %v", err)
	}
	// A server that is not there is.
	u.Host = "127.0.0.1:1"
	if _, err := pgx.Connect(ctx, u.String()); !controlplane.Unreachable(err) {
		t.Errorf("a server that is not listening does not count as unreachable: %v", err)
	}
}
