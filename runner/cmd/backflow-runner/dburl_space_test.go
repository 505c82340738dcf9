package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestControlPlaneURLSurroundingWhitespace: a BACKFLOW_DATABASE_URL read from a file or a
// Kubernetes Secret keeps its final newline. It is not part of the URL: else pgx reads
// "sslmode=disable\n" and the runner says the sslmode is invalid, or the database name ends in a
// newline and the database "does not exist".
func TestControlPlaneURLSurroundingWhitespace(t *testing.T) {
	url := controlplanetest.NewDatabase(t)
	for _, u := range []string{url + "\n", " " + url + "\r\n"} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"migrate", "--database-url", u}, &stdout, &stderr); code != 0 {
			t.Errorf("migrate --database-url %q: exit %d\n%s%s", strings.Replace(u, url, "URL", 1), code, stdout.String(), stderr.String())
		}
	}
}

// TestControlPlaneURLOfAnotherForm: a URL that does not start with postgres:// (SQLAlchemy's
// postgresql+psycopg://, JDBC's jdbc:postgresql://) is read by pgx as key=value settings; the
// one named after the URL up to "?sslmode" went to the server, whose refusal quoted it, password
// and all. It is refused before connecting, without the URL.
func TestControlPlaneURLOfAnotherForm(t *testing.T) {
	t.Setenv("PGHOST", "127.0.0.1") // where the keyword/value string would connect
	const pw = "s3cr3tPW"
	for _, u := range []string{
		"postgresql+psycopg://postgres:" + pw + "@127.0.0.1:5432/postgres?sslmode=disable",
		"jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres&password=" + pw + "&sslmode=disable",
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"migrate", "--database-url", u}, &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if code != 1 || strings.Contains(out, pw) || !strings.Contains(out, "not a valid Postgres URL") {
			t.Errorf("migrate --database-url %s: exit %d\n%s", u, code, out)
		}
	}
}
