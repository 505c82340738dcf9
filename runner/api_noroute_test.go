package runner

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Every /v1/ answer is JSON that says what is wrong: a path the API does not serve (a trailing
// slash, a typo) is a 404 naming what it serves, one of its paths with another method a 405
// with Allow, and while the API is off a 404 saying how to turn it on; not the mux's text
// ("404 page not found", "Method Not Allowed"), which a client reading the answer as JSON
// cannot read.
func TestAPIAnswersJSONOffItsRoutes(t *testing.T) {
	const token = "r0ute-t0ken"
	t.Setenv(APITokenEnv, token)
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	base := serveAPI(t, f)
	for _, tc := range []struct {
		method, path string
		code         int
		want, allow  string
	}{
		{http.MethodPost, "/v1/syncs/x/runs/", http.StatusNotFound, "the API serves POST /v1/syncs/{id or name}/runs and GET /v1/runs/{id}", ""},
		{http.MethodGet, "/v1/run/1", http.StatusNotFound, `no such path \"/v1/run/1\"`, ""},
		{http.MethodGet, "/v1/syncs/a%2Fb/runs", http.StatusMethodNotAllowed, "this path takes POST", "POST"},
		{http.MethodDelete, "/v1/runs/1", http.StatusMethodNotAllowed, "this path takes GET, HEAD", "GET, HEAD"},
	} {
		a := apiCall(t, tc.method, base+tc.path, token, "")
		var e struct{ Error string }
		if a.code != tc.code || json.Unmarshal([]byte(a.body), &e) != nil || !strings.Contains(a.body, tc.want) ||
			a.hdr.Get("Allow") != tc.allow || a.hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %s (Allow %q, %s), want %d saying %s", tc.method, tc.path, a.code, a.body, a.hdr.Get("Allow"),
				a.hdr.Get("Content-Type"), tc.code, tc.want)
		}
	}
	// The API's own answers are unchanged: its routes take their requests.
	if a := apiCall(t, http.MethodGet, base+"/v1/runs/987654", token, ""); a.code != http.StatusNotFound ||
		a.body != `{"error":"no queued run has the id 987654"}`+"\n" {
		t.Errorf("GET an unknown run: %d %s", a.code, a.body)
	}
	if a := apiCall(t, http.MethodPost, base+"/v1/syncs/id:1/runs", "", ""); a.code != http.StatusUnauthorized {
		t.Errorf("POST without the token: %d %s", a.code, a.body)
	}

	t.Setenv(APITokenEnv, "")
	off := serveAPI(t, f)
	a := apiCall(t, http.MethodPost, off+"/v1/syncs/id:1/runs", "", "")
	if a.code != http.StatusNotFound || !strings.Contains(a.body, "the API is off: set BACKFLOW_API_TOKEN") ||
		a.hdr.Get("Content-Type") != "application/json" {
		t.Errorf("POST while the API is off: %d %s, want 404 saying how to turn it on", a.code, a.body)
	}
}
