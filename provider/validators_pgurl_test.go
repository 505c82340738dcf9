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
