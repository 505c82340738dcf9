package provider

import (
	"strings"
	"testing"
)

// TestPostgresURLOfAnotherForm: a warehouse URL of another form passed plan, and the runner
// refuses it (its server would have quoted the password): plan says so first, without the URL.
func TestPostgresURLOfAnotherForm(t *testing.T) {
	const pw = "s3cr3tPW"
	for _, u := range []string{
		"postgresql+psycopg://reader:" + pw + "@db.example.com:5432/analytics?sslmode=require",
		"jdbc:postgresql://db.example.com:5432/analytics?user=reader&password=" + pw,
	} {
		p := postgresURLProblem(u)
		if p == "" || strings.Contains(p, pw) {
			t.Errorf("%s: problem %q", u, p)
		}
	}
	for _, u := range []string{"postgres://reader:pw@db.example.com/analytics?sslmode=require&application_name=bf",
		"host=db.example.com dbname=analytics user=reader options=-csearch_path=x"} {
		if p := postgresURLProblem(u); p != "" {
			t.Errorf("%s: problem %q", u, p)
		}
	}
}

// TestPostgresURLTakingTheHostsFiles: a warehouse URL naming a password file, a service file or
// a client certificate of the host (passfile=~/.pgpass sent a matching password to the server the
// URL names), no host (PGHOST's) or a Unix socket (the host's own Postgres) passed plan; the
// runner refuses it, and plan says so first, naming the setting and never the URL.
func TestPostgresURLTakingTheHostsFiles(t *testing.T) {
	const pw = "s3cr3tPW"
	for u, want := range map[string]string{
		"postgres://reader:" + pw + "@db.example.com/analytics?passfile=/root/.pgpass": "passfile",
		"postgres://reader:" + pw + "@db.example.com/analytics?sslkey=/etc/ssl/k.pem":  "sslkey",
		"postgres://reader:" + pw + "@%2Fvar%2Frun%2Fpostgresql/analytics":             "Unix socket",
		"user=reader password=" + pw + " dbname=analytics":                             "no host",
	} {
		p := postgresURLProblem(u)
		if !strings.Contains(p, want) || strings.Contains(p, pw) {
			t.Errorf("%s: problem %q, want one naming %q", u, p, want)
		}
	}
}
