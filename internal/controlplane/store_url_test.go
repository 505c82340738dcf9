package controlplane

import (
	"context"
	"strings"
	"testing"
)

// TestOpenURLOfAnotherForm: the provider's database_url of another form
// (postgresql+psycopg://user:PASSWORD@...) was read by pgx as key=value settings and one named
// after the URL up to "?sslmode" sent to the server, whose refusal quoted the password. It is
// refused before connecting, without the URL.
func TestOpenURLOfAnotherForm(t *testing.T) {
	t.Setenv("PGHOST", "127.0.0.1") // where the keyword/value string would connect
	const pw = "s3cr3tPW"
	u := "postgresql+psycopg://postgres:" + pw + "@127.0.0.1:5432/postgres?sslmode=disable"
	s, err := Open(context.Background(), u, nil)
	if err == nil {
		s.Close()
		t.Fatalf("%s: opened", u)
	}
	if strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "not a valid Postgres URL") {
		t.Errorf("%s: %v", u, err)
	}
}

// TestOpenURLSurroundingWhitespace: the provider's database_url read with file() keeps the
// file's final newline; it is not part of the URL (pgx read "sslmode=disable\n" and the URL was
// refused as invalid). Nothing listens on port 1: the URL parses, and the connect fails.
func TestOpenURLSurroundingWhitespace(t *testing.T) {
	u := "postgres://u@127.0.0.1:1/db?sslmode=disable\n"
	_, err := Open(context.Background(), u, nil)
	if err == nil || strings.Contains(err.Error(), "not a valid Postgres URL") {
		t.Errorf("Open(%q): %v", u, err)
	}
}
