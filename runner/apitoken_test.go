package runner

import (
	"net/http/httptest"
	"testing"
)

// TestAPITokenSurroundingWhitespace: a BACKFLOW_API_TOKEN read from a file or a Kubernetes
// Secret often ends with a newline, which no client can send in a header (HTTP trims a header
// value's surrounding whitespace). The token is its value without that whitespace, as
// BACKFLOW_SECRET_KEY is: else every request is refused with 401 and nothing says why.
func TestAPITokenSurroundingWhitespace(t *testing.T) {
	for _, env := range []string{"s3cret-token\n", "s3cret-token\r\n", " s3cret-token \t"} {
		tok := newAPIToken(env)
		if tok == nil {
			t.Fatalf("token %q: no check", env)
		}
		r := httptest.NewRequest("GET", "/v1/runs/1", nil)
		r.Header.Set("Authorization", "Bearer s3cret-token")
		if !tok.bearer(r) {
			t.Errorf("BACKFLOW_API_TOKEN=%q: the request with \"Bearer s3cret-token\" is refused", env)
		}
		if !tok.matches("s3cret-token") || !tok.matches("s3cret-token\n") {
			t.Errorf("BACKFLOW_API_TOKEN=%q: the sign-in form's token s3cret-token is refused", env)
		}
		if tok.matches("s3cret") || tok.matches("") {
			t.Errorf("BACKFLOW_API_TOKEN=%q: a wrong token is accepted", env)
		}
	}
	// A token of whitespace only is not a token: no request matches it (it does not turn the
	// token off, which would open the status page).
	if tok := newAPIToken(" \n"); tok == nil {
		t.Error(`BACKFLOW_API_TOKEN=" \n" turns the token off`)
	} else if tok.matches("") || tok.matches(" \n") {
		t.Error(`BACKFLOW_API_TOKEN=" \n": an empty token is accepted`)
	}
}
