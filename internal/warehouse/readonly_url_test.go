package warehouse

import (
	"context"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
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
